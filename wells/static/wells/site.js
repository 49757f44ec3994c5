// Small helpers of the pages; every page works without them.
(function () {
  "use strict";
  // A checkbox that ticks every checkbox of the same name on the page.
  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    var name = master.getAttribute("data-select-all");
    master.addEventListener("change", function () {
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = master.checked;
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // Fill the latitude and longitude from the phone's position (only
  // offered where the browser can tell it: a secure page).
  if (navigator.geolocation && window.isSecureContext) {
    document.querySelectorAll("[data-geolocate]").forEach(function (button) {
      var holder = button.closest("[hidden]");
      if (holder) holder.hidden = false;
      button.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          document.querySelector(button.dataset.lat).value = position.coords.latitude.toFixed(6);
          document.querySelector(button.dataset.lng).value = position.coords.longitude.toFixed(6);
        });
      });
    });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

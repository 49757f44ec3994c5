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
  // Tick exactly the wells of the page that can take one bulk action (the
  // server lists any other ticked well with its reason, and skips it).
  document.querySelectorAll("[data-select-able]").forEach(function (button) {
    var kind = button.getAttribute("data-select-able");
    button.addEventListener("click", function () {
      document.querySelectorAll('input[type="checkbox"][data-able]').forEach(function (box) {
        box.checked = box.getAttribute("data-able").split(" ").indexOf(kind) !== -1;
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
          var lat = document.querySelector(button.dataset.lat);
          var lng = document.querySelector(button.dataset.lng);
          lat.value = position.coords.latitude.toFixed(6);
          lng.value = position.coords.longitude.toFixed(6);
          lng.dispatchEvent(new Event("change"));
        });
      });
    });
  }
  // A map to tap for a location: the marker stands where the fields say,
  // a tap (or the phone's position) moves both. Points are WGS84; the tile
  // server's own settings decide the tiles (README: "The map's tiles").
  document.querySelectorAll("[data-map-picker]").forEach(function (element) {
    if (!window.L) return;
    var lat = document.querySelector(element.dataset.lat);
    var lng = document.querySelector(element.dataset.lng);
    var map = window.L.map(element, { attributionControl: Boolean(element.dataset.tileUrl) });
    if (element.dataset.tileUrl) {
      window.L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var marker = null;
    function show() {
      var point = [parseFloat(lat.value), parseFloat(lng.value)];
      if (isNaN(point[0]) || isNaN(point[1])) return false;
      if (marker) marker.setLatLng(point);
      else marker = window.L.circleMarker(point, { radius: 9, color: "#0b57a4", weight: 3 }).addTo(map);
      return point;
    }
    var start = show();
    map.setView(start || [44.01, 87.31], start ? 16 : 11);
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      show();
    });
    [lat, lng].forEach(function (input) { input.addEventListener("change", show); });
  });
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

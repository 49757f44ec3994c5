/* The public's report form: tapping the map puts the place in the latitude
   and longitude fields (the position button is wells/site.js's). */
(function () {
  "use strict";
  var node = document.getElementById("report-map");
  if (!node || !window.L) return;
  var lat = document.querySelector(node.dataset.lat), lng = document.querySelector(node.dataset.lng);
  var map = L.map(node, { attributionControl: false }).setView([44.03, 87.28], 12);
  var marker = null;
  function place(latlng) {
    if (marker) { marker.setLatLng(latlng); } else { marker = L.circleMarker(latlng, { radius: 9, color: "#d32f2f", fillOpacity: 0.8 }).addTo(map); }
  }
  map.on("click", function (event) {
    lat.value = event.latlng.lat.toFixed(6);
    lng.value = event.latlng.lng.toFixed(6);
    place(event.latlng);
  });
  if (lat.value && lng.value) place([parseFloat(lat.value), parseFloat(lng.value)]);
})();

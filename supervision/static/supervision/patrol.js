/* A patrol's page: its map (the track and the wells passed), and while the
   patrol is under way on the patroller's phone, the recorder: the phone's
   position (browser Geolocation) kept as a track, sent in batches, the
   length and duration shown, and the finish. Points that could not be sent
   wait in the page and go with the next batch. */
(function () {
  "use strict";
  // The start of a patrol is the phone's time, as its points' are.
  document.querySelectorAll("input[data-phone-time]").forEach(function (input) {
    input.form.addEventListener("submit", function () { input.value = new Date().toISOString(); });
  });
  var COLOURS = { "": "#7b52c7", intact: "#2e8b3e", in_use: "#d32f2f", damaged: "#e8890c" };

  // Every map of tracks on the page: a patrol's own, or the patrols that
  // passed a well (on the well's page). Its data: {tracks: [[[lat, lng], …]], wells}.
  function drawTracks(node) {
    var data = JSON.parse(document.getElementById(node.dataset.trackMap).textContent);
    var map = L.map(node, { attributionControl: false });
    var bounds = L.latLngBounds([]);
    var lines = data.tracks.map(function (track) {
      var drawn = L.polyline(track, { color: "#2f7ed8", weight: 4 }).addTo(map);
      if (track.length) bounds.extend(drawn.getBounds());
      return drawn;
    });
    data.wells.forEach(function (well) {
      L.circleMarker([well.lat, well.lng], { radius: 7, color: COLOURS[well.result || ""], fillOpacity: 0.8 })
        .bindTooltip(well.code).addTo(map);
      bounds.extend([well.lat, well.lng]);
    });
    if (bounds.isValid()) { map.fitBounds(bounds.pad(0.2), { maxZoom: 17 }); } else { map.setView([44.03, 87.28], 13); }
    return { map: map, line: lines[0] || L.polyline([]).addTo(map), data: data };
  }

  var maps = window.L ? Array.prototype.map.call(document.querySelectorAll("[data-track-map]"), drawTracks) : [];
  var own = maps[0] || { map: null, line: null, data: { tracks: [[]], wells: [] } };
  var map = own.map, line = own.line, data = { track: own.data.tracks[0] || [] };

  var recorder = document.querySelector("[data-testid=patrol-recorder]");
  if (!recorder) return;
  var csrf = recorder.querySelector("input[name=csrfmiddlewaretoken]").value;
  var startedAt = new Date(recorder.dataset.startedAt).getTime();
  var lengthNode = document.querySelector("[data-testid=patrol-length]");
  var durationNode = document.querySelector("[data-testid=patrol-duration]");
  var gpsNode = recorder.querySelector("[data-testid=gps-status]");
  var queueNode = recorder.querySelector("[data-testid=queue]");
  var finishButton = recorder.querySelector("[data-testid=finish-patrol]");
  var track = data.track.slice();
  // The points not yet sent are kept on the phone too: a page reloaded
  // without signal sends them when it can.
  var storeKey = "patrol-waiting:" + recorder.dataset.pointsUrl;
  var waiting = [];
  try { waiting = JSON.parse(window.localStorage.getItem(storeKey) || "[]"); } catch (error) { waiting = []; }
  var inflight = null;

  function keep() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(waiting)); } catch (error) { /* storage full or off */ }
  }
  var metres = 0;
  for (var i = 1; i < track.length; i++) metres += distance(track[i - 1], track[i]);

  function distance(a, b) {
    var rad = Math.PI / 180, dLat = (b[0] - a[0]) * rad, dLng = (b[1] - a[1]) * rad;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(a[0] * rad) * Math.cos(b[0] * rad) * Math.pow(Math.sin(dLng / 2), 2);
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function show() {
    lengthNode.textContent = (metres / 1000).toFixed(2);
    durationNode.textContent = String(Math.max(0, Math.floor((Date.now() - startedAt) / 60000)));
    queueNode.textContent = waiting.length ? waiting.length + " " + recorder.dataset.labelsWaiting : "";
  }

  function take(position) {
    var point = [position.coords.latitude, position.coords.longitude];
    var last = track[track.length - 1];
    gpsNode.textContent = point[0].toFixed(6) + ", " + point[1].toFixed(6);
    if (last && distance(last, point) < 1) return;  // standing still: nothing new
    if (last) metres += distance(last, point);
    track.push(point);
    waiting.push({ lat: point[0], lng: point[1], at: new Date().toISOString(), accuracy: position.coords.accuracy });
    keep();
    if (line) { line.addLatLng(point); map.panTo(point); }
    show();
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.detail || response.status);
        return json;
      });
    });
  }

  // One batch at a time; a batch asked for while one is on its way follows it.
  function send() {
    if (inflight) return inflight.then(send);
    if (!waiting.length) return Promise.resolve(true);
    var batch = waiting.slice(0, 500);
    inflight = post(recorder.dataset.pointsUrl, { points: batch }).then(function () {
      waiting = waiting.slice(batch.length);
      keep();
      return true;
    }).catch(function () { return false; /* no signal: the points wait for the next batch */ })
      .then(function (sent) { inflight = null; show(); return sent; });
    return inflight;
  }

  function flush() {
    return send().then(function (sent) {
      if (!sent) throw new Error(queueNode.textContent);
      return waiting.length ? flush() : null;
    });
  }

  function fail() { gpsNode.textContent = recorder.dataset.labelsNoGps; }
  var options = { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 };
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition(take, fail, options);
    // Some phones hold watchPosition back while the screen is still; ask too.
    setInterval(function () { navigator.geolocation.getCurrentPosition(take, fail, options); }, 5000);
  } else {
    fail();
  }
  setInterval(send, 10000);
  setInterval(show, 1000);
  show();

  finishButton.addEventListener("click", function () {
    finishButton.disabled = true;
    flush().then(function () {
      return post(recorder.dataset.finishUrl, { finished_at: new Date().toISOString() });
    }).then(function () { window.location.reload(); })
      .catch(function (error) { finishButton.disabled = false; queueNode.textContent = String(error.message || error); });
  });
})();

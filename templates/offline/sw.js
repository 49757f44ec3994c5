// The service worker of the field pages (DESIGN §7; wellclosure/offline.py).
// It keeps, on the phone, the pages the server marks with X-Offline-Keep
// (a township officer's own pages) and answers them from that copy when
// there is no signal. It never keeps an API answer or another role's page.
// What is recorded without signal is queued by the pages (offline.js).
"use strict";

var VERSION = "{{ version }}";
var STATIC_CACHE = "static-" + VERSION;
var PAGES_CACHE = "pages-" + VERSION;
var PRECACHE = {{ precache|safe }};
var FALLBACK_HTML = {{ fallback|safe }};
var KEEP_HEADER = {{ keep_header|safe }};
var MINE_URL = {{ mine_url|safe }};
// Whose pages the copy holds, stored beside them.
var OWNER_KEY = "/__offline_owner__";
// The pages that may be kept: 我的机井, a well's page, its forms, the
// queue, and the photos' small thumbnails on the well pages.
var KEEPABLE = [
  /^\/wells\/mine\/$/,
  /^\/well\/[^/]+\/$/,
  /^\/well\/[^/]+\/(action\/[a-z_]+|inspection|upload|facts)\/$/,
  /^\/queue\/$/,
  /^\/wells\/attachments\/\d+\/thumbnail\/small\/$/
];
var WELL_PAGE = /^\/well\/[^/]+\/$/;
var KEEP_LIST = /<script id="offline-pages" type="application\/json">([\s\S]*?)<\/script>/;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(STATIC_CACHE).then(function (cache) { return cache.addAll(PRECACHE); }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  // A new worker (new files or a new worker) drops the old copies.
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key !== STATIC_CACHE && key !== PAGES_CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keepable(url) {
  return url.origin === self.location.origin && KEEPABLE.some(function (pattern) { return pattern.test(url.pathname); });
}

// Keep a copy of an answer the server marked as the officer's own page;
// a page of another person first drops the copy of the one before.
function keep(request, response) {
  var owner = response.headers.get(KEEP_HEADER);
  if (!response.ok || !owner) return Promise.resolve(response);
  var copy = response.clone();
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(OWNER_KEY).then(function (stored) {
      return stored ? stored.text() : null;
    }).then(function (previous) {
      if (previous === owner) return cache;
      return caches.delete(PAGES_CACHE).then(function () { return caches.open(PAGES_CACHE); }).then(function (fresh) {
        return fresh.put(OWNER_KEY, new Response(owner)).then(function () { return fresh; });
      });
    }).then(function (current) { return current.put(request.url, copy); });
  }).then(function () { return response; });
}

function fromCopy(url) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(url).then(function (found) {
      return found || cache.match(url, { ignoreSearch: true });
    });
  });
}

// A page answered from the copy says so on its <body>: the browser may
// still call itself online on a signal that carries nothing (a weak or
// captive network), and the page must know it was not fetched now.
function asCopy(request, found) {
  if (request.mode !== "navigate") return Promise.resolve(found);
  return found.text().then(function (html) {
    return new Response(html.replace(/<body\b/, "<body data-offline-copy"), {
      status: found.status,
      statusText: found.statusText,
      headers: found.headers
    });
  });
}

function fallback() {
  return new Response(FALLBACK_HTML, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

function networkThenCopy(request) {
  return fetch(request).then(function (response) {
    return keep(request, response);
  }).catch(function () {
    return fromCopy(request.url).then(function (found) {
      if (found) return asCopy(request, found);
      if (request.mode === "navigate") return fallback();
      return Response.error();
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.match(request).then(function (found) { return found || fetch(request); }));
    return;
  }
  if (url.pathname.indexOf("/api/") === 0) return;
  if (keepable(url)) {
    event.respondWith(networkThenCopy(request));
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () {
      // The site's root sends an officer to 我的机井: offline, its copy.
      var home = url.pathname === "/" ? fromCopy(new URL(MINE_URL, url).href) : Promise.resolve(null);
      return home.then(function (found) { return found ? asCopy(request, found) : fallback(); });
    }));
  }
});

// Keep the pages a page names (我的机井 names its wells), and the forms each
// well's page names in its "offline-pages" list, one after the other.
function keepAll(paths) {
  var seen = {};
  var queue = paths.slice();
  var kept = 0;
  function next() {
    var path = queue.shift();
    if (path === undefined) return Promise.resolve(kept);
    var url = new URL(path, self.location.origin);
    if (seen[url.href] || !keepable(url)) return next();
    seen[url.href] = true;
    var request = new Request(url.href, { credentials: "same-origin", redirect: "manual" });
    return fetch(request).then(function (response) { return keep(request, response); }).then(function (response) {
      if (!response.ok || !response.headers.get(KEEP_HEADER)) return next();
      kept += 1;
      if (!WELL_PAGE.test(url.pathname)) return next();
      return response.text().then(function (html) {
        var match = html.match(KEEP_LIST);
        if (match) {
          try { queue = queue.concat(JSON.parse(match[1])); } catch (error) { /* a page without a list */ }
        }
        return next();
      });
    });
  }
  return next();
}

function tell(message) {
  return self.clients.matchAll({ type: "window" }).then(function (clients) {
    clients.forEach(function (client) { client.postMessage(message); });
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.paths)) {
    event.waitUntil(keepAll(data.paths).then(function (kept) {
      return tell({ type: "kept", count: kept });
    }, function () {
      return tell({ type: "kept", count: -1 });
    }));
  }
});

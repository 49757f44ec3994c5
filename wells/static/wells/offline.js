// The field pages without signal (DESIGN §7; README "Working without
// signal"). Registers the service worker (/sw.js), asks it to keep an
// officer's wells and forms, queues what is recorded offline in IndexedDB
// (each change with the version it was made against, the time it was
// recorded and an idempotency key), shows the queue (待上传 N) and sends it,
// in order, through the ledger's API when the connection returns. A refusal
// stays on its item with the server's reason and the typed values.
// Photos are shrunk here (long side 2,048 px, JPEG) after their EXIF
// position and time are read, since drawing to a canvas drops EXIF.
(function () {
  "use strict";
  var stringsElement = document.getElementById("offline-strings");
  if (!stringsElement) return; // not signed in
  var T = JSON.parse(stringsElement.textContent);
  var body = document.body;
  var userId = body.dataset.user;
  var MAX_SIDE = 2048;
  var DB_NAME = "wellclosure-offline";
  var STORE = "queue";
  var API_WELL = "/api/v1/wells/";
  var PROBE_EVERY = 5000;

  // Without signal: the browser says so, or this page is the phone's copy
  // (the service worker marks it) and nothing has got through since. A
  // phone may call itself online on a signal that carries nothing, so a
  // copy is not trusted to be current until a request is answered.
  var unreachable = body.hasAttribute("data-offline-copy");
  function withoutSignal() { return unreachable || !navigator.onLine; }
  function reached() {
    if (!unreachable) return;
    unreachable = false;
    renderBanner();
  }
  function lost() {
    if (unreachable) return;
    unreachable = true;
    renderBanner();
    startProbing();
  }

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_match, name) { return values[name]; });
  }

  // The store -------------------------------------------------------------
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var transaction = db.transaction(STORE, mode);
        var request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () { db.close(); resolve(request ? request.result : undefined); };
        transaction.onerror = function () { db.close(); reject(transaction.error); };
      });
    });
  }

  // This person's queue, oldest first (a phone shared by someone else keeps
  // theirs apart, unsent by this one).
  function allItems() {
    return withStore("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return items.filter(function (item) { return item.user === userId; }).sort(function (a, b) { return a.id - b.id; });
    });
  }
  function putItem(item) { return withStore("readwrite", function (store) { return store.put(item); }); }
  function deleteItem(id) { return withStore("readwrite", function (store) { return store.delete(id); }); }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function pad(number) { return ("0" + number).slice(-2); }
  function localDate(moment) { return moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()); }
  function localTime(moment) { return localDate(moment) + " " + pad(moment.getHours()) + ":" + pad(moment.getMinutes()); }

  // Photos: EXIF first, then shrink ----------------------------------------
  // A small reader of what the server's photo checks use: GPS latitude and
  // longitude and DateTimeOriginal (with OffsetTimeOriginal).
  function readExif(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
    var offset = 2;
    while (offset + 10 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      if (marker === 0xffe1 && view.getUint32(offset + 4) === 0x45786966) return readTiff(view, offset + 10);
      offset += 2 + view.getUint16(offset + 2);
    }
    return null;
  }

  function readTiff(view, start) {
    var little = view.getUint16(start) === 0x4949;
    function u16(at) { return view.getUint16(start + at, little); }
    function u32(at) { return view.getUint32(start + at, little); }
    function directory(at) {
      var entries = {};
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        var entry = at + 2 + i * 12;
        entries[u16(entry)] = { count: u32(entry + 4), at: entry + 8 };
      }
      return entries;
    }
    function ascii(entry) {
      var at = entry.count > 4 ? u32(entry.at) : entry.at;
      var text = "";
      for (var i = 0; i < entry.count; i++) {
        var code = view.getUint8(start + at + i);
        if (!code) break;
        text += String.fromCharCode(code);
      }
      return text;
    }
    function degrees(entry) {
      var at = u32(entry.at);
      var parts = [0, 1, 2].map(function (i) { return u32(at + i * 8) / u32(at + i * 8 + 4); });
      return parts[0] + parts[1] / 60 + parts[2] / 3600;
    }
    var facts = {};
    var first = directory(u32(4));
    if (first[0x8769]) {
      var exif = directory(u32(first[0x8769].at));
      if (exif[0x9003]) facts.taken = ascii(exif[0x9003]);
      if (exif[0x9011]) facts.offset = ascii(exif[0x9011]);
    }
    if (!facts.taken && first[0x0132]) facts.taken = ascii(first[0x0132]);
    var result = {};
    var moment = /^(\d{4}):(\d{2}):(\d{2}) (\d{2}:\d{2}:\d{2})/.exec(facts.taken || "");
    if (moment) {
      result.taken_at = moment[1] + "-" + moment[2] + "-" + moment[3] + "T" + moment[4];
      if (/^[+-]\d{2}:\d{2}$/.test(facts.offset || "")) result.taken_at += facts.offset;
    }
    if (first[0x8825]) {
      var gps = directory(u32(first[0x8825].at));
      if (gps[1] && gps[2] && gps[3] && gps[4]) {
        var lat = degrees(gps[2]);
        var lng = degrees(gps[4]);
        if (ascii(gps[1]) === "S") lat = -lat;
        if (ascii(gps[3]) === "W") lng = -lng;
        if (isFinite(lat) && isFinite(lng) && Math.abs(lat) <= 90 && Math.abs(lng) <= 180) {
          result.lat = lat.toFixed(6);
          result.lng = lng.toFixed(6);
        }
      }
    }
    return result;
  }

  function loadImage(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var image = new Image();
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("unreadable image")); };
      image.src = url;
    });
  }

  // {file, facts}: the photo with its long side at most 2,048 px (a JPEG
  // when it had to be shrunk), and what its EXIF said before.
  function shrink(file) {
    if (!/^image\/(jpeg|png)$/.test(file.type)) return Promise.resolve({ file: file, facts: null });
    return file.slice(0, 256 * 1024).arrayBuffer().then(function (buffer) {
      var facts = null;
      try { facts = readExif(buffer); } catch (error) { facts = null; }
      return loadImage(file).then(function (image) {
        var longSide = Math.max(image.naturalWidth, image.naturalHeight);
        if (longSide <= MAX_SIDE) return { file: file, facts: facts };
        var scale = MAX_SIDE / longSide;
        var canvas = document.createElement("canvas");
        canvas.width = Math.round(image.naturalWidth * scale);
        canvas.height = Math.round(image.naturalHeight * scale);
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) {
          canvas.toBlob(function (blob) {
            var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
            resolve({ file: new File([blob], name, { type: "image/jpeg" }), facts: facts });
          }, "image/jpeg", 0.85);
        });
      }, function () { return { file: file, facts: facts }; });
    });
  }

  // The upload form shrinks its photo as soon as it is chosen, and puts the
  // EXIF it read into its hidden fields, online or not.
  document.querySelectorAll("input[type=file][data-shrink]").forEach(function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || input.dataset.shrunk === file.name + file.size) return;
      input.shrinking = shrink(file).then(function (shrunk) {
        var form = input.form;
        var facts = shrunk.facts || {};
        [["exif_lat", facts.lat], ["exif_lng", facts.lng], ["exif_taken_at", facts.taken_at]].forEach(function (pair) {
          var field = form.querySelector("input[name=" + pair[0] + "]");
          if (field) field.value = pair[1] || "";
        });
        if (shrunk.file !== file && window.DataTransfer) {
          try {
            var transfer = new DataTransfer();
            transfer.items.add(shrunk.file);
            input.files = transfer.files;
          } catch (error) { /* the original is sent */ }
        }
        input.dataset.shrunk = shrunk.file.name + shrunk.file.size;
      });
    });
  });

  // Queueing a form -------------------------------------------------------
  function formValues(form) {
    var fields = {};
    var files = [];
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      if (value instanceof File) {
        if (value.size) files.push({ field: name, file: value });
        return;
      }
      if (name in fields) fields[name] = [].concat(fields[name], value);
      else fields[name] = value;
    });
    form.querySelectorAll("input[type=checkbox][name]").forEach(function (box) {
      if (box.name in fields && !Array.isArray(fields[box.name])) fields[box.name] = [fields[box.name]];
    });
    // Each field's label, to show the typed values again on the queue.
    var labels = {};
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      var label = input && input.id ? form.querySelector("label[for='" + input.id + "']") : null;
      if (label) labels[name] = label.textContent.replace(/[:：]\s*$/, "").trim();
    });
    return { fields: fields, files: files, labels: labels };
  }

  function queueForm(form) {
    var now = new Date();
    var values = formValues(form);
    var fields = values.fields;
    // The date of something done, left empty: the day it was recorded.
    form.querySelectorAll("input[data-done-date]").forEach(function (input) {
      if (!fields[input.name]) fields[input.name] = localDate(now);
    });
    var pending = Array.prototype.map.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.shrinking || Promise.resolve();
    });
    return Promise.all(pending).then(function () {
      values = formValues(form); // after the upload form's own shrinking
      return Promise.all(values.files.map(function (entry) {
        return shrink(entry.file).then(function (shrunk) {
          return { field: entry.field, name: shrunk.file.name, type: shrunk.file.type, blob: shrunk.file, facts: shrunk.facts };
        });
      }));
    }).then(function (files) {
      return allItems().then(function (items) {
        var before = items.filter(function (item) { return item.well === form.dataset.well; }).pop();
        var version = fields.version ? Number(fields.version) : null;
        delete fields.version;
        return putItem({
          user: userId,
          key: newKey(),
          kind: form.dataset.offlineForm,
          action: form.dataset.action || null,
          label: form.dataset.label,
          well: form.dataset.well,
          wellUrl: form.dataset.wellUrl,
          api: form.dataset.api,
          attachmentsApi: form.dataset.attachmentsApi,
          version: version,
          after: before ? before.id : null,
          recordedAt: now.toISOString(),
          recordedLocal: localTime(now),
          fields: fields,
          labels: values.labels,
          files: files,
          uploaded: [],
          state: "waiting",
          error: null
        });
      });
    });
  }

  document.querySelectorAll("form[data-offline-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!withoutSignal()) return; // with signal: the page's own form
      event.preventDefault();
      queueForm(form).then(function () {
        sessionStorage.setItem("offline-flash", T.queued);
        window.location.href = form.dataset.wellUrl;
      });
    });
  });

  // Sending the queue -----------------------------------------------------
  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function call(url, method, payload, key) {
    var headers = { "X-CSRFToken": csrfToken(), Accept: "application/json" };
    if (key) headers["Idempotency-Key"] = key;
    var options = { method: method, headers: headers, credentials: "same-origin" };
    if (payload instanceof FormData) {
      options.body = payload;
    } else if (payload !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(url, options).catch(function (error) { lost(); throw error; }).then(function (response) {
      reached();
      return response.json().catch(function () { return null; }).then(function (data) {
        return { status: response.status, data: data };
      });
    });
  }

  function reason(answer) {
    var data = answer.data;
    if (!data) return format(T.badStatus, { status: answer.status });
    if (typeof data.detail === "string") return data.detail;
    return Object.keys(data).map(function (name) {
      var messages = data[name];
      return (name === "non_field_errors" ? "" : name + ": ") + [].concat(messages).join(" ");
    }).join("；");
  }

  function withoutEmpty(values) {
    var out = {};
    Object.keys(values).forEach(function (name) {
      var value = values[name];
      if (value === "" || value === null || value === undefined || (Array.isArray(value) && !value.length)) return;
      out[name] = value;
    });
    return out;
  }

  function offlineNote(item) {
    var note = format(T.offlineNote, { time: item.recordedLocal });
    return item.fields.note ? item.fields.note + "\n" + note : note;
  }

  // The request that applies ``item`` (after its photos are uploaded).
  function mainRequest(item) {
    var fields = item.fields;
    if (item.kind === "transition") {
      var chosen = [].concat(fields.attachments || []).map(Number);
      var payload = withoutEmpty(Object.assign({}, fields, { attachments: null, photos: null }));
      payload.action = item.action;
      payload.version = item.version;
      payload.note = offlineNote(item);
      if (chosen.length || item.uploaded.length) payload.attachments = chosen.concat(item.uploaded);
      return [item.api, "POST", payload];
    }
    if (item.kind === "inspection") {
      var inspection = withoutEmpty(Object.assign({}, fields, { photos: null }));
      inspection.well = item.well;
      inspection.note = offlineNote(item);
      if (item.version) inspection.version = item.version;
      return [item.api, "POST", inspection];
    }
    if (item.kind === "facts") {
      var facts = {};
      Object.keys(fields).forEach(function (name) {
        facts[name] = (name === "lat" || name === "lng") && fields[name] === "" ? null : fields[name];
      });
      if (item.version) facts.version = item.version;
      return [item.api, "PATCH", facts];
    }
    // An upload: the file with what its EXIF said.
    var file = item.files[0];
    var form = new FormData();
    form.append("kind", fields.kind || "photo");
    form.append("file", file.blob, file.name);
    var facts0 = file.facts || {};
    var exif = { exif_lat: fields.exif_lat || facts0.lat, exif_lng: fields.exif_lng || facts0.lng, exif_taken_at: fields.exif_taken_at || facts0.taken_at };
    Object.keys(exif).forEach(function (name) { if (exif[name]) form.append(name, exif[name]); });
    return [item.api, "POST", form];
  }

  function photoUpload(file) {
    var form = new FormData();
    form.append("kind", "photo");
    form.append("file", file.blob, file.name);
    var facts = file.facts || {};
    if (facts.lat) { form.append("exif_lat", facts.lat); form.append("exif_lng", facts.lng); }
    if (facts.taken_at) form.append("exif_taken_at", facts.taken_at);
    return form;
  }

  // "sent", "refused", or "stop" (no connection, signed out, server trouble).
  function send(item, items) {
    var next = Promise.resolve({ status: 200 });
    if (item.kind !== "upload") {
      item.files.forEach(function (file, index) {
        next = next.then(function (answer) {
          if (answer.status >= 300 || index < item.uploaded.length) return answer;
          return call(item.attachmentsApi, "POST", photoUpload(file), item.key + "-photo-" + index).then(function (photo) {
            if (photo.status !== 201) return photo;
            item.uploaded.push(photo.data.id);
            return putItem(item).then(function () { return photo; });
          });
        });
      });
    }
    return next.then(function (answer) {
      if (answer.status >= 300) return answer;
      var request = mainRequest(item);
      return call(request[0], request[1], request[2], item.key);
    }).then(function (answer) {
      if (answer.status >= 200 && answer.status < 300) return sent(item, items, answer);
      if (answer.status === 401 || answer.status >= 500) {
        item.error = { status: answer.status, detail: answer.status === 401 ? T.signIn : reason(answer) };
        return putItem(item).then(function () { return "stop"; });
      }
      return refused(item, answer);
    }, function () { return "stop"; });
  }

  function currentVersion(code) {
    return call(API_WELL + encodeURIComponent(code) + "/", "GET").then(function (answer) {
      return answer.status === 200 ? answer.data : null;
    });
  }

  // The changes queued after ``item`` on the same well were made on top of
  // it: they go on from the version its answer gives.
  function sent(item, items, answer) {
    var version = answer.data && answer.data.version;
    var known = item.kind === "transition" || item.kind === "facts" ? Promise.resolve(version)
      : item.kind === "inspection" ? currentVersion(item.well).then(function (well) { return well && well.version; })
      : Promise.resolve(item.version);
    return known.then(function (newVersion) {
      var followers = items.filter(function (other) { return other.after === item.id; });
      return Promise.all(followers.map(function (other) {
        other.after = null;
        if (newVersion) other.version = newVersion;
        return putItem(other);
      }));
    }).then(function () { return deleteItem(item.id); }).then(function () { return "sent"; });
  }

  function refused(item, answer) {
    item.state = "refused";
    item.error = { status: answer.status, detail: reason(answer) };
    var more = answer.status === 409 ? currentVersion(item.well) : Promise.resolve(null);
    return more.then(function (well) {
      if (well) {
        item.error.current = well.version;
        item.error.detail += " " + format(T.current, { version: well.version, status: statusLabel(well.status) });
      }
      return putItem(item);
    }).then(function () { return "refused"; });
  }

  function statusLabel(code) { return (T.statuses && T.statuses[code]) || code; }

  // The first item that may go now: a refused item holds back the later
  // changes of its well (they were made on top of it), not the others.
  function nextSendable(items) {
    var held = {};
    for (var i = 0; i < items.length; i++) {
      var item = items[i];
      if (item.state === "refused" || held[item.well]) { held[item.well] = true; continue; }
      return item;
    }
    return null;
  }

  var draining = null;
  function drain() {
    if (draining || !navigator.onLine) return draining || Promise.resolve();
    draining = (function loop() {
      return allItems().then(function (items) {
        var item = nextSendable(items);
        if (!item) return null;
        return send(item, items).then(function (outcome) { refresh(); return outcome === "stop" ? null : loop(); });
      });
    })().catch(function () { return null; }).then(function () { draining = null; refresh(); });
    return draining;
  }

  // What the page shows --------------------------------------------------
  function itemSummary(item) {
    var parts = [item.label, item.well];
    if (item.files.length) parts.push(item.files.length + " " + T.photo);
    return parts.join(" · ");
  }

  function renderBadge(items) {
    var badge = document.querySelector("[data-queue-badge]");
    if (!badge) return;
    badge.hidden = items.length === 0;
    badge.classList.toggle("has-refused", items.some(function (item) { return item.state === "refused"; }));
    badge.querySelector("[data-queue-count]").textContent = String(items.length);
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderQueue(items) {
    var list = document.querySelector("[data-queue-list]");
    if (!list) return;
    list.textContent = "";
    document.querySelector("[data-queue-empty]").hidden = items.length > 0;
    items.forEach(function (item) {
      var entry = element("li", { class: "queue-item queue-" + item.state, "data-testid": "queue-item", "data-state": item.state, "data-well": item.well });
      entry.appendChild(element("p", { class: "queue-title" }, itemSummary(item)));
      entry.appendChild(element("p", { class: "small" }, T.recordedAt + " " + item.recordedLocal + (item.version ? " · " + T.version + " " + item.version : "")));
      var state = item.state === "refused" ? T.refused : item.after ? T.after : T.waiting;
      entry.appendChild(element("p", { class: "queue-state" }, state));
      if (item.error) entry.appendChild(element("p", { class: "refusal", role: "alert", "data-testid": "queue-reason" }, item.error.detail));
      if (item.state === "refused") entry.appendChild(editor(item));
      list.appendChild(entry);
    });
  }

  // A refused change's typed values, to correct and send again.
  function editor(item) {
    var form = element("form", { class: "stacked queue-editor", "data-testid": "queue-editor" });
    Object.keys(item.fields).forEach(function (name) {
      var value = item.fields[name];
      if (Array.isArray(value) || /^exif_/.test(name)) return;
      var field = element("div", { class: "field" });
      var id = "queue-" + item.id + "-" + name;
      field.appendChild(element("label", { for: id }, (item.labels && item.labels[name]) || name));
      var input = element(name === "note" ? "textarea" : "input", { id: id, name: name });
      if (/_on$|^comply_by$|^deadline$/.test(name)) input.type = "date";
      input.value = value;
      field.appendChild(input);
      form.appendChild(field);
    });
    var buttons = element("div", { class: "form-buttons" });
    var resend = element("button", { type: "submit", class: "primary", "data-testid": "queue-resend" }, T.resend);
    var discard = element("button", { type: "button", class: "secondary", "data-testid": "queue-discard" }, T.discard);
    buttons.appendChild(resend);
    buttons.appendChild(discard);
    form.appendChild(buttons);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelectorAll("input[name], textarea[name]").forEach(function (input) { item.fields[input.name] = input.value; });
      // Corrected, it is a new change: a new key; a stale one goes on from
      // the version the officer has now been shown.
      item.key = newKey();
      if (item.error && item.error.current) item.version = item.error.current;
      item.state = "waiting";
      item.error = null;
      putItem(item).then(drain).then(refresh);
    });
    discard.addEventListener("click", function () {
      if (window.confirm(T.confirmDiscard)) deleteItem(item.id).then(refresh);
    });
    return form;
  }

  // A well's page without signal: its queued changes, and the state they
  // lead to with the next steps (each form kept on the phone).
  function renderWell(items) {
    var data = document.getElementById("offline-well");
    if (!data) return;
    var well = JSON.parse(data.textContent);
    var mine = items.filter(function (item) { return item.well === well.code; });
    var section = document.querySelector("[data-queued-here]");
    section.hidden = mine.length === 0;
    var list = section.querySelector("[data-queued-list]");
    list.textContent = "";
    mine.forEach(function (item) {
      list.appendChild(element("li", { "data-testid": "queued-item" }, itemSummary(item) + " · " + (item.state === "refused" ? T.refused : T.pending)));
    });
    if (!withoutSignal() || !mine.length) return;
    var status = well.status;
    mine.forEach(function (item) {
      var action = item.kind === "transition" && well.actions[item.action];
      if (action && item.state !== "refused") status = action.to;
    });
    var badge = document.querySelector("[data-testid=well-status]");
    if (badge && status !== well.status) {
      badge.dataset.status = status;
      badge.dataset.pending = "true";
      var label = badge.querySelector(".status");
      if (label) {
        label.className = "status status-" + status;
        label.textContent = statusLabel(status) + "（" + T.pending + "）";
      }
    }
    var actions = document.querySelector("[data-actions]");
    if (!actions) return;
    actions.querySelectorAll("a.action[data-testid^=action-]").forEach(function (link) { link.remove(); });
    Object.keys(well.actions).reverse().forEach(function (name) {
      var action = well.actions[name];
      if (action.from.indexOf(status) === -1) return;
      actions.insertBefore(element("a", { class: "button action", href: action.url, "data-testid": "action-" + name }, action.label), actions.firstChild);
    });
  }

  function refresh() {
    return allItems().then(function (items) {
      renderBadge(items);
      renderQueue(items);
      renderWell(items);
    });
  }

  function renderBanner() {
    var banner = document.querySelector("[data-offline-banner]");
    if (!banner) return;
    banner.hidden = !withoutSignal();
    banner.querySelector("[data-offline-fetched]").textContent = body.dataset.fetchedAt;
  }

  var flash = sessionStorage.getItem("offline-flash");
  if (flash) {
    sessionStorage.removeItem("offline-flash");
    var messages = document.querySelector("main .messages") || element("ul", { class: "messages" });
    messages.appendChild(element("li", { class: "message message-success", role: "status", "data-testid": "message" }, flash));
    document.querySelector("main").prepend(messages);
  }

  // A page shown from the copy asks, every few seconds, whether the server
  // answers again (a HEAD of the manifest, which the worker leaves to the
  // network); when it does, the queue goes.
  var probing = false;
  function probe() {
    if (!unreachable || probing || !navigator.onLine) return;
    probing = true;
    var manifest = document.querySelector("link[rel=manifest]");
    fetch(manifest ? manifest.href : "/manifest.webmanifest", { method: "HEAD", cache: "no-store", credentials: "same-origin" }).then(function () {
      reached();
      refresh();
      drain();
    }, function () { /* still nothing */ }).then(function () { probing = false; });
  }
  var probes = null;
  function startProbing() { if (!probes) probes = window.setInterval(probe, PROBE_EVERY); }
  if (unreachable) startProbing();

  window.addEventListener("online", function () { renderBanner(); refresh(); drain(); probe(); });
  window.addEventListener("offline", function () { renderBanner(); refresh(); });
  document.querySelectorAll("[data-queue-send]").forEach(function (button) { button.addEventListener("click", drain); });

  // Signing out clears the phone's copy; first, say what would be lost.
  document.querySelectorAll("form[action$='/logout/']").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared) return;
      event.preventDefault();
      allItems().then(function (items) {
        if (items.length && !window.confirm(T.confirmLogout)) return;
        var clearing = [new Promise(function (resolve) {
          var request = indexedDB.deleteDatabase(DB_NAME);
          request.onsuccess = request.onerror = request.onblocked = resolve;
        })];
        if (window.caches) clearing.push(caches.keys().then(function (keys) { return Promise.all(keys.map(function (key) { return caches.delete(key); })); }));
        Promise.all(clearing).then(function () { form.dataset.cleared = "1"; form.submit(); });
      });
    });
  });

  // The service worker, and the pages it keeps ----------------------------
  // Registered for those whose pages a phone keeps (a township officer's).
  if ("serviceWorker" in navigator && window.isSecureContext && body.dataset.offlinePages === "keep") {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "kept") return;
      body.dataset.offlineKeptCount = String(event.data.count);
      var note = document.querySelector("[data-offline-kept]");
      if (note && event.data.count > 0) note.hidden = false;
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the pages work without it */ });
    var keepList = document.getElementById("offline-keep");
    if (keepList && !withoutSignal()) {
      var paths = JSON.parse(keepList.textContent);
      var controlled = navigator.serviceWorker.controller ? Promise.resolve() : new Promise(function (resolve) {
        navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true });
      });
      controlled.then(function () { navigator.serviceWorker.controller.postMessage({ type: "keep", paths: paths }); });
    }
  }

  renderBanner();
  refresh().then(drain);
})();

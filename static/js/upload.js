// The upload page: choose files, folders or ZIP archives; preview them; send them in
// resumable chunks, several files at a time, with progress. Without this script the same
// form posts the files in one request. No inline code, no eval (the page's CSP forbids both).
(function () {
  "use strict";

  var HEAD_BYTES = 64 * 1024; // what a preview sends of each file: the header, not the pixels
  var PREVIEW_BATCH = 50; // files per preview request (the server takes at most 50)
  var REGISTER_BATCH = 500; // files per registration request
  var CHUNK_BYTES = 16 * 1024 * 1024; // bytes per request, unless the server takes less (batch.chunk_bytes)
  var PARALLEL = 4; // requests in flight at the same time
  var BUNDLE_FILES = 64; // small files travel together, this many at most to a request (the server's limit)
  var RETRIES = 8; // attempts per chunk before giving up (the upload can still be resumed)
  var SERVER_WAIT_MAX = 60000; // the longest pause while the server asks to wait (503 + Retry-After)
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  // Where an interrupted upload is remembered: a share's upload page keeps its own.
  var STORE_KEY = form.dataset.storeKey || "rayport.upload";
  var text = document.getElementById("upload-text").dataset;
  var preview = document.getElementById("preview");
  var sendButton = document.getElementById("send-button");
  var clearButton = document.getElementById("clear-button");
  var sendErrors = document.getElementById("send-errors");
  var progressBox = document.getElementById("progress");
  var totalBar = document.getElementById("total-progress");
  var totalStatus = document.getElementById("total-status");
  var fileList = document.getElementById("file-progress");
  var banner = document.getElementById("resume-banner");

  var entries = []; // {file, name, size, lastModified, key}
  var seen = {};
  var resumable = null; // a batch (JSON) left open by an earlier visit
  var sending = false;

  function csrf() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }

  function size(bytes) {
    return window.Rayport.fileSize(bytes); // static/js/rayport.js: one rule for every page
  }

  function duration(seconds) {
    if (!isFinite(seconds)) { return "…"; }
    seconds = Math.max(0, Math.round(seconds));
    var m = Math.floor(seconds / 60);
    var s = seconds % 60;
    return m ? m + " min " + s + " s" : s + " s";
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content !== undefined && content !== null) { node.textContent = content; }
    return node;
  }

  // --- Collecting files ---------------------------------------------------------------------

  function add(file, name) {
    var key = name + "|" + file.size + "|" + file.lastModified;
    if (seen[key]) { return; }
    seen[key] = true;
    entries.push({ file: file, name: name, size: file.size, lastModified: file.lastModified, key: key });
  }

  function addList(list) {
    Array.prototype.forEach.call(list, function (file) { add(file, file.webkitRelativePath || file.name); });
    changed();
  }

  function readEntry(entry, done) {
    if (entry.isFile) {
      entry.file(function (file) { add(file, entry.fullPath.replace(/^\//, "")); done(); }, done);
      return;
    }
    if (!entry.isDirectory) { done(); return; }
    var reader = entry.createReader();
    var children = [];
    (function more() {
      reader.readEntries(function (batch) {
        if (!batch.length) {
          var left = children.length;
          if (!left) { done(); return; }
          children.forEach(function (child) { readEntry(child, function () { left -= 1; if (!left) { done(); } }); });
          return;
        }
        children = children.concat(Array.prototype.slice.call(batch));
        more();
      }, done);
    })();
  }

  document.getElementById("pick-files").addEventListener("change", function (event) { addList(event.target.files); });
  // Which orders the files join depends on the institution: look again when it changes.
  form.addEventListener("change", function (event) {
    if (event.target.name === "institution_id" && entries.length && !sending) { changed(); }
  });
  document.getElementById("pick-folder").addEventListener("change", function (event) { addList(event.target.files); });
  var zone = document.getElementById("dropzone");
  zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", function () { zone.classList.remove("dragging"); });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    var items = event.dataTransfer.items;
    if (!items || !items.length || !items[0].webkitGetAsEntry) { addList(event.dataTransfer.files); return; }
    var roots = [];
    Array.prototype.forEach.call(items, function (item) {
      var entry = item.webkitGetAsEntry();
      if (entry) { roots.push(entry); }
    });
    var left = roots.length;
    if (!left) { return; }
    roots.forEach(function (root) { readEntry(root, function () { left -= 1; if (!left) { changed(); } }); });
  });
  clearButton.addEventListener("click", function () {
    entries = []; seen = {};
    // Starting again also forgets an interrupted upload: the next Send makes a new one.
    resumable = null;
    banner.hidden = true;
    localStorage.removeItem(STORE_KEY);
    clearButton.hidden = true;
    form.querySelectorAll("input[type=file]").forEach(function (input) { input.value = ""; });
    changed();
  });

  // --- Preview (ReadDicomFiles on the headers) ------------------------------------------------

  var previewRun = 0;

  // A ZIP archive starts with "PK\x03\x04"; a DICOM file may too (its 128-byte preamble is
  // free-form), but it says "DICM" at byte 128: DICOM is recognised first, as on the server.
  function isZip(entry) {
    return entry.file.slice(0, 132).arrayBuffer().then(function (buffer) {
      var b = new Uint8Array(buffer);
      var zip = b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
      var dicm = b.length === 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
      return zip && !dicm;
    });
  }

  function institution() {
    var select = form.querySelector("[name=institution_id]");
    return select ? select.value : "";
  }

  function previewGroup(group) {
    var data = new FormData();
    data.append("institution_id", institution());
    group.forEach(function (entry) {
      data.append("file", entry.file.slice(0, HEAD_BYTES), "head");
      data.append("name", entry.name);
      data.append("size", String(entry.size));
    });
    return fetch(form.dataset.previewUrl, {
      method: "POST", body: data, headers: { "X-CSRFToken": csrf() }, credentials: "same-origin",
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (json) { return json.files; });
  }

  function changed() {
    var run = ++previewRun;
    clearButton.hidden = !entries.length && !resumable;
    preview.textContent = "";
    if (!entries.length) { return; }
    var total = entries.reduce(function (sum, e) { return sum + e.size; }, 0);
    preview.appendChild(el("p", "small", fill(text.files, { n: entries.length, size: size(total) })));
    var status = el("p", "small muted", fill(text.reading, { n: entries.length }));
    preview.appendChild(status);
    Promise.all(entries.map(isZip)).then(function (zips) {
      var archives = entries.filter(function (_, i) { return zips[i]; });
      var others = entries.filter(function (_, i) { return !zips[i]; });
      var groups = [];
      for (var i = 0; i < others.length; i += PREVIEW_BATCH) { groups.push(others.slice(i, i + PREVIEW_BATCH)); }
      var results = [];
      return groups.reduce(function (chain, group) {
        return chain.then(function () {
          if (run !== previewRun) { return null; }
          return previewGroup(group).then(function (files) { results = results.concat(files); });
        });
      }, Promise.resolve()).then(function () {
        if (run === previewRun) { status.remove(); renderPreview(results, archives); }
      });
    }).catch(function (error) {
      if (run === previewRun) { status.textContent = fill(text.failed, { reason: error.message }); }
    });
  }

  function renderPreview(files, archives) {
    var patients = {};
    var order = [];
    var bad = [];
    var skipped = [];
    var unchecked = [];
    files.forEach(function (f) {
      if (!f.readable) {
        (f.skipped ? skipped : (f.checked ? bad : unchecked)).push(f);
        return;
      }
      var pkey = f.patient_id + "|" + f.patient_name;
      if (!patients[pkey]) { patients[pkey] = { first: f, studies: {}, studyOrder: [] }; order.push(pkey); }
      var p = patients[pkey];
      if (!p.studies[f.study_uid]) { p.studies[f.study_uid] = { first: f, series: {}, sops: {}, order: f.order }; p.studyOrder.push(f.study_uid); }
      var s = p.studies[f.study_uid];
      s.order = s.order || f.order;
      if (f.accession_taken) { s.accessionTaken = f.accession_number; }
      s.sops[f.sop_instance_uid] = true;
      s.series[f.series_uid] = true;
    });
    order.forEach(function (pkey) {
      var p = patients[pkey];
      var head = p.first;
      var box = el("div", "preview-patient");
      var title = head.patient_name || "—";
      var facts = [text.id + " " + (head.patient_id || "—")];
      if (head.birth_date) { facts.push(text.born + " " + head.birth_date); }
      if (head.sex) { facts.push(head.sex); }
      box.appendChild(el("h3", null, title + " · " + facts.join(" · ")));
      var table = el("table", "data");
      var headRow = el("tr");
      [text.studyDate, text.description, text.modality, text.series, text.images, ""].forEach(function (label) {
        headRow.appendChild(el("th", null, label));
      });
      var thead = el("thead"); thead.appendChild(headRow); table.appendChild(thead);
      var body = el("tbody");
      p.studyOrder.forEach(function (uid) {
        var s = p.studies[uid];
        var row = el("tr");
        row.appendChild(el("td", null, s.first.study_date || "—"));
        row.appendChild(el("td", null, s.first.study_description || "—"));
        row.appendChild(el("td", null, s.first.modality || "—"));
        row.appendChild(el("td", null, String(Object.keys(s.series).length)));
        row.appendChild(el("td", null, String(Object.keys(s.sops).length)));
        var target = el("td");
        if (s.order) {
          target.appendChild(document.createTextNode(text.joins + ": "));
          var link = el("a", null, s.order.label);
          link.href = s.order.url;
          link.target = "_blank";
          target.appendChild(link);
        } else {
          target.appendChild(el("span", "badge", text.newOrder));
          if (s.accessionTaken) {
            target.appendChild(el("div", "small muted", fill(text.accessionTaken, { accession: s.accessionTaken })));
          }
        }
        row.appendChild(target);
        body.appendChild(row);
      });
      table.appendChild(body);
      var wrap = el("div", "table-wrap"); wrap.appendChild(table); box.appendChild(wrap);
      preview.appendChild(box);
    });
    listFiles(text.unreadable, bad, true, "alert error");
    listFiles(text.skipped, skipped, false, "muted");
    listFiles(text.unchecked, unchecked, true, "muted");
    listFiles(text.zips, archives.map(function (e) { return { name: e.name }; }), false, "muted");
  }

  function listFiles(title, files, withReason, className) {
    if (!files.length) { return; }
    var box = el("div", "preview-files " + className);
    box.appendChild(el("h3", null, title + " (" + files.length + ")"));
    var list = el("ul");
    files.slice(0, 500).forEach(function (f) {
      list.appendChild(el("li", null, withReason && f.reason ? f.name + ": " + f.reason : f.name));
    });
    box.appendChild(list);
    preview.appendChild(box);
  }

  // --- Sending ----------------------------------------------------------------------------------

  // A 503 with Retry-After means "nothing is lost, send it again later" (the server cannot
  // hand work to its workers right now): wait as asked, a little longer each time, for as long
  // as it takes, and say so. Other failures count against RETRIES.
  function askedWait(retryAfter, waits) {
    var seconds = parseInt(retryAfter, 10);
    if (!(seconds > 0)) { return 0; }
    return Math.min(SERVER_WAIT_MAX, seconds * 1000 * Math.min(waits, 6));
  }

  function pause(ms) {
    stats.waitingUntil = Math.max(stats.waitingUntil, Date.now() + ms);
    totalStatus.textContent = text.serverWait;
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function request(method, url, body, headers, waits) {
    waits = waits || 0;
    return fetch(url, {
      method: method, body: body, credentials: "same-origin",
      headers: Object.assign({ "X-CSRFToken": csrf() }, headers || {}),
    }).then(function (response) {
      var wait = response.status === 503 ? askedWait(response.headers.get("Retry-After"), waits + 1) : 0;
      if (!wait) { return response; }
      return pause(wait).then(function () { return request(method, url, body, headers, waits + 1); });
    });
  }

  function settingsData() {
    var data = new FormData();
    form.querySelectorAll("#upload-settings [name]").forEach(function (input) {
      if (input.type === "checkbox") { if (input.checked) { data.append(input.name, input.value || "on"); } }
      else { data.append(input.name, input.value); }
    });
    return data;
  }

  function startBatch() {
    if (resumable) { return Promise.resolve(resumable); }
    return request("POST", form.dataset.startUrl, settingsData(), { "HX-Request": "true" }).then(function (response) {
      if (response.status === 400) {
        return response.text().then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html; // the server's own fragment: the settings with their errors
          var fresh = holder.querySelector("#upload-settings");
          if (fresh) { document.getElementById("upload-settings").replaceWith(fresh); }
          throw new Error("settings");
        });
      }
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (batch) {
      localStorage.setItem(STORE_KEY, JSON.stringify(batch));
      return batch;
    });
  }

  function register(batch) {
    var groups = [];
    for (var i = 0; i < entries.length; i += REGISTER_BATCH) { groups.push(entries.slice(i, i + REGISTER_BATCH)); }
    return groups.reduce(function (chain, group) {
      return chain.then(function () {
        var payload = JSON.stringify({ files: group.map(function (e) {
          return { name: e.name, size: e.size, last_modified: e.lastModified };
        }) });
        return request("POST", batch.files_url, payload, { "Content-Type": "application/json" }).then(function (response) {
          return response.json().then(function (json) {
            if (!response.ok) { throw new Error(json.error || String(response.status)); }
            json.files.forEach(function (state, index) {
              group[index].id = state.id;
              group[index].received = state.received;
              group[index].done = state.outcome !== "receiving";
            });
          });
        });
      });
    }, Promise.resolve());
  }

  var stats = { total: 0, base: 0, inflight: {}, samples: [], waitingUntil: 0 };

  function sentBytes() {
    var sum = stats.base;
    Object.keys(stats.inflight).forEach(function (k) { sum += stats.inflight[k]; });
    return sum;
  }

  function showProgress() {
    var sent = sentBytes();
    var now = Date.now();
    stats.samples.push([now, sent]);
    while (stats.samples.length > 2 && now - stats.samples[0][0] > 5000) { stats.samples.shift(); }
    var first = stats.samples[0];
    var speed = now > first[0] ? (sent - first[1]) * 1000 / (now - first[0]) : 0;
    totalBar.max = Math.max(1, stats.total);
    totalBar.value = sent;
    if (now < stats.waitingUntil) { totalStatus.textContent = text.serverWait; return; }
    totalStatus.textContent = fill(text.sending, {
      done: size(sent), total: size(stats.total), speed: size(Math.round(speed)),
      left: speed > 0 ? duration((stats.total - sent) / speed) : "…",
    });
  }

  function fileRow(entry) {
    if (entry.row) { return entry.row; }
    var row = el("li");
    row.appendChild(el("span", "file-name", entry.name));
    entry.bar = el("progress");
    entry.bar.max = Math.max(1, entry.size);
    entry.bar.value = entry.received || 0;
    row.appendChild(entry.bar);
    entry.note = el("span", "small muted", text.waiting);
    row.appendChild(entry.note);
    fileList.appendChild(row);
    entry.row = row;
    return row;
  }

  function putChunk(entry, url, offset, blob) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url + "?offset=" + offset);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = function (event) {
        stats.inflight[entry.key] = event.loaded;
        entry.bar.value = offset + event.loaded;
      };
      xhr.onload = function () {
        var json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        if ((xhr.status === 200 || xhr.status === 409) && json) { resolve(json); return; }
        var error = new Error((json && json.error) || String(xhr.status));
        error.fatal = xhr.status >= 400 && xhr.status < 500 && xhr.status !== 408 && xhr.status !== 429;
        error.retryAfter = xhr.status === 503 ? xhr.getResponseHeader("Retry-After") : null;
        reject(error);
      };
      xhr.onerror = function () { reject(new Error(text.retry)); };
      xhr.send(blob);
    });
  }

  function sendFile(batch, entry) {
    fileRow(entry);
    var url = batch.files_url + entry.id + "/";
    var attempts = 0;
    var waits = 0;
    function next() {
      if (entry.received >= entry.size) {
        entry.note.textContent = text.done;
        entry.bar.value = entry.size;
        return Promise.resolve();
      }
      var end = Math.min(entry.size, entry.received + chunkBytes(batch));
      var start = entry.received;
      return putChunk(entry, url, start, entry.file.slice(start, end)).then(function (state) {
        attempts = 0;
        waits = 0;
        delete stats.inflight[entry.key];
        stats.base += state.received - start;
        entry.received = state.received;
        return next();
      }, function (error) {
        var wait = askedWait(error.retryAfter, waits + 1);
        if (wait) { // the bytes reached the server: they keep counting as sent
          waits += 1;
          entry.note.textContent = text.serverWaitShort;
          return pause(wait).then(next);
        }
        delete stats.inflight[entry.key];
        attempts += 1;
        if (error.fatal || attempts > RETRIES) { throw error; }
        entry.note.textContent = text.retry;
        return new Promise(function (resolve) { setTimeout(resolve, Math.min(30000, 500 * Math.pow(2, attempts))); }).then(next);
      });
    }
    entry.note.textContent = "";
    return next();
  }

  function putParts(url, group, blob, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-Upload-Parts", group.map(function (e) {
        return e.id + ":" + e.received + ":" + (e.size - e.received);
      }).join(","));
      xhr.upload.onprogress = function (event) { onProgress(event.loaded); };
      xhr.onload = function () {
        var json = null;
        try { json = JSON.parse(xhr.responseText); } catch (e) { json = null; }
        if (xhr.status === 200 && json) { resolve(json.files); return; }
        var error = new Error((json && json.error) || String(xhr.status));
        error.fatal = xhr.status >= 400 && xhr.status < 500 && xhr.status !== 408 && xhr.status !== 429;
        error.retryAfter = xhr.status === 503 ? xhr.getResponseHeader("Retry-After") : null;
        reject(error);
      };
      xhr.onerror = function () { reject(new Error(text.retry)); };
      xhr.send(blob);
    });
  }

  // Small files go many to a request (the rest of each file, back to back).
  function sendBundle(batch, group) {
    var key = "bundle:" + group[0].key;
    var attempts = 0;
    var waits = 0;
    group.forEach(function (entry) { fileRow(entry); entry.note.textContent = ""; });
    function attempt() {
      var starts = group.map(function (e) { return e.received; });
      var blob = new Blob(group.map(function (e) { return e.file.slice(e.received, e.size); }));
      return putParts(batch.parts_url, group, blob, function (loaded) {
        stats.inflight[key] = loaded;
        var left = loaded;
        group.forEach(function (e, i) {
          var part = e.size - starts[i];
          e.bar.value = starts[i] + Math.max(0, Math.min(part, left));
          left -= part;
        });
      }).then(function (states) {
        delete stats.inflight[key];
        waits = 0;
        states.forEach(function (state, i) {
          var entry = group[i];
          stats.base += state.received - starts[i];
          entry.received = state.received;
          entry.bar.value = entry.received;
          entry.note.textContent = entry.received >= entry.size ? text.done : "";
        });
        var unfinished = group.filter(function (e) { return e.received < e.size; });
        if (unfinished.length) { group = unfinished; return attempt(); }
        return null;
      }, function (error) {
        var wait = askedWait(error.retryAfter, waits + 1);
        if (wait) { // the bytes reached the server: they keep counting as sent
          waits += 1;
          group.forEach(function (e) { e.note.textContent = text.serverWaitShort; });
          return pause(wait).then(attempt);
        }
        delete stats.inflight[key];
        attempts += 1;
        if (error.fatal || attempts > RETRIES) { throw error; }
        group.forEach(function (e) { e.note.textContent = text.retry; });
        return new Promise(function (resolve) { setTimeout(resolve, Math.min(30000, 500 * Math.pow(2, attempts))); }).then(attempt);
      });
    }
    return attempt();
  }

  function chunkBytes(batch) {
    return Math.min(CHUNK_BYTES, batch.chunk_bytes || CHUNK_BYTES);
  }

  function jobsFor(batch) {
    var limit = chunkBytes(batch);
    var jobs = [];
    var group = [];
    var groupBytes = 0;
    function flush() {
      if (group.length) { var g = group; jobs.push(function () { return sendBundle(batch, g); }); }
      group = []; groupBytes = 0;
    }
    entries.forEach(function (entry) {
      var left = entry.size - entry.received;
      if (entry.done || left <= 0) { return; }
      if (left >= limit) { jobs.push(function () { return sendFile(batch, entry); }); return; }
      if (groupBytes + left > limit || group.length >= BUNDLE_FILES) { flush(); }
      group.push(entry);
      groupBytes += left;
    });
    flush();
    return jobs;
  }

  function sendAll(batch) {
    var queue = jobsFor(batch);
    stats.total = entries.reduce(function (sum, e) { return sum + e.size; }, 0);
    stats.base = entries.reduce(function (sum, e) { return sum + (e.done ? e.size : e.received); }, 0);
    stats.samples = [];
    var timer = setInterval(showProgress, 500);
    function worker() {
      var job = queue.shift();
      if (!job) { return Promise.resolve(); }
      return job().then(worker);
    }
    var workers = [];
    for (var i = 0; i < PARALLEL; i += 1) { workers.push(worker()); }
    return Promise.all(workers).then(function () {
      clearInterval(timer); showProgress();
    }, function (error) { clearInterval(timer); throw error; });
  }

  function finish(batch) {
    totalStatus.textContent = text.sent;
    return request("POST", batch.finish_url).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) { throw new Error(json.error || String(response.status)); }
        localStorage.removeItem(STORE_KEY);
        window.location.assign(json.report_url);
      });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }
    sendErrors.textContent = "";
    if (!entries.length) { sendErrors.textContent = text.nothing; return; }
    sending = true;
    sendButton.disabled = true;
    progressBox.hidden = false;
    startBatch().then(function (batch) {
      return register(batch).then(function () { return sendAll(batch); }).then(function () { return finish(batch); });
    }).catch(function (error) {
      sending = false;
      sendButton.disabled = false;
      if (error.message !== "settings") { sendErrors.textContent = fill(text.failed, { reason: error.message }); }
    });
  });

  // Files chosen before this script ran (a slow connection, a quick hand: the inputs work without
  // it) are taken as if chosen now; otherwise their change event has passed and nothing shows.
  ["pick-files", "pick-folder"].forEach(function (id) {
    var input = document.getElementById(id);
    if (input && input.files && input.files.length) { addList(input.files); }
  });

  // --- Resuming after a reload ------------------------------------------------------------------

  (function resume() {
    var stored = null;
    try { stored = JSON.parse(localStorage.getItem(STORE_KEY) || "null"); } catch (e) { stored = null; }
    if (!stored || !stored.id) { return; }
    var url = form.dataset.stateUrl.replace("00000000-0000-0000-0000-000000000000", stored.id);
    fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (batch) {
      if (batch.state !== "open") { localStorage.removeItem(STORE_KEY); return; }
      resumable = batch;
      banner.textContent = fill(text.resume, {
        n: batch.file_count, institution: batch.institution,
        received: size(batch.bytes_received), total: size(batch.bytes_total),
      });
      banner.hidden = false;
      clearButton.hidden = false;
    }).catch(function () { localStorage.removeItem(STORE_KEY); });
  })();
})();

// ICD-10-CM search for the diagnosis fields: suggestions with descriptions from /web-api/icd10.
(function () {
  "use strict";
  var list = document.getElementById("icd10-options");
  if (!list) { return; }
  var timer = null;
  var last = "";
  function fill(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.code;
      option.label = item.code + " " + item.description + (item.also ? " (includes " + item.also + ")" : "") + (item.billable ? "" : " (category: not billable)");
      option.textContent = option.label;
      list.appendChild(option);
    });
  }
  function search(query) {
    if (query.length < 2 || query === last) { return; }
    last = query;
    fetch("/web-api/icd10?q=" + encodeURIComponent(query), { headers: { accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(fill)
      .catch(function () { fill([]); });
  }
  document.querySelectorAll("input.icd10").forEach(function (input) {
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var query = input.value.trim();
      timer = setTimeout(function () { search(query); }, 150);
    });
  });
})();

// After a check, the result is announced and focused: the verdict, else the list of fields to correct.
(function () {
  "use strict";
  var target = document.getElementById("verdict-h") || document.querySelector(".error-summary h2");
  if (target) {
    target.setAttribute("tabindex", "-1");
    target.focus();
  }
})();

// Upload: the button is disabled while the file goes up, with a progress bar; then the server's answer opens.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var button = document.getElementById("upload-button");
  var box = document.getElementById("upload-progress");
  var bar = document.getElementById("upload-bar");
  var text = document.getElementById("upload-text");
  form.addEventListener("submit", function (event) {
    var file = document.getElementById("file");
    if (!file.files || !file.files.length) { return; }  // the browser says the field is required
    event.preventDefault();
    button.disabled = true;
    button.textContent = "Uploading…";
    box.hidden = false;
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { return; }
      var share = Math.round((e.loaded / e.total) * 100);
      bar.value = share;
      text.textContent = "Uploading: " + share + "% of " + Math.round(e.total / 1e6 * 10) / 10 + " MB";
    });
    request.addEventListener("load", function () {
      if (request.responseURL && request.responseURL.indexOf("/batches/") >= 0) {
        window.location.assign(request.responseURL);
        return;
      }
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener("error", function () {
      button.disabled = false;
      button.textContent = "Upload and check";
      text.textContent = "The upload did not finish (connection lost). Choose the file and try again.";
    });
    request.send(new FormData(form));
  });
})();

// A batch being checked: poll its progress, then offer the worklist (and move focus there).
(function () {
  "use strict";
  var section = document.getElementById("batch");
  if (!section || !window.fetch) { return; }
  var bar = document.getElementById("batch-bar");
  var status = document.getElementById("batch-status");
  var done = document.getElementById("batch-done");
  function words(p) {
    var claims = p.claims_done.toLocaleString("en-US") + (p.claims_done === 1 ? " claim" : " claims");
    var bad = p.unreadable ? " (" + p.unreadable + " could not be read)" : "";
    if (p.status === "queued") { return "Waiting for the file before it to finish."; }
    if (p.status === "failed") { return "Stopped after " + claims + ". " + p.message; }
    if (p.status === "done") { return "Done: " + claims + " checked" + bad + "."; }
    var eta = p.eta_seconds === null ? "" : (p.eta_seconds >= 60 ? ", about " + Math.floor(p.eta_seconds / 60) + " min " + (p.eta_seconds % 60) + " s left" : ", about " + p.eta_seconds + " s left");
    return "Checking: " + claims + " checked" + bad + ", " + p.percent + "% of the file" + eta + ".";
  }
  function poll() {
    fetch(section.getAttribute("data-progress"), { headers: { accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        status.textContent = words(p);
        if (p.status === "done") {
          done.hidden = false;
          document.getElementById("to-worklist").focus();
        } else if (p.status !== "failed") {
          setTimeout(poll, 700);
        }
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  if (section.getAttribute("data-status") === "queued" || section.getAttribute("data-status") === "running") { poll(); }
})();

// Worklist: one box selects every claim on the page.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("#worklist tbody input[name=id]").forEach(function (box) { box.checked = all.checked; });
  });
})();

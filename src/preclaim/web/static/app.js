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
      option.label = item.code + " " + item.description + (item.billable ? "" : " (category: not billable)");
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

/* Click-to-sort for tables with class "sortable" (the 总览 unit tables). Each cell carries its sort value in
   data-value (numbers as plain numbers, empty when missing); a header with data-sort="num" sorts numerically.
   A first click sorts descending for numbers (largest first) and ascending for text; a second click reverses.
   Missing values always go last. No dependencies. */
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell ? (cell.getAttribute("data-value") || "") : "";
    if (raw === "") { return null; }
    if (!numeric) { return raw; }
    var n = parseFloat(raw);
    return isNaN(n) ? null : n;
  }

  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var numeric = th.getAttribute("data-sort") === "num";
    var current = th.getAttribute("aria-sort");
    var ascending = current ? current === "descending" : !numeric;
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, i) {
      return { row: row, value: cellValue(row, index, numeric), at: i };
    });
    rows.sort(function (a, b) {
      if (a.value === null || b.value === null) {
        if (a.value === b.value) { return a.at - b.at; }
        return a.value === null ? 1 : -1;
      }
      var d = numeric ? a.value - b.value : a.value.localeCompare(b.value, "zh-Hans-CN");
      if (d === 0) { return a.at - b.at; }
      return ascending ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
      Array.prototype.forEach.call(table.querySelectorAll("thead th[data-sort]"), function (th) {
        th.classList.add("sort-head");
        th.setAttribute("tabindex", "0");
        th.setAttribute("title", "点击排序");
        th.addEventListener("click", function () { sortBy(table, th); });
        th.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th); }
        });
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

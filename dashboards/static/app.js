/* Haocha dashboard behaviour: draws Plotly figures from data-figure attributes, marks busy forms.
   No inline scripts anywhere (the CSP forbids them); this file and plotly.min.js are served locally. */
(function () {
  "use strict";

  function drawCharts() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var fig;
      try { fig = JSON.parse(el.getAttribute("data-figure")); } catch (e) { return; }
      window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, {
        displaylogo: false,
        locale: "zh-CN",
        responsive: true,
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"]
      }).then(function () { drillDown(el); });
    });
  }

  /* A mark whose customdata is (or starts with) a drill-down URL opens it on click. Only same-site paths of
     the records explorer are followed, so data can never send the browser elsewhere. */
  function drillLink(point) {
    var c = point && point.customdata;
    var url = Array.isArray(c) ? c[0] : c;
    if (typeof url !== "string" || url.indexOf("/records?") !== 0) { return null; }
    return url;
  }

  function drillDown(el) {
    if (typeof el.on !== "function") { return; }
    el.on("plotly_click", function (ev) {
      var url = ev && ev.points && ev.points.length ? drillLink(ev.points[0]) : null;
      if (url) { window.location.assign(url); }
    });
    el.on("plotly_hover", function (ev) {
      el.style.cursor = ev && ev.points && drillLink(ev.points[0]) ? "pointer" : "";
    });
    el.on("plotly_unhover", function () { el.style.cursor = ""; });
  }

  function busyForms() {
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          b.disabled = true;
          b.textContent = form.getAttribute("data-busy");
        });
      });
    });
  }

  function start() { drawCharts(); busyForms(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

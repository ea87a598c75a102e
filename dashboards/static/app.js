/* Haocha dashboard behaviour: draws Plotly figures from data-figure attributes (Chinese locale), turns filter
   multi-selects into searchable fields with removable chips (tom-select), folds the main menu on narrow screens,
   marks busy forms. No inline scripts anywhere (the CSP forbids them); every script is served locally. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");  // styles that need this script (the folded menu) apply

  /* On a narrow screen a time axis gets fewer ticks (about one per 80 px), so its dates stay level and
     readable instead of being stood on end to fit; axes with their own tick values keep them. */
  function fitTimeAxes(layout, width) {
    if (!width || width >= 640) { return; }
    Object.keys(layout).forEach(function (key) {
      var axis = layout[key];
      if (key.indexOf("xaxis") !== 0 || !axis || String(axis.tickformat || "").indexOf("%") < 0 || axis.tickvals) {
        return;  // not a date axis, or one with its own ticks
      }
      axis.nticks = Math.max(3, Math.floor(width / 80));
      axis.tickangle = 0;
    });
  }

  /* On a phone (a chart under 480 px wide; a desktop's half-width chart is wider) a chart with a y axis on
     each side keeps its plot wide: each axis's title, which stood on end beside its ticks and took about a
     quarter of the width, becomes a level caption over its side of the plot (the titles are the figure's own
     fixed words, never data), and ticks and legend get a smaller font. */
  function levelAxisTitles(layout, width) {
    var right = layout.yaxis2;
    if (!width || width >= 480 || !right || right.overlaying !== "y") { return; }
    var notes = (layout.annotations || []).slice();
    [["yaxis", 0, "left"], ["yaxis2", 1, "right"]].forEach(function (side) {
      var axis = layout[side[0]];
      var title = axis && axis.title && axis.title.text;
      if (!title) { return; }
      axis.title = { text: "" };
      notes.push({ text: title, showarrow: false, xref: "paper", yref: "paper", x: side[1], y: 1,
                   xanchor: side[2], yanchor: "bottom", yshift: 8, font: { size: 14, color: "#4a5361" } });
    });
    layout.annotations = notes;
    layout.margin = Object.assign({}, layout.margin || {}, { l: 8, r: 8, t: Math.max((layout.margin || {}).t || 0, 90) });
    layout.font = Object.assign({}, layout.font || {}, { size: 14 });  // ticks and legend; the title keeps its own
    if (layout.xaxis && layout.xaxis.domain) { layout.xaxis.domain = [0, 1]; }  // the right axis is automargined
  }

  function drawCharts() {
    if (typeof window.Plotly === "undefined") { return; }
    document.querySelectorAll("[data-figure]").forEach(function (el) {
      var fig;
      try { fig = JSON.parse(el.getAttribute("data-figure")); } catch (e) { return; }
      fig.layout = fig.layout || {};
      fitTimeAxes(fig.layout, el.clientWidth);
      levelAxisTitles(fig.layout, el.clientWidth);
      window.Plotly.newPlot(el, fig.data || [], fig.layout, {
        displaylogo: false,
        locale: "zh-CN",
        responsive: true,
        // sendChartToCloud would upload the figure's data to Plotly Cloud: nothing leaves the site
        modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines", "sendChartToCloud"]
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

  /* Every select[data-multi] of a filter bar: type to search, chips with a 移除 button, the dropdown stays open
     while picking several. Option texts are data: tom-select escapes them when it renders. */
  function multiSelects() {
    if (typeof window.TomSelect === "undefined") { return; }
    document.querySelectorAll("select[data-multi]").forEach(function (el) {
      new window.TomSelect(el, {
        plugins: { remove_button: { title: "移除" } },
        placeholder: el.getAttribute("data-placeholder") || "",
        hidePlaceholder: true,
        closeAfterSelect: false,
        maxOptions: null,
        render: {
          no_results: function () { return '<div class="no-results">没有匹配的选项</div>'; }
        }
      });
    });
  }

  /* 菜单 button: on a narrow screen the main menu is folded until asked for. */
  function navToggle() {
    var button = document.getElementById("nav-toggle");
    var nav = document.getElementById("mainnav");
    if (!button || !nav) { return; }
    button.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  function start() { navToggle(); multiSelects(); drawCharts(); busyForms(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

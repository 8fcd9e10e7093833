// OpsPortal chart layer: draws every <figure data-opsportal-chart="ID"> from the JSON in <script id="ID">
// (written by Django's json_script). Colours follow the admin's theme (data-theme or prefers-color-scheme).
(function () {
  "use strict";
  var PALETTE = ["#2f7ed8", "#d9534f", "#f0ad4e", "#5cb85c", "#8e44ad", "#16a085", "#e67e22", "#7f8c8d"];
  var charts = [];

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
    return value || fallback;
  }

  function themeColours() {
    return { text: cssVar("--body-fg", "#333"), grid: cssVar("--hairline-color", "#e8e8e8") };
  }

  function config(spec) {
    var colours = themeColours();
    var stacked = spec.kind === "stacked_bar";
    var datasets = spec.series.map(function (s, i) {
      var colour = s.color || PALETTE[i % PALETTE.length];
      var type = s.kind || (spec.kind === "line" ? "line" : "bar");
      return {
        type: type, label: s.label, data: s.values, borderColor: colour, backgroundColor: colour,
        borderDash: s.dashed ? [6, 4] : [], borderWidth: s.dashed ? 1 : 2, spanGaps: false,
        pointRadius: s.points_only ? 6 : (type === "line" ? 0 : undefined), pointStyle: s.points_only ? "triangle" : "circle",
        showLine: !s.points_only, stack: stacked && type === "bar" ? (s.stack || "all") : undefined
      };
    });
    var axis = function (title, extra) {
      return Object.assign({ stacked: stacked, ticks: { color: colours.text }, grid: { color: colours.grid },
        title: { display: !!title, text: title, color: colours.text } }, extra || {});
    };
    var y = {};
    if (spec.y_min !== null) { y.min = spec.y_min; }
    if (spec.y_max !== null) { y.max = spec.y_max; }
    return {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { color: colours.text } } },
        scales: { x: axis(spec.x_label), y: axis(spec.y_label, y) }
      }
    };
  }

  function drawAll() {
    if (typeof window.Chart === "undefined") { return; }
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    document.querySelectorAll("figure[data-opsportal-chart]").forEach(function (figure) {
      var data = document.getElementById(figure.getAttribute("data-opsportal-chart"));
      var canvas = figure.querySelector("canvas");
      if (!data || !canvas) { return; }
      charts.push(new window.Chart(canvas, config(JSON.parse(data.textContent))));
    });
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  // Redraw with the new colours when the admin's theme toggle or the system preference changes.
  new MutationObserver(drawAll).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  if (window.matchMedia) {
    var media = window.matchMedia("(prefers-color-scheme: dark)");
    if (media.addEventListener) { media.addEventListener("change", drawAll); }
  }
  window.opsportalCharts = { redraw: drawAll, drawn: function () { return charts.length; } };
})();

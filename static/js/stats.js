/* Draws each statistics chart (ECharts) from the JSON the page carries in a json_script
 * element next to it. No inline script: the page only names its data. */
(function () {
  "use strict";

  function option(data) {
    var axisLabel = { interval: 0, rotate: data.labels.length > 6 ? 45 : 0, fontSize: 10 };
    if (data.kind === "pie") {
      return {
        tooltip: { trigger: "item" },
        series: [{
          type: "pie",
          radius: ["30%", "65%"],
          data: data.labels.map(function (label, i) { return { name: label, value: data.values[i] }; }),
          label: { fontSize: 10 }
        }]
      };
    }
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 10, top: 10, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: data.labels, axisLabel: axisLabel },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: data.kind === "line" ? "line" : "bar", data: data.values }]
    };
  }

  function draw(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      el.style.width = "100%";
      el.style.height = "260px";
      var existing = window.echarts.getInstanceByDom(el);
      if (existing) { existing.dispose(); }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(option(JSON.parse(source.textContent)));
    });
  }

  function resize() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = window.echarts && window.echarts.getInstanceByDom(el);
      if (chart) { chart.resize(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (event) { draw(event.target); });
  window.addEventListener("resize", resize);
}());

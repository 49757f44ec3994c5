// A well's daily electricity consumption (ECharts, as the dashboard), with
// the closure steps marked. The figures are in the page (#meter-data); the
// table beside the chart holds them too.
(function () {
  "use strict";
  var element = document.getElementById("meter-chart");
  var source = document.getElementById("meter-data");
  if (!element || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(element, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    grid: { left: 44, right: 16, top: 28, bottom: 40 },
    xAxis: { type: "time" },
    yAxis: { type: "value", name: data.labels.kwh },
    series: [
      {
        type: "bar",
        name: data.labels.kwh,
        data: data.days,
        itemStyle: { color: "#1565c0" },
        markLine: {
          symbol: "none",
          label: { formatter: "{b}", fontSize: 10 },
          lineStyle: { color: "#c62828", type: "dashed" },
          data: data.marks.map(function (mark) {
            return { xAxis: mark.day, name: mark.name };
          }),
        },
      },
    ],
  });
  element.setAttribute("data-drawn", "true");
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();

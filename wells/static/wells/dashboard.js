// The leaders' dashboard: charts (ECharts) and the map (Leaflet) drawn from
// the figures the server counted, which the page carries as JSON. The
// figures themselves are in the page's HTML; this only draws them.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var labels = data.labels;
  var charts = [];

  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) return;
    var instance = window.echarts.init(element, null, { renderer: "canvas" });
    // No animation: the chart is complete as soon as it is drawn (and in
    // a screenshot).
    option.animation = false;
    instance.setOption(option);
    charts.push(instance);
    element.setAttribute("data-drawn", "true");
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  // Planned and actual cumulative closures toward the deadline. Both stay
  // level after their last change: carry them on to today.
  var progress = data.progress;
  [progress.planned, progress.actual].forEach(function (series) {
    var last = series[series.length - 1];
    // Points are [ISO date, count]; ISO dates compare as text.
    if (last && last[0] < progress.today) series.push({ value: [progress.today, last[1]], symbol: "none" });
  });
  var marks = [];
  if (progress.deadline) marks.push({ xAxis: progress.deadline, name: labels.deadline, lineStyle: { color: "#c62828" } });
  marks.push({ xAxis: progress.today, name: labels.today, lineStyle: { color: "#888", type: "dotted" } });
  chart("chart-progress", {
    tooltip: { trigger: "axis" },
    legend: { data: [labels.planned, labels.actual], top: 0 },
    grid: { left: 40, right: 24, top: 36, bottom: 40 },
    // A month beyond the campaign deadline, so its line is not at the edge.
    xAxis: {
      type: "time",
      max: function (extent) {
        var deadline = progress.deadline ? Date.parse(progress.deadline) : extent.max;
        return Math.max(extent.max, deadline) + 31 * 24 * 3600 * 1000;
      },
    },
    yAxis: { type: "value", minInterval: 1, name: labels.wells },
    series: [
      {
        name: labels.planned,
        type: "line",
        step: "end",
        symbol: "none",
        lineStyle: { type: "dashed", color: "#8c8c8c" },
        itemStyle: { color: "#8c8c8c" },
        data: progress.planned,
        markLine: {
          symbol: "none",
          label: { formatter: "{b}", position: "insideEndTop" },
          data: marks,
        },
      },
      {
        name: labels.actual,
        type: "line",
        step: "end",
        symbolSize: 6,
        lineStyle: { width: 3, color: "#2e8b3e" },
        itemStyle: { color: "#2e8b3e" },
        areaStyle: { color: "rgba(46, 139, 62, 0.12)" },
        data: progress.actual,
      },
    ],
  });

  // Completion rate by responsible unit, late units in red.
  var units = data.units.slice().reverse();
  chart("chart-units", {
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      valueFormatter: function (value) { return value === null ? "—" : value.toFixed(1) + "%"; },
    },
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: {
      type: "category",
      data: units.map(function (unit) { return unit.name; }),
      axisLabel: { width: 140, overflow: "truncate" },
    },
    series: [
      {
        name: labels.completion,
        type: "bar",
        data: units.map(function (unit) {
          return {
            value: unit.rate === null ? 0 : Math.round(unit.rate * 1000) / 10,
            itemStyle: { color: unit.late ? "#d32f2f" : "#2e8b3e" },
          };
        }),
        label: {
          show: true,
          position: "right",
          formatter: function (params) { return percent(units[params.dataIndex].rate); },
        },
      },
    ],
  });

  // The status funnel: wells to close that reached each step.
  chart("chart-funnel", {
    tooltip: { trigger: "item", formatter: "{b}: {c}" },
    series: [
      {
        type: "funnel",
        sort: "none",
        min: 0,
        max: Math.max(1, data.funnel.length ? data.funnel[0].count : 1),
        minSize: "8%",
        left: "10%",
        width: "80%",
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: data.funnel.map(function (stage) { return { name: stage.label, value: stage.count }; }),
        color: ["#8c8c8c", "#e8890c", "#2f7ed8", "#7b52c7", "#2e8b3e"],
      },
    ],
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (instance) { instance.resize(); });
  });

  // A township's colour on the map: red while little is done, green when all is.
  function rateColour(rate) {
    if (rate === null) { return "#8c8c8c"; }
    if (rate >= 0.9) { return "#2e8b3e"; }
    if (rate >= 0.6) { return "#c9a400"; }
    if (rate >= 0.3) { return "#e8890c"; }
    return "#d32f2f";
  }

  // The map: one circle per well, coloured by status. Without a tile
  // server (closed networks) the circles and the legend still show.
  var mapElement = document.getElementById("well-map");
  if (mapElement && window.L) {
    var map = window.L.map(mapElement, { attributionControl: Boolean(data.tiles.url), preferCanvas: false });
    if (data.tiles.url) {
      window.L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    } else {
      mapElement.classList.add("no-tiles");
    }
    var markers = data.points.map(function (point) {
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = data.wellUrl.replace("__code__", encodeURIComponent(point.code));
      link.textContent = point.code;
      var owner = document.createElement("div");
      owner.textContent = point.owner;
      var status = document.createElement("div");
      status.textContent = labels.statuses[point.status] || point.status;
      popup.append(link, owner, status);
      return window.L.circleMarker([point.lat, point.lng], {
        radius: 8,
        color: "#1f1f1f",
        weight: 1,
        fillColor: data.colours[point.status] || "#444",
        fillOpacity: 0.9,
        className: "well-marker well-marker-" + point.status,
      }).bindPopup(popup);
    });
    // A campaign of many thousand wells: one circle per township, at the
    // centre of its wells, sized by their number, coloured by completion.
    var largest = Math.max.apply(null, [1].concat(data.areas.map(function (area) { return area.wells; })));
    data.areas.forEach(function (area) {
      var popup = document.createElement("div");
      var title = document.createElement(area.url ? "a" : "strong");
      if (area.url) { title.href = area.url; }
      title.textContent = area.name;
      popup.append(title);
      [
        [labels.wells, area.total],
        [labels.toClose, area.to_close],
        [labels.statuses.accepted, area.accepted],
        [labels.overdue, area.overdue],
        [labels.completion, area.rate === null ? "–" : (area.rate * 100).toFixed(1) + "%"],
      ].forEach(function (line) {
        var row = document.createElement("div");
        row.textContent = line[0] + "：" + line[1];
        popup.append(row);
      });
      markers.push(window.L.circleMarker([area.lat, area.lng], {
        radius: 6 + 18 * Math.sqrt(area.wells / largest),
        color: "#1f1f1f",
        weight: 1,
        fillColor: rateColour(area.rate),
        fillOpacity: 0.75,
        className: "well-area",
      }).bindPopup(popup));
    });
    var group = window.L.featureGroup(markers).addTo(map);
    if (markers.length) {
      map.fitBounds(group.getBounds().pad(0.15), { maxZoom: 15 });
    } else {
      map.setView([35.0, 105.0], 4);
    }
    mapElement.setAttribute("data-markers", String(markers.length));
  }
})();

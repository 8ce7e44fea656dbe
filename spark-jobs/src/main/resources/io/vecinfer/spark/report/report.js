// Draws the report's charts with ECharts from the data the report job embedded (#report-data). Each chart's
// data series has id "data:<i>"; a line's error bars are the custom series "error:<i>" beside it.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);

  function errorBar(params, api) {
    var x = api.value(0), low = api.coord([x, api.value(1)]), high = api.coord([x, api.value(2)]);
    var half = 4, style = {stroke: api.visual('color'), lineWidth: 1.2};
    return {type: 'group', children: [
      {type: 'line', shape: {x1: low[0], y1: low[1], x2: high[0], y2: high[1]}, style: style},
      {type: 'line', shape: {x1: low[0] - half, y1: low[1], x2: low[0] + half, y2: low[1]}, style: style},
      {type: 'line', shape: {x1: high[0] - half, y1: high[1], x2: high[0] + half, y2: high[1]}, style: style}
    ]};
  }

  function fmt(v) {
    if (v === null || v === undefined) return '–';
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(2) : (+v.toFixed(4)).toString();
  }

  function base(chart) {
    return {
      animation: false,
      title: {text: chart.title, left: 'center', textStyle: {fontSize: 13}},
      grid: {left: 64, right: 16, top: 36, bottom: 96},
      legend: {type: 'scroll', bottom: 0, textStyle: {fontSize: 10}},
      tooltip: {trigger: 'item'},
      yAxis: {type: 'value', name: chart.yName, nameLocation: 'middle', nameGap: 48, scale: true}
    };
  }

  function lineOption(chart) {
    var option = base(chart);
    option.xAxis = chart.xAxis === 'log2'
      // Padding around the points, so that none sits on an axis.
      ? {type: 'log', logBase: 2, name: chart.xName, nameLocation: 'middle', nameGap: 26,
         min: function (v) { return v.min / 1.4; }, max: function (v) { return v.max * 1.4; },
         axisLabel: {formatter: fmt, showMinLabel: false, showMaxLabel: false}}
      : {type: 'value', name: chart.xName, nameLocation: 'middle', nameGap: 26, scale: true};
    option.series = [];
    chart.series.forEach(function (s, i) {
      option.series.push({
        id: 'data:' + i, name: s.name, type: 'line', symbolSize: 7,
        data: s.points.map(function (p) { return [p.x, p.y, p.error]; }),
        tooltip: {formatter: function (q) {
          return q.seriesName + '<br>' + chart.xName + ' ' + fmt(q.value[0]) + ': ' + fmt(q.value[1])
            + (q.value[2] === null || q.value[2] === undefined ? '' : ' ± ' + fmt(q.value[2]));
        }}
      });
      var withError = s.points.filter(function (p) { return p.error !== null && p.error !== undefined; });
      if (withError.length > 0) {
        option.series.push({
          id: 'error:' + i, name: s.name, type: 'custom', renderItem: errorBar, encode: {x: 0, y: [1, 2]}, silent: true,
          data: withError.map(function (p) { return [p.x, p.y - p.error, p.y + p.error]; }), z: 1
        });
      }
    });
    return option;
  }

  function barOption(chart) {
    var option = base(chart);
    option.xAxis = {type: 'category', data: chart.xCategories, name: chart.xName, nameLocation: 'middle', nameGap: 26};
    option.series = chart.series.map(function (s, i) {
      return {
        id: 'data:' + i, name: s.name, type: 'bar',
        data: s.points.map(function (p) { return [p.x, p.y, p.error]; }),
        tooltip: {formatter: function (q) {
          return q.seriesName + '<br>' + chart.xCategories[q.value[0]] + ': ' + fmt(q.value[1])
            + (q.value[2] === null || q.value[2] === undefined ? '' : ' ± ' + fmt(q.value[2]));
        }}
      };
    });
    return option;
  }

  function heatmapOption(chart) {
    var option = base(chart);
    option.grid.bottom = 56;
    option.legend = {show: false};
    option.xAxis = {type: 'category', data: chart.xCategories, name: chart.xName, nameLocation: 'middle', nameGap: 26};
    option.yAxis = {type: 'category', data: chart.yCategories, name: chart.yName, nameLocation: 'middle', nameGap: 48};
    option.visualMap = {min: 0, max: 1, calculable: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 80,
      inRange: {color: ['#b2182b', '#f7f7f7', '#2166ac']}};
    option.series = chart.series.map(function (s, i) {
      return {id: 'data:' + i, name: s.name, type: 'heatmap', label: {show: true, formatter: function (q) { return fmt(q.value[2]); }},
        data: s.points.map(function (p) { return [p.x, p.y, p.value]; })};
    });
    return option;
  }

  var builders = {line: lineOption, bar: barOption, heatmap: heatmapOption};
  data.charts.forEach(function (chart) {
    var section = document.getElementById('charts-' + chart.section);
    var box = document.createElement('div');
    box.className = 'chart';
    box.id = 'chart-' + chart.id;
    box.setAttribute('data-chart', chart.id);
    section.appendChild(box);
    var instance = echarts.init(box, null, {renderer: 'canvas'});
    instance.setOption(builders[chart.kind](chart));
  });
  document.querySelectorAll('.charts').forEach(function (section) {
    if (section.children.length === 0) {
      var note = document.createElement('p');
      note.className = 'empty';
      note.textContent = section.getAttribute('data-empty');
      section.appendChild(note);
    }
  });
  document.body.setAttribute('data-charts-drawn', String(data.charts.length));
})();

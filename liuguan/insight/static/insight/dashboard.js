/* Macro decision: draws every panel of the dashboard with ECharts from the json_script data "insight-panels".
 *
 * Panels are plain data (insight/panels.py PanelData: kind, categories, keys, series, total, figures); each is
 * drawn by its kind, so a new panel appears without a change here. Special cases: "drill" (a click on a bar
 * opens that child area), "pyramid" (men to the left, women to the right) and the forecast (a band).
 */
(function () {
  "use strict";

  var node = document.getElementById("insight-panels");
  if (!node || typeof window.echarts === "undefined") {
    return;
  }
  var config = JSON.parse(node.textContent);
  var labels = config.labels || {};
  var PALETTE = ["#0b57a4", "#b3261e", "#1e7a3a", "#9a6700", "#6a3d9a", "#00838f", "#5d6b7a", "#c2185b"];
  var ROW = 24; // pixels per category of a horizontal bar chart
  var charts = [];

  function fmt(value) {
    if (typeof value !== "number") {
      return value === null || value === undefined ? "" : String(value);
    }
    return value.toLocaleString();
  }

  function chartNode(name) {
    return document.querySelector('.chart[data-chart="' + name + '"]');
  }

  function wide(categories) {
    if (categories.length > 6) {
      return true;
    }
    return categories.some(function (c) {
      return String(c).length > 6;
    });
  }

  function drillUrl(code) {
    var query = new URLSearchParams(window.location.search);
    query.set("area", code);
    return "?" + query.toString();
  }

  function maxOf(list) {
    return list.reduce(function (m, v) {
      return typeof v === "number" && v > m ? v : m;
    }, 0);
  }

  function base(panel) {
    return {
      color: PALETTE,
      animationDuration: 300,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: fmt },
      legend: panel.series.length > 1 ? { top: 0, type: "scroll" } : undefined,
      grid: { left: 8, right: 28, top: panel.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true },
    };
  }

  function barOption(panel, horizontal) {
    var option = base(panel);
    var category = {
      type: "category",
      data: panel.categories,
      inverse: horizontal,
      axisLabel: horizontal ? { width: 120, overflow: "truncate" } : { interval: 0, rotate: wide(panel.categories) ? 30 : 0 },
    };
    var value = { type: "value" };
    option.xAxis = horizontal ? value : category;
    option.yAxis = horizontal ? category : value;
    option.series = panel.series.map(function (s) {
      return {
        name: s.name,
        type: s.kind === "line" ? "line" : "bar",
        stack: s.stack || undefined,
        data: s.data,
        barMaxWidth: 26,
        label: horizontal && panel.series.length === 1 ? { show: true, position: "right", formatter: function (p) { return fmt(p.value); } } : undefined,
      };
    });
    return option;
  }

  function monthly(panel) {
    return panel.keys.length > 1 && panel.keys.every(function (k) { return /^(19|20)\d\d(0[1-9]|1[0-2])$/.test(k); /* yyyymm; no division code starts 19 or 20 */ });
  }

  function timeOption(panel) {
    /* A monthly series (kind "line", or bars keyed by month): time runs left to right, the last 36 months shown.
     * A second axis when the two kinds differ in scale: a rate (at most 1) drawn as a line over counts, or a
     * stock line that dwarfs the monthly bars. */
    var fallback = panel.kind === "line" ? "line" : "bar";
    var kindOf = function (s) { return s.kind === "line" || s.kind === "bar" ? s.kind : fallback; };
    var option = base(panel);
    option.tooltip = { trigger: "axis", valueFormatter: fmt };
    var lines = panel.series.filter(function (s) { return kindOf(s) === "line"; });
    var bars = panel.series.filter(function (s) { return kindOf(s) === "bar"; });
    var lineMax = maxOf([].concat.apply([], lines.map(function (s) { return s.data; })));
    var barMax = maxOf([].concat.apply([], bars.map(function (s) { return s.data; })));
    var both = bars.length > 0 && lines.length > 0;
    var rate = both && lineMax <= 1 && barMax > 1;
    var dwarf = both && !rate && lineMax > 4 * Math.max(barMax, 1);
    var second = function (s) { return (rate && kindOf(s) === "line") || (dwarf && kindOf(s) === "bar") ? 1 : 0; };
    option.grid.bottom = 48;
    option.xAxis = { type: "category", data: panel.categories, boundaryGap: bars.length > 0 };
    var axis2 = { type: "value", splitLine: { show: false } };
    if (rate) {
      axis2.max = 1;
      axis2.axisLabel = { formatter: function (v) { return Math.round(v * 100) + "%"; } };
    }
    option.yAxis = rate || dwarf ? [{ type: "value" }, axis2] : { type: "value" };
    var shown = Math.min(panel.categories.length, 36);
    option.dataZoom = [
      { type: "inside", startValue: Math.max(panel.categories.length - shown, 0) },
      { type: "slider", height: 18, bottom: 6, startValue: Math.max(panel.categories.length - shown, 0) },
    ];
    option.series = panel.series.map(function (s) {
      var kind = kindOf(s);
      return {
        name: s.name,
        type: kind,
        stack: s.stack || undefined,
        areaStyle: s.stack && kind === "line" ? {} : undefined,
        yAxisIndex: second(s),
        showSymbol: false,
        barMaxWidth: 26,
        data: s.data,
      };
    });
    return option;
  }

  function pieOption(name, pairs) {
    return {
      color: PALETTE,
      animationDuration: 300,
      tooltip: { trigger: "item", valueFormatter: fmt },
      legend: { type: "scroll", bottom: 0 },
      series: [
        {
          name: name,
          type: "pie",
          radius: ["35%", "65%"],
          center: ["50%", "45%"],
          data: pairs.map(function (p) { return { name: p[0], value: p[1] }; }),
          label: { formatter: "{b}: {c}" },
        },
      ],
    };
  }

  function pyramidOption(panel) {
    /* Two-sided bars: the first series (men) drawn to the left as negative numbers, shown without the sign. */
    var option = base(panel);
    option.tooltip = {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      valueFormatter: function (v) { return fmt(Math.abs(v)); },
    };
    option.xAxis = { type: "value", axisLabel: { formatter: function (v) { return fmt(Math.abs(v)); } } };
    option.yAxis = { type: "category", data: panel.categories, axisTick: { show: false } };
    option.series = panel.series.map(function (s, index) {
      return {
        name: s.name,
        type: "bar",
        stack: "pyramid",
        barCategoryGap: "10%",
        data: index === 0 ? s.data.map(function (v) { return -v; }) : s.data,
      };
    });
    return option;
  }

  function draw(dom, option, height) {
    if (height) {
      dom.style.height = height + "px";
    }
    var chart = window.echarts.init(dom, null, { renderer: "canvas" });
    chart.setOption(option);
    charts.push(chart);
    chart.on("finished", function () {
      dom.setAttribute("data-ready", "1");
    });
    return chart;
  }

  function drawPanel(panel) {
    var dom = chartNode(panel.name);
    if (!dom) {
      return;
    }
    if (!panel.categories.length || !panel.series.length || panel.kind === "table") {
      dom.hidden = true;
      return;
    }
    var chart;
    if (panel.kind === "drill") {
      chart = draw(dom, barOption(panel, true), Math.max(180, panel.categories.length * ROW + 40));
      dom.classList.add("clickable");
      chart.on("click", function (params) {
        var code = panel.keys[params.dataIndex];
        if (code) {
          window.location.href = drillUrl(code);
        }
      });
    } else if (panel.kind === "pyramid") {
      draw(dom, pyramidOption(panel), Math.max(260, panel.categories.length * 18 + 50));
    } else if (panel.kind === "pie") {
      var pairs = panel.categories.map(function (c, i) { return [c, panel.series[0].data[i]]; });
      draw(dom, pieOption(panel.title, pairs), 300);
    } else if (panel.kind === "line" || monthly(panel)) {
      draw(dom, timeOption(panel), 320);
    } else {
      var horizontal = wide(panel.categories);
      draw(dom, barOption(panel, horizontal), horizontal ? Math.max(180, panel.categories.length * ROW * Math.max(panel.series.length / 2, 1) + 50) : 280);
    }
    drawFigureLists(panel, dom);
  }

  function drawFigureLists(panel, dom) {
    /* A figure that is a list of (label, number) pairs (origins by province, say) gets a pie of its own. */
    Object.keys(panel.figures || {}).forEach(function (key) {
      var value = panel.figures[key];
      if (!Array.isArray(value) || value.length < 2 || !Array.isArray(value[0])) {
        return;
      }
      var top = value.slice(0, 10);
      var rest = value.slice(10).reduce(function (sum, p) { return sum + (p[1] || 0); }, 0);
      if (rest) {
        top.push([labels.other || "…", rest]);
      }
      var extra = document.createElement("div");
      extra.className = "chart chart-extra";
      extra.setAttribute("data-chart", panel.name + "." + key);
      dom.parentNode.insertBefore(extra, dom.nextSibling);
      draw(extra, pieOption((config.figure_labels || {})[key] || key, top), 300);
    });
  }

  function forecastOption(forecast) {
    /* Observed months, then the forecast with its 95% and 80% bands (stacked areas: lower edge + width). */
    var months = forecast.months;
    var ahead = (forecast.mean || []).length;
    var start = months.length - ahead;
    function pad(list) {
      return new Array(start).fill(null).concat(list);
    }
    var observed = labels.observed || "observed";
    var predicted = labels.forecast || "forecast";
    var last = forecast.observed.length ? forecast.observed[forecast.observed.length - 1] : null;
    var series = [{ name: observed, type: "line", showSymbol: false, data: forecast.observed }];
    [["lower95", "upper95", "95%", 0.15], ["lower80", "upper80", "80%", 0.3]].forEach(function (band) {
      var lo = forecast[band[0]] || [];
      var hi = forecast[band[1]] || [];
      if (!lo.length) {
        return;
      }
      series.push({ name: band[2], type: "line", stack: band[2], symbol: "none", lineStyle: { opacity: 0 }, data: pad(lo) });
      series.push({
        name: band[2],
        type: "line",
        stack: band[2],
        symbol: "none",
        lineStyle: { opacity: 0 },
        areaStyle: { color: "#0b57a4", opacity: band[3] },
        data: pad(hi.map(function (h, i) { return Math.round((h - lo[i]) * 10) / 10; })),
      });
    });
    if (ahead) {
      /* The dashed line starts at the last observed month so the two lines join. */
      var joined = new Array(Math.max(start - 1, 0)).fill(null).concat([last]).concat(forecast.mean);
      series.push({ name: predicted, type: "line", lineStyle: { type: "dashed" }, showSymbol: false, data: joined });
    }
    return {
      color: PALETTE,
      animationDuration: 300,
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var i = items.length ? items[0].dataIndex : 0;
          var lines = [months[i]];
          if (i < start) {
            lines.push(observed + ": " + fmt(forecast.observed[i]));
          } else {
            var k = i - start;
            lines.push(predicted + ": " + fmt(forecast.mean[k]));
            if (forecast.lower80.length) {
              lines.push("80%: " + fmt(forecast.lower80[k]) + " – " + fmt(forecast.upper80[k]));
              lines.push("95%: " + fmt(forecast.lower95[k]) + " – " + fmt(forecast.upper95[k]));
            }
          }
          return lines.join("<br>");
        },
      },
      legend: { top: 0, data: [observed, predicted, "80%", "95%"] },
      grid: { left: 8, right: 28, top: 32, bottom: 12, containLabel: true },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: { type: "value", scale: true },
      series: series,
    };
  }

  function forecastCard() {
    /* The forecast is fetched apart from the panels: a fit takes seconds the first time in a month. */
    var card = document.querySelector("[data-forecast-url]");
    if (!card) {
      return;
    }
    var dom = card.querySelector('.chart[data-chart="forecast"]');
    var wait = card.querySelector("[data-testid=forecast-wait]");
    var method = card.querySelector("[data-testid=forecast-method]");
    var note = card.querySelector("[data-testid=forecast-note]");
    var errors = card.querySelector("[data-testid=forecast-errors]");
    var chart = null;

    function show(series) {
      wait.hidden = false;
      card.querySelectorAll("[data-series]").forEach(function (b) {
        b.setAttribute("aria-pressed", b.getAttribute("data-series") === series ? "true" : "false");
      });
      fetch(card.getAttribute("data-forecast-url") + "&series=" + encodeURIComponent(series), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (forecast) {
          wait.hidden = true;
          dom.style.height = "320px";
          if (!chart) {
            chart = window.echarts.init(dom, null, { renderer: "canvas" });
            charts.push(chart);
            chart.on("finished", function () { dom.setAttribute("data-ready", "1"); });
          }
          chart.setOption(forecastOption(forecast), true);
          method.textContent = forecast.method;
          note.textContent = forecast.note || "";
          var body = errors.querySelector("tbody");
          body.textContent = "";
          Object.keys(forecast.errors || {}).forEach(function (name) {
            var row = document.createElement("tr");
            var th = document.createElement("th");
            var td = document.createElement("td");
            th.textContent = name;
            td.textContent = forecast.errors[name];
            td.className = "num";
            row.appendChild(th);
            row.appendChild(td);
            body.appendChild(row);
          });
          errors.hidden = !body.children.length;
        })
        .catch(function () {
          wait.textContent = labels.forecast_failed || "—";
        });
    }

    card.querySelectorAll("[data-series]").forEach(function (button) {
      button.addEventListener("click", function () { show(button.getAttribute("data-series")); });
    });
    show("stock");
  }

  config.panels.forEach(drawPanel);
  forecastCard();
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();

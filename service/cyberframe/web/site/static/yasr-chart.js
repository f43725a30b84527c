/* cyberframe: a chart view of YASGUI's results, hand-written (YASR plugin "chart", registered with
   Yasr.registerPlugin before the editor starts). One bar per row (or one point of a line), drawn as
   inline SVG from the SPARQL JSON results (SPARQL 1.1 Query Results JSON Format §3.2): a label column
   and a numeric column chosen from the results. No library, no network, no inline style (the site's
   Content-Security-Policy): colours and sizes come from cyberframe.css. */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  /* XSD 1.1 Part 2 §3.3: decimal and its derived integer types, float and double */
  var NUMERIC_TYPES = ["decimal", "integer", "long", "int", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "float", "double"].map(function (t) { return XSD + t; });
  var MAX_ROWS = 200;  /* rows drawn; the table has them all */
  var BAR_ROW = 38;    /* px per bar: its label above, the bar below */
  var LINE_HEIGHT = 220;
  var counter = 0;
  /* Presentation attributes (not style: the policy forbids inline style) so that a downloaded SVG keeps its
     colours; cyberframe.css sets the same on the page. */
  var COLOUR = "#1f5fa3";

  function isNumber(term) {
    if (!term || (term.type !== "literal" && term.type !== "typed-literal")) { return false; }
    if (term.datatype && NUMERIC_TYPES.indexOf(term.datatype) < 0) { return false; }
    if (term["xml:lang"]) { return false; }
    return term.value.trim() !== "" && isFinite(Number(term.value));
  }

  /* The variables of the results, and those whose every bound value is a number (and one is bound). */
  function readColumns(results) {
    var variables = results.getVariables() || [];
    var rows = results.getBindings() || [];
    var numeric = variables.filter(function (v) {
      return rows.some(function (r) { return r[v]; }) && rows.every(function (r) { return !r[v] || isNumber(r[v]); });
    });
    return { variables: variables, numeric: numeric, rows: rows };
  }

  function Chart(yasr) {
    this.yasr = yasr;
    this.label = "Chart";
    this.priority = 5;  /* below the table (10): never chosen unless asked for */
    this.choice = { label: null, value: null, kind: "bar" };
    this.controls = null;
  }

  Chart.prototype.canHandleResults = function () {
    var results = this.yasr.results;
    if (!results || !results.getVariables || !results.getBindings || !results.getBindings()) { return false; }
    return results.getBindings().length > 0 && readColumns(results).numeric.length > 0;
  };

  Chart.prototype.getIcon = function () {
    var icon = document.createElementNS(SVG, "svg");
    icon.setAttribute("viewBox", "0 0 16 16");
    icon.setAttribute("aria-hidden", "true");
    [[2, 8, 3, 6], [6.5, 4, 3, 10], [11, 1, 3, 13]].forEach(function (b) {
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", b[0]); rect.setAttribute("y", b[1]);
      rect.setAttribute("width", b[2]); rect.setAttribute("height", b[3]);
      rect.setAttribute("fill", "currentColor");
      icon.appendChild(rect);
    });
    return icon;
  };

  /* The text a cell shows: a prefixed name for an IRI with a known prefix, else its last segment. */
  Chart.prototype.text = function (term) {
    if (!term) { return ""; }
    if (term.type !== "uri") { return term.value; }
    var prefixes = (this.yasr.getPrefixes && this.yasr.getPrefixes()) || {};
    for (var prefix in prefixes) {
      if (Object.prototype.hasOwnProperty.call(prefixes, prefix) && term.value.indexOf(prefixes[prefix]) === 0) {
        return prefix + ":" + term.value.slice(prefixes[prefix].length);
      }
    }
    var parts = term.value.split(/[\/#]/);
    return parts[parts.length - 1] || term.value;
  };

  Chart.prototype.select = function (name, labelText, options, selected, onChange) {
    var label = document.createElement("label");
    label.className = "cf-chart-control";
    label.appendChild(document.createTextNode(labelText + " "));
    var select = document.createElement("select");
    select.name = name;
    options.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o[0];
      option.textContent = o[1];
      option.selected = o[0] === selected;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { onChange(select.value); });
    label.appendChild(select);
    return label;
  };

  Chart.prototype.drawControls = function (columns) {
    var self = this;
    this.removeControls();
    var box = document.createElement("div");
    box.className = "cf-chart-controls";
    var labels = [["", "(row number)"]].concat(columns.variables.map(function (v) { return [v, "?" + v]; }));
    box.appendChild(this.select("label", "Label", labels, this.choice.label, function (v) { self.choice.label = v; self.redraw(); }));
    box.appendChild(this.select("value", "Value", columns.numeric.map(function (v) { return [v, "?" + v]; }),
      this.choice.value, function (v) { self.choice.value = v; self.redraw(); }));
    box.appendChild(this.select("kind", "As", [["bar", "bars"], ["line", "a line"]], this.choice.kind,
      function (v) { self.choice.kind = v; self.redraw(); }));
    this.yasr.pluginControls.appendChild(box);
    this.controls = box;
  };

  Chart.prototype.removeControls = function () {
    if (this.controls && this.controls.parentNode) { this.controls.parentNode.removeChild(this.controls); }
    this.controls = null;
  };

  Chart.prototype.destroy = function () { this.removeControls(); };

  Chart.prototype.redraw = function () {
    var old = this.yasr.resultsEl.querySelector(".cf-chart");
    if (old) { old.parentNode.removeChild(old); }
    this.yasr.resultsEl.appendChild(this.figure(readColumns(this.yasr.results)));
  };

  Chart.prototype.draw = function () {
    var columns = readColumns(this.yasr.results);
    /* The defaults: the first column that is not all numbers as labels, the first numeric one as values. */
    if (columns.numeric.indexOf(this.choice.value) < 0) { this.choice.value = columns.numeric[0]; }
    if (this.choice.label !== "" && columns.variables.indexOf(this.choice.label) < 0) {
      var text = columns.variables.filter(function (v) { return columns.numeric.indexOf(v) < 0; });
      this.choice.label = text.length ? text[0] : "";
    }
    this.drawControls(columns);
    this.yasr.resultsEl.appendChild(this.figure(columns));
  };

  function svgElement(name, attributes, text) {
    var element = document.createElementNS(SVG, name);
    for (var key in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, key)) { element.setAttribute(key, attributes[key]); }
    }
    if (text !== undefined) { element.textContent = text; }
    return element;
  }

  /* The figure: the SVG and a caption saying what it shows (and how many rows were left out). */
  Chart.prototype.figure = function (columns) {
    var self = this;
    var value = this.choice.value, label = this.choice.label;
    var points = [];
    columns.rows.slice(0, MAX_ROWS).forEach(function (row, i) {
      if (!row[value]) { return; }
      points.push({ label: label ? self.text(row[label]) : String(i + 1), value: Number(row[value].value) });
    });
    counter += 1;
    var id = "cf-chart-" + counter;
    var what = "?" + value + (label ? " by ?" + label : " by row");
    var svg = this.choice.kind === "line" ? lineChart(points, id, what) : barChart(points, id, what);
    var figure = document.createElement("figure");
    figure.className = "cf-chart";
    figure.appendChild(svg);
    var caption = document.createElement("figcaption");
    caption.textContent = (this.choice.kind === "line" ? "A line of " : "Bars of ") + what + ": " + points.length +
      " row" + (points.length === 1 ? "" : "s") + (columns.rows.length > MAX_ROWS ? " (the first " + MAX_ROWS +
      " of " + columns.rows.length + "; the table has them all)" : "") + ".";
    figure.appendChild(caption);
    return figure;
  };

  function extent(points) {
    var low = 0, high = 0;
    points.forEach(function (p) { low = Math.min(low, p.value); high = Math.max(high, p.value); });
    return high === low ? { low: low, high: low + 1 } : { low: low, high: high };
  }

  function frame(id, what, kind, height) {
    var svg = svgElement("svg", { "font-family": "sans-serif", "font-size": 12, width: "100%", height: height, role: "img", "aria-labelledby": id + "-title", "class": "cf-chart-svg cf-chart-" + kind });
    svg.appendChild(svgElement("title", { id: id + "-title" }, (kind === "line" ? "Line chart of " : "Bar chart of ") + what));
    return svg;
  }

  /* Horizontal bars, widths in % of the figure so that the text keeps its size on a phone: the label
     on one line, the bar and its value below it. */
  function barChart(points, id, what) {
    var range = extent(points);
    var span = 82; /* % of the width the longest bar takes; the value is written after it */
    var zero = (0 - range.low) / (range.high - range.low) * span;
    var svg = frame(id, what, "bar", points.length * BAR_ROW + 4);
    points.forEach(function (p, i) {
      var y = i * BAR_ROW;
      var end = (p.value - range.low) / (range.high - range.low) * span;
      var group = svgElement("g", { "class": "cf-bar-row" });
      group.appendChild(svgElement("title", {}, p.label + ": " + p.value));
      group.appendChild(svgElement("text", { x: "0", y: y + 13, "class": "cf-chart-label" }, p.label));
      group.appendChild(svgElement("rect", {
        x: Math.min(zero, end) + "%", y: y + 18, width: Math.max(Math.abs(end - zero), 0.3) + "%", height: 14,
        fill: COLOUR, "class": "cf-bar", "data-label": p.label, "data-value": String(p.value)
      }));
      group.appendChild(svgElement("text", { x: Math.max(zero, end) + "%", dx: "4", y: y + 30, "class": "cf-chart-value" }, String(p.value)));
      svg.appendChild(group);
    });
    return svg;
  }

  /* Points joined by a line, left to right in the results' order; the axis shows the lowest and highest
     values and the first and last labels. */
  function lineChart(points, id, what) {
    var range = extent(points);
    var top = 12, bottom = LINE_HEIGHT - 28;
    var svg = frame(id, what, "line", LINE_HEIGHT);
    function x(i) { return points.length === 1 ? 50 : 8 + i / (points.length - 1) * 84; }
    function y(v) { return bottom - (v - range.low) / (range.high - range.low) * (bottom - top); }
    svg.appendChild(svgElement("line", { x1: "8%", x2: "92%", y1: y(0), y2: y(0), stroke: "#888", "class": "cf-chart-axis" }));
    svg.appendChild(svgElement("text", { x: "0", y: top + 4, "class": "cf-chart-value" }, String(range.high)));
    svg.appendChild(svgElement("text", { x: "0", y: bottom, "class": "cf-chart-value" }, String(range.low)));
    points.forEach(function (p, i) {
      if (i > 0) {
        svg.appendChild(svgElement("line", { x1: x(i - 1) + "%", y1: y(points[i - 1].value), x2: x(i) + "%", y2: y(p.value), stroke: COLOUR, "stroke-width": 2, "class": "cf-line" }));
      }
    });
    points.forEach(function (p, i) {
      var group = svgElement("g", { "class": "cf-point-row" });
      group.appendChild(svgElement("title", {}, p.label + ": " + p.value));
      group.appendChild(svgElement("circle", { cx: x(i) + "%", cy: y(p.value), r: 4, fill: COLOUR, "class": "cf-point", "data-label": p.label, "data-value": String(p.value) }));
      svg.appendChild(group);
    });
    if (points.length) {
      svg.appendChild(svgElement("text", { x: x(0) + "%", y: LINE_HEIGHT - 8, "class": "cf-chart-label" }, points[0].label));
      if (points.length > 1) {
        svg.appendChild(svgElement("text", { x: x(points.length - 1) + "%", y: LINE_HEIGHT - 8, "text-anchor": "end", "class": "cf-chart-label" }, points[points.length - 1].label));
      }
    }
    return svg;
  }

  Chart.prototype.download = function () {
    var figure = this.yasr.resultsEl.querySelector(".cf-chart svg");
    if (!figure) { return undefined; }
    return {
      getData: function () { return new XMLSerializer().serializeToString(figure); },
      contentType: "image/svg+xml",
      title: "Download the chart (SVG)",
      filename: "query-chart.svg"
    };
  };

  if (window.Yasgui && window.Yasgui.Yasr) {
    window.Yasgui.Yasr.registerPlugin("chart", Chart);
    var order = window.Yasgui.Yasr.defaults.pluginOrder;  /* the chart's button right after the table's */
    if (order && order.indexOf("chart") < 0) { order.splice(order.indexOf("table") + 1, 0, "chart"); }
  }
}());

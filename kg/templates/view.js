/* chips-kg network view. Every string from the data is written with textContent, never as markup. */
(function () {
  "use strict";
  var t0 = performance.now();
  var view = JSON.parse(document.getElementById("kg-data").textContent);
  var T = view.text;
  var pathMode = view.hops.length > 0;
  var faded = view.colours.faded;
  var red = view.colours.path;
  var big = view.nodes.length > 300;
  window.kgView = view;
  window.kgTimings = { parsed: performance.now() - t0 };
  window.kgReady = false;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function tipElement(tip, sourceWord) {
    var box = el("div", null, "kg-tip");
    box.appendChild(el("strong", tip.title));
    if (tip.facts.length) {
      var table = el("table");
      tip.facts.forEach(function (fact) {
        var row = el("tr");
        row.appendChild(el("th", fact[0]));
        row.appendChild(el("td", fact[1]));
        table.appendChild(row);
      });
      box.appendChild(table);
    }
    tip.sources.forEach(function (s) { box.appendChild(el("div", sourceWord + s, "src")); });
    if (tip.iri) box.appendChild(el("div", tip.iri, "iri"));
    return box;
  }

  function darker(hex) {
    var n = parseInt(hex.slice(1), 16);
    var r = Math.round(((n >> 16) & 255) * 0.7), g = Math.round(((n >> 8) & 255) * 0.7), b = Math.round((n & 255) * 0.7);
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  var nodes = view.nodes.map(function (n) {
    var dim = pathMode && !n.path;
    return {
      id: n.id, label: n.label, x: n.x, y: n.y, size: n.path ? Math.max(n.size, 18) : n.size, shape: "dot",
      color: { background: n.color, border: n.path ? red : darker(n.color),
               highlight: { background: n.color, border: "#000" }, hover: { background: n.color, border: "#000" } },
      borderWidth: n.path ? 4 : (n.focus ? 3 : 1),
      opacity: dim ? faded : 1,
      font: { color: dim ? "rgba(40,40,40,0.3)" : "#222", size: (n.path || n.focus) ? 17 : 13,
              strokeWidth: 3, strokeColor: "#ffffff" },
      title: tipElement(n.tip, T.source),
      kgPath: n.path, kgClass: n.cls
    };
  });
  var edges = view.edges.map(function (e) {
    var dim = pathMode && !e.path;
    var style = view.styles[e.style] || {};
    var base = style.color || "#8a8a8a";
    return {
      id: e.id, from: e.from, to: e.to, label: e.label, arrows: e.arrows, smooth: e.smooth,
      width: e.path ? Math.max(4, e.width) : e.width,
      dashes: style.dashes || false,
      color: { color: e.path ? red : (dim ? "#bdbdbd" : base), opacity: dim ? faded : 1,
               highlight: "#333", hover: "#333" },
      font: { size: e.path ? 13 : 10, color: dim ? "rgba(80,80,80,0.25)" : (e.path ? red : "#555"),
              strokeWidth: 3, strokeColor: "#ffffff", align: "middle" },
      title: tipElement(e.tip, T.source),
      kgPath: e.path
    };
  });

  var options = {
    autoResize: true,
    layout: { randomSeed: 42, improvedLayout: false },
    physics: view.physics.enabled ? {
      enabled: true, solver: "barnesHut",
      barnesHut: { gravitationalConstant: -4000, springLength: 140, springConstant: 0.03, damping: 0.4, avoidOverlap: 0.3 },
      stabilization: { enabled: true, iterations: view.physics.iterations, updateInterval: 50, fit: true },
      minVelocity: 1, maxVelocity: 40
    } : { enabled: false },
    interaction: { hover: true, tooltipDelay: 120, hideEdgesOnDrag: big, hideEdgesOnZoom: big, keyboard: false, multiselect: false },
    edges: { arrows: { to: { scaleFactor: 0.6 } }, selectionWidth: 2, hoverWidth: 1 },
    nodes: { scaling: { label: { enabled: false } } }
  };

  var container = document.getElementById("kg-network");
  var data = { nodes: new vis.DataSet(nodes), edges: new vis.DataSet(edges) };
  var network = new vis.Network(container, data, options);
  window.kgNetwork = network;
  window.kgTimings.built = performance.now() - t0;

  var pathIds = view.nodes.filter(function (n) { return n.path; }).map(function (n) { return n.id; });
  function ready() {
    if (window.kgReady) return;
    network.setOptions({ physics: { enabled: false } });
    if (pathIds.length) {
      /* Frame the path and what touches it; the rest stays on the canvas, faded. */
      var around = {};
      pathIds.forEach(function (id) {
        around[id] = true;
        network.getConnectedNodes(id).forEach(function (m) { around[m] = true; });
      });
      network.fit({ nodes: Object.keys(around), maxZoomLevel: 1.5, animation: false });
    } else if (!view.physics.enabled) network.fit();
    window.kgTimings.stabilised = performance.now() - t0;
    window.kgReady = true;
    document.body.setAttribute("data-ready", "true");
  }
  if (view.nodes.length === 0) ready();
  else if (view.physics.enabled) network.once("stabilizationIterationsDone", ready);
  else network.once("afterDrawing", ready);
  network.once("afterDrawing", function () { window.kgTimings.firstDraw = performance.now() - t0; });

  /* Side panel: the hops of the path, details of what was clicked, the legend. */
  if (pathMode) {
    var hops = document.getElementById("kg-hops");
    hops.hidden = false;
    hops.querySelector("h2").textContent = T.hops;
    var list = hops.querySelector("ol");
    view.hops.forEach(function (hop) {
      var li = el("li", hop.sentence);
      hop.sources.forEach(function (s) { li.appendChild(el("span", T.source + s, "src")); });
      list.appendChild(li);
    });
  }
  var details = document.getElementById("kg-details");
  details.querySelector(".hint").textContent = T.details;
  function showDetails(tip) {
    while (details.firstChild) details.removeChild(details.firstChild);
    details.appendChild(tipElement(tip, T.source));
  }
  var tipsById = {};
  view.nodes.forEach(function (n) { tipsById[n.id] = n.tip; });
  var edgeTips = {};
  view.edges.forEach(function (e) { edgeTips[e.id] = e.tip; });
  network.on("click", function (params) {
    if (params.nodes.length) showDetails(tipsById[params.nodes[0]]);
    else if (params.edges.length) showDetails(edgeTips[params.edges[0]]);
  });

  var legend = document.getElementById("kg-legend");
  legend.querySelector("h2").textContent = T.legend;
  var ul = legend.querySelector("ul");
  view.legend.forEach(function (item) {
    var li = el("li");
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = item.color;
    li.appendChild(swatch);
    li.appendChild(el("span", item.label));
    li.appendChild(el("span", item.count, "count"));
    ul.appendChild(li);
  });
  /* How edges are drawn: by the status of their source, and when sources disagree. */
  var relations = document.getElementById("kg-relations");
  relations.querySelector("h2").textContent = T.relations;
  var lines = relations.querySelector("ul");
  view.edge_legend.forEach(function (item) {
    var li = el("li");
    var line = el("span", null, "line");
    if (item.dashes) line.className += item.dashes[0] <= 2 ? " dotted" : " dashed";
    if (item.color) line.style.borderTopColor = item.color;
    li.appendChild(line);
    li.appendChild(el("span", item.label));
    lines.appendChild(li);
  });
  var notes = legend.querySelector(".notes");
  view.notes.forEach(function (note) { notes.appendChild(el("p", note)); });

  /* Time: the graph as of a year. Edges not yet started, or ended, are hidden, and so are entities
     whose every relation is; undated relations stay. */
  var edgeCount = {};
  view.edges.forEach(function (e) { edgeCount[e.from] = 1; edgeCount[e.to] = 1; });
  function setYear(year) {
    var seen = {};
    var shown = 0;
    data.edges.update(view.edges.map(function (e) {
      var hide = year !== null && ((e.year !== null && e.year > year) || (e.until !== null && e.until < year));
      if (!hide) { seen[e.from] = 1; seen[e.to] = 1; shown += 1; }
      return { id: e.id, hidden: hide };
    }));
    data.nodes.update(view.nodes.map(function (n) {
      return { id: n.id, hidden: year !== null && edgeCount[n.id] === 1 && !seen[n.id] };
    }));
    return shown;
  }
  window.kgSetYear = setYear;
  if (view.time.slider) {
    var box = document.getElementById("kg-time");
    var slider = document.getElementById("kg-year");
    var out = document.getElementById("kg-year-out");
    var play = document.getElementById("kg-play");
    box.hidden = false;
    box.querySelector("label").textContent = T.year;
    play.textContent = T.play;
    slider.min = view.time.slider.min;
    slider.max = view.time.slider.max + 1;
    slider.value = slider.max;
    var show = function () {
      var y = Number(slider.value);
      var all = y > view.time.slider.max;
      out.textContent = all ? T.all_years : String(y);
      setYear(all ? null : y);
    };
    show();
    slider.addEventListener("input", show);
    window.kgSetYear = function (year) {
      slider.value = year === null ? slider.max : year;
      out.textContent = year === null ? T.all_years : String(year);
      return setYear(year);
    };
    var timer = null;
    play.addEventListener("click", function () {
      if (timer !== null) { clearInterval(timer); timer = null; return; }
      slider.value = slider.min;
      show();
      timer = setInterval(function () {
        if (Number(slider.value) >= Number(slider.max)) { clearInterval(timer); timer = null; return; }
        slider.value = Number(slider.value) + 1;
        show();
      }, 700);
    });
  }

  /* Search: a datalist of labels; Enter or picking a name focuses that node. */
  var byLabel = {};
  var labels = [];
  view.nodes.forEach(function (n) {
    var key = n.label.toLowerCase();
    if (!(key in byLabel)) { byLabel[key] = n.id; labels.push(n.label); }
  });
  labels.sort();
  var datalist = document.getElementById("kg-names");
  labels.forEach(function (label) { var o = document.createElement("option"); o.value = label; datalist.appendChild(o); });
  var input = document.getElementById("kg-search");
  var message = document.getElementById("kg-search-msg");
  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) return null;
    if (q in byLabel) return byLabel[q];
    for (var i = 0; i < labels.length; i++) {
      if (labels[i].toLowerCase().indexOf(q) >= 0) return byLabel[labels[i].toLowerCase()];
    }
    return null;
  }
  function go() {
    var id = find(input.value);
    message.textContent = "";
    if (id === null) {
      if (input.value.trim()) message.textContent = T.not_found.replace("{name}", input.value.trim());
      return;
    }
    network.selectNodes([id]);
    network.focus(id, { scale: 1.3, animation: { duration: 400, easingFunction: "easeInOutQuad" } });
    showDetails(tipsById[id]);
  }
  window.kgFind = function (query) { input.value = query; go(); return find(query); };
  input.addEventListener("change", go);
  input.addEventListener("keydown", function (event) { if (event.key === "Enter") go(); });
})();

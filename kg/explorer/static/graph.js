/* chips-kg explorer: the graphs (vis-network, served from this host).
 * The data comes from <script type="application/json" id="kg-graph">, written by the server with every
 * character that could end the element escaped; names reach the page only as text (canvas labels,
 * textContent), never as HTML.
 * Modes (data-mode of #kg-canvas): "entity" (a neighbourhood; click opens a page), "path" (the path
 * drawn, everything else faded) and "explore" (click expands, pin, hide, filters, PNG and GraphML). */
(function () {
  "use strict";

  var container = document.getElementById("kg-canvas");
  var dataElement = document.getElementById("kg-graph");
  if (!container || !dataElement || typeof vis === "undefined") return;
  var mode = container.getAttribute("data-mode");
  var graph = JSON.parse(dataElement.textContent);
  var text = JSON.parse(document.getElementById("kg-text").textContent);
  var colours = graph.colours || {};
  var nameOf = window.kgNameOf;
  var PATH = "#d62728", FADED = 0.25;

  function className(cls) {
    var about = (graph.classes || {})[cls];
    return about ? about[window.kgLang] : cls;
  }

  function tip(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      if (!line) return;
      var p = document.createElement(i === 0 ? "strong" : "div");
      p.textContent = line;
      box.appendChild(p);
    });
    return box;
  }

  function nodeItem(n) {
    var colour = colours[n["class"]] || "#c7c7c7";
    var item = {
      id: n.iri, label: nameOf(n), title: tip([nameOf(n), className(n["class"]), nameOf(n) !== n.label ? n.label : ""]),
      cls: n["class"], slug: n.slug, raw: n, shape: "dot", size: n.iri === graph.center ? 22 : 14,
      color: { background: colour, border: "#333333", highlight: { background: colour, border: "#000000" } },
      font: { color: "#1a1a1a", size: 14, strokeWidth: 3, strokeColor: "#ffffff" }
    };
    if (mode === "path" && !n.path) {
      item.opacity = FADED;
      item.font = { color: "rgba(26,26,26,0.45)", size: 12 };
      item.size = 9;
    }
    if (mode === "path" && n.path) {
      item.borderWidth = 3;
      item.color = { background: colour, border: PATH };
    }
    return item;
  }

  // two relations of one kind between the same two (two deals, two jobs) are two edges
  function edgeId(e) { return [e.from, e.kind, e.to, e.sentence].join(" "); }

  function edgeItem(e) {
    var item = { id: edgeId(e), from: e.from, to: e.to, kind: e.kind, raw: e, title: tip([e.sentence]),
                 arrows: e.kind ? { to: { enabled: true, scaleFactor: 0.5 } } : undefined,
                 color: { color: "#8a8a8a", highlight: "#333333" }, width: 1 };
    if (mode === "path") {
      item.color = e.path ? { color: PATH, highlight: PATH } : { color: "rgba(150,150,150,0.3)" };
      item.width = e.path ? 4 : 1;
    }
    return item;
  }

  var nodes = new vis.DataSet(), edges = new vis.DataSet();
  var hidden = {}, hiddenClasses = {}, hiddenKinds = {};

  function add(g) {
    var added = [];
    g.nodes.forEach(function (n) {
      if (hidden[n.iri]) return;
      if (!nodes.get(n.iri)) { nodes.add(nodeItem(n)); added.push(n.iri); }
    });
    g.edges.forEach(function (e) {
      if (!nodes.get(e.from) || !nodes.get(e.to)) return;
      if (!edges.get(edgeId(e))) edges.add(edgeItem(e));
    });
    return added;
  }
  add(graph);

  var nodeView = new vis.DataView(nodes, { filter: function (n) { return !hiddenClasses[n.cls]; } });
  var edgeView = new vis.DataView(edges, { filter: function (e) { return !e.kind || !hiddenKinds[e.kind]; } });
  var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, {
    autoResize: true,
    layout: { randomSeed: 7, improvedLayout: true },
    physics: { solver: "forceAtlas2Based", stabilization: { iterations: 200, fit: true },
               forceAtlas2Based: { gravitationalConstant: -60, springLength: 90 } },
    interaction: { hover: true, tooltipDelay: 150, keyboard: { enabled: mode === "explore", bindToWindow: false },
                   navigationButtons: false },
    edges: { smooth: false }
  });
  window.kgNetwork = network;
  window.kgNodes = nodes;
  window.kgEdges = edges;

  function settled() {
    network.setOptions({ physics: { enabled: false } });
    window.kgGraphReady = true;
  }
  network.once("stabilizationIterationsDone", settled);
  if (nodes.length < 2) settled();

  function settle() {
    window.kgGraphReady = false;
    network.setOptions({ physics: { enabled: true } });
    network.once("stabilizationIterationsDone", function () { network.fit({ animation: false }); settled(); });
    network.stabilize(120);
  }

  if (mode === "entity" || mode === "path") {
    network.on("click", function (params) {
      if (params.nodes.length !== 1) return;
      var n = nodes.get(params.nodes[0]);
      if (n && n.id !== graph.center) window.location.href = window.kgPageUrl("/entity/" + encodeURIComponent(n.slug));
    });
    return;
  }

  /* --- explore ------------------------------------------------------------------------------- */

  var vocab = JSON.parse(document.getElementById("kg-vocab").textContent);
  var selected = null, expanded = {};
  var panel = document.getElementById("kg-selected");
  var buttons = { expand: document.getElementById("kg-expand"), pin: document.getElementById("kg-pin"),
                  hide: document.getElementById("kg-hide") };
  var pickList = document.getElementById("kg-pick");

  function refreshPick() {
    pickList.textContent = "";
    var blank = document.createElement("option");
    blank.value = "";
    blank.textContent = "—";
    pickList.appendChild(blank);
    nodes.get().sort(function (a, b) { return a.label.localeCompare(b.label); }).forEach(function (n) {
      var o = document.createElement("option");
      o.value = n.id;
      o.textContent = n.label;
      o.selected = n.id === selected;
      pickList.appendChild(o);
    });
  }

  function describe(id) {
    panel.textContent = "";
    var n = id && nodes.get(id);
    Object.keys(buttons).forEach(function (k) { buttons[k].disabled = !n; });
    if (!n) {
      var p = document.createElement("p");
      p.textContent = text.nothing_selected;
      panel.appendChild(p);
      return;
    }
    var title = document.createElement("p");
    var strong = document.createElement("strong");
    strong.textContent = n.label;
    title.appendChild(strong);
    title.appendChild(document.createTextNode(" · " + className(n.cls)));
    panel.appendChild(title);
    if (n.label !== n.raw.label) {
      var alt = document.createElement("p");
      alt.textContent = n.raw.label;
      panel.appendChild(alt);
    }
    var link = document.createElement("a");
    link.href = window.kgPageUrl("/entity/" + encodeURIComponent(n.slug));
    link.textContent = text.open_page;
    panel.appendChild(link);
    var degree = edges.get({ filter: function (e) { return e.from === id || e.to === id; } });
    var list = document.createElement("ul");
    degree.slice(0, 12).forEach(function (e) {
      var li = document.createElement("li");
      li.textContent = e.raw.sentence;
      list.appendChild(li);
    });
    panel.appendChild(list);
    buttons.pin.setAttribute("aria-pressed", n.fixed ? "true" : "false");
  }

  function select(id) {
    selected = id || null;
    if (id) network.selectNodes([id]); else network.unselectAll();
    describe(selected);
    pickList.value = selected || "";
  }

  function expand(id) {
    var n = nodes.get(id);
    if (!n || expanded[id]) { select(id); return Promise.resolve([]); }
    expanded[id] = true;
    window.kgExpanding = true;
    var time = new URLSearchParams();
    ["as_of", "known_by", "dated_only", "lang"].forEach(function (k) {  // the page's time and language
      var v = new URLSearchParams(window.location.search).get(k);
      if (v) time.set(k, v);
    });
    var query = time.toString() ? "?" + time.toString() : "";
    return fetch("/api/graph/" + encodeURIComponent(n.slug) + query, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { nodes: [], edges: [] }; })
      .then(function (g) {
        var pos = network.getPosition(id);
        var added = [];
        g.nodes.forEach(function (m) {
          if (!nodes.get(m.iri) && !hidden[m.iri]) {
            var item = nodeItem(m);
            item.x = pos.x + (Math.random() - 0.5) * 80;
            item.y = pos.y + (Math.random() - 0.5) * 80;
            nodes.add(item);
            added.push(m.iri);
          }
        });
        add({ nodes: [], edges: g.edges });
        refreshFilters();
        refreshPick();
        select(id);
        if (added.length) settle();
        window.kgExpanding = false;
        return added;
      });
  }
  window.kgExpand = expand;

  network.on("click", function (params) {
    if (params.nodes.length === 1) expand(params.nodes[0]);
    else select(null);
  });
  network.on("doubleClick", function (params) {
    if (params.nodes.length !== 1) return;
    var n = nodes.get(params.nodes[0]);
    window.location.href = window.kgPageUrl("/entity/" + encodeURIComponent(n.slug));
  });
  network.on("dragEnd", function (params) {
    params.nodes.forEach(function (id) { nodes.update({ id: id, fixed: true }); });
    if (params.nodes.indexOf(selected) >= 0) describe(selected);
  });

  buttons.expand.addEventListener("click", function () { if (selected) expand(selected); });
  buttons.pin.addEventListener("click", function () {
    var n = nodes.get(selected);
    if (!n) return;
    var pos = network.getPosition(selected);
    nodes.update({ id: selected, fixed: !n.fixed, x: pos.x, y: pos.y });
    describe(selected);
  });
  buttons.hide.addEventListener("click", function () {
    if (!selected) return;
    hidden[selected] = true;
    edges.remove(edges.getIds({ filter: function (e) { return e.from === selected || e.to === selected; } }));
    nodes.remove(selected);
    select(null);
    refreshPick();
  });
  pickList.addEventListener("change", function () {
    if (pickList.value) { select(pickList.value); network.focus(pickList.value, { scale: 1.2, animation: false }); }
    else select(null);
  });

  function checkbox(holder, key, label, off, onChange) {
    var id = holder.id + "-" + key;
    if (document.getElementById(id)) return;
    var wrap = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.checked = !off[key];
    box.addEventListener("change", function () { off[key] = !box.checked; onChange(); });
    wrap.appendChild(box);
    wrap.appendChild(document.createTextNode(" " + label));
    holder.appendChild(wrap);
  }

  function refreshFilters() {
    var classHolder = document.getElementById("kg-class-filter"), kindHolder = document.getElementById("kg-kind-filter");
    nodes.forEach(function (n) {
      var about = vocab.classes[n.cls];
      checkbox(classHolder, n.cls, about ? about[window.kgLang] : n.cls, hiddenClasses, function () { nodeView.refresh(); });
    });
    edges.forEach(function (e) {
      if (!e.kind) return;
      var about = vocab.kinds[e.kind];
      checkbox(kindHolder, e.kind, about ? about[window.kgLang] : e.kind, hiddenKinds, function () { edgeView.refresh(); });
    });
  }
  refreshFilters();
  refreshPick();

  function download(name, href) {
    var a = document.createElement("a");
    a.href = href;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  document.getElementById("kg-png").addEventListener("click", function () {
    var canvas = container.querySelector("canvas");
    var copy = document.createElement("canvas");
    copy.width = canvas.width;
    copy.height = canvas.height;
    var ctx = copy.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, copy.width, copy.height);
    ctx.drawImage(canvas, 0, 0);
    download("chips-kg.png", copy.toDataURL("image/png"));
  });

  function xml(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&apos;");
  }

  function graphml() {
    var out = ['<?xml version="1.0" encoding="UTF-8"?>',
      '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">',
      '<key id="label" for="node" attr.name="label" attr.type="string"/>',
      '<key id="label_zh" for="node" attr.name="label_zh" attr.type="string"/>',
      '<key id="class" for="node" attr.name="class" attr.type="string"/>',
      '<key id="kind" for="edge" attr.name="kind" attr.type="string"/>',
      '<key id="sentence" for="edge" attr.name="sentence" attr.type="string"/>',
      '<graph id="chips-kg" edgedefault="directed">'];
    nodeView.get().forEach(function (n) {
      out.push('<node id="' + xml(n.id) + '"><data key="label">' + xml(n.raw.label) + '</data><data key="label_zh">' +
               xml(n.raw.label_zh || "") + '</data><data key="class">' + xml(n.cls) + "</data></node>");
    });
    edgeView.get().forEach(function (e) {
      if (!nodeView.get(e.from) || !nodeView.get(e.to)) return;
      out.push('<edge source="' + xml(e.from) + '" target="' + xml(e.to) + '"><data key="kind">' + xml(e.kind) +
               '</data><data key="sentence">' + xml(e.raw.sentence) + "</data></edge>");
    });
    out.push("</graph>", "</graphml>");
    return out.join("\n") + "\n";
  }
  window.kgGraphML = graphml;

  document.getElementById("kg-graphml").addEventListener("click", function () {
    var url = URL.createObjectURL(new Blob([graphml()], { type: "application/graphml+xml" }));
    download("chips-kg.graphml", url);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  });

  select(graph.center);
})();

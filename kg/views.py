"""Network views people can explore: one self-contained, offline, interactive HTML page (vis-network)."""

from __future__ import annotations

import html
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import networkx as nx
from rdflib import OWL, RDF, URIRef

from kg.errors import BadInput, DataError
from kg.i18n import round_name

__all__ = ["MAX_NODES", "MAX_EDGES", "PHYSICS_MAX_NODES", "SIZE_MEASURES", "LANGS", "CLASS_COLOURS",
           "build_view", "render_html", "write_view", "to_iframe", "vis_assets", "safe_json"]

#: Above this many nodes a view is refused unless cut down (``top``, ``focus``, filters).
MAX_NODES = 2000
#: Above this many edges likewise: the browser draws every edge on each frame.
MAX_EDGES = 10000
#: Above this many nodes the page would keep the Python layout and run no physics at all
#: (views that large are refused, so every view gets its bounded physics run).
PHYSICS_MAX_NODES = MAX_NODES
#: Views up to this size get a full spring layout in Python; larger ones a cheaper start.
_LAYOUT_CORE = 300
#: Centralities that can size the nodes.
SIZE_MEASURES = ("degree", "betweenness", "pagerank")
LANGS = ("en", "zh")
SEED = 42

#: Node colour of each entity class (local name); products in cool tones, organisations warm.
CLASS_COLOURS = {
    "Person": "#4e79a7",
    "Company": "#f28e2b",
    "Startup": "#edc948",
    "Foundry": "#9c755f",
    "InvestmentFirm": "#59a14f",
    "University": "#b07aa1",
    "ResearchLab": "#76b7b2",
    "GovernmentAgency": "#ff9da7",
    "MilitaryUnit": "#6b6b6b",
    "MediaOutlet": "#bab0ac",
    "Organization": "#d37295",
    "Chip": "#17becf",
    "System": "#8cd17d",
    "Module": "#86bcb6",
    "Software": "#a0cbe8",
    "Product": "#499894",
    "Architecture": "#d4a6c8",
    "ProcessNode": "#d7b5a6",
}
_OTHER_COLOUR = "#c7c7c7"
_PATH_COLOUR = "#d62728"
_FADED_OPACITY = 0.25

#: Node attributes that are not facts to show in a tooltip.
_NOT_FACTS = {"iri", "label", "label_zh", "cls", "sources"}
_MAX_FACTS = 12
_QUOTE_CHARS = 160

_TEXT = {
    "en": {
        "whole": "The whole graph",
        "filtered": "The graph, filtered",
        "focus": "{name} and everything within {depth} hop{s}",
        "path": "How {a} connects to {b}: {hops} hop{s}",
        "top": "The {top} most central entities by {measure}",
        "counts": "{nodes} entit{ies}, {edges} relation{s}",
        "classes": "classes: {names}",
        "kinds": "relations: {names}",
        "of_total": " (of {total} in the graph)",
        "size": "Node size: {measure} centrality in this view",
        "width": "Edge width: amount of money (funding round, price), log scale; currencies not converted",
        "hops": "The connection, hop by hop",
        "neighbourhood": "path and the entities next to it (the whole graph has {total} entities)",
        "search": "Find an entity…",
        "legend": "Classes",
        "details": "Click an entity or a relation for its facts and sources.",
        "not_found": "No entity named “{name}” in this view.",
        "source": "Source: ",
        "quote": "Quote",
        "class": "Class",
        "also": "Also known as",
        "yes": "yes",
        "no": "no",
        "relations": "Relations",
        "style_stated": "confirmed or stated (solid)",
        "style_reported": "reported by the press (dashed)",
        "style_rumoured": "rumoured (dotted)",
        "style_denied": "denied (purple, dashed)",
        "style_disputed": "disputed: sources disagree (orange)",
        "year": "Year",
        "play": "Play",
        "all_years": "all",
        "time_note": "The slider grows the graph year by year; undated relations stay throughout.",
        "as_of": "as of {date}",
    },
    "zh": {
        "whole": "全图",
        "filtered": "筛选后的图",
        "focus": "{name} 及其 {depth} 跳以内的关系网",
        "path": "{a} 如何连到 {b}：{hops} 跳",
        "top": "按{measure}中心性排名前 {top} 的实体",
        "counts": "{nodes} 个实体，{edges} 条关系",
        "classes": "类别：{names}",
        "kinds": "关系：{names}",
        "of_total": "（全图共 {total} 个实体）",
        "size": "节点大小：本视图中的{measure}中心性",
        "width": "连线粗细：金额（融资轮次、收购价），对数刻度，未做币种换算",
        "hops": "逐跳说明",
        "neighbourhood": "路径及其相邻实体（全图共 {total} 个实体）",
        "search": "查找实体…",
        "legend": "类别",
        "details": "点击实体或关系查看事实与来源。",
        "not_found": "本视图中没有名为“{name}”的实体。",
        "source": "来源：",
        "quote": "原文",
        "class": "类别",
        "also": "又名",
        "yes": "是",
        "no": "否",
        "relations": "关系",
        "style_stated": "已确认或直述（实线）",
        "style_reported": "媒体报道（虚线）",
        "style_rumoured": "传闻（点线）",
        "style_denied": "已否认（紫色虚线）",
        "style_disputed": "有争议：来源说法不一（橙色）",
        "year": "年份",
        "play": "播放",
        "all_years": "全部",
        "time_note": "拖动滑块按年份展开关系网；无日期的关系始终显示。",
        "as_of": "截至 {date}",
    },
}
#: How an edge is drawn by how sure its source is (``status``), and when sources disagree on it.
EDGE_STYLES = {
    "reported": {"dashes": [8, 5]},
    "rumoured": {"dashes": [2, 5]},
    "denied": {"dashes": [8, 5], "color": "#7b3294"},
    "disputed": {"color": "#e6550d"},
}
_MEASURE_NAMES = {"zh": {"degree": "度", "betweenness": "中介", "pagerank": "PageRank "}}


# ---------------------------------------------------------------------------
# Assets
# ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def vis_assets() -> tuple[str, str]:
    """The vis-network JavaScript and its version, read from the copy pyvis ships.

    pyvis is located without being imported (importing it pulls in IPython).

    Raises
    ------
    DataError
        If no vis-network copy is found, or it contains ``</script``.

    Examples
    --------
    >>> js, version = vis_assets()
    >>> version, "vis-network" in js[:200]
    ('9.1.2', True)
    """
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    folders = [Path(p) / "templates" / "lib" for p in (spec.submodule_search_locations or [])] if spec else []
    found = []
    for folder in folders:
        for js in folder.glob("vis-*/vis-network.min.js"):
            version = js.parent.name.removeprefix("vis-")
            found.append((tuple(int(x) for x in re.findall(r"\d+", version)), version, js))
    if not found:
        raise DataError("vis-network not found: pyvis (which ships it) is not installed; pip install pyvis")
    _, version, path = max(found)
    text = path.read_text(encoding="utf-8")
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise DataError(f"{path}: cannot be inlined safely (contains </script or <!--)")
    return text, version


@lru_cache(maxsize=2)
def _template(name: str = "view.html") -> str:
    return (Path(__file__).parent / "templates" / name).read_text(encoding="utf-8")


def _csp_hash(script: str) -> str:
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def safe_json(value) -> str:
    """JSON that can sit inside an HTML ``<script>`` element without ending it.

    ``<``, ``>``, ``&`` and the JavaScript line separators are written as
    ``\\uXXXX`` escapes, so data holding ``</script>`` stays data.

    Examples
    --------
    >>> safe_json({"label": "</script><img src=x onerror=alert(1)>"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x onerror=alert(1)\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


# ---------------------------------------------------------------------------
# Choosing what to show
# ---------------------------------------------------------------------------

def _resolve_classes(kg, classes) -> tuple[set[str] | None, list[str]]:
    """The class names to keep (with subclasses), and the classes as asked for (local names)."""
    from kg.paths import resolve_class

    names = [c.strip() for value in classes or [] for c in str(value).split(",") if c.strip()]
    if not names:
        return None, []
    chosen: set[str] = set()
    roots: list[str] = []
    for name in names:
        found = resolve_class(kg, name)
        chosen |= found
        root = next((c for c in sorted(found) if resolve_class(kg, c) == found), sorted(found)[0])
        if root not in roots:
            roots.append(root)
    return chosen, roots


def _subgraph(G, nodes, kinds) -> nx.MultiDiGraph:
    """A fresh MultiDiGraph of ``nodes`` and the edges between them of the allowed kinds."""
    S = nx.MultiDiGraph()
    S.add_nodes_from((n, G.nodes[n]) for n in sorted(nodes))
    for u in sorted(nodes):
        for _, v, key, data in sorted(G.out_edges(u, keys=True, data=True), key=lambda e: (e[1], e[2])):
            if v in S and (kinds is None or data["kind"] in kinds):
                S.add_edge(u, v, key=key, **data)
    return S


def _simple(S) -> nx.Graph:
    U = nx.Graph()
    U.add_nodes_from(S.nodes)
    U.add_edges_from(sorted({tuple(sorted((u, v))) for u, v in S.edges()}))
    return U


#: Betweenness on views above this many nodes is estimated from a seeded sample of sources.
_SAMPLE_ABOVE, _SAMPLE_SIZE = 1000, 300


def _scores(S, measure: str) -> dict:
    from kg.analysis import centrality_scores

    scores, _ = centrality_scores(S, measure, sample_above=_SAMPLE_ABOVE, sample_size=_SAMPLE_SIZE)
    return scores


def _too_big(n_nodes: int, n_edges: int, max_nodes: int, what: str, size_by: str) -> BadInput:
    return BadInput(
        f"{what} has {n_nodes} entities and {n_edges} relations, more than a browser can lay out "
        f"smoothly ({max_nodes} entities, {MAX_EDGES} relations); narrow it: --focus NAME --depth 1, "
        f"--top 500 (the most central by {size_by}), or --class/--only filters"
    )


# ---------------------------------------------------------------------------
# Text for nodes, edges and the page
# ---------------------------------------------------------------------------

def _label(data: dict, lang: str) -> str:
    return (data.get("label_zh") or data["label"]) if lang == "zh" else data["label"]


class _Labels:
    """Labels from the ontology and the sources, looked up once per view."""

    def __init__(self, graph, lang: str):
        from kg.vocab import CHIPS

        self.graph, self.lang, self.chips = graph, lang, CHIPS
        self._cache: dict = {}

    def of(self, iri) -> str:
        from kg.names import label_of

        key = ("label", str(iri))
        if key not in self._cache:
            self._cache[key] = label_of(self.graph, URIRef(str(iri)), self.lang)
        return self._cache[key]

    def local(self, name: str) -> str:
        """Label of an ontology term given by local name (``investedIn``, ``Person``)."""
        return self.of(str(self.chips) + name) if name else ""

    cls = fact = local

    def source(self, iri: str) -> str:
        key = ("source", iri)
        if key not in self._cache:
            node = URIRef(iri)
            parts = [self.of(node)]
            extra = [str(v) for p in (URIRef(str(self.chips) + "publisher"), URIRef(str(self.chips) + "published"))
                     for v in [self.graph.value(node, p)] if v is not None]
            if extra:
                parts.append(f"({', '.join(extra)})")
            self._cache[key] = " ".join(parts)
        return self._cache[key]


def _fact_value(value, text) -> str:
    if isinstance(value, bool):
        return text["yes"] if value else text["no"]
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _node_tip(data: dict, labels: _Labels, lang: str, text: dict) -> dict:
    other = data.get("label_zh") if lang == "en" else data.get("label")
    facts = [[text["class"], labels.cls(data.get("cls", ""))]]
    if other and other != _label(data, lang):
        facts.append([text["also"], other])
    for key in sorted(k for k in data if k not in _NOT_FACTS)[:_MAX_FACTS]:
        facts.append([labels.fact(key), _fact_value(data[key], text)])
    return {
        "title": _label(data, lang),
        "facts": facts,
        "sources": [labels.source(s) for s in data.get("sources", [])],
        "iri": data.get("iri", ""),
    }


def _edge_sentence(G, u, v, data: dict, labels: _Labels, lang: str) -> str:
    if lang == "en":
        return data["sentence"]
    from kg.facts import format_money

    details = []
    if data.get("series"):
        details.append(round_name(data["series"], "zh"))
    for key, fmt in (("date", "{}"), ("start", "自 {}"), ("end", "至 {}")):
        if data.get(key):
            details.append(fmt.format(data[key]))
    if data.get("amount") is not None:
        qualifier = {"minimum": "超过 ", "approximate": "约 "}.get(data.get("amount_bound"), "")
        details.append(format_money(data["amount"], data.get("currency") or "USD", qualifier))
    if data.get("lead"):
        details.append("领投")
    sentence = f"{_label(G.nodes[u], lang)} {labels.of(data['predicate'])} {_label(G.nodes[v], lang)}"
    return f"{sentence}（{'，'.join(details)}）" if details else sentence


def _edge_tip(G, u, v, data: dict, labels: _Labels, lang: str, text: dict) -> dict:
    facts = []
    quotes = data.get("quotes") or []
    if quotes:
        quote = quotes[0]
        facts.append([text["quote"], quote if len(quote) <= _QUOTE_CHARS else quote[:_QUOTE_CHARS] + "…"])
    return {
        "title": _edge_sentence(G, u, v, data, labels, lang),
        "facts": facts,
        "sources": [labels.source(s) for s in data.get("sources", [])],
        "iri": data.get("relation", ""),
    }


def _size(score: float, top: float) -> float:
    return round(10 + 30 * math.sqrt(score / top), 2) if top > 0 else 14.0


def _width(amount) -> float:
    """Edge width for a sum of money, on a fixed log scale: US$1M → 2.5, 100M → 5.5, 10B → 8.5.

    The scale is the same in every view, so widths compare across views;
    currencies are not converted.

    Examples
    --------
    >>> _width(1_000_000), _width(100_000_000), _width(None)
    (2.5, 5.5, 1.0)
    """
    if not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount <= 0:
        return 1.0
    return round(min(10.0, max(1.5, 1 + 1.5 * (math.log10(amount) - 5))), 2)


def _symmetric_kinds(graph) -> set[str]:
    from kg.network import kind_of

    return {kind_of(p) for p in graph.subjects(RDF.type, OWL.SymmetricProperty)}


def _layout(S) -> dict:
    """Seeded starting positions, in pixels, for the browser's (bounded) physics.

    Up to :data:`_LAYOUT_CORE` nodes get a spring layout. In larger views only
    the best-connected nodes do; every other node is put next to a placed
    neighbour (breadth first, seeded jitter), and unconnected ones on a ring
    outside, which is cheap and leaves the browser little to settle.
    """
    n = S.number_of_nodes()
    if n == 0:
        return {}
    U = _simple(S)
    radius = 80 + 45 * math.sqrt(n)
    if n <= _LAYOUT_CORE:
        pos = nx.spring_layout(U, seed=SEED)
        return {v: (round(float(x) * radius, 1), round(float(y) * radius, 1)) for v, (x, y) in pos.items()}
    import random

    rng = random.Random(SEED)
    degree = dict(U.degree())
    core = sorted(U, key=lambda v: (-degree[v], v))[:_LAYOUT_CORE]
    placed = {v: (float(x), float(y)) for v, (x, y) in nx.spring_layout(U.subgraph(core), seed=SEED).items()}
    step = 1.2 / math.sqrt(_LAYOUT_CORE)
    frontier = list(core)
    while frontier:
        following = []
        for v in frontier:
            for w in sorted(U[v], key=lambda w: (-degree[w], w)):
                if w not in placed:
                    angle = rng.uniform(0, 2 * math.pi)
                    distance = step * rng.uniform(0.5, 1.0)
                    x, y = placed[v]
                    placed[w] = (x + distance * math.cos(angle), y + distance * math.sin(angle))
                    following.append(w)
        frontier = following
    rest = sorted(v for v in U if v not in placed)
    for i, v in enumerate(rest):
        angle = 2 * math.pi * i / len(rest)
        placed[v] = (1.3 * math.cos(angle), 1.3 * math.sin(angle))
    return {v: (round(x * radius, 1), round(y * radius, 1)) for v, (x, y) in placed.items()}


# ---------------------------------------------------------------------------
# The view
# ---------------------------------------------------------------------------

def build_view(kg, *, focus: str | None = None, depth: int = 1, path=None, classes=None, only=None,
               size_by: str = "degree", lang: str = "en", top: int | None = None,
               max_nodes: int = MAX_NODES) -> dict:
    """Choose the nodes and edges of a view and how each is drawn.

    Parameters
    ----------
    kg : KnowledgeGraph
    focus : str, optional
        Show this entity and everything within ``depth`` hops (an ego network).
    depth : int
        Hops out from ``focus``.
    path : (str, str), optional
        Highlight the shortest connection between two entities; the rest of
        the view is faded but present, and the hops are told in a side panel.
        When the view would be too large, only the path and the entities
        next to it are shown.
    classes : list of str, optional
        Keep only entities of these classes (and subclasses): ``["Company", "Person"]``.
    only : list of str, optional
        Keep only these relation kinds (``investedIn``, ``"worked at"``);
        entities left without any such relation are dropped.
    size_by : {"degree", "betweenness", "pagerank"}
        Centrality (within the view) that sizes the nodes.
    lang : {"en", "zh"}
        Language of labels, legend and titles.
    top : int, optional
        Keep only the ``top`` most central entities (by ``size_by`` on the
        filtered graph); the way to look at a graph too large to show whole.
    max_nodes : int
        Refuse views larger than this (see :data:`MAX_NODES`).

    Returns
    -------
    dict
        ``{"title", "subtitle", "lang", "nodes", "edges", "legend", "hops",
        "notes", "physics", "counts", "edge_legend", "styles", "time"}``; every
        value JSON-ready. Each node:
        ``{"id", "label", "cls", "color", "size", "x", "y", "tip", "path",
        "focus"}``; each edge ``{"id", "from", "to", "label", "kind",
        "width", "arrows", "tip", "path", "smooth"}``. ``tip`` holds plain
        text (``title``, ``facts``, ``sources``) that the page writes with
        ``textContent``.

    Raises
    ------
    BadInput
        For a bad option, or a view above ``max_nodes`` entities / :data:`MAX_EDGES`
        relations without ``top`` (the message suggests how to narrow it).
    UnknownEntity, NoPath
        When a name matches nothing, or the two ends of ``path`` do not connect.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> view = build_view(kg)
    >>> len(view["nodes"]) == kg.network.number_of_nodes()
    True
    >>> view = build_view(kg, path=("Nvidia", "Graphcore"))
    >>> view["title"].startswith("How Nvidia connects to Graphcore")
    True
    >>> [n["label"] for n in view["nodes"] if n["path"]][:1]
    ['Graphcore']
    """
    if size_by not in SIZE_MEASURES:
        raise BadInput(f"unknown size measure {size_by!r}; choose one of: {', '.join(SIZE_MEASURES)}")
    if lang not in LANGS:
        raise BadInput(f"unknown language {lang!r}; choose one of: {', '.join(LANGS)}")
    if depth < 1:
        raise BadInput("depth must be at least 1")
    if top is not None and top < 1:
        raise BadInput("top must be at least 1")
    if path is not None and len(path) != 2:
        raise BadInput("a path needs two entities: --path A B")
    from kg.paths import find_paths, resolve_kinds

    text = _TEXT[lang]
    label_graph = getattr(kg, "labels_graph", None)
    labels = _Labels(kg.graph if label_graph is None else label_graph, lang)
    kinds = resolve_kinds(kg, only)
    wanted, asked = _resolve_classes(kg, classes)
    notes: list[str] = []
    fast = None
    if (top is not None and focus is None and path is None and wanted is None and kinds is None
            and size_by == "degree" and getattr(kg, "adjacency", None) is not None):
        if top > max_nodes:
            raise BadInput(f"--top {top} is more than a browser can lay out smoothly; at most {max_nodes}")
        fast = _top_by_degree(kg.adjacency, top)
    G = kg.network if fast is None else None

    base = set() if G is None else {n for n, d in G.nodes(data=True) if wanted is None or d.get("cls") in wanted}
    if kinds is not None:
        base = {n for n in base if any(d["kind"] in kinds and (v in base) for _, v, d in G.out_edges(n, data=True))
                or any(d["kind"] in kinds and (u in base) for u, _, d in G.in_edges(n, data=True))}

    forced: list[str] = []
    center = None
    if focus:
        center = str(kg.resolve(focus).iri)
        forced.append(center)
        H = _simple(_subgraph(G, base | {center}, kinds))
        base = set(nx.single_source_shortest_path_length(H, center, cutoff=depth))

    answer = None
    path_nodes: list[str] = []
    path_edges: set[tuple] = set()
    if path is not None:
        answer = find_paths(kg, path[0], path[1], only=only)
        best = answer["paths"][0]
        path_nodes = [n["iri"] for n in best["nodes"]]
        forced.extend(path_nodes)
        for e in best["edges"]:
            path_edges.add((e["source"], e["target"], e["predicate"], e["attributes"].get("relation")))

    total_nodes = len(base)
    chosen = base | set(forced)
    S = fast if G is None else _subgraph(G, chosen, kinds)
    if G is None:
        pass  # already the top entities, chosen from the arrays
    elif top is not None and S.number_of_nodes() > top:
        from kg.analysis import rank_scores

        if top > max_nodes:
            raise BadInput(f"--top {top} is more than a browser can lay out smoothly; at most {max_nodes}")
        scores = _scores(S, size_by)
        ranked = [n for n, _ in rank_scores(scores, {n: G.nodes[n]["label"] for n in S})]
        keep = set(forced) | set(ranked[: max(0, top - len(set(forced)))])
        S = _subgraph(G, keep, kinds)
    elif answer is not None and not focus and S.number_of_nodes() > max_nodes:
        near = set(path_nodes)
        for n in path_nodes:
            near |= set(nx.all_neighbors(S, n))
        S = _subgraph(G, near, kinds)
        notes.append(text["neighbourhood"].format(total=f"{total_nodes:,}"))
    if S.number_of_nodes() > max_nodes or S.number_of_edges() > MAX_EDGES:
        what = f"the ego network of {G.nodes[center]['label']} at depth {depth}" if center else "this view"
        raise _too_big(S.number_of_nodes(), S.number_of_edges(), max_nodes, what, size_by)

    scores = _scores(S, size_by)
    top_score = max(scores.values(), default=0.0)
    positions = _layout(S)
    on_path = set(path_nodes)

    nodes = []
    for n, data in S.nodes(data=True):
        x, y = positions[n]
        nodes.append({
            "id": n,
            "label": _label(data, lang),
            "cls": data.get("cls", ""),
            "color": CLASS_COLOURS.get(data.get("cls", ""), _OTHER_COLOUR),
            "size": _size(scores.get(n, 0.0), top_score),
            "x": x, "y": y,
            "tip": _node_tip(data, labels, lang, text),
            "path": n in on_path,
            "focus": n == center,
        })

    symmetric = _symmetric_kinds(labels.graph)
    disputed = _disputed_claims(kg, S)
    edge_list = [((u, v, k), d) for u, v, k, d in S.edges(keys=True, data=True)]
    widths = {key: _width(d.get("amount")) for key, d in edge_list if d.get("amount") is not None}
    pair_count: dict[tuple, int] = {}
    edges = []
    for i, ((u, v, k), d) in enumerate(edge_list):
        pair = tuple(sorted((u, v)))
        index = pair_count.get(pair, 0)
        pair_count[pair] = index + 1
        smooth = {"enabled": False} if index == 0 else {
            "enabled": True, "type": "curvedCW" if index % 2 else "curvedCCW",
            "roundness": round(0.15 * ((index + 1) // 2), 2)}
        status = str(d.get("status") or "").casefold() or None
        edges.append({
            "id": f"e{i}",
            "from": u, "to": v,
            "year": _year(d.get("date") or d.get("start")), "until": _year(d.get("end")),
            "status": status, "disputed": d.get("relation") in disputed,
            "style": "disputed" if d.get("relation") in disputed else (status if status in EDGE_STYLES else "stated"),
            "label": labels.of(d["predicate"]) if lang != "en" else d["label"],
            "kind": d["kind"],
            "width": widths.get((u, v, k), 1.0),
            "arrows": "" if d["kind"] in symmetric else "to",
            "smooth": smooth,
            "tip": _edge_tip(S, u, v, d, labels, lang, text),
            "path": (u, v, d["predicate"], d.get("relation")) in path_edges,
        })

    counts = {"nodes": len(nodes), "edges": len(edges),
              "graph_nodes": G.number_of_nodes() if G is not None else len(kg.adjacency),
              "graph_edges": G.number_of_edges() if G is not None else len(kg.adjacency.edge_src)}
    title = _title(G, text, lang, center, depth, answer, top, size_by, counts, filtered=bool(wanted or kinds))
    subtitle = [text["counts"].format(nodes=f"{counts['nodes']:,}", edges=f"{counts['edges']:,}",
                                      ies="y" if counts["nodes"] == 1 else "ies", s="" if counts["edges"] == 1 else "s")]
    if top is not None or counts["nodes"] < counts["graph_nodes"]:
        subtitle[0] += text["of_total"].format(total=f"{counts['graph_nodes']:,}")
    if wanted is not None:
        subtitle.append(text["classes"].format(names=", ".join(labels.cls(c) for c in asked)))
    if kinds is not None:
        subtitle.append(text["kinds"].format(names=", ".join(labels.local(k) for k in sorted(kinds))))
    measure = _MEASURE_NAMES.get(lang, {}).get(size_by, size_by)
    notes.insert(0, text["size"].format(measure=measure))
    if widths:
        notes.append(text["width"])

    present: dict[str, int] = {}
    for node in nodes:
        present[node["cls"]] = present.get(node["cls"], 0) + 1
    legend = [{"cls": c, "label": labels.cls(c), "color": CLASS_COLOURS.get(c, _OTHER_COLOUR), "count": present[c]}
              for c in sorted(present, key=lambda c: (-present[c], c))]

    hops = []
    if answer is not None:
        best = answer["paths"][0]
        for e in best["edges"]:
            data = dict(e["attributes"], sentence=e["sentence"], predicate=e["predicate"])
            hops.append({
                "sentence": _edge_sentence(G, e["source"], e["target"], data, labels, lang),
                "sources": [labels.source(s) for s in e["sources"]],
            })

    time = getattr(kg, "time", None)
    as_of = str(time.as_of) if time is not None and time.as_of is not None else None
    if as_of:
        subtitle.append(text["as_of"].format(date=as_of))
    years = sorted({y for e in edges for y in (e["year"], e["until"]) if y is not None})
    slider = None if as_of or not years else {"min": years[0], "max": years[-1]}
    if slider:
        notes.append(text["time_note"])
    styles_present = sorted({e["style"] for e in edges}, key=lambda st: ["stated", *EDGE_STYLES].index(st))
    edge_legend = [{"style": st, "label": text[f"style_{st}"], **EDGE_STYLES.get(st, {})} for st in styles_present]

    n = len(nodes)
    physics = {"enabled": 0 < n <= PHYSICS_MAX_NODES,
               "iterations": 300 if n <= 150 else 200 if n <= 600 else 100}
    return {
        "title": title,
        "subtitle": " · ".join(subtitle),
        "lang": lang,
        "size_by": size_by,
        "nodes": nodes,
        "edges": edges,
        "legend": legend,
        "edge_legend": edge_legend,
        "styles": EDGE_STYLES,
        "time": {"as_of": as_of, "slider": slider},
        "hops": hops,
        "notes": notes,
        "physics": physics,
        "counts": counts,
        "text": {k: text[k] for k in ("search", "legend", "hops", "details", "not_found", "source", "relations",
                                      "year", "play", "all_years")},
        "colours": {"path": _PATH_COLOUR, "faded": _FADED_OPACITY},
    }


def _year(value) -> int | None:
    """The first year a partial date may stand for (``"2024-07"`` → 2024), or None."""
    return int(str(value)[:4]) if value else None


def _disputed_claims(kg, S) -> set[str]:
    """The relation nodes drawn in ``S`` that are one side of a disputed fact (:func:`kg.conflicts.conflicts`).

    On a store, the facts are judged on the neighbourhoods of the entities
    those relations join (:meth:`kg.store.StoreKnowledgeGraph.entity_graph`):
    every fact a drawn relation can state is keyed by one of its two ends, so
    the claims disputing it point at that end too. The store is not copied.
    """
    from kg.conflicts import conflicts
    from kg.loader import KnowledgeGraph

    ends = sorted({n for u, v, d in S.edges(data=True) if d.get("relation") for n in (u, v)})
    if not ends:
        return set()
    if hasattr(kg, "entity_graph"):
        from rdflib import Graph

        graph = Graph()
        for iri in ends:
            graph += kg.entity_graph(iri).graph  # each holds the ontology too
        kg = KnowledgeGraph(graph=graph, files=[])
    return {s["claim"] for c in conflicts(kg)["conflicts"] for s in c["sides"] if s["claim"]}


def _top_by_degree(adjacency, top: int) -> nx.MultiDiGraph | None:
    """The ``top`` entities of most distinct neighbours and the relations between them, from the arrays.

    The same entities and order as ranking the whole projection by degree
    centrality (:func:`kg.analysis.rank_scores`: degree, then label, then IRI),
    without building it; None when the graph has no more than ``top`` entities.
    """
    import numpy as np

    n = len(adjacency)
    if n <= top:
        return None
    degree = np.diff(np.frombuffer(adjacency.indptr, dtype=np.int64))
    least = np.partition(degree, n - top)[n - top]
    candidates = np.flatnonzero(degree >= least).tolist()  # ties at the cut are decided by label, then IRI
    ranked = sorted(candidates, key=lambda i: (-int(degree[i]), adjacency.node(i)["label"], adjacency.iris[i]))
    keep = set(ranked[:top])
    S = nx.MultiDiGraph()
    iris = adjacency.iris
    for i in sorted(keep, key=lambda i: iris[i]):
        S.add_node(iris[i], **adjacency.node(i))
    for i in sorted(keep, key=lambda i: iris[i]):
        out = [adjacency.edge(e) for b, pair in adjacency.ties(i) if b in keep
               for e in adjacency.refs(pair) if adjacency.edge_src[e] == i]
        for _, t, key, data in sorted(out, key=lambda e: (iris[e[1]], e[2])):
            S.add_edge(iris[i], iris[t], key=key, **data)
    return S


def _title(G, text, lang, center, depth, answer, top, size_by, counts, filtered=False) -> str:
    if answer is not None:
        hops = answer["paths"][0]["length"]
        a = _label(G.nodes[answer["source"]["iri"]], lang)
        b = _label(G.nodes[answer["target"]["iri"]], lang)
        return text["path"].format(a=a, b=b, hops=hops, s="s" if hops != 1 else "")
    if center is not None:
        return text["focus"].format(name=_label(G.nodes[center], lang), depth=depth, s="s" if depth != 1 else "")
    if top is not None:
        return text["top"].format(top=counts["nodes"], measure=_MEASURE_NAMES.get(lang, {}).get(size_by, size_by))
    return text["filtered"] if filtered else text["whole"]


# ---------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------

def render_html(view: dict) -> str:
    """Render a view (from :func:`build_view`) as one self-contained HTML page.

    vis-network's script is inlined; the page loads nothing from the network.
    The view goes in as JSON inside a ``<script type="application/json">``
    element (see :func:`safe_json`), and every label, tooltip and sentence
    is written into the page with ``textContent``, so markup in the data is
    shown as text and never run. A Content-Security-Policy allows only the
    page's own two scripts (by hash) and no network access at all.

    Examples
    --------
    >>> from kg import load
    >>> page = render_html(build_view(load(), focus="Icera"))
    >>> page.startswith("<!DOCTYPE html>"), "https://" in re.findall(r'(?:src|href)="([^"]*)"', page)
    (True, False)
    """
    js, version = vis_assets()
    app = _template("view.js")
    values = {
        "LANG": html.escape(view["lang"]),
        "TITLE": html.escape(view["title"]),
        "SUBTITLE": html.escape(view["subtitle"]),
        "SEARCH": html.escape(view["text"]["search"]),
        "VIS_VERSION": html.escape(version),
        "VIS_JS": js,
        "APP_JS": app,
        "SCRIPT_HASHES": f"{_csp_hash(js)} {_csp_hash(app)}",
        "DATA": safe_json(view),
    }
    return re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], _template())


def to_iframe(view: dict, height: int = 640) -> str:
    """The page of ``view`` inside a sandboxed ``<iframe srcdoc>``, for a notebook cell.

    Display it with ``IPython.display.HTML(to_iframe(view))``. The page runs
    in an opaque origin (``sandbox="allow-scripts"``), apart from the notebook.

    Examples
    --------
    >>> from kg import load
    >>> to_iframe(build_view(load(), focus="Icera")).startswith('<div class="kg-view"><iframe sandbox="allow-scripts"')
    True
    """
    return (f'<div class="kg-view"><iframe sandbox="allow-scripts" title="{html.escape(view["title"])}" '
            f'style="width: 100%; height: {int(height)}px; border: 1px solid #ddd" '
            f'srcdoc="{html.escape(render_html(view), quote=True)}"></iframe></div>')


def write_view(view: dict, output) -> Path:
    """Render ``view`` and write the page to ``output`` atomically; return the path."""
    from kg.export import atomic_write

    return atomic_write(output, render_html(view))

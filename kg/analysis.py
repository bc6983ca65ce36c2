"""Who matters in the network: centrality, communities, co-investment and co-customer ties."""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from itertools import combinations

import networkx as nx

from kg.errors import BadInput
from kg.i18n import node_label
from kg.network import undirected

__all__ = ["MEASURES", "SAMPLE_ABOVE", "centrality", "centrality_scores", "adjacency_scores", "communities",
           "coinvestment", "cocustomers", "portfolio", "rank_scores", "adjacency_betweenness"]

MEASURES = ("degree", "betweenness", "closeness", "eigenvector", "pagerank")

#: Above this many nodes, betweenness is estimated from a seeded sample of source nodes.
SAMPLE_ABOVE = 5000
SAMPLE_SIZE = 256
#: With igraph (C), sampling is cheap enough to use many more sources.
SAMPLE_SIZE_IGRAPH = 2000
SEED = 42
#: Sampled sources handed to igraph at a time.
_BATCH = 250


def _to_igraph(graph):
    """``graph`` as an igraph Graph plus its node list, or None when igraph is not installed."""
    try:
        import igraph
    except ImportError:
        return None
    nodes = list(graph)
    index = {node: i for i, node in enumerate(nodes)}
    edges = [(index[u], index[v]) for u, v in graph.edges()]
    return igraph.Graph(n=len(nodes), edges=edges, directed=graph.is_directed()), nodes


def _igraph_betweenness(graph, directed: bool, sample_above: int, sample_size: int):
    """Betweenness normalised as networkx does, exact or from seeded sampled sources, in C.

    Returns ``(scores, k)`` with ``k`` the number of sampled sources (None when
    exact), or None when igraph is not installed.
    """
    converted = _to_igraph(graph)
    if converted is None:
        return None
    return _sampled_betweenness(*converted, directed, sample_above, sample_size)


def _sampled_betweenness(g, nodes, directed: bool, sample_above: int, sample_size: int):
    import random

    from kg.parallel import Forked

    n = len(nodes)
    k = min(sample_size, n) if n > sample_above else None
    if k is None:
        raw = g.betweenness(directed=directed)
    else:  # the sum over batches of sources is the whole sum; igraph's memory and time grow faster than linearly in k
        sources = sorted(random.Random(SEED).sample(range(n), k))
        batches = [sources[start:start + _BATCH] for start in range(0, k, _BATCH)]
        half = len(batches) // 2  # a forked child computes the second half meanwhile: the second core

        def betweenness(chosen):
            return [g.betweenness(directed=directed, sources=batch) for batch in chosen]

        with Forked(lambda: betweenness(batches[half:]), fork=half > 0) as child:
            parts = betweenness(batches[:half])
            parts += child.result()
        raw = [0.0] * n
        for part in parts:  # added in the batches' order, whichever process computed them
            raw = [a + b for a, b in zip(raw, part)]
    scale = (n / k if k else 1.0) * (1.0 if directed else 2.0) / max((n - 1) * (n - 2), 1)
    return {node: value * scale for node, value in zip(nodes, raw)}, k


def _simple_edges(adjacency, directed: bool):
    """The edges of the simple view as an ``(m, 2)`` array of node numbers, in networkx's edge order.

    Undirected: each pair of tied entities once, as :func:`kg.network.undirected`
    lists them; directed: each ``(source, target)`` once, sorted.
    """
    import numpy as np

    if directed:
        n = len(adjacency)
        src = np.frombuffer(adjacency.edge_src, dtype=np.int32).astype(np.int64)
        dst = np.frombuffer(adjacency.edge_dst, dtype=np.int32)
        pairs = np.unique(src * n + dst)
        return np.column_stack((pairs // n, pairs % n))
    indptr = np.frombuffer(adjacency.indptr, dtype=np.int64)
    indices = np.frombuffer(adjacency.indices, dtype=np.int32)
    rows = np.repeat(np.arange(len(adjacency), dtype=np.int64), np.diff(indptr))
    one_way = rows < indices  # each tie is listed from both ends
    return np.column_stack((rows[one_way], indices[one_way]))


def adjacency_scores(adjacency, measure: str = "degree", *, directed: bool = False,
                     sample_above: int = SAMPLE_ABOVE, sample_size: int = SAMPLE_SIZE_IGRAPH) -> tuple[dict, dict]:
    """:func:`centrality_scores` straight from the CSR arrays of an adjacency, by node number.

    The same scores (to about 1e-12) on the same simple view, without
    building the networkx projection first: what a graph of millions of
    triples needs. Betweenness and closeness run in igraph, degree and
    PageRank in numpy, eigenvector in scipy (ARPACK, as networkx does).

    Parameters
    ----------
    adjacency : kg.adjacency.Adjacency
    measure, directed, sample_above, sample_size
        As for :func:`centrality_scores`.

    Returns
    -------
    (dict, dict)
        Scores by node number, and notes on the method.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> scores, notes = adjacency_scores(kg.adjacency, "closeness", directed=True)
    >>> reference, _ = centrality_scores(kg.network, "closeness", directed=True)
    >>> max(abs(scores[kg.adjacency.index_of(n)] - reference[n]) for n in reference) < 1e-12, notes["backend"]
    (True, 'igraph')
    """
    if measure not in MEASURES:
        raise BadInput(f"unknown measure {measure!r}; choose one of: {', '.join(MEASURES)}")
    import numpy as np

    use_directed = directed or measure == "pagerank"
    n = len(adjacency)
    notes = {"measure": measure, "graph": "directed" if use_directed else "undirected", "nodes": n}
    if n == 0:
        return {}, notes
    edges = _simple_edges(adjacency, use_directed)
    if measure == "degree":
        if n == 1:
            return {0: 1}, notes
        scale = 1.0 / (n - 1.0)
        return dict(enumerate((np.bincount(edges.ravel(), minlength=n) * scale).tolist())), notes
    if measure in ("eigenvector", "pagerank"):
        import scipy as sp

        A = sp.sparse.csr_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        if not use_directed:
            A = A + A.T
        values = _eigenvector(A, use_directed) if measure == "eigenvector" else _pagerank(A)
        return dict(enumerate(values.tolist())), notes
    import igraph

    g = igraph.Graph(n=n, edges=edges.tolist(), directed=use_directed)
    notes["backend"] = "igraph"
    if measure == "closeness":
        return dict(enumerate(_closeness(g))), notes
    scores, k = _sampled_betweenness(g, range(n), use_directed, sample_above, sample_size)
    if k:
        notes["sampled_sources"] = k
    return scores, notes


def _eigenvector(A, directed: bool):
    """networkx's ``eigenvector_centrality_numpy`` on the adjacency matrix ``A``; BadInput when ambiguous."""
    import numpy as np
    import scipy as sp

    parts, _ = sp.sparse.csgraph.connected_components(A, directed=directed, connection="strong")
    if parts > 1:
        raise _ambiguous(parts, directed)
    _, vector = sp.sparse.linalg.eigs(A.T, k=1, which="LR", maxiter=50, tol=0)
    largest = vector.flatten().real
    return largest / (np.sign(largest.sum()) * sp.linalg.norm(largest))


def _ambiguous(parts: int | None, directed: bool) -> BadInput:
    how = "strongly connected parts (following directions)" if directed else "parts with no tie between them"
    return BadInput(f"eigenvector centrality has no single answer on a graph in {f'{parts:,} ' if parts else ''}"
                    f"{how}; use --measure pagerank or degree")


def _pagerank(A, alpha: float = 0.85, max_iter: int = 100, tol: float = 1.0e-6):
    """networkx's PageRank (its scipy power iteration, uniform teleport and dangling weights) on ``A``."""
    import numpy as np
    import scipy as sp

    N = A.shape[0]
    S = A.sum(axis=1)
    S[S != 0] = 1.0 / S[S != 0]
    A = sp.sparse.dia_array((S.T, 0), shape=A.shape).tocsr() @ A
    x = p = np.repeat(1.0 / N, N)
    is_dangling = np.where(S == 0)[0]
    for _ in range(max_iter):
        xlast = x
        x = alpha * (x @ A + sum(x[is_dangling]) * p) + (1 - alpha) * p  # Python's sum, as networkx adds them
        if np.absolute(x - xlast).sum() < N * tol:
            return x
    raise nx.PowerIterationFailedConvergence(max_iter)


def adjacency_betweenness(adjacency, *, sample_above: int = SAMPLE_ABOVE,
                          sample_size: int = SAMPLE_SIZE_IGRAPH) -> tuple[dict, dict]:
    """Betweenness on the undirected simple view, straight from the CSR arrays of an adjacency, by IRI.

    The same scores as :func:`centrality_scores` ``(G, "betweenness")`` with
    igraph (same nodes in the same order, same seeded sources, same
    normalisation): :func:`adjacency_scores` keyed by IRI.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> scores, notes = adjacency_betweenness(kg.adjacency)
    >>> reference, _ = centrality_scores(kg.network, "betweenness")
    >>> max(abs(scores[n] - reference[n]) for n in reference) < 1e-12, notes["graph"]
    (True, 'undirected')
    """
    scores, notes = adjacency_scores(adjacency, "betweenness", sample_above=sample_above, sample_size=sample_size)
    return {adjacency.iris[i]: s for i, s in scores.items()}, notes


def _closeness(g) -> list[float]:
    """Closeness as networkx defines it (distances *to* each node; Wasserman–Faust for disconnected graphs), in C."""
    n = g.vcount()
    if g.is_directed():
        reach = g.neighborhood_size(order=n, mode="in")
    else:
        components = g.connected_components()
        sizes = components.sizes()
        reach = [sizes[c] for c in components.membership]
    return [0.0 if value != value else value * (r - 1) / max(n - 1, 1)
            for value, r in zip(g.closeness(mode="in"), reach)]


def _igraph_closeness(graph):
    """Closeness of a networkx graph as networkx defines it, in C (None without igraph)."""
    converted = _to_igraph(graph)
    if converted is None:
        return None
    g, nodes = converted
    return dict(zip(nodes, _closeness(g)))


def rank_scores(scores: dict, labels: dict, top: int | None = None) -> list[tuple]:
    """Sort ``(node, score)`` by score, ties broken by label then node id, and cut at ``top``.

    ``labels`` needs only ``get``: with ``top``, it is asked only about the
    nodes scoring at least the ``top``-th score (labels read on demand stay unread).

    Examples
    --------
    >>> rank_scores({"a": 1.0, "b": 2.0, "c": 1.0}, {"a": "A", "b": "B", "c": "C"})
    [('b', 2.0), ('a', 1.0), ('c', 1.0)]
    >>> rank_scores({"a": 1.0, "b": 2.0, "c": 1.0}, {"a": "A", "b": "B", "c": "C"}, top=2)
    [('b', 2.0), ('a', 1.0)]
    """
    items = [(node, score, round(score, 12)) for node, score in scores.items()]
    if top and len(items) > top:
        cut = heapq.nlargest(top, (rounded for *_, rounded in items))[-1]
        items = [item for item in items if item[2] >= cut]
    ranked = [(node, score) for node, score, _ in
              sorted(items, key=lambda item: (-item[2], labels.get(item[0], ""), item[0]))]
    return ranked[:top] if top else ranked


def _directed_simple(G: nx.MultiDiGraph) -> nx.DiGraph:
    D = nx.DiGraph()
    D.add_nodes_from(G.nodes)
    D.add_edges_from(G.edges())
    return D


def centrality_scores(G: nx.MultiDiGraph, measure: str = "degree", *, directed: bool = False,
                      sample_above: int = SAMPLE_ABOVE, sample_size: int | None = None) -> tuple[dict, dict]:
    """Compute a centrality on the simple view of ``G`` (parallel edges collapsed).

    PageRank always runs on the directed view; the others on the undirected
    view unless ``directed``. Betweenness on graphs above ``sample_above``
    nodes is estimated from ``sample_size`` seeded source nodes (default 2,000
    with igraph, 256 with networkx). Betweenness, and closeness above
    ``sample_above`` nodes, run in igraph's C code when it is installed; the
    scores are normalised as networkx normalises them.

    Returns
    -------
    (dict, dict)
        Scores by node, and notes on the method (``graph``, ``sampled_sources``).

    Examples
    --------
    >>> import networkx as nx
    >>> star = nx.MultiDiGraph([("hub", "a"), ("hub", "b"), ("c", "hub")])
    >>> scores, notes = centrality_scores(star, "betweenness")
    >>> max(scores, key=scores.get), notes["graph"]
    ('hub', 'undirected')
    """
    if measure not in MEASURES:
        raise BadInput(f"unknown measure {measure!r}; choose one of: {', '.join(MEASURES)}")
    use_directed = directed or measure == "pagerank"
    graph = _directed_simple(G) if use_directed else undirected(G)
    n = graph.number_of_nodes()
    notes = {"measure": measure, "graph": "directed" if use_directed else "undirected", "nodes": n}
    if n == 0:
        return {}, notes
    if measure == "degree":
        return nx.degree_centrality(graph), notes
    if measure == "betweenness":
        fast = _igraph_betweenness(graph, use_directed, sample_above, sample_size or SAMPLE_SIZE_IGRAPH)
        if fast is not None:
            scores, k = fast
            notes["backend"] = "igraph"
        else:
            k = min(sample_size or SAMPLE_SIZE, n) if n > sample_above else None
            scores = nx.betweenness_centrality(graph, k=k, seed=SEED)
        if k:
            notes["sampled_sources"] = k
        return scores, notes
    if measure == "closeness":
        if n > sample_above and not use_directed:
            fast = _igraph_closeness(graph)
            if fast is not None:
                notes["backend"] = "igraph"
                return fast, notes
        return nx.closeness_centrality(graph), notes
    if measure == "eigenvector":
        try:
            return nx.eigenvector_centrality_numpy(graph), notes
        except nx.AmbiguousSolution:
            count = nx.number_strongly_connected_components if use_directed else nx.number_connected_components
            raise _ambiguous(count(graph), use_directed) from None
    return nx.pagerank(graph, alpha=0.85), notes


class _View:
    """What a ranking and its explanations read about nodes: names, ties, ties' weights, who points to a node."""

    def __init__(self, G, lang: str, labels):
        self.G, self.lang, self.labels, self.size = G, lang, labels, len(G)

    def name(self, node) -> str:
        return node_label(self.G, node, self.lang)


class _NetworkView(_View):
    """The view of a networkx projection."""

    def __init__(self, G, lang: str = "en"):
        super().__init__(G, lang, {n: G.nodes[n].get("label", str(n)) for n in G})
        self.U = undirected(G)

    def data(self, node) -> dict:
        return self.G.nodes[node]

    def cls(self, node):
        return self.G.nodes[node].get("cls")

    def ties(self, node) -> list:
        """The neighbours in the undirected simple view, in its order."""
        return list(self.U[node])

    def degree(self, node) -> int:
        return self.U.degree(node)

    def pointed_by(self, node) -> list:
        """The source of every edge into ``node``."""
        return [u for u, _ in self.G.in_edges(node)]


class _ArrayView(_View):
    """The view of an adjacency's CSR arrays (nodes are node numbers; details read only when asked)."""

    def __init__(self, adjacency, lang: str = "en"):
        import numpy as np

        super().__init__(adjacency, lang, _Labels(adjacency))
        self.indptr, self.indices = adjacency.indptr, adjacency.indices
        self._edge_src = np.frombuffer(adjacency.edge_src, dtype=np.int32)
        self._edge_dst = np.frombuffer(adjacency.edge_dst, dtype=np.int32)

    def data(self, node) -> dict:
        return self.G.node(node)

    def cls(self, node):
        return self.G.cls(node)

    def ties(self, node) -> list:
        return self.indices[self.indptr[node]:self.indptr[node + 1]].tolist()

    def degree(self, node) -> int:
        return self.indptr[node + 1] - self.indptr[node]

    def pointed_by(self, node) -> list:
        return self._edge_src[self._edge_dst == node].tolist()


class _Labels:
    """``labels.get(node)`` of :func:`rank_scores`, read from an adjacency only for the nodes asked about."""

    def __init__(self, adjacency):
        self.adjacency = adjacency

    def get(self, node, default=""):
        return self.adjacency.node(node).get("label", self.adjacency.iris[node])


def _bridged_groups(view, node) -> list[tuple[int, list]]:
    """The parts ``node`` alone holds together: ``(size, neighbours in it)`` per component left without it."""
    ties = view.ties(node)
    groups, seen = [], set()
    for neighbour in ties:
        if neighbour in seen:
            continue
        component, frontier = {node, neighbour}, [neighbour]
        while frontier:
            fresh = [m for u in frontier for m in view.ties(u) if m not in component]
            component.update(fresh)
            frontier = fresh
        members = [m for m in ties if m in component]
        seen.update(members)
        groups.append((len(component) - 1, members))
    return groups


def _explain(view, node, measure, lang: str = "en") -> str:
    from kg.i18n import word

    label, name = view.name(node), view.name

    def by_weight(nodes):
        return sorted(nodes, key=lambda m: (-view.degree(m), name(m)))

    def listed(names, shown=3):
        more = word(" and {} more", lang, len(names) - shown) if len(names) > shown else ""
        return ("、" if lang == "zh" else ", ").join(names[:shown]) + more

    ties = by_weight(view.ties(node))
    if measure == "betweenness" and len(ties) > 1 and view.size <= SAMPLE_ABOVE:
        groups = _bridged_groups(view, node)
        if len(groups) > 1:
            heads = [name(by_weight(members)[0])
                     for size, members in sorted(groups, key=lambda g: (-g[0], name(by_weight(g[1])[0])))]
            return word("{} alone holds together {} parts, the largest around {}", lang, label, len(groups), listed(heads))
        return word("{} is on the shortest routes between {}", lang, label, listed([name(m) for m in ties]))
    if measure == "betweenness":
        return (word("{} connects {}", lang, label, listed([name(m) for m in ties])) if len(ties) > 1
                else word("{} is a leaf", lang, label))
    if measure == "pagerank":
        inbound = sorted({name(u) for u in view.pointed_by(node)})
        return word("{} is pointed to by {}", lang, label, listed(inbound) or word("no one", lang))
    return word("{} has {} direct ties: {}", lang, label, len(ties), listed([name(m) for m in ties]))


def centrality(kg_or_graph, measure: str = "degree", *, cls=None, top: int = 10,
               directed: bool = False, lang: str = "en") -> dict:
    """Rank entities by a centrality measure, each with a sentence saying why.

    A knowledge graph is ranked from its compact adjacency
    (:func:`adjacency_scores`), without building the networkx projection; a
    networkx graph with :func:`centrality_scores`. Both give the same answer.

    Parameters
    ----------
    kg_or_graph : KnowledgeGraph or networkx.MultiDiGraph
    measure : {"degree", "betweenness", "closeness", "eigenvector", "pagerank"}
    cls : str, optional
        Rank only entities of this class or its subclasses (``Person``);
        scores are still computed on the whole graph.
    top : int
        How many to return.
    directed : bool
        Follow edge directions (betweenness, closeness, degree).

    Returns
    -------
    dict
        ``{"measure", "notes", "ranking": [{"rank", "iri", "label", "class", "score", "why"}]}``.

    Examples
    --------
    >>> from kg import load
    >>> ranking = centrality(load(), "betweenness", top=3)["ranking"]
    >>> len(ranking), ranking[0]["score"] >= ranking[-1]["score"]
    (3, True)
    >>> centrality(load().network, "betweenness", top=3)["ranking"] == ranking
    True
    """
    from kg.paths import resolve_class

    if top < 1:
        raise BadInput("top must be at least 1")
    adjacency, G = _arrays_or_network(kg_or_graph)
    if adjacency is not None:
        view = _ArrayView(adjacency, lang)
        scores, notes = adjacency_scores(adjacency, measure, directed=directed)
    else:
        view = _NetworkView(G, lang)
        scores, notes = centrality_scores(G, measure, directed=directed)
    if cls:
        wanted = {cls} if kg_or_graph is G else resolve_class(kg_or_graph, cls)
        scores = {n: s for n, s in scores.items() if view.cls(n) in wanted}
    ranking = []
    for rank, (node, score) in enumerate(rank_scores(scores, view.labels, top), start=1):
        data = view.data(node)
        ranking.append({
            "rank": rank, "iri": data.get("iri", str(node)),
            "label": view.name(node) if "label" in data else view.labels.get(node),
            "class": data.get("cls"), "score": round(score, 6),
            "why": _explain(view, node, measure, lang) if "label" in data else "",
        })
    return {"measure": measure, "notes": notes, "ranking": ranking}


def _arrays_or_network(kg_or_graph):
    """``(adjacency, None)`` for a knowledge graph holding its compact arrays, else ``(None, networkx graph)``.

    A graph known only remotely has neither: its ``network`` raises the error that says so.
    """
    if isinstance(kg_or_graph, nx.Graph):
        return None, kg_or_graph
    adjacency = getattr(kg_or_graph, "adjacency", None)
    return (adjacency, None) if adjacency is not None else (None, kg_or_graph.network)


def _tie_graph(adjacency) -> nx.Graph:
    """The undirected simple view of :func:`kg.network.undirected`, from the adjacency's arrays.

    Same nodes (with their attributes) and neighbours in the same order, so
    seeded algorithms walk it as they walk the view; no edge details.
    """
    iris = list(adjacency.iris)
    U = nx.Graph()
    U.add_nodes_from((iri, adjacency.node(i)) for i, iri in enumerate(iris))
    U.add_edges_from((iris[u], iris[v]) for u, v in zip(adjacency.edge_src.tolist(), adjacency.edge_dst.tolist()))
    return U


def communities(kg_or_graph, *, seed: int = SEED, resolution: float = 1.0, name_size: int = 3,
                lang: str = "en") -> list[dict]:
    """Find groups by modularity (Louvain, seeded), each named by its most central members.

    Louvain runs in networkx; a knowledge graph gives it only its ties
    (from the adjacency), not the whole networkx projection.

    Returns
    -------
    list of dict
        ``[{"id", "size", "name", "members": [{"iri", "label", "class"}]}]``, largest first.

    Examples
    --------
    >>> from kg import load
    >>> groups = communities(load())
    >>> sum(g["size"] for g in groups) == load().network.number_of_nodes()
    True
    >>> communities(load().network) == groups
    True
    >>> communities(load(), resolution=-1)
    Traceback (most recent call last):
    kg.errors.BadInput: --resolution must be a number above 0 (1 is the usual; above 1 finds smaller groups), not -1
    """
    import math

    if not (isinstance(resolution, (int, float)) and math.isfinite(resolution) and resolution > 0):
        raise BadInput(f"--resolution must be a number above 0 (1 is the usual; above 1 finds smaller groups), "
                       f"not {resolution:g}")
    adjacency, G = _arrays_or_network(kg_or_graph)
    if adjacency is not None:
        G = U = _tie_graph(adjacency)
    else:
        U = undirected(G)
    found = nx.community.louvain_communities(U, seed=seed, resolution=resolution)
    degree = dict(U.degree())
    label = {n: node_label(G, n, lang) for n in U}
    groups = []
    for members in found:
        ordered = sorted(members, key=lambda n: (-degree[n], label[n], n))
        groups.append({
            "size": len(members),
            "name": " / ".join(label[n] for n in ordered[:name_size]),
            "members": [{"iri": G.nodes[n].get("iri", n), "label": label[n], "class": G.nodes[n].get("cls")}
                        for n in ordered],
        })
    groups.sort(key=lambda g: (-g["size"], g["name"]))
    for i, group in enumerate(groups, start=1):
        group["id"] = i
    return groups


def _kind_edges(kg_or_graph, kind: str, lang: str = "en"):
    """``(source, target)`` of every edge of ``kind``, and ``about(node) -> (iri, label)``.

    From the compact adjacency when given a knowledge graph (node numbers,
    details read only for the nodes involved), else from a networkx graph.
    """
    if isinstance(kg_or_graph, nx.Graph):
        G = kg_or_graph
        edges = [(u, v) for u, v, k in G.edges(data="kind") if k == kind]
        return edges, lambda n: (G.nodes[n].get("iri", n), node_label(G, n, lang))
    import numpy as np

    adj = kg_or_graph.adjacency
    if kind not in adj.kinds:
        return [], None
    chosen = np.flatnonzero(np.frombuffer(adj.edge_kind, dtype=np.int32) == adj.kinds.index(kind))
    src, dst = (np.frombuffer(a, dtype=np.int32)[chosen].tolist() for a in (adj.edge_src, adj.edge_dst))
    return list(zip(src, dst)), lambda n: (adj.iris[n], node_label(adj, n, lang))


def _shared_pairs(kg_or_graph, kind: str, *, by: str, lang: str = "en", at_least: int = 1,
                  top: int | None = None) -> list[dict]:
    """Pairs of nodes sharing at least ``at_least`` partners over ``kind`` edges, most shared first.

    ``by="target"``: sources linked by targets they share (investors by companies).
    ``by="source"``: targets linked by sources they share (suppliers by customers).
    Counted on node numbers from each partner's list (work grows with the square of a
    partner's degree, not of the number of nodes); names are read only for the pairs kept.
    """
    if at_least < 1 or (top is not None and top < 1):
        raise BadInput(f"at_least and top must be 1 or more, not {at_least} and {top}")
    edges, about = _kind_edges(kg_or_graph, kind, lang)
    around, partners = defaultdict(set), defaultdict(set)  # partner -> its nodes; node -> its partners
    for u, v in edges:
        node, partner = (u, v) if by == "target" else (v, u)
        around[partner].add(node)
        partners[node].add(partner)
    counts = Counter()
    for nodes in around.values():
        counts.update(combinations(sorted(nodes, key=str), 2))
    kept = [(pair, weight) for pair, weight in counts.items() if weight >= at_least]
    if top is not None and len(kept) > top:
        cut = heapq.nlargest(top, (weight for _, weight in kept))[-1]
        kept = [(pair, weight) for pair, weight in kept if weight >= cut]  # ties at the cut are ordered by name below
    known: dict = {}

    def info(n):
        if n not in known:
            iri, label = about(n)
            known[n] = {"iri": iri, "label": label}
        return known[n]

    pairs = []
    for (a, b), weight in kept:
        a, b = sorted((a, b), key=lambda n: (info(n)["label"], info(n)["iri"]))
        pairs.append({"a": info(a), "b": info(b), "weight": weight,
                      "shared": sorted(info(n)["label"] for n in partners[a] & partners[b])})
    pairs.sort(key=lambda p: (-p["weight"], p["a"]["label"], p["b"]["label"]))
    return pairs[:top]


def coinvestment(kg_or_graph, lang: str = "en", *, at_least: int = 1, top: int | None = None) -> list[dict]:
    """Investor pairs linked by the companies they both back, most shared first.

    Parameters
    ----------
    kg_or_graph : KnowledgeGraph or networkx graph
        The graph (its compact adjacency is used when it has one).
    lang : str
        Language of the names (``"en"`` or ``"zh"``).
    at_least : int
        Keep only pairs that back at least this many companies together (default 1).
    top : int, optional
        Keep only the first ``top`` pairs (default: all).

    Returns
    -------
    list of dict
        ``[{"a": {"iri", "label"}, "b": {...}, "weight", "shared": [labels]}]``.

    Examples
    --------
    >>> from kg import load
    >>> pairs = coinvestment(load())
    >>> all(p["weight"] == len(p["shared"]) for p in pairs)
    True
    >>> coinvestment(load(), at_least=2, top=3) == [p for p in pairs if p["weight"] >= 2][:3]
    True
    """
    return _shared_pairs(kg_or_graph, "investedIn", by="target", lang=lang, at_least=at_least, top=top)


def cocustomers(kg_or_graph, lang: str = "en", *, at_least: int = 1, top: int | None = None) -> list[dict]:
    """Supplier pairs (start-ups) linked by the customers they share, most shared first.

    Takes the parameters of :func:`coinvestment`.

    Examples
    --------
    >>> from kg import load
    >>> top = cocustomers(load())[0]
    >>> {top["a"]["label"], top["b"]["label"]} >= {"Cerebras"} or top["weight"] >= 1
    True
    """
    return _shared_pairs(kg_or_graph, "customerOf", by="source", lang=lang, at_least=at_least, top=top)


def portfolio(kg_or_graph, among=None, *, at_least: int = 2, lang: str = "en") -> list[dict]:
    """Investors that backed ``at_least`` of the companies ``among``, most companies first.

    Answers "which investors backed more than one of these start-ups?".

    Parameters
    ----------
    kg_or_graph : KnowledgeGraph or networkx graph
        The graph (its projection is used).
    among : iterable of str, optional
        Names of the companies; default: every start-up (class ``Startup``).
    at_least : int
        How many of them an investor must have backed (default 2).

    Returns
    -------
    list of dict
        ``[{"investor": {"iri", "label", "class"}, "count", "companies": [labels]}]``.

    Examples
    --------
    >>> from kg import load
    >>> rows = portfolio(load())
    >>> all(r["count"] == len(r["companies"]) >= 2 for r in rows)
    True
    """
    kg = None if isinstance(kg_or_graph, nx.Graph) else kg_or_graph
    G = kg_or_graph if kg is None else kg.network
    if at_least < 1:
        raise BadInput(f"at_least must be 1 or more, not {at_least}")
    if among:
        if kg is None:
            raise BadInput("naming companies needs the knowledge graph, not a bare network")
        wanted = {str(kg.resolve(name).iri) for name in among}
    else:
        wanted = None
    label = {n: node_label(G, n, lang) for n in G}
    backed = defaultdict(set)
    for u, v, data in G.edges(data=True):
        if data.get("kind") != "investedIn":
            continue
        iri = G.nodes[v].get("iri", str(v))
        if (wanted is not None and iri in wanted) or (wanted is None and G.nodes[v].get("cls") == "Startup"):
            backed[u].add(v)
    rows = [
        {"investor": {"iri": G.nodes[u].get("iri", u), "label": label[u], "class": G.nodes[u].get("cls")},
         "count": len(companies), "companies": sorted(label[c] for c in companies)}
        for u, companies in backed.items() if len(companies) >= at_least
    ]
    rows.sort(key=lambda r: (-r["count"], r["investor"]["label"]))
    return rows

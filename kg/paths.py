"""Who connects to whom: shortest connections, shared ties and neighbourhoods, explained."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from itertools import islice

from kg.errors import BadInput, NoPath
from kg.i18n import edge_sentence, join, kind_label, node_label, phrase, word
from kg.names import normalize

__all__ = ["find_paths", "common_ties", "neighbors", "resolve_kinds", "resolve_class", "TieFilter",
           "tie_filter", "filtered_view"]


def resolve_kinds(kg, kinds) -> set[str] | None:
    """Turn user-typed relation kinds (``"invested in"``, ``investedIn``) into kind names.

    Raises :class:`BadInput` naming the known kinds when one is unknown.
    """
    if not kinds:
        return None
    known = _vocabulary(kg)["kinds"]
    lookup = {normalize(k): k for k in known} | {normalize(v): k for k, v in known.items()}
    lookup |= {normalize(k).replace(" ", ""): k for k in known}
    chosen = set()
    for kind in kinds:
        key = normalize(kind)
        match = lookup.get(key) or lookup.get(key.replace(" ", ""))
        if match is None:
            raise BadInput(f"unknown relation kind {kind!r}; known kinds: {', '.join(known)}")
        chosen.add(match)
    return chosen


def resolve_class(kg, name: str | None) -> set[str] | None:
    """Turn a class name (``Person``, ``company``, ``人物``) into it and its subclasses' names.

    Raises :class:`BadInput` naming the entity classes when ``name`` is none of them.
    """
    if not name:
        return None
    classes = _vocabulary(kg)["classes"]
    key = normalize(name)
    for about in classes.values():
        if key in {normalize(n) for n in about["names"]}:
            return set(about["covers"])
    raise BadInput(f"unknown class {name!r}; entity classes: {', '.join(classes)}")


def _vocabulary(kg) -> dict:
    """The ontology facts the questions need, as kept on the projection (:func:`kg.network.vocabulary`)."""
    adjacency = getattr(kg, "adjacency", None)
    return adjacency.vocabulary if adjacency is not None else kg.network.graph["vocabulary"]


@dataclass(frozen=True)
class TieFilter:
    """Which ties a question may use: relation kinds kept or dropped, entities avoided, classes passed through."""

    only: frozenset | None = None
    excluded: frozenset = frozenset()
    avoided: frozenset = frozenset()
    through: frozenset | None = None
    keep: tuple = ()

    def kind_ok(self, kind: str) -> bool:
        return (self.only is None or kind in self.only) and kind not in self.excluded



def tie_filter(kg, *, only=None, exclude=None, avoid=(), through=None, keep=(), indirect=True) -> TieFilter:
    """Build a :class:`TieFilter` from user-typed kinds, names and class.

    With ``indirect=False``, kinds the ontology marks as indirect ties
    (``competesWith``) are dropped unless ``only`` names kinds explicitly.
    ``keep`` lists nodes (the endpoints) never removed by ``avoid`` or ``through``.
    """
    only_kinds = resolve_kinds(kg, only)
    excluded = resolve_kinds(kg, exclude) or set()
    if only_kinds is None and not indirect:
        excluded |= set(_vocabulary(kg)["indirect"])
    avoided = {kg.resolve(name).id for name in avoid or ()}
    if avoided & set(keep):
        raise BadInput("cannot avoid an endpoint of the question")
    return TieFilter(
        only=frozenset(only_kinds) if only_kinds is not None else None,
        excluded=frozenset(excluded),
        avoided=frozenset(avoided),
        through=frozenset(resolve_class(kg, through)) if through else None,
        keep=tuple(keep),
    )


class _Ties:
    """The undirected ties of ``kg.adjacency`` that a :class:`TieFilter` allows, by node number."""

    def __init__(self, kg, flt: TieFilter):
        adj = self.adj = kg.adjacency
        self.flt = flt
        self.bits = adj.kind_bits(flt.kind_ok)
        self.keep = {adj.index_of(n) for n in flt.keep} - {None}
        self.avoided = {adj.index_of(n) for n in flt.avoided} - {None}
        self.through = (None if flt.through is None
                        else {i for i, c in enumerate(adj.classes) if c in flt.through})

    def node_ok(self, i: int) -> bool:
        if i in self.keep:
            return True
        return i not in self.avoided and (self.through is None or self.adj.node_cls[i] in self.through)

    def __getitem__(self, i: int) -> list[int]:
        """The allowed neighbours of node ``i``, in the undirected view's order."""
        adj, bits, ok = self.adj, self.bits, self.flt.kind_ok
        node_ok = self.node_ok if (self.avoided or self.through is not None) else None
        return [j for j, pair in adj.ties(i)
                if adj.pair_ok(pair, bits, ok) and (node_ok is None or node_ok(j))]

    def hop_edges(self, u: int, v: int, lang: str = "en") -> list[dict]:
        """The directed relations behind the undirected hop ``u — v``, best first, told in ``lang``."""
        adj, iris = self.adj, self.adj.iris
        edges = []
        for e in adj.refs(adj.pair(u, v)):
            s, t, key, data = adj.edge(e)
            if self.flt.kind_ok(data["kind"]):
                edges.append(((iris[s], iris[t], key), data))

        def rank(item):
            # a relation the sources state as its own node (a founding, a round) tells a hop
            # better than a plain property; then a dated one; ties by kind name for determinism
            ref, data = item
            return ("relation" not in data, not any(k in data for k in ("date", "start", "end")), data["kind"], ref)

        return [{
            "source": s, "target": t, "predicate": data["predicate"], "label": data["label"],
            "kind": data["kind"], "sentence": edge_sentence(self.adj, s, t, data, lang), "sources": data["sources"],
            "attributes": {k: v for k, v in data.items()
                           if k not in ("predicate", "label", "kind", "sentence", "sources")},
        } for (s, t, _), data in sorted(edges, key=rank)]

    def node(self, i: int, lang: str = "en") -> dict:
        d = self.adj.node(i)
        return {"iri": d["iri"], "label": node_label(self.adj, d["iri"], lang), "class": d["cls"]}

    def label(self, i: int) -> str:
        return self.adj.node(i)["label"]

    def shortest(self, s: int, t: int) -> list[int] | None:
        """One shortest path, found as networkx's bidirectional search finds it (same tie-breaking)."""
        pred, succ = {s: None}, {t: None}
        forward, reverse = [s], [t]
        meet = None
        while forward and reverse and meet is None:
            if len(forward) <= len(reverse):
                level, forward = forward, []
                for v in level:
                    for w in self[v]:
                        if w not in pred:
                            forward.append(w)
                            pred[w] = v
                        if w in succ:
                            meet = w
                            break
                    if meet is not None:
                        break
            else:
                level, reverse = reverse, []
                for v in level:
                    for w in self[v]:
                        if w not in succ:
                            succ[w] = v
                            reverse.append(w)
                        if w in pred:
                            meet = w
                            break
                    if meet is not None:
                        break
        if meet is None:
            return None
        path, w = [], meet
        while w is not None:
            path.append(w)
            w = pred[w]
        path.reverse()
        w = succ[path[-1]]
        while w is not None:
            path.append(w)
            w = succ[w]
        return path

    def all_shortest(self, s: int, t: int) -> list[list[int]]:
        """Every shortest path from ``s`` to ``t``."""
        pred, seen, level, frontier = {s: []}, {s: 0}, 0, [s]
        while frontier and t not in seen:
            level += 1
            this, frontier = frontier, []
            for v in this:
                for w in self[v]:
                    if w not in seen:
                        pred[w], seen[w] = [v], level
                        frontier.append(w)
                    elif seen[w] == level:
                        pred[w].append(v)
        if t not in seen:
            return []

        def back(node):
            if node == s:
                return [[s]]
            return [p + [node] for parent in pred[node] for p in back(parent)]

        return back(t)

    def reach(self, s: int, depth: int) -> dict[int, list[int]]:
        """A shortest path to every node within ``depth`` hops of ``s``, in breadth-first order."""
        paths, frontier = {s: [s]}, [s]
        for _ in range(depth):
            this, frontier = frontier, []
            for v in this:
                for w in self[v]:
                    if w not in paths:
                        paths[w] = paths[v] + [w]
                        frontier.append(w)
            if not frontier:
                break
        return paths


def filtered_view(kg, flt: TieFilter):
    """The undirected simple networkx graph of the ties ``flt`` allows (nodes are IRIs).

    Ties are added in the order of the undirected view of the projection, so
    networkx's searches break ties as they would on the whole view.
    """
    import networkx as nx

    iris = kg.adjacency.iris
    return nx.relabel_nodes(_index_view(kg, flt), lambda i: iris[i])


#: Filtered views kept per graph (k shortest paths search one; building it reads every tie).
_VIEWS_KEPT = 4


def _index_view(kg, flt: TieFilter):
    """:func:`filtered_view` with the nodes' numbers for names; the last few are kept on the graph (it does not change)."""
    import networkx as nx

    kept = getattr(kg, "__dict__", {}).setdefault("_filtered_views", {})
    if not (flt.avoided or flt.through is not None):
        flt = replace(flt, keep=())  # the ends kept matter only when entities or classes are left out
    if flt in kept:
        return kept[flt]
    ties = _Ties(kg, flt)
    adj = ties.adj
    H = nx.Graph()
    H.add_nodes_from(i for i in range(len(adj)) if ties.node_ok(i))
    for pair in range(len(adj.pair_mask)):
        if adj.pair_ok(pair, ties.bits, flt.kind_ok):
            first = adj.refs(pair)[0]
            u, v = adj.edge_src[first], adj.edge_dst[first]
            if u in H and v in H:
                H.add_edge(u, v)
    while len(kept) >= _VIEWS_KEPT:
        kept.pop(next(iter(kept)))
    kept[flt] = H
    return H


def _entity(kg, entity, lang: str = "en") -> dict:
    """An entity found by name, as a dict, labelled in ``lang``."""
    found = entity.as_dict()
    if lang != "en" and found["iri"] in kg.adjacency:
        found["label"] = node_label(kg.adjacency, found["iri"], lang)
    return found


def _explain(ties: _Ties, nodes, edges=None, lang: str = "en") -> dict:
    edges = edges or [ties.hop_edges(u, v, lang)[0] for u, v in zip(nodes, nodes[1:])]
    return {
        "length": len(edges),
        "nodes": [ties.node(n, lang) for n in nodes],
        "edges": edges,
        "sentence": " · ".join(e["sentence"] for e in edges),
    }


def _hop_span(edge: dict):
    """The time of a hop as ``(earliest, latest)`` partial dates (None when not stated)."""
    from kg.dates import parse_date

    a = edge["attributes"]
    low, high = a.get("date") or a.get("start"), a.get("date") or a.get("end")
    return (parse_date(low) if low else None, parse_date(high) if high else None)


def _in_order(ties: _Ties, nodes, lang: str = "en"):
    """Choose one relation per hop so that no hop is dated before an earlier one.

    Returns ``(edges, None)`` for a time-respecting choice, else ``(None, why)``
    with ``why`` naming the first pair of hops out of order. Undated hops
    are allowed (they neither advance nor break the order) and marked
    ``"undated": True``. Dated relations are tried first, earliest first;
    a backtracking search, as paths are short and parallel relations few.
    """
    from kg.dates import compare

    hops = [ties.hop_edges(u, v, lang) for u, v in zip(nodes, nodes[1:])]
    blame = []

    def fits(edge, current):
        high = _hop_span(edge)[1]
        return current is None or high is None or compare(high, current[0]) != "before"

    def search(i, current):
        if i == len(hops):
            return []
        options = []
        for edge in hops[i]:
            low, high = _hop_span(edge)
            if not fits(edge, current):
                if not blame:
                    blame.append((edge, current[1]))
                continue
            moves = low is not None and (current is None or compare(low, current[0]) not in ("before", "possibly before"))
            after = (low, edge) if moves else current
            undated = low is None and high is None
            options.append(((undated, after[0].sort_key() if after else ()), edge, after, undated))
        for _, edge, after, undated in sorted(options, key=lambda o: o[0]):
            rest = search(i + 1, after)
            if rest is not None:
                return [{**edge, "undated": undated}] + rest
        return None

    chosen = search(0, None)
    if chosen is not None:
        return chosen, None
    edge, earlier = blame[0]
    return None, f"“{edge['sentence']}” is dated before “{earlier['sentence']}”, which comes earlier on the path"


#: How many shortest simple paths ``--in-order`` examines before giving up.
IN_ORDER_TRIES = 200


def find_paths(kg, source: str, target: str, *, k: int = 1, all_shortest: bool = False,
               max_len: int | None = None, only=None, exclude=None, avoid=(), through=None,
               in_order: bool = False, lang: str = "en") -> dict:
    """Find how two entities connect, explained hop by hop with true directions.

    The search runs on an undirected view (a tie counts whichever way it
    points); each hop is then told as the directed relation behind it, with
    its source.

    Parameters
    ----------
    kg : KnowledgeGraph
    source, target : str
        Entity names, resolved like ``kg entity`` (labels, aliases, Chinese, misspellings).
    k : int
        Return the ``k`` shortest simple paths, shortest first.
    all_shortest : bool
        Return every shortest path instead (overrides ``k``).
    max_len : int, optional
        Ignore paths with more hops than this.
    only, exclude : iterable of str, optional
        Relation kinds to keep or to drop (``investedIn``, ``"worked at"`` ...).
    avoid : iterable of str
        Entities the path must not pass through (hubs such as TSMC).
    through : str, optional
        A class every intermediate entity must belong to (``Person``).
    in_order : bool
        Only time-respecting paths: no hop dated before an earlier hop
        (compared as intervals, :mod:`kg.dates`). Undated hops are allowed
        and marked ``"undated": True``. The first ``IN_ORDER_TRIES`` shortest
        simple paths are examined; when all are out of order, :class:`NoPath`
        says which hops break the order.
    lang : str
        The language of labels and sentences: "en" (default) or "zh" (:mod:`kg.i18n`).

    Returns
    -------
    dict
        ``{"source", "target", "paths": [{"length", "nodes", "edges", "sentence"}]}``.

    Raises
    ------
    NoPath
        When the entities are not connected under the constraints.

    Examples
    --------
    >>> from kg import load
    >>> answer = find_paths(load(), "Nvidia", "Graphcore")
    >>> [n["label"] for n in answer["paths"][0]["nodes"]]
    ['Nvidia', 'Icera', 'Nigel Toon', 'Graphcore']
    """
    if k < 1:
        raise BadInput("k must be at least 1")
    if max_len is not None and max_len < 1:
        raise BadInput("max-len must be at least 1")
    a, b = kg.resolve(source), kg.resolve(target)
    if a.id == b.id:
        raise BadInput(f"{a.label!r} and {b.label!r} are the same entity")
    flt = tie_filter(kg, only=only, exclude=exclude, avoid=avoid, through=through, keep=(a.id, b.id),
                     indirect=False)
    ties = _Ties(kg, flt)
    s, t = ties.adj.index_of(a.id), ties.adj.index_of(b.id)
    if in_order:
        return _find_in_order(kg, ties, a, b, k, max_len, lang)
    if all_shortest:
        found = sorted(ties.all_shortest(s, t), key=lambda p: [ties.label(n) for n in p])
    elif k == 1:
        found = [p for p in [ties.shortest(s, t)] if p is not None]
    else:
        import networkx as nx

        try:
            found = [list(p) for p in islice(nx.shortest_simple_paths(_index_view(kg, flt), s, t), k)]
        except nx.NetworkXNoPath:
            found = []
    if max_len is not None:
        found = [p for p in found if len(p) - 1 <= max_len]
    if not found:
        time = getattr(kg, "time", None)
        limit = (f" within {max_len} hops" if max_len else "") + (f" ({time.describe()})" if time is not None else "")
        raise NoPath(f"no connection between {a.label} and {b.label}{limit} under these constraints"
                     if (only or exclude or avoid or through or max_len) else
                     f"no connection between {a.label} and {b.label}{limit}")
    return {
        "source": _entity(kg, a, lang),
        "target": _entity(kg, b, lang),
        "paths": [_explain(ties, p, lang=lang) for p in found],
        "skipped_kinds": sorted(flt.excluded & set(_vocabulary(kg)["indirect"])),
    }


def _find_in_order(kg, ties: _Ties, a, b, k: int, max_len: int | None, lang: str = "en") -> dict:
    import networkx as nx

    flt = ties.flt
    found, first_why = [], None
    try:
        candidates = islice(nx.shortest_simple_paths(_index_view(kg, flt), ties.adj.index_of(a.id),
                                                     ties.adj.index_of(b.id)), IN_ORDER_TRIES)
        for path in candidates:
            if max_len is not None and len(path) - 1 > max_len:
                break
            nodes = list(path)
            edges, why = _in_order(ties, nodes, lang)
            if edges is None:
                first_why = first_why or why
                continue
            found.append(_explain(ties, nodes, edges, lang))
            if len(found) == k:
                break
    except nx.NetworkXNoPath:
        pass
    time = getattr(kg, "time", None)
    when = f" ({time.describe()})" if time is not None else ""
    if not found and first_why:
        raise NoPath(f"no time-respecting connection between {a.label} and {b.label}{when}: only out-of-order "
                     f"paths exist; on the shortest, {first_why}")
    if not found:
        raise NoPath(f"no connection between {a.label} and {b.label}{when}")
    return {"source": _entity(kg, a, lang), "target": _entity(kg, b, lang), "paths": found, "in_order": True,
            "skipped_kinds": sorted(flt.excluded & set(_vocabulary(kg)["indirect"]))}


def common_ties(kg, first: str, second: str, *, only=None, lang: str = "en") -> dict:
    """What two entities share: investors, customers, employers, foundries, grouped by kind.

    A shared neighbour ``n`` is grouped by how it relates to each of the two
    (for example "invested in" pointing at both: shared investors).

    Returns
    -------
    dict
        ``{"a", "b", "groups": [{"kind", "label", "direction", "entities": [...]}]}``.

    Examples
    --------
    >>> from kg import load
    >>> ties = common_ties(load(), "SambaNova", "Cerebras")
    >>> any(e["label"] == "Argonne National Laboratory" for g in ties["groups"] for e in g["entities"])
    True
    """
    a, b = kg.resolve(first), kg.resolve(second)
    flt = tie_filter(kg, only=only, keep=(a.id, b.id))
    ties = _Ties(kg, flt)
    s, t = ties.adj.index_of(a.id), ties.adj.index_of(b.id)
    shared = sorted(set(ties[s]) & set(ties[t]), key=lambda n: (ties.label(n), n))
    la, lb = node_label(ties.adj, a.id, lang), node_label(ties.adj, b.id, lang)
    groups: dict[tuple, list] = defaultdict(list)
    for n in shared:
        iri = ties.adj.iris[n]
        ties_a = {(e["kind"], e["label"], "from" if e["source"] == iri else "to") for e in ties.hop_edges(s, n)}
        ties_b = {(e["kind"], e["label"], "from" if e["source"] == iri else "to") for e in ties.hop_edges(t, n)}
        both = ties_a & ties_b
        for kind, label, direction in sorted(both) or [("mixed", "related to", "both")]:
            groups[(kind, label, direction)].append(n)
    result = []
    for (kind, label, direction), members in sorted(groups.items()):
        entities = [ties.node(n, lang) for n in members]
        names = ("、" if lang == "zh" else ", ").join(e["label"] for e in entities)
        if direction == "both":
            sentence = word("{} and {} are both tied to: {}", lang, la, lb, names)
        elif lang == "zh":  # "阿贡国家实验室都是SambaNova和Cerebras的客户", from the ontology's phrase
            template = _vocabulary(kg).get("phrases", {}).get(lang, {}).get(kind)
            verb = _vocabulary(kg).get("labels", {}).get(lang, {}).get(kind, label)
            pair = join([la, lb], lang)
            sentence = (phrase(template, names + "都", verb, pair, lang) if direction == "from"
                        else phrase(template, pair + "都", verb, names, lang))
        elif direction == "from":
            sentence = f"{label} both {la} and {lb}: {names}"
        else:
            sentence = f"{la} and {lb} both {label}: {names}"
        result.append({"kind": kind, "label": label, "direction": direction,
                       "entities": entities, "sentence": sentence})
    return {"a": _entity(kg, a, lang), "b": _entity(kg, b, lang), "groups": result}


def neighbors(kg, name: str, *, depth: int = 1, only=None, lang: str = "en", limit: int | None = None) -> dict:
    """The neighbourhood of an entity up to ``depth`` hops, grouped by relation.

    Parameters
    ----------
    limit : int, optional
        Spell out only the nearest ``limit`` entities reached (by distance,
        then name) and the entity's relations with those of them; ``more``
        counts the others. A large investor has thousands: a drawing shows
        a few dozen.

    Returns
    -------
    dict
        ``{"entity", "depth", "groups": [{"kind", "label", "edges": [...]}], "reached": [...]}``;
        ``groups`` are the relations of the entity itself, ``reached`` every
        entity within ``depth`` hops with its distance and the hop that reached it;
        with ``limit``, also ``more``.

    Examples
    --------
    >>> from kg import load
    >>> hood = neighbors(load(), "Icera")
    >>> sorted(g["kind"] for g in hood["groups"])
    ['acquired', 'founded']
    >>> first = neighbors(load(), "Nvidia", limit=2)
    >>> len(first["reached"]), first["more"] == len(neighbors(load(), "Nvidia")["reached"]) - 2
    (2, True)
    """
    if depth < 1:
        raise BadInput("depth must be at least 1")
    if limit is not None and limit < 0:
        raise BadInput("limit must not be negative")
    e = kg.resolve(name)
    flt = tie_filter(kg, only=only, keep=(e.id,))
    ties = _Ties(kg, flt)
    s = ties.adj.index_of(e.id)
    paths = ties.reach(s, depth)
    order = sorted(paths, key=lambda n: (len(paths[n]), ties.label(n)))[1:]  # by distance, then name; s first
    shown = order if limit is None else order[:limit]
    hops: dict[tuple, list] = {}  # each hop told once: in the groups and as the way a neighbour is reached

    def hop(u: int, v: int) -> list[dict]:
        if (u, v) not in hops:
            hops[u, v] = ties.hop_edges(u, v, lang)
        return hops[u, v]

    groups: dict[tuple, list] = defaultdict(list)
    direct = set(shown) if limit is not None else None
    for n in sorted(ties[s], key=ties.label):
        if direct is None or n in direct or n == s:
            for edge in hop(s, n):
                groups[(edge["kind"], edge["label"])].append(edge)
    reached = [{**ties.node(n, lang), "distance": len(paths[n]) - 1, "via": hop(*paths[n][-2:])[0]["sentence"]}
               for n in shown]
    answer = {
        "entity": _entity(kg, e, lang),
        "depth": depth,
        "groups": [{"kind": k, "label": kind_label(ties.adj, k, l, lang), "edges": edges}
                   for (k, l), edges in sorted(groups.items())],
        "reached": reached,
    }
    if limit is not None:
        answer["more"] = len(order) - len(shown)
    return answer

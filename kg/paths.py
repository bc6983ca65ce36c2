"""Who connects to whom: shortest connections, shared ties and neighbourhoods, explained."""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass
from itertools import islice

import networkx as nx

from kg.errors import BadInput, NoPath
from kg.i18n import edge_sentence, join, kind_label, node_label, phrase, word
from kg.names import normalize
from kg.network import undirected

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
    return kg.network.graph["vocabulary"]


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

    def node_ok(self, G, n) -> bool:
        if n in self.keep:
            return True
        return n not in self.avoided and (self.through is None or G.nodes[n]["cls"] in self.through)


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
    avoided = {str(kg.resolve(name).iri) for name in avoid or ()}
    if avoided & set(keep):
        raise BadInput("cannot avoid an endpoint of the question")
    return TieFilter(
        only=frozenset(only_kinds) if only_kinds is not None else None,
        excluded=frozenset(excluded),
        avoided=frozenset(avoided),
        through=frozenset(resolve_class(kg, through)) if through else None,
        keep=tuple(keep),
    )


def filtered_view(kg, flt: TieFilter):
    """The undirected simple graph of ``kg`` restricted by the :class:`TieFilter` ``flt`` (a read-only view)."""
    G = kg.network
    H = undirected(G)
    if flt.only is None and not flt.avoided and flt.through is None:
        # the common case: only a few kinds dropped; hide just the ties made of nothing else
        dropped = _ties_only_of(G, H, flt.excluded)
        return nx.restricted_view(H, [], dropped) if dropped else H
    return nx.subgraph_view(
        H,
        filter_node=lambda n: flt.node_ok(G, n),
        filter_edge=lambda u, v: any(flt.kind_ok(G.edges[r]["kind"]) for r in H[u][v]["refs"]),
    )


_DROPPED: "weakref.WeakKeyDictionary[nx.MultiDiGraph, dict]" = weakref.WeakKeyDictionary()


def _ties_only_of(G, H, kinds: frozenset) -> list[tuple]:
    """The undirected ties of ``H`` whose every relation is of one of ``kinds`` (remembered per graph)."""
    memo = _DROPPED.setdefault(G, {})
    if kinds not in memo:
        candidates = {(u, v) for u, v, kind in G.edges(data="kind") if kind in kinds}
        memo[kinds] = sorted(
            (u, v) for u, v in candidates if all(G.edges[r]["kind"] in kinds for r in H[u][v]["refs"])
        )
    return memo[kinds]


def _hop_edges(kg, flt: TieFilter, u, v, lang: str = "en") -> list[dict]:
    """The directed relations behind the undirected hop ``u — v``, best first, told in ``lang``."""
    G = kg.network
    refs = [r for r in undirected(G)[u][v]["refs"] if flt.kind_ok(G.edges[r]["kind"])]

    def rank(ref):
        # a relation the sources state as its own node (a founding, a round) tells a hop
        # better than a plain property; then a dated one; ties by kind name for determinism
        data = G.edges[ref]
        return ("relation" not in data, not any(k in data for k in ("date", "start", "end")), data["kind"], ref)

    out = []
    for s, t, key in sorted(refs, key=rank):
        data = G.edges[s, t, key]
        out.append({
            "source": s, "target": t, "predicate": data["predicate"], "label": data["label"],
            "kind": data["kind"], "sentence": edge_sentence(G, s, t, data, lang), "sources": data["sources"],
            "attributes": {k: v for k, v in data.items()
                           if k not in ("predicate", "label", "kind", "sentence", "sources")},
        })
    return out


def _node(G, n, lang: str = "en") -> dict:
    d = G.nodes[n]
    return {"iri": d["iri"], "label": node_label(G, n, lang), "class": d["cls"]}


def _entity(kg, entity, lang: str = "en") -> dict:
    """An entity found by name, as a dict, labelled in ``lang``."""
    found = entity.as_dict()
    if lang != "en" and found["iri"] in kg.network:
        found["label"] = node_label(kg.network, found["iri"], lang)
    return found


def _explain(kg, flt, nodes, edges=None, lang: str = "en") -> dict:
    G = kg.network
    edges = edges or [_hop_edges(kg, flt, u, v, lang)[0] for u, v in zip(nodes, nodes[1:])]
    return {
        "length": len(edges),
        "nodes": [_node(G, n, lang) for n in nodes],
        "edges": edges,
        "sentence": " · ".join(e["sentence"] for e in edges),
    }


def _hop_span(edge: dict):
    """The time of a hop as ``(earliest, latest)`` partial dates (None when not stated)."""
    from kg.dates import parse_date

    a = edge["attributes"]
    low, high = a.get("date") or a.get("start"), a.get("date") or a.get("end")
    return (parse_date(low) if low else None, parse_date(high) if high else None)


def _in_order(kg, flt, nodes, lang: str = "en"):
    """Choose one relation per hop so that no hop is dated before an earlier one.

    Returns ``(edges, None)`` for a time-respecting choice, else ``(None, why)``
    with ``why`` naming the first pair of hops out of order. Undated hops
    are allowed (they neither advance nor break the order) and marked
    ``"undated": True``. Dated relations are tried first, earliest first;
    a backtracking search, as paths are short and parallel relations few.
    """
    from kg.dates import compare

    hops = [_hop_edges(kg, flt, u, v, lang) for u, v in zip(nodes, nodes[1:])]
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
    G = kg.network
    a, b = kg.resolve(source), kg.resolve(target)
    if a.iri == b.iri:
        raise BadInput(f"{a.label!r} and {b.label!r} are the same entity")
    s, t = str(a.iri), str(b.iri)
    flt = tie_filter(kg, only=only, exclude=exclude, avoid=avoid, through=through, keep=(s, t), indirect=False)
    view = filtered_view(kg, flt)
    if in_order:
        return _find_in_order(kg, flt, view, a, b, k, max_len, lang)
    try:
        if all_shortest:
            found = sorted(nx.all_shortest_paths(view, s, t), key=lambda p: [G.nodes[n]["label"] for n in p])
        elif k == 1:
            found = [nx.shortest_path(view, s, t)]
        else:
            found = list(islice(nx.shortest_simple_paths(view, s, t), k))
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
        "paths": [_explain(kg, flt, p, lang=lang) for p in found],
        "skipped_kinds": sorted(flt.excluded & set(_vocabulary(kg)["indirect"])),
    }


def _find_in_order(kg, flt, view, a, b, k: int, max_len: int | None, lang: str = "en") -> dict:
    s, t = str(a.iri), str(b.iri)
    found, first_why = [], None
    try:
        candidates = islice(nx.shortest_simple_paths(view, s, t), IN_ORDER_TRIES)
        for nodes in candidates:
            if max_len is not None and len(nodes) - 1 > max_len:
                break
            edges, why = _in_order(kg, flt, nodes, lang)
            if edges is None:
                first_why = first_why or why
                continue
            found.append(_explain(kg, flt, nodes, edges, lang))
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
    G = kg.network
    a, b = kg.resolve(first), kg.resolve(second)
    s, t = str(a.iri), str(b.iri)
    flt = tie_filter(kg, only=only, keep=(s, t))
    view = filtered_view(kg, flt)
    shared = sorted(set(view[s]) & set(view[t]), key=lambda n: G.nodes[n]["label"])
    la, lb = node_label(G, s, lang), node_label(G, t, lang)
    groups: dict[tuple, list] = defaultdict(list)
    for n in shared:
        ties_a = {(e["kind"], e["label"], "from" if e["source"] == n else "to") for e in _hop_edges(kg, flt, s, n)}
        ties_b = {(e["kind"], e["label"], "from" if e["source"] == n else "to") for e in _hop_edges(kg, flt, t, n)}
        both = ties_a & ties_b
        for kind, label, direction in sorted(both) or [("mixed", "related to", "both")]:
            groups[(kind, label, direction)].append(n)
    result = []
    for (kind, label, direction), members in sorted(groups.items()):
        entities = [_node(G, n, lang) for n in members]
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


def neighbors(kg, name: str, *, depth: int = 1, only=None, lang: str = "en") -> dict:
    """The neighbourhood of an entity up to ``depth`` hops, grouped by relation.

    Returns
    -------
    dict
        ``{"entity", "depth", "groups": [{"kind", "label", "edges": [...]}], "reached": [...]}``;
        ``groups`` are the relations of the entity itself, ``reached`` every
        entity within ``depth`` hops with its distance and the hop that reached it.

    Examples
    --------
    >>> from kg import load
    >>> hood = neighbors(load(), "Icera")
    >>> sorted(g["kind"] for g in hood["groups"])
    ['acquired', 'founded']
    """
    if depth < 1:
        raise BadInput("depth must be at least 1")
    G = kg.network
    e = kg.resolve(name)
    s = str(e.iri)
    flt = tie_filter(kg, only=only, keep=(s,))
    view = filtered_view(kg, flt)
    groups: dict[tuple, list] = defaultdict(list)
    for n in sorted(view[s], key=lambda n: G.nodes[n]["label"]):
        for edge in _hop_edges(kg, flt, s, n, lang):
            groups[(edge["kind"], edge["label"])].append(edge)
    distances = nx.single_source_shortest_path_length(view, s, cutoff=depth)
    paths = nx.single_source_shortest_path(view, s, cutoff=depth)
    reached = []
    for n, dist in sorted(distances.items(), key=lambda kv: (kv[1], G.nodes[kv[0]]["label"])):
        if n == s:
            continue
        path = paths[n]
        reached.append({**_node(G, n, lang), "distance": dist,
                        "via": _hop_edges(kg, flt, path[-2], path[-1], lang)[0]["sentence"]})
    return {
        "entity": _entity(kg, e, lang),
        "depth": depth,
        "groups": [{"kind": k, "label": kind_label(G, k, l, lang), "edges": edges} for (k, l), edges in sorted(groups.items())],
        "reached": reached,
    }

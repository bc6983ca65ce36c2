"""Project the RDF graph onto a networkx MultiDiGraph of entities and labelled relations."""

from __future__ import annotations

import weakref
from decimal import Decimal
from typing import TYPE_CHECKING

from rdflib import OWL, RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV

from kg.facts import (_DATE, _END, _LEAD, _ROLE, _SERIES, _START, _STATUS, _TEAM, _TRUE, _first, _money_in,
                      _relation_sentence, properties, relation_classes)
from kg.i18n import round_name
from kg.names import NameIndex, entity_classes, label_of, subclasses
from kg.parallel import Forked
from kg.rules import shortcut_rules
from kg.vocab import CHIPS

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["project", "projection_parts", "vocabulary", "edge_predicates", "undirected", "relation_kinds",
           "indirect_kinds", "kind_of"]

#: Literal properties never copied onto nodes (they are names, kept separately),
#: keyed as :func:`kg.facts.properties` keys them.
_NAME_PROPS = {str(RDFS.label), str(CHIPS.quote)}
_CHIPS = str(CHIPS)  # the ontology's IRIs start with it
#: rdflib's namespaces build a new URIRef on every attribute access: the hot ones, once.
_TYPE, _DERIVED_FROM = RDF.type, PROV.wasDerivedFrom
#: A relation's dates: property (as :func:`kg.facts.properties` keys it), attribute, and how its detail reads.
_DATES = ((_DATE, "date", "{}"), (_START, "start", "from {}"), (_END, "end", "until {}"))
#: Sources and quotes, keyed likewise (the other keys read here are kg.facts').
_SOURCES, _QUOTES = str(_DERIVED_FROM), str(CHIPS.quote)
#: The share of the relation nodes a forked child projects (:class:`kg.parallel.Forked`) while this process
#: projects the rest, the entities and the plain properties; and the fewest relation nodes worth a fork.
_CHILD_SHARE, _FORK_MINIMUM = 0.6, 20_000


def kind_of(predicate) -> str:
    """The short name of a relation kind: the predicate's local name (``investedIn``)."""
    return str(predicate).rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def edge_predicates(graph: Graph) -> set[URIRef]:
    """Return the plain object properties that become edges.

    Data-driven from the ontology: every ``owl:ObjectProperty`` that can link
    two entities, that is whose domain, if stated, is an entity class. Left
    out: the participant roles of n-ary relations (their domain is a relation
    class), what records say (a merge's ``chips:kept``, a ranking's
    ``chips:ranked``), the shortcut properties (the relation nodes themselves
    become those edges) and ``chips:corrects``.
    """
    entities = entity_classes(graph)
    shortcuts = set(graph.objects(None, CHIPS.shortcut))
    keep = set()
    for prop in graph.subjects(RDF.type, OWL.ObjectProperty):
        if prop in shortcuts or prop in (CHIPS.corrects, CHIPS.role):
            continue
        domains = set(graph.objects(prop, RDFS.domain))
        if domains and not domains & entities:
            continue
        keep.add(prop)
    return keep


def _node_attributes(graph: Graph, node, entity) -> dict:
    props = properties(graph, node)
    attrs = {
        "iri": str(node),
        "label": entity.label,
        "label_zh": label_of(graph, node, "zh"),
        "cls": entity.cls,
        "sources": sorted(str(s) for s in props.get(_SOURCES, ())),
    }
    # in the order of sorted(graph.predicate_objects(node)): predicates are IRIs, which rdflib orders by their text
    for p in sorted(props):
        if p in _NAME_PROPS or not p.startswith(_CHIPS):
            continue
        values = props[p]
        for o in sorted(values) if len(values) > 1 else values:
            if not isinstance(o, Literal) or o.language not in (None, "en"):
                continue
            value = o.toPython()
            if isinstance(value, Decimal):
                value = float(value)
            elif isinstance(value, Literal) or not isinstance(value, (bool, int, float, str)):
                value = str(o)  # dates keep the precision the source gave
            key = kind_of(p)
            attrs[key] = f"{attrs[key]}; {value}" if key in attrs else value
    return attrs


def _short_sentence(s_label, verb, o_label, details, role="") -> str:
    sentence = f"{s_label} {verb} {o_label}" + (f" as {role}" if role else "")
    return f"{sentence} ({', '.join(details)})" if details else sentence


def _node_order(node):
    """rdflib's order of subjects (blank nodes, then IRIs, each by text) as a sort key compared in C."""
    return type(node) is not BNode, str(node)


class _RuleFacts:
    """What every relation node of one shortcut rule shares, read once; labels of roles and statuses, remembered."""

    def __init__(self, graph, rule):
        self.rule = rule
        self.symmetric = rule.subject_path == rule.object_path
        self.common = {"predicate": str(rule.shortcut), "kind": kind_of(rule.shortcut),
                       "label": label_of(graph, rule.shortcut)}
        self.relation_class = kind_of(rule.relation_class)
        context = graph.value(rule.relation_class, CHIPS.contextProperty)
        self.context = str(context) if context is not None else None
        self._labels: dict = {}

    def label(self, graph, node, lang: str = "en") -> str:
        found = self._labels.get((node, lang))
        if found is None:
            found = self._labels[node, lang] = label_of(graph, node, lang)
        return found


def _relation_edge(graph, rule: _RuleFacts, node, classes, memo: dict) -> dict:
    props = properties(graph, node)
    attrs = {
        **rule.common,
        "relation": str(node),
        "relation_class": rule.relation_class,
        "detail": _relation_sentence(graph, node, props, classes, memo=memo),
        "sources": sorted(str(s) for s in props.get(_SOURCES, ())),
        "quotes": sorted(str(q) for q in props.get(_QUOTES, ())),
    }
    details = []
    described = _first(props, rule.context) if rule.context is not None else None
    for source in (props, properties(graph, described) if described is not None else None):
        if source is None:
            continue
        series = _first(source, _SERIES)
        if series is not None:
            attrs["series"] = str(series)
            details.append(round_name(series))
        for prop, key, text in _DATES:
            value = _first(source, prop)
            if value is not None:
                attrs[key] = str(value)
                details.append(text.format(value))
        money = _money_in(source)
        if money:
            attrs.update(amount=money["value"], currency=money["currency"], amount_bound=money["bound"])
            details.append(money["text"] + (" round" if source is not props else ""))
    if _first(props, _LEAD) == _TRUE:
        attrs["lead"] = True
        details.append("lead")
    status = _first(props, _STATUS)
    if status is not None:
        attrs["status"] = rule.label(graph, status)
        details.append(attrs["status"])
    roles = sorted(rule.label(graph, r) for r in props.get(_ROLE, ()))
    if roles:
        attrs["role"] = ", ".join(roles)
        attrs["role_zh"] = ", ".join(sorted(rule.label(graph, r, "zh") for r in props.get(_ROLE, ())))
    team = [str(t) for t in props.get(_TEAM, ()) if getattr(t, "language", None) == "en"]
    if team:
        attrs["team"] = team[0]
    attrs["_details"] = details
    attrs["_role"] = " and ".join(r for r in roles if r != "employee")
    return attrs


def _relation_edges(graph, work, entities, classes, labels) -> list:
    """The edges ``(source, target, key, attributes)`` of the relation nodes in ``work`` (``(_RuleFacts, node)``)."""
    edges, local_names = [], {}
    memo: dict = {}  # relation_sentence's: what nodes share, read once
    for facts, node in work:
        rule = facts.rule
        attrs = _relation_edge(graph, facts, node, classes, memo)
        subjects = sorted((s for s in graph.objects(node, rule.subject_path) if s in entities), key=str)
        objects = sorted((o for o in graph.objects(node, rule.object_path) if o in entities), key=str)
        for s in subjects:
            for o in objects:
                if s == o or (facts.symmetric and str(s) > str(o)):
                    continue
                for x in (s, o):
                    if x not in local_names:
                        local_names[x] = kind_of(x)
                s_iri, o_iri = str(s), str(o)
                edges.append((s_iri, o_iri, f"{node}#{local_names[s]}-{local_names[o]}",
                              _edge_data(attrs, labels, s_iri, o_iri)))
    return edges


def _edge_data(attrs: dict, labels: dict, s, o) -> dict:
    """An edge's attributes: ``attrs`` without its private keys, plus the sentence between the labels of ``s`` and ``o``."""
    data = attrs.copy()
    details, role = data.pop("_details"), data.pop("_role")
    data["sentence"] = _short_sentence(labels[s], attrs["label"], labels[o], details, role)
    return data


class _Sharer:
    """One object per distinct string or list of strings across the projection.

    A million-triple graph repeats the same IRIs, labels and source lists in
    every edge; sharing them makes the projection smaller in memory.
    """

    def __init__(self):
        self._seen: dict = {}

    def __call__(self, value):
        if isinstance(value, str):
            return self._seen.setdefault(value, value)
        if isinstance(value, list):
            shared = tuple([self(v) for v in value])
            return self._seen.setdefault(shared, shared)
        return value

    def attributes(self, attrs: dict) -> dict:
        share = self._seen.setdefault  # __call__ inlined for strings: a million calls at 1M triples
        return {share(k, k): share(v, v) if isinstance(v, str) else self(v) for k, v in attrs.items()}


def project(graph: Graph, names: NameIndex | None = None) -> nx.MultiDiGraph:
    """Turn the RDF graph into a directed multigraph of entities.

    Nodes are entities (attributes ``iri``, ``label``, ``label_zh``, ``cls``,
    ``sources`` and their literal facts). Each n-ary relation node becomes
    one edge per subject/object pair of its class's shortcut rule, carrying
    the relation's details (date, amount, series, lead, role ...), a
    ``sentence``, its ``sources`` and ``quotes``; symmetric relations become
    one edge. Each plain object property between entities (see
    :func:`edge_predicates`) becomes an edge too. Edge keys are unique, and
    nodes and edges are added in sorted order so results are deterministic.

    Parameters
    ----------
    graph : rdflib.Graph
        Ontology + data, as loaded by :func:`kg.loader.load`.
    names : NameIndex, optional
        A prebuilt index of the entities in ``graph``.

    Returns
    -------
    networkx.MultiDiGraph

    Examples
    --------
    >>> from kg import load
    >>> G = load().network
    >>> from kg.vocab import RES
    >>> [d["sentence"] for _, _, d in G.edges(str(RES.nvidia), data=True) if d["kind"] == "acquired"]
    ['Nvidia acquired Icera (2011)']
    """
    import networkx as nx  # here: building the projection's parts (the cache's route) does not need it

    attrs, nodes, edges = projection_parts(graph, names)
    G = nx.MultiDiGraph(**attrs)
    G.add_nodes_from(nodes)
    for s, o, key, data in edges:
        G.add_edge(s, o, key=key, **data)
    return G


def projection_parts(graph: Graph, names: NameIndex | None = None,
                     vocab: dict | None = None, share_edges: bool = True) -> tuple[dict, list, list]:
    """The projection of :func:`project` as plain lists, without building a networkx graph.

    ``vocab`` is the ontology's :func:`vocabulary`, for a graph that holds
    only the part of the ontology its data uses (:mod:`kg.remote`'s small graphs).
    ``share_edges=False`` leaves the edges' attributes as they are made: for
    a caller that writes them out (:meth:`kg.adjacency.Adjacency.save`),
    sharing them costs more time than the memory it saves.

    Returns
    -------
    (dict, list, list)
        The graph attributes (``vocabulary``, ``published``); the nodes as
        ``(iri, attributes)`` sorted by IRI; the edges as ``(source, target,
        key, attributes)`` sorted by source, target and key. Strings and
        lists repeated across nodes (and edges) are shared objects, lists
        as tuples. :meth:`kg.adjacency.Adjacency.from_parts` turns them into arrays.
    """
    names = names or NameIndex(graph)
    classes = relation_classes(graph)
    from kg.timeview import source_dates

    entities = names.entities  # IRIs (URIRef) only: sorted by their text
    labels = {str(iri): entity.label for iri, entity in entities.items()}  # as the nodes' "label"
    work = [(facts, node) for facts in (_RuleFacts(graph, rule) for rule in shortcut_rules())
            for node in sorted(graph.subjects(_TYPE, facts.rule.relation_class), key=_node_order)]
    # every relation class costs differently: the child's share is spread evenly over them
    turns = [int((i + 1) * _CHILD_SHARE) > int(i * _CHILD_SHARE) for i in range(len(work))]
    theirs = [w for w, turn in zip(work, turns) if turn]
    with Forked(lambda: _relation_edges(graph, theirs, entities, classes, labels),
                fork=len(work) >= _FORK_MINIMUM) as child:
        share = _Sharer()
        nodes = [(share(str(iri)), share.attributes(_node_attributes(graph, iri, entities[iri])))
                 for iri in sorted(entities, key=str)]
        edges = _relation_edges(graph, [w for w, turn in zip(work, turns) if not turn], entities, classes, labels)
        for prop in sorted(edge_predicates(graph)):
            label = label_of(graph, prop)
            for s, o in sorted(graph.subject_objects(prop)):
                if s in entities and o in entities and s != o:
                    attrs = {
                        "predicate": str(prop), "kind": kind_of(prop), "label": label,
                        "sources": sorted(str(x) for x in graph.objects(s, _DERIVED_FROM)),
                        "quotes": [], "_details": [], "_role": "",
                    }
                    edges.append((str(s), str(o), f"{s}|{kind_of(prop)}|{o}", _edge_data(attrs, labels, str(s), str(o))))
        vocab = vocab if vocab is not None else vocabulary(graph)
        published = source_dates(graph)
        edge_share = share if share_edges else None
        edges = _sorted_shared(edges, edge_share)  # while the child still works
        names.name_keys()  # made now too (the cache's names.json needs them; the projection does not)
        edges += _sorted_shared(child.result(), edge_share)
    # (source, target, key) is unique (a path reaching an entity twice gives two equal edges): the sort
    # leaves no trace of the order the child's and this process's edges came in; two sorted runs merge fast
    edges.sort(key=_edge_order)
    return {"vocabulary": vocab, "published": published}, nodes, edges


def _edge_order(edge: tuple) -> tuple:
    return edge[0], edge[1], edge[2]


def _sorted_shared(edges: list, share: _Sharer | None) -> list:
    """``edges`` sorted by source, target and key, their strings and lists shared through ``share`` if given."""
    edges.sort(key=_edge_order)
    if share is None:
        return edges
    return [(share(s), share(o), key, share.attributes(data)) for s, o, key, data in edges]


def relation_kinds(graph: Graph) -> dict[str, str]:
    """Map every relation kind the ontology defines to its label, sorted by kind.

    The kinds are the shortcut properties of the n-ary relations and the
    plain object properties that become edges (:func:`edge_predicates`).
    """
    props = set(graph.objects(None, CHIPS.shortcut)) | edge_predicates(graph)
    return dict(sorted((kind_of(p), label_of(graph, p)) for p in props))


def vocabulary(graph: Graph) -> dict:
    """What questions about the projection need from the ontology, computed once and kept on it.

    ``kinds`` maps relation kinds to labels (:func:`relation_kinds`);
    ``indirect`` lists the indirect kinds (:func:`indirect_kinds`);
    ``classes`` maps each entity class to its names (local name and labels)
    and the classes it covers (itself and its subclasses); ``labels`` and
    ``phrases`` give, by language, each kind's label and ``chips:phrase``,
    ``class_labels`` each class's label and ``status_labels`` each status's
    label, keyed by its English label as edges carry it (for answers in that
    language, :mod:`kg.i18n`).
    """
    classes = {}
    for cls in sorted(entity_classes(graph)):
        names = [kind_of(cls)] + sorted(str(label) for label in graph.objects(cls, RDFS.label))
        classes[kind_of(cls)] = {"names": names, "covers": sorted(kind_of(c) for c in subclasses(graph, cls))}
    props = set(graph.objects(None, CHIPS.shortcut)) | edge_predicates(graph)
    phrases = {"zh": {kind_of(p): str(t) for p in props for t in graph.objects(p, CHIPS.phrase)
                      if getattr(t, "language", None) == "zh"}}
    labels = {"zh": {kind_of(p): label_of(graph, p, "zh") for p in props}}
    class_labels = {"zh": {kind_of(c): label_of(graph, c, "zh") for c in entity_classes(graph)}}
    statuses = set(graph.subjects(RDF.type, CHIPS.Status))
    status_labels = {"zh": {label_of(graph, s): label_of(graph, s, "zh") for s in statuses}}
    return {"kinds": relation_kinds(graph), "indirect": sorted(indirect_kinds(graph)), "classes": classes,
            "labels": labels, "class_labels": class_labels, "status_labels": status_labels, "phrases": phrases}


def indirect_kinds(graph: Graph) -> set[str]:
    """The relation kinds the ontology marks ``chips:indirectTie true`` (rivalries, opinions, shared traits)."""
    return {kind_of(p) for p in graph.subjects(CHIPS.indirectTie, Literal(True))}


_UNDIRECTED: "weakref.WeakKeyDictionary[nx.MultiDiGraph, nx.Graph]" = weakref.WeakKeyDictionary()


def undirected(G: nx.MultiDiGraph) -> nx.Graph:
    """A simple undirected view of ``G`` for path search, built once per graph and remembered.

    Each edge ``{u, v}`` keeps in ``refs`` the sorted list of ``(source,
    target, key)`` of the directed edges it merges. The projection is treated
    as read-only: change ``G`` after the first call and the view is stale.
    """
    cached = _UNDIRECTED.get(G)
    if cached is not None:
        return cached
    import networkx as nx

    H = nx.Graph()
    H.add_nodes_from(G.nodes)
    for u, v, key in G.edges(keys=True):
        if H.has_edge(u, v):
            H[u][v]["refs"].append((u, v, key))
        else:
            H.add_edge(u, v, refs=[(u, v, key)])
    for _, _, data in H.edges(data=True):
        data["refs"].sort()
    _UNDIRECTED[G] = H
    return H

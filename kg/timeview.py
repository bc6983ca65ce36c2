"""The graph as of a date, and as known by a date: one filter for every question.

Two clocks, kept apart:

* **as of** — the time the facts are about. A relation counts once it has
  started (its ``chips:date`` or ``chips:start``, or those of its context,
  as a round dates each investment in it) and until it has ended
  (``chips:end``). An acquisition counts from its date. Dates are intervals
  (:mod:`kg.dates`): a fact whose coarse date straddles the moment is kept
  and marked ``possibly``; a fact with no date is kept and marked
  ``undated`` unless ``dated_only``.
* **known by** — the time the sources were published. Only facts derived
  from a source whose ``chips:published`` date is certainly on or before
  the moment are kept. A source with no publication date is never known by
  any date (it cannot be shown to have been readable then); the snapshot
  lists such sources in ``dropped_sources`` so the answer can say so.

:func:`snapshot` returns a graph object that every question accepts in
place of the full graph: its RDF (``graph``, for ``describe``, SPARQL and
the Turtle export) and its projection (``network``, for paths, centrality,
views ...) are both filtered by the same :class:`TimeFilter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from kg.backend import LocalBackend
from kg.dates import PartialDate, in_force, parse_date

__all__ = ["TimeFilter", "snapshot", "Snapshot", "relation_dates", "source_dates", "history", "happened_by"]


@dataclass(frozen=True)
class TimeFilter:
    """Which facts a snapshot keeps, and how each kept fact is marked.

    ``published`` maps each source IRI to its publication date (a string,
    or None when the source gives none).
    """

    as_of: PartialDate | None = None
    known_by: PartialDate | None = None
    dated_only: bool = False
    published: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.as_of is not None or self.known_by is not None or self.dated_only

    def known(self, source: str) -> bool:
        """Was ``source`` certainly published by ``known_by``? (always True without ``known_by``)"""
        if self.known_by is None:
            return True
        published = self.published.get(str(source))
        return published is not None and parse_date(published).last <= self.known_by.last

    def sources_known(self, sources) -> bool:
        """True when no source is given or at least one of ``sources`` is known."""
        sources = list(sources)
        return not sources or any(self.known(s) for s in sources)

    def judge(self, *, date=None, start=None, end=None, sources=()) -> str | None:
        """The mark of a fact, or None when the snapshot drops it.

        Marks: ``"in force"``, ``"possibly"`` (coarse dates straddle the
        moment), ``"undated"``; without ``as_of``, ``"dated"`` or ``"undated"``.
        """
        if not self.sources_known(sources):
            return None
        dated = any(v is not None for v in (date, start, end))
        if not dated:
            return None if self.dated_only else "undated"
        if self.as_of is None:
            return "dated"
        state = in_force(self.as_of, date=date, start=start, end=end)
        return {"yes": "in force", "possibly": "possibly"}.get(state)

    def dropped_sources(self) -> list[str]:
        """The sources left out by ``known_by``, sorted."""
        return sorted(s for s in self.published if not self.known(s))

    def describe(self, lang: str = "en") -> str:
        """A short phrase for answers in ``lang``: ``as of 2021-12, known by 2021-12-11``; ``截至2021年12月，...``.

        Examples
        --------
        >>> TimeFilter(as_of=parse_date("2010"), dated_only=True).describe("zh")
        '截至2010年，只看有日期的事实'
        """
        from kg.i18n import when, word

        parts = []
        if self.as_of is not None:
            parts.append(word("as of {}", lang, when(str(self.as_of), lang=lang)))
        if self.known_by is not None:
            parts.append(word("known by {}", lang, when(str(self.known_by), lang=lang)))
        if self.dated_only:
            parts.append(word("dated facts only", lang))
        return word(", ", lang).join(parts)

    def as_dict(self) -> dict:
        return {"as_of": str(self.as_of) if self.as_of else None,
                "known_by": str(self.known_by) if self.known_by else None,
                "dated_only": self.dated_only, "sources_left_out": self.dropped_sources()}


def source_dates(graph) -> dict[str, str | None]:
    """Map every ``chips:Source`` in ``graph`` to its ``chips:published`` date (None when not given)."""
    from rdflib import RDF

    from kg.vocab import CHIPS

    out = {}
    for source in sorted(graph.subjects(RDF.type, CHIPS.Source)):
        published = graph.value(source, CHIPS.published)
        out[str(source)] = str(published) if published is not None else None
    return out


def relation_dates(graph, node, context=None) -> dict:
    """``{"date", "start", "end"}`` (strings or None) of a relation node, or of its context node.

    ``context`` is the property leading to the node whose dates describe this
    one (a round for an investment; :func:`context_properties`).
    """
    from kg.vocab import CHIPS

    for holder in (node, graph.value(node, context) if context is not None else None):
        if holder is None:
            continue
        found = {k: graph.value(holder, p) for k, p in (("date", CHIPS.date), ("start", CHIPS.start), ("end", CHIPS.end))}
        if any(v is not None for v in found.values()):
            return {k: (str(v) if v is not None else None) for k, v in found.items()}
    return {"date": None, "start": None, "end": None}


def context_properties(graph) -> dict:
    """Map each relation class to its ``chips:contextProperty`` (as the ontology states it)."""
    from kg.vocab import CHIPS

    return dict(graph.subject_objects(CHIPS.contextProperty))


def _filter_graph(base, flt: TimeFilter):
    """A new rdflib graph: ``base`` without the facts ``flt`` drops, shortcuts derived again."""
    from rdflib import RDF, Graph
    from rdflib.namespace import PROV

    from kg.facts import relation_classes
    from kg.network import edge_predicates
    from kg.rules import derive_shortcuts
    from kg.vocab import CHIPS, bind_prefixes

    from kg.rules import shortcut_rules

    shortcuts = {rule.shortcut for rule in shortcut_rules()}
    classes = relation_classes(base)
    contexts = context_properties(base)
    dropped = set()
    # a node (entity, relation, correction, source) is dropped when no known source backs it
    for node, source in base.subject_objects(PROV.wasDerivedFrom):
        if node not in dropped and not flt.sources_known(base.objects(node, PROV.wasDerivedFrom)):
            dropped.add(node)
    dropped |= {s for s in base.subjects(RDF.type, CHIPS.Source) if not flt.known(s)}
    for cls in classes:
        for node in base.subjects(RDF.type, cls):
            context = contexts.get(cls)
            if flt.judge(**relation_dates(base, node, context)) is None:
                dropped.add(node)
    plain = edge_predicates(base) if flt.dated_only else set()
    out = bind_prefixes(Graph())
    for prefix, ns in base.namespaces():
        out.bind(prefix, ns, override=False)
    for s, p, o in base:
        if p in shortcuts or s in dropped or o in dropped or p in plain:
            continue
        out.add((s, p, o))
    derive_shortcuts(out)
    return out


def _filter_network(G, flt: TimeFilter):
    """A new MultiDiGraph: ``G`` without the edges ``flt`` drops; each kept edge marked in ``when``."""
    import networkx as nx

    H = nx.MultiDiGraph()
    H.graph.update(G.graph)
    for n, data in G.nodes(data=True):
        if flt.sources_known(data.get("sources", ())):
            H.add_node(n, **data)
    for u, v, key, data in G.edges(keys=True, data=True):
        if u not in H or v not in H:
            continue
        if "relation" not in data and flt.dated_only:
            continue
        mark = flt.judge(date=data.get("date"), start=data.get("start"), end=data.get("end"),
                         sources=data.get("sources", ()))
        if mark is not None:
            H.add_edge(u, v, key=key, **data, when=mark)
    return H


class Snapshot(LocalBackend):
    """A knowledge graph seen through a :class:`TimeFilter` (made by :func:`snapshot`).

    Has what questions use of a :class:`kg.loader.KnowledgeGraph`: ``graph``,
    ``network``, ``names``, ``resolve``, ``ontology``, ``files``, ``shapes``;
    anything else is the full graph's. ``time`` is the filter.
    """

    remote = False

    def __init__(self, base, time: TimeFilter):  # noqa: D107
        self.base, self.time = base, time
        self.files = base.files
        self.key = (getattr(base, "key", id(base)), time.as_dict()["as_of"], time.as_dict()["known_by"], time.dated_only)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.base, name)

    @cached_property
    def graph(self):
        """The RDF graph of the snapshot (a new graph; shortcuts derived from the kept relations)."""
        return _filter_graph(self.base.graph, self.time)

    @cached_property
    def network(self):
        """The projection of the snapshot, filtered from the full projection; edges carry ``when``."""
        return _filter_network(self.base.network, self.time)

    @cached_property
    def adjacency(self):
        """The compact adjacency of the filtered projection (what paths and neighbours search)."""
        from kg.adjacency import Adjacency

        return Adjacency.from_network(self.network, self.base.names)

    @property
    def names(self):
        return self.base.names

    @property
    def ontology(self):
        return self.base.ontology

    @property
    def shapes(self):
        return self.base.shapes

    @property
    def asserted(self) -> int:
        return len(self.graph)

    derived = 0

    def resolve(self, name: str):
        """The entity ``name`` denotes, if the snapshot holds it: a source known by then must name it."""
        entity = self.base.resolve(name)
        if entity.id not in self.adjacency:
            from kg.errors import NotFound

            raise NotFound(f"{entity.label} is in no source of the graph {self.time.describe()}: "
                           "no source published by then names it")
        return entity


def _published(kg) -> dict:
    """The publication dates the projection keeps (from the cached arrays when there are some)."""
    adjacency = getattr(kg, "adjacency", None)
    graph = adjacency.meta.get("graph", {}) if adjacency is not None else kg.network.graph
    return graph.get("published") or source_dates(kg.graph)


def snapshot(kg, *, as_of=None, known_by=None, dated_only: bool = False):
    """The graph as it stood ``as_of`` a date, as sources published by ``known_by`` told it.

    Pass the result to any question (:func:`kg.describe`, :func:`kg.find_paths`,
    :func:`kg.centrality`, :func:`kg.views.build_view` ...) in place of ``kg``.
    With no option set, ``kg`` itself is returned.

    Parameters
    ----------
    kg : KnowledgeGraph
    as_of : str, optional
        ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: keep relations started by then and not yet ended.
    known_by : str, optional
        Keep only facts from sources published by then.
    dated_only : bool
        Drop facts with no date (otherwise kept and marked ``undated``).

    Raises
    ------
    BadInput
        When a date is not ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> early = snapshot(kg, as_of="2010")
    >>> [d["sentence"] for _, _, d in early.network.edges("https://w3id.org/chipskg/id/nvidia", data=True)
    ...  if d["kind"] == "acquired"]
    []
    >>> later = snapshot(kg, as_of="2012")
    >>> [d["when"] for _, _, d in later.network.edges("https://w3id.org/chipskg/id/nvidia", data=True)
    ...  if d["kind"] == "acquired"]
    ['in force']
    """
    if as_of is None and known_by is None and not dated_only:
        return kg
    flt = TimeFilter(
        as_of=parse_date(as_of) if as_of is not None else None,
        known_by=parse_date(known_by) if known_by is not None else None,
        dated_only=dated_only,
        published=_published(kg),
    )
    return Snapshot(kg, flt)


def history(kg):
    """For questions about the past up to a date (timelines, careers): ``(graph, cutoff)``.

    A snapshot keeps only what is in force on its date, so a position held
    until 2020 is gone from the 2021 snapshot; a history as of 2021 still
    tells it. Returns the graph without the ``as_of`` part of its filter
    (``known_by`` and ``dated_only`` stay) and the ``as_of`` date, or
    ``(kg, None)`` when ``kg`` is no snapshot as of a date.
    """
    time = getattr(kg, "time", None)
    if time is None or time.as_of is None:
        return kg, None
    return snapshot(kg.base, known_by=time.known_by, dated_only=time.dated_only), time.as_of


def happened_by(cutoff, data: dict) -> bool:
    """Had the fact with ``date``/``start`` keys in ``data`` (possibly) begun by ``cutoff``? Undated: True."""
    began = data.get("date") or data.get("start")
    return cutoff is None or began is None or in_force(cutoff, date=began) != "no"

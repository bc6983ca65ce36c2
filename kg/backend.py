"""Where the graph lives, and the one interface every place provides.

Three backends answer questions:

================  ==========================================  ===============================
backend           class                                       "neighbours" comes from
================  ==========================================  ===============================
files             :class:`kg.loader.CachedKnowledgeGraph`     the compact adjacency (cached)
Oxigraph store    :class:`kg.store.StoreKnowledgeGraph`       the compact adjacency (cached)
SPARQL endpoint   :class:`kg.remote.RemoteKnowledgeGraph`     one ``VALUES`` query per frontier
================  ==========================================  ===============================

Each provides :class:`Backend`: resolve a name, the neighbours of a set of
nodes, describe an entity, run a checked query, and the questions built on
those (paths, neighbourhoods, shared ties). The command line and the server
call these methods and never ask which backend they hold. Local graphs get
them from :class:`LocalBackend`; a time snapshot (:mod:`kg.timeview`) is a
local graph too.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, ContextManager, Hashable, Iterable, Protocol, runtime_checkable

__all__ = ["Backend", "LocalBackend"]


@runtime_checkable
class Backend(Protocol):
    """What every backend provides (files, store and endpoint alike)."""

    key: Hashable
    files: list

    def resolve(self, name: str):
        """The :class:`kg.names.Entity` a user-typed name denotes (IRI, ``res:`` name, label, alias, misspelling)."""

    def neighbours(self, nodes: Iterable[str], only: Iterable[str] | None = None) -> dict[str, dict[str, list[str]]]:
        """For each node IRI, its neighbours (either direction) and the relation kinds joining them."""

    def entities(self, iris: Iterable[str]) -> dict[str, dict]:
        """``{iri: {"iri", "label", "class", "label_zh"}}`` for those of ``iris`` that are entities."""

    vocabulary: dict
    """What questions need from the ontology: relation kinds, classes, their labels (:func:`kg.network.vocabulary`)."""

    def describe(self, name: str, **options) -> dict:
        """Everything said about an entity, as :func:`kg.facts.describe` returns it."""

    def around(self, name: str) -> "Backend":
        """A backend that describes the entity ``name`` and tells its ties (``neighbors`` at one hop) as this one does.

        A local graph is itself; an endpoint fetches the entity's own small
        graph once, so a page asking both sends its queries once.
        """

    def holding(self, name: str) -> ContextManager[str | None]:
        """``with holding(name) as iri:`` the IRI ``name`` spells (an IRI or ``res:`` name) if an entity's, else None.

        Within the block, questions about that entity answered from its own
        graph (:meth:`around`) read the graph that told it is one: an endpoint
        sends that query once. A local graph only looks the IRI up.
        """

    def query(self, query, *, params=None, timeout: float | None = None, max_rows: int | None = None):
        """Run a checked read-only SPARQL query (text, :class:`kg.sparql.SavedQuery` or its name)."""

    def bind(self, saved, params) -> dict:
        """The bindings of a saved query's parameters (entity names resolved by this backend)."""

    def labeller(self, result=None) -> Callable:
        """``label(term) -> str | None`` for the terms of a query result: the name its ``rdfs:label`` gives.

        Any term with a label is named (an entity, a relation node, a class, a
        source), on every backend by the same rule (:func:`kg.names.best_label`).
        """

    def find_paths(self, source: str, target: str, **options) -> dict:
        """How two entities connect (:func:`kg.paths.find_paths`)."""

    def neighbors(self, name: str, **options) -> dict:
        """An entity's neighbourhood (:func:`kg.paths.neighbors`)."""

    def common_ties(self, first: str, second: str, **options) -> dict:
        """What two entities share (:func:`kg.paths.common_ties`)."""


class LocalBackend:
    """:class:`Backend` for a graph held on this machine (files, store, snapshot): the library functions, bound."""

    def neighbours(self, nodes: Iterable[str], only: Iterable[str] | None = None) -> dict[str, dict[str, list[str]]]:
        """For each node IRI, its neighbours and the relation kinds joining them, from the compact adjacency.

        Examples
        --------
        >>> from kg import load
        >>> around = load().neighbours(["https://w3id.org/chipskg/id/icera"])
        >>> around["https://w3id.org/chipskg/id/icera"]["https://w3id.org/chipskg/id/nvidia"]
        ['acquired']
        """
        from kg.paths import resolve_kinds

        adj = self.adjacency
        wanted = resolve_kinds(self, only)
        out = {}
        for node in nodes:
            i = adj.index_of(node)
            if i is None:
                continue
            ties: dict[str, list[str]] = {}
            for j, pair in adj.ties(i):
                kinds = sorted({adj.kinds[adj.edge_kind[e]] for e in adj.refs(pair)}
                               & (wanted if wanted is not None else set(adj.kinds)))
                if kinds:
                    ties[adj.iris[j]] = kinds
            out[str(node)] = ties
        return out

    def entities(self, iris: Iterable[str]) -> dict[str, dict]:
        """``{iri: {"iri", "label", "class", "label_zh"}}`` for those of ``iris`` that are entities, from the projection.

        Examples
        --------
        >>> from kg import load
        >>> load().entities(["https://w3id.org/chipskg/id/nvidia", "https://example.org/x"])
        {'https://w3id.org/chipskg/id/nvidia': {'iri': 'https://w3id.org/chipskg/id/nvidia', 'label': 'Nvidia', 'class': 'Company', 'label_zh': '英伟达'}}
        """
        adj = self.adjacency
        out = {}
        for iri in iris:
            i = adj.index_of(str(iri))
            if i is not None:
                node = adj.node(i)
                out[str(iri)] = {"iri": str(iri), "label": node["label"], "class": node["cls"],
                                 "label_zh": node.get("label_zh") or node["label"]}
        return out

    @property
    def vocabulary(self) -> dict:
        """What questions need from the ontology, as kept on the projection (:func:`kg.network.vocabulary`)."""
        from kg.paths import _vocabulary

        return _vocabulary(self)

    def describe(self, name: str, **options) -> dict:
        from kg.facts import describe

        return describe(self, name, **options)

    def around(self, name: str) -> "LocalBackend":
        """Itself: everything about ``name`` is here already (see :meth:`Backend.around`)."""
        return self

    @contextmanager
    def holding(self, name: str):
        """The IRI ``name`` spells if it is an entity's, else None (see :meth:`Backend.holding`)."""
        from kg.names import expand_curie

        iri = expand_curie(name.strip())
        yield iri if iri in self.names else None

    def query(self, query, *, params=None, timeout: float | None = None, max_rows: int | None = None):
        from kg.sparql import run_query

        return run_query(self, query, params=params, timeout=timeout, max_rows=max_rows)

    def bind(self, saved, params) -> dict:
        return saved.bind(params, source=self)

    def labeller(self, result=None) -> Callable:
        """``label(term)``: the name a term's ``rdfs:label`` gives (:func:`kg.names.best_label`), or None."""
        from rdflib import RDFS

        from kg.names import best_label

        graph = self.graph
        return lambda term: best_label(graph.objects(term, RDFS.label))

    def find_paths(self, source: str, target: str, **options) -> dict:
        from kg.paths import find_paths

        return find_paths(self, source, target, **options)

    def neighbors(self, name: str, **options) -> dict:
        from kg.paths import neighbors

        return neighbors(self, name, **options)

    def common_ties(self, first: str, second: str, **options) -> dict:
        from kg.paths import common_ties

        return common_ties(self, first, second, **options)

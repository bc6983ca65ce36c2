"""Ask any SPARQL 1.1 endpoint (Virtuoso, Fuseki, Oxigraph server, GraphDB, QLever) instead of local files.

``kg --endpoint URL ...`` makes every question a few SPARQL queries sent
as SPARQLWrapper writes them, each under a whole-request deadline (rdflib's
``SPARQLStore`` ignores its timeout, see ``PITFALLS.md``) and following
redirects only within the endpoint's own scheme, host and port. Nothing is
downloaded wholesale:

- names are resolved with one label query (``CONTAINS`` on the words of the
  name) and matched locally with the same rules as :class:`kg.names.NameIndex`;
- ``entity`` fetches the entity's own small graph (the queries the
  Oxigraph store uses, :func:`kg.store.described_query`, with the relations
  reaching the entity by a rule's path) and hands it to
  :func:`kg.facts.describe`; that graph holds every relation of the entity,
  so ``neighbors`` at one hop is answered from it too, and an entity page
  (:meth:`RemoteKnowledgeGraph.around`) asks for it once;
- ``path`` runs a bidirectional breadth-first search, expanding a whole
  frontier with one ``VALUES`` query per step over the relation kinds
  (shortcut properties and plain object properties of the ontology), then
  fetches only the relation nodes between the entities on the shortest
  paths and explains the hops with :mod:`kg.paths` on that small graph, so
  the answer has the same shape and sentences as the local engine's;
- ``neighbors`` further out and ``common`` expand one or two frontiers the same way.

The ontology is always read locally (``ontology/chips.ttl``); a small graph
gets the part of it that its terms use, each term's part worked out once. The endpoint
must hold the derived shortcut triples (``chips:investedIn`` ...):
:func:`push` uploads the loaded graph including them.

Examples
--------
>>> ep = RemoteEndpoint("http://127.0.0.1:8890/sparql", timeout=5)
>>> ep.url, ep.timeout
('http://127.0.0.1:8890/sparql', 5.0)
"""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from functools import cached_property
from types import SimpleNamespace

from kg.errors import BadInput, KGError, NoPath, QueryError, QueryTimeout, UnknownEntity
from kg.loader import KnowledgeGraph
from kg.vocab import bind_prefixes, sparql_prefixes

__all__ = ["RemoteEndpoint", "RemoteKnowledgeGraph", "push", "MAX_HOPS", "BATCH"]

#: Longest path searched when no ``max_len`` is given.
MAX_HOPS = 12
#: An IRI safe to write between ``<`` and ``>`` in a query (what :meth:`RemoteKnowledgeGraph.resolve` takes as one).
_IRI = re.compile(r"https?://[^\s<>\"{}|\\^`]+")
#: Most entities in one ``VALUES`` block; larger frontiers are sent in several queries.
BATCH = 400
#: Most shortest paths enumerated before explaining them.
MAX_PATHS = 200
#: Most terms an endpoint keeps made from its answers (:meth:`RemoteEndpoint.select`); past it, they are made anew.
TERMS_KEPT = 50_000
#: Most sets of ontology terms whose part of the ontology is kept (:meth:`RemoteKnowledgeGraph._ontology_about`).
_PARTS_KEPT = 500

_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Ontology predicates written for people, which no question reads: left out of the small graphs.
_UNREAD = frozenset({"http://www.w3.org/2000/01/rdf-schema#comment", "http://www.w3.org/2000/01/rdf-schema#isDefinedBy",
                     "http://www.w3.org/2004/02/skos/core#definition", "http://www.w3.org/2004/02/skos/core#closeMatch"})


# -----------------------------------------------------------------------------
# Terms
# -----------------------------------------------------------------------------

def _term(binding: dict):
    """Turn one SPARQL JSON results binding into the rdflib term a Turtle parse would give.

    Servers differ in small ways: Virtuoso writes ``typed-literal``, tags
    plain strings ``xsd:string`` and writes stored booleans as ``1``/``0``.
    These are normalised, and a decimal gets the text the local backends give
    it (:func:`kg.terms.canonical_decimal`).

    Examples
    --------
    >>> _term({"type": "typed-literal", "value": "1", "datatype": _XSD + "boolean"})
    rdflib.term.Literal('true', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#boolean'))
    >>> _term({"type": "literal", "value": "x", "datatype": _XSD + "string"})
    rdflib.term.Literal('x')
    """
    from rdflib import BNode, Literal, URIRef

    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    lang = binding.get("xml:lang")
    if lang:
        return Literal(value, lang=lang)
    datatype = binding.get("datatype")
    if not datatype or datatype == _XSD + "string":
        return Literal(value)
    return _normal_literal(value, datatype)


def _normal_literal(value: str, datatype: str):
    from rdflib import Literal, URIRef

    from kg.terms import canonical_decimal

    if datatype == _XSD + "boolean" and value in ("1", "0"):
        value = "true" if value == "1" else "false"
    elif datatype == _XSD + "decimal":
        value = canonical_decimal(value)
    return Literal(value, datatype=URIRef(datatype))


def _normalise_graph(graph):
    """Rewrite the literals of a parsed CONSTRUCT result the way :func:`_term` does."""
    from rdflib import Graph, Literal

    out = Graph()
    for s, p, o in graph:
        if isinstance(o, Literal) and o.datatype is not None and not o.language:
            o = Literal(str(o)) if str(o.datatype) == _XSD + "string" else _normal_literal(str(o), str(o.datatype))
        out.add((s, p, o))
    return out


def _add_all(graph, triples) -> None:
    """Add ``triples`` (rdflib terms) to ``graph`` through its store: ``Graph.add`` checks the type of every term."""
    add = graph.store.add
    for triple in triples:
        add(triple, graph)


def _values(iris) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _string(text: str) -> str:
    """A SPARQL string literal for ``text``."""
    return json.dumps(text, ensure_ascii=False)


def _chunks(items, size=BATCH):
    items = sorted(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


# -----------------------------------------------------------------------------
# The endpoint
# -----------------------------------------------------------------------------

class RemoteEndpoint:
    """A SPARQL 1.1 query endpoint reached with SPARQLWrapper.

    Parameters
    ----------
    url : str
        The query endpoint, e.g. ``http://127.0.0.1:8890/sparql``.
    timeout : float
        Seconds each query may take, the whole answer included (a server
        sending it a byte at a time is cut off); :class:`kg.errors.QueryTimeout` past it.
    graph : str, optional
        Query this named graph as the default graph (``default-graph-uri``).

    Attributes
    ----------
    queries : int
        How many queries were sent so far.
    """

    def __init__(self, url: str, timeout: float = 30.0, graph: str | None = None):  # noqa: D107
        if not re.match(r"https?://", url or ""):
            raise BadInput(f"endpoint {url!r} is not an http(s) URL")
        if timeout is not None and timeout <= 0:
            raise BadInput(f"timeout must be more than 0 seconds, not {timeout:g}")
        self.url = url
        self.timeout = float(timeout) if timeout is not None else None
        self.graph = graph
        self.queries = 0
        self._terms: dict = {}  # a term's JSON binding -> the rdflib term (select)

    def _send(self, text: str, fmt: str, timeout: float | None):
        import urllib.error

        from SPARQLWrapper import POST, SPARQLWrapper

        client = SPARQLWrapper(self.url)
        client.setQuery(text)
        client.setMethod(POST)
        client.setReturnFormat(fmt)
        if self.graph:
            client.addDefaultGraph(self.graph)
        limit = timeout if timeout is not None else self.timeout
        self.queries += 1
        # SPARQLWrapper's request, sent with our own opener: its ``urlopen`` follows redirects anywhere
        # and its timeout bounds each read of the socket, not the whole answer
        request = client._createRequest()
        try:
            with _Deadline(limit) as deadline:
                try:
                    with deadline.opener(self.url).open(request, timeout=limit) as response:
                        body = response.read()
                except urllib.error.HTTPError as e:
                    kind = _sparql_error(e.code)
                    if kind is None:
                        raise
                    body, error = None, kind(e.read())
        except KGError:
            raise
        except Exception as e:  # urllib: timeouts, refused connections, other HTTP errors
            raise _network_error(None if deadline.passed else e, self.url, limit) from None
        if deadline.passed:  # the connection was cut at the deadline: what was read is not the answer
            raise _network_error(None, self.url, limit)
        if body is None:
            detail = _server_message(str(error))
            if "execution time" in detail and "exceeds" in detail:  # Virtuoso's own estimate of the cost
                raise QueryTimeout(f"the endpoint {self.url} refused a query it expects to run too long: {detail}")
            raise QueryError(f"the endpoint {self.url} refused the query: {detail}")
        return body

    def select(self, text: str, *, timeout: float | None = None) -> tuple[list[str], list[tuple]]:
        """Run a SELECT; return ``(variables, rows)``, each row a tuple of rdflib terms (None if unbound).

        Each term is made once and kept (up to :data:`TERMS_KEPT`), for this
        answer and the next: rdflib checks every new IRI, which was most of
        the time spent reading an entity's graph, and the graphs of one entity
        and the next share most of their terms (properties, classes, sources).
        """
        data = self._json(self._send(text, "json", timeout))
        names = data.get("head", {}).get("vars", [])
        made = self._terms
        if len(made) > TERMS_KEPT:
            made.clear()

        def term(binding: dict):
            key = (binding.get("value"), binding.get("type"), binding.get("xml:lang"), binding.get("datatype"))
            found = made.get(key)
            if found is None:
                found = made[key] = _term(binding)
            return found

        rows = [tuple(term(b[v]) if v in b else None for v in names)
                for b in data.get("results", {}).get("bindings", [])]
        return names, rows

    def ask(self, text: str, *, timeout: float | None = None) -> bool:
        """Run an ASK and return its answer."""
        data = self._json(self._send(text, "json", timeout))
        if "boolean" not in data:
            raise QueryError(f"the endpoint {self.url} gave no boolean for an ASK query")
        return bool(data["boolean"])

    def construct(self, text: str, *, timeout: float | None = None):
        """Run a CONSTRUCT or DESCRIBE; return an rdflib Graph (literals normalised as :func:`_term` does)."""
        from rdflib import Graph

        body = self._send(text, "turtle", timeout)
        graph = Graph()
        try:
            graph.parse(data=body, format="turtle")
        except Exception as e:  # rdflib raises many types on bad input
            raise QueryError(f"the endpoint {self.url} sent unreadable Turtle: {' '.join(str(e).split())[:200]}") from None
        return _normalise_graph(graph)

    def triples(self, text: str):
        """Run a SELECT of ``?s ?p ?o`` and return the triples as an rdflib Graph.

        The graph is kept in rdflib's ``SimpleMemory`` store (a small graph
        has no named graphs; adding and reading a triple cost about a third).
        """
        from rdflib import Graph

        graph = Graph(store="SimpleMemory")
        _, rows = self.select(text)
        _add_all(graph, ((s, p, o) for s, p, o in rows if s is not None and p is not None and o is not None))
        return graph

    def _json(self, body: bytes) -> dict:
        try:
            return json.loads(body)
        except ValueError:
            raise QueryError(f"the endpoint {self.url} did not answer with SPARQL JSON results") from None


def _server_message(text: str) -> str:
    """The server's own words from a SPARQLWrapper error, on one line, without the echoed query."""
    head, sep, body = text.partition("Response:")
    if sep:
        body = body.strip()
        if body[:2] in ("b'", 'b"'):
            try:
                import ast

                body = ast.literal_eval(body).decode("utf-8", "replace")
            except (ValueError, SyntaxError):
                body = body[2:-1]
        body = re.split(r"\n\s*SPARQL query:", body)[0]
        text = f"{head.split(':', 1)[0].strip()}: {body}"
    return " ".join(text.split())[:300]


def _network_error(e: Exception | None, url: str, timeout):
    """The error for a failed request: ``e`` from urllib, None when the deadline cut it."""
    import socket
    import urllib.error

    reason = getattr(e, "reason", e)
    if e is None or isinstance(e, (TimeoutError, socket.timeout)) or isinstance(reason, (TimeoutError, socket.timeout)) \
            or "timed out" in str(reason):
        return QueryTimeout(f"the endpoint {url} did not answer within {timeout:g} s")
    if isinstance(e, urllib.error.HTTPError):
        return QueryError(f"the endpoint {url} answered HTTP {e.code}: {e.reason}")
    return BadInput(f"cannot reach the endpoint {url}: {' '.join(str(reason).split())}")


def _sparql_error(code: int):
    """SPARQLWrapper's exception for an HTTP status, as its own ``query`` raises them; None for others."""
    from SPARQLWrapper import SPARQLExceptions as E

    return {400: E.QueryBadFormed, 401: E.Unauthorized, 404: E.EndPointNotFound, 414: E.URITooLong,
            500: E.EndPointInternalError}.get(code)


def _origin(url: str) -> tuple:
    """``(scheme, host, port)`` of ``url``, the port made explicit."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(parts.scheme.lower())


class _Deadline:
    """A whole-request time limit: past ``seconds``, the open connection is shut, ending any read.

    A socket timeout bounds each read only: a server sending a byte every few
    seconds would hold a request for ever. ``passed`` tells that the
    deadline cut the request. ``opener(url)`` makes a urllib opener whose
    connections this deadline watches and which follows redirects only
    within the origin of ``url``.
    """

    def __init__(self, seconds: float | None):
        import threading

        self.seconds = seconds
        self.passed = False
        self.sockets: list = []
        self._lock = threading.Lock()
        self._timer = None

    def __enter__(self):
        import threading

        if self.seconds is not None:
            self._timer = threading.Timer(self.seconds, self._cut)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc):
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            self.sockets.clear()

    def _cut(self):
        import socket

        with self._lock:
            self.passed = True
            for sock in self.sockets:
                try:  # the plain socket's shutdown, also under TLS: the reading thread sees the end at once
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

    def _watched(self, cls):
        """``cls`` (an ``http.client`` connection class) whose sockets this deadline can shut."""
        deadline = self

        class Watched(cls):
            def connect(self):
                super().connect()
                with deadline._lock:
                    if deadline.passed:
                        raise TimeoutError("timed out")
                    deadline.sockets.append(self.sock)  # kept: http.client drops ``sock`` once a response is read

        return Watched

    def opener(self, url: str):
        import http.client
        import urllib.request

        deadline, origin = self, _origin(url)

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(deadline._watched(http.client.HTTPConnection), req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(deadline._watched(http.client.HTTPSConnection), req, context=self._context)

        class SameOrigin(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, req, fp, code, msg, headers, newurl):
                if _origin(newurl) != origin:
                    raise QueryError(f"the endpoint {url} redirected to {newurl.split('?')[0]}, another "
                                     "server; not followed (give that URL with --endpoint if you trust it)")
                return super().redirect_request(req, fp, code, msg, headers, newurl)

        return urllib.request.build_opener(HTTP, HTTPS, SameOrigin)


# -----------------------------------------------------------------------------
# A knowledge graph behind an endpoint
# -----------------------------------------------------------------------------

class _Names:
    """The ``names`` of a remote graph: resolution and search as typed, each asking the endpoint."""

    def __init__(self, kg):
        self._kg = kg

    def resolve(self, name: str):
        return self._kg.resolve(name)

    def search(self, text: str, limit: int = 10):
        """Up to ``limit`` entities for ``text`` as typed (:meth:`kg.names.NameIndex.search` over the names that contain its words)."""
        return self._kg._candidates(text).search(text, limit)


class RemoteKnowledgeGraph:
    """A knowledge graph that lives behind a SPARQL endpoint; fetches only what a question needs.

    Answers ``entity``, ``path``, ``neighbors``, ``common`` and ``sparql``
    with the same results as the local engine (see the module docstring).
    The whole graph (``graph``, ``network``) is never downloaded: commands
    that need it (``info``, ``validate``, ``centrality`` ...) get a clear
    :class:`BadInput`.

    Parameters
    ----------
    url : str
        The SPARQL query endpoint.
    timeout : float
        Seconds each query may take.
    graph : str, optional
        Named graph to query as the default graph.
    """

    remote = True

    def __init__(self, url: str, *, timeout: float = 30.0, graph: str | None = None):  # noqa: D107
        self.endpoint = RemoteEndpoint(url, timeout=timeout, graph=graph)
        self.key = ("endpoint", url, graph)
        self.files: list = []
        self._about_term: dict = {}  # ontology term -> what the ontology says of it (:func:`kg.store.ontology_parts`)
        self._about_terms: dict = {}  # the ontology terms a small graph uses -> what the ontology says of them
        self._held: tuple | None = None  # (IRI, its entity graph) while :meth:`holding` it

    # --- what is not available ---------------------------------------------

    def _whole(self, what: str):
        try:  # typer vendors its own click; name the running command when there is one
            from typer._click.globals import get_current_context
        except ImportError:  # pragma: no cover - other typer versions
            from click import get_current_context
        ctx = get_current_context(silent=True)
        command = f"`kg {ctx.info_name}`" if ctx is not None and ctx.parent is not None else "this command"
        raise BadInput(f"{command} needs the whole graph ({what}), which is not downloaded from "
                       f"--endpoint {self.endpoint.url}; run it with --data or --store")

    @property
    def graph(self):
        """Not available: raises :class:`BadInput` (the whole graph is never downloaded)."""
        self._whole("all its triples")

    @property
    def network(self):
        """Not available: raises :class:`BadInput` (the projection needs the whole graph)."""
        self._whole("the network projection")

    @property
    def shapes(self):
        """Not available: validation needs the whole graph."""
        self._whole("the data to validate")

    # --- ontology, read locally --------------------------------------------

    @cached_property
    def ontology(self):
        """The ontology, parsed from the bundled ``ontology/chips.ttl``."""
        from kg.bundled import ONTOLOGY
        from kg.loader import parse_file

        return bind_prefixes(parse_file(ONTOLOGY))

    @cached_property
    def _entity_classes(self) -> list[str]:
        from kg.names import entity_classes

        return sorted(str(c) for c in entity_classes(self.ontology))

    @cached_property
    def _kind_predicates(self) -> dict[str, str]:
        """Relation kind → predicate IRI: shortcut properties and plain edge properties."""
        from kg.network import edge_predicates, kind_of
        from kg.vocab import CHIPS

        props = set(self.ontology.objects(None, CHIPS.shortcut)) | edge_predicates(self.ontology)
        return {kind_of(p): str(p) for p in sorted(props)}

    @cached_property
    def _vocabulary_network(self):
        """An empty projection carrying the ontology's vocabulary (:func:`kg.network.vocabulary`)."""
        import networkx as nx

        from kg.network import vocabulary

        return nx.MultiDiGraph(vocabulary=vocabulary(self.ontology))

    def _shim(self):
        """What :func:`kg.paths.tie_filter` needs: the ontology's vocabulary and remote ``resolve``."""
        return SimpleNamespace(graph=self.ontology, ontology=self.ontology, network=self._vocabulary_network,
                               resolve=self.resolve)

    # --- names -------------------------------------------------------------

    @cached_property
    def names(self):
        """Name resolution against the endpoint (``resolve`` only)."""
        return _Names(self)

    def _name_graph(self, where: str, limit: int | None = None):
        """Types and labels of the entities selected by the ``?s`` pattern ``where``, plus the class tree.

        The class tree is all a :class:`kg.names.NameIndex` reads of the
        ontology (which types are entity classes): the whole ontology, copied
        into every name graph, cost more than the query.
        """
        cap = f" LIMIT {limit}" if limit else ""
        text = sparql_prefixes("rdf", "rdfs", "skos") + f"""SELECT DISTINCT ?s ?p ?o WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{ {where} }}{cap} }}
  VALUES ?p {{ rdf:type rdfs:label skos:altLabel }}
  ?s ?p ?o }}"""
        graph = self.endpoint.triples(text)
        graph += self._class_tree
        return graph

    @cached_property
    def _class_tree(self):
        """The ontology's ``rdfs:subClassOf`` triples."""
        from rdflib import RDFS, Graph

        tree = Graph()
        tree += self.ontology.triples((None, RDFS.subClassOf, None))
        return tree

    def _classes_pattern(self) -> str:
        return f"VALUES ?t {{ {_values(self._entity_classes)} }} ?s a ?t ."

    def _candidates(self, text: str):
        """A :class:`kg.names.NameIndex` of the entities (at most 2,000) with a name holding a word of ``text``."""
        from kg.names import NameIndex, normalize

        words = sorted({w for w in normalize(text).split() if len(w) > 1 or not w.isascii()},
                       key=len, reverse=True)[:6]
        if not words:
            return NameIndex(self.ontology)
        tests = " || ".join(f"CONTAINS(LCASE(STR(?l)), {_string(w)}) || CONTAINS(LCASE(STR(?s)), {_string(w)})"
                            for w in words)
        return NameIndex(self._name_graph(f"{self._classes_pattern()} ?s rdfs:label|skos:altLabel ?l . FILTER({tests})",
                                          2000))

    def entities(self, iris) -> dict[str, dict]:
        """``{iri: {"iri", "label", "class", "label_zh"}}`` for those of ``iris`` that are entities; one query per batch."""
        from kg.names import NameIndex, label_of

        out = {}
        for chunk in _chunks({str(i) for i in iris}):
            graph = self._name_graph(f"VALUES ?s {{ {_values(chunk)} }} {self._classes_pattern()}")
            for iri, entity in NameIndex(graph).entities.items():
                out[str(iri)] = {**entity.as_dict(), "label_zh": label_of(graph, iri, "zh")}
        return out

    @property
    def vocabulary(self) -> dict:
        """What questions need from the ontology (:func:`kg.network.vocabulary`), read from the local ontology."""
        return self._vocabulary_network.graph["vocabulary"]

    def resolve(self, name: str):
        """Return the :class:`kg.names.Entity` that ``name`` denotes, asking the endpoint.

        Accepts what :meth:`kg.names.NameIndex.resolve` accepts: an IRI, a
        ``res:`` name, any label or alias, a whole word, a small misspelling.

        Raises
        ------
        UnknownEntity, AmbiguousEntity
            As the local index does; suggestions come from a bounded label query.
        """
        from kg.names import NameIndex, expand_curie

        classes = self._classes_pattern()
        text = name.strip()
        iri = expand_curie(text)
        if _IRI.fullmatch(iri):
            found = NameIndex(self._name_graph(f"VALUES ?s {{ <{iri}> }} {classes}"))
            if found.entities:
                return next(iter(found.entities.values()))
        index = self._candidates(text)
        if index.candidates(text):
            return index.resolve(text)
        # A misspelling: look among a bounded list of all names.
        index = NameIndex(self._name_graph(classes, 20000))
        if not index.entities:
            raise UnknownEntity(name, [])
        return index.resolve(text)

    # --- small graphs fetched around a question -----------------------------

    def _small(self, graph) -> "_Fetched":
        """A local :class:`KnowledgeGraph` over ``graph``, with what the ontology says of its terms.

        Its name index and projection are its own, built on first use; the
        projection carries the whole ontology's vocabulary, so questions on
        it read relation kinds and classes as on the whole graph. Its prefixes
        are :attr:`_prefixes`.
        """
        from kg.names import NameIndex

        _add_all(graph, self._ontology_about(graph))
        graph.namespace_manager = self._prefixes
        small = _Fetched(graph=graph, files=[], asserted=len(graph), derived=0)
        small.vocab = self.vocabulary
        small.__dict__["names"] = NameIndex(graph)
        return small

    @cached_property
    def _prefixes(self):
        """The project's prefixes (:func:`kg.vocab.bind_prefixes`), shared by every small graph.

        A graph's own namespace manager refers back to it: a small graph
        dropped after its page was left to the garbage collector, which freed
        some 5,000 objects a page in one full collection every ten pages (50 ms).
        """
        from rdflib import Graph

        return bind_prefixes(Graph(store="SimpleMemory")).namespace_manager

    def entity_graph(self, iri) -> "_Fetched":
        """A small KnowledgeGraph with what :func:`kg.facts.describe` needs about ``iri``, and its ties.

        Two queries: the nodes around the entity (relations, their rounds,
        valuations, totals and deals, and the relations reaching it by a
        rule's path) with their types, then every triple of the entity and of
        those that are not entities, the sources of the entities that link to
        it, and the types and labels of everything they mention (as
        :meth:`kg.store.StoreKnowledgeGraph.entity_graph`), with what the
        ontology says about the terms they use. Every relation the entity
        takes part in is there, so its projection holds the entity's ties
        (what :func:`kg.paths.neighbors` tells at one hop).
        """
        from kg.store import described_query, neighbourhood_queries

        head = sparql_prefixes()
        _, rows = self.endpoint.select(head + f"SELECT ?d ?t WHERE {{ {{ {described_query(str(iri), self._rule_paths)} }} "
                                       "OPTIONAL { ?d a ?t } }")
        classes = set(self._entity_classes)
        entity = {}
        for d, t in rows:
            entity[d] = entity.get(d, False) or str(t) in classes
        described, linking = [d for d, e in entity.items() if not e], [d for d, e in entity.items() if e]
        wheres = [q[q.index("WHERE") + len("WHERE"):] for q in neighbourhood_queries(str(iri), described, linking)]
        return self._small(self.endpoint.triples(head + "SELECT DISTINCT ?s ?p ?o WHERE { "
                                                 + " UNION ".join(wheres) + " }"))

    def around(self, name: str) -> "_Fetched":
        """The entity ``name``'s own small graph (:meth:`entity_graph`): ask about it and its ties there.

        :func:`kg.explorer.api.entity_page` describes the entity and draws
        its ties from this one graph, fetched and built once.
        """
        return self._around(name)[1]

    @cached_property
    def _rule_paths(self) -> str:
        """Every shortcut rule's subject and object paths, as one property path (how relation nodes reach entities)."""
        from kg.vocab import CHIPS

        paths = {str(self.ontology.value(cls, side)) for cls in self.ontology.subjects(CHIPS.shortcut, None)
                 for side in (CHIPS.subjectPath, CHIPS.objectPath)}
        return "|".join(f"({p})" for p in sorted(paths))

    def _around(self, name: str) -> tuple[str, "_Fetched"]:
        """The IRI of the entity ``name`` and its :meth:`entity_graph`; an IRI is first looked up in its own graph."""
        from kg.names import expand_curie

        iri = expand_curie(name.strip())
        if self._held is not None and self._held[0] == iri:
            return self._held
        small = self._own_graph(iri)
        if small is not None:
            return iri, small
        iri = str(self.resolve(name).iri)
        return iri, self.entity_graph(iri)

    def _own_graph(self, iri: str) -> "_Fetched | None":
        """The :meth:`entity_graph` of ``iri`` if it is an IRI that graph names as an entity's (one query, no
        name lookup first), else None."""
        if not _IRI.fullmatch(iri):
            return None
        small = self.entity_graph(iri)
        return small if iri in {str(i) for i in small.names.entities} else None

    @contextmanager
    def holding(self, name: str):
        """The IRI ``name`` spells (an IRI or ``res:`` name) if it is an entity's, else None; its graph is kept meanwhile.

        Fetching the entity's graph (:meth:`entity_graph`) tells whether it is
        one, and the questions asked about it within the block (:meth:`around`,
        :meth:`describe`, :meth:`neighbors` at one hop) take that graph: the
        explorer's entity pages resolved their slug first, one query more.
        """
        from kg.names import expand_curie

        iri = expand_curie(name.strip())
        small = self._own_graph(iri)
        if small is None:
            yield None
            return
        self._held = (iri, small)
        try:
            yield iri
        finally:
            self._held = None

    def describe(self, name: str, **options) -> dict:
        """Everything the endpoint says about ``name``, as :func:`kg.facts.describe` returns it (``lang=`` too)."""
        from kg.facts import describe

        iri, small = self._around(name)
        return describe(small, iri, **options)

    @cached_property
    def _ontology_terms(self) -> frozenset:
        """Every subject of the ontology (where :func:`kg.store.ontology_about` starts)."""
        return frozenset(self.ontology.subjects())

    @cached_property
    def _ontology_read(self):
        """The ontology without the text written for people (:data:`_UNREAD`): what questions read of it."""
        from rdflib import Graph

        read = Graph(store="SimpleMemory")
        for triple in self.ontology:
            if str(triple[1]) not in _UNREAD:
                read.add(triple)
        return read

    def _ontology_about(self, graph) -> tuple:
        """:func:`kg.store.ontology_about` the terms ``graph`` uses, each term's part read once per process.

        Taken from :attr:`_ontology_read`: the comments and definitions were a
        quarter of the triples copied into every small graph, and nothing reads them.
        The union is kept for each set of terms (entities of a kind use the same; at most
        :data:`_PARTS_KEPT` sets): joining the parts hashes some 5,000 triples.
        """
        from kg.store import ontology_parts

        terms = frozenset(n for t in graph for n in t) & self._ontology_terms
        found = self._about_terms.get(terms)
        if found is None:
            if len(self._about_terms) > _PARTS_KEPT:
                self._about_terms.clear()
            found = self._about_terms[terms] = tuple(ontology_parts(self._ontology_read, terms, self._about_term))
        return found

    def _expand(self, frontier, predicates) -> dict[str, dict[str, set]]:
        """Neighbours of every node of ``frontier`` over ``predicates``, either direction.

        One query per :data:`BATCH` nodes. Returns ``{node: {neighbour: {types}}}``;
        only entities (typed with an entity class) are neighbours.
        """
        found: dict[str, dict[str, set]] = {n: {} for n in frontier}
        if not predicates:
            return found
        for chunk in _chunks(frontier):
            text = f"""SELECT DISTINCT ?n ?m ?t WHERE {{
  VALUES ?n {{ {_values(chunk)} }}
  VALUES ?p {{ {_values(sorted(predicates))} }}
  {{ ?n ?p ?m }} UNION {{ ?m ?p ?n }}
  VALUES ?t {{ {_values(self._entity_classes)} }}
  ?m a ?t . FILTER(?m != ?n) }}"""
            _, rows = self.endpoint.select(text)
            for n, m, t in rows:
                found[str(n)].setdefault(str(m), set()).add(t)
        return found

    def neighbours(self, nodes, only=None) -> dict[str, dict[str, list[str]]]:
        """For each node IRI, its neighbours (entities) and the relation kinds joining them; one query per batch.

        Nodes and neighbours come in the order the local adjacency gives
        them (:meth:`kg.backend.LocalBackend.neighbours`): the nodes as
        given, each one's neighbours by the first relation either way
        between them, in (source, target) order, of any kind.
        """
        from kg.paths import tie_filter

        flt = tie_filter(self._shim(), only=only)
        kinds = {str(p): kind for kind, p in self._kind_predicates.items()}
        nodes = list(dict.fromkeys(str(n) for n in nodes))
        found: dict[str, dict[str, set]] = {n: {} for n in nodes}
        first: dict[tuple, tuple] = {}
        for chunk in _chunks(nodes):
            _, rows = self.endpoint.select(f"""SELECT DISTINCT ?n ?m ?p ?out WHERE {{
  VALUES ?n {{ {_values(chunk)} }}
  VALUES ?p {{ {_values(sorted(kinds))} }}
  {{ ?n ?p ?m BIND(1 AS ?out) }} UNION {{ ?m ?p ?n BIND(0 AS ?out) }}
  VALUES ?t {{ {_values(self._entity_classes)} }}
  ?m a ?t . FILTER(?m != ?n) }}""")
            for n, m, p, out in rows:
                n, m = str(n), str(m)
                edge = (n, m) if str(out) == "1" else (m, n)
                first[n, m] = min(first.get((n, m), edge), edge)
                if flt.kind_ok(kinds[str(p)]):
                    found[n].setdefault(m, set()).add(kinds[str(p)])
        return {n: {m: sorted(ties[m]) for m in sorted(ties, key=lambda m: first[n, m])} for n, ties in found.items()}

    def _predicates(self, flt) -> set[str]:
        return {p for kind, p in self._kind_predicates.items() if flt.kind_ok(kind)}

    def _subgraph(self, nodes):
        """The triples the projection needs to explain every tie among ``nodes``: two queries.

        First the relation nodes joining two of ``nodes`` (by the shortcut
        rules' own property paths), then every triple of ``nodes`` and of
        those relation nodes, of what the relation nodes point at, and of
        their rounds' valuations and totals.
        """
        from kg.vocab import CHIPS

        head = sparql_prefixes()
        nodes = sorted(nodes)
        values = _values(nodes)
        branches = []
        for cls, shortcut in sorted(self.ontology.subject_objects(CHIPS.shortcut)):
            sp = self.ontology.value(cls, CHIPS.subjectPath)
            op = self.ontology.value(cls, CHIPS.objectPath)
            branches.append(f"{{ ?r a <{cls}> . ?r {sp} ?a . ?r {op} ?b }}")
        relations = []
        if branches and len(nodes) > 1:
            _, rows = self.endpoint.select(head + f"""SELECT DISTINCT ?r WHERE {{
  VALUES ?a {{ {values} }} VALUES ?b {{ {values} }}
  {' UNION '.join(branches)}
  FILTER(?a != ?b) }}""")
            relations = sorted(str(row[0]) for row in rows if row[0] is not None)
        parts = [f"{{ VALUES ?s {{ {_values(nodes + relations)} }} ?s ?p ?o }}"]
        if relations:
            rel = _values(relations)
            parts.append(f"{{ VALUES ?r {{ {rel} }} ?r ?q ?s . FILTER(isIRI(?s)) ?s ?p ?o }}")
            parts.append(f"{{ VALUES ?r {{ {rel} }} ?r chips:round ?x . "
                         f"?x chips:resultingValuation|chips:resultingTotal ?s . ?s ?p ?o }}")
        return self.endpoint.triples(head + f"SELECT DISTINCT ?s ?p ?o WHERE {{ {' UNION '.join(parts)} }}")

    # --- questions ---------------------------------------------------------

    def find_paths(self, source: str, target: str, *, k: int = 1, all_shortest: bool = False,
                   max_len: int | None = None, only=None, exclude=None, avoid=(), through=None,
                   lang: str = "en") -> dict:
        """How two entities connect, asked of the endpoint; the same answer as :func:`kg.paths.find_paths`.

        A bidirectional breadth-first search expands the smaller frontier
        with one ``VALUES`` query per step until the two meet (or
        ``max_len``, default :data:`MAX_HOPS`, is reached); every shortest
        path is then explained from the relation nodes between its entities.
        With ``k=1`` and several shortest paths, the first by labels is given.

        Raises
        ------
        BadInput
            For ``k`` above 1 (k shortest *simple* paths need the whole graph).
        NoPath
            When no connection is found within the hop limit.
        """
        from kg.network import indirect_kinds
        from kg.paths import _entity, find_paths, tie_filter

        if k < 1:
            raise BadInput("k must be at least 1")
        if k > 1 and not all_shortest:
            raise BadInput("--k above 1 is not available with --endpoint; use --all for every shortest path")
        if max_len is not None and max_len < 1:
            raise BadInput("max-len must be at least 1")
        a, b = self.resolve(source), self.resolve(target)
        if a.iri == b.iri:
            raise BadInput(f"{a.label!r} and {b.label!r} are the same entity")
        s, t = str(a.iri), str(b.iri)
        flt = tie_filter(self._shim(), only=only, exclude=exclude, avoid=avoid, through=through,
                         keep=(s, t), indirect=False)
        limit = max_len or MAX_HOPS
        paths, capped = self._shortest(s, t, self._predicates(flt), flt, limit)
        if not paths:
            within = f" within {limit} hops" if capped else ""
            raise NoPath(f"no connection between {a.label} and {b.label}{within}"
                         + (" under these constraints" if (only or exclude or avoid or through or max_len) else ""))
        small = self._small(self._subgraph({n for p in paths for n in p}))
        answer = find_paths(small, s, t, all_shortest=True, only=only, exclude=exclude, through=through, lang=lang)
        if not all_shortest:
            answer["paths"] = answer["paths"][:1]
        answer["source"], answer["target"] = _entity(small, a, lang), _entity(small, b, lang)
        answer["skipped_kinds"] = sorted(flt.excluded & indirect_kinds(self.ontology))
        return answer

    def _node_ok(self, flt, node: str, types) -> bool:
        from kg.names import class_of

        if node in flt.keep:
            return True
        return node not in flt.avoided and (flt.through is None or class_of(types) in flt.through)

    def _shortest(self, s: str, t: str, predicates, flt, limit: int) -> tuple[list[list[str]], bool]:
        """Every shortest path from ``s`` to ``t`` (node IRIs), by bidirectional breadth-first search.

        Returns the paths and whether the search stopped at ``limit`` hops
        (rather than running out of entities to reach).
        """
        sides = {"f": ({s: 0}, {s: set()}, [s]), "b": ({t: 0}, {t: set()}, [t])}
        depth = {"f": 0, "b": 0}
        meet: list[str] = []
        while sides["f"][2] and sides["b"][2] and depth["f"] + depth["b"] < limit:
            side = "f" if len(sides["f"][2]) <= len(sides["b"][2]) else "b"
            other = "b" if side == "f" else "f"
            dist, pred, frontier = sides[side]
            layer = depth[side] + 1
            new: dict[str, set] = {}
            for n, around in self._expand(frontier, predicates).items():
                for m, types in around.items():
                    if dist.get(m, layer) < layer or not self._node_ok(flt, m, types):
                        continue
                    new.setdefault(m, set()).add(n)
            for m, parents in new.items():
                dist[m] = layer
                pred.setdefault(m, set()).update(parents)
            depth[side] = layer
            sides[side] = (dist, pred, sorted(new))
            touching = [m for m in new if m in sides[other][0]]
            if touching:
                total = min(layer + sides[other][0][m] for m in touching)
                meet = sorted(m for m in touching if layer + sides[other][0][m] == total)
                break
        if not meet:
            return [], bool(sides["f"][2] and sides["b"][2])

        def back(pred, node):  # paths from the root of ``pred`` to ``node``
            if not pred.get(node):
                return [[node]]
            return [p + [node] for parent in sorted(pred[node]) for p in back(pred, parent)]

        paths = []
        for m in meet:
            for head in back(sides["f"][1], m):
                for tail in back(sides["b"][1], m):
                    paths.append(head + tail[::-1][1:])
                    if len(paths) >= MAX_PATHS:
                        return paths, False
        return paths, False

    def neighbors(self, name: str, *, depth: int = 1, only=None, lang: str = "en", limit: int | None = None) -> dict:
        """The neighbourhood of ``name``, as :func:`kg.paths.neighbors` returns it; one query per hop, two to explain."""
        from kg.paths import neighbors, tie_filter

        if depth < 1:
            raise BadInput("depth must be at least 1")
        if depth == 1:  # the entity's own graph holds every tie it has
            iri, small = self._around(name)
            return neighbors(small, iri, only=only, lang=lang, limit=limit)
        e = self.resolve(name)
        s = str(e.iri)
        flt = tie_filter(self._shim(), only=only, keep=(s,))
        predicates = self._predicates(flt)
        seen, frontier = {s}, [s]
        for _ in range(depth):
            if not frontier:
                break
            reached = {m for around in self._expand(frontier, predicates).values() for m in around}
            frontier = sorted(reached - seen)
            seen |= reached
        return neighbors(self._small(self._subgraph(seen)), s, depth=depth, only=only, lang=lang, limit=limit)

    def common_ties(self, first: str, second: str, *, only=None, lang: str = "en") -> dict:
        """What two entities share, as :func:`kg.paths.common_ties` returns it; three queries after resolving."""
        from kg.paths import common_ties, tie_filter

        a, b = self.resolve(first), self.resolve(second)
        s, t = str(a.iri), str(b.iri)
        flt = tie_filter(self._shim(), only=only, keep=(s, t))
        around = self._expand([s, t], self._predicates(flt))
        shared = set(around[s]) & set(around[t])
        return common_ties(self._small(self._subgraph({s, t} | shared)), s, t, only=only, lang=lang)

    # --- SPARQL ------------------------------------------------------------

    def query(self, query, *, params=None, timeout: float | None = None, max_rows: int | None = None):
        """Forward a SPARQL query (text, :class:`kg.sparql.SavedQuery` or its name) to the endpoint.

        The query is checked locally first (:func:`kg.sparql.check_query`:
        updates, ``SERVICE`` and ``FROM`` are refused before anything is
        sent); the project's prefixes are declared unless the query declares
        them; parameters are bound with a ``VALUES`` block at the top of the
        ``WHERE`` clause.

        Returns
        -------
        kg.sparql.QueryResult

        Raises
        ------
        QueryTimeout
            Past ``timeout`` seconds, the whole answer included.
        kg.sparql.TooManyRows
            More than ``max_rows`` rows or triples.
        """
        from rdflib import BNode, Literal, URIRef

        from kg.sparql import (QueryResult, SavedQuery, TooManyRows, _looks_like_name, check_query,
                               parse_term, saved_query)
        from kg.sparql.run import in_columns

        if isinstance(query, str) and _looks_like_name(query):
            query = saved_query(query)
        if isinstance(query, SavedQuery):
            bindings = self.bind(query, params or {})
            text = query.text
            checked = check_query(text)
        else:
            text = query
            checked = check_query(text)
            bindings = {}
            for key, value in (params or {}).items():
                key = str(key).lstrip("?$")
                if key not in checked.variables:
                    raise BadInput(f"parameter {key!r}: the query has no variable ?{key}")
                bindings[key] = value if isinstance(value, (URIRef, Literal, BNode)) else parse_term(str(value))
        if max_rows is not None and max_rows < 0:
            raise BadInput(f"max_rows must be 0 or more, not {max_rows}")
        text = _with_prefixes(_bind(checked.text, bindings))
        started = time.perf_counter()
        if checked.kind in ("construct", "describe"):
            graph = self.endpoint.construct(text, timeout=timeout)
            result = QueryResult(checked.kind, graph=bind_prefixes(graph))
        elif checked.kind == "ask":
            result = QueryResult("ask", boolean=self.endpoint.ask(text, timeout=timeout))
        else:
            names, rows = self.endpoint.select(text, timeout=timeout)
            at = in_columns(names, checked.columns)  # the query's head, in its order, whatever the server's
            result = QueryResult("select", vars=list(checked.columns),
                                 rows=[tuple(None if i is None else row[i] for i in at) for row in rows])
        result.elapsed = time.perf_counter() - started
        if max_rows is not None and result.kind != "ask" and len(result) > max_rows:
            what = "triples" if result.is_graph else "rows"
            raise TooManyRows(f"the query returned more than {max_rows} {what}; add LIMIT or narrow it")
        return result

    def bind(self, saved, params) -> dict:
        """Check ``params`` against the saved query ``saved`` (:meth:`kg.sparql.SavedQuery.bind`), asking the endpoint.

        Entity parameters are resolved with :meth:`resolve`; source parameters
        against the endpoint's sources (one query, only when one is given).
        """
        source = self
        if any(p.type == "source" and p.name in {str(k).lstrip("?$") for k in params} for p in saved.params):
            graph = self.endpoint.triples(sparql_prefixes() + "SELECT ?s ?p ?o WHERE { ?s a chips:Source . "
                                          "VALUES ?p { rdf:type rdfs:label } ?s ?p ?o }")
            source = SimpleNamespace(graph=graph, names=self.names)
        return saved.bind(params, source=source)

    def labeller(self, result=None):
        """A ``term → label`` function for the IRIs in ``result``, with their labels fetched in one query."""
        from rdflib import RDFS, URIRef

        from kg.names import best_label

        iris = set()
        if result is not None and result.kind == "select":
            iris = {term for row in result.rows for term in row if isinstance(term, URIRef)}
        labels: dict = {}
        for chunk in _chunks(iris):
            _, rows = self.endpoint.select(
                f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {_values(chunk)} }} ?s <{RDFS.label}> ?l }}")
            for s, label in rows:
                labels.setdefault(s, []).append(label)

        def label_of(term):
            found = labels.get(term)
            if found is None:
                if not isinstance(term, URIRef):
                    return None
                _, rows = self.endpoint.select(f"SELECT ?l WHERE {{ <{term}> <{RDFS.label}> ?l }}")
                found = labels[term] = [row[0] for row in rows if row[0] is not None]
            return best_label(found)

        return label_of


class _Fetched(KnowledgeGraph):
    """A small graph fetched from the endpoint around a question (:meth:`RemoteKnowledgeGraph._small`).

    It holds only the part of the ontology its triples use; its projection
    takes the whole ontology's vocabulary (``vocab``) instead of reading it.
    """

    vocab: dict | None = None

    @cached_property
    def adjacency(self):
        from kg.adjacency import Adjacency
        from kg.network import projection_parts

        return Adjacency.from_parts(*projection_parts(self.graph, self.names, self.vocab), names=self.names)

    @cached_property
    def network(self):
        return self.adjacency.to_networkx()


def _with_prefixes(text: str) -> str:
    """``text`` with a ``PREFIX`` line for each project prefix it does not declare itself."""
    from kg.sparql import _blank
    from kg.vocab import PREFIXES

    blank = _blank(text)
    declared = {m.group(1) for m in re.finditer(r"(?i)\bPREFIX\s+([A-Za-z][\w.-]*)?\s*:", blank)}
    missing = [p for p in PREFIXES if p not in declared]
    return (sparql_prefixes(*missing) if missing else "") + text


def _bind(text: str, bindings: dict) -> str:
    """Insert ``VALUES`` for ``bindings`` at the start of the query's top-level ``WHERE`` group.

    Examples
    --------
    >>> from rdflib import URIRef
    >>> _bind("SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("urn:x")})
    'SELECT * WHERE { VALUES (?s) { (<urn:x>) } ?s ?p ?o }'
    """
    if not bindings:
        return text
    from kg.sparql import _blank

    blank = _blank(text)
    match = re.search(r"(?i)\bWHERE\s*\{", blank) or re.search(r"\{", blank)
    if match is None:
        raise QueryError("cannot bind parameters: the query has no WHERE group")
    names = sorted(bindings)
    values = (f" VALUES ({' '.join('?' + n for n in names)}) "
              f"{{ ({' '.join(bindings[n].n3() for n in names)}) }}")
    return text[:match.end()] + values + text[match.end():]


# -----------------------------------------------------------------------------
# Uploading
# -----------------------------------------------------------------------------

def _opener(url: str, user: str | None, password: str | None):
    import urllib.request

    handlers = []
    if user:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password or "")
        handlers = [urllib.request.HTTPDigestAuthHandler(manager), urllib.request.HTTPBasicAuthHandler(manager)]
    return urllib.request.build_opener(*handlers)


def push(graph, url: str, *, target: str | None = None, method: str = "gsp", batch: int | None = None,
         user: str | None = None, password: str | None = None, timeout: float = 300.0, progress=None) -> dict:
    """Upload the triples of ``graph`` to an endpoint, replacing the target graph.

    Parameters
    ----------
    graph : rdflib.Graph
        What to send: pass ``kg.graph`` of a loaded graph, which holds the
        ontology, the data and the derived shortcut triples remote queries need.
    url : str
        ``gsp``: the Graph Store Protocol endpoint (Virtuoso:
        ``/sparql-graph-crud``, Fuseki: ``/DATASET/data``, Oxigraph:
        ``/store``). ``update``: the SPARQL Update endpoint (Virtuoso:
        ``/sparql``, Fuseki: ``/DATASET/update``, Oxigraph: ``/update``).
    target : str, optional
        The named graph to replace; the default graph when omitted.
    method : {"gsp", "update"}
        ``gsp`` sends N-Triples with HTTP ``PUT`` (first batch, replacing
        the graph) then ``POST`` (the rest); ``update`` sends ``CLEAR
        SILENT GRAPH`` then ``INSERT DATA`` batches (into the default graph
        it only adds).
    batch : int, optional
        Triples per request; default 50,000 for ``gsp`` and 1,000 for
        ``update`` (Virtuoso refuses an ``INSERT DATA`` that compiles to
        more than 10,000 lines of SQL).
    user, password : str, optional
        Credentials (HTTP digest or basic), e.g. Virtuoso's ``/sparql-auth``.
    timeout : float
        Seconds each request may take.
    progress : callable, optional
        Called as ``progress(done, total)`` after each batch.

    Returns
    -------
    dict
        ``{"endpoint", "graph", "method", "triples", "requests", "seconds"}``.

    Raises
    ------
    BadInput
        When the server is unreachable or refuses the upload (the message
        gives the HTTP status and what to do).
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    if method not in ("gsp", "update"):
        raise BadInput(f"--method must be gsp or update, not {method!r}")
    if not re.match(r"https?://", url or ""):
        raise BadInput(f"endpoint {url!r} is not an http(s) URL")
    if batch is None:
        batch = 50_000 if method == "gsp" else 1_000
    if batch < 1:
        raise BadInput("batch must be at least 1")
    if target is not None and not re.fullmatch(r"[a-zA-Z][\w+.-]*:[^\s<>\"{}|\\^`]*", target):
        raise BadInput(f"--graph {target!r} is not an absolute IRI")
    from rdflib import Graph

    triples = sorted(graph, key=lambda t: (str(t[0]), str(t[1])))
    opener = _opener(url, user, password)
    started = time.perf_counter()
    requests = 0

    def send(body: bytes, http_method: str, content_type: str, where: str):
        nonlocal requests
        request = urllib.request.Request(where, data=body, method=http_method,
                                         headers={"Content-Type": content_type})
        requests += 1
        try:
            with opener.open(request, timeout=timeout) as response:
                response.read()
        except urllib.error.HTTPError as e:
            detail = " ".join(e.read().decode("utf-8", "replace").split())[:300]
            hint = (" (the server does not allow uploads here: grant update rights, e.g. Virtuoso's "
                    "GRANT SPARQL_UPDATE TO \"SPARQL\", or give --user)") if e.code in (401, 403, 405) else ""
            raise BadInput(f"{where.split('?')[0]} refused the upload: HTTP {e.code} {e.reason}{hint}"
                           + (f": {detail}" if detail and not hint else "")) from None
        except Exception as e:  # urllib: refused connection, timeout
            raise BadInput(f"cannot upload to {url}: {' '.join(str(getattr(e, 'reason', e)).split())}") from None

    def ntriples(chunk) -> bytes:
        part = Graph()
        for triple in chunk:
            part.add(triple)
        return part.serialize(format="nt", encoding="utf-8")

    chunks = [triples[i:i + batch] for i in range(0, len(triples), batch)] or [[]]
    if method == "gsp":
        sep = "&" if "?" in url else "?"
        where = f"{url}{sep}graph={urllib.parse.quote(target, safe='')}" if target else f"{url}{sep}default"
        for n, chunk in enumerate(chunks):
            send(ntriples(chunk), "PUT" if n == 0 else "POST", "text/turtle; charset=utf-8", where)
            if progress:
                progress(min((n + 1) * batch, len(triples)), len(triples))
    else:
        if target:
            send(f"CLEAR SILENT GRAPH <{target}>".encode(), "POST", "application/sparql-update", url)
        for n, chunk in enumerate(chunks):
            body = ntriples(chunk).decode("utf-8")
            update = f"INSERT DATA {{ GRAPH <{target}> {{\n{body}}} }}" if target else f"INSERT DATA {{\n{body}}}"
            send(update.encode("utf-8"), "POST", "application/sparql-update", url)
            if progress:
                progress(min((n + 1) * batch, len(triples)), len(triples))
    return {"endpoint": url, "graph": target, "method": method, "triples": len(triples),
            "requests": requests, "seconds": round(time.perf_counter() - started, 3)}

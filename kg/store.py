"""A persistent on-disk Oxigraph store: load the data once, reopen it in milliseconds, query it fast.

``kg load --store PATH`` bulk-loads the ontology and the data files into a
RocksDB-backed Oxigraph store and derives the shortcut triples inside
Oxigraph with one SPARQL ``INSERT`` per rule stated in the ontology
(``chips:shortcut`` / ``chips:subjectPath`` / ``chips:objectPath`` are SPARQL
property paths). Later commands open the store read-only and send SPARQL
*strings* to Oxigraph (see ``PITFALLS.md``: a prepared query would make an
rdflib wrapper fall back to rdflib's slow engine).

Oxigraph would fetch ``SERVICE`` and ``LOAD`` over HTTP from Rust, where no
Python hook can see it, so every query is parsed first and refused if it
updates, calls a service or names a dataset (``FROM``): see
:func:`kg.sparql.check_query`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from functools import cached_property
from pathlib import Path

from kg.errors import BadInput, DataError, QueryError, QueryTimeout
from kg.cache import projection_key
from kg.loader import CachedProjection, KnowledgeGraph
from kg.iris import sparql_prefixes
from kg.terms import to_oxigraph, to_rdflib  # noqa: F401  (re-exported: they were defined here)

__all__ = ["build_store", "open_store", "store_info", "KGStore",
           "StoreKnowledgeGraph", "META_FILE", "RESULT_FORMATS"]

#: The file inside a store folder that describes the store (files, counts, build id).
META_FILE = "kg-store.json"

#: Output formats for :meth:`KGStore.serialize`: name → (media type, kind of result it serialises).
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", "solutions"),
    "xml": ("application/sparql-results+xml", "solutions"),
    "csv": ("text/csv", "solutions"),
    "tsv": ("text/tab-separated-values", "solutions"),
    "turtle": ("text/turtle", "graph"),
    "ntriples": ("application/n-triples", "graph"),
    "rdfxml": ("application/rdf+xml", "graph"),
}

_STORE_FORMAT = 1


# -----------------------------------------------------------------------------
# Query checking
# -----------------------------------------------------------------------------

# -----------------------------------------------------------------------------
# Building a store
# -----------------------------------------------------------------------------

def _rdf_format(path: Path):
    import pyoxigraph as ox

    suffix = path.suffix.lower().lstrip(".")
    ext = {"turtle": "ttl", "owl": "rdf", "xml": "rdf"}.get(suffix, suffix)
    try:
        return ox.RdfFormat.from_extension(ext) if ext else ox.RdfFormat.TURTLE  # as the loader reads it
    except Exception:
        raise DataError(f"{path}: unknown RDF file type {path.suffix!r}") from None


def _shortcut_updates() -> list[tuple[str, str]]:
    """One ``INSERT`` per shortcut rule of the ontology file, written from the parsed rule.

    Rules are read from ``ontology/chips.ttl`` only (never from the data in
    the store), and every IRI and path is written back from its parsed form
    (:func:`kg.rules.path_sparql`), so no text from a file reaches the update.
    """
    from kg.rules import path_sparql, shortcut_rules

    updates = []
    for rule in shortcut_rules():
        cls, shortcut = path_sparql(rule.relation_class), path_sparql(rule.shortcut)
        sp, op = path_sparql(rule.subject_path), path_sparql(rule.object_path)
        updates.append((str(rule.shortcut),
                        f"INSERT {{ ?s {shortcut} ?o }} WHERE {{ ?r a {cls} . ?r {sp} ?s . ?r {op} ?o . "
                        "FILTER(?s != ?o) }"))
    return updates


def _fold_merges(store) -> None:
    """Treat merged entities as one, as :func:`kg.identity.apply_merges` does for files (chains need a pass each)."""
    from kg.identity import MERGE_UPDATES, PENDING_MERGE
    from kg.vocab import sparql_prefixes

    prologue = sparql_prefixes()
    for _ in range(32):
        if not store.query(prologue + PENDING_MERGE):
            return
        for update in MERGE_UPDATES:
            store.update(prologue + update)


def build_store(path, paths=None, *, force: bool = False, progress=None) -> dict:
    """Bulk-load ontology and data into a new on-disk Oxigraph store at ``path``.

    The store is built in a temporary folder beside ``path`` and moved into
    place when complete, so a failed load never leaves a half-built store.

    Parameters
    ----------
    path : str or Path
        The store folder to create.
    paths : iterable of str or Path, optional
        Data files or folders, as for :func:`kg.loader.load`.
    force : bool
        Replace an existing store at ``path``.
    progress : callable, optional
        Called as ``progress(step, done, total)`` after each file and rule.

    Returns
    -------
    dict
        The store's description (also written to ``PATH/kg-store.json``):
        ``id``, ``files``, ``asserted``, ``derived``, ``triples``, timings.

    Raises
    ------
    BadInput
        If ``path`` exists (without ``force``) or is not writable.
    DataError
        If a data file is missing or malformed (the message names it).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from kg.synth import synthesize
    >>> tmp = Path(tempfile.mkdtemp())
    >>> data = synthesize(tmp / "data", 10, seed=2).path
    >>> info = build_store(tmp / "store", [data])
    >>> info["derived"] > 0, info["triples"] == info["asserted"] + info["derived"]
    (True, True)
    """
    import pyoxigraph as ox

    from kg.bundled import ONTOLOGY
    from kg.loader import data_files

    target = Path(path).expanduser()
    if target.exists() and not force:
        raise BadInput(f"{target}: already exists; pass --force to replace it")
    if target.exists() and not (target / META_FILE).is_file():
        raise BadInput(f"{target}: exists and is not a chips-kg store; not replacing it")
    files = data_files(paths)
    sources = [ONTOLOGY, *files]
    tmp = target.with_name(f".{target.name}.building-{os.getpid()}")
    timings = {}
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        started = time.perf_counter()
        store = ox.Store(str(tmp))
        for n, source in enumerate(sources, start=1):
            try:
                store.bulk_load(path=str(source), format=_rdf_format(source))
            except (SyntaxError, ValueError) as e:
                raise DataError(f"{source}: malformed RDF: {' '.join(str(e).split())}") from None
            except OSError as e:  # the file, not the store: say so
                raise DataError(f"{source}: cannot read it: {e.strerror or ' '.join(str(e).split())}") from None
            if progress:
                progress("load", n, len(sources))
        asserted = len(store)
        timings["load_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        _fold_merges(store)
        updates = _shortcut_updates()
        for n, (_, update) in enumerate(updates, start=1):
            store.update(update)
            if progress:
                progress("derive", n, len(updates))
        store.flush()
        triples = len(store)
        timings["derive_s"] = round(time.perf_counter() - started, 3)
        del store
        stamp = hashlib.sha256(json.dumps(
            [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in sources] + [time.time_ns()]
        ).encode()).hexdigest()[:32]
        info = {
            "format": _STORE_FORMAT, "id": stamp, "files": [str(p) for p in files],
            "asserted": asserted, "derived": triples - asserted, "triples": triples,
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "pyoxigraph": ox.__version__, **timings,
        }
        (tmp / META_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise BadInput(f"{target}: cannot write the store: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"path": str(target), **info}


def store_info(path) -> dict:
    """Read the description of the store at ``path``; :class:`BadInput` if it is not one."""
    folder = Path(path).expanduser()
    try:
        info = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{folder}: not a chips-kg store (no {META_FILE}); create it with `kg load --store {folder}`") from None
    except NotADirectoryError:
        raise BadInput(f"{folder}: is a file, not a store; a store is the folder `kg load --store FOLDER` builds") from None
    except (OSError, ValueError) as e:
        raise BadInput(f"{folder}: unreadable store description: {e}") from None
    return {"path": str(folder), **info}


# -----------------------------------------------------------------------------
# Opening and querying a store
# -----------------------------------------------------------------------------

class KGStore:
    """An Oxigraph store opened read-only, answering checked SPARQL strings.

    Attributes
    ----------
    path : Path
    info : dict
        The store's description (:func:`store_info`).
    store : pyoxigraph.Store
    """

    def __init__(self, path):
        import pyoxigraph as ox

        self.info = store_info(path)
        self.path = Path(self.info["path"])
        try:
            self.store = ox.Store.read_only(str(self.path))
        except OSError as e:
            raise BadInput(f"{self.path}: cannot open the store: {' '.join(str(e).split())}") from None

    def __len__(self) -> int:
        return self.info["triples"]

    def query(self, text: str, *, checked: bool = True):
        """Run a checked query; return pyoxigraph's result (solutions, boolean or triples).

        ``checked=False`` skips :func:`check_query`, for queries this package builds itself.
        """
        from kg.sparql import check_query
        from kg.vocab import PREFIXES

        if checked:
            # refuses updates, SERVICE and FROM; Oxigraph runs the text as checked, never the raw one
            text = check_query(text).text
        try:
            return self.store.query(text, prefixes=dict(PREFIXES))
        except SyntaxError as e:
            raise QueryError(f"malformed SPARQL: {' '.join(str(e).split())}") from None
        except OSError as e:
            raise QueryError(f"query failed: {' '.join(str(e).split())}") from None

    def serialize(self, text: str, fmt: str = "json", *, timeout: float | None = None) -> bytes:
        """Run a checked query and return its result in a W3C format.

        ``fmt`` is one of :data:`RESULT_FORMATS`: ``json``, ``xml``, ``csv``,
        ``tsv`` for SELECT/ASK; ``turtle``, ``ntriples``, ``rdfxml`` for
        CONSTRUCT/DESCRIBE. With ``timeout`` (seconds), the query runs in a
        child process that is killed at the limit (:class:`QueryTimeout`):
        Oxigraph's Python API has no timeout of its own.
        """
        if fmt not in RESULT_FORMATS:
            raise BadInput(f"unknown format {fmt!r}; choose one of: {', '.join(RESULT_FORMATS)}")
        from kg.sparql import check_query

        checked = check_query(text)
        text, form = checked.text, checked.kind.upper()
        wanted = "graph" if form in ("CONSTRUCT", "DESCRIBE") else "solutions"
        if RESULT_FORMATS[fmt][1] != wanted:
            fits = [f for f, (_, kind) in RESULT_FORMATS.items() if kind == wanted]
            raise BadInput(f"a {form} query cannot be written as {fmt}; use one of: {', '.join(fits)}")
        if timeout is not None:
            return _in_child(str(self.path), text, fmt, timeout)
        return _serialize(self.store, text, fmt)

    def select(self, text: str, *, checked: bool = True) -> list[dict]:
        """Run a checked SELECT; return rows as dicts of rdflib terms (unbound variables left out)."""
        iris: dict = {}
        results = self.query(text, checked=checked)
        names = [v.value for v in results.variables]
        return [{n: to_rdflib(row[n], iris) for n in names if row[n] is not None} for row in results]

    def construct(self, text: str, *, checked: bool = True):
        """Run a checked CONSTRUCT; return an rdflib Graph."""
        from rdflib import Graph

        graph, iris = Graph(), {}
        for t in self.query(text, checked=checked):
            graph.add((to_rdflib(t.subject, iris), to_rdflib(t.predicate, iris), to_rdflib(t.object, iris)))
        return graph

    def rdflib_graph(self):
        """Copy the store's default graph into an in-memory rdflib Graph (slow for millions of triples)."""
        import pyoxigraph as ox
        from rdflib import Graph

        from kg.vocab import bind_prefixes

        graph, iris = bind_prefixes(Graph()), {}
        add = graph.add
        for q in self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            add((to_rdflib(q.subject, iris), to_rdflib(q.predicate, iris), to_rdflib(q.object, iris)))
        return graph


def _serialize(store, text: str, fmt: str) -> bytes:
    import pyoxigraph as ox

    try:
        result = store.query(text)
    except SyntaxError as e:
        raise QueryError(f"malformed SPARQL: {' '.join(str(e).split())}") from None
    if isinstance(result, ox.QueryTriples):
        rdf = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
               "rdfxml": ox.RdfFormat.RDF_XML}[fmt]
        return result.serialize(format=rdf)
    results = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
               "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}[fmt]
    return result.serialize(format=results)


def _child(path: str, text: str, fmt: str, conn):
    try:
        import pyoxigraph as ox

        conn.send(("ok", _serialize(ox.Store.read_only(path), text, fmt)))
    except BaseException as e:  # report, don't die silently
        conn.send(("error", type(e).__name__, str(e)))
    finally:
        conn.close()


def _in_child(path: str, text: str, fmt: str, timeout: float) -> bytes:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(path, text, fmt, send), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise QueryTimeout(f"query ran past {timeout:g} s and was stopped")
        answer = receive.recv()
    except EOFError:
        raise QueryError("the query process died without an answer") from None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if answer[0] == "ok":
        return answer[1]
    error = {"QueryError": QueryError, "SyntaxError": QueryError}.get(answer[1], QueryError)
    raise error(answer[2])


def open_store(path) -> KGStore:
    """Open the store at ``path`` read-only (milliseconds, from any process).

    Raises :class:`BadInput` if ``path`` is not a store built by :func:`build_store`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from kg.synth import synthesize
    >>> tmp = Path(tempfile.mkdtemp())
    >>> _ = build_store(tmp / "store", [synthesize(tmp / "data", 10, seed=2).path])
    >>> store = open_store(tmp / "store")
    >>> q = "PREFIX chips: <https://w3id.org/chipskg/ontology#> ASK { ?a chips:investedIn ?c }"
    >>> bool(store.query(q))
    True
    >>> b'"boolean":true' in store.serialize(q, "json").replace(b" ", b"")
    True
    """
    return KGStore(path)


def described_query(iri: str) -> str:
    """SELECT (without prologue) of the nodes ``describe`` needs in full besides ``iri`` itself.

    The relation nodes pointing at the entity, their rounds, valuations and
    totals, and every investment in those rounds.
    """
    node = f"<{iri}>"
    return f"""SELECT DISTINCT ?d WHERE {{
  {{ ?d ?q {node} }}
  UNION {{ ?r ?q {node} . ?r chips:round|chips:resultingValuation|chips:resultingTotal ?d }}
  UNION {{ ?r ?q {node} . ?r chips:round/(chips:resultingValuation|chips:resultingTotal) ?d }}
  UNION {{ ?r ?q {node} . ?r chips:round? ?rnd . ?d chips:round ?rnd }} }}"""


def neighbourhood_queries(iri: str, described) -> list[str]:
    """CONSTRUCTs (without prologue) of the triples ``describe`` needs about ``iri``.

    ``described`` are the nodes :func:`described_query` found. Every triple
    of ``iri`` and of those nodes, the triples pointing at ``iri``, and the
    types and labels of everything they mention.
    """
    values = " ".join(f"<{d}>" for d in [iri, *described])
    node = f"<{iri}>"
    return [
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ VALUES ?s {{ {values} }} ?s ?p ?o }} UNION {{ ?s ?p {node} }} }}",
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ VALUES ?x {{ {values} }} ?x ?q ?s }} UNION {{ ?s ?q {node} }}
  ?s ?p ?o . FILTER(?p = rdf:type || ?p = rdfs:label) }}""",
    ]


# -----------------------------------------------------------------------------
# A KnowledgeGraph backed by a store
# -----------------------------------------------------------------------------

class StoreKnowledgeGraph(CachedProjection):
    """A :class:`KnowledgeGraph` whose RDF lives in an Oxigraph store.

    ``network`` and ``names`` come from the disk cache (:mod:`kg.cache`)
    keyed by the store's build id; on a miss they are built once from the
    store (no Turtle is parsed) and cached. ``graph`` copies the whole store
    into rdflib on first use, for the commands that need rdflib (``info``,
    ``validate``); ``entity`` only fetches the entity's neighbourhood
    (:meth:`entity_graph`).
    """

    def __init__(self, path):  # noqa: D107
        self.info = store_info(path)
        self.files = [Path(p) for p in self.info["files"]]
        self.asserted = self.info["asserted"]
        self.derived = self.info["derived"]
        self._shapes = None
        self.key = projection_key(store_id=self.info["id"])

    @cached_property
    def store(self) -> KGStore:
        """The Oxigraph store, opened read-only on first use (a cached question never opens it)."""
        return open_store(self.info["path"])

    @cached_property
    def graph(self):
        """The whole store as an rdflib Graph (copied on first use)."""
        return self.store.rdflib_graph()

    @cached_property
    def _source(self):
        """The store read into a lean :class:`kg.oxigraph_graph.TripleIndex`: the projection is built from it."""
        from kg.oxigraph_graph import from_store

        return from_store(self.store.store)

    def _project(self):
        network = super()._project()
        self.__dict__.pop("_source", None)  # built once; free it
        return network

    def _cache_meta(self) -> dict:
        return {"triples": self.info["triples"], "store": self.info["path"]}

    def describe(self, name: str, **options) -> dict:
        """Everything said about ``name``, from a small graph of its neighbourhood fetched from the store."""
        from kg.facts import describe

        entity = self.resolve(name)
        return describe(self.entity_graph(entity.iri), entity.id, **options)

    def labeller(self, result=None):
        """Labels from the entity index (a store is never copied into rdflib for labels)."""
        names = self.names
        return lambda term: names.entity(term).label if names.entity(term) is not None else None

    def entity_graph(self, iri) -> "KnowledgeGraph":
        """A small KnowledgeGraph with what :func:`kg.facts.describe` needs about ``iri``.

        The entity's triples in and out, every triple of the relation nodes
        it takes part in (and of their rounds, valuations and totals), the
        labels and types of everything they mention, and the ontology.
        """
        head = sparql_prefixes()
        described = [row["d"] for row in self.store.select(head + described_query(iri), checked=False)
                     if "d" in row]
        graph = self.store.construct(head + neighbourhood_queries(iri, described)[0], checked=False)
        graph += self.store.construct(head + neighbourhood_queries(iri, described)[1], checked=False)
        graph += self.ontology
        small = KnowledgeGraph(graph=graph, files=self.files, asserted=len(graph), derived=0)
        small.__dict__["names"] = self.names
        return small

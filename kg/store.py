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
from kg.loader import CachedProjection, KnowledgeGraph, Skipped
from kg.iris import sparql_prefixes
from kg.terms import to_oxigraph, to_rdflib  # noqa: F401  (re-exported: they were defined here)

__all__ = ["build_store", "open_store", "store_info", "pin_store", "KGStore",
           "StoreKnowledgeGraph", "ontology_about", "META_FILE", "RESULT_FORMATS"]

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

_STORE_FORMAT = 2
_READABLE_FORMATS = (1, 2)  # 1: the database lay in the store folder itself, with no builds
_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


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


def _stated_shortcuts(store) -> list:
    """The shortcut triples the files state themselves (:func:`kg.rules.stated_shortcuts`), before any are derived."""
    from kg.rules import path_sparql, shortcut_rules
    from kg.terms import to_rdflib

    shortcuts = " ".join(path_sparql(rule.shortcut) for rule in shortcut_rules())
    rows = store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {shortcuts} }} ?s ?p ?o }}")
    return sorted(tuple(to_rdflib(term) for term in row) for row in rows)


def _unbacked(store, stated: list) -> list:
    """Warn about, and return, each of the ``stated`` shortcuts no relation node derives, as the files mode does."""
    import warnings

    from kg.errors import DataWarning
    from kg.loader import Skipped
    from kg.rules import path_sparql, shortcut_rules, unbacked_message
    from kg.terms import to_rdflib

    derived = set()
    for rule in shortcut_rules():
        if any(p == rule.shortcut for _, p, _ in stated):  # the pairs its relation nodes give, as the INSERT reads them
            cls, sp, op = (path_sparql(x) for x in (rule.relation_class, rule.subject_path, rule.object_path))
            rows = store.query(f"SELECT ?s ?o WHERE {{ ?r a {cls} . ?r {sp} ?s . ?r {op} ?o }}")
            derived |= {(to_rdflib(s), rule.shortcut, to_rdflib(o)) for s, o in rows}
    messages = [Skipped(unbacked_message(t), str(t[0]), str(t[1])) for t in stated if t not in derived]
    for message in messages:
        warnings.warn(message, DataWarning, stacklevel=3)
    return messages


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


def _skip_bad_literals(store, files) -> list[str]:
    """Remove the ill-typed and out-of-range literals (:func:`kg.loader.bad_literals`); one message each.

    Only the distinct typed literals are checked in Python, so this stays
    cheap on big stores. When some are bad, the files that mention their
    subjects are parsed again so that each message names file and line
    exactly as the files mode does (:func:`kg.loader.skipped_values`).
    """
    import pyoxigraph as ox
    from rdflib import Literal, URIRef

    from kg.loader import _quiet_rdflib, bad_literals, file_messages

    typed = store.query(
        "SELECT DISTINCT ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && LANG(?o) = '' && "
        "DATATYPE(?o) != <http://www.w3.org/2001/XMLSchema#string>) }")
    bad = {}
    with _quiet_rdflib():
        for row in typed:
            term = row["o"]
            value = Literal(term.value, datatype=URIRef(term.datatype.value))
            if any(bad_literals([(None, None, value)])):
                bad[term] = value
    if not bad:
        return []
    subjects = set()
    for term in bad:
        for quad in list(store.quads_for_pattern(None, None, term, ox.DefaultGraph())):
            store.remove(quad)
            subjects.add(quad.subject.value)
    return file_messages(files, subjects)


def build_store(path, paths=None, *, force: bool = False, progress=None) -> dict:
    """Bulk-load ontology and data into a new on-disk Oxigraph store at ``path``.

    The store folder holds builds (``b-ID``) and a description
    (``kg-store.json``) naming the current one. A new build is made in a
    temporary folder inside, renamed into place when complete, and only then
    named current by an atomic rewrite of the description: a load that fails
    or is killed at any moment leaves the previous store answering. Builds
    still opened by a reader (a running ``kg serve``) are kept; the others,
    and leftovers of killed loads, are removed by the next load. Two loads
    into one folder cannot run at once: the second is refused.

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
        If ``path`` exists (without ``force``), is not writable, or another
        load is writing it.
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
    from kg.export import atomic_write
    from kg.loader import data_files

    target = Path(path).expanduser()
    _recover(target)
    if target.exists() and not (target / META_FILE).is_file() and (
            not target.is_dir() or any(p.name != _LOCK for p in target.iterdir())):
        raise BadInput(f"{target}: exists and is not a chips-kg store; not replacing it")
    files = data_files(paths)
    created = not target.exists()
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadInput(f"{target}: cannot write the store: {e.strerror or e}") from None
    with _writer_lock(target):
        if (target / META_FILE).is_file() and not force:
            raise BadInput(f"{target}: already exists; pass --force to replace it")
        old = _replaced_meta(target) if (target / META_FILE).is_file() else None
        tmp = target / f".building-{os.getpid()}"
        try:
            _clean(target, old.get("build") if old else None)
            info = _build(tmp, files, progress)
            build = target / f"b-{info['id']}"
            os.replace(tmp, build)
            (build / _READERS).touch()
            atomic_write(target / META_FILE, json.dumps({**info, "build": build.name}, indent=2) + "\n")
            if old is not None and "build" not in old:  # format 1: the old database lies in the folder itself
                for entry in target.iterdir():
                    if entry.name != META_FILE and not entry.name.startswith(("b-", ".")):
                        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            _clean(target, build.name)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            if created:
                shutil.rmtree(target, ignore_errors=True)
            raise BadInput(f"{target}: cannot write the store: {e.strerror or e}") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if created:
                shutil.rmtree(target, ignore_errors=True)
            raise
    return {"path": str(target), **info}


def _build(folder: Path, files: list[Path], progress) -> dict:
    """Load the ontology and ``files`` into a new store in ``folder``, derive, describe; return the description."""
    import pyoxigraph as ox

    from kg.bundled import ONTOLOGY
    from kg.oxigraph_graph import predicate_counts

    sources = [ONTOLOGY, *files]
    timings = {}
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    store = ox.Store(str(folder))
    _load_files(store, sources, progress)
    skipped = _skip_bad_literals(store, files)
    _fold_merges(store)
    asserted = len(store)  # after the merges, which may fold two triples into one (as kg.loader.load counts)
    timings["load_s"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    stated = _stated_shortcuts(store)
    updates = _shortcut_updates()
    for n, (_, update) in enumerate(updates, start=1):
        store.update(update)
        if progress:
            progress("derive", n, len(updates))
    store.flush()
    unbacked = _unbacked(store, stated)
    triples = len(store)
    timings["derive_s"] = round(time.perf_counter() - started, 3)
    predicates = predicate_counts(store)  # kept: a build never changes
    del store
    stamp = hashlib.sha256(json.dumps(
        [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in sources] + [time.time_ns(), os.getpid()]
    ).encode()).hexdigest()[:32]
    info = {
        "format": _STORE_FORMAT, "id": stamp, "files": [str(p) for p in files],
        "asserted": asserted, "derived": triples - asserted, "triples": triples, "skipped": skipped,
        "skipped_about": [[m.subject, m.predicate] for m in skipped],
        "unbacked": unbacked, "unbacked_about": [[m.subject, m.predicate] for m in unbacked],
        "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "pyoxigraph": ox.__version__, **timings,
        "predicates": predicates,
    }
    (folder / META_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return info


#: Files up to this size are parsed in Python and added in batches; bigger ones are bulk-loaded alone.
_SMALL_FILE = 4 << 20
#: Bytes of small files added to the store in one bulk write.
_BATCH = 64 << 20


def _load_files(store, sources: list[Path], progress) -> None:
    """Load every file: big ones with one ``bulk_load`` each, small ones parsed and written in batches.

    ``bulk_load`` writes new files to disk on every call, which made 10,000
    small files 60 times slower to load than one big file. Each small file
    is still parsed on its own (its prefixes, base and blank nodes stay its
    own, and an error names it and its line), but their triples go to the
    store in one bulk write per batch.
    """
    from kg.loader import read_data

    batch, size = [], 0

    def flush():
        nonlocal size
        if batch:
            store.bulk_extend(_parsed(batch))
            batch.clear()
            size = 0

    for n, source in enumerate(sources, start=1):
        data = read_data(source)
        if len(data) > _SMALL_FILE:
            flush()
            try:
                store.bulk_load(data, _rdf_format(source), base_iri=source.resolve().as_uri())
            except (SyntaxError, ValueError) as e:
                raise DataError(f"{source}: malformed RDF: {' '.join(str(e).split())}") from None
        else:
            batch.append((source, data))
            size += len(data)
            if size > _BATCH:
                flush()
        if progress:
            progress("load", n, len(sources))
    flush()


def _parsed(batch):
    """The quads of each ``(path, bytes)`` in ``batch``, parsed file by file (fresh blank nodes for each)."""
    import pyoxigraph as ox

    for source, data in batch:
        try:
            yield from ox.parse(data, _rdf_format(source), base_iri=source.resolve().as_uri(),
                                rename_blank_nodes=True)
        except (SyntaxError, ValueError) as e:
            raise DataError(f"{source}: malformed RDF: {' '.join(str(e).split())}") from None


# -----------------------------------------------------------------------------
# The store folder: lock, builds, leftovers
# -----------------------------------------------------------------------------

_READERS = ".readers"  # every open KGStore holds a shared lock on this file of its build
_LOCK = ".lock"  # a load holds an exclusive lock on this file of the store folder


class _writer_lock:
    """An exclusive lock on the store folder, held while a load writes it; a second load is refused."""

    def __init__(self, target: Path):
        self.file = target / _LOCK
        self.target = target

    def __enter__(self):
        import fcntl

        try:
            self.fd = os.open(self.file, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise BadInput(f"{self.target}: cannot write the store here: {e.strerror or e}") from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(self.fd)
            raise BadInput(f"{self.target}: another `kg load` is writing this store (pid {holder}); "
                           "wait for it to finish") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # closing releases the lock


def _recover(target: Path) -> None:
    """Put back a store that a load of the first store format lost between its two renames."""
    if target.exists():
        return
    for old in sorted(target.parent.glob(f".{target.name}.old-*")):
        if (old / META_FILE).is_file():
            try:
                os.replace(old, target)
            except OSError:  # another process put it back first
                pass
            return


def _replaced_meta(target: Path) -> dict | None:
    """The description of the store a forced load replaces; None if it is unreadable but the folder is certainly a store.

    Certainly a store: besides ``kg-store.json`` the folder holds only what
    loads write (builds ``b-ID`` with their readers' lock file, dot files).
    Anything else (a store of the first format, or not a store at all) is
    not removed on a guess: the error says what to do.
    """
    try:
        return _read_meta(target)
    except BadInput as e:
        strangers = sorted(entry.name for entry in target.iterdir()
                           if not (entry.name == META_FILE
                                   or (entry.name.startswith(".") and (entry.is_file() or entry.name.startswith(".building-")))
                                   or (entry.name.startswith("b-") and (entry / _READERS).is_file())))
        if not strangers:
            return None
        reason = str(e).removeprefix(f"{target}: ").split("; rebuild it with", 1)[0]
        raise BadInput(f"{target}: {reason}; it also holds {', '.join(strangers[:3])}"
                       f"{' …' if len(strangers) > 3 else ''}, so it is not replaced: if it is a store you no longer "
                       f"need, remove the folder and run `kg load --store {target}`") from None


def _clean(target: Path, current: str | None) -> None:
    """Remove leftovers of killed loads and the builds no reader holds but ``current`` (call with the writer lock held)."""
    import fcntl

    mine = f".building-{os.getpid()}"
    beside = list(target.parent.glob(f".{target.name}.*"))  # left by loads of store format 1
    for entry in list(target.iterdir()) + beside:
        name = entry.name
        if entry in beside or (name.startswith(".") and name not in (mine, _LOCK)):  # .building-PID, .tmp
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
        elif name.startswith("b-") and name != current and entry.is_dir():
            try:
                fd = os.open(entry / _READERS, os.O_RDONLY)
            except FileNotFoundError:
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a reader still uses it: a later load removes it
            finally:
                os.close(fd)
            shutil.rmtree(entry, ignore_errors=True)


def _read_meta(folder: Path) -> dict:
    try:
        info = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{folder}: not a chips-kg store (no {META_FILE}); "
                       f"create it with `kg load --store {folder}`") from None
    except NotADirectoryError:
        raise BadInput(f"{folder}: is a file, not a store; a store is the folder `kg load --store FOLDER` builds") from None
    except (OSError, ValueError) as e:
        raise BadInput(f"{folder}: unreadable store description {META_FILE}: {' '.join(str(e).split())}; "
                       f"rebuild it with `kg load --force --store {folder}`") from None
    found = info.get("format") if isinstance(info, dict) else None
    if found not in _READABLE_FORMATS:
        raise BadInput(f"{folder}: store format {found!r} is not one this kg reads "
                       f"({', '.join(map(str, _READABLE_FORMATS))}); rebuild it with `kg load --force --store {folder}`")
    return info


def store_info(path) -> dict:
    """Read the description of the store at ``path``; :class:`BadInput` if it is not one.

    ``build_path`` in the answer is the folder of the current build (the one
    to open). ``path`` may also be a build folder itself (``PATH/b-ID``, see
    :func:`pin_store`), which then stays the one opened.
    """
    folder = Path(path).expanduser()
    _recover(folder)
    info = _read_meta(folder)
    build = folder / info["build"] if "build" in info else folder
    return {"path": str(folder), "build_path": str(build), **info}


def pin_store(path) -> Path:
    """The folder of the build the store at ``path`` answers from now.

    Open that folder (:func:`open_store`, :class:`StoreKnowledgeGraph`) in
    every process that must give the same answers, such as the workers of
    ``kg serve``: a later ``kg load --force`` makes a new build beside it
    and never removes a build that is open.
    """
    return Path(store_info(path)["build_path"])


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

        for _ in range(3):  # a load may switch builds between reading the description and holding the build
            self.info = store_info(path)
            self.path = Path(self.info["path"])
            self.build_path = Path(self.info["build_path"])
            self._reader = _hold_build(self.build_path)
            if self._reader is not False:
                break
        try:
            self.store = ox.Store.read_only(str(self.build_path))
        except (OSError, RuntimeError) as e:  # RocksDB reports corruption as a RuntimeError
            raise damaged(self.path, e) from None

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
        except (OSError, RuntimeError) as e:
            raise damaged(self.path, e) from None

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
            return _in_child(str(self.build_path), text, fmt, timeout)
        return _serialize(self.store, text, fmt)

    def select(self, text: str, *, checked: bool = True) -> list[dict]:
        """Run a checked SELECT; return rows as dicts of rdflib terms (unbound variables left out)."""
        iris: dict = {}
        results = self.query(text, checked=checked)
        names = [v.value for v in results.variables]
        return [{n: to_rdflib(row[n], iris) for n in names if row[n] is not None} for row in results]

    def construct(self, text: str, *, checked: bool = True, into=None, iris: dict | None = None):
        """Run a checked CONSTRUCT; return an rdflib Graph (``into``, with the triples added, when given).

        A new graph is kept in rdflib's ``SimpleMemory`` store: a small graph
        has no named graphs, and that store adds a triple about 3x faster.
        ``iris`` (text -> URIRef) gets every IRI of the triples: one term
        each, shared across calls given the same dict, and the IRIs the
        graph uses without reading it again.
        """
        from rdflib import Graph

        graph, iris = Graph(store="SimpleMemory") if into is None else into, {} if iris is None else iris
        add = graph.add
        for t in self.query(text, checked=checked):
            add((to_rdflib(t.subject, iris), to_rdflib(t.predicate, iris), to_rdflib(t.object, iris)))
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


def damaged(path, error: Exception) -> BadInput:
    """The one-line error for a store whose files cannot be read (``path`` is the store folder)."""
    return BadInput(f"{path}: the store is damaged or unreadable ({' '.join(str(error).split())[:200]}); "
                    f"rebuild it with `kg load --force --store {path}`")


def _hold_build(build: Path):
    """A shared lock on ``build`` that keeps a load from removing it; False if it was just removed.

    None when the build has no readers file (format 1) or it cannot be
    opened (a copy without permissions): there is nothing to hold then.
    """
    import fcntl

    try:
        fd = os.open(build / _READERS, os.O_RDONLY)
    except FileNotFoundError:
        return None if build.is_dir() else False
    except OSError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)
    return os.fdopen(fd, "rb")  # closed, and the lock released, when the KGStore goes


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


def described_query(iri: str, ties: str | None = None, skip=()) -> str:
    """SELECT (without prologue) of the nodes ``describe`` needs in full besides ``iri`` itself.

    The relation nodes pointing at the entity, their rounds, valuations,
    totals and deals (a valuation's acquisition, told in its sentence), and
    every investment in those rounds; and the claims any of those
    disagrees with or is disagreed with by (``chips:disagreesWith``), with
    their rounds and the investments in those, so that a dispute a source
    states has both its sides. With ``ties`` (a property path: the shortcut
    rules' paths), also the relation nodes reaching the entity by it, such
    as an ownership that follows from an acquisition. ``skip`` are properties
    not followed back from the entity (the shortcuts a store derives: what
    links by them is an entity, with no round or deal to follow).

    The claims near the entity are made distinct before the path to their
    disputes is followed: Oxigraph follows it once per row otherwise
    (Graphcore on the bundled data: 360 ms, not 6).
    """
    node = f"<{iri}>"
    if skip:
        node += f" FILTER(?q NOT IN ({_iris(skip)}))"

    def near(d: str) -> str:
        return f"""{{ {d} ?q {node} }}
  UNION {{ ?r ?q {node} . ?r chips:round|chips:resultingValuation|chips:resultingTotal|chips:deal {d} }}
  UNION {{ ?r ?q {node} . ?r chips:round/(chips:resultingValuation|chips:resultingTotal) {d} }}
  UNION {{ ?r ?q {node} . ?r chips:round? ?rnd . {d} chips:round ?rnd }}"""

    reaching = f"\n  UNION {{ ?d {ties} {node} }}" if ties else ""
    return f"""SELECT DISTINCT ?d WHERE {{
  {near("?d")}
  UNION {{ {{ SELECT DISTINCT ?e WHERE {{ {near("?e")} }} }}
    ?e (chips:disagreesWith|^chips:disagreesWith)/chips:round?/^chips:round? ?d }}{reaching} }}"""


def _iris(properties) -> str:
    """``properties`` written as a SPARQL list of IRIs, each checked by :func:`kg.rules.path_sparql`."""
    from rdflib import URIRef

    from kg.rules import path_sparql

    return ", ".join(path_sparql(URIRef(p)) for p in properties)


def neighbourhood_queries(iri: str, described, linking=(), skip=()) -> list[str]:
    """CONSTRUCTs (without prologue) of the triples ``describe`` needs about ``iri``.

    ``described`` are the nodes :func:`described_query` found. Every triple
    of ``iri`` and of those nodes, the triples pointing at ``iri``, and the
    types and labels of everything they mention. ``linking`` are entities
    among the nodes found that are taken out of ``described``: of those only
    the sources are asked (their types and labels come with what points at
    ``iri``), not every triple of a large company that links to a small one.
    ``skip`` are properties whose triples pointing at ``iri`` are left out
    (the shortcuts a store derives, which ``describe`` does not show).
    """
    values = " ".join(f"<{d}>" for d in [iri, *described])
    node = f"<{iri}>"
    unless = f" FILTER(?p NOT IN ({_iris(skip)}))" if skip else ""
    queries = [
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ VALUES ?s {{ {values} }} ?s ?p ?o }} "
        f"UNION {{ ?s ?p {node}{unless} BIND({node} AS ?o) }} }}",
        # the nodes first (a subquery), then each one's types and labels looked up: a FILTER on ?p read every
        # triple of each node (a large investor has thousands). kg.remote joins these WHEREs under ?s ?p ?o.
        f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ SELECT DISTINCT ?s WHERE {{ {{ VALUES ?x {{ {values} }} ?x ?q ?s }} UNION {{ ?s ?q {node} }} }} }}
  {{ ?s rdf:type ?o BIND(rdf:type AS ?p) }} UNION {{ ?s rdfs:label ?o BIND(rdfs:label AS ?p) }} }}""",
    ]
    if linking:
        queries.append(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {' '.join(f'<{d}>' for d in linking)} }} "
                       "?s ?p ?o . FILTER(?p = prov:wasDerivedFrom) }")
    return queries


def labels_query(nodes) -> str:
    """CONSTRUCT (without prologue) of the types and labels of ``nodes`` (IRIs).

    What the second of :func:`neighbourhood_queries` asks, for nodes already
    known: a store reads them from the first one's triples, so that neither
    the nodes nor the types and labels it has already are looked up again.
    """
    values = " ".join(f"<{n}>" for n in nodes)
    return (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {values} }} "
            "{ ?s rdf:type ?o BIND(rdf:type AS ?p) } UNION { ?s rdfs:label ?o BIND(rdfs:label AS ?p) } }")


# -----------------------------------------------------------------------------
# A KnowledgeGraph backed by a store
# -----------------------------------------------------------------------------

def ontology_about(ontology, terms) -> set:
    """The triples of ``ontology`` naming ``terms``, about them, and about the terms those name, and so on (a set).

    A class brings its labels and superclasses, a property its labels, domain,
    range, superproperties and the class it is the shortcut of, each of those
    its own: all that describing an entity reads about the terms its triples
    use, in a fraction of the ontology (copying all of it was half the time of
    an entity page on a million-triple store).

    Examples
    --------
    >>> from kg.loader import ontology_graph
    >>> from kg.vocab import CHIPS
    >>> from rdflib import RDFS
    >>> about = ontology_about(ontology_graph(), {CHIPS.Startup})
    >>> (CHIPS.Startup, RDFS.subClassOf, CHIPS.Company) in about, len(about) < len(ontology_graph()) / 5
    (True, True)
    """
    from rdflib import Literal

    about, seen = set(), set(terms)
    for term in seen:  # what names a term: the class whose shortcut a property is, its inverse
        about.update(ontology.triples((None, None, term)))
    todo = list(seen)
    while todo:
        for triple in ontology.triples((todo.pop(), None, None)):
            about.add(triple)
            for n in triple[1:]:
                if n not in seen and not isinstance(n, Literal):
                    seen.add(n)
                    todo.append(n)
    return about


def ontology_parts(ontology, terms, parts: dict) -> set:
    """:func:`ontology_about` ``terms``, as the union of each term's part, kept in ``parts`` (term -> triples).

    The ontology does not change while a graph is served, and entities of a
    kind use the same few terms: each term's part is found once.

    Examples
    --------
    >>> from kg.loader import ontology_graph
    >>> from kg.vocab import CHIPS
    >>> parts = {}
    >>> found = ontology_parts(ontology_graph(), {CHIPS.Startup, CHIPS.investedIn}, parts)
    >>> found == set(ontology_about(ontology_graph(), {CHIPS.Startup, CHIPS.investedIn})), sorted(parts) == sorted(
    ...     [CHIPS.Startup, CHIPS.investedIn])
    (True, True)
    """
    found = set()
    for term in terms:
        part = parts.get(term)
        if part is None:
            part = parts[term] = tuple(ontology_about(ontology, {term}))
        found.update(part)
    return found


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
        skipped = self.info.get("skipped", [])
        about = self.info.get("skipped_about") or [[None, None]] * len(skipped)  # a store built before it was kept
        self.skipped = [Skipped(message, *said) for message, said in zip(skipped, about)]
        self.unbacked = [Skipped(message, *said) for message, said in zip(self.info.get("unbacked", []),
                                                                          self.info.get("unbacked_about", []))]
        self._shapes = None
        self.key = projection_key(store_id=self.info["id"])
        self._about_term: dict = {}  # ontology term -> what the ontology says of it (:func:`ontology_parts`)

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
        import pyoxigraph as ox

        from kg.oxigraph_graph import from_store
        from kg.rules import shortcut_rules

        # the derived shortcut triples are not read: the relation nodes become those edges
        return from_store(self.store.store, skip=[rule.shortcut for rule in shortcut_rules()],
                          reopen=lambda: ox.Store.read_only(str(self.store.build_path)),
                          counts=self.store.info.get("predicates"))

    def _parts(self):
        self.names  # built from the triples too, before they are freed
        parts = super()._parts()
        self.__dict__.pop("_source", None)  # read once; free it before the arrays are built
        return parts

    def _cache_meta(self) -> dict:
        return {"triples": self.info["triples"], "store": self.info["path"]}

    @cached_property
    def labels_graph(self):
        """The ontology and every triple about a source: what views label with (the store is not copied)."""
        graph = self.store.construct(sparql_prefixes() + "CONSTRUCT { ?s ?p ?o } WHERE { ?s a chips:Source ; ?p ?o }",
                                     checked=False)
        graph += self.ontology
        return graph

    def describe(self, name: str, **options) -> dict:
        """Everything said about ``name``, from a small graph of its neighbourhood fetched from the store."""
        from kg.facts import describe

        entity = self.resolve(name)
        return describe(self.entity_graph(entity.iri), entity.id, **options)

    def labeller(self, result=None):
        """Labels read from the store, each term's once (a store is never copied into rdflib for labels)."""
        import pyoxigraph as ox
        from rdflib import RDFS, URIRef

        from kg.names import best_label

        store, label, found = self.store.store, ox.NamedNode(str(RDFS.label)), {}

        def label_of(term):
            if not isinstance(term, URIRef):
                return None
            if term not in found:
                quads = store.quads_for_pattern(ox.NamedNode(str(term)), label, None, ox.DefaultGraph())
                found[term] = best_label(to_rdflib(q.object) for q in quads)
            return found[term]

        return label_of

    def entity_graph(self, iri) -> "KnowledgeGraph":
        """A small KnowledgeGraph with what :func:`kg.facts.describe` needs about ``iri``.

        The entity's triples in and out (but the derived shortcuts pointing at
        it), every triple of the relation nodes it takes part in (and of their
        rounds, valuations and totals), the sources of the entities linking to
        it, the labels and types of everything they mention, and what the
        ontology says about the terms they use (:func:`ontology_about`).
        """
        from rdflib import Literal, URIRef

        from kg.rules import shortcut_rules

        head, node, adjacency = sparql_prefixes(), URIRef(iri), self.adjacency
        # the derived links to the entity are left out: describe shows none (a company has one from each past employee)
        shortcuts = [rule.shortcut for rule in shortcut_rules()]
        found = [row["d"] for row in self.store.select(head + described_query(iri, skip=shortcuts), checked=False)
                 if "d" in row]
        # as over an endpoint (kg.remote): of an entity linking to this one, only its sources are asked, not all it says
        entities = {d for d in found if adjacency.index_of(str(d)) is not None}
        described = [d for d in found if d not in entities]
        whole, labelled = neighbourhood_queries(iri, described, skip=shortcuts)
        iris: dict = {}  # every IRI of the graph's triples
        graph = self.store.construct(head + whole, checked=False, iris=iris)
        linking = sorted(entities.intersection(graph.subjects(None, node)))
        if linking:
            sources = neighbourhood_queries(iri, described, linking, skip=shortcuts)[2]
            graph = self.store.construct(head + sources, checked=False, into=graph, iris=iris)
        # the nodes the second query finds, read from the first's triples: what the whole nodes point at, and
        # what points at the entity; the whole nodes' own types and labels are there already
        wholly = {node, *described}
        mentioned = {o for s, _, o in graph if s in wholly} | set(graph.subjects(None, node))
        nodes = sorted(mentioned - wholly - {n for n in mentioned if isinstance(n, Literal)})
        if any(not isinstance(n, URIRef) for n in nodes):  # a blank node cannot be named in VALUES
            graph = self.store.construct(head + labelled, checked=False, into=graph, iris=iris)
        elif nodes:
            graph = self.store.construct(head + labels_query(nodes), checked=False, into=graph, iris=iris)
        names = self._names_in(iris)
        graph.addN((s, p, o, graph) for s, p, o in ontology_parts(self.ontology, self._ontology_terms.intersection(
            iris.values()), self._about_term))
        small = KnowledgeGraph(graph=graph, files=self.files, asserted=len(graph), derived=0)
        small.__dict__["names"] = names
        return small

    @cached_property
    def _ontology_terms(self) -> frozenset:
        """Every subject of the ontology: where :func:`ontology_about` starts for an entity's triples."""
        return frozenset(self.ontology.subjects())

    def _names_in(self, iris):
        """The name index of the entities among ``iris`` (text), read from the adjacency (not the whole index)."""
        from kg.names import Entity, NameIndex

        adjacency = self.adjacency
        found = sorted({adjacency.index_of(n) for n in iris} - {None})
        return NameIndex.from_parts([Entity(adjacency.node(i)["label"], adjacency.iris[i], adjacency.cls(i))
                                     for i in found], {})

"""Load the ontology, the shapes and the data files into one knowledge graph.

Data files are not trusted: nothing is fetched while loading (a JSON-LD file
with a remote ``@context`` is refused), RDF/XML with a DTD is refused (its
entities could expand without bound), and an ill-typed value
(``"abc"^^xsd:decimal``, ``"NaN"^^xsd:double``) is skipped with a
:class:`kg.errors.DataWarning` naming file, line and value. :func:`check_file` and
:func:`bad_literals` do the same for the on-disk store (:mod:`kg.store`).
"""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import re
import sys
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from kg.backend import LocalBackend
from kg.bundled import DATA_DIR, ONTOLOGY, SHAPES
from kg.errors import BadInput, DataError, DataWarning

__all__ = ["KnowledgeGraph", "CachedProjection", "CachedKnowledgeGraph", "cached_kg", "load", "data_files",
           "env_data_paths", "parse_file", "check_file", "bad_literals", "skipped_values", "file_messages",
           "read_data", "ontology_graph", "RDF_SUFFIXES", "MAX_DATA_NESTING"]

#: File suffixes read as RDF when a folder is given; other files are ignored.
RDF_SUFFIXES = (".ttl", ".turtle", ".nt", ".n3", ".jsonld", ".rdf", ".owl", ".xml", ".trig")
#: The fewest entities whose new projection is frozen out of the garbage collector's reach (``gc.freeze``).
_FREEZE_MINIMUM = 10_000


@dataclass(eq=False)
class KnowledgeGraph(LocalBackend):
    """The loaded graph and the structures built from it, each built once (a :class:`kg.backend.Backend`).

    Attributes
    ----------
    graph : rdflib.Graph
        Ontology + data + the shortcut triples derived by :mod:`kg.rules`, in
        rdflib's ``SimpleMemory`` store (one graph, no named graphs). A library
        that wants named graphs (pyshacl) takes :func:`kg.validation.with_named_graphs`.
    files : list of Path
        The data files loaded (not counting ontology and shapes).
    asserted : int
        Number of triples read from ontology and data files.
    derived : int
        Number of shortcut triples the rules added.
    skipped : list of str
        One message per ill-typed value left out (file, line, value, why).
    unbacked : list of str
        One message per shortcut triple a data file states with no relation
        node behind it (:func:`kg.rules.stated_shortcuts`): the projection leaves it out.
    """

    graph: "Graph"
    files: list[Path]
    asserted: int = 0
    derived: int = 0
    skipped: list[str] = field(default_factory=list)
    unbacked: list[str] = field(default_factory=list)
    _shapes: "Graph | None" = field(default=None, repr=False)

    @property
    def shapes(self) -> Graph:
        """The SHACL shapes graph (``ontology/shapes.ttl``)."""
        if self._shapes is None:
            self._shapes = parse_file(SHAPES)
        return self._shapes

    @property
    def ontology(self) -> Graph:
        """A graph holding at least the ontology: use it for ontology-only lookups (kinds, classes).

        Here the full graph; the store- and cache-backed subclasses
        (:mod:`kg.store`, :mod:`kg.cache`) return the ontology alone, so such
        lookups do not load millions of data triples.
        """
        return self.graph

    @property
    def labels_graph(self) -> Graph:
        """A graph holding the labels of the ontology's terms and the sources' descriptions (views label with it).

        Here the full graph; a store (:mod:`kg.store`) fetches only those.
        """
        return self.graph

    @cached_property
    def names(self):
        """The name index used to resolve user-typed names (:class:`kg.names.NameIndex`)."""
        from kg.names import NameIndex

        return NameIndex(self.graph)

    @cached_property
    def network(self):
        """The networkx projection of the graph (:func:`kg.network.project`), disk-cached by :mod:`kg.cache`."""
        from kg.network import project

        if not self.files or len(self.graph) != self.asserted + self.derived:
            return project(self.graph, self.names)  # an in-memory graph has no cache key
        hit = self._cached
        if hit is not None:
            return hit.to_networkx()
        network = project(self.graph, self.names)
        self.__dict__["adjacency"] = _write_cache(self.key, network, self.names, self._cache_meta())
        return network

    @cached_property
    def adjacency(self):
        """The projection as compact arrays (:class:`kg.adjacency.Adjacency`): what paths and neighbours search."""
        from kg.adjacency import Adjacency

        hit = self._cached if self.files and "network" not in self.__dict__ else None
        return hit if hit is not None else Adjacency.from_network(self.network, self.names)

    @cached_property
    def key(self) -> str:
        """What identifies the inputs: the disk cache key of the files (see :func:`kg.cache.projection_key`)."""
        from kg.cache import projection_key

        return projection_key(self.files, derive=self.derived > 0)

    @cached_property
    def _cached(self):
        """The disk-cached adjacency, if the cache holds one built from as many triples as ``graph``."""
        from kg.cache import read_projection

        hit = read_projection(self.key)
        if hit is None or hit[1].get("triples") != len(self.graph):
            return None
        return hit[0]

    def _cache_meta(self) -> dict:
        return {"triples": len(self.graph), "files": [str(p) for p in self.files]}

    def resolve(self, name: str):
        """Return the :class:`kg.names.Entity` that ``name`` denotes.

        Raises :class:`kg.errors.UnknownEntity` or :class:`kg.errors.AmbiguousEntity`.
        """
        return self.names.resolve(name)


def _write_cache(key: str, network, names, meta: dict):
    """Cache the projection ``network`` under ``key``; return its adjacency."""
    from kg.adjacency import Adjacency
    from kg.cache import write_projection

    adjacency = Adjacency.from_network(network, names)
    write_projection(key, adjacency, meta)
    return adjacency


class CachedProjection(KnowledgeGraph):
    """Base of graphs whose projection and name index come from the disk cache under ``self.key``.

    Subclasses say where the RDF comes from (``graph``) and what to record
    beside a new cache entry (:meth:`_cache_meta`). ``ontology`` is the
    ontology alone, enough for relation kinds and classes. On a cache hit,
    questions about connections read only the arrays (:attr:`adjacency`);
    ``network`` (networkx) is rebuilt from them for the analyses.
    """

    key: str

    @property
    def ontology(self):
        """The ontology alone (:func:`ontology_graph`)."""
        return ontology_graph()

    @cached_property
    def _hit(self):
        from kg.cache import read_projection

        return read_projection(self.key)

    @property
    def _source(self):
        """What a projection is built from on a cache miss: here ``graph``."""
        return self.graph

    @cached_property
    def names(self):
        """The name index, from the cache when possible."""
        if self._hit is not None:
            return self._hit[0].names
        from kg.names import NameIndex

        return NameIndex(self._source)

    @cached_property
    def adjacency(self):
        """The compact adjacency, from the cache when possible; built from ``graph`` (and cached) otherwise.

        A new projection goes straight into arrays (:func:`kg.network.projection_parts`),
        with no networkx graph in between.
        """
        if self._hit is not None:
            return self._hit[0]
        from kg.adjacency import Adjacency
        from kg.cache import write_projection

        with _collector_paused():  # millions of lasting objects, no cycles: the collector would only walk them again
            adjacency = Adjacency.from_parts(*self._parts(), names=self.names)
            write_projection(self.key, adjacency, self._cache_meta())  # a million JSON lines: many collections
            if len(adjacency) >= _FREEZE_MINIMUM:
                gc.freeze()  # it all lasts: no collection need walk it again (0.4 s each at a million triples)
        return adjacency

    @cached_property
    def network(self):
        """The networkx projection, rebuilt from the adjacency (cached or new)."""
        return self.adjacency.to_networkx()

    def _parts(self):
        from kg.network import projection_parts

        return projection_parts(self._source, self.names, share_edges=False)  # the edges go to the cache as JSON

    def resolve(self, name: str):
        """Resolve ``name``: an IRI or ``res:`` name straight from the arrays, other names by the name index."""
        return self.adjacency.resolve(name)


class CachedKnowledgeGraph(CachedProjection):
    """A :class:`KnowledgeGraph` that parses nothing until something needs the RDF.

    ``adjacency``, ``network`` and ``names`` come from the disk cache when it
    holds them; ``graph``, ``asserted`` and ``derived`` load the files on first use.
    """

    def __init__(self, paths=None):  # noqa: D107  (no dataclass __init__: nothing is loaded yet)
        from kg.cache import projection_key

        self._paths = paths
        self.files = data_files(paths)
        self._shapes = None
        self.key = projection_key(self.files, derive=True)

    @cached_property
    def _loaded(self) -> KnowledgeGraph:
        return load(self._paths)

    graph = property(lambda self: self._loaded.graph, doc="The full RDF graph, loaded on first use.")
    asserted = property(lambda self: self._loaded.asserted)
    derived = property(lambda self: self._loaded.derived)
    skipped = property(lambda self: self._loaded.skipped)
    unbacked = property(lambda self: self._loaded.unbacked)


def cached_kg(paths=None) -> CachedKnowledgeGraph:
    """Open the data named by ``paths`` lazily, with the projection served from the disk cache.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        As for :func:`load`.

    Examples
    --------
    >>> import os, tempfile
    >>> from kg.synth import synthesize
    >>> os.environ["KG_CACHE_DIR"] = tempfile.mkdtemp()
    >>> folder = synthesize(tempfile.mkdtemp(), 10, seed=3).path.parent
    >>> first = cached_kg([folder]).network          # parses, projects, writes the cache
    >>> again = cached_kg([folder])
    >>> again.network.number_of_nodes() == first.number_of_nodes(), "_loaded" in again.__dict__
    (True, False)
    >>> del os.environ["KG_CACHE_DIR"]
    """
    return CachedKnowledgeGraph(paths)


def env_data_paths() -> list[str]:
    """The paths named by ``$KG_DATA`` (joined by ``os.pathsep``); empty when unset.

    Examples
    --------
    >>> import os
    >>> os.environ["KG_DATA"] = os.pathsep.join(["a.ttl", "more/"])
    >>> env_data_paths()
    ['a.ttl', 'more/']
    >>> del os.environ["KG_DATA"]
    """
    return [p for p in os.environ.get("KG_DATA", "").split(os.pathsep) if p]


def data_files(paths=None) -> list[Path]:
    """Return the data files to load, sorted, from files and folders.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        Files or folders (searched recursively for RDF files), loaded as
        given. When omitted: the bundled ``data/triples`` plus the paths in
        ``$KG_DATA`` (:func:`env_data_paths`), which add to the bundled data.

    Raises
    ------
    DataError
        If a path does not exist or a folder holds no RDF file.

    Examples
    --------
    >>> [p.name for p in data_files()][:2]
    ['00-source.ttl', '01-intro.ttl']
    """
    if paths is None:
        paths = [DATA_DIR, *env_data_paths()]
    found: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            inside = sorted(p for p in _walk(path) if p.suffix.lower() in RDF_SUFFIXES)
            if not inside:
                raise DataError(f"{path}: folder holds no RDF file ({', '.join(RDF_SUFFIXES)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return list(dict.fromkeys(p.resolve() for p in found))


def _walk(folder: Path):
    """Every file under ``folder`` (following links once); DataError for a sub-folder that cannot be read."""

    def refuse(error: OSError):
        raise DataError(f"{error.filename}: cannot read the folder: {error.strerror or error} "
                        "(fix its permissions or leave it out of --data)")

    seen = set()
    for root, dirs, names in os.walk(folder, onerror=refuse, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:  # a link back up the tree
            dirs.clear()
            continue
        seen.add(real)
        for name in names:
            path = Path(root, name)
            if path.is_file():
                yield path


#: Deepest nesting of blank nodes and lists (Turtle ``[`` ``(``, JSON-LD objects) accepted in a data file.
MAX_DATA_NESTING = 64

_TURTLE_TOKENS = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    rb'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\'|<[^>\s]*>|#[^\n\r]*|[\[\]()]',
    re.S,
)


def check_file(path: Path, data: bytes | None = None) -> None:
    """Refuse a data file that one loading mode would read differently, or dangerously.

    ``data`` is the file's content (bytes or an ``mmap``), read if not given.
    A JSON-LD file may not name a remote ``@context`` (or ``@import`` one):
    it would be fetched. An RDF/XML file may not hold a DTD (``<!DOCTYPE``),
    whose entities expand without bound (the "billion laughs"). Blank nodes
    and lists may nest at most :data:`MAX_DATA_NESTING` deep (rdflib's
    recursive parsers fail not far beyond; Oxigraph would load them). Both
    loading modes call it (through :func:`read_data`).

    Raises
    ------
    DataError
        Naming the file and what it would do.
    """
    suffix = path.suffix.lower()
    fmt = _format_of(path)
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise DataError(f"{path}: cannot read it: {e.strerror or e}") from None
    if suffix in (".ttl", ".turtle", ".n3", ".trig"):
        if data.count(b"[") + data.count(b"(") > MAX_DATA_NESTING:  # else it cannot nest that deep
            depth = deepest = 0
            for token in _TURTLE_TOKENS.finditer(data):
                char = token.group()
                if char in (b"[", b"("):
                    depth += 1
                    deepest = max(deepest, depth)
                elif char in (b"]", b")"):
                    depth -= 1
            _refuse_nesting(path, deepest)
        return
    if fmt == "json-ld":  # .jsonld, and .json, which rdflib reads as JSON-LD too
        try:
            document = json.loads(bytes(data).decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError) as e:
            raise DataError(f"{path}: malformed JSON-LD: {_one_line(e)}") from None
        remote, deepest = _remote_context(document)
        if remote is not None:
            raise DataError(f"{path}: the JSON-LD names a remote @context ({str(remote)[:100]}); "
                            "it is not fetched: put the context in the file")
        _refuse_nesting(path, deepest)
        return
    if fmt not in _XML_FORMATS:
        return
    for word in ("<!DOCTYPE", "<!ENTITY"):  # XML keywords are upper case; any encoding XML allows
        for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
            if data.find(word.encode(encoding)) >= 0:
                raise DataError(f"{path}: RDF/XML with a DTD (<!DOCTYPE or <!ENTITY) is refused: its entities "
                                "could expand without bound; write full IRIs instead of entities")


def _refuse_nesting(path: Path, deepest: int) -> None:
    if deepest > MAX_DATA_NESTING:
        raise DataError(f"{path}: blank nodes or lists nest {deepest} deep; at most {MAX_DATA_NESTING} "
                        "are accepted (give the nodes IRIs)")


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


#: The formats (as rdflib guesses them from a file's name) written in XML, which may hold a DTD.
_XML_FORMATS = ("xml", "trix", "rdfa")


def _format_of(path: Path) -> str:
    """The format rdflib reads ``path`` in, from its name (Turtle when the name says none)."""
    from rdflib.util import guess_format

    return guess_format(str(path)) or "turtle"


def _remote_context(node) -> tuple:
    """``(the first @context or @import that is not inline, or None; the deepest nesting)`` of a JSON-LD document.

    Every context counts, however deep its lists nest and wherever it stands
    (a term's own scoped context too): any that is not an object written in
    the file, or that imports one, would be fetched.
    """
    stack, deepest = [(node, 0)], 0
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, list):
            stack.extend((x, depth + 1) for x in item)
        elif isinstance(item, dict):
            for key, value in item.items():
                if key == "@context":
                    for ctx in _flat(value):
                        if ctx is not None and not isinstance(ctx, dict):
                            return ctx, deepest
                        if isinstance(ctx, dict) and "@import" in ctx:
                            return ctx["@import"], deepest
                stack.append((value, depth + 1))
    return None, deepest


def _flat(value) -> list:
    """``value`` with its lists, however nested, spread out."""
    if not isinstance(value, list):
        return [value]
    return [x for item in value for x in _flat(item)]


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBER_LIMIT = 10**30  # the largest amount in the data has 13 digits


def bad_literals(triples):
    """Yield ``(triple, why)`` for each ill-typed or out-of-range literal among ``triples``.

    Ill-typed: a lexical form its datatype does not allow (``"abc"^^xsd:decimal``,
    ``"2020-13-45"^^xsd:date``). Out of range: a number that is not finite
    (``NaN``, ``INF``, ``1e999999``) or is 1e30 or more.

    Examples
    --------
    >>> from rdflib import Literal, URIRef, XSD
    >>> s, p = URIRef("http://x/s"), URIRef("http://x/p")
    >>> [why for _, why in bad_literals([(s, p, Literal("abc", datatype=XSD.decimal)),
    ...                                  (s, p, Literal("NaN", datatype=XSD.double)),
    ...                                  (s, p, Literal("12.5", datatype=XSD.decimal))])]
    ['not a valid xsd:decimal', 'not a finite number']
    """
    from decimal import Decimal

    from rdflib import Literal

    for triple in triples:
        value = triple[2]
        if not isinstance(value, Literal) or value.datatype is None:
            continue
        name = "xsd:" + value.datatype[len(_XSD):] if value.datatype.startswith(_XSD) else value.datatype.n3()
        if value.ill_typed or (str(value.datatype) in _LEXICAL and not _LEXICAL[str(value.datatype)].fullmatch(value)):
            yield triple, f"not a valid {name}"
            continue
        number = value.value
        if isinstance(number, bool) or not isinstance(number, (int, float, Decimal)):
            continue
        if not (number.is_finite() if isinstance(number, Decimal) else math.isfinite(number)):
            yield triple, "not a finite number"
        elif abs(number) >= _NUMBER_LIMIT:
            yield triple, "out of range (1e30 or more)"


#: Lexical forms rdflib accepts too readily, keyed by datatype IRI (plain strings: no rdflib import here).
_LEXICAL = {
    _XSD + "decimal": re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)"),
    _XSD + "gYear": re.compile(r"-?\d{4,}(Z|[+-]\d\d:\d\d)?"),
}


def _skip_bad_literals(graph: Graph, files: list[Path]) -> list[str]:
    """Remove the values :func:`bad_literals` finds in ``graph``; warn and return one message each.

    To name file and line, the files that mention a subject of a bad value
    are parsed again on their own (rarely needed, so the common load stays one pass).
    """
    bad = list(bad_literals(graph))
    if not bad:
        return []
    for triple, _ in bad:
        graph.remove(triple)
    return file_messages(files, {str(s) for (s, _, _), _ in bad})


class Skipped(str):
    """The one-line message about what loading leaves out, carrying the ``subject`` and ``predicate`` it was stated with.

    An ill-typed value is left out of the graph; a shortcut stated with no
    relation node behind it, out of the network (:func:`kg.rules.stated_shortcuts`).
    It is the message (a ``str``: printed, compared and stored as one);
    :func:`kg.validation.validate` reports it with its subject, and does not
    report a skipped value a second time as missing.

    Examples
    --------
    >>> s = Skipped('x.ttl:3: "lots"^^xsd:decimal (amount of r) is not a valid xsd:decimal; the value is skipped',
    ...             "https://w3id.org/chipskg/id/r", "https://w3id.org/chipskg/ontology#amount")
    >>> s.startswith("x.ttl:3"), s.subject
    (True, 'https://w3id.org/chipskg/id/r')
    """

    subject: str | None
    predicate: str | None

    def __new__(cls, message: str, subject: str | None = None, predicate: str | None = None):  # noqa: D102
        self = super().__new__(cls, message)
        self.subject, self.predicate = subject, predicate
        return self


def file_messages(files, subjects) -> list[str]:
    """Warn about, and return, the skipped values of the ``files`` that mention one of ``subjects``.

    Both loading modes report through this, so they give the same lines; each is a :class:`Skipped`.
    """
    messages = []
    for path in files:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        if any(_local(s) in text for s in subjects):
            for (s, p, _), message in skipped_values(path, parse_file(path)):
                messages.append(Skipped(message, str(s), str(p)))
                warnings.warn(message, DataWarning, stacklevel=3)
    return messages


def skipped_values(path, graph) -> list[tuple]:
    """``(triple, message)`` for each value of ``graph`` (parsed from ``path``) that loading leaves out."""
    bad = list(bad_literals(graph))
    text = Path(path).read_text(encoding="utf-8", errors="replace") if bad else None
    return [(triple, skip_message(path, text, triple, why)) for triple, why in bad]


def skip_message(path, text: str | None, triple, why: str) -> str:
    """``FILE:LINE: "VALUE"^^TYPE (PREDICATE of SUBJECT) is WHY; the value is skipped``.

    The line is the first in ``text`` (the file's content) holding the value,
    else the subject: rdflib keeps no line numbers, and rewrites some values
    (``1e999999`` becomes ``INF``).
    """
    s, p, o = triple
    where = str(path)
    if text is not None:
        lowered = text.lower()
        for needle in (str(o).lower(), f":{_local(s)}".lower()):
            index = lowered.find(needle)
            if index >= 0:
                where += f":{text.count(chr(10), 0, index) + 1}"
                break
    value = str(o) if len(str(o)) <= 60 else str(o)[:57] + "..."
    kind = "xsd:" + o.datatype[len(_XSD):] if o.datatype.startswith(_XSD) else f"<{o.datatype}>"
    return f'{where}: "{value}"^^{kind} ({_local(p)} of {_local(s)}) is {why}; the value is skipped'


def _local(iri) -> str:
    return re.split(r"[/#]", str(iri))[-1] or str(iri)


def parse_file(path: Path, graph: Graph | None = None, *, _iris: dict | None = None) -> Graph:
    """Parse one RDF file into ``graph`` (by default a new one) and return it, or raise :class:`DataError`.

    The error names the file, the line and the column of a syntax error.
    An IRI that Turtle does not allow (a space, ``<``, ``{`` ...) is refused,
    as Oxigraph refuses it in ``kg load --store``. Blank nodes stay the
    file's own even when parsed into a graph holding other files.
    """
    from rdflib import Graph

    fmt = _format_of(path)
    data = read_data(path)
    target = Graph(store="SimpleMemory", bind_namespaces="none") if graph is None else graph
    if fmt in _OXIGRAPH_FORMATS and _parse_with_oxigraph(path, data, fmt, target, {} if _iris is None else _iris):
        return target
    parsed = Graph(bind_namespaces="none")  # rdflib's JSON-LD and TriG parsers need a store of named graphs
    try:
        with _quiet_rdflib() as logged, _offline():
            parsed.parse(data=data, format=fmt, publicID=Path(path).resolve().as_uri())
    except PermissionError as e:  # a context, an import ... check_file did not foresee
        raise DataError(f"{path}: reading it would reach the network ({e}); refused") from None
    except Exception as e:  # rdflib raises many exception types for bad syntax
        raise DataError(_syntax_message(path, e)) from None
    bad_iri = next((m for m in logged if "does not look like a valid URI" in m), None)
    if bad_iri is not None:
        iri = bad_iri.split(" does not look like a valid URI")[0]
        text = data.decode("utf-8", errors="replace")
        found = text.find(iri)
        where = f"{path}:{text.count(chr(10), 0, found) + 1}" if found >= 0 else str(path)
        raise DataError(f"{where}: malformed RDF: the IRI <{iri}> holds a character IRIs may not contain")
    from kg.terms import canonical

    target.addN((s, p, canonical(o), target) for s, p, o in parsed)  # a decimal's text as a store gives it
    for prefix, namespace in parsed.namespaces():
        target.bind(prefix, namespace)
    return target


#: Formats read by Oxigraph's parser (several times faster than rdflib's); rdflib reads the others.
_OXIGRAPH_FORMATS = ("turtle", "nt")


def _parse_with_oxigraph(path: Path, data: bytes, fmt: str, graph: Graph, iris: dict) -> bool:
    """Add the triples of ``data`` to ``graph`` as rdflib would read them, parsed by Oxigraph.

    False, with ``graph`` untouched, when Oxigraph refuses the file: rdflib then
    reads it and says what is wrong (or accepts what Oxigraph does not). ``iris``
    maps IRIs to the rdflib terms made for them, shared by the files of one load.
    """
    import pyoxigraph as ox

    from kg.terms import to_rdflib

    parser = ox.parse(data, ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES,
                      base_iri=Path(path).resolve().as_uri(), rename_blank_nodes=True)
    try:
        with _quiet_rdflib():  # an ill-typed value is skipped later, with one warning naming it
            triples = [(to_rdflib(q.subject, iris), to_rdflib(q.predicate, iris), to_rdflib(q.object, iris))
                       for q in parser]
    except (SyntaxError, ValueError, BadInput):  # BadInput: a term rdflib has no counterpart for
        return False
    graph.addN((s, p, o, graph) for s, p, o in triples)
    for prefix, namespace in parser.prefixes.items():
        graph.bind(prefix, namespace)
    return True


def read_data(path: Path) -> bytes:
    """The bytes of a data file, checked by :func:`check_file`, without a UTF-8 byte-order mark.

    Both loading modes parse these bytes, so they read the same thing.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read it: {e.strerror or e}") from None
    check_file(path, data)
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


class _Offline(threading.local):
    on = False


_OFFLINE = _Offline()
_GUARDING = False


def _refuse_network(event: str, args) -> None:
    """Audit hook: while a thread reads a file (:func:`_offline`), it may not look up a host or connect to one."""
    if not _OFFLINE.on:
        return
    if event in ("urllib.Request", "http.client.connect", "socket.getaddrinfo") or (
            event == "socket.connect" and len(args) > 1 and isinstance(args[1], tuple)):
        raise PermissionError(f"a data file may not reach the network ({event})")


@contextmanager
def _offline():
    """No network for this thread inside the block (an audit hook, added on first use: Python cannot remove one)."""
    global _GUARDING
    if not _GUARDING:
        sys.addaudithook(_refuse_network)
        _GUARDING = True
    _OFFLINE.on = True
    try:
        yield
    finally:
        _OFFLINE.on = False


class _quiet_rdflib:
    """Collect what rdflib logs while parsing (ill-typed literals, bad IRIs) instead of printing it.

    ``with _quiet_rdflib() as logged:`` gives the list of messages.
    """

    def __enter__(self):
        self.logger = logging.getLogger("rdflib.term")
        self.saved = self.logger.propagate, self.logger.level
        self.messages = []
        self.handler = logging.Handler(logging.WARNING)
        self.handler.emit = lambda record: self.messages.append(record.getMessage())
        self.logger.addHandler(self.handler)
        self.logger.propagate = False
        self.logger.setLevel(logging.WARNING)
        return self.messages

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.propagate, level = self.saved
        self.logger.setLevel(level)


def _syntax_message(path: Path, error: Exception) -> str:
    why = getattr(error, "_why", None)
    text = getattr(error, "_str", None)
    offset = getattr(error, "_i", None)
    if why is not None and isinstance(text, bytes) and offset is not None:
        line = text.count(b"\n", 0, offset) + 1
        column = offset - (text.rfind(b"\n", 0, offset) + 1) + 1
        return f"{path}:{line}:{column}: malformed RDF: {why}"
    message = " ".join(str(error).split())
    return f"{path}: malformed RDF: {message}"


@lru_cache(maxsize=1)
def ontology_graph() -> Graph:
    """The bundled ontology (``ontology/chips.ttl``) alone, parsed once per process. Never change it.

    The rules, the redefinition check and the ontology-only lookups all read
    it; parsing it once instead of three times is a fifth of ``kg validate``.
    """
    return parse_file(ONTOLOGY)


@contextmanager
def _collector_paused():
    """Pause Python's garbage collector for the block (if it was running): for building many lasting objects."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


_CACHE: dict[tuple, KnowledgeGraph] = {}


def load(paths=None, *, derive: bool = True, cache: bool = True) -> KnowledgeGraph:
    """Load ontology and data into a :class:`KnowledgeGraph`.

    Every file is parsed on its own first, so a malformed file raises
    :class:`DataError` (naming file and line) before anything is merged.
    Shortcut triples are then derived by the rules stated in the ontology.
    The result is cached per process, keyed by the files and their
    modification times.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        Data files or folders; see :func:`data_files`.
    derive : bool
        Derive the shortcut triples (``chips:investedIn`` ...). Default True.
    cache : bool
        Reuse a graph already loaded from the same unchanged files.

    Examples
    --------
    >>> kg = load()
    >>> kg.derived > 0 and len(kg.graph) == kg.asserted + kg.derived
    True
    """
    files = data_files(paths)
    key = (derive, tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
    if cache and key in _CACHE:
        for message in _CACHE[key].skipped + _CACHE[key].unbacked:  # each load says what it leaves out
            warnings.warn(message, DataWarning, stacklevel=2)
        return _CACHE[key]

    from rdflib import Graph

    from kg.vocab import bind_prefixes

    with _collector_paused():  # a graph of lasting objects and no cycles: collecting would only walk it
        graph = bind_prefixes(Graph(store="SimpleMemory"))  # no named graphs: a third quicker to fill and read
        graph += ontology_graph()  # copied: faster than parsing it again, and the rules read it alone
        iris: dict = {}
        for path in files:  # one graph for all: merging per-file graphs cost as much as parsing
            parse_file(path, graph, _iris=iris)
        skipped = _skip_bad_literals(graph, files)
        from kg.identity import apply_merges

        apply_merges(graph)  # merges recorded as data: the two entities become one everywhere
        asserted = len(graph)  # after the merges, which may fold two triples into one
        derived, unbacked = 0, []
        if derive:
            from kg.rules import derived_triples, stated_shortcuts, unbacked_message

            stated, shortcuts = stated_shortcuts(graph), derived_triples(graph)
            for triple in shortcuts:
                graph.add(triple)
            derived = len(graph) - asserted
            unbacked = [Skipped(unbacked_message(t), str(t[0]), str(t[1])) for t in stated if t not in shortcuts]
            for message in unbacked:
                warnings.warn(message, DataWarning, stacklevel=2)
    kg = KnowledgeGraph(graph=graph, files=files, asserted=asserted, derived=derived, skipped=skipped,
                        unbacked=unbacked)
    if cache:
        _CACHE[key] = kg
    return kg

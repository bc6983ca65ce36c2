"""Load the ontology, the shapes and the data files into one knowledge graph."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kg.backend import LocalBackend
from kg.bundled import DATA_DIR, ONTOLOGY, SHAPES
from kg.errors import DataError

__all__ = ["KnowledgeGraph", "CachedProjection", "CachedKnowledgeGraph", "cached_kg", "load", "data_files",
           "env_data_paths", "parse_file", "RDF_SUFFIXES"]

#: File suffixes read as RDF when a folder is given; other files are ignored.
RDF_SUFFIXES = (".ttl", ".turtle", ".nt", ".n3", ".jsonld", ".rdf", ".owl", ".xml", ".trig")


@dataclass(eq=False)
class KnowledgeGraph(LocalBackend):
    """The loaded graph and the structures built from it, each built once (a :class:`kg.backend.Backend`).

    Attributes
    ----------
    graph : rdflib.Graph
        Ontology + data + the shortcut triples derived by :mod:`kg.rules`.
    files : list of Path
        The data files loaded (not counting ontology and shapes).
    asserted : int
        Number of triples read from ontology and data files.
    derived : int
        Number of shortcut triples the rules added.
    """

    graph: "Graph"
    files: list[Path]
    asserted: int = 0
    derived: int = 0
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

    @cached_property
    def ontology(self):
        """The ontology alone, parsed on first use."""
        return parse_file(ONTOLOGY)

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
        """The compact adjacency, from the cache when possible; built (and cached) otherwise."""
        if self._hit is not None:
            return self._hit[0]
        self.network
        return self.__dict__["adjacency"]

    @cached_property
    def network(self):
        """The networkx projection: from the cached arrays when possible; built from ``graph`` and cached otherwise."""
        if self._hit is not None:
            return self._hit[0].to_networkx()
        network = self._project()
        self.__dict__["adjacency"] = _write_cache(self.key, network, self.names, self._cache_meta())
        return network

    def _project(self):
        from kg.network import project

        return project(self._source, self.names)

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
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RDF_SUFFIXES)
            if not inside:
                raise DataError(f"{path}: folder holds no RDF file ({', '.join(RDF_SUFFIXES)})")
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            raise DataError(f"{path}: no such file or folder")
    return list(dict.fromkeys(p.resolve() for p in found))


def parse_file(path: Path, graph: Graph | None = None) -> Graph:
    """Parse one RDF file into a new graph, or raise :class:`DataError`.

    The error names the file, the line and the column of a syntax error.
    ``graph`` is only used to choose the graph class; nothing is added to it.
    """
    from rdflib import Graph
    from rdflib.util import guess_format

    fmt = guess_format(str(path)) or "turtle"
    target = Graph()
    try:
        target.parse(path, format=fmt)
    except OSError as e:
        raise DataError(f"{path}: cannot read: {e.strerror or e}") from None
    except Exception as e:  # rdflib raises many exception types for bad syntax
        raise DataError(_syntax_message(path, e)) from None
    return target


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
        return _CACHE[key]

    from rdflib import Graph

    from kg.vocab import bind_prefixes

    parts = [parse_file(ONTOLOGY)] + [parse_file(p) for p in files]
    graph = bind_prefixes(Graph())
    for part in parts:
        graph += part
        for prefix, ns in part.namespaces():
            if prefix and prefix not in dict(graph.namespaces()):
                graph.bind(prefix, ns)
    asserted = len(graph)
    from kg.identity import apply_merges

    apply_merges(graph)  # merges recorded as data: the two entities become one everywhere
    derived = 0
    if derive:
        from kg.rules import derive_shortcuts

        derived = derive_shortcuts(graph)
    kg = KnowledgeGraph(graph=graph, files=files, asserted=asserted, derived=derived)
    if cache:
        _CACHE[key] = kg
    return kg

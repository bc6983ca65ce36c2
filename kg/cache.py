"""Cache the networkx projection and the name index on disk, keyed by a hash of their inputs.

Parsing and projecting a large graph takes minutes; reading the cached
projection back takes about a second. The key covers everything the
projection depends on: the package version, the source code that builds it,
the ontology's bytes and each data file's path, size and modification time
(or, for a store, the store's build id). A changed input is a new key, so a
stale entry is never read; entries are written atomically (temporary file,
then ``os.replace``), so a crash never leaves half a file under a key.

The location is ``$KG_CACHE_DIR``, else ``~/.cache/chips-kg``; set
``KG_CACHE_DIR`` to an empty string to turn the disk cache off.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import pickle
from functools import cached_property
from pathlib import Path

from kg.loader import KnowledgeGraph

__all__ = ["cache_dir", "projection_key", "read_projection", "write_projection", "network_for",
           "CachedKnowledgeGraph", "cached_kg", "FORMAT"]

#: Bumped when the layout of a cache entry changes.
FORMAT = 2

_CODE = ("network.py", "names.py", "facts.py", "rules.py", "vocab.py", "_chips_terms.py", "cache.py")


def cache_dir() -> Path | None:
    """The cache folder: ``$KG_CACHE_DIR``, else ``~/.cache/chips-kg``; None when turned off.

    Examples
    --------
    >>> import os
    >>> os.environ["KG_CACHE_DIR"] = "/tmp/kg-doctest-cache"
    >>> str(cache_dir())
    '/tmp/kg-doctest-cache'
    >>> os.environ["KG_CACHE_DIR"] = ""
    >>> cache_dir() is None
    True
    >>> del os.environ["KG_CACHE_DIR"]
    """
    env = os.environ.get("KG_CACHE_DIR")
    if env is not None:
        return Path(env).expanduser() if env.strip() else None
    return Path.home() / ".cache" / "chips-kg"


def _code_fingerprint() -> str:
    import kg

    h = hashlib.sha256(f"{kg.__version__}|{FORMAT}".encode())
    here = Path(__file__).resolve().parent
    for name in _CODE:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    return h.hexdigest()


def projection_key(files=(), *, derive: bool = True, store_id: str | None = None) -> str:
    """The cache key of the projection of ``files`` (or of the store ``store_id``).

    Parameters
    ----------
    files : iterable of Path
        The data files, as :func:`kg.loader.data_files` returns them.
    derive : bool
        Whether shortcut triples were derived.
    store_id : str, optional
        The build id of an Oxigraph store (:func:`kg.store.store_info`); replaces ``files``.

    Examples
    --------
    >>> a = projection_key([], store_id="x")
    >>> a == projection_key([], store_id="x"), a == projection_key([], store_id="y"), len(a)
    (True, False, 64)
    """
    from kg.bundled import ONTOLOGY

    parts = {
        "code": _code_fingerprint(),
        "ontology": hashlib.sha256(ONTOLOGY.read_bytes()).hexdigest(),
        "derive": derive,
    }
    if store_id is not None:
        parts["store"] = store_id
    else:
        parts["files"] = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry(key: str) -> Path | None:
    folder = cache_dir()
    return None if folder is None else folder / f"projection-{key}.pickle"


def read_projection(key: str):
    """Return ``(network, names, meta)`` cached under ``key``, or None.

    A missing, unreadable or corrupt entry is a miss, never an error.
    """
    path = _entry(key)
    if path is None or not path.is_file():
        return None
    enabled = gc.isenabled()
    gc.disable()  # unpickling millions of small objects: the collector only slows it down
    try:
        with open(path, "rb") as handle:
            payload = pickle.load(handle)
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            return None
        if payload.get("undirected") is not None:
            from kg.network import remember_undirected

            remember_undirected(payload["network"], payload["undirected"])
        return payload["network"], payload["names"], payload.get("meta", {})
    except Exception:  # a truncated or foreign file is just a miss
        return None
    finally:
        if enabled:
            gc.enable()


def write_projection(key: str, network, names, meta: dict | None = None) -> Path | None:
    """Write ``network`` and ``names`` under ``key`` atomically; return the path (None if off).

    The undirected view used by path search is built first and stored with
    the network, so that a cached ``kg path`` does not rebuild it.
    Failing to write (read-only home, full disk) is silent: a cache is optional.
    """
    from kg.network import undirected

    path = _entry(key)
    if path is None:
        return None
    view = undirected(network)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            pickle.dump({"format": FORMAT, "network": network, "undirected": view, "names": names,
                         "meta": meta or {}}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(path.parent, keep=path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return None
    return path


#: How many projections the cache keeps; older ones are removed when a new one is written.
KEEP = 8


def _prune(folder: Path, keep: Path) -> None:
    entries = sorted(folder.glob("projection-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in [e for e in entries if e != keep][KEEP - 1:]:
        old.unlink(missing_ok=True)


def network_for(kg: KnowledgeGraph):
    """The projection of a loaded graph, read from the disk cache or built and cached.

    Used by :attr:`kg.loader.KnowledgeGraph.network`. Only graphs loaded from
    files are cached (an in-memory graph has no key); an entry is used only if
    it was built from as many triples as ``kg.graph`` holds.
    """
    from kg.network import project

    if not kg.files or len(kg.graph) != kg.asserted + kg.derived:
        return project(kg.graph)
    key = projection_key(kg.files, derive=kg.derived > 0)
    hit = read_projection(key)
    if hit is not None and hit[2].get("triples") == len(kg.graph):
        kg.__dict__.setdefault("names", hit[1])
        return hit[0]
    network = project(kg.graph, kg.names)
    write_projection(key, network, kg.names, {"triples": len(kg.graph), "files": [str(p) for p in kg.files]})
    return network


class CachedProjection(KnowledgeGraph):
    """Base of graphs whose projection and name index come from the disk cache under ``self.key``.

    Subclasses say where the RDF comes from (``graph``) and what to record
    beside a new cache entry (:meth:`_cache_meta`). ``ontology`` is the
    ontology alone, enough for relation kinds and classes.
    """

    key: str

    def _cache_meta(self) -> dict:
        raise NotImplementedError

    @cached_property
    def ontology(self):
        """The ontology alone, parsed on first use."""
        from kg.bundled import ONTOLOGY
        from kg.loader import parse_file

        return parse_file(ONTOLOGY)

    @cached_property
    def _hit(self):
        return read_projection(self.key)

    @cached_property
    def names(self):
        """The name index, from the cache when possible."""
        if self._hit is not None:
            return self._hit[1]
        from kg.names import NameIndex

        return NameIndex(self.graph)

    @cached_property
    def network(self):
        """The projection, from the cache when possible; built from ``graph`` and cached otherwise."""
        if self._hit is not None:
            return self._hit[0]
        from kg.network import project

        network = project(self.graph, self.names)
        write_projection(self.key, network, self.names, self._cache_meta())
        return network


class CachedKnowledgeGraph(CachedProjection):
    """A :class:`KnowledgeGraph` that parses nothing until something needs the RDF.

    ``network`` and ``names`` come from the disk cache when it holds them;
    ``graph``, ``asserted`` and ``derived`` load the files on first use.
    """

    def __init__(self, paths=None):  # noqa: D107  (no dataclass __init__: nothing is loaded yet)
        from kg.loader import data_files

        self._paths = paths
        self.files = data_files(paths)
        self._shapes = None
        self.key = projection_key(self.files, derive=True)

    @cached_property
    def _loaded(self) -> KnowledgeGraph:
        from kg.loader import load

        return load(self._paths)

    graph = property(lambda self: self._loaded.graph, doc="The full RDF graph, loaded on first use.")
    asserted = property(lambda self: self._loaded.asserted)
    derived = property(lambda self: self._loaded.derived)

    def _cache_meta(self) -> dict:
        return {"triples": len(self.graph), "files": [str(p) for p in self.files]}


def cached_kg(paths=None) -> CachedKnowledgeGraph:
    """Open the data named by ``paths`` lazily, with the projection served from the disk cache.

    Parameters
    ----------
    paths : iterable of str or Path, optional
        As for :func:`kg.loader.load`.

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

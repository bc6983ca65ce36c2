"""Keep the projection on disk as plain data (arrays and JSON), keyed by a hash of its inputs.

Parsing and projecting a large graph takes minutes; mapping the cached
:class:`kg.adjacency.Adjacency` back takes milliseconds. An entry is a
folder ``projection-KEY/`` of ``.npy`` integer arrays, JSON and JSON lines:
nothing in it is code, and nothing is unpickled (a crafted entry can only
be *wrong*, and a wrong entry is removed and rebuilt).

The key covers everything the projection depends on: the package version,
the source code that builds it, the versions of the libraries it is built
with, the ontology's bytes and each data file's path, size and modification
time (or, for a store, the store's build id). A changed input is a new key,
so a stale entry is never read. Entries are written into a temporary folder
and renamed into place, so a crash never leaves half an entry under a key.

The location is ``$KG_CACHE_DIR``, else ``~/.cache/chips-kg``; set
``KG_CACHE_DIR`` to an empty string to turn the disk cache off. The folder
is created private (mode 0700); a folder that other users could write to,
or that is not a folder, is not used (one warning line on stderr).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
from pathlib import Path

__all__ = ["cache_dir", "usable_cache_dir", "projection_key", "read_projection", "write_projection", "FORMAT",
           "KEEP"]

#: Bumped when the layout of a cache entry changes.
FORMAT = 3

#: How many projections the cache keeps; older ones are removed when a new one is written.
KEEP = 8

_CODE = ("network.py", "names.py", "facts.py", "rules.py", "vocab.py", "_chips_terms.py", "cache.py",
         "adjacency.py", "oxigraph_graph.py", "terms.py")
_LIBRARIES = ("rdflib", "networkx", "pyoxigraph")
_ENTRY = "entry.json"


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


_WARNED: set[str] = set()


def _warn(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        sys.stderr.write(f"Warning: {message}\n")


def usable_cache_dir(create: bool = False) -> Path | None:
    """The cache folder if it is safe to use: a folder owned by this user that no one else can write to.

    With ``create``, a missing folder is made with mode 0700. Anything else
    (a file, another user's folder, a group- or world-writable folder, no
    permission) gives None and one warning line on stderr: the commands
    then run without the disk cache.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["KG_CACHE_DIR"] = folder = tempfile.mkdtemp() + "/cache"
    >>> oct(usable_cache_dir(create=True).stat().st_mode & 0o777)
    '0o700'
    >>> os.chmod(folder, 0o777)
    >>> usable_cache_dir() is None     # and a warning on stderr
    True
    >>> del os.environ["KG_CACHE_DIR"]
    """
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create and not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.mkdir(mode=0o700)
        info = folder.stat()
    except FileNotFoundError:
        return None
    except OSError as e:
        _warn(f"not using the cache folder {folder}: {e.strerror or e}")
        return None
    if not stat.S_ISDIR(info.st_mode):
        _warn(f"not using the cache folder {folder}: it is not a folder (set KG_CACHE_DIR to a folder, "
              "or to an empty string to turn the cache off)")
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        _warn(f"not using the cache folder {folder}: it belongs to another user")
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        _warn(f"not using the cache folder {folder}: others can write to it (chmod 700 {folder})")
        return None
    return folder


def _versions() -> dict:
    """Each library's installed version, read from the name of its ``NAME-VERSION.dist-info`` folder.

    That is a directory listing; importlib.metadata gives the same answer but
    importing it costs more than a warm ``kg path`` spends on its question.
    """
    from importlib.util import find_spec

    found = {}
    for name in _LIBRARIES:
        spec = find_spec(name)
        folder = Path(spec.origin).parent.parent if spec is not None and spec.origin else None
        infos = sorted(folder.glob(f"{name}-*.dist-info")) if folder is not None else []
        found[name] = infos[0].name[len(name) + 1:-len(".dist-info")] if infos else _metadata_version(name)
    return found


def _metadata_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _code_fingerprint() -> str:
    import kg

    h = hashlib.sha256(f"{kg.__version__}|{FORMAT}|{sys.version_info[:2]}".encode())
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
        "libraries": _versions(),
        "ontology": hashlib.sha256(ONTOLOGY.read_bytes()).hexdigest(),
        "derive": derive,
    }
    if store_id is not None:
        parts["store"] = store_id
    else:
        parts["files"] = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _entry(key: str, create: bool = False) -> Path | None:
    folder = usable_cache_dir(create=create)
    return None if folder is None else folder / f"projection-{key}"


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def read_projection(key: str):
    """Return ``(adjacency, meta)`` cached under ``key``, or None.

    A missing entry is a miss; a damaged or foreign one (wrong format, key,
    sizes or values, a FIFO or device in place of a file, or any file that is
    not plain data) is removed and is a miss too,
    so the next build writes a good one. A damaged line found later, while
    answering, removes the entry and raises one :class:`kg.errors.DataError`.
    """
    from kg.adjacency import Adjacency, open_regular
    from kg.errors import DataError

    path = _entry(key)
    if path is None or not path.exists():
        return None
    try:
        with open_regular(path / _ENTRY) as handle:
            info = json.loads(handle.read().decode("utf-8"))
        if not isinstance(info, dict) or info.get("format") != FORMAT or info.get("key") != key:
            raise DataError(f"{path}: not a cache entry of this version")
        adjacency = Adjacency.open(path)
        adjacency.on_damage = lambda: _remove(path)
        return adjacency, info.get("meta") or {}
    except (OSError, ValueError, DataError):
        _remove(path)
        return None


def write_projection(key: str, adjacency, meta: dict | None = None) -> Path | None:
    """Write ``adjacency`` (:class:`kg.adjacency.Adjacency`) under ``key``; return the entry (None if off).

    Failing to write (read-only home, full disk) is silent: a cache is optional.
    """
    path = _entry(key, create=True)
    if path is None:
        return None
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _remove(tmp)
        tmp.mkdir(mode=0o700)
        adjacency.save(tmp)
        (tmp / _ENTRY).write_text(json.dumps({"format": FORMAT, "key": key, "meta": meta or {}}), encoding="utf-8")
        if path.exists():
            old = path.with_name(f".{path.name}.{os.getpid()}.old")
            os.replace(path, old)
            _remove(old)
        os.replace(tmp, path)
        _prune(path.parent, keep=path)
    except OSError:
        _remove(tmp)
        return None
    return path


def _prune(folder: Path, keep: Path) -> None:
    entries = sorted(folder.glob("projection-*"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in [e for e in entries if e != keep][KEEP - 1:]:
        if old.is_dir() and not old.is_symlink():
            _remove(old)
        else:
            old.unlink(missing_ok=True)

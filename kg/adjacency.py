"""The projection as compact arrays: the fast "neighbours" of every backend that holds the graph locally.

The networkx projection (:func:`kg.network.project`) is a directed
multigraph of dicts: fine for analyses, slow to load and large in memory.
Questions about connections (path, neighbours, common ties) only need, for
each entity, its neighbours and which kinds of relation join them, and then
the details of the few relations on the answer. :class:`Adjacency` keeps
exactly that:

- nodes are numbered ``0 … n-1`` in the projection's (sorted) order;
- the undirected ties are CSR arrays (``indptr``, ``indices``), each tie
  pointing to its *pair* (one per pair of entities), which records a bit
  mask of the relation kinds it carries and the directed edges it merges,
  in the order networkx's undirected view would list them;
- node and edge details are JSON, one line each, read only when asked.

On disk (:meth:`Adjacency.save`) the arrays are ``.npy`` files (plain
little-endian integers, read with :func:`read_npy`, which accepts nothing
else: no pickled objects) memory-mapped on open, so a fresh process answers
a path question without reading the whole graph or importing numpy,
networkx or rdflib.
"""

from __future__ import annotations

import ast
import json
import mmap
import os
import stat
import sys
from array import array
from bisect import bisect_left
from functools import lru_cache, reduce
from itertools import accumulate
from operator import lt, or_
from pathlib import Path

from kg.errors import DataError

__all__ = ["Adjacency", "open_regular", "read_npy", "write_npy"]

_MAGIC = b"\x93NUMPY"
#: The fewest edges worth writing in a forked child (:meth:`Adjacency.save`).
_FORK_MINIMUM = 50_000
#: The share of the edges that child writes.
_CHILD_EDGES = 0.85
_DTYPES = {"<i4": "i", "<i8": "q"}
_CODES = {v: k for k, v in _DTYPES.items()}

#: Relation kinds beyond this many are filtered through the edges, not the per-pair bit mask.
_MASK_BITS = 63

_ARRAYS = ("indptr", "indices", "slot_pair", "pair_mask", "pair_refptr", "pair_refs",
           "edge_src", "edge_dst", "edge_kind", "edge_offsets", "node_cls", "node_offsets", "iri_offsets")


def write_npy(path, values: array) -> None:
    """Write an ``array('i')`` or ``array('q')`` as a version 1.0 ``.npy`` file.

    Examples
    --------
    >>> import tempfile, numpy
    >>> from array import array
    >>> path = tempfile.mktemp(suffix=".npy")
    >>> write_npy(path, array("q", [3, 1, 2]))
    >>> numpy.load(path, allow_pickle=False).tolist(), read_npy(path).tolist()
    ([3, 1, 2], [3, 1, 2])
    """
    if sys.byteorder != "little":
        values = array(values.typecode, values)
        values.byteswap()
    header = f"{{'descr': '{_CODES[values.typecode]}', 'fortran_order': False, 'shape': ({len(values)},), }}"
    size = len(_MAGIC) + 4 + len(header) + 1
    header += " " * (-size % 64) + "\n"
    with open(path, "wb") as handle:
        handle.write(_MAGIC + bytes([1, 0]) + len(header).to_bytes(2, "little") + header.encode("latin1"))
        handle.write(values.tobytes())


def open_regular(path):
    """Open ``path`` for reading (binary) if it is a regular file; :class:`DataError` otherwise.

    Opening does not wait: a FIFO put in place of a file would otherwise
    block the reader until something writes to it. A device, socket or
    folder is refused the same way.

    Examples
    --------
    >>> import os, tempfile
    >>> fifo = os.path.join(tempfile.mkdtemp(), "edges.jsonl")
    >>> os.mkfifo(fifo)
    >>> open_regular(fifo)
    Traceback (most recent call last):
    ...
    kg.errors.DataError: ...edges.jsonl: not a regular file
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DataError(f"{path}: not a regular file")
    return os.fdopen(fd, "rb")


def read_npy(path):
    """Memory-map a one-dimensional integer ``.npy`` file; return a read-only ``memoryview`` of its values.

    Only plain little-endian ``int32``/``int64`` arrays are accepted: any other
    dtype (objects, which numpy would unpickle), shape or size raises
    :class:`DataError`. The header is read as a Python literal, never run.
    """
    with open(path, "rb") as handle:
        start = handle.read(12)
        if len(start) < 10 or start[:6] != _MAGIC or start[6] not in (1, 2, 3):
            raise DataError(f"{path}: not a .npy file")
        if start[6] == 1:
            length, offset = int.from_bytes(start[8:10], "little"), 10
        else:
            length, offset = int.from_bytes(start[8:12], "little"), 12
        if length > 4096:
            raise DataError(f"{path}: .npy header too long")
        handle.seek(offset)
        try:
            header = ast.literal_eval(handle.read(length).decode("latin1"))
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise DataError(f"{path}: unreadable .npy header") from None
        offset += length
        if (not isinstance(header, dict) or header.get("descr") not in _DTYPES or header.get("fortran_order")
                or not isinstance(header.get("shape"), tuple) or len(header["shape"]) != 1
                or not isinstance(header["shape"][0], int) or header["shape"][0] < 0):
            raise DataError(f"{path}: not a one-dimensional int32/int64 .npy array")
        code = _DTYPES[header["descr"]]
        count = header["shape"][0]
        size = os.fstat(handle.fileno()).st_size
        if size != offset + count * array(code).itemsize:
            raise DataError(f"{path}: .npy size does not match its header")
        if sys.byteorder != "little" or count == 0:
            handle.seek(offset)
            values = array(code, handle.read())
            if sys.byteorder != "little":
                values.byteswap()
            return memoryview(values)
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mapped)[offset:].cast(code)


# The checks below read an array, 8192 values at a time, as one big integer, each value in its own lane of
# bits, and test every lane with a few big-integer operations: C speed, where a Python loop over the values, or
# max() and sum(), which make an int object per value, would cost the warm ``kg path`` tens of milliseconds on a
# large graph. (Whole arrays as one integer are slower: each fresh megabyte-sized block costs page faults.)
_PIECE = 8192
_MODULUS = 2 ** 32 - 1


def _number(values) -> int:
    """The values' bytes read as one non-negative integer, value ``i`` in lane ``i`` (or ``len - 1 - i``)."""
    return int.from_bytes(values.cast("B"), sys.byteorder)


@lru_cache(maxsize=64)
def _lanes(lane: int, size: int, count: int) -> int:
    """``lane`` repeated in ``count`` lanes of ``size`` bytes (the same few are asked for again and again)."""
    return int.from_bytes(lane.to_bytes(size, sys.byteorder) * count, sys.byteorder)


def _pieces(values, overlap: int = 0):
    """Consecutive slices of ``values``, each ``overlap`` values longer than the step between them."""
    return (values[i:i + _PIECE + overlap] for i in range(0, len(values) - overlap, _PIECE))


def _below(values, bound: int) -> bool:
    """Whether every value is in ``0 … bound-1``.

    With each lane's top bit clear (no negative value), adding ``2**(w-1) - bound``
    to every lane sets that bit exactly in the lanes holding ``bound`` or more,
    and never carries into the next lane.

    Examples
    --------
    >>> from array import array
    >>> [_below(memoryview(array("i", v)), 3) for v in ([0, 2, 1], [0, 3], [-1, 0], [])]
    [True, False, False, True]
    """
    size = values.itemsize
    top = 1 << (size * 8 - 1)
    for piece in _pieces(values):
        number, tops = _number(piece), _lanes(top, size, len(piece))
        if number & tops or (number + _lanes(top - bound, size, len(piece))) & tops:
            return False
    return True


def _rising(values, last: int) -> bool:
    """Whether offsets start at 0, end at ``last`` and never fall (so each one is within bounds).

    Lane by lane, ``(next + 2**(w-1)) - previous`` keeps the top bit set
    exactly where ``next >= previous`` (values are not negative) and never
    borrows from the next lane.

    Examples
    --------
    >>> from array import array
    >>> [_rising(memoryview(array("q", v)), 5) for v in ([0, 2, 2, 5], [0, 3, 2, 5], [0, -1, 5], [0, 6, 5])]
    [True, False, False, False]
    """
    if not len(values) or values[0] != 0 or values[-1] != last:
        return False
    size = values.itemsize
    top, bits = 1 << (size * 8 - 1), size * 8
    for piece in _pieces(values, overlap=1):
        number, tops = _number(piece), _lanes(top, size, len(piece) - 1)
        if sys.byteorder == "little":  # lane 0 holds the first value
            following, previous = number >> bits, number & ((1 << bits * (len(piece) - 1)) - 1)
        else:
            following, previous = number & ((1 << bits * (len(piece) - 1)) - 1), number >> bits
        if (following | previous) & tops or ((following | tops) - previous) & tops != tops:
            return False
    return True


def _residue(values) -> int:
    """The sum of the (non-negative) values modulo ``2**32 - 1``.

    ``2**32`` is 1 modulo ``2**32 - 1``, so an array read as one number has
    that residue too.

    Examples
    --------
    >>> from array import array
    >>> _residue(memoryview(array("q", [2**32, 5, 7]))), _residue(memoryview(array("i", [1, 2, 3])))
    (13, 6)
    """
    total = sum(_number(piece) for piece in _pieces(values))  # each piece is a whole number of 32-bit words
    while total >> 64:  # fold the halves: faster than dividing a large number
        half = total.bit_length() // 64 * 32
        total = (total >> half) + (total & ((1 << half) - 1))
    return total % _MODULUS


def _check(arrays: dict, meta: dict, iri_text, file_sizes: dict) -> str | None:
    """What is wrong with an adjacency read from disk (its arrays, metadata, IRI lines), or None.

    Every array is checked by value, at C speed (see :func:`_below`): node, pair, edge, kind and class numbers within their ranges;
    offsets rising within their files; and sums that hold for any adjacency
    :meth:`Adjacency.from_parts` builds (each tie listed from both ends, each
    pair on two slots, each edge in one pair; compared modulo ``2**32 - 1``),
    so numbers that are in range but rewritten are caught too. IRIs flagged sorted must be (compared as
    the bytes of their lines, which sort as the strings do while no line
    holds an escape). A crafted entry can still pass: it can only be wrong.
    """
    a = arrays
    n, slots, pairs, m = len(a["node_cls"]), len(a["indices"]), len(a["pair_mask"]), len(a["edge_src"])
    sizes = {"iri_offsets": n + 1, "indptr": n + 1, "slot_pair": slots, "pair_refptr": pairs + 1, "pair_refs": m,
             "edge_dst": m, "edge_kind": m, "edge_offsets": m + 1, "node_offsets": n + 1}
    wrong = [name for name, size in sizes.items() if len(a[name]) != size]
    if wrong:
        return f"size of {', '.join(wrong)}"
    checks = {
        "indptr": lambda: _rising(a["indptr"], slots),
        "pair_refptr": lambda: _rising(a["pair_refptr"], m),
        **{name: (lambda name=name: _rising(a[name], file_sizes[name])) for name in file_sizes},
        "indices": lambda: _below(a["indices"], n) and _residue(a["indices"]) == (
            (n - 1) * slots - _residue(a["indptr"][1:n])) % _MODULUS,
        "slot_pair": lambda: slots == 2 * pairs and _below(a["slot_pair"], pairs) and _residue(
            a["slot_pair"]) == pairs * (pairs - 1) % _MODULUS,
        "pair_refs": lambda: _below(a["pair_refs"], m) and _residue(a["pair_refs"]) == m * (m - 1) // 2 % _MODULUS,
        "edge_src": lambda: _below(a["edge_src"], n),
        "edge_dst": lambda: _below(a["edge_dst"], n),
        "edge_kind": lambda: _below(a["edge_kind"], len(meta["kinds"])),
        "node_cls": lambda: _below(a["node_cls"], len(meta["classes"])),
        "iris.jsonl": lambda: not meta.get("sorted") or iri_text.find(b"\\") >= 0 or _ascending(iri_text),
    }
    return next((name for name, ok in checks.items() if not ok()), None)


def _ascending(text) -> bool:
    """Whether the JSON-lines strings in ``text`` (``"a"\\n"b"\\n``) are in strictly ascending order."""
    inner = text[1:-2].split(b'"\n"')
    return all(map(lt, inner, inner[1:]))


def _tuples(attrs: dict) -> dict:
    """JSON gives lists; the projection holds tuples (shared, immutable): restore them."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in attrs.items()}


class _Lines:
    """Line ``i`` of a JSON-lines file (or list), parsed on demand; with ``keep``, each line parsed once."""

    def __init__(self, path=None, offsets=None, items=None, keep: bool = False):
        self._items = items
        self._kept: dict | None = {} if keep else None
        self.damaged = lambda what: DataError(f"damaged line ({what})")
        if path is not None:
            with open_regular(path) as handle:
                self._data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(
                    handle.fileno()).st_size else b""
            self._offsets = offsets

    def __len__(self) -> int:
        return len(self._items) if self._items is not None else len(self._offsets) - 1

    def _line(self, i: int) -> bytes:
        if i < 0:
            i += len(self)
        return self._data[self._offsets[i]:self._offsets[i + 1]]

    def __getitem__(self, i: int):
        if self._items is not None:
            return self._items[i]
        if self._kept is not None and i in self._kept:
            return self._kept[i]
        try:
            item = json.loads(self._line(i))
        except ValueError:
            raise self.damaged(f"line {i}") from None
        if self._kept is not None:
            self._kept[i] = item
        return item

    def __iter__(self):
        return (self[i] for i in range(len(self)))


class _NodeView:
    """``adjacency.nodes[iri]``: a node's attributes by IRI (or by node number, which needs no search)."""

    def __init__(self, adjacency):
        self._adjacency = adjacency

    def __getitem__(self, iri) -> dict:
        if isinstance(iri, int):
            return self._adjacency.node(iri)
        i = self._adjacency.index_of(iri)
        if i is None:
            raise KeyError(iri)
        return self._adjacency.node(i)

    def __contains__(self, iri) -> bool:
        return iri in self._adjacency


class Adjacency:
    """The projection's ties as arrays, its nodes and edges as JSON read on demand.

    Build one with :meth:`from_network`, write it with :meth:`save`, map it
    back with :meth:`open`. Node ``i`` is the ``i``-th node of the
    projection; edge ``e`` its ``e``-th directed edge.

    Examples
    --------
    >>> from kg import load
    >>> adj = Adjacency.from_network(load().network)
    >>> nvidia = adj.index_of("https://w3id.org/chipskg/id/nvidia")
    >>> adj.node(nvidia)["label"]
    'Nvidia'
    >>> sorted({adj.edge(e)[3]["kind"] for _, pair in adj.ties(nvidia) for e in adj.refs(pair)})[:2]
    ['acquired', 'competesWith']
    """

    def __init__(self, arrays: dict, meta: dict, iris: list[str], nodes: _Lines, edges: _Lines,
                 names_path: Path | None = None, names=None):
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        self.meta = meta
        self.iris = iris
        self.kinds: list[str] = meta["kinds"]
        self.classes: list[str] = meta["classes"]
        self.vocabulary: dict = meta["vocabulary"]
        self._nodes, self._edges = nodes, edges
        self._names_path, self._names = names_path, names
        self._index: dict[str, int] | None = None
        self._node_cache: dict[int, dict] = {}
        #: Called when a damaged line is found (the disk cache removes its entry).
        self.on_damage = None
        for lines in (iris, nodes, edges):
            lines.damaged = self._damaged

    def _damaged(self, what: str):
        if self.on_damage is not None:
            self.on_damage()
        return DataError(f"the cached projection is damaged ({what}) and has been removed; run the command again")

    # --- building and storing ----------------------------------------------

    @classmethod
    def from_network(cls, G, names=None, meta: dict | None = None) -> "Adjacency":
        """The adjacency of the projection ``G`` (a networkx MultiDiGraph), held in memory."""
        return cls.from_parts(dict(G.graph), [(n, dict(d)) for n, d in G.nodes(data=True)],
                              list(G.edges(keys=True, data=True)),
                              names, meta)

    @classmethod
    def from_parts(cls, graph: dict, nodes: list, edges: list, names=None, meta: dict | None = None) -> "Adjacency":
        """The adjacency of a projection given as lists (:func:`kg.network.projection_parts`), held in memory.

        ``nodes`` are ``(iri, attributes)``; ``edges`` are ``(source, target,
        key, attributes)`` in the order a MultiDiGraph built from them would
        list them (by source in node order, then target, then key).
        """
        vocabulary = graph.get("vocabulary", {"kinds": {}, "indirect": [], "classes": {}})
        order = [n for n, _ in nodes]
        index = {n: i for i, n in enumerate(order)}
        kinds = list(vocabulary["kinds"])
        kinds += sorted({d["kind"] for *_, d in edges} - set(kinds))
        kind_id = {k: i for i, k in enumerate(kinds)}
        classes = sorted({d.get("cls", "Thing") for _, d in nodes} | set(vocabulary["classes"]))
        class_id = {c: i for i, c in enumerate(classes)}
        numbered = [(index[u], index[v], k, d) for u, v, k, d in edges]  # as the arrays and the edge lines hold them

        # pairs in the order networkx's undirected view adds them (kg.network.undirected)
        pair_of: dict[tuple, int] = {}
        ties: list[list] = [[] for _ in order]
        members: list[list] = []
        for e, (a, b, _, _) in enumerate(numbered):
            key = (a, b) if a < b else (b, a)
            pair = pair_of.get(key)
            if pair is None:
                pair = pair_of[key] = len(members)
                members.append([])
                ties[a].append((b, pair))
                ties[b].append((a, pair))
            members[pair].append(e)
        for refs in members:
            if len(refs) > 1:
                refs.sort(key=lambda e: edges[e][:3])
        edge_kind = array("i", [kind_id[d["kind"]] for _, _, _, d in edges])
        bit = [1 << kind if kind < _MASK_BITS else 0 for kind in edge_kind]  # each edge's bit in its pair's mask
        arrays = {
            "indptr": array("q", accumulate((len(row) for row in ties), initial=0)),
            "indices": array("i", [b for row in ties for b, _ in row]),
            "slot_pair": array("i", [pair for row in ties for _, pair in row]),
            "pair_mask": array("q", [reduce(or_, [bit[e] for e in refs]) for refs in members]),
            "pair_refptr": array("q", accumulate((len(refs) for refs in members), initial=0)),
            "pair_refs": array("i", [e for refs in members for e in refs]),
            "edge_src": array("i", [a for a, _, _, _ in numbered]),
            "edge_dst": array("i", [b for _, b, _, _ in numbered]),
            "edge_kind": edge_kind,
            "node_cls": array("i", [class_id[d.get("cls", "Thing")] for _, d in nodes]),
            "edge_offsets": array("q"), "node_offsets": array("q"), "iri_offsets": array("i"),  # made by save
        }
        info = {"kinds": kinds, "classes": classes, "vocabulary": vocabulary, "graph": graph, **(meta or {})}
        iris = [str(n) for n in order]
        info["sorted"] = all(a < b for a, b in zip(iris, iris[1:]))
        return cls(arrays, info, _Lines(items=iris), _Lines(items=[d for _, d in nodes]), _Lines(items=numbered),
                   names=names)

    def save(self, folder) -> None:
        """Write the arrays (``.npy``), nodes and edges (JSON lines), IRIs, names and metadata into ``folder``."""
        from kg.parallel import Forked

        folder = Path(folder)
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder for every line

        def encoded(item) -> bytes:
            return encode(item).encode() + b"\n"  # tuples and lists write the same JSON

        def lines(name: str, items) -> array:
            positions = array("q", [0])
            with open(folder / f"{name}s.jsonl", "wb") as handle:
                for item in items:  # as read, not kept
                    line = encoded(item)
                    handle.write(line)
                    positions.append(positions[-1] + len(line))
            return positions

        # the edges are most of the writing: a forked child writes most of them (edges held in memory, many of
        # them) while this process writes the nodes, IRIs and names, then makes the last edges' lines
        edges = self._edges
        fork = edges._items is not None and len(edges) >= _FORK_MINIMUM
        split = int(len(edges) * _CHILD_EDGES) if fork else len(edges)
        with Forked(lambda: lines("edge", (edges[e] for e in range(split))), fork=fork) as child:
            offsets = {"node_offsets": lines("node", self._nodes), "iri_offsets": lines("iri", self.iris)}
            self._save_names(folder)
            tail = [encoded(edges[e]) for e in range(split, len(edges))]
            offsets["edge_offsets"] = positions = child.result()
        with open(folder / "edges.jsonl", "ab") as handle:
            handle.writelines(tail)
        for line in tail:
            positions.append(positions[-1] + len(line))
        for name in _ARRAYS:
            values = offsets.get(name) or getattr(self, name)
            write_npy(folder / f"{name}.npy", values if isinstance(values, array) else array(
                "q" if values.format == "q" else "i", values))
        (folder / "adjacency.json").write_text(json.dumps(self.meta, ensure_ascii=False), encoding="utf-8")

    def _save_names(self, folder: Path) -> None:
        if self._names is not None:
            entities, keys, aliases = self._names.parts()
            position = self.index
            by_index = sorted((position[e.id], e.label) for e in entities if e.id in position)
            (folder / "names.json").write_text(json.dumps({
                "labels": [label for _, label in by_index],
                "keys": {k: [position[i] for i in v if i in position] for k, v in keys.items()},
                "aliases": {merged: position[kept] for merged, kept in aliases.items() if kept in position},
            }, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def open(cls, folder) -> "Adjacency":
        """Map an adjacency written by :meth:`save`; :class:`DataError` if anything is missing or malformed.

        Besides each file's size, the values are checked (:func:`_check`), so
        a damaged entry is refused here rather than answering wrongly later.
        """
        folder = Path(folder)
        try:
            arrays = {name: read_npy(folder / f"{name}.npy") for name in _ARRAYS}
            with open_regular(folder / "adjacency.json") as handle:
                meta = json.loads(handle.read().decode("utf-8"))
            # IRIs are read again and again (a binary search reads 16 to find one): each is parsed once
            iris = _Lines(folder / "iris.jsonl", arrays["iri_offsets"], keep=True)
            nodes = _Lines(folder / "nodes.jsonl", arrays["node_offsets"])
            edges = _Lines(folder / "edges.jsonl", arrays["edge_offsets"])
        except (OSError, ValueError) as e:
            raise DataError(f"{folder}: unreadable adjacency: {e}") from None
        if not isinstance(meta, dict) or not all(isinstance(meta.get(k), t) for k, t in (
                ("kinds", list), ("classes", list), ("vocabulary", dict))):
            raise DataError(f"{folder}: inconsistent adjacency (adjacency.json)")
        broken = _check(arrays, meta, iris._data, {"iri_offsets": len(iris._data), "node_offsets": len(nodes._data),
                                                   "edge_offsets": len(edges._data)})
        if broken:
            raise DataError(f"{folder}: inconsistent adjacency ({broken})")
        names = folder / "names.json"
        if names.exists() and not names.is_file():
            raise DataError(f"{names}: not a regular file")
        return cls(arrays, meta, iris, nodes, edges, names_path=names if names.is_file() else None)

    # --- nodes ---------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.iris)

    @property
    def index(self) -> dict[str, int]:
        """IRI → node number."""
        if self._index is None:
            self._index = {iri: i for i, iri in enumerate(self.iris)}
        return self._index

    def __contains__(self, iri) -> bool:
        return self.index_of(iri) is not None

    @property
    def nodes(self) -> "_NodeView":
        """IRI → node attributes, as ``G.nodes`` of the projection (what :mod:`kg.i18n` reads)."""
        return _NodeView(self)

    @property
    def graph(self) -> dict:
        """The projection's graph attributes (``vocabulary`` ...), as ``G.graph``."""
        return self.meta.get("graph") or {"vocabulary": self.vocabulary}

    def index_of(self, iri) -> int | None:
        """The number of the node with this IRI, or None (a binary search: the IRIs are sorted)."""
        iri = str(iri)
        if not self.meta.get("sorted"):
            return self.index.get(iri)
        i = bisect_left(self.iris, iri)
        return i if i < len(self.iris) and self.iris[i] == iri else None

    def node(self, i: int) -> dict:
        """The attributes of node ``i`` (``iri``, ``label``, ``cls``, ``sources`` and its literal facts)."""
        found = self._node_cache.get(i)
        if found is None:
            try:
                found = _tuples(self._nodes[i])
            except AttributeError:
                raise self._damaged(f"node {i}") from None
            if found.get("iri", self.iris[i]) != self.iris[i]:  # its line and the IRI list disagree
                raise self._damaged(f"node {i}")
            self._node_cache[i] = found
        return found

    def cls(self, i: int) -> str:
        """The class (local name) of node ``i``."""
        return self.classes[self.node_cls[i]]

    @property
    def names(self):
        """The :class:`kg.names.NameIndex` of the entities (read on first use)."""
        if self._names is None:
            from kg.names import Entity, NameIndex

            if self._names_path is None:
                raise DataError("this adjacency carries no name index")
            try:
                with open_regular(self._names_path) as handle:
                    data = json.loads(handle.read().decode("utf-8"))
                labels, keys = data["labels"], data["keys"]
                entities = [Entity(labels[i], iri, self.cls(i)) for i, iri in enumerate(self.iris)]
                aliases = {merged: self.iris[i] for merged, i in data.get("aliases", {}).items()}
                self._names = NameIndex.from_parts(entities, {k: [self.iris[i] for i in v] for k, v in keys.items()},
                                                   aliases)
            except (OSError, ValueError, KeyError, IndexError, TypeError, DataError):
                raise self._damaged("name index") from None
        return self._names

    def resolve(self, name: str):
        """The :class:`kg.names.Entity` ``name`` denotes: an IRI or ``res:`` name directly, else by the name index."""
        from kg.iris import expand_curie

        i = self.index_of(expand_curie(name.strip()))
        if i is None:
            return self.names.resolve(name)
        from kg.names import Entity

        return Entity(self.node(i)["label"], self.iris[i], self.cls(i))

    # --- ties and edges ----------------------------------------------------

    def ties(self, i: int) -> list[tuple[int, int]]:
        """``(neighbour, pair)`` for every undirected tie of node ``i``, in the undirected view's order."""
        a, b = self.indptr[i], self.indptr[i + 1]
        return list(zip(self.indices[a:b].tolist(), self.slot_pair[a:b].tolist()))

    def refs(self, pair: int) -> list[int]:
        """The directed edges a pair of entities merges, sorted by (source, target, key)."""
        return self.pair_refs[self.pair_refptr[pair]:self.pair_refptr[pair + 1]].tolist()

    def pair(self, u: int, v: int) -> int | None:
        """The pair joining nodes ``u`` and ``v``, or None."""
        a, b = self.indptr[u], self.indptr[u + 1]
        if b - a > self.indptr[v + 1] - self.indptr[v]:
            u, v = v, u
            a, b = self.indptr[u], self.indptr[u + 1]
        try:
            return self.slot_pair[a + self.indices[a:b].tolist().index(v)]
        except ValueError:
            return None

    def edge(self, e: int) -> tuple:
        """Directed edge ``e`` as ``(source node, target node, key, attributes)``."""
        try:
            s, t, key, attrs = self._edges[e]
            return s, t, key, _tuples(attrs)
        except (TypeError, ValueError, AttributeError):
            raise self._damaged(f"edge {e}") from None

    def kind_bits(self, ok) -> int | None:
        """The bit mask of the kinds ``ok(kind)`` accepts; None when masks cannot tell (too many kinds)."""
        if len(self.kinds) > _MASK_BITS:
            return None
        return sum(1 << bit for bit, kind in enumerate(self.kinds) if ok(kind))

    def pair_ok(self, pair: int, bits: int | None, ok) -> bool:
        """Whether a pair carries at least one relation of an accepted kind."""
        if bits is not None:
            return bool(self.pair_mask[pair] & bits)
        return any(ok(self.kinds[self.edge_kind[e]]) for e in self.refs(pair))

    # --- back to networkx ---------------------------------------------------

    def to_networkx(self):
        """The projection as the networkx MultiDiGraph it was built from (same nodes, edges, keys, order)."""
        import networkx as nx

        G = nx.MultiDiGraph(**self.meta.get("graph", {"vocabulary": self.vocabulary}))
        for i, iri in enumerate(self.iris):
            G.add_node(iri, **self.node(i))
        iris = self.iris
        for e in range(len(self.edge_src)):
            s, t, key, attrs = self.edge(e)
            G.add_edge(iris[s], iris[t], key=key, **attrs)
        return G

"""Write the graph for other tools: GraphML, GEXF, node-link JSON, edges CSV and the RDF itself."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path

from kg.errors import BadInput

__all__ = ["FORMATS", "GRAPH_FORMATS", "RDF_FORMATS", "SUFFIXES", "CSV_COLUMNS",
           "export_bytes", "write_export", "clean_network", "atomic_write", "make_folder", "xml_safe"]

#: Formats of the networkx projection (for Gephi, Cytoscape, scripts).
GRAPH_FORMATS = ("graphml", "gexf", "json", "csv")
#: Formats of the RDF graph (ontology + data + derived shortcut triples), via rdflib.
RDF_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "nt": "nt"}
FORMATS = GRAPH_FORMATS + tuple(RDF_FORMATS)
#: The usual file suffix of each format.
SUFFIXES = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json", "csv": ".csv",
            "turtle": ".ttl", "jsonld": ".jsonld", "nt": ".nt"}
#: Columns of the edges CSV, in order.
CSV_COLUMNS = ("source", "source_label", "target", "target_label", "kind", "label", "sentence",
               "date", "start", "end", "amount", "currency", "amount_bound", "relation", "sources")


def make_folder(path) -> Path:
    """Make the folder ``path``, and its parents, unless it exists; return it.

    Raises
    ------
    BadInput
        If ``path`` is a file, or the folder cannot be made (no permission, a parent is a file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> make_folder(base / "a" / "b").is_dir()
    True
    >>> _ = (base / "f").write_text("x")
    >>> make_folder(base / "f")
    Traceback (most recent call last):
    kg.errors.BadInput: .../f: not a folder
    """
    folder = Path(path).expanduser()
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BadInput(f"{folder}: cannot create folder: {e.strerror or e}") from None
    return folder


def atomic_write(path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk,
    and the file is renamed over ``path`` (``os.replace``). A file that
    already exists keeps its permission bits (a 0600 file stays 0600); a new
    one gets the usual 0666 minus the umask. A symbolic link is followed: the
    file it points to is replaced (atomically, in that file's folder) and the
    link itself stays.

    Raises
    ------
    BadInput
        If the folder does not exist or cannot be written.

    Examples
    --------
    >>> import os, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(folder / "a.txt", "hello").read_text()
    'hello'
    >>> sorted(p.name for p in folder.iterdir())  # no temporary file left behind
    ['a.txt']
    >>> os.chmod(folder / "a.txt", 0o600)
    >>> os.symlink(folder / "a.txt", folder / "link.txt")
    >>> oct(atomic_write(folder / "link.txt", "again").stat().st_mode & 0o777), (folder / "a.txt").read_text()
    ('0o600', 'again')
    >>> (folder / "link.txt").is_symlink()
    True
    """
    given = Path(path).expanduser()
    path = Path(os.path.realpath(given)) if given.is_symlink() else given
    if isinstance(data, str):
        data = data.encode("utf-8")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BadInput(f"{given}: folder {folder} does not exist")
    if path.is_dir():
        raise BadInput(f"{given}: is a folder; give a file name")
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as e:
        raise BadInput(f"{given}: cannot write: {e.strerror or e}") from None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise BadInput(f"{given}: cannot write: {e.strerror or e}") from None
    try:
        os.fchmod(fd, mode)  # before any byte is written: a private file never shows its data to others
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise BadInput(f"{given}: cannot write: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return given


def _scalar(value):
    """A value GraphML and GEXF accept: lists joined with "; ", rdflib literals as plain text."""
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _uniform(items) -> None:
    """Make each attribute one type across all items (mixed types become text)."""
    types: dict[str, set] = {}
    for data in items:
        for key, value in data.items():
            types.setdefault(key, set()).add(type(value))
    for data in items:
        for key, value in list(data.items()):
            kinds = types[key]
            if len(kinds) == 1:
                continue
            if kinds <= {int, float}:
                data[key] = float(value)
            else:
                data[key] = str(value)


def clean_network(G):
    """A copy of the projection that every graph format can hold.

    Lists become "; "-joined strings, None values are dropped, rdflib
    literals become plain strings, each attribute has a single type, and
    the graph-level caches are left out.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("a", label="A", sources=["s1", "s2"], note=None)
    >>> clean_network(G).nodes["a"]
    {'label': 'A', 'sources': 's1; s2'}
    """
    import networkx as nx

    H = nx.MultiDiGraph(name="chips-kg")
    nodes = [(n, {k: _scalar(v) for k, v in d.items() if v is not None}) for n, d in G.nodes(data=True)]
    edges = [(u, v, k, {a: _scalar(b) for a, b in d.items() if b is not None})
             for u, v, k, d in G.edges(keys=True, data=True)]
    _uniform([d for _, d in nodes])
    _uniform([d for *_, d in edges])
    H.add_nodes_from(nodes)
    H.add_edges_from(edges)
    return H


#: What XML 1.0 cannot hold: most C0 controls, and U+FFFE/U+FFFF.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    r"""``text`` with each character XML 1.0 cannot hold replaced by U+FFFD (as SPARQL XML results do).

    Examples
    --------
    >>> xml_safe("ANSI\x1b[31m, a bell\x07, a tab\t") == "ANSI\ufffd[31m, a bell\ufffd, a tab\t"
    True
    """
    return _XML_BAD.sub("\ufffd", text)


def _xml_network(G):
    """:func:`clean_network` with every text attribute made :func:`xml_safe` (for GraphML and GEXF)."""
    H = clean_network(G)
    for data in [d for _, d in H.nodes(data=True)] + [d for *_, d in H.edges(keys=True, data=True)]:
        for key, value in data.items():
            if isinstance(value, str):
                data[key] = xml_safe(value)
    return H


def _graphml(G) -> bytes:
    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(_xml_network(G), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def _gexf(G) -> bytes:
    import networkx as nx

    H = _xml_network(G)
    for *_, data in H.edges(keys=True, data=True):
        # GEXF reserves "id", "label", "weight", "type" and "start"/"end" (dynamics) on edges.
        for reserved in ("start", "end"):
            if reserved in data:
                data[f"{reserved}_date"] = data.pop(reserved)
    for _, data in H.nodes(data=True):
        for reserved in ("start", "end"):
            if reserved in data:
                data[f"{reserved}_date"] = data.pop(reserved)
    buffer = io.BytesIO()
    nx.write_gexf(H, buffer, encoding="utf-8", prettyprint=True)
    # networkx stamps today's date; leave it out so the same graph gives the same file.
    return re.sub(rb' lastmodifieddate="[^"]*"', b"", buffer.getvalue(), count=1)


def _json(G) -> bytes:
    import networkx as nx

    H = nx.MultiDiGraph(name="chips-kg")
    H.add_nodes_from((n, {k: _plain(v) for k, v in d.items()}) for n, d in G.nodes(data=True))
    H.add_edges_from((u, v, k, {a: _plain(b) for a, b in d.items()}) for u, v, k, d in G.edges(keys=True, data=True))
    data = nx.node_link_data(H, edges="edges")
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _csv(G) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for u, v, _, d in G.edges(keys=True, data=True):
        row = {
            "source": u, "source_label": G.nodes[u].get("label", u),
            "target": v, "target_label": G.nodes[v].get("label", v),
            **{k: d.get(k) for k in CSV_COLUMNS if k in d},
            "sources": "; ".join(d.get("sources", [])),
        }
        writer.writerow(["" if row.get(c) is None else row[c] for c in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8")


def _rdf(graph, fmt: str) -> bytes:
    text = graph.serialize(format=RDF_FORMATS[fmt], encoding="utf-8")
    # rdflib writes N-Triples and JSON-LD in hash order; sort them for stable output.
    if fmt == "nt":
        lines = sorted(set(text.decode("utf-8").splitlines()) - {""})
        text = ("\n".join(lines) + "\n").encode("utf-8")
    elif fmt == "jsonld":
        text = _sorted_jsonld(json.loads(text))
    return text


def _sorted_jsonld(data) -> bytes:
    def key(value):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)

    def walk(value, ordered=False):
        if isinstance(value, dict):
            return {k: walk(v, ordered=(k == "@list")) for k, v in value.items()}
        if isinstance(value, list):
            items = [walk(v) for v in value]
            return items if ordered else sorted(items, key=key)  # an RDF list keeps its order
        return value

    return (json.dumps(walk(data), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def export_bytes(kg, fmt: str) -> bytes:
    """Serialise the graph in ``fmt`` and return the bytes (UTF-8).

    Parameters
    ----------
    kg : KnowledgeGraph
    fmt : {"graphml", "gexf", "json", "csv", "turtle", "jsonld", "nt"}
        ``graphml``/``gexf`` (Gephi, Cytoscape), ``json`` (networkx node-link)
        and ``csv`` (one row per edge) hold the networkx projection;
        ``turtle``, ``jsonld`` and ``nt`` hold the RDF graph as loaded:
        ontology, data and the derived shortcut triples.

    Raises
    ------
    BadInput
        If ``fmt`` is not one of :data:`FORMATS`.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> text = export_bytes(kg, "csv").decode()
    >>> text.splitlines()[0].split(",")[:5]
    ['source', 'source_label', 'target', 'target_label', 'kind']
    >>> len(text.splitlines()) - 1 == kg.network.number_of_edges()
    True
    """
    key = (fmt or "").strip().lower().replace("-", "")
    key = {"ttl": "turtle", "graphml": "graphml", "ntriples": "nt", "nodelink": "json"}.get(key, key)
    if key not in FORMATS:
        raise BadInput(f"unknown export format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if key in RDF_FORMATS:
        return _rdf(kg.graph, key)
    return {"graphml": _graphml, "gexf": _gexf, "json": _json, "csv": _csv}[key](kg.network)


def write_export(kg, fmt: str, output) -> Path:
    """Serialise the graph in ``fmt`` and write it to ``output`` atomically.

    Returns the path written. See :func:`export_bytes` for the formats and
    :func:`atomic_write` for how the file is replaced.
    """
    return atomic_write(output, export_bytes(kg, fmt))

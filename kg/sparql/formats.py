"""Write a query result in a W3C format (SPARQL results JSON/XML/CSV/TSV, or RDF for graphs)."""

from __future__ import annotations

import csv
import io
import json
import re

from rdflib import BNode, Graph, URIRef

from kg.errors import BadInput
from kg.sparql.run import QueryResult

__all__ = [
    "NotAcceptable",
    "serialize",
    "resolve_format",
    "format_for_path",
    "RESULT_FORMATS",
    "GRAPH_FORMATS",
    "MEDIA_TYPES",
    "with_labels",
    "select_json",
]


#: Formats for SELECT and ASK results (W3C SPARQL 1.1 results formats).
RESULT_FORMATS = ("json", "xml", "csv", "tsv")


#: Formats for CONSTRUCT and DESCRIBE results (RDF serialisations).
GRAPH_FORMATS = ("turtle", "jsonld", "nt", "rdfxml")


#: The media type of each format.
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}


# Names a user may type for a format; "json" and "xml" mean the results formats
# for SELECT/ASK and JSON-LD / RDF/XML for CONSTRUCT/DESCRIBE.
_RESULT_ALIASES = {
    "json": "json", "srj": "json", "sparql-results+json": "json",
    "xml": "xml", "srx": "xml", "sparql-results+xml": "xml",
    "csv": "csv", "tsv": "tsv",
}


_GRAPH_ALIASES = {
    "turtle": "turtle", "ttl": "turtle",
    "jsonld": "jsonld", "json-ld": "jsonld", "json": "jsonld",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "rdfxml": "rdfxml", "rdf+xml": "rdfxml", "rdf": "rdfxml", "xml": "rdfxml", "owl": "rdfxml",
}


_SUFFIX_FORMATS = {
    ".json": "json", ".srj": "json", ".xml": "xml", ".srx": "xml", ".csv": "csv", ".tsv": "tsv",
    ".ttl": "turtle", ".turtle": "turtle", ".jsonld": "jsonld", ".nt": "nt", ".rdf": "rdfxml",
}


class NotAcceptable(BadInput):
    """No format the client accepts fits the kind of query."""


def resolve_format(kind: str, fmt: str) -> str:
    """Return the canonical format for ``fmt`` and a result of ``kind``, or raise BadInput.

    Examples
    --------
    >>> resolve_format("select", "JSON"), resolve_format("construct", "json"), resolve_format("construct", "ttl")
    ('json', 'jsonld', 'turtle')
    >>> resolve_format("select", "turtle")
    Traceback (most recent call last):
    ...
    kg.sparql.NotAcceptable: format 'turtle' does not fit a SELECT query; use one of: json, xml, csv, tsv
    """
    key = fmt.strip().lower()
    graph = kind in ("construct", "describe")
    table = _GRAPH_ALIASES if graph else _RESULT_ALIASES
    if key in table:
        return table[key]
    choices = GRAPH_FORMATS if graph else RESULT_FORMATS
    known = key in _GRAPH_ALIASES or key in _RESULT_ALIASES
    why = f"does not fit a {kind.upper()} query" if known else "is unknown"
    raise NotAcceptable(f"format {fmt!r} {why}; use one of: {', '.join(choices)}")


def format_for_path(path) -> str | None:
    """The format a file name's suffix suggests (``.csv`` → csv, ``.ttl`` → turtle), or None."""
    from pathlib import Path

    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


def with_labels(result: QueryResult, label_of) -> QueryResult:
    """The SELECT ``result`` with a ``?xLabel`` column beside each column ``?x`` that holds named entities.

    ``label_of(term)`` gives an entity's name or None (a backend's
    :meth:`~kg.backend.Backend.labeller`). Other results come back unchanged.
    This is what ``kg sparql --name`` writes and the explorer's CSV downloads.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> result = kg.query("SELECT ?c WHERE { VALUES ?c { res:groq } }")
    >>> named = with_labels(result, kg.labeller(result))
    >>> named.vars, [str(t) for t in named.rows[0]]
    (['c', 'cLabel'], ['https://w3id.org/chipskg/id/groq', 'Groq'])
    """
    from dataclasses import replace

    from rdflib import Literal

    named = [i for i, _ in enumerate(result.vars)
             if any(isinstance(row[i], URIRef) and label_of(row[i]) for row in result.rows)]
    if result.kind != "select" or not named:
        return result
    order = [(i, False) for i in range(len(result.vars))]
    for i in reversed(named):
        order.insert(order.index((i, False)) + 1, (i, True))

    def value(row, i, label):
        term = row[i]
        if not label:
            return term
        text = label_of(term) if isinstance(term, URIRef) else None
        return Literal(text) if text else None

    return replace(result, vars=[result.vars[i] + ("Label" if label else "") for i, label in order],
                   rows=[tuple(value(row, i, label) for i, label in order) for row in result.rows])


def serialize(result: QueryResult, fmt: str) -> bytes:
    """Write ``result`` in ``fmt`` (see :func:`resolve_format`) as UTF-8 bytes.

    SELECT and ASK: ``json`` and ``xml`` (W3C SPARQL 1.1 results), ``csv``
    and ``tsv`` (W3C SPARQL 1.1 CSV/TSV; an ASK becomes one ``_askResult``
    column). CONSTRUCT and DESCRIBE: ``turtle``, ``jsonld``, ``nt``, ``rdfxml``.

    Examples
    --------
    >>> from kg.sparql import run_query
    >>> from kg import load
    >>> r = run_query(load(), "SELECT ?x ?y WHERE { VALUES (?x ?y) { (res:groq 'a, b') } }")
    >>> serialize(r, "csv").decode().splitlines()
    ['x,y', 'https://w3id.org/chipskg/id/groq,"a, b"']
    >>> serialize(r, "tsv").decode().split("\\n")[1].split("\\t")
    ['<https://w3id.org/chipskg/id/groq>', '"a, b"']
    """
    fmt = resolve_format(result.kind, fmt)
    if result.is_graph:
        graph = result.graph if result.graph is not None else Graph()
        rdflib_name = {"turtle": "turtle", "jsonld": "json-ld", "nt": "nt", "rdfxml": "xml"}[fmt]
        data = graph.serialize(format=rdflib_name, encoding="utf-8")
        return data if isinstance(data, bytes) else data.encode("utf-8")
    return {"json": _to_json, "xml": _to_xml, "csv": _to_csv, "tsv": _to_tsv}[fmt](result)


def _json_term(term) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None:
        out["datatype"] = str(term.datatype)
    return out


def select_json(source, checked, *, max_rows: int | None = None) -> bytes | None:
    """:func:`serialize` of :func:`kg.sparql.execute` in ``json``, written from Oxigraph's own terms, for a store's SELECT.

    The same bytes, without making an rdflib term of every value first
    (Graphcore's graph asked over ``--endpoint``, 861 rows: about 60 -> 35 ms
    on the endpoint). None for any other query or source: execute and
    serialize it instead.

    Examples
    --------
    >>> from kg import load
    >>> from kg.sparql import check_query
    >>> select_json(load(), check_query("SELECT * WHERE { ?s ?p ?o }")) is None  # files: no store
    True
    """
    from kg.sparql.run import _evaluate_in_store

    store = getattr(source, "store", None)
    if checked.kind != "select" or store is None or getattr(source, "remote", False):
        return None
    return _evaluate_in_store(store, checked, {}, max_rows, read=_solutions_json)


def _solutions_json(answer, kind: str, max_rows: int | None, started: float) -> bytes:
    """SPARQL JSON results of Oxigraph's ``answer`` to a SELECT, as :func:`_to_json` writes them."""
    from kg.sparql.run import _one_more_row

    names = [v.value for v in answer.variables]
    bindings, iris = [], {}
    for solution in answer:
        _one_more_row(len(bindings), max_rows)
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = _oxigraph_json_term(term, iris)
        bindings.append(row)
    return json.dumps({"head": {"vars": names}, "results": {"bindings": bindings}}, ensure_ascii=False).encode("utf-8")


def _oxigraph_json_term(term, iris: dict) -> dict:
    """:func:`_json_term` of :func:`kg.terms.to_rdflib` of ``term``; IRIs, blank nodes and strings written directly."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return {"type": "uri", "value": term.value}
    if kind == "BlankNode":
        return {"type": "bnode", "value": term.value}
    if term.language:
        return {"type": "literal", "value": term.value, "xml:lang": term.language}
    if term.datatype.value == _XSD_STRING:
        return {"type": "literal", "value": term.value}
    from kg.terms import to_rdflib

    return _json_term(to_rdflib(term, iris))  # other datatypes as rdflib writes them (a decimal gets its point)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _to_json(result: QueryResult) -> bytes:
    if result.kind == "ask":
        doc = {"head": {}, "boolean": bool(result.boolean)}
    else:
        doc = {
            "head": {"vars": list(result.vars)},
            "results": {
                "bindings": [
                    {var: _json_term(value) for var, value in zip(result.vars, row) if value is not None}
                    for row in result.rows
                ]
            },
        }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(_XML_BAD.sub("\ufffd", text))


def _xml_attr(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(_XML_BAD.sub("\ufffd", text))


def _to_xml(result: QueryResult) -> bytes:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n  <head>']
    if result.kind == "ask":
        out.append("</head>\n")
        out.append(f"  <boolean>{'true' if result.boolean else 'false'}</boolean>\n</sparql>\n")
        return "".join(out).encode("utf-8")
    out.append("\n")
    for var in result.vars:
        out.append(f"    <variable name={_xml_attr(var)}/>\n")
    out.append("  </head>\n  <results>\n")
    for row in result.rows:
        out.append("    <result>\n")
        for var, term in zip(result.vars, row):
            if term is None:
                continue
            out.append(f"      <binding name={_xml_attr(var)}>")
            if isinstance(term, URIRef):
                out.append(f"<uri>{_xml_text(str(term))}</uri>")
            elif isinstance(term, BNode):
                out.append(f"<bnode>{_xml_text(str(term))}</bnode>")
            else:
                attrs = ""
                if term.language:
                    attrs = f" xml:lang={_xml_attr(term.language)}"
                elif term.datatype is not None:
                    attrs = f" datatype={_xml_attr(str(term.datatype))}"
                out.append(f"<literal{attrs}>{_xml_text(str(term))}</literal>")
            out.append("</binding>\n")
        out.append("    </result>\n")
    out.append("  </results>\n</sparql>\n")
    return "".join(out).encode("utf-8")


def _to_csv(result: QueryResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if result.kind == "ask":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
    else:
        writer.writerow(result.vars)
        for row in result.rows:
            writer.writerow(["" if t is None else (f"_:{t}" if isinstance(t, BNode) else str(t)) for t in row])
    return buffer.getvalue().encode("utf-8")


def _tsv_term(term) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return term.n3().replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _to_tsv(result: QueryResult) -> bytes:
    if result.kind == "ask":
        return f"?_askResult\n{'true' if result.boolean else 'false'}\n".encode("utf-8")
    lines = ["\t".join(f"?{v}" for v in result.vars)]
    lines += ["\t".join(_tsv_term(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")

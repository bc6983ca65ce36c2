"""Write a query result in a W3C format (SPARQL results JSON/XML/CSV/TSV, or RDF for graphs)."""

from __future__ import annotations

import csv
import io
import json
import re
from functools import lru_cache

from rdflib import BNode, Graph, URIRef

from kg.errors import BadInput
from kg.export import xml_safe
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
    "label_columns",
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


def with_labels(result: QueryResult, label_of, query) -> QueryResult:
    """The SELECT ``result`` with a ``?xLabel`` column beside each column ``?x`` of :func:`label_columns` of ``query``.

    ``label_of(term)`` gives a term's name or None (a backend's
    :meth:`~kg.backend.Backend.labeller`); ``query`` is what ``result``
    answers (text, a :class:`~kg.sparql.SavedQuery` or a checked query). The
    columns come from the query, not from the rows: the header is the same
    whatever the parameters, the backend or the rows found. Other results come
    back unchanged. This is what ``kg sparql --name`` writes and the
    explorer's CSV downloads.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> query = "SELECT ?c ?zh WHERE { VALUES ?c { res:nvidia } ?c rdfs:label ?zh FILTER(LANG(?zh) = 'zh') }"
    >>> named = with_labels(kg.query(query), kg.labeller(), query)
    >>> named.vars, [str(t) for t in named.rows[0]]
    (['c', 'cLabel', 'zh'], ['https://w3id.org/chipskg/id/nvidia', 'Nvidia', '英伟达'])
    >>> nobody = query.replace("res:nvidia", "res:nobody")
    >>> with_labels(kg.query(nobody), kg.labeller(), nobody).vars  # no row: the same header
    ['c', 'cLabel', 'zh']
    """
    from dataclasses import replace

    from rdflib import Literal

    named = set(label_columns(query))
    if result.kind != "select" or not named:
        return result
    order = []  # (column, whether it is the name of that column's terms)
    for i, var in enumerate(result.vars):
        order += [(i, False), (i, True)] if var in named else [(i, False)]

    def value(row, i, label):
        term = row[i]
        if not label:
            return term
        text = label_of(term) if isinstance(term, URIRef) else None
        return Literal(text) if text else None

    return replace(result, vars=[result.vars[i] + ("Label" if label else "") for i, label in order],
                   rows=[tuple(value(row, i, label) for i, label in order) for row in result.rows])


def label_columns(query) -> list[str]:
    """The columns of a SELECT that can hold an IRI, as the query reads (never as its rows are): what gets a name.

    A variable can hold an IRI when a triple pattern has it as subject or
    predicate, or as object of a property whose values are not literals (an
    ``owl:DatatypeProperty`` of the ontology, or a label or comment of RDFS,
    SKOS or OWL), or when ``VALUES`` gives it an IRI. A property path reads
    as its steps do.

    Examples
    --------
    >>> label_columns("SELECT ?round ?company ?series ?tops WHERE { ?round chips:fundedCompany ?company ; "
    ...               "chips:series ?series . OPTIONAL { ?chip chips:topsTera ?tops } }")
    ['round', 'company']
    >>> label_columns("SELECT ?x ?o ?n WHERE { ?x (^chips:founder)/chips:founded ?o ; rdfs:label ?n }")
    ['x', 'o']
    """
    from rdflib import URIRef, Variable
    from rdflib.plugins.sparql.parserutils import CompValue

    from kg.sparql.check import CheckedQuery, _walk, check_query

    checked = query if isinstance(query, CheckedQuery) else check_query(getattr(query, "text", query))
    iris: set[str] = set()
    for node in _walk(checked.query.algebra):
        if not isinstance(node, CompValue):
            continue
        for triple in dict.get(node, "triples") or ():
            if len(triple) != 3:
                continue
            s, p, o = triple
            for term, may in ((s, _subject_may_be_iri(p)), (p, True), (o, _object_may_be_iri(p))):
                if may and isinstance(term, Variable):
                    iris.add(str(term))
        if node.name == "values":
            iris.update(str(v) for row in node["res"] for v, term in row.items() if isinstance(term, URIRef))
    return [column for column in checked.columns if column in iris]


def _object_may_be_iri(path) -> bool:
    """Whether the object of ``path`` (a property, a path, a variable) can be an IRI."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    if isinstance(path, URIRef):
        return path not in _literal_valued()
    if isinstance(path, InvPath):
        return _subject_may_be_iri(path.arg)
    if isinstance(path, SequencePath):
        return _object_may_be_iri(path.args[-1])
    if isinstance(path, AlternativePath):
        return any(_object_may_be_iri(p) for p in path.args)
    if isinstance(path, MulPath):
        return path.zero or _object_may_be_iri(path.path)  # zero steps: the object is the subject
    return True


def _subject_may_be_iri(path) -> bool:
    """Whether the subject of ``path`` can be an IRI: always, but for an inverse path (``^p``)."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    if isinstance(path, InvPath):
        return _object_may_be_iri(path.arg)
    if isinstance(path, SequencePath):
        return _subject_may_be_iri(path.args[0])
    if isinstance(path, AlternativePath):
        return any(_subject_may_be_iri(p) for p in path.args)
    if isinstance(path, MulPath):
        return path.zero or _subject_may_be_iri(path.path)
    return True


@lru_cache(maxsize=1)
def _literal_valued() -> frozenset:
    """Properties whose values are literals: the datatype properties of the bundled ontology, labels and comments."""
    from rdflib import OWL, RDF, RDFS
    from rdflib.namespace import SKOS

    from kg.loader import ontology_graph

    return frozenset(ontology_graph().subjects(RDF.type, OWL.DatatypeProperty)) | {
        RDFS.label, RDFS.comment, SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition, OWL.versionInfo}


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
        if fmt == "rdfxml":
            graph = _xml_safe_graph(graph)
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


def _solutions_json(answer, checked, max_rows: int | None, started: float) -> bytes:
    """SPARQL JSON results of Oxigraph's ``answer`` to a SELECT, as :func:`_to_json` writes them."""
    from kg.sparql.run import _one_more_row

    names = list(checked.columns)
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


def _xml_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(xml_safe(text))


def _xml_attr(text: str) -> str:
    from xml.sax.saxutils import quoteattr

    return quoteattr(xml_safe(text))


def _xml_safe_graph(graph: Graph) -> Graph:
    """``graph`` with every literal :func:`kg.export.xml_safe` (RDF/XML is XML 1.0); itself if none needs it."""
    from rdflib import Literal

    def safe(term):
        if isinstance(term, Literal) and xml_safe(str(term)) != str(term):
            return Literal(xml_safe(str(term)), lang=term.language, datatype=term.datatype)
        return term

    if not any(safe(o) is not o for o in graph.objects()):
        return graph
    out = Graph()
    for prefix, namespace in graph.namespaces():
        out.bind(prefix, namespace, override=True)
    for s, p, o in graph:
        out.add((s, p, safe(o)))
    return out


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

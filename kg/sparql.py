"""Run SPARQL over the knowledge graph: read-only, offline, with a time limit and a row cap.

Queries are parsed first (:func:`check_query`) so that nothing unsafe ever
reaches rdflib's evaluator: SPARQL Update, federated ``SERVICE`` calls and
``FROM``/``FROM NAMED`` datasets (which rdflib would download) are refused.
The project's prefixes (:data:`kg.vocab.PREFIXES`) are pre-declared; a
query's own ``PREFIX`` lines win. Saved questions live in ``kg/queries/*.rq``
(:func:`saved_queries`), each with a comment header naming its parameters.

Examples
--------
>>> from kg import load
>>> result = run_query(load(), "ASK { res:graphcore a chips:Startup }")
>>> result.kind, result.boolean
('ask', True)
>>> print(serialize(result, "json").decode())
{"head": {}, "boolean": true}
"""

from __future__ import annotations

import csv
import ctypes
import difflib
import io
import json
import re
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Iterator, Mapping

from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import RDF, RDFS

from kg.errors import BadInput, KGError, QueryError, QueryRefused, QueryTimeout
from kg.vocab import CHIPS, PREFIXES, bind_prefixes

__all__ = [
    "QueryResult",
    "SavedQuery",
    "Param",
    "TooManyRows",
    "NotAcceptable",
    "check_query",
    "execute",
    "run_query",
    "serialize",
    "resolve_format",
    "format_for_path",
    "saved_queries",
    "saved_query",
    "parse_term",
    "compact",
    "RESULT_FORMATS",
    "GRAPH_FORMATS",
    "MEDIA_TYPES",
    "DEFAULT_TIMEOUT",
    "MAX_QUERY_CHARS",
    "MAX_NESTING",
    "canonical_text",
]

#: Seconds a query may run when the caller gives no limit of its own (CLI default).
DEFAULT_TIMEOUT = 30.0

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

_KINDS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}


class TooManyRows(QueryTimeout):
    """A query returned more rows (or triples) than the cap allows."""


class NotAcceptable(BadInput):
    """No format the client accepts fits the kind of query."""


# ---------------------------------------------------------------------------
# Checking a query
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedQuery:
    """A query that parsed and passed the safety checks.

    ``kind`` is ``"select"``, ``"ask"``, ``"construct"`` or ``"describe"``;
    ``query`` is rdflib's translated query (algebra), ready to evaluate;
    ``variables`` holds the names of every variable the query mentions.
    """

    text: str
    kind: str
    query: Any = field(repr=False)
    variables: frozenset = field(default=frozenset(), repr=False)


def check_query(text: str, *, prefixes: Mapping[str, str] | None = None) -> CheckedQuery:
    """Parse ``text`` as a SPARQL 1.1 query and refuse what a read-only, offline engine won't do.

    Parameters
    ----------
    text : str
        The query. Prefixes of :data:`kg.vocab.PREFIXES` need no declaration.
    prefixes : mapping, optional
        Prefixes to pre-declare instead of the project's.

    Returns
    -------
    CheckedQuery

    Raises
    ------
    QueryError
        The text is not a valid query; the message gives line and column.
    QueryRefused
        The text is a SPARQL Update, calls ``SERVICE``, names a dataset
        with ``FROM`` / ``FROM NAMED``, is longer than :data:`MAX_QUERY_CHARS`
        or nests brackets deeper than :data:`MAX_NESTING`.

    Notes
    -----
    The query is judged as the engine that runs it reads it: the text is
    first rewritten by :func:`canonical_text` (comments, carriage returns and
    codepoint escapes made unambiguous), the checks run on that text, and
    ``CheckedQuery.text`` holds it: run that, never the text given.

    Examples
    --------
    >>> check_query("SELECT ?s WHERE { ?s a chips:Startup }").kind
    'select'
    >>> check_query("SELECT ?s WHERE {\\n  ?s a chips:Startup")
    Traceback (most recent call last):
    ...
    kg.errors.QueryError: line 2, column 21: expected '}' or more of the pattern, found end of text
    >>> check_query("DELETE WHERE { ?s ?p ?o }")
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: SPARQL Update (DELETE WHERE) is refused: the graph is read-only
    >>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: SERVICE <http://example.org/sparql> is refused: federated queries would make outbound requests
    """
    if not isinstance(text, str):
        raise BadInput(f"a query must be text, not {type(text).__name__}")
    if not text.strip():
        raise QueryError("the query is empty")
    key = (text, None if prefixes is None else tuple(sorted(prefixes.items())))
    cached = _CHECKED.get(key)
    if cached is None:
        if len(text) > MAX_QUERY_CHARS:
            raise QueryRefused(f"the query is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,} are accepted")
        cached = _check(canonical_text(text), prefixes)
        if len(_CHECKED) >= 256:  # keep the most recent queries only
            _CHECKED.pop(next(iter(_CHECKED)))
        _CHECKED[key] = cached
    return cached


#: Queries already checked (rdflib's translated queries can be evaluated again and again).
_CHECKED: dict = {}


def _check(text: str, prefixes) -> CheckedQuery:
    import pyparsing
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery

    _check_nesting(text)
    try:
        parsed = parseQuery(text)
    except pyparsing.ParseBaseException as e:
        _refuse_if_update(text, e)
        raise QueryError(_parse_message(text, e)) from None
    except RecursionError:
        raise QueryRefused(f"the query nests too deeply to parse (at most {MAX_NESTING} brackets deep)") from None
    except Exception as e:  # rdflib raises plain exceptions for a few lexical errors
        raise QueryError(f"malformed query: {_one_line(e)}") from None
    _refuse_remote(parsed)
    _refuse_service_word(text)
    try:
        query = translateQuery(parsed, initNs=dict(PREFIXES if prefixes is None else prefixes))
    except Exception as e:
        raise QueryError(_translate_message(text, e)) from None
    kind = _KINDS.get(query.algebra.name)
    if kind is None:  # pragma: no cover - the grammar admits only the four forms
        raise QueryError(f"unsupported query form {query.algebra.name}")
    variables = frozenset(str(n) for n in _walk(parsed) if isinstance(n, Variable) and not str(n).startswith("__"))
    return CheckedQuery(text=text, kind=kind, query=query, variables=variables)


#: Longest query accepted, in characters: rdflib's parser is slow on long texts.
MAX_QUERY_CHARS = 32_000
#: Deepest nesting of ``( { [`` accepted: rdflib's recursive parser fails not far beyond.
MAX_NESTING = 12


def _check_nesting(text: str) -> None:
    """Refuse a query nested too deeply for rdflib's recursive parser, before parsing it."""
    depth = deepest = 0
    for char in _blank(text):
        if char in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")}]":
            depth -= 1
    if deepest > MAX_NESTING:
        raise QueryRefused(f"the query nests brackets {deepest} deep; at most {MAX_NESTING} are accepted")


def _refuse_service_word(text: str) -> None:
    """Refuse ``SERVICE`` written anywhere outside strings and IRIs, whatever the parse tree says."""
    word = re.search(r"(?<![\w?$:@-])SERVICE(?![\w:-])", _blank(text), re.IGNORECASE)
    if word:
        line, col = _line_col(text, word.start())
        raise QueryRefused(f"line {line}, column {col}: SERVICE is refused: federated queries would make outbound requests")


def _walk(node) -> Iterator:
    """Yield every node of a parse tree (CompValues, lists, terms)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        if isinstance(item, CompValue):
            stack.extend(dict.values(item))
        elif isinstance(item, (list, tuple, ParseResults)):
            stack.extend(item)


def _refuse_remote(parsed) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    for node in _walk(parsed):
        if not isinstance(node, CompValue):
            continue
        if node.name == "ServiceGraphPattern":
            term = dict.get(node, "term")
            where = f"SERVICE <{term}>" if isinstance(term, URIRef) else "SERVICE"
            raise QueryRefused(f"{where} is refused: federated queries would make outbound requests")
        if node.name == "DatasetClause":
            iri = dict.get(node, "default") or dict.get(node, "named")
            keyword = "FROM NAMED" if dict.get(node, "named") is not None else "FROM"
            raise QueryRefused(
                f"{keyword} <{iri}> is refused: queries run over the loaded data only "
                "(remove the FROM clause)"
            )


_UPDATE_NAMES = {
    "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT", "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP",
    "Create": "CREATE", "Add": "ADD", "Move": "MOVE", "Copy": "COPY",
}
_UPDATE_WORD = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*\S+|BASE\s*\S+)\s*)*"
    r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)


def _refuse_if_update(text: str, query_error) -> None:
    """Raise QueryRefused when ``text`` is (or clearly tries to be) a SPARQL Update."""
    import pyparsing
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        update = parseUpdate(text)
    except pyparsing.ParseBaseException as e:
        if e.loc > query_error.loc or _UPDATE_WORD.match(_blank(text)):
            raise QueryRefused("SPARQL Update is refused: the graph is read-only") from None
        return
    except Exception:
        return
    requests = list(dict.get(update, "request") or [])
    if requests:
        kinds = ", ".join(dict.fromkeys(_UPDATE_NAMES.get(r.name, r.name) for r in requests))
        raise QueryRefused(f"SPARQL Update ({kinds}) is refused: the graph is read-only")




def _line_col(text: str, loc: int) -> tuple[int, int]:
    line = text.count("\n", 0, loc) + 1
    col = loc - (text.rfind("\n", 0, loc) + 1) + 1
    return line, col


def _parse_message(text: str, error) -> str:
    # pyparsing reports where the rule it backtracked to began; add what is found there
    # and, for the commonest slips (an unclosed string or brace), say so.
    blank = _blank(text)
    quote = re.search(r"[\"']", blank)
    if quote:
        line, col = _line_col(text, quote.start())
        return f"line {line}, column {col}: unterminated string"
    loc = min(max(error.loc, 0), len(text))
    line, col = _line_col(text, loc)
    rest = text[loc:].lstrip()
    if not rest:
        found = "end of text"
        line, col = _line_col(text, len(text.rstrip()))
    else:
        found = repr(re.match(r"\S+", rest).group(0)[:30])
    balance = blank.count("{") - blank.count("}")
    if balance > 0:
        expected = "expected '}' or more of the pattern"
    elif balance < 0:
        expected = "unbalanced '}'"
    else:
        msg = re.sub(r"^Expected\s+", "", str(getattr(error, "msg", "") or ""))
        if "SelectQuery | ConstructQuery" in msg:
            expected = "expected SELECT, CONSTRUCT, DESCRIBE or ASK"
        elif re.fullmatch(r"(Select|Construct|Describe|Ask)Query", msg) or not msg:
            expected = "syntax error"
        else:
            expected = f"expected {msg}"
    return f"line {line}, column {col}: {expected}, found {found}"


_LEXEMES = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')'
    r'|(?P<iri><[^<>"{}|^`\\\s]*>)'
    r"|(?P<comment>#[^\n]*)"
)


def _blank(text: str) -> str:
    """``text`` with strings and IRIs turned to ``_`` and comments to spaces, offsets kept.

    Examples
    --------
    >>> _blank('SELECT * { ?s <http://x/#a> "}#" } # note')
    'SELECT * { ?s _____________ ____ }       '
    """

    def repl(match):
        fill = " " if match.lastgroup == "comment" else "_"
        return re.sub(r"[^\n]", fill, match.group(0))

    return _LEXEMES.sub(repl, text)



# One token of SPARQL's lexical grammar as Oxigraph reads it: a string, an IRI, a comment
# (which ends at CR or LF), or any other character.
_TOKENS = re.compile(
    r'(?P<string>"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n\r]|\\.)*"|\'(?:[^\'\\\n\r]|\\.)*\')'
    r'|(?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)'
    r"|(?P<comment>#[^\r\n]*)"
    r"|(?P<cr>\r\n?)",
    re.S,
)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_ANY_CODEPOINT = re.compile(r"\\u[0-9a-f]{4}", re.I)  # what rdflib expands anywhere in a query
_IRI_BAD = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_STRING_ESCAPES = {'"': '\\"', "'": "\\'", "\\": "\\\\", "\n": "\\n", "\r": "\\r"}


def canonical_text(text: str) -> str:
    """Rewrite a query so that every SPARQL parser reads the same tokens from it.

    rdflib (which checks a query) and Oxigraph (which runs it on a store)
    disagree on the lexical details: a ``#`` comment ends at ``\\n`` for
    rdflib but at ``\\r`` for Oxigraph, and rdflib expands ``\\uXXXX``
    escapes everywhere before parsing while Oxigraph expands them inside
    strings and IRIs only. Text one of them reads as a comment the other could
    run as a ``SERVICE`` call. So, reading the text as Oxigraph does:
    comments become spaces, carriage returns become line feeds (or spaces
    before a line feed), and codepoint escapes in strings and IRIs become the
    characters they stand for. Offsets of everything but escapes are kept,
    so error positions still point into the text the user wrote.

    Raises
    ------
    QueryRefused
        A codepoint escape is left outside a string or IRI (or stands for
        ``\\u`` itself): the two parsers would read different queries.
    QueryError
        An escape in an IRI stands for a character IRIs may not hold.

    Examples
    --------
    >>> canonical_text('ASK { # note\\r?s ?p "caf\\\\u00e9" }')
    'ASK {       \\n?s ?p "café" }'
    >>> canonical_text('ASK { \\\\u003Fs ?p ?o }')
    Traceback (most recent call last):
    ...
    kg.errors.QueryRefused: line 1, column 7: a \\u escape outside a string or IRI is refused (write the character itself)
    """

    def token(match) -> str:
        kind, found = match.lastgroup, match.group(0)
        if kind == "comment":
            return " " * len(found)
        if kind == "cr":
            return " \n" if found == "\r\n" else "\n"
        if kind == "iri":
            decoded = _CODEPOINT.sub(_codepoint, found)
            if _IRI_BAD.search(decoded[1:-1]):
                raise QueryError(f"the IRI {found} holds an escaped character IRIs may not contain")
            return decoded
        quote = 3 if found[:3] in ('"""', "'''") else 1
        body = found[quote:-quote]
        if "\\" in body or "\r" in body:
            body = _reescape(body)
        return found[:quote] + body + found[:quote]

    canonical = _TOKENS.sub(token, text)
    left = _ANY_CODEPOINT.search(canonical)
    if left:
        line, col = _line_col(canonical, left.start())
        raise QueryRefused(f"line {line}, column {col}: a \\u escape outside a string or IRI is refused "
                           "(write the character itself)")
    return canonical


def _reescape(body: str) -> str:
    """A string literal's body with codepoint escapes decoded and written back as plain SPARQL."""
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            match = _CODEPOINT.match(body, i)
            if match:
                value = _codepoint(match)
                out.append(_STRING_ESCAPES.get(value, value))
                i = match.end()
                continue
            out.append(body[i:i + 2])  # an ordinary escape such as \" or \n
            i += 2
            continue
        out.append("\\r" if char == "\r" else char)
        i += 1
    return "".join(out)


def _codepoint(match) -> str:
    value = int(match.group(1) or match.group(2), 16)
    if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        raise QueryError(f"the escape {match.group(0)} stands for no Unicode character")
    return chr(value)


def _translate_message(text: str, error: Exception) -> str:
    message = _one_line(error)
    unknown = re.match(r"Unknown namespace prefix : (\S*)", message)
    if unknown:
        prefix = unknown.group(1)
        known = ", ".join(sorted(PREFIXES))
        hit = re.search(rf"(?<![\w:]){re.escape(prefix)}:", _blank(text))
        where = ""
        if hit:
            line, col = _line_col(text, hit.start())
            where = f"line {line}, column {col}: "
        return f"{where}unknown prefix '{prefix}:' (declare it with PREFIX; pre-declared: {known})"
    return f"malformed query: {message}"


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


# ---------------------------------------------------------------------------
# Running a query
# ---------------------------------------------------------------------------


@dataclass
class QueryResult:
    """What a query returned.

    Attributes
    ----------
    kind : str
        ``"select"``, ``"ask"``, ``"construct"`` or ``"describe"``.
    vars : list of str
        The projected variables of a SELECT, in order.
    rows : list of tuple
        The SELECT solutions; each holds an rdflib term or None (unbound) per variable.
    boolean : bool or None
        The answer of an ASK.
    graph : rdflib.Graph or None
        The triples of a CONSTRUCT or DESCRIBE.
    elapsed : float
        Seconds spent evaluating.
    """

    kind: str
    vars: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    elapsed: float = 0.0

    def __len__(self) -> int:
        """Rows of a SELECT, triples of a CONSTRUCT/DESCRIBE, 1 for an ASK."""
        if self.kind == "select":
            return len(self.rows)
        if self.kind == "ask":
            return 1
        return len(self.graph) if self.graph is not None else 0

    @property
    def is_graph(self) -> bool:
        """True for CONSTRUCT and DESCRIBE results."""
        return self.kind in ("construct", "describe")

    @property
    def empty(self) -> bool:
        """True when a SELECT has no row or a CONSTRUCT/DESCRIBE no triple."""
        return self.kind != "ask" and len(self) == 0

    def records(self) -> list[dict]:
        """The SELECT rows as dicts of Python values (unbound variables left out).

        IRIs and blank nodes become strings; literals their Python value
        (numbers, dates, booleans) or their text.

        Examples
        --------
        >>> from kg import load
        >>> r = run_query(load(), "SELECT ?n WHERE { VALUES ?n { 1 'two' res:x } }")
        >>> r.records()
        [{'n': 1}, {'n': 'two'}, {'n': 'https://w3id.org/chipskg/id/x'}]
        """
        return [
            {var: _python(value) for var, value in zip(self.vars, row) if value is not None}
            for row in self.rows
        ]

    def column(self, var: str) -> list:
        """The values of one variable, as in :meth:`records` (None where unbound)."""
        i = self.vars.index(var)
        return [None if row[i] is None else _python(row[i]) for row in self.rows]


def _python(term):
    if isinstance(term, Literal):
        value = term.toPython()
        return value if not isinstance(value, Literal) else str(term)
    return str(term)


def run_query(
    source,
    query,
    *,
    params: Mapping[str, Any] | None = None,
    timeout: float | None = None,
    max_rows: int | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run a SPARQL query (text, a :class:`SavedQuery` or its name) and return its result.

    Parameters
    ----------
    source : KnowledgeGraph or rdflib.Graph
        What to query; a KnowledgeGraph is queried through its ``graph``.
    query : str or SavedQuery
        The query text, or a saved query (see :func:`saved_queries`).
    params : mapping, optional
        Values for variables, bound before evaluation. For a saved query they
        are checked against its declared parameters (an ``entity`` parameter
        takes any name or alias of an entity). For a text query a value is
        an rdflib term, or text read by :func:`parse_term`.
    timeout : float, optional
        Seconds the evaluation may take; :class:`kg.errors.QueryTimeout` past it.
    max_rows : int, optional
        Most rows (or triples) allowed; :class:`TooManyRows` beyond.
    prefixes : mapping, optional
        Prefixes to pre-declare instead of the project's.

    Raises
    ------
    QueryError, QueryRefused
        See :func:`check_query`.
    BadInput
        A parameter is unknown, missing or malformed.
    UnknownEntity, AmbiguousEntity
        An entity parameter names no entity, or several.
    QueryTimeout
        The time limit or the row cap was reached.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> r = run_query(kg, "SELECT ?label WHERE { ?c rdfs:label ?label FILTER(lang(?label) = 'zh') }",
    ...               params={"c": "res:nvidia"})
    >>> r.column("label")
    ['英伟达']
    >>> r = run_query(kg, "investors", params={"company": "Groq"})
    >>> [iri.rsplit("/", 1)[-1] for iri in r.column("investor")]
    ['dan-sundheim', 'tiger-global-management']
    """
    if isinstance(query, str) and _looks_like_name(query):
        query = saved_query(query)
    if isinstance(query, SavedQuery):
        bindings = query.bind(params or {}, source=source)
        checked = check_query(query.text, prefixes=prefixes)
    else:
        checked = check_query(query, prefixes=prefixes)
        bindings = {}
        for name, value in (params or {}).items():
            key = str(name).lstrip("?$")
            if key not in checked.variables:
                raise BadInput(f"parameter {key!r}: the query has no variable ?{key}")
            bindings[key] = value if isinstance(value, (URIRef, Literal, BNode)) else parse_term(str(value), prefixes)
    return execute(source, checked, bindings=bindings, timeout=timeout, max_rows=max_rows)


def execute(source, checked: CheckedQuery, *, bindings: Mapping[str, Any] | None = None,
            timeout: float | None = None, max_rows: int | None = None) -> QueryResult:
    """Evaluate a query already checked by :func:`check_query`, with terms bound to variables.

    Examples
    --------
    >>> from kg import load
    >>> execute(load(), check_query("SELECT * WHERE { ?s ?p ?o }"), max_rows=5)
    Traceback (most recent call last):
    ...
    kg.sparql.TooManyRows: the query returned more than 5 rows; add LIMIT or narrow it
    """
    if max_rows is not None and max_rows < 0:
        raise BadInput(f"max_rows must be 0 or more, not {max_rows}")
    bindings = dict(bindings or {})
    store = getattr(source, "store", None)  # a kg.store.StoreKnowledgeGraph: run inside Oxigraph
    if store is not None:
        def work() -> QueryResult:
            return _evaluate_in_store(store, checked, bindings, max_rows)
    else:
        graph, _ = _graph_and_names(source)

        def work() -> QueryResult:
            return _evaluate(graph, checked, bindings, max_rows)

    if timeout is None:
        return work()
    if timeout <= 0:
        raise BadInput(f"timeout must be more than 0 seconds, not {timeout:g}")
    return _call_with_timeout(work, timeout)


def _evaluate_in_store(store, checked: CheckedQuery, bindings: dict, max_rows: int | None) -> QueryResult:
    """Evaluate inside an Oxigraph store (:class:`kg.store.KGStore`): same result, far faster at scale."""
    import pyoxigraph as ox

    from kg.terms import to_oxigraph, to_rdflib

    started = time.perf_counter()
    substitutions = {ox.Variable(name): to_oxigraph(term) for name, term in bindings.items()}
    try:
        answer = store.store.query(checked.text, prefixes=dict(PREFIXES), substitutions=substitutions)
    except (SyntaxError, OSError) as e:
        raise QueryError(f"the query could not be evaluated: {_one_line(e)}") from None
    # Oxigraph's results belong to this thread: dropped on another (say, carried there by the
    # traceback of TooManyRows) they cannot be freed, and a server worker's memory grows with
    # every query. So they are dropped here, and an error leaves without its traceback.
    try:
        return _store_result(answer, checked.kind, max_rows, started)
    except BaseException as e:
        raise e.with_traceback(None)
    finally:
        del answer


def _store_result(answer, kind: str, max_rows: int | None, started: float) -> QueryResult:
    from kg.store import to_rdflib

    iris: dict = {}
    if kind == "ask":
        return QueryResult("ask", boolean=bool(answer), elapsed=time.perf_counter() - started)
    if kind in ("construct", "describe"):
        graph = Graph()
        for count, t in enumerate(answer, start=1):
            if max_rows is not None and count > max_rows:
                raise TooManyRows(f"the query returned more than {max_rows} triples; narrow it")
            graph.add((to_rdflib(t.subject, iris), to_rdflib(t.predicate, iris), to_rdflib(t.object, iris)))
        return QueryResult(kind, graph=graph, elapsed=time.perf_counter() - started)
    names = [v.value for v in answer.variables]
    rows = []
    for solution in answer:
        if max_rows is not None and len(rows) >= max_rows:
            raise TooManyRows(f"the query returned more than {max_rows} rows; add LIMIT or narrow it")
        rows.append(tuple(None if solution[n] is None else to_rdflib(solution[n], iris) for n in names))
    return QueryResult("select", vars=names, rows=rows, elapsed=time.perf_counter() - started)


def _looks_like_name(text: str) -> bool:
    """True for a saved query's name (``investors``), which no SPARQL query can be."""
    return re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text.strip()) is not None


def _graph_and_names(source):
    graph = getattr(source, "graph", source)
    if not isinstance(graph, Graph):
        raise BadInput(f"cannot query a {type(source).__name__}: give a KnowledgeGraph or an rdflib Graph")
    return graph, getattr(source, "names", None)


def _evaluate(graph: Graph, checked: CheckedQuery, bindings: dict, max_rows: int | None) -> QueryResult:
    try:
        return _evaluate_unchecked(graph, checked, bindings, max_rows)
    except (KGError, MemoryError):
        raise
    except Exception as e:  # rdflib fails on some valid queries; say so in one line
        message = _one_line(e)
        hint = ""
        if "not supported between instances" in message:
            hint = " (rdflib cannot ORDER BY an expression that is unbound in some rows: wrap it in COALESCE(..., \"\"))"
        raise QueryError(f"the query could not be evaluated: {type(e).__name__}: {message}{hint}") from None


def _evaluate_unchecked(graph: Graph, checked: CheckedQuery, bindings: dict, max_rows: int | None) -> QueryResult:
    start = time.perf_counter()
    result = graph.query(checked.query, initBindings=bindings)
    out = QueryResult(kind=checked.kind)
    if checked.kind == "select":
        out.vars = [str(v) for v in (result.vars or [])]
        rows = []
        for row in result:
            rows.append(tuple(row))
            if max_rows is not None and len(rows) > max_rows:
                raise TooManyRows(f"the query returned more than {max_rows:,} rows; add LIMIT or narrow it")
        out.rows = rows
    elif checked.kind == "ask":
        out.boolean = bool(result.askAnswer)
    else:
        triples = result.graph
        if max_rows is not None and len(triples) > max_rows:
            raise TooManyRows(f"the query returned more than {max_rows:,} triples; narrow it")
        out.graph = bind_prefixes(triples)
    out.elapsed = time.perf_counter() - start
    return out


#: Name of the thread a query with a time limit runs in.
QUERY_THREAD = "kg-sparql-query"


class _Cancelled(BaseException):
    """Raised inside a query thread to stop it (a BaseException, so rdflib's handlers let it through)."""


def _call_with_timeout(func, timeout: float, *, stop=None):
    """Run ``func`` in a thread; past ``timeout`` seconds stop it and raise QueryTimeout.

    ``stop``, if given, is polled while waiting: the query stops as soon as it
    returns True. rdflib evaluates in pure Python, so an exception set asynchronously in the
    thread stops it at its next bytecode. It is set again until the thread
    ends, in case a bare ``except:`` in rdflib swallows one.
    """
    box: dict = {}

    def target():
        try:
            try:
                box["value"] = func()
            except _Cancelled:
                box["cancelled"] = True
            except BaseException as e:  # handed to the caller below
                box["error"] = e
            finally:
                box["ended"] = True
        except _Cancelled:  # a second one, set while the query was already ending
            pass

    thread = threading.Thread(target=target, name=QUERY_THREAD, daemon=True)
    thread.start()
    if stop is None:
        thread.join(timeout)
    else:  # also stop when asked to
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline and not stop():
            thread.join(min(0.02, max(0.0, deadline - time.monotonic())))
    if thread.is_alive():
        give_up = time.monotonic() + 5.0
        while thread.is_alive() and "ended" not in box and time.monotonic() < give_up:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(_Cancelled))
            thread.join(0.05)
        thread.join(0.1)
        raise QueryTimeout(f"the query ran past the time limit of {timeout:g} s; narrow it or add LIMIT")
    if "error" in box:
        raise box["error"]
    if "cancelled" in box:  # pragma: no cover - only when cancelled after the join returned
        raise QueryTimeout(f"the query ran past the time limit of {timeout:g} s")
    return box["value"]


# ---------------------------------------------------------------------------
# Terms and parameters
# ---------------------------------------------------------------------------


def parse_term(text: str, prefixes: Mapping[str, str] | None = None):
    """Read a parameter value: ``<iri>``, ``prefix:name``, a number, true/false, ``"text"@lang``, or plain text.

    Examples
    --------
    >>> parse_term("res:groq")
    rdflib.term.URIRef('https://w3id.org/chipskg/id/groq')
    >>> parse_term("42").toPython(), parse_term("Groq")
    (42, rdflib.term.Literal('Groq'))
    >>> parse_term('"格罗克"@zh')
    rdflib.term.Literal('格罗克', lang='zh')
    """
    from rdflib.namespace import XSD

    prefixes = PREFIXES if prefixes is None else prefixes
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return URIRef(text[1:-1])
    if re.fullmatch(r"https?://\S+", text):
        return URIRef(text)
    prefixed = re.fullmatch(r"([A-Za-z][\w.-]*)?:([\w.-]*)", text)
    if prefixed and (prefixed.group(1) or "") in prefixes:
        return URIRef(prefixes[prefixed.group(1) or ""] + prefixed.group(2))
    if re.fullmatch(r"[+-]?\d+", text):
        return Literal(text, datatype=XSD.integer)
    if re.fullmatch(r"[+-]?\d*\.\d+", text):
        return Literal(text, datatype=XSD.decimal)
    if text in ("true", "false"):
        return Literal(text, datatype=XSD.boolean)
    quoted = re.fullmatch(r'"(.*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*))?', text, re.S)
    if quoted:
        return Literal(quoted.group(1), lang=quoted.group(2))
    return Literal(text)


def compact(term, prefixes: Mapping[str, str] | None = None) -> str:
    """Write an IRI with the project's prefixes where one fits, else in angle brackets.

    Examples
    --------
    >>> compact(URIRef("https://w3id.org/chipskg/id/groq"))
    'res:groq'
    >>> compact(URIRef("http://example.org/x"))
    '<http://example.org/x>'
    """
    prefixes = PREFIXES if prefixes is None else prefixes
    if isinstance(term, URIRef):
        text = str(term)
        best = max((ns for ns in prefixes.values() if text.startswith(ns)), key=len, default=None)
        if best is not None:
            local = text[len(best):]
            if re.fullmatch(r"[\w][\w.-]*|", local) and not local.endswith("."):
                prefix = next(p for p, ns in prefixes.items() if ns == best)
                return f"{prefix}:{local}"
        return f"<{text}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


#: Types a saved query's parameter can have.
PARAM_TYPES = ("entity", "source", "iri", "string", "integer", "decimal", "date", "year", "boolean")


@dataclass(frozen=True)
class Param:
    """One declared parameter of a saved query."""

    name: str
    type: str
    description: str = ""
    optional: bool = False
    default: str | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name, "type": self.type, "description": self.description,
            "optional": self.optional, "default": self.default,
        }


@dataclass(frozen=True)
class SavedQuery:
    """A saved question: a ``.rq`` file of ``kg/queries`` with its comment header.

    The header is the leading comment block::

        # title: Investors of a company
        # description: Every investor of a company, with the round, date and amount.
        # param: company entity  The company (any name or alias)
        # param: year integer optional  Only rounds of this year
        # example: company=Groq

    A parameter line gives the name (the query variable bound), a type from
    :data:`PARAM_TYPES`, then ``optional`` or ``default=VALUE`` if so, and
    after two spaces a description.

    A value is bound to its variable before evaluation (rdflib's
    ``initBindings``), so it holds everywhere in the query. Use a parameter's
    variable in required triple patterns, or only in a ``FILTER`` such as
    ``FILTER(!BOUND(?year) || ...)``: inside an ``OPTIONAL`` a pre-bound
    variable would let rows through that do not match it. An optional
    parameter left out leaves its variable free, so the query answers for
    everything, as it does when run from the query page.
    """

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    examples: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "name": self.name, "title": self.title, "description": self.description,
            "params": [p.as_dict() for p in self.params], "examples": list(self.examples),
            "text": self.text,
        }

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        declared = ", ".join(p.name for p in self.params) or "none"
        raise BadInput(f"query {self.name!r} has no parameter {name!r} (its parameters: {declared})")

    def bind(self, values: Mapping[str, Any], *, source=None) -> dict:
        """Check ``values`` against the declared parameters and return the bindings.

        Raises :class:`BadInput` for an unknown, missing or malformed value,
        and :class:`kg.errors.UnknownEntity` for an entity name that matches nothing.

        Examples
        --------
        >>> from kg import load
        >>> saved_query("investors").bind({"company": "拟未科技"}, source=load())
        {'company': rdflib.term.URIRef('https://w3id.org/chipskg/id/graphcore')}
        """
        values = {str(k).lstrip("?$"): v for k, v in values.items()}
        for key in values:
            self.param(key)
        bindings = {}
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                if p.optional:
                    continue
                raise BadInput(
                    f"query {self.name!r} needs --param {p.name}=VALUE ({p.type}: {p.description})"
                )
            bindings[p.name] = _convert(p, raw, source)
        return bindings


def _convert(p: Param, raw, source):
    from rdflib.namespace import XSD

    if isinstance(raw, (URIRef, Literal)):
        return raw
    text = str(raw).strip()
    if not text:
        raise BadInput(f"parameter {p.name!r} is empty")
    if p.type == "entity":
        return _resolve_entity(text, source)
    if p.type == "source":
        return _resolve_source(text, source)
    if p.type == "iri":
        term = parse_term(text)
        if not isinstance(term, URIRef):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not an IRI (write <...> or prefix:name)")
        return term
    if p.type == "string":
        return Literal(text)
    if p.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a whole number")
        return Literal(int(text))
    if p.type == "decimal":
        try:
            return Literal(Decimal(text), datatype=XSD.decimal)
        except InvalidOperation:
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a number") from None
    if p.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a date (YYYY-MM-DD)")
        return Literal(text, datatype=XSD.date)
    if p.type == "year":
        if not re.fullmatch(r"\d{4}", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a year (YYYY)")
        return Literal(int(text))
    if p.type == "boolean":
        lowered = text.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not true or false")
        return Literal(lowered in ("true", "yes", "1"))
    raise BadInput(f"parameter {p.name!r} has unknown type {p.type!r}")  # pragma: no cover


def _resolve_entity(text: str, source) -> URIRef:
    term = parse_term(text)
    if isinstance(term, URIRef) and (source is None or not hasattr(source, "names")):
        return term
    if source is None:
        raise BadInput(f"cannot look up the entity {text!r} without a graph")
    names = getattr(source, "names", None)
    if names is None:
        from kg.names import NameIndex

        names = NameIndex(getattr(source, "graph", source))
    if isinstance(term, URIRef):
        text = str(term)
    return names.resolve(text).iri


def _resolve_source(text: str, source) -> URIRef:
    """A source by IRI, ``src:`` name, local name or words of its label."""
    from kg.names import normalize

    graph = getattr(source, "graph", source)
    sources = sorted(set(graph.subjects(RDF.type, CHIPS.Source))) if graph is not None else []
    term = parse_term(text)
    if isinstance(term, URIRef) and (not sources or term in sources):
        return term
    key = normalize(text)
    exact, partial = [], []
    for s in sources:
        names = [str(s).rsplit("/", 1)[-1]] + [str(o) for o in graph.objects(s, RDFS.label)]
        keys = [normalize(n) for n in names]
        if key in keys:
            exact.append(s)
        elif any(key in k for k in keys):
            partial.append(s)
    found = exact or partial
    if len(found) == 1:
        return found[0]
    local_names = [str(s).rsplit("/", 1)[-1] for s in (found or sources)]
    if not found:
        hint = difflib.get_close_matches(text, local_names, n=3, cutoff=0.3) or local_names[:5]
        raise BadInput(f"no source named {text!r}; sources: {', '.join(hint)}")
    raise BadInput(f"{text!r} could be several sources: {', '.join(local_names[:10])}")


# ---------------------------------------------------------------------------
# Saved queries
# ---------------------------------------------------------------------------

_HEADER_KEYS = ("title", "description", "param", "example")


def _parse_saved(name: str, text: str) -> SavedQuery:
    fields: dict[str, list[str]] = {k: [] for k in _HEADER_KEYS}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        body = line[1:].strip()
        match = re.match(r"(\w+):\s*(.*)$", body)
        if match and match.group(1) in _HEADER_KEYS:
            last = match.group(1)
            fields[last].append(match.group(2).strip())
        elif body and last in ("title", "description"):
            fields[last][-1] += " " + body
        elif body:
            last = None
    if not fields["title"]:
        raise BadInput(f"saved query {name!r} has no '# title:' line")
    params = tuple(_parse_param(name, spec) for spec in fields["param"])
    return SavedQuery(
        name=name,
        title=fields["title"][0],
        description=" ".join(fields["description"]),
        params=params,
        text=text,
        examples=tuple(fields["example"]),
    )


def _parse_param(query: str, spec: str) -> Param:
    parts = re.split(r"\s{2,}", spec.strip(), maxsplit=1)
    description = parts[1] if len(parts) > 1 else ""
    words = parts[0].split()
    if len(words) < 2 or words[1] not in PARAM_TYPES:
        raise BadInput(f"saved query {query!r}: bad parameter line {spec!r} (want: NAME TYPE [optional|default=V]  description)")
    optional, default = False, None
    for word in words[2:]:
        if word == "optional":
            optional = True
        elif word.startswith("default="):
            default = word[len("default="):]
        else:
            raise BadInput(f"saved query {query!r}: bad parameter option {word!r} in {spec!r}")
    return Param(words[0], words[1], description.strip(), optional or default is not None, default)


_SAVED: list[SavedQuery] | None = None


def saved_queries() -> list[SavedQuery]:
    """Return the saved questions shipped in ``kg/queries``, sorted by name.

    Examples
    --------
    >>> qs = saved_queries()
    >>> len(qs) >= 12 and all(q.title and q.description for q in qs)
    True
    >>> [p.name for p in saved_query("investors").params]
    ['company', 'investor']
    """
    global _SAVED
    if _SAVED is None:
        from importlib.resources import files

        folder = files("kg") / "queries"
        found = []
        for entry in folder.iterdir():
            if entry.name.endswith(".rq"):
                found.append(_parse_saved(entry.name[:-3], entry.read_text(encoding="utf-8")))
        _SAVED = sorted(found, key=lambda q: q.name)
    return list(_SAVED)


def saved_query(name: str) -> SavedQuery:
    """Return the saved query called ``name``; :class:`BadInput` with suggestions if none is.

    Examples
    --------
    >>> saved_query("investors").title
    'Investors of a company'
    >>> saved_query("investor")
    Traceback (most recent call last):
    ...
    kg.errors.BadInput: no saved query named 'investor'; did you mean: investors, co-investors? (see: kg queries)
    """
    queries = {q.name: q for q in saved_queries()}
    key = name.strip()
    if key.endswith(".rq"):
        key = key[:-3]
    if key in queries:
        return queries[key]
    close = difflib.get_close_matches(key, list(queries), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise BadInput(f"no saved query named {name!r}{hint} (see: kg queries)")


# ---------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------


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


def serialize(result: QueryResult, fmt: str) -> bytes:
    """Write ``result`` in ``fmt`` (see :func:`resolve_format`) as UTF-8 bytes.

    SELECT and ASK: ``json`` and ``xml`` (W3C SPARQL 1.1 results), ``csv``
    and ``tsv`` (W3C SPARQL 1.1 CSV/TSV; an ASK becomes one ``_askResult``
    column). CONSTRUCT and DESCRIBE: ``turtle``, ``jsonld``, ``nt``, ``rdfxml``.

    Examples
    --------
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

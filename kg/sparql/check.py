"""Judge a SPARQL query before anything runs it: read-only, no SERVICE, no FROM, bounded size and nesting.

The text is canonicalised (:func:`canonical_text`) so that the parser that checks it reads exactly what
the engine that runs it (rdflib or Oxigraph) will read.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from rdflib import Literal, URIRef, Variable

from kg.errors import BadInput, QueryError, QueryRefused
from kg.vocab import PREFIXES

__all__ = [
    "check_query",
    "projected",
    "unknown_terms",
    "MAX_QUERY_CHARS",
    "MAX_NESTING",
    "canonical_text",
]


_KINDS = {"SelectQuery": "select", "AskQuery": "ask", "ConstructQuery": "construct", "DescribeQuery": "describe"}


@dataclass(frozen=True)
class CheckedQuery:
    """A query that parsed and passed the safety checks.

    ``kind`` is ``"select"``, ``"ask"``, ``"construct"`` or ``"describe"``;
    ``query`` is rdflib's translated query (algebra), ready to evaluate;
    ``variables`` holds the names of every variable the query mentions;
    ``columns`` those a SELECT projects, in order: the head of its results on
    every backend, whatever the rows hold (:func:`projected`).
    """

    text: str
    kind: str
    query: Any = field(repr=False)
    variables: frozenset = field(default=frozenset(), repr=False)
    columns: tuple = field(default=(), repr=False)


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
        with quiet_rdflib():
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
    _refuse_huge_integers(parsed)
    try:
        with quiet_rdflib():
            query = translateQuery(parsed, initNs=dict(PREFIXES if prefixes is None else prefixes))
    except Exception as e:
        raise QueryError(_translate_message(text, e)) from None
    kind = _KINDS.get(query.algebra.name)
    if kind is None:  # pragma: no cover - the grammar admits only the four forms
        raise QueryError(f"unsupported query form {query.algebra.name}")
    variables = frozenset(str(n) for n in _walk(parsed) if isinstance(n, Variable) and not str(n).startswith("__"))
    columns = projected(query.algebra, star=dict.get(parsed[1], "projection") is None) if kind == "select" else ()
    return CheckedQuery(text=text, kind=kind, query=query, variables=variables, columns=columns)


def projected(algebra, *, star: bool = False) -> tuple[str, ...]:
    """The variables a SELECT projects, in order; for ``SELECT *`` its in-scope variables, sorted.

    SPARQL leaves the order of ``SELECT *`` open: rdflib gives its variables in
    an order that changes from run to run (and counts those of ``FILTER`` and
    ``MINUS``, which are not in scope), Oxigraph sorts them. Sorted, they are
    the same on every backend and every run.

    Examples
    --------
    >>> check_query("SELECT ?s ?c WHERE { ?s a ?c }").columns
    ('s', 'c')
    >>> check_query("SELECT * WHERE { ?s a ?c FILTER NOT EXISTS { ?s ?p ?o } BIND(1 AS ?b) }").columns
    ('b', 'c', 's')
    """
    if not star:
        return tuple(str(v) for v in algebra["PV"])
    node = algebra
    while node.name != "Project":  # Slice, Distinct, OrderBy ... above the pattern
        node = node["p"]
    return tuple(sorted(_in_scope(node["p"])))


def _in_scope(node) -> set[str]:
    """The variables a graph pattern of rdflib's algebra binds (SPARQL 1.1, 18.2.1): not those of a FILTER or MINUS."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if not isinstance(node, CompValue):
        return set()
    if node.name == "BGP":
        return {str(t) for triple in node["triples"] for t in triple if isinstance(t, Variable)}
    if node.name == "Project":  # a subquery
        return {str(v) for v in node["PV"]}
    if node.name == "values":
        return {str(v) for row in node["res"] for v in row}
    found = _in_scope(dict.get(node, "p")) | _in_scope(dict.get(node, "p1"))
    if node.name != "Minus":
        found |= _in_scope(dict.get(node, "p2"))
    for bound in (dict.get(node, "var"), dict.get(node, "term")):  # BIND ... AS ?var, GRAPH ?term
        if isinstance(bound, Variable):
            found.add(str(bound))
    return found


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


class _Quiet(logging.Filter):
    """Drops what rdflib logs about terms (with a traceback) in the threads inside :func:`quiet_rdflib`."""

    def __init__(self):
        super().__init__()
        self.threads: set = set()

    def filter(self, record) -> bool:
        return record.thread not in self.threads


_QUIET = _Quiet()
logging.getLogger("rdflib.term").addFilter(_QUIET)


@contextmanager
def quiet_rdflib():
    """Silence rdflib's warnings about terms in this thread (an ill-typed literal, an IRI with a space).

    rdflib logs them with its own traceback; the caller judges the terms
    and says what is wrong in one line. Other threads still log.
    """
    me = threading.get_ident()
    if me in _QUIET.threads:  # already quiet (nested)
        yield
        return
    _QUIET.threads.add(me)
    try:
        yield
    finally:
        _QUIET.threads.discard(me)


def _refuse_huge_integers(parsed) -> None:
    """An integer longer than Python converts (4,300 digits by default) is refused: rdflib cannot compute with it."""
    limit = sys.get_int_max_str_digits() or None
    for node in _walk(parsed):
        if isinstance(node, Literal) and limit and node.ill_typed and re.fullmatch(r"[+-]?\d+", node):
            digits = len(node.lstrip("+-"))
            if digits > limit:
                raise QueryError(f"the query holds an integer of {digits:,} digits; at most {limit:,} are read")


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


def unknown_terms(checked: CheckedQuery) -> list[str]:
    """A sentence for each ``chips:`` term the query names that the ontology does not define.

    Such a term matches nothing, so the query quietly finds no rows; the
    sentence says so and names the closest term, if one is close.

    Examples
    --------
    >>> unknown_terms(check_query("SELECT ?i WHERE { ?i chips:investedInn ?c ; a chips:InvestmentFirm }"))
    ['chips:investedInn is not a term of the ontology, so it matches nothing (did you mean chips:investedIn?)']
    """
    import difflib

    from kg._chips_terms import CHIPS

    namespace, known = PREFIXES["chips"], set(CHIPS.__annotations__)
    named = {str(t)[len(namespace):] for t in _walk_terms(checked.query.algebra)
             if isinstance(t, URIRef) and str(t).startswith(namespace)}
    found = []
    for name in sorted(named - known):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        found.append(f"chips:{name} is not a term of the ontology, so it matches nothing"
                     + (f" (did you mean chips:{close[0]}?)" if close else ""))
    return found


def _walk_terms(node) -> Iterator:
    """Every node of a translated query, property paths' steps included (:func:`_walk` stops at a path)."""
    from rdflib.paths import Path

    for item in _walk(node):
        if isinstance(item, Path):
            yield from _walk_terms([getattr(item, name, None) for name in ("args", "arg", "path")])
        else:
            yield item


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

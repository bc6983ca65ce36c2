"""Run a checked query on a graph or an Oxigraph store, with a time limit and a row cap (:class:`QueryResult`)."""

from __future__ import annotations

import ctypes
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from rdflib import BNode, Graph, Literal, URIRef, Variable

from kg.errors import BadInput, KGError, QueryError, QueryTimeout
from kg.sparql.check import CheckedQuery, _blank, _one_line, check_query
from kg.sparql.saved import SavedQuery, parse_term, saved_query
from kg.vocab import PREFIXES, bind_prefixes

__all__ = [
    "QueryResult",
    "TooManyRows",
    "execute",
    "run_query",
    "DEFAULT_TIMEOUT",
]


#: Seconds a query may run when the caller gives no limit of its own (CLI default).
DEFAULT_TIMEOUT = 30.0


class TooManyRows(QueryTimeout):
    """A query returned more rows (or triples) than the cap allows."""


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
    if getattr(source, "remote", False):  # a kg.remote.RemoteKnowledgeGraph: the endpoint runs it
        return source.query(checked.text, params=bindings, timeout=timeout, max_rows=max_rows)
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


def _evaluate_in_store(store, checked: CheckedQuery, bindings: dict, max_rows: int | None, read=None):
    """Evaluate inside an Oxigraph store (:class:`kg.store.KGStore`): same result, far faster at scale.

    ``read(answer, checked, max_rows, started)`` makes the answer of Oxigraph's
    results (by default :func:`_store_result`, a :class:`QueryResult`).
    """
    import pyoxigraph as ox

    from kg.terms import to_oxigraph, to_rdflib

    started = time.perf_counter()
    terms = {name: to_oxigraph(term) for name, term in bindings.items()}
    text, terms = _inline(checked.text, checked.kind, terms)
    substitutions = {ox.Variable(name): term for name, term in terms.items()}
    try:
        answer = store.store.query(text, prefixes=dict(PREFIXES), substitutions=substitutions)
    except (SyntaxError, OSError, RuntimeError) as e:  # RocksDB reports a damaged store as a RuntimeError
        raise QueryError(f"the query could not be evaluated: {_one_line(e)}") from None
    # Oxigraph's results belong to this thread: dropped on another (say, carried there by the
    # traceback of TooManyRows) they cannot be freed, and a server worker's memory grows with
    # every query. So they are dropped here, and an error leaves without its traceback.
    try:
        return (read or _store_result)(answer, checked, max_rows, started)
    except (OSError, RuntimeError) as e:  # a damaged store found while reading the results
        failure = f"the query could not be evaluated: {_one_line(e)}"
    except BaseException as e:
        raise e.with_traceback(None)
    finally:
        del answer
    raise QueryError(failure)


def _inline(text: str, kind: str, terms: dict) -> tuple[str, dict]:
    """Write the bound IRIs and literals into a SELECT or ASK's pattern; return it and the terms left to substitute.

    Oxigraph plans its joins before it looks at substituted values, so a bound company
    was joined last (1.6 s on a million triples, 2 ms written in). Each ``?name`` of the
    top-level group becomes the term, serialised by Oxigraph from the parsed term (never
    the user's text), and ``BIND(term AS ?name)`` at the group's end keeps the column:
    the substitution of SEP-0007, which Oxigraph's ``substitutions`` follow (so
    ``BOUND(?name)`` is ``true``; Oxigraph substitutes only projected variables, this
    any). A variable in a subquery, named by ``VALUES`` or ``AS``, a query with
    ``SERVICE``, and blank nodes (a variable in a pattern) keep the substitution.

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> _inline("SELECT ?s WHERE { ?s ?p ?o }", "select", {"s": ox.NamedNode("urn:x")})
    ('SELECT ?s WHERE { <urn:x> ?p ?o  BIND(<urn:x> AS ?s) }', {})
    >>> _inline("SELECT ?p { ?s ?p ?o FILTER(!BOUND($s) || ?s != ?o) }", "select", {"s": ox.Literal("x")})[0]
    'SELECT ?p { "x" ?p ?o FILTER(!true || "x" != ?o)  BIND("x" AS ?s) }'
    >>> text, left = _inline("SELECT ?s { ?s ?p ?o BIND(1 AS ?o) }", "select", {"o": ox.Literal("x")})
    >>> text, list(left)
    ('SELECT ?s { ?s ?p ?o BIND(1 AS ?o) }', ['o'])
    >>> _inline("SELECT * { { SELECT ?s { ?s ?p ?o } } ?s ?q ?t }", "select", {"s": ox.Literal("x")})[1]
    {'s': <Literal value=x datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#string>>}
    >>> _inline("SELECT * { { SELECT ?s { ?s ?p ?o } } ?s ?q ?t }", "select", {"t": ox.Literal("x")})[0]
    'SELECT * { { SELECT ?s { ?s ?p ?o } } ?s ?q "x"  BIND("x" AS ?t) }'
    """
    import pyoxigraph as ox

    blank = _blank(text)
    start = blank.find("{")
    if kind not in ("select", "ask") or start < 0 or re.search(r"(?i)\bSERVICE\b", blank):
        return text, terms
    opened, subqueries, end = [], [], None
    for m in re.finditer(r"(?i)[{}]|\bSELECT\b", blank[start:]):
        if m.group(0) == "{":
            opened.append([m.start(), False])
        elif m.group(0) == "}":
            at, is_subquery = opened.pop()
            if is_subquery:
                subqueries.append((at, m.end()))
            if not opened:
                end = start + m.start()
                break
        elif opened:
            opened[-1][1] = True
    if end is None:
        return text, terms
    left, group, added = {}, text[start:end], ""
    for name, term in terms.items():
        token = re.compile(rf"[?$]{re.escape(name)}(?![\w\u00b7\u0300-\u036f\u203f\u2040])")
        body = _blank(group)
        fixed = [m.group(0) for m in re.finditer(r"(?i)\bAS\s*[?$][\w\u00b7]+|\bVALUES\s*(?:[?$][\w\u00b7]+|\([^)]*\))", body)]
        if (not isinstance(term, (ox.NamedNode, ox.Literal)) or any(token.search(f) for f in fixed)
                or any(token.search(body, a, b) for a, b in subqueries)):
            left[name] = term
            continue
        bound = re.compile(rf"(?i)\bBOUND\s*\(\s*{token.pattern}\s*\)")
        spans = [(m.span(), "true") for m in bound.finditer(body)]
        spans += [(m.span(), str(term)) for m in token.finditer(bound.sub(lambda m: "_" * len(m.group(0)), body))]
        for (a, b), written in sorted(spans, reverse=True):
            group = group[:a] + written + group[b:]
        added += f" BIND({term} AS ?{name})"
    if not added:
        return text, left
    return text[:start] + group + added + " " + text[end:], left


def _store_result(answer, checked: CheckedQuery, max_rows: int | None, started: float) -> QueryResult:
    from kg.store import to_rdflib

    iris: dict = {}
    kind = checked.kind
    if kind == "ask":
        return QueryResult("ask", boolean=bool(answer), elapsed=time.perf_counter() - started)
    if kind in ("construct", "describe"):
        graph = Graph()
        for count, t in enumerate(answer, start=1):
            if max_rows is not None and count > max_rows:
                raise TooManyRows(f"the query returned more than {max_rows} triples; narrow it")
            graph.add((to_rdflib(t.subject, iris), to_rdflib(t.predicate, iris), to_rdflib(t.object, iris)))
        return QueryResult(kind, graph=graph, elapsed=time.perf_counter() - started)
    names = list(checked.columns)
    rows = []
    for solution in answer:
        _one_more_row(len(rows), max_rows)
        rows.append(tuple(None if solution[n] is None else to_rdflib(solution[n], iris) for n in names))
    return QueryResult("select", vars=names, rows=rows, elapsed=time.perf_counter() - started)


def in_columns(names: list[str], columns) -> list[int | None]:
    """Where each of ``columns`` is among an engine's result variables ``names`` (None: not there, so unbound).

    Examples
    --------
    >>> in_columns(["o", "s", "p"], ["s", "p", "o", "x"])
    [1, 2, 0, None]
    """
    index = {name: i for i, name in enumerate(names)}
    return [index.get(column) for column in columns]


def _one_more_row(rows: int, max_rows: int | None) -> None:
    """Raise :class:`TooManyRows` when a result holding ``rows`` rows may take no more."""
    if max_rows is not None and rows >= max_rows:
        raise TooManyRows(f"the query returned more than {max_rows} rows; add LIMIT or narrow it")


def _looks_like_name(text: str) -> bool:
    """True for a saved query's name (``investors``), which no SPARQL query can be."""
    return re.fullmatch(r"[a-z0-9][a-z0-9_-]*", text.strip()) is not None


def _graph_and_names(source):
    graph = getattr(source, "graph", source)
    if not isinstance(graph, Graph):
        raise BadInput(f"cannot query a {type(source).__name__}: give a KnowledgeGraph or an rdflib Graph")
    return graph, getattr(source, "names", None)


def _no_named_graphs(ctx, part):
    """``GRAPH`` on a graph that has no named graphs (the loaded files) matches nothing, as in a store.

    rdflib raises instead ("requiring a dataset"): an rdflib custom evaluation
    (``CUSTOM_EVALS``) answers for it; every other pattern is left to rdflib.
    """
    if part.name == "Graph" and getattr(ctx, "_dataset", None) is None:
        return iter(())
    raise NotImplementedError


def _install_evaluations() -> None:
    """Hand rdflib's evaluation :func:`_no_named_graphs`; done on the first query rdflib runs, as importing its
    SPARQL engine costs a third of a second that a question answered by Oxigraph or the cache never pays."""
    from rdflib.plugins.sparql import CUSTOM_EVALS

    CUSTOM_EVALS["kg-no-named-graphs"] = _no_named_graphs


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
    from kg.terms import canonical

    _install_evaluations()
    start = time.perf_counter()
    result = graph.query(checked.query, initBindings=bindings)
    out = QueryResult(kind=checked.kind)
    if checked.kind == "select":
        # the query's columns (rdflib orders SELECT * anew on every run); a decimal it computes written as a store does
        out.vars = list(checked.columns)
        at = in_columns([str(v) for v in result.vars or ()], out.vars)
        rows = []
        for row in result:
            rows.append(tuple(None if i is None else canonical(row[i]) for i in at))
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


def _call_with_timeout(func, timeout: float, *, stop=None, linger: float = 5.0):
    """Run ``func`` in a thread; past ``timeout`` seconds stop it and raise QueryTimeout.

    ``stop``, if given, is polled while waiting: the query stops as soon as it
    returns True. rdflib evaluates in pure Python, so an exception set asynchronously in the
    thread stops it at its next bytecode. It is set again until the thread
    ends (for at most ``linger`` seconds), in case a bare ``except:`` in rdflib swallows one.
    Oxigraph cannot be stopped inside a query: its thread may outlive the call.
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
        give_up = time.monotonic() + linger
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

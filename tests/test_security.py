"""Issue 13: hostile queries and hostile data files, tried against real stores, files and a loopback listener."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from kg.errors import QueryError, QueryRefused
from kg.store import StoreKnowledgeGraph, build_store
from kg.synth import synthesize


class Listener:
    """A TCP server on 127.0.0.1 that counts the connections made to it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()

    def contacted_since(self, before: int) -> bool:
        time.sleep(0.05)  # let the accept thread count a connection in flight
        return self.hits > before


@pytest.fixture(scope="module")
def listener():
    server = Listener()
    yield server
    server.sock.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("sec-store")
    build_store(root / "store", [synthesize(root / "data", 10, seed=1).path])
    return root / "store"


# Each hides SERVICE from one parser or the other: comments ended by CR (Oxigraph) but not by
# rdflib, codepoint escapes rdflib expands everywhere but Oxigraph only inside strings and IRIs.
SERVICE_VARIANTS = {
    "cr ends the comment": "SELECT * WHERE { #\rSERVICE <URL> { ?s ?p ?o } \n}",
    "cr in a longer comment": "SELECT * WHERE { # note \r SERVICE SILENT <URL> { ?s ?p ?o }\n}",
    "crlf": "SELECT * WHERE { #\r\nSERVICE <URL> { ?s ?p ?o } }",
    "lf": "SELECT * WHERE { #\nSERVICE <URL> { ?s ?p ?o } }",
    "escaped cr in a comment": "SELECT * WHERE { #\\u000dSERVICE <URL> { ?s ?p ?o } \n}",
    "escaped CR, long form": "SELECT * WHERE { #\\U0000000DSERVICE <URL> { ?s ?p ?o } \n}",
    "escaped lf in a comment": "SELECT * WHERE { #\\u000aSERVICE <URL> { ?s ?p ?o } }",
    "line separator": "SELECT * WHERE { #\u2028SERVICE <URL> { ?s ?p ?o } \n}",
    "form feed": "SELECT * WHERE { #\fSERVICE <URL> { ?s ?p ?o } \n}",
    "escaped keyword": "SELECT * WHERE { \\u0053ERVICE <URL> { ?s ?p ?o } }",
    "escaped quote ends a string for rdflib":
        'SELECT * WHERE { { ?s ?p "\\u0022 } #" } UNION { SERVICE <URL> { ?s ?p ?o } } \n}',
    "escaped quote, single quotes":
        "SELECT * WHERE { { ?s ?p '\\u0027 } #' } UNION { SERVICE <URL> { ?s ?p ?o } } \n}",
    "long string with a cr": 'SELECT * WHERE { { ?s ?p """#\r""" } UNION { SERVICE <URL> { ?s ?p ?o } } }',
    "lower case": "select * where { service <URL> { ?s ?p ?o } }",
    "plain": "SELECT * WHERE { SERVICE <URL> { ?s ?p ?o } }",
    "ask": "ASK { #\rSERVICE <URL> { ?s ?p ?o } \n}",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { #\rSERVICE <URL> { ?s ?p ?o } \n}",
}


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}/sparql"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_listener_sees_what_oxigraph_fetches(listener):
    import pyoxigraph as ox

    before = listener.hits
    with pytest.raises(Exception):
        list(ox.Store().query(SERVICE_VARIANTS["plain"].replace("URL", _url(listener.port))))
    assert listener.contacted_since(before), "the listener must notice a SERVICE call, else the tests below prove nothing"


def _outcome(run, text):
    """('ok', None) or (error class, message with the port blanked)."""
    try:
        run(text)
    except (QueryError, QueryRefused) as e:
        return type(e).__name__, str(e)
    return "ok", None


@pytest.mark.parametrize("name", sorted(SERVICE_VARIANTS))
def test_no_service_variant_reaches_the_network(name, store, listener):
    from typer.testing import CliRunner

    from kg.cli import app
    from kg.server import answer
    from kg.sparql import run_query
    from kg.store import open_store

    kg = StoreKnowledgeGraph(store)
    raw = open_store(store)
    routes = {
        "run_query": lambda q: run_query(kg, q),
        "store.query": lambda q: list(raw.query(q)) if not isinstance(raw.query(q), bool) else None,
        "store.serialize": lambda q: raw.serialize(q, "json" if not q.lstrip().startswith("CONSTRUCT") else "turtle"),
        "store.serialize in a child": lambda q: raw.serialize(
            q, "json" if not q.lstrip().startswith("CONSTRUCT") else "turtle", timeout=20),
    }
    for route, run in routes.items():
        outcomes = []
        for port in (listener.port, _closed_port()):
            before = listener.hits
            text = SERVICE_VARIANTS[name].replace("URL", _url(port))
            kind, message = _outcome(run, text)
            assert not listener.contacted_since(before), f"{route}: {name!r} made an outbound request"
            outcomes.append((kind, message and message.replace(str(port), "PORT")))
        assert outcomes[0] == outcomes[1], f"{route}: an open and a closed port answer differently: {outcomes}"
        assert outcomes[0][0] in ("QueryRefused", "QueryError", "ok"), f"{route}: {name!r}: {outcomes[0]}"

    text = SERVICE_VARIANTS[name].replace("URL", _url(listener.port))
    before = listener.hits
    result = CliRunner().invoke(app, ["--store", str(store), "sparql", text, "--format", "csv"])
    reply = answer(kg, text)
    assert not listener.contacted_since(before), f"{name!r}: kg sparql or the endpoint made an outbound request"
    assert result.exit_code in (0, 2) and "Traceback" not in result.output, result.output
    assert reply.status in (200, 400), reply.body


def test_what_runs_is_what_was_checked():
    from kg.sparql import canonical_text, check_query

    checked = check_query('SELECT ?x WHERE { #\r BIND("caf\\u00e9 \\u0022" AS ?x) }')
    assert "#" not in checked.text and "\r" not in checked.text
    assert 'BIND("café \\"" AS ?x)' in checked.text
    assert canonical_text("ASK { <http://x/a#b> ?p '#' }") == "ASK { <http://x/a#b> ?p '#' }"
    with pytest.raises(QueryError, match="escape"):
        canonical_text("ASK { <http://x/\\u0020> ?p ?o }")


def test_checked_query_gives_the_same_rows_in_both_modes(store):
    from kg.loader import load
    from kg.sparql import run_query

    data = StoreKnowledgeGraph(store).files
    query = 'SELECT ?s ?x WHERE { # the names\r\n ?s rdfs:label ?l . BIND(CONCAT(STR(?l), "\\u00e9\\n") AS ?x) } ORDER BY ?s ?x'
    in_store = run_query(StoreKnowledgeGraph(store), query)
    in_files = run_query(load(data), query)
    assert in_store.rows == in_files.rows and in_store.rows


def test_size_and_nesting_are_bounded_before_parsing():
    from kg.sparql import MAX_NESTING, MAX_QUERY_CHARS, check_query

    started = time.perf_counter()
    with pytest.raises(QueryRefused, match="characters long"):
        check_query("SELECT (" + "+".join(["1"] * (MAX_QUERY_CHARS // 2 + 1)) + " AS ?x) {}")
    with pytest.raises(QueryRefused, match="nests"):
        check_query("SELECT * {" + "{" * MAX_NESTING + "?s ?p ?o" + "}" * MAX_NESTING + "}")
    assert time.perf_counter() - started < 1
    assert check_query("SELECT * {" + "{" * (MAX_NESTING - 1) + "?s ?p ?o" + "}" * (MAX_NESTING - 1) + "}")


# ---------------------------------------------------------------------------
# Rules come from the ontology only; paths are parsed, never pasted
# ---------------------------------------------------------------------------

HOSTILE_RULES = """
@prefix chips: <https://w3id.org/chipskg/ontology#> .
@prefix res: <https://w3id.org/chipskg/id/> .
chips:Investment chips:subjectPath "chips:investor } ; DELETE WHERE { ?a chips:investedIn ?b } ; INSERT DATA { res:evil chips:investedIn res:victim } #" .
chips:Acquisition chips:objectPath "chips:acquirer } ; LOAD <URL> ; #" .
res:EvilRule chips:shortcut chips:investedIn ; chips:subjectPath "chips:investor" ; chips:objectPath "chips:investee" .
res:evil-node a res:EvilRule ; chips:investor res:company-1 ; chips:investee res:company-2 .
"""


def _shortcut_triples(graph):
    from kg.rules import shortcut_rules

    shortcuts = {r.shortcut for r in shortcut_rules()}
    return {(s, p, o) for s, p, o in graph if p in shortcuts}


def test_a_data_file_cannot_inject_rules_into_either_mode(tmp_path, listener):
    from typer.testing import CliRunner

    from kg.cli import app
    from kg.loader import load
    from kg.validation import validate

    data = synthesize(tmp_path / "data", 10, seed=3).path
    hostile = tmp_path / "hostile.ttl"
    hostile.write_text(HOSTILE_RULES.replace("URL", _url(listener.port)), encoding="utf-8")

    before = listener.hits
    info = build_store(tmp_path / "store", [data, hostile])
    assert not listener.contacted_since(before), "a rule in a data file ran LOAD"
    in_store = _shortcut_triples(StoreKnowledgeGraph(tmp_path / "store").graph)
    in_files = _shortcut_triples(load([data, hostile]).graph)
    clean = _shortcut_triples(load([data]).graph)
    assert in_store == in_files == clean and clean, "the modes or the hostile file changed what is derived"
    assert info["derived"] == len(clean)

    report = validate(load([data, hostile]))
    flagged = {v.focus for v in report.violations if v.shape == "chips-kg:ontology-only"}
    assert not report.conforms and {"chips:Investment", "chips:Acquisition", "res:EvilRule"} <= flagged, flagged
    assert validate(load([data])).conforms
    result = CliRunner().invoke(app, ["--store", str(tmp_path / "store"), "validate"])
    assert result.exit_code == 1 and "redefines the ontology" in result.output, result.output


@pytest.mark.parametrize("text", [
    "chips:investor } ; DROP ALL ; #",
    "chips:investor|<http://x/>",
    "chips:investor/(chips:a)",
    "evil:investor",
    "chips:",
    "chips:inv estor",
])
def test_a_path_that_is_not_prefixed_names_and_operators_is_refused(text):
    from kg.errors import DataError
    from kg.rules import parse_path

    with pytest.raises(DataError, match="bad property path"):
        parse_path(text)

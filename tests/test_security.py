"""Issue 13: hostile queries and hostile data files, tried against real stores, files and a loopback listener."""

from __future__ import annotations

import json
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


# ---------------------------------------------------------------------------
# Loading data must not trust the data
# ---------------------------------------------------------------------------

ESCAPES = "\\u001b[2J\\u001b]0;pwned\\u0007\\u001b]52;c;SGVsbG8=\\u0007\\u202eNUL\\u0000\\u009bend"
HOSTILE_VALUES = f"""
@prefix chips: <https://w3id.org/chipskg/ontology#> .
@prefix res: <https://w3id.org/chipskg/id/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix src: <https://w3id.org/chipskg/source/> .
res:evil-co a chips:Startup ; rdfs:label "Evil{ESCAPES}"@en ; prov:wasDerivedFrom src:synth-0 .
res:evil-partnership a chips:Partnership ; chips:partner res:evil-co , res:company-1 ;
    chips:quote "Evil{ESCAPES} partners" ; prov:wasDerivedFrom src:synth-0 .
res:r35-fundinground chips:amount "abc"^^xsd:decimal .
res:r33-investment chips:amount "NaN"^^xsd:double .
res:r32-fundinground chips:amount 1e999999 .
res:fund-0 chips:foundingDate "19x5"^^xsd:gYear .
"""
RAW_CONTROLS = ["\x1b", "\x07", "\x00", "\u202e", "\x9b"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = synthesize(root / "data", 10, seed=1).path
    bad = root / "bad.ttl"
    bad.write_text(HOSTILE_VALUES, encoding="utf-8")
    return root, [data, bad]


def _cli(*args, env=None):
    from typer.testing import CliRunner

    from kg.cli import app

    return CliRunner().invoke(app, [str(a) for a in args], env=env)


def test_ill_typed_values_are_skipped_with_one_line_each_in_both_modes(hostile, tmp_path):
    from kg.errors import DataWarning
    from kg.loader import load

    root, paths = hostile
    with pytest.warns(DataWarning) as caught:
        kg = load(paths, cache=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]  # not a ResourceWarning of an earlier test
    assert len(messages) == 4 and kg.skipped == messages, messages
    assert any(m.startswith(f"{paths[1]}:11: ") and '"abc"^^xsd:decimal' in m for m in messages), messages
    assert all(m.startswith(f"{paths[1]}:") for m in messages), messages
    assert all("\n" not in m for m in messages)
    with pytest.warns(DataWarning):
        info = build_store(tmp_path / "store", paths)
    assert sorted(info["skipped"]) == sorted(messages)
    assert sorted(StoreKnowledgeGraph(tmp_path / "store").skipped) == sorted(messages)


@pytest.mark.parametrize("mode", ["files", "store"])
def test_every_command_keeps_working_and_shows_controls_visibly(hostile, tmp_path, mode):
    root, paths = hostile
    if mode == "store":
        with pytest.warns(Warning):
            build_store(tmp_path / "store", paths)
        where = ["--store", tmp_path / "store"]
    else:
        where = ["--no-bundled"] + [arg for p in paths for arg in ("--data", p)]
    env = {"KG_CACHE_DIR": str(tmp_path / "cache")}
    commands = [
        ["entity", "evil-co"], ["neighbors", "evil-co"], ["path", "evil-co", "fund-0"],
        ["centrality"], ["info"], ["coinvest"],
        ["sparql", "SELECT ?l ?a WHERE { res:evil-co rdfs:label ?l OPTIONAL { ?r chips:amount ?a } }"],
        ["export", "--format", "csv", "--output", tmp_path / "edges.csv"],
        ["viz", "--output", tmp_path / "viz.html"],
    ]
    for command in commands:
        result = _cli(*where, *command, env=env)
        shown = result.output + (result.stderr or "")
        assert result.exit_code in (0, 1) and "Traceback" not in shown, (command, shown)
        assert not any(c in shown for c in RAW_CONTROLS), (command, repr(shown[:400]))
        if command[0] in ("entity", "neighbors", "sparql", "path"):
            assert "Evil␛[2J" in result.output and "<U+202E>" in result.output, (command, result.output)
    as_json = _cli(*where, "entity", "evil-co", "--json", env=env)
    assert "\\u001b[2J" in as_json.output and "\\u202e" in as_json.output, as_json.output[:500]
    if mode == "files":  # in one process the graph is loaded once: fresh data, then the warnings
        fresh = tmp_path / "fresh.ttl"
        fresh.write_text(paths[1].read_text(encoding="utf-8"), encoding="utf-8")
        result = _cli("--no-bundled", "--data", paths[0], "--data", fresh, "info", env=env)
        warned = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
        assert len(warned) == 4 and all(line.startswith(f"Warning: {fresh}:") for line in warned), result.stderr
    validated = _cli(*where, "validate", "--json", env=env)
    assert validated.exit_code == 1, validated.output
    messages = [v["message"] for v in json.loads(validated.output)["violations"]]
    for value in ('"abc"^^xsd:decimal', '"nan"^^xsd:double', '"inf"^^xsd:double', '"19x5"^^xsd:gYear'):
        assert any(value in m and str(paths[1]) in m for m in messages), (value, messages)


def test_remote_jsonld_context_is_never_fetched(tmp_path, listener):
    from kg.errors import DataError
    from kg.loader import load

    doc = tmp_path / "remote.jsonld"
    doc.write_text('{"@context": "URL", "@id": "https://w3id.org/chipskg/id/x", "name": "x"}'
                   .replace("URL", _url(listener.port)), encoding="utf-8")
    nested = tmp_path / "nested.jsonld"
    nested.write_text('[{"@context": {"@import": "URL"}, "@id": "https://w3id.org/chipskg/id/y"}]'
                      .replace("URL", _url(listener.port)), encoding="utf-8")
    hidden = {  # a list in a list, an import in it, a term's own context, a .json file (rdflib reads it as JSON-LD)
        "lists.jsonld": '{"@context": [["URL"]], "@id": "https://w3id.org/chipskg/id/a", "name": "x"}',
        "import.jsonld": '{"@context": [[{"@version": 1.1, "@import": "URL"}]], "@id": "https://w3id.org/chipskg/id/b"}',
        "scoped.jsonld": '{"@context": {"p": {"@id": "http://x/p", "@context": [["URL"]]}}, '
                         '"@id": "https://w3id.org/chipskg/id/c", "p": {"name": "x"}}',
        "plain.json": '{"@context": "URL", "@id": "https://w3id.org/chipskg/id/d", "name": "x"}',
    }
    for name, text in hidden.items():
        (tmp_path / name).write_text(text.replace("URL", _url(listener.port)), encoding="utf-8")
    for path in (doc, nested, *(tmp_path / name for name in hidden)):
        before = listener.hits
        with pytest.raises(DataError, match="remote @context"):
            load([path], cache=False)
        with pytest.raises(DataError, match="remote @context"):
            build_store(tmp_path / f"store-{path.stem}", [path])
        result = _cli("--no-bundled", "--data", path, "info")
        assert result.exit_code == 2 and "remote @context" in result.stderr, result.output
        assert not listener.contacted_since(before), f"{path.name}: the context was fetched"
    # and should a context slip past that check, reading the file cannot reach the network anyway
    from kg import loader

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "check_file", lambda *args, **kwargs: None)
        before = listener.hits
        with pytest.raises(DataError, match="would reach the network"):
            loader.parse_file(doc)
        assert not listener.contacted_since(before)
    inline = tmp_path / "inline.jsonld"
    inline.write_text('{"@context": {"name": "http://www.w3.org/2000/01/rdf-schema#label"}, '
                      '"@id": "https://w3id.org/chipskg/id/z", "name": "Zed"}', encoding="utf-8")
    assert "Zed" in {str(o) for o in load([inline], cache=False).graph.objects()}, "an inline context still works"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY a "lol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">
  <rdf:Description rdf:about="https://w3id.org/chipskg/id/lol"><rdfs:label>&i;</rdfs:label></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("encoding, suffix", [("utf-8", ".rdf"), ("utf-16", ".rdf"), ("utf-8", ".trix")])
def test_rdfxml_with_a_dtd_is_refused_in_both_modes(tmp_path, encoding, suffix):
    from kg.errors import DataError
    from kg.loader import load

    path = (tmp_path / "laughs").with_suffix(suffix)  # TriX is XML too
    path.write_text(BILLION_LAUGHS, encoding=encoding)
    started = time.perf_counter()
    with pytest.raises(DataError, match="DTD"):
        load([path], cache=False)
    with pytest.raises(DataError, match="DTD"):
        build_store(tmp_path / "store", [path])
    result = _cli("--no-bundled", "--data", path, "info")
    assert result.exit_code == 2 and "DTD" in result.stderr and "Traceback" not in result.stderr
    assert time.perf_counter() - started < 30  # a DTD expanded would not end; 10 s was missed at load 6
    assert not (tmp_path / "store").exists()


def test_an_unreadable_sub_folder_is_an_error(tmp_path):
    import os
    import shutil
    import subprocess
    import sys

    data = tmp_path / "data"
    synthesize(data / "ok", 10, seed=1)
    (data / "secret").mkdir()
    (data / "secret" / "more.ttl").write_text("", encoding="utf-8")
    (data / "secret").chmod(0)
    command = [sys.executable, "-m", "kg", "--no-bundled", "--data", str(data), "info"]
    if os.geteuid() == 0:  # root reads any folder: run without the capabilities that let it
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: cannot make a folder unreadable")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True,
                                env={**os.environ, "KG_CACHE_DIR": str(tmp_path / "cache")})
    finally:
        (data / "secret").chmod(0o755)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "secret" in lines[0] and "cannot read the folder" in lines[0], result.stderr


TTL = "@prefix chips: <https://w3id.org/chipskg/ontology#> . @prefix res: <https://w3id.org/chipskg/id/> .\n"
MODE_CASES = {
    "bom": ("\ufeff" + TTL + "res:a chips:partnerOf res:b .\n", None),
    "iri with a space": (TTL + "<https://w3id.org/chipskg/id/a b> chips:partnerOf res:b .\n", "IRI"),
    "relative iri": (TTL + "<a> chips:partnerOf res:b .\n", None),
    "nested blank nodes": (TTL + "res:a chips:x " + "[ chips:x " * 100 + "res:b" + " ]" * 100 + " .\n", "nest"),
    "nested lists": (TTL + "res:a chips:x " + "( " * 100 + "res:b" + " )" * 100 + " .\n", "nest"),
    "nesting within the bound": (TTL + "res:a chips:x " + "[ chips:x " * 60 + "res:b" + " ]" * 60 + " .\n", None),
    "brackets in strings": (TTL + 'res:a chips:quote "' + "[(" * 100 + '" .\n', None),
    "deep json-ld": ('{"@id": "https://w3id.org/chipskg/id/a", "https://w3id.org/chipskg/ontology#x": '
                     + '{"https://w3id.org/chipskg/ontology#x": ' * 100 + '"b"' + "}" * 101, "nest"),
}


@pytest.mark.parametrize("name", sorted(MODE_CASES))
def test_files_and_store_modes_agree_on_odd_files(name, tmp_path):
    from kg.errors import DataError
    from kg.loader import load
    from kg.sparql import run_query

    text, refusal = MODE_CASES[name]
    path = tmp_path / ("case.jsonld" if "json" in name else "case.ttl")
    path.write_text(text, encoding="utf-8")
    outcomes = []
    for mode in ("files", "store"):
        try:
            if mode == "files":
                kg = load([path], cache=False, derive=False)
            else:
                build_store(tmp_path / "store", [path])
                kg = StoreKnowledgeGraph(tmp_path / "store")
        except DataError as e:
            assert str(path) in str(e) and "\n" not in str(e), str(e)
            outcomes.append(("refused", refusal is not None and refusal in str(e), "malformed RDF" in str(e)))
            continue
        rows = run_query(kg, "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) "
                             "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/chipskg/id/') || STRSTARTS(STR(?s), 'file:')) }"
                             " ORDER BY ?s ?p ?o").rows
        blanks = run_query(kg, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(isBlank(?s)) }").rows
        outcomes.append(("loaded", rows, blanks))
    assert outcomes[0] == outcomes[1], outcomes
    assert outcomes[0][0] == ("refused" if refusal else "loaded") and (not refusal or outcomes[0][1]), outcomes


def test_path_counts_agree_in_both_modes(store):
    from kg.loader import load
    from kg.sparql import run_query

    files = load(StoreKnowledgeGraph(store).files)
    for path in ("chips:investedIn*", "(chips:investedIn|^chips:investedIn)+", "(!rdf:type)*",
                 "chips:investor/chips:round?", "^chips:investedIn/chips:investedIn"):
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a {path} ?b }}"
        assert run_query(files, query).rows == run_query(StoreKnowledgeGraph(store), query).rows, path


# ---------------------------------------------------------------------------
# Store and output files
# ---------------------------------------------------------------------------

def _kg(*args, **env):
    import os
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "kg", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **{k: str(v) for k, v in env.items()}})


def _count(store) -> int:
    from kg.sparql import run_query

    return int(run_query(StoreKnowledgeGraph(store), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0])


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    root = tmp_path_factory.mktemp("two")
    return synthesize(root / "a", 10, seed=1).path, synthesize(root / "b", 12, seed=2).path


def test_a_second_load_into_the_same_folder_is_refused(tmp_path, two_datasets):
    from kg.store import _writer_lock

    small, other = two_datasets
    store = tmp_path / "store"
    build_store(store, [small])
    before = _count(store)
    with _writer_lock(store):  # a load in progress (this process) holds the folder
        second = _kg("--no-bundled", "--data", other, "load", "--force", "--store", store, KG_CACHE_DIR=tmp_path / "c")
    assert second.returncode == 2 and "another `kg load` is writing this store" in second.stderr, second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert _count(store) == before, "the refused load changed the store"
    assert _kg("--no-bundled", "--data", other, "load", "--force", "--store", store).returncode == 0  # once the lock is free


def test_a_killed_load_never_loses_the_store(tmp_path, two_datasets):
    import signal
    import subprocess
    import sys

    small, other = two_datasets
    store = tmp_path / "store"
    build_store(store, [small])
    old = _count(store)
    new = _count(build_store(tmp_path / "ref", [other])["path"])
    seen = set()
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0):
        proc = subprocess.Popen([sys.executable, "-m", "kg", "--no-bundled", "--data", str(other), "load", "--force", "--store",
                                 str(store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen.add(_count(store))  # opens whatever the description names: old or new, never nothing
        build_store(store, [small], force=True)  # and the next load cleans up after the killed one
        assert not [p.name for p in store.iterdir() if p.name.startswith(".building")]
    assert seen <= {old, new}, seen


def test_a_store_lost_between_two_renames_by_an_old_load_is_recovered(tmp_path, two_datasets):
    small, _ = two_datasets
    build_store(tmp_path / "store", [small])
    expected = _count(tmp_path / "store")
    (tmp_path / "store").rename(tmp_path / ".store.old-4242")  # where the first store format left it
    assert _count(tmp_path / "store") == expected
    assert not (tmp_path / ".store.old-4242").exists()


def test_leftovers_are_cleaned_and_only_held_builds_are_kept(tmp_path, two_datasets):
    from kg.store import open_store, pin_store

    small, other = two_datasets
    store = tmp_path / "store"
    build_store(store, [small])
    first = pin_store(store)
    for leftover in (store / ".building-999", tmp_path / ".store.building-999", tmp_path / ".store.old-999"):
        leftover.mkdir()
        (leftover / "junk").write_bytes(b"x" * 1000)
    (store / ".kg-store.json.abc.tmp").write_text("{}")
    held = open_store(first)  # a reader such as a server worker holds the first build
    build_store(store, [other], force=True)
    second = pin_store(store)
    assert first.is_dir() and second != first
    left = sorted(p.name for p in store.iterdir()) + sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert left == sorted([".lock", first.name, second.name, "kg-store.json"]), left
    del held
    build_store(store, [small], force=True)
    assert not first.exists() and not second.exists(), "builds nobody holds are removed"


def test_a_server_answers_from_the_build_it_started_with(tmp_path, two_datasets, free_port):
    import urllib.parse
    import urllib.request

    from tests.test_server import start_server, stop_server

    small, other = two_datasets
    store = tmp_path / "store"
    build_store(store, [small])
    old = _count(store)
    proc, base, _ = start_server(free_port, "--workers", "2", store=store)

    def ask(query, timeout=60):
        url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
        request = urllib.request.Request(url, headers={"Accept": "text/csv"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                return reply.read().decode().splitlines()[-1]
        except urllib.error.HTTPError as e:
            return f"HTTP {e.code}"

    try:
        assert ask("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == str(old)
        build_store(store, [other], force=True)
        assert _count(store) != old
        # a query past the time limit gets its worker killed and replaced: the new worker must not see the new build
        assert ask("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }").startswith("HTTP")
        from concurrent.futures import ThreadPoolExecutor

        answers = set()
        deadline = time.monotonic() + 25  # long enough for the replacement worker to start and take queries
        with ThreadPoolExecutor(4) as pool:
            while time.monotonic() < deadline:
                answers |= set(pool.map(ask, ["SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"] * 8))
        answers.discard("HTTP 429")  # the server keeps a client whose query brought a worker down away for a while
        assert answers == {str(old)}, answers
    finally:
        stop_server(proc)


@pytest.mark.parametrize("damage", ["format 99", "broken description", "flipped bytes", "no manifest"])
def test_a_damaged_store_gives_one_line(tmp_path, two_datasets, damage):
    from kg.store import pin_store

    small, _ = two_datasets
    store = tmp_path / "store"
    build_store(store, [small])
    build = pin_store(store)
    meta = store / "kg-store.json"
    if damage == "format 99":
        meta.write_text(meta.read_text().replace('"format": 2', '"format": 99'))
    elif damage == "broken description":
        meta.write_text("{broken")
    elif damage == "flipped bytes":
        for sst in build.glob("*.sst"):
            data = bytearray(sst.read_bytes())
            for i in range(len(data) // 3, len(data) // 3 + 64):
                data[i] ^= 0xFF
            sst.write_bytes(bytes(data))
    else:
        for manifest in build.glob("MANIFEST-*"):
            manifest.unlink()
    for command in (["info"], ["sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1"], ["entity", "company-1"]):
        started = time.perf_counter()
        result = _kg("--store", store, *command, KG_CACHE_DIR=tmp_path / "cache")
        assert result.returncode == 2 and "Traceback" not in result.stderr, (command, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert time.perf_counter() - started < 20
        expected = "format 99" if damage == "format 99" else ("description" if "description" in damage else "damaged")
        assert expected in result.stderr, result.stderr


def test_output_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    import os

    target = tmp_path / "private.csv"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    for path in (target, link):
        result = _cli("sparql", "SELECT ?x WHERE { VALUES ?x { 1 } }", "--output", path)
        assert result.exit_code == 0, result.output
        assert oct(os.stat(target).st_mode & 0o777) == "0o600"
        assert target.read_text().splitlines()[0] == "x"
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "private.csv"]


def _on_terminal(args, tmp_path, terminal: bool = True) -> tuple[int, bytes, str]:
    """Run ``kg ARGS`` with stdout on a real pseudo-terminal (or a pipe); its exit code, stdout bytes and stderr."""
    import os
    import pty
    import subprocess
    import sys

    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path / "cache")}
    with open(tmp_path / "stderr.txt", "w+b") as err:
        if not terminal:
            done = subprocess.run([sys.executable, "-m", "kg", *map(str, args)], stdout=subprocess.PIPE, stderr=err,
                                  env=env, timeout=120)
            err.seek(0)
            return done.returncode, done.stdout, err.read().decode("utf-8", "replace")
        master, slave = pty.openpty()
        proc = subprocess.Popen([sys.executable, "-m", "kg", *map(str, args)], stdout=slave, stderr=err, env=env)
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(master)
        proc.wait(timeout=120)
        err.seek(0)
        return proc.returncode, b"".join(chunks), err.read().decode("utf-8", "replace")


LABEL = "SELECT ?l WHERE { res:evil-co rdfs:label ?l }"
TRIPLE = "CONSTRUCT { res:evil-co rdfs:label ?l } WHERE { res:evil-co rdfs:label ?l }"


@pytest.mark.parametrize("command", [
    ["sparql", "--format", "csv", LABEL], ["sparql", "--format", "tsv", LABEL],
    ["sparql", "--format", "turtle", TRIPLE], ["sparql", "--format", "nt", TRIPLE],
    ["export", "--format", "nt"], ["export", "--format", "turtle"], ["export", "--format", "graphml"],
])
def test_machine_formats_show_controls_on_a_terminal_and_keep_exact_bytes_in_a_pipe(hostile, tmp_path, command):
    root, paths = hostile
    where = ["--no-bundled"] + [arg for p in paths for arg in ("--data", p)]
    code, shown, errors = _on_terminal([*where, *command], tmp_path)
    text = shown.decode("utf-8")
    xml = "graphml" in command  # XML cannot hold those characters at all: U+FFFD stands in (kg.export.xml_safe)
    assert code == 0 and "Traceback" not in errors, errors
    assert ("Evil\ufffd[2J\ufffd]0;pwned\ufffd" if xml else "Evil␛[2J␛]0;pwned␇") in text and "<U+202E>" in text, \
        text[:400]
    assert not any(c in text for c in RAW_CONTROLS), repr(text[:400])
    code, piped, errors = _on_terminal([*where, *command], tmp_path, terminal=False)
    assert code == 0 and ("\ufffd[2J\ufffd]0;pwned\ufffd" if xml else "\x1b[2J\x1b]0;pwned\x07") in piped.decode("utf-8")
    written = tmp_path / "out.data"
    assert _on_terminal([*where, *command, "--output", written], tmp_path, terminal=False)[0] == 0
    assert piped.rstrip(b"\n") == written.read_bytes().rstrip(b"\n")  # a pipe gets the file's bytes

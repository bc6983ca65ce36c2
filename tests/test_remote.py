"""``--endpoint``: the same answers from a real SPARQL server (Virtuoso Open Source) as from local files.

A module fixture starts Debian's ``virtuoso-t`` (``apt-get install -y virtuoso-opensource``;
``.ci/run`` installs it) in the foreground on free loopback ports with a temporary database,
grants SPARQL updates to the anonymous ``SPARQL`` user, and loads the bundled data (with the
derived shortcut triples) with ``kg push``. Without Virtuoso the tests are skipped with a loud
reason; set ``KG_REQUIRE_VIRTUOSO=1`` to make that a failure instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.errors import BadInput, NoPath, QueryRefused, QueryTimeout
from kg.facts import describe
from kg.loader import load
from kg.paths import common_ties, find_paths, neighbors
from kg.remote import RemoteKnowledgeGraph
from kg.sparql import run_query, saved_query

GRAPH = "https://w3id.org/chipskg/graph"
SYSTEM_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def _no_virtuoso(reason: str):
    message = f"VIRTUOSO TESTS NOT RUN: {reason}"
    if os.environ.get("KG_REQUIRE_VIRTUOSO"):
        pytest.fail(message + " (KG_REQUIRE_VIRTUOSO is set)")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ini(folder: Path, http: int, sql: int) -> str:
    """The system virtuoso.ini with its files in ``folder``, loopback ports and limits for tests."""
    text = SYSTEM_INI.read_text(encoding="utf-8")
    text = text.replace("/var/lib/virtuoso-opensource-7/db", str(folder))
    text = re.sub(r"(?m)^ServerPort\s*=\s*1111\b.*$", f"ServerPort = 127.0.0.1:{sql}", text)
    text = re.sub(r"(?m)^ServerPort\s*=\s*8890\b.*$", f"ServerPort = 127.0.0.1:{http}", text)
    text = re.sub(r"(?m)^DirsAllowed\s*=.*$", f"DirsAllowed = ., {folder}", text)
    text = re.sub(r"(?m)^DefaultHost\s*=.*$", f"DefaultHost = 127.0.0.1:{http}", text)
    text = re.sub(r"(?m)^MaxQueryCostEstimationTime\s*=.*$", "MaxQueryCostEstimationTime = 0", text)
    text = re.sub(r"(?m)^MaxQueryExecutionTime\s*=.*$", "MaxQueryExecutionTime = 5", text)
    text = re.sub(r"(?m)^Load\d+\s*=.*$", "", text)  # no hosting plug-ins
    return text


def _answers(url: str) -> bool:
    try:
        query = urllib.parse.urlencode({"query": "ASK {}"})
        with urllib.request.urlopen(f"{url}?{query}", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    """A running Virtuoso holding the bundled data in ``GRAPH``: ``url`` (SPARQL), ``gsp``, ``log``."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt") or shutil.which("isql-v")
    if not server or not isql:
        _no_virtuoso("virtuoso-t / isql-vt not found; install Debian's virtuoso-opensource "
                     "(apt-get install -y virtuoso-opensource, as .ci/run does)")
    if not SYSTEM_INI.is_file():
        _no_virtuoso(f"{SYSTEM_INI} not found (a virtuoso-opensource package other than Debian's?)")
    folder = tmp_path_factory.mktemp("virtuoso")
    http, sql = _free_port(), _free_port()
    (folder / "virtuoso.ini").write_text(_ini(folder, http, sql), encoding="utf-8")
    log = folder / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([server, "-f", "-c", "virtuoso.ini"], cwd=folder, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http}/sparql"
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-1500:]
                pytest.fail(f"Virtuoso did not start (exit {proc.poll()}):\n{tail}")
            time.sleep(0.2)
        grant = subprocess.run([isql, f"127.0.0.1:{sql}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                               capture_output=True, text=True, timeout=30)
        assert grant.returncode == 0, grant.stdout + grant.stderr
        gsp = f"http://127.0.0.1:{http}/sparql-graph-crud"
        pushed = CliRunner().invoke(app, ["push", "--endpoint", gsp, "--graph", GRAPH, "--json"])
        assert pushed.exit_code == 0, pushed.output
        yield SimpleNamespace(url=url, gsp=gsp, http=http, log=log, push=json.loads(pushed.stdout))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def local():
    return load()


@pytest.fixture
def remote(virtuoso):
    return RemoteKnowledgeGraph(virtuoso.url, timeout=20)


def _cli(*args):
    return CliRunner().invoke(app, list(args))


def _drop(virtuoso, graph: str) -> None:
    """Drop a graph a test added: Virtuoso's default graph is the union of all graphs."""
    request = urllib.request.Request(virtuoso.url, data=f"DROP SILENT GRAPH <{graph}>".encode(), method="POST",
                                     headers={"Content-Type": "application/sparql-update"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


# --- push -------------------------------------------------------------------------------------------

def test_push_sends_the_whole_loaded_graph_including_derived_shortcuts(virtuoso, local, remote):
    assert virtuoso.push["triples"] == len(local.graph) > local.asserted
    names, rows = remote.endpoint.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")
    assert int(rows[0][0]) == len(local.graph)
    assert remote.query("ASK { res:nvidia chips:acquired res:icera }").boolean  # a derived shortcut


def test_push_with_sparql_update_and_refusals(virtuoso, local, remote):
    done = _cli("push", "--endpoint", virtuoso.url, "--graph", "urn:kg:update-test", "--method", "update", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["requests"] >= 2  # CLEAR, then INSERT DATA batches
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <urn:kg:update-test> { ?s ?p ?o } }"
    assert int(remote.endpoint.select(count)[1][0][0]) == len(local.graph)
    _drop(virtuoso, "urn:kg:update-test")
    assert int(remote.endpoint.select(count)[1][0][0]) == 0
    # /sparql-auth wants credentials: a clear one-line refusal, exit 2
    refused = _cli("push", "--endpoint", virtuoso.url + "-auth", "--graph", "urn:kg:x", "--method", "update")
    assert refused.exit_code == 2 and "refused the upload: HTTP 401" in refused.output
    assert "Traceback" not in refused.output
    unreachable = _cli("push", "--endpoint", "http://127.0.0.1:1/store")
    assert unreachable.exit_code == 2 and "cannot upload" in unreachable.output


def test_push_with_digest_authentication(virtuoso):
    done = _cli("push", "--endpoint", virtuoso.url + "-auth", "--graph", "urn:kg:auth-test", "--method", "update",
                "--user", "dba", "--password", "dba")
    assert done.exit_code == 0, done.output
    assert "Sent" in done.stdout
    _drop(virtuoso, "urn:kg:auth-test")


# --- entity, path, neighbors, common ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["Seammicro", "Jim Keller", "拟未科技", "Nvidia", "jim keler"])
def test_entity_matches_the_local_engine(local, remote, name):
    assert remote.describe(name) == describe(local, name)


def test_entity_cli_json_matches(virtuoso):
    there = _cli("--endpoint", virtuoso.url, "entity", "Seammicro", "--json")
    here = _cli("entity", "Seammicro", "--json")
    assert there.exit_code == here.exit_code == 0, there.output
    assert json.loads(there.stdout) == json.loads(here.stdout)


def test_unknown_name_suggests_like_the_local_index(local, remote):
    result = _cli("--endpoint", remote.endpoint.url, "entity", "Graphcorx Ltd")
    assert result.exit_code == 1 and "no entity named" in result.output


@pytest.mark.parametrize("source, target, options", [
    ("Nvidia", "Graphcore", {}),
    ("AMD", "Cerebras", {"all_shortest": True}),
    ("Jim Keller", "Cerebras", {"all_shortest": True}),
    ("Jim Keller", "Cerebras", {"all_shortest": True, "avoid": ["AMD"]}),
    ("Nvidia", "Graphcore", {"only": ["competesWith"]}),
    ("Jim Keller", "Cerebras", {"exclude": ["acquired"], "all_shortest": True}),
    ("Jim Keller", "Cerebras", {"through": "Person"}),
])
def test_path_matches_the_local_engine(local, remote, source, target, options):
    def ask(run):
        try:
            return run(source, target, **options)
        except NoPath as e:  # the same refusal, in the same words
            return f"NoPath: {e}"

    here = ask(lambda *a, **k: find_paths(local, *a, **k))
    assert ask(remote.find_paths) == here


def test_path_fetches_little(remote, local):
    before = remote.endpoint.queries
    answer = remote.find_paths("Nvidia", "Graphcore")
    assert [n["label"] for n in answer["paths"][0]["nodes"]] == ["Nvidia", "Icera", "Nigel Toon", "Graphcore"]
    # 2 names + 3 frontier expansions + 2 to explain the hops
    assert remote.endpoint.queries - before <= 8
    answer = remote.find_paths("AMD", "Cerebras", all_shortest=True)
    here = find_paths(local, "AMD", "Cerebras", all_shortest=True)
    assert {tuple(n["label"] for n in p["nodes"]) for p in answer["paths"]} == {
        tuple(n["label"] for n in p["nodes"]) for p in here["paths"]}


def test_path_cli(virtuoso):
    there = _cli("--endpoint", virtuoso.url, "path", "Nvidia", "Graphcore")
    here = _cli("path", "Nvidia", "Graphcore")
    assert there.exit_code == 0 and there.stdout == here.stdout
    many = _cli("--endpoint", virtuoso.url, "path", "Nvidia", "Graphcore", "--k", "2")
    assert many.exit_code == 2 and "--all" in many.output
    short = _cli("--endpoint", virtuoso.url, "path", "Nvidia", "Graphcore", "--max-len", "2")
    assert short.exit_code == 1 and "within 2 hops" in short.output


@pytest.mark.parametrize("name, depth", [("Icera", 1), ("Graphcore", 2)])
def test_neighbors_match_the_local_engine(local, remote, name, depth):
    assert remote.neighbors(name, depth=depth) == neighbors(local, name, depth=depth)


def test_common_matches_the_local_engine(local, remote, virtuoso):
    assert remote.common_ties("SambaNova", "Cerebras") == common_ties(local, "SambaNova", "Cerebras")
    there = _cli("--endpoint", virtuoso.url, "common", "SambaNova", "Cerebras")
    assert there.exit_code == 0 and "Argonne National Laboratory" in there.stdout


def test_whole_graph_commands_say_so(virtuoso):
    for command in (["centrality"], ["communities"], ["info"], ["validate"]):
        result = _cli("--endpoint", virtuoso.url, *command)
        assert result.exit_code == 2, command
        assert f"`kg {command[0]}` needs the whole graph" in result.output and "Traceback" not in result.output
    both = _cli("--endpoint", virtuoso.url, "--data", "data/triples", "path", "AMD", "Intel")
    assert both.exit_code == 2


# --- SPARQL -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, params", [
    ("investors", {"company": "Groq"}),
    ("founders", {"company": "Cerebras"}),
    ("acquisitions", {}),
    ("timeline", {"company": "Tenstorrent"}),
    ("funding-summary", {}),
    ("people", {"organization": "Google"}),
])
def test_saved_queries_match_the_local_engine(local, remote, name, params):
    here = run_query(local, saved_query(name), params=params)
    there = remote.query(saved_query(name), params=params)
    assert there.vars == here.vars
    assert len(there.rows) == len(here.rows) > 0
    assert sorted(map(repr, there.records())) == sorted(map(repr, here.records()))


def test_saved_query_cli_csv_matches(virtuoso):
    args = ["sparql", "--name", "investors", "--param", "company=Groq", "--format", "csv"]
    there, here = _cli("--endpoint", virtuoso.url, *args), _cli(*args)
    assert there.exit_code == here.exit_code == 0, there.output
    assert there.stdout == here.stdout


def test_source_parameter_resolves_remotely(virtuoso):
    result = _cli("--endpoint", virtuoso.url, "sparql", "--name", "source", "--param", "source=cnbeta", "-F", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.count("\n") > 100


def test_timeout_is_honoured(remote, virtuoso):
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.perf_counter()
    with pytest.raises(QueryTimeout):
        remote.query(slow, timeout=1)
    assert time.perf_counter() - started < 4
    result = _cli("--endpoint", virtuoso.url, "sparql", slow, "--timeout", "1")
    assert result.exit_code == 1 and "did not answer within 1 s" in result.output


@pytest.mark.parametrize("text", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "DROP ALL",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://example.org/> WHERE { ?s ?p ?o }",
])
def test_updates_and_service_are_refused_before_sending(virtuoso, text):
    ep = RemoteKnowledgeGraph(virtuoso.url)
    with pytest.raises(QueryRefused):
        ep.query(text)
    assert ep.endpoint.queries == 0
    result = _cli("--endpoint", virtuoso.url, "sparql", text)
    assert result.exit_code == 2 and "refused" in result.output


def test_unreachable_endpoint_is_one_line():
    result = _cli("--endpoint", "http://127.0.0.1:1/sparql", "path", "Nvidia", "Graphcore")
    assert result.exit_code == 2 and "cannot reach the endpoint" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(BadInput):
        RemoteKnowledgeGraph("ftp://example.org/sparql")


@pytest.mark.parametrize("only", [None, ["investedIn"], ["founded", "workedAt"]])
def test_neighbours_of_a_set_match_the_local_adjacency(local, remote, only):
    """The backend protocol's "neighbours": one VALUES query per batch remotely, the compact adjacency locally."""
    from kg.backend import Backend

    nodes = ["https://w3id.org/chipskg/id/graphcore", "https://w3id.org/chipskg/id/jim-keller",
             "https://w3id.org/chipskg/id/nvidia"]
    here = local.neighbours(nodes, only=only)
    assert any(here.values())
    assert remote.neighbours(nodes, only=only) == here
    assert isinstance(remote, Backend) and isinstance(local, Backend)


# -----------------------------------------------------------------------------
# Hostile endpoints (a tiny server on loopback; no Virtuoso needed)
# -----------------------------------------------------------------------------

class _Hostile:
    """An HTTP server on a free loopback port answering every POST with ``answer(handler)``."""

    def __init__(self, answer):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                answer(self)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _drip(handler, body: bytes = b'{"head": {}, "boolean": true}' + b" " * 40):
    """Headers at once, then the answer one byte every 0.7 s (each read well inside any timeout)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/sparql-results+json")
    handler.end_headers()
    for byte in body:
        try:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
        except OSError:
            return
        time.sleep(0.7)


def _ask_true(handler):
    body = b'{"head": {}, "boolean": true}'
    handler.send_response(200)
    handler.send_header("Content-Type", "application/sparql-results+json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_timeout_bounds_the_whole_answer_not_each_read():
    with _Hostile(_drip) as server:
        started = time.perf_counter()
        with pytest.raises(QueryTimeout, match="did not answer within 2 s"):
            RemoteKnowledgeGraph(server.url).query("ASK {}", timeout=2)
        assert time.perf_counter() - started < 4
        started = time.perf_counter()
        result = _cli("--endpoint", server.url, "sparql", "--timeout", "2", "ASK {}")
        assert time.perf_counter() - started < 6
        assert result.exit_code == 1 and "did not answer within 2 s" in result.output
        assert "Traceback" not in result.output


def test_redirects_stay_on_the_endpoint_server():
    with _Hostile(_ask_true) as elsewhere:
        target = elsewhere.url

        def redirect(handler):
            handler.send_response(302)
            handler.send_header("Location", target if handler.path.startswith("/sparql") else "/")
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with _Hostile(redirect) as server:
            with pytest.raises(BadInput, match=r"redirected to http://127\.0\.0\.1:\d+/sparql, another server; not followed"):
                RemoteKnowledgeGraph(server.url).query("ASK {}")
            result = _cli("--endpoint", server.url, "sparql", "ASK {}")
            assert result.exit_code == 2 and "another server; not followed" in result.output

    def same_origin(handler):  # a redirect within the server is followed (as a GET, as urllib does for 302)
        if handler.path.startswith("/sparql"):
            handler.send_response(302)
            handler.send_header("Location", "/moved")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        else:
            _ask_true(handler)

    with _Hostile(same_origin) as server:
        assert RemoteKnowledgeGraph(server.url).query("ASK {}").boolean is True

"""`kg serve`: the real server on a loopback port, queried by SPARQLWrapper and plain HTTP."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import xml.dom.minidom
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, JSONLD, POST, POSTDIRECTLY, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

pytestmark = pytest.mark.server

TIMEOUT = 2.0  # the server's per-query limit in these tests
MAX_ROWS = 500
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def start_server(port, *extra, data=None, store=None, preexec_fn=None):
    """Start `python -m kg serve` and return (process, base URL, its output lines) once it answers."""
    args = [sys.executable, "-m", "kg"]
    if data:
        args += ["--no-bundled", "--data", str(data)]
    if store:
        args += ["--store", str(store)]
    args += ["serve", "--port", str(port), "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parents[1], preexec_fn=preexec_fn)
    lines, errors = [], []

    def read(stream, into):
        for line in stream:
            into.append(line)

    threading.Thread(target=read, args=(proc.stdout, lines), daemon=True).start()
    proc.stderr_reader = threading.Thread(target=read, args=(proc.stderr, errors), daemon=True)
    proc.stderr_reader.start()
    proc.errors = errors
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kg serve exited {proc.returncode}: {server_errors(proc)}")
        if any("SPARQL endpoint:" in line for line in lines):
            return proc, f"http://127.0.0.1:{port}", lines
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("kg serve did not start within 90 s")


def server_errors(proc) -> str:
    """What the server wrote to stderr (all of it, once it has exited)."""
    proc.stderr_reader.join(5)
    return "".join(proc.errors)


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def server():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc, base, lines = start_server(port)
    yield base
    stop_server(proc)


@pytest.fixture
def sparql(server):
    def make(query, fmt=JSON, method=None):
        client = SPARQLWrapper(f"{server}/sparql")
        client.setQuery(query)
        client.setReturnFormat(fmt)
        client.setTimeout(30)
        if method == "form":
            client.setMethod(POST)
        elif method == "direct":
            client.setMethod(POST)
            client.setRequestMethod(POSTDIRECTLY)
        return client
    return make


def triple_count(base) -> int:
    body = httpx.get(f"{base}/sparql", params={"query": COUNT},
                     headers={"Accept": "application/sparql-results+json"}).json()
    return int(body["results"]["bindings"][0]["n"]["value"])


# --- a real client: SELECT / ASK / CONSTRUCT in each format -------------------------------------

@pytest.mark.parametrize("method", [None, "form", "direct"])
def test_select_json_by_get_and_both_posts(sparql, method):
    q = sparql("SELECT ?chip WHERE { ?chip chips:foundry res:tsmc } ORDER BY ?chip", JSON, method)
    doc = q.query().convert()
    assert doc["head"]["vars"] == ["chip"]
    assert [b["chip"]["value"].rsplit("/", 1)[-1] for b in doc["results"]["bindings"]] == [
        "cardinal-sn10-rdu", "wse-2"]


def test_select_xml_csv_tsv(sparql):
    query = "SELECT ?chip ?n WHERE { ?chip chips:foundry res:tsmc ; chips:transistorCount ?n } ORDER BY ?chip"
    doc = sparql(query, XML).query().convert()
    assert isinstance(doc, xml.dom.minidom.Document)
    uris = [u.firstChild.data for u in doc.getElementsByTagName("uri")]
    assert [u.rsplit("/", 1)[-1] for u in uris] == ["cardinal-sn10-rdu", "wse-2"]
    csv_text = sparql(query, CSV).query().convert().decode()
    assert csv_text.splitlines() == ["chip,n", "https://w3id.org/chipskg/id/cardinal-sn10-rdu,40000000000",
                                     "https://w3id.org/chipskg/id/wse-2,2600000000000"]
    tsv_text = sparql(query, TSV).query().convert().decode()
    assert tsv_text.splitlines()[0] == "?chip\t?n"
    assert tsv_text.splitlines()[1].startswith("<https://w3id.org/chipskg/id/cardinal-sn10-rdu>\t")


def test_ask_json_and_xml(sparql):
    assert sparql("ASK { res:groq a chips:Startup }", JSON).query().convert() == {"head": {}, "boolean": True}
    doc = sparql("ASK { res:groq a chips:Foundry }", XML).query().convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "false"


def test_construct_turtle_xml_jsonld(sparql):
    query = "CONSTRUCT { ?c chips:foundry res:tsmc } WHERE { ?c chips:foundry res:tsmc }"
    turtle = sparql(query, TURTLE).query().convert()
    assert len(Graph().parse(data=turtle, format="turtle")) == 2
    rdfxml = sparql(query, XML).query().convert()  # SPARQLWrapper parses RDF/XML into a Graph
    assert isinstance(rdfxml, Graph) and len(rdfxml) == 2
    jsonld = sparql(query, JSONLD).query().convert()
    assert len(jsonld) == 2


def test_describe(sparql):
    g = Graph().parse(data=sparql("DESCRIBE res:groqchip", TURTLE).query().convert(), format="turtle")
    assert len(g) > 5


# --- read-only and offline -----------------------------------------------------------------------

class Listener:
    """A TCP listener on loopback that counts the connections it receives."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self.running = False
        self.thread.join(2)
        self.sock.close()


def test_an_update_is_refused_and_changes_nothing(server, sparql):
    before = triple_count(server)
    update = "INSERT DATA { res:intruder a chips:Startup ; rdfs:label \"Intruder\"@en }"
    client = sparql(update, JSON, "form")  # SPARQLWrapper sends an update as update=
    with pytest.raises(QueryBadFormed, match="read-only"):
        client.query()
    direct = httpx.post(f"{server}/sparql", content=update,
                        headers={"Content-Type": "application/sparql-update"})
    assert direct.status_code == 400 and "read-only" in direct.text
    as_query = httpx.get(f"{server}/sparql", params={"query": "DELETE WHERE { ?s ?p ?o }"})
    assert as_query.status_code == 400 and "SPARQL Update (DELETE WHERE) is refused" in as_query.text
    assert triple_count(server) == before > 1000
    assert sparql("ASK { res:intruder ?p ?o }").query().convert()["boolean"] is False


def test_service_and_remote_datasets_are_refused_without_any_outbound_request(server, sparql):
    listener = Listener()
    try:
        target = f"http://127.0.0.1:{listener.port}/sparql"
        with pytest.raises(QueryBadFormed, match="SERVICE .* is refused"):
            sparql(f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}").query()
        with pytest.raises(QueryBadFormed, match="FROM .* is refused"):
            sparql(f"SELECT * FROM <{target}> WHERE {{ ?s ?p ?o }}").query()
        with pytest.raises(QueryBadFormed, match="FROM NAMED .* is refused"):
            sparql(f"SELECT * FROM NAMED <{target}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}").query()
        graph_param = httpx.get(f"{server}/sparql", params={"query": "ASK {}", "default-graph-uri": target})
        assert graph_param.status_code == 400 and "default-graph-uri" in graph_param.text
        time.sleep(0.3)
        assert listener.connections == 0
    finally:
        listener.close()


# --- limits: time and rows ------------------------------------------------------------------------

def test_a_slow_query_is_cut_off_while_a_second_client_is_answered(server):
    slow = {}

    def run_slow():
        start = time.monotonic()
        response = httpx.get(f"{server}/sparql", params={"query": SLOW}, timeout=30)
        slow.update(status=response.status_code, text=response.text, elapsed=time.monotonic() - start)

    thread = threading.Thread(target=run_slow)
    thread.start()
    time.sleep(0.4)
    start = time.monotonic()
    quick = httpx.get(f"{server}/sparql", params={"query": "ASK { res:groq ?p ?o }"}, timeout=30)
    quick_elapsed = time.monotonic() - start
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    assert quick_elapsed < 1.0 and thread.is_alive()  # answered while the slow one still runs
    thread.join(30)
    assert slow["status"] == 503 and "time limit of 2 s" in slow["text"]
    assert TIMEOUT <= slow["elapsed"] < TIMEOUT + 4
    # and the server still answers afterwards, on every worker
    for _ in range(4):
        assert httpx.get(f"{server}/sparql", params={"query": "ASK {}"}).status_code == 200


def test_a_query_stuck_in_c_code_is_killed_and_its_worker_replaced(server):
    # A regular expression that backtracks for minutes inside the C regex engine, where the
    # worker cannot stop it itself: the server kills that worker and starts a fresh one.
    stuck = 'SELECT ?m WHERE { BIND(CONCAT("' + "a" * 40 + '", "!") AS ?s) FILTER(REGEX(?s, "^(a+)+$")) BIND(1 AS ?m) }'
    start = time.monotonic()
    response = httpx.get(f"{server}/sparql", params={"query": stuck}, timeout=60)
    assert response.status_code == 503 and "time limit" in response.text
    assert time.monotonic() - start < TIMEOUT + 6
    deadline = time.monotonic() + 60
    answered = 0
    while answered < 6 and time.monotonic() < deadline:  # both workers answer again
        answered += httpx.get(f"{server}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200
    assert answered == 6


def test_the_row_cap(server, sparql):
    with pytest.raises(QueryBadFormed, match=f"more than {MAX_ROWS} rows"):
        sparql("SELECT * WHERE { ?s ?p ?o }").query()
    ok = sparql(f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}").query().convert()
    assert len(ok["results"]["bindings"]) == MAX_ROWS


# --- malformed requests: 4xx with a message, never a traceback ---------------------------------------

def test_malformed_requests_get_a_message_and_no_traceback(server):
    cases = [
        (httpx.get(f"{server}/sparql", params={"query": "SELECT ?s WHERE {\n ?s ?p"}), 400, "line 2, column"),
        (httpx.get(f"{server}/sparql", params={"query": "SELEC *"}), 400, "line 1, column 1"),
        (httpx.get(f"{server}/sparql", params=[("query", "ASK {}"), ("query", "ASK {}")]), 400, "once"),
        (httpx.post(f"{server}/sparql", data={"format": "json"}), 400, "missing the 'query'"),
        (httpx.post(f"{server}/sparql", content=b"ASK {}", headers={"Content-Type": "text/plain"}), 415, "sparql-query"),
        (httpx.post(f"{server}/sparql", content=b"\xff\xfe",
                    headers={"Content-Type": "application/sparql-query"}), 400, "UTF-8"),
        (httpx.post(f"{server}/sparql", content=b"x" * 200_001,
                    headers={"Content-Type": "application/sparql-query"}), 413, "larger than"),
        (httpx.get(f"{server}/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": "turtle"}),
         406, "does not fit a SELECT"),
        (httpx.get(f"{server}/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"}), 406, "acceptable"),
        (httpx.put(f"{server}/sparql", content=b"ASK {}"), 405, "Method Not Allowed"),
        (httpx.get(f"{server}/nothing-here"), 404, "Not Found"),
    ]
    for response, status, words in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert words in response.text and response.text.startswith("Error: ")
        assert "Traceback" not in response.text and 'File "' not in response.text


# --- content negotiation, CORS, the page ----------------------------------------------------------------

def test_content_negotiation_and_the_format_parameter(server):
    query = {"query": "SELECT ?c WHERE { ?c chips:foundry res:tsmc } ORDER BY ?c"}
    cases = {
        "text/csv": "text/csv", "text/tab-separated-values": "text/tab-separated-values",
        "application/sparql-results+xml": "application/sparql-results+xml",
        "application/sparql-results+json": "application/sparql-results+json",
        "text/html,application/xhtml+xml,*/*;q=0.8": "application/sparql-results+json",
        "application/sparql-results+xml;q=0.5, text/csv": "text/csv",
    }
    for accept, media in cases.items():
        response = httpx.get(f"{server}/sparql", params=query, headers={"Accept": accept})
        assert response.status_code == 200 and response.headers["content-type"].startswith(media), accept
    tsv = httpx.get(f"{server}/sparql", params={**query, "format": "tsv"})
    assert tsv.text.startswith("?c\n<https://w3id.org/chipskg/id/cardinal-sn10-rdu>")
    graph = httpx.get(f"{server}/sparql", params={"query": "CONSTRUCT WHERE { res:gc200 ?p ?o }"},
                      headers={"Accept": "application/n-triples"})
    assert graph.headers["content-type"] == "application/n-triples"
    assert len(Graph().parse(data=graph.text, format="nt")) > 3


def test_other_web_pages_can_neither_read_answers_nor_ask_by_default(server):
    # A page on another origin (any web site the user has open) gets no CORS grant,
    preflight = httpx.options(f"{server}/sparql", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert "access-control-allow-origin" not in preflight.headers
    # and its requests are refused before they cost a query (a heavy one would bar the user's own address)
    heavy = {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"}
    port = server.rsplit(":", 1)[1]
    for headers in ({"Origin": "https://evil.example"},  # a browser that sends no Sec-Fetch-* headers
                    {"Origin": f"http://localhost:{int(port) + 1}", "Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"},
                    {"Origin": "null", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}):
        refused = httpx.post(f"{server}/sparql", data=heavy, headers=headers)
        assert refused.status_code == 403 and "other web sites" in refused.text, headers
        assert httpx.get(f"{server}/api/entity/graphcore", headers=headers).status_code == 403, headers
    # an answer is data: a browser neither guesses another type for it nor runs anything in it
    answer = httpx.get(f"{server}/sparql", params={"query": "SELECT ?s WHERE { ?s a chips:Startup }"})
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")
    # its own pages, a link followed from elsewhere, and clients that are not browsers are answered
    for headers in ({"Origin": server, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
                    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}, {}):
        answered = httpx.get(f"{server}/sparql", params={"query": "ASK {}"}, headers=headers)
        assert answered.status_code == 200 and "access-control-allow-origin" not in answered.headers, headers


def test_a_foreign_host_header_is_refused_and_never_echoed(server):
    # DNS rebinding: evil.example resolves to 127.0.0.1, the browser sends Host: evil.example.
    port = server.rsplit(":", 1)[1]
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "[::2]"):
        response = httpx.get(f"{server}/sparql", params={"query": "ASK {}"}, headers={"Host": host})
        assert response.status_code == 400, host
        assert "evil" not in response.text and "true" not in response.text
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        ok = httpx.get(f"{server}/sparql", params={"query": "ASK {}"}, headers={"Host": host})
        assert ok.status_code == 200 and ok.json()["boolean"] is True, host
    description = httpx.get(f"{server}/sparql", headers={"Host": f"localhost:{port}", "Accept": "text/turtle"})
    assert f"<http://127.0.0.1:{port}/sparql>" in description.text and "localhost" not in description.text
    redirect = httpx.get(f"{server}/sparql", headers={"Host": f"localhost:{port}", "Accept": "text/html"})
    assert redirect.status_code == 303 and redirect.headers["location"] == "/query"


def test_cors_for_an_origin_named_on_the_command_line(free_port):
    proc, base, _ = start_server(free_port, "--workers", "1", "--cors-origin", "https://yasgui.example",
                                 "--allow-host", "kg.lan")
    try:
        preflight = httpx.options(f"{base}/sparql", headers={
            "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://yasgui.example"
        named = httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
        assert named.headers["access-control-allow-origin"] == "https://yasgui.example"
        other = httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
        assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
        assert httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, headers={"Host": "kg.lan"}).status_code == 200
    finally:
        stop_server(proc)


def test_the_query_page_and_its_assets_are_local(server):
    page = httpx.get(f"{server}/query")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert "static/yasgui.min.js" in refs and "static/yasgui.min.css" in refs
    assert not [r for r in refs if re.match(r"(https?:)?//", r)]
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for ref in refs:
        asset = httpx.get(f"{server}/{ref}")
        assert asset.status_code == 200 and len(asset.content) > 100, ref
    static = Path(__file__).resolve().parents[1] / "kg" / "static"
    assert "MIT License" in (static / "YASGUI-LICENSE.txt").read_text()
    saved = httpx.get(f"{server}/queries").json()
    assert len(saved["queries"]) >= 12 and "PREFIX chips:" in saved["prologue"]


def test_service_description(server):
    response = httpx.get(f"{server}/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    g = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, None, None) in g and any(str(p) == sd + "endpoint" for p in g.predicates())
    browser = httpx.get(f"{server}/sparql", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 303 and browser.headers["location"].endswith("/query")


def test_the_server_serves_the_data_it_was_given(tmp_path, free_port):
    from kgtest import write_ttl

    extra = write_ttl(tmp_path, """
res:test-fab a chips:Foundry ; rdfs:label "Test Fab"@en , "测试代工厂"@zh ; prov:wasDerivedFrom src:test-note .
""")
    proc, base, lines = start_server(free_port, "--workers", "1", data=extra)
    try:
        csv_text = httpx.get(f"{base}/sparql", params={"query": "SELECT ?f WHERE { ?f a chips:Foundry }"},
                             headers={"Accept": "text/csv"}).text
        assert csv_text.split() == ["f", "https://w3id.org/chipskg/id/test-fab"]
        assert any(re.match(r"Serving [\d,]+ triples from 1 file", line) for line in lines)
    finally:
        stop_server(proc)


def test_a_port_in_use_is_a_one_line_error(free_port):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port))
        busy.listen(1)
        result = subprocess.run([sys.executable, "-m", "kg", "serve", "--port", str(free_port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: cannot listen on 127.0.0.1:") and "Traceback" not in result.stderr


# --- the page in a real browser (YASGUI, offline) ------------------------------------------------------------

@pytest.mark.browser
def test_the_query_page_runs_a_query_in_a_browser_without_leaving_the_host(server):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        pytest.skip("no Chromium on this machine")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            requested, errors = [], []
            page.on("request", lambda r: requested.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server}/query?endpoint=http://evil.example/sparql")  # a link that tries to send queries away
            page.wait_for_selector(".yasqe .CodeMirror", timeout=15_000)
            assert page.evaluate("window.kgYasgui.getTab().getEndpoint()") == f"{server}/sparql"
            page.click(".yasqe_queryButton")
            page.wait_for_selector(".yasr table.dataTable tbody tr", timeout=15_000)
            assert page.locator(".yasr table.dataTable tbody tr").count() >= 5
            assert "Graphcore" in page.locator(".yasr").inner_text()
            options = page.locator("#saved option").all_inner_texts()
            assert len(options) >= 13
        finally:
            browser.close()
    assert not errors
    assert requested and all(url.startswith(server) for url in requested), requested


def test_serving_an_oxigraph_store(tmp_path, free_port):
    from kg.store import build_store
    from kg.synth import synthesize

    data = synthesize(tmp_path / "data", 20, seed=5).path
    build_store(tmp_path / "store", [data])
    proc, base, _ = start_server(free_port, store=tmp_path / "store")
    try:
        client = SPARQLWrapper(f"{base}/sparql")
        client.setQuery("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?i chips:investedIn ?c }")
        client.setReturnFormat(JSON)
        served = int(client.query().convert()["results"]["bindings"][0]["n"]["value"])
    finally:
        stop_server(proc)
    from kg import load

    local = load([data]).graph.query("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?i chips:investedIn ?c }",
                                     initNs={"chips": "https://w3id.org/chipskg/ontology#"})
    assert served == int(next(iter(local))[0]) > 0


# --- connections: half-sent requests, a cap on open connections ---------------------------------------

def _recv_all(sock, deadline: float) -> bytes:
    """Read until the server closes the connection, or until ``deadline`` (monotonic)."""
    chunks = []
    try:
        while True:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks)


def test_half_sent_requests_are_timed_out_and_connections_are_capped(free_port):
    import resource

    def low_descriptor_limit():  # as on a machine with `ulimit -n 256`
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    proc, base, _ = start_server(free_port, "--workers", "1", "--request-timeout", "3", "--max-connections", "100",
                                 preexec_fn=low_descriptor_limit)
    try:
        half = [b"", b"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                b"Content-Length: 100\r\n\r\nASK"]
        held = []
        for i in range(400):  # more than the descriptors the server has
            sock = socket.create_connection(("127.0.0.1", free_port))
            sock.sendall(half[i % 3])
            held.append(sock)
        start = time.monotonic()
        replies = [_recv_all(sock, start + 10) for sock in held]
        elapsed = time.monotonic() - start
        for sock in held:
            sock.close()
        refused = [r for r in replies if r.startswith(b"HTTP/1.1 503") and b"too many open connections" in r]
        timed_out = [r for r in replies if r.startswith(b"HTTP/1.1 408")]
        # Over the cap a connection is refused at once; under it, it is closed after 3 s without a whole request.
        assert len(refused) >= 200 and len(refused) + len(timed_out) >= 390, {r[:30] for r in replies}
        assert elapsed < 8  # so every connection the client held was closed by the server
        answer = httpx.get(f"{base}/sparql", params={"query": "ASK { res:groq ?p ?o }"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["boolean"] is True
    finally:
        stop_server(proc)
        errors = server_errors(proc)
    assert "Too many open files" not in errors and len(errors) < 2000, errors[-2000:]

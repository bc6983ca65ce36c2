"""`kg serve` under attack: parsing inside the time limit, fair sharing of the workers, memory, leaks."""

import statistics
import threading
import time

import httpx
import psutil
import pytest

from test_server import server_errors, start_server, stop_server

pytestmark = pytest.mark.server

CHEAP = "ASK { res:groq ?p ?o }"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SUMS = "SELECT (" + "+".join(["1"] * 15_000) + " AS ?x) WHERE {}"  # 30 KB (under the size cap) that rdflib takes many seconds to parse
# Each BIND doubles the string: 64 characters doubled 24 times make 1 GB.
DOUBLING = (f'SELECT (STRLEN(?s24) AS ?n) WHERE {{ BIND("{"0123456789abcdef" * 4}" AS ?s0) '
            + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(24)) + " }")
# Python's re backtracks 2**60 times (and holds the interpreter, so the worker cannot stop it at its CPU budget)
REGEX_BOMB = 'SELECT ?x WHERE { BIND(REPLACE("' + "a" * 60 + '!", "^(a|a)*$", "b") AS ?x) }'
LIMITS = ("--memory", "300", "--timeout", "6")  # rdflib alone takes seconds to parse DOUBLING on a busy machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc, base, _ = start_server(port, *LIMITS)
    yield base, proc
    stop_server(proc)


def client(address: str) -> httpx.Client:
    """An HTTP client on its own loopback address, so the server sees a separate peer."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30)


def worker_memory_mb(proc) -> list[float]:
    return [c.memory_info().rss / 2**20 for c in psutil.Process(proc.pid).children(recursive=True)]


def test_a_query_that_is_slow_to_parse_is_stopped_at_the_time_limit(server):
    base, _ = server
    start = time.monotonic()
    response = httpx.get(f"{base}/sparql", params={"query": SUMS}, timeout=60)
    elapsed = time.monotonic() - start
    assert response.status_code == 503 and "time limit" in response.text, response.text
    assert elapsed < 6 + 3
    too_long = httpx.post(f"{base}/sparql", data={"query": "SELECT (" + "+".join(["1"] * 20_000) + " AS ?x) {}"})
    assert too_long.status_code == 413 and "characters long" in too_long.text
    assert httpx.get(f"{base}/sparql", params={"query": CHEAP}).json()["boolean"] is True


def test_cheap_queries_do_not_wait_behind_expensive_ones(server):
    cheap_versus_hostile(server[0])


def cheap_versus_hostile(base):
    """Six clients send queries that cannot finish while a seventh sends cheap ones: it is answered at once."""
    stop = time.monotonic() + 6
    hostile_replies = []

    def attack(address):
        with client(address) as http:
            while time.monotonic() < stop:
                for query in (CARTESIAN, SUMS, REGEX_BOMB):
                    hostile_replies.append(http.get(f"{base}/sparql", params={"query": query}))

    attackers = [threading.Thread(target=attack, args=(f"127.0.0.{i}",)) for i in range(2, 8)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)
    latencies, statuses, failures = [], [], []
    with client("127.0.0.20") as http:
        while time.monotonic() < stop - 0.5:
            began = time.monotonic()
            response = http.get(f"{base}/sparql", params={"query": CHEAP})
            latencies.append(time.monotonic() - began)
            statuses.append(response.status_code)
            if response.status_code != 200:
                failures.append(response.text)
            time.sleep(0.05)
    for thread in attackers:
        thread.join(30)
    assert len(statuses) >= 10 and set(statuses) == {200}, failures
    assert statistics.median(latencies) < 0.3 and max(latencies) < 1.5, latencies
    refused = [r for r in hostile_replies if r.status_code in (429, 503)]
    assert refused and all(r.text.startswith("Error: ") for r in refused), [r.text for r in refused]
    # The hostile queries look heavy: they share a third of the workers, and wait for it.
    assert any("query workers stayed busy" in r.text for r in refused), [r.text for r in refused]
    return latencies


def test_a_query_that_exhausts_memory_gets_503_and_the_server_goes_on(server):
    base, proc = server
    before = sum(worker_memory_mb(proc))
    response = httpx.get(f"{base}/sparql", params={"query": DOUBLING}, timeout=60)
    assert response.status_code == 503 and "memory limit" in response.text, response.text
    assert max(worker_memory_mb(proc)) < 600  # 300 MB of headroom over what a worker holds
    deadline = time.monotonic() + 60
    answered = 0
    while answered < 6 and time.monotonic() < deadline:
        answered += httpx.get(f"{base}/sparql", params={"query": CHEAP}, timeout=30).status_code == 200
    assert answered == 6 and sum(worker_memory_mb(proc)) < before + 300


@pytest.fixture(scope="module")
def store_server(tmp_path_factory):
    import socket

    from kg.store import build_store
    from kg.synth import synthesize

    tmp = tmp_path_factory.mktemp("store-server")
    data = synthesize(tmp / "data", 20, seed=5).path
    build_store(tmp / "store", [data])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc, base, _ = start_server(port, *LIMITS, store=tmp / "store")
    yield base, proc
    stop_server(proc)


def test_cheap_queries_do_not_wait_behind_queries_oxigraph_cannot_stop(store_server):
    # Oxigraph cannot be interrupted inside the cartesian product: each such query costs a worker.
    base, proc = store_server
    latencies = cheap_versus_hostile(base)
    assert statistics.quantiles(latencies, n=20)[-1] < 0.5, latencies
    replaced = server_errors_so_far(proc).count("replacing a query worker")
    assert replaced > 0
    deadline = time.monotonic() + 60  # the replacements are ready again before the next test measures memory
    while server_errors_so_far(proc).count("starting its successor") < replaced and time.monotonic() < deadline:
        time.sleep(0.2)


def server_errors_so_far(proc) -> str:
    return "".join(proc.errors)


def test_store_results_do_not_leak_and_memory_bombs_are_contained(store_server):
    base, proc = store_server
    capped = {"query": "SELECT * WHERE { ?s ?p ?o }"}  # over the row cap: the query stops part-way through
    with httpx.Client(timeout=30) as http:
        for _ in range(60):
            assert http.get(f"{base}/sparql", params=capped).status_code == 400
        settled = sum(worker_memory_mb(proc))
        for _ in range(300):
            assert http.get(f"{base}/sparql", params=capped).status_code == 400
        grown = sum(worker_memory_mb(proc)) - settled
        assert grown < 30, f"the workers grew by {grown:.0f} MB over 300 queries"
        bomb = http.get(f"{base}/sparql", params={"query": DOUBLING})
        assert bomb.status_code == 503 and "memory limit" in bomb.text, bomb.text
        barred = http.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"})  # restarting it costs the others
        assert barred.status_code == 429 and "stopped a worker" in barred.text, barred.text
        with client("127.0.0.9") as other:  # while other clients are served
            assert other.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        deadline = time.monotonic() + 60
        answered = 0
        while answered < 6 and time.monotonic() < deadline:
            answered += http.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        assert answered == 6
    stop_server(proc)
    assert "unsendable" not in server_errors(proc)


def test_no_saved_question_is_taken_for_a_heavy_query():
    # The static guess keeps hostile-looking queries off the workers held for light ones; the
    # project's own questions (long, with sub-selects and GROUP BY lists) must not be among them.
    from kg.server import looks_heavy
    from kg.sparql import saved_queries

    assert not [q.name for q in saved_queries() if looks_heavy(q.text, python_regex=True)]
    assert looks_heavy(CARTESIAN) and looks_heavy(SUMS) and looks_heavy(DOUBLING)
    assert looks_heavy(REGEX_BOMB, python_regex=True) and not looks_heavy(REGEX_BOMB)  # Oxigraph's regex is linear

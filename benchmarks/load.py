"""Load, attack and leak benchmark of `kg serve` (loopback only; every loop is bounded and stops by itself).

Two measurements, each on the bundled data served from files or from an Oxigraph store built
from the same data:

* ``load``: CLIENTS clients, each on its own loopback address (127.0.1.N, so the server sees
  separate peers), query for DURATION seconds with a random pause of about THINK seconds between
  queries. A SLOW-FRACTION of the clients are hostile: they send the queries of issue 13 (a 90 KB
  ``1+1+…``, an ``IN`` list of 15,000 values, ORDER BY over a cartesian product, doubling
  ``CONCAT``s) and a few slow-to-parse ones that pass the size bound. The others send cheap
  lookups about entities of the data. Reported: latency percentiles and error rate of the
  normal queries, what the hostile ones got, and the workers' memory over time.
* ``leak``: QUERIES queries of every kind (SELECT, ASK, CONSTRUCT, DESCRIBE, over the row cap,
  malformed, refused, slow to parse, memory bombs; or with --capped-only only those over the
  row cap) from 4 clients; the workers' memory is sampled as they go.

Examples::

    python benchmarks/load.py load --backend files --clients 100 --slow-fraction 0.1 --duration 30
    python benchmarks/load.py load --backend store
    python benchmarks/load.py leak --backend store --queries 10000

Prints a Markdown table row per run; with --json, writes every figure to a file; with --save,
keeps the run in benchmarks/load-results.json and rewrites the section of benchmarks/RESULTS.md
from every run kept there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
from results_md import when, write_section

ROOT = Path(__file__).resolve().parents[1]

HOSTILE = {
    "sum-90KB": "SELECT (" + "+".join(["1"] * 45_000) + " AS ?x) WHERE {}",
    "in-15000": "SELECT ?s WHERE { ?s ?p ?o FILTER(?o IN (" + ",".join(str(i) for i in range(15_000)) + ")) }",
    "cartesian-order-by": "SELECT ?a ?b ?c WHERE { ?a ?p ?x . ?b ?q ?y . ?c ?r ?z } ORDER BY ?c ?b ?a LIMIT 1",
    "doubling-concat": ('SELECT (STRLEN(?s30) AS ?n) WHERE { BIND("0123456789abcdef" AS ?s0) '
                        + " ".join(f"BIND(CONCAT(?s{i}, ?s{i}) AS ?s{i + 1})" for i in range(30)) + " }"),
    "sum-3KB": "SELECT (" + "+".join(["1"] * 1500) + " AS ?x) WHERE {}",
    "in-2000": "SELECT ?s WHERE { ?s ?p ?o FILTER(?o IN (" + ",".join(str(i) for i in range(2000)) + ")) }",
}
NORMAL = [
    "ASK {{ <{e}> ?p ?o }}",
    "SELECT ?p ?o WHERE {{ <{e}> ?p ?o }} LIMIT 100",
    "SELECT ?label WHERE {{ <{e}> rdfs:label ?label }}",
    "SELECT ?s ?p WHERE {{ ?s ?p <{e}> }} LIMIT 100",
    "CONSTRUCT {{ <{e}> ?p ?o }} WHERE {{ <{e}> ?p ?o }}",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(backend: str, workdir: Path, extra: list[str], source: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start `kg serve` of the checkout ``source`` on a free loopback port; return the process and its URL."""
    args = [sys.executable, "-m", "kg"]
    if backend == "store":
        from kg.store import build_store

        build_store(workdir / "store")  # the bundled data
        args += ["--store", str(workdir / "store")]
    port = free_port()
    args += ["serve", "--port", str(port), *extra]
    log = open(workdir / "server.log", "w")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True, cwd=source)
    for line in proc.stdout:
        if "SPARQL endpoint:" in line:
            break
    else:
        raise SystemExit(f"kg serve did not start; see {workdir / 'server.log'}")
    threading.Thread(target=lambda: proc.stdout.read(), daemon=True).start()
    return proc, f"http://127.0.0.1:{port}"


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def worker_memory(proc: subprocess.Popen) -> list[float]:
    """Resident memory (MB) of each worker process of the server."""
    out = []
    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            out.append(child.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            pass
    return out


class Sampler(threading.Thread):
    """Samples the workers' memory every ``every`` seconds until stopped."""

    def __init__(self, proc, every: float = 1.0):
        super().__init__(daemon=True)
        self.proc, self.every, self.samples, self.done = proc, every, [], threading.Event()
        self.started = time.monotonic()

    def run(self):
        while not self.done.wait(self.every):
            sizes = worker_memory(self.proc)
            self.samples.append((round(time.monotonic() - self.started, 1), round(sum(sizes)), round(max(sizes or [0]))))


def entities(base: str) -> list[str]:
    query = "SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l } ORDER BY ?e LIMIT 300"
    rows = httpx.get(f"{base}/sparql", params={"query": query}, timeout=60).json()["results"]["bindings"]
    return [r["e"]["value"] for r in rows]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_clients(base, plans, think, until, seed) -> list:
    """Run the clients of one load-generating process until ``until`` (epoch seconds); return their records."""
    random.seed(seed)
    records: list = []

    async def main():
        stop = time.monotonic() + (until - time.time())
        await asyncio.gather(*(client_loop(base, address, queries, think, stop, records, kind)
                               for address, queries, kind in plans))

    asyncio.run(main())
    return records


async def client_loop(base, address, queries, think, until, records, kind):
    # A connection per query, as from a client that comes back after a pause: a kept-alive one would race
    # the server closing it after 5 s idle (the client sends as the server closes: a ReadError).
    transport = httpx.AsyncHTTPTransport(local_address=address, limits=httpx.Limits(max_keepalive_connections=0))
    async with httpx.AsyncClient(transport=transport, timeout=60) as http:
        await asyncio.sleep(random.uniform(0, think))  # spread the start
        while time.monotonic() < until:
            name, text = random.choice(queries)
            began = time.monotonic()
            timing = {}
            try:
                response = await http.post(f"{base}/sparql", data={"query": text})
                status = response.status_code
                timing = server_timing(response.headers.get("server-timing", ""))
            except httpx.HTTPError as e:
                status = type(e).__name__
            records.append((kind, name, status, time.monotonic() - began,
                            timing.get("wait"), timing.get("run"), timing.get("app")))
            await asyncio.sleep(random.uniform(0.5, 1.5) * think)


def server_timing(header: str) -> dict:
    """Seconds by name from a Server-Timing header (``wait;dur=1.2, run;dur=3.4``, in ms)."""
    out = {}
    for part in header.split(","):
        name, _, rest = part.strip().partition(";dur=")
        if name and rest:
            out[name] = float(rest) / 1000
    return out


def breakdown(records) -> dict:
    """Where the slowest tenth of the normal queries spent their time (mean ms).

    ``wait`` for a worker and ``run`` in it, ``server`` the rest of the request handler, ``other``
    outside it (the HTTP exchange, the event loop, and the load generator's own delays).
    """
    timed = sorted((r for r in records if r[4] is not None), key=lambda r: r[3])
    slow = timed[int(len(timed) * 0.9):]
    if not slow:
        return {}
    mean = lambda values: round(1000 * sum(values) / len(values), 1)  # noqa: E731
    return {"queries": len(slow), "total_ms": mean([r[3] for r in slow]), "wait_ms": mean([r[4] for r in slow]),
            "run_ms": mean([r[5] for r in slow]), "server_ms": mean([r[6] - r[4] - r[5] for r in slow]),
            "other_ms": mean([r[3] - r[6] for r in slow])}


def run_load(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start(args.backend, Path(tmp), ["--workers", str(args.workers)], args.source)
        try:
            names = entities(base)
            normal = [(t.split()[0], t.format(e=e)) for e in names for t in NORMAL]
            hostile = list(HOSTILE.items())
            n_hostile = round(args.clients * args.slow_fraction)
            plans = [(f"127.0.1.{i + 1}", hostile if i < n_hostile else normal, "hostile" if i < n_hostile else "normal")
                     for i in range(args.clients)]
            shares = [plans[k::args.processes] for k in range(args.processes)]
            until = time.time() + args.duration + 2
            with multiprocessing.get_context("fork").Pool(args.processes) as pool:
                sampler = Sampler(proc)
                sampler.start()
                parts = pool.starmap(run_clients, [(base, share, args.think, until, args.seed + k)
                                                   for k, share in enumerate(shares)])
            records = [r for part in parts for r in part]
            sampler.done.set()
            sampler.join()
            log = (Path(tmp) / "server.log").read_text(errors="replace")
        finally:
            stop(proc)
    fast = [r for r in records if r[0] == "normal"]
    latencies = [r[3] * 1000 for r in fast]
    errors = [r for r in fast if r[2] != 200]
    bad = [r for r in records if r[0] == "hostile"]
    outcome: dict = {}
    for _, name, status, *_ in bad:
        outcome.setdefault(name, {}).setdefault(str(status), 0)
        outcome[name][str(status)] += 1
    mem = sampler.samples
    result = {
        "run": "load", "backend": args.backend, "clients": args.clients, "hostile_clients": n_hostile,
        "slow_fraction_of_queries": round(len(bad) / max(1, len(records)), 3),
        "workers": args.workers, "duration_s": args.duration, "think_s": args.think,
        "processes": args.processes,
        "normal_queries": len(fast), "normal_per_s": round(len(fast) / args.duration, 1),
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(max(latencies or [0]), 1),
        "normal_errors": len(errors), "error_rate": round(len(errors) / max(1, len(fast)), 4),
        "error_statuses": sorted({str(r[2]) for r in errors}),
        "slowest_tenth": breakdown(fast),
        "hostile_queries": len(bad), "hostile_outcomes": outcome,
        "memory_mb_total_max": [(t, total, biggest) for t, total, biggest in mem],
        "server_log_bytes": len(log), "unsendable_in_log": log.count("unsendable"),
        "workers_replaced": log.count("replacing a query worker"),
        "stop_s": [float(x) for x in re.findall(r"stopping it took ([0-9.]+) s", log)],
        "start_s": [float(x) for x in re.findall(r"starting its successor ([0-9.]+) s", log)],
    }
    row = (f"| {args.backend} | {args.clients} | {n_hostile} ({result['slow_fraction_of_queries']:.0%} of queries) | "
           f"{len(fast)} | {result['p50_ms']:.0f} | {result['p95_ms']:.0f} | {result['p99_ms']:.0f} | "
           f"{result['error_rate']:.2%} | {memory_line(mem)} |")
    print(row)
    return result


def memory_line(samples) -> str:
    """Total worker memory at the start, at its peak and at the end (and the largest worker seen), in MB."""
    if not samples:
        return "-"
    picks = [samples[0], max(samples, key=lambda s: s[1]), samples[-1]]
    biggest = max(s[2] for s in samples)
    return " → ".join(f"{s[1]}" for s in picks) + f" (largest worker {biggest})"


def run_leak(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, base = start(args.backend, Path(tmp), ["--workers", str(args.workers), "--max-rows", "500"],
                           args.source)
        try:
            names = entities(base)
            kinds = [(t.split()[0], t.format(e=e)) for e in names[:50] for t in NORMAL]
            kinds += [("DESCRIBE", f"DESCRIBE <{e}>") for e in names[:20]]
            kinds += [("over-row-cap", "SELECT * WHERE { ?s ?p ?o }"),
                      ("over-row-cap", "CONSTRUCT WHERE { ?s ?p ?o }"),
                      ("malformed", "SELECT ?s WHERE { ?s ?p"), ("refused", "CLEAR ALL"),
                      ("refused", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }")]
            rare = [("hostile", text) for text in HOSTILE.values()]
            if args.capped_only:  # the queries that leaked: stopped part-way by the row cap
                kinds = rare = [k for k in kinds if k[0] == "over-row-cap"]
            samples, statuses, done = [], {}, 0
            lock = threading.Lock()
            started = time.monotonic()

            def one_client(address, count):
                nonlocal done
                with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=60) as http:
                    for i in range(count):
                        name, text = random.choice(rare) if i % 200 == 199 else random.choice(kinds)
                        try:
                            status = http.post(f"{base}/sparql", data={"query": text}).status_code
                        except httpx.HTTPError as e:
                            status = type(e).__name__
                        with lock:
                            statuses.setdefault(name, {}).setdefault(str(status), 0)
                            statuses[name][str(status)] += 1
                            done += 1
                            if done % max(1, args.queries // 20) == 0:
                                sizes = worker_memory(proc)
                                samples.append((done, round(time.monotonic() - started), round(sum(sizes)),
                                                round(max(sizes or [0]))))

            threads = [threading.Thread(target=one_client, args=(f"127.0.2.{i + 1}", args.queries // 4))
                       for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            log = (Path(tmp) / "server.log").read_text(errors="replace")
        finally:
            stop(proc)
    result = {"run": "leak", "backend": args.backend, "queries": done, "workers": args.workers,
              "seconds": round(time.monotonic() - started), "statuses": statuses,
              "memory_by_queries": samples, "unsendable_in_log": log.count("unsendable"),
              "workers_replaced": log.count("replacing a query worker"), "server_log_bytes": len(log)}
    first, last = samples[0], samples[-1]
    print(f"| {args.backend} | {done:,} | {result['seconds']} | "
          + " → ".join(f"{s[2]}" for s in samples[:: max(1, len(samples) // 5)]) + f" → {last[2]}"
          + f" | {last[2] - first[2]:+d} | {result['unsendable_in_log']} |")
    return result


SAVED = Path(__file__).resolve().parent / "load-results.json"
TITLE = "The endpoint under load and attack (`benchmarks/load.py`, issue 13)"


def default_label(args) -> str:
    if args.run == "leak":
        return f"leak, {args.backend}, {'row-capped only' if args.capped_only else 'every kind'}"
    share = round(args.clients * args.slow_fraction)
    return f"{args.backend}, {f'{args.slow_fraction:.0%} hostile' if share else 'no hostile'}"


def report(runs: dict) -> str:
    """The RESULTS.md section: every kept load run, the goal, where the slow queries' time went, the leak runs."""
    loads = {k: r for k, r in runs.items() if r["run"] == "load"}
    leaks = {k: r for k, r in runs.items() if r["run"] == "leak"}
    lines = [
        "Written by `python benchmarks/load.py load|leak ... --save [LABEL]` from every run kept in",
        "`benchmarks/load-results.json`. The server is `kg serve` with its defaults (10 s limit, 0.25 s budget,",
        "1,024 MB per worker; workers as given) on the bundled data, from files or from a store built from",
        "the same files; a \"before\" row is the same benchmark against an older checkout (`--source`).",
        "Each client has its own loopback address; the hostile ones send the queries of the issue (a 90 KB",
        "`1+1+…`, an `IN` list of 15,000 values, ORDER BY over a cartesian product, 30 doubling `CONCAT`s)",
        "and two slow-to-parse ones under the size bound (a 3 KB sum, `IN` of 2,000); the others send",
        "cheap lookups about 300 entities (five shapes, SELECT/ASK/CONSTRUCT), pausing THINK × 0.5–1.5 s",
        "between queries. \"Measured\" gives the machine's load average at the time: latencies on a",
        "loaded machine are mostly time spent waiting for a core, so compare rows measured alike.",
        "",
        "| Run | Measured | Workers | Clients | Hostile clients (share of queries) | Normal queries | p50 ms "
        "| p95 ms | p99 ms | Normal errors | Workers replaced | Worker memory, total MB: start → peak → end "
        "(largest worker) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in loads.items():
        errors = f"{r['error_rate']:.1%}" + (f" ({', '.join(r['error_statuses'])})" if r["error_statuses"] else "")
        lines.append(
            f"| {label} | {r.get('measured', '2026-11-30 20:00 UTC, load 15–18')} | {r['workers']} | {r['clients']} "
            f"| {r['hostile_clients']} ({r['slow_fraction_of_queries']:.0%}) | {r['normal_queries']:,} "
            f"| {r['p50_ms']:,.0f} | {r['p95_ms']:,.0f} | {r['p99_ms']:,.0f} | {errors} | {r['workers_replaced']} "
            f"| {memory_line(r['memory_mb_total_max'])} |")
    lines += ["", "**The goal** (100 clients, 10% hostile: normal p95 < 100 ms and no errors), run by run:", ""]
    for label, r in loads.items():
        if r["hostile_clients"] and r["clients"] >= 100 and "before" not in label:
            met = r["p95_ms"] < 100 and r["normal_errors"] == 0
            lines.append(f"- {label}: p95 {r['p95_ms']:,.0f} ms, {r['normal_errors']} error(s): "
                         f"**{'met' if met else 'missed'}**.")
    timed = {k: r for k, r in loads.items() if r.get("slowest_tenth")}
    if timed:
        lines += ["", "Where the slowest tenth of the normal queries spent their time (mean ms; from the",
                  "server's `Server-Timing` header: waiting for a worker, running in it, the rest of the",
                  "request handler, and outside it: the HTTP exchange and the load generator's own delays):", "",
                  "| Run | Queries | Total | Wait | Run | Handler | Outside | Worker restarts: stop / start s |",
                  "|---|---|---|---|---|---|---|---|"]
        for label, r in timed.items():
            t = r["slowest_tenth"]
            stops, starts = r.get("stop_s") or [0], r.get("start_s") or [0]
            lines.append(f"| {label} | {t['queries']} | {t['total_ms']:,.0f} | {t['wait_ms']:,.0f} "
                         f"| {t['run_ms']:,.0f} | {t.get('server_ms', 0):,.0f} | {t['other_ms']:,.0f} "
                         f"| {max(stops):.2f} / {max(starts):.2f} (longest) |")
    if leaks:
        lines += ["", "Leak (4 clients on their own addresses, `--max-rows 500`):", "",
                  "| Run | Measured | Queries | Seconds | Worker memory, total MB, as the queries go | Growth "
                  "| \"unsendable\" errors in the log |", "|---|---|---|---|---|---|---|"]
        for label, r in leaks.items():
            samples = r["memory_by_queries"]
            picks = samples[:: max(1, len(samples) // 5)] + samples[-1:]
            lines.append(f"| {label} | {r.get('measured', '2026-11-30 20:00 UTC, load 15–18')} | {r['queries']:,} "
                         f"| {r['seconds']} | {' → '.join(str(s[2]) for s in picks)} "
                         f"| {samples[-1][2] - samples[0][2]:+d} MB | {r['unsendable_in_log']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", choices=["load", "leak"])
    parser.add_argument("--backend", choices=["files", "store"], default="files")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--slow-fraction", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean pause between a client's queries (s)")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--processes", type=int, default=4, help="load: processes the clients are spread over")
    parser.add_argument("--capped-only", action="store_true", help="leak: only queries over the row cap")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--save", nargs="?", const="", metavar="LABEL",
                        help="keep the run in load-results.json (under LABEL, by default backend and share of "
                             "hostile clients) and rewrite its section of RESULTS.md")
    parser.add_argument("--source", type=Path, default=ROOT,
                        help="serve with the kg of this checkout (e.g. an older commit, to compare)")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    measured = when()
    result = run_load(args) if args.run == "load" else run_leak(args)
    result["measured"] = measured
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.save is not None:
        runs = json.loads(SAVED.read_text()) if SAVED.exists() else {}
        runs[args.save or default_label(args)] = result
        SAVED.write_text(json.dumps(runs, indent=1) + "\n")
        write_section(TITLE, report(runs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

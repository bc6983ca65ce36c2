"""Time the explorer's pages: server time per page, on the bundled data and on a large synthetic store.

Run from the project root::

    python benchmarks/explorer.py                         # bundled data, over --endpoint, then a 1M-triple store
    python benchmarks/explorer.py --store PATH            # an existing store (built by kg load --store)
    python benchmarks/explorer.py --triples 100000        # a smaller synthetic graph
    python benchmarks/explorer.py --store PATH --only store   # one graph only, printed (no files written)

Starts ``kg serve --workers 1`` as a user would, asks every page once to warm it (the first
answer loads the projection from the disk cache), then ``--repeat`` times. Reports, per page,
the median and worst **server time** (the app's ``Server-Timing`` header: from the request
reaching the app to the response, the worker's answer and the template included) and the
median wall time the client saw. The target is under 300 ms of server time per page.
Three graphs: the bundled data (files); the bundled data over ``--endpoint`` (a second
``kg serve --store`` on loopback as the SPARQL endpoint, so every question becomes queries);
and a large store. Writes its section of ``benchmarks/RESULTS.md`` (the other sections are kept)
and ``benchmarks/explorer.json``. Not a test: it takes minutes (building a 1M-triple store the
first time) and its numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_md import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_MS = 300
#: The title of this benchmark's section in benchmarks/RESULTS.md.
TITLE = "The explorer: server time per page (`benchmarks/explorer.py`, issue 11)"

#: Pages on the bundled data: (name, path).
BUNDLED = [
    ("search page", "/?" + urlencode({"q": "拟未"})),
    ("suggestions", "/api/search?" + urlencode({"q": "jim"})),
    ("entity page (Graphcore)", "/entity/graphcore"),
    ("entity page, as of 2012", "/entity/graphcore?as_of=2012"),
    ("path page (Nvidia → Graphcore)", "/path?" + urlencode({"from": "Nvidia", "to": "Graphcore"})),
    ("path page, k=3, avoid TSMC", "/path?" + urlencode({"from": "Jim Keller", "to": "Cerebras", "k": 3, "avoid": "TSMC"})),
    ("explore page (Jim Keller)", "/explore?" + urlencode({"focus": "Jim Keller"})),
    ("canvas expansion (Tenstorrent)", "/api/graph/tenstorrent"),
    ("question page (investors of Groq)", "/questions/investors?" + urlencode({"company": "Groq"})),
    ("question CSV", "/questions/investors.csv?" + urlencode({"company": "Groq"})),
    ("/api/entity", "/api/entity/graphcore"),
    ("/api/path", "/api/path?" + urlencode({"from": "Nvidia", "to": "Graphcore"})),
    ("/api/neighbors", "/api/neighbors/icera"),
    ("entity page in Chinese (Graphcore)", "/entity/graphcore?lang=zh"),
    ("path page in Chinese", "/path?" + urlencode({"from": "Nvidia", "to": "Graphcore", "lang": "zh"})),
]
#: The pages over --endpoint: the bundled ones, but those that need local data (as_of, k > 1).
OVER_ENDPOINT = [(name, path) for name, path in BUNDLED if "as_of" not in path and "k=3" not in path]


def synthetic_pages(hub: str, company: str, person: str, far: str) -> list[tuple[str, str]]:
    """The same pages on a synthetic graph: a typical company, a person, the largest investor (a hub)."""
    return [
        ("search page", "/?" + urlencode({"q": "Lumwa"})),
        ("suggestions", "/api/search?" + urlencode({"q": "tron"})),
        ("entity page (a company)", f"/entity/{company}"),
        ("entity page (a person)", f"/entity/{person}"),
        ("entity page (the largest investor)", f"/entity/{hub}"),
        ("path page (person → company)", "/path?" + urlencode({"from": f"res:{person}", "to": f"res:{far}"})),
        ("path page, k=3", "/path?" + urlencode({"from": f"res:{person}", "to": f"res:{far}", "k": 3})),
        ("explore page (a company)", "/explore?" + urlencode({"focus": f"res:{company}"})),
        ("canvas expansion (the largest investor)", f"/api/graph/{hub}"),
        ("question page (investors of a company)", "/questions/investors?" + urlencode({"company": f"res:{company}"})),
        ("/api/entity", f"/api/entity/{company}"),
        ("/api/path", "/api/path?" + urlencode({"from": f"res:{person}", "to": f"res:{far}"})),
        ("/api/neighbors", f"/api/neighbors/{company}"),
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(args: list[str], env: dict, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg", *args, "serve", "--port", str(port), "--workers", str(workers),
                             "--timeout", "60"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.monotonic() + 900
    said = []
    for line in proc.stdout:
        said.append(line)
        if "SPARQL endpoint:" in line:
            return proc, f"http://127.0.0.1:{port}"
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("kg serve did not start:\n" + "".join(said))


def measure(base: str, pages, repeat: int) -> list[dict]:
    rows = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for name, path in pages:
            first = client.get(path)
            if first.status_code != 200:
                raise SystemExit(f"{path}: HTTP {first.status_code}: {first.text[:300]}")
            server, wall = [], []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                wall.append((time.perf_counter() - started) * 1000)
                server.append(float(response.headers["server-timing"].split("dur=")[1]))
            rows.append({"page": name, "path": path, "bytes": len(first.content),
                         "first_ms": round(float(first.headers["server-timing"].split("dur=")[1]), 1),
                         "median_ms": round(statistics.median(server), 1), "worst_ms": round(max(server), 1),
                         "wall_ms": round(statistics.median(wall), 1)})
            print(f"  {name:45} median {rows[-1]['median_ms']:7.1f} ms  worst {rows[-1]['worst_ms']:7.1f} ms  "
                  f"first {rows[-1]['first_ms']:8.1f} ms  {rows[-1]['bytes']:>9,} B", flush=True)
    return rows


def synthetic_store(triples: int, folder: Path, env: dict) -> Path:
    data, store = folder / f"synth-{triples}", folder / f"store-{triples}"
    if not (store / "kg-store.json").exists() and not store.exists():
        subprocess.run([sys.executable, "-m", "kg", "synth", "--triples", str(triples), "--seed", "7", "--out",
                        str(data)], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "-m", "kg", "load", "--store", str(store), str(data)], cwd=ROOT, env=env,
                       check=True)
    return store


def table(rows: list[dict]) -> str:
    lines = ["| Page | median server time | worst | first (cold) | client wall | size | under 300 ms |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        ok = "yes" if r["worst_ms"] < TARGET_MS else "**no**"
        lines.append(f"| {r['page']} | {r['median_ms']:.1f} ms | {r['worst_ms']:.1f} ms | {r['first_ms']:.0f} ms | "
                     f"{r['wall_ms']:.1f} ms | {r['bytes']:,} B | {ok} |")
    return "\n".join(lines)


def measure_bundled(env: dict, repeat: int) -> dict:
    """The bundled data, from files."""
    proc, base = serve([], env)
    try:
        return {"graph": "the bundled data (files)", "pages": measure(base, BUNDLED, repeat)}
    finally:
        proc.terminate()
        proc.wait(30)


def measure_endpoint(env: dict, folder: Path, repeat: int) -> dict:
    """The bundled data over ``--endpoint``: a second ``kg serve --store`` on loopback as the SPARQL endpoint."""
    bundled_store = folder / "bundled-store"
    subprocess.run([sys.executable, "-m", "kg", "load", "--store", str(bundled_store), "--force"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    remote, remote_base = serve(["--store", str(bundled_store)], env, workers=2)
    try:
        proc, base = serve(["--endpoint", remote_base + "/sparql"], env)
        try:
            return {"graph": "the bundled data over `--endpoint` (a `kg serve --store` on loopback, "
                             "2 workers, as the SPARQL endpoint)",
                    "pages": measure(base, OVER_ENDPOINT, repeat)}
        finally:
            proc.terminate()
            proc.wait(30)
    finally:
        remote.terminate()
        remote.wait(30)


def measure_store(store: Path, env: dict, repeat: int) -> dict:
    """A large store (the synthetic graph, seed 7)."""
    sys.path.insert(0, str(ROOT))
    from kg.store import store_info

    info = store_info(store)
    print(f"store {store}: {info['triples']:,} triples", flush=True)
    proc, base = serve(["--store", str(store)], env)
    try:
        pages = synthetic_pages(hub="fund-0", company="company-1", person="person-0", far="company-4000")
        pages += [("entity page in Chinese (a company)", "/entity/company-1?lang=zh")]
        return {"graph": f"--store, synthetic graph of {info['triples']:,} triples (seed 7)",
                "pages": measure(base, pages, repeat)}
    finally:
        proc.terminate()
        proc.wait(30)


#: The graphs measured, in order (``--only`` picks among them).
RUNS = ("bundled", "endpoint", "store")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", help="an existing store to serve (else a synthetic one is built)")
    parser.add_argument("--triples", type=int, default=1_000_000, help="size of the synthetic graph")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--folder", default=os.path.join(tempfile.gettempdir(), "kg-explorer-bench"))
    parser.add_argument("--only", choices=RUNS, action="append",
                        help="measure only this graph (repeatable); the figures are printed, RESULTS.md is not written")
    args = parser.parse_args()
    wanted = args.only or list(RUNS)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "KG_CACHE_DIR": str(folder / "cache"), "PYTHONUNBUFFERED": "1"}
    env.pop("KG_STORE", None)
    env.pop("KG_DATA", None)
    runs = {}

    if "bundled" in wanted:
        print("bundled data", flush=True)
        runs["bundled"] = measure_bundled(env, args.repeat)
    if "endpoint" in wanted:
        print("bundled data over --endpoint", flush=True)
        runs["endpoint"] = measure_endpoint(env, folder, args.repeat)
    if "store" in wanted:
        runs["store"] = measure_store(Path(args.store) if args.store else synthetic_store(args.triples, folder, env),
                                      env, args.repeat)
    if args.only:
        return

    load = os.getloadavg()
    stamp = time.strftime("%Y-%m-%d %H:%M")
    machine = f"{platform.platform()}; {os.cpu_count()} cores; load average {load[0]:.1f} while measuring"
    (ROOT / "benchmarks" / "explorer.json").write_text(json.dumps(
        {"when": stamp, "machine": machine, "repeat": args.repeat, "runs": runs}, indent=1, ensure_ascii=False) + "\n")
    command = " ".join(["python benchmarks/explorer.py", *sys.argv[1:]])
    parts = [f"Generated by `{command}` on {stamp}; {machine}. "
             f"Each page asked once to warm it (\"first\"), then {args.repeat} times; server time is the app's "
             "`Server-Timing` (request in to response out, the query worker's answer and the template included). "
             f"Target: under {TARGET_MS} ms for every page. Figures: `benchmarks/explorer.json`.\n"]
    for run in runs.values():
        slow = [r["page"] for r in run["pages"] if r["worst_ms"] >= TARGET_MS]
        verdict = "every page under 300 ms" if not slow else f"over 300 ms: {', '.join(slow)}"
        parts.append(f"### {run['graph']}\n\n{table(run['pages'])}\n\nResult: {verdict}.\n")
    write_section(TITLE, "\n".join(parts))
    print("\n".join(parts))


if __name__ == "__main__":
    main()

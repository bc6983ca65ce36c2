"""Many small data files against one: `kg load --store` and `kg info` (issue 13, "Scale of small files").

Synthesizes a graph, writes it once as one Turtle file and once split into
N small Turtle files (each with its own prefixes), then times, as a fresh
`python -m kg` process each (wall clock, best of --repeat):

- `kg --no-bundled --data ONE load --store S` against the same with `--data FOLDER`;
- `kg --no-bundled --data ONE info` against the same with `--data FOLDER` (files mode, cold cache).

Usage: python benchmarks/small_files.py [--files 10000] [--companies 1000] [--repeat 1]
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def split(one: Path, folder: Path, files: int) -> int:
    """Write the blocks of ``one`` (a Turtle file of top-level subject blocks) into ``files`` files."""
    text = one.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    prefixes = "".join(line for line in lines if line.startswith("@prefix"))
    blocks, current = [], []
    for line in lines:
        if line.startswith(("@prefix", "#")) or not line.strip():
            continue
        current.append(line)
        if line.rstrip().endswith(" .") and not line.startswith(" " * 8):
            blocks.append("".join(current))
            current = []
    folder.mkdir(parents=True)
    per_file = max(1, -(-len(blocks) // files))
    written = 0
    for n in range(0, len(blocks), per_file):
        (folder / f"part-{written:05d}.ttl").write_text(prefixes + "".join(blocks[n:n + per_file]), encoding="utf-8")
        written += 1
    return written


def timed(args: list[str], env: dict, repeat: int, before=None) -> float:
    best = float("inf")
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "kg", *args], env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"kg {' '.join(args)} failed: {done.stderr.strip()}")
        best = min(best, elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--companies", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()

    from kg.synth import synthesize

    root = Path(tempfile.mkdtemp(prefix="kg-small-files-"))
    try:
        stats = synthesize(root / "one", options.companies, seed=1)
        count = split(stats.path, root / "many", options.files)
        env = {**os.environ, "KG_CACHE_DIR": str(root / "cache")}
        env.pop("KG_STORE", None)
        env.pop("KG_DATA", None)

        def fresh(*paths):
            def clear():
                for p in paths:
                    shutil.rmtree(p, ignore_errors=True)
            return clear

        rows = []
        for label, data in (("1 file", stats.path), (f"{count:,} files", root / "many")):
            store = root / "store"
            load_s = timed(["--no-bundled", "--data", str(data), "load", "--store", str(store)], env, options.repeat,
                           fresh(store))
            info_s = timed(["--no-bundled", "--data", str(data), "info"], env, options.repeat, fresh(root / "cache"))
            rows.append((label, load_s, info_s))
        print(f"{stats.triples:,} triples ({options.companies} synthetic companies); wall clock of a fresh process, "
              f"best of {options.repeat}.\n")
        print("| Data | `kg load --store` | `kg info` (files, cold cache) |")
        print("|---|---|---|")
        for label, load_s, info_s in rows:
            print(f"| {label} | {load_s:.1f} s | {info_s:.1f} s |")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

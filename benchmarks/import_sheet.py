"""How long `kg import` takes on a large research sheet: python benchmarks/import_sheet.py [ROWS ...].

Writes a synthetic sheet of ROWS rows (default 50,000; deterministic) in the documented format,
with the repetition of a real research desk's sheet: a few thousand companies, investors and
people, rounds with their investors, valuations, headcounts, acquisitions and partnerships, two
thousand pages. Then times reading it, mapping it (what `--dry-run` does) and writing it
(the shape check + Turtle), against the bundled data; prints one JSON line per sheet and writes
its own section of benchmarks/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results_md import when, write_section  # noqa: E402
from kg.importer import plan_import, read_sheet, write_import  # noqa: E402
from kg.loader import load  # noqa: E402

COLUMNS = ["id", "subject", "relation", "object", "amount", "currency", "amount_kind", "date",
           "role_or_series", "publisher", "page_date", "url", "note"]
SYL = [c + v for c in "bcdfghjklmnprstvwxz" for v in "aeiou"]


def _names(rng, n, suffix):
    seen = set()
    while len(seen) < n:
        seen.add("".join(rng.choice(SYL) for _ in range(4)).capitalize() + " " + rng.choice(suffix))
    return sorted(seen)


def write_sheet(path: Path, rows: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    companies = _names(rng, 3000, ["Semi", "Silicon", "Micro", "Compute"])
    investors = _names(rng, 1000, ["Ventures", "Capital", "Partners", "Fund"])
    people = [f"{a} {b}" for a, b in zip(_names(rng, 2000, ["Lee"]), _names(rng, 2000, ["Park"]))]
    pages = [(f"https://news.example.org/{i}", f"Example Wire {i % 40}", f"20{20 + i % 6}-0{1 + i % 9}-1{i % 9}")
             for i in range(2000)]
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        n = 0
        while n < rows:
            company = rng.choice(companies)
            url, publisher, page_date = rng.choice(pages)
            year = rng.randint(2018, 2026)
            series = rng.choice("ABCDEFG")
            batch = [[company, "raised round", f"Series {series}", str(rng.randint(5, 900) * 1_000_000), "USD",
                      "exact", f"{year}-0{rng.randint(1, 9)}", f"Series {series}"]]
            for i in range(rng.randint(1, 4)):
                batch.append([rng.choice(investors), "led round in" if i == 0 else "invested in", company, "", "", "",
                              f"{year}", f"Series {series}"])
            batch.append([company, "valued at", f"after Series {series}", str(rng.randint(1, 90) * 100_000_000),
                          "USD", rng.choice(["exact", "approximate", "minimum"]), f"{year}", f"Series {series}"])
            batch.append([company, "headcount rose to", "employees", str(rng.randint(20, 900)), "employees",
                          "approximate", f"{year}", ""])
            batch.append([rng.choice(people), "serves as CEO of", company, "", "", "", f"{year}", "CEO"])
            partner = rng.choice(companies)
            while partner == company:  # a company does not partner with itself (the shapes want two partners)
                partner = rng.choice(companies)
            batch.append([partner, "partnered with", company, "", "", "", f"{year}", ""])
            if rng.random() < 0.1:
                batch.append([rng.choice(companies), "acquired", company, "", "", "undisclosed", f"{year}", ""])
            for fields in batch:
                if n >= rows:
                    break
                n += 1
                out.writerow([f"S{n:06d}", *fields, publisher, page_date, url, rng.choice(["", "Reported.", "Confirmed by the company."])])


def settle(sheet, plan) -> None:
    """Mark every name the plan found ambiguous as a new entity, in the rows that name it."""
    names = set(plan.ambiguous)
    for row in sheet.rows:
        for side in ("subject", "object"):
            if row.get(side) in names:
                row[f"{side}_id"] = "new"


class _Clock:
    """Wall and CPU seconds of each stage."""

    def __init__(self):
        self.times: dict[str, tuple[float, float]] = {}

    def __call__(self, stage: str, fn, *args):
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn(*args)
        self.times[stage] = (round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2))
        return value


def measure(sheet_path: Path, kg, ids: Path | None = None) -> dict:
    """A user's session: a dry run (read + map), names it finds ambiguous settled, then the import
    (read + map + shape check + write)."""
    from kg.importer import read_ids

    clock = _Clock()

    def read():
        sheet = read_sheet(sheet_path)
        if ids is not None:
            read_ids(ids, sheet)
        return sheet

    sheet = read()
    plan = clock("dry run (map)", plan_import, sheet, kg)
    ambiguous = len(plan.ambiguous)
    if ambiguous:  # synthetic names that happen to look alike: settled as new in the sheet, as a user would
        settle(sheet, plan)
        with sheet_path.open("w", newline="", encoding="utf-8") as f:
            out = csv.DictWriter(f, [*sheet.columns, "subject_id", "object_id"], extrasaction="ignore")
            out.writeheader()
            out.writerows(sheet.rows)
    with tempfile.TemporaryDirectory() as out:
        sheet = clock("read", read)
        plan = clock("map", plan_import, sheet, kg)
        clock("check shapes + write", write_import, plan, kg, out)
    stages = ("read", "map", "check shapes + write")
    total = tuple(round(sum(clock.times[s][i] for s in stages), 2) for i in (0, 1))
    return {"rows": len(sheet.rows), "mapped": len(plan.mapped), "skipped": len(plan.skipped),
            "ambiguous_names_settled": ambiguous, "new_entities": len(plan.new), "triples": len(plan.triples),
            "stages": clock.times, "import": total}


TITLE = "kg import (research sheets)"


def report(results: list[dict]) -> str:
    lines = ["`python benchmarks/import_sheet.py 5000 50000`: a synthetic sheet in the documented format (rounds with",
             "their investors, valuations, headcounts, CEOs, partnerships, acquisitions; 3,000 companies, 1,000",
             "investors, 2,000 people, 2,000 pages) imported against the bundled data, and the real 120-row sheet",
             "against the article (as the bundled import is made). Each stage: wall seconds (CPU seconds). As a user",
             "would: a dry run (`--dry-run`), the names it finds ambiguous settled (the synthetic sheet's look-alike",
             "names, as new entities, in `subject_id`/`object_id`), then the import (`--out`): read, map, check, write.",
             f"Measured {when()} on {os.cpu_count()} cores.", "",
             "| Sheet | Rows | Triples written | Dry run | Import: read | map | check shapes + write | **import** |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        cells = []
        for stage in ("dry run (map)", "read", "map", "check shapes + write"):
            wall_cpu = r["stages"].get(stage)
            cells.append(f"{wall_cpu[0]} s ({wall_cpu[1]} s)" if wall_cpu else "—")
        lines.append(f"| {r['sheet']} | {r['rows']:,} | {r['triples']:,} | " + " | ".join(cells)
                     + f" | **{r['import'][0]} s** ({r['import'][1]} s) |")
    big = max(results, key=lambda r: r["rows"])
    lines += ["", f"Target of issue 9 (50,000 rows in seconds, with a progress bar): {big['rows']:,} rows imported in "
              f"{big['import'][0]} s wall, {big['import'][1]} s CPU."]
    return "\n".join(lines) + "\n"


def main(sizes=(50_000,)) -> list[dict]:
    kg = load()
    results = []
    real = ROOT.parent / "shared" / "sources" / "updates-2022-2025.csv"
    if real.is_file():
        article = load([ROOT / "data" / "triples" / "cnbeta-2021-12-11-ai-chip-unicorns"])
        ids = ROOT / "data" / "triples" / "updates-2022-2025" / "updates-2022-2025.ids.csv"
        results.append({"sheet": "the real sheet", **measure(real, article, ids)})
        print(json.dumps(results[-1]), flush=True)
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            sheet_path = Path(tmp) / "synthetic.csv"
            write_sheet(sheet_path, rows)
            results.append({"sheet": "synthetic", **measure(sheet_path, kg)})
        print(json.dumps(results[-1]), flush=True)
    write_section(TITLE, report(results))
    return results


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", type=int, default=[50_000], help="rows of each synthetic sheet")
    main(parser.parse_args().rows)

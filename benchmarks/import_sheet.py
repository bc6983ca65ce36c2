"""How long `kg import` takes on a large research sheet: python benchmarks/import_sheet.py [ROWS].

Writes a synthetic sheet of ROWS rows (default 50,000; deterministic) in the documented format,
with the repetition of a real research desk's sheet: a few thousand companies, investors and
people, rounds with their investors, valuations, headcounts, acquisitions and partnerships, two
thousand pages. Then times reading it, mapping it (what `--dry-run` does) and writing it
(validation against the shapes + Turtle), against the bundled data, and prints one JSON line.
"""

from __future__ import annotations

import csv
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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
            batch.append([rng.choice(companies), "partnered with", company, "", "", "", f"{year}", ""])
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


def main(rows: int = 50_000) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        sheet_path = Path(tmp) / "synthetic.csv"
        write_sheet(sheet_path, rows)
        kg = load()
        t0 = time.perf_counter()
        sheet = read_sheet(sheet_path)
        t1 = time.perf_counter()
        plan = plan_import(sheet, kg)
        t2 = time.perf_counter()
        ambiguous = len(plan.ambiguous)
        if ambiguous:  # synthetic names that happen to look alike: settle them as new, as a user would
            settle(sheet, plan)
            plan = plan_import(sheet, kg)
        t3 = time.perf_counter()
        write_import(plan, kg, tmp)
        t4 = time.perf_counter()
        result = {"rows": rows, "mapped": len(plan.mapped), "skipped": len(plan.skipped),
                  "ambiguous_names_settled": ambiguous, "new_entities": len(plan.new), "triples": len(plan.triples),
                  "read_s": round(t1 - t0, 2), "map_s": round(t2 - t1, 2), "validate_and_write_s": round(t4 - t3, 2)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)

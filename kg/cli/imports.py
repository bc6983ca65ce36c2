"""The ``kg import`` command: research sheets in, sourced Turtle out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from kg.cli.app import JsonOpt, app, console, data_paths, err_console, fail, print_json


@app.command("import")
def import_sheet(
    ctx: typer.Context,
    sheet: Annotated[Path, typer.Argument(help="The research sheet: CSV (UTF-8, with or without BOM), one fact per row.")],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Folder to write SHEET.ttl (and its import report) into (created if missing).",
        metavar="DIR")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Review the mapping; write nothing.")] = False,
    ids: Annotated[Optional[Path], typer.Option(
        "--ids", metavar="FILE",
        help="CSV of id, subject_id, object_id (subject_class, object_class, status) settling names "
        "without editing the sheet.")] = None,
    as_json: JsonOpt = False,
):
    """Import sourced facts from a research sheet, matching names with the graph's entities.

    Exit 0 when every row maps, 1 when rows are skipped or names are ambiguous
    (ambiguous names stop the import: settle them with subject_id/object_id),
    2 when the file is not a sheet.

    Example: kg import updates.csv --dry-run   ·   kg import updates.csv --out data/triples/updates/
    """
    from kg.importer import output_path, plan_import, read_ids, read_sheet, write_import
    from kg.loader import data_files, load

    if out is None and not dry_run:
        fail("give --out DIR to write the facts, or --dry-run to review them")
    obj = ctx.find_root().obj or {}
    if obj.get("store") or obj.get("endpoint"):
        fail("kg import matches names against data files; use --data, not --store or --endpoint")
    parsed = read_sheet(sheet)
    if ids is not None:
        read_ids(ids, parsed)
    replaced = output_path(out, sheet).resolve() if out is not None else None
    files = [f for f in data_files(data_paths(ctx)) if f != replaced]
    kg = load(files)
    progress = _Progress(len(parsed.rows))
    try:
        plan = plan_import(parsed, kg, progress=progress.rows)
        written = []
        if out is not None and not dry_run and plan.writable:
            progress.writing(len(plan.triples))
            written = write_import(plan, kg, out)
    finally:
        progress.stop()
    if as_json:
        print_json(plan.as_dict())
    else:
        _review(plan)
    for path in written:
        (err_console if as_json else console).print(Text(f"Wrote {path}"))
    if out is not None and not dry_run and not plan.writable:
        err_console.print(Text("Nothing written: settle the ambiguous names with subject_id/object_id "
                               "(an IRI, a res: name, or 'new') in the sheet or an --ids file."))
    if not plan.ok:
        raise typer.Exit(1)


class _Progress:
    """Progress bars on the terminal for long sheets (rows mapped, then the shape check and the write);
    nothing when stderr is not a terminal or the sheet is short."""

    def __init__(self, total: int):
        self.total, self.bar = total, None
        if total >= 500 and sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(console=err_console, transient=True)
            self.rows_task = self.bar.add_task("mapping rows", total=total)
            self.bar.start()

    def rows(self, done: int, _total: int) -> None:
        if self.bar is not None and (done % 500 == 0 or done == self.total):
            self.bar.update(self.rows_task, completed=done)

    def writing(self, triples: int) -> None:
        if self.bar is not None:
            self.bar.add_task(f"checking {triples:,} triples against the shapes, writing", total=None)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _review(plan) -> None:
    review = plan.as_dict()
    entities = review["entities"]
    console.print(Text(
        f"{plan.sheet.name}: {review['rows']} rows, {review['mapped']} mapped, {len(review['skipped'])} skipped; "
        f"names: {len(entities['matched'])} matched, {len(entities['new'])} new, {len(entities['ambiguous'])} ambiguous."
    ))
    if review["relations"]:
        console.print(Text("Relations: " + ", ".join(f"{k} {v}" for k, v in review["relations"].items())))
    if review["disputes"]:
        console.print(Text(f"Disputes: notes name {review['disputes']} other row(s) they disagree with "
                           "(chips:disagreesWith; see kg conflicts)."))
    if plan.mapped and len(plan.mapped) <= 300:
        rows = Table("Row", "Relation kind", "Node(s)", title="Rows")
        for m in plan.mapped:
            rows.add_row(Text(m["id"]), Text(f"{m['kind']} ({m['class']})"),
                         Text(", ".join(n.rsplit("/", 1)[-1] for n in m["nodes"])))
        console.print(rows)
    if entities["matched"]:
        table = Table("Name in the sheet", "Entity", "How", "Score", title="Names matched")
        for m in entities["matched"]:
            table.add_row(Text(m["name"]), Text(m["label"]), Text(m["how"] + (f" ({m['note']})" if m.get("note") else "")),
                          f"{m['score']:.2f}")
        console.print(table)
    if entities["new"]:
        table = Table("Name in the sheet", "New entity", "Class", title="New entities")
        for n in entities["new"]:
            table.add_row(Text(n["name"]), Text(n["iri"].rsplit("/", 1)[-1]), Text(n["class"]))
        console.print(table)
    if entities["ambiguous"]:
        table = Table("Name in the sheet", "Could be", "Why", "Rows", title="Ambiguous names (the import stops)")
        for a in entities["ambiguous"]:
            table.add_row(Text(a["name"]), Text(", ".join(c["label"] for c in a["candidates"])),
                          Text(f"{a['how']} {a['score']:.2f}: {a['reason']}"), Text(", ".join(a["rows"])))
        console.print(table)
    for s in review["skipped"]:
        console.print(Text(f"Skipped: {s['reason']}"))
    for w in review["warnings"]:
        console.print(Text(f"Warning: {w['reason']}"))

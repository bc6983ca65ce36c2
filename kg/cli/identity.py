"""Commands about who is who: duplicates, merge."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from kg.cli.app import JsonOpt, app, console, fail, get_kg, print_json


@app.command()
def duplicates(
    ctx: typer.Context,
    min_score: Annotated[float, typer.Option("--min-score", help="Smallest score (0-1) to show.", min=0.0, max=1.0)] = 0.6,
    top: Annotated[Optional[int], typer.Option("--top", help="Show at most this many pairs.", min=1)] = None,
    as_json: JsonOpt = False,
):
    """Pairs of entities that are probably the same, with the evidence; exit 1 when there are none.

    Names are compared in every language, with company suffixes (Inc., Corp, Group, Systems,
    Technologies ...) dropped; shared neighbours add to the score. Pairs the data says are
    related but distinct (part of, run by) are shown with that link as counter-evidence.
    Record a merge with `kg merge`.

    Example: kg duplicates   ·   kg duplicates --min-score 0.9 --json
    """
    from kg.identity import duplicates as find

    pairs = find(get_kg(ctx), min_score=min_score, limit=top)
    if as_json:
        print_json(pairs)
    elif pairs:
        table = Table("#", "Entity", "Probably the same as", "Score", "Evidence", title="Likely duplicates")
        for i, pair in enumerate(pairs, start=1):
            why = Text("\n".join(pair["evidence"]))
            if pair["counter_evidence"]:
                why.append("\nrelated, not the same: " + "; ".join(pair["counter_evidence"]), style="bold")
            table.add_row(str(i), Text(f"{pair['a']['label']} ({pair['a']['class']})"),
                          Text(f"{pair['b']['label']} ({pair['b']['class']})"), f"{pair['score']:.2f}", why)
        console.print(table)
        console.print("Merge a pair with: kg merge KEPT MERGED --reason '...' --out merges.ttl")
    else:
        console.print(f"No likely duplicates (score {min_score} or more).")
    if not pairs:
        raise typer.Exit(1)


@app.command()
def merge(
    ctx: typer.Context,
    kept: Annotated[Optional[str], typer.Argument(help="The entity kept (any name).")] = None,
    merged: Annotated[Optional[str], typer.Argument(help="The entity folded into it (any name).")] = None,
    reason: Annotated[Optional[str], typer.Option("--reason", help="Why the two are one (required).")] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="The evidence: a URL or a src: name.")] = None,
    out: Annotated[str, typer.Option("--out", help="Turtle file of merges to add to (written atomically).")] = "merges.ttl",
    undo: Annotated[Optional[str], typer.Option("--undo", help="Remove the merges of this entity from --out.", metavar="NAME")] = None,
    list_them: Annotated[bool, typer.Option("--list", help="List the merges the loaded data records.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Merge even two whose names read as two things "
                                        "(a fund and its firm, two model numbers).")] = False,
    as_json: JsonOpt = False,
):
    """Record that two entities are one, as data (owl:sameAs and a chips:Merge with its reason).

    The merge goes into the --out file; load it with your data (--data) and every command
    treats the two as one. Undo with --undo or by deleting the file. Entities the data says
    are related but distinct (part of, run by) are refused; so, without --force, are two whose
    names read as two things, as kg duplicates says.

    Example: kg merge "Graphcore" "Graphcore Ltd" --reason "same company" --out merges.ttl
    """
    from kg import identity

    if list_them:
        records = identity.list_merges(get_kg(ctx))
        if as_json:
            print_json(records)
        elif records:
            table = Table("Kept", "Merged", "Reason", "Source", title="Merges")  # dates: --json
            for r in records:
                table.add_row(Text(r["kept"]["label"]), Text(r["merged"]["label"]), Text(r["reason"]),
                              Text(" ".join(r["source"])))
            console.print(table)
        else:
            console.print("The loaded data records no merge.")
        if not records:
            raise typer.Exit(1)
        return
    if undo:
        removed = identity.undo_merge(out, undo)
        if as_json:
            return print_json(removed)
        for r in removed:
            console.print(Text(f"Undone: {r['merged']['label']} is no longer merged into {r['kept']['label']} ({out})."))
        return
    if not kept or not merged:
        fail("give the entity kept and the one merged into it: kg merge KEPT MERGED --reason '...'")
    result = identity.merge(get_kg(ctx), kept, merged, reason=reason or "", source=source, out=out, force=force)
    if as_json:
        return print_json(result)
    console.print(Text(f"Recorded: {result['merged']['label']} is {result['kept']['label']} "
                       f"({result['merged']['iri']} owl:sameAs {result['kept']['iri']})."))
    console.print(Text(f"Wrote {result['file']}. Load it with your data (--data {result['file']}); "
                       f"undo with: kg merge --undo {result['merged']['label']!r} --out {result['file']}"))

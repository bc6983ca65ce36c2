"""Commands about time and disagreement: timeline, alumni, conflicts."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from kg.cli.app import JsonOpt, app, console, get_kg, print_json, print_sources, time_note, time_options


def _cite(sources: dict, cited) -> str:
    return " ".join(f"[{sources.setdefault(s, len(sources) + 1)}]" for s in cited)


@app.command()
@time_options
def timeline(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="One or more entities (quote names with spaces).")],
    as_json: JsonOpt = False,
):
    """The dated events of one or more entities in time order, with precision and sources.

    Example: kg timeline Graphcore   ·   kg timeline "Jim Keller" Tenstorrent --as-of 2021
    """
    from kg.lineage import timeline as run

    kg = get_kg(ctx)
    answer = run(kg, names)
    if as_json:
        return print_json(answer | {"time": kg.time.as_dict() if hasattr(kg, "time") else None})
    title = "Timeline of " + ", ".join(e["label"] for e in answer["entities"])
    table = Table("Date", "Precision", "Event", "Source", title=f"{title} {time_note(kg)}".strip())
    sources: dict[str, int] = {}
    for event in answer["events"]:
        table.add_row(event["date"], event["precision"], Text(event["text"]), _cite(sources, event["sources"]))
    console.print(table)
    print_sources(sources)
    if answer["undated"]:
        console.print(Text(f"({answer['undated']} undated relation(s) not shown; kg entity lists them.)", style="dim"))


@app.command()
@time_options
def alumni(
    ctx: typer.Context,
    org: Annotated[list[str], typer.Argument(help="The organisation (any name).")],
    as_json: JsonOpt = False,
):
    """People who worked at an organisation, and what they founded, joined or funded after.

    Example: kg alumni Google   ·   kg alumni Intel --as-of 2020
    """
    from kg.lineage import alumni as run

    kg = get_kg(ctx)
    answer = run(kg, " ".join(org))
    if as_json:
        return print_json(answer)
    title = f"Alumni of {answer['organization']['label']}: {len(answer['alumni'])} {time_note(kg)}".strip()
    table = Table("Person", "Then", "When", "Source", title=title)
    sources: dict[str, int] = {}
    for person in answer["alumni"]:
        rows = person["then"] or [None]
        for i, tie in enumerate(rows):
            name = Text(person["person"]["label"]) if i == 0 else Text("")
            if tie is None:
                table.add_row(name, Text("(nothing else recorded)", style="dim"), "", "")
            else:
                table.add_row(name, Text(tie["sentence"]), tie["order"], _cite(sources, tie["sources"]))
    console.print(table)
    print_sources(sources)

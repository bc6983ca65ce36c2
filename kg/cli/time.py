"""Commands about time and disagreement: timeline, alumni, conflicts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from kg.cli.app import (JsonOpt, LangOpt, Table, app, cite, console, get_kg, print_json, print_sources,
                        time_note, time_options)
from kg.i18n import join, status_label, word


@app.command()
@time_options
def timeline(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="One or more entities (quote names with spaces).")],
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """The dated events of one or more entities in time order, with precision and sources.

    Example: kg timeline Graphcore   ·   kg timeline "Jim Keller" Tenstorrent --as-of 2021
    """
    from kg.lineage import timeline as run

    kg = get_kg(ctx)
    answer = run(kg, names, lang)
    if as_json:
        return print_json(answer | {"time": kg.time.as_dict() if hasattr(kg, "time") else None})
    title = word("Timeline of {}", lang, join([e["label"] for e in answer["entities"]], lang))
    table = Table(*(word(h, lang) for h in ("Date", "Precision", "Event", "Source")), title=title + time_note(kg, lang))
    sources: dict[str, int] = {}
    for event in answer["events"]:
        # the event's sentence already says how sure it is ("· reported", "· denied by ..."): only a dispute is added
        text = event["text"] + (word(" ({})", lang, word("disputed", lang)) if event["disputed"] else "")
        table.add_row(event["date"], word(event["precision"], lang), Text(text), cite(sources, event["sources"]))
    console.print(table)
    print_sources(sources)
    if answer["undated"]:
        console.print(Text(word("({} undated relation(s) not shown; kg entity lists them.)", lang, answer["undated"]),
                           style="dim"))


@app.command()
@time_options
def alumni(
    ctx: typer.Context,
    org: Annotated[list[str], typer.Argument(help="The organisation (any name).")],
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """People who worked at an organisation, and what they founded, joined or funded after.

    Example: kg alumni Google   ·   kg alumni Intel --as-of 2020
    """
    from kg.lineage import alumni as run

    kg = get_kg(ctx)
    answer = run(kg, " ".join(org), lang)
    if as_json:
        return print_json(answer)
    title = word("Alumni of {}: {}", lang, answer["organization"]["label"], len(answer["alumni"]))
    table = Table(*(word(h, lang) for h in ("Person", "Then", "When", "Source")), title=title + time_note(kg, lang))
    sources: dict[str, int] = {}
    for person in answer["alumni"]:
        rows = person["then"] or [None]
        for i, tie in enumerate(rows):
            name = Text(person["person"]["label"]) if i == 0 else Text("")
            if tie is None:
                table.add_row(name, Text(word("(nothing else recorded)", lang), style="dim"), "", "")
            else:
                table.add_row(name, Text(tie["sentence"]), word(tie["order"], lang), cite(sources, tie["sources"]))
    console.print(table)
    print_sources(sources)


def _short(iri: str | None) -> str:
    from kg.vocab import RES

    if iri is None:
        return "-"
    return "res:" + iri[len(str(RES)):] if iri.startswith(str(RES)) else iri


@app.command()
@time_options
def conflicts(
    ctx: typer.Context,
    name: Annotated[Optional[list[str]], typer.Argument(help="Only facts about this entity (any name).")] = None,
    unsettled: Annotated[bool, typer.Option("--unsettled", help="Only disputes no ranking settles yet.")] = False,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Facts the sources disagree on, each side with its value, source, publisher, date, status and rank.

    Which facts take one value is declared in the ontology (chips:singleValued);
    values that agree within their precision are no conflict. Claims a source's
    note says it disagrees with (chips:disagreesWith) are listed too, with the
    note. Settle one by ranking a side preferred or deprecated (a chips:Ranking;
    see the README).

    Example: kg conflicts Graphcore   ·   kg conflicts --unsettled --json
    """
    from kg.conflicts import conflicts as run

    kg = get_kg(ctx)
    answer = run(kg, " ".join(name) if name else None, unsettled=unsettled, lang=lang)
    if as_json:
        return print_json(answer)
    found = answer["conflicts"]
    about = word(" about {}", lang, answer["entity"]["label"]) if answer["entity"] else ""
    if not found:
        none = "No unsettled disputed facts{}." if unsettled else "No disputed facts{}."
        console.print(Text(word(none, lang, about) + time_note(kg, lang)))
        return
    console.print(Text(word("{} disputed fact(s){}: {} unsettled, {} settled", lang, len(found), about,
                            answer["unsettled"], answer["settled"]) + time_note(kg, lang), style="bold"))
    sources: dict[str, int] = {}
    for conflict in found:
        state = word("settled: {}", lang, conflict["answer"]) if conflict["settled"] else word("unsettled", lang)
        table = Table(title=f"{conflict['fact']} — {state}", title_justify="left")
        for column in ("Value (claim)", "Status", "Source (published)", "Rank"):
            table.add_column(word(column, lang), overflow="fold")
        for side in conflict["sides"]:
            status = side["status_label"]
            if side.get("denies"):
                status += word(": contradicts {}", lang, ", ".join(_short(c) for c in side["denies"]))
            cited = "; ".join(f"{s['publisher'] or s['label']} ({s['published'] or word('no date', lang)}) "
                              + cite(sources, [s['iri']]) for s in side["sources"])
            rank = side["rank_label"]
            if side["ranks"]:
                last = side["ranks"][-1]
                rank += (f": {last['reason'] or word('no reason given', lang)} "
                         f"({last['by'] or word('unnamed', lang)}{', ' + last['date'] if last['date'] else ''})")
            value = Text(side["value"]["text"])
            value.append("\n" + _short(side["claim"]), style="dim")
            table.add_row(value, Text(status), Text(cited), Text(rank))
        console.print(table)
        for note in conflict["stated"]:
            claim, others = _short(note["claim"]), ", ".join(map(_short, note["disagrees_with"]))
            said = word("Note of {} ({} disagrees with {})", lang, note["row"], claim, others) if note["row"] else \
                word("{} disagrees with {} (its source says so)", lang, claim, others)
            console.print(Text(word('{}: "{}"', lang, said, note["note"]) if note["note"] else said))
    print_sources(sources)


@app.command()
def settle(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(help="The claim to rank, as kg conflicts shows it (res:...).")],
    rank: Annotated[str, typer.Option("--rank", help="preferred or deprecated.")],
    reason: Annotated[str, typer.Option("--reason", help="Why.")],
    by: Annotated[str, typer.Option("--by", help="Who decides.")],
    date: Annotated[Optional[str], typer.Option("--date", help="When (default: today).", metavar="DATE")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Add the ranking to this Turtle file (load it with --data). Default: print it.",
        dir_okay=False)] = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Settle a disputed fact as data: rank one source's claim preferred or deprecated, with a reason and who decided.

    Example: kg settle res:updates-2022-2025-a010 --rank deprecated --reason "Idea, not company" --by "A. Reader" -o my-ranks.ttl
    """
    from kg.conflicts import ranking

    text = ranking(get_kg(ctx), claim, rank.strip().lower(), reason=reason, by=by, date=date)
    if output is not None:
        from kg.export import atomic_write

        before = output.read_text(encoding="utf-8") if output.exists() else ""
        atomic_write(output, before + ("\n" if before and not before.endswith("\n") else "") + text)
    if as_json:
        return print_json({"claim": claim, "rank": rank.strip().lower(), "turtle": text,
                           "written": str(output) if output is not None else None})
    if output is None:
        sys.stdout.write(text)
        return
    console.print(Text(word("Wrote the ranking to {}; load it with --data {}.", lang, output, output)))

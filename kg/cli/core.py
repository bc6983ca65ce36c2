"""Commands about the graph itself: info, validate, entity."""

from __future__ import annotations

from typing import Annotated

import typer

from kg.cli.app import (JsonOpt, LangOpt, Table, app, cite, console, get_kg, print_json, print_sources, say, time_note,
                        time_options)
from kg.i18n import class_label, listed, when, word


@app.command()
def info(ctx: typer.Context, as_json: JsonOpt = False):
    """Count what is loaded: entities and relations by class, sources, triples, files.

    Example: kg info
    """
    from rich.columns import Columns
    from rich.text import Text

    from kg.info import summary

    s = summary(get_kg(ctx))
    if as_json:
        return print_json(s)
    console.print(
        f"{s['triples']:,} triples ({s['asserted']:,} asserted, {s['derived']:,} derived by rules) "
        f"from {len(s['files'])} data file(s); {s['entities']} entities, {s['relations']} relations, "
        f"{s['corrections']} corrections."
    )
    table = Table("Entity class", "Count", title="Entities")
    for cls, n in s["entities_by_class"].items():
        table.add_row(cls, str(n))
    relations = Table("Relation class", "Count", title="Relations")
    for cls, n in s["relations_by_class"].items():
        relations.add_row(cls, str(n))
    console.print(Columns([table, relations]))
    sources = Table("Source", "Published", "Entities", "Relations", title="Sources")
    for src in s["sources"]:
        sources.add_row(Text(src["label"]), src["published"], str(src["entities"]), str(src["relations"]))
    console.print(sources)


@app.command()
def validate(ctx: typer.Context, as_json: JsonOpt = False):
    """Check all data against the SHACL shapes; exit 1 when it does not conform.

    Example: kg validate
    """
    from kg.validation import validate as run

    kg = get_kg(ctx)
    report = run(kg)
    if as_json:
        print_json(report.as_dict())
    elif report.conforms:
        say(f"The data conforms to the shapes ({len(kg.files)} file(s), {len(kg.graph):,} triples).")
    else:
        from rich.text import Text

        table = Table("Focus node", "Property", "Message", title=f"{len(report.violations)} violation(s)")
        for v in report.violations:
            table.add_row(Text(v.focus), Text(v.path), Text(v.message))
        console.print(table)
    if not report.conforms:
        raise typer.Exit(1)


@app.command()
@time_options
def entity(
    ctx: typer.Context,
    name: Annotated[list[str], typer.Argument(help="Any name or alias, English or Chinese; small misspellings are fine.")],
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Show everything known about one entity, each fact with its source.

    Example: kg entity Jim Keller   ·   kg entity 拟未科技
    """
    from rich.text import Text

    kg = get_kg(ctx)
    info = kg.describe(" ".join(name), **({"lang": lang} if lang != "en" else {}))
    if as_json:
        return print_json(info)
    types = listed([class_label(kg, t, lang) for t in info["types"]], lang)
    console.print(Text(f"{info['label']} " + word(" ({})", lang, types), style="bold"))
    console.print(Text(info["iri"], style="dim"))
    for code, names in sorted(info["labels"].items()):
        console.print(Text(f"  {code or '-'}: {' / '.join(names)}"))
    time = info.get("time")
    standing = info.get("standing")
    if time:
        console.print(Text(time_note(kg, lang).strip(), style="bold"))
    if standing and (time or not standing["independent"]):
        console.print(Text(word("Standing: {}", lang, standing["text"])))
    sources: dict[str, int] = {}
    _funding_table(info.get("funding"), lang)
    table = Table(word("Fact", lang), word("Source", lang), expand=False)
    for fact in _readable(info["facts"], lang):
        keys = [sources.setdefault(s, len(sources) + 1) for s in fact["sources"]]
        mark = word({"undated": " (undated)", "possibly": " (possibly in force: dates too coarse to tell)"}.get(
            fact.get("when"), ""), lang)
        if dispute := fact.get("dispute"):
            mark += word(" (disputed)" if dispute["rank"] == "normal" else " ({})", lang, word(dispute["rank"], lang))
        table.add_row(Text(fact["text"] + mark), " ".join(f"[{k}]" for k in keys))
    console.print(table)
    for dispute in info.get("disputes", []):
        values = " · ".join(f"{v['value']} {cite(sources, v['sources'])}"
                            + (word(" ({})", lang, v["status_label"]) if v["status"] not in ("stated",) else "")
                            + (word(" ({})", lang, v["rank_label"]) if v["rank"] != "normal" else "")
                            for v in dispute["values"])
        state = word("settled: {}", lang, dispute["answer"]) if dispute["settled"] else word("unsettled", lang)
        console.print(Text(word("Disputed: {} — {} — {}; see kg conflicts", lang, dispute["fact"], values, state)))
    print_sources(sources)


def _readable(facts, lang: str = "en"):
    """Facts for people: an attribute stated in several languages is shown in ``lang`` only (else English)."""
    def stated_in(code):
        return {f["predicate"] for f in facts if f["kind"] == "attribute" and f.get("lang") == code}

    chosen = {p: lang for p in stated_in(lang)} | {p: "en" for p in stated_in("en") - stated_in(lang)}
    return [f for f in facts
            if not (f["kind"] == "attribute" and f["predicate"] in chosen and f.get("lang") not in (chosen[f["predicate"]], None))]


def _funding_table(rows, lang: str) -> None:
    """A company's funding, one row per round: round, date, amount, lead, investors, valuation."""
    if not rows:
        return
    from rich.text import Text

    table = Table(*(word(h, lang) for h in ("Round", "Date", "Amount", "Lead", "Investors", "Valuation")),
                  title=word("Funding", lang))
    for r in rows:
        table.add_row(Text(r["round"] or word("round not stated", lang)), when(r["date"], lang=lang) if r["date"] else "–",
                      Text(r["amount"] or "–"), Text(listed(r["lead"], lang) or "–"),
                      Text(listed(r["investors"], lang) or "–"), Text(r["valuation"] or "–"))
    console.print(table)

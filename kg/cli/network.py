"""Commands about connections: path, common, neighbors, centrality, communities, coinvest."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from kg.cli.app import (JsonOpt, LangOpt, Table, app, cite, console, get_kg, print_json, print_sources, say,
                        time_note, time_options)
from kg.i18n import class_label, listed, word


def _split(values: Optional[list[str]]) -> list[str]:
    """Accept both ``--only a,b`` and ``--only a --only b``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


Only = Annotated[Optional[list[str]], typer.Option("--only", help="Keep only these relation kinds (comma-separated), e.g. investedIn,founded.")]
Exclude = Annotated[Optional[list[str]], typer.Option("--exclude", help="Drop these relation kinds (comma-separated).")]


@app.command()
@time_options
def path(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="Where the connection starts (any name).")],
    target: Annotated[str, typer.Argument(help="Where it ends (any name).")],
    all_paths: Annotated[bool, typer.Option("--all", help="Show every shortest path.")] = False,
    k: Annotated[int, typer.Option("--k", help="Show the K shortest simple paths, shortest first.", min=1)] = 1,
    max_len: Annotated[Optional[int], typer.Option("--max-len", help="Ignore paths longer than this many hops.", min=1)] = None,
    only: Only = None,
    exclude: Exclude = None,
    avoid: Annotated[Optional[list[str]], typer.Option("--avoid", help="Route around these entities (comma-separated), e.g. TSMC.")] = None,
    through: Annotated[Optional[str], typer.Option("--through", help="Only pass through entities of this class, e.g. Person.")] = None,
    in_order: Annotated[bool, typer.Option(
        "--in-order", help="Only time-respecting paths: each hop no earlier than the one before (undated hops flagged).")] = False,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """How is A connected to B? One sentence per hop, with true directions and sources.

    Example: kg path Nvidia Graphcore   ·   kg path "Jim Keller" Cerebras --k 3   ·   kg path Nvidia Graphcore --in-order
    """
    kg = get_kg(ctx)
    options = ({"in_order": True} if in_order else {}) | ({"lang": lang} if lang != "en" else {})
    answer = kg.find_paths(
        source, target, k=k, all_shortest=all_paths, max_len=max_len,
        only=_split(only), exclude=_split(exclude), avoid=_split(avoid), through=through, **options,
    )
    if as_json:
        return print_json(answer)
    a, b = answer["source"]["label"], answer["target"]["label"]
    sources: dict[str, int] = {}
    for i, found in enumerate(answer["paths"], start=1):
        hops = found["length"]
        title = (word("{} → {}: {} hop" + ("s" if hops != 1 else ""), lang, a, b, hops)
                 + (word(", in time order", lang) if in_order else "") + time_note(kg, lang))
        say(title if len(answer["paths"]) == 1 else word("Path {}. {}", lang, i, title), style="bold")
        for n, edge in enumerate(found["edges"], start=1):
            cited = cite(sources, edge["sources"])
            undated = edge.get("undated") or edge["attributes"].get("when") == "undated"
            flag = word(" (undated)", lang) if undated else ""
            say(f"  {n}. {edge['sentence']}{flag} ", (cited, "dim"))
    print_sources(sources)
    if answer["skipped_kinds"]:
        say(word("(Indirect ties skipped: {}; name them with --only to use them.)", lang,
                 listed(answer["skipped_kinds"], lang)), style="dim")


@app.command()
@time_options
def common(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="First entity.")],
    second: Annotated[str, typer.Argument(help="Second entity.")],
    only: Only = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """What do two entities share? Investors, customers, employers, foundries, grouped by kind.

    Example: kg common SambaNova Cerebras
    """
    kg = get_kg(ctx)
    answer = kg.common_ties(first, second, only=_split(only), **({"lang": lang} if lang != "en" else {}))
    if as_json:
        print_json(answer)
    elif not answer["groups"]:
        say(word("{} and {} share no direct tie.", lang, answer["a"]["label"], answer["b"]["label"]))
    if not answer["groups"]:
        raise typer.Exit(1)  # nothing found: exit 1, as everywhere
    if as_json:
        return
    for group in answer["groups"]:
        say(f"• {group['sentence']}")


@app.command()
@time_options
def neighbors(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The entity.")],
    depth: Annotated[int, typer.Option("--depth", help="How many hops out.", min=1)] = 1,
    only: Only = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """The neighbourhood of an entity, grouped by relation.

    Example: kg neighbors Graphcore   ·   kg neighbors "Jim Keller" --depth 2
    """
    kg = get_kg(ctx)
    answer = kg.neighbors(name, depth=depth, only=_split(only), **({"lang": lang} if lang != "en" else {}))
    if as_json:
        print_json(answer)
        raise typer.Exit(0 if answer["groups"] else 1)
    if not answer["groups"]:
        say(word("{} has no ties.", lang, answer["entity"]["label"]))
        raise typer.Exit(1)  # nothing found: exit 1, as everywhere
    say(answer["entity"]["label"], style="bold")
    for group in answer["groups"]:
        say(f"  {group['label']} ({len(group['edges'])})", style="bold")
        for edge in group["edges"]:
            say(f"    {edge['sentence']}")
    if depth > 1:
        from rich.text import Text

        table = Table(*(word(h, lang) for h in ("Hops", "Entity", "Class", "Reached by")),
                      title=word("Within {} hops: {}", lang, depth, len(answer["reached"])))
        for r in answer["reached"]:
            table.add_row(str(r["distance"]), Text(r["label"]), class_label(kg, r["class"], lang), Text(r["via"]))
        console.print(table)


@app.command()
@time_options
def centrality(
    ctx: typer.Context,
    measure: Annotated[str, typer.Option("--measure", "-m", help="degree, betweenness, closeness, eigenvector or pagerank.")] = "degree",
    cls: Annotated[Optional[str], typer.Option("--class", help="Rank only this class, e.g. Person.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many to show.", min=1)] = 10,
    directed: Annotated[bool, typer.Option("--directed", help="Follow edge directions (PageRank always does).")] = False,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Who matters most? A ranked table of entities by a centrality measure.

    Example: kg centrality --measure betweenness --top 5
    """
    from kg.analysis import centrality as run
    from rich.text import Text

    kg = get_kg(ctx)
    answer = run(kg, measure, cls=cls, top=top, directed=directed, lang=lang)
    if as_json:
        return print_json(answer)
    notes = answer["notes"]
    title = word("{} centrality ({} view, {} nodes)", lang, word(measure, lang), word(notes["graph"], lang), notes["nodes"])
    if "sampled_sources" in notes:
        title += word(", estimated from {} sampled sources (seeded)", lang, notes["sampled_sources"])
    table = Table("#", *(word(h, lang) for h in ("Entity", "Class", "Score", "Why")), title=title)
    for row in answer["ranking"]:
        table.add_row(str(row["rank"]), Text(row["label"]), class_label(kg, row["class"], lang),
                      f"{row['score']:.4f}", Text(row["why"]))
    console.print(table)


@app.command()
@time_options
def communities(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the Louvain method.")] = 42,
    resolution: Annotated[float, typer.Option("--resolution", help="Above 1 finds smaller groups.")] = 1.0,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Groups found by modularity (Louvain, seeded), named by their most central members.

    Example: kg communities
    """
    from kg.analysis import communities as run
    from rich.text import Text

    groups = run(get_kg(ctx), seed=seed, resolution=resolution, lang=lang)
    if as_json:
        return print_json(groups)
    together = [g for g in groups if g["size"] > 1]
    alone = [g["members"][0]["label"] for g in groups if g["size"] == 1]
    title = word("{} communities", lang, len(together)) + (word(", and {} entities tied to none of them", lang, len(alone)) if alone else "")
    table = Table("#", *(word(h, lang) for h in ("Size", "Named after", "Members")), title=title)
    for g in together:
        members = listed([m["label"] for m in g["members"][:8]], lang) + (" …" if g["size"] > 8 else "")
        table.add_row(str(g["id"]), str(g["size"]), Text(g["name"]), Text(members))
    if alone:
        table.add_row("–", str(len(alone)), Text(word("on their own", lang)), Text(listed(sorted(alone), lang)))
    console.print(table)


@app.command()
@time_options
def coinvest(
    ctx: typer.Context,
    top: Annotated[int, typer.Option("--top", help="How many pairs of each kind to show.", min=1)] = 15,
    portfolio: Annotated[bool, typer.Option(
        "--portfolio", help="Instead: which investors backed more than one of the start-ups (or of --among)?")] = False,
    among: Annotated[Optional[list[str]], typer.Option(
        "--among", help="With --portfolio: these companies (comma-separated) instead of every start-up.")] = None,
    lang: LangOpt = "en",
    as_json: JsonOpt = False,
):
    """Co-investors (investors backing the same companies) and co-customers (start-ups sharing customers).

    Example: kg coinvest   ·   kg coinvest --portfolio   ·   kg coinvest --portfolio --among Groq,Graphcore,SambaNova
    """
    from kg.analysis import cocustomers, coinvestment
    from rich.text import Text

    kg = get_kg(ctx)
    if portfolio or among:
        return _portfolio(kg, _split(among), top, as_json, lang)
    answer = {"coinvestors": coinvestment(kg, lang), "cocustomers": cocustomers(kg, lang)}
    if as_json:
        print_json(answer)
        raise typer.Exit(0 if any(answer.values()) else 1)
    for key, title, shared in (("coinvestors", "Co-investors: {}", "Companies both back"),
                               ("cocustomers", "Start-ups sharing customers: {}", "Shared customers")):
        pairs = answer[key]
        table = Table(word("Pair", lang), word("Shared", lang), word(shared, lang),
                      title=word(title, lang, _shown(len(pairs), top, "pairs", lang)))
        for p in pairs[:top]:
            table.add_row(Text(f"{p['a']['label']} — {p['b']['label']}"), str(p["weight"]),
                          Text(listed(p["shared"], lang)))
        console.print(table)
    if not any(answer.values()):
        raise typer.Exit(1)


def _shown(total: int, top: int, what: str, lang: str = "en") -> str:
    """``17 pairs`` or ``the top 15 of 17 pairs (--top 17 shows all)``."""
    if total <= top:
        return word("{} " + what, lang, total)
    if lang == "zh":
        return word(f"the top {{}} of {{}} {what} (--top {{}} shows all)", lang, total, top, total)
    return f"the top {top} of {total} {what} (--top {total} shows all)"


def _portfolio(kg, among: list[str], top: int, as_json: bool, lang: str = "en"):
    from kg.analysis import portfolio
    from rich.text import Text

    rows = portfolio(kg, among or None, lang=lang)
    if as_json:
        print_json(rows)
        raise typer.Exit(0 if rows else 1)
    of = listed(among, lang) if among else word("the start-ups", lang)
    if not rows:
        console.print(Text(word("No investor backed more than one of {}.", lang, of)))
        raise typer.Exit(1)
    title = word("Investors in more than one of {}: {}", lang, of, _shown(len(rows), top, "investors", lang))
    table = Table(*(word(h, lang) for h in ("Investor", "Class", "How many", "Which")), title=title)
    for r in rows[:top]:
        table.add_row(Text(r["investor"]["label"]), class_label(kg, r["investor"]["class"], lang), str(r["count"]),
                      Text(listed(r["companies"], lang)))
    console.print(table)

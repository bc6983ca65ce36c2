"""Commands about connections: path, common, neighbors, centrality, communities, coinvest."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from kg.cli.app import JsonOpt, app, console, get_kg, print_json, print_sources, time_note, time_options


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
    as_json: JsonOpt = False,
):
    """How is A connected to B? One sentence per hop, with true directions and sources.

    Example: kg path Nvidia Graphcore   ·   kg path "Jim Keller" Cerebras --k 3   ·   kg path Nvidia Graphcore --in-order
    """
    from kg.paths import find_paths

    kg = get_kg(ctx)
    ask = kg.find_paths if getattr(kg, "remote", False) else partial(find_paths, kg)  # --endpoint
    options = {"in_order": True} if in_order else {}
    answer = ask(
        source, target, k=k, all_shortest=all_paths, max_len=max_len,
        only=_split(only), exclude=_split(exclude), avoid=_split(avoid), through=through, **options,
    )
    if as_json:
        return print_json(answer)
    a, b = answer["source"]["label"], answer["target"]["label"]
    sources: dict[str, int] = {}
    for i, found in enumerate(answer["paths"], start=1):
        hops = found["length"]
        title = f"{a} → {b}: {hops} hop{'s' if hops != 1 else ''}" + (", in time order" if in_order else "")
        if note := time_note(kg):
            title += f" {note}"
        console.print(Text(title if len(answer["paths"]) == 1 else f"Path {i}. {title}", style="bold"))
        for n, edge in enumerate(found["edges"], start=1):
            cited = " ".join(f"[{sources.setdefault(s, len(sources) + 1)}]" for s in edge["sources"])
            flag = " (undated)" if edge.get("undated") or edge["attributes"].get("when") == "undated" else ""
            console.print(Text(f"  {n}. {edge['sentence']}{flag} "), Text(cited, style="dim"), end="\n")
    print_sources(sources)
    if answer["skipped_kinds"]:
        console.print(Text(f"(Indirect ties skipped: {', '.join(answer['skipped_kinds'])}; "
                           "name them with --only to use them.)", style="dim"))


@app.command()
@time_options
def common(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="First entity.")],
    second: Annotated[str, typer.Argument(help="Second entity.")],
    only: Only = None,
    as_json: JsonOpt = False,
):
    """What do two entities share? Investors, customers, employers, foundries, grouped by kind.

    Example: kg common SambaNova Cerebras
    """
    from kg.paths import common_ties

    kg = get_kg(ctx)
    ask = kg.common_ties if getattr(kg, "remote", False) else partial(common_ties, kg)  # --endpoint
    answer = ask(first, second, only=_split(only))
    if as_json:
        print_json(answer)
    elif not answer["groups"]:
        console.print(Text(f"{answer['a']['label']} and {answer['b']['label']} share no direct tie."))
    if not answer["groups"]:
        raise typer.Exit(1)  # nothing found: exit 1, as everywhere
    if as_json:
        return
    for group in answer["groups"]:
        console.print(Text(f"• {group['sentence']}"))


@app.command()
@time_options
def neighbors(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The entity.")],
    depth: Annotated[int, typer.Option("--depth", help="How many hops out.", min=1)] = 1,
    only: Only = None,
    as_json: JsonOpt = False,
):
    """The neighbourhood of an entity, grouped by relation.

    Example: kg neighbors Graphcore   ·   kg neighbors "Jim Keller" --depth 2
    """
    from kg.paths import neighbors as run

    kg = get_kg(ctx)
    ask = kg.neighbors if getattr(kg, "remote", False) else partial(run, kg)  # --endpoint
    answer = ask(name, depth=depth, only=_split(only))
    if as_json:
        print_json(answer)
        raise typer.Exit(0 if answer["groups"] else 1)
    if not answer["groups"]:
        console.print(Text(f"{answer['entity']['label']} has no ties" + (" of those kinds." if only else ".")))
        raise typer.Exit(1)  # nothing found: exit 1, as everywhere
    console.print(Text(answer["entity"]["label"], style="bold"))
    for group in answer["groups"]:
        console.print(Text(f"  {group['label']} ({len(group['edges'])})", style="bold"))
        for edge in group["edges"]:
            console.print(Text(f"    {edge['sentence']}"))
    if depth > 1:
        table = Table("Hops", "Entity", "Class", "Reached by", title=f"Within {depth} hops: {len(answer['reached'])}")
        for r in answer["reached"]:
            table.add_row(str(r["distance"]), Text(r["label"]), r["class"], Text(r["via"]))
        console.print(table)


@app.command()
@time_options
def centrality(
    ctx: typer.Context,
    measure: Annotated[str, typer.Option("--measure", "-m", help="degree, betweenness, closeness, eigenvector or pagerank.")] = "degree",
    cls: Annotated[Optional[str], typer.Option("--class", help="Rank only this class, e.g. Person.")] = None,
    top: Annotated[int, typer.Option("--top", help="How many to show.", min=1)] = 10,
    directed: Annotated[bool, typer.Option("--directed", help="Follow edge directions (PageRank always does).")] = False,
    as_json: JsonOpt = False,
):
    """Who matters most? A ranked table of entities by a centrality measure.

    Example: kg centrality --measure betweenness --top 5
    """
    from kg.analysis import centrality as run

    answer = run(get_kg(ctx), measure, cls=cls, top=top, directed=directed)
    if as_json:
        return print_json(answer)
    notes = answer["notes"]
    title = f"{measure} centrality ({notes['graph']} view, {notes['nodes']} nodes)"
    if "sampled_sources" in notes:
        title += f", estimated from {notes['sampled_sources']} sampled sources (seeded)"
    table = Table("#", "Entity", "Class", "Score", "Why", title=title)
    for row in answer["ranking"]:
        table.add_row(str(row["rank"]), Text(row["label"]), row["class"], f"{row['score']:.4f}", Text(row["why"]))
    console.print(table)


@app.command()
@time_options
def communities(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the Louvain method.")] = 42,
    resolution: Annotated[float, typer.Option("--resolution", help="Above 1 finds smaller groups.")] = 1.0,
    as_json: JsonOpt = False,
):
    """Groups found by modularity (Louvain, seeded), named by their most central members.

    Example: kg communities
    """
    from kg.analysis import communities as run

    groups = run(get_kg(ctx), seed=seed, resolution=resolution)
    if as_json:
        return print_json(groups)
    together = [g for g in groups if g["size"] > 1]
    alone = [g["members"][0]["label"] for g in groups if g["size"] == 1]
    title = f"{len(together)} communities" + (f", and {len(alone)} entities tied to none of them" if alone else "")
    table = Table("#", "Size", "Named after", "Members", title=title)
    for g in together:
        members = ", ".join(m["label"] for m in g["members"][:8]) + (" …" if g["size"] > 8 else "")
        table.add_row(str(g["id"]), str(g["size"]), Text(g["name"]), Text(members))
    if alone:
        table.add_row("–", str(len(alone)), Text("on their own"), Text(", ".join(sorted(alone))))
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
    as_json: JsonOpt = False,
):
    """Co-investors (investors backing the same companies) and co-customers (start-ups sharing customers).

    Example: kg coinvest   ·   kg coinvest --portfolio   ·   kg coinvest --portfolio --among Groq,Graphcore,SambaNova
    """
    from kg.analysis import cocustomers, coinvestment

    kg = get_kg(ctx)
    if portfolio or among:
        return _portfolio(kg, _split(among), top, as_json)
    answer = {"coinvestors": coinvestment(kg), "cocustomers": cocustomers(kg)}
    if as_json:
        print_json(answer)
        raise typer.Exit(0 if any(answer.values()) else 1)
    for key, title, shared in (("coinvestors", "Co-investors", "Companies both back"),
                               ("cocustomers", "Start-ups sharing customers", "Shared customers")):
        pairs = answer[key]
        table = Table("Pair", "Shared", shared, title=f"{title}: {_shown(len(pairs), top, 'pairs')}")
        for p in pairs[:top]:
            table.add_row(Text(f"{p['a']['label']} — {p['b']['label']}"), str(p["weight"]), Text(", ".join(p["shared"])))
        console.print(table)
    if not any(answer.values()):
        raise typer.Exit(1)


def _shown(total: int, top: int, what: str) -> str:
    """``17 pairs`` or ``the top 15 of 17 pairs (--top 17 shows all)``."""
    return f"{total} {what}" if total <= top else f"the top {top} of {total} {what} (--top {total} shows all)"


def _portfolio(kg, among: list[str], top: int, as_json: bool):
    from kg.analysis import portfolio

    rows = portfolio(kg, among or None)
    if as_json:
        print_json(rows)
        raise typer.Exit(0 if rows else 1)
    of = ", ".join(among) if among else "the start-ups"
    if not rows:
        console.print(Text(f"No investor backed more than one of {of}."))
        raise typer.Exit(1)
    table = Table("Investor", "Class", "How many", "Which", title=f"Investors in more than one of {of}: {_shown(len(rows), top, 'investors')}")
    for r in rows[:top]:
        table.add_row(Text(r["investor"]["label"]), r["investor"]["class"] or "", str(r["count"]), Text(", ".join(r["companies"])))
    console.print(table)

"""Commands that draw or write the network: viz (an interactive HTML page) and export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from kg.cli.app import JsonOpt, LangOpt, app, console, err_console, get_kg, print_json, time_options, write_data
from kg.errors import BadInput
from kg.i18n import word


def _split(values: Optional[list[str]]) -> list[str]:
    """Accept both ``--only a,b`` and ``--only a --only b``."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB"


@app.command()
@time_options
def viz(
    ctx: typer.Context,
    focus: Annotated[Optional[str], typer.Option("--focus", help="Show this entity and its neighbourhood (an ego network).")] = None,
    depth: Annotated[int, typer.Option("--depth", help="Hops out from --focus.", min=1)] = 1,
    path: Annotated[Optional[tuple[str, str]], typer.Option(
        "--path", metavar="A B", help="Highlight how A connects to B; the rest is faded, the hops listed beside.")] = None,
    classes: Annotated[Optional[list[str]], typer.Option(
        "--class", help="Keep only entities of these classes (comma-separated), e.g. Company,Person.")] = None,
    only: Annotated[Optional[list[str]], typer.Option(
        "--only", help="Keep only these relation kinds (comma-separated), e.g. investedIn,founded.")] = None,
    size_by: Annotated[str, typer.Option("--size-by", help="Node size by centrality: degree, betweenness or pagerank.")] = "degree",
    lang: LangOpt = "en",
    top: Annotated[Optional[int], typer.Option(
        "--top", help="Show only the N most central entities (for graphs too large to show whole).", min=1)] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.", dir_okay=False)] = Path("kg-view.html"),
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in the default browser.")] = False,
    as_json: JsonOpt = False,
):
    """Draw the network as one interactive HTML page that works offline.

    Colour by class, size by centrality, a search box, tooltips with facts and
    sources. Without --open, prints where the page was written.

    Example: kg viz --path Nvidia Graphcore   ·   kg viz --focus "Jim Keller" --depth 2 --lang zh --open
    """
    from kg.views import build_view, write_view

    if path and any(name.startswith("-") for name in path):
        raise BadInput(f"--path takes two names, A and B, before any other option; got {' '.join(path)!r}, "
                       'e.g. kg viz --path Nvidia Graphcore -o f.html')

    view = build_view(
        get_kg(ctx), focus=focus, depth=depth, path=path, classes=_split(classes), only=_split(only),
        size_by=size_by.strip().lower(), lang=lang, top=top,
    )
    written = write_view(view, output)
    size = written.stat().st_size
    summary = {"path": str(written), "title": view["title"], "nodes": view["counts"]["nodes"],
               "edges": view["counts"]["edges"], "bytes": size}
    opened = False
    if open_page:
        import webbrowser

        opened = webbrowser.open(written.resolve().as_uri())
        if not opened:
            uri = written.resolve().as_uri()
            err_console.print(Text(word("Could not start a browser; open {} yourself.", lang, uri)))
    if as_json:
        return print_json(summary | {"opened": opened})
    console.print(Text(f"{view['title']} — {view['subtitle']}"))
    console.print(Text(word("Wrote {} ({}, works offline).", lang, written, _size(size))
                       + ("" if open_page else word(" Open it in a browser, or add --open.", lang))))


@app.command()
@time_options
def export(
    ctx: typer.Context,
    fmt: Annotated[Optional[str], typer.Option(
        "--format", "-f",
        help="graphml or gexf (Gephi, Cytoscape), json (networkx node-link), csv (one row per edge), "
        "or the RDF itself: turtle, jsonld, nt. Default: from the --output suffix.")] = None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="File to write (replaced atomically). Default: standard output.", dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Report the file written as JSON (needs --output).")] = False,
):
    """Write the graph for other tools: the network for Gephi/Cytoscape, or the RDF.

    Example: kg export --format graphml -o chips.graphml   ·   kg export -f csv > edges.csv
    """
    from kg.export import FORMATS, SUFFIXES, export_bytes, write_export

    if fmt is None:
        by_suffix = {suffix: name for name, suffix in SUFFIXES.items()} | {".turtle": "turtle", ".json-ld": "jsonld"}
        fmt = by_suffix.get(output.suffix.lower()) if output is not None else None
        if fmt is None:
            raise BadInput(f"say which format: --format {'|'.join(FORMATS)}"
                           + (f" (the suffix {output.suffix!r} names none)" if output is not None else ""))
    if as_json and output is None:
        raise BadInput("--json reports the file written: give --output FILE (without it, the export itself is the output)")
    kg = get_kg(ctx)
    if output is None:
        return write_data(export_bytes(kg, fmt))
    written = write_export(kg, fmt, output)
    if as_json:
        return print_json({"path": str(written), "format": fmt, "bytes": written.stat().st_size})
    console.print(Text(f"Wrote {written} ({fmt}, {_size(written.stat().st_size)})."))

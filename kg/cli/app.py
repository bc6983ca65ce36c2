"""The typer application, its global options and the helpers every command shares."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from typer.core import TyperGroup

from kg.errors import KGError

__all__ = ["app", "console", "err_console", "get_kg", "print_json", "print_sources", "JsonOpt", "fail"]

console = Console(emoji=False, highlight=False, soft_wrap=True)
err_console = Console(stderr=True, emoji=False, highlight=False, soft_wrap=True)


class _Group(TyperGroup):
    """Turns library errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KGError as e:
            fail(str(e), e.exit_code)
        except BrokenPipeError:  # `kg ... | head`
            sys.stderr.close()
            raise typer.Exit(0)


def fail(message: str, code: int = 2):
    """Print ``Error: message`` on stderr and exit with ``code``."""
    err_console.print(f"[red]Error:[/red] {_escape(message)}")
    raise typer.Exit(code)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


app = typer.Typer(
    cls=_Group,
    name="kg",
    help=(
        "Who connects to whom in the chip industry: a sourced knowledge graph of people, "
        "firms and capital.\n\nExit codes: 0 success; 1 nothing found, no path, or data "
        "does not conform; 2 bad input (usage, unreadable file, malformed Turtle or SPARQL)."
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]


@app.callback()
def _global(
    ctx: typer.Context,
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data", "-d",
            help="Data file or folder to load instead of the bundled data (repeatable). "
            "Default: $KG_DATA (paths joined by the OS path separator), else data/triples.",
            metavar="PATH",
        ),
    ] = None,
    store: Annotated[
        Optional[str],
        typer.Option(
            "--store",
            envvar="KG_STORE",
            help="Use the Oxigraph store built by `kg load --store PATH` instead of parsing files "
            "(opens in milliseconds; SPARQL runs inside Oxigraph). Default: $KG_STORE.",
            metavar="PATH",
        ),
    ] = None,
    endpoint: Annotated[
        Optional[str],
        typer.Option(
            "--endpoint",
            envvar="KG_ENDPOINT",
            help="Ask this SPARQL 1.1 endpoint (Virtuoso, Fuseki, Oxigraph, GraphDB, QLever) instead of local "
            "data; upload the data first with `kg push`. entity, path, neighbors, common and sparql work "
            "remotely. Default: $KG_ENDPOINT.",
            metavar="URL",
        ),
    ] = None,
):
    ctx.obj = {"data": data or None, "store": store or None, "endpoint": endpoint or None}


_KG_CACHE: dict = {}


def get_kg(ctx: typer.Context):
    """The graph named by ``--endpoint``, ``--store`` (or their variables), else ``--data`` / ``KG_DATA`` / the bundled data.

    Opened once per process. Files are parsed only when a command needs the
    RDF itself; the projection and name index come from the disk cache
    (:mod:`kg.cache`) when it holds them.
    """
    obj = ctx.find_root().obj or {}
    if obj.get("store") and obj.get("data"):
        fail("--store (or $KG_STORE) and --data name two different graphs; give one of them")
    if obj.get("endpoint"):
        if obj.get("store") or obj.get("data"):
            fail("--endpoint (or $KG_ENDPOINT) and --data/--store name two different graphs; give one of them")
        from kg.remote import RemoteKnowledgeGraph

        kg = RemoteKnowledgeGraph(obj["endpoint"])
    elif obj.get("store"):
        from kg.store import StoreKnowledgeGraph

        kg = StoreKnowledgeGraph(obj["store"])
    else:
        from kg.cache import cached_kg

        kg = cached_kg(obj.get("data"))
    return _KG_CACHE.setdefault(kg.key, kg)  # the same inputs twice in one process: one graph


def print_json(value) -> None:
    """Write ``value`` as indented UTF-8 JSON on stdout."""
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def print_sources(numbered: dict) -> None:
    """Print the legend of sources cited as ``[n]`` above: ``{source IRI: n}``."""
    from rich.text import Text

    for source, n in numbered.items():
        console.print(Text(f"[{n}] {source}", style="dim"))

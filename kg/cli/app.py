"""The typer application, its global options and the helpers every command shares."""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import re
import sys
import warnings
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from kg.cli.plain import read_plainly
from kg.errors import DataWarning, KGError

__all__ = ["app", "COMMANDS", "console", "err_console", "say", "get_kg", "print_json", "cite", "print_sources", "JsonOpt", "fail",
           "time_options", "time_note", "data_paths", "Table", "LangOpt", "visible", "write_data"]

# Characters a terminal acts on instead of showing: C0 and C1 controls but tab and newline
# (ESC starts clear-screen, window-title and OSC 52 clipboard sequences), DEL, and the
# bidirectional and line-separator marks that reorder or break what is shown.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                        "\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: str) -> str:
    """``text`` with every control character written visibly (ESC as ␛, U+202E as <U+202E>).

    Examples
    --------
    >>> visible("a\x1b]52;c;aGk=\x07b\u202ec")
    'a␛]52;c;aGk=␇b<U+202E>c'
    """
    return _INVISIBLE.sub(_picture, text)


def _picture(match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures" block
    return "\u2421" if code == 0x7F else f"<U+{code:04X}>"


class _Visible:
    """A rich render hook that makes data's control characters visible in everything a console prints."""

    def process_renderables(self, renderables):
        return [_VisibleRenderable(r) for r in renderables]


class _VisibleRenderable:
    def __init__(self, renderable):
        self.renderable = renderable

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        for segment in console.render(self.renderable, options):
            if segment.control is None and _INVISIBLE.search(segment.text):
                yield Segment(visible(segment.text), segment.style)
            else:
                yield segment


class _Console:
    """rich's ``Console`` (no emoji, no highlighting, no wrapping, controls made visible), made on first use.

    Importing rich costs a warm ``kg path`` a sixth of its time; a command
    whose lines :func:`say` writes directly never pays it.
    """

    def __init__(self, **options):
        self._options = options
        self._console = None

    def __getattr__(self, name):
        if self._console is None:
            from rich.console import Console

            self._console = Console(emoji=False, highlight=False, soft_wrap=True, **self._options)
            self._console.push_render_hook(_Visible())
        return getattr(self._console, name)

    # rich's live displays (Progress) enter the console they are given: special methods skip __getattr__
    def __enter__(self):
        return self.__getattr__("__enter__")()

    def __exit__(self, *exc):
        return self.__getattr__("__exit__")(*exc)


console = _Console()
err_console = _Console(stderr=True)


def say(*texts, style: str = "") -> None:
    """Print one line of data on stdout: ``texts`` joined by spaces, each a string or a ``(string, style)`` pair.

    Text is never read as markup. When the line goes where rich shows no
    style (a pipe or a file) and holds only printable characters, rich would
    print it unchanged, so it is written directly, without importing rich.
    Anything else (a terminal, a tab, a control character) goes through
    :data:`console`.

    Examples
    --------
    >>> say("Nvidia → Graphcore: 3 hops", style="bold")
    Nvidia → Graphcore: 3 hops
    >>> say("  1. Nvidia acquired Icera (2011) ", ("[1]", "dim"))
      1. Nvidia acquired Icera (2011)  [1]
    """
    pieces = [(text, style) if isinstance(text, str) else text for text in texts]
    if _unstyled_stdout() and all(text.isprintable() for text, _ in pieces):
        sys.stdout.write(" ".join(text for text, _ in pieces) + "\n")
        return
    from rich.text import Text

    console.print(*(Text(text, style=how) for text, how in pieces))


def _unstyled_stdout() -> bool:
    """True when rich would print no styles on stdout: not a terminal, none forced, no notebook."""
    if any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")):
        return False
    isatty = getattr(sys.stdout, "isatty", None)
    return isatty is not None and not isatty() and "IPython" not in sys.modules


def Table(*headers, **options):
    """A rich ``Table`` whose columns fold long text instead of cutting it.

    rich's default ("ellipsis") drops a word beside double-width CJK text:
    a note with Chinese in it lost "has" as "he ha…" at 140 columns.
    """
    return _folding_table()(*headers, **options)


@functools.cache
def _folding_table():
    from rich.table import Table as RichTable

    class FoldingTable(RichTable):
        def add_column(self, *args, overflow="fold", **kwargs):
            return super().add_column(*args, overflow=overflow, **kwargs)

    return FoldingTable


#: Every command, in the order ``kg --help`` lists them, and the module of :mod:`kg.cli` that defines it.
#: A module is imported only when one of its commands runs (or the help lists them all): ``kg path``
#: loads neither SPARQL, the server nor the views.
COMMANDS = {
    "info": "core", "validate": "core", "entity": "core",
    "duplicates": "identity", "merge": "identity",
    "import": "imports",
    "path": "network", "common": "network", "neighbors": "network", "centrality": "network",
    "communities": "network", "coinvest": "network",
    "synth": "scale", "load": "scale", "push": "scale",
    "sparql": "sparql", "queries": "sparql", "serve": "sparql",
    "timeline": "time", "alumni": "time", "conflicts": "time", "settle": "time",
    "viz": "views", "export": "views",
}


class _Group(TyperGroup):
    """Loads each command's module on first use; turns library errors into one line on stderr and the documented exit code."""

    def list_commands(self, ctx):
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMANDS:
            importlib.import_module(f"kg.cli.{COMMANDS[name]}")  # its decorators register on `app`
            from typer.main import get_command_from_info, get_command_name

            for info in app.registered_commands:
                if get_command_name(info.name or info.callback.__name__) not in self.commands:
                    command = get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                                    rich_markup_mode=app.rich_markup_mode)
                    self.commands[command.name] = command
        command = self.commands.get(name)
        if command is not None:
            read_plainly(command.get_params(ctx))  # its --help too, which click makes on first use
        return command

    def get_params(self, ctx):
        params = super().get_params(ctx)
        read_plainly(params)
        return params

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the command; a usage error is one line on stderr (exit 2), not typer's boxed panel."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        from typer._click import exceptions as click  # typer vendors its own Click

        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.NoArgsIsHelpError as e:  # bare `kg`: the help, as typer shows it
            from typer import rich_utils

            rich_utils.rich_format_error(e)
            sys.exit(e.exit_code)
        except click.ClickException as e:
            sys.exit(_usage_line(e))
        except typer.Abort:
            err_console.print("Aborted.")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        with warnings.catch_warnings():
            warnings.simplefilter("always", DataWarning)
            warnings.showwarning = _warning_printer()
            try:
                return super().invoke(ctx)
            except KGError as e:
                fail(str(e), e.exit_code)
            except BrokenPipeError:  # `kg ... | head`
                sys.stderr.close()
                raise typer.Exit(0)


def _warning_printer():
    """A ``warnings.showwarning`` for one command: a data warning is one line on stderr (``Warning: file:line:
    ...``), once however often the command reads the data; others as Python shows them."""
    shown: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, DataWarning):
            return warnings._showwarning_orig(message, category, filename, lineno, file, line)
        if str(message) not in shown:
            from rich.text import Text

            shown.add(str(message))
            err_console.print(Text(f"Warning: {message}"))

    return show


def fail(message: str, code: int = 2):
    """Print ``Error: message`` on stderr and exit with ``code``."""
    err_console.print(f"[red]Error:[/red] {_escape(_clip(message))}")
    raise typer.Exit(code)


def _usage_line(error) -> int:
    """Print a click usage error as one line, ``Error: ... (see: kg CMD -h)``; return its exit code."""
    message = " ".join(error.format_message().split()).rstrip(".")
    ctx = getattr(error, "ctx", None)
    if type(error).__name__ == "NoSuchOption":
        close = sorted(error.possibilities or ())
        message = f"no such option {error.option_name}" + (f" (did you mean {' or '.join(close)}?)" if close else "")
        root = ctx.find_root() if ctx is not None else None
        if root is not None and root is not ctx and error.option_name in {o for p in root.command.params for o in p.opts}:
            message = (f"{error.option_name} is an option of kg itself, not of {ctx.info_name}: give it before the "
                       f"command, as in kg {error.option_name} ... {ctx.info_name} ...")
    elif (unknown := re.match(r"No such command '(.*)'(?:\.|$)", message)) and ctx is not None:
        import difflib

        name = unknown.group(1)
        close = difflib.get_close_matches(name, ctx.command.list_commands(ctx), n=3, cutoff=0.6)
        message = f"no such command {name!r}" + (f" (did you mean {' or '.join(close)}?)" if close else "")
    hint = f" (see: {ctx.command_path} -h)" if ctx is not None else ""
    if ctx is not None and (took := _option_taken_as_value(ctx)):
        message = took
    err_console.print(f"[red]Error:[/red] {_escape(_clip(message[:1].lower() + message[1:]))}{_escape(hint)}")
    return error.exit_code


def _option_taken_as_value(ctx) -> str | None:
    """``viz --path Nvidia -o f.html``: say that --path took ``-o`` as a name, if it did."""
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if isinstance(value, tuple) and (taken := [v for v in value if isinstance(v, str) and v.startswith("-")]):
            return (f"{param.opts[0]} takes {len(value)} values and took {taken[0]!r} as one; "
                    f"give all {len(value)} first: {param.opts[0]} {param.metavar or '...'}")
    return None


def _clip(text: str) -> str:
    """A message of at most about 1,000 characters (a pasted novel is not echoed back)."""
    from kg.errors import clip

    return clip(text, 1000)


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


def _lang(value: str) -> str:
    from kg.i18n import check_lang

    return check_lang(value)


#: ``--lang en|zh`` (or ``$KG_LANG``): the language of names and sentences; pass it on to the library (:mod:`kg.i18n`).
LangOpt = Annotated[str, typer.Option(
    "--lang", envvar="KG_LANG", callback=_lang, metavar="en|zh",
    help="Answer in English (en) or Chinese (zh): names, sentences and headings. Default: $KG_LANG, else en.")]


@app.callback()
def _global(
    ctx: typer.Context,
    data: Annotated[
        Optional[list[str]],
        typer.Option(
            "--data", "-d",
            help="Your data file or folder, loaded beside the bundled data (repeatable). "
            "Default: $KG_DATA (paths joined by the OS path separator). Add --no-bundled to load yours alone.",
            metavar="PATH",
        ),
    ] = None,
    no_bundled: Annotated[
        bool,
        typer.Option(
            "--no-bundled",
            help="Leave the bundled data out: load only --data (or $KG_DATA). The ontology always loads.",
        ),
    ] = False,
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
    ctx.obj = {"data": data or None, "bundled": not no_bundled, "store": store or None,
               "endpoint": endpoint or None}


def data_paths(ctx: typer.Context, paths=None) -> list | None:
    """The data a command loads: the bundled data (unless ``--no-bundled``) plus ``paths``.

    ``paths`` default to ``--data``, else ``$KG_DATA``. None means the
    library's default (the bundled data plus ``$KG_DATA``).
    """
    from kg.loader import env_data_paths

    obj = ctx.find_root().obj or {}
    paths = list(paths or obj.get("data") or [])
    if obj.get("bundled", True):
        if not paths:
            return None
        from kg.bundled import DATA_DIR

        return [str(DATA_DIR), *paths]
    paths = paths or env_data_paths()
    if not paths:
        fail("--no-bundled leaves nothing to load: name your data with --data PATH (or $KG_DATA)")
    return paths


_TIME_OPTIONS = {
    "as_of": Annotated[Optional[str], typer.Option(
        "--as-of", metavar="DATE",
        help="The graph as it stood on DATE (YYYY, YYYY-MM or YYYY-MM-DD): relations started by then and "
        "not yet ended; undated facts kept and marked.")],
    "known_by": Annotated[Optional[str], typer.Option(
        "--known-by", metavar="DATE",
        help="Only facts from sources published by DATE (sources without a publication date are left out).")],
    "dated_only": Annotated[bool, typer.Option("--dated-only", help="Drop facts that carry no date.")],
}


def time_options(command):
    """Give a command ``--as-of``, ``--known-by`` and ``--dated-only``; its :func:`get_kg` then answers from that snapshot.

    The options are added to the command's signature (typer reads it), so
    the command's own code never sees them: the filter is applied once, to
    the graph every question starts from (:func:`kg.timeview.snapshot`).
    The command must take the ``typer.Context``.
    """
    signature = inspect.signature(command, eval_str=True)
    extra = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=hint,
                               default=False if name == "dated_only" else None)
             for name, hint in _TIME_OPTIONS.items()]

    context = next(p.name for p in signature.parameters.values() if p.annotation is typer.Context)

    @functools.wraps(command)
    def wrapper(**kwargs):
        kwargs[context].meta["kg.time"] = {name: kwargs.pop(name) for name in _TIME_OPTIONS}
        return command(**kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])
    wrapper.__annotations__ = {**command.__annotations__, **_TIME_OPTIONS}
    return wrapper


def time_note(kg, lang: str = "en") -> str:
    """`` (as of 2021-12, known by 2021-12-11)``, the note that ends a snapshot's title, in ``lang``; else ``""``."""
    from kg.i18n import word

    time = getattr(kg, "time", None)
    return word(" ({})", lang, time.describe(lang)) if time is not None else ""


_KG_CACHE: dict = {}


def get_kg(ctx: typer.Context):
    """The graph named by ``--endpoint``, ``--store`` (or their variables), else ``--data`` / ``KG_DATA`` / the bundled data.

    Opened once per process. Files are parsed only when a command needs the
    RDF itself; the projection and name index come from the disk cache
    (:mod:`kg.cache`) when it holds them. A command given ``--as-of``,
    ``--known-by`` or ``--dated-only`` (see :func:`time_options`) gets that snapshot.
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
        from kg.loader import cached_kg

        kg = cached_kg(data_paths(ctx))
    kg = _KG_CACHE.setdefault(kg.key, kg)  # the same inputs twice in one process: one graph
    time = ctx.meta.get("kg.time") or {}
    if any(time.values()):
        from kg.backend import LocalBackend

        if not isinstance(kg, LocalBackend):
            fail("--as-of, --known-by and --dated-only need local data (--data or --store), not --endpoint")
        from kg.timeview import snapshot

        kg = snapshot(kg, **time)
    return kg


def print_json(value) -> None:
    """Write ``value`` as indented UTF-8 JSON on stdout."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    # JSON escapes C0 controls itself; escape the rest a terminal would act on (they only occur in strings)
    sys.stdout.write(_INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def write_data(data: bytes) -> None:
    """Write a machine format (CSV, N-Triples, GraphML ...) on stdout: exact bytes, but seen, not obeyed, on a terminal.

    To a pipe or a file the bytes are unchanged. On a terminal the text is
    written through :func:`visible`, so an escape sequence in the data (a
    window title, a hyperlink, a backspace) shows instead of acting; line
    ends (``\\n`` and CSV's ``\\r\\n``) stay line ends.
    """
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        sys.stdout.buffer.write(data)
    else:
        text = data.decode("utf-8", "replace")
        sys.stdout.write("\r\n".join(visible(line) for line in text.split("\r\n")))
    sys.stdout.flush()


def cite(numbered: dict, sources) -> str:
    """``[n] [m]`` for ``sources``, numbering each source on first citation in ``numbered`` (``{IRI: n}``)."""
    return " ".join(f"[{numbered.setdefault(s, len(numbered) + 1)}]" for s in sources)


def print_sources(numbered: dict) -> None:
    """Print the legend of sources cited as ``[n]`` above: ``{source IRI: n}``."""
    for source, n in numbered.items():
        say(f"[{n}] {source}", style="dim")

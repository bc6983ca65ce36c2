"""Commands for SPARQL: sparql (run a query), queries (the saved questions), serve (an endpoint)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.text import Text

from kg.cli.app import JsonOpt, Table, app, console, data_paths, err_console, get_kg, print_json, visible, write_data
from kg.errors import BadInput

_FORMAT_HELP = (
    "Output format. SELECT/ASK: csv, tsv, json, xml (W3C SPARQL results). "
    "CONSTRUCT/DESCRIBE: turtle, jsonld, nt, rdfxml. Default: a table (Turtle for graphs), "
    "or what the --output file's suffix says."
)


def _read_query(query: str | None, file: Path | None, name: str | None) -> tuple[str | None, object]:
    given = [x for x in (query, file, name) if x is not None]
    if len(given) != 1:
        raise BadInput("give exactly one of: a QUERY argument ('-' for standard input), --file or --name")
    if name is not None:
        from kg.sparql import saved_query

        return None, saved_query(name)
    if file is not None:
        if str(file) == "-":
            return sys.stdin.read(), None
        try:
            return file.read_text(encoding="utf-8"), None
        except OSError as e:
            raise BadInput(f"{file}: cannot read: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise BadInput(f"{file}: not UTF-8 text") from None
    if query == "-":
        return sys.stdin.read(), None
    return query, None


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--param wants NAME=VALUE, not {pair!r}")
        out[key.strip()] = value
    return out


def _cell(label_of, term, ids: bool = False) -> Text:
    """A cell for people: an entity's name (its id with ``ids``), a literal without its language tag."""
    from decimal import Decimal

    from rdflib import Literal, URIRef

    from kg.sparql import compact

    if term is None:
        return Text("")
    if isinstance(term, URIRef):
        label = None if ids else label_of(term)
        return Text(label or compact(term))
    if isinstance(term, Literal):
        value = term.toPython()
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool) and abs(value) >= 10_000:
            return Text(f"{value:,}")  # 676,000,000 reads better than 676000000
        return Text(str(term))
    return Text(compact(term))


_BOUNDS = {"exact": "", "at least": "more than ", "minimum": "more than ", "about": "about ", "approximate": "about "}


def _money_columns(names: list[str]) -> dict[int, tuple[int, int | None]]:
    """Amount columns the table shows as sums: ``{amount: (precision, currency)}`` by position.

    A column ``?x`` is a sum when a ``?precision`` (for ``?amount``) or ``?xPrecision``
    column states its bound; ``?currency`` or ``?xCurrency`` its currency.
    """
    found = {}
    for i, name in enumerate(names):
        for precision, currency in ((f"{name}Precision", f"{name}Currency"),
                                    ("precision", "currency") if name == "amount" else (None, None)):
            if precision in names:
                found[i] = (names.index(precision), names.index(currency) if currency in names
                            else names.index("currency") if "currency" in names else None)
                break
    return found


def _money_cell(row, amount: int, precision: int, currency: int | None) -> Text:
    from kg.facts import format_money

    value, bound = row[amount], row[precision]
    if value is None:
        return Text("")
    cur = str(row[currency]) if currency is not None and row[currency] is not None else "USD"
    return Text(format_money(value.toPython(), cur, _BOUNDS.get(str(bound), "")))


def _print_table(result, label_of, ids: bool = False) -> None:
    from kg.sparql import serialize

    if result.kind == "ask":
        console.print("true" if result.boolean else "false")
        return
    if result.is_graph:
        if result.empty:
            console.print("No triples.")
            return
        sys.stdout.write(visible(serialize(result, "turtle").decode("utf-8")))
        return
    if result.empty:
        console.print(f"No results (0 rows; variables: {', '.join('?' + v for v in result.vars) or 'none'}).")
        return
    from rdflib import Literal

    money = _money_columns(result.vars)
    hidden = {p for p, _ in money.values()} | {c for _, c in money.values() if c is not None}
    shown = [i for i in range(len(result.vars)) if i not in hidden]
    cells = [[_money_cell(row, i, *money[i]) if i in money else _cell(label_of, row[i], ids) for i in shown]
             for row in result.rows]
    table = Table(caption=f"{len(result.rows)} row(s) in {result.elapsed:.2f} s")
    for n, i in enumerate(shown):
        header = f"?{result.vars[i]}"
        # Keep headers, numbers, dates, short values and words whole; let long names wrap between words.
        short = [len(row[n].plain) for row, terms in zip(cells, result.rows)
                 if (isinstance(terms[i], Literal) or i in money) and len(row[n].plain) <= 20]
        words = [len(w) for row in cells for w in row[n].plain.split() if len(w) <= 20]
        table.add_column(header, overflow="fold", min_width=max([len(header), *short, *words]))
    for row in cells:
        table.add_row(*row)
    console.print(table)


@app.command()
def sparql(
    ctx: typer.Context,
    query: Annotated[
        Optional[str],
        typer.Argument(help="The query text; '-' reads it from standard input.", show_default=False),
    ] = None,
    file: Annotated[
        Optional[Path], typer.Option("--file", "-f", help="Read the query from a .rq file ('-' for stdin).")
    ] = None,
    name: Annotated[
        Optional[str], typer.Option("--name", "-n", help="Run a saved question (see: kg queries).")
    ] = None,
    param: Annotated[
        Optional[list[str]],
        typer.Option("--param", "-p", help="NAME=VALUE bound to ?NAME (repeatable). Entities by any name or alias.",
                     metavar="NAME=VALUE"),
    ] = None,
    fmt: Annotated[Optional[str], typer.Option("--format", "-F", help=_FORMAT_HELP, metavar="FORMAT")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Same as --format json (JSON-LD for CONSTRUCT/DESCRIBE).")
    ] = False,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write the result to this file (atomically).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Stop the query after this many seconds (exit 1).")
    ] = 30.0,
    max_rows: Annotated[
        Optional[int], typer.Option("--max-rows", help="Fail (exit 1) when more rows than this come back.")
    ] = None,
    ids: Annotated[
        bool, typer.Option("--ids", help="In the table, show entities by id (res:groq) instead of by name.")
    ] = False,
    labels: Annotated[
        Optional[bool], typer.Option(
            "--labels/--no-labels",
            help="In csv/tsv/json/xml, add a ?xLabel column (the name) beside each column ?x that can hold an IRI. "
            "Default: on for saved questions (--name), off otherwise.")
    ] = None,
):
    """Run a SPARQL query over the graph and print the answer.

    The project's prefixes (chips: res: src: rdf: rdfs: owl: xsd: skos: prov:
    schema: org: dcterms:) are pre-declared. Exit 0 with an answer, 1 when
    nothing is found (no rows) or past --timeout or --max-rows, 2 for a
    malformed or refused query.

    Examples:

      kg sparql "SELECT ?c WHERE { ?c a chips:Startup }"

      kg sparql --name investors --param company=Groq

      kg sparql --name investors --param company=Groq --format csv --no-labels

      kg sparql -f q.rq --format csv --output answer.csv
    """
    from kg.sparql import compact, format_for_path, resolve_format, serialize, with_labels

    text, saved = _read_query(query, file, name)
    if as_json:
        if fmt is not None and fmt.lower() != "json":
            raise BadInput("give either --json or --format, not both")
        fmt = "json"
    if output is not None and output.is_dir():
        raise BadInput(f"{output}: that is a folder; give a file name, e.g. --output {output / 'answer.csv'}")
    if fmt is None and output is not None:
        fmt = format_for_path(output)
        if fmt is None:
            raise BadInput(f"{output}: say which --format to write (the suffix {output.suffix!r} names none)")
    if fmt is not None and fmt.lower() == "table":
        fmt = None
    kg = get_kg(ctx)  # files, a store or --endpoint: each binds, runs and labels in its own way
    if saved is None:  # a term the ontology lacks (a typo) matches nothing: say so rather than just "no rows"
        from kg.sparql import check_query, unknown_terms

        for message in unknown_terms(check_query(text)):
            err_console.print(Text(f"Warning: {message}"))
    params = _params(param or [])
    if saved is not None:
        params = kg.bind(saved, params)
        label_of = kg.labeller()
        for p in saved.params:
            if p.type in ("entity", "source") and p.name in params:
                label = label_of(params[p.name])
                named = f"{label} " if label else ""
                err_console.print(Text(f"?{p.name} = {named}({compact(params[p.name])})", style="dim"))
    result = kg.query(saved if saved is not None else text, params=params, timeout=timeout, max_rows=max_rows)
    if fmt is None:
        if output is not None:  # pragma: no cover - fmt is always set when output is
            raise BadInput("a table cannot be written to a file; give --format")
        _print_table(result, kg.labeller(result), ids)
        return _exit_if_empty(result)
    if (saved is not None if labels is None else labels) and result.kind == "select":
        result = with_labels(result, kg.labeller(result), saved if saved is not None else text)
    data = serialize(result, resolve_format(result.kind, fmt))
    if output is not None:
        from kg.export import atomic_write

        atomic_write(output, data)
        what = "triples" if result.is_graph else "answer" if result.kind == "ask" else "rows"
        count = "" if result.kind == "ask" else f"{len(result)} "
        err_console.print(f"Wrote {count}{what} to {output}", markup=False)
        return _exit_if_empty(result)
    write_data(data if data.endswith(b"\n") else data + b"\n")
    _exit_if_empty(result)


def _exit_if_empty(result) -> None:
    """Nothing found (no rows, no triples) exits 1, as every command does; an ASK answer is an answer."""
    if result.kind != "ask" and result.empty:
        raise typer.Exit(1)


@app.command()
def queries(
    name: Annotated[
        Optional[str], typer.Argument(help="Show this saved question in full (parameters and SPARQL).")
    ] = None,
    as_json: JsonOpt = False,
):
    """List the saved questions, or show one; run them with kg sparql --name.

    Examples:

      kg queries

      kg queries investors
    """
    from kg.sparql import saved_queries, saved_query

    if name is not None:
        q = saved_query(name)
        if as_json:
            return print_json(q.as_dict())
        console.print(Text(f"{q.name}: {q.title}", style="bold"))
        console.print(Text(q.description))
        for p in q.params:
            flag = " (optional)" if p.optional and p.default is None else f" (default {p.default})" if p.default else ""
            console.print(Text(f"  --param {p.name}=…  {p.type}{flag}: {p.description}"))
        for example in q.examples:
            console.print(Text(f"  e.g. kg sparql --name {q.name} " + " ".join(f"--param {e}" for e in example.split())))
        console.print()
        sys.stdout.write(q.text if q.text.endswith("\n") else q.text + "\n")
        return
    items = saved_queries()
    if as_json:
        return print_json([q.as_dict() for q in items])
    table = Table("Name", "Question", "Parameters", caption="Run one: kg sparql --name NAME --param KEY=VALUE")
    for q in items:
        params = ", ".join(f"{p.name}{'?' if p.optional else ''} ({p.type})" for p in q.params)
        table.add_row(Text(q.name), Text(q.title), Text(params or "-"))
    console.print(table)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on. Default: this machine only.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8000,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run.")] = 10.0,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Most rows (or triples) a result may have.")] = 10_000,
    workers: Annotated[int, typer.Option("--workers", help="Queries answered at once (worker processes).")] = 3,
    budget: Annotated[
        float, typer.Option("--budget", help="Seconds after which a query counts as long: it goes on only in a "
                            "slot for long queries (one per client), or stops with 503.")] = 0.25,
    memory: Annotated[
        int, typer.Option("--memory", help="Megabytes a worker may take for one query; more gets 503.")] = 1024,
    cors_origin: Annotated[
        Optional[list[str]],
        typer.Option("--cors-origin", help="Web origin whose pages may read answers (repeatable). Default: none.",
                     metavar="ORIGIN"),
    ] = None,
    allow_host: Annotated[
        Optional[list[str]],
        typer.Option("--allow-host", help="Another Host name the server answers to (repeatable); "
                     "127.0.0.1, localhost, [::1] and --host always work.", metavar="NAME"),
    ] = None,
    max_connections: Annotated[
        int, typer.Option("--max-connections", help="Open connections at most; more get 503 at once.")] = 256,
    request_timeout: Annotated[
        float, typer.Option("--request-timeout", help="Seconds a client has to send a whole request.")] = 10.0,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level (info logs each request).")] = "warning",
):
    """Serve the graph in the browser (the explorer) and as a read-only SPARQL 1.1 endpoint.

    The explorer at / searches names, shows entities with their sources,
    connects two names, grows a graph click by click and asks the saved
    questions. The endpoint is /sparql (GET or POST, as any SPARQL client
    sends it); /query runs YASGUI from local files. Updates, SERVICE and FROM
    are refused; each query has --timeout seconds and --max-rows rows. With
    --endpoint URL the pages and /sparql answer from that SPARQL server. Web pages
    from other origins cannot read answers unless --cors-origin names them,
    and a request naming a foreign Host is refused (DNS rebinding).

    Examples:

      kg serve

      kg serve --port 9000 --timeout 5

      curl -G http://127.0.0.1:8000/sparql -H 'Accept: text/csv' --data-urlencode 'query=SELECT * WHERE { ?s ?p ?o } LIMIT 3'
    """
    from kg.server import WorkerPool, allowed_hosts, bind_socket, is_loopback, serve as run_server, url_of

    if log_level not in ("critical", "error", "warning", "info", "debug", "trace"):
        raise BadInput(f"--log-level must be one of critical, error, warning, info, debug, trace; not {log_level!r}")
    if not 0 <= port <= 65535:
        raise BadInput(f"--port must be between 0 and 65535, not {port}")
    if max_connections < 1:
        raise BadInput(f"--max-connections must be at least 1, not {max_connections}")
    if request_timeout <= 0:
        raise BadInput(f"--request-timeout must be more than 0 seconds, not {request_timeout:g}")
    options = ctx.find_root().obj or {}
    if sum(bool(options.get(k)) for k in ("store", "data", "endpoint")) > 1:
        raise BadInput("--data, --store and --endpoint name different graphs; give one of them")
    endpoint = options.get("endpoint")
    if endpoint:
        from kg.remote import RemoteEndpoint

        RemoteEndpoint(endpoint)  # an http(s) URL, or one line saying it is not
    local = not (options.get("store") or endpoint)
    pool = WorkerPool(data_paths(ctx) if local else None, store=options.get("store"), endpoint=endpoint,
                      workers=workers, timeout=timeout, max_rows=max_rows, budget=budget, memory_mb=memory)
    sock = bind_socket(host, port)
    try:
        err_console.print(f"Loading the data in {workers} worker process(es)...", markup=False)
        pool.start()
        url = url_of(sock)
        serving = (f"Serving the SPARQL endpoint {endpoint} (each question is forwarded to it)." if endpoint else
                   f"Serving {pool.info.get('triples', 0):,} triples from {len(pool.info.get('files', []))} file(s).")
        console.print(
            f"{serving}\n"
            f"Explorer: {url}/\nSPARQL endpoint: {url}/sparql\nSPARQL query page: {url}/query\n"
            f"Limits: {timeout:g} s, {max_rows:,} rows and {memory:,} MB per query; past {budget:g} s a query "
            "needs a slot for long queries. Ctrl-C stops.",
            markup=False,
        )
        if not is_loopback(host):
            err_console.print(
                f"Warning: listening on {host}: anyone who can reach this machine can query the data.",
                markup=False,
            )
        sys.stdout.flush()
        run_server(pool, sock, cors_origins=cors_origin or (), hosts=allowed_hosts(host, allow_host or ()),
                   max_connections=max_connections, request_timeout=request_timeout, log_level=log_level)
    finally:
        pool.close()
        sock.close()

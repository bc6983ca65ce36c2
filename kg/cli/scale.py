"""Commands for graphs at scale: synth (synthetic data) and load (a persistent Oxigraph store)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Annotated, Optional

import typer

from kg.cli.app import JsonOpt, app, console, data_paths, err_console, fail, print_json


@contextmanager
def _progress(description: str, enabled: bool = True):
    """A progress bar on stderr; yields ``update(done, total)``. Silent when stderr is not a terminal."""
    if not enabled or not err_console.is_terminal:
        yield lambda *args: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(*args):
            done, total = args[-2], args[-1]
            label = f"{description} ({args[0]})" if len(args) == 3 else description
            bar.update(task, completed=done, total=total, description=label)

        yield update


@app.command()
def synth(
    out: Annotated[str, typer.Option("--out", "-o", help="Folder to write synthetic.ttl into (created if missing).", metavar="DIR")],
    companies: Annotated[Optional[int], typer.Option("--companies", "-n", help="Number of companies (about 215 triples each).", min=10)] = None,
    triples: Annotated[Optional[int], typer.Option("--triples", help="Aim for about this many triples instead of giving --companies.", min=2000)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: the same seed and size give the same bytes.")] = 0,
    as_json: JsonOpt = False,
):
    """Write a synthetic, ontology-conformant graph: companies, careers, funds, rounds, chips, customers.

    Example: kg synth --companies 5000 --seed 1 --out /tmp/synth   ·   kg synth --triples 1000000 --out /tmp/1m
    """
    from kg.synth import companies_for, synthesize

    if (companies is None) == (triples is None):
        fail("give exactly one of --companies N or --triples T")
    n = companies if companies is not None else companies_for(triples)
    with _progress("Writing companies", not as_json) as update:
        stats = synthesize(out, n, seed=seed, progress=update)
    if as_json:
        return print_json(stats.as_dict())
    console.print(f"Wrote {stats.path}: {stats.triples:,} triples; {stats.entities:,} entities, "
                  f"{stats.relations:,} relations; {stats.companies:,} companies, seed {stats.seed}.")


@app.command(name="load")
def load_store(
    ctx: typer.Context,
    store: Annotated[Optional[str], typer.Option("--store", envvar="KG_STORE", help="Folder of the Oxigraph store to create. Default: $KG_STORE.", metavar="PATH")] = None,
    paths: Annotated[Optional[list[str]], typer.Argument(help="Data files or folders, loaded beside the bundled data unless --no-bundled (default: --data, $KG_DATA).", metavar="[DATA]...")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing store.")] = False,
    as_json: JsonOpt = False,
):
    """Bulk-load the data once into an on-disk Oxigraph store; later commands use it with --store.

    Derives the shortcut triples inside Oxigraph. Example: kg load --store ~/kg.store data/triples   ·   kg --store ~/kg.store path Nvidia Graphcore
    """
    from kg.store import build_store

    root = ctx.find_root().obj or {}
    target = store or root.get("store")
    if not target:
        fail("name the store to create: kg load --store PATH")
    with _progress("Loading", not as_json) as update:
        info = build_store(target, data_paths(ctx, paths), force=force, progress=update)
    if as_json:
        return print_json(info)
    console.print(f"Built {info['path']}: {info['triples']:,} triples ({info['asserted']:,} loaded in "
                  f"{info['load_s']:.1f} s, {info['derived']:,} derived in {info['derive_s']:.1f} s) "
                  f"from {len(info['files'])} file(s). Use it with: kg --store {info['path']} ...")


@app.command()
def push(
    ctx: typer.Context,
    endpoint: Annotated[Optional[str], typer.Option("--endpoint", help="Where to upload: the Graph Store Protocol URL (gsp) or the SPARQL Update URL (update). Default: the global --endpoint / $KG_ENDPOINT.", metavar="URL")] = None,
    graph: Annotated[Optional[str], typer.Option("--graph", help="Named graph to replace (default: the default graph).", metavar="IRI")] = None,
    method: Annotated[str, typer.Option("--method", help="gsp (HTTP PUT/POST of N-Triples) or update (SPARQL INSERT DATA).")] = "gsp",
    user: Annotated[Optional[str], typer.Option("--user", help="User name for HTTP digest or basic authentication.")] = None,
    password: Annotated[Optional[str], typer.Option("--password", envvar="KG_ENDPOINT_PASSWORD", help="Password (default: $KG_ENDPOINT_PASSWORD).")] = None,
    batch: Annotated[Optional[int], typer.Option("--batch", help="Triples per request (default: 50,000 for gsp, 1,000 for update).", min=1)] = None,
    as_json: JsonOpt = False,
):
    """Upload the loaded graph (ontology, data and derived shortcuts) to a SPARQL server.

    Uses --data / --store as every command does. Examples:
    kg push --endpoint http://127.0.0.1:8890/sparql-graph-crud --graph https://w3id.org/chipskg/graph   ·
    kg push --endpoint http://127.0.0.1:7878/update --method update
    """
    from kg.remote import push as upload

    root = ctx.find_root().obj or {}
    url = endpoint or root.get("endpoint")
    if not url:
        fail("name the server to upload to: kg push --endpoint URL")
    if root.get("store") and root.get("data"):
        fail("--store (or $KG_STORE) and --data name two different graphs; give one of them")
    if root.get("store"):
        from kg.store import StoreKnowledgeGraph

        rdf = StoreKnowledgeGraph(root["store"]).graph
    else:
        from kg.loader import load

        rdf = load(data_paths(ctx)).graph
    with _progress("Uploading", not as_json) as update:
        info = upload(rdf, url, target=graph, method=method, batch=batch, user=user, password=password,
                      progress=update)
    if as_json:
        return print_json(info)
    into = f"graph <{info['graph']}>" if info["graph"] else "the default graph"
    console.print(f"Sent {info['triples']:,} triples to {info['endpoint']} ({into}, {info['method']}, "
                  f"{info['requests']} request(s), {info['seconds']:.1f} s).", markup=False)

"""Start-up of ``kg``: a command loads only its own module, a warm question imports nothing heavy, values still checked."""

import importlib
import json
import os
import re
import subprocess
import sys

import pytest
import typer.main
from typer.main import get_command_name
from typer.testing import CliRunner

from kg.cli.app import COMMANDS, app
from kg.synth import synthesize

#: Libraries a warm path, neighbors or common never imports (rich only prints what a terminal styles).
HEAVY = ("rdflib", "networkx", "pyshacl", "numpy", "pydantic", "rich")


def test_commands_names_every_command_and_its_module():
    for module in dict.fromkeys(COMMANDS.values()):
        importlib.import_module(f"kg.cli.{module}")
    registered = {get_command_name(info.name or info.callback.__name__): info.callback.__module__
                  for info in app.registered_commands}
    assert registered == {name: f"kg.cli.{module}" for name, module in COMMANDS.items()}
    group = typer.main.get_command(app)
    assert group.list_commands(None) == list(COMMANDS)  # help lists them in COMMANDS' order


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """Synthetic data whose projection is already cached: (data folder, environment)."""
    data = synthesize(tmp_path_factory.mktemp("data"), 15, seed=5).path.parent
    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path_factory.mktemp("cache") / "c")}
    first = subprocess.run([sys.executable, "-m", "kg", "--no-bundled", "--data", str(data), "path", "res:company-1", "res:company-9"],
                           capture_output=True, text=True, env=env)
    assert first.returncode in (0, 1), first.stderr
    return data, env


def _imported(warm, *args):
    """Run ``kg ARGS`` in a fresh process; return (exit code, stdout, the heavy and kg.cli modules it imported)."""
    data, env = warm
    # kg.cli.main ends with os._exit: report the modules from a hook run just before it
    probe = ("import os, sys, runpy; real = os._exit\n"
             "def report(code):\n"
             "    sys.stderr.write('\\nimported: ' + ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             f"{HEAVY!r} and '.' not in m or m.startswith('kg.cli.'))) + '\\n'); real(code)\n"
             "os._exit = report\n"
             "sys.argv = ['kg', *sys.argv[1:]]\n"
             "runpy.run_module('kg', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", probe, "--no-bundled", "--data", str(data), *args],
                          capture_output=True, text=True, env=env)
    report = done.stderr.rsplit("imported:", 1)
    assert len(report) == 2, done.stderr
    return done.returncode, done.stdout, set(report[1].split())


@pytest.mark.parametrize("args", [
    ["path", "res:company-1", "res:company-9"],
    ["path", "res:company-1", "res:company-9", "--max-len", "6", "--only", "investedIn,customerOf", "--json"],
    ["neighbors", "res:company-1"],
    ["common", "res:company-1", "res:company-2", "--json"],
], ids=" ".join)
def test_a_warm_question_imports_no_heavy_library_and_no_other_command(warm, args):
    """Its output goes to a pipe, so not even rich."""
    code, out, imported = _imported(warm, *args)
    assert code in (0, 1) and out.strip(), out
    assert imported == {"kg.cli.app", "kg.cli.plain", "kg.cli.network"}, f"kg {' '.join(args)} imported {imported}"


def test_entity_loads_only_its_own_command(warm):
    code, out, imported = _imported(warm, "entity", "res:company-1")
    assert code == 0 and "res:company-1" not in out and "company-1" in out, out
    assert {m for m in imported if m.startswith("kg.cli.")} == {"kg.cli.app", "kg.cli.plain", "kg.cli.core"}
    assert "pydantic" not in imported and "networkx" not in imported, imported


def test_plain_values_are_read_and_other_values_still_checked_by_typer(warm):
    data, env = warm
    runner = CliRunner()
    base = ["--no-bundled", "--data", str(data)]
    two = runner.invoke(app, [*base, "path", "res:company-1", "res:company-9", "--k", "2", "--json"], env=env)
    assert two.exit_code == 0 and len(json.loads(two.stdout)["paths"]) == 2, two.output
    for value, says in (("0", "greater than or equal to 1"), ("x", "valid integer"), ("2.5", "valid integer")):
        bad = runner.invoke(app, [*base, "path", "res:company-1", "res:company-9", "--k", value], env=env)
        assert bad.exit_code == 2 and f"invalid value for '--k': Input should be" in bad.stderr, bad.output
        assert says in bad.stderr and len(bad.stderr.splitlines()) == 1, bad.stderr


@pytest.mark.parametrize("args", [["path", "res:company-1", "res:company-9"], ["neighbors", "res:company-1"]], ids=" ".join)
def test_lines_written_without_rich_read_as_rich_prints_them(warm, args):
    data, env = warm
    command = [sys.executable, "-m", "kg", "--no-bundled", "--data", str(data), *args]
    plain = subprocess.run(command, capture_output=True, text=True, env=env)
    styled = subprocess.run(command, capture_output=True, text=True, env={**env, "FORCE_COLOR": "1"})  # as on a terminal
    assert plain.returncode == styled.returncode == 0, plain.stderr + styled.stderr
    assert "\x1b[1m" in styled.stdout and "\x1b" not in plain.stdout, styled.stdout
    assert re.sub(r"\x1b\[[0-9;]*m", "", styled.stdout) == plain.stdout


def test_this_typer_lets_kg_read_plain_values():
    """kg.cli.plain hooks into typer's private coercion layer: a typer that moved it would cost every start pydantic."""
    from importlib.metadata import requires, version

    from typer._click import Context

    from kg.cli import plain

    group = typer.main.get_command(app)
    command = group.get_command(Context(group), "path")
    hooked = [p for p in command.get_params(Context(command)) if plain._Plain and isinstance(
        getattr(p, "_runtime_param", None), plain._Plain)]
    uses_pydantic = any(r.startswith("pydantic") for r in requires("typer") or ())
    assert hooked or not uses_pydantic, (
        f"typer {version('typer')} reads option values with pydantic, and kg.cli.plain cannot read them itself "
        f"({plain.HOOK_MISSING or 'no parameter took its reader'}): every kg command now imports pydantic "
        "(about 0.2 s more CPU per start). Update kg/cli/plain.py for this typer, then the typer range in pyproject.toml.")


@pytest.mark.parametrize("change", [
    "del typer._coercion.RuntimeParam",  # moved or renamed
    "typer._coercion.RuntimeParam = dataclasses.dataclass(frozen=True)("  # a new required field
    "type('RuntimeParam', (typer._coercion.RuntimeParam,), {'__annotations__': {'extra': int}}))",
], ids=["gone", "changed"])
def test_a_typer_kg_cannot_hook_into_still_reads_and_checks_every_value(warm, change):
    data, env = warm
    probe = ("import dataclasses, os, sys, runpy, typer._coercion\n"
             f"{change}\n"
             "import kg.cli.plain\n"
             "real = os._exit\n"  # kg.cli.main ends with os._exit: report just before it
             "def report(code):\n"
             "    sys.stderr.write(f'\\nhook missing: {kg.cli.plain.HOOK_MISSING}; pydantic: {\"pydantic\" in sys.modules}')\n"
             "    real(code)\n"
             "os._exit = report\n"
             "sys.argv = ['kg', *sys.argv[1:]]\n"
             "runpy.run_module('kg', run_name='__main__')\n")
    base = [sys.executable, "-c", probe, "--no-bundled", "--data", str(data), "path", "res:company-1", "res:company-9"]
    good = subprocess.run([*base, "--k", "2", "--json"], capture_output=True, text=True, env=env)
    assert good.returncode == 0 and len(json.loads(good.stdout)["paths"]) == 2, good.stderr
    bad = subprocess.run([*base, "--k", "0"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "greater than or equal to 1" in bad.stderr, bad.stderr
    assert re.search(r"hook missing: typer.*; pydantic: True$", good.stderr), good.stderr  # typer read every value


def test_rdflibs_sparql_engine_is_imported_only_to_run_a_query_with_it():
    """Importing it costs a third of a second, which a question Oxigraph or the cache answers never needs."""
    code = ("import sys, kg.sparql, kg.store; print('rdflib.plugins.sparql.evaluate' in sys.modules); "
            "from kg import load, run_query; run_query(load(), 'ASK { ?s ?p ?o }'); "
            "print('rdflib.plugins.sparql.evaluate' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["False", "True"]

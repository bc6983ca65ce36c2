"""What a newcomer types: --data adds to the bundled data, usage errors, odd names and options."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from kgtest import write_ttl

from kg.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"

MY_FACTS = """
res:my-lab a chips:ResearchLab ; rdfs:label "My Lab"@en , "我的实验室"@zh ; prov:wasDerivedFrom src:test-note .
res:position-jim-keller-my-lab a chips:Position ; rdfs:label "Jim Keller at My Lab"@en ;
    chips:holder res:jim-keller ; chips:organization res:my-lab ; chips:role chips:Employee ;
    chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
"""


def kg(*args, cwd, env=None):
    """Run ``python -m kg`` as a user would, in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if k != "KG_DATA"} | {"KG_CACHE_DIR": ""} | (env or {})
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)


def readme_data_lines():
    section = README.read_text(encoding="utf-8").split("## Your own data", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_data_adds_to_the_bundled_data_from_any_folder(tmp_path):
    write_ttl(tmp_path, MY_FACTS, "my-facts.ttl")
    (tmp_path / "more").mkdir()
    write_ttl(tmp_path / "more", 'res:someone a chips:Person ; rdfs:label "Some One"@en ; prov:wasDerivedFrom src:test-note .')
    lines = readme_data_lines()
    assert lines[0] == 'kg --data my-facts.ttl path "Jim Keller" Tesla'
    for line in lines:  # every line of the README's example works as it reads, outside the checkout
        words = shlex.split(line)
        env = dict(w.split("=", 1) for w in words if "=" in w and not w.startswith("-"))
        args = [w for w in words if w not in {f"{k}={v}" for k, v in env.items()}][1:]
        result = kg(*args, cwd=tmp_path, env=env)
        assert result.returncode == 0, (line, result.stderr)
    path = kg("--data", "my-facts.ttl", "path", "My Lab", "Tenstorrent", cwd=tmp_path)
    assert path.returncode == 0, path.stderr
    assert "Jim Keller worked at My Lab" in path.stdout and "Tenstorrent" in path.stdout, path.stdout
    without = kg("path", "My Lab", "Tenstorrent", cwd=tmp_path)
    assert without.returncode == 1 and "no entity named 'My Lab'" in without.stderr


def test_no_bundled_replaces(tmp_path):
    write_ttl(tmp_path, MY_FACTS, "my-facts.ttl")
    both = json.loads(kg("--data", "my-facts.ttl", "info", "--json", cwd=tmp_path).stdout)
    alone = json.loads(kg("--no-bundled", "--data", "my-facts.ttl", "info", "--json", cwd=tmp_path).stdout)
    assert alone["entities"] == 1 and both["entities"] > 50
    missing = kg("--no-bundled", "--data", "my-facts.ttl", "path", "Jim Keller", "Tesla", cwd=tmp_path)
    assert missing.returncode == 1 and "no entity named 'Jim Keller'" in missing.stderr
    nothing = kg("--no-bundled", "info", cwd=tmp_path)
    assert nothing.returncode == 2 and "--no-bundled leaves nothing to load" in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1, nothing.stderr


def test_the_bundled_folder_named_twice_loads_once(tmp_path):
    write_ttl(tmp_path, MY_FACTS, "my-facts.ttl")
    from kg.bundled import DATA_DIR

    once = json.loads(kg("--data", "my-facts.ttl", "info", "--json", cwd=tmp_path).stdout)
    twice = json.loads(kg("--data", str(DATA_DIR), "--data", "my-facts.ttl", "info", "--json", cwd=tmp_path).stdout)
    assert once["triples"] == twice["triples"] and len(once["files"]) == len(twice["files"])


# --- usage errors: one line, exit 2 ------------------------------------------------------------

def test_usage_errors_are_one_line(runner):
    cases = {
        ("sparql", "--fromat", "csv", "ASK {}"): "no such option --fromat (did you mean --format?)",
        ("entitty", "Groq"): "no such command 'entitty' (did you mean entity",
        ("path", "Nvidia"): "missing argument 'target'",
        ("centrality", "--top", "x"): "invalid value for '--top'",
        ("viz", "--path", "Nvidia", "-o", "f.html"): "--path takes 2 values and took '-o' as one",
        ("entity", "Groq", "--data", "x.ttl"): "--data is an option of kg itself, not of entity: give it before",
        ("path", "A", "B", "--no-bundled"): "--no-bundled is an option of kg itself, not of path",
    }
    for args, expected in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2, (args, result.output)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and expected in lines[0], (args, result.stderr)
        assert "╭" not in result.stderr and "Traceback" not in result.stderr


def test_viz_path_with_an_option_for_a_name(runner, tmp_path):
    result = runner.invoke(app, ["viz", "--path", "Nvidia", "-o"])
    assert result.exit_code == 2 and "--path takes two names" in result.stderr, result.output
    assert not (tmp_path / "kg-view.html").exists()


# --- odd values --------------------------------------------------------------------------------

def test_resolution_must_be_positive_and_finite(runner):
    for value in ("-1", "0", "nan", "inf"):
        result = runner.invoke(app, ["communities", "--resolution", value])
        assert result.exit_code == 2 and "--resolution must be a number above 0" in result.stderr, (value, result.output)
    assert runner.invoke(app, ["communities", "--resolution", "1.5"]).exit_code == 0


def test_a_huge_name_is_not_echoed(runner):
    name = "x" * 100_000
    result = runner.invoke(app, ["entity", name])
    assert result.exit_code == 1, result.output[:300]
    assert len(result.stderr) < 400 and "(100,000 characters)" in result.stderr, result.stderr[:300]


def test_an_empty_name_is_bad_input(runner):
    for args in (["entity", ""], ["path", " ", "Nvidia"], ["common", "Groq", "--"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "say which entity" in result.stderr or "missing argument" in result.stderr, result.stderr


def test_sparql_output_to_a_folder(runner, tmp_path):
    result = runner.invoke(app, ["sparql", "ASK { ?s ?p ?o }", "--output", str(tmp_path)])
    assert result.exit_code == 2 and "that is a folder" in result.stderr, result.output


def test_a_file_given_as_store(runner):
    result = runner.invoke(app, ["--store", str(README), "info"])
    assert result.exit_code == 2, result.output
    assert "is a file, not a store" in result.stderr and "Errno" not in result.stderr, result.stderr


def test_load_an_unreadable_file_says_so(runner, tmp_path):
    unreadable = Path("/proc/self/mem")  # unreadable even for root: reading it fails with EIO
    if not unreadable.exists():
        import pytest

        pytest.skip("needs Linux /proc")
    result = runner.invoke(app, ["load", "--store", str(tmp_path / "store"), str(unreadable)])
    assert result.exit_code == 2, result.output
    assert "cannot read it" in result.stderr and "cannot write the store" not in result.stderr, result.stderr
    assert not (tmp_path / "store").exists()


# --- nothing found: exit 1, everywhere ---------------------------------------------------------

def test_nothing_found_exits_1_everywhere(runner, tmp_path):
    lonely = write_ttl(tmp_path, 'res:hermit a chips:Person ; rdfs:label "A Hermit"@en ; prov:wasDerivedFrom src:test-note .')
    cases = [
        ["common", "Nvidia", "Hailo"],
        ["--data", str(lonely), "path", "A Hermit", "Nvidia"],
        ["--data", str(lonely), "neighbors", "A Hermit"],
        ["sparql", "SELECT ?x WHERE { ?x a chips:Startup FILTER(STR(?x) = \"none\") }"],
        ["coinvest", "--portfolio", "--among", "Groq,Hailo"],
    ]
    for args in cases:
        for extra in ([], ["--json"]) if args[0] != "sparql" else ([],):
            result = runner.invoke(app, args + extra)
            assert result.exit_code == 1, (args + extra, result.output)
    assert runner.invoke(app, ["common", "SambaNova", "Cerebras"]).exit_code == 0


def test_coinvest_says_how_many_it_shows(runner):
    result = runner.invoke(app, ["coinvest", "--top", "2"])
    assert result.exit_code == 0, result.output
    total = int(re.search(r"Co-investors: the top 2 of (\d+) pairs \(--top (\d+) shows all\)", result.stdout).group(1))
    everything = runner.invoke(app, ["coinvest", "--top", str(total)])
    assert f"Co-investors: {total} pairs" in everything.stdout, everything.stdout


def test_portfolio_question(runner, tmp_path):
    both = write_ttl(tmp_path, """
res:round-test-groq a chips:FundingRound ; rdfs:label "test round"@en ; chips:fundedCompany res:groq ;
    chips:currency "USD" ; chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
res:investment-test-groq a chips:Investment ; rdfs:label "test investment"@en ; chips:round res:round-test-groq ;
    chips:investor res:intel ; chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
""")
    before = runner.invoke(app, ["coinvest", "--portfolio", "--json"])
    after = runner.invoke(app, ["--data", str(both), "coinvest", "--portfolio", "--json"])
    assert after.exit_code == 0, after.output
    rows = {r["investor"]["label"]: r["companies"] for r in json.loads(after.stdout)}
    assert rows["Intel"] == ["Groq", "SambaNova"], rows
    assert "Intel" not in {r["investor"]["label"] for r in json.loads(before.stdout or "[]")}
    human = runner.invoke(app, ["--data", str(both), "coinvest", "--portfolio"])
    assert "Intel" in human.stdout and "Groq, SambaNova" in human.stdout, human.stdout

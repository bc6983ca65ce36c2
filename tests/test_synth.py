"""Synthetic data: deterministic, ontology-conformant, shaped like the real graph."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest
from rdflib import Graph, URIRef

from kg.errors import BadInput
from kg.loader import load
from kg.synth import synthesize
from kg.validation import validate

CHIPS = "https://w3id.org/chipskg/ontology#"


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("synth"), 40, seed=7)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, small):
    again = synthesize(tmp_path / "again", 40, seed=7)
    other = synthesize(tmp_path / "other", 40, seed=8)
    assert again.path.read_bytes() == small.path.read_bytes()
    assert other.path.read_bytes() != small.path.read_bytes()


def test_output_conforms_to_the_shapes(small):
    kg = load([small.path.parent], cache=False)
    report = validate(kg)
    assert report.conforms, report.violations[:5]
    assert kg.derived > 0


def test_counts_match_what_rdflib_parses(small):
    graph = Graph().parse(small.path, format="turtle")
    assert len(graph) == small.triples
    assert sum(1 for _ in graph.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                         URIRef(CHIPS + "FundingRound"))) > 10


def test_shape_heavy_tailed_investors_and_nary_rounds(tmp_path):
    stats = synthesize(tmp_path, 300, seed=1)
    graph = Graph().parse(stats.path, format="turtle")
    per_investor = Counter(graph.objects(None, URIRef(CHIPS + "investor")))
    counts = sorted(per_investor.values(), reverse=True)
    assert counts[0] >= 10 * counts[len(counts) // 2]  # a few mega-funds
    for prop in ("amount", "series", "date", "fundedCompany"):
        assert any(graph.subject_objects(URIRef(CHIPS + prop))), prop
    for cls in ("Acquisition", "Founding", "Position", "Deployment", "Chip", "Foundry", "Valuation"):
        assert any(graph.subjects(None, URIRef(CHIPS + cls))), cls


def test_refuses_too_small_and_a_file_as_folder(tmp_path):
    with pytest.raises(BadInput, match="at least 10"):
        synthesize(tmp_path, 3)
    afile = tmp_path / "f"
    afile.write_text("x")
    with pytest.raises(BadInput, match="not a folder"):
        synthesize(afile, 10)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _kg(*args, cwd=None, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_cli_synth_json_and_errors(tmp_path):
    result = _kg("synth", "--companies", "12", "--seed", "2", "--out", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["companies"] == 12 and stats["triples"] == len(Graph().parse(stats["path"], format="turtle"))
    bad = _kg("synth", "--out", str(tmp_path))
    assert bad.returncode == 2 and "exactly one of --companies" in bad.stderr
    assert "Traceback" not in bad.stderr
    tiny = _kg("synth", "--companies", "5", "--out", str(tmp_path))
    assert tiny.returncode == 2 and "Traceback" not in tiny.stderr

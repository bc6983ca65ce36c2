"""The on-disk projection cache: hits skip parsing, any change misses, damage is harmless."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kg.cache import cached_kg, projection_key, read_projection
from kg.loader import load
from kg.synth import synthesize


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("KG_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("data"), 15, seed=5).path.parent


def _edges(G):
    return sorted((u, v, k, json.dumps(d, sort_keys=True, default=str)) for u, v, k, d in G.edges(keys=True, data=True))


def test_second_open_reads_the_cache_without_parsing(cache, data):
    first = cached_kg([data])
    G1 = first.network
    assert list(cache.glob("projection-*.pickle")) and not list(cache.glob(".*"))
    second = cached_kg([data])
    G2 = second.network
    assert "_loaded" not in second.__dict__  # no RDF parsed
    assert _edges(G1) == _edges(G2)
    assert dict(G1.nodes(data=True)) == dict(G2.nodes(data=True))
    assert second.resolve(G1.nodes[next(iter(G1))]["label"]).iri == first.resolve(G1.nodes[next(iter(G1))]["label"]).iri
    assert _edges(G2) == _edges(load([data], cache=False).network)


def test_a_changed_file_is_a_new_key(cache, data, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    target = copy / "synthetic.ttl"
    target.write_bytes((data / "synthetic.ttl").read_bytes())
    key = projection_key([target])
    cached_kg([copy]).network
    assert read_projection(key) is not None
    with open(target, "a", encoding="utf-8") as handle:
        handle.write('<https://w3id.org/chipskg/id/extra> a <https://w3id.org/chipskg/ontology#Person> ; '
                     '<http://www.w3.org/2000/01/rdf-schema#label> "Extra Person"@en .\n')
    assert projection_key([target]) != key
    fresh = cached_kg([copy])
    assert "https://w3id.org/chipskg/id/extra" in fresh.network
    assert "_loaded" in fresh.__dict__


def test_a_corrupt_entry_is_a_miss(cache, data):
    kg = cached_kg([data])
    kg.network
    entry = next(cache.glob("projection-*.pickle"))
    entry.write_bytes(b"not a pickle")
    again = cached_kg([data])
    assert again.network.number_of_nodes() == kg.network.number_of_nodes()
    assert "_loaded" in again.__dict__
    assert read_projection(again.key) is not None  # rewritten


def test_cache_off_writes_nothing(tmp_path, monkeypatch, data):
    monkeypatch.setenv("KG_CACHE_DIR", "")
    monkeypatch.setenv("HOME", str(tmp_path))
    cached_kg([data]).network
    assert not any(tmp_path.rglob("*.pickle"))


def test_loader_network_uses_the_cache(cache, data):
    load([data], cache=False).network
    hit = read_projection(projection_key(load([data]).files, derive=True))
    assert hit is not None and hit[2]["triples"] == len(load([data]).graph)


def test_cli_path_same_answer_cold_and_warm(cache, data):
    env = {**os.environ, "KG_CACHE_DIR": str(cache)}
    args = [sys.executable, "-m", "kg", "--no-bundled", "--data", str(data), "path",
            "https://w3id.org/chipskg/id/company-1", "https://w3id.org/chipskg/id/company-9", "--json"]
    cold = subprocess.run(args, capture_output=True, text=True, env=env)
    warm = subprocess.run(args, capture_output=True, text=True, env=env)
    assert cold.returncode in (0, 1), cold.stderr
    assert (cold.returncode, cold.stdout) == (warm.returncode, warm.stdout)
    assert list(cache.glob("projection-*.pickle"))


def test_old_entries_are_pruned(cache, data):
    from kg import cache as module

    cache.mkdir(parents=True)
    for i in range(module.KEEP + 3):
        (cache / f"projection-old{i}.pickle").write_bytes(b"x")
        os.utime(cache / f"projection-old{i}.pickle", ns=(i * 10**9, i * 10**9))
    cached_kg([data]).network
    left = sorted(p.name for p in cache.glob("projection-*.pickle"))
    assert len(left) == module.KEEP and read_projection(cached_kg([data]).key) is not None
    assert "projection-old0.pickle" not in left

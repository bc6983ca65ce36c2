"""One backend interface: files, store and endpoint answer the same questions through the same methods."""

from __future__ import annotations

import pytest

from kg.backend import Backend, LocalBackend
from kg.loader import cached_kg, load
from kg.paths import common_ties, find_paths, neighbors
from kg.store import StoreKnowledgeGraph, build_store
from kg.synth import synthesize
from kg.timeview import snapshot


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("data"), 12, seed=4).path


@pytest.fixture(scope="module")
def backends(data, tmp_path_factory):
    store = tmp_path_factory.mktemp("s") / "store"
    build_store(store, [data])
    return {"files": cached_kg([data]), "store": StoreKnowledgeGraph(store), "loaded": load([data])}


def test_every_local_graph_is_a_backend(backends):
    for kg in [*backends.values(), snapshot(backends["files"], as_of="2015")]:
        assert isinstance(kg, Backend) and isinstance(kg, LocalBackend), kg


def test_the_questions_are_the_library_functions_on_every_backend(backends):
    a, b = "res:company-1", "res:company-7"
    expected = (find_paths(backends["loaded"], a, b), neighbors(backends["loaded"], a, depth=2),
                common_ties(backends["loaded"], a, b))
    for name, kg in backends.items():
        assert (kg.find_paths(a, b), kg.neighbors(a, depth=2), kg.common_ties(a, b)) == expected, name
        assert kg.describe(a)["label"] == backends["loaded"].describe(a)["label"], name


def test_neighbours_of_a_set_agree_with_the_path_search(backends):
    kg = backends["store"]
    iri = kg.resolve("res:company-1").id
    around = kg.neighbours([iri])[iri]
    hood = kg.neighbors("res:company-1")
    assert set(around) == {e["source"] if e["target"] == iri else e["target"]
                           for g in hood["groups"] for e in g["edges"]}
    assert kg.neighbours([iri], only=["investedIn"])[iri] == {
        m: ["investedIn"] for m, kinds in around.items() if "investedIn" in kinds}
    assert backends["files"].neighbours([iri])[iri] == around


def test_a_snapshot_answers_from_its_own_filtered_ties(backends):
    kg = backends["files"]
    early = snapshot(kg, as_of="1990")
    iri = kg.resolve("res:company-1").id
    assert sum(len(v) for v in early.neighbours([iri]).values()) <= sum(len(v) for v in kg.neighbours([iri]).values())

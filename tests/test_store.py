"""The on-disk Oxigraph store: same answers as rdflib, refusals, timeouts, atomic builds, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kg.errors import BadInput, DataError, QueryError, QueryRefused, QueryTimeout
from kg.facts import describe
from kg.loader import KnowledgeGraph, load
from kg.store import StoreKnowledgeGraph, build_store, open_store
from kg.synth import synthesize

RES = "https://w3id.org/chipskg/id/"
PREFIX = "PREFIX chips: <https://w3id.org/chipskg/ontology#>\n"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    data = synthesize(root / "data", 20, seed=4).path.parent
    info = build_store(root / "store", [data])
    return data, root / "store", info


def test_store_holds_what_rdflib_loads_with_the_same_derived_shortcuts(built):
    data, store, info = built
    kg = load([data], cache=False)
    assert (info["asserted"], info["derived"], info["triples"]) == (kg.asserted, kg.derived, len(kg.graph))


def test_a_store_counts_a_merge_as_the_files_do(tmp_path):
    """Samsung Electronics merged into Samsung: the triples both state (``a chips:Company``, their source) fold into
    one each. Both backends count what is asserted after the merge, and derive the same shortcuts."""
    from kgtest import with_article

    data = with_article(tmp_path, "res:samsung owl:sameAs res:samsung-electronics .")
    info = build_store(tmp_path / "store", data)
    kg = load(data, cache=False)
    assert (info["asserted"], info["derived"], info["triples"]) == (kg.asserted, kg.derived, len(kg.graph))
    (tmp_path / "unmerged").mkdir()
    unmerged = load(with_article(tmp_path / "unmerged", ""), cache=False)
    assert kg.asserted < unmerged.asserted + 1  # the owl:sameAs triple more, the folded ones gone


def test_select_answers_match_rdflib(built):
    data, store, _ = built
    q = PREFIX + "SELECT ?a ?c WHERE { ?a chips:investedIn ?c }"
    ours = {(str(r["a"]), str(r["c"])) for r in open_store(store).select(q)}
    theirs = {(str(a), str(c)) for a, c in load([data]).graph.query(q)}
    assert ours == theirs and ours


def test_serialize_w3c_formats(built):
    store = open_store(built[1])
    q = PREFIX + "SELECT ?r WHERE { ?r a chips:FundingRound } ORDER BY ?r LIMIT 3"
    rows = json.loads(store.serialize(q, "json"))["results"]["bindings"]
    assert len(rows) == 3
    assert store.serialize(q, "csv").decode().splitlines()[0].strip() == "r"
    assert b"<sparql" in store.serialize(q, "xml")
    turtle = store.serialize(PREFIX + "CONSTRUCT { ?a chips:investedIn ?c } WHERE { ?a chips:investedIn ?c } LIMIT 2", "turtle")
    assert b"investedIn" in turtle
    with pytest.raises(BadInput, match="cannot be written as turtle"):
        store.serialize(q, "turtle")
    with pytest.raises(BadInput, match="unknown format"):
        store.serialize(q, "yaml")


@pytest.mark.parametrize("query, message", [
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE"),
    ("SELECT * WHERE { OPTIONAL { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } } }", "SERVICE"),
    ("LOAD <http://127.0.0.1:9/data.ttl>", "Update"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "Update"),
    ("DELETE WHERE { ?s ?p ?o }", "Update"),
    ("SELECT * FROM <http://127.0.0.1:9/x.ttl> WHERE { ?s ?p ?o }", "FROM"),
    ("SELECT * FROM NAMED <http://127.0.0.1:9/x.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM"),
])
def test_refusals(built, query, message):
    store = open_store(built[1])
    with pytest.raises(QueryRefused, match=message):
        store.query(query)
    with pytest.raises(QueryRefused):
        store.serialize(query, "json")


def test_malformed_query_names_the_place(built):
    with pytest.raises(QueryError, match="line 1"):
        open_store(built[1]).query("SELECT ?s WHERE { ?s ?p }")
    assert open_store(built[1]).query("ASK { ?s a chips:Startup }")  # the project's prefixes are declared


def test_kg_sparql_runs_inside_the_store(built, tmp_path):
    from typer.testing import CliRunner

    from kg.cli import app
    from kg.sparql import run_query

    data, store, _ = built
    query = "SELECT ?i ?c WHERE { ?i chips:investedIn ?c } ORDER BY ?i ?c"
    in_store = run_query(StoreKnowledgeGraph(store), query)
    in_rdflib = run_query(load([data]), query)
    assert in_store.rows == in_rdflib.rows and len(in_store.rows) > 10
    result = CliRunner().invoke(app, ["--store", str(store), "sparql", query, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == len(in_store.rows) + 1
    refused = CliRunner().invoke(app, ["--store", str(store), "sparql", "INSERT DATA { res:a res:b res:c }"])
    assert refused.exit_code == 2


def test_timeout_stops_a_runaway_query_in_a_child_process(built):
    store = open_store(built[1])
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    with pytest.raises(QueryTimeout):
        store.serialize(heavy, "json", timeout=3)
    quick = store.serialize("ASK { ?s ?p ?o }", "json", timeout=30)
    assert json.loads(quick)["boolean"] is True


def test_existing_store_needs_force_and_other_folders_are_never_replaced(built, tmp_path):
    data, store, info = built
    with pytest.raises(BadInput, match="--force"):
        build_store(store, [data])
    other = tmp_path / "precious"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(BadInput, match="not a chips-kg store"):
        build_store(other, [data], force=True)
    assert (other / "keep.txt").read_text() == "mine"
    again = build_store(tmp_path / "s2", [data])
    replaced = build_store(tmp_path / "s2", [data], force=True)
    assert replaced["id"] != again["id"] and replaced["triples"] == info["triples"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious", "s2"]


def test_malformed_data_leaves_nothing_behind(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix x: <urn:x#> .\nx:a x:b .\n")
    with pytest.raises(DataError, match="bad.ttl"):
        build_store(tmp_path / "store", [bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ttl"]


def test_not_a_store(tmp_path):
    with pytest.raises(BadInput, match="not a chips-kg store"):
        open_store(tmp_path)


def test_projection_and_entities_from_the_store_match_rdflib(built, tmp_path, monkeypatch):
    monkeypatch.setenv("KG_CACHE_DIR", str(tmp_path / "cache"))
    data, store, _ = built
    skg = StoreKnowledgeGraph(store)
    kg = load([data], cache=False)
    G1, G2 = skg.network, kg.network
    assert sorted(G1.edges(keys=True, data="sentence")) == sorted(G2.edges(keys=True, data="sentence"))
    assert dict(G1.nodes(data=True)) == dict(G2.nodes(data=True))
    assert "graph" not in StoreKnowledgeGraph(store).__dict__
    for iri in sorted(kg.names.entities)[::7]:
        assert describe(skg.entity_graph(iri), str(iri)) == describe(kg, str(iri)), iri



def test_the_lean_index_reads_the_store_as_rdflib_does(built):
    """The index the projection is built from holds the store's triples but the derived shortcuts, and follows
    every rule's property paths from every relation node as rdflib does (same objects, same order)."""
    from rdflib import RDF

    from kg.oxigraph_graph import from_store
    from kg.rules import shortcut_rules

    _, store, _ = built
    rules = shortcut_rules()
    shortcuts = {rule.shortcut for rule in rules}
    index = from_store(open_store(store).store, skip=shortcuts)
    graph = open_store(store).rdflib_graph()
    kept = {t for t in graph if t[1] not in shortcuts}
    assert len(kept) < len(graph) and set(index) == kept and len(index) == len(kept)
    followed = 0
    for rule in rules:
        for node in graph.subjects(RDF.type, rule.relation_class):
            for path in (rule.subject_path, rule.object_path):
                found = list(index.objects(node, path))
                assert found == [o for _, _, o in index.triples((node, path, None))]  # rdflib's evaluation
                assert sorted(found) == sorted(graph.objects(node, path))
                followed += bool(found)
    assert followed > 100


def test_rows_read_object_by_object_are_the_rows_read_whole(tmp_path, monkeypatch):
    """A predicate with many rows per IRI object is read one object at a time (Oxigraph decodes each object
    once): the same terms in the same order as one query for all its rows. Literals, whatever their syntax,
    and blank nodes are never written into a query: their predicates are read whole."""
    import pyoxigraph as ox

    import kg.oxigraph_graph as og

    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects = [ox.NamedNode("urn:o"), ox.Literal('say "hi"\n\tthere \\ é }英伟达', language="zh"),
               ox.Literal("x"), *(ox.Literal(value, datatype=ox.NamedNode(xsd + kind)) for value, kind in (
                   ("10", "decimal"), ("10.5", "decimal"), ("7", "integer"), ("true", "boolean"),
                   ("1.0E3", "double"), ("2012", "gYear"), ("True", "boolean")))]
    store = ox.Store(str(tmp_path))  # on disk, as kg's stores: rows come by object (Oxigraph's in-memory store differs)
    for i in range(og._ROWS_PER_OBJECT + 1):
        subject = ox.NamedNode(f"urn:s{i}")
        for value in objects:
            store.add(ox.Quad(subject, ox.NamedNode("urn:many"), value))
        for kind in ("a", "b", "c"):
            store.add(ox.Quad(subject, ox.NamedNode("urn:iris"), ox.NamedNode(f"urn:kind-{kind}")))
        store.add(ox.Quad(subject, ox.NamedNode("urn:blank"), ox.BlankNode("b")))
        store.add(ox.Quad(subject, ox.NamedNode("urn:own"), ox.NamedNode(f"urn:o{i}")))  # one object per row
    counts = og.predicate_counts(store)
    routes = {key: [value is not None for value, _ in og._rows(store, key, *counts[key])] for key in counts}
    assert routes == {"urn:iris": [True] * 3, "urn:many": [False], "urn:blank": [False], "urn:own": [False]}
    assert [value for value, _ in og._rows(store, "urn:many", counts["urn:many"][0])] == [None]  # literals not counted

    def typed(index):  # a Literal's datatype and language count too
        rows = {key: (subjects, [(type(o), o, getattr(o, "datatype", None), getattr(o, "language", None))
                                 for o in objects]) for key, (subjects, objects) in index._rows.items()}
        return rows, {s: list(by_p.items()) for s, by_p in index._spo.items()}

    grouped = og.from_store(store)
    monkeypatch.setattr(og, "_ROWS_PER_OBJECT", 10**9)  # every predicate read whole
    whole = og.from_store(store)
    assert typed(grouped) == typed(whole) and len(grouped) == len(whole) == len(store)


def test_an_entity_graph_describes_as_with_the_whole_ontology(tmp_path):
    """The store's entity graph holds only the ontology's triples about the terms it uses: nothing describe reads is lost."""
    from kg.bundled import DATA_DIR

    build_store(tmp_path / "store", [DATA_DIR])
    skg = StoreKnowledgeGraph(tmp_path / "store")
    entities = sorted(load([DATA_DIR]).names.entities)
    assert len(entities) > 100
    for iri in entities:
        small = skg.entity_graph(iri)
        whole = KnowledgeGraph(graph=small.graph + skg.ontology, files=[], asserted=0, derived=0)
        whole.__dict__["names"] = small.names
        assert len(small.graph) < len(whole.graph)
        for lang in ("en", "zh"):
            assert describe(small, str(iri), lang=lang) == describe(whole, str(iri), lang=lang), (iri, lang)

def _kg(*args, env):
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, env=env)


def test_cli_load_then_path_same_as_files(built, tmp_path):
    data, _, _ = built
    env = {**os.environ, "KG_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("KG_STORE", None)
    store = tmp_path / "cli-store"
    loaded = _kg("--no-bundled", "--data", str(data), "load", "--store", str(store), "--json", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["derived"] > 0
    question = ["path", RES + "company-1", RES + "company-17", "--json"]
    from_store = _kg("--store", str(store), *question, env=env)
    from_env = _kg(*question, env={**env, "KG_STORE": str(store)})
    from_files = _kg("--no-bundled", "--data", str(data), *question, env=env)
    assert from_store.returncode in (0, 1), from_store.stderr
    assert from_store.stdout == from_files.stdout == from_env.stdout
    again = _kg("load", "--store", str(store), str(data), env=env)
    assert again.returncode == 2 and "--force" in again.stderr and "Traceback" not in again.stderr
    both = _kg("--store", str(store), "--data", str(data), *question, env=env)
    assert both.returncode == 2 and "Traceback" not in both.stderr
    nostore = _kg("--store", str(tmp_path), *question, env=env)
    assert nostore.returncode == 2 and "not a chips-kg store" in nostore.stderr


def test_a_projection_shared_with_a_forked_child_is_the_same(built, alone):
    """The relation nodes a forked child projects (:class:`kg.parallel.Forked`) give the very same parts."""
    alone("""
        import kg.network
        from kg.names import NameIndex
        from kg.network import projection_parts
        from kg.store import StoreKnowledgeGraph

        graph = StoreKnowledgeGraph(store)._source
        names = NameIndex(graph)
        alone = projection_parts(graph, names)
        kg.network._FORK_MINIMUM = 0
        shared = projection_parts(graph, names)
        assert forks and shared == alone and len(alone[2]) > 100
    """, store=str(built[1]))


def test_a_store_read_half_by_a_forked_child_gives_the_same_index(built, alone):
    """The rows a forked child reads (``from_store(reopen=...)``) come back as the same terms, in the same order."""
    alone("""
        import pyoxigraph as ox
        from rdflib import RDF, RDFS

        import kg.oxigraph_graph
        from kg.oxigraph_graph import from_store
        from kg.rules import shortcut_rules
        from kg.store import open_store

        opened = open_store(store)
        skip = [rule.shortcut for rule in shortcut_rules()]
        alone = from_store(opened.store, skip=skip)
        kg.oxigraph_graph._FORK_MINIMUM = 0
        counts = opened.info["predicates"]  # counted once, when the store was built
        assert counts == kg.oxigraph_graph.predicate_counts(opened.store)
        shared = from_store(opened.store, skip=skip, reopen=lambda: ox.Store.read_only(str(opened.build_path)),
                            counts=counts)
        assert forks
        theirs = kg.oxigraph_graph._child_share(sorted(shared._rows), counts)
        # the child reads predicates with IRI objects; this process makes the literals' terms meanwhile
        assert str(RDF.type) in theirs and str(RDFS.label) not in theirs, theirs
        assert list(shared._rows) == list(alone._rows) and list(shared._spo) == list(alone._spo)
        for s, by_p in alone._spo.items():
            assert list(shared._spo[s].items()) == list(by_p.items()), s

        def typed(index):  # a Literal's datatype and language count too
            return {key: [(type(o), o, getattr(o, "datatype", None), getattr(o, "language", None)) for o in objects]
                    for key, (_, objects) in index._rows.items()}

        assert typed(shared) == typed(alone) and len(shared) == len(alone) > 1000
    """, store=str(built[1]))


@pytest.mark.parametrize("broken", ['{"format": 2', '{"format": 99}'])
def test_force_rebuilds_a_store_whose_description_is_broken_but_never_a_folder_that_may_not_be_one(built, tmp_path, broken):
    data, _, info = built
    store = tmp_path / "s"
    build_store(store, [data])
    (store / "kg-store.json").write_text(broken)
    with pytest.raises(BadInput, match="kg load --force --store"):  # the advice given ...
        StoreKnowledgeGraph(store)
    rebuilt = build_store(store, [data], force=True)  # ... works
    assert rebuilt["triples"] == info["triples"] == len(StoreKnowledgeGraph(store).store)
    assert [p.name for p in store.iterdir() if p.name.startswith("b-")] == [f"b-{rebuilt['id']}"]
    (store / "kg-store.json").write_text(broken)
    (store / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match=r"holds notes\.txt, so it is not replaced: if it is a store you no longer "
                                       r"need, remove the folder and run `kg load --store"):
        build_store(store, [data], force=True)
    assert (store / "notes.txt").read_text() == "mine" and (store / f"b-{rebuilt['id']}").is_dir()

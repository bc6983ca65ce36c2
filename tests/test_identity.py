"""Who is who across sources: kg duplicates, kg merge (merges as data, honoured everywhere), distinct investors."""

import json

import pytest
from rdflib import OWL, RDFS, Graph
from rdflib.namespace import PROV

from kg import load
from kg.bundled import DATA_DIR, ONTOLOGY
from kg.cli import app
from kg.errors import BadInput, NotFound
from kg.identity import apply_merges, duplicates, list_merges, merge, merge_pairs, undo_merge
from kg.loader import parse_file
from kg.vocab import CHIPS, PREFIXES, RES
from tests.kgtest import with_bundled, write_ttl

# A fund and its group, a group's units, a person and the fund he runs: related, never one.
INVESTORS = """
res:softbank-group-corp a chips:Company ; rdfs:label "SoftBank Group Corp"@en , "软银集团"@zh ;
    prov:wasDerivedFrom src:test-note .
res:softbank-vision-fund a chips:InvestmentFirm ; rdfs:label "SoftBank Vision Fund"@en , "软银愿景基金"@zh ;
    prov:wasDerivedFrom src:test-note ; chips:subOrganizationOf res:softbank-group-corp .
res:samsung-securities a chips:InvestmentFirm ; rdfs:label "Samsung Securities"@en , "三星证券"@zh ;
    prov:wasDerivedFrom src:test-note .
res:samsung-catalyst-fund a chips:InvestmentFirm ; rdfs:label "Samsung Catalyst Fund"@en ;
    prov:wasDerivedFrom src:test-note ; chips:subOrganizationOf res:samsung-electronics .
res:intel-capital a chips:InvestmentFirm ; rdfs:label "Intel Capital"@en , "英特尔投资"@zh ;
    prov:wasDerivedFrom src:test-note ; chips:subOrganizationOf res:intel .
"""


ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"


@pytest.fixture(scope="module")
def kg():
    return load([ARTICLE])  # the article alone, so that other bundled sources do not move the answers


@pytest.fixture
def investors(tmp_path):
    return load(with_bundled(tmp_path, INVESTORS))


def pair(found, a, b):
    """The reported pair of the entities labelled ``a`` and ``b``, in either order, or None."""
    for p in found:
        if {p["a"]["label"], p["b"]["label"]} == {a, b}:
            return p
    return None


# --- kg duplicates ---------------------------------------------------------------------------------

def test_duplicates_on_the_bundled_data(kg):
    found = duplicates(kg)
    samsung = pair(found, "Samsung", "Samsung Electronics")
    assert samsung and samsung["counter_evidence"] == [] and samsung["score"] >= 0.6
    assert samsung["evidence"] == ["name inside the other: 'Samsung' / 'Samsung Electronics'"]
    lab = pair(found, "Stanford AI Lab", "Stanford University")  # named alike, but part of it
    assert lab["counter_evidence"] == ["Stanford AI Lab is part of Stanford University"]
    assert lab["score"] < samsung["score"]
    assert not pair(found, "Hailo-8", "Hailo-8 M.2 module")  # a chip is never the module built on it


def test_a_suffix_variant_in_new_data_is_proposed_with_its_evidence(kg, tmp_path):
    assert not pair(duplicates(kg), "Graphcore", "Graphcore Ltd")
    other = load(with_bundled(tmp_path, """
        res:graphcore-ltd a chips:Startup ; rdfs:label "Graphcore Ltd"@en ; prov:wasDerivedFrom src:test-note .
        res:bmw chips:note "touched"@en .
        res:x-investment a chips:Investment ; chips:investor res:bmw ; chips:investee res:graphcore-ltd ;
            prov:wasDerivedFrom src:test-note ; chips:quote "BMW invested."@en .
    """))
    found = pair(duplicates(other), "Graphcore", "Graphcore Ltd")
    assert found["score"] >= 0.9
    assert found["evidence"] == ["same name without suffixes: 'Graphcore' / 'Graphcore Ltd'", "1 shared neighbour: BMW"]


def test_names_alike_but_for_their_model_numbers_rank_low_and_a_real_duplicate_first(tmp_path):
    # the bundled data has Hailo-8 / Hailo-8L and the AI HAT+ / AI HAT+ 2 (from the sheet); Groq under
    # its legal name in a new source is the real duplicate
    legal_name = """
        res:groq-inc a chips:Startup ; rdfs:label "Groq Inc."@en ; prov:wasDerivedFrom src:test-note .
    """
    found = duplicates(load(with_bundled(tmp_path, legal_name)))
    first = found[0]
    assert {first["a"]["label"], first["b"]["label"]} == {"Groq", "Groq Inc."}, found[:3]
    assert first["counter_evidence"] == []
    for a, b in (("Hailo-8", "Hailo-8L"), ("Raspberry Pi AI HAT+", "Raspberry Pi AI HAT+ 2")):
        p = pair(found, a, b)
        assert p["counter_evidence"] == [f"different model numbers: {a!r} / {b!r} name two things, not one"], p
        assert p["score"] <= 0.25 < first["score"], p
    # the same data without that name proposes no product pair first
    top = duplicates(load([DATA_DIR]))[0]
    assert not top["counter_evidence"] and "Hailo" not in top["a"]["label"] + top["b"]["label"], top


def test_chinese_names_and_aliases_count_as_evidence(tmp_path):
    other = load(with_bundled(tmp_path, """
        res:nvidia-china a chips:Company ; rdfs:label "Nvidia China unit"@en , "英伟达"@zh ; prov:wasDerivedFrom src:test-note .
    """))
    found = pair(duplicates(other), "Nvidia", "Nvidia China unit")
    assert found["evidence"] == ["same name: '英伟达'"] and found["score"] == 1.0


def test_duplicates_cli_table_json_and_exit_codes(runner, tmp_path):
    result = runner.invoke(app, ["duplicates"])
    assert result.exit_code == 0, result.output
    assert "Likely duplicates" in result.output and "related, not the" in result.output, result.output
    data = json.loads(runner.invoke(app, ["duplicates", "--json"]).output)
    assert {"a", "b", "score", "evidence", "counter_evidence", "shared_neighbors"} <= set(data[0])
    lonely = write_ttl(tmp_path, """
        res:alpha a chips:Company ; rdfs:label "Alpha"@en ; prov:wasDerivedFrom src:test-note .
        res:omega a chips:Company ; rdfs:label "Omega"@en ; prov:wasDerivedFrom src:test-note .""")
    none = runner.invoke(app, ["--no-bundled", "--data", str(lonely), "duplicates"])
    assert none.exit_code == 1, none.output
    assert "No likely duplicates" in none.output
    bad = runner.invoke(app, ["duplicates", "--min-score", "7"])
    assert bad.exit_code == 2


# --- distinct investors -------------------------------------------------------------------------------

def test_related_investors_are_shown_as_related_never_as_the_same(investors):
    found = duplicates(investors, min_score=0.6)
    for a, b, link in [
        ("SoftBank Group Corp", "SoftBank Vision Fund", "SoftBank Vision Fund is part of SoftBank Group Corp"),
        ("Intel", "Intel Capital", "Intel Capital is part of Intel"),
        ("Samsung Catalyst Fund", "Samsung Electronics", "Samsung Catalyst Fund is part of Samsung Electronics"),
    ]:
        p = pair(found, a, b)  # listed only with the link that keeps them apart, if at all
        assert p is None or (p["counter_evidence"] == [link] and p["score"] < 0.6), (a, b, p)
    for a, b in [("SoftBank Group Corp", "SoftBank Vision Fund"), ("Intel", "Intel Capital")]:
        assert pair(found, a, b)["counter_evidence"], (a, b)  # named alike: shown, as related
    assert not pair(found, "Samsung Securities", "Samsung Electronics")  # nothing says they are one
    assert pair(found, "Dan Sundheim", "D1 Capital Partners") is None    # a person is never a fund


def test_merge_refuses_related_entities_and_people_with_funds(investors, tmp_path):
    out = tmp_path / "merges.ttl"
    with pytest.raises(BadInput, match="related but distinct .*Intel Capital is part of Intel"):
        merge(investors, "Intel", "Intel Capital", reason="same", out=out)
    with pytest.raises(BadInput, match="SoftBank Vision Fund is part of SoftBank Group Corp"):
        merge(investors, "SoftBank Group Corp", "SoftBank Vision Fund", reason="same", out=out)
    with pytest.raises(BadInput, match="a person is never an organisation"):
        merge(investors, "Dan Sundheim", "D1 Capital Partners", reason="same", out=out)
    assert not out.exists()


def test_without_the_part_of_link_the_name_still_says_fund(tmp_path):
    unlinked = load(with_bundled(tmp_path, INVESTORS.replace(" ; chips:subOrganizationOf res:intel", "")))
    p = pair(duplicates(unlinked), "Intel", "Intel Capital")  # not proposed as the same: the name says fund
    assert p["counter_evidence"] == ["'Intel Capital' reads as a fund or arm of 'Intel', not the same firm "
                                     "(state it with chips:subOrganizationOf)"]
    assert p["score"] < 0.6
    # the data no longer forbids it; the names still do, unless forced
    with pytest.raises(BadInput, match="read as two things .*reads as a fund or arm of 'Intel'"):
        merge(unlinked, "Intel", "Intel Capital", reason="test", out=tmp_path / "m.ttl")
    assert not (tmp_path / "m.ttl").exists()
    merge(unlinked, "Intel", "Intel Capital", reason="test", out=tmp_path / "m.ttl", force=True)
    assert (tmp_path / "m.ttl").exists()


def test_the_model_says_which_belongs_to_which(kg, investors):
    q = "SELECT ?fund ?p WHERE { ?fund chips:runBy ?p }"
    assert [(str(a), str(b)) for a, b in kg.graph.query(q, initNs=PREFIXES)] == [
        (str(RES["d1-capital-partners"]), str(RES["dan-sundheim"]))]
    G = investors.network
    kinds = {d["kind"] for _, _, d in G.edges(str(RES["intel-capital"]), data=True)}
    assert "subOrganizationOf" in kinds
    for term in (CHIPS.runBy, CHIPS.subOrganizationOf, CHIPS.through, CHIPS.Merge):
        labels = {label.language for label in kg.graph.objects(term, RDFS.label)}
        assert {"en", "zh"} <= labels, term


def test_shapes_refuse_a_fund_run_by_an_organisation(tmp_path):
    from kg.validation import validate

    bad = load(with_bundled(tmp_path, """
        res:some-fund a chips:InvestmentFirm ; rdfs:label "Some Fund"@en ; prov:wasDerivedFrom src:test-note ;
            chips:runBy res:intel ."""))
    report = validate(bad)
    assert not report.conforms
    assert any("run by a person" in v.message for v in report.violations)


# --- kg merge: recorded as data, honoured everywhere, undone by deleting it --------------------------

@pytest.fixture
def merged(kg, tmp_path):
    out = tmp_path / "merges.ttl"
    merge(kg, "Samsung", "三星电子", reason="Test: the same group", source="https://example.org/evidence", out=out)
    return out, load([ARTICLE, out])


def test_merge_is_written_as_data(merged):
    out, _ = merged
    g = parse_file(out)
    assert (RES.samsung, OWL.sameAs, RES["samsung-electronics"]) in g
    (node,) = list(g.subjects(CHIPS.kept, RES.samsung))
    assert str(g.value(node, CHIPS.reason)) == "Test: the same group"
    assert str(g.value(node, PROV.wasDerivedFrom)) == "https://example.org/evidence"


def test_every_command_treats_the_two_as_one(merged, runner):
    out, kg2 = merged
    assert kg2.resolve("三星电子").iri == RES.samsung
    assert kg2.resolve("res:samsung-electronics").iri == RES.samsung   # the merged IRI finds the kept one
    assert str(RES["samsung-electronics"]) not in kg2.network        # one node in the projection
    kinds = {d["kind"] for _, _, d in kg2.network.edges(str(RES.samsung), data=True)}
    assert {"investedIn", "citedPatentsOf"} <= kinds
    q = "SELECT ?x WHERE { ?x chips:investedIn res:graphcore ; chips:citedPatentsOf res:hailo }"
    assert [str(r[0]) for r in kg2.graph.query(q, initNs=PREFIXES)] == [str(RES.samsung)]  # SPARQL shortcuts
    data = ["--no-bundled", "--data", str(ARTICLE), "--data", str(out)]  # the article and this merge alone
    entity = runner.invoke(app, [*data, "entity", "Samsung Electronics", "--json"])
    assert entity.exit_code == 0, entity.output
    assert json.loads(entity.output)["iri"] == str(RES.samsung)
    path = runner.invoke(app, [*data, "path", "三星电子", "Graphcore", "--json"])
    assert path.exit_code == 0, path.output
    hops = [e["sentence"] for e in json.loads(path.output)["paths"][0]["edges"]]
    assert hops == ["Samsung invested in Graphcore"]  # one hop: the citer of Hailo's patents is the investor
    nb = runner.invoke(app, [*data, "neighbors", "三星电子", "--json"])
    assert nb.exit_code == 0 and "Hailo" in nb.output and "Graphcore" in nb.output
    exported = runner.invoke(app, [*data, "export", "--format", "json", "-o", str(out.parent / "g.json")])
    assert exported.exit_code == 0, exported.output
    assert "samsung-electronics\"" not in (out.parent / "g.json").read_text().replace("owl", "")
    listed = runner.invoke(app, [*data, "merge", "--list", "--json"])
    assert [r["merged"]["iri"] for r in json.loads(listed.output)] == [str(RES["samsung-electronics"])]


def test_without_the_merge_file_they_are_two_again(merged, kg):
    out, _ = merged
    removed = undo_merge(out, "Samsung Electronics")
    assert [r["kept"]["iri"] for r in removed] == [str(RES.samsung)]
    again = load([ARTICLE, out])
    assert again.resolve("三星电子").iri == RES["samsung-electronics"]
    assert list_merges(again) == []
    with pytest.raises(NotFound):
        undo_merge(out, "Samsung Electronics")


def test_merge_cli_writes_lists_and_undoes(runner, tmp_path):
    out = tmp_path / "m.ttl"
    result = runner.invoke(app, ["merge", "Samsung", "Samsung Electronics", "--reason", "test", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Recorded: Samsung Electronics is Samsung" in result.output
    again = runner.invoke(app, ["merge", "Samsung", "Samsung Electronics", "--reason", "test", "--out", str(out)])
    assert again.exit_code == 2 and "already records" in again.output
    undone = runner.invoke(app, ["merge", "--undo", "Samsung", "--out", str(out)])
    assert undone.exit_code == 0 and "Undone" in undone.output, undone.output


@pytest.mark.parametrize("args, code, message", [
    (["Samsung", "Samsung Electronics"], 2, "needs a reason"),
    (["Samsung", "Samsung", "--reason", "x"], 2, "already one entity"),
    (["Samsung", "Nobody Atall", "--reason", "x"], 1, "no entity named"),
    (["Samsung", "Samsung Electronics", "--reason", "x", "--source", "not a url"], 2, "not a URL"),
    (["Stanford AI Lab", "Stanford University", "--reason", "x"], 2, "related but distinct"),
    (["Stanford AI Lab", "Stanford University", "--reason", "x", "--force"], 2, "related but distinct"),
    (["Hailo-8", "Hailo-8L", "--reason", "x"], 2, "read as two things (different model numbers"),
    (["Samsung"], 2, "give the entity kept"),
])
def test_merge_cli_bad_input(runner, tmp_path, args, code, message):
    result = runner.invoke(app, ["merge", *args, "--out", str(tmp_path / "m.ttl")])
    assert result.exit_code == code, result.output
    assert message in result.output
    assert not (tmp_path / "m.ttl").exists()


def test_merge_chains_and_outside_same_as(tmp_path):
    g = Graph()
    g += parse_file(ONTOLOGY)
    g.parse(data=PREFIXES_TTL + """
        res:a a chips:Company ; rdfs:label "A"@en . res:b a chips:Company ; rdfs:label "B"@en .
        res:c a chips:Company ; rdfs:label "C"@en ; chips:note "from c"@en .
        res:a owl:sameAs res:b . res:b owl:sameAs res:c . res:a owl:sameAs <https://www.wikidata.org/wiki/Q1> .
    """, format="turtle")
    assert merge_pairs(g) == {RES.b: RES.a, RES.c: RES.a}  # a chain folds into its first kept entity
    assert apply_merges(g) == 2
    assert str(g.value(RES.a, CHIPS.note)) == "from c"
    assert str(g.value(RES.a, RDFS.label)) == "A"


def test_a_store_honours_merges(merged, tmp_path):
    from kg.sparql import run_query
    from kg.store import StoreKnowledgeGraph, build_store

    out, _ = merged
    build_store(tmp_path / "store", [ARTICLE, out])
    skg = StoreKnowledgeGraph(tmp_path / "store")
    rows = run_query(skg, "SELECT ?x WHERE { ?x chips:citedPatentsOf res:hailo ; chips:investedIn res:graphcore }").rows
    assert [str(r[0]) for r in rows] == [str(RES.samsung)]


PREFIXES_TTL = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())


def test_one_shared_name_against_two_different_main_names_is_weak(tmp_path):
    other = load([ARTICLE, write_ttl(tmp_path, """
        res:chen-a a chips:Person ; rdfs:label "Alex Chen"@en , "陈刚"@zh ; prov:wasDerivedFrom src:test-note .
        res:chen-b a chips:Person ; rdfs:label "Gang Zhou"@en , "陈刚"@zh ; prov:wasDerivedFrom src:test-note .""")])
    found = pair(duplicates(other, min_score=0.0), "Alex Chen", "Gang Zhou")
    assert found["score"] == 0.65
    assert found["evidence"] == ["same name: '陈刚'", "but the main names differ: 'Alex Chen' / 'Gang Zhou'"]

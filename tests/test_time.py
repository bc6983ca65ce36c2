"""Time: partial dates, the graph as of a date, what was known when, time-respecting paths."""

import json

import pytest
from typer.testing import CliRunner

from kg import load
from kg.bundled import DATA_DIR
from kg.cli import app
from kg.dates import compare, in_force, parse_date
from kg.errors import BadInput, NoPath
from kg.facts import describe
from kg.paths import find_paths
from kg.timeview import snapshot
from kg.vocab import RES
from kgtest import write_ttl

runner = CliRunner()
ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"

#: A later source and a SoftBank purchase of Graphcore, as the 2024 press reported it.
SOFTBANK = """
src:test-release a chips:Source ; rdfs:label "A test release"@en ;
    chips:publisher "tests" ; chips:published "2024-07-11"^^xsd:date .
src:test-undated a chips:Source ; rdfs:label "A page without a date"@en ; chips:publisher "tests" .
res:test-softbank a chips:Company ; rdfs:label "SoftBank Group"@en ; prov:wasDerivedFrom src:test-release .
res:test-acquisition a chips:Acquisition ; rdfs:label "SoftBank acquired Graphcore"@en ;
    prov:wasDerivedFrom src:test-release ; chips:quote "Graphcore joins SoftBank Group."@en ;
    chips:acquirer res:test-softbank ; chips:acquiredOrganization res:graphcore ;
    chips:date "2024-07-11"^^xsd:date .
res:test-rumour a chips:Partnership ; rdfs:label "An undated partnership"@en ;
    prov:wasDerivedFrom src:test-undated ; chips:quote "x"@en ;
    chips:partner res:graphcore , res:test-softbank .
"""


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def later(tmp_path_factory):
    """The bundled data plus the SoftBank purchase (a data folder list for --data)."""
    return with_article(tmp_path_factory.mktemp("softbank"), SOFTBANK)


def with_article(folder, body: str) -> list:
    """The article's folder plus an extra file holding ``body`` (independent of later bundled sources)."""
    return [ARTICLE, write_ttl(folder, body)]


def data_args(paths):
    return ["--no-bundled", *[arg for p in paths for arg in ("--data", str(p))]]


# --- partial dates -------------------------------------------------------------------

def test_partial_dates_compare_as_intervals_not_strings():
    assert compare("2024", "2024-07") == "possibly before"
    assert compare("2024-07", "2024") == "possibly after"
    assert compare("2016", "2020-12") == "before"
    assert compare("2024-07-12", "2024-07-11") == "after"
    assert compare("2024-07", "2024-07") == "same period"
    # as strings "2024-07" > "2024" would claim an order nobody stated
    assert compare("2024-07", "2024") != "after"
    assert sorted(["2024-07-11", "2016", "2020-12"], key=lambda d: parse_date(d).sort_key()) == [
        "2016", "2020-12", "2024-07-11"]


def test_in_force_reads_start_end_and_coarse_dates():
    assert in_force("2024-06", date="2024-07-11") == "no"
    assert in_force("2024-07", date="2024-07-11") == "yes"
    assert in_force("2024-07-10", date="2024-07") == "possibly"
    assert in_force("2021", start="2016", end="2020-06") == "no"
    assert in_force("2020-05", start="2016", end="2020-06") == "yes"
    assert in_force("2021") == "undated"
    with pytest.raises(BadInput, match="2024/07"):
        parse_date("2024/07")


# --- as of -------------------------------------------------------------------------

def test_graphcore_is_independent_before_2024_07_and_a_softbank_subsidiary_after(later):
    kg = load(later)
    before = describe(snapshot(kg, as_of="2021-12"), "Graphcore")
    after = describe(snapshot(kg, as_of="2025-01"), "Graphcore")
    assert before["standing"]["independent"], before["standing"]
    assert not any("SoftBank Group acquired" in f["text"] for f in before["facts"])
    assert after["standing"]["owners"] == [
        {"iri": str(RES["test-softbank"]), "label": "SoftBank Group", "how": "acquired", "since": "2024-07-11"}]
    assert any(f["text"].startswith("SoftBank Group acquired Graphcore") and f["when"] == "in force"
               for f in after["facts"])
    # the day before the purchase it was still independent
    assert describe(snapshot(kg, as_of="2024-07-10"), "Graphcore")["standing"]["independent"]


def test_entity_as_of_on_the_command_line(later):
    early = invoke(*data_args(later), "entity", "Graphcore", "--as-of", "2021-12")
    late = invoke(*data_args(later), "entity", "Graphcore", "--as-of", "2025-01")
    assert early.exit_code == 0 and late.exit_code == 0, early.output + late.output
    assert "Standing: independent" in early.output and "acquired Graphcore" not in early.output, early.output
    assert "Standing: subsidiary of SoftBank Group (acquired 2024-07-11)" in late.output, late.output
    assert "(undated)" in late.output, late.output  # undated facts are kept and marked
    dated = invoke(*data_args(later), "entity", "Graphcore", "--as-of", "2025-01", "--dated-only", "--json")
    facts = json.loads(dated.output)["facts"]
    assert facts and not any(f.get("when") == "undated" for f in facts), dated.output
    bad = invoke("entity", "Graphcore", "--as-of", "July 2024")
    assert bad.exit_code == 2 and "not a date: 'July 2024'" in bad.stderr, bad.output


def test_as_of_filters_paths_and_every_network_question(later):
    kg = load(later)
    with pytest.raises(NoPath, match=r"as of 2024-06"):
        find_paths(snapshot(kg, as_of="2024-06"), "SoftBank Group", "Graphcore", only=["acquired"])
    hop = find_paths(snapshot(kg, as_of="2024-08"), "SoftBank Group", "Graphcore", only=["acquired"])
    assert hop["paths"][0]["edges"][0]["attributes"]["when"] == "in force"
    for command in (["centrality"], ["communities"], ["coinvest"], ["neighbors", "Graphcore"],
                    ["common", "SambaNova", "Cerebras"], ["path", "Nvidia", "Graphcore"]):
        result = invoke(*data_args(later), *command, "--as-of", "2012", "--json")
        assert result.exit_code in (0, 1), (command, result.output)
    # as of 2012 nobody had founded Graphcore yet: no path from Nvidia
    result = invoke(*data_args(later), "path", "Nvidia", "Graphcore", "--as-of", "2012")
    assert result.exit_code == 1 and "as of 2012" in result.stderr, result.output
    edges = snapshot(kg, as_of="2012").network.number_of_edges()
    assert edges < kg.network.number_of_edges()


def test_export_and_viz_take_a_date(later, tmp_path):
    csv = invoke(*data_args(later), "export", "--format", "csv", "--as-of", "2021-12")
    assert csv.exit_code == 0 and "Graphcore" in csv.output, csv.output
    assert "SoftBank Group acquired Graphcore" not in csv.output, csv.output
    csv = invoke(*data_args(later), "export", "--format", "csv", "--as-of", "2025")
    assert "SoftBank Group acquired Graphcore" in csv.output, csv.output
    page = invoke(*data_args(later), "viz", "--as-of", "2021-12", "-o", tmp_path / "v.html", "--json")
    assert page.exit_code == 0, page.output


# --- known by ----------------------------------------------------------------------

def test_known_by_the_article_date_is_exactly_the_article(later):
    """--known-by 2021-12-11 rebuilds the graph a reader of the article had: triple for triple."""
    known = snapshot(load(later), known_by="2021-12-11").graph
    alone = load([ARTICLE]).graph
    assert set(known) == set(alone), (len(set(known) - set(alone)), len(set(alone) - set(known)))
    # a day earlier not even the article was out
    earlier = snapshot(load(later), known_by="2021-12-10")
    assert earlier.network.number_of_edges() == 0
    # the sheet's undated page is never "known by" a date, however late
    latest = snapshot(load(later), known_by="2030")
    assert str(RES["test-rumour"]) not in {d.get("relation") for *_, d in latest.network.edges(data=True)}
    assert "https://w3id.org/chipskg/source/test-undated" in latest.time.dropped_sources()


def test_known_by_on_the_command_line(later):
    then = invoke(*data_args(later), "path", "SoftBank Group", "Graphcore", "--known-by", "2021-12-11")
    assert then.exit_code == 1, then.output  # SoftBank was not in any source published by then
    now = invoke(*data_args(later), "path", "SoftBank Group", "Graphcore", "--known-by", "2024-07-11")
    assert now.exit_code == 0 and "SoftBank Group acquired Graphcore (2024-07-11)" in now.output, now.output


# --- time-respecting paths ---------------------------------------------------------

def test_in_order_path_keeps_time_and_flags_undated_hops():
    answer = find_paths(load([ARTICLE]), "Nvidia", "Graphcore", in_order=True)
    path = answer["paths"][0]
    assert path["sentence"] == ("Nvidia acquired Icera (2011) · Nigel Toon founded Icera · "
                                "Nigel Toon founded Graphcore (2016)")
    assert [e["undated"] for e in path["edges"]] == [False, True, False]
    result = invoke(*data_args([ARTICLE]), "path", "Nvidia", "Graphcore", "--in-order")
    assert result.exit_code == 0 and "2. Nigel Toon founded Icera (undated)" in result.output, result.output


def test_only_out_of_order_paths_are_reported_with_the_reason():
    with pytest.raises(NoPath, match=r"only out-of-order paths exist.*Nvidia acquired Icera \(2011\)"):
        find_paths(load([ARTICLE]), "Graphcore", "Nvidia", in_order=True)
    result = invoke(*data_args([ARTICLE]), "path", "Graphcore", "Nvidia", "--in-order")
    assert result.exit_code == 1 and "out-of-order" in result.stderr, result.output
    # without --in-order the same question has an answer
    assert invoke(*data_args([ARTICLE]), "path", "Graphcore", "Nvidia").exit_code == 0


def test_a_dated_hop_can_break_the_order(tmp_path):
    """The same three hops are in order or not depending on one date in the data."""
    body = """
res:test-a a chips:Company ; rdfs:label "Alpha"@en ; prov:wasDerivedFrom src:test-note .
res:test-b a chips:Company ; rdfs:label "Beta"@en ; prov:wasDerivedFrom src:test-note .
res:test-c a chips:Startup ; rdfs:label "Gamma"@en ; prov:wasDerivedFrom src:test-note .
res:test-p a chips:Person ; rdfs:label "Pat"@en ; prov:wasDerivedFrom src:test-note .
res:test-ab a chips:Acquisition ; rdfs:label "Alpha acquired Beta"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:acquirer res:test-a ; chips:acquiredOrganization res:test-b ; chips:date "2011"^^xsd:gYear .
res:test-pb a chips:Founding ; rdfs:label "Pat founded Beta"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:founder res:test-p ; chips:foundedOrganization res:test-b ; chips:date "YEAR"^^xsd:gYear .
res:test-pc a chips:Founding ; rdfs:label "Pat founded Gamma"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:founder res:test-p ; chips:foundedOrganization res:test-c ; chips:date "2016"^^xsd:gYear .
"""
    kg = load([write_ttl(tmp_path, body.replace("YEAR", "2012"), "in-order.ttl")])
    answer = find_paths(kg, "Alpha", "Gamma", in_order=True)
    assert answer["paths"][0]["sentence"] == (
        "Alpha acquired Beta (2011) · Pat founded Beta (2012) · Pat founded Gamma (2016)")
    kg = load([write_ttl(tmp_path, body.replace("YEAR", "2002"), "out-of-order.ttl")])
    with pytest.raises(NoPath, match=r"“Pat founded Beta \(2002\)” is dated before “Alpha acquired Beta \(2011\)”"):
        find_paths(kg, "Alpha", "Gamma", in_order=True)
    assert find_paths(kg, "Alpha", "Gamma")["paths"][0]["length"] == 3  # the path itself exists


def test_in_order_prefers_a_dated_relation_when_one_fits(tmp_path):
    dated = """
res:test-icera-founding a chips:Founding ; rdfs:label "Nigel Toon founded Icera"@en ;
    prov:wasDerivedFrom src:test-note ; chips:quote "x"@en ;
    chips:founder res:nigel-toon ; chips:foundedOrganization res:icera ; chips:date "2012"^^xsd:gYear .
"""
    kg = load([ARTICLE, write_ttl(tmp_path, dated)])
    answer = find_paths(kg, "Nvidia", "Graphcore", in_order=True)
    assert "Nigel Toon founded Icera (2012)" in answer["paths"][0]["sentence"]


# --- timeline and alumni -----------------------------------------------------------

MIXED = """
res:test-co a chips:Startup ; rdfs:label "Testco"@en ; prov:wasDerivedFrom src:test-note .
res:test-founder a chips:Person ; rdfs:label "Tess Founder"@en ; prov:wasDerivedFrom src:test-note .
res:test-buyer a chips:Company ; rdfs:label "Buyer"@en ; prov:wasDerivedFrom src:test-note .
res:test-sale a chips:Acquisition ; rdfs:label "Buyer acquired Testco"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:acquirer res:test-buyer ; chips:acquiredOrganization res:test-co ;
    chips:date "2024-07-11"^^xsd:date .
res:test-value a chips:Valuation ; rdfs:label "Testco valuation"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:company res:test-co ; chips:amount 1000000 ; chips:currency "USD" ;
    chips:date "2020-12"^^xsd:gYearMonth .
res:test-total a chips:FundingTotal ; rdfs:label "Testco total"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:company res:test-co ; chips:amount 5000000 ; chips:currency "USD" ;
    chips:date "2024"^^xsd:gYear .
res:test-founding a chips:Founding ; rdfs:label "Tess Founder founded Testco"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:founder res:test-founder ; chips:foundedOrganization res:test-co ;
    chips:date "2016"^^xsd:gYear .
res:test-job a chips:Position ; rdfs:label "Tess Founder at Google"@en ; prov:wasDerivedFrom src:test-note ;
    chips:quote "x"@en ; chips:holder res:test-founder ; chips:organization res:google ;
    chips:start "2010"^^xsd:gYear ; chips:end "2015-06"^^xsd:gYearMonth .
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    return with_article(tmp_path_factory.mktemp("mixed"), MIXED)


def test_timeline_orders_mixed_precision_and_keeps_it(mixed):
    result = invoke(*data_args(mixed), "timeline", "Testco", "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    assert [(e["date"], e["precision"]) for e in events] == [
        ("2016", "year"), ("2020-12", "month"), ("2024", "year"), ("2024-07-11", "day")], events
    assert events[-1]["text"] == "Buyer acquired Testco" and events[-1]["sources"] == [
        "https://w3id.org/chipskg/source/test-note"]
    # as of 2024-06 the purchase has not happened; the 2024 total possibly has
    early = json.loads(invoke(*data_args(mixed), "timeline", "Testco", "--as-of", "2024-06", "--json").output)
    assert [e["date"] for e in early["events"]] == ["2016", "2020-12", "2024"]
    table = invoke(*data_args(mixed), "timeline", "Testco", "Tess Founder")
    assert table.exit_code == 0 and "2015-06" in table.output and "Tess Founder worked at Google" in table.output, table.output


def test_alumni_of_google_founded_groq():
    result = invoke(*data_args([ARTICLE]), "alumni", "Google", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {a["person"]["label"]: [t["other"]["label"] for t in a["then"]] for a in answer["alumni"]} == {
        "Douglas Wightman": ["Groq"], "Jonathan Ross": ["Groq"]}
    missing = invoke("alumni", "TSMC")
    assert missing.exit_code == 1 and "nobody is recorded as having worked at" in missing.stderr, missing.output


def test_alumni_order_and_as_of(mixed):
    answer = json.loads(invoke(*data_args(mixed), "alumni", "Google", "--json").output)
    tess = next(a for a in answer["alumni"] if a["person"]["label"] == "Tess Founder")
    assert [(t["other"]["label"], t["order"]) for t in tess["then"]] == [("Testco", "after leaving")]
    before = json.loads(invoke(*data_args(mixed), "alumni", "Google", "--as-of", "2012", "--json").output)
    tess = next(a for a in before["alumni"] if a["person"]["label"] == "Tess Founder")
    assert tess["then"] == []  # in 2012 she was still at Google and had founded nothing
    intel = json.loads(invoke(*data_args([ARTICLE]), "alumni", "Intel", "--as-of", "2020", "--json").output)
    assert "Tenstorrent" not in {t["other"]["label"] for a in intel["alumni"] for t in a["then"] if t["kind"] == "workedAt"}

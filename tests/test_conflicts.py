"""Disagreement between sources: disputed facts with every side, precision, denials, ranks."""

import json

import pytest
from typer.testing import CliRunner

from kg import load
from kg.bundled import DATA_DIR
from kg.cli import app
from kg.conflicts import conflicts, ranking
from kg.errors import BadInput
from kg.facts import describe
from kgtest import write_ttl

runner = CliRunner()

#: Pages of the 2022-2025 sheet, as the import models them: one claim node per source.
PAGES = """
src:t-benzinga a chips:Source ; rdfs:label "Benzinga copy"@en ; chips:publisher "Benzinga" .
src:t-techmonitor a chips:Source ; rdfs:label "Tech Monitor"@en ; chips:publisher "Tech Monitor" .
src:t-eenews a chips:Source ; rdfs:label "eeNews"@en ; chips:publisher "eeNews Europe" .
src:t-silicon a chips:Source ; rdfs:label "Silicon Republic"@en ; chips:publisher "Silicon Republic" ;
    chips:published "2024-07-12"^^xsd:date .
src:t-techcrunch a chips:Source ; rdfs:label "TechCrunch copy"@en ; chips:publisher "TechCrunch" .
src:t-techradar a chips:Source ; rdfs:label "TechRadar"@en ; chips:publisher "TechRadar Pro" ;
    chips:published "2024-11-18"^^xsd:date .
src:t-toms a chips:Source ; rdfs:label "Tom's"@en ; chips:publisher "Tom's Hardware" ;
    chips:published "2023-11-24"^^xsd:date .
res:t-a009 a chips:Founding ; rdfs:label "Graphcore was founded in 2016"@en ; prov:wasDerivedFrom src:t-benzinga ;
    chips:quote "x"@en ; chips:foundedOrganization res:graphcore ; chips:date "2016"^^xsd:gYear .
res:t-a010 a chips:Founding ; rdfs:label "Graphcore was founded in 2012"@en ; prov:wasDerivedFrom src:t-techmonitor ;
    chips:quote "x"@en ; chips:foundedOrganization res:graphcore ; chips:date "2012"^^xsd:gYear .
res:t-a011 a chips:Founding ; rdfs:label "Graphcore was founded in 2015"@en ; prov:wasDerivedFrom src:t-eenews ;
    chips:quote "x"@en ; chips:foundedOrganization res:graphcore ; chips:date "2015"^^xsd:gYear .
res:t-a002 a chips:Valuation ; rdfs:label "deal valued at"@en ; prov:wasDerivedFrom src:t-techmonitor ; chips:quote "x"@en ;
    chips:company res:graphcore ; chips:approximateAmount 400000000 ; chips:currency "GBP" ;
    chips:date "2024-07"^^xsd:gYearMonth ; chips:status chips:Reported .
res:t-a003 a chips:Valuation ; rdfs:label "deal valued at"@en ; prov:wasDerivedFrom src:t-silicon ; chips:quote "x"@en ;
    chips:company res:graphcore ; chips:minimumAmount 500000000 ; chips:maximumAmount 600000000 ; chips:currency "USD" ;
    chips:date "2024-07"^^xsd:gYearMonth ; chips:status chips:Reported .
res:t-a004 a chips:Valuation ; rdfs:label "Nigel Toon denied the $500m figure"@en ; prov:wasDerivedFrom src:t-techcrunch ;
    chips:quote "x"@en ; chips:company res:graphcore ; chips:approximateAmount 500000000 ; chips:currency "USD" ;
    chips:date "2024-07-11"^^xsd:date ; chips:status chips:Denied .
res:t-a005 a chips:Valuation ; rdfs:label "deal valued at"@en ; prov:wasDerivedFrom src:t-techradar ; chips:quote "x"@en ;
    chips:company res:graphcore ; chips:approximateAmount 600000000 ; chips:currency "USD" ;
    chips:date "2024-07"^^xsd:gYearMonth ; chips:status chips:Reported .
res:t-a013 a chips:Valuation ; rdfs:label "valued at in 2020"@en ; prov:wasDerivedFrom src:t-toms ; chips:quote "x"@en ;
    chips:company res:graphcore ; chips:approximateAmount 2800000000 ; chips:currency "USD" ; chips:date "2020"^^xsd:gYear .
"""


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"


def with_article(folder, body: str, name: str = "extra.ttl") -> list:
    """The article's folder plus an extra file holding ``body`` (independent of later bundled sources)."""
    return [ARTICLE, write_ttl(folder, body, name)]


def data_args(paths):
    return ["--no-bundled", *[arg for p in paths for arg in ("--data", str(p))]]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return with_article(tmp_path_factory.mktemp("pages"), PAGES)


def by_fact(answer, start):
    (found,) = [c for c in answer["conflicts"] if c["fact"].startswith(start)]
    return found


def sides(conflict):
    return sorted((s["value"]["text"], s["status"], tuple(x["publisher"] for x in s["sources"])) for s in conflict["sides"])


def test_the_article_alone_has_no_conflict():
    assert conflicts(load([ARTICLE]))["conflicts"] == []


def test_founding_year_conflict_with_every_side(pages):
    founding = by_fact(conflicts(load(pages), "Graphcore"), "Founding · Graphcore: date")
    assert sides(founding) == [
        ("2012", "stated", ("Tech Monitor",)), ("2015", "stated", ("eeNews Europe",)),
        ("2016", "stated", ("Benzinga",)), ("2016", "stated", ("cnBeta",)), ("2016", "stated", ("cnBeta",))]
    assert not founding["settled"] and founding["answer"] is None
    cnbeta = [s for s in founding["sides"] if s["sources"][0]["publisher"] == "cnBeta"][0]
    assert cnbeta["sources"][0]["published"] == "2021-12-11"
    assert "https://w3id.org/chipskg/id/t-a009" in cnbeta["agrees_with"]


def test_softbank_price_conflict_with_every_side_and_the_denial(pages):
    price = by_fact(conflicts(load(pages), "Graphcore"), "Valuation · Graphcore · 2024-07")
    assert sides(price) == [
        ("US$500M–US$600M", "reported", ("Silicon Republic",)),
        ("about US$500M", "denied", ("TechCrunch",)),
        ("about US$600M", "reported", ("TechRadar Pro",)),
        ("about £400M", "reported", ("Tech Monitor",))]
    denial = next(s for s in price["sides"] if s["status"] == "denied")
    # the CEO's denial covers the US$500–600M report, not the US$600M one
    assert denial["denies"] == ["https://w3id.org/chipskg/id/t-a003"]
    assert price["denials"] == [("https://w3id.org/chipskg/id/t-a004", "https://w3id.org/chipskg/id/t-a003")]
    assert price["disagreements"] == []  # the range contains "about US$600M"; £ is not compared with US$


def test_agreement_within_precision_is_no_conflict(pages, tmp_path):
    # "about US$2.8B" (2020) beside the article's US$2.77B (2020-12-29): no conflict reported
    assert not any(c["fact"].startswith("Valuation · Graphcore · 2020") for c in conflicts(load(pages))["conflicts"])
    # ... but "about US$2.5B" is outside "about US$2.8B" and US$2.77B
    lower = PAGES + """
res:t-a014 a chips:Valuation ; rdfs:label "valued at in 2020"@en ; prov:wasDerivedFrom src:t-toms ; chips:quote "x"@en ;
    chips:company res:graphcore ; chips:approximateAmount 2500000000 ; chips:currency "USD" ; chips:date "2020"^^xsd:gYear .
"""
    found = by_fact(conflicts(load(with_article(tmp_path, lower))), "Valuation · Graphcore · 2020")
    assert sorted(s["value"]["text"] for s in found["sides"]) == ["US$2.77B", "about US$2.5B", "about US$2.8B"]
    assert len(found["disagreements"]) == 2


def test_conflicts_on_the_command_line(pages):
    result = invoke(*data_args(pages), "conflicts", "Graphcore")
    assert result.exit_code == 0, result.output
    for text in ("Founding · Graphcore: date — unsettled", "Tech Monitor", "eeNews Europe", "denied: contradicts", "res:t-a003",
                 "about £400M", "2021-12-11"):
        assert text in result.output, result.output
    none = invoke(*data_args([ARTICLE]), "conflicts")
    assert none.exit_code == 0 and "No disputed facts." in none.output, none.output
    # what a reader knew by 2024-07-12: the TechRadar page was not out, undated pages never count
    known = json.loads(invoke(*data_args(pages), "conflicts", "Graphcore", "--known-by", "2024-07-12", "--json").output)
    assert known["conflicts"] == []


def test_entity_marks_disputed_values(pages):
    info = describe(load(pages), "Graphcore")
    marked = {f["iri"].rsplit("/", 1)[-1] for f in info["facts"] if f.get("dispute")}
    assert {"t-a009", "t-a010", "t-a011", "t-a003", "t-a004"} <= marked
    result = invoke(*data_args(pages), "entity", "Graphcore")
    assert "(disputed)" in result.output and "Disputed: Founding · Graphcore: date — 2016 [1] [" in result.output, result.output


def test_a_settled_conflict(pages, tmp_path):
    ranks = tmp_path / "ranks.ttl"
    for claim, rank in (("res:t-a010", "deprecated"), ("res:t-a009", "preferred")):
        result = invoke(*data_args(pages), "settle", claim, "--rank", rank, "--reason", "The company launched in 2016",
                        "--by", "A. Reader", "--date", "2026-11-30", "-o", ranks)
        assert result.exit_code == 0, result.output
    kg = load([*pages, ranks])
    founding = by_fact(conflicts(kg, "Graphcore"), "Founding · Graphcore: date")
    assert founding["settled"] and founding["answer"] == "2016"
    ranked = {s["claim"].rsplit("/", 1)[-1]: (s["rank"], s["ranks"][0]["by"]) for s in founding["sides"] if s["ranks"]}
    assert ranked == {"t-a010": ("deprecated", "A. Reader"), "t-a009": ("preferred", "A. Reader")}
    assert len(founding["sides"]) == 5  # the others are still shown
    unsettled = json.loads(invoke(*data_args([*pages, ranks]), "conflicts", "--unsettled", "--json").output)
    assert [c["fact"] for c in unsettled["conflicts"]] == ["Valuation · Graphcore · 2024-07-01 … 2024-07-31: amount"]
    table = invoke(*data_args([*pages, ranks]), "entity", "Graphcore")
    assert "(preferred)" in table.output and "settled: 2016" in table.output, table.output
    # deleting the ranking undoes it
    assert not by_fact(conflicts(load(pages), "Graphcore"), "Founding · Graphcore: date")["settled"]


def test_settle_json(pages, tmp_path):
    ranks = tmp_path / "ranks.ttl"
    args = [*data_args(pages), "settle", "res:t-a010", "--rank", "Deprecated", "--reason", "x", "--by", "me", "--json"]
    printed = json.loads(invoke(*args).output)
    assert printed["claim"] == "res:t-a010" and printed["rank"] == "deprecated" and printed["written"] is None
    written = json.loads(invoke(*args, "-o", ranks).output)
    assert written["written"] == str(ranks) and ranks.read_text(encoding="utf-8") == written["turtle"]
    assert "chips:rank chips:DeprecatedRank" in written["turtle"]


def test_ranking_refuses_what_is_no_claim(pages):
    kg = load(pages)
    with pytest.raises(BadInput, match="no claim"):
        ranking(kg, "res:graphcore", "preferred", reason="x", by="y")
    with pytest.raises(BadInput, match="rank must be one of preferred, deprecated"):
        ranking(kg, "res:t-a009", "best", reason="x", by="y")
    result = invoke(*data_args(pages), "settle", "res:t-a009", "--rank", "preferred", "--reason", " ", "--by", "me")
    assert result.exit_code == 2 and "--reason" in result.stderr, result.output


def test_single_values_on_an_entity_are_compared_too(tmp_path):
    two = write_ttl(tmp_path, 'res:graphcore chips:headquarters "Oxford, UK"@en .')
    kg = load([ARTICLE, two])
    found = by_fact(conflicts(kg, "Graphcore"), "Graphcore: headquarters")
    assert sorted(s["value"]["text"] for s in found["sides"]) == ["Bristol, UK", "Oxford, UK"]


def test_conflicts_and_settle_answer_in_chinese(pages, tmp_path, monkeypatch):
    result = invoke(*data_args(pages), "conflicts", "Graphcore", "--lang", "zh")
    assert result.exit_code == 0, result.output
    for text in ("有争议的事实（关于Graphcore）", "创立 · Graphcore：日期 — 未解决", "值（说法）", "可信度", "2012年",
                 "约4亿英镑", "5亿美元至6亿美元", "已否认：与res:t-a003矛盾", "媒体报道", "普通", "无日期"):
        assert text in result.output, result.output
    assert "unsettled" not in result.output and "about £400M" not in result.output, result.output
    answer = json.loads(invoke(*data_args(pages), "conflicts", "Graphcore", "--lang", "zh", "--json").output)
    price = by_fact(answer, "估值 · Graphcore · 2024-07")
    # the keys answers compare stay English; what people read is Chinese
    assert {s["status"] for s in price["sides"]} == {"reported", "denied"}
    assert {s["status_label"] for s in price["sides"]} == {"媒体报道", "已否认"}
    ranks = tmp_path / "ranks.ttl"
    monkeypatch.setenv("KG_LANG", "zh")
    settled = invoke(*data_args(pages), "settle", "res:t-a010", "--rank", "deprecated", "--reason", "Launched in 2016",
                     "--by", "A. Reader", "-o", ranks)
    assert settled.exit_code == 0 and f"排序已写入 {ranks}" in settled.output, settled.output
    after = invoke(*data_args([*pages, ranks]), "conflicts", "Graphcore")
    assert "弃用: Launched in" in after.output, after.output
    ranked = json.loads(invoke(*data_args([*pages, ranks]), "conflicts", "Graphcore", "--json").output)
    (side,) = [s for c in ranked["conflicts"] for s in c["sides"] if s["claim"].endswith("t-a010")]
    assert (side["rank"], side["rank_label"], side["ranks"][0]["reason"]) == ("deprecated", "弃用", "Launched in 2016")
    # a changed data file changes the answer: when every page says 2016, no founding dispute
    agreed = PAGES.replace('"2012"^^xsd:gYear', '"2016"^^xsd:gYear').replace('"2015"^^xsd:gYear', '"2016"^^xsd:gYear')
    without = with_article(tmp_path, agreed, "other.ttl")
    assert "创立 · Graphcore" not in invoke(*data_args(without), "conflicts", "Graphcore").output


def test_entity_sentences_in_chinese_carry_the_imports_parts(runner):
    """The bundled sheet's deal, undisclosed sum, range and status in `kg entity --lang zh`."""
    result = runner.invoke(app, ["entity", "Graphcore", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    for text in ("软银收购了Graphcore · 2024年7月11日 · 金额未披露 · 已确认", "Graphcore估值5亿美元至6亿美元",
                 "交易：软银收购了Graphcore", "媒体报道", "归属：软银的子公司（2024年7月11日收购）", "（有争议）",
                 "有争议：创立 · Graphcore：日期"):
        assert text in result.output, result.output
    for english in ("sum not disclosed", "deal:", "Standing:", "Disputed:", "(disputed)"):
        assert english not in result.output, result.output

"""Time and disagreement on the bundled data: the 2021 article and the 2022-2026 research sheet."""

import json

import pytest
from typer.testing import CliRunner

from kg import load
from kg.bundled import DATA_DIR
from kg.cli import app
from kg.conflicts import conflicts
from kg.dates import parse_date
from kg.timeview import snapshot

runner = CliRunner()
ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def kg():
    return load()


@pytest.mark.parametrize("as_of, independent", [("2021-12", True), ("2024-06", True), ("2024-07", False),
                                                  ("2025-01", False)])
def test_graphcore_is_independent_before_2024_07_and_softbanks_after(as_of, independent):
    result = invoke("entity", "Graphcore", "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    standing = json.loads(result.output)["standing"]
    assert standing["independent"] is independent, standing
    if not independent:
        assert [(o["label"], o["how"], o["since"]) for o in standing["owners"]] == [("SoftBank", "acquired", "2024-07-11")]


def test_known_by_the_article_date_is_the_article_alone(kg):
    known = snapshot(kg, known_by="2021-12-11").graph
    alone = load([ARTICLE]).graph
    assert set(known) == set(alone), (len(set(known) - set(alone)), len(set(alone) - set(known)))
    assert len(set(kg.graph)) > len(set(alone))  # the sheet's facts are there without --known-by


def _sides(found):
    return sorted((s["value"]["text"], s["status"], s["sources"][0]["publisher"]) for s in found["sides"])


def test_founding_year_and_softbank_price_conflicts_with_every_side(kg):
    answer = conflicts(kg, "Graphcore")
    by_fact = {c["fact"]: c for c in answer["conflicts"]}
    founding = by_fact["Founding · Graphcore: date"]
    assert _sides(founding) == [
        ("2012", "stated", "Tech Monitor"), ("2015", "stated", "eeNews Europe"),
        ("2016", "stated", "Benzinga (copy on cuu.coron.tech)"), ("2016", "stated", "cnBeta"),
        ("2016", "stated", "cnBeta")]
    price = next(c for f, c in by_fact.items() if f.startswith("Valuation · Graphcore") and "2024-07" in f)
    assert _sides(price) == [
        ("US$500M–US$600M", "reported", "Silicon Republic"),
        ("about US$500M", "denied", "TechCrunch (copy on genixplay.com)"),
        ("about US$600M", "reported", "TechRadar Pro"),
        ("about £400M", "reported", "Tech Monitor"),
        ("up to US$700M", "reported", "Sifted")]
    denial = next(s for s in price["sides"] if s["status"] == "denied")
    assert [c.rsplit("-", 1)[-1] for c in denial["denies"]] == ["a003"]  # the US$500–600M report


def test_values_agreeing_within_precision_are_no_conflict(kg):
    (valuation,) = [c for c in conflicts(kg, "Graphcore")["conflicts"] if c["fact"].startswith("Valuation · Graphcore · 2020")]
    by_value = {s["value"]["text"]: s for s in valuation["sides"]}
    # "about US$2.8B" agrees with US$2.77B; "about US$2.5B" is what makes it a conflict; £ is not compared
    assert by_value["about US$2.8B"]["agrees_with"] and by_value["about US$2.5B"]["agrees_with"] == []
    assert all("a014" in pair[0] + pair[1] for pair in valuation["disagreements"])


def test_graphcore_timeline_keeps_order_and_precision():
    result = invoke("timeline", "Graphcore", "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    keys = [parse_date(e["date"]).sort_key() for e in events]
    assert keys == sorted(keys)
    dates = [(e["date"], e["precision"]) for e in events]
    for date in (("2016", "year"), ("2020-12", "month"), ("2024-07-11", "day")):
        assert date in dates, dates
    assert dates.index(("2016", "year")) < dates.index(("2020-12", "month")) < dates.index(("2024-07-11", "day"))
    denied = [e for e in events if e["status"] == "denied"]
    assert denied and all(e["disputed"] for e in denied)


def test_graphcore_to_nvidia_in_time_order_needs_the_later_sources():
    """The README's claim: none as the article knew it (and why), one through TSMC with the later sources."""
    known = invoke("path", "Graphcore", "Nvidia", "--in-order", "--known-by", "2021-12-11")
    assert known.exit_code == 1 and "only out-of-order paths exist" in known.stderr, known.output
    assert "Nvidia acquired Icera (2011)" in known.stderr
    later = invoke("path", "Graphcore", "Nvidia", "--in-order", "--json")
    assert later.exit_code == 0, later.output
    hops = [e["sentence"] for e in json.loads(later.output)["paths"][0]["edges"]]
    assert any("Bow IPU made by Taiwan Semiconductor" in h for h in hops), hops
    assert "Nvidia in talks to acquire Cerebras (2026-02, reported)" in hops


@pytest.mark.parametrize("args", [("neighbors", "Graphcore"), ("path", "Nvidia", "Graphcore"), ("common", "Dell", "Bosch"),
                                  ("entity", "Graphcore")])
def test_known_by_a_date_before_any_source_names_it(args):
    """No source published by 2021-12-10 names Graphcore: said so, exit 1; a day later it is there."""
    before = invoke(*args, "--known-by", "2021-12-10")
    assert before.exit_code == 1 and "is in no source of the graph known by 2021-12-10" in before.stderr, before.output
    assert "Traceback" not in before.output
    assert invoke(*args, "--known-by", "2021-12-11").exit_code == 0


def test_the_explorer_says_the_same_of_a_date_before_any_source(kg):
    from kg.explorer.api import call

    status, _, body = call(kg, {"fn": "neighbors", "args": {"name": "Graphcore", "known_by": "2021-12-10"}})
    assert status == 404 and "is in no source of the graph known by 2021-12-10" in json.loads(body)["error"], body

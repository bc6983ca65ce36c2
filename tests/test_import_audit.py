"""Findings of the second data audit (research sheet against its import), each fixed in the importer's general
behaviour or the ontology, checked on the bundled import and on a sheet that says otherwise."""

from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import PROV

from kg.bundled import DATA_DIR
from kg.conflicts import conflicts
from kg.importer import plan_import, read_sheet, write_import
from kg.loader import load
from kg.sparql import run_query
from kg.vocab import CHIPS, RES

ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"
BUNDLED = DATA_DIR / "updates-2022-2025"
HEADER = "id,subject,relation,object,amount,currency,amount_kind,date,role_or_series,publisher,page_date,url,note\n"


@pytest.fixture(scope="module")
def article():
    return load([ARTICLE])


@pytest.fixture(scope="module")
def bundled():
    return load()


def plan(article, tmp_path, rows: str):
    Path(tmp_path).mkdir(parents=True, exist_ok=True)
    path = Path(tmp_path) / "facts.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return plan_import(read_sheet(path), article)


def facts(article, tmp_path, rows: str) -> Graph:
    """The triples importing ``rows`` would write."""
    g = Graph()
    for t in plan(article, tmp_path, rows).triples:
        g.add(t)
    return g


def imported(article, tmp_path, rows: str):
    """The article plus ``rows`` imported and written, loaded as the tool loads data."""
    out = Path(tmp_path) / "out"
    out.mkdir(parents=True)
    write_import(plan(article, tmp_path, rows), article, out)
    return load([ARTICLE, out])


def node(row: str):
    return RES[f"facts-{row.lower()}"]


# --- A035: two holders named together, two titles named together ------------------------------------


def test_holders_and_titles_named_together_are_paired_in_order(bundled, article, tmp_path):
    rows = run_query(bundled, """
        SELECT ?who ?role WHERE { ?p a chips:Position ; chips:organization res:graphcore ; chips:holder ?who ;
                                     chips:role ?role ; chips:sheetRow "updates-2022-2025.csv#A035" }""").rows
    assert sorted(rows) == [(RES["nigel-toon"], CHIPS.ChiefExecutive), (RES["simon-knowles"], CHIPS.ChiefTechnologyOfficer)]
    row = "R1,Nigel Toon and Simon Knowles,stayed on after acquisition at,Graphcore,,,,2024-07,{},Sifted,,https://e.org/a,\n"
    swapped = facts(article, tmp_path, row.format("CTO and CEO"))
    assert (node("r1-1"), CHIPS.role, CHIPS.ChiefTechnologyOfficer) in swapped
    assert (node("r1-2"), CHIPS.role, CHIPS.ChiefExecutive) in swapped
    for both in ("co-founders (CEO)", "co-founders and directors", "CEO and chief executive"):  # what both are
        shared = facts(article, tmp_path, row.format(both))
        assert not set(shared.objects(None, CHIPS.role)), both
        assert set(shared.objects(None, CHIPS.title)) == {Literal(both, lang="en")}, both


# --- A091: an amount that measures what followed the talks, not the talks ---------------------------


def test_a_sum_sought_after_stalled_talks_is_no_price_of_the_talks(bundled, article, tmp_path):
    a091 = RES["updates-2022-2025-a091"]
    assert not set(bundled.graph.predicate_objects(a091)) & {(CHIPS.currency, Literal("USD"))}
    assert bundled.graph.value(a091, CHIPS.minimumAmount) is None and bundled.graph.value(a091, CHIPS.status) == CHIPS.Reported
    row = ("R1,Intel–SambaNova acquisition talks,{},$300m–$500m of new funding,300000000-500000000,USD,range,"
           "2026-01-21,target,Bez Kabli,2026-01-22,https://e.org/b,\n")
    stalled = facts(article, tmp_path, row.format("stalled; SambaNova sought instead"))
    assert stalled.value(node("r1"), CHIPS.minimumAmount) is None
    assert "$300m–$500m" in str(stalled.value(node("r1"), CHIPS.nature))
    bid = facts(article, tmp_path, "R1,Intel,in talks to acquire,SambaNova Systems,300000000-500000000,USD,range,"
                                   "2026-01-21,bidder,Bez Kabli,2026-01-22,https://e.org/b,\n")
    assert bid.value(node("r1"), CHIPS.minimumAmount) is not None  # a sum in a bid is its price


# --- A041, A060, A091, A107: how sure, from the brackets of the role and the publisher ---------------


@pytest.mark.parametrize("role, publisher, note, status", [
    ("IPO target (reported)", "Fallacy Alarm", "Market expectation, not filed terms.", CHIPS.Reported),
    ("IPO target", "Fallacy Alarm", "Market expectation, not filed terms.", None),
    ("employer", "TrendForce (citing EE Times)", "", CHIPS.Reported),
    ("investor", "Data Phoenix", "amount from a person familiar with the deal", CHIPS.Reported),
    ("CEO", "Reportify", "CEO's own figure; conflicts with A043.", CHIPS.Confirmed),
])
def test_status_cues_in_role_and_publisher_brackets(article, tmp_path, role, publisher, note, status):
    g = facts(article, tmp_path, f"R1,Cerebras,laid off,77 employees,77,employees,exact,2025-04,{role},{publisher},,"
                                 f"https://e.org/c,{note}\n")
    assert g.value(node("r1"), CHIPS.status) == status


def test_bundled_statuses_follow_the_rows(bundled):
    g = bundled.graph
    for row, status in (("a041", CHIPS.Reported), ("a060", CHIPS.Reported), ("a107", CHIPS.Reported),
                        ("a045", CHIPS.Confirmed)):
        assert g.value(RES[f"updates-2022-2025-{row}"], CHIPS.status) == status, row


# --- A107: one page, two attributions -------------------------------------------------------------------


def test_a_page_cited_under_two_attributions_gives_two_sources(bundled, article, tmp_path):
    g = bundled.graph
    source = {r: g.value(RES[f"updates-2022-2025-{r}"], PROV.wasDerivedFrom) for r in ("a105", "a107")}
    assert str(g.value(source["a107"], CHIPS.publisher)) == "TrendForce (citing EE Times)"
    assert str(g.value(source["a105"], CHIPS.publisher)) == "TrendForce"
    row = "R{n},SambaNova Systems,laid off,77 employees,77,employees,exact,2025-04,employer,{p},,https://e.org/d,\n"
    same = facts(article, tmp_path, row.format(n=1, p="TrendForce") + row.format(n=2, p="TrendForce"))
    assert len(set(same.subjects(CHIPS.publisher, None))) == 1
    two = facts(article, tmp_path, row.format(n=1, p="TrendForce") + row.format(n=2, p="TrendForce (citing EE Times)"))
    assert len(set(two.subjects(CHIPS.publisher, None))) == 2


# --- conflicts the ontology now declares -----------------------------------------------------------------


def disputes(kg) -> dict:
    return {c["fact"].split(":")[0]: sorted(s["value"]["text"] for s in c["sides"]) for c in conflicts(kg)["conflicts"]}


def test_kg_conflicts_shows_the_disputes_the_sheet_names(bundled):
    found = disputes(bundled)
    assert found["Stock-market listing · first day of trading · Cerebras · 2026-05-01 … 2026-05-31"] == \
        ["about 68 percent", "about 89 percent"]
    assert found["Integration · Raspberry Pi AI HAT+"] == ["Hailo-8", "Hailo-8L"]
    lead = [k for k in found if k.startswith("Investment · Intel Capital")]
    assert lead and found[lead[0]] == ["false", "true"]


def test_sides_that_agree_are_no_conflict(article, tmp_path):
    row = "R{n},Cerebras Systems,first-day share move,closed up,{x},percent,approximate,2026-05,IPO debut,P{n},,https://e.org/{n},\n"
    chip = "R{n},Raspberry Pi AI HAT+,uses chip,{x},,,,,chip in product,P{n},,https://e.org/{n},\n"
    lead = "R{n},Battery Ventures,invested in,SambaNova Systems,,,,2026-02-24,Series E – {x},P{n},,https://e.org/{n},\n"
    disputed = imported(article, tmp_path / "a", row.format(n=1, x=68) + row.format(n=2, x=89)
                        + chip.format(n=3, x="Hailo-8") + chip.format(n=4, x="Hailo-8L")
                        + lead.format(n=5, x="participant") + lead.format(n=6, x="lead"))
    assert len(conflicts(disputed)["conflicts"]) == 3
    agreed = imported(article, tmp_path / "b", row.format(n=1, x=68) + row.format(n=2, x=68)
                      + chip.format(n=3, x="Hailo-8") + chip.format(n=4, x="Hailo-8")
                      + lead.format(n=5, x="lead") + lead.format(n=6, x="lead"))
    assert conflicts(agreed)["conflicts"] == []


# --- A004: a denial's speaker ------------------------------------------------------------------------


def test_a_denial_reads_as_denied_by_its_speaker(bundled, article, tmp_path):
    from kg.facts import relation_sentence

    a004 = relation_sentence(bundled.graph, RES["updates-2022-2025-a004"])
    assert "denied by Nigel Toon" in a004 and "stated by" not in a004, a004
    row = ("R1,Nigel Toon,denied reported deal value for,Graphcore,500000000,USD,approximate,2024-07-11,CEO,TechCrunch,,"
           "https://e.org/f,,{}\n")
    header = HEADER.strip() + ",status\n"
    for status, words in (("", "denied by Nigel Toon"), ("reported", "stated by Nigel Toon · reported")):
        path = Path(tmp_path) / f"denial-{status or 'none'}.csv"
        path.write_text(header + row.format(status), encoding="utf-8")
        g = Graph()
        for t in plan_import(read_sheet(path), article).triples:
            g.add(t)
        sentence = relation_sentence(g + article.ontology, RES[f"denial-{status or 'none'}-r1"])
        assert words in sentence, sentence


# --- A078, A111: the product a deployment's object names -------------------------------------------------


def test_a_deployment_links_the_product_its_object_names(bundled, article, tmp_path):
    g = bundled.graph
    assert g.value(RES["updates-2022-2025-a078"], CHIPS.product) == RES["condor-galaxy-1"]
    assert g.value(RES["updates-2022-2025-a111"], CHIPS.product) == RES["sn50"]
    row = "R1,G42,commissioned,Cerebras (Condor Galaxy 9 AI supercomputer),,,,2023-07,customer,ZDNet,,https://e.org/g,\n"
    alone = facts(article, tmp_path / "a", row)
    assert alone.value(node("r1"), CHIPS.supplier) == RES.cerebras
    assert alone.value(node("r1"), CHIPS.product) is None  # no product of that name: nothing linked
    later = "R2,Condor Galaxy 9,has configuration,64 CS-2 nodes,,,,2023-07,system specs,Cerebras blog,,https://e.org/h,\n"
    linked = facts(article, tmp_path / "b", row + later)  # a product a later row introduces counts
    assert linked.value(node("r1"), CHIPS.product) == linked.value(node("r2"), CHIPS.product)


# --- A114: a phrase that ends in a known one after other words ----------------------------------------------


def test_a_phrase_ending_in_a_known_phrase_says_so(article, tmp_path):
    skipped = plan(article, tmp_path, "R1,Raspberry Pi,launched AI HAT+ 2 built on,Hailo-10H,,,,2026-01-15,,Faceofit,,"
                                      "https://e.org/i,\n").skipped
    assert len(skipped) == 1 and "ends in the known phrase 'built on'" in skipped[0]["reason"]
    assert skipped[0]["suggestions"][0] == "built on"
    other = plan(article, tmp_path, "R1,Raspberry Pi,launched AI HAT+ 2 with,Hailo-10H,,,,2026-01-15,,Faceofit,,"
                                    "https://e.org/i,\n").skipped
    assert "ends in the known phrase" not in other[0]["reason"]


# --- A031, A075, A109: the process in words beside the manufacturer ----------------------------------------


def test_the_process_words_beside_the_manufacturer_are_kept(bundled, article, tmp_path):
    g = bundled.graph
    assert str(g.value(RES["updates-2022-2025-a075"], CHIPS.nature)) == "5nm"
    assert str(g.value(RES["updates-2022-2025-a109"], CHIPS.nature)) == "5nm (CoWoS-S packaging)"
    row = "R1,WSE-3,chip made by,{},,,,2024-03,foundry,The Decoder,,https://e.org/j,,res:tsmc\n"
    for words, nature in (("TSMC 3nm", "3nm"), ("TSMC (N3E process)", "N3E process"), ("TSMC", None)):
        path = tmp_path / f"{words.replace(' ', '-')}.csv"
        path.write_text(HEADER.strip() + ",object_id\n" + row.format(words), encoding="utf-8")
        made = Graph()
        for t in plan_import(read_sheet(path), article).triples:
            made.add(t)
        r1 = next(made.subjects(CHIPS.manufacturer, RES.tsmc))
        assert (str(made.value(r1, CHIPS.nature)) if nature else made.value(r1, CHIPS.nature)) == nature

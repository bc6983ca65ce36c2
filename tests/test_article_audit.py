"""The findings of the independent audit of the article's data (issue 9), each checked on the real data.

Each finding has a test of the fixed model, and ``test_an_edited_file_changes_the_answer``
shows, finding by finding, that the answer comes from the data: the same question asked of
a copy of the article's folder with one statement edited gives the other answer.
"""

import shutil
from decimal import Decimal

import pytest
from rdflib import XSD, Literal

from kg import find_paths, load, run_query
from kg.bundled import DATA_DIR
from kg.vocab import CHIPS, PREFIXES, RES

ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"


@pytest.fixture(scope="module")
def kg():
    return load([ARTICLE])  # the article alone: other sources may add chips, rounds and names


def rows(kg, query: str) -> list[tuple]:
    return [tuple(row) for row in kg.graph.query(query, initNs=PREFIXES)]


def ask(kg, query: str) -> bool:
    return kg.graph.query(query, initNs=PREFIXES).askAnswer


def slug(term) -> str | None:
    return None if term is None else str(term).rsplit("/", 1)[-1]


# --- figures: precision, counts, where they sit -------------------------------------------------

def test_gc200_exaflops_is_approximate(kg):
    assert kg.graph.value(RES.gc200, CHIPS.approximateScaleOutExaflops).toPython() == Decimal(16)
    assert kg.graph.value(RES.gc200, CHIPS.scaleOutExaflops) is None  # "约为16 exaFLOPS" is not exact


def test_tenstorrent_round_count_shows_in_funding_summary(kg):
    result = run_query(kg, "funding-summary", params={"company": "Tenstorrent"})
    (row,) = [dict(zip(result.vars, r)) for r in result.rows]
    assert row["roundsStated"].toPython() == 4  # "此前共经历4轮融资"
    assert row["raised"] is None                 # the article gives no total: none is made up
    assert row["valuation"].toPython() == Decimal(1_000_000_000)


def test_groqchip_release_month_is_not_invented(kg):
    assert kg.graph.value(RES.groqchip, CHIPS.releaseDate) is None  # "同时期" names no month
    assert kg.graph.value(RES.tsp, CHIPS.releaseDate) == Literal("2019-11", datatype=XSD.gYearMonth)
    notes = " ".join(str(n) for n in kg.graph.objects(RES.groqchip, CHIPS.note))
    assert "同时期" in notes and "November 2019" in notes
    (corrected,) = rows(kg, "SELECT ?t WHERE { res:correction-groqchip-tsp chips:correctedText ?t }")
    assert "November 2019" in str(corrected[0])


def test_cs2_parameter_ceiling_is_a_correction_beside_the_article_bound(kg):
    assert kg.graph.value(RES["cs-2"], CHIPS.minimumModelParameters).toPython() == 120_000_000_000_000
    (stated, corrected) = rows(kg, """
        SELECT ?s ?c WHERE { ?x a chips:Correction ; chips:corrects res:cs-2 ; chips:statedText ?s ;
                             chips:correctedText ?c FILTER(lang(?c) = "en") }""")[0]
    assert "超过120万亿参数" in str(stated) and "up to 120 trillion" in str(corrected)


def test_seamicro_price_correction_sits_beside_the_article_figure(kg):
    price = kg.graph.value(RES["acquisition-amd-seamicro"], CHIPS.amount)
    assert price.toPython() == Decimal(357_000_000)  # what the article says stays
    (corrected, reason) = rows(kg, """
        SELECT ?c ?r WHERE { ?x a chips:Correction ; chips:corrects res:acquisition-amd-seamicro ;
                             chips:correctedText ?c ; chips:reason ?r }""")[0]
    assert "US$334 million" in corrected and "US$281 million in cash" in corrected
    assert "29 February 2012" in reason and "AMD" in reason  # the reason names its source


def test_each_chip_counts_once_and_chip_figures_sit_on_chips(kg):
    tops = rows(kg, "SELECT ?x ?t WHERE { ?x chips:topsTera ?t }")
    assert sorted((slug(x), t.toPython()) for x, t in tops) == [
        ("grayskull", Decimal(368)), ("groqchip", Decimal(750)), ("hailo-8", Decimal(26))]
    assert not rows(kg, """
        SELECT ?a ?p WHERE { ?a a chips:Architecture ; ?p ?v
                             VALUES ?p { chips:topsTera chips:coreCount chips:transistorCount } }""")
    assert kg.graph.value(RES.gc200, CHIPS.coreCount).toPython() == 1216  # as the article says, corrected beside
    chips = {(slug(d), slug(c)) for c, d in rows(kg, "SELECT ?c ?d WHERE { ?c a chips:Chip ; chips:developer ?d }")}
    assert {c for d, c in chips if d == "groq"} == {"groqchip"}
    assert {c for d, c in chips if d == "sambanova"} == {"cardinal-sn10-rdu"}
    assert kg.resolve("Cardinal云端训练芯片").iri == RES["cardinal-sn10-rdu"]


def test_cardinal_deployments_name_the_one_chip(kg):
    products = {slug(c): slug(p) for c, p in rows(kg, """
        SELECT ?c ?p WHERE { ?d a chips:Deployment ; chips:supplier res:sambanova ; chips:customer ?c ; chips:product ?p }""")}
    assert products == {"argonne-national-laboratory": "cardinal-sn10-rdu", "nnsa": "cardinal-sn10-rdu"}


# --- identities -------------------------------------------------------------------------------

def test_glory_ventures_is_an_alias_of_yaotu_capital(kg):
    assert kg.resolve("Glory Ventures").iri == RES["shanghai-yaotu-capital"]


def test_samsung_and_samsung_electronics_are_two_entities(kg):
    assert kg.resolve("三星").iri == RES.samsung
    assert kg.resolve("三星电子").iri == RES["samsung-electronics"]
    assert ask(kg, "ASK { res:samsung chips:investedIn res:graphcore }")
    assert not ask(kg, "ASK { res:samsung chips:citedPatentsOf res:hailo }")
    assert ask(kg, "ASK { res:samsung-electronics chips:citedPatentsOf res:hailo }")
    assert not ask(kg, "ASK { res:samsung-electronics chips:investedIn res:graphcore }")


def test_dan_sundheim_invested_through_the_fund_he_runs(kg):
    assert ask(kg, "ASK { res:d1-capital-partners chips:runBy res:dan-sundheim ; a chips:InvestmentFirm }")
    assert ask(kg, """ASK { ?i a chips:Investment ; chips:investor res:dan-sundheim ;
                               chips:through res:d1-capital-partners ; chips:round res:groq-round-2021-04 }""")
    assert ask(kg, "ASK { ?c a chips:Correction ; chips:corrects res:investment-dan-sundheim-groq }")
    assert kg.resolve("D1 Capital").cls == "InvestmentFirm"  # a fund, not the person


# --- entities that had no relations -----------------------------------------------------------

def test_lee_sedol_alphago_and_tencent_have_the_relations_the_article_states(kg):
    G = kg.network
    for name in ("lee-sedol", "alphago", "tencent"):
        assert G.degree(str(RES[name])) > 0, name
    assert ask(kg, "ASK { res:alphago chips:defeated res:lee-sedol ; chips:poweredBy res:tpu }")
    assert ask(kg, "ASK { res:tencent-in-house-ai-chip chips:developer res:tencent }")
    (path,) = find_paths(kg, "Lee Sedol", "Groq")["paths"]
    assert "AlphaGo defeated Lee Sedol" in path["sentence"]


# --- one statement, one relation ---------------------------------------------------------------

@pytest.mark.parametrize("query", [
    "SELECT ?r ?d WHERE { ?r a chips:Partnership ; chips:partner res:graphcore , res:baidu OPTIONAL { ?r chips:date ?d } }",
    """SELECT ?r ?d WHERE { ?r a chips:Deployment ; chips:customer res:argonne-national-laboratory ;
                             chips:supplier res:sambanova OPTIONAL { ?r chips:start ?d } }""",
])
def test_two_statements_are_two_relations(kg, query):
    found = rows(kg, query)
    assert len(found) == 2
    assert sum(d is None for _, d in found) == 1  # one dated statement, one undated
    for relation, _ in found:  # each keeps only the sentence it comes from
        assert len(list(kg.graph.objects(relation, CHIPS.quote))) == 1


# --- the answers come from the data ------------------------------------------------------------

EDITS = [
    # (file, text in the file, replacement, question, answer now, answer after the edit)
    ("04-graphcore.ttl", "chips:approximateScaleOutExaflops 16.0", "chips:scaleOutExaflops 16.0",
     "SELECT ?v WHERE { res:gc200 chips:scaleOutExaflops ?v }", [], ["16.0"]),
    ("06-tenstorrent.ttl", "chips:roundCount 4 ;", "chips:roundCount 5 ;",
     "SELECT ?n WHERE { ?t chips:company res:tenstorrent ; chips:roundCount ?n }", ["4"], ["5"]),
    ("05-groq.ttl", "    chips:generation 1 ;\n    chips:focusArea \"cloud inference\"",
     "    chips:generation 1 ; chips:releaseDate \"2019-11\"^^xsd:gYearMonth ;\n    chips:focusArea \"cloud inference\"",
     "SELECT ?d WHERE { res:groqchip chips:releaseDate ?d }", [], ["2019-11"]),
    ("05-groq.ttl", "    chips:releaseDate \"2019-11\"^^xsd:gYearMonth ;\n    chips:focusArea \"computer vision",
     "    chips:releaseDate \"2019-11\"^^xsd:gYearMonth ; chips:topsTera 1000.0 ;\n    chips:focusArea \"computer vision",
     "SELECT ?t WHERE { ?x chips:topsTera ?t } ORDER BY ?t", ["26.0", "368.0", "750.0"],
     ["26.0", "368.0", "750.0", "1000.0"]),
    ("07-hailo.ttl", ', "Glory Ventures"@en', "",
     "SELECT ?x WHERE { ?x skos:altLabel \"Glory Ventures\"@en }",
     ["https://w3id.org/chipskg/id/shanghai-yaotu-capital"], []),
    ("04-graphcore.ttl", "chips:investor res:samsung ;", "chips:investor res:samsung-electronics ;",
     "SELECT ?c WHERE { res:samsung-electronics chips:investedIn ?c }", [],
     ["https://w3id.org/chipskg/id/graphcore"]),
    ("05-groq.ttl", "    chips:runBy res:dan-sundheim ;\n", "",
     "SELECT ?p WHERE { res:d1-capital-partners chips:runBy ?p }",
     ["https://w3id.org/chipskg/id/dan-sundheim"], []),
    ("05-groq.ttl", "    chips:defeated res:lee-sedol ;\n", "",
     "SELECT ?p WHERE { res:alphago chips:defeated ?p }", ["https://w3id.org/chipskg/id/lee-sedol"], []),
    ("00-source.ttl", "chips:corrects res:acquisition-amd-seamicro ;", "chips:corrects res:seamicro ;",
     "SELECT ?c WHERE { ?c chips:corrects res:acquisition-amd-seamicro }",
     ["https://w3id.org/chipskg/id/correction-seamicro-price"], []),
]


@pytest.mark.parametrize("name, old, new, query, before, after", EDITS, ids=[e[3][:48] for e in EDITS])
def test_an_edited_file_changes_the_answer(kg, tmp_path, name, old, new, query, before, after):
    assert [str(r[0]) for r in rows(kg, query)] == before
    folder = tmp_path / ARTICLE.name
    shutil.copytree(ARTICLE, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    assert [str(r[0]) for r in rows(load([folder]), query)] == after

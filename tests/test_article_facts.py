"""The bundled data says what the article says: key facts of each section, checked by SPARQL."""

from decimal import Decimal

import pytest
from rdflib import XSD, Literal

from kg import load
from kg.bundled import DATA_DIR
from kg.vocab import PREFIXES


@pytest.fixture(scope="module")
def kg():
    """The article's facts alone (the bundled data also holds later sources, imported from a sheet)."""
    return load([DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"])


def ask(kg, query: str) -> list[tuple]:
    return [tuple(row) for row in kg.graph.query(query, initNs=PREFIXES)]


def one(kg, query: str) -> tuple:
    rows = ask(kg, query)
    assert len(rows) == 1, rows
    return rows[0]


# --- intro ----------------------------------------------------------------------

def test_intro_chinese_startups_valued_above_ten_billion_yuan(kg):
    rows = ask(kg, """
        SELECT ?name WHERE {
          ?v a chips:Valuation ; chips:company ?c ; chips:minimumAmount ?m ; chips:currency "CNY" .
          FILTER(?m = 10000000000)
          ?c rdfs:label ?name FILTER(lang(?name) = "zh")
        }""")
    names = {str(r[0]) for r in rows}
    assert {"地平线", "黑芝麻智能", "燧原科技", "壁仞科技", "昆仑芯", "摩尔线程"} <= names


# --- SambaNova ------------------------------------------------------------------

def test_sambanova_series_d_april_2021(kg):
    amount, currency, date, valuation = one(kg, """
        SELECT ?amount ?currency ?date ?valuation WHERE {
          ?r a chips:FundingRound ; chips:fundedCompany res:sambanova ; chips:series "D" ;
             chips:amount ?amount ; chips:currency ?currency ; chips:date ?date ;
             chips:resultingValuation/chips:minimumAmount ?valuation .
        }""")
    assert amount.toPython() == Decimal(676_000_000)
    assert str(currency) == "USD"
    assert date == Literal("2021-04", datatype=XSD.gYearMonth)  # the month the source gives, no invented day
    assert valuation.toPython() == Decimal(5_000_000_000)      # "超过50亿美元" is a lower bound


def test_sambanova_founders_and_investors(kg):
    founders = {str(r[0]) for r in ask(kg, """
        SELECT ?name WHERE { ?p chips:founded res:sambanova ; rdfs:label ?name FILTER(lang(?name)="en") }""")}
    assert founders == {"Rodrigo Liang", "Kunle Olukotun", "Chris Ré"}
    investors = {str(r[0]) for r in ask(kg, "SELECT ?i WHERE { ?i chips:investedIn res:sambanova }")}
    assert {PREFIXES["res"] + n for n in ("softbank", "temasek", "google", "intel")} <= investors


def test_rodrigo_liang_worked_at_oracle(kg):
    assert kg.graph.query("ASK { res:rodrigo-liang chips:workedAt res:oracle }", initNs=PREFIXES).askAnswer


def test_cardinal_sn10_specs(kg):
    transistors, foundry, node = one(kg, """
        SELECT ?t ?f ?n WHERE { res:cardinal-sn10-rdu chips:transistorCount ?t ; chips:foundry ?f ; chips:processNode ?n }""")
    assert transistors.toPython() == 40_000_000_000
    assert str(foundry).endswith("/tsmc") and str(node).endswith("/process-7nm")


def test_sambanova_customers_are_national_labs(kg):
    customers = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?c WHERE { ?c chips:customerOf res:sambanova }")}
    assert {"argonne-national-laboratory", "lawrence-livermore-national-laboratory", "nnsa"} <= customers


# --- Cerebras -------------------------------------------------------------------

def test_cerebras_series_f(kg):
    amount, date, total, valuation = one(kg, """
        SELECT ?a ?d ?t ?v WHERE {
          ?r a chips:FundingRound ; chips:fundedCompany res:cerebras ; chips:series "F" ; chips:amount ?a ; chips:date ?d ;
             chips:resultingTotal/chips:amount ?t ; chips:resultingValuation/chips:minimumAmount ?v .
        }""")
    assert amount.toPython() == Decimal(250_000_000)
    assert date == Literal("2021-11-10", datatype=XSD.date)
    assert total.toPython() == Decimal(750_000_000)
    assert valuation.toPython() == Decimal(4_000_000_000)


def test_amd_acquired_seamicro_in_2012(kg):
    date, price = one(kg, """
        SELECT ?d ?p WHERE { ?a a chips:Acquisition ; chips:acquirer res:amd ; chips:acquiredOrganization res:seamicro ;
                              chips:date ?d ; chips:amount ?p }""")
    assert date == Literal("2012", datatype=XSD.gYear)
    assert price.toPython() == Decimal(357_000_000)
    founders = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?p WHERE { ?p chips:founded res:seamicro }")}
    assert founders == {"gary-lauterbach", "andrew-feldman"}


def test_wse2_specs(kg):
    transistors, cores = one(kg, "SELECT ?t ?c WHERE { res:wse-2 chips:transistorCount ?t ; chips:coreCount ?c }")
    assert transistors.toPython() == 2_600_000_000_000
    assert cores.toPython() == 850_000


def test_cerebras_customers(kg):
    customers = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?c WHERE { ?c chips:customerOf res:cerebras }")}
    assert {"argonne-national-laboratory", "lawrence-livermore-national-laboratory", "pittsburgh-supercomputing-center",
            "epcc", "gsk", "tokyo-electron-device"} <= customers


# --- Graphcore ------------------------------------------------------------------

def test_nvidia_acquired_icera_founded_by_nigel_toon(kg):
    (date,) = one(kg, """
        SELECT ?d WHERE { ?a a chips:Acquisition ; chips:acquirer res:nvidia ; chips:acquiredOrganization res:icera ; chips:date ?d }""")
    assert date == Literal("2011", datatype=XSD.gYear)
    assert kg.graph.query("ASK { res:nigel-toon chips:founded res:icera, res:graphcore }", initNs=PREFIXES).askAnswer


def test_graphcore_latest_round_and_bounded_total(kg):
    amount, date = one(kg, """
        SELECT ?a ?d WHERE { ?r a chips:FundingRound ; chips:fundedCompany res:graphcore ; chips:amount ?a ; chips:date ?d }""")
    assert amount.toPython() == Decimal(222_000_000)
    assert date == Literal("2020-12-29", datatype=XSD.date)
    totals = ask(kg, "SELECT ?t WHERE { ?f a chips:FundingTotal ; chips:company res:graphcore ; chips:minimumAmount ?t }")
    assert [t[0].toPython() for t in totals] == [Decimal(450_000_000)]  # "超过4.5亿美元": a bound, not exact
    assert not ask(kg, "SELECT ?t WHERE { ?f a chips:FundingTotal ; chips:company res:graphcore ; chips:amount ?t }")


def test_graphcore_strategic_investors_and_partners(kg):
    investors = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?i WHERE { ?i chips:investedIn res:graphcore }")}
    assert {"bmw", "bosch", "dell", "microsoft", "samsung"} <= investors
    partners = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?p WHERE { res:graphcore chips:partnerOf ?p }")}
    assert {"alibaba", "baidu"} <= partners


def test_graphcore_chinese_name_is_an_alias(kg):
    assert kg.resolve("拟未科技").iri.endswith("/graphcore")


# --- Groq -----------------------------------------------------------------------

def test_groq_round_and_investors(kg):
    rows = ask(kg, """
        SELECT ?investor ?amount WHERE {
          ?r a chips:FundingRound ; chips:fundedCompany res:groq ; chips:amount ?amount ; chips:date "2021-04"^^xsd:gYearMonth .
          ?i chips:round ?r ; chips:investor ?investor .
        }""")
    assert {str(r[0]).rsplit("/", 1)[-1] for r in rows} == {"tiger-global-management", "dan-sundheim"}
    assert {r[1].toPython() for r in rows} == {Decimal(300_000_000)}


def test_groq_founders_came_from_google(kg):
    assert kg.graph.query("ASK { res:jonathan-ross chips:founded res:groq ; chips:workedAt res:google }", initNs=PREFIXES).askAnswer
    assert kg.graph.query("ASK { res:douglas-wightman chips:founded res:groq ; chips:workedAt res:google }", initNs=PREFIXES).askAnswer


def test_groqchip_specs(kg):
    tops, sram = one(kg, "SELECT ?t ?s WHERE { res:groqchip chips:topsTera ?t ; chips:sramMegabytes ?s }")
    assert tops.toPython() == Decimal(750) and sram.toPython() == Decimal(230)


# --- Tenstorrent ----------------------------------------------------------------

def test_tenstorrent_series_c_led_by_fidelity(kg):
    minimum, lead = one(kg, """
        SELECT ?m ?lead WHERE {
          ?r a chips:FundingRound ; chips:fundedCompany res:tenstorrent ; chips:series "C" ;
             chips:minimumAmount ?m ; chips:date "2021-05-20"^^xsd:date .
          ?i chips:round ?r ; chips:investor ?lead ; chips:isLead true .
        }""")
    assert minimum.toPython() == Decimal(200_000_000)
    assert str(lead).endswith("/fidelity-management")


def test_jim_keller_career(kg):
    employers = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?o WHERE { res:jim-keller chips:workedAt ?o }")}
    assert {"amd", "apple", "tesla", "intel", "tenstorrent"} <= employers
    roles = {str(r[0]).rsplit("#", 1)[-1] for r in ask(kg, """
        SELECT ?role WHERE { ?p a chips:Position ; chips:holder res:jim-keller ; chips:organization res:tenstorrent ; chips:role ?role }""")}
    assert roles == {"ChiefTechnologyOfficer", "President"}


def test_grayskull_release(kg):
    tops, released = one(kg, "SELECT ?t ?d WHERE { res:grayskull chips:topsTera ?t ; chips:releaseDate ?d }")
    assert tops.toPython() == Decimal(368)
    assert released == Literal("2020-04-07", datatype=XSD.date)


# --- Hailo ----------------------------------------------------------------------

def test_hailo_round_and_total(kg):
    amount, total = one(kg, """
        SELECT ?a ?t WHERE { ?r a chips:FundingRound ; chips:fundedCompany res:hailo ; chips:amount ?a ;
                             chips:date "2021-10-12"^^xsd:date ; chips:resultingTotal/chips:amount ?t }""")
    assert amount.toPython() == Decimal(136_000_000)
    assert total.toPython() == Decimal(223_900_000)
    assert kg.graph.query("ASK { res:shanghai-yaotu-capital chips:investedIn res:hailo }", initNs=PREFIXES).askAnswer


def test_hailo_patent_citers_and_foxconn(kg):
    citers = {str(r[0]).rsplit("/", 1)[-1] for r in ask(kg, "SELECT ?c WHERE { ?c chips:citedPatentsOf res:hailo }")}
    assert citers == {"ibm", "intel", "samsung-electronics", "alibaba"}
    assert kg.graph.query("ASK { res:hailo chips:partnerOf res:foxconn }", initNs=PREFIXES).askAnswer
    (tops,) = one(kg, "SELECT ?t WHERE { res:hailo-8 chips:topsTera ?t }")
    assert tops.toPython() == Decimal(26)


def test_orr_danon_came_from_the_idf(kg):
    rows = ask(kg, """
        SELECT ?unit WHERE { res:orr-danon chips:workedAt ?unit . ?unit chips:subOrganizationOf res:israel-defense-forces }""")
    assert len(rows) == 1


# --- provenance and corrections ------------------------------------------------

def test_corrections_keep_what_the_source_says(kg):
    stated = {str(r[0]) for r in ask(kg, "SELECT ?s WHERE { ?c a chips:Correction ; chips:statedText ?s }")}
    assert any("2012年12月" in s for s in stated)
    assert any("Seammicro" in s for s in stated)
    # the misspelling stays findable, the label is the right name
    assert kg.resolve("Seammicro").label == "SeaMicro"
    # in Chinese too: a corrected name is shown, the source's spelling stays an alias
    from rdflib.namespace import SKOS

    from kg.names import label_of
    from kg.vocab import RES

    assert label_of(kg.graph, RES.seamicro, "zh") == "SeaMicro"
    assert (RES.seamicro, SKOS.altLabel, Literal("Seammicro", lang="zh")) in kg.graph

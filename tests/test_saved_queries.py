"""Each saved question (kg/queries/*.rq) answers as the article says, and follows the data when it changes."""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from rdflib import Literal, URIRef

from kg import load, run_query, saved_queries
from kg.cli import app
from kg.sparql import PARAM_TYPES, check_query, saved_query
from kgtest import ARTICLE_DATA, with_article, write_ttl

D = Decimal


@pytest.fixture(scope="module")
def kg():
    return load([ARTICLE_DATA])


def short(term):
    """An IRI as its last path segment (res:groq → 'groq'), a literal as its Python value."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return re.split(r"[/#]", str(term))[-1]
    value = term.toPython()
    return str(term) if isinstance(value, Literal) else value


def answer(kg, name, **params):
    result = run_query(kg, name, params=params)
    return [tuple(short(t) for t in row) for row in result.rows]


def column(kg, name, var, **params):
    result = run_query(kg, name, params=params)
    i = result.vars.index(var)
    return [short(row[i]) for row in result.rows]


# --- the library of questions itself -------------------------------------------------------

def test_there_are_at_least_twelve_documented_saved_queries():
    queries = saved_queries()
    assert len(queries) >= 12
    for q in queries:
        assert q.title and len(q.description) > 40, q.name
        checked = check_query(q.text)
        assert checked.kind == "select"
        for p in q.params:
            assert p.type in PARAM_TYPES and p.description, (q.name, p.name)
            assert f"?{p.name}" in q.text, (q.name, p.name)
        for example in q.examples:
            key, _, value = example.partition("=")
            assert key in {p.name for p in q.params}, (q.name, example)


def test_every_saved_query_has_a_test_here():
    tested = {m.group(1).replace("_", "-") for m in re.finditer(r"^def test_q_(\w+)\(", open(__file__).read(), re.M)}
    assert {q.name for q in saved_queries()} <= tested


def test_every_example_runs_and_answers(kg):
    for q in saved_queries():
        for example in q.examples:
            key, _, value = example.partition("=")
            assert len(run_query(kg, q, params={key: value})) > 0, (q.name, example)


def test_a_store_answers_every_example_as_the_files_do(kg, tmp_path):
    """In a store the bound names are written into the query (Oxigraph then joins from them): same answers."""
    from kg.store import StoreKnowledgeGraph, build_store

    build_store(tmp_path / "store", [ARTICLE_DATA])
    store = StoreKnowledgeGraph(tmp_path / "store")

    def rows(source, query, /, **params):
        return sorted(repr(row) for row in answer(source, query, **params))

    for q in saved_queries():
        for example in q.examples:
            key, _, value = example.partition("=")
            assert rows(store, q.name, **{key: value}) == rows(kg, q.name, **{key: value}), (q.name, example)
    # BOUND(?c) is true; a variable of a subquery keeps the substitution; VALUES of another is no matter.
    for query in ["SELECT ?c ?n WHERE { ?c a chips:Startup BIND(BOUND(?c) AS ?n) }",
                  "SELECT ?c ?n WHERE { { SELECT ?c WHERE { ?c a chips:Startup } } ?c rdfs:label ?n }",
                  "SELECT ?c ?n WHERE { VALUES ?n { 1 } ?c a chips:Startup }"]:
        assert rows(store, query, c="res:groq") == rows(kg, query, c="res:groq") != [], query
    assert rows(store, "investors", company="Groq", investor="Tiger Global") == [
        repr(("groq", "tiger-global-management", "groq-round-2021-04", None, "2021-04", D("300000000.0"),
              "exact", "USD", None))]


# --- one answer, to the byte, whatever the backend and the parameters ----------------------------

@pytest.fixture(scope="module")
def bundled_store(tmp_path_factory):
    """An Oxigraph store built from the bundled data: the same data as the files."""
    from kg.store import build_store

    return build_store(tmp_path_factory.mktemp("bundled") / "store")["path"]


def printed(runner, *args, store=None):
    """Exit code, output and messages of ``kg [--store STORE] sparql ARGS`` (the table's timing left out)."""
    result = runner.invoke(app, [*(["--store", store] if store else []), "sparql", *args])
    return result.exit_code, re.sub(r"(row\(s\)) in [\d.]+ s", r"\1", result.stdout), result.stderr


def runs(q):
    """The parameters each saved question is run with here: none, then each of its examples."""
    return [[]] + [["--param", example] for example in q.examples]


def test_files_and_a_store_print_every_saved_question_alike(runner, bundled_store):
    """The same question, the same bytes: columns, names of rounds and sources, decimals, the order of the rows."""
    for q in saved_queries():
        for params in runs(q):
            for fmt in (["--format", "csv"], ["--format", "json"], []):
                args = ["--name", q.name, *params, *fmt]
                files = printed(runner, *args)
                assert files[0] in (0, 1) and files[1], (args, files)
                assert printed(runner, *args, store=bundled_store) == files, args


def test_a_saved_question_header_is_its_columns_whatever_the_rows(runner, tmp_path):
    """Graphcore's investors are named without their round, Groq's with it: one header, even with no row at all."""
    groq = printed(runner, "--name", "investors", "--param", "company=Groq", "--format", "csv")[1].splitlines()
    graphcore = printed(runner, "--name", "investors", "--param", "company=Graphcore", "--format", "csv")[1]
    assert {row["round"] for row in csv.DictReader(io.StringIO(graphcore))} == {"not stated"}  # no round to name
    assert graphcore.splitlines()[0] == groq[0] and "roundLabel" in groq[0].split(","), (graphcore, groq)
    idle = write_ttl(tmp_path, 'res:idle-capital a chips:InvestmentFirm ; rdfs:label "Idle Capital"@en ; '
                               "prov:wasDerivedFrom src:test-note .")
    nothing = runner.invoke(app, ["--data", str(idle), "sparql", "--name", "investors", "--param",
                                  "investor=Idle Capital", "--format", "csv"])
    assert nothing.exit_code == 1 and nothing.stdout.splitlines() == groq[:1], nothing.stdout
    for q in saved_queries():
        heads = {printed(runner, "--name", q.name, *params, "--format", "csv")[1].splitlines()[0] for params in runs(q)}
        assert len(heads) == 1, (q.name, heads)


def test_every_saved_question_orders_its_rows_by_every_column():
    """Rows tied on the ORDER BY come out in whatever order each engine picks: with every column in it, none tie."""
    for q in saved_queries():
        order = q.text[q.text.rindex("ORDER BY"):]
        unordered = [c for c in check_query(q.text).columns if not re.search(rf"[?$]{c}\b", order)]
        assert not unordered, (q.name, unordered)


# --- one test per saved query, with its answer on the bundled data ------------------------------

def test_q_investors(kg):
    assert answer(kg, "investors", company="Groq") == [
        ("groq", "dan-sundheim", "groq-round-2021-04", None, "2021-04", D(300_000_000), "exact", "USD", None),
        ("groq", "tiger-global-management", "groq-round-2021-04", None, "2021-04", D(300_000_000), "exact", "USD", None),
    ]
    assert answer(kg, "investors", company="Tenstorrent") == [
        ("tenstorrent", "fidelity-management", "tenstorrent-round-2021-05", "C", datetime.date(2021, 5, 20),
         D(200_000_000), "at least", "USD", True),
    ]
    # Named without a round: no round details.
    assert column(kg, "investors", "investor", company="SambaNova") == ["google", "intel", "softbank", "temasek"]
    assert column(kg, "investors", "company", investor="英特尔") == ["sambanova"]
    assert len(answer(kg, "investors")) == 13


def test_q_funding_summary(kg):
    rows = {r[0]: r[1:] for r in answer(kg, "funding-summary")}
    graphcore = rows["graphcore"]
    assert graphcore[:4] + graphcore[5:] == (1, D(450_000_000), "at least", "USD", 6,
                                             D(2_770_000_000), "exact", "USD", datetime.date(2020, 12, 29))
    assert rows["groq"] == (1, D(362_300_000), "exact", "USD", "2021-04", None,
                            D(1_000_000_000), "at least", "USD", "2021-04")  # the dated total, not the earlier one
    assert rows["hailo"][1:3] == (D(223_900_000), "exact") and rows["hailo"][5] == 4
    assert rows["sambanova"][6:9] == (D(5_000_000_000), "at least", "USD")
    assert rows["cerebras"][1] == D(750_000_000) and rows["cerebras"][6] == D(4_000_000_000)
    assert rows["tenstorrent"][6:8] == (D(1_000_000_000), "about")
    assert rows["horizon-robotics"][6:9] == (D(10_000_000_000), "at least", "CNY")
    assert answer(kg, "funding-summary", company="Cerebras")[0][0] == "cerebras"
    assert len(answer(kg, "funding-summary", company="Cerebras")) == 1


def test_q_largest_rounds(kg):
    rows = answer(kg, "largest-rounds")
    assert [(r[1], r[4]) for r in rows] == [
        ("sambanova", D(676_000_000)), ("groq", D(300_000_000)), ("cerebras", D(250_000_000)),
        ("graphcore", D(222_000_000)), ("tenstorrent", D(200_000_000)), ("hailo", D(136_000_000)),
    ]
    assert rows[0][2] == "D" and rows[0][7] == D(5_000_000_000)
    assert rows[1][8] == 2  # Tiger Global and Dan Sundheim
    assert [r[1] for r in answer(kg, "largest-rounds", year="2020")] == ["graphcore"]


def test_q_co_investors(kg):
    assert answer(kg, "co-investors", investor="Tiger Global") == [
        ("tiger-global-management", "dan-sundheim", "groq", True)]
    assert column(kg, "co-investors", "coInvestor", investor="Intel") == ["google", "softbank", "temasek"]
    assert set(column(kg, "co-investors", "sameRound", investor="BMW")) == {False}
    assert len(answer(kg, "co-investors")) == 34  # 5 Graphcore investors: 20, SambaNova's 4: 12, Groq's 2: 2


def test_q_founders(kg):
    assert answer(kg, "founders", company="Cerebras") == [
        ("cerebras", "andrew-feldman", "founded", "seamicro", None, None, None, "amd", "2012", D(357_000_000)),
        ("cerebras", "gary-lauterbach", "founded", "seamicro", None, None, None, "amd", "2012", D(357_000_000)),
    ]
    assert answer(kg, "founders", company="Graphcore") == [
        ("graphcore", "nigel-toon", "founded", "icera", None, None, None, "nvidia", "2011", None),
        ("graphcore", "simon-knowles", None, None, None, None, None, None, None, None),
    ]
    groq = answer(kg, "founders", company="Groq")
    assert [(r[1], r[3], r[6]) for r in groq] == [("douglas-wightman", "google", None),
                                                   ("jonathan-ross", "google", "2016")]
    assert ("sambanova", "rodrigo-liang", "worked at", "oracle", "Employee", "Oracle veteran",
            None, None, None, None) in answer(kg, "founders", company="SambaNova")


def test_q_left_big_tech(kg):
    assert answer(kg, "left-big-tech", company="Google") == [
        ("douglas-wightman", "google", None, None, "founded", "groq", "2017"),
        ("jonathan-ross", "google", "Google TPU core team", "2016", "founded", "groq", "2017"),
    ]
    assert answer(kg, "left-big-tech", company="Intel") == [
        ("jim-keller", "intel", None, "2020-06", "joined", "tenstorrent", "2021-01")]
    everyone = answer(kg, "left-big-tech")
    assert {r[0] for r in everyone} == {"jim-keller", "douglas-wightman", "jonathan-ross", "rodrigo-liang"}
    assert {r[1] for r in everyone if r[0] == "jim-keller"} == {"amd", "apple", "intel", "tesla"}


def test_q_chips(kg):
    assert answer(kg, "chips", foundry="TSMC") == [
        ("wse-2", "cerebras", "tsmc", "process-7nm", "2021-04", 2_600_000_000_000, 850_000, None, None, None),
        ("cardinal-sn10-rdu", "sambanova", "tsmc", "process-7nm", "2021-04", 40_000_000_000, None, None, None,
         D("153.0")),
    ]
    rows = {r[0]: r for r in answer(kg, "chips")}
    assert rows["groqchip"][7:9] == (D("750.0"), D("230.0"))  # 750 TOPS, 230 MB SRAM
    assert rows["hailo-8"][7] == D("26.0") and rows["grayskull"][7] == D("368.0")
    assert rows["gc200"][2:4] == (None, "process-7nm")  # 7 nm, foundry not stated
    assert column(kg, "chips", "chip", developer="Tenstorrent") == ["grayskull", "wormhole"]


def test_q_shared_customers(kg):
    rows = answer(kg, "shared-customers")
    assert [r[:3] for r in rows] == [
        ("argonne-national-laboratory", 3, "cerebras"),
        ("argonne-national-laboratory", 3, "groq"),
        ("argonne-national-laboratory", 3, "sambanova"),
        ("argonne-national-laboratory", 3, "sambanova"),
        ("lawrence-livermore-national-laboratory", 2, "cerebras"),
        ("lawrence-livermore-national-laboratory", 2, "sambanova"),
    ]
    assert [r[3] for r in rows if r[2] == "groq"] == ["groqchip"]  # Argonne modelled SARS-CoV-2 on GroqChip
    # Argonne and SambaNova: two statements, two rows (the Cardinal chip; products since 2020)
    assert [(r[3], r[4]) for r in rows if r[2] == "sambanova"] == [
        (None, "2020"), ("cardinal-sn10-rdu", None), (None, "2020")]


def test_q_partners(kg):
    rows = answer(kg, "partners", company="Hailo")
    assert [(r[1], r[2]) for r in rows if r[1] != "partner"] == [
        ("patents cited by", "alibaba"), ("patents cited by", "ibm"),
        ("patents cited by", "intel"), ("patents cited by", "samsung-electronics")]
    assert {(r[2], r[4]) for r in rows if r[1] == "partner"} == {("foxconn", "2020-10")}
    graphcore = answer(kg, "partners", company="Graphcore")
    assert sorted(((r[2], r[3], r[4]) for r in graphcore), key=str) == [  # Baidu: the alliance; the programme of May 2020
        ("alibaba", "halo", None), ("baidu", "paddlepaddle", "2020-05"), ("baidu", "paddlepaddle", None)]
    assert [(r[1], r[2]) for r in answer(kg, "partners", company="IBM")] == [("cites patents of", "hailo")]


def test_q_timeline(kg):
    assert answer(kg, "timeline", company="Tenstorrent") == [
        ("2016", "tenstorrent", "founded", None, None),
        ("2020", "tenstorrent", "mass production", "grayskull", None),
        (datetime.date(2020, 4, 7), "tenstorrent", "product released", "grayskull", None),
        ("2021-01", "tenstorrent", "joined", "jim-keller", None),
        (datetime.date(2021, 5, 20), "tenstorrent", "funding round", "tenstorrent-round-2021-05", D(200_000_000)),
        (datetime.date(2021, 5, 20), "tenstorrent", "valuation", "tenstorrent-valuation-2021-05", D(1_000_000_000)),
    ]
    seamicro = answer(kg, "timeline", company="SeaMicro")
    assert seamicro == [("2012", "seamicro", "acquired by", "amd", D(357_000_000))]


def test_q_source(kg):
    rows = answer(kg, "source", source="cnbeta")  # words of the source's name are enough
    assert {r[0] for r in rows} == {"cnbeta-2021-12-11-ai-chip-unicorns"}
    # the other source is the announcement a correction cites for Dan Sundheim's fund
    others = [r for r in answer(kg, "source") if r[0] != "cnbeta-2021-12-11-ai-chip-unicorns"]
    assert {(r[0], r[2]) for r in others} == {
        ("groq-2021-04-funding-announcement", "d1-capital-partners"),
        ("groq-2021-04-funding-announcement", "investment-dan-sundheim-groq")}
    acquisitions = [(r[2], r[3]) for r in rows if r[1] == "Acquisition"]
    assert acquisitions == [
        ("acquisition-amd-seamicro",
         "值得一提的是，加里和安德鲁曾经还联合创办了专注于超高密度计算机服务器业务的Seammicro公司，"
         "这家公司在2012年被AMD以高达3.57亿美元的价格收购。"),
        ("acquisition-nvidia-icera",
         "而Graphcore和英伟达的渊源不止于此，Graphcore的创始人Nigel Toon此前创立的芯片公司Icera，于2011年被英伟达收购。"),
    ]
    nodes = {r[2] for r in rows}
    assert {"groq", "jim-keller", "groq-round-2021-04", "correction-seamicro-spelling"} <= nodes
    assert len(nodes) > 150


def test_q_unsourced(kg):
    assert answer(kg, "unsourced") == []


def test_q_people(kg):
    assert answer(kg, "people", person="Jim Keller") == [
        ("jim-keller", "amd", "Employee", None, None, None, None),
        ("jim-keller", "apple", "Employee", None, None, None, None),
        ("jim-keller", "intel", "Employee", None, None, None, "2020-06"),
        ("jim-keller", "tesla", "Employee", None, None, None, None),
        ("jim-keller", "tenstorrent", "ChiefTechnologyOfficer", "CTO and President", None, "2021-01", None),
        ("jim-keller", "tenstorrent", "President", "CTO and President", None, "2021-01", None),
    ]
    assert column(kg, "people", "person", organization="Google") == ["douglas-wightman", "jonathan-ross"]


def test_q_acquisitions(kg):
    assert answer(kg, "acquisitions") == [
        ("nvidia", "icera", "2011", None, None, "nigel-toon"),
        ("amd", "seamicro", "2012", D(357_000_000), "USD", "andrew-feldman"),
        ("amd", "seamicro", "2012", D(357_000_000), "USD", "gary-lauterbach"),
    ]
    assert column(kg, "acquisitions", "acquired", acquirer="AMD") == ["seamicro", "seamicro"]


def test_q_corrections(kg):
    about = column(kg, "corrections", "about")
    assert {"cnbeta-2021-12-11-ai-chip-unicorns", "groq", "gc200", "jim-keller", "seamicro"} <= set(about)
    (row,) = answer(kg, "corrections", about="SeaMicro")
    assert row[2:4] == ("Seammicro公司", "SeaMicro")
    caption = answer(kg, "corrections")[0]
    assert caption[3].startswith("截止2021年12月")  # no English text: the Chinese one is shown


# --- parameters ---------------------------------------------------------------------------------

def test_missing_and_malformed_parameters_are_refused(kg):
    from kg.errors import BadInput

    with pytest.raises(BadInput, match="not a year"):
        run_query(kg, "largest-rounds", params={"year": "last year"})
    with pytest.raises(BadInput, match="no source named"):
        run_query(kg, "source", params={"source": "nowhere-news"})
    assert saved_query("investors").param("company").optional


# --- the answers follow the data -------------------------------------------------------------------

CHANGED = """
res:test-capital a chips:InvestmentFirm ; rdfs:label "Test Capital"@en , "测试资本"@zh ;
    prov:wasDerivedFrom src:test-note .
res:groq-round-test a chips:FundingRound ; rdfs:label "Groq test round"@en ;
    prov:wasDerivedFrom src:test-note ; chips:quote "测试"@zh ;
    chips:fundedCompany res:groq ; chips:series "E" ; chips:amount "900000000"^^xsd:decimal ;
    chips:currency "USD" ; chips:date "2022-03-01"^^xsd:date .
res:investment-test-capital-groq a chips:Investment ; rdfs:label "Test Capital in Groq"@en ;
    prov:wasDerivedFrom src:test-note ; chips:quote "测试"@zh ;
    chips:investor res:test-capital ; chips:round res:groq-round-test ; chips:isLead true .
res:deployment-test-lab-hailo a chips:Deployment ; rdfs:label "A test lab uses Hailo and Groq"@en ;
    chips:quote "测试"@zh ; chips:customer res:test-lab ; chips:supplier res:hailo .
res:deployment-test-lab-groq a chips:Deployment ; rdfs:label "A test lab uses Groq"@en ;
    prov:wasDerivedFrom src:test-note ; chips:quote "测试"@zh ; chips:customer res:test-lab ; chips:supplier res:groq .
res:test-lab a chips:ResearchLab ; rdfs:label "Test Lab"@en , "测试实验室"@zh ; prov:wasDerivedFrom src:test-note .
"""


def test_a_changed_data_file_changes_the_answers(tmp_path):
    changed = load(with_article(tmp_path, CHANGED))
    investors = answer(changed, "investors", company="Groq")
    assert investors[0] == ("groq", "test-capital", "groq-round-test", "E", datetime.date(2022, 3, 1),
                            D(900_000_000), "exact", "USD", True)
    assert answer(changed, "largest-rounds")[0][:2] == ("groq-round-test", "groq")
    assert [r[1] for r in answer(changed, "largest-rounds", year="2022")] == ["groq"]
    shared = [r for r in answer(changed, "shared-customers") if r[0] == "test-lab"]
    assert [(r[1], r[2]) for r in shared] == [(2, "groq"), (2, "hailo")]
    # One deployment above lacks its source: the provenance check finds exactly it.
    assert answer(changed, "unsourced") == [("deployment-test-lab-hailo", "Deployment", "no prov:wasDerivedFrom")]
    assert answer(load(), "unsourced") == []

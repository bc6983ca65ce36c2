"""The SPARQL library (kg.sparql) and the `kg sparql` / `kg queries` commands, on the bundled data."""

import csv
import io
import json
import threading
import time
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg import load, run_query, saved_queries
from kg.cli import app
from kg.errors import BadInput, QueryError, QueryRefused, QueryTimeout, UnknownEntity
from kg.sparql import (
    TooManyRows,
    check_query,
    format_for_path,
    parse_term,
    resolve_format,
    serialize,
    unknown_terms,
)
from kg.vocab import CHIPS, RES
from kgtest import write_ttl

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def kg():
    return load()


# --- checking queries ------------------------------------------------------------

def test_a_syntax_error_names_line_and_column():
    text = "SELECT ?c\nWHERE {\n  ?c a chips:Startup ;\n     chips:foundingDate ?d\n"
    with pytest.raises(QueryError, match=r"^line 4, column 27: expected '\}'"):
        check_query(text)
    with pytest.raises(QueryError, match=r"^line 2, column 9: unterminated string"):
        check_query('SELECT *\nWHERE { "open ?s ?p ?o }')
    with pytest.raises(QueryError, match=r"^line 1, column 40: unknown prefix 'foo:'"):
        check_query("SELECT ?s WHERE { ?s a chips:Startup ; foo:bar ?o }")


@pytest.mark.parametrize("update", [
    "INSERT DATA { res:x a chips:Startup }",
    "DELETE DATA { res:groq a chips:Startup }",
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/>\nINSERT { ?s ex:p 1 } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP DEFAULT",
    "CREATE GRAPH <http://example.org/g>",
    "INSERT DATA { res:x a }",  # a malformed update is still an update
])
def test_updates_are_refused(update):
    with pytest.raises(QueryRefused, match="SPARQL Update"):
        check_query(update)


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://example.org/> { ?s ?q ?r } } }",
    "ASK { FILTER EXISTS { SERVICE <http://example.org/> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://example.org/> { ?s ?p ?o } } } }",
])
def test_service_is_refused_wherever_it_hides(query):
    with pytest.raises(QueryRefused, match="SERVICE .*refused"):
        check_query(query)


@pytest.mark.parametrize("query,keyword", [
    ("SELECT * FROM <http://example.org/data.ttl> WHERE { ?s ?p ?o }", "FROM"),
    ("SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM NAMED"),
])
def test_datasets_are_refused(query, keyword):
    with pytest.raises(QueryRefused, match=f"^{keyword} <http://example.org/"):
        check_query(query)


def test_check_query_reports_the_kind_and_variables():
    checked = check_query("CONSTRUCT { ?s a chips:Startup } WHERE { ?s a chips:Startup }")
    assert (checked.kind, checked.variables) == ("construct", frozenset({"s"}))
    assert check_query("DESCRIBE res:groq").kind == "describe"
    with pytest.raises(QueryError, match="empty"):
        check_query("   \n")


# --- running queries ---------------------------------------------------------------

def test_prefixes_are_predeclared_and_a_query_own_prefix_wins(kg):
    assert run_query(kg, "ASK { res:groq a chips:Startup }").boolean is True
    own = "PREFIX res: <http://example.org/> ASK { res:groq a chips:Startup }"
    assert run_query(kg, own).boolean is False
    # schema: is http://schema.org/ as in the ontology, not rdflib's https default
    r = run_query(kg, "SELECT ?x WHERE { BIND(schema:funder AS ?x) }")
    assert r.rows == [(URIRef("http://schema.org/funder"),)]


def test_select_returns_variables_and_rows(kg):
    r = run_query(kg, """
        SELECT ?chip ?transistors WHERE { ?chip chips:foundry res:tsmc ; chips:transistorCount ?transistors }
        ORDER BY DESC(?transistors)""")
    assert r.kind == "select" and r.vars == ["chip", "transistors"]
    assert r.records() == [
        {"chip": str(RES["wse-2"]), "transistors": 2_600_000_000_000},
        {"chip": str(RES["cardinal-sn10-rdu"]), "transistors": 40_000_000_000},
    ]
    assert len(r) == 2 and not r.empty


def test_construct_and_describe_return_graphs(kg):
    r = run_query(kg, "CONSTRUCT { ?c chips:foundry res:tsmc } WHERE { ?c chips:foundry res:tsmc }")
    assert r.is_graph and len(r.graph) == 2
    d = run_query(kg, "DESCRIBE res:groqchip")
    assert d.kind == "describe"
    assert d.graph.value(RES.groqchip, CHIPS.sramMegabytes).toPython() == 230
    assert d.graph.value(RES.groqchip, CHIPS.developer) == RES.groq


def test_params_bind_variables_of_a_text_query(kg):
    r = run_query(kg, "SELECT ?label WHERE { ?c rdfs:label ?label FILTER(lang(?label) = 'zh') }",
                  params={"c": "res:nvidia"})
    assert r.column("label") == ["英伟达"]
    r = run_query(kg, "SELECT ?c WHERE { ?c chips:foundry ?fab }", params={"fab": RES.tsmc})
    assert len(r) == 2
    with pytest.raises(BadInput, match=r"no variable \?company"):
        run_query(kg, "SELECT ?c WHERE { ?c a chips:Startup }", params={"company": "res:groq"})


def test_parse_term_reads_iris_numbers_and_text():
    assert parse_term("<http://example.org/x>") == URIRef("http://example.org/x")
    assert parse_term("res:groq") == RES.groq
    assert parse_term("2021").toPython() == 2021
    assert parse_term("Groq") == Literal("Groq")
    assert parse_term('"x"@en') == Literal("x", lang="en")


def test_a_slow_query_is_stopped_at_the_time_limit_and_its_thread_ends(kg):
    before = set(threading.enumerate())  # other tests' threads may end meanwhile: watch only new ones
    start = time.monotonic()
    with pytest.raises(QueryTimeout, match="time limit of 0.5 s"):
        run_query(kg, SLOW, timeout=0.5)
    assert time.monotonic() - start < 3
    deadline = time.monotonic() + 3
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(threading.enumerate()) - before  # the query thread was stopped, not left running
    assert run_query(kg, "ASK { res:groq ?p ?o }", timeout=5).boolean


def test_the_row_cap(kg):
    with pytest.raises(TooManyRows, match="more than 10 rows"):
        run_query(kg, "SELECT * WHERE { ?s ?p ?o }", max_rows=10)
    with pytest.raises(TooManyRows, match="more than 3 triples"):
        run_query(kg, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", max_rows=3)
    assert len(run_query(kg, "SELECT * WHERE { ?s ?p ?o } LIMIT 10", max_rows=10)) == 10


def test_a_changed_data_file_changes_the_answer(tmp_path):
    query = "SELECT ?c WHERE { ?c chips:foundry res:tsmc } ORDER BY ?c"
    assert len(run_query(load(), query)) == 2
    extra = write_ttl(tmp_path, """
res:test-chip a chips:Chip ; rdfs:label "Test chip"@en , "测试芯片"@zh ;
    prov:wasDerivedFrom src:test-note ; chips:foundry res:tsmc .
res:tsmc a chips:Foundry ; rdfs:label "TSMC"@en , "台积电"@zh ; prov:wasDerivedFrom src:test-note .
""")
    r = run_query(load([extra]), query)
    assert r.column("c") == [str(RES["test-chip"])]


# --- serialising -------------------------------------------------------------------

@pytest.fixture(scope="module")
def table(kg):
    return run_query(kg, """
        SELECT ?c ?name ?founded WHERE {
          VALUES ?c { res:groq res:hailo }
          ?c rdfs:label ?name FILTER(lang(?name) = "zh")
          OPTIONAL { ?c chips:nothing ?founded }
        } ORDER BY ?c""")


def test_json_is_the_w3c_results_format(table, kg):
    doc = json.loads(serialize(table, "json"))
    assert doc["head"]["vars"] == ["c", "name", "founded"]
    first = doc["results"]["bindings"][0]
    assert first["c"] == {"type": "uri", "value": str(RES.groq)}
    assert first["name"]["type"] == "literal" and first["name"]["xml:lang"] == "zh"
    assert "founded" not in first  # unbound variables are left out
    ask = json.loads(serialize(run_query(kg, "ASK { res:nothing ?p ?o }"), "json"))
    assert ask == {"head": {}, "boolean": False}


def test_xml_is_the_w3c_results_format(table, kg):
    root = ET.fromstring(serialize(table, "xml"))
    assert root.tag == f"{RESULTS_NS}sparql"
    names = [v.get("name") for v in root.iter(f"{RESULTS_NS}variable")]
    assert names == ["c", "name", "founded"]
    uris = [u.text for u in root.iter(f"{RESULTS_NS}uri")]
    assert uris == [str(RES.groq), str(RES.hailo)]
    ask = ET.fromstring(serialize(run_query(kg, "ASK { res:groq ?p ?o }"), "xml"))
    assert ask.find(f"{RESULTS_NS}boolean").text == "true"


def test_csv_and_tsv(table):
    rows = list(csv.reader(io.StringIO(serialize(table, "csv").decode())))
    assert rows[0] == ["c", "name", "founded"]
    assert rows[1][0] == str(RES.groq) and rows[1][2] == ""
    tsv = serialize(table, "tsv").decode().splitlines()
    assert tsv[0] == "?c\t?name\t?founded"
    assert tsv[1].startswith(f"<{RES.groq}>\t\"") and tsv[1].endswith('"@zh\t')


@pytest.mark.parametrize("fmt,rdflib_format", [("turtle", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"),
                                               ("rdfxml", "xml")])
def test_graph_formats_parse_back_to_the_same_graph(kg, fmt, rdflib_format):
    r = run_query(kg, "CONSTRUCT { res:groqchip ?p ?o } WHERE { res:groqchip ?p ?o }")
    back = Graph().parse(data=serialize(r, fmt), format=rdflib_format)
    assert len(back) == len(r.graph) > 5 and isomorphic(back, r.graph)


def test_formats_must_fit_the_kind_of_query():
    assert resolve_format("construct", "json") == "jsonld" and resolve_format("ask", "xml") == "xml"
    with pytest.raises(BadInput, match="does not fit a SELECT"):
        resolve_format("select", "turtle")
    with pytest.raises(BadInput, match="does not fit a CONSTRUCT"):
        resolve_format("construct", "csv")
    with pytest.raises(BadInput, match="unknown"):
        resolve_format("select", "yaml")
    assert format_for_path("a/b.TTL") == "turtle" and format_for_path("x.txt") is None


# --- saved queries through the library -----------------------------------------------

def test_run_query_takes_a_saved_query_by_name_and_resolves_entity_names(kg):
    by_chinese = run_query(kg, "investors", params={"company": "拟未科技"})
    assert len(by_chinese) == 5 and set(by_chinese.column("company")) == {str(RES.graphcore)}
    with pytest.raises(UnknownEntity):
        run_query(kg, "investors", params={"company": "Nobody Such Inc"})
    with pytest.raises(BadInput, match="no parameter 'firm'"):
        run_query(kg, "investors", params={"firm": "Groq"})
    assert len(saved_queries()) >= 12


# --- the `kg sparql` command -----------------------------------------------------------

def test_a_misspelt_ontology_term_is_named_with_the_right_one(runner):
    """A typo in a chips: term finds nothing: the answer says why, whatever the query's shape."""
    typo = runner.invoke(app, ["sparql", "SELECT ?i WHERE { ?i chips:investedInn res:groq }"])
    assert typo.exit_code == 1, typo.output
    assert ("Warning: chips:investedInn is not a term of the ontology, so it matches nothing "
            "(did you mean chips:investedIn?)") in typo.stderr
    hidden = check_query("SELECT ?c WHERE { ?c (chips:foundryy|^chips:investedIn)* ?x . "
                         "FILTER NOT EXISTS { ?c a chips:Strtup } }")
    assert [m.split(" is ")[0] for m in unknown_terms(hidden)] == ["chips:Strtup", "chips:foundryy"]
    right = runner.invoke(app, ["sparql", "SELECT ?i WHERE { ?i chips:investedIn res:groq }"])
    assert right.exit_code == 0 and "Warning" not in right.stderr
    other = check_query("PREFIX chips: <http://example.org/> SELECT ?i WHERE { ?i chips:investedInn ?c }")
    assert unknown_terms(other) == []  # chips: named another namespace: not the ontology's


def test_cli_table_shows_names_and_ids_on_request(runner):
    result = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c chips:foundry res:tsmc } ORDER BY ?c"])
    assert result.exit_code == 0, result.output
    assert "WSE-2" in result.stdout and "res:wse-2" not in result.stdout
    assert "Cardinal SN10 RDU" in result.stdout and "2 row(s)" in result.stdout
    ids = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c chips:foundry res:tsmc } ORDER BY ?c", "--ids"])
    assert "res:wse-2" in ids.stdout and "WSE-2" not in ids.stdout.replace("res:wse-2", ""), ids.output


@pytest.mark.parametrize("fmt,check", [
    ("csv", lambda out: out.splitlines()[0] == "c"),
    ("tsv", lambda out: out.splitlines()[0] == "?c"),
    ("json", lambda out: json.loads(out)["head"]["vars"] == ["c"]),
    ("xml", lambda out: ET.fromstring(out.encode()).tag == f"{RESULTS_NS}sparql"),
])
def test_cli_result_formats(runner, fmt, check):
    result = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c chips:foundry res:tsmc }", "--format", fmt])
    assert result.exit_code == 0, result.output
    assert check(result.stdout) and "wse-2" in result.stdout


def test_cli_json_flag_is_format_json(runner):
    a = runner.invoke(app, ["sparql", "ASK { res:groq a chips:Startup }", "--json"])
    b = runner.invoke(app, ["sparql", "ASK { res:groq a chips:Startup }", "--format", "json"])
    assert a.exit_code == b.exit_code == 0, a.output
    assert json.loads(a.stdout) == json.loads(b.stdout) == {"head": {}, "boolean": True}


def test_cli_graph_formats(runner):
    query = "CONSTRUCT { res:hailo-8 ?p ?o } WHERE { res:hailo-8 ?p ?o }"
    for fmt, rdflib_format in (("turtle", "turtle"), ("jsonld", "json-ld"), ("nt", "nt")):
        result = runner.invoke(app, ["sparql", query, "--format", fmt])
        assert result.exit_code == 0, result.output
        assert len(Graph().parse(data=result.stdout, format=rdflib_format)) > 5
    plain = runner.invoke(app, ["sparql", query])
    assert plain.exit_code == 0 and "res:hailo-8" in plain.stdout  # Turtle in the terminal


def test_cli_reads_a_file_stdin_and_a_saved_query(runner, tmp_path):
    q = tmp_path / "q.rq"
    q.write_text("SELECT ?c WHERE { ?c chips:foundry res:tsmc }", encoding="utf-8")
    from_file = runner.invoke(app, ["sparql", "--file", str(q), "--format", "csv"])
    from_stdin = runner.invoke(app, ["sparql", "-", "--format", "csv"], input=q.read_text())
    assert from_file.exit_code == from_stdin.exit_code == 0, from_file.output
    assert from_file.stdout == from_stdin.stdout and len(from_file.stdout.splitlines()) == 3
    saved = runner.invoke(app, ["sparql", "--name", "investors", "--param", "company=Groq", "--format", "csv"])
    assert saved.exit_code == 0, saved.output
    assert [row[2:4] for row in csv.reader(io.StringIO(saved.stdout))][1:] == [  # each id beside its name
        [str(RES["dan-sundheim"]), "Dan Sundheim"], [str(RES["tiger-global-management"]), "Tiger Global Management"]]
    assert "?company = Groq (res:groq)" in saved.stderr


def test_cli_output_file_is_written_atomically_in_the_suffix_format(runner, tmp_path):
    target = tmp_path / "answer.csv"
    target.write_text("old content that must be replaced whole\n")
    result = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c chips:foundry res:tsmc }", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text().splitlines()[0] == "c" and "Wrote 2 rows" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["answer.csv"]  # no temporary file left behind
    bad = runner.invoke(app, ["sparql", "ASK {}", "-o", str(tmp_path / "answer.txt")])
    assert bad.exit_code == 2 and "--format" in bad.stderr


def test_cli_errors_are_one_line_with_the_documented_exit_codes(runner):
    syntax = runner.invoke(app, ["sparql", "SELECT ?c WHERE {\n ?c a chips:Startup"])
    assert syntax.exit_code == 2 and syntax.stderr.startswith("Error: line 2, column")
    refused = runner.invoke(app, ["sparql", "DELETE WHERE { ?s ?p ?o }"])
    assert refused.exit_code == 2 and "refused" in refused.stderr
    slow = runner.invoke(app, ["sparql", SLOW, "--timeout", "0.5"])
    assert slow.exit_code == 1 and "time limit" in slow.stderr
    wrong = runner.invoke(app, ["sparql", "SELECT * WHERE { ?s ?p ?o }", "--format", "turtle"])
    assert wrong.exit_code == 2 and "does not fit a SELECT" in wrong.stderr
    both = runner.invoke(app, ["sparql", "ASK {}", "--name", "investors"])
    assert both.exit_code == 2 and "exactly one" in both.stderr
    missing = runner.invoke(app, ["sparql", "--name", "investor"])
    assert missing.exit_code == 2 and "did you mean: investors" in missing.stderr
    for r in (syntax, refused, slow, wrong, both, missing):
        assert "Traceback" not in r.output and len(r.stderr.strip().splitlines()) == 1


def test_cli_an_empty_result_says_so_and_exits_1(runner):
    result = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c a chips:Startup FILTER(STR(?c) = \"none\") }"])
    assert result.exit_code == 1, result.output  # nothing found: exit 1, as every command
    assert "No results" in result.stdout
    csv = runner.invoke(app, ["sparql", "SELECT ?c WHERE { ?c a chips:Startup FILTER(STR(?c) = \"none\") }", "--format", "csv"])
    assert csv.exit_code == 1 and csv.stdout.split() == ["c"], csv.output
    ask = runner.invoke(app, ["sparql", "ASK { res:groq a chips:Foundry }"])
    assert ask.exit_code == 0 and ask.stdout.strip() == "false", ask.output


def test_cli_data_option_changes_the_answer(runner, tmp_path):
    extra = write_ttl(tmp_path, """
res:test-fab a chips:Foundry ; rdfs:label "Test Fab"@en , "测试代工厂"@zh ; prov:wasDerivedFrom src:test-note .
""")
    query = "SELECT ?f WHERE { ?f a chips:Foundry }"
    bundled = runner.invoke(app, ["sparql", query, "--format", "csv"])
    changed = runner.invoke(app, ["--data", str(extra), "sparql", query, "--format", "csv"])
    assert bundled.exit_code == changed.exit_code == 0, changed.output
    assert bundled.stdout.split() == ["f", str(RES.tsmc)]
    assert sorted(changed.stdout.split()) == sorted(["f", str(RES["test-fab"]), str(RES.tsmc)])  # added to the bundled data
    alone = runner.invoke(app, ["--no-bundled", "--data", str(extra), "sparql", query, "--format", "csv"])
    assert alone.stdout.split() == ["f", str(RES["test-fab"])], alone.output


# --- the `kg queries` command ---------------------------------------------------------------

def test_cli_queries_lists_and_shows(runner):
    listing = runner.invoke(app, ["queries"])
    assert listing.exit_code == 0, listing.output
    for q in saved_queries():
        assert q.name in listing.stdout
    shown = runner.invoke(app, ["queries", "investors"])
    assert shown.exit_code == 0 and "SELECT ?company ?investor" in shown.stdout
    assert "--param company=" in shown.stdout
    as_json = json.loads(runner.invoke(app, ["queries", "--json"]).stdout)
    assert len(as_json) >= 12 and {"name", "title", "description", "params", "text"} <= set(as_json[0])


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """One small data set on both local backends: files, and a store built from them."""
    from kg.store import StoreKnowledgeGraph, build_store

    folder = tmp_path_factory.mktemp("twins")
    turtle = write_ttl(folder, """
res:test-chip a chips:Chip ; rdfs:label "Test chip"@en ; prov:wasDerivedFrom src:test-note ;
    chips:foundry res:tsmc ; chips:developer res:groq ;
    chips:topsTera "300000000"^^xsd:decimal , 2.50 , 010.0 , -0.00 .
""")
    jsonld = folder / "more.jsonld"  # read by rdflib's parser (Oxigraph's reads Turtle and N-Triples)
    jsonld.write_text(json.dumps({"@id": RES["test-chip"], str(CHIPS.sramMegabytes): {
        "@value": "7.50", "@type": "http://www.w3.org/2001/XMLSchema#decimal"}}), encoding="utf-8")
    data = [turtle, jsonld]
    return load(data, cache=False), StoreKnowledgeGraph(build_store(folder / "store", data)["path"])


def test_a_decimal_prints_the_same_from_files_and_a_store(twins):
    """A store keeps a decimal's value, not its text: both write its canonical text, however a file spells it."""
    files, store = twins
    query = ("SELECT ?v (?v * 1.0 AS ?w) WHERE { res:test-chip ?p ?v FILTER(DATATYPE(?v) = xsd:decimal) } "
             "ORDER BY ?v")
    written = serialize(run_query(files, query), "json")
    assert serialize(run_query(store, query), "json") == written
    rows = json.loads(written)["results"]["bindings"]
    assert [r["v"]["value"] for r in rows] == ["0.0", "2.5", "7.5", "10.0", "300000000.0"]
    assert [r["w"]["value"] for r in rows] == ["0.0", "2.5", "7.5", "10.0", "300000000.0"]  # 2.5 * 1.0: not 2.50


def test_select_star_has_the_same_columns_on_every_backend(twins):
    """SPARQL leaves SELECT *'s order open (rdflib's changes from run to run): sorted, and only what is in scope."""
    query = ("SELECT * WHERE { ?chip chips:foundry ?fab ; rdfs:label ?name ; chips:developer ?maker "
             "FILTER NOT EXISTS { ?chip chips:processNode ?node } MINUS { ?chip chips:coreCount ?cores } }")
    for kg in twins:
        result = run_query(kg, query)
        assert result.vars == ["chip", "fab", "maker", "name"] and len(result) == 1, result.vars
        assert serialize(result, "csv").decode().splitlines()[0] == "chip,fab,maker,name"


def test_a_store_select_in_json_is_written_from_oxigraph_as_from_rdflib_terms(tmp_path):
    """The endpoint's fast JSON for a store's SELECT (select_json) is the same bytes as serialize(execute(...))."""
    from kg.server import answer
    from kg.sparql import execute
    from kg.sparql.formats import select_json
    from kg.store import StoreKnowledgeGraph, build_store

    data = write_ttl(tmp_path, """
res:test-chip a chips:Chip ; rdfs:label "Test chip"@en , "测试芯片"@zh , "tab\\there" ;
    prov:wasDerivedFrom src:test-note ; chips:amount 10.0 , 2.50 ; chips:date "2020-01-01"^^xsd:date ;
    chips:note "x"^^xsd:string , "01"^^xsd:integer , true , 2.5e3 , _:b .
""")
    store = StoreKnowledgeGraph(build_store(tmp_path / "store", [data])["path"])
    queries = ["SELECT ?p ?o WHERE { res:test-chip ?p ?o } ORDER BY ?p ?o",
               "SELECT ?s ?o ?none WHERE { ?s rdfs:label ?o OPTIONAL { ?s chips:nothing ?none } } ORDER BY ?s ?o",
               "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"]
    for query in queries:
        checked = check_query(query)
        rdflib_written = serialize(execute(store, checked), "json")
        assert select_json(store, checked) == rdflib_written
        assert answer(store, query, accept="application/sparql-results+json").body == rdflib_written
    amounts = json.loads(select_json(store, check_query("SELECT ?a WHERE { ?c chips:amount ?a } ORDER BY ?a")))
    assert [b["a"]["value"] for b in amounts["results"]["bindings"]] == ["2.5", "10.0"]  # Oxigraph writes "10"
    with pytest.raises(TooManyRows, match="more than 3 rows"):
        select_json(store, check_query(queries[0]), max_rows=3)
    assert select_json(load(), check_query(queries[0])) is None  # files: serialize the result instead


# --- bad input in one line, nothing from rdflib's internals ------------------------

def _rdflib_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("rdflib")]


@pytest.mark.parametrize("digits", [4_301, 5_000])
def test_an_integer_too_long_to_read_is_one_line_of_bad_input(kg, caplog, runner, digits):
    query = f"SELECT ?x {{ BIND({'1' * digits} AS ?x) }}"
    with pytest.raises(QueryError, match=f"an integer of {digits:,} digits; at most 4,300 are read"):
        run_query(kg, query)
    result = runner.invoke(app, ["sparql", query])
    assert result.exit_code == 2 and "Traceback" not in result.output and "ValueError" not in result.output
    from kg.server import answer

    reply = answer(kg, query, timeout=10)  # the endpoint: 400 in one line, parsed in its query thread
    assert reply.status == 400 and reply.body.decode().count("\n") == 1 and b"digits" in reply.body
    assert _rdflib_logged(caplog) == []
    assert run_query(kg, f"SELECT ?x {{ BIND({'1' * 4_300} AS ?x) }}").rows[0][0] == Literal(int("1" * 4_300))


def test_graph_patterns_match_nothing_in_loaded_files_as_in_a_store(kg, tmp_path):
    from kg.store import StoreKnowledgeGraph, build_store

    build_store(tmp_path / "store", [write_ttl(tmp_path, "res:a rdfs:label \"A\" .")])
    store = StoreKnowledgeGraph(tmp_path / "store")
    for query in ["SELECT * WHERE { GRAPH <http://127.0.0.1:8799/g> { ?s ?p ?o } }",
                  "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"]:
        assert run_query(kg, query).rows == run_query(store, query).rows == []
    optional = "SELECT ?s WHERE { ?s a chips:Startup OPTIONAL { GRAPH ?g { ?s ?p ?o } } }"
    assert len(run_query(kg, optional).rows) == len(set(kg.graph.subjects(URIRef(RDF_TYPE), CHIPS.Startup))) > 0


@pytest.mark.parametrize("value", ["<http://x> } <y>", "<http://x> } { ?s ?p ?o } <y>", "http://x>}{<y"])
def test_a_parameter_that_is_no_iri_is_one_line_of_bad_input(kg, caplog, value):
    with pytest.raises(BadInput, match="is not an IRI"):
        run_query(kg, "SELECT ?s WHERE { ?s ?p ?o }", params={"s": value})
    with pytest.raises(BadInput, match="is not an IRI"):
        run_query(kg, "source", params={"source": value})
    assert _rdflib_logged(caplog) == []

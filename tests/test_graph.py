"""Loading, provenance, validation, name lookup and the info/validate/entity commands."""

import json
import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, BNode, Graph
from rdflib.namespace import PROV
from typer.testing import CliRunner

from kg import load
from kg.bundled import ONTOLOGY
from kg.cli import app
from kg.errors import AmbiguousEntity, DataError, UnknownEntity
from kg.facts import relation_classes
from kg.loader import data_files
from kg.vocab import CHIPS, RES
from kgtest import ARTICLE_DATA, with_article, write_ttl

runner = CliRunner()
ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "sources" / "000_96605f83e1fe8489.txt"


@pytest.fixture(scope="module")
def kg():
    return load([ARTICLE_DATA])


def invoke(*args, **kwargs):
    return runner.invoke(app, list(args), **kwargs)


# --- files and provenance ------------------------------------------------------

@pytest.mark.parametrize("path", data_files(), ids=lambda p: p.name)
def test_every_data_file_parses_without_blank_nodes(path):
    g = Graph().parse(path)
    assert len(g) > 0
    assert not [t for t in g if any(isinstance(x, BNode) for x in t)]


def test_every_entity_cites_its_source_and_has_english_and_chinese_labels(kg):
    g = kg.graph
    missing = []
    for iri in kg.names.entities:
        langs = {getattr(l, "language", None) for l in g.objects(iri, RDFS.label)}
        if not {"en", "zh"} <= langs or (iri, PROV.wasDerivedFrom, None) not in g:
            missing.append(str(iri))
    assert not missing
    assert len(kg.names) > 80


def test_every_relation_keeps_its_quote_and_source(kg):
    g = kg.graph
    classes = relation_classes(g)
    relations = {s for c in classes for s in g.subjects(RDF.type, c)}
    assert len(relations) > 80
    for node in relations:
        assert (node, PROV.wasDerivedFrom, None) in g, node
        assert (node, CHIPS.quote, None) in g, node


@pytest.mark.skipif(not ARTICLE.exists(), reason=f"article not found at {ARTICLE}")
def test_quotes_are_verbatim_from_the_article(kg):
    text = re.sub(r"<[^>]+>", "", ARTICLE.read_text(encoding="utf-8"))
    text = re.sub(r"\s+", "", text)
    quotes = {str(q) for q in kg.graph.objects(None, CHIPS.quote)}
    not_found = [q for q in quotes if re.sub(r"\s+", "", q) not in text]
    assert not not_found, not_found[:3]


def test_shortcuts_are_derived_not_typed_by_hand(kg):
    shortcuts = set(kg.graph.objects(None, CHIPS.shortcut))
    for path in data_files():
        g = Graph().parse(path)
        assert not [p for p in g.predicates() if p in shortcuts], path
    assert (RES.softbank, CHIPS.investedIn, RES.sambanova) in kg.graph
    assert (RES.nvidia, CHIPS.acquired, RES.icera) in kg.graph
    assert kg.derived > 50


def test_vocabulary_module_matches_the_ontology():
    from kg.vocab_gen import ontology_terms, render, TARGET

    assert TARGET.read_text(encoding="utf-8") == render(ontology_terms()), "run: python -m kg.vocab_gen"
    with pytest.raises(AttributeError):
        CHIPS.foundedby  # a typo raises instead of minting a new IRI


# --- validation ----------------------------------------------------------------

def test_bundled_data_conforms():
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_shape_violation_is_reported(tmp_path):
    bad = write_ttl(tmp_path, """
res:bad-round a chips:FundingRound ; rdfs:label "A round without company or currency"@en ;
    chips:amount 5.0 ; chips:quote "x"@en ; prov:wasDerivedFrom src:test-note .
res:nameless a chips:Person ; rdfs:label "无名"@zh ; prov:wasDerivedFrom src:test-note .
""")
    result = invoke("--data", str(bad), "validate", "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["conforms"] is False
    messages = " | ".join(v["message"] for v in report["violations"])
    assert "exactly one company" in messages
    assert "currency" in messages
    assert "English rdfs:label" in messages
    assert {v["focus"] for v in report["violations"]} >= {"res:bad-round", "res:nameless"}
    # each shape named as shapes.ttl names it, an unnamed property shape by its node shape and path
    assert {"shapes:FundingRound (chips:fundedCompany)", "shapes:Entity (rdfs:label)"} <= {
        v["shape"] for v in report["violations"]}, report["violations"]


def test_a_bad_value_is_reported_as_written(tmp_path, caplog):
    bad = write_ttl(tmp_path, 'res:cerebras chips:foundingDate "May 2016" .')
    result = invoke("--data", str(bad), "validate", "--json")
    assert result.exit_code == 1, result.output
    assert "does not look like a valid URI" not in caplog.text  # rdflib's, when a value is read as an IRI
    violations = json.loads(result.output)["violations"]
    assert ('"May 2016"', "shapes:PartialDate") in {(v["focus"], v["shape"]) for v in violations}, violations
    assert ("res:cerebras", "chips:foundingDate") in {(v["focus"], v["path"]) for v in violations}, violations


@pytest.mark.parametrize("backend", ["files", "store"])
def test_a_shortcut_stated_alone_is_reported_and_left_out(tmp_path, backend):
    """``res:acme chips:investedIn res:groq`` with no chips:Investment node: validate and every load say the
    network leaves it out; with a node behind it, the same triple is fine and the path exists."""
    acme = 'res:acme a chips:InvestmentFirm ; rdfs:label "Acme Ventures"@en ; prov:wasDerivedFrom src:test-note .\n'
    node = ('res:investment-acme-groq a chips:Investment ; rdfs:label "Acme invested in Groq"@en ; chips:investor '
            'res:acme ; chips:investee res:groq ; chips:quote "Acme backs Groq"@en ; prov:wasDerivedFrom src:test-note .\n')
    stated = "res:acme chips:investedIn res:groq .\n"

    def run(body, *args):
        paths = with_article(tmp_path, acme + body)
        data = [a for p in paths for a in ("--data", str(p))]
        if backend == "files":
            return invoke(*data, *args)
        store = tmp_path / f"store-{len(body)}"
        built = invoke(*data, "load", "--store", str(store), "--force")
        assert built.exit_code == 0, built.output
        return invoke("--store", str(store), *args)

    report = run(stated, "validate", "--json")
    assert report.exit_code == 1, report.output
    found = [v for v in json.loads(report.stdout)["violations"] if v["shape"] == "chips-kg:relation-node"]
    assert [(v["focus"], v["path"]) for v in found] == [("res:acme", "chips:investedIn")], found
    assert "no chips:Investment node behind it" in found[0]["message"]
    if backend == "files":  # a store says it once, when it is built
        missing = run(stated, "path", "Acme Ventures", "Groq")
        assert missing.exit_code == 1 and "is stated directly" in missing.stderr, missing.output
    backed = run(stated + node, "validate", "--json")
    assert backed.exit_code == 0, backed.output
    assert run(stated + node, "path", "Acme Ventures", "Groq").exit_code == 0


# --- loading errors and data selection -----------------------------------------

def test_malformed_turtle_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text('@prefix ex: <http://ex/> .\nex:a ex:b ex:c .\nex:d ex:e "unterminated .\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.ttl:3:\d+: malformed RDF"):
        load([bad])
    result = invoke("--data", str(bad), "info")
    assert result.exit_code == 2
    assert "broken.ttl:3:" in result.output and "Traceback" not in result.output


def test_a_bad_file_loads_nothing(tmp_path):
    good = write_ttl(tmp_path, 'res:x a chips:Person ; rdfs:label "X"@en ; prov:wasDerivedFrom src:test-note .', "a.ttl")
    (tmp_path / "b.ttl").write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(DataError, match="b.ttl"):
        load([tmp_path])
    assert load([good]).names.resolve("X").iri == RES.x


def test_missing_path_is_bad_input():
    result = invoke("--data", "/no/such/place.ttl", "info")
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def test_kg_data_environment_variable(tmp_path, monkeypatch):
    extra = write_ttl(tmp_path, 'res:only-one a chips:Person ; rdfs:label "Only One"@en , "唯一"@zh ; prov:wasDerivedFrom src:test-note .')
    bundled = json.loads(invoke("info", "--json").output)["entities"]
    monkeypatch.setenv("KG_DATA", str(extra))
    result = invoke("info", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["entities"] == bundled + 1  # added to the bundled data
    alone = invoke("--no-bundled", "info", "--json")
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.output)["entities"] == 1


def test_info_counts(kg):
    result = invoke("--no-bundled", "--data", str(ARTICLE_DATA), "info", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["entities"] == len(kg.names)
    assert info["triples"] == len(kg.graph)
    assert info["relations_by_class"]["FundingRound"] >= 6
    assert sorted(s["published"] for s in info["sources"]) == ["2021-04", "2021-12-11"]  # the announcement: only its month is known
    human = invoke("info")
    assert "Entities" in human.output and "FundingRound" in human.output


# --- names ---------------------------------------------------------------------

@pytest.mark.parametrize("name, slug", [
    ("Jim Keller", "jim-keller"),
    ("jim keler", "jim-keller"),          # misspelt
    ("JIM KELLER", "jim-keller"),
    ("英伟达", "nvidia"),                  # Chinese
    ("罗德里戈·梁", "rodrigo-liang"),
    ("罗德里戈梁", "rodrigo-liang"),        # without the middle dot
    ("Chris Re", "chris-re"),              # accent-insensitive
    ("Cerebras Systems", "cerebras"),      # alias
    ("台积电", "tsmc"),
    ("TSMC", "tsmc"),
    ("Keller", "jim-keller"),              # a whole word of one name
    (str(RES.groq), "groq"),               # an IRI
    ("res:groq", "groq"),                  # a prefixed name
])
def test_resolve(kg, name, slug):
    assert kg.resolve(name).iri == RES[slug]


def test_unknown_name_suggests(kg):
    with pytest.raises(UnknownEntity) as e:
        kg.resolve("Graphcoar Systemz")
    assert "Graphcore" in e.value.suggestions
    result = invoke("entity", "Zzyzx Qwerty")
    assert result.exit_code == 1
    assert "no entity named" in result.output


def test_ambiguous_name_lists_candidates(kg):
    with pytest.raises(AmbiguousEntity) as e:
        kg.resolve("Laboratory")
    assert len(e.value.candidates) >= 2
    result = invoke("entity", "Laboratory")
    assert result.exit_code == 1 and "ambiguous" in result.output


# --- kg entity -----------------------------------------------------------------

def test_entity_spells_out_relations_with_sources():
    result = invoke("entity", "SambaNova", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["iri"] == str(RES.sambanova)
    assert "en" in info["labels"] and "zh" in info["labels"]
    texts = [f["text"] for f in info["facts"]]
    round_text = next(t for t in texts if "Series D" in t)
    assert "2021-04" in round_text and "US$676M" in round_text and "more than US$5B" in round_text
    assert all(f["sources"] for f in info["facts"])
    human = invoke("entity", "SambaNova")
    assert "Series D" in human.output


def test_entity_answer_follows_the_data(tmp_path):
    paths = with_article(tmp_path, """
res:acquisition-test-graphcore a chips:Acquisition ; rdfs:label "Test acquisition"@en ;
    chips:acquirer res:nvidia ; chips:acquiredOrganization res:graphcore ; chips:date "2030"^^xsd:gYear ;
    chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
""")
    args = [a for p in paths for a in ("--data", str(p))]
    result = invoke(*args, "entity", "Graphcore", "--json")
    assert result.exit_code == 0, result.output
    assert any("Nvidia acquired Graphcore · 2030" in f["text"] for f in json.loads(result.output)["facts"])
    plain = json.loads(invoke("entity", "Graphcore", "--json").output)
    assert not any("Nvidia acquired Graphcore" in f["text"] for f in plain["facts"])


def test_help_everywhere():
    for command in ("info", "validate", "entity", "path", "common", "neighbors", "centrality", "communities", "coinvest"):
        result = invoke(command, "-h")
        assert result.exit_code == 0, (command, result.output)
        assert "Example" in result.output


def test_ontology_terms_have_labels_in_both_languages():
    g = Graph().parse(ONTOLOGY)
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in g.subjects(RDF.type, kind):
            langs = {l.language for l in g.objects(term, RDFS.label)}
            assert {"en", "zh"} <= langs, term
            assert (term, RDFS.comment, None) in g, term


def test_a_memo_kept_across_relation_nodes_changes_no_sentence():
    """The projection spells out every relation node with one memo (:func:`kg.network.projection_parts`):
    each sentence must read as it does alone, in both languages, rounds shared by investments included."""
    from kg.facts import relation_sentence

    g = load().graph
    classes = relation_classes(g)
    nodes = sorted({n for c in classes for n in g.subjects(RDF.type, c)})
    memo = {}
    for lang in ("en", "zh"):
        alone = [relation_sentence(g, n, classes, lang) for n in nodes]
        assert [relation_sentence(g, n, classes, lang, memo) for n in nodes] == alone
    assert {key[0] for key in memo} == {"shortcut", "round", "label"}

"""kg.shapes_check: the import's fast shape check says what pyshacl says about the nodes an import creates."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH, XSD

from kg import shapes_check
from kg.bundled import DATA_DIR, ONTOLOGY
from kg.errors import DataError
from kg.importer import plan_import, read_sheet, write_import
from kg.loader import load, parse_file
from kg.vocab import CHIPS

ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"
IMPORTED = DATA_DIR / "updates-2022-2025" / "updates-2022-2025.ttl"


@pytest.fixture(scope="module")
def world():
    kg = load([ARTICLE])
    triples = set(Graph().parse(IMPORTED))
    return kg, triples, parse_file(ONTOLOGY)


def fast(kg, triples):
    found = shapes_check.check(triples, kg.shapes, kg.ontology, lambda n: kg.graph.objects(n, RDF.type))
    return {(p.focus, p.path) for p in found}


def slow(kg, triples, ontology):
    """pyshacl on the ontology, the new triples and the types of the nodes they point to."""
    graph = Graph()
    graph += ontology
    mine = {s for s, _, _ in triples}
    for t in triples:
        graph.add(t)
    for o in {o for _, _, o in triples if isinstance(o, URIRef) and o not in mine}:
        for cls in kg.graph.objects(o, RDF.type):
            graph.add((o, RDF.type, cls))
    _, results, _ = pyshacl_validate(graph, shacl_graph=kg.shapes, inference="none", advanced=True)
    return {(str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath) or ""))
            for r in results.subjects(SH.focusNode, None) if results.value(r, SH.focusNode) in mine}


def node_of(triples, cls):
    return sorted(s for s, p, o in triples if p == RDF.type and o == cls)[0]


def value_of(triples, s, p):
    return next(o for s2, p2, o in triples if s2 == s and p2 == p)


BREAKS = {
    "a date that is not a date": lambda t: {(node_of(t, CHIPS.Talks), CHIPS.date, Literal("May 2024"))},
    "two dates": lambda t: {(node_of(t, CHIPS.Acquisition), CHIPS.date, Literal("2020", datatype=XSD.gYear))},
    "a negative sum": lambda t: {(node_of(t, CHIPS.Valuation), CHIPS.amount, Literal(Decimal("-3")))},
    "a currency that is not a code": lambda t: {(node_of(t, CHIPS.Valuation), CHIPS.currency, Literal("usd"))},
    "a statement without language": lambda t: {(node_of(t, CHIPS.Listing), CHIPS.statement, Literal("words"))},
    "a second English label": lambda t: {(node_of(t, CHIPS.Company), RDFS.label, Literal("Other", lang="en"))},
    "a person as acquirer": lambda t: {(node_of(t, CHIPS.Acquisition), CHIPS.acquirer, node_of(t, CHIPS.Person))},
    "an investor that is a source": lambda t: {(node_of(t, CHIPS.Investment), CHIPS.investor,
                                                node_of(t, CHIPS.Source))},
}
DROPS = {
    "no acquirer": lambda t: (node_of(t, CHIPS.Acquisition), CHIPS.acquirer),
    "no source": lambda t: (node_of(t, CHIPS.Workforce), URIRef("http://www.w3.org/ns/prov#wasDerivedFrom")),
    "no unit": lambda t: (next(s for s, p, _ in sorted(t) if p == CHIPS.unit), CHIPS.unit),
    "no publisher": lambda t: (node_of(t, CHIPS.Source), CHIPS.publisher),
}


def test_the_imported_facts_conform_for_both(world):
    kg, triples, ontology = world
    assert fast(kg, triples) == set() == slow(kg, triples, ontology)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_an_added_triple_breaks_the_same_shape_for_both(world, name):
    kg, triples, ontology = world
    broken = triples | BREAKS[name](triples)
    found = fast(kg, broken)
    assert found and found == slow(kg, broken, ontology), name


@pytest.mark.parametrize("name", sorted(DROPS))
def test_a_removed_triple_breaks_the_same_shape_for_both(world, name):
    kg, triples, ontology = world
    node, prop = DROPS[name](triples)
    broken = {t for t in triples if not (t[0] == node and t[1] == prop)}
    found = fast(kg, broken)
    assert found and found == slow(kg, broken, ontology), name


def test_shapes_with_other_components_fall_back_to_pyshacl(tmp_path):
    kg = load([ARTICLE])
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,subject,relation,object,date,publisher,url\n"
                     "R1,Intel,led round in,Groq,2024-08,Example News,https://example.org/a\n", encoding="utf-8")
    plan = plan_import(read_sheet(sheet), kg)
    write_import(plan, kg, tmp_path)  # conforms
    shapes = Graph()
    shapes += kg.shapes  # a copy: the loaded shapes may be shared by every graph of this process
    shape = URIRef("https://example.org/shapes#ShortPublisher")
    shapes.add((shape, RDF.type, SH.NodeShape))
    shapes.add((shape, SH.targetClass, CHIPS.Source))
    prop = URIRef("https://example.org/shapes#ShortPublisherName")
    shapes.add((shape, SH.property, prop))
    shapes.add((prop, SH.path, CHIPS.publisher))
    shapes.add((prop, SH.maxLength, Literal(5)))  # a component the fast check does not know
    assert not shapes_check.supported(shapes)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(DataError, match="would not conform"):
        write_import(plan, SimpleNamespace(graph=kg.graph, ontology=kg.ontology, shapes=shapes), out)
    assert list(out.iterdir()) == []

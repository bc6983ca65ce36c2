"""kg validate decides with kg.shapes_check and asks pyshacl only about data that breaks a shape: same verdict, pyshacl's words."""

import os
import subprocess
import sys

import pytest
from kgtest import with_bundled
from pyshacl import validate as pyshacl_validate
from rdflib.namespace import SH

from kg import shapes_check
from kg.loader import load
from kg.validation import shacl_results, validate, with_named_graphs

NEW = 'a chips:Startup ; prov:wasDerivedFrom src:test-note'
#: Turtle that breaks one constraint component of ontology/shapes.ttl each (beside the bundled data).
BREAKS = {
    "minCount: an entity without a source": 'res:test-co a chips:Startup ; rdfs:label "Test Co"@en .',
    "qualifiedValueShape: no English label": f'res:test-co {NEW} ; rdfs:label "测试"@zh .',
    "uniqueLang: a second English label": 'res:cerebras rdfs:label "Cerebras Two"@en .',
    "class: a person as parent organisation": f'res:test-co {NEW} ; rdfs:label "T"@en ; '
                                              'chips:subOrganizationOf res:andrew-feldman .',
    "node/or: a date that is not a date": f'res:test-co {NEW} ; rdfs:label "T"@en ; chips:foundingDate "May 2016" .',
    "maxCount: two founding dates": 'res:cerebras chips:foundingDate "2015"^^xsd:gYear .',
    "pattern: a currency that is not a code": 'res:cerebras-valuation-2021-11 chips:currency "usd" .',
    "minInclusive: a negative sum": 'res:test-val a chips:Valuation ; prov:wasDerivedFrom src:test-note ; '
                                    'chips:company res:cerebras ; chips:amount -3.0 ; chips:currency "USD" ; '
                                    'chips:quote "q"@en .',
    "xone: an exact and an approximate sum": 'res:cerebras-valuation-2021-11 chips:amount 4000000000.0 .',
    "hasValue/or: a valuation stating nothing": 'res:test-val a chips:Valuation ; prov:wasDerivedFrom src:test-note ; '
                                                'chips:company res:cerebras ; chips:amountDisclosed true ; '
                                                'chips:quote "q"@en .',
    "datatype: a count written as text": 'res:test-val a chips:FundingTotal ; prov:wasDerivedFrom src:test-note ; '
                                         'chips:company res:cerebras ; chips:roundCount "3" ; chips:quote "q"@en .',
    "and/xone: an ownership with a parent only": 'res:test-own a chips:Ownership ; prov:wasDerivedFrom src:test-note ; '
                                                 'chips:parent res:cerebras ; chips:quote "q"@en .',
    "or: a relation without its quote": 'res:test-founding a chips:Founding ; prov:wasDerivedFrom src:test-note ; '
                                        'chips:founder res:andrew-feldman ; chips:organization res:cerebras .',
}


def _pyshacl(kg):
    """pyshacl alone on the whole graph: (conforms, {(focus, path)}, its messages)."""
    conforms, results, _ = pyshacl_validate(with_named_graphs(kg.graph), shacl_graph=kg.shapes, inference="none",
                                            allow_warnings=True)
    return (conforms, {(str(results.value(r, SH.focusNode)), str(results.value(r, SH.resultPath) or ""))
                       for r in results.subjects(SH.focusNode, None)},
            {str(m) for m in results.objects(None, SH.resultMessage)})


def test_the_bundled_data_conforms_for_both_and_pyshacl_is_not_needed():
    kg = load()
    assert shapes_check.supported(kg.shapes)
    assert shacl_results(kg) == (True, None)
    assert _pyshacl(kg)[:2] == (True, set())


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_the_fast_check_finds_every_break_pyshacl_finds(name, tmp_path):
    kg = load(with_bundled(tmp_path, BREAKS[name]))
    slow_conforms, slow, _ = _pyshacl(kg)
    assert not slow_conforms and slow, name  # the break does break a shape
    fast = {(p.focus, p.path) for p in shapes_check.check(kg.graph, kg.shapes, kg.graph)}
    assert fast, f"{name}: the fast check missed {slow}"


def test_a_break_is_reported_in_pyshacl_words(tmp_path):
    kg = load(with_bundled(tmp_path, BREAKS["xone: an exact and an approximate sum"]))
    _, _, said = _pyshacl(kg)
    report = validate(kg)  # the fast check finds the break, so pyshacl runs and reports
    shacl = {v for v in report.violations if v.shape not in ("vocabulary", "chips-kg:ontology-only", "chips-kg:well-typed")}
    assert not report.conforms and shacl, report.violations
    assert all(any(m in v.message for m in said) for v in shacl), (shacl, said)


def test_kg_validate_on_the_bundled_data_imports_no_pyshacl_and_no_rich():
    probe = ("import os, sys, runpy; real = os._exit\n"
             "def report(code):\n"
             "    sys.stderr.write('\\nimported: ' + ' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pyshacl', 'rich')))"
             " + '\\n'); real(code)\n"
             "os._exit = report\n"
             "sys.argv = ['kg', 'validate']\n"
             "runpy.run_module('kg', run_name='__main__')\n")
    env = {k: v for k, v in os.environ.items() if k != "KG_DATA"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "conforms" in done.stdout, done.stdout + done.stderr
    assert done.stderr.rsplit("imported:", 1)[1].split() == [], done.stderr

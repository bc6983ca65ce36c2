"""kg validate catches misspelt vocabulary: unknown terms, look-alike namespaces, ids that name nothing."""

import json

import pytest
from kgtest import write_ttl

from kg.bundled import DATA_DIR
from kg.cli import app
from kg.errors import DataWarning
from kg.store import build_store

SOURCE = "src:cnbeta-2021-12-11-ai-chip-unicorns"


def validate(runner, path):
    result = runner.invoke(app, ["--data", str(path), "validate", "--json"])
    report = json.loads(result.stdout)
    return result.exit_code, {(v["focus"], v["message"]) for v in report["violations"]}


def test_the_bundled_data_has_no_typo(runner):
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output


def test_an_unknown_property_is_named_with_the_one_meant(runner, tmp_path):
    body = f"""
res:inv-x a chips:Investment ; rdfs:label "x"@en ; chips:investee res:groq ; chips:investor res:intel ;
    chips:lead true ; chips:quote "q"@en ; prov:wasDerivedFrom {SOURCE} .
"""
    code, found = validate(runner, write_ttl(tmp_path, body))
    assert code == 1
    assert ("res:inv-x", "unknown property chips:lead (did you mean chips:isLead?)") in found, found
    fixed = write_ttl(tmp_path, body.replace("chips:lead", "chips:isLead"), "fixed.ttl")
    assert validate(runner, fixed) == (0, set())


def test_a_look_alike_namespace_is_caught(runner, tmp_path):
    bad = write_ttl(tmp_path, f"""
@prefix wrong: <https://w3id.org/chipskg/ontology/> .
res:other a wrong:Startup ; rdfs:label "Other"@en ; prov:wasDerivedFrom {SOURCE} .
""")
    code, found = validate(runner, bad)
    assert code == 1
    messages = {m for focus, m in found if focus == "res:other"}
    assert any(m.startswith("<https://w3id.org/chipskg/ontology/Startup> is not in the project's namespace "
                            "https://w3id.org/chipskg/ontology#") and "did you mean chips:Startup?" in m
               for m in messages), found


def test_a_mistyped_entity_id_is_named_not_the_round(runner, tmp_path):
    bad = write_ttl(tmp_path, f"""
res:round-x a chips:FundingRound ; rdfs:label "round x"@en ; chips:fundedCompany res:grok ;
    chips:amount 5.0 ; chips:currency "USD" ; chips:quote "q"@en ; prov:wasDerivedFrom {SOURCE} .
""")
    code, found = validate(runner, bad)
    assert code == 1
    assert found == {("res:round-x", "unknown entity res:grok (did you mean res:groq?)")}, found
    human = runner.invoke(app, ["--data", str(bad), "validate"])
    assert "unknown entity res:grok" in human.stdout and "exactly one company" not in human.stdout, human.stdout


def test_an_ill_typed_sum_is_reported_once(runner, tmp_path):
    """``"lots"^^xsd:decimal``: the skipped value, not again as the valuation's missing amount."""
    body = f"""
res:valuation-x a chips:Valuation ; rdfs:label "Groq valued at lots"@en ; chips:company res:groq ;
    chips:amount "lots"^^xsd:decimal ; chips:currency "USD" ; chips:quote "q"@en ; prov:wasDerivedFrom {SOURCE} .
"""
    ill = write_ttl(tmp_path, body)
    code, found = validate(runner, ill)
    assert code == 1 and len(found) == 1, found
    ((focus, message),) = found
    assert '"lots"^^xsd:decimal (amount of valuation-x) is not a valid xsd:decimal; the value is skipped' in message
    # a real gap on the same node is still said: no quote
    unquoted = write_ttl(tmp_path, body.replace(' chips:quote "q"@en ;', ""), "unquoted.ttl")
    code, found = validate(runner, unquoted)
    assert len(found) == 2 and any("chips:quote" in m for _, m in found), found
    # and a valuation that never stated a sum is told so
    code, found = validate(runner, write_ttl(tmp_path, body.replace(' chips:amount "lots"^^xsd:decimal ;', ""), "none.ttl"))
    assert found == {("res:valuation-x", "a valuation or funding total states its amount (exact, minimum, maximum or "
                      "approximate) or that it was not disclosed, or a funding total the number of rounds")}, found
    fixed = write_ttl(tmp_path, body.replace('"lots"^^xsd:decimal', "500000000.0"), "fixed.ttl")
    assert validate(runner, fixed) == (0, set())
    # a store keeps the value's subject: reported once there too, and the missing quote still
    for name, path in (("once", ill), ("unquoted", unquoted)):
        with pytest.warns(DataWarning):
            build_store(tmp_path / name, [DATA_DIR, path])
        result = runner.invoke(app, ["--store", str(tmp_path / name), "validate", "--json"])
        assert result.exit_code == 1, result.output
        from_store = {(r["focus"], r["message"]) for r in json.loads(result.stdout)["violations"]}
        assert from_store == validate(runner, path)[1] and len(from_store) == (1 if name == "once" else 2), from_store


def test_a_class_typo_is_reported_on_its_node(runner, tmp_path):
    bad = write_ttl(tmp_path, f"""
res:newco a chips:Startp ; rdfs:label "NewCo"@en ; prov:wasDerivedFrom {SOURCE} .
res:acq-x a chips:Acquisition ; rdfs:label "x"@en ; chips:acquirer res:intel ; chips:acquiredOrganization res:newco ;
    chips:quote "q"@en ; prov:wasDerivedFrom {SOURCE} .
""")
    code, found = validate(runner, bad)
    assert code == 1
    assert found == {("res:newco", "unknown class chips:Startp (did you mean chips:Startup?)")}, found


def test_an_unknown_source(runner, tmp_path):
    bad = write_ttl(tmp_path, 'res:someone a chips:Person ; rdfs:label "Some One"@en ; '
                              'prov:wasDerivedFrom src:cnbeta-2021-12-11-ai-chip-unicorn .')
    code, found = validate(runner, bad)
    assert code == 1
    assert ("res:someone", "unknown source src:cnbeta-2021-12-11-ai-chip-unicorn "
            "(did you mean src:cnbeta-2021-12-11-ai-chip-unicorns?)") in found, found


# --- roles: a vocabulary in the ontology -------------------------------------------------------

def _position(role: str) -> str:
    return f"""
res:position-x a chips:Position ; rdfs:label "Jim Keller, chip architect at AMD"@en ; chips:holder res:jim-keller ;
    chips:organization res:amd ; chips:role {role} ; chips:title "K8 chief architect"@en ;
    chips:quote "q"@en ; prov:wasDerivedFrom {SOURCE} .
"""


def test_new_roles_are_accepted_and_shown_with_the_title(runner, tmp_path):
    for role in ("chips:Architect", "chips:Engineer", "chips:ChiefScientist", "chips:Chair", "chips:BoardMember",
                 "chips:InvestmentPartner"):
        assert validate(runner, write_ttl(tmp_path, _position(role))) == (0, set()), role
    path = write_ttl(tmp_path, _position("chips:Architect"))
    facts = json.loads(runner.invoke(app, ["--data", str(path), "entity", "Jim Keller", "--json"]).stdout)["facts"]
    assert any(f["text"] == "Jim Keller worked at AMD as architect · title “K8 chief architect”" for f in facts), facts


def test_an_unknown_role_lists_the_roles_of_the_ontology(runner, tmp_path):
    from rdflib import RDF, Graph

    from kg.bundled import ONTOLOGY
    from kg.names import label_of
    from kg.vocab import CHIPS

    code, found = validate(runner, write_ttl(tmp_path, _position("chips:Architekt")))
    assert code == 1 and len(found) == 1, found
    message = next(iter(found))[1]
    assert message.startswith("unknown role chips:Architekt (did you mean chips:Architect?); the roles are: "), message
    ontology = Graph().parse(ONTOLOGY)
    roles = list(ontology.subjects(RDF.type, CHIPS.Role))
    assert len(roles) >= 20
    for role in roles:  # the list comes from the ontology, and every role has both labels
        assert f"{label_of(ontology, role)} (chips:{str(role).split('#')[1]})" in message
        assert label_of(ontology, role, "zh") != label_of(ontology, role, "en")

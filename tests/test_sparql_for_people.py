"""kg sparql for people: names in cells, whole headers, sums with their bounds, label columns in CSV."""

import csv
import io

from kgtest import write_ttl

from kg.bundled import DATA_DIR
from kg.cli import app

TOPS = "SELECT ?chip ?tops WHERE { ?chip chips:topsTera ?tops } ORDER BY DESC(?tops)"


def table_lines(result):
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_cells_show_names_and_ids_only_when_asked(runner):
    lines = table_lines(runner.invoke(app, ["sparql", TOPS]))
    assert any("GroqChip" in line for line in lines)
    assert not any("res:" in line for line in lines), lines
    ids = table_lines(runner.invoke(app, ["sparql", TOPS, "--ids"]))
    assert any("res:groqchip" in line for line in ids) and not any("│ GroqChip" in line for line in ids), ids
    tagged = table_lines(runner.invoke(app, ["sparql", "SELECT ?l WHERE { res:groq rdfs:label ?l }"]))
    assert not any("@en" in line or "@zh" in line for line in tagged), tagged


def test_headers_do_not_wrap_mid_word(runner, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    lines = table_lines(runner.invoke(app, ["sparql", "--name", "funding-summary"]))
    header = next(line for line in lines if "?company" in line)
    assert "?roundsInData" in header and "?raised" in header, lines[:4]


def test_bounds_print_as_bounds(runner):
    lines = table_lines(runner.invoke(app, ["sparql", "--name", "largest-rounds"]))
    groq = next(line for line in lines if line.startswith("│ Groq"))
    assert "more than US$1B" in groq and "1,000,000,000" not in groq, groq
    csv_text = runner.invoke(app, ["sparql", "--name", "largest-rounds", "--format", "csv", "--no-labels"]).stdout
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert {r["valuationAfterPrecision"] for r in rows if r["company"].endswith("/groq")} == {"at least"}
    # "1000000000"^^xsd:decimal in the file: a decimal's canonical text, as a store gives it
    assert {r["valuationAfter"] for r in rows if r["company"].endswith("/groq")} == {"1000000000.0"}


def test_saved_question_csv_has_a_label_beside_each_entity(runner, tmp_path):
    result = runner.invoke(app, ["sparql", "--name", "investors", "--param", "company=Groq", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:6] == ["company", "companyLabel", "investor", "investorLabel", "round", "roundLabel"]
    assert {r[3] for r in rows[1:]} == {"Dan Sundheim", "Tiger Global Management"}
    plain = runner.invoke(app, ["sparql", "--name", "investors", "--param", "company=Groq", "--format", "csv",
                                "--no-labels"])
    assert plain.stdout.splitlines()[0].startswith("company,investor,round,"), plain.stdout
    asked = runner.invoke(app, ["sparql", TOPS, "--format", "csv", "--labels"])
    assert asked.stdout.splitlines()[0] == "chip,chipLabel,tops", asked.stdout
    extra = write_ttl(tmp_path, """
res:test-capital a chips:InvestmentFirm ; rdfs:label "Test Capital"@en ; prov:wasDerivedFrom src:test-note .
res:investment-test a chips:Investment ; rdfs:label "t"@en ; chips:investor res:test-capital ;
    chips:investee res:groq ; chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
""")
    changed = runner.invoke(app, ["--data", str(extra), "sparql", "--name", "investors", "--param", "company=Groq",
                                  "--format", "csv"])
    added = [r for r in csv.DictReader(io.StringIO(changed.stdout)) if r["investorLabel"] == "Test Capital"]
    assert [(r["round"], r["date"]) for r in added] == [("not stated", "by 2026-01-01")], changed.stdout


def test_investors_fill_round_and_date_on_every_row(runner):
    result = runner.invoke(app, ["sparql", "--name", "investors", "--format", "csv", "--no-labels"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["round"] and r["date"] for r in rows), rows
    article = runner.invoke(app, ["--no-bundled", "--data", str(DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"),
                                  "sparql", "--name", "investors", "--format", "csv", "--no-labels"])
    sambanova = [r for r in csv.DictReader(io.StringIO(article.stdout)) if r["company"].endswith("/sambanova")]
    assert {(r["round"], r["date"]) for r in sambanova} == {("not stated", "by 2021-12-11")}, sambanova

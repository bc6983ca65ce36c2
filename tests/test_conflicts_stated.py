"""Disputes a source states itself: a research sheet's note naming the rows it disagrees with."""

import json

import pytest
from kg import load
from kg.bundled import DATA_DIR
from kg.cli import app
from kg.conflicts import conflicts
from kg.facts import describe

BUNDLED = DATA_DIR / "updates-2022-2025"
ARTICLE = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"
HEADER = "id,subject,relation,object,amount,currency,amount_kind,date,role_or_series,publisher,page_date,url,note\n"


def stated(answer) -> dict:
    """The disputes stated by a note, by their claims' local names."""
    return {tuple(sorted(s["claim"].rsplit("/", 1)[-1] for s in c["sides"])): c
            for c in answer["conflicts"] if c["basis"] == "note"}


def rows_of(report) -> dict:
    """The node each imported row became, by row id, from the import report."""
    imported = json.loads(report.read_text(encoding="utf-8"))["imported"]
    return {r["id"]: r["nodes"][0] for r in imported}


# --- the bundled sheet ---------------------------------------------------------------------------

def test_the_series_e_against_series_f_dispute_is_listed_with_both_notes(runner):
    result = runner.invoke(app, ["conflicts", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    nodes = rows_of(BUNDLED / "updates-2022-2025.import.json")
    a093, a100 = (nodes[r].rsplit("/", 1)[-1] for r in ("A093", "A100"))
    dispute = stated(answer)[tuple(sorted((a093, a100)))]
    # both notes, each quoted from its row, each naming the other claim
    notes = {n["row"]: (n["note"], [c.rsplit("/", 1)[-1] for c in n["disagrees_with"]]) for n in dispute["stated"]}
    assert notes["updates-2022-2025.csv#A093"] == (
        "Takes total raised to $1.48bn. Conflicts with A100 on series label and on who provided the money.", [a100])
    said, others = notes["updates-2022-2025.csv#A100"]
    assert others == [a093] and "Conflicts with A093" in said
    # different fact keys (a Series E round, an investment called Series F): never compared by value
    series = {s["claim"].rsplit("/", 1)[-1]: s["value"]["text"] for s in dispute["sides"]}
    assert "Series E" in series[a093] and "Series F" in series[a100], series
    assert not dispute["settled"] and dispute["fact"].endswith("disputed in the source's note")
    assert {e.rsplit("/", 1)[-1] for e in dispute["entities"]} >= {"intel", "sambanova"}
    # the computed disputes are still there, found from the values
    assert any(c["basis"] == "values" for c in answer["conflicts"])
    human = runner.invoke(app, ["conflicts", "SambaNova"])
    assert ('Note of updates-2022-2025.csv#A093 (res:updates-2022-2025-a093 disagrees with '
            'res:updates-2022-2025-a100): "Takes total raised to $1.48bn.') in human.output, human.output


def test_a_note_on_a_dispute_the_values_show_is_quoted_there_not_listed_twice():
    answer = conflicts(load())
    founding = [c for c in answer["conflicts"] if c["fact"] == "Founding · Graphcore: date"]
    assert len(founding) == 1 and founding[0]["basis"] == "values"
    notes = {n["row"]: n for n in founding[0]["stated"]}
    assert [n.rsplit("-", 1)[-1] for n in notes["updates-2022-2025.csv#A009"]["disagrees_with"]] == ["a010", "a011"]
    assert len(founding[0]["stated"]) == len(notes)  # each row's note once
    claims = {s["claim"] for s in founding[0]["sides"]}
    for c in answer["conflicts"]:
        if c["basis"] == "note":
            assert not {s["claim"] for s in c["sides"]} <= claims, c["fact"]


def test_a_row_named_but_not_imported_is_a_warning():
    report = json.loads((BUNDLED / "updates-2022-2025.import.json").read_text(encoding="utf-8"))
    skipped = {s["id"] for s in report["skipped"]}
    assert "A114" in skipped
    (reason,) = [w["reason"] for w in report["warnings"] if w["id"] == "A115"]
    assert reason == ("row A115 (line 116), column note: names row A114, which was not imported (see its reason); "
                      "no dispute recorded")


def test_the_store_entity_page_has_both_sides_of_a_stated_dispute(tmp_path):
    """Over a store, an entity's small graph holds the other claim of a dispute its relations take part in."""
    from kg.store import StoreKnowledgeGraph, build_store

    build_store(tmp_path / "store", [DATA_DIR])
    skg = StoreKnowledgeGraph(tmp_path / "store")
    kg = load([DATA_DIR])
    for name in ("Intel", "SambaNova"):
        iri = kg.resolve(name).iri
        for lang in ("en", "zh"):
            from_store = describe(skg.entity_graph(iri), str(iri), lang=lang)["disputes"]
            assert from_store == describe(kg, str(iri), lang=lang)["disputes"], (name, lang)
            assert any(d["stated"] for d in from_store)


# --- a sheet of our own --------------------------------------------------------------------------

ROWS = """\
K5,Groq,raised round,Series D,640000000,USD,exact,2024-08,Series D,Example News,,https://example.org/a,{k5}
K7,Cisco Investments,invested in,Groq,,,,2024-08,,Other News,,https://example.org/b,Says Cisco led it.
K9,Groq,raised round,Series C,300000000,USD,exact,2021-04,Series C,Example News,,https://example.org/c,{k9}
"""


def import_sheet(runner, folder, k5: str, k9: str = ""):
    sheet = folder / "claims.csv"
    sheet.write_text(HEADER + ROWS.format(k5=k5, k9=k9), encoding="utf-8")
    out = folder / "out"
    out.mkdir(exist_ok=True)
    result = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE), "import", str(sheet), "--out", str(out)])
    return result, out


def kg_conflicts(runner, *paths, lang="en"):
    options = ["--no-bundled", *[x for p in paths for x in ("--data", str(p))]]
    result = runner.invoke(app, [*options, "conflicts", "--json", "--lang", lang])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_a_chinese_note_naming_a_row_makes_a_dispute_and_removing_it_unmakes_it(runner, tmp_path):
    note = "与K7矛盾：K7说思科领投，本行说不是。"
    result, out = import_sheet(runner, tmp_path, note)
    assert result.exit_code == 0, result.output
    assert "Disputes: notes name 1 other row(s) they disagree with" in result.output, result.output
    nodes = rows_of(out / "claims.import.json")
    k5, k7 = nodes["K5"].rsplit("/", 1)[-1], nodes["K7"].rsplit("/", 1)[-1]
    answer = kg_conflicts(runner, ARTICLE, out)
    dispute = stated(answer)[tuple(sorted((k5, k7)))]
    assert [(n["row"], n["note"]) for n in dispute["stated"]] == [("claims.csv#K5", note)]
    assert len(stated(answer)) == 1  # K9's empty note names nothing
    zh = kg_conflicts(runner, ARTICLE, out, lang="zh")
    assert any(c["fact"].endswith("来源的备注指出分歧") for c in zh["conflicts"]), zh
    # the same sheet without the reference: no dispute, no link
    result, out = import_sheet(runner, tmp_path, "另一页说思科领投，本行说不是。")
    assert result.exit_code == 0, result.output
    assert stated(kg_conflicts(runner, ARTICLE, out)) == {}
    assert "disagreesWith" not in (out / "claims.ttl").read_text(encoding="utf-8")


def test_an_id_no_row_has_is_a_warning_not_a_failure(runner, tmp_path):
    result, out = import_sheet(runner, tmp_path, "Conflicts with K7.", k9="Conflicts with K99 (not in this sheet).")
    assert result.exit_code == 0, result.output
    assert "Warning: row K9 (line 4), column note: 'K99' looks like a row id, but no row of claims.csv has it" \
        in result.output, result.output
    report = json.loads((out / "claims.import.json").read_text(encoding="utf-8"))
    assert [(w["id"], w["column"]) for w in report["warnings"]] == [("K9", "note")] and report["disputes"] == 1
    assert len(stated(kg_conflicts(runner, ARTICLE, out))) == 1


def test_a_stated_dispute_is_settled_by_ranking_a_side(runner, tmp_path):
    result, out = import_sheet(runner, tmp_path, "Conflicts with K7: no lead was named.")
    assert result.exit_code == 0, result.output
    nodes = rows_of(out / "claims.import.json")
    ranks = tmp_path / "ranks.ttl"
    settle = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE), "--data", str(out), "settle",
                                 "res:" + nodes["K7"].rsplit("/", 1)[-1], "--rank", "deprecated",
                                 "--reason", "The round's own page names no lead", "--by", "A. Reader",
                                 "-o", str(ranks)])
    assert settle.exit_code == 0, settle.output
    (dispute,) = stated(kg_conflicts(runner, ARTICLE, out, ranks)).values()
    k5 = [s for s in dispute["sides"] if s["claim"] == nodes["K5"]][0]
    assert dispute["settled"] and dispute["answer"] == k5["value"]["text"]
    unsettled = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE), "--data", str(out), "--data", str(ranks),
                                    "conflicts", "--unsettled", "--json"])
    assert stated(json.loads(unsettled.stdout)) == {}
    # without the ranking file it is open again
    assert not next(iter(stated(kg_conflicts(runner, ARTICLE, out)).values()))["settled"]


@pytest.mark.parametrize("note", ["Conflicts with K7.", "K7 says otherwise", "(disputed by K7)", "与 K7 矛盾",
                                  "K7と矛盾", "Figures at odds with K7's"])
def test_an_id_is_read_as_a_whole_word_in_any_sentence(runner, tmp_path, note):
    result, out = import_sheet(runner, tmp_path, note)
    assert result.exit_code == 0, result.output
    assert len(stated(kg_conflicts(runner, ARTICLE, out))) == 1, note


@pytest.mark.parametrize("note", ["Conflicts with K77 and XK7.", "k7 in lower case", "conflicts, K-7"])
def test_words_that_only_contain_an_id_name_no_row(runner, tmp_path, note):
    result, out = import_sheet(runner, tmp_path, note)
    assert result.exit_code == 0, result.output
    assert stated(kg_conflicts(runner, ARTICLE, out)) == {}, note


def test_a_link_written_by_hand_without_a_note_is_listed_too(runner, tmp_path):
    from kgtest import write_ttl

    extra = write_ttl(tmp_path, """
res:t-x a chips:Investment ; chips:investor res:intel ; chips:investee res:groq ;
    chips:statement "Intel invested in Groq"@en ; chips:disagreesWith res:t-y ; prov:wasDerivedFrom src:test-note .
res:t-y a chips:FundingRound ; chips:fundedCompany res:groq ; chips:series "Z" ;
    chips:statement "Groq raised a Series Z"@en ; prov:wasDerivedFrom src:test-note .
""")
    result = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE), "--data", str(extra), "conflicts", "Groq"])
    assert result.exit_code == 0, result.output
    assert "res:t-x disagrees with res:t-y (its source says so)" in result.output, result.output
    assert stated(kg_conflicts(runner, ARTICLE, extra))[("t-x", "t-y")]["stated"][0]["note"] is None


@pytest.mark.parametrize("note", ["Compare K7.", "Same page as K7. It conflicts with an older report.",
                                  "(see K7 URL)", "参见 K7。"])
def test_an_id_in_a_sentence_with_no_word_of_disagreement_is_a_reference(runner, tmp_path, note):
    result, out = import_sheet(runner, tmp_path, note)
    assert result.exit_code == 0, result.output
    assert "names row K7 with no word saying they disagree" in result.output, result.output
    assert stated(kg_conflicts(runner, ARTICLE, out)) == {}, note
    # the same reference with a word of disagreement in its sentence is a dispute
    result, out = import_sheet(runner, tmp_path, note.replace("K7", "K7 (which contradicts it)"))
    assert result.exit_code == 0 and "no word saying" not in result.output, result.output
    assert len(stated(kg_conflicts(runner, ARTICLE, out))) == 1, note


def test_the_words_of_disagreement_come_from_the_ontology(runner, tmp_path):
    from kgtest import write_ttl

    result, out = import_sheet(runner, tmp_path, "K7 widerspricht dem.")  # German: no cue in the ontology
    assert "no word saying they disagree" in result.output and stated(kg_conflicts(runner, ARTICLE, out)) == {}
    cue = write_ttl(tmp_path, 'chips:disagreesWith chips:cue "widerspricht" .')
    sheet = tmp_path / "claims.csv"
    again = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE), "--data", str(cue), "import", str(sheet),
                                "--out", str(out)])
    assert again.exit_code == 0 and "no word saying" not in again.output, again.output
    assert len(stated(kg_conflicts(runner, ARTICLE, out))) == 1

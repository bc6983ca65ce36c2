"""Chinese beyond lookup: Traditional names, answers in Chinese (--lang zh), tables beside CJK text."""

import json
import os
import subprocess
import sys

import pytest
from kgtest import ARTICLE_DATA, write_ttl
from rdflib import Graph, Literal

from kg.bundled import ONTOLOGY
from kg.cli import app
from kg.names import label_of
from kg.vocab import CHIPS


def test_traditional_names_are_found(runner, tmp_path):
    result = runner.invoke(app, ["entity", "台積電", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["iri"].endswith("/tsmc")
    # the folding is OpenCC's, both ways round: a Simplified query finds a Traditional label
    extra = write_ttl(tmp_path, 'res:mediatek a chips:Company ; rdfs:label "MediaTek"@en , "聯發科技"@zh ; '
                                'prov:wasDerivedFrom src:test-note .')
    found = runner.invoke(app, ["--data", str(extra), "entity", "联发科技", "--json"])
    assert found.exit_code == 0 and json.loads(found.stdout)["label"] == "MediaTek", found.output
    assert runner.invoke(app, ["entity", "联发科技"]).exit_code == 1


def zh(runner, *args):
    """A question in Chinese about the article's data (the bundled data also holds the 2022-2026 sheet)."""
    result = runner.invoke(app, ["--no-bundled", "--data", str(ARTICLE_DATA), *args, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_path_in_chinese_uses_the_ontology_phrase(runner, tmp_path):
    out = zh(runner, "path", "Nvidia", "Graphcore")
    assert out.startswith("英伟达 → Graphcore：3 跳"), out
    phrase = str(Graph().parse(ONTOLOGY).value(CHIPS.acquired, CHIPS.phrase))
    assert phrase == "{s}收购了{o}" and "英伟达收购了Icera（2011年）" in out, out
    bought = write_ttl(tmp_path, """
res:test-chips a chips:Company ; rdfs:label "Test Chips"@en , "测试芯片"@zh ; prov:wasDerivedFrom src:test-note .
res:acquisition-test a chips:Acquisition ; rdfs:label "Test"@en ; chips:acquirer res:nvidia ;
    chips:acquiredOrganization res:test-chips ; chips:date "2030-05"^^xsd:gYearMonth ; chips:amount 5.0E7 ;
    chips:currency "USD" ; chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
""")
    changed = runner.invoke(app, ["--data", str(bought), "neighbors", "Nvidia", "--lang", "zh"])
    assert "英伟达收购了测试芯片（2030年5月，5000万美元）" in changed.stdout, changed.output


def test_every_question_answers_in_chinese(runner):
    assert "阿贡国家实验室、劳伦斯·利弗莫尔国家实验室都是SambaNova Systems和Cerebras Systems的客户" in zh(
        runner, "common", "SambaNova", "Cerebras")
    hood = zh(runner, "neighbors", "Icera", "--depth", "2")
    assert "收购了 (1)" in hood and "跳之内" in hood, hood
    ranked = zh(runner, "centrality", "--top", "3")
    assert "度中心性（无向视图" in ranked and "初创公司" in ranked, ranked
    groups = zh(runner, "communities")
    assert "个社群" in groups and "孤立实体" in groups, groups
    pairs = zh(runner, "coinvest")
    assert "共同投资方" in pairs and "淡马锡" in pairs, pairs
    about = zh(runner, "entity", "Jim Keller")
    for sentence in ("Jim Keller任职于英特尔 · 至2020年6月", "头衔“CTO兼总裁”", "事实"):
        assert sentence in about, about
    timeline = zh(runner, "timeline", "Jim Keller", "Tenstorrent")
    assert "Jim Keller和Tenstorrent的时间线" in timeline and "Jim Keller任职于英特尔（结束）" in timeline, timeline
    alumni = zh(runner, "alumni", "Google")
    assert "Google的前员工：2" in alumni and "创立了Groq" in alumni, alumni
    funding = zh(runner, "entity", "SambaNova")
    assert "融资" in funding and "6.76亿美元" in funding and "超过50亿美元" in funding, funding


def test_language_setting(runner, monkeypatch):
    bad = runner.invoke(app, ["path", "Nvidia", "Graphcore", "--lang", "fr"])
    assert bad.exit_code == 2 and "--lang must be en (English) or zh (Chinese), not 'fr'" in bad.stderr, bad.output
    bad_viz = runner.invoke(app, ["viz", "--lang", "fr"])
    assert bad_viz.exit_code == 2 and "--lang must be en" in bad_viz.stderr, bad_viz.output
    monkeypatch.setenv("KG_LANG", "zh")
    assert "英伟达收购了Icera" in runner.invoke(app, ["path", "Nvidia", "Graphcore"]).stdout
    english = runner.invoke(app, ["path", "Nvidia", "Graphcore", "--lang", "en", "--json"])
    assert json.loads(english.stdout)["paths"][0]["edges"][0]["sentence"] == "Nvidia acquired Icera (2011)"


def test_a_table_beside_chinese_keeps_every_word():
    env = {**os.environ, "COLUMNS": "140", "KG_CACHE_DIR": ""}
    env.pop("KG_DATA", None)
    out = subprocess.run([sys.executable, "-m", "kg", "entity", "Jim Keller"], capture_output=True, text=True,
                         env=env, timeout=120).stdout
    note = json.loads(subprocess.run([sys.executable, "-m", "kg", "entity", "Jim Keller", "--json"],
                                     capture_output=True, text=True, env=env, timeout=120).stdout)
    text = next(f["text"] for f in note["facts"] if f["text"].startswith("note:") and "硅谷游侠" in f["text"])
    cells = " ".join(line.split("│")[1] for line in out.splitlines() if line.startswith("│"))  # the Fact column
    assert "…" not in out, out
    assert " ".join(cells.split()).find(" ".join(text.split())) >= 0, out


# --- every fixed word of a command's answer in Chinese, on the bundled data ------------------------------------


@pytest.fixture(scope="module")
def zh_label():
    """The Chinese label of an ontology term (``Reported`` → 媒体报道), as the ontology gives it."""
    ontology = Graph().parse(ONTOLOGY)
    return lambda term: label_of(ontology, CHIPS[term], "zh")


def bundled_zh(runner, *args, data=()):
    """A question in Chinese about the bundled data (and ``data`` files beside it): its stdout."""
    result = runner.invoke(app, [*(a for d in data for a in ("--data", str(d))), *args, "--lang", "zh"])
    assert result.exit_code == 0, result.output
    return result.stdout


def no_english(out: str, *fragments: str) -> None:
    for fragment in fragments:
        assert fragment not in out, f"{fragment!r} left in English:\n{out}"


def test_a_hop_in_chinese_keeps_its_status(runner, tmp_path, zh_label):
    english = runner.invoke(app, ["path", "Nvidia", "Cerebras"]).stdout
    assert "Nvidia in talks to acquire Cerebras (2026-02, reported)" in english, english
    out = bundled_zh(runner, "path", "Nvidia", "Cerebras")
    assert f"英伟达洽谈收购Cerebras Systems（2026年2月，{zh_label('Reported')}）" in out, out
    bought = bundled_zh(runner, "path", "SoftBank", "Graphcore")
    assert f"金额未披露，{zh_label('Confirmed')}）" in bought, bought
    no_english(out + bought, "reported", "confirmed")
    # the status is the data's: another status in a data file, another word
    rumour = write_ttl(tmp_path, """
res:test-chips a chips:Company ; rdfs:label "Test Chips"@en , "测试芯片"@zh ; prov:wasDerivedFrom src:test-note .
res:acquisition-test a chips:Acquisition ; rdfs:label "Test"@en ; chips:acquirer res:nvidia ;
    chips:acquiredOrganization res:test-chips ; chips:date "2030-05"^^xsd:gYearMonth ; chips:status chips:Rumoured ;
    chips:quote "made up for a test"@en ; prov:wasDerivedFrom src:test-note .
""")
    told = bundled_zh(runner, "path", "Nvidia", "Test Chips", data=[rumour])
    assert f"英伟达收购了测试芯片（2030年5月，{zh_label('Rumoured')}）" in told, told
    # --json keeps the status as the key answers compare; only the sentence is in Chinese
    hop = json.loads(bundled_zh(runner, "path", "Nvidia", "Cerebras", "--json"))["paths"][0]["edges"][0]
    assert hop["attributes"]["status"] == "reported" and zh_label("Reported") in hop["sentence"], hop


def test_portfolio_in_chinese(runner, zh_label):
    out = bundled_zh(runner, "coinvest", "--portfolio")
    assert "投资方" in out and zh_label("InvestmentFirm") in out and "Cerebras Systems、" in out, out
    no_english(out, "Investors in", "Investor ", "How many", "Which", "InvestmentFirm", "investors", "start-ups")
    top = bundled_zh(runner, "coinvest", "--portfolio", "--top", "1")
    assert "（--top 2 显示全部）" in top, top
    no_english(top, "the top", "shows all")
    none = runner.invoke(app, ["coinvest", "--portfolio", "--among", "Groq,Graphcore,SambaNova", "--lang", "zh"])
    assert none.exit_code == 1 and "Groq、Graphcore、SambaNova" in none.stdout, none.output
    no_english(none.stdout, "No investor", "backed")


def test_time_ordered_path_in_chinese(runner):
    out = bundled_zh(runner, "path", "Graphcore", "Nvidia", "--in-order")
    assert "跳，按时间顺序" in out and "（无日期）" in out, out
    no_english(out, "in time order", "(undated)")


def test_snapshots_in_chinese(runner, zh_label):
    out = bundled_zh(runner, "entity", "Nvidia", "--as-of", "2010")
    assert out.startswith(f"英伟达 （{zh_label('Company')}）") and "（截至2010年）" in out, out
    no_english(out, "(Company)", "as of")
    both = bundled_zh(runner, "path", "Nvidia", "Graphcore", "--as-of", "2020", "--known-by", "2022")
    assert "（截至2020年，" in both and "2022年" in both, both
    no_english(both, "as of", "known by")
    for question in (("timeline", "Graphcore"), ("alumni", "Google")):
        answer = bundled_zh(runner, *question, "--as-of", "2020", "--dated-only")
        assert "截至2020年" in answer, answer
        no_english(answer, "as of", "dated facts only")


def test_timeline_marks_in_chinese(runner, zh_label):
    out = bundled_zh(runner, "timeline", "Graphcore")
    rumoured, reported = zh_label("Rumoured"), zh_label("Reported")
    assert f"· {rumoured}" in out and f"· {reported}（有争议）" in out, out
    assert f"{rumoured}（{rumoured}）" not in out and f"{reported}（{reported}" not in out  # said once, by the sentence
    no_english(out, "(disputed)", "(reported", "传闻 (rumoured)")  # a sheet's own phrase may end "(rumoured)"
    english = runner.invoke(app, ["timeline", "Graphcore"], env={"COLUMNS": "250"}).stdout
    assert "· rumoured" in english and "rumoured (rumoured)" not in english and "reported (reported" not in english


def test_viz_says_where_it_wrote_in_chinese(runner, tmp_path):
    page = tmp_path / "zh.html"
    out = bundled_zh(runner, "viz", "-o", str(page))
    assert page.exists() and f"已写入 {page}" in out and "--open" in out, out
    no_english(out, "Wrote", "works offline", "Open it", "browser")

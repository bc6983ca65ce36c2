"""Chinese beyond lookup: Traditional names, answers in Chinese (--lang zh), tables beside CJK text."""

import json
import os
import subprocess
import sys

from kgtest import ARTICLE_DATA, write_ttl
from rdflib import Graph, Literal

from kg.bundled import ONTOLOGY
from kg.cli import app
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

"""Building and rendering the network views (kg.views, ``kg viz``) without a browser."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg import load
from kg.vocab import turtle_prefixes
from kg.cli import app
from kg.errors import BadInput, NoPath, UnknownEntity
from kg.paths import resolve_class
from kg.views import MAX_NODES, build_view, render_html, safe_json, to_iframe, write_view

RES = "https://w3id.org/chipskg/id/"

PREFIXES = turtle_prefixes() + """\
src:t a chips:Source ; rdfs:label "Test article"@en ; chips:publisher "Test Daily" ;
    chips:published "2021-12-11"^^xsd:date .
"""

#: A small world: Nvidia reaches Graphcore through Icera and Nigel Toon; Jim Keller's employers;
#: a funding round with an amount; a chip with developer and foundry; one isolated university.
WORLD = PREFIXES + """
res:nvidia a chips:Company ; rdfs:label "Nvidia"@en , "英伟达"@zh ; chips:headquarters "Santa Clara"@en ; prov:wasDerivedFrom src:t .
res:icera a chips:Startup ; rdfs:label "Icera"@en , "Icera"@zh ; prov:wasDerivedFrom src:t .
res:graphcore a chips:Startup ; rdfs:label "Graphcore"@en , "Graphcore"@zh ; chips:foundingDate "2016"^^xsd:gYear ; prov:wasDerivedFrom src:t .
res:nigel-toon a chips:Person ; rdfs:label "Nigel Toon"@en , "奈杰尔·图恩"@zh ; prov:wasDerivedFrom src:t .
res:sequoia a chips:InvestmentFirm ; rdfs:label "Sequoia Capital"@en , "红杉资本"@zh ; prov:wasDerivedFrom src:t .
res:amd a chips:Company ; rdfs:label "AMD"@en , "AMD"@zh ; prov:wasDerivedFrom src:t .
res:tesla a chips:Company ; rdfs:label "Tesla"@en , "特斯拉"@zh ; prov:wasDerivedFrom src:t .
res:tenstorrent a chips:Startup ; rdfs:label "Tenstorrent"@en , "Tenstorrent"@zh ; prov:wasDerivedFrom src:t .
res:jim-keller a chips:Person ; rdfs:label "Jim Keller"@en , "吉姆·凯勒"@zh ; prov:wasDerivedFrom src:t .
res:tsmc a chips:Foundry ; rdfs:label "TSMC"@en , "台积电"@zh ; prov:wasDerivedFrom src:t .
res:colossus a chips:Chip ; rdfs:label "Colossus MK2"@en , "Colossus MK2"@zh ; chips:transistorCount 59400000000 ;
    chips:developer res:graphcore ; chips:foundry res:tsmc ; prov:wasDerivedFrom src:t .
res:lonely a chips:University ; rdfs:label "Lonely University"@en , "孤独大学"@zh ; prov:wasDerivedFrom src:t .

res:acq-nvidia-icera a chips:Acquisition ; chips:acquirer res:nvidia ; chips:acquiredOrganization res:icera ;
    chips:date "2011"^^xsd:gYear ; chips:amount 367000000.0 ; chips:currency "USD" ; chips:quote "英伟达收购Icera"@zh ; prov:wasDerivedFrom src:t .
res:founding-toon-icera a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:icera ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:founding-toon-graphcore a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:graphcore ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:round-graphcore-e a chips:FundingRound ; chips:fundedCompany res:graphcore ; chips:series "E" ; chips:amount 222000000.0 ;
    chips:currency "USD" ; chips:date "2020-12"^^xsd:gYearMonth ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:inv-sequoia-graphcore a chips:Investment ; chips:investor res:sequoia ; chips:round res:round-graphcore-e ; chips:isLead true ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:inv-sequoia-tenstorrent a chips:Investment ; chips:investor res:sequoia ; chips:investee res:tenstorrent ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:pos-keller-amd a chips:Position ; chips:holder res:jim-keller ; chips:organization res:amd ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:pos-keller-tesla a chips:Position ; chips:holder res:jim-keller ; chips:organization res:tesla ; chips:start "2016"^^xsd:gYear ;
    chips:end "2018"^^xsd:gYear ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:pos-keller-tenstorrent a chips:Position ; chips:holder res:jim-keller ; chips:organization res:tenstorrent ; chips:start "2020"^^xsd:gYear ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:comp-nvidia-amd a chips:Competition ; chips:competitor res:nvidia , res:amd ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:dep-tesla-nvidia a chips:Deployment ; chips:customer res:tesla ; chips:supplier res:nvidia ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:part-tesla-nvidia a chips:Partnership ; chips:partner res:tesla , res:nvidia ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""

#: Labels and facts written to break out of HTML, script elements and attributes.
EVIL_LABEL = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(2)</script>"
EVIL = PREFIXES + f"""
res:evil a chips:Company ; rdfs:label "{EVIL_LABEL}"@en , "{EVIL_SCRIPT}"@zh ;
    chips:headquarters "<a href=\\"javascript:alert(3)\\">click</a>"@en ; prov:wasDerivedFrom src:t .
res:victim a chips:Startup ; rdfs:label "{EVIL_SCRIPT}"@en , "受害者"@zh ; prov:wasDerivedFrom src:t .
res:acq-evil a chips:Acquisition ; chips:acquirer res:evil ; chips:acquiredOrganization res:victim ;
    chips:quote "<svg onload=alert(4)>"@zh ; prov:wasDerivedFrom src:t .
"""


def write(folder: Path, text: str, name: str = "world.ttl") -> Path:
    path = Path(folder) / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world_file(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("world"), WORLD)


@pytest.fixture(scope="module")
def world(world_file):
    return load([world_file])


def ids(view, kind="nodes"):
    return {item["id"] for item in view[kind]}


def external_links(page: str) -> list[str]:
    """Every src/href/url() in the page that would reach the network."""
    links = re.findall(r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]+)""", page, re.I)
    links += re.findall(r"""url\(\s*["']?((?:https?:)?//[^"')]+)""", page, re.I)
    links += re.findall(r"""@import\s+["']?((?:https?:)?//[^"';]+)""", page, re.I)
    return links


# --- which nodes and edges -------------------------------------------------------------------

def test_whole_view_is_the_projection(world):
    G = world.network
    view = build_view(world)
    assert ids(view) == set(G.nodes)
    assert len(view["edges"]) == G.number_of_edges() == 13
    assert {(e["from"], e["to"], e["kind"]) for e in view["edges"]} == {(u, v, d["kind"]) for u, v, d in G.edges(data=True)}
    assert view["title"] == "The whole graph"
    assert view["counts"] == {"nodes": 12, "edges": 13, "graph_nodes": 12, "graph_edges": 13}


def test_only_keeps_those_relations_and_their_ends(world):
    G = world.network
    view = build_view(world, only=["investedIn", "worked at"])
    expected = [(u, v) for u, v, d in G.edges(data=True) if d["kind"] in {"investedIn", "workedAt"}]
    assert sorted((e["from"], e["to"]) for e in view["edges"]) == sorted(expected)
    assert ids(view) == {n for edge in expected for n in edge}
    assert "relations: invested in, worked at" in view["subtitle"]


def test_class_filter_keeps_those_classes_and_subclasses(world):
    G = world.network
    view = build_view(world, classes=["Company,Person"])
    wanted = resolve_class(world, "Company") | resolve_class(world, "Person")
    assert "Startup" in wanted  # a start-up is a company
    assert ids(view) == {n for n, d in G.nodes(data=True) if d["cls"] in wanted}
    assert all(e["from"] in ids(view) and e["to"] in ids(view) for e in view["edges"])
    assert view["title"] == "The graph, filtered" and "classes: Company, Person" in view["subtitle"]


def test_focus_is_the_ego_network(world):
    one = build_view(world, focus="Jim Keller")
    assert ids(one) == {RES + n for n in ("jim-keller", "amd", "tesla", "tenstorrent")}
    assert [n["label"] for n in one["nodes"] if n["focus"]] == ["Jim Keller"]
    two = build_view(world, focus="jim keller", depth=2)
    assert ids(two) == ids(one) | {RES + "nvidia", RES + "sequoia"}
    assert two["title"] == "Jim Keller and everything within 2 hops"
    assert "6 entities, 7 relations (of 12 in the graph)" in two["subtitle"]


def test_path_view_marks_the_path_and_tells_the_hops(world):
    view = build_view(world, path=("Nvidia", "Graphcore"))
    assert view["title"] == "How Nvidia connects to Graphcore: 3 hops"
    assert ids(view) == set(world.network.nodes)  # the rest is present (faded in the page)
    on_path = [n["id"] for n in view["nodes"] if n["path"]]
    assert sorted(on_path) == sorted(RES + n for n in ("nvidia", "icera", "nigel-toon", "graphcore"))
    assert sorted((e["from"], e["to"]) for e in view["edges"] if e["path"]) == sorted([
        (RES + "nvidia", RES + "icera"), (RES + "nigel-toon", RES + "icera"), (RES + "nigel-toon", RES + "graphcore")])
    assert [h["sentence"] for h in view["hops"]] == [
        "Nvidia acquired Icera (2011, US$367M)", "Nigel Toon founded Icera", "Nigel Toon founded Graphcore"]
    assert view["hops"][0]["sources"] == ["Test article (Test Daily, 2021-12-11)"]


def test_a_changed_data_file_changes_the_path(tmp_path):
    # Sequoia now also backs Nvidia: the shortest way from Nvidia to Graphcore runs through the money.
    extra = PREFIXES + """
res:inv-sequoia-nvidia a chips:Investment ; chips:investor res:sequoia ; chips:investee res:nvidia ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""
    kg = load([write(tmp_path, WORLD), write(tmp_path, extra, "more.ttl")])
    view = build_view(kg, path=("Nvidia", "Graphcore"))
    assert view["title"] == "How Nvidia connects to Graphcore: 2 hops"
    assert [h["sentence"] for h in view["hops"]] == [
        "Sequoia Capital invested in Nvidia",
        "Sequoia Capital invested in Graphcore (Series E, 2020-12, US$222M round, lead)"]
    assert {n["id"] for n in view["nodes"] if n["path"]} == {RES + "nvidia", RES + "sequoia", RES + "graphcore"}


def test_unknown_names_and_no_path(world):
    with pytest.raises(UnknownEntity):
        build_view(world, focus="Nobody Atall")
    with pytest.raises(NoPath):
        build_view(world, path=("Nvidia", "Lonely University"))
    with pytest.raises(BadInput, match="known kinds"):
        build_view(world, only=["bribed"])
    with pytest.raises(BadInput, match="entity classes"):
        build_view(world, classes=["Dragon"])
    with pytest.raises(BadInput, match="size measure"):
        build_view(world, size_by="closeness-ish")
    with pytest.raises(BadInput, match="language"):
        build_view(world, lang="fr")


# --- how they are drawn ----------------------------------------------------------------------

def test_size_follows_the_chosen_centrality(world):
    by_id = {n["id"]: n for n in build_view(world)["nodes"]}
    # Nvidia has 4 ties, Lonely University none.
    assert by_id[RES + "nvidia"]["size"] > by_id[RES + "icera"]["size"] > by_id[RES + "lonely"]["size"]
    pagerank = {n["id"]: n["size"] for n in build_view(world, size_by="pagerank")["nodes"]}
    # PageRank follows directions: Icera is pointed to twice, Nigel Toon by nobody.
    assert pagerank[RES + "icera"] > pagerank[RES + "nigel-toon"]
    assert "Node size: pagerank centrality in this view" in build_view(world, size_by="pagerank")["notes"]


def test_colour_legend_and_edge_width(world):
    view = build_view(world)
    colours = {n["cls"]: n["color"] for n in view["nodes"]}
    assert len(set(colours.values())) == len(colours)  # one colour per class
    assert {item["cls"]: item["color"] for item in view["legend"]} == colours
    assert {item["cls"]: item["count"] for item in view["legend"]}["Company"] == 3
    width = {(e["from"].rsplit("/", 1)[-1], e["kind"], e["to"].rsplit("/", 1)[-1]): e["width"] for e in view["edges"]}
    assert width[("sequoia", "investedIn", "graphcore")] > width[("sequoia", "investedIn", "tenstorrent")] == 1.0
    assert width[("nvidia", "acquired", "icera")] > width[("sequoia", "investedIn", "graphcore")]  # $367M > $222M
    arrows = {e["kind"]: e["arrows"] for e in view["edges"]}
    assert arrows["acquired"] == "to" and arrows["partnerOf"] == ""  # symmetric relations have no arrow


def test_tooltips_hold_key_facts_and_sources(world):
    view = build_view(world)
    nvidia = next(n for n in view["nodes"] if n["label"] == "Nvidia")
    assert ["Also known as", "英伟达"] in nvidia["tip"]["facts"]
    assert any(value == "Santa Clara" for _, value in nvidia["tip"]["facts"])
    assert nvidia["tip"]["sources"] == ["Test article (Test Daily, 2021-12-11)"]
    chip = next(n for n in view["nodes"] if n["label"] == "Colossus MK2")
    assert any(value == "59,400,000,000" for _, value in chip["tip"]["facts"])
    acquired = next(e for e in view["edges"] if e["kind"] == "acquired")
    assert acquired["label"] == "acquired"
    assert acquired["tip"]["title"] == "Nvidia acquired Icera (2011, US$367M)"
    assert ["Quote", "英伟达收购Icera"] in acquired["tip"]["facts"]


def test_chinese_labels(world):
    view = build_view(world, focus="英伟达", lang="zh")
    labels = {n["label"] for n in view["nodes"]}
    assert {"英伟达", "特斯拉", "Icera"} <= labels
    assert view["title"] == "英伟达 及其 1 跳以内的关系网"
    assert {item["label"] for item in view["legend"]} >= {"公司", "初创公司"}
    acquired = next(e for e in view["edges"] if e["kind"] == "acquired")
    assert acquired["label"] == "收购了" and acquired["tip"]["title"] == "英伟达 收购了 Icera（2011，US$367M）"
    page = render_html(view)
    assert '<html lang="zh">' in page and "查找实体" in page


def test_large_views_are_refused_or_cut_to_the_top(world):
    with pytest.raises(BadInput, match=r"12 entities.*--focus NAME --depth 1, --top 500"):
        build_view(world, max_nodes=5)
    view = build_view(world, top=5, max_nodes=5)
    assert len(view["nodes"]) == 5 and view["title"] == "The 5 most central entities by degree"
    assert RES + "nvidia" in ids(view) and RES + "lonely" not in ids(view)
    with pytest.raises(BadInput, match="at most 5"):
        build_view(world, top=6, max_nodes=5)
    # A path in a view too large to show whole keeps the path and what touches it.
    view = build_view(world, path=("Nvidia", "Graphcore"), max_nodes=10)
    assert len(view["nodes"]) <= 10 and RES + "lonely" not in ids(view)
    assert sum(n["path"] for n in view["nodes"]) == 4
    assert MAX_NODES >= 1000


# --- the page ---------------------------------------------------------------------------------

def test_page_is_self_contained(world):
    page = render_html(build_view(world))
    assert page.startswith("<!DOCTYPE html>")
    assert external_links(page) == []
    assert not re.search(r"<(?:link|iframe|object|embed|base)\b", page, re.I)
    # Three script elements: the data (JSON, not run), vis-network and the page's own code.
    assert re.findall(r"^<script\b[^>]*>", page, re.M) == ['<script type="application/json" id="kg-data">', "<script>", "<script>"]
    assert page.count("</script>") == 3 and "<script src" not in page
    assert "vis.Network" in page and "Content-Security-Policy" in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]


def test_page_data_round_trips(world):
    view = build_view(world, path=("Nvidia", "Graphcore"))
    page = render_html(view)
    data = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data) == json.loads(json.dumps(view))


def test_malicious_labels_are_escaped(tmp_path):
    kg = load([write(tmp_path, EVIL, "evil.ttl")])
    for view in (build_view(kg), build_view(kg, focus=EVIL_LABEL), build_view(kg, focus="受害者", lang="zh")):
        page = render_html(view)
        for raw in (EVIL_LABEL, EVIL_SCRIPT, "<svg onload", '<a href="javascript'):
            assert raw not in page, f"{raw!r} reached the page unescaped"
        assert page.count("</script>") == 3  # the data cannot close a script element
        assert "onerror=alert(1)" in page  # ... but the text itself is there, as data
    view = build_view(kg, focus=EVIL_LABEL)
    assert view["title"] == f"{EVIL_LABEL} and everything within 1 hop"
    page = render_html(view)
    assert "<title>&lt;img src=x onerror=alert(1)&gt; and everything within 1 hop</title>" in page
    frame = to_iframe(view)
    assert "<img" not in frame and "</script>" not in frame.split("srcdoc=", 1)[1]  # the whole page is one attribute


def test_safe_json_escapes_markup():
    text = safe_json({"a": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_output_is_deterministic(world_file, tmp_path):
    """Two processes with different hash seeds write byte-identical pages."""
    script = ("import sys; from kg import load; from kg.views import build_view, render_html; "
              "kg = load([sys.argv[1]]); "
              "sys.stdout.write(render_html(build_view(kg, path=('Nvidia', 'Graphcore'))))")
    digests = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", script, str(world_file)], capture_output=True, env=env, check=True)
        digests.add(hashlib.sha256(out.stdout).hexdigest())
    assert len(digests) == 1
    kg = load([world_file])
    assert render_html(build_view(kg, path=("Nvidia", "Graphcore"))).encode() == out.stdout


def test_write_view_replaces_the_file(world, tmp_path):
    target = tmp_path / "view.html"
    target.write_text("old")
    written = write_view(build_view(world), target)
    assert written == target and target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["view.html"]


# --- the command --------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_viz_writes_the_page(world_file, tmp_path):
    out = tmp_path / "nvidia.html"
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "viz", "--path", "Nvidia", "Graphcore", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "How Nvidia connects to Graphcore: 3 hops — 12 entities, 13 relations" in result.output
    assert str(out) in result.output and "--open" in result.output
    assert "Nigel Toon founded Icera" in out.read_text(encoding="utf-8")


def test_cli_viz_json_and_filters(world_file, tmp_path):
    out = tmp_path / "v.html"
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "viz", "--class", "Company,Person", "--only", "workedAt",
                                 "--size-by", "betweenness", "--lang", "zh", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["nodes"] == 4 and answer["edges"] == 3 and answer["path"] == str(out)
    assert answer["title"] == "筛选后的图" and answer["bytes"] == out.stat().st_size


def test_cli_viz_default_output_in_current_folder(world_file, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), "viz", "--focus", "Jim Keller", "--depth", "2"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "kg-view.html").is_file() and "Wrote kg-view.html" in result.output


@pytest.mark.parametrize("args, code, message", [
    (["viz", "--focus", "Nobody Atall"], 1, "no entity named"),
    (["viz", "--path", "Nvidia", "Lonely University"], 1, "no connection"),
    (["viz", "--size-by", "wealth"], 2, "unknown size measure"),
    (["viz", "--class", "Dragon"], 2, "unknown class"),
    (["viz", "--top", "0"], 2, ""),
    (["viz", "-o", "/nonexistent-folder/x.html"], 2, "does not exist"),
])
def test_cli_viz_errors(world_file, args, code, message):
    result = runner.invoke(app, ["--no-bundled", "--data", str(world_file), *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output and message in result.output


def test_cli_viz_open_starts_the_browser(world_file, tmp_path):
    """--open hands the file:// URL to the default browser ($BROWSER here: a script that records it)."""
    marker = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text(f"import sys, pathlib; pathlib.Path({str(marker)!r}).write_text(sys.argv[1])\n")
    env = dict(os.environ, BROWSER=f"{sys.executable} {recorder} %s")
    out = tmp_path / "o.html"
    done = subprocess.run([sys.executable, "-m", "kg", "--no-bundled", "--data", str(world_file), "viz", "--open", "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == out.resolve().as_uri()
    assert "add --open" not in done.stdout

"""The explorer (`kg serve`, from /): a real server on loopback, asked by plain HTTP and walked in Chromium.

The server is the app ``kg serve`` builds (:func:`kg.server.create_app`) with one query worker, run
by uvicorn in a thread. The JSON routes are compared with the CLI's ``--json`` on the same data; the
pages are read as HTML and, in the browser tests, used as a reader would. Screenshots go to
``tests/artifacts/explorer-*.png``.
"""

import csv
import io
import json
import re
import threading
import time
import xml.dom.minidom
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from kg.bundled import DATA_DIR
from kg.cli import app
from kgtest import write_ttl

pytestmark = pytest.mark.server

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
RES = "https://w3id.org/chipskg/id/"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"

EVIL_LABEL = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(2)</script>"
#: Hostile names and text beside the bundled data, tied to Graphcore so that its page changes.
EVIL = f"""
res:evil a chips:Company ; rdfs:label "{EVIL_LABEL}"@en , "{EVIL_SCRIPT}"@zh ;
    skos:altLabel "evilcorp"@en ;
    chips:headquarters "<a href=\\"javascript:alert(3)\\">href</a><b onmouseover=alert(4)>x</b>"@en ;
    prov:wasDerivedFrom src:test-note .
res:victim a chips:Startup ; rdfs:label "{EVIL_SCRIPT} victim"@en , "<svg onload=alert(5)>"@zh ;
    prov:wasDerivedFrom src:evil-source .
res:acq-evil a chips:Acquisition ; chips:acquirer res:evil ; chips:acquiredOrganization res:victim ;
    chips:quote "<iframe src=javascript:alert(6)>"@zh ; prov:wasDerivedFrom src:test-note .
res:inv-evil a chips:Investment ; chips:investor res:evil ; chips:investee res:graphcore ;
    chips:quote "\\u0022'><script>alert(7)</script>"@zh ; prov:wasDerivedFrom src:test-note .
res:founding-2012 a chips:Founding ; chips:foundedOrganization res:graphcore ; chips:date "2012"^^xsd:gYear ;
    chips:quote "founded in 2012"@en ; prov:wasDerivedFrom src:test-note .
""" + "".join(f"""res:evil-inv-{i} a chips:Investment ; chips:investor res:evil ; chips:investee res:victim ;
    chips:quote "investment {i}"@en ; prov:wasDerivedFrom src:test-note .
""" for i in range(50)) + f"""
src:evil-source a chips:Source ; rdfs:label "{EVIL_LABEL} source"@en ; chips:publisher "<b>pub</b>" ;
    chips:published "2026-01-01"^^xsd:date ; schema:url "javascript:alert(8)" .
"""


# --- a server on loopback ------------------------------------------------------------------------

class Served:
    """The explorer app with one query worker, served by uvicorn on a loopback port in a thread."""

    def __init__(self, data, port: int, **pool):
        import uvicorn

        from kg.server import WorkerPool, create_app

        self.pool = WorkerPool(data, workers=1, timeout=20, **pool).start()
        config = uvicorn.Config(create_app(self.pool), host="127.0.0.1", port=port, log_level="warning",
                                timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the explorer did not start")
            time.sleep(0.02)
        self.base = f"http://127.0.0.1:{port}"

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.base + path, timeout=30, **kwargs)

    def close(self):
        self.server.should_exit = True
        self.thread.join(15)
        self.pool.close()


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def bundled():
    served = Served(None, _port())
    yield served
    served.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    extra = write_ttl(tmp_path_factory.mktemp("hostile"), EVIL)
    served = Served([str(DATA_DIR), str(extra)], _port())
    yield served
    served.close()


#: An investor only the remote endpoint's data holds.
FAR_INVESTOR = """
res:far-fund a chips:InvestmentFirm ; rdfs:label "Far Fund"@en , "远方基金"@zh ; prov:wasDerivedFrom src:test-note .
res:inv-far-fund a chips:Investment ; chips:investor res:far-fund ; chips:investee res:graphcore ;
    chips:quote "Far Fund invested in Graphcore"@en ; prov:wasDerivedFrom src:test-note .
"""


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """``kg serve --endpoint URL``: the explorer over a second server (an Oxigraph store on loopback) as its endpoint.

    The endpoint's data is the bundled data plus :data:`FAR_INVESTOR`; ``data`` names it for the CLI.
    """
    from kg.store import build_store

    folder = tmp_path_factory.mktemp("remote")
    data = [DATA_DIR, write_ttl(folder, FAR_INVESTOR)]
    build_store(folder / "store", data)
    endpoint = Served(None, _port(), store=str(folder / "store"))
    served = Served(None, _port(), endpoint=endpoint.base + "/sparql")
    served.data, served.endpoint = data, endpoint
    yield served
    served.close()
    endpoint.close()


def cli_json(runner, *args, data=None):
    options = [arg for path in data or [] for arg in ("--data", str(path))]
    result = runner.invoke(app, [*options, *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- JSON: the same answers as the CLI -----------------------------------------------------------

def test_api_gives_the_clis_json(bundled, runner):
    assert bundled.get("/api/entity/graphcore").json() == cli_json(runner, "entity", "res:graphcore")
    assert bundled.get("/api/path", params={"from": "Nvidia", "to": "Graphcore"}).json() == \
        cli_json(runner, "path", "Nvidia", "Graphcore")
    assert bundled.get("/api/path", params={"from": "Jim Keller", "to": "Cerebras", "k": 2, "avoid": "Intel"}).json() \
        == cli_json(runner, "path", "Jim Keller", "Cerebras", "--k", "2", "--avoid", "Intel")
    assert bundled.get("/api/path", params=[("from", "AMD"), ("to", "Cerebras"), ("only", "acquired"),
                                            ("only", "founded")]).json() == \
        cli_json(runner, "path", "AMD", "Cerebras", "--only", "acquired,founded")
    assert bundled.get("/api/neighbors/icera").json() == cli_json(runner, "neighbors", "Icera")
    assert bundled.get("/api/neighbors/jim-keller", params={"depth": 2}).json() == \
        cli_json(runner, "neighbors", "Jim Keller", "--depth", "2")


def test_as_of_and_known_by_ask_the_graph_of_that_time(bundled, runner):
    assert bundled.get("/api/entity/graphcore", params={"as_of": "2012"}).json() == \
        cli_json(runner, "entity", "res:graphcore", "--as-of", "2012")
    assert bundled.get("/api/path", params={"from": "Nvidia", "to": "Graphcore", "as_of": "2017"}).json() == \
        cli_json(runner, "path", "Nvidia", "Graphcore", "--as-of", "2017")
    html = bundled.get("/entity/graphcore", params={"as_of": "2012"}).text
    assert "As of 2012" in html and "Nigel Toon founded Graphcore" not in html and ">undated</span>" in html
    assert "Nigel Toon founded Graphcore" in bundled.get("/entity/graphcore", params={"as_of": "2017"}).text
    before = bundled.get("/path", params={"from": "Nvidia", "to": "Graphcore", "as_of": "2012"})
    assert before.status_code == 404 and "no connection between Nvidia and Graphcore" in before.text
    assert 'value="Nvidia"' in before.text and 'value="2012"' in before.text  # the form, to ask again
    bad = bundled.get("/entity/graphcore", params={"as_of": "20x"})
    assert bad.status_code == 400 and "20x" in bad.text


def test_api_search_reads_any_name(bundled):
    def first(q):
        answer = bundled.get("/api/search", params={"q": q}).json()
        assert answer["query"] == q
        return answer["results"][0]["slug"] if answer["results"] else None

    assert first("拟未") == "graphcore"          # a Chinese name, as it is typed
    assert first("英伟达") == "nvidia"
    assert first("Seammicro") == "seamicro"       # the article's misspelling, kept as an alias
    assert first("nvdia") == "nvidia"             # a small misspelling
    assert first("jim") == "jim-keller"           # a name being typed
    assert first("Atlantis Semiconductor") is None
    hit = bundled.get("/api/search", params={"q": "英伟达"}).json()["results"][0]
    assert hit == {"iri": "https://w3id.org/chipskg/id/nvidia", "slug": "nvidia", "label": "Nvidia",
                   "label_zh": "英伟达", "class": "Company"}


def test_api_errors_are_json_with_suggestions(bundled):
    assert bundled.get("/api/entity/graphcor").json()["label"] == "Graphcore"  # as `kg entity graphcor` reads it
    unknown = bundled.get("/api/entity/graphcore-labs-ltd")
    assert unknown.status_code == 404 and "Graphcore" in unknown.json()["suggestions"], unknown.text
    missing = bundled.get("/api/path", params={"from": "Nvidia"})
    assert missing.status_code == 400 and "from=A&to=B" in missing.json()["error"]
    bad_k = bundled.get("/api/path", params={"from": "Nvidia", "to": "Groq", "k": "many"})
    assert bad_k.status_code == 400 and "'many'" in bad_k.json()["error"]


# --- pages ---------------------------------------------------------------------------------------

def test_entity_page_shows_facts_grouped_with_sources(bundled):
    page = bundled.get("/entity/graphcore")
    assert page.status_code == 200, page.text
    html = page.text
    assert "<h1>Graphcore</h1>" in html and "拟未科技" in html
    for group in ("Funding", "People", "Products", "Customers and partners", "Other ties"):
        assert f">{group}</h3>" in html, group
    assert "Nigel Toon founded Graphcore · 2016" in html
    assert "Graphcore raised a funding round · 2020-12-29 · US$222M" in html
    # every source with publisher, date and link; facts cite it by number
    assert re.search(r'<li id="source-1">\s*<cite>A deep dive into the six Western AI-chip unicorns', html)
    assert "cnBeta · published 2021-12-11" in html
    assert 'href="https://w3id.org/chipskg/source/cnbeta-2021-12-11-ai-chip-unicorns"' in html
    assert html.count('href="#source-1"') >= 20
    # a link to every neighbour
    neighbours = {r["iri"].rsplit("/", 1)[-1] for r in bundled.get("/api/neighbors/graphcore").json()["reached"]}
    assert neighbours <= set(re.findall(r'href="/entity/([^"?]+)"', html)), neighbours
    # the small graph's data, safely inside the page
    data = json.loads(re.search(r'<script type="application/json" id="kg-graph">(.*?)</script>', html, re.S).group(1))
    assert data["center"] == "https://w3id.org/chipskg/id/graphcore" and len(data["nodes"]) == len(neighbours) + 1


def test_entity_page_keeps_corrections(bundled):
    html = bundled.get("/entity/seamicro").text
    assert ">Corrections</h3>" in html and "Seammicro" in html and "misspelling" in html


#: Two claims about Groq, the first saying it disagrees with the second, in hostile words.
STATED_DISPUTE = f"""
res:t-claim-1 a chips:Investment ; chips:investor res:intel ; chips:investee res:groq ;
    chips:statement "Intel invested in Groq"@en ; chips:note "{EVIL_SCRIPT} Conflicts with R2."@en ;
    chips:sheetRow "x.csv#<b>R1</b>" ; chips:disagreesWith res:t-claim-2 ; prov:wasDerivedFrom src:test-note .
res:t-claim-2 a chips:FundingRound ; chips:fundedCompany res:groq ; chips:series "Z" ;
    chips:statement "Groq raised a Series Z"@en ; chips:disagreesWith res:t-claim-1 ; prov:wasDerivedFrom src:test-note .
"""


def test_entity_page_quotes_a_dispute_a_source_states(bundled, tmp_path):
    html = bundled.get("/entity/intel").text
    assert "Funding round / Investment · Intel and SambaNova: disputed in the source&#39;s note" in html
    assert ("The source&#39;s note (updates-2022-2025.csv#A100): <q>Attributes the entire $350m to Intel and calls it "
            "Series F. Conflicts with A093.</q>") in html
    assert "disputed in the source" not in bundled.get("/entity/groq").text
    served = Served([str(DATA_DIR), str(write_ttl(tmp_path, STATED_DISPUTE))], _port())
    try:
        html = served.get("/entity/groq").text
    finally:
        served.close()
    assert "Investment / Funding round · Groq and Intel: disputed in the source&#39;s note" in html, html
    assert "The source&#39;s note (x.csv#&lt;b&gt;R1&lt;/b&gt;): <q>&lt;/script&gt;&lt;script&gt;alert(2)" in html
    assert EVIL_SCRIPT not in html and "<b>R1" not in html
    assert "The source says these disagree." in html  # the second claim's source, without a note or a row


def test_pages_by_any_name_redirect_to_the_stable_url(bundled):
    moved = bundled.get("/entity/" + quote("拟未科技"), follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/entity/graphcore"
    zh = bundled.get("/entity/" + quote("英伟达") + "?lang=zh", follow_redirects=False)
    assert zh.headers["location"] == "/entity/nvidia?lang=zh"
    assert bundled.get("/entity/graphcor", follow_redirects=False).headers["location"] == "/entity/graphcore"
    missing = bundled.get("/entity/graphcore-labs-ltd")
    assert missing.status_code == 404 and 'href="/?q=Graphcore"' in missing.text
    assert "no entity named" in missing.text and "did you mean" not in missing.text  # the names as links, once


def test_a_hub_shows_forty_facts_a_group_then_all(hostile):
    html = hostile.get("/entity/evil").text
    funding = html.split('id="g-funding"')[1].split("</section>")[0]
    assert funding.count('<li class="fact') == 40 and "Show all (11 more)" in funding
    assert 'href="/entity/evil?all=1#g-funding"' in funding
    everything = hostile.get("/entity/evil", params={"all": "1"}).text.split('id="g-funding"')[1].split("</section>")[0]
    assert everything.count('<li class="fact') == 51 and "Show all" not in everything


def test_an_entity_with_very_many_ties_is_shown_from_its_ties(tmp_path, monkeypatch):
    """Past MAX_DESCRIBED neighbours the page lists one fact per relation from the ties (seconds saved at scale)."""
    from kg.explorer import api
    from kg.loader import load

    def facts(page):
        return [f for _, shown, hidden in page["groups"] for f in shown]

    kg = load([DATA_DIR, write_ttl(tmp_path, EVIL)])
    full = api.entity_page(kg, "res:evil")
    assert "ties" not in full["entity"] and full["groups"][0][0] == "attributes"
    monkeypatch.setattr(api, "MAX_DESCRIBED", 1)
    page = api.entity_page(kg, "res:evil")
    hood = api.neighbors(kg, "res:evil")
    assert page["entity"]["ties"] == len(hood["reached"]) == 2  # Graphcore and the victim
    relations = {f["iri"] for f in facts(full) if f["kind"] == "relation"}
    assert {f["iri"] for f in facts(page)} == relations  # each relation once
    assert {f["text"] for f in facts(page)} == {e["sentence"] for g in hood["groups"] for e in g["edges"]}
    assert page["graph"] == full["graph"] and page["node"] == full["node"]
    described = api.entity(kg, "res:evil")  # /api/entity keeps everything
    assert [[g, f, 0] for g, f in api.group_facts(described.pop("facts"))] == full["groups"]
    assert described == full["entity"]
    capped = api.entity_page(kg, "res:evil", shown=40)  # the page: 40 facts a group, the rest counted
    assert [(g, len(shown), hidden) for g, shown, hidden in capped["groups"]] == [
        (g, min(len(shown), 40), max(len(shown) - 40, 0)) for g, shown, _ in page["groups"]]
    assert capped["sources"] == page["sources"]


def test_labels_for_iris(bundled):
    answer = bundled.get("/api/labels", params=[("iri", RES + "nvidia"), ("iri", "https://example.org/x")]).json()
    assert answer == {"labels": {RES + "nvidia": {"iri": RES + "nvidia", "slug": "nvidia", "label": "Nvidia",
                                                   "label_zh": "英伟达", "class": "Company"}}}
    too_many = bundled.get("/api/labels", params=[("iri", f"{RES}x{i}") for i in range(201)])
    assert too_many.status_code == 400 and "at most 200" in too_many.json()["error"]


def test_chinese_interface(bundled):
    html = bundled.get("/entity/nvidia", params={"lang": "zh"}).text
    assert '<html lang="zh-Hans">' in html and "<h1>英伟达</h1>" in html
    assert ">搜索</a>" in html and ">来源</h2>" in html and "类别: 公司" in html
    assert 'href="/entity/icera?lang=zh"' in html  # links keep the language
    assert 'href="/entity/nvidia"' in html and ">English</a>" in html  # the switch back


def test_the_chinese_view_tells_facts_and_hops_in_chinese(bundled, hostile, runner):
    assert bundled.get("/api/entity/graphcore", params={"lang": "zh"}).json() == \
        cli_json(runner, "entity", "res:graphcore", "--lang", "zh")
    hops = {"from": "Nvidia", "to": "Graphcore", "lang": "zh"}
    answer = bundled.get("/api/path", params=hops).json()
    assert answer == cli_json(runner, "path", "Nvidia", "Graphcore", "--lang", "zh")
    html = bundled.get("/path", params=hops).text
    for edge in answer["paths"][0]["edges"]:
        assert re.search(r"[\u4e00-\u9fff]", edge["sentence"]) and f'<span class="text">{edge["sentence"]}</span>' in html
    page = bundled.get("/entity/graphcore", params={"lang": "zh"}).text
    # the import's sentence parts: a deal, an undisclosed sum, a range, a status; the owner in the header
    for said in ("软银收购了Graphcore · 2024年7月11日 · 金额未披露 · 已确认", "Graphcore估值5亿美元至6亿美元",
                 "交易：软银收购了Graphcore · 媒体报道", "软银的子公司（2024年7月11日收购）"):
        assert said in page, said
    assert "sum not disclosed" not in page and "deal:" not in page and "SoftBank Group Corp acquired" not in page
    assert "SoftBank Group Corp acquired Graphcore" in bundled.get("/entity/graphcore").text  # English stays English
    # another data file, another sentence: the hostile investor's Chinese name, as text
    changed = hostile.get("/entity/graphcore", params={"lang": "zh"}).text
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;投资了Graphcore" in changed
    assert "投资了Graphcore" in page and "alert(2)" not in page


def test_the_cli_answers_in_chinese_over_a_sparql_endpoint(remote, runner):
    """``kg --endpoint URL … --lang zh`` (once refused) answers as ``--data`` does, the endpoint's own investor too."""
    endpoint = ["--endpoint", remote.endpoint.base + "/sparql"]
    for args in (["entity", "Graphcore"], ["entity", "远方基金"], ["path", "Far Fund", "Nvidia"],
                 ["neighbors", "Graphcore"], ["common", "Far Fund", "Sequoia"]):
        there = cli_json(runner, *endpoint, *args, "--lang", "zh")
        assert there == cli_json(runner, *args, "--lang", "zh", data=remote.data), args
        assert there != cli_json(runner, *endpoint, *args), args
    shown = runner.invoke(app, [*endpoint, "entity", "Graphcore", "--lang", "zh"])
    assert shown.exit_code == 0 and "远方基金" in shown.stdout and "融资" in shown.stdout, shown.output
    said = runner.invoke(app, [*endpoint, "path", "远方基金", "英伟达", "--lang", "zh"])
    assert said.exit_code == 0 and "远方基金投资了" in said.stdout and "英伟达收购了" in said.stdout, said.output
    # an IRI is described from its own graph; one that names no entity is refused as with --data
    assert cli_json(runner, *endpoint, "entity", "res:far-fund") == cli_json(runner, "entity", "远方基金", data=remote.data)
    for name in ("res:nobody", "https://w3id.org/chipskg/id/inv-far-fund"):
        there = runner.invoke(app, [*endpoint, "entity", name])
        here = runner.invoke(app, [*[a for p in remote.data for a in ("--data", str(p))], "entity", name])
        assert there.exit_code == here.exit_code == 1 and len(there.stderr.splitlines()) == 1, there.output


def test_the_explorer_works_over_a_sparql_endpoint(remote, runner):
    """Every page and answer from a remote endpoint, the same as from the endpoint's data on this machine."""
    data = remote.data
    assert remote.get("/api/entity/graphcore").json() == cli_json(runner, "entity", "res:graphcore", data=data)
    assert remote.get("/api/entity/graphcore", params={"lang": "zh"}).json() == \
        cli_json(runner, "entity", "res:graphcore", "--lang", "zh", data=data)
    assert remote.get("/api/path", params={"from": "Far Fund", "to": "Nvidia"}).json() == \
        cli_json(runner, "path", "Far Fund", "Nvidia", data=data)
    assert remote.get("/api/neighbors/icera").json() == cli_json(runner, "neighbors", "Icera", data=data)
    assert [hit["slug"] for hit in remote.get("/api/search", params={"q": "远方"}).json()["results"]] == ["far-fund"]
    # the pages: the endpoint's own investor, in both languages, with sources' details and links
    page = remote.get("/entity/graphcore").text
    assert "Far Fund invested in Graphcore" in page and 'href="/entity/far-fund"' in page
    assert "<cite>A test source</cite> · tests · published 2026-01-01" in page
    assert "</cite> · cnBeta · published 2021-12-11" in page
    assert "远方基金投资了Graphcore" in remote.get("/entity/graphcore", params={"lang": "zh"}).text
    assert "Far Fund" not in remote.endpoint.get("/entity/nvidia").text
    hops = remote.get("/path", params={"from": "远方基金", "to": "Nvidia"}).text
    assert "Far Fund invested in Graphcore" in hops and 'class="canvas" data-mode="path"' in hops
    assert remote.get("/explore", params={"focus": "Far Fund"}).status_code == 200
    drawn = remote.get("/api/graph/graphcore").json()
    assert {"远方基金", "宝马"} <= {n["label_zh"] for n in drawn["nodes"]}, drawn["nodes"]
    csv_text = remote.get("/questions/investors.csv", params={"company": "Graphcore"}).text
    local = runner.invoke(app, [*[a for p in data for a in ("--data", str(p))], "sparql", "--name", "investors",
                                "--param", "company=Graphcore", "--format", "csv"])
    assert csv_text.replace("\r\n", "\n") == local.stdout.replace("\r\n", "\n") and "Far Fund" in csv_text
    assert remote.get("/sparql", params={"query": "ASK { res:far-fund a chips:InvestmentFirm }"},
                      headers={"Accept": "text/csv"}).text.split() == ["_askResult", "true"]
    refused = remote.get("/entity/graphcore", params={"as_of": "2020"})
    assert refused.status_code == 400 and "need local data" in refused.text


def test_entity_and_path_pages_over_an_endpoint_are_those_on_files(remote):
    """What the pages show over --endpoint is what they show on the same data as files; an entity page asks twice.

    The entity page describes the entity and draws its ties from one graph fetched
    for it: the ties reached through another relation (SoftBank owns Graphcore by
    its acquisition) and a deal told in Chinese (a valuation's acquisition) are there.
    """
    from kg.explorer.api import call
    from kg.loader import load
    from kg.remote import RemoteKnowledgeGraph

    there, here = RemoteKnowledgeGraph(remote.endpoint.base + "/sparql"), load(remote.data)
    pages = [{"fn": "entity_page", "args": {"name": RES + slug, "lang": lang}}
             for slug in ("graphcore", "softbank", "nigel-toon", "far-fund") for lang in ("en", "zh")]
    pages += [{"fn": "path_page", "args": {"source": a, "target": b}}
              for a, b in (("Nvidia", "Graphcore"), ("Jim Keller", "Cerebras"), ("Far Fund", "Nvidia"))]
    answers = {}
    for job in pages:
        answers[json.dumps(job)] = json.loads(call(there, job)[2])
        assert answers[json.dumps(job)] == json.loads(call(here, job)[2]), job
    owned = answers[json.dumps(pages[2])]["graph"]["edges"]
    assert {(e["from"], e["kind"], e["to"]) for e in owned} >= {(RES + "graphcore", "subsidiaryOf", RES + "softbank")}
    told = [f["text"] for _, shown, _ in answers[json.dumps(pages[5])]["groups"] for f in shown]
    assert any("交易：软银收购了Graphcore" in text for text in told), told
    drawn = {n["iri"] for n in answers[json.dumps(pages[0])]["graph"]["nodes"]}
    assert RES + "far-fund" in drawn  # the endpoint's own investor: its data, not the bundled files
    assert RES + "far-fund" not in {n["iri"] for n in json.loads(call(load(), pages[0])[2])["graph"]["nodes"]}
    call(there, pages[0])  # the sources' details are read once per graph
    before = there.endpoint.queries
    call(there, pages[0])
    assert there.endpoint.queries - before == 2
    # by its slug, as the pages ask, no more queries than by its IRI: the graph fetched tells that the slug names it
    for fn in ("entity_page", "entity", "graph", "neighbors"):
        asked = []
        for args in ({"name": RES + "graphcore"}, {"slug": "graphcore"}):
            expected = call(here, {"fn": fn, "args": args})
            before = there.endpoint.queries
            assert call(there, {"fn": fn, "args": args}) == expected, (fn, args)
            asked.append(there.endpoint.queries - before)
        assert asked[1] == asked[0], fn
        for slug in ("far-fund", "英伟达", "no-such-entity"):  # a name, not a res: name, is read as a name
            job = {"fn": fn, "args": {"slug": slug, "lang": "zh"}}
            assert call(there, job) == call(here, job), job


def test_path_page_tells_the_hops_with_sources(bundled):
    answer = bundled.get("/api/path", params={"from": "Nvidia", "to": "Graphcore", "k": 2}).json()
    html = bundled.get("/path", params={"from": "Nvidia", "to": "Graphcore", "k": 2}).text
    for path in answer["paths"]:
        for edge in path["edges"]:
            assert re.search(re.escape(f'<span class="text">{edge["sentence"]}</span>') + r'.{0,200}?<a class="cite" href="#source-\d+"',
                             html, re.S), edge
    positions = [html.index(e["sentence"]) for e in answer["paths"][0]["edges"]]
    assert positions == sorted(positions)
    around = {"from": "Jim Keller", "to": "Cerebras", "avoid": "AMD"}
    avoided = bundled.get("/path", params=around).text
    hops = [e["sentence"] for e in bundled.get("/api/path", params=around).json()["paths"][0]["edges"]]
    assert all(f'<span class="text">{h}</span>' in avoided for h in hops) and not any("AMD" in h for h in hops)
    nothing = bundled.get("/path", params={"from": "Nvidia", "to": "Graphcore", "only": "investedIn"})
    assert nothing.status_code == 404 and "no connection between Nvidia and Graphcore" in nothing.text


def test_questions_are_forms_that_take_names(bundled, runner):
    listing = bundled.get("/questions").text
    from kg.sparql import saved_queries

    for q in saved_queries():
        assert f'href="/questions/{q.name}"' in listing
    form = bundled.get("/questions/investors").text
    assert 'name="company"' in form and 'name="investor"' in form and "VALUES" not in form.split("<details")[0]
    html = bundled.get("/questions/investors", params={"company": "拟未科技"}).text
    assert "5 row(s)" in html and '<a href="/entity/bmw">BMW</a>' in html
    download = bundled.get("/questions/investors.csv", params={"company": "拟未科技"})
    assert download.headers["content-disposition"] == 'attachment; filename="investors.csv"'
    result = runner.invoke(app, ["sparql", "--name", "investors", "--param", "company=拟未科技", "--format", "csv"])
    assert download.text.replace("\r\n", "\n") == result.stdout.replace("\r\n", "\n")
    doc = bundled.get("/questions/investors.json", params={"company": "Groq"}).json()
    assert {b["investor"]["value"].rsplit("/", 1)[-1] for b in doc["results"]["bindings"]} == \
        {"tiger-global-management", "dan-sundheim"}
    unknown = bundled.get("/questions/investors", params={"company": "Atlantis"})
    assert unknown.status_code == 404 and "no entity named &#39;Atlantis&#39;" in unknown.text


def test_every_response_is_read_only_local_and_has_a_policy(bundled):
    for path in ("/", "/entity/graphcore", "/path?from=Nvidia&to=Graphcore", "/explore?focus=Groq", "/questions",
                 "/questions/chips", "/api/search?q=groq"):
        response = bundled.get(path)
        assert response.status_code == 200, path
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "default-src 'none'" in policy
        assert float(response.headers["server-timing"].split("dur=")[1]) >= 0
        loaded = re.findall(r'(?:src|action)="([^"]+)"', response.text) + re.findall(r'<link[^>]*href="([^"]+)"', response.text)
        assert not [r for r in loaded if re.match(r"(https?:)?//", r)], (path, loaded)  # links to sources may leave
        assert not re.search(r"<script(?![^>]*(src=|type=\"application/json\"))", response.text), path
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            assert httpx.request(method, bundled.base + path.split("?")[0]).status_code == 405, (method, path)
    for asset in ("/assets/explorer.js", "/assets/graph.js", "/assets/explorer.css", "/assets/vis-network.min.js"):
        assert bundled.get(asset).status_code == 200
    assert "Apache 2.0 License" in bundled.get("/assets/vis-network.min.js").text[:1000]  # its licence travels with it


def test_hostile_labels_are_text_and_changed_data_changes_the_page(hostile):
    html = hostile.get("/entity/graphcore").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the new investor from the extra file, escaped
    assert EVIL_LABEL not in html and "<script>alert" not in html
    # the extra file's founding year disputes the article's: both sides shown, each with its source
    disputed = html.split('id="g-disputes"')[1].split("</section>")[0]
    assert "Founding · Graphcore: date" in disputed and "Not settled" in disputed
    assert re.search(r"<li>2012 <a class=\"cite\" href=\"#source-(\d+)\"", disputed)
    assert re.search(r"<li>2016 <a class=\"cite\" href=\"#source-(\d+)\"", disputed)
    assert "Graphcore" in hostile.get("/api/entity/graphcore").json()["disputes"][0]["fact"]
    evil = hostile.get("/entity/evil").text
    assert EVIL_LABEL not in evil and "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in evil
    assert "<b onmouseover" not in evil and "&lt;b onmouseover=alert(4)&gt;" in evil
    assert not re.search(r'href="javascript:', evil, re.I)
    data = re.search(r'id="kg-graph">(.*?)</script>', evil, re.S).group(1)
    assert "</script" not in data and "<" not in data
    victim = hostile.get("/entity/victim").text
    assert "&lt;img src=x onerror=alert(1)&gt; source</cite> · &lt;b&gt;pub&lt;/b&gt;" in victim
    assert not re.search(r'href="javascript:', victim, re.I)  # schema:url "javascript:..." is shown, never linked
    search = hostile.get("/api/search", params={"q": "evilcorp"}).json()["results"]
    assert search[0]["label"] == EVIL_LABEL


# --- in the browser ------------------------------------------------------------------------------

from test_views_browser import browser  # noqa: E402,F401  (the module's Chromium, skipped loudly without it)


class Reader:
    """A browser tab on the explorer that records what a page must never do."""

    def __init__(self, browser, served, width=1300, height=900, lang=None):
        self.served = served
        self.context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.errors, self.dialogs, self.foreign = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

        def route(r):
            if r.request.url.startswith(served.base + "/"):
                r.continue_()
            else:
                self.foreign.append(r.request.url)
                r.abort()

        self.context.route("**/*", route)

    def go(self, path: str):
        self.page.goto(self.served.base + path)
        self.wait("() => window.kgReady === true")
        if self.js("!!document.getElementById('kg-canvas')"):
            self.wait("() => window.kgGraphReady === true", 20_000)

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def wait(self, predicate: str, timeout: float = 10_000):
        # page.wait_for_function compiles its predicate with new Function, which the CSP rightly refuses
        deadline = time.perf_counter() + timeout / 1000
        while not self.page.evaluate(predicate):
            if time.perf_counter() > deadline:
                raise AssertionError(f"timed out waiting for {predicate}; errors: {self.errors}")
            self.page.wait_for_timeout(25)

    def suggest(self, selector: str, text: str) -> list[str]:
        """Type ``text`` and return the suggestions shown under the field."""
        self.page.fill(selector, "")
        self.page.type(selector, text, delay=20)
        listbox = "#" + self.page.get_attribute(selector, "aria-controls")
        self.wait(f"() => document.querySelectorAll('{listbox} [role=option]').length > 0")
        return self.page.locator(f"{listbox} [role=option] .name").all_inner_texts()

    def axe(self) -> list:
        """Serious and critical accessibility violations found by axe-core (run over CDP, not as page script)."""
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                if v["impact"] in ("serious", "critical")]

    def screenshot(self, name: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def node_point(self, iri: str) -> tuple[float, float]:
        return tuple(self.js("""id => {
            const net = window.kgNetwork, p = net.canvasToDOM(net.getPosition(id));
            const box = document.querySelector('#kg-canvas canvas').getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }""", iri))

    def clean(self):
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs
        assert self.foreign == [], self.foreign

    def close(self):
        self.context.close()


@pytest.fixture
def reader(browser):
    opened = []

    def make(served, **kwargs):
        tab = Reader(browser, served, **kwargs)
        opened.append(tab)
        return tab

    yield make
    for tab in opened:
        tab.close()


@pytest.mark.browser
def test_the_canvas_draws_every_relation_of_a_pair(bundled, reader):
    """G42 bought from Cerebras twice (two deals, two sources): the canvas and its panel keep both."""
    drawing = bundled.get("/api/graph/cerebras").json()
    twice = [e for e in drawing["edges"] if (e["from"], e["kind"]) == (RES + "g42", "customerOf")]
    assert len(twice) == 2 and twice[0]["sentence"] != twice[1]["sentence"], twice
    r = reader(bundled)
    r.go("/explore?focus=G42")
    r.wait("() => window.kgGraphReady === true", 20_000)
    drawn = r.js("window.kgEdges.get().filter(e => e.from.endsWith('/g42') && e.kind === 'customerOf')"
                 ".map(e => e.raw.sentence)")
    assert sorted(drawn) == sorted(e["sentence"] for e in twice), drawn
    r.clean()


@pytest.mark.browser
def test_a_reader_walks_the_explorer(bundled, reader, runner):
    """Search in Chinese → entity page → path → expand on the canvas → a saved question → CSV."""
    r = reader(bundled)
    page = r.page
    r.go("/")
    assert r.axe() == []
    assert r.suggest("#q", "拟未")[0] == "Graphcore"
    page.press("#q", "ArrowDown")
    page.press("#q", "Enter")
    page.wait_for_url("**/entity/graphcore")
    r.wait("() => window.kgGraphReady === true", 20_000)
    assert page.inner_text("h1") == "Graphcore"
    assert "cnBeta · published 2021-12-11" in page.inner_text(".sources")
    drawn = r.js("window.kgNodes.getIds()")
    assert len(drawn) == 1 + len(bundled.get("/api/neighbors/graphcore").json()["reached"])
    assert r.axe() == []
    r.screenshot("explorer-entity.png")

    # how does Graphcore connect to Nvidia? picked by its Chinese name
    page.click("text=Connect to…")
    page.wait_for_url("**/path?from=Graphcore")
    assert r.suggest("#to", "英伟达") == ["Nvidia"]
    page.press("#to", "ArrowDown")
    page.press("#to", "Enter")
    assert page.input_value("#to") == "Nvidia"
    page.click("form.path-form button[type=submit]")
    r.wait("() => window.kgGraphReady === true", 20_000)
    hops = page.locator(".hops li .text").all_inner_texts()
    answer = bundled.get("/api/path", params={"from": "Graphcore", "to": "Nvidia"}).json()
    assert hops == [e["sentence"] for e in answer["paths"][0]["edges"]] and len(hops) == 3
    faded = r.js("window.kgNodes.get().filter(n => n.opacity !== undefined && n.opacity < 1).length")
    assert faded == len(r.js("window.kgNodes.getIds()")) - 4 > 0
    assert r.axe() == []
    r.screenshot("explorer-path.png")

    # grow the picture from Jim Keller: a click on Tenstorrent brings its neighbours
    page.click("nav >> text=Explore")
    page.fill("#focus", "Jim Keller")
    page.press("#focus", "Enter")
    r.wait("() => window.kgGraphReady === true", 20_000)
    before = set(r.js("window.kgNodes.getIds()"))
    x, y = r.node_point(RES + "tenstorrent")
    page.mouse.click(x, y)
    r.wait("() => window.kgNodes.length > %d && !window.kgExpanding" % len(before))
    after = set(r.js("window.kgNodes.getIds()"))
    theirs = {n["iri"] for n in bundled.get("/api/graph/tenstorrent").json()["nodes"]}
    assert after == before | theirs and after > before
    assert "Tenstorrent" in page.inner_text("#kg-selected")
    # pin it, hide Jim Keller, hide the people, save the picture
    page.click("#kg-pin")
    assert r.js("window.kgNodes.get('%s').fixed" % (RES + "tenstorrent")) is True
    page.select_option("#kg-pick", RES + "jim-keller")
    page.focus("#kg-hide")
    page.keyboard.press("Enter")  # by keyboard
    assert RES + "jim-keller" not in r.js("window.kgNodes.getIds()")
    page.uncheck("#kg-class-filter-Person")
    shown = r.js("window.kgNetwork.body.data.nodes.get().map(n => n.cls)")
    assert "Person" not in shown and len(shown) > 0
    with page.expect_download() as got:
        page.click("#kg-graphml")
    doc = xml.dom.minidom.parseString(Path(got.value.path()).read_bytes())
    assert len(doc.getElementsByTagName("node")) == len(shown)
    with page.expect_download() as got:
        page.click("#kg-png")
    assert Path(got.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.axe() == []
    r.screenshot("explorer-explore.png")

    # a saved question through its form, by a Chinese name; the CSV is what the CLI writes
    page.click("nav >> text=Questions")
    page.click("text=Investors of a company")
    assert r.suggest("#p-company", "拟未科技") == ["Graphcore"]
    page.press("#p-company", "Escape")
    assert r.js("document.getElementById('p-company-list').hidden") is True
    page.press("#p-company", "Enter")  # the typed Chinese name goes with the form
    page.wait_for_selector("table")
    assert "company=%E6%8B%9F" in page.url and "BMW" in page.locator("table tbody").inner_text()
    assert page.locator("table tbody tr").count() == 5
    assert r.axe() == []
    r.screenshot("explorer-question.png")
    with page.expect_download() as got:
        page.click("#download-csv")
    expected = runner.invoke(app, ["sparql", "--name", "investors", "--param", "company=拟未科技", "--format", "csv"])
    downloaded = Path(got.value.path()).read_text(encoding="utf-8")
    assert list(csv.reader(io.StringIO(downloaded))) == list(csv.reader(io.StringIO(expected.stdout)))
    assert len(downloaded.splitlines()) == 6
    r.clean()


@pytest.mark.browser
def test_the_query_page_shows_names_beside_iris(bundled, reader):
    r = reader(bundled)
    page = r.page
    page.goto(bundled.base + "/query")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15_000)
    page.evaluate("""() => { window.kgYasgui.getTab().setQuery(
        'PREFIX chips: <https://w3id.org/chipskg/ontology#>\\n' +
        'SELECT ?investor ?company WHERE { ?investor chips:investedIn ?company } ORDER BY ?investor LIMIT 5'); }""")
    page.click(".yasqe_queryButton")
    page.wait_for_selector(".yasr table.dataTable a.kg-label", timeout=15_000)
    r.wait("() => document.querySelectorAll('.yasr table.dataTable a.kg-label').length === 10")
    names = page.locator(".yasr table.dataTable a.kg-label").all_inner_texts()
    answer = bundled.get("/sparql", params={"query": "PREFIX chips: <https://w3id.org/chipskg/ontology#> SELECT ?investor "
                                                   "WHERE { ?investor chips:investedIn ?company } ORDER BY ?investor LIMIT 5"},
                         headers={"Accept": "application/sparql-results+json"}).json()
    first = answer["results"]["bindings"][0]["investor"]["value"]
    assert names[0] == bundled.get("/api/labels", params={"iri": first}).json()["labels"][first]["label"]
    assert page.get_attribute(".yasr table.dataTable a.kg-label", "href").endswith("/entity/" + first.rsplit("/", 1)[1])
    r.screenshot("explorer-query-page.png")
    r.clean()


@pytest.mark.browser
def test_chinese_on_a_phone(bundled, reader):
    r = reader(bundled, width=390, height=844)
    r.go("/entity/graphcore?lang=zh")
    assert r.js("document.documentElement.lang") == "zh-Hans"
    assert r.page.inner_text("h1") == "Graphcore" and "拟未科技" in r.page.inner_text(".labels")
    assert r.page.inner_text("nav") .split() == ["搜索", "查关系", "探索", "常用问题", "SPARQL"]
    assert r.js("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    assert r.axe() == []
    r.screenshot("explorer-entity-zh-phone.png")
    r.page.click("text=English")
    r.page.wait_for_url("**/entity/graphcore")
    assert r.page.inner_text("nav").split()[0] == "Search"
    r.go("/?lang=zh")
    assert r.suggest("#q", "jim keler")[0] == "Jim Keller"
    r.screenshot("explorer-search-zh-phone.png")
    r.clean()


@pytest.mark.browser
def test_the_chinese_view_of_an_entity_and_a_path_reads_in_chinese(bundled, reader, runner):
    r = reader(bundled)
    r.go("/entity/graphcore?lang=zh")
    facts = r.page.locator(".facts .text").all_inner_texts()
    assert "软银收购了Graphcore · 2024年7月11日 · 金额未披露 · 已确认" in facts, facts
    assert not any("deal:" in f or "not disclosed" in f for f in facts), facts
    r.screenshot("explorer-entity-zh.png")
    r.page.click("text=查与…的关系")
    r.page.wait_for_url("**/path?from=*")
    r.page.fill("#to", "英伟达")
    r.page.click("form.path-form button[type=submit]")
    r.wait("() => window.kgGraphReady === true", 20_000)
    shown = r.page.locator(".hops .text").all_inner_texts()
    wanted = cli_json(runner, "path", "Graphcore", "英伟达", "--lang", "zh")["paths"][0]["edges"]
    assert shown == [e["sentence"] for e in wanted] and all(re.search(r"[\u4e00-\u9fff]", s) for s in shown), shown
    assert r.js("document.documentElement.lang") == "zh-Hans"
    r.screenshot("explorer-path-zh.png")
    r.clean()


@pytest.mark.browser
def test_a_reader_walks_the_explorer_over_a_sparql_endpoint(remote, reader):
    """kg serve --endpoint: search, an entity page with its graph, a click on the canvas, in Chinese."""
    r = reader(remote)
    page = r.page
    r.go("/?lang=zh")
    assert r.suggest("#q", "远方")[0] == "远方基金"
    page.press("#q", "ArrowDown")
    page.press("#q", "Enter")
    page.wait_for_url("**/entity/far-fund?lang=zh")
    r.wait("() => window.kgGraphReady === true", 20_000)
    assert page.inner_text("h1") == "远方基金" and "远方基金投资了Graphcore" in page.inner_text(".facts")
    assert set(r.js("window.kgNodes.getIds()")) == {RES + "far-fund", RES + "graphcore"}
    assert r.axe() == []
    r.screenshot("explorer-endpoint-entity-zh.png")
    r.go("/explore?focus=%E8%BF%9C%E6%96%B9%E5%9F%BA%E9%87%91&lang=zh")
    x, y = r.node_point(RES + "graphcore")
    page.mouse.click(x, y)  # expands Graphcore: its neighbours arrive from the endpoint
    r.wait("() => window.kgNodes.getIds().length > 2", 20_000)
    assert RES + "bmw" in r.js("window.kgNodes.getIds()")
    said = page.inner_text("#kg-panel") if r.js("!!document.getElementById('kg-panel')") else page.inner_text("main")
    assert "软银收购了Graphcore" in said and "SoftBank acquired" not in said, said  # what arrives is in Chinese too
    r.screenshot("explorer-endpoint-explore-zh.png")
    r.clean()


@pytest.mark.browser
def test_hostile_labels_run_nothing_in_the_browser(hostile, reader):
    for lang in ("en", "zh"):
        r = reader(hostile)
        tail = "" if lang == "en" else "lang=zh"
        r.go("/?" + tail)
        r.suggest("#q", "evilcorp")
        for path in ("/entity/evil?", "/entity/victim?", "/entity/graphcore?", "/path?from=evilcorp&to=Nvidia&",
                     "/questions/investors?company=Graphcore&", "/explore?focus=evilcorp&"):
            r.go(path + tail)
        for iri in r.js("window.kgNodes.getIds()"):
            x, y = r.node_point(iri)
            r.page.mouse.move(x, y)
            r.page.wait_for_timeout(200)
            r.page.mouse.click(x, y)
            r.wait("() => !window.kgExpanding")
        # the page's own: interface text, explorer.js, graph data, vocabulary, vis-network, graph.js
        assert r.js("document.scripts.length") == 6
        assert r.js("document.querySelectorAll('img, svg, iframe, object, embed, b').length") == 0
        assert r.js("""Array.from(document.querySelectorAll('*')).filter(
            e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length""") == 0
        labels = r.js("window.kgNodes.get().map(n => n.label)")
        assert (EVIL_LABEL if lang == "en" else EVIL_SCRIPT) in labels
        r.screenshot(f"explorer-hostile-{lang}.png")
        r.clean()

"""The generated page in a real headless Chromium (Playwright), with every network request blocked.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``.ci/run`` installs it) and the
``playwright`` Python package; Playwright's own browser download is not used. Without them the
tests are skipped with a loud reason; set ``KG_REQUIRE_BROWSER=1`` to make that a failure instead.
Screenshots and timings go to ``tests/artifacts/``.
"""

import json
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kg import load
from kg.vocab import turtle_prefixes
from kg.views import build_view, write_view

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
RES = "https://w3id.org/chipskg/id/"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
                 "--disable-default-apps", "--mute-audio"]

PREFIXES = turtle_prefixes() + """\
src:t a chips:Source ; rdfs:label "Test article"@en ; chips:publisher "Test Daily" ; chips:published "2021-12-11"^^xsd:date .
"""

WORLD = PREFIXES + """
res:nvidia a chips:Company ; rdfs:label "Nvidia"@en , "英伟达"@zh ; chips:headquarters "Santa Clara"@en ; prov:wasDerivedFrom src:t .
res:icera a chips:Startup ; rdfs:label "Icera"@en , "Icera"@zh ; prov:wasDerivedFrom src:t .
res:graphcore a chips:Startup ; rdfs:label "Graphcore"@en , "Graphcore"@zh ; prov:wasDerivedFrom src:t .
res:nigel-toon a chips:Person ; rdfs:label "Nigel Toon"@en , "奈杰尔·图恩"@zh ; prov:wasDerivedFrom src:t .
res:sequoia a chips:InvestmentFirm ; rdfs:label "Sequoia Capital"@en , "红杉资本"@zh ; prov:wasDerivedFrom src:t .
res:tesla a chips:Company ; rdfs:label "Tesla"@en , "特斯拉"@zh ; prov:wasDerivedFrom src:t .
res:amd a chips:Company ; rdfs:label "AMD"@en , "AMD"@zh ; prov:wasDerivedFrom src:t .
res:acq a chips:Acquisition ; chips:acquirer res:nvidia ; chips:acquiredOrganization res:icera ; chips:date "2011"^^xsd:gYear ;
    chips:amount 367000000.0 ; chips:currency "USD" ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:f1 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:icera ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:f2 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:graphcore ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:i1 a chips:Investment ; chips:investor res:sequoia ; chips:investee res:graphcore ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:d1 a chips:Deployment ; chips:customer res:tesla ; chips:supplier res:nvidia ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:c1 a chips:Competition ; chips:competitor res:nvidia , res:amd ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""

EVIL_LABEL = "<img src=x onerror=alert(1)>"
EVIL_SCRIPT = "</script><script>alert(2)</script>"
EVIL = PREFIXES + f"""
res:evil a chips:Company ; rdfs:label "{EVIL_LABEL}"@en , "{EVIL_SCRIPT}"@zh ;
    chips:headquarters "<a href=\\"javascript:alert(3)\\">href</a><b onmouseover=alert(4)>x</b>"@en ; prov:wasDerivedFrom src:t .
res:victim a chips:Startup ; rdfs:label "{EVIL_SCRIPT}"@en , "<svg onload=alert(5)>"@zh ; prov:wasDerivedFrom src:t .
res:acq-evil a chips:Acquisition ; chips:acquirer res:evil ; chips:acquiredOrganization res:victim ;
    chips:quote "<iframe src=javascript:alert(6)>"@zh ; prov:wasDerivedFrom src:t .
"""


# --- the browser ---------------------------------------------------------------------------------

def _no_browser(reason: str):
    message = f"BROWSER TESTS NOT RUN: {reason}"
    if os.environ.get("KG_REQUIRE_BROWSER"):
        pytest.fail(message + " (KG_REQUIRE_BROWSER is set)")
    pytest.skip(message)


def _find_chromium() -> str | None:
    for candidate in (os.environ.get("KG_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium",
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is missing; pip install -e '.[test]'")
    executable = _find_chromium()
    if executable is None:
        _no_browser("no Chromium found; apt-get install -y chromium (as .ci/run does) or set KG_CHROMIUM")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as e:  # a broken install: say so instead of passing silently
        playwright.stop()
        _no_browser(f"Chromium at {executable} would not start: {' '.join(str(e).split())[:300]}")
    yield chromium
    chromium.close()
    playwright.stop()


@dataclass
class Loaded:
    """A page and what happened while it ran."""

    page: object
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    requests: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    wall: float = 0.0

    def js(self, expression, arg=None):
        return self.page.evaluate(expression, arg)

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture
def open_page(browser):
    contexts = []

    def run(html: Path, width: int = 1400, height: int = 900, timeout: float = 60_000, bypass_csp: bool = False) -> Loaded:
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        loaded = Loaded(page)

        def route(r):
            if r.request.url.startswith("file://"):
                r.continue_()
            else:  # the page must not reach the network: count and refuse
                loaded.blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page.on("request", lambda request: loaded.requests.append(request.url))
        page.on("console", lambda m: (loaded.errors if m.type == "error" else loaded.warnings).append(m.text)
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: loaded.errors.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: (loaded.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        start = time.perf_counter()
        page.goto(html.resolve().as_uri())
        wait_until(loaded, "() => window.kgReady === true", timeout=timeout)
        loaded.wall = time.perf_counter() - start
        loaded.timings = page.evaluate("window.kgTimings")
        return loaded

    yield run
    for context in contexts:
        context.close()


def wait_until(loaded: Loaded, predicate: str, timeout: float = 5000):
    """Poll ``predicate`` (a JS function) from outside the page.

    ``page.wait_for_function`` polls with ``new Function`` inside the page, which the page's
    Content-Security-Policy (no 'unsafe-eval') rightly refuses; ``evaluate`` goes over CDP.
    """
    deadline = time.perf_counter() + timeout / 1000
    while not loaded.page.evaluate(predicate):
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out after {timeout / 1000:.0f}s waiting for {predicate}; errors: {loaded.errors}")
        loaded.page.wait_for_timeout(25)


def clean(loaded: Loaded):
    assert loaded.errors == [], loaded.errors
    assert loaded.dialogs == [], loaded.dialogs
    assert loaded.blocked == [], loaded.blocked
    assert all(url.startswith("file://") for url in loaded.requests), loaded.requests


def dom_point(loaded: Loaded, node_id: str) -> tuple[float, float]:
    """Where a node is drawn, in page coordinates."""
    return tuple(loaded.js("""id => {
        const net = window.kgNetwork, p = net.canvasToDOM(net.getPosition(id));
        const box = document.querySelector('#kg-network canvas').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y];
    }""", node_id))


def pixel(loaded: Loaded, node_id: str) -> list[int]:
    """The colour drawn at a node's centre, read from the canvas."""
    return loaded.js("""id => {
        const net = window.kgNetwork, p = net.canvasToDOM(net.getPosition(id));
        const canvas = document.querySelector('#kg-network canvas'), r = window.devicePixelRatio || 1;
        return Array.from(canvas.getContext('2d').getImageData(Math.round(p.x * r), Math.round(p.y * r), 1, 1).data);
    }""", node_id)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "world.ttl"
    path.write_text(WORLD, encoding="utf-8")
    return load([path])


def page_for(view, tmp_path, name="view.html") -> Path:
    return write_view(view, tmp_path / name)


# --- the tests -----------------------------------------------------------------------------------

def test_whole_view_renders_offline(world, open_page, tmp_path):
    view = build_view(world)
    loaded = open_page(page_for(view, tmp_path))
    clean(loaded)
    assert loaded.requests == [page_for(view, tmp_path).resolve().as_uri()]  # the page itself, nothing else
    assert loaded.js("window.kgNetwork.body.data.nodes.length") == len(view["nodes"]) == world.network.number_of_nodes() == 7
    assert loaded.js("window.kgNetwork.body.data.edges.length") == len(view["edges"]) == world.network.number_of_edges() == 6
    assert loaded.js("document.scripts.length") == 3
    assert loaded.js("document.querySelector('h1').textContent") == "The whole graph"
    assert loaded.js("document.querySelectorAll('#kg-legend li').length") == len(view["legend"]) == 4
    assert loaded.js("document.querySelectorAll('#kg-names option').length") == 7
    assert loaded.js("document.getElementById('kg-hops').hidden") is True
    loaded.screenshot("view-world.png")


def test_physics_settles_and_stops(world, open_page, tmp_path):
    loaded = open_page(page_for(build_view(world), tmp_path))
    before = loaded.js("window.kgNetwork.getPositions()")
    loaded.page.wait_for_timeout(800)
    after = loaded.js("window.kgNetwork.getPositions()")
    assert before == after, "nodes still moving after stabilisation"
    assert loaded.js("window.kgNetwork.physics.physicsEnabled") is False
    assert loaded.timings["stabilised"] < 15_000


def test_layout_is_deterministic(world, open_page, tmp_path):
    first = open_page(page_for(build_view(world), tmp_path, "a.html")).js("window.kgNetwork.getPositions()")
    second = open_page(page_for(build_view(world), tmp_path, "b.html")).js("window.kgNetwork.getPositions()")
    assert first == second


def test_path_view_highlights_the_path(world, open_page, tmp_path):
    view = build_view(world, path=("Nvidia", "Graphcore"))
    loaded = open_page(page_for(view, tmp_path))
    clean(loaded)
    on_path = [RES + n for n in ("nvidia", "icera", "nigel-toon", "graphcore")]
    off_path = [RES + n for n in ("sequoia", "tesla", "amd")]
    drawn = loaded.js("""ids => ids.map(id => {
        const o = window.kgNetwork.body.nodes[id].options;
        return [o.opacity, o.borderWidth, o.color.border];
    })""", on_path + off_path)
    assert drawn[:4] == [[1, 4, view["colours"]["path"]]] * 4
    assert all(opacity == view["colours"]["faded"] and width == 1 for opacity, width, _ in drawn[4:])
    # On the canvas: a path node is drawn opaque in its full colour, a node off the path see-through.
    icera, tesla = pixel(loaded, RES + "icera"), pixel(loaded, RES + "tesla")
    assert all(abs(a - b) <= 12 for a, b in zip(icera[:3], (0xED, 0xC9, 0x48))) and icera[3] == 255, icera
    assert tesla[3] < 128, tesla  # RGBA; the canvas is transparent, the page white behind it
    path_edges = loaded.js("Object.values(window.kgNetwork.body.edges).filter(e => e.options.color.color === '%s').length"
                           % view["colours"]["path"])
    assert path_edges == 3
    hops = loaded.js("Array.from(document.querySelectorAll('#kg-hops li'), li => li.firstChild.textContent)")
    assert hops == ["Nvidia acquired Icera (2011, US$367M)", "Nigel Toon founded Icera", "Nigel Toon founded Graphcore"]
    assert loaded.js("document.querySelector('h1').textContent") == "How Nvidia connects to Graphcore: 3 hops"
    loaded.screenshot("view-world-path.png")


def test_search_box_finds_and_focuses(world, open_page, tmp_path):
    loaded = open_page(page_for(build_view(world), tmp_path))
    page = loaded.page
    page.fill("#kg-search", "nigel")
    page.press("#kg-search", "Enter")
    page.wait_for_timeout(600)
    assert loaded.js("window.kgNetwork.getSelectedNodes()") == [RES + "nigel-toon"]
    assert "Nigel Toon" in loaded.js("document.getElementById('kg-details').textContent")
    page.fill("#kg-search", "Atlantis Semiconductor")
    page.press("#kg-search", "Enter")
    assert loaded.js("document.getElementById('kg-search-msg').textContent") == \
        "No entity named “Atlantis Semiconductor” in this view."
    clean(loaded)


def test_tooltip_shows_facts_and_source(world, open_page, tmp_path):
    loaded = open_page(page_for(build_view(world), tmp_path))
    x, y = dom_point(loaded, RES + "nvidia")
    loaded.page.mouse.move(x, y)
    wait_until(loaded, "() => !!document.querySelector('div.vis-tooltip') && "
                       "getComputedStyle(document.querySelector('div.vis-tooltip')).visibility === 'visible'")
    text = loaded.js("document.querySelector('div.vis-tooltip').textContent")
    assert "Nvidia" in text and "英伟达" in text and "Santa Clara" in text
    assert "Source: Test article (Test Daily, 2021-12-11)" in text
    loaded.screenshot("view-world-tooltip.png")


def test_malicious_labels_run_nothing(open_page, tmp_path):
    path = tmp_path / "evil.ttl"
    path.write_text(EVIL, encoding="utf-8")
    kg = load([path])
    # With the page's Content-Security-Policy ignored too: the escaping alone must hold.
    for lang, bypass_csp in (("en", False), ("zh", False), ("en", True), ("zh", True)):
        view = build_view(kg, focus=EVIL_LABEL, lang=lang)
        loaded = open_page(page_for(view, tmp_path, f"evil-{lang}.html"), bypass_csp=bypass_csp)
        page = loaded.page
        # Hover the nodes (tooltips), click them (details panel), search for them.
        for node in view["nodes"]:
            x, y = dom_point(loaded, node["id"])
            page.mouse.move(x, y)
            page.wait_for_timeout(250)
            page.mouse.click(x, y)
        page.fill("#kg-search", view["nodes"][0]["label"])
        page.press("#kg-search", "Enter")
        page.wait_for_timeout(500)
        clean(loaded)  # no dialog, no error, no request
        assert loaded.js("document.scripts.length") == 3
        assert loaded.js("document.querySelectorAll('img, svg, iframe, a, b, object, embed').length") == 0
        assert loaded.js("""Array.from(document.querySelectorAll('*')).filter(
            e => Array.from(e.attributes).some(a => a.name.startsWith('on'))).length""") == 0
        # The text is shown as text.
        assert loaded.js("document.querySelector('h1').textContent") == view["title"]
        assert loaded.js("document.title") == view["title"]
        details = loaded.js("document.getElementById('kg-details').textContent")
        assert view["nodes"][0]["label"] in details or view["nodes"][1]["label"] in details
        shown = {n["label"] for n in view["nodes"]}
        assert shown == ({EVIL_LABEL, EVIL_SCRIPT} if lang == "en" else {EVIL_SCRIPT, "<svg onload=alert(5)>"})
        assert set(loaded.js("Array.from(document.querySelectorAll('#kg-names option'), o => o.value)")) == shown
        loaded.screenshot(f"view-malicious-{lang}.png")


def test_content_security_policy_refuses_injected_scripts(world, open_page, tmp_path):
    """A second line of defence: even a script element that got into the page would not run."""
    loaded = open_page(page_for(build_view(world), tmp_path))
    ran = loaded.js("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.injected = true';
        document.body.appendChild(s);
        return window.injected === true;
    }""")
    assert ran is False
    assert any("Content Security Policy" in e for e in loaded.errors), loaded.errors
    assert loaded.js("window.kgNetwork.body.data.nodes.length") == 7  # the page's own scripts did run


def test_chinese_view(world, open_page, tmp_path):
    view = build_view(world, focus="英伟达", depth=2, lang="zh")
    loaded = open_page(page_for(view, tmp_path))
    clean(loaded)
    assert loaded.js("document.documentElement.lang") == "zh"
    assert loaded.js("document.querySelector('h1').textContent") == "英伟达 及其 2 跳以内的关系网"
    labels = loaded.js("window.kgNetwork.body.data.nodes.get().map(n => n.label)")
    assert "特斯拉" in labels and "奈杰尔·图恩" in labels
    loaded.screenshot("view-world-zh.png")


def _record(name: str, view: dict, loaded: Loaded, html: Path):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = {"nodes": len(view["nodes"]), "edges": len(view["edges"]), "html_bytes": html.stat().st_size,
                     "load_to_ready_s": round(loaded.wall, 3), **{k: round(v) for k, v in loaded.timings.items()}}
    path.write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("name, kwargs", [
    ("bundled-whole", {}),
    ("bundled-path", {"path": ("Nvidia", "Graphcore")}),
    ("bundled-keller-zh", {"focus": "Jim Keller", "depth": 2, "lang": "zh"}),
])
def test_bundled_data_views(open_page, tmp_path, name, kwargs):
    kg = load()
    view = build_view(kg, **kwargs)
    html = page_for(view, tmp_path)
    loaded = open_page(html)
    clean(loaded)
    assert loaded.js("window.kgNetwork.body.data.nodes.length") == len(view["nodes"])
    assert loaded.js("window.kgNetwork.body.data.edges.length") == len(view["edges"])
    if "path" in kwargs:
        assert loaded.js("document.querySelectorAll('#kg-hops li').length") == len(view["hops"]) >= 1
    _record(name, view, loaded, html)
    loaded.screenshot(f"view-{name}.png")


def test_large_view_settles_without_hanging(open_page, tmp_path):
    """1,500 entities and ~4,000 relations: bounded physics, then still; the page stays responsive."""
    rng = random.Random(7)
    classes = ["Person", "Company", "Startup", "InvestmentFirm", "University"]
    lines = [PREFIXES]
    n = 1500
    for i in range(n):
        lines.append(f'res:e{i} a chips:{classes[i % 5]} ; rdfs:label "Entity {i}"@en , "实体{i}"@zh ; prov:wasDerivedFrom src:t .')
    for j in range(4000):
        a, b = min(int(rng.paretovariate(0.8)), n - 1), rng.randrange(n)
        if a != b:
            lines.append(f'res:r{j} a chips:Partnership ; chips:partner res:e{a} , res:e{b} ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .')
    data = tmp_path / "large.ttl"
    data.write_text("\n".join(lines), encoding="utf-8")
    view = build_view(load([data]))
    html = page_for(view, tmp_path)
    loaded = open_page(html, timeout=60_000)
    clean(loaded)
    assert loaded.js("window.kgNetwork.body.data.nodes.length") == n
    assert loaded.js("(() => { const t = performance.now(); return performance.now() - t; })()") < 100
    before = loaded.js("window.kgNetwork.getPositions()")
    loaded.page.wait_for_timeout(500)
    assert loaded.js("window.kgNetwork.getPositions()") == before
    _record("synthetic-1500", view, loaded, html)
    loaded.screenshot("view-synthetic-1500.png")


def test_chinese_names_render_as_glyphs_not_boxes(open_page, world, tmp_path):
    """With a CJK font (.ci/run installs fonts-noto-cjk), three different characters draw three different glyphs.

    Without one, Chromium draws the same empty box for each.
    """
    loaded = open_page(page_for(build_view(world, lang="zh"), tmp_path))
    assert "英伟达" in loaded.page.content()
    distinct = loaded.js("""() => {
        const canvas = document.createElement('canvas'); canvas.width = 48; canvas.height = 48;
        const ctx = canvas.getContext('2d'); const seen = new Set();
        for (const ch of ['英', '伟', '达']) {
            ctx.clearRect(0, 0, 48, 48); ctx.font = '36px sans-serif'; ctx.fillText(ch, 4, 40);
            seen.add(Array.from(ctx.getImageData(0, 0, 48, 48).data).join(','));
        }
        return seen.size;
    }""")
    assert distinct == 3, "Chinese draws as boxes: install fonts-noto-cjk (.ci/run does)"


TIMED = PREFIXES + """
src:t2 a chips:Source ; rdfs:label "A later page"@en ; chips:publisher "Later Daily" .
res:nvidia a chips:Company ; rdfs:label "Nvidia"@en ; prov:wasDerivedFrom src:t .
res:icera a chips:Startup ; rdfs:label "Icera"@en ; prov:wasDerivedFrom src:t .
res:graphcore a chips:Startup ; rdfs:label "Graphcore"@en ; prov:wasDerivedFrom src:t .
res:nigel-toon a chips:Person ; rdfs:label "Nigel Toon"@en ; prov:wasDerivedFrom src:t .
res:tesla a chips:Company ; rdfs:label "Tesla"@en ; prov:wasDerivedFrom src:t .
res:acq a chips:Acquisition ; chips:acquirer res:nvidia ; chips:acquiredOrganization res:icera ; chips:date "2011"^^xsd:gYear ;
    chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:f1 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:icera ; chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:f2 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:graphcore ; chips:date "2016"^^xsd:gYear ;
    chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
res:f3 a chips:Founding ; chips:founder res:nigel-toon ; chips:foundedOrganization res:graphcore ; chips:date "2012"^^xsd:gYear ;
    chips:quote "q"@en ; prov:wasDerivedFrom src:t2 .
res:p1 a chips:Position ; chips:holder res:nigel-toon ; chips:organization res:tesla ; chips:end "2013"^^xsd:gYear ;
    chips:quote "q"@zh ; prov:wasDerivedFrom src:t .
"""


def test_year_slider_grows_the_graph_and_disputes_are_drawn(open_page, tmp_path):
    path = tmp_path / "timed.ttl"
    path.write_text(TIMED, encoding="utf-8")
    view = build_view(load([path]))
    assert view["time"]["slider"] == {"min": 2011, "max": 2016}
    loaded = open_page(page_for(view, tmp_path))
    clean(loaded)
    assert loaded.js("document.getElementById('kg-time').hidden") is False
    assert loaded.js("document.getElementById('kg-year-out').textContent") == "all"

    def visible(kind):
        return sorted(x["label"] if kind == "nodes" else x["id"] for x in loaded.js(
            f"window.kgNetwork.body.data.{kind}.get().filter(x => !x.hidden)"))

    everything = visible("nodes")
    loaded.js("() => { const s = document.getElementById('kg-year'); s.value = 2011; s.dispatchEvent(new Event('input')); }")
    assert loaded.js("document.getElementById('kg-year-out').textContent") == "2011"
    # 2011: Nvidia has bought Icera, Toon's undated founding of Icera stays, Graphcore not yet founded,
    # and he still works at Tesla (until 2013)
    assert visible("nodes") == ["Icera", "Nigel Toon", "Nvidia", "Tesla"]
    assert loaded.js("window.kgSetYear(2014)") == 3  # Tesla ended, one Graphcore founding (2012) in
    assert "Tesla" not in visible("nodes") and "Graphcore" in visible("nodes")
    assert loaded.js("window.kgSetYear(null)") == len(view["edges"]) and visible("nodes") == everything
    # the two founding years of Graphcore disagree: both edges drawn as disputed, and the legend says how
    disputed = loaded.js("Object.values(window.kgNetwork.body.edges).filter(e => e.options.color.color === '%s').length"
                         % view["styles"]["disputed"]["color"])
    assert disputed == 2
    legend = loaded.js("Array.from(document.querySelectorAll('#kg-relations li'), li => li.textContent)")
    assert legend == ["confirmed or stated (solid)", "disputed: sources disagree (orange)"]
    loaded.screenshot("view-timed.png")


def test_a_view_as_of_a_date_has_no_slider(open_page, tmp_path):
    from kg.timeview import snapshot

    path = tmp_path / "timed.ttl"
    path.write_text(TIMED, encoding="utf-8")
    view = build_view(snapshot(load([path]), as_of="2012"))
    assert view["time"] == {"as_of": "2012", "slider": None} and "as of 2012" in view["subtitle"]
    assert {e["tip"]["title"] for e in view["edges"]} >= {"Nigel Toon founded Graphcore (2012)"}
    assert "Nigel Toon founded Graphcore (2016)" not in {e["tip"]["title"] for e in view["edges"]}
    loaded = open_page(page_for(view, tmp_path))
    clean(loaded)
    assert loaded.js("document.getElementById('kg-time').hidden") is True

"""The explorer's routes: server-rendered pages and JSON, answered by the server's query workers."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from kg.explorer.api import FACTS_SHOWN, group_facts, readable_facts
from kg.explorer.i18n import LANGS, text_for

__all__ = ["routes", "CSP", "group_facts", "readable_facts"]

_HERE = Path(__file__).resolve().parent

#: Every explorer response carries this policy: nothing from other hosts, no inline script or style.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

#: Query parameters handed on to the library as they are: the time of the graph (:mod:`kg.timeview`).
PASS_THROUGH = ("as_of", "known_by", "dated_only")

@lru_cache(maxsize=1)
def _environment():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    env.filters["href"] = web_link
    return env


def web_link(url) -> str | None:
    """``url`` when it is an http(s) address a page may link to, else None (no ``javascript:`` from data).

    Examples
    --------
    >>> web_link("https://w3id.org/chipskg/source/x"), web_link("javascript:alert(1)"), web_link(None)
    ('https://w3id.org/chipskg/source/x', None, None)
    """
    text = str(url or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


class Problem(Exception):
    """An answer that is an error: status, one-line message, suggestions or candidates."""

    def __init__(self, status: int, message: str, extra: dict | None = None):
        super().__init__(message)
        self.status = status
        self.extra = extra or {}


def _int(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(400, f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise Problem(400, f"{name} must be between {low} and {high}, not {value}")
    return value


#: The explorer's questions whose answers hold sentences, asked in the reader's language.
IN_LANGUAGE = ("entity", "entity_page", "neighbors", "graph", "path", "path_page")


def routes(pool) -> list:
    """The explorer's routes, answering from the query workers of ``pool`` (a :class:`kg.server.WorkerPool`)."""
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    env = _environment()
    cache: dict = {}

    async def ask(request, fn: str, **args):
        """The answer of a query worker to ``fn(**args)`` (:func:`kg.explorer.api.call`), or a :class:`Problem`.

        Questions that write sentences are asked in the reader's language.
        """
        peer = request.client.host if request.client else "local"
        if fn in IN_LANGUAGE and lang_of(request) != "en":
            args["lang"] = lang_of(request)
        status, media_type, body = await pool.ask({"fn": fn, "args": args}, peer)
        if not media_type.startswith("application/json"):
            if status == 200:
                return body  # a results document (CSV)
            # the pool's own answer: busy, past the time limit, a worker lost
            raise Problem(status, body.decode("utf-8", "replace").removeprefix("Error: ").strip())
        if status == 200 and fn == "question" and args.get("fmt"):
            return body  # SPARQL JSON, as it is
        answer = json.loads(body)
        if status != 200:
            message = answer.pop("error", None) if isinstance(answer, dict) else None
            raise Problem(status, message or f"HTTP {status}", answer if isinstance(answer, dict) else {})
        return answer

    async def vocabulary(request):
        if "vocabulary" not in cache:
            cache["vocabulary"] = await ask(request, "vocabulary")
        return cache["vocabulary"]

    def lang_of(request) -> str:
        lang = request.query_params.get("lang", "en")
        return lang if lang in LANGS else "en"

    def passed(request) -> dict:
        given = {k: request.query_params[k].strip() for k in PASS_THROUGH if request.query_params.get(k, "").strip()}
        if "dated_only" in given:
            given["dated_only"] = given["dated_only"].lower() in ("1", "true", "yes", "on")
        return {k: v for k, v in given.items() if v}

    def url(request, path: str, **params) -> str:
        """A link inside the explorer that keeps the reader's language."""
        lang = lang_of(request)
        query = {k: v for k, v in params.items() if v not in (None, "", [])}
        if lang != "en":
            query["lang"] = lang
        return path + ("?" + urlencode(query, doseq=True) if query else "")

    def render(request, template: str, status: int = 200, started: float | None = None, **context):
        lang = lang_of(request)
        other = "zh" if lang == "en" else "en"
        switch = request.url.remove_query_params("lang")
        if other != "en":
            switch = switch.include_query_params(lang=other)
        page = env.get_template(template).render(
            t=text_for(lang), lang=lang, switch=str(switch.path) + (f"?{switch.query}" if switch.query else ""),
            url=lambda path, **params: url(request, path, **params), path=request.url.path, **context)
        return finish(HTMLResponse(page, status_code=status), started)

    def finish(response, started):
        response.headers.update(_HEADERS)
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    def problem_page(request, e: Problem, started):
        return render(request, "error.html", status=e.status, started=started, problem=e)

    def problem_json(e: Problem, started):
        return finish(JSONResponse({"error": str(e), **e.extra}, status_code=e.status), started)

    def page(handler):
        async def run(request):
            started = time.perf_counter()
            try:
                return await handler(request, started)
            except Problem as e:
                return problem_page(request, e, started)
        return run

    def api(handler):
        async def run(request):
            started = time.perf_counter()
            try:
                return finish(JSONResponse(await handler(request)), started)
            except Problem as e:
                return problem_json(e, started)
        return run

    # -- pages ------------------------------------------------------------------------------------

    @page
    async def home(request, started):
        q = request.query_params.get("q", "").strip()
        found = (await ask(request, "search", q=q, limit=20))["results"] if q else None
        return render(request, "search.html", started=started, q=q, found=found)

    @page
    async def entity_page(request, started):
        slug = request.path_params["slug"]
        shown = None if request.query_params.get("all") == "1" else FACTS_SHOWN
        answer = await ask(request, "entity_page", slug=slug, shown=shown, **passed(request))
        vocab = await vocabulary(request)
        if answer["node"]["slug"] != slug:  # /entity/英伟达 → /entity/nvidia
            return finish(RedirectResponse(url(request, f"/entity/{answer['node']['slug']}", **passed(request)),
                                           status_code=303), started)
        from kg.explorer.api import slug_of

        return render(request, "entity.html", started=started, about=answer["entity"], node=answer["node"],
                      groups=answer["groups"], graph=_drawn(answer["graph"], vocab),
                      sources=_numbered(answer["sources"]), slug_of=slug_of, classes=vocab["classes"],
                      time=passed(request))

    def path_options(request) -> dict:
        p = request.query_params
        return {"k": _int(p, "k", 1, 1, 10), "only": p.getlist("only") or None, "avoid": p.get("avoid") or None,
                "through": p.get("through") or None, **passed(request)}

    @page
    async def path_page(request, started):
        p = request.query_params
        source, target = p.get("from", "").strip(), p.get("to", "").strip()
        vocab = await vocabulary(request)
        answer, problem, status = None, None, 200
        options = path_options(request)
        if source and target:
            try:
                answer = await ask(request, "path_page", source=source, target=target, **options)
            except Problem as e:  # no connection, an unknown name: said above the form, to try again
                problem, status = e, e.status
        return render(request, "path.html", started=started, status=status, problem=problem, source=source,
                      target=target, options=options, time=passed(request),
                      answer=answer and answer["answer"], graph=_drawn(answer and answer["graph"], vocab),
                      sources=_numbered(answer["sources"]) if answer else {}, vocab=vocab)

    @page
    async def explore_page(request, started):
        focus = request.query_params.get("focus", "").strip()
        vocab = await vocabulary(request)
        drawn, problem, status = None, None, 200
        if focus:
            try:
                drawn = await ask(request, "graph", name=focus, **passed(request))
            except Problem as e:
                problem, status = e, e.status
        return render(request, "explore.html", started=started, status=status, problem=problem, focus=focus,
                      graph=_drawn(drawn, vocab), vocab=vocab, time=passed(request))

    @page
    async def questions_page(request, started):
        from kg.sparql import saved_queries

        return render(request, "questions.html", started=started, queries=saved_queries())

    @page
    async def question_page(request, started):
        from kg.sparql import saved_query

        name, fmt = _name_and_format(request.path_params["name"])
        try:
            saved = saved_query(name)
        except Exception as e:  # BadInput naming the close names
            raise Problem(404, str(e)) from None
        values = {p.name: request.query_params.get(p.name, "") for p in saved.params}
        asked = "run" in request.query_params or any(values.values()) or not saved.params
        if fmt is not None:
            body = await ask(request, "question", name=name, params=values, fmt=fmt)
            media = "text/csv; charset=utf-8" if fmt == "csv" else "application/sparql-results+json"
            return finish(Response(body, media_type=media, headers={
                "Content-Disposition": f'attachment; filename="{saved.name}.{fmt}"'}), started)
        table = await ask(request, "question", name=name, params=values) if asked else None
        download = {k: v for k, v in values.items() if v}
        return render(request, "question.html", started=started, q=saved, values=values, table=table,
                      download=download)

    # -- JSON: the CLI's answers ------------------------------------------------------------------

    @api
    async def api_search(request):
        p = request.query_params
        return await ask(request, "search", q=p.get("q", ""), limit=_int(p, "limit", 10, 1, 50))

    @api
    async def api_entity(request):
        return await ask(request, "entity", slug=request.path_params["slug"], **passed(request))

    @api
    async def api_path(request):
        p = request.query_params
        source, target = p.get("from", "").strip(), p.get("to", "").strip()
        if not source or not target:
            raise Problem(400, "give both ends: /api/path?from=A&to=B")
        return await ask(request, "path", source=source, target=target, **path_options(request))

    @api
    async def api_neighbors(request):
        p = request.query_params
        return await ask(request, "neighbors", slug=request.path_params["slug"],
                         depth=_int(p, "depth", 1, 1, 3), only=p.getlist("only") or None, **passed(request))

    @api
    async def api_graph(request):
        return await ask(request, "graph", slug=request.path_params["slug"],
                         only=request.query_params.getlist("only") or None, **passed(request))

    @api
    async def api_labels(request):
        return await ask(request, "labels", iris=request.query_params.getlist("iri"))

    @api
    async def api_vocabulary(request):
        return await vocabulary(request)

    async def vis_network(request):
        from kg.views import vis_assets

        script, _ = vis_assets()
        response = Response(script, media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=86400"})
        return finish(response, None)

    get = ["GET", "HEAD"]
    return [
        Route("/", home, methods=get, name="explorer"),
        Route("/entity/{slug:path}", entity_page, methods=get, name="entity"),
        Route("/path", path_page, methods=get, name="path"),
        Route("/explore", explore_page, methods=get, name="explore"),
        Route("/questions", questions_page, methods=get, name="questions"),
        Route("/questions/{name}", question_page, methods=get, name="question"),
        Route("/api/search", api_search, methods=get),
        Route("/api/entity/{slug:path}", api_entity, methods=get),
        Route("/api/path", api_path, methods=get),
        Route("/api/neighbors/{slug:path}", api_neighbors, methods=get),
        Route("/api/graph/{slug:path}", api_graph, methods=get),
        Route("/api/vocabulary", api_vocabulary, methods=get),
        Route("/api/labels", api_labels, methods=get),
        Route("/assets/vis-network.min.js", vis_network, methods=get),
        Mount("/assets", StaticFiles(directory=_HERE / "static"), name="assets"),
    ]


def _name_and_format(name: str) -> tuple[str, str | None]:
    """``investors.csv`` → (``investors``, ``csv``); a bare name has no format."""
    for fmt in ("csv", "json"):
        if name.endswith("." + fmt):
            return name[: -len(fmt) - 1], fmt
    return name, None


def _drawn(graph: dict | None, vocab: dict) -> dict | None:
    """A graph to draw, with the colour (those of ``kg viz``) and the names of each class."""
    from kg.views import CLASS_COLOURS

    classes = {name: {"en": about["en"], "zh": about["zh"]} for name, about in vocab["classes"].items()}
    return {**graph, "colours": CLASS_COLOURS, "classes": classes} if graph else None


def _numbered(sources: dict) -> dict:
    """Sources in citation order, each with its number ``n`` for the ``[n]`` marks of the page."""
    return {iri: {**about, "n": n} for n, (iri, about) in enumerate(sources.items(), start=1)}

"""What the explorer asks the graph: the CLI's library calls, plus what a page needs to draw them.

These functions run where the graph is loaded (a query worker of
:mod:`kg.server`). Each takes the graph and plain arguments and returns plain
data (dicts, lists, strings, bytes) that crosses a process boundary and
becomes JSON or a page. ``/api/entity``, ``/api/path`` and ``/api/neighbors``
give exactly what ``kg entity --json``, ``kg path --json`` and
``kg neighbors --json`` print; the ``*_page`` functions add what a page
shows beside that answer (Chinese labels, sources' details, a small graph).

``as_of``, ``known_by`` and ``dated_only`` choose the graph a question is
asked of, as the CLI's ``--as-of`` does (:func:`kg.timeview.snapshot`).
``lang`` ("en" or "zh") is the language of names and sentences, as the CLI's
``--lang``. Every question goes through the backend's methods
(:class:`kg.backend.Backend`), so pages work the same on files, a store
and a remote SPARQL endpoint.

Examples
--------
>>> import json
>>> from kg import load
>>> kg = load()
>>> [hit["slug"] for hit in search(kg, "英伟达")["results"]]
['nvidia']
>>> status, media_type, body = call(kg, {"fn": "path", "args": {"source": "Nvidia", "target": "Graphcore"}})
>>> status, media_type, json.loads(body)["paths"][0]["length"]
(200, 'application/json', 3)
>>> status, _, body = call(kg, {"fn": "entity", "args": {"name": "Atlantis"}})
>>> status, json.loads(body)
(404, {'error': "no entity named 'Atlantis'", 'brief': "no entity named 'Atlantis'", 'suggestions': []})
"""

from __future__ import annotations

import json
import sys
import traceback

from kg.errors import BadInput, KGError, NotFound, QueryTimeout

__all__ = ["call", "slug_of", "name_of_slug", "resolve_slug", "search", "entity", "entity_page", "neighbors", "graph_of",
           "path", "path_page", "questions", "question", "sources_of", "vocabulary", "labels", "from_ties",
           "group_facts", "readable_facts", "MAX_NEIGHBOURS", "MAX_DESCRIBED", "FACTS_SHOWN"]

#: Most neighbours drawn around one entity; the rest are listed as a count ("and 212 more").
MAX_NEIGHBOURS = 60
#: Most IRIs one request may ask labels for.
MAX_LABELS = 200
#: Entities tied to more others than this get a page from their ties, not from every statement (:func:`entity_page`).
MAX_DESCRIBED = 300
#: Most context entities drawn beside each entity of a path (faded).
PATH_CONTEXT = 6


def slug_of(iri: str) -> str:
    """The ``/entity/{slug}`` part of an entity: its ``res:`` local name, else the whole IRI.

    Examples
    --------
    >>> slug_of("https://w3id.org/chipskg/id/graphcore")
    'graphcore'
    >>> slug_of("http://example.org/x")
    'http://example.org/x'
    """
    from kg.vocab import RES

    local = iri[len(str(RES)):] if iri.startswith(str(RES)) else ""
    return local if local and "/" not in local else iri


def name_of_slug(slug: str) -> str:
    """The name :meth:`kg.names.NameIndex.resolve` reads for a slug (``res:graphcore``).

    Examples
    --------
    >>> name_of_slug("graphcore"), name_of_slug("http://example.org/x")
    ('res:graphcore', 'http://example.org/x')
    """
    return slug if "/" in slug or ":" in slug else f"res:{slug}"


def resolve_slug(kg, slug: str) -> str:
    """The IRI of the entity at ``/entity/{slug}``; a slug that is no ``res:`` name is read as a name.

    Examples
    --------
    >>> from kg import load
    >>> resolve_slug(load(), "graphcore"), resolve_slug(load(), "拟未科技")
    ('https://w3id.org/chipskg/id/graphcore', 'https://w3id.org/chipskg/id/graphcore')
    """
    from kg.errors import UnknownEntity

    name = name_of_slug(slug)
    try:
        return str(kg.resolve(name).iri)
    except UnknownEntity:
        if name == slug:
            raise
        return str(kg.resolve(slug).iri)


def _node(entity: dict, names: dict) -> dict:
    """An entity as pages show it: IRI, slug, class, English and Chinese labels (``names``: :meth:`Backend.entities`)."""
    iri = entity["iri"]
    known = names.get(iri) or {}
    return {"iri": iri, "slug": slug_of(iri), "label": entity["label"], "class": entity["class"],
            "label_zh": known.get("label_zh") or entity["label"]}


def _nodes(kg, entities: list[dict]) -> list[dict]:
    """:func:`_node` for each of ``entities``, their Chinese labels asked of the backend at once."""
    names = kg.entities([e["iri"] for e in entities])
    return [_node(e, names) for e in entities]


# ---------------------------------------------------------------------------
# The CLI's answers
# ---------------------------------------------------------------------------

def search(kg, q: str, limit: int = 10) -> dict:
    """Entities whose names match ``q`` as typed: ``{"query", "results": [...]}`` (see :meth:`NameIndex.search`)."""
    if limit < 1 or limit > 50:
        raise BadInput(f"limit must be between 1 and 50, not {limit}")
    found = kg.names.search(q, limit) if q.strip() else []
    return {"query": q, "results": _nodes(kg, [e.as_dict() for e in found])}


def entity(kg, name: str, lang: str = "en") -> dict:
    """Everything about one entity: :func:`kg.facts.describe`, as ``kg entity --json`` prints it."""
    return kg.describe(name, lang=lang)


def neighbors(kg, name: str, depth: int = 1, only=None, lang: str = "en") -> dict:
    """The neighbourhood of an entity: :func:`kg.paths.neighbors`, as ``kg neighbors --json`` prints it."""
    return kg.neighbors(name, depth=depth, only=_split(only), lang=lang)


def path(kg, source: str, target: str, k: int = 1, all_shortest: bool = False, max_len=None,
         only=None, exclude=None, avoid=None, through=None, lang: str = "en") -> dict:
    """How two entities connect: :func:`kg.paths.find_paths`, as ``kg path --json`` prints it."""
    if k < 1 or k > 10:
        raise BadInput(f"k must be between 1 and 10, not {k}")
    return kg.find_paths(source, target, k=k, all_shortest=all_shortest, max_len=max_len, only=_split(only),
                         exclude=_split(exclude), avoid=_split(avoid), through=through or None, lang=lang)


def _split(values) -> list[str]:
    """``"a,b"`` or ``["a", "b,c"]`` as a list of names, as the CLI reads ``--only a,b``."""
    if isinstance(values, str):
        values = [values]
    return [part.strip() for value in values or [] for part in str(value).split(",") if part.strip()]


# ---------------------------------------------------------------------------
# What pages add
# ---------------------------------------------------------------------------

_SOURCES = """SELECT ?source ?label ?label_zh ?publisher ?published ?url WHERE {
  ?source a chips:Source .
  OPTIONAL { ?source rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en") || LANG(?label) = "") }
  OPTIONAL { ?source rdfs:label ?label_zh FILTER(LANGMATCHES(LANG(?label_zh), "zh")) }
  OPTIONAL { ?source chips:publisher ?publisher }
  OPTIONAL { ?source chips:published ?published }
  OPTIONAL { ?source schema:url ?url }
}"""

_SOURCE_CACHE: dict = {}


def sources_of(kg, iris) -> dict:
    """``{iri: {"iri", "label", "label_zh", "publisher", "published", "url"}}`` for the cited sources.

    Sources are few and do not change while a graph is served: they are read
    once per graph.
    """
    key = id(kg)
    if key not in _SOURCE_CACHE:
        table: dict = {}
        for row in kg.query(_SOURCES).records():
            table.setdefault(row["source"], {"iri": row["source"], **{
                k: str(row[k]) for k in ("label", "label_zh", "publisher", "published", "url") if k in row}})
        _SOURCE_CACHE.clear()
        _SOURCE_CACHE[key] = table
    table = _SOURCE_CACHE[key]
    return {iri: table.get(iri, {"iri": iri}) for iri in sorted(set(iris))}


def _cited(value) -> set[str]:
    """Every source IRI cited anywhere in an answer (its ``sources`` lists)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "sources" and isinstance(item, (list, tuple)):
                found.update(s for s in item if isinstance(s, str))
            else:
                found |= _cited(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= _cited(item)
    return found


def graph_of(kg, name: str, only=None, limit: int = MAX_NEIGHBOURS, lang: str = "en") -> dict:
    """An entity and its neighbours to draw: ``{"center", "nodes", "edges", "more"}``.

    At most ``limit`` neighbours (the rest counted in ``more``); one edge per
    relation between the entity and a neighbour, with its sentence. Only the
    relations drawn are spelled out (:func:`kg.paths.neighbors` with ``limit``).
    """
    return _drawing(kg, kg.neighbors(name, only=_split(only), lang=lang, limit=limit), limit)


def _drawing(kg, hood: dict, limit: int = MAX_NEIGHBOURS) -> dict:
    """:func:`graph_of` from the answer of :func:`neighbors` (whole, or limited with its ``more``)."""
    reached = hood["reached"][:limit]
    center, *around = _nodes(kg, [hood["entity"], *reached])
    shown = {center["iri"]} | {r["iri"] for r in reached}
    edges = [
        {"from": e["source"], "to": e["target"], "kind": e["kind"], "label": e["label"], "sentence": e["sentence"]}
        for group in hood["groups"] for e in group["edges"]
        if e["source"] in shown and e["target"] in shown
    ]
    return {"center": center["iri"], "nodes": [center, *around], "edges": edges,
            "more": len(hood["reached"]) - len(reached) + hood.get("more", 0)}


def entity_page(kg, name: str, lang: str = "en", shown: int | None = None) -> dict:
    """What ``/entity/{slug}`` shows: the entity (in ``lang``), its facts in groups, its drawn neighbourhood, its sources.

    ``groups`` are ``[group, facts, hidden]`` (:func:`group_facts`): with
    ``shown``, at most that many facts a group, ``hidden`` counting the rest
    (the page links to them); without, all. The ``entity`` is the answer of
    :func:`entity` but its ``facts``, which are in the groups; the sources are
    those of every fact, shown or not.

    An entity tied to more than :data:`MAX_DESCRIBED` others (a large investor)
    is shown from its ties (:func:`from_ties`): spelling out thousands of
    relations takes seconds. ``/api/entity`` still gives everything.
    """
    here = kg.around(name)  # where the backend keeps what is said about the entity and its ties
    hood = neighbors(here, name, lang=lang)
    many = len(hood["reached"]) > MAX_DESCRIBED
    about = from_ties(hood) if many else entity(here, hood["entity"]["iri"], lang=lang)
    drawn = _drawing(here, hood)
    sources = sources_of(kg, _cited(about))
    facts = about.pop("facts")
    groups = [[group, found[:shown], max(len(found) - shown, 0)] if shown is not None else [group, found, 0]
              for group, found in group_facts(facts, lang)]
    return {"entity": about, "groups": groups, "node": drawn["nodes"][0], "graph": drawn, "sources": sources}


def from_ties(hood: dict) -> dict:
    """An entity as :func:`entity` gives it, its facts read from its ties (:func:`neighbors`): one per relation.

    What only the statements hold (attributes, funding table, disputes,
    corrections, standing) is left out; ``ties`` counts the neighbours.
    """
    about = hood["entity"]
    facts = {}
    for group in hood["groups"]:
        for e in group["edges"]:
            attributes = e.get("attributes") or {}
            key = attributes.get("relation") or (e["source"], e["kind"], e["target"])
            facts.setdefault(key, {"kind": "relation", "iri": attributes.get("relation"),
                                   "class": attributes.get("relation_class"), "text": e["sentence"],
                                   "sources": e["sources"], "quotes": attributes.get("quotes", [])})
    return {"iri": about["iri"], "label": about["label"], "class": about["class"], "labels": {},
            "types": [about["class"]], "quotes": [], "sources": [], "facts": list(facts.values()), "funding": None,
            "standing": None, "disputes": [], "time": None, "ties": len(hood["reached"])}


# Which group of the entity page a fact goes in: by relation class, or by the kind of a plain link.
_GROUP_OF = {
    "FundingRound": "funding", "Investment": "funding", "Valuation": "funding", "FundingTotal": "funding",
    "investedIn": "funding", "fundedBy": "funding",
    "Founding": "people", "Position": "people", "PersonalTie": "people",
    "founded": "people", "workedAt": "people", "knows": "people",
    "developer": "products", "foundry": "products", "architecture": "products", "processNode": "products",
    "basedOn": "products", "successorOf": "products", "product": "products",
    "Deployment": "customers", "Partnership": "customers", "customerOf": "customers", "partnerOf": "customers",
    "Acquisition": "ownership", "Shareholding": "ownership", "acquired": "ownership",
    "holdsEquityIn": "ownership", "subOrganizationOf": "ownership",
}
GROUPS = ("attributes", "funding", "people", "products", "customers", "ownership", "other", "corrections")
#: Facts shown per group of the entity page before "show all" (a hub investor has thousands).
FACTS_SHOWN = 40


def readable_facts(facts: list[dict], lang: str) -> list[dict]:
    """Facts for a reader of ``lang``: an attribute stated in several languages is shown in that one only.

    Examples
    --------
    >>> facts = [{"kind": "attribute", "predicate": "p", "lang": "en", "text": "a"},
    ...          {"kind": "attribute", "predicate": "p", "lang": "zh", "text": "甲"}]
    >>> [f["text"] for f in readable_facts(facts, "zh")], [f["text"] for f in readable_facts(facts, "en")]
    (['甲'], ['a'])
    """
    stated = {f["predicate"] for f in facts if f["kind"] == "attribute" and f.get("lang") == lang}
    fallback = "en"
    english = {f["predicate"] for f in facts if f["kind"] == "attribute" and f.get("lang") == fallback}
    out = []
    for f in facts:
        if f["kind"] == "attribute" and f.get("lang") not in (None, lang):
            if f["predicate"] in stated or (f.get("lang") != fallback and f["predicate"] in english):
                continue
        out.append(f)
    return out


def group_facts(facts: list[dict], lang: str = "en") -> list[tuple[str, list[dict]]]:
    """The facts of ``describe`` in the entity page's groups, in order; empty groups left out.

    Examples
    --------
    >>> group_facts([{"kind": "relation", "class": "Founding", "text": "A founded B"},
    ...              {"kind": "correction", "text": "Correction: ..."}])
    [('people', [{'kind': 'relation', 'class': 'Founding', 'text': 'A founded B'}]), ('corrections', [{'kind': 'correction', 'text': 'Correction: ...'}])]
    """
    groups: dict[str, list] = {g: [] for g in GROUPS}
    for fact in readable_facts(facts, lang):
        if fact["kind"] == "attribute":
            group = "attributes"
        elif fact["kind"] == "correction":
            group = "corrections"
        elif fact["kind"] == "relation":
            group = _GROUP_OF.get(fact.get("class") or "", "other")
        else:
            group = _GROUP_OF.get(str(fact.get("predicate", "")).rsplit("#", 1)[-1], "other")
        groups[group].append(fact)
    return [(g, items) for g, items in groups.items() if items]


def path_page(kg, source: str, target: str, **options) -> dict:
    """What ``/path`` shows: the answer of :func:`path`, its sources, and the paths drawn among their neighbours."""
    answer = path(kg, source, target, **options)
    on_path = [n["iri"] for p in answer["paths"] for n in p["nodes"]]
    shown = dict.fromkeys(on_path)
    for iri, ties in kg.neighbours(dict.fromkeys(on_path)).items():
        shown.update(dict.fromkeys(sorted(n for n in ties if n not in shown)[:PATH_CONTEXT]))
    names = kg.entities(shown)
    hops = {(e["source"], e["target"]) for p in answer["paths"] for e in p["edges"]}
    edges = []
    for p in answer["paths"]:
        for e in p["edges"]:
            edges.append({"from": e["source"], "to": e["target"], "kind": e["kind"], "label": e["label"],
                          "sentence": e["sentence"], "path": True})
    for u, ties in kg.neighbours(shown).items():
        for v in ties:
            if v in shown and u < v and (u, v) not in hops and (v, u) not in hops:
                edges.append({"from": u, "to": v, "path": False, "label": "", "kind": "",
                              "sentence": names[u]["label"] + " — " + names[v]["label"]})
    nodes = [{**_node(names[n], names), "path": n in on_path} for n in shown if n in names]
    return {"answer": answer, "graph": {"nodes": nodes, "edges": edges}, "sources": sources_of(kg, _cited(answer))}


def vocabulary(kg) -> dict:
    """Entity classes and relation kinds with their English and Chinese names, for filters and legends.

    ``{"classes": {Class: {"en", "zh", "covers"}}, "kinds": {kind: {"en", "zh"}}, "indirect": [...]}``.
    """
    from kg.names import label_of
    from kg.vocab import CHIPS

    vocab = kg.vocabulary
    onto = kg.ontology
    classes = {
        name: {"en": label_of(onto, CHIPS[name], "en"), "zh": label_of(onto, CHIPS[name], "zh"),
               "covers": about["covers"]}
        for name, about in vocab["classes"].items()
    }
    kinds = {kind: {"en": label, "zh": label_of(onto, CHIPS[kind], "zh")} for kind, label in vocab["kinds"].items()}
    return {"classes": classes, "kinds": kinds, "indirect": vocab["indirect"]}


def labels(kg, iris) -> dict:
    """``{"labels": {iri: entity}}`` for those of ``iris`` that are entities, for pages that show names.

    Examples
    --------
    >>> from kg import load
    >>> labels(load(), ["https://w3id.org/chipskg/id/nvidia", "https://example.org/x"])["labels"]
    {'https://w3id.org/chipskg/id/nvidia': {'iri': 'https://w3id.org/chipskg/id/nvidia', 'slug': 'nvidia', 'label': 'Nvidia', 'class': 'Company', 'label_zh': '英伟达'}}
    """
    if len(iris) > MAX_LABELS:
        raise BadInput(f"ask for at most {MAX_LABELS} labels at once, not {len(iris)}")
    names = kg.entities(dict.fromkeys(iris))
    return {"labels": {iri: _node(names[iri], names) for iri in dict.fromkeys(iris) if iri in names}}


def questions() -> list[dict]:
    """The saved questions, as ``kg queries --json`` lists them."""
    from kg.sparql import saved_queries

    return [q.as_dict() for q in saved_queries()]


def question(kg, name: str, params: dict, fmt: str | None = None, *, timeout=None, max_rows=None):
    """Run a saved question with parameters given by name (entities by any of their names).

    With ``fmt`` (``csv`` or ``json``) returns the W3C results document as
    bytes, as ``kg sparql --name NAME --format FMT`` writes it; without, a
    table for a page: ``{"vars", "rows", "bound"}`` where each cell is
    ``None``, ``{"iri", "label", "label_zh", "slug"}`` or ``{"value", "lang"}``.
    """
    from rdflib import Literal, URIRef

    from kg.sparql import compact, saved_query, serialize, with_labels

    saved = saved_query(name)
    given = {k: v for k, v in (params or {}).items() if str(v).strip()}
    bindings = kg.bind(saved, given)
    result = kg.query(saved, params=bindings, timeout=timeout, max_rows=max_rows)
    if fmt is not None:
        if fmt not in ("csv", "json"):
            raise BadInput(f"format {fmt!r}: the explorer offers csv and json")
        return serialize(with_labels(result, kg.labeller(result), saved), fmt)  # the name columns kg sparql --name adds
    names = kg.entities({str(t) for row in [*result.rows, bindings.values()] for t in row if isinstance(t, URIRef)})

    def cell(term):
        if term is None:
            return None
        if isinstance(term, URIRef):
            if str(term) in names:
                return _node(names[str(term)], names)
            return {"iri": str(term), "label": compact(term)}
        if isinstance(term, Literal):
            return {"value": str(term), "lang": term.language}
        return {"value": str(term)}

    bound = {}
    for key, term in bindings.items():
        bound[key] = cell(term)
    return {"name": saved.name, "vars": result.vars, "rows": [[cell(t) for t in row] for row in result.rows],
            "bound": bound}


# ---------------------------------------------------------------------------
# The worker's side of the pipe
# ---------------------------------------------------------------------------

#: Arguments that choose the graph a question is asked of (:func:`kg.timeview.snapshot`), not the question.
TIME = ("as_of", "known_by", "dated_only")
_SNAPSHOTS: dict = {}


def _snapshot(kg, time: dict):
    """``kg`` as of / as known by a date (:func:`kg.timeview.snapshot`); the last few are kept."""
    from kg.timeview import snapshot

    key = (id(kg), *(time.get(k) for k in TIME))
    if key not in _SNAPSHOTS:
        if getattr(kg, "remote", False):
            raise BadInput("as_of, known_by and dated_only need local data (--data or --store), not --endpoint")
        if len(_SNAPSHOTS) >= 8:
            _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
        _SNAPSHOTS[key] = snapshot(kg, **time)
    return _SNAPSHOTS[key]


_CALLS = {
    "search": search, "entity": entity, "neighbors": neighbors, "path": path, "graph": graph_of,
    "entity_page": entity_page, "path_page": path_page, "question": question, "vocabulary": vocabulary, "labels": labels,
}


JSON = "application/json"
_MEDIA = {"csv": "text/csv; charset=utf-8", "json": "application/sparql-results+json"}


def _about_slug(func, kg, slug: str, args: dict):
    """``func`` asked about the entity at ``/entity/{slug}`` (:func:`resolve_slug`).

    A question answered from the entity's own graph (:meth:`kg.backend.Backend.holding`)
    takes the graph fetched to tell that the slug names an entity: over an
    endpoint, resolving the slug first was one query more.
    """
    if func in (entity, entity_page, graph_of) or func is neighbors and args.get("depth", 1) == 1:
        with kg.holding(name_of_slug(slug)) as iri:
            if iri is not None:
                return func(kg, name=iri, **args)
    return func(kg, name=resolve_slug(kg, slug), **args)


def _status(error: KGError) -> int:
    if isinstance(error, QueryTimeout):
        return 503
    if isinstance(error, NotFound):
        return 404
    return 400


def call(kg, job: dict, *, timeout: float | None = None, max_rows: int | None = None) -> tuple[int, str, bytes]:
    """Answer one explorer request ``{"fn": NAME, "args": {...}}`` as ``(status, media_type, body)``; never raises.

    The body is the answer as JSON (a saved question's CSV or JSON
    document when asked for one); an error is ``{"error": message}``, with
    an unknown name's ``suggestions`` or an ambiguous name's ``candidates``, and then the
    message without them (``brief``), for a page that links them.
    """
    from kg.errors import AmbiguousEntity, UnknownEntity

    def reply(status: int, value) -> tuple[int, str, bytes]:
        return status, JSON, json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")

    try:
        func = _CALLS[job["fn"]]
        args = dict(job.get("args") or {})
        time = {k: args.pop(k) for k in TIME if args.get(k)}
        if time:
            kg = _snapshot(kg, time)
        if func is question:
            args.update(timeout=timeout, max_rows=max_rows)
        answer = _about_slug(func, kg, args.pop("slug"), args) if "slug" in args else func(kg, **args)
        if isinstance(answer, bytes):  # a results document: CSV or SPARQL JSON
            return 200, _MEDIA[args["fmt"]], answer
        return reply(200, answer)
    except UnknownEntity as e:
        return reply(404, {"error": str(e), "brief": e.brief, "suggestions": e.suggestions})
    except AmbiguousEntity as e:
        return reply(404, {"error": str(e), "brief": e.brief, "candidates": e.candidates})
    except KGError as e:
        return reply(_status(e), {"error": str(e)})
    except (KeyError, TypeError) as e:
        traceback.print_exc(file=sys.stderr)
        return reply(400, {"error": f"malformed explorer request ({type(e).__name__}: {e})"})
    except MemoryError:
        return reply(503, {"error": "the question needed more than the worker's memory limit"})
    except Exception as e:  # a bug: one line to the page, the trace to the log
        traceback.print_exc(file=sys.stderr)
        return reply(500, {"error": f"internal error ({type(e).__name__})"})

"""Careers and events in order: the timeline of entities, and where the alumni of an organisation went."""

from __future__ import annotations

from rdflib import Literal, URIRef

from kg.dates import compare, parse_date
from kg.errors import BadInput, NotFound
from kg.i18n import edge_sentence, kind_label, node_label, when, word
from kg.timeview import happened_by, history

__all__ = ["timeline", "alumni", "DATE_TYPES"]

#: Datatypes of literals read as dates (a year, a month, a day).
DATE_TYPES = ("gYear", "gYearMonth", "date")


def _date_literal(value) -> bool:
    return isinstance(value, Literal) and value.datatype is not None and str(value.datatype).rsplit("#", 1)[-1] in DATE_TYPES


def timeline(kg, names, lang: str = "en") -> dict:
    """The dated events of one or more entities, in time order, each with its precision and sources.

    Events are the entities' relations (a founding, a round, an acquisition,
    a position's start and end ...) and their own dated attributes (a
    founding date, a release date). Partial dates sort by the first day they
    may stand for, coarser first among equals, so 2016 · 2020-12 · 2024-07-11
    come in that order, and "2024" before "2024-07". An investment dated only
    by its round is told once, by the round. Pass a snapshot
    (:func:`kg.timeview.snapshot`) for the timeline as of a date.

    Parameters
    ----------
    kg : KnowledgeGraph
    names : iterable of str
        Entity names, resolved like ``kg entity``.
    lang : str
        The language of labels and sentences, "en" or "zh" (:mod:`kg.i18n`).

    Returns
    -------
    dict
        ``{"entities": [...], "events": [{"date", "precision", "text", "iri", "sources", "entities",
        "edge", "status", "disputed"}], "undated": n}``; ``edge`` is ``"date"``, ``"start"`` or ``"end"``;
        ``status`` how sure the source is ("stated" when it does not say); ``disputed`` whether other
        sources disagree (:func:`kg.conflicts.conflicts`); ``undated`` counts the relations left out
        for want of a date.

    Examples
    --------
    >>> from kg import load
    >>> [(e["date"], e["text"]) for e in timeline(load(), ["Icera"])["events"]]
    [('2011', 'Nvidia acquired Icera')]
    """
    from kg.conflicts import status_of
    from kg.facts import describe, relation_classes
    from kg.timeview import context_properties, relation_dates

    names = list(names)
    if not names:
        raise BadInput("name at least one entity")
    kg, cutoff = history(kg)  # as of a date: the history up to it; ended relations stay, later events go
    g = kg.graph
    contexts = context_properties(g)
    classes = relation_classes(g)
    entities, events, undated, seen = [], {}, set(), set()
    for name in names:
        info = describe(kg, name, lang)
        entities.append({"iri": info["iri"], "label": info["label"], "class": info["class"]})
        relation_iris = {f["iri"] for f in info["facts"] if f["kind"] == "relation"}
        for fact in info["facts"]:
            if fact["kind"] == "attribute" and _date_literal(g.value(URIRef(info["iri"]), URIRef(fact["predicate"]))):
                key = (info["iri"], fact["predicate"])
                if key not in events:
                    events[key] = _event(fact["value"], "date", f"{info['label']} {fact['text']}",
                                         None, fact["sources"], [info["label"]])
                else:
                    events[key]["entities"].append(info["label"])
                continue
            if fact["kind"] != "relation":
                continue
            node = URIRef(fact["iri"])
            own = relation_dates(g, node)
            cls = next((c for c in g.objects(node, _RDF_TYPE) if c in classes), None)
            context = contexts.get(cls)
            if not any(own.values()) and context is not None and str(g.value(node, context)) in relation_iris:
                continue  # told by its round
            dates = own if any(own.values()) else relation_dates(g, node, context)
            if not any(dates.values()):
                undated.add(fact["iri"])
                continue
            for edge in ("date", "start", "end"):
                if dates[edge] is None:
                    continue
                key = (fact["iri"], edge)
                if key in seen:
                    events[key]["entities"].append(info["label"])
                    continue
                seen.add(key)
                verb = word({"date": "", "start": " (begins)", "end": " (ends)"}[edge], lang)
                events[key] = _event(dates[edge], edge, _without_dates(fact["text"], dates, lang) + verb, fact["iri"],
                                     fact["sources"], [info["label"]])
                events[key]["status"] = status_of(g, node)
                events[key]["disputed"] = bool(fact.get("dispute"))
    events = {k: e for k, e in events.items() if happened_by(cutoff, e)}
    ordered = sorted(events.values(), key=lambda e: (parse_date(e["date"]).sort_key(), e["text"]))
    return {"entities": entities, "events": ordered, "undated": len(undated)}


_RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def _without_dates(text: str, dates: dict, lang: str = "en") -> str:
    """A relation's sentence without the parts that only repeat its dates (the timeline shows them)."""
    date, start, end = dates["date"], dates["start"], dates["end"]
    repeats = {when(date, lang=lang), when(start=start, lang=lang), when(end=end, lang=lang),
               when(start=start, end=end, lang=lang)}
    return " · ".join(part for part in text.split(" · ") if part not in repeats)


def _event(date, edge, text, iri, sources, entities) -> dict:
    when = parse_date(date)
    return {"date": when.text, "precision": when.precision, "edge": edge, "text": text, "iri": iri,
            "sources": list(sources), "entities": list(entities), "status": "stated", "disputed": False}


def _span(data: dict):
    low = data.get("date") or data.get("start")
    return (parse_date(low) if low else None, parse_date(data["end"]) if data.get("end") else None)


def _order(stint: dict, tie: dict) -> str | None:
    """Where ``tie`` falls against a stint at the organisation; None when certainly before it began."""
    start, end = _span(stint)
    began = _span(tie)[0]
    if began is None:
        return "undated"
    if start is not None and compare(began, start) == "before":
        return None
    if end is not None:
        relation = compare(began, end)
        return {"after": "after leaving", "before": "while there"}.get(relation, "around leaving")
    if start is not None:
        return "after joining"
    return "dated; stint undated"


def alumni(kg, org: str, lang: str = "en") -> dict:
    """People who worked at ``org``, and what they founded, joined or funded after.

    A person is an alumnus through a position (the ontology's ``chips:Position``
    relation, projected as ``workedAt``). Their other ties to organisations
    are listed with where they fall against the stint: ``after leaving``,
    ``around leaving`` (the dates are too coarse to tell), ``while there``,
    ``after joining`` (the stint has no end date), ``undated``; ties
    certainly older than the stint are left out. Pass a snapshot
    (:func:`kg.timeview.snapshot`) for the alumni as of a date. Labels and
    sentences are in ``lang`` ("en" or "zh", :mod:`kg.i18n`).

    Returns
    -------
    dict
        ``{"organization", "alumni": [{"person", "stint", "then": [{"kind", "label", "other", "sentence",
        "order", "date", "sources"}]}]}``.

    Raises
    ------
    NotFound
        When nobody is recorded as having worked at ``org``.

    Examples
    --------
    >>> from kg import load
    >>> answer = alumni(load(), "Google")
    >>> [(a["person"]["label"], [t["other"]["label"] for t in a["then"]]) for a in answer["alumni"]]
    [('Douglas Wightman', ['Groq']), ('Jonathan Ross', ['Groq'])]
    """
    kg, cutoff = history(kg)  # as of a date: who had worked there by then, and what they did by then
    G = kg.network
    entity = kg.resolve(org)
    o = str(entity.iri)
    organizations = set(G.graph["vocabulary"]["classes"].get("Organization", {}).get("covers", ()))
    people: dict[str, list] = {}
    if o in G:
        for person, _, data in G.in_edges(o, data=True):
            if data.get("relation_class") == "Position" and happened_by(cutoff, data):
                people.setdefault(person, []).append(data)
    if not people:
        raise NotFound(f"nobody is recorded as having worked at {entity.label}")
    result = []
    for person in sorted(people, key=lambda n: G.nodes[n]["label"]):
        stints = people[person]
        then = []
        for _, other, data in G.out_edges(person, data=True):
            if other == o or G.nodes[other]["cls"] not in organizations or not happened_by(cutoff, data):
                continue
            orders = [_order(stint, data) for stint in stints]
            order = next((x for x in orders if x is not None), None)
            if order is None:
                continue
            then.append({"kind": data["kind"], "label": kind_label(G, data["kind"], data["label"], lang),
                         "other": {"iri": other, "label": node_label(G, other, lang), "class": G.nodes[other]["cls"]},
                         "sentence": edge_sentence(G, person, other, data, lang), "order": order,
                         "date": data.get("date") or data.get("start"), "sources": list(data["sources"])})
        then.sort(key=lambda t: (t["date"] is None, parse_date(t["date"]).sort_key() if t["date"] else (), t["sentence"]))
        node = G.nodes[person]
        result.append({"person": {"iri": person, "label": node_label(G, person, lang), "class": node["cls"]},
                       "stint": [edge_sentence(G, person, o, s, lang) for s in stints], "then": then})
    return {"organization": entity.as_dict() | {"label": node_label(G, o, lang) if o in G else entity.label},
            "alumni": result}

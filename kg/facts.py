"""Spell out facts in plain sentences: relation nodes, money, dates, whole entities."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import PROV, SKOS

from kg.i18n import join, phrase, round_name, when, word
from kg.i18n import money as _money
from kg.names import class_of, label_of, subclasses
from kg.rules import parse_path
from kg.vocab import CHIPS

__all__ = [
    "format_money",
    "money_of",
    "quantity_of",
    "status_of",
    "relation_name",
    "relation_facts",
    "relation_sentence",
    "relation_classes",
    "describe",
    "predicate_label",
    "standing",
    "properties",
]

_CURRENCY_SIGNS = {"USD": "US$", "CNY": "CN¥", "EUR": "€", "GBP": "£", "JPY": "¥"}
#: The properties read on every relation node, as :func:`properties` keys them (their IRIs' text).
_LOW, _HIGH, _CURRENCY, _DISCLOSED = map(str, (CHIPS.minimumAmount, CHIPS.maximumAmount, CHIPS.currency,
                                              CHIPS.amountDisclosed))
_MONEY_KINDS = ((str(CHIPS.amount), ""), (_LOW, "more than "), (str(CHIPS.approximateAmount), "about "),
                (_HIGH, "up to "))
#: Any of them on a node states a sum (most relations state none).
_MONEY_KEYS = frozenset([_CURRENCY, _DISCLOSED] + [prop for prop, _ in _MONEY_KINDS])
_FEWEST, _MOST = str(CHIPS.minimumQuantity), str(CHIPS.maximumQuantity)
_QUANTITY_KINDS = ((str(CHIPS.quantity), ""), (_FEWEST, "more than "), (str(CHIPS.approximateQuantity), "about "),
                   (_MOST, "up to "))
_DATE, _START, _END, _STATUS, _UNIT, _SERIES, _ROUND, _LEAD, _ROLE, _PRODUCT, _TYPE_KEY = map(str, (
    CHIPS.date, CHIPS.start, CHIPS.end, CHIPS.status, CHIPS.unit, CHIPS.series, CHIPS.round, CHIPS.isLead,
    CHIPS.role, CHIPS.product, RDF.type))
_TITLE, _TEAM, _NATURE, _DEAL, _STATED_BY, _ASSESSED_BY = map(str, (
    CHIPS.title, CHIPS.team, CHIPS.nature, CHIPS.deal, CHIPS.statedBy, CHIPS.assessedBy))
_BOUNDS = {"": "exact", "more than ": "minimum", "about ": "approximate", "up to ": "maximum"}
#: Compared with on every relation node: made once (a Literal takes microseconds to build).
_TRUE, _FALSE = Literal(True), Literal(False)


def properties(graph: Graph, node) -> dict:
    """What ``node`` states: each predicate's IRI (a plain ``str``) -> its objects, in the graph's order.

    For reading many properties of one node at once: it is one lookup in a
    :class:`kg.oxigraph_graph.TripleIndex` (which keeps this dict; never
    change it) and one pass over an rdflib graph, where each ``graph.value``
    would be a lookup of its own.

    Examples
    --------
    >>> from kg import load
    >>> from kg.vocab import CHIPS, RES
    >>> properties(load().graph, RES["acquisition-amd-seamicro"])[str(CHIPS.date)]
    [rdflib.term.Literal('2012', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#gYear'))]
    """
    own = getattr(graph, "properties", None)
    if own is not None:
        return own(node)
    found: dict = {}
    for p, o in graph.predicate_objects(node):
        found.setdefault(str(p), []).append(o)
    return found


def _first(props: dict, key: str):
    """The first object of ``key`` in ``props`` (:func:`properties`), like ``graph.value``; else None."""
    found = props.get(key)
    return found[0] if found else None


def format_money(value, currency: str = "USD", qualifier: str = "") -> str:
    """Format a sum of money compactly.

    Examples
    --------
    >>> format_money(676000000)
    'US$676M'
    >>> format_money(5_000_000_000, qualifier="more than ")
    'more than US$5B'
    >>> format_money(62300000, "CNY")
    'CN¥62.3M'
    """
    value = Decimal(str(value))
    sign = _CURRENCY_SIGNS.get(currency, currency + " ")
    for size, suffix in ((Decimal(10) ** 12, "T"), (Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(10) ** 3, "K")):
        if abs(value) >= size:
            number = f"{value / size:.3f}".rstrip("0").rstrip(".")
            return f"{qualifier}{sign}{number}{suffix}"
    return f"{qualifier}{sign}{value.normalize():f}"  # 0.0 from an endpoint reads as 0, as from a file


def money_of(graph: Graph, node, lang: str = "en") -> dict | None:
    """Return ``{"value", "currency", "bound", "text"}`` for the money stated on ``node``.

    ``bound`` is ``"exact"``, ``"minimum"``, ``"maximum"``, ``"approximate"``, ``"range"``
    (``value`` the low bound, ``high`` the high one) or ``"undisclosed"`` (``value`` None);
    ``text`` is written in ``lang`` (:func:`kg.i18n.money`); None when no money is stated.
    """
    return _money_in(properties(graph, node), lang)


def _money_in(props: dict, lang: str = "en") -> dict | None:
    """:func:`money_of` for the node whose :func:`properties` are ``props``."""
    if props.keys().isdisjoint(_MONEY_KEYS):
        return None
    low, high = _first(props, _LOW), _first(props, _HIGH)
    if low is not None and high is not None:
        currency = str(_first(props, _CURRENCY) or "USD")
        if lang == "en":  # US$500M–600M
            text = format_money(low.toPython(), currency) + "–" + format_money(high.toPython(), currency).lstrip(
                _CURRENCY_SIGNS.get(currency, currency + " "))
        else:
            text = word("{}–{}", lang, _money(low.toPython(), currency, lang=lang), _money(high.toPython(), currency, lang=lang))
        return {"value": float(low.toPython()), "high": float(high.toPython()), "currency": currency, "bound": "range",
                "text": text}
    for prop, qualifier in _MONEY_KINDS:
        value = low if prop is _LOW else high if prop is _HIGH else _first(props, prop)  # the bounds, read once
        if value is not None:
            currency, bound = str(_first(props, _CURRENCY) or "USD"), _BOUNDS[qualifier]
            return {
                "value": float(value.toPython()),
                "currency": currency,
                "bound": bound,
                "text": _money_text(value, currency, bound, lang),
            }
    if _first(props, _DISCLOSED) == _FALSE:
        return {"value": None, "currency": None, "bound": "undisclosed", "text": word("sum not disclosed", lang)}
    return None


@lru_cache(maxsize=4096)  # a round's sum is spelled for each of its investors: each sum once
def _money_text(value: Literal, currency: str, bound: str, lang: str) -> str:
    return _money(value.toPython(), currency, bound, lang)


def _figure(value) -> str:
    return format(Decimal(str(value)).normalize(), ",f")


def quantity_of(graph: Graph, node, lang: str = "en") -> dict | None:
    """Return ``{"value", "unit", "bound", "text"}`` for a figure that is not money (percent, TOPS ...), or None.

    Examples
    --------
    >>> from rdflib import Graph, Literal, URIRef
    >>> g, n = Graph(), URIRef("urn:x")
    >>> _ = g.add((n, CHIPS.minimumQuantity, Literal(20))), g.add((n, CHIPS.maximumQuantity, Literal(25)))
    >>> _ = g.add((n, CHIPS.unit, CHIPS.Percent))
    >>> quantity_of(g, n)["text"]
    '20–25%'
    >>> _ = g.add((n, CHIPS.unit, CHIPS.Percent)), g.set((n, CHIPS.unit, CHIPS.Employees))
    >>> _ = g.add((CHIPS.Employees, RDFS.label, Literal("员工", lang="zh")))
    >>> quantity_of(g, n, "zh")["text"]
    '20至25员工'
    """
    return _quantity_in(graph, properties(graph, node), lang)


def _quantity_in(graph: Graph, props: dict, lang: str = "en") -> dict | None:
    """:func:`quantity_of` for the node whose :func:`properties` are ``props``."""
    unit_node = _first(props, _UNIT)
    if unit_node is None:
        return None
    unit = label_of(graph, unit_node)
    glue, sign = ("", "%") if unit_node == CHIPS.Percent else ("" if lang == "zh" else " ", label_of(graph, unit_node, lang))
    low, high = _first(props, _FEWEST), _first(props, _MOST)
    if low is not None and high is not None:
        return {"value": float(low.toPython()), "high": float(high.toPython()), "unit": unit, "bound": "range",
                "text": word("{}–{}", lang, _figure(low), _figure(high)) + glue + sign}
    for prop, qualifier in _QUANTITY_KINDS:
        value = _first(props, prop)
        if value is not None:
            return {"value": float(value.toPython()), "unit": unit, "bound": _BOUNDS[qualifier],
                    "text": word(qualifier + "{}", lang, f"{_figure(value)}{glue}{sign}")}
    return None


def status_of(graph: Graph, node, lang: str = "en") -> str | None:
    """The label of the relation's status (``"rumoured"``) in ``lang``, or None when none is stated."""
    status = graph.value(node, CHIPS.status)
    return label_of(graph, status, lang) if status is not None else None


def predicate_label(graph: Graph, predicate, lang: str = "en") -> str:
    """The label of a property (``"invested in"``), falling back to its local name."""
    return label_of(graph, predicate, lang)


def relation_classes(graph: Graph) -> set[URIRef]:
    """Return ``chips:Relation`` and every class stated below it."""
    return subclasses(graph, CHIPS.Relation)


_TYPE = RDF.type  # rdflib's namespaces build a new URIRef on every attribute access


def _relation_class(graph: Graph, node, classes) -> URIRef | None:
    return _class_in(graph.objects(node, _TYPE), classes)


def _class_in(types, classes) -> URIRef | None:
    for cls in types:
        if cls in classes and cls != CHIPS.Relation:
            return cls
    return None


def _names(graph: Graph, nodes, lang: str = "en", memo: dict | None = None) -> str:
    return join(sorted(_remembered(memo, ("label", n, lang), label_of, graph, n, lang) for n in nodes), lang)


def _remembered(memo: dict | None, key, function, *args):
    """``function(*args)``, kept in ``memo`` under ``key`` when a memo is given (see :func:`relation_sentence`)."""
    if memo is None:
        return function(*args)
    found = memo.get(key)
    if found is None:
        found = memo[key] = function(*args)
    return found


def _when(props: dict, lang: str = "en") -> str:
    """The dates of the node whose :func:`properties` are ``props``, spelled out (:func:`kg.i18n.when`)."""
    return when(_first(props, _DATE), _first(props, _START), _first(props, _END), lang)


def _round_details(graph: Graph, rnd, lang: str = "en") -> list[str]:
    parts = []
    props = properties(graph, rnd)
    series = _first(props, _SERIES)
    if series is not None:
        parts.append(round_name(series, lang))
    if span := _when(props, lang):
        parts.append(span)
    if money := _money_in(props, lang):
        parts.append(money["text"])
    valuation = _first(props, str(CHIPS.resultingValuation))
    if valuation is not None and (money := money_of(graph, valuation, lang)):
        parts.append(word("post-money valuation {}", lang, money["text"]))
    total = _first(props, str(CHIPS.resultingTotal))
    if total is not None and (money := money_of(graph, total, lang)):
        parts.append(word("total raised {}", lang, money["text"]))
    return parts


def relation_sentence(graph: Graph, node, classes=None, lang: str = "en", memo: dict | None = None) -> str:
    """Describe one relation node in a sentence, in ``lang`` ("en" or "zh"), with its figures, deal and status.

    A caller spelling out many nodes of one ``graph`` passes the same
    ``classes`` (:func:`relation_classes`) and ``memo`` (a dict, empty at
    first) to every call: ``memo`` keeps what nodes share (a class's
    shortcut and phrase, a funding round's details, the labels of
    participants, roles and statuses), so each is read once. ``graph``
    must not change while ``memo`` is in use.

    Examples
    --------
    >>> from kg import load
    >>> kg = load()
    >>> from kg.vocab import RES
    >>> relation_sentence(kg.graph, RES["acquisition-amd-seamicro"])
    'AMD acquired SeaMicro · 2012 · US$357M'
    >>> relation_sentence(kg.graph, RES["acquisition-amd-seamicro"], lang="zh")
    'AMD收购了SeaMicro · 2012年 · 3.57亿美元'
    """
    return _relation_sentence(graph, node, properties(graph, node), classes or relation_classes(graph), lang, memo)


def _relation_sentence(graph: Graph, node, props: dict, classes, lang: str = "en", memo: dict | None = None) -> str:
    """:func:`relation_sentence` for ``node``, whose :func:`properties` are ``props``."""
    parts = [_sentence(graph, node, classes, lang, memo, props)]
    if quantity := _quantity_in(graph, props, lang):
        parts.append(quantity["text"])
    # a denial's speaker denied the figure, not stated it: "about US$500M · denied by Nigel Toon"
    status = _first(props, _STATUS)
    denied = status == CHIPS.Denied and _first(props, _STATED_BY) is not None
    for prop, words in ((_DEAL, "deal: {}"), (_STATED_BY, "denied by {}" if denied else "stated by {}"),
                        (_ASSESSED_BY, "mark by {}")):
        for other in sorted(props.get(prop, ())):
            parts.append(word(words, lang, relation_name(graph, other, lang, classes)))
    if not denied and status is not None:
        parts.append(_remembered(memo, ("label", status, lang), label_of, graph, status, lang))
    return " · ".join(parts)


def relation_name(graph: Graph, node, lang: str = "en", classes=None) -> str:
    """The name of a node in ``lang``; a relation (a deal) with no label in ``lang`` reads as its clause.

    Examples
    --------
    >>> from kg import load
    >>> from kg.vocab import RES
    >>> g = load().graph
    >>> relation_name(g, RES["acquisition-amd-seamicro"]), relation_name(g, RES["acquisition-amd-seamicro"], "zh")
    ('AMD acquired SeaMicro (2012, US$357 million)', 'AMD收购了SeaMicro')
    """
    if lang == "en" or any(label.language == lang for label in graph.objects(node, RDFS.label)):
        return label_of(graph, node, lang)
    classes = classes or relation_classes(graph)
    props = properties(graph, node)
    if _class_in(props.get(_TYPE_KEY, ()), classes) is None:
        return label_of(graph, node, lang)
    return _sentence(graph, node, classes, lang, props=props).split(" · ")[0]


def _shortcut(graph: Graph, cls, lang: str) -> tuple:
    """``(shortcut, subject path, object path, verb, phrase template)`` of the relation class ``cls``, or five Nones."""
    shortcut = graph.value(cls, CHIPS.shortcut) if cls is not None else None
    if shortcut is None:
        return None, None, None, None, None
    return (shortcut, parse_path(str(graph.value(cls, CHIPS.subjectPath))),
            parse_path(str(graph.value(cls, CHIPS.objectPath))), predicate_label(graph, shortcut, lang),
            _lang_value(graph, shortcut, CHIPS.phrase, lang, fallback=False))


def _sentence(graph: Graph, node, classes, lang: str, memo: dict | None = None, props: dict | None = None) -> str:
    """The clause of the relation ``node`` (whose :func:`properties` are ``props``) with its figures."""
    g = graph
    if props is None:
        props = properties(g, node)
    cls = _class_in(props.get(_TYPE_KEY, ()), classes)
    if cls == CHIPS.FundingRound:
        company = label_of(g, _first(props, str(CHIPS.fundedCompany)), lang)
        investors = []
        for inv in sorted(g.subjects(CHIPS.round, node)):
            name = label_of(g, g.value(inv, CHIPS.investor), lang)
            lead = g.value(inv, CHIPS.isLead) == _TRUE
            investors.append(name + (word(" (lead)", lang) if lead else ""))
        parts = [word("{} raised a funding round", lang, company)] + _round_details(g, node, lang)
        if investors:
            parts.append(word("investors: {}", lang, ("、" if lang == "zh" else ", ").join(investors)))
        return " · ".join(parts)
    if cls in (CHIPS.Valuation, CHIPS.FundingTotal):
        company = label_of(g, _first(props, str(CHIPS.company)), lang)
        money = _money_in(props, lang)
        verb = "{} valued at {}" if cls == CHIPS.Valuation else "{} had raised {}"
        count = _first(props, str(CHIPS.roundCount))
        if money or count is None:
            parts = [word(verb, lang, company, money["text"] if money else word("an undisclosed sum", lang))]
        else:  # the source counts the rounds and names no sum
            parts = [word("{} had raised money in {} rounds (total not stated)", lang, company, count)]
        if span := _when(props, lang):
            parts.append(span)
        if count is not None and money:
            parts.append(word("in {} rounds", lang, count))
        return " · ".join(parts)

    shortcut, subject_path, object_path, verb, template = _remembered(
        memo, ("shortcut", cls, lang), _shortcut, g, cls, lang)
    subjects = list(g.objects(node, subject_path)) if shortcut else []
    objects = list(g.objects(node, object_path)) if shortcut else []
    if not subjects or not objects:  # no shortcut, or one side not stated: the node's own label
        parts = [label_of(g, node, lang)]
        if span := _when(props, lang):
            parts.append(span)
        if money := _money_in(props, lang):
            parts.append(money["text"])
        return " · ".join(parts)
    if set(subjects) == set(objects):  # symmetric: partners, competitors, people who know each other
        first, *others = sorted(subjects, key=lambda n: label_of(g, n, lang))
        sentence = phrase(template, label_of(g, first, lang), verb, _names(g, others, lang, memo), lang)
    else:
        sentence = phrase(template, _names(g, subjects, lang, memo), verb, _names(g, objects, lang, memo), lang)
    roles = sorted(_remembered(memo, ("label", r, lang), label_of, g, r, lang) for r in props.get(_ROLE, ())
                   if r != CHIPS.Employee)
    if roles:
        sentence += word(" as {}", lang, join(roles, lang))
    parts = [sentence]
    title = _in_lang(props.get(_TITLE, ()), lang)
    if title:  # the job title as the source words it, beside the role from the vocabulary
        parts.append(word("title “{}”", lang, title))
    for prop in (_TEAM, _NATURE):
        value = _in_lang(props.get(prop, ()), lang)
        if value:
            parts.append(value)
    products = sorted(label_of(g, p, lang) for p in props.get(_PRODUCT, ()))
    if products:
        parts.append(("、" if lang == "zh" else ", ").join(products))
    if span := _when(props, lang):
        parts.append(span)
    rnd = _first(props, _ROUND)
    if rnd is not None:
        parts += _remembered(memo, ("round", rnd, lang), _round_details, g, rnd, lang)  # a round has many investors
        if _first(props, _LEAD) == _TRUE:
            parts.append(word("lead investor", lang))
    elif money := _money_in(props, lang):
        parts.append(money["text"])
    return " · ".join(parts)


def _lang_value(graph: Graph, node, prop, lang: str = "en", fallback: bool = True) -> str | None:
    """The value of ``prop`` in ``lang``, else (with ``fallback``) English, else the first in sorted order."""
    return _in_lang(graph.objects(node, prop), lang, fallback)


def _in_lang(values, lang: str = "en", fallback: bool = True) -> str | None:
    """:func:`_lang_value` of the literals ``values``."""
    if not values:  # most relations state none of a title, a team or a nature
        return None
    values = sorted(values)
    for wanted in (lang, "en") if fallback else (lang,):
        for value in values:
            if getattr(value, "language", None) == wanted:
                return str(value)
    return str(values[0]) if values and fallback else None


def _quotes(graph: Graph, node) -> list[str]:
    return sorted(str(q) for q in graph.objects(node, CHIPS.quote))


def _sources(graph: Graph, node) -> list[str]:
    return sorted(str(s) for s in graph.objects(node, PROV.wasDerivedFrom))


def relation_facts(graph: Graph, node, classes=None, lang: str = "en") -> dict:
    """Return a relation node as a dict: iri, class, sentence (in ``lang``), date, money, quotes, sources."""
    classes = classes or relation_classes(graph)
    cls = _relation_class(graph, node, classes)
    return {
        "kind": "relation",
        "iri": str(node),
        "class": str(cls).split("#")[-1] if cls else None,
        "text": relation_sentence(graph, node, classes, lang),
        "date": _when(properties(graph, node)) or None,
        "money": money_of(graph, node),
        "quotes": _quotes(graph, node),
        "sources": _sources(graph, node),
    }


def _literal_value(value) -> object:
    python = value.toPython() if isinstance(value, Literal) else value
    if isinstance(python, (bool, int, float, str)):
        return python
    return str(value)


def describe(kg, name: str, lang: str = "en") -> dict:
    """Return everything the graph says about the entity ``name``.

    The result has ``iri``, ``label``, ``labels`` (language → names),
    ``types``, and ``facts``: the entity's own properties, its links to and
    from other entities, and every relation node it takes part in, spelled
    out as a sentence, each with its sources; for a company, ``funding``
    (:func:`funding_rounds`). Sentences and labels are in ``lang`` ("en" or "zh").

    Examples
    --------
    >>> from kg import load
    >>> info = describe(load(), "SeaMicro")
    >>> any("AMD acquired SeaMicro" in f["text"] for f in info["facts"])
    True
    """
    g = kg.graph
    entity = kg.resolve(name)
    node = entity.iri
    classes = relation_classes(g)
    labels: dict[str, list[str]] = {}
    for prop in (RDFS.label, SKOS.altLabel):
        for value in sorted(g.objects(node, prop)):
            labels.setdefault(getattr(value, "language", None) or "", []).append(str(value))
    entity_sources = _sources(g, node)
    facts = []
    skip = {RDF.type, RDFS.label, SKOS.altLabel, PROV.wasDerivedFrom, CHIPS.quote}
    for p, o in sorted(g.predicate_objects(node)):
        if p in skip:
            continue
        if isinstance(o, Literal):
            name = predicate_label(g, p, lang)
            facts.append({
                "kind": "attribute", "predicate": str(p), "label": name,
                "value": _literal_value(o), "lang": o.language, "text": f"{name}{'：' if lang == 'zh' else ': '}{o}",
                "sources": entity_sources,
            })
        elif o in kg.names:
            other = kg.names.entities[o]
            facts.append({
                "kind": "link", "direction": "out", "predicate": str(p), "label": predicate_label(g, p, lang),
                "other": other.as_dict(), "text": _link(g, node, p, o, lang),
                "sources": entity_sources, "derived": _is_shortcut(g, p),
            })
    for s, p in sorted(g.subject_predicates(node)):
        if s in kg.names and p not in skip:
            other = kg.names.entities[s]
            facts.append({
                "kind": "link", "direction": "in", "predicate": str(p), "label": predicate_label(g, p, lang),
                "other": other.as_dict(), "text": _link(g, s, p, node, lang),
                "sources": _sources(g, s), "derived": _is_shortcut(g, p),
            })
    seen = set()
    for s in sorted(set(g.subjects(None, node))):
        if _relation_class(g, s, classes) is not None and s not in seen:
            seen.add(s)
            facts.append(relation_facts(g, s, classes, lang))
            # an investment's round is itself a relation worth spelling out
            for rnd in g.objects(s, CHIPS.round):
                if rnd not in seen:
                    seen.add(rnd)
                    facts.append(relation_facts(g, rnd, classes, lang))
    facts = [f for f in facts if not f.get("derived")]
    time = getattr(kg, "time", None)
    if time is not None:
        from kg.timeview import context_properties, relation_dates

        contexts = context_properties(g)
        for fact in facts:
            if fact["kind"] == "relation":
                rel = URIRef(fact["iri"])
                fact["when"] = time.judge(**relation_dates(g, rel, contexts.get(_relation_class(g, rel, classes))))
    corrections = [
        {"kind": "correction", "iri": str(c), "text": _correction_text(g, c, lang), "sources": _sources(g, c)}
        for c in sorted(g.subjects(CHIPS.corrects, node))
    ]
    merges = [
        {"kind": "merge", "iri": str(m), "text": _merge_text(g, m, lang), "sources": _sources(g, m)}
        for m in sorted(g.subjects(CHIPS.kept, node)) if (m, RDF.type, CHIPS.Merge) in g
    ]
    disputes = _disputes(kg, str(node), facts, lang)
    return {
        "iri": str(node),
        "label": label_of(g, node, lang) if lang != "en" else entity.label,
        "class": entity.cls,
        "labels": labels,
        "types": sorted(class_of([t]) for t in g.objects(node, RDF.type)),
        "quotes": _quotes(g, node),
        "sources": entity_sources,
        "facts": facts + corrections + merges,
        "funding": funding_rounds(g, node, lang),
        "standing": standing(kg, node, lang),
        "disputes": disputes,
        "time": time.as_dict() if time is not None else None,
    }


def _disputes(kg, iri: str, facts: list, lang: str = "en") -> list:
    """The disputed facts about the entity (:func:`kg.conflicts.conflicts`); marks each fact that is a side."""
    from kg.conflicts import conflicts

    found = [c for c in conflicts(kg, lang=lang)["conflicts"] if iri in c["entities"]]
    sides = {s["claim"]: (c, s) for c in found for s in c["sides"] if s["claim"]}
    for fact in facts:
        if fact.get("iri") in sides:
            conflict, side = sides[fact["iri"]]
            fact["dispute"] = {"fact": conflict["fact"], "rank": side["rank"], "settled": conflict["settled"]}
    out = []
    for c in found:
        values: dict[tuple, list] = {}
        for side in c["sides"]:  # one line per distinct value, with every source that gives it
            key = (side["value"]["text"], side["status"], side["rank"], side["status_label"], side["rank_label"])
            values.setdefault(key, []).extend(x["iri"] for x in side["sources"])
        out.append({"fact": c["fact"], "settled": c["settled"], "answer": c["answer"],
                    "values": [{"value": v, "status": st, "rank": r, "status_label": stl, "rank_label": rl,
                                "sources": list(dict.fromkeys(srcs))}
                               for (v, st, r, stl, rl), srcs in values.items()],
                    "stated": [{"row": n["row"], "note": n["note"]} for n in c["stated"]]})
    return out


def standing(kg, node, lang: str = "en") -> dict | None:
    """Who owns an organisation, as the (possibly time-filtered) graph says: acquisitions and parents.

    Returns ``{"independent": bool, "owners": [{"iri", "label", "since", "how"}], "text"}`` for an
    organisation, None for anything else. An acquisition makes the acquired company a subsidiary
    of the acquirer from the acquisition's date; ``chips:subOrganizationOf`` makes it part of its parent.

    Examples
    --------
    >>> from kg import load
    >>> from kg.vocab import RES
    >>> standing(load(), RES.seamicro)["text"]
    'subsidiary of AMD (acquired 2012)'
    >>> standing(load(), RES.seamicro, lang="zh")["text"]
    'AMD的子公司（2012年收购）'
    """
    g = kg.graph
    entity = kg.names.entities.get(node)
    if entity is None or CHIPS.Organization not in _ancestors(g, g.objects(node, RDF.type)):
        return None
    from kg.rules import shortcut_rules

    owners = []
    for rule in shortcut_rules():
        if rule.shortcut != CHIPS.acquired:
            continue
        for rel in sorted(g.subjects(RDF.type, rule.relation_class)):
            if node in set(g.objects(rel, rule.object_path)):
                date = g.value(rel, CHIPS.date)
                for owner in sorted(g.objects(rel, rule.subject_path)):
                    owners.append({"iri": str(owner), "label": label_of(g, owner, lang), "how": "acquired",
                                   "since": str(date) if date is not None else None})
    for parent in sorted(g.objects(node, CHIPS.subOrganizationOf)):
        owners.append({"iri": str(parent), "label": label_of(g, parent, lang), "how": "part of", "since": None})
    texts = []
    for o in owners:
        if o["how"] == "acquired" and o["since"]:
            texts.append(word("subsidiary of {} (acquired {})", lang, o["label"], when(o["since"], lang=lang)))
        elif o["how"] == "acquired":
            texts.append(word("subsidiary of {} (acquired)", lang, o["label"]))
        else:
            texts.append(word("part of {}", lang, o["label"]))
    return {"independent": not owners, "owners": owners,
            "text": word("; ", lang).join(texts) if texts else word("independent (no acquisition or parent stated)", lang)}


def _ancestors(graph: Graph, classes) -> set:
    out, todo = set(), list(classes)
    while todo:
        cls = todo.pop()
        if cls not in out:
            out.add(cls)
            todo.extend(graph.objects(cls, RDFS.subClassOf))
    return out


def funding_rounds(graph: Graph, company, lang: str = "en") -> list[dict]:
    """The funding of ``company``, one row per round, oldest first: a funding table.

    Each row has ``iri``, ``round`` (the series, or the round's label),
    ``date``, ``amount`` (text in ``lang``), ``lead`` and ``investors``
    (labels), ``valuation`` (text) and ``sources``. Investments the sources
    give without their round come last, in rows whose ``iri`` and ``round``
    are None: one for each that states its own date or sum (an investment of
    its own, never one round with others), and one for each source's
    investments that state neither (the investors a page lists).

    Examples
    --------
    >>> from kg import load
    >>> from kg.bundled import DATA_DIR
    >>> from kg.vocab import RES
    >>> rows = funding_rounds(load([DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"]).graph, RES.sambanova)
    >>> [(r["round"], r["date"], r["amount"]) for r in rows if r["round"]]
    [('Series D', '2021-04', 'US$676M')]
    """
    g = graph
    rows = []
    for rnd in set(g.subjects(CHIPS.fundedCompany, company)):
        investments = sorted(g.subjects(CHIPS.round, rnd))
        money = money_of(g, rnd, lang)
        valuation = g.value(rnd, CHIPS.resultingValuation)
        valued = money_of(g, valuation, lang) if valuation is not None else None
        series = g.value(rnd, CHIPS.series)
        rows.append({
            "iri": str(rnd),
            "round": round_name(series, lang) if series is not None else label_of(g, rnd, lang),
            "date": _when(properties(g, rnd)) or None,
            "amount": money["text"] if money else None,
            "lead": sorted(label_of(g, g.value(i, CHIPS.investor), lang) for i in investments
                           if g.value(i, CHIPS.isLead) == _TRUE),
            "investors": sorted(label_of(g, g.value(i, CHIPS.investor), lang) for i in investments),
            "valuation": valued["text"] if valued else None,
            "sources": _sources(g, rnd),
        })
    rows.sort(key=lambda r: (r["date"] is None, r["date"] or "", r["round"]))
    loose: dict = {}
    for i in sorted(i for i in g.subjects(CHIPS.investee, company) if g.value(i, CHIPS.round) is None):
        props = properties(g, i)
        date, money = _when(props) or None, _money_in(props, lang)
        key = (i,) if date or money else tuple(_sources(g, i))
        loose.setdefault(key, (date, money, []))[2].append(i)
    unstated = []
    for date, money, investments in loose.values():
        unstated.append({
            "iri": None, "round": None, "date": date, "amount": money["text"] if money else None,
            "lead": sorted(label_of(g, g.value(i, CHIPS.investor), lang) for i in investments
                           if g.value(i, CHIPS.isLead) == _TRUE),
            "investors": sorted(label_of(g, g.value(i, CHIPS.investor), lang) for i in investments),
            "valuation": None, "sources": sorted({s for i in investments for s in _sources(g, i)}),
        })
    return rows + sorted(unstated, key=lambda r: (r["date"] is None, r["date"] or "", r["investors"]))


def _is_shortcut(graph: Graph, predicate) -> bool:
    return (None, CHIPS.shortcut, predicate) in graph


def _merge_text(graph: Graph, node, lang: str = "en") -> str:
    merged = graph.value(node, CHIPS.merged)
    reason = _lang_value(graph, node, CHIPS.reason, lang)
    return f"Merged: {merged} is the same entity" + (f" — {reason}" if reason else "")


def _correction_text(graph: Graph, node, lang: str = "en") -> str:
    stated = _lang_value(graph, node, CHIPS.statedText, "zh")
    corrected = _lang_value(graph, node, CHIPS.correctedText, lang)
    reason = _lang_value(graph, node, CHIPS.reason, lang)
    text = word("Correction: the source says “{}”", lang, stated)
    if corrected is not None:
        text += word("; read “{}”", lang, corrected)
    return text + (f" — {reason}" if reason else "")


def _link(graph: Graph, subject, predicate, obj, lang: str = "en") -> str:
    """A plain property between two entities as a clause, in ``lang``."""
    template = _lang_value(graph, predicate, CHIPS.phrase, lang, fallback=False)
    return phrase(template, label_of(graph, subject, lang), predicate_label(graph, predicate, lang),
                  label_of(graph, obj, lang), lang)

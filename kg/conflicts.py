"""Where sources disagree: every disputed fact with each side, its source, status and rank.

Nothing here names a property. The ontology says which facts take a single
value (``chips:singleValued`` on a relation class or a datatype property),
which properties tell that two nodes state the same fact (``chips:factKey``)
and whether the fact holds at a time (``chips:atTime``). Each source's claim
is its own relation node, so two nodes with the same key give two sides of
one fact. Sides are compared within their stated precision:

* a date is the interval it stands for (``2016`` agrees with ``2016-05``);
* an exact sum is a point; "about X" covers half a unit in the last
  significant digit the source gave, at most ±10% of X ("about US$2.8B" is
  2.75–2.85B, so it agrees with US$2.77B; "about US$500M" is 450–550M);
  "more than X" is X and up, "below X" up to X, a range its two bounds;
* sums in different currencies (or figures in different units) are not
  compared: they are listed, never called a conflict on their own.

A fact is disputed when two affirmed sides do not agree, or when a side is
denied (``chips:status chips:Denied``) while another side states a figure
the denial covers (a value, an approximation or a range overlapping it; a
bare bound such as "below US$700M" states no figure and is not contradicted). A reader settles a dispute with a ``chips:Ranking``
(preferred or deprecated, with a reason and who decided); answers then use
the preferred value and still show the others.

A source may also say itself which claims it disagrees with
(``chips:disagreesWith``: a research sheet's note naming another row,
"Conflicts with A100"), even when the two claims state no common fact key
(a Series E round and an investment called Series F) and are never compared.
Such a pair is a dispute stated by the source: listed with the note's words
(``stated``), settled by ranking a side as any other. When both claims are
already sides of a dispute found by comparing values, the note is quoted
there instead of being listed twice.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from rdflib import OWL, RDF, Literal, URIRef
from rdflib.namespace import PROV, RDFS, SKOS, XSD

from kg.dates import parse_date
from kg.names import label_of, subclasses
from kg.vocab import CHIPS

__all__ = ["conflicts", "ranking", "status_of", "Value", "value_of", "agree", "APPROXIMATE_CAP", "RANKS"]

#: The ranks a reader gives a claim, by the word the CLI takes.
RANKS = {"preferred": "PreferredRank", "deprecated": "DeprecatedRank"}

#: "about X" never covers more than this share of X either side.
APPROXIMATE_CAP = Decimal("0.10")

_NS = str(CHIPS)
#: How a sum (or a figure) is bounded: property local name -> bound. ``chips:amount`` and
#: ``chips:quantity`` in a ``chips:singleValued`` annotation stand for all of their family.
_BOUNDS = {
    "amount": {"amount": "exact", "approximateAmount": "approximate", "minimumAmount": "minimum",
               "maximumAmount": "maximum"},
    "quantity": {"quantity": "exact", "approximateQuantity": "approximate", "minimumQuantity": "minimum",
                 "maximumQuantity": "maximum"},
}
_UNIT = {"amount": "currency", "quantity": "unit"}
_STATUS = URIRef(_NS + "status")  # how sure the source is (confirmed, reported, rumoured, denied)


@dataclass(frozen=True)
class Value:
    """One side's value as an interval: ``low``/``high`` (None: unbounded), a unit, and its text."""

    kind: str  # "number", "date", "entity" or "text"
    text: str
    low: object = None
    high: object = None
    unit: str | None = None

    def as_dict(self) -> dict:
        out = {"kind": self.kind, "text": self.text, "unit": self.unit}
        if self.kind in ("number", "date"):
            out |= {"low": _plain(self.low), "high": _plain(self.high)}
        else:
            out["value"] = self.low
        return out


def _plain(x):
    if x is None:
        return None
    if isinstance(x, Decimal):
        return float(x)
    return x.isoformat()


def _half_unit(value: Decimal) -> Decimal:
    """Half a unit in the last significant digit: 2800000000 -> 50000000, 2.77e9 -> 5e6."""
    digits = value.normalize().as_tuple()
    return Decimal(5) * Decimal(10) ** (digits.exponent - 1) if value else Decimal(0)


def _number_value(graph, node, family: str, lang: str = "en") -> Value | None:
    from kg.i18n import money, word

    found = {}
    for local, bound in _BOUNDS[family].items():
        v = graph.value(node, URIRef(_NS + local))
        if v is not None:
            found[bound] = Decimal(str(v))
    if not found:
        return None
    unit_value = graph.value(node, URIRef(_NS + _UNIT[family]))
    if family == "amount":
        unit = str(unit_value or "USD")
        show = lambda x, bound="exact": money(x, unit, bound, lang)  # noqa: E731
    else:
        unit = label_of(graph, unit_value) if isinstance(unit_value, URIRef) else (str(unit_value) if unit_value else "")
        shown = label_of(graph, unit_value, lang) if isinstance(unit_value, URIRef) else unit
        show = lambda x, bound="exact": word(_QUALIFIED[bound], lang, f"{x.normalize():f}"  # noqa: E731
                                             + (f" {shown}" if shown else ""))
    if "exact" in found:
        x = found["exact"]
        return Value("number", show(x), x, x, unit)
    if "approximate" in found:
        x = found["approximate"]
        width = min(_half_unit(x), abs(x) * APPROXIMATE_CAP)
        return Value("number", show(x, "approximate"), x - width, x + width, unit)
    low, high = found.get("minimum"), found.get("maximum")
    if low is not None and high is not None:
        text = word("{}–{}", lang, show(low), show(high))
    elif low is not None:
        text = show(low, "minimum")
    else:
        text = show(high, "maximum")
    return Value("number", text, low, high, unit)


#: How a bounded figure reads (the words go through :func:`kg.i18n.word`).
_QUALIFIED = {"exact": "{}", "approximate": "about {}", "minimum": "more than {}", "maximum": "up to {}"}


def _literal_value(value: Literal, lang: str = "en") -> Value:
    from kg.i18n import when

    datatype = str(value.datatype or "").rsplit("#", 1)[-1]
    if datatype in ("gYear", "gYearMonth", "date"):
        d = parse_date(value)
        return Value("date", when(d.text, lang=lang), d.first, d.last)
    python = value.toPython()
    if isinstance(python, (int, float, Decimal)) and not isinstance(python, bool):
        x = Decimal(str(python))
        return Value("number", str(value), x, x)
    return Value("text", str(value), " ".join(str(value).casefold().split()))


def value_of(graph, node, prop, lang: str = "en") -> Value | None:
    """The value ``node`` gives for ``prop`` (``chips:amount``/``chips:quantity``: the bounded sum or figure).

    Its ``text`` is written in ``lang`` ("en" or "zh"); the interval does not depend on it.
    """
    local = str(prop)[len(_NS):] if str(prop).startswith(_NS) else None
    if local in _BOUNDS:
        return _number_value(graph, node, local, lang)
    v = graph.value(node, prop)
    if v is None:
        return None
    if isinstance(v, Literal):
        return _literal_value(v, lang)
    return Value("entity", label_of(graph, v, lang), str(v))


def agree(a: Value, b: Value) -> bool | None:
    """Do two values agree within their precision? None when they cannot be compared.

    Examples
    --------
    >>> from decimal import Decimal as D
    >>> about = Value("number", "about US$2.8B", D("2.75e9"), D("2.85e9"), "USD")
    >>> exact = Value("number", "US$2.77B", D("2.77e9"), D("2.77e9"), "USD")
    >>> agree(about, exact), agree(exact, Value("number", "£2B", D(2e9), D(2e9), "GBP"))
    (True, None)
    """
    if a.kind != b.kind or (a.kind == "number" and a.unit != b.unit):
        return None
    if a.kind in ("entity", "text"):
        return a.low == b.low
    low = max((x for x in (a.low, b.low) if x is not None), default=None)
    high = min((x for x in (a.high, b.high) if x is not None), default=None)
    if low is None or high is None:
        return True
    if a.kind == "date":
        return low <= high
    points = a.low == a.high or b.low == b.high
    return low < high or (points and low == high)


# --- reading the ontology's declarations -----------------------------------------------------------

@dataclass(frozen=True)
class _FactClass:
    cls: URIRef
    keys: tuple
    values: tuple
    at_time: bool


def _fact_classes(graph) -> list[_FactClass]:
    out = []
    for cls in sorted(set(graph.subjects(CHIPS.singleValued, None))):
        values = tuple(sorted(v for v in graph.objects(cls, CHIPS.singleValued) if isinstance(v, URIRef)))
        if not values:
            continue
        keys = tuple(sorted(graph.objects(cls, CHIPS.factKey)))
        out.append(_FactClass(cls, keys, values, (cls, CHIPS.atTime, Literal(True)) in graph))
    return out


def _concepts(graph) -> set:
    """Classes whose instances are concepts (roles, units, statuses) rather than entities."""
    return subclasses(graph, SKOS.Concept) | subclasses(graph, CHIPS.Role)


def _span(graph, node):
    from kg.timeview import relation_dates

    d = relation_dates(graph, node)
    low, high = d["date"] or d["start"], d["date"] or d["end"]
    if low is None and high is None:
        return None
    return (parse_date(low).first if low else None, parse_date(high).last if high else None)


def _overlap(a, b) -> bool:
    low = max((x for x in (a[0], b[0]) if x is not None), default=None)
    high = min((x for x in (a[1], b[1]) if x is not None), default=None)
    return low is None or high is None or low <= high


def _clusters(graph, nodes):
    """Group dated nodes whose periods may overlap (connected groups); undated nodes are left out."""
    spans = {n: _span(graph, n) for n in nodes}
    dated = sorted((n for n in nodes if spans[n] is not None), key=str)
    parent = {n: n for n in dated}

    def root(n):
        while parent[n] != n:
            n = parent[n]
        return n

    for a, b in combinations(dated, 2):
        if _overlap(spans[a], spans[b]):
            parent[root(a)] = root(b)
    groups = defaultdict(list)
    for n in dated:
        groups[root(n)].append(n)
    return [sorted(g, key=str) for g in groups.values()], spans


def _claim_groups(kg):
    """Yield ``(fact class, key values, claims)`` for every set of nodes stating the same fact."""
    g = kg.graph
    concept_classes = _concepts(g)
    for fc in _fact_classes(g):
        buckets = defaultdict(list)
        # a key over concepts (a role, a unit) takes part only through concepts marked single-valued
        concept_keys = {k for k in fc.keys if any(r in concept_classes for r in g.objects(k, RDFS.range))}
        for node in g.subjects(RDF.type, fc.cls):
            key = []
            for prop in fc.keys:
                values = sorted(g.objects(node, prop))
                if prop in concept_keys:
                    values = [v for v in values if (v, CHIPS.singleValued, Literal(True)) in g]
                    if not values:
                        break
                key.append(tuple(values))
            else:
                buckets[tuple(key)].append(node)
        for key, nodes in sorted(buckets.items(), key=lambda kv: str(kv[0])):
            if len(nodes) < 2:
                continue
            if fc.at_time:
                clusters, spans = _clusters(g, nodes)
                for cluster in clusters:
                    if len(cluster) > 1:
                        yield fc, key, cluster, [spans[n] for n in cluster]
            else:
                yield fc, key, sorted(nodes, key=str), None


def _rankings(graph, lang: str = "en") -> dict:
    out = defaultdict(list)
    for r in graph.subjects(RDF.type, CHIPS.Ranking):
        claim, rank = graph.value(r, CHIPS.ranked), graph.value(r, CHIPS.rank)
        if claim is None or rank is None:
            continue
        date = graph.value(r, CHIPS.date)
        out[str(claim)].append({
            "rank": label_of(graph, rank), "rank_label": label_of(graph, rank, lang),
            "reason": str(graph.value(r, CHIPS.rankReason) or "") or None,
            "by": str(graph.value(r, CHIPS.decidedBy) or "") or None, "date": str(date) if date else None,
            "ranking": str(r),
        })
    return out


def _source(graph, iri, lang: str = "en") -> dict:
    published = graph.value(iri, CHIPS.published)
    publisher = graph.value(iri, CHIPS.publisher)
    return {"iri": str(iri), "label": label_of(graph, iri, lang), "publisher": str(publisher) if publisher else None,
            "published": str(published) if published else None}


def status_of(graph, node, lang: str = "en") -> str:
    """How sure the source of a relation node is: confirmed, reported, rumoured, denied, or "stated" (not said).

    In another ``lang`` the status's label in that language (``媒体报道``); English is the key answers compare.
    """
    from kg.i18n import word

    status = graph.value(node, _STATUS)
    if status is None:
        return word("stated", lang)
    return label_of(graph, status, lang) if isinstance(status, URIRef) and lang != "en" else \
        (label_of(graph, status) if isinstance(status, URIRef) else str(status)).casefold()


def _states_a_figure(value: Value) -> bool:
    """A value, an approximation or a range states a figure; a bare bound ("below X") does not."""
    return value.kind != "number" or (value.low is not None and value.high is not None)


def _judge(sides: list[dict]) -> tuple[list, list]:
    """``(disagreements, contradictions)`` among sides: pairs of claim ids."""
    affirmed = [s for s in sides if s["status"] != "denied"]
    denied = [s for s in sides if s["status"] == "denied"]
    disagree = [(a["claim"], b["claim"]) for a, b in combinations(affirmed, 2) if agree(a["_value"], b["_value"]) is False]
    contradict = [(d["claim"], a["claim"]) for d in denied for a in affirmed
                  if _states_a_figure(a["_value"]) and agree(d["_value"], a["_value"]) is True]
    return disagree, contradict


def _fact(graph, fc, key, spans, prop, lang: str = "en") -> tuple[str, list[str]]:
    from kg.facts import relation_name

    names, entities = [], []
    for prop_values in key:
        for v in prop_values:
            names.append(relation_name(graph, v, lang) if isinstance(v, URIRef) else str(v))
            if isinstance(v, URIRef):
                entities.append(str(v))
    text = " · ".join([label_of(graph, fc.cls, lang)] + names)
    if spans:
        lows = sorted(s[0] for s in spans if s[0] is not None)
        highs = sorted(s[1] for s in spans if s[1] is not None)
        if lows or highs:
            text += f" · {(lows or highs)[0].isoformat()} … {(highs or lows)[-1].isoformat()}"
    return f"{text}{'：' if lang == 'zh' else ': '}{label_of(graph, prop, lang)}", entities


def _rank(sides, rankings, lang: str = "en") -> None:
    """Give each side its rankings and the rank the last one sets ("normal" without one)."""
    from kg.i18n import word

    for side in sides:
        side["ranks"] = rankings.get(side["claim"] or "", [])
        side["rank"] = side["ranks"][-1]["rank"] if side["ranks"] else "normal"
        side["rank_label"] = side["ranks"][-1]["rank_label"] if side["ranks"] else word("normal", lang)


def _settle(sides, judge) -> dict:
    """``settled`` and ``answer``: a preferred side settles a dispute, as does deprecating sides until
    ``judge`` finds none among the rest."""
    kept = [s for s in sides if s["rank"] != "deprecated"]
    preferred = [s for s in sides if s["rank"] == "preferred"]
    settled = bool(preferred) or not any(judge(kept))
    answer = preferred[0] if preferred else (kept[0] if settled and kept else None)
    for side in sides:
        side["value"] = side.pop("_value").as_dict()
    return {"settled": settled, "answer": answer["value"]["text"] if answer else None}


def _entry(graph, fact, entities, sides, rankings, lang: str = "en") -> dict | None:
    _rank(sides, rankings, lang)
    for side in sides:
        side["agrees_with"] = sorted(o["claim"] for o in sides if o is not side and o["claim"]
                                     and agree(o["_value"], side["_value"]) is True)
    disagree, contradict = _judge(sides)
    if not disagree and not contradict:
        return None
    for side in sides:
        side["denies"] = sorted(a for d, a in contradict if d == side["claim"])
    return {
        "fact": fact, "entities": sorted(set(entities)), "basis": "values",
        "sides": sides, "disagreements": disagree, "denials": contradict, "stated": [],
    } | _settle(sides, _judge)


def _attribute_conflicts(kg, rankings, lang: str = "en") -> list:
    """Entities with two or more values of a property the ontology marks ``chips:singleValued true``."""
    from kg.i18n import word

    g = kg.graph
    out = []
    for prop in sorted(g.subjects(CHIPS.singleValued, Literal(True))):
        if (prop, RDF.type, OWL.DatatypeProperty) not in g:
            continue
        subjects = defaultdict(list)
        for s, o in g.subject_objects(prop):
            if getattr(o, "language", None) in (None, "en"):
                subjects[s].append(o)
        for s, values in sorted(subjects.items()):
            if len(set(values)) < 2:
                continue
            sources = [_source(g, x, lang) for x in sorted(g.objects(s, PROV.wasDerivedFrom))]
            name, what = label_of(g, s, lang), label_of(g, prop, lang)
            sides = [{"claim": None, "_value": _literal_value(v, lang), "status": "stated",
                      "status_label": word("stated", lang), "sources": sources,
                      "text": word("{} {}: {}", lang, name, what, v),
                      "note": word("stated on the entity: which source gave which value is not recorded", lang)}
                     for v in sorted(set(values))]
            entry = _entry(g, word("{}: {}", lang, name, what), [str(s)], sides, rankings, lang)
            if entry:
                out.append(entry)
    return out


def conflicts(kg, name: str | None = None, *, unsettled: bool = False, lang: str = "en") -> dict:
    """Every disputed fact, or those about the entity ``name``, with all their sides.

    Parameters
    ----------
    kg : KnowledgeGraph
        Or a snapshot (:func:`kg.timeview.snapshot`): what was disputed as known by a date.
    name : str, optional
        Only facts about this entity (any name).
    unsettled : bool
        Only facts no ranking settles.
    lang : str
        "en" or "zh": the language of the facts' names, values and sentences
        (``status`` and ``rank`` stay the English keys; ``status_label`` and
        ``rank_label`` are in ``lang``).

    Returns
    -------
    dict
        ``{"entity", "conflicts": [{"fact", "entities", "basis", "settled", "answer", "disagreements",
        "denials", "sides": [{"claim", "value", "status", "rank", "ranks", "sources": [{"iri", "label",
        "publisher", "published"}], "text", "agrees_with"}], "stated": [{"claim", "row", "note",
        "disagrees_with"}]}], "settled": n, "unsettled": n}``. ``basis`` is "values" for a dispute found
        by comparing values, "note" for one only a source's note states (its sides' values are their
        sentences); ``stated`` quotes the notes that name the other sides.

    Examples
    --------
    >>> from kg import load
    >>> from kg.bundled import DATA_DIR
    >>> conflicts(load([DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"]))["conflicts"]  # the article agrees with itself
    []
    """
    found = list(_every_conflict(kg, lang))
    entity = None
    if name is not None:
        entity = kg.resolve(name)
        found = [c for c in found if str(entity.iri) in c["entities"]]
    if unsettled:
        found = [c for c in found if not c["settled"]]
    about = entity.as_dict() | {"label": label_of(kg.graph, entity.iri, lang)} if entity else None
    return {"entity": about, "conflicts": found,
            "settled": sum(c["settled"] for c in found), "unsettled": sum(not c["settled"] for c in found)}


def _every_conflict(kg, lang: str) -> list:
    """Every disputed fact of the graph, worked out once per graph (and language) and kept on it.

    A loaded graph (or a snapshot of one) does not change, and pages ask for
    the disputes about one entity at a time: each would otherwise compare
    every fact of the graph again.
    """
    # its own attribute, never one a snapshot would forward to the graph it filters
    kept = getattr(kg, "__dict__", {}).setdefault("_conflicts", {})
    if lang not in kept:
        kept[lang] = _find_conflicts(kg, lang)
    return kept[lang]


def _find_conflicts(kg, lang: str) -> list:
    from kg.facts import relation_sentence
    from kg.i18n import word

    g = kg.graph
    rankings = _rankings(g, lang)
    found = []
    for fc, key, claims, spans in _claim_groups(kg):
        for prop in fc.values:
            sides = []
            for node in claims:
                value = value_of(g, node, prop, lang)
                if value is None:
                    continue
                sides.append({
                    "claim": str(node), "_value": value, "status": status_of(g, node),
                    "status_label": status_of(g, node, lang),
                    "sources": [_source(g, s, lang) for s in sorted(g.objects(node, PROV.wasDerivedFrom))],
                    "text": relation_sentence(g, node, lang=lang),
                })
            if len(sides) < 2:
                continue
            fact, entities = _fact(g, fc, key, spans, prop, lang)
            entry = _entry(g, fact, entities, sides, rankings, lang)
            if entry:
                found.append(entry)
    found += _attribute_conflicts(kg, rankings, lang)
    found += _stated_conflicts(kg, found, rankings, lang)
    found.sort(key=lambda c: c["fact"])
    return found


def _side(graph, node, lang: str = "en") -> dict:
    """One claim as a side of a dispute stated by a source: its sentence (with its sum), status and sources."""
    from kg.facts import money_of, relation_sentence

    text = relation_sentence(graph, node, lang=lang)
    money = money_of(graph, node, lang)
    if money and money["text"] not in text:
        text += f" · {money['text']}"
    return {"claim": str(node), "_value": Value("text", text, text.casefold()), "status": status_of(graph, node),
            "status_label": status_of(graph, node, lang),
            "sources": [_source(graph, s, lang) for s in sorted(graph.objects(node, PROV.wasDerivedFrom))],
            "text": text}


def _participants(kg, node, classes) -> set:
    """The entities a relation node names, and those of the relations it names (an investment's round)."""
    g = kg.graph
    found = set()
    for p, o in g.predicate_objects(node):
        if p == CHIPS.disagreesWith or not isinstance(o, URIRef):
            continue
        if o in kg.names:
            found.add(o)
        elif any(t in classes for t in g.objects(o, RDF.type)):
            found |= {x for x in g.objects(o, None) if isinstance(x, URIRef) and x in kg.names}
    return found


def _class_of(graph, node, classes):
    """The relation class of ``node`` (the first by IRI if it has several; chips:Relation if none other)."""
    return min((t for t in graph.objects(node, RDF.type) if t in classes and t != CHIPS.Relation),
               key=str, default=CHIPS.Relation)


def _note(graph, node, other) -> dict:
    """What a source says of the claim it disagrees with: its row and the note's words."""
    row = graph.value(node, CHIPS.sheetRow)
    notes = sorted(graph.objects(node, CHIPS.note), key=lambda n: (n.language != "en", str(n)))
    return {"claim": str(node), "row": str(row) if row is not None else None, "note": str(notes[0]) if notes else None,
            "disagrees_with": [str(other)]}


def _quote(stated: list, note: dict) -> None:
    """Add ``note`` to a dispute's notes: once per claim, with every claim of the dispute it disagrees with."""
    for kept in stated:
        if kept["claim"] == note["claim"]:
            kept["disagrees_with"] = sorted(set(kept["disagrees_with"]) | set(note["disagrees_with"]))
            return
    stated.append(note)
    stated.sort(key=lambda n: n["claim"])


def _stated_conflicts(kg, computed: list, rankings, lang: str = "en") -> list:
    """Disputes the sources state (``chips:disagreesWith``): the note is quoted on a dispute the values
    already show; any other pair of claims is a dispute of its own."""
    from kg.facts import relation_classes
    from kg.i18n import join, word

    g = kg.graph
    classes = relation_classes(g)
    pairs = defaultdict(list)
    for a, b in g.subject_objects(CHIPS.disagreesWith):
        if a != b and all(any(t in classes for t in g.objects(n, RDF.type)) for n in (a, b)):
            pairs[tuple(sorted((a, b), key=str))].append(_note(g, a, b))
    claims_of = [({s["claim"] for s in c["sides"]}, c) for c in computed]
    out = []
    for (a, b), notes in sorted(pairs.items()):
        shown = next((c for claims, c in claims_of if str(a) in claims and str(b) in claims), None)
        if shown is not None:
            for note in notes:
                _quote(shown["stated"], note)
            continue
        sides = [_side(g, a, lang), _side(g, b, lang)]
        _rank(sides, rankings, lang)
        entities = _participants(kg, a, classes) | _participants(kg, b, classes)
        kinds = " / ".join(dict.fromkeys(label_of(g, _class_of(g, n, classes), lang) for n in (a, b)))
        names = join(sorted(label_of(g, e, lang) for e in entities), lang)
        fact = word("{} · {}: disputed in the source's note", lang, kinds, names) if names else \
            word("{}: disputed in the source's note", lang, kinds)
        for side in sides:
            side["agrees_with"], side["denies"] = [], []
        out.append({
            "fact": fact, "entities": sorted(str(e) for e in entities), "basis": "note",
            "sides": sides, "disagreements": [(str(a), str(b))], "denials": [],
            "stated": sorted(notes, key=lambda n: n["claim"]),
        } | _settle(sides, lambda kept: ([tuple(s["claim"] for s in kept)] if len(kept) > 1 else [], [])))
    return out


def ranking(kg, claim: str, rank: str, *, reason: str, by: str, date: str | None = None) -> str:
    """Turtle for a :class:`chips:Ranking` settling a dispute: ``claim`` ranked ``preferred`` or ``deprecated``.

    ``claim`` is a relation node (an IRI or ``res:`` name, as ``kg conflicts``
    shows it). Write the result into a data file loaded with ``--data``;
    deleting it undoes the decision.

    Raises
    ------
    BadInput
        When ``claim`` is no relation node, ``rank`` is not preferred or
        deprecated, or ``reason`` or ``by`` is empty.

    Examples
    --------
    >>> from kg import load
    >>> text = ranking(load(), "res:founding-nigel-toon-graphcore", "preferred", reason="The article", by="A. Reader",
    ...                date="2026-11-30")
    >>> "chips:rank chips:PreferredRank" in text and 'chips:decidedBy "A. Reader"' in text
    True
    """
    from datetime import date as today

    from rdflib import Graph

    from kg.dates import parse_date
    from kg.errors import BadInput
    from kg.facts import relation_classes
    from kg.names import expand_curie
    from kg.vocab import RES, bind_prefixes

    g = kg.graph
    node = URIRef(expand_curie(claim.strip()))
    if not any(t in relation_classes(g) for t in g.objects(node, RDF.type)):
        raise BadInput(f"{claim!r} is no claim (relation node) in the graph; kg conflicts shows each side's claim")
    if rank not in RANKS:
        raise BadInput(f"rank must be one of {', '.join(RANKS)}, not {rank!r}")
    if not reason.strip() or not by.strip():
        raise BadInput("say why (--reason) and who decides (--by)")
    when = parse_date(date or today.today().isoformat())
    local = str(node).rsplit("/", 1)[-1]
    r = RES[f"ranking-{local}-{rank}"]
    out = bind_prefixes(Graph())
    out.add((r, RDF.type, CHIPS.Ranking))
    out.add((r, RDFS.label, Literal(f"{label_of(g, node)}: {rank}", lang="en")))
    out.add((r, CHIPS.ranked, node))
    out.add((r, CHIPS.rank, CHIPS[RANKS[rank]]))
    out.add((r, CHIPS.rankReason, Literal(reason.strip(), lang="en")))
    out.add((r, CHIPS.decidedBy, Literal(by.strip())))
    datatype = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}[when.precision]
    out.add((r, CHIPS.date, Literal(when.text, datatype=datatype)))
    return out.serialize(format="turtle")


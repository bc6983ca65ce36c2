"""Catch misspelt vocabulary: project terms the ontology does not define, ids that name nothing.

SHACL checks the shape of what is there; a typo makes something else be
there. ``chips:lead`` for ``chips:isLead`` is a new property no shape looks
at; ``…/ontology/Startup`` for ``…/ontology#Startup`` is a class nobody
defined, so the facts silently vanish from every question; ``res:grok`` for
``res:groq`` is a company with no name or class, which SHACL reports as a
funding round without a company. These checks name the typo itself, on the
node that has it, with the term it most likely meant.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

from rdflib import OWL, RDF, Graph, URIRef

from kg.names import label_of

__all__ = ["spelling_problems", "PROJECT_NAMESPACES"]

#: The namespaces of the project whose every term must be known.
PROJECT_NAMESPACES = {
    "chips": "https://w3id.org/chipskg/ontology#",
    "res": "https://w3id.org/chipskg/id/",
    "src": "https://w3id.org/chipskg/source/",
}
#: Other IRIs of the project that are not terms: the ontology itself and the graph ``kg push`` fills.
_OTHER_PROJECT_IRIS = {"https://w3id.org/chipskg/ontology", "https://w3id.org/chipskg/graph"}
_SHAPES = "https://w3id.org/chipskg/shapes#"
_LOOKS_LIKE_PROJECT = re.compile(r"^https?://(www\.)?w3id\.org/+chips[-_]?kg\b", re.I)


def _local(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


def _closest(word: str, choices: dict[str, str], n: int = 2) -> list[str]:
    """The values of ``choices`` (keyed by lower-cased local name) whose key is closest to ``word``."""
    key = word.lower()
    if key in choices:
        return [choices[key]]
    close = difflib.get_close_matches(key, list(choices), n=n, cutoff=0.6)
    if close:  # name the runners-up only when they come near the best
        best = difflib.SequenceMatcher(None, key, close[0]).ratio()
        close = [k for k in close if difflib.SequenceMatcher(None, key, k).ratio() >= best - 0.1]
    return [choices[k] for k in close]


def _of_kind(terms: dict[str, str], position: str) -> dict[str, str]:
    """Classes (capitalised) for a class, properties for a property, any term elsewhere."""
    if position not in ("class", "predicate"):
        return terms
    capital = position == "class"
    return {k: t for k, t in terms.items() if _local(t)[:1].isupper() == capital}


def _allowed_values(graph: Graph, prop, chips_ns: str):
    """``(kind, values)`` when the ontology lists the values of ``prop`` (the instances of its range), else None."""
    from rdflib import RDFS

    for kind in graph.objects(prop, RDFS.range):
        values = [v for v in graph.subjects(RDF.type, kind) if str(v).startswith(chips_ns)]
        if values:
            return label_of(graph, kind).lower(), values
    return None


def _did_you_mean(options: list[str]) -> str:
    return f" (did you mean {' or '.join(options)}?)" if options else ""


def spelling_problems(graph: Graph, short=str) -> list[dict]:
    """Every misspelt project term or id in ``graph`` (ontology, data and derived triples).

    Reports, each once per node that has it:

    - a term in the ``chips:`` namespace that the ontology does not define;
    - an IRI that looks like the project's (``…/chipskg/ontology/isLead``,
      ``http://w3id.org/chipskg/id/groq``) but is in none of its namespaces;
    - an entity (``res:``) or source (``src:``) id that is used but never
      given a class: ``unknown entity res:grok (did you mean res:groq?)``.

    Parameters
    ----------
    graph : rdflib.Graph
        The loaded graph.
    short : callable
        Turns an IRI into the text shown (e.g. a prefixed name).

    Returns
    -------
    list of dict
        ``{"focus", "path", "message", "term"}``, sorted; ``focus`` and ``path`` are IRIs,
        ``term`` the misspelt IRI.

    Examples
    --------
    >>> from kg import load
    >>> spelling_problems(load().graph)
    []
    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''
    ... @prefix chips: <https://w3id.org/chipskg/ontology#> . @prefix res: <https://w3id.org/chipskg/id/> .
    ... res:groq a chips:Startup . res:r a chips:FundingRound ; chips:fundedCompany res:grok ; chips:lead true .
    ... ''', format="turtle")
    >>> for p in spelling_problems(g): print(p["message"])
    unknown entity https://w3id.org/chipskg/id/grok (did you mean https://w3id.org/chipskg/id/groq?)
    unknown property https://w3id.org/chipskg/ontology#lead (did you mean https://w3id.org/chipskg/ontology#isLead?)
    """
    from kg.vocab import CHIPS

    chips_ns = PROJECT_NAMESPACES["chips"]
    terms = {name.lower(): chips_ns + name for name in CHIPS.__annotations__}
    # a merged entity keeps its IRI only in the merge (owl:sameAs, chips:merged): its facts moved to the kept one
    typed = set(graph.subjects(RDF.type, None)) | set(graph.objects(None, OWL.sameAs)) | set(
        graph.objects(None, CHIPS.merged))
    known_ids = {
        prefix: {_local(str(s)).lower(): str(s) for s in typed if str(s).startswith(ns)}
        for prefix, ns in PROJECT_NAMESPACES.items() if prefix != "chips"
    }
    shortcuts = set(graph.objects(None, CHIPS.shortcut))
    found: dict[tuple, dict] = {}
    untyped: dict[URIRef, list[tuple]] = defaultdict(list)

    def report(focus, path, term, message):
        found.setdefault((str(focus), str(term)), {
            "focus": str(focus), "path": str(path), "term": str(term), "message": message})

    def what(position) -> str:
        return {"predicate": "property", "class": "class"}.get(position, "term")

    fine = set()  # terms that are right wherever they stand: each judged once, not once per triple
    for s, p, o in graph:
        for position, term in (("subject", s), ("predicate", p), ("class" if p == RDF.type else "object", o)):
            if not isinstance(term, URIRef) or term in fine:
                continue
            text = str(term)
            if text.startswith(chips_ns):
                if text[len(chips_ns):] in CHIPS.__annotations__:
                    fine.add(term)
                    continue
                allowed = _allowed_values(graph, p, chips_ns) if position == "object" else None
                if allowed:  # chips:role chips:Architekt: name the roles there are
                    kind, values = allowed
                    guess = [short(URIRef(t)) for t in _closest(_local(text), {_local(v).lower(): v for v in values})]
                    listed = ", ".join(f"{label_of(graph, v)} ({short(v)})" for v in sorted(values, key=str))
                    report(s, p, term, f"unknown {kind} {short(term)}{_did_you_mean(guess)}; the {kind}s are: "
                           f"{listed}. A new one goes in ontology/chips.ttl")
                else:
                    guess = [short(URIRef(t)) for t in _closest(_local(text), _of_kind(terms, position))]
                    report(s, p, term, f"unknown {what(position)} {short(term)}{_did_you_mean(guess)}")
            elif text.startswith((PROJECT_NAMESPACES["res"], PROJECT_NAMESPACES["src"])):
                if term not in typed:
                    untyped[term].append((position, s, p))
                else:
                    fine.add(term)
            elif not _LOOKS_LIKE_PROJECT.match(text) or text in _OTHER_PROJECT_IRIS or text.startswith(_SHAPES):
                fine.add(term)
            else:
                meant = "chips" if "ontolog" in text.lower() else "src" if "source" in text.lower() else "res"
                choices = _of_kind(terms, position) if meant == "chips" else known_ids[meant]
                guess = [short(URIRef(t)) for t in _closest(_local(text), choices)]
                report(s, p, term, f"<{text}> is not in the project's namespace {PROJECT_NAMESPACES[meant]} "
                       f"({meant}:){_did_you_mean(guess)}")
    for term, uses in untyped.items():
        text = str(term)
        kind, ids = ("source", known_ids["src"]) if text.startswith(PROJECT_NAMESPACES["src"]) else ("entity", known_ids["res"])
        if any(position == "subject" for position, _, _ in uses):
            report(term, RDF.type, term, f"{short(term)} is described but has no class: say what it is "
                   f"(a {short(URIRef(chips_ns + ('Source' if kind == 'source' else 'Company')))}, ...)")
            continue
        # the node that mentions it; a derived shortcut only when nothing else does
        position, focus, path = min(uses, key=lambda use: (use[2] in shortcuts, str(use[1]), str(use[2])))
        guess = [short(URIRef(t)) for t in _closest(_local(text), ids)]
        report(focus, path, term, f"unknown {kind} {short(term)}{_did_you_mean(guess)}")
    return sorted(found.values(), key=lambda v: (v["focus"], v["path"], v["message"]))

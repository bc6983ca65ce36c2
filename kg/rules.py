"""Derive the shortcut triples (``chips:investedIn`` ...) from the n-ary relation nodes.

The rules are not written here: each n-ary relation class in the ontology
states its own with three annotations, for example::

    chips:Investment chips:shortcut chips:investedIn ;
        chips:subjectPath "chips:investor" ;
        chips:objectPath "chips:investee|chips:round/chips:fundedCompany" .

which reads "for every chips:Investment ?r, from each ?s reached by the subject
path to each ?o reached by the object path, add ?s chips:investedIn ?o".
Paths use the SPARQL property-path operators ``/`` (sequence), ``|``
(alternative) and ``^`` (inverse) over prefixed names.

Rules come from the ontology file alone (:func:`shortcut_rules`): a data file
that states ``chips:shortcut`` or a path is ignored here and flagged by
``kg validate``. A path is parsed (:func:`parse_path`) and, where SPARQL is
needed, written back from the parsed form (:func:`path_sparql`), never pasted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, Graph, URIRef
from rdflib.paths import AlternativePath, InvPath, Path, SequencePath

from kg.errors import DataError
from kg.vocab import CHIPS, PREFIXES

__all__ = ["ShortcutRule", "shortcut_rules", "derive_shortcuts", "derived_triples", "stated_shortcuts", "unbacked_message",
           "parse_path", "path_sparql", "RULE_PREDICATES"]

#: The annotations that state a rule; only the ontology file may use them.
RULE_PREDICATES = (CHIPS.shortcut, CHIPS.subjectPath, CHIPS.objectPath)


@dataclass(frozen=True)
class ShortcutRule:
    """One rule: instances of ``relation_class`` yield ``subject shortcut object``."""

    relation_class: URIRef
    shortcut: URIRef
    subject_path: URIRef | Path
    object_path: URIRef | Path

    def triples(self, graph: Graph):
        """Yield the triples this rule derives from ``graph``."""
        for node in graph.subjects(RDF.type, self.relation_class):
            objects = list(graph.objects(node, self.object_path))
            for s in graph.objects(node, self.subject_path):
                for o in objects:
                    if s != o:
                        yield s, self.shortcut, o


@lru_cache(maxsize=256)  # the same few paths are read for every relation node
def parse_path(text: str) -> URIRef | Path:
    """Parse a property path of prefixed names joined by ``|``, ``/`` and ``^``.

    Examples
    --------
    >>> print(parse_path("chips:investee|chips:round/chips:fundedCompany").n3())
    <https://w3id.org/chipskg/ontology#investee>|(<https://w3id.org/chipskg/ontology#round>/<https://w3id.org/chipskg/ontology#fundedCompany>)
    """
    alternatives = [_parse_sequence(part.strip(), text) for part in text.split("|")]
    return alternatives[0] if len(alternatives) == 1 else AlternativePath(*alternatives)


def _parse_sequence(text: str, whole: str):
    steps = [_parse_step(step.strip(), whole) for step in text.split("/")]
    return steps[0] if len(steps) == 1 else SequencePath(*steps)


_STEP = re.compile(r"(\^?)\s*([A-Za-z][A-Za-z0-9_-]*):([A-Za-z_][A-Za-z0-9_-]*)")
_IRIREF = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')


def _parse_step(step: str, whole: str):
    match = _STEP.fullmatch(step)
    if not match or match.group(2) not in PREFIXES:
        raise DataError(f"ontology: bad property path {whole!r}: cannot read {step!r} "
                        "(want prefix:name steps joined by /, | and ^)")
    iri = URIRef(PREFIXES[match.group(2)] + match.group(3))
    return InvPath(iri) if match.group(1) else iri


def path_sparql(path) -> str:
    """Write a parsed path (:func:`parse_path`) as a SPARQL property path of full IRIs.

    Examples
    --------
    >>> path_sparql(parse_path("chips:investee|^chips:round/chips:fundedCompany"))
    '(<https://w3id.org/chipskg/ontology#investee>|(^<https://w3id.org/chipskg/ontology#round>/<https://w3id.org/chipskg/ontology#fundedCompany>))'
    >>> path_sparql(URIRef("http://x/> } ; DROP ALL ; #"))
    Traceback (most recent call last):
    ...
    kg.errors.DataError: ontology: 'http://x/> } ; DROP ALL ; #' cannot be written as an IRI
    """
    if isinstance(path, URIRef):
        if not _IRIREF.fullmatch(str(path)):
            raise DataError(f"ontology: {str(path)!r} cannot be written as an IRI")
        return f"<{path}>"
    if isinstance(path, InvPath):
        return "^" + path_sparql(path.arg)
    if isinstance(path, SequencePath):
        return "(" + "/".join(path_sparql(p) for p in path.args) + ")"
    if isinstance(path, AlternativePath):
        return "(" + "|".join(path_sparql(p) for p in path.args) + ")"
    raise DataError(f"ontology: unsupported property path {path!r}")


def shortcut_rules(ontology: Graph | None = None) -> list[ShortcutRule]:
    """Read the shortcut rules stated in the ontology, sorted by class.

    Parameters
    ----------
    ontology : rdflib.Graph, optional
        The ontology to read them from; by default the bundled
        ``ontology/chips.ttl``. Never a graph holding data files: rules
        stated by data would let a data file decide what is derived.

    Examples
    --------
    >>> [r.shortcut.rsplit("#", 1)[-1] for r in shortcut_rules()][:2]
    ['acquired', 'competesWith']
    """
    if ontology is None:
        return list(_bundled_rules())
    rules = []
    for cls, shortcut in sorted(ontology.subject_objects(CHIPS.shortcut)):
        subject_path = ontology.value(cls, CHIPS.subjectPath)
        object_path = ontology.value(cls, CHIPS.objectPath)
        if subject_path is None or object_path is None:
            raise DataError(f"ontology: {cls} has chips:shortcut but no subject or object path")
        rules.append(ShortcutRule(cls, shortcut, parse_path(str(subject_path)), parse_path(str(object_path))))
    return rules


@lru_cache(maxsize=1)
def _bundled_rules() -> tuple[ShortcutRule, ...]:
    from kg.loader import ontology_graph

    return tuple(shortcut_rules(ontology_graph()))


def derive_shortcuts(graph: Graph) -> int:
    """Add every shortcut triple the ontology's rules derive to ``graph``; return how many were new.

    Examples
    --------
    >>> from kg.loader import load
    >>> kg = load()
    >>> derive_shortcuts(kg.graph)   # already derived at load time: nothing new
    0
    """
    before = len(graph)
    for triple in derived_triples(graph):
        graph.add(triple)
    return len(graph) - before


def derived_triples(graph: Graph) -> set:
    """The shortcut triples the ontology's rules derive from the relation nodes of ``graph``."""
    return {t for rule in shortcut_rules() for t in rule.triples(graph)}


def stated_shortcuts(graph: Graph) -> list:
    """The shortcut triples ``graph`` holds before any are derived: those a data file states itself.

    The projection draws its edges from relation nodes, which keep a
    source and a quote; a shortcut stated alone has neither, so it is left
    out of paths and views. :func:`unbacked_message` says so for each one
    no relation node gives too.

    Examples
    --------
    >>> from kg.loader import load
    >>> stated_shortcuts(load(derive=False).graph)   # the bundled data states none
    []
    """
    return sorted(t for rule in shortcut_rules() for t in graph.triples((None, rule.shortcut, None)))


def unbacked_message(triple) -> str:
    """The warning for a shortcut triple stated with no relation node behind it (see :func:`stated_shortcuts`).

    Examples
    --------
    >>> from kg.vocab import RES
    >>> print(unbacked_message((RES.acme, CHIPS.investedIn, RES.groq)))
    res:acme chips:investedIn res:groq is stated directly, with no chips:Investment node behind it: paths, neighbours and views leave it out (state it as a relation node, with its source and quote, as kg import writes it)
    """
    from kg.sparql.saved import compact

    s, p, o = triple
    cls = next((rule.relation_class for rule in shortcut_rules() if rule.shortcut == p), None)
    node = f"{compact(cls)} node" if cls is not None else "relation node"
    return (f"{compact(s)} {compact(p)} {compact(o)} is stated directly, with no {node} behind it: paths, neighbours "
            "and views leave it out (state it as a relation node, with its source and quote, as kg import writes it)")

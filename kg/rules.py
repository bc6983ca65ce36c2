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
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import RDF, Graph, URIRef
from rdflib.paths import AlternativePath, InvPath, Path, SequencePath

from kg.errors import DataError
from kg.vocab import CHIPS, PREFIXES

__all__ = ["ShortcutRule", "shortcut_rules", "derive_shortcuts", "parse_path"]


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


def _parse_step(step: str, whole: str):
    if step.startswith("^"):
        return InvPath(_parse_step(step[1:], whole))
    prefix, sep, local = step.partition(":")
    if not sep or prefix not in PREFIXES or not local:
        raise DataError(f"ontology: bad property path {whole!r}: cannot read {step!r}")
    return URIRef(PREFIXES[prefix] + local)


def shortcut_rules(graph: Graph) -> list[ShortcutRule]:
    """Read the shortcut rules stated in the ontology part of ``graph``, sorted by class."""
    rules = []
    for cls, shortcut in sorted(graph.subject_objects(CHIPS.shortcut)):
        subject_path = graph.value(cls, CHIPS.subjectPath)
        object_path = graph.value(cls, CHIPS.objectPath)
        if subject_path is None or object_path is None:
            raise DataError(f"ontology: {cls} has chips:shortcut but no subject or object path")
        rules.append(ShortcutRule(cls, shortcut, parse_path(str(subject_path)), parse_path(str(object_path))))
    return rules


def derive_shortcuts(graph: Graph) -> int:
    """Add every shortcut triple the rules derive to ``graph``; return how many were new.

    Examples
    --------
    >>> from kg.loader import load
    >>> kg = load()
    >>> derive_shortcuts(kg.graph)   # already derived at load time: nothing new
    0
    """
    before = len(graph)
    derived = {t for rule in shortcut_rules(graph) for t in rule.triples(graph)}
    for triple in derived:
        graph.add(triple)
    return len(graph) - before

"""Check the data: the SHACL shapes (pyshacl), the vocabulary (:mod:`kg.spelling`), no redefined ontology."""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH

__all__ = ["Violation", "ValidationReport", "validate", "shacl_results", "with_named_graphs", "redefinitions"]


@dataclass(frozen=True, order=True)
class Violation:
    """One failed constraint: the node, the property path, the message."""

    focus: str
    path: str
    message: str
    severity: str
    shape: str

    def as_dict(self) -> dict:
        return {"focus": self.focus, "path": self.path, "message": self.message,
                "severity": self.severity, "shape": self.shape}


@dataclass
class ValidationReport:
    """The outcome of :func:`validate`: ``conforms`` and the sorted violations."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"conforms": self.conforms, "violations": [v.as_dict() for v in self.violations]}


def _short(graph: Graph, node) -> str:
    """``node`` as Turtle writes it with ``graph``'s prefixes: ``res:groq``, ``"May 2016"``, ``<urn:x>``."""
    if node is None:
        return ""
    if isinstance(node, (Literal, BNode)):  # a value (the focus of a sh:node or sh:or on it) or a blank node
        return node.n3(graph.namespace_manager)
    try:
        return graph.namespace_manager.normalizeUri(node)
    except Exception:
        return str(node)


def _shape_name(shapes: Graph, shape) -> str:
    """A shape as a reader can find it in ``shapes.ttl``: a named shape by its short IRI; an unnamed one
    (``sh:property [ ... ]``) by the named shape it sits in and the path it checks: ``shapes:Entity (rdfs:label)``."""
    named, seen = shape, set()
    while isinstance(named, BNode) and named not in seen:  # up through sh:property, sh:or lists ...
        seen.add(named)
        named = next(shapes.subjects(None, named), None)
    name = _short(shapes, named) if named is not None and not isinstance(named, BNode) else "an unnamed shape"
    path = shapes.value(shape, SH.path) if isinstance(shape, BNode) else None
    return f"{name} ({_short(shapes, path)})" if path is not None else name


def validate(kg) -> ValidationReport:
    """Validate the loaded graph (ontology + data) against ``ontology/shapes.ttl``.

    No inference: the ontology's rdfs:subClassOf triples, loaded beside the
    data, let a shape on a class reach its subclasses (see :func:`shacl_results`).
    Then the vocabulary (:mod:`kg.spelling`), redefinitions of the ontology,
    the ill-typed values loading left out, and shortcuts stated with no
    relation node behind them (which the network leaves out).

    Examples
    --------
    >>> from kg import load
    >>> validate(load()).conforms
    True
    """
    conforms, results = shacl_results(kg)
    from kg.spelling import spelling_problems

    typos = spelling_problems(kg.graph, short=lambda node: _short(kg.graph, node))
    violations = [Violation(focus=_short(kg.graph, t["focus"]), path=_short(kg.graph, t["path"]), message=t["message"],
                            severity="Violation", shape="vocabulary") for t in typos]
    violations += redefinitions(kg) + [
        Violation(focus=message.split(": ", 1)[0], path="", message=message, severity="Violation",
                  shape="chips-kg:well-typed")
        for message in getattr(kg, "skipped", [])
    ] + [
        Violation(focus=_short(kg.graph, URIRef(m.subject)), path=_short(kg.graph, URIRef(m.predicate)), message=m,
                  severity="Violation", shape="chips-kg:relation-node")
        for m in getattr(kg, "unbacked", [])
    ]
    conforms = conforms and not violations
    explained = {URIRef(t[key]) for t in typos for key in ("term", "focus")}
    # a skipped ill-typed value, already reported: not again as "a valuation states its amount"
    left_out = {(URIRef(m.subject), URIRef(m.predicate)) for m in getattr(kg, "skipped", []) if getattr(m, "subject", None)}
    for result in results.subjects(SH.focusNode, None) if results is not None else ():
        if results.value(result, SH.value) in explained:
            continue  # a typo already reported: "unknown entity res:grok", not "a round has one company"
        if _about_left_out(results, result, kg.shapes, left_out):
            continue
        messages = [str(m) for m in results.objects(result, SH.resultMessage)]
        violations.append(Violation(
            focus=_short(kg.graph, results.value(result, SH.focusNode)),
            path=_short(kg.graph, results.value(result, SH.resultPath)),
            message="; ".join(messages) or "constraint violated",
            severity=_short(results, results.value(result, SH.resultSeverity)).split("#")[-1].replace("sh:", ""),
            shape=_shape_name(kg.shapes, results.value(result, SH.sourceShape)),
        ))
    return ValidationReport(bool(conforms), sorted(set(violations)))


def shacl_results(kg) -> tuple[bool, Graph | None]:
    """``(conforms, results)``: pyshacl's verdict and results graph for the shapes on ``kg.graph``; results None when all conform.

    :mod:`kg.shapes_check` evaluates the SHACL Core components the shapes use
    in a few milliseconds; when it finds every node conforming (the usual
    answer), that is the verdict. pyshacl, whose import and run take most of a
    second, runs when it finds a problem or the shapes use another component,
    so every problem reported is pyshacl's, in its words. pyshacl runs without
    inference and without advanced mode (SHACL-AF): the shapes are SHACL Core,
    and advanced mode copies the whole data graph first.

    Examples
    --------
    >>> from kg import load
    >>> shacl_results(load())
    (True, None)
    """
    from kg import shapes_check

    graph = kg.graph
    if shapes_check.supported(kg.shapes) and not shapes_check.check(graph, kg.shapes, graph):
        return True, None
    from pyshacl import validate as shacl_validate

    conforms, results, _ = shacl_validate(with_named_graphs(graph), shacl_graph=kg.shapes, inference="none",
                                          allow_warnings=True)
    return conforms, results


def with_named_graphs(graph: Graph) -> Graph:
    """``graph`` if its store keeps named graphs, else a copy in rdflib's default store, which does.

    pyshacl reads its data as a ``Dataset``, which needs such a store; a
    loaded graph lives in ``SimpleMemory``, which does not (and is quicker).
    The copy shares ``graph``'s prefixes, so results name nodes alike.

    Examples
    --------
    >>> from kg import load
    >>> with_named_graphs(load().graph).store.context_aware
    True
    """
    if graph.store.context_aware:
        return graph
    copy = Graph(namespace_manager=graph.namespace_manager)
    copy += graph
    return copy


def _about_left_out(results, result, shapes, left_out) -> bool:
    """Is this SHACL result about a value loading left out: on its subject, and on its property or a choice naming it?"""
    focus, path = results.value(result, SH.focusNode), results.value(result, SH.resultPath)
    wanted = {predicate for subject, predicate in left_out if subject == focus}
    if not wanted or path is not None:
        return path in wanted
    # no path: a choice among properties (sh:or, sh:xone) of the shape; is the skipped one among them?
    seen, todo = set(), [results.value(result, SH.sourceShape)]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if shapes.value(node, SH.path) in wanted:
            return True
        todo += [o for p in (SH["or"], SH.xone, SH["and"], RDF.first, RDF.rest) for o in shapes.objects(node, p)]
    return False


def redefinitions(kg) -> list[Violation]:
    """Triples of the data that state something about an ontology term, or state a rule.

    Terms and the shortcut rules (:mod:`kg.rules`) belong to
    ``ontology/chips.ttl``: a data triple whose subject is a term of the
    ontology (or any IRI in its ``chips:`` namespace), or that uses
    ``chips:shortcut`` / ``chips:subjectPath`` / ``chips:objectPath``, would
    redefine them. Rules stated by data are never applied; this reports them.

    Examples
    --------
    >>> from kg import load
    >>> redefinitions(load())
    []
    """
    from rdflib import URIRef

    from kg.loader import ontology_graph
    from kg.rules import RULE_PREDICATES
    from kg.vocab import CHIPS

    ontology = set(ontology_graph())
    terms = {s for s, _, _ in ontology if isinstance(s, URIRef)}
    rules, chips = set(RULE_PREDICATES), str(CHIPS)
    graph = kg.graph
    found = {t for t in graph if (t[0] in terms or t[1] in rules or t[0].startswith(chips)) and t not in ontology}
    return sorted({
        Violation(focus=_short(graph, s), path=_short(graph, p),
                  message=f"a data file redefines the ontology: {_short(graph, s)} {_short(graph, p)} "
                          f"{o.n3(graph.namespace_manager)[:80]} (terms and rules come only from ontology/chips.ttl)",
                  severity="Violation", shape="chips-kg:ontology-only")
        for s, p, o in found
    })

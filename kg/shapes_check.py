"""Check new triples against the SHACL shapes quickly, before they are written.

``kg validate`` runs pyshacl over the whole graph. An import only needs to know
whether the nodes *it creates* conform, and pyshacl spends about 3 ms a node on
that (minutes for a large sheet). :func:`check` evaluates the SHACL Core
constraint components that ``ontology/shapes.ttl`` uses, straight from the
shapes graph (nothing here names a shape), over an index of the new triples.
:func:`supported` says whether a shapes graph uses only those components; when
it does not, callers fall back to pyshacl. A test keeps this module's answers
equal to pyshacl's on the bundled import and on broken copies of it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH, XSD

__all__ = ["Problem", "supported", "check"]

#: The constraint components (and shape parameters) :func:`check` evaluates.
COMPONENTS = frozenset(SH[n] for n in (
    "targetClass", "targetSubjectsOf", "property", "path", "minCount", "maxCount", "class", "datatype",
    "minExclusive", "minInclusive", "or", "xone", "and", "node", "qualifiedValueShape", "qualifiedMinCount",
    "languageIn", "uniqueLang", "nodeKind", "pattern", "hasValue", "message", "name", "description",
))
_NODE_KINDS = {SH.IRI: (URIRef,), SH.Literal: (Literal,), SH.BlankNode: (BNode,), SH.BlankNodeOrIRI: (BNode, URIRef),
               SH.BlankNodeOrLiteral: (BNode, Literal), SH.IRIOrLiteral: (URIRef, Literal)}


@dataclass(frozen=True, order=True)
class Problem:
    """One failed constraint: the focus node, the property path, the message."""

    focus: str
    path: str
    message: str


def supported(shapes: Graph) -> bool:
    """True when every ``sh:`` term the shapes state is one :func:`check` evaluates.

    Examples
    --------
    >>> from kg import load
    >>> supported(load().shapes)
    True
    """
    used = {p for p in shapes.predicates() if str(p).startswith(str(SH))}
    return used <= COMPONENTS and all(isinstance(o, URIRef) for o in shapes.objects(None, SH.path))


_P = SimpleNamespace(**{n: SH[n] for n in (
    "path", "message", "property", "targetClass", "targetSubjectsOf", "minCount", "maxCount", "datatype",
    "minExclusive", "minInclusive", "node", "xone", "languageIn", "uniqueLang", "nodeKind", "pattern", "hasValue",
    "qualifiedValueShape", "qualifiedMinCount")}, or_=SH["or"], and_=SH["and"], class_=SH["class"])


_TYPE = RDF.type


class _Checker:
    """The shapes compiled into tests (one closure per constraint) over an index of the new triples."""

    def __init__(self, shapes: Graph, ontology: Graph, triples, types_of):
        self.g = shapes
        self._parents = defaultdict(set)
        for c, parent in ontology.subject_objects(RDFS.subClassOf):
            self._parents[c].add(parent)
        self.supers: dict = {}
        self.compiled: dict = {}
        self.targets_class = defaultdict(list)
        self.targets_subjects = defaultdict(list)
        for shape in sorted(set(shapes.subjects(_P.targetClass, None)) | set(shapes.subjects(_P.targetSubjectsOf, None))):
            for c in shapes.objects(shape, _P.targetClass):
                self.targets_class[c].append(shape)
            for p in shapes.objects(shape, _P.targetSubjectsOf):
                self.targets_subjects[p].append(shape)
        self.out: dict = {}
        for s, p, o in triples:
            by_predicate = self.out.get(s)
            if by_predicate is None:
                by_predicate = self.out[s] = {}
            values = by_predicate.get(p)
            if values is None:
                by_predicate[p] = [o]
            else:
                values.append(o)
        self.types_of = types_of
        self._types: dict = {}
        self._instances: dict = {}

    # --- the data -------------------------------------------------------------------

    def objects(self, node, path) -> list:
        found = self.out.get(node)
        return found.get(path, []) if found is not None else []

    def types(self, node) -> list:
        if isinstance(node, Literal):
            return []
        found = self.objects(node, _TYPE)
        if not found and node not in self.out:
            if node not in self._types:
                self._types[node] = list(self.types_of(node))
            found = self._types[node]
        return found

    def superclasses(self, cls) -> set:
        found = self.supers.get(cls)
        if found is None:
            found, todo = {cls}, [cls]
            while todo:
                for parent in self._parents.get(todo.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        todo.append(parent)
            self.supers[cls] = found
        return found

    def is_instance(self, node, cls) -> bool:
        key = (node, cls)
        found = self._instances.get(key)
        if found is None:  # many nodes point to the same few entities
            found = self._instances[key] = any(cls in self.superclasses(t) for t in self.types(node))
        return found

    # --- the shapes ------------------------------------------------------------------

    def shape(self, node) -> tuple:
        """(path, message, [(component name, test(values) -> bool)], [property shapes])."""
        compiled = self.compiled.get(node)
        if compiled is None:
            g = self.g
            path = g.value(node, _P.path)
            message = g.value(node, _P.message)
            tests = [(p.split("#")[-1], self._test(node, p, o, path is None))
                     for p, o in sorted(g.predicate_objects(node))]
            props = sorted(g.objects(node, _P.property))
            compiled = self.compiled[node] = (path, str(message) if message is not None else None,
                                              [t for t in tests if t[1] is not None], props)
        return compiled

    def _test(self, shape, p, o, node_shape: bool):
        conforms = self.conforms
        if p in (_P.minCount, _P.maxCount):
            bound = int(o)
            if node_shape:
                return None
            return (lambda vs: len(vs) >= bound) if p == _P.minCount else (lambda vs: len(vs) <= bound)
        if p == _P.class_:
            return lambda vs: all(self.is_instance(v, o) for v in vs)
        if p == _P.datatype:
            return lambda vs: all(isinstance(v, Literal) and _datatype(v) == o and not getattr(v, "ill_typed", False)
                                  for v in vs)
        if p in (_P.minExclusive, _P.minInclusive):
            strict = p == _P.minExclusive
            return lambda vs: all(_compare(v, o, strict) for v in vs)
        if p == _P.node:
            return lambda vs: all(conforms(v, o) for v in vs)
        if p in (_P.or_, _P.and_, _P.xone):
            members = list(Collection(self.g, o))
            if p == _P.or_:
                return lambda vs: all(any(conforms(v, m) for m in members) for v in vs)
            if p == _P.and_:
                return lambda vs: all(all(conforms(v, m) for m in members) for v in vs)
            return lambda vs: all(sum(conforms(v, m) for m in members) == 1 for v in vs)
        if p == _P.qualifiedValueShape:
            least = int(self.g.value(shape, _P.qualifiedMinCount) or 0)
            return None if node_shape else (lambda vs: sum(conforms(v, o) for v in vs) >= least)
        if p == _P.languageIn:
            wanted = tuple(str(x).lower() for x in Collection(self.g, o))
            return lambda vs: all(isinstance(v, Literal) and v.language and any(
                v.language.lower() == w or v.language.lower().startswith(w + "-") for w in wanted) for v in vs)
        if p == _P.uniqueLang:
            if not o.toPython():
                return None
            return lambda vs: len({v.language.lower() for v in vs if isinstance(v, Literal) and v.language}) == len(
                [v for v in vs if isinstance(v, Literal) and v.language])
        if p == _P.nodeKind:
            kinds = _NODE_KINDS.get(o)
            return None if kinds is None else (lambda vs: all(isinstance(v, kinds) for v in vs))
        if p == _P.pattern:
            pattern = re.compile(str(o))
            return lambda vs: all(not isinstance(v, BNode) and pattern.search(str(v)) for v in vs)
        if p == _P.hasValue:
            return lambda vs: o in vs
        return None  # a parameter, a target or a label: no test of its own

    def conforms(self, node, shape) -> bool:
        return not self.problems(node, shape, first=True)

    def problems(self, focus, shape, first=False) -> list[tuple]:
        """(path, message) of each failed constraint of ``shape`` on ``focus``."""
        path, message, tests, props = self.shape(shape)
        values = [focus] if path is None else self.objects(focus, path)
        found = []
        for name, test in tests:
            if not test(values):
                found.append((path, message or f"{name} constraint violated"))
                if first:
                    return found
        for prop in props:
            found += self.problems(focus, prop, first)
            if first and found:
                return found
        return found


def _datatype(literal: Literal):
    if literal.language:
        return RDF.langString
    return literal.datatype or XSD.string


def _compare(value, bound: Literal, strict: bool) -> bool:
    if not isinstance(value, Literal):
        return False
    try:
        a, b = value.toPython(), bound.toPython()
        return a > b if strict else a >= b
    except TypeError:
        return False


def check(triples, shapes: Graph, ontology: Graph, types_of=lambda node: ()) -> list[Problem]:
    """The shape problems of the subjects of ``triples`` (the nodes an import creates).

    Parameters
    ----------
    triples : iterable of (s, p, o)
        The new triples.
    shapes, ontology : rdflib.Graph
        The SHACL shapes (only the components :func:`supported` accepts) and the
        ontology whose ``rdfs:subClassOf`` lets a shape on a class reach its subclasses.
    types_of : callable
        ``types_of(node)``: the ``rdf:type`` of a node the triples point to but do not describe.

    Returns
    -------
    list of Problem
        Sorted; empty when every new node conforms.

    Examples
    --------
    >>> from kg import load
    >>> from kg.vocab import CHIPS, RES
    >>> kg = load()
    >>> deal = RES["x-deal"]
    >>> for p in check([(deal, RDF.type, CHIPS.Acquisition)], kg.shapes, kg.ontology)[:3]:
    ...     print(p.path.rsplit("#", 1)[-1] or "(the node)", "-", p.message)
    (the node) - every relation keeps the sentence it came from in chips:quote (or, imported from a research sheet, the sheet's words in chips:statement), with a language tag
    wasDerivedFrom - every relation cites a chips:Source with prov:wasDerivedFrom
    acquiredOrganization - an acquisition has exactly one acquired organisation
    """
    checker = _Checker(shapes, ontology, triples, types_of)
    found = set()
    for focus, props in checker.out.items():
        targets = set()
        for t in checker.types(focus):
            for cls in checker.superclasses(t):
                targets.update(checker.targets_class.get(cls, ()))
        for p in props:
            targets.update(checker.targets_subjects.get(p, ()))
        for shape in sorted(targets):
            for path, message in checker.problems(focus, shape):
                found.add(Problem(str(focus), str(path) if path is not None else "", message))
    return sorted(found)

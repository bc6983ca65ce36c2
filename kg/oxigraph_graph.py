"""A read-only graph read straight out of an Oxigraph store, for building the projection without rdflib's store.

Copying a million-triple store into an rdflib ``Graph`` and projecting it
took about a minute and 1.6 GB: rdflib's memory store keeps three indexes
of context-aware dicts, and every ``graph.value()`` goes through several
generator layers. :class:`TripleIndex` keeps two plain dicts (subject →
predicate → objects, predicate → object → subjects) of interned rdflib
terms, and answers the few read methods the projection uses
(:func:`kg.network.project`, :class:`kg.names.NameIndex`,
:func:`kg.facts.relation_sentence`) with direct lookups.
"""

from __future__ import annotations

from kg.terms import to_rdflib

__all__ = ["TripleIndex", "from_store"]


class TripleIndex:
    """The subset of ``rdflib.Graph``'s read API the projection needs, over two dict indexes.

    Supports ``triples`` (any pattern, property paths included), ``objects``,
    ``subjects``, ``value``, ``predicate_objects``, ``subject_objects``,
    ``subject_predicates``, ``len``, iteration and ``in``. Objects come back
    in the order they were added.

    Examples
    --------
    >>> from rdflib import URIRef, Literal
    >>> g = TripleIndex()
    >>> a, p, b = URIRef("urn:a"), URIRef("urn:p"), URIRef("urn:b")
    >>> g.add((a, p, b)); g.add((a, p, Literal("x")))
    >>> [str(o) for o in g.objects(a, p)], list(g.subjects(p, b)) == [a], len(g)
    (['urn:b', 'x'], True, 2)
    """

    def __init__(self):
        self._spo: dict = {}
        self._pos: dict = {}
        self._len = 0

    def add(self, triple) -> None:
        s, p, o = triple
        objects = self._spo.setdefault(s, {}).setdefault(p, [])
        if o in objects:
            return
        objects.append(o)
        self._pos.setdefault(p, {}).setdefault(o, []).append(s)
        self._len += 1

    def __len__(self) -> int:
        return self._len

    def __iter__(self):
        return self.triples((None, None, None))

    def __contains__(self, triple) -> bool:
        return next(iter(self.triples(triple)), None) is not None

    def triples(self, pattern):
        s, p, o = pattern
        if p is not None and not _is_term(p):  # a property path (rdflib.paths.Path)
            for s2, o2 in p.eval(self, s, o):
                yield s2, p, o2
            return
        if s is not None:
            by_p = self._spo.get(s, {})
            for p2, objects in ([(p, by_p.get(p, ()))] if p is not None else by_p.items()):
                for o2 in objects:
                    if o is None or o2 == o:
                        yield s, p2, o2
        elif p is not None:
            by_o = self._pos.get(p, {})
            for o2, subjects in ([(o, by_o.get(o, ()))] if o is not None else by_o.items()):
                for s2 in subjects:
                    yield s2, p, o2
        else:
            for s2, by_p in self._spo.items():
                for p2, objects in by_p.items():
                    for o2 in objects:
                        if o is None or o2 == o:
                            yield s2, p2, o2

    def objects(self, subject=None, predicate=None, unique: bool = False):
        if subject is not None and isinstance(predicate, str):  # the common case: a direct lookup
            by_p = self._spo.get(subject)
            return iter(by_p.get(predicate, ()) if by_p is not None else ())
        return self._unique((o for _, _, o in self.triples((subject, predicate, None))), unique)

    def subjects(self, predicate=None, object=None, unique: bool = False):
        if object is not None and isinstance(predicate, str):
            by_o = self._pos.get(predicate)
            return iter(by_o.get(object, ()) if by_o is not None else ())
        return self._unique((s for s, _, _ in self.triples((None, predicate, object))), unique)

    @staticmethod
    def _unique(items, unique: bool):
        if not unique:
            return items
        return iter(dict.fromkeys(items))

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):  # noqa: A002 (rdflib's names)
        if object is None:
            return next(self.objects(subject, predicate), default)
        return next(self.subjects(predicate, object), default)

    def predicate_objects(self, subject=None, unique: bool = False):
        for _, p, o in self.triples((subject, None, None)):
            yield p, o

    def subject_objects(self, predicate=None, unique: bool = False):
        for s, _, o in self.triples((None, predicate, None)):
            yield s, o

    def subject_predicates(self, object=None, unique: bool = False):  # noqa: A002
        for s, p, _ in self.triples((None, None, object)):
            yield s, p


def _is_term(value) -> bool:
    return isinstance(value, str)  # URIRef, BNode and Literal are str; rdflib paths are not


def from_store(store) -> TripleIndex:
    """Read the default graph of a pyoxigraph ``Store`` into a :class:`TripleIndex` (terms interned).

    Terms become the rdflib terms a Turtle parse gives (:func:`kg.store.to_rdflib`);
    each distinct IRI and literal is converted once.
    """
    import pyoxigraph as ox
    from rdflib import URIRef

    spo, pos = {}, {}
    iris: dict = {}
    literals: dict = {}
    named, literal = ox.NamedNode, ox.Literal
    count = 0
    # A store holds each triple once, so no duplicate check; terms are converted once each.
    for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
        t = q.subject
        s = iris.get(t.value)
        if s is None:
            s = iris[t.value] = URIRef(t.value) if type(t) is named else to_rdflib(t)
        t = q.predicate
        p = iris.get(t.value)
        if p is None:
            p = iris[t.value] = URIRef(t.value)
        t = q.object
        kind = type(t)
        if kind is named:
            o = iris.get(t.value)
            if o is None:
                o = iris[t.value] = URIRef(t.value)
        elif kind is literal:
            key = (t.value, t.language or t.datatype.value)
            o = literals.get(key)
            if o is None:
                o = literals[key] = to_rdflib(t)
        else:
            o = to_rdflib(t)
        by_p = spo.get(s)
        if by_p is None:
            by_p = spo[s] = {}
        objects = by_p.get(p)
        if objects is None:
            by_p[p] = [o]
        else:
            objects.append(o)
        by_o = pos.get(p)
        if by_o is None:
            by_o = pos[p] = {}
        subjects = by_o.get(o)
        if subjects is None:
            by_o[o] = [s]
        else:
            subjects.append(s)
        count += 1
    index = TripleIndex()
    index._spo, index._pos, index._len = spo, pos, count
    return index

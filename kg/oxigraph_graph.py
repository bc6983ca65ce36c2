"""A read-only graph read straight out of an Oxigraph store, for building the projection without rdflib's store.

Copying a million-triple store into an rdflib ``Graph`` and projecting it
took about a minute and 1.6 GB: rdflib's memory store keeps three indexes
of context-aware dicts, and every ``graph.value()`` goes through several
generator layers. :class:`TripleIndex` keeps two plain dicts (subject →
predicate → objects, predicate → object → subjects) of interned rdflib
terms, and answers the few read methods the projection uses
(:func:`kg.network.project`, :class:`kg.names.NameIndex`,
:func:`kg.facts.relation_sentence`) with direct lookups.

Predicates are keyed by their IRI as a plain ``str``: the projection asks
with constants (``CHIPS.date``) that are other objects than the graph's
own terms, and a dict comparing two distinct ``URIRef`` keys calls rdflib's
``__eq__`` (Python code) where two ``str`` compare in C.
"""

from __future__ import annotations

from types import MappingProxyType

from kg.terms import to_rdflib

__all__ = ["TripleIndex", "from_store", "predicate_counts"]


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
    >>> g.value(a, URIRef("urn:p")) == b, list(g.predicate_objects(b))
    (True, [])
    """

    def __init__(self):
        self._spo: dict = {}  # subject -> predicate IRI (plain str) -> [objects]
        self._pos: dict = {}  # predicate IRI (plain str) -> object -> [subjects], built on first use
        self._rows: dict = {}  # predicate IRI (plain str) -> ([subjects], [objects]) in the order added
        self._predicates: dict = {}  # predicate IRI (plain str) -> the predicate term
        self._len = 0

    def add(self, triple) -> None:
        s, p, o = triple
        key = str(p)
        self._predicates.setdefault(key, p)
        objects = self._spo.setdefault(s, {}).setdefault(key, [])
        if o in objects:
            return
        objects.append(o)
        subjects, values = self._rows.setdefault(key, ([], []))
        subjects.append(s)
        values.append(o)
        self._pos.pop(key, None)
        self._len += 1

    def _by_object(self, key: str) -> dict:
        """Object -> subjects of the predicate ``key``, in the order the triples were added (built once)."""
        by_o = self._pos.get(key)
        if by_o is None:
            by_o = self._pos[key] = {}
            for s, o in zip(*self._rows.get(key, ((), ()))):
                subjects = by_o.get(o)
                if subjects is None:
                    by_o[o] = [s]
                else:
                    subjects.append(s)
        return by_o

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
        key = None if p is None else str(p)
        terms = self._predicates
        if s is not None:
            by_p = self._spo.get(s, {})
            for k, objects in ([(key, by_p.get(key, ()))] if p is not None else by_p.items()):
                for o2 in objects:
                    if o is None or o2 == o:
                        yield s, terms[k], o2
        elif p is not None:
            by_o = self._by_object(key)
            for o2, subjects in ([(o, by_o.get(o, ()))] if o is not None else by_o.items()):
                for s2 in subjects:
                    yield s2, terms[key], o2
        else:
            for s2, by_p in self._spo.items():
                for k, objects in by_p.items():
                    for o2 in objects:
                        if o is None or o2 == o:
                            yield s2, terms[k], o2

    def objects(self, subject=None, predicate=None, unique: bool = False):
        if subject is not None and isinstance(predicate, str):  # the common case: a direct lookup
            by_p = self._spo.get(subject)
            return iter(by_p.get(str(predicate), ()) if by_p is not None else ())
        if subject is not None and predicate is not None and not unique:
            return iter(self._path_objects(subject, predicate))
        return self._unique((o for _, _, o in self.triples((subject, predicate, None))), unique)

    def _path_objects(self, subject, path) -> list:
        """What ``path`` reaches from ``subject``, in the order (duplicates kept) rdflib's evaluation gives.

        Predicates, inverted predicates, sequences and alternatives are
        followed here with direct lookups; anything else goes to rdflib.
        """
        from rdflib.paths import AlternativePath, InvPath, SequencePath

        if isinstance(path, str):
            by_p = self._spo.get(subject)
            return list(by_p.get(str(path), ())) if by_p is not None else []
        kind = type(path)
        if kind is InvPath and isinstance(path.arg, str):
            return list(self._by_object(str(path.arg)).get(subject, ()))
        if kind is SequencePath:
            reached = [subject]
            for step in path.args:
                reached = [o for s in reached for o in self._path_objects(s, step)]
            return reached
        if kind is AlternativePath:
            return [o for step in path.args for o in self._path_objects(subject, step)]
        return [o for _, o in path.eval(self, subject, None)]

    def subjects(self, predicate=None, object=None, unique: bool = False):
        if object is not None and isinstance(predicate, str):
            return iter(self._by_object(str(predicate)).get(object, ()))
        return self._unique((s for s, _, _ in self.triples((None, predicate, object))), unique)

    @staticmethod
    def _unique(items, unique: bool):
        if not unique:
            return items
        return iter(dict.fromkeys(items))

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):  # noqa: A002 (rdflib's names)
        if object is None and subject is not None and isinstance(predicate, str):  # the common case, inline
            by_p = self._spo.get(subject)
            found = by_p.get(str(predicate)) if by_p is not None else None
            return found[0] if found else default
        if object is None:
            return next(self.objects(subject, predicate), default)
        return next(self.subjects(predicate, object), default)

    def properties(self, subject) -> dict:
        """Predicate IRI (plain ``str``) -> the objects of ``subject``, as :func:`kg.facts.properties` gives them.

        The index's own dict: read it, never change it.
        """
        return self._spo.get(subject, _NOTHING)

    def predicate_objects(self, subject=None, unique: bool = False):
        for _, p, o in self.triples((subject, None, None)):
            yield p, o

    def subject_objects(self, predicate=None, unique: bool = False):
        for s, _, o in self.triples((None, predicate, None)):
            yield s, o

    def subject_predicates(self, object=None, unique: bool = False):  # noqa: A002
        for s, p, _ in self.triples((None, None, object)):
            yield s, p


_NOTHING = MappingProxyType({})  # the properties of a node that has none


def _is_term(value) -> bool:
    return isinstance(value, str)  # URIRef, BNode and Literal are str; rdflib paths are not


def from_store(store, skip=(), *, reopen=None, counts: dict | None = None) -> TripleIndex:
    """Read the default graph of a pyoxigraph ``Store`` into a :class:`TripleIndex` (terms interned).

    Terms become the rdflib terms a Turtle parse gives (:func:`kg.terms.to_rdflib`);
    each distinct IRI and literal is converted once. The predicates in ``skip``
    (the derived shortcuts, which the projection does not read) are left out.

    Each predicate's rows come as SPARQL answers that Oxigraph writes in
    TSV (:func:`_rows`): decoding the store's terms is most of the cost,
    and Oxigraph does it faster into text than into Python objects.
    ``reopen`` (a function opening the same store again) lets a forked
    child (:class:`kg.parallel.Forked`) read most of a big store's rows
    meanwhile; it hands back each distinct term's text once and the rows
    as numbers.

    Each predicate's rows come as Oxigraph's index holds them, by object:
    the objects of a subject's predicate come in the store's order, and so
    do the subjects of an object (the instances of a class).

    ``counts`` (:func:`predicate_counts`) saves counting the rows again
    (a store built by an older version has none); how they are shared out
    depends on them, and :func:`_rows` checks its groups of rows against them.
    """
    from itertools import islice

    from rdflib import URIRef

    from kg.parallel import Forked

    counts = counts if counts is not None else predicate_counts(store, literals=False)
    skip = {str(p) for p in skip}
    predicates = sorted(key for key in counts if key not in skip)
    theirs = _child_share(predicates, counts) if reopen is not None else set()
    with Forked(lambda: _read_numbered(reopen(), [key for key in predicates if key in theirs], counts),
                fork=bool(theirs)) as child:
        table, ours = _read_numbered(store, [key for key in predicates if key not in theirs], counts)
        terms = _convert(table)
        their_table, their_rows = child.result() if theirs else ((), {})
    numbers = dict(zip(table, range(len(table))))
    renumbered = [numbers.setdefault(text, len(numbers)) for text in their_table]
    terms += _convert(list(islice(numbers, len(terms), None)))  # a term both processes met is made once
    their_terms = [terms[i] for i in renumbered]
    rows = {}
    for found, numbered in ((terms, ours), (their_terms, their_rows)):
        for key, (subjects, values) in numbered.items():
            rows[key] = [found[i] for i in subjects], [found[i] for i in values]
    rows = {key: rows[key] for key in predicates}  # in the order of the predicates, as if read one after the other
    spo, count = {}, 0
    for key, (subjects, values) in rows.items():
        count += len(values)
        for s, o in zip(subjects, values):
            by_p = spo.get(s)
            if by_p is None:
                by_p = spo[s] = {}
            objects = by_p.get(key)
            if objects is None:
                by_p[key] = [o]
            else:
                objects.append(o)
    index = TripleIndex()
    index._spo, index._rows, index._len = spo, rows, count
    index._predicates = {key: URIRef(key) for key in predicates}
    return index


def predicate_counts(store, literals: bool = True) -> dict[str, list[int]]:
    """Each predicate IRI of a pyoxigraph ``Store``'s default graph: ``[triples, of which with a literal object]``.

    Without ``literals`` the second number is 0, not counted (a quarter of
    the time). :func:`kg.store.build_store` keeps the counts in the store's
    description (``predicates``); :func:`from_store` shares out the rows by them.
    """
    counted = "(SUM(IF(isLiteral(?o), 1, 0)) AS ?literals)" if literals else "(0 AS ?literals)"
    query = f"SELECT ?p (COUNT(*) AS ?n) {counted} WHERE {{ ?s ?p ?o }} GROUP BY ?p ORDER BY ?p"
    return {row[0].value: [int(row[1].value), int(row[2].value)] for row in store.query(query)}


#: The smallest store worth a child reading part of it, and the share of the rows it reads.
_FORK_MINIMUM, _CHILD_ROWS = 100_000, 0.6
#: The largest: the child holds what it read until this process has its copy, and at 10M triples
#: the two would pass the 8 GB of issue 12 (:data:`kg.parallel.MOST_RESIDENT_MB` cannot see it
#: coming: this process is still small when the child starts).
_FORK_MAXIMUM = 3_000_000


def _child_share(predicates: list, counts: dict) -> set:
    """The predicates a child reads: about :data:`_CHILD_ROWS` of the rows, those with IRI objects first.

    Their objects are mostly terms this process meets anyway (as
    subjects), so the child hands back few new terms; the literals, whose
    rdflib terms cost the most to make, are made here while the child reads.
    """
    total = sum(counts[key][0] for key in predicates)
    if not _FORK_MINIMUM <= total <= _FORK_MAXIMUM:
        return set()
    theirs, rows = set(), 0
    for key in sorted(predicates, key=lambda k: (counts[k][1] / counts[k][0], -counts[k][0])):
        if rows + counts[key][0] <= total * _CHILD_ROWS:
            theirs.add(key)
            rows += counts[key][0]
    return theirs


def _read_numbered(store, keys: list, counts: dict) -> tuple[list, dict]:
    """The rows of the predicates ``keys`` as numbers: (each distinct term's TSV text once, {predicate: (subject
    numbers, object numbers)}); quick to hand from a child to its parent."""
    from array import array

    numbers, out = {}, {}
    number = numbers.setdefault
    for key in keys:
        subjects, objects = out[key] = array("q"), array("q")
        for value, lines in _rows(store, key, *counts[key]):
            if value is None:  # each line a subject and its object
                pairs = [line.split(b"\t") for line in lines]
                subjects.extend([number(s, len(numbers)) for s, _ in pairs])
                objects.extend([number(o, len(numbers)) for _, o in pairs])
            else:  # each line a subject of the object ``value``
                objects.extend(array("q", [number(value, len(numbers))]) * len(lines))
                subjects.extend([number(s, len(numbers)) for s in lines])
    return list(numbers), out


def _convert(table: list) -> list:
    """The rdflib term of each term written in SPARQL TSV (Turtle's syntax): ``<iri>``, ``_:blank`` or a literal.

    Literals (escapes, numbers written bare, datatypes) are read by
    Oxigraph's own Turtle parser, all in one document.
    """
    import pyoxigraph as ox
    from rdflib import BNode, URIRef

    terms, literals = [], []
    for text in table:
        if text[:1] == b"<":
            terms.append(URIRef(text[1:-1].decode()))
        elif text[:2] == b"_:":
            terms.append(BNode(text[2:].decode()))
        else:
            literals.append(len(terms))
            terms.append(None)
    document = b"".join(b"<x:> <x:> " + table[i] + b" .\n" for i in literals)
    for i, triple in zip(literals, ox.parse(document, format=ox.RdfFormat.TURTLE), strict=True):
        terms[i] = to_rdflib(triple.object)
    return terms


#: A predicate's rows are read object by object when it has at least this many per distinct object (and
#: this many in all) and its objects are IRIs: Oxigraph then decodes each object once, not once per row.
_ROWS_PER_OBJECT = 50


def _rows(store, key: str, count: int, literals: int = 0) -> list:
    """The rows of the predicate IRI ``key`` (``count`` of them, ``literals`` of which with a literal object
    when counted), in SPARQL TSV, as ``[(object, lines)]``.

    A predicate whose objects are few and all IRIs (``rdf:type``, sources,
    roles) comes as one group per object, each line a subject. Any other
    comes as one group ``(None, lines)``, each line ``subject<TAB>object``.
    Either way the rows come in the order of Oxigraph's index, by object: a
    scan of every triple, filtered by predicate, would put them in subject
    order but cost a second for ``rdf:type`` at a million triples.

    Decoding terms is most of a read's cost, and Oxigraph decodes each term
    of each row: a group per object saves decoding the object again and
    again. Each object is written into its query as the predicate is, an
    IRI checked by :func:`kg.rules.path_sparql`; no literal from the store
    is ever written into a query. Any surprise (the groups not adding up to
    ``count``) falls back to the plain read.
    """
    from rdflib import URIRef

    from kg.rules import path_sparql

    predicate = path_sparql(URIRef(key))  # written in each query: Oxigraph then neither decodes nor returns it
    if count >= _ROWS_PER_OBJECT and not literals:  # objects known to be literals are not looked for
        found = _tsv(store, f"SELECT DISTINCT ?o WHERE {{ ?s {predicate} ?o }} LIMIT {count // _ROWS_PER_OBJECT + 1}")
        if len(found) * _ROWS_PER_OBJECT <= count and all(o[:1] == b"<" for o in found):
            groups = [(o, _tsv(store, f"SELECT ?s WHERE {{ ?s {predicate} {path_sparql(URIRef(o[1:-1].decode()))} }}"))
                      for o in found]
            if sum(len(lines) for _, lines in groups) == count:
                return groups
    return [(None, _tsv(store, f"SELECT ?s ?o WHERE {{ ?s {predicate} ?o }}"))]


def _tsv(store, query: str) -> list:
    """The rows of a SELECT ``query`` as Oxigraph writes them in TSV, one ``bytes`` line each."""
    import pyoxigraph as ox

    lines = store.query(query).serialize(format=ox.QueryResultsFormat.TSV).split(b"\n")
    return lines[1:-1] if lines[-1] == b"" else lines[1:]  # the header, and the newline closing the last row

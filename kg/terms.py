"""Convert RDF terms between rdflib and pyoxigraph, as a Turtle parse would give them.

Used by the store (:mod:`kg.store`), by SPARQL run inside Oxigraph
(:mod:`kg.sparql`) and by the projection read straight from a store
(:mod:`kg.oxigraph_graph`); kept apart so that none of them imports another.
"""

from __future__ import annotations

from kg.errors import BadInput

__all__ = ["to_oxigraph", "to_rdflib"]

_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def to_oxigraph(term):
    """Convert an rdflib term to a pyoxigraph term.

    Examples
    --------
    >>> from rdflib import Literal, URIRef
    >>> to_oxigraph(URIRef("https://w3id.org/chipskg/id/groq")).value
    'https://w3id.org/chipskg/id/groq'
    >>> to_oxigraph(Literal("英伟达", lang="zh")).language
    'zh'
    """
    import pyoxigraph as ox
    from rdflib import BNode, Literal

    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(term.datatype) if term.datatype else None)
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return ox.NamedNode(str(term))


_RDFLIB: tuple = ()


def _import_rdflib() -> tuple:
    """rdflib's term classes, imported on the first conversion (not with this module)."""
    global _RDFLIB
    from rdflib import BNode, Literal, URIRef

    _RDFLIB = BNode, Literal, URIRef
    return _RDFLIB


def to_rdflib(term, _iris: dict | None = None, *, as_written: bool = False):
    """Convert a pyoxigraph term to the rdflib term a Turtle parse would give.

    ``xsd:string`` literals become plain literals, as rdflib parses ``"x"``.
    A decimal read from a store (written canonically, ``10``) gets back the
    point a Turtle decimal has (``10.0``), unless ``as_written`` (a term straight
    from Oxigraph's parser, which keeps the text of the file).

    Examples
    --------
    >>> import pyoxigraph as ox
    >>> to_rdflib(ox.Literal("x"))
    rdflib.term.Literal('x')
    >>> to_rdflib(ox.Literal("Nvidia", language="en")).language
    'en'
    """
    BNode, Literal, URIRef = _RDFLIB or _import_rdflib()
    kind = type(term).__name__
    if kind == "NamedNode":
        if _iris is None:
            return URIRef(term.value)
        found = _iris.get(term.value)
        if found is None:
            found = _iris[term.value] = URIRef(term.value)
        return found
    if kind == "BlankNode":
        return BNode(term.value)
    if kind == "Literal":
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == "http://www.w3.org/2001/XMLSchema#string":
            return Literal(term.value)
        if datatype == _DECIMAL and "." not in term.value and not as_written:
            # Oxigraph writes decimals canonically ("10"); Turtle's DECIMAL always has a point ("10.0").
            return Literal(term.value + ".0", datatype=URIRef(datatype))
        return Literal(term.value, datatype=URIRef(datatype))
    raise BadInput(f"unsupported RDF term {term!r}")

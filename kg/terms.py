"""Convert RDF terms between rdflib and pyoxigraph, as a Turtle parse would give them.

Used by the store (:mod:`kg.store`), by SPARQL run inside Oxigraph
(:mod:`kg.sparql`) and by the projection read straight from a store
(:mod:`kg.oxigraph_graph`); kept apart so that none of them imports another.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kg.errors import BadInput

__all__ = ["to_oxigraph", "to_rdflib", "canonical_decimal", "canonical"]

_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def canonical_decimal(text: str) -> str:
    """The canonical text of an ``xsd:decimal``: no plus sign, no needless zero, a digit on each side of the point.

    The XML Schema 1.0 canonical form, which Turtle's decimal shorthand also
    has. A store keeps a decimal's value, not its text: files and store both
    give this text, whatever a file wrote (``"300000000"^^xsd:decimal``,
    ``300000000.00``). Text that is not a decimal is returned as it is: the
    loader then reports it as written and skips it.

    Examples
    --------
    >>> canonical_decimal("300000000"), canonical_decimal("1.50"), canonical_decimal("+.5"), canonical_decimal("-0.0")
    ('300000000.0', '1.5', '0.5', '0.0')
    >>> canonical_decimal("lots")
    'lots'
    """
    if not _DECIMAL_TEXT.fullmatch(text):
        return text
    written = format(Decimal(text), "f")
    if "." in written:
        written = written.rstrip("0").rstrip(".")
    if written == "-0":
        written = "0"
    return written if "." in written else written + ".0"


def canonical(term):
    """``term`` (an rdflib term) with a decimal's text made canonical (:func:`canonical_decimal`); others as they are.

    Examples
    --------
    >>> from rdflib import Literal, XSD
    >>> canonical(Literal("2.50", datatype=XSD.decimal))
    rdflib.term.Literal('2.5', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#decimal'))
    """
    if str(getattr(term, "datatype", None)) != _DECIMAL:
        return term
    text = canonical_decimal(str(term))
    return term if text == str(term) else type(term)(text, datatype=term.datatype)


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


def to_rdflib(term, _iris: dict | None = None):
    """Convert a pyoxigraph term to the rdflib term a Turtle parse would give.

    ``xsd:string`` literals become plain literals, as rdflib parses ``"x"``.
    A decimal gets its canonical text (:func:`canonical_decimal`), whether it
    comes from Oxigraph's parser (the file's text: ``"10"^^xsd:decimal``,
    ``10.00``) or from a store (which writes ``10``): ``10.0`` either way.

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
        if datatype == _DECIMAL:
            return Literal(canonical_decimal(term.value), datatype=URIRef(datatype))
        return Literal(term.value, datatype=URIRef(datatype))
    raise BadInput(f"unsupported RDF term {term!r}")

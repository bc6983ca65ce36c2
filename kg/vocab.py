"""Namespaces of the project: the ontology, its resources and its sources."""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

__all__ = ["CHIPS", "RES", "SRC", "SCHEMA", "ORG", "PREFIXES", "bind_prefixes", "turtle_prefixes",
           "sparql_prefixes"]

ONTOLOGY_IRI = "https://w3id.org/chipskg/ontology"
RES = Namespace("https://w3id.org/chipskg/id/")
SRC = Namespace("https://w3id.org/chipskg/source/")
SCHEMA = Namespace("http://schema.org/")
ORG = Namespace("http://www.w3.org/ns/org#")


from kg._chips_terms import CHIPS  # noqa: E402  (generated from ontology/chips.ttl)

PREFIXES = {
    "chips": str(CHIPS),
    "res": str(RES),
    "src": str(SRC),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "prov": str(PROV),
    "schema": str(SCHEMA),
    "org": str(ORG),
    "dcterms": str(DCTERMS),
}


def bind_prefixes(graph):
    """Bind the project's prefixes on ``graph``, replacing rdflib's defaults.

    rdflib pre-binds ``schema`` to the https IRI; ``replace=True`` makes
    ``schema:`` mean http://schema.org/ as the ontology does.
    """
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def turtle_prefixes(*names: str) -> str:
    """Turtle ``@prefix`` lines for the named project prefixes (all of them when none are named).

    Examples
    --------
    >>> print(turtle_prefixes("res"), end="")
    @prefix res: <https://w3id.org/chipskg/id/> .
    """
    return "".join(f"@prefix {name}: <{PREFIXES[name]}> .\n" for name in names or PREFIXES)


def sparql_prefixes(*names: str) -> str:
    """SPARQL ``PREFIX`` lines for the named project prefixes (all of them when none are named).

    Examples
    --------
    >>> print(sparql_prefixes("chips"), end="")
    PREFIX chips: <https://w3id.org/chipskg/ontology#>
    """
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names or PREFIXES)

"""Namespaces of the project: the ontology, its resources and its sources."""

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD  # noqa: F401  (re-exported)

from kg.iris import PREFIXES, sparql_prefixes, turtle_prefixes  # noqa: F401  (re-exported)

__all__ = ["CHIPS", "RES", "SRC", "SCHEMA", "ORG", "PREFIXES", "bind_prefixes", "turtle_prefixes",
           "sparql_prefixes"]

ONTOLOGY_IRI = "https://w3id.org/chipskg/ontology"
RES = Namespace(PREFIXES["res"])
SRC = Namespace(PREFIXES["src"])
SCHEMA = Namespace(PREFIXES["schema"])
ORG = Namespace(PREFIXES["org"])


from kg._chips_terms import CHIPS  # noqa: E402  (generated from ontology/chips.ttl)

# rdflib builds a new URIRef on every ``CHIPS.term`` (a metaclass __getattr__): about 5 µs, millions of
# times while projecting a large graph. Resolve each declared term once into a plain class attribute.
for _term in CHIPS.__annotations__:
    type.__setattr__(CHIPS, _term, CHIPS[_term])
del _term


def bind_prefixes(graph):
    """Bind the project's prefixes on ``graph``, replacing rdflib's defaults.

    rdflib pre-binds ``schema`` to the https IRI; ``replace=True`` makes
    ``schema:`` mean http://schema.org/ as the ontology does.
    """
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph

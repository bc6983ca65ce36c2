"""The project's prefixes as plain strings: importable without rdflib (the fast commands need them).

:mod:`kg.vocab` builds its rdflib namespaces from these.
"""

__all__ = ["PREFIXES", "expand_curie", "turtle_prefixes", "sparql_prefixes"]

PREFIXES = {
    "chips": "https://w3id.org/chipskg/ontology#",
    "res": "https://w3id.org/chipskg/id/",
    "src": "https://w3id.org/chipskg/source/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "dcterms": "http://purl.org/dc/terms/",
}


def expand_curie(text: str) -> str:
    """Expand a prefixed name of the project (``res:groq``) to its IRI; other text is returned as is.

    Examples
    --------
    >>> expand_curie("res:groq")
    'https://w3id.org/chipskg/id/groq'
    >>> expand_curie("Jim Keller")
    'Jim Keller'
    """
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and local and " " not in local and not local.startswith("//"):
        return PREFIXES[prefix] + local
    return text


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

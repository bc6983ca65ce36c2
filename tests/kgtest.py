"""Helpers shared by the tests: extra Turtle beside the bundled data."""

from pathlib import Path

from kg.bundled import DATA_DIR

PREFIXES = """\
@prefix chips: <https://w3id.org/chipskg/ontology#> .
@prefix res:   <https://w3id.org/chipskg/id/> .
@prefix src:   <https://w3id.org/chipskg/source/> .
@prefix prov:  <http://www.w3.org/ns/prov#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos:  <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .

src:test-note a chips:Source ; rdfs:label "A test source"@en ;
    chips:publisher "tests" ; chips:published "2026-01-01"^^xsd:date .
"""


def write_ttl(folder: Path, body: str, name: str = "extra.ttl") -> Path:
    """Write ``body`` (Turtle without prefixes) with the project's prefixes and a test source."""
    path = Path(folder) / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


def with_bundled(folder: Path, body: str) -> list:
    """Data paths: the bundled data plus an extra file holding ``body``."""
    return [DATA_DIR, write_ttl(folder, body)]

"""Helpers shared by the tests: extra Turtle beside the bundled data."""

from pathlib import Path

from kg.bundled import DATA_DIR
from kg.vocab import turtle_prefixes

PREFIXES = turtle_prefixes() + """
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


#: The article's folder: tests of what the article says load it alone (the bundled data also
#: holds later sources, imported from a research sheet).
ARTICLE_DATA = DATA_DIR / "cnbeta-2021-12-11-ai-chip-unicorns"


def with_article(folder: Path, body: str) -> list:
    """Data paths: the article's data plus an extra file holding ``body``."""
    return [ARTICLE_DATA, write_ttl(folder, body)]

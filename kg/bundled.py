"""Where the bundled ontology, shapes and data live, in a checkout or a wheel."""

from pathlib import Path

__all__ = ["ONTOLOGY", "SHAPES", "DATA_DIR"]


def _root() -> Path:
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "ontology" / "chips.ttl").is_file():
        return checkout
    return Path(__file__).resolve().parent / "_bundled"


ROOT = _root()
ONTOLOGY = ROOT / "ontology" / "chips.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
DATA_DIR = ROOT / "data" / "triples"

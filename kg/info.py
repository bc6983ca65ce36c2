"""Counts that summarise a loaded knowledge graph."""

from __future__ import annotations

from collections import Counter

from rdflib import RDF
from rdflib.namespace import PROV

from kg.facts import relation_classes
from kg.names import label_of
from kg.vocab import CHIPS

__all__ = ["summary"]


def summary(kg) -> dict:
    """Return counts by class, by source and of triples and files.

    Examples
    --------
    >>> from kg import load
    >>> s = summary(load())
    >>> s["entities"] > 50 and s["relations"] > 50
    True
    """
    g = kg.graph
    entities = kg.names.entities
    relation_types = relation_classes(g) - {CHIPS.Relation}
    by_class = Counter(e.cls for e in entities.values())
    relations = Counter()
    for cls in relation_types:
        count = sum(1 for _ in g.subjects(RDF.type, cls))
        if count:
            relations[str(cls).split("#")[-1]] = count
    sources = []
    for source in sorted(g.subjects(RDF.type, CHIPS.Source)):
        cited = set(g.subjects(PROV.wasDerivedFrom, source))
        sources.append({
            "iri": str(source),
            "label": label_of(g, source),
            "published": str(g.value(source, CHIPS.published) or ""),
            "entities": sum(1 for n in cited if n in entities),
            "relations": sum(1 for n in cited if any(t in relation_types for t in g.objects(n, RDF.type))),
        })
    return {
        "triples": len(g),
        "asserted": kg.asserted,
        "derived": kg.derived,
        "files": [str(p) for p in kg.files],
        "entities": len(entities),
        "relations": sum(relations.values()),
        "corrections": sum(1 for _ in g.subjects(RDF.type, CHIPS.Correction)),
        "entities_by_class": dict(sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))),
        "relations_by_class": dict(sorted(relations.items(), key=lambda kv: (-kv[1], kv[0]))),
        "sources": sources,
    }

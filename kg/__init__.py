"""Who connects to whom in the chip industry: a sourced knowledge graph of people, firms and capital.

The public API, imported lazily so that ``import kg`` stays cheap::

    from kg import load, describe, find_paths
    kg = load()                      # ontology + bundled data (+ KG_DATA); load(paths) loads exactly those
    describe(kg, "Jim Keller")       # everything about one entity, with sources
"""

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "load": "kg.loader",
    "KnowledgeGraph": "kg.loader",
    "data_files": "kg.loader",
    "Entity": "kg.names",
    "describe": "kg.facts",
    "relation_sentence": "kg.facts",
    "summary": "kg.info",
    "validate": "kg.validation",
    "derive_shortcuts": "kg.rules",
    "project": "kg.network",
    "find_paths": "kg.paths",
    "common_ties": "kg.paths",
    "neighbors": "kg.paths",
    "centrality": "kg.analysis",
    "communities": "kg.analysis",
    "coinvestment": "kg.analysis",
    "snapshot": "kg.timeview",
    "parse_date": "kg.dates",
    "run_query": "kg.sparql",
    "saved_queries": "kg.sparql",
    "KGError": "kg.errors",
    "UnknownEntity": "kg.errors",
    "AmbiguousEntity": "kg.errors",
    "NoPath": "kg.errors",
    "DataError": "kg.errors",
    "QueryError": "kg.errors",
    "QueryRefused": "kg.errors",
    "QueryTimeout": "kg.errors",
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'kg' has no attribute {name!r}")


def __dir__():
    return __all__

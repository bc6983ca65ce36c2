"""Run SPARQL over the knowledge graph: read-only, offline, with a time limit and a row cap.

Queries are parsed first (:func:`check_query`) so that nothing unsafe ever
reaches rdflib's evaluator: SPARQL Update, federated ``SERVICE`` calls and
``FROM``/``FROM NAMED`` datasets (which rdflib would download) are refused.
The project's prefixes (:data:`kg.vocab.PREFIXES`) are pre-declared; a
query's own ``PREFIX`` lines win. Saved questions live in ``kg/queries/*.rq``
(:func:`saved_queries`), each with a comment header naming its parameters.

Examples
--------
>>> from kg import load
>>> result = run_query(load(), "ASK { res:graphcore a chips:Startup }")
>>> result.kind, result.boolean
('ask', True)
>>> print(serialize(result, "json").decode())
{"head": {}, "boolean": true}

The package is split by job: :mod:`kg.sparql.check` (judging a query), :mod:`kg.sparql.run`
(running it, time limits, row caps), :mod:`kg.sparql.saved` (saved questions and their parameters) and
:mod:`kg.sparql.formats` (result formats). Everything is importable from ``kg.sparql`` as before.
"""

from __future__ import annotations

from kg.sparql.check import (  # noqa: F401
    MAX_NESTING,
    MAX_QUERY_CHARS,
    _blank,
    canonical_text,
    check_query,
    unknown_terms,
)
from kg.sparql.run import (  # noqa: F401
    DEFAULT_TIMEOUT,
    QUERY_THREAD,
    QueryResult,
    TooManyRows,
    _call_with_timeout,
    _looks_like_name,
    execute,
    run_query,
)
from kg.sparql.saved import (  # noqa: F401
    PARAM_TYPES,
    Param,
    SavedQuery,
    compact,
    parse_term,
    saved_queries,
    saved_query,
)
from kg.sparql.formats import (  # noqa: F401
    GRAPH_FORMATS,
    MEDIA_TYPES,
    NotAcceptable,
    RESULT_FORMATS,
    format_for_path,
    label_columns,
    resolve_format,
    serialize,
    with_labels,
)

__all__ = [
    "QueryResult",
    "SavedQuery",
    "Param",
    "TooManyRows",
    "NotAcceptable",
    "check_query",
    "unknown_terms",
    "execute",
    "run_query",
    "serialize",
    "with_labels",
    "label_columns",
    "resolve_format",
    "format_for_path",
    "saved_queries",
    "saved_query",
    "parse_term",
    "compact",
    "RESULT_FORMATS",
    "GRAPH_FORMATS",
    "MEDIA_TYPES",
    "DEFAULT_TIMEOUT",
    "MAX_QUERY_CHARS",
    "MAX_NESTING",
    "canonical_text",
]

# Shown (in reprs, tracebacks, docs) as kg.sparql.X, where they have always been imported from.
for _name in __all__:
    if isinstance(globals()[_name], type):
        globals()[_name].__module__ = __name__
del _name

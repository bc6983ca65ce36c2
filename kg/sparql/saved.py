"""Saved questions (``kg/queries/*.rq``) and their typed parameters: terms parsed, entity names resolved."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from kg.errors import BadInput, clip
from kg.vocab import CHIPS, PREFIXES

__all__ = [
    "SavedQuery",
    "Param",
    "saved_queries",
    "saved_query",
    "parse_term",
    "compact",
]


def parse_term(text: str, prefixes: Mapping[str, str] | None = None):
    """Read a parameter value: ``<iri>``, ``prefix:name``, a number, true/false, ``"text"@lang``, or plain text.

    Examples
    --------
    >>> parse_term("res:groq")
    rdflib.term.URIRef('https://w3id.org/chipskg/id/groq')
    >>> parse_term("42").toPython(), parse_term("Groq")
    (42, rdflib.term.Literal('Groq'))
    >>> parse_term('"格罗克"@zh')
    rdflib.term.Literal('格罗克', lang='zh')
    """
    from rdflib.namespace import XSD

    prefixes = PREFIXES if prefixes is None else prefixes
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return _iri(text[1:-1], text)
    if re.fullmatch(r"https?://\S+", text):
        return _iri(text, text)
    prefixed = re.fullmatch(r"([A-Za-z][\w.-]*)?:([\w.-]*)", text)
    if prefixed and (prefixed.group(1) or "") in prefixes:
        return URIRef(prefixes[prefixed.group(1) or ""] + prefixed.group(2))
    if re.fullmatch(r"[+-]?\d+", text):
        return Literal(text, datatype=XSD.integer)
    if re.fullmatch(r"[+-]?\d*\.\d+", text):
        return Literal(text, datatype=XSD.decimal)
    if text in ("true", "false"):
        return Literal(text, datatype=XSD.boolean)
    quoted = re.fullmatch(r'"(.*)"(?:@([A-Za-z]+(?:-[A-Za-z0-9]+)*))?', text, re.S)
    if quoted:
        return Literal(quoted.group(1), lang=quoted.group(2))
    return Literal(text)


def _iri(iri: str, given: str) -> URIRef:
    """``iri`` as a URIRef; :class:`BadInput` if it holds what an IRI cannot (a space, ``<>"{}|\\^`` or a control)."""
    if not re.fullmatch(r"[^\x00-\x20<>\"{}|\\^`]*", iri):
        raise BadInput(f"{clip(given)!r} is not an IRI: an IRI holds no spaces or any of <>\"{{}}|\\^`")
    return URIRef(iri)


def compact(term, prefixes: Mapping[str, str] | None = None) -> str:
    """Write an IRI with the project's prefixes where one fits, else in angle brackets.

    Examples
    --------
    >>> compact(URIRef("https://w3id.org/chipskg/id/groq"))
    'res:groq'
    >>> compact(URIRef("http://example.org/x"))
    '<http://example.org/x>'
    """
    prefixes = PREFIXES if prefixes is None else prefixes
    if isinstance(term, URIRef):
        text = str(term)
        best = max((ns for ns in prefixes.values() if text.startswith(ns)), key=len, default=None)
        if best is not None:
            local = text[len(best):]
            if re.fullmatch(r"[\w][\w.-]*|", local) and not local.endswith("."):
                prefix = next(p for p, ns in prefixes.items() if ns == best)
                return f"{prefix}:{local}"
        return f"<{text}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


#: Types a saved query's parameter can have.
PARAM_TYPES = ("entity", "source", "iri", "string", "integer", "decimal", "date", "year", "boolean")


@dataclass(frozen=True)
class Param:
    """One declared parameter of a saved query."""

    name: str
    type: str
    description: str = ""
    optional: bool = False
    default: str | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name, "type": self.type, "description": self.description,
            "optional": self.optional, "default": self.default,
        }


@dataclass(frozen=True)
class SavedQuery:
    """A saved question: a ``.rq`` file of ``kg/queries`` with its comment header.

    The header is the leading comment block::

        # title: Investors of a company
        # description: Every investor of a company, with the round, date and amount.
        # param: company entity  The company (any name or alias)
        # param: year integer optional  Only rounds of this year
        # example: company=Groq

    A parameter line gives the name (the query variable bound), a type from
    :data:`PARAM_TYPES`, then ``optional`` or ``default=VALUE`` if so, and
    after two spaces a description.

    A value is bound to its variable before evaluation (rdflib's
    ``initBindings``), so it holds everywhere in the query. Use a parameter's
    variable in required triple patterns, or only in a ``FILTER`` such as
    ``FILTER(!BOUND(?year) || ...)``: inside an ``OPTIONAL`` a pre-bound
    variable would let rows through that do not match it. An optional
    parameter left out leaves its variable free, so the query answers for
    everything, as it does when run from the query page.

    The ``ORDER BY`` names every projected column (through ``STR`` where a
    column holds literals of several datatypes or languages, which engines
    order differently): rows never tie, so files, a store and an endpoint
    give them in one order.
    """

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    text: str
    examples: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {
            "name": self.name, "title": self.title, "description": self.description,
            "params": [p.as_dict() for p in self.params], "examples": list(self.examples),
            "text": self.text,
        }

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        declared = ", ".join(p.name for p in self.params) or "none"
        raise BadInput(f"query {self.name!r} has no parameter {name!r} (its parameters: {declared})")

    def bind(self, values: Mapping[str, Any], *, source=None) -> dict:
        """Check ``values`` against the declared parameters and return the bindings.

        Raises :class:`BadInput` for an unknown, missing or malformed value,
        and :class:`kg.errors.UnknownEntity` for an entity name that matches nothing.

        Examples
        --------
        >>> from kg import load
        >>> saved_query("investors").bind({"company": "拟未科技"}, source=load())
        {'company': rdflib.term.URIRef('https://w3id.org/chipskg/id/graphcore')}
        """
        values = {str(k).lstrip("?$"): v for k, v in values.items()}
        for key in values:
            self.param(key)
        bindings = {}
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                if p.optional:
                    continue
                raise BadInput(
                    f"query {self.name!r} needs --param {p.name}=VALUE ({p.type}: {p.description})"
                )
            bindings[p.name] = _convert(p, raw, source)
        return bindings


def _convert(p: Param, raw, source):
    from rdflib.namespace import XSD

    if isinstance(raw, (URIRef, Literal)):
        return raw
    text = str(raw).strip()
    if not text:
        raise BadInput(f"parameter {p.name!r} is empty")
    if p.type == "entity":
        return _resolve_entity(text, source)
    if p.type == "source":
        return _resolve_source(text, source)
    if p.type == "iri":
        term = parse_term(text)
        if not isinstance(term, URIRef):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not an IRI (write <...> or prefix:name)")
        return term
    if p.type == "string":
        return Literal(text)
    if p.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a whole number")
        return Literal(int(text))
    if p.type == "decimal":
        try:
            return Literal(Decimal(text), datatype=XSD.decimal)
        except InvalidOperation:
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a number") from None
    if p.type == "date":
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a date (YYYY-MM-DD)")
        return Literal(text, datatype=XSD.date)
    if p.type == "year":
        if not re.fullmatch(r"\d{4}", text):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not a year (YYYY)")
        return Literal(int(text))
    if p.type == "boolean":
        lowered = text.lower()
        if lowered not in ("true", "false", "yes", "no", "1", "0"):
            raise BadInput(f"parameter {p.name!r}: {text!r} is not true or false")
        return Literal(lowered in ("true", "yes", "1"))
    raise BadInput(f"parameter {p.name!r} has unknown type {p.type!r}")  # pragma: no cover


def _resolve_entity(text: str, source) -> URIRef:
    term = parse_term(text)
    if isinstance(term, URIRef) and (source is None or not hasattr(source, "names")):
        return term
    if source is None:
        raise BadInput(f"cannot look up the entity {text!r} without a graph")
    names = getattr(source, "names", None)
    if names is None:
        from kg.names import NameIndex

        names = NameIndex(getattr(source, "graph", source))
    if isinstance(term, URIRef):
        text = str(term)
    return names.resolve(text).iri


def _resolve_source(text: str, source) -> URIRef:
    """A source by IRI, ``src:`` name, local name or words of its label."""
    from kg.names import normalize

    graph = getattr(source, "graph", source)
    sources = sorted(set(graph.subjects(RDF.type, CHIPS.Source))) if graph is not None else []
    term = parse_term(text)
    if isinstance(term, URIRef) and (not sources or term in sources):
        return term
    key = normalize(text)
    exact, partial = [], []
    for s in sources:
        names = [str(s).rsplit("/", 1)[-1]] + [str(o) for o in graph.objects(s, RDFS.label)]
        keys = [normalize(n) for n in names]
        if key in keys:
            exact.append(s)
        elif any(key in k for k in keys):
            partial.append(s)
    found = exact or partial
    if len(found) == 1:
        return found[0]
    local_names = [str(s).rsplit("/", 1)[-1] for s in (found or sources)]
    if not found:
        hint = difflib.get_close_matches(text, local_names, n=3, cutoff=0.3) or local_names[:5]
        raise BadInput(f"no source named {text!r}; sources: {', '.join(hint)}")
    raise BadInput(f"{text!r} could be several sources: {', '.join(local_names[:10])}")


_HEADER_KEYS = ("title", "description", "param", "example")


def _parse_saved(name: str, text: str) -> SavedQuery:
    fields: dict[str, list[str]] = {k: [] for k in _HEADER_KEYS}
    last = None
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        body = line[1:].strip()
        match = re.match(r"(\w+):\s*(.*)$", body)
        if match and match.group(1) in _HEADER_KEYS:
            last = match.group(1)
            fields[last].append(match.group(2).strip())
        elif body and last in ("title", "description"):
            fields[last][-1] += " " + body
        elif body:
            last = None
    if not fields["title"]:
        raise BadInput(f"saved query {name!r} has no '# title:' line")
    params = tuple(_parse_param(name, spec) for spec in fields["param"])
    return SavedQuery(
        name=name,
        title=fields["title"][0],
        description=" ".join(fields["description"]),
        params=params,
        text=text,
        examples=tuple(fields["example"]),
    )


def _parse_param(query: str, spec: str) -> Param:
    parts = re.split(r"\s{2,}", spec.strip(), maxsplit=1)
    description = parts[1] if len(parts) > 1 else ""
    words = parts[0].split()
    if len(words) < 2 or words[1] not in PARAM_TYPES:
        raise BadInput(f"saved query {query!r}: bad parameter line {spec!r} (want: NAME TYPE [optional|default=V]  description)")
    optional, default = False, None
    for word in words[2:]:
        if word == "optional":
            optional = True
        elif word.startswith("default="):
            default = word[len("default="):]
        else:
            raise BadInput(f"saved query {query!r}: bad parameter option {word!r} in {spec!r}")
    return Param(words[0], words[1], description.strip(), optional or default is not None, default)


_SAVED: list[SavedQuery] | None = None


def saved_queries() -> list[SavedQuery]:
    """Return the saved questions shipped in ``kg/queries``, sorted by name.

    Examples
    --------
    >>> qs = saved_queries()
    >>> len(qs) >= 12 and all(q.title and q.description for q in qs)
    True
    >>> [p.name for p in saved_query("investors").params]
    ['company', 'investor']
    """
    global _SAVED
    if _SAVED is None:
        from importlib.resources import files

        folder = files("kg") / "queries"
        found = []
        for entry in folder.iterdir():
            if entry.name.endswith(".rq"):
                found.append(_parse_saved(entry.name[:-3], entry.read_text(encoding="utf-8")))
        _SAVED = sorted(found, key=lambda q: q.name)
    return list(_SAVED)


def saved_query(name: str) -> SavedQuery:
    """Return the saved query called ``name``; :class:`BadInput` with suggestions if none is.

    Examples
    --------
    >>> saved_query("investors").title
    'Investors of a company'
    >>> saved_query("investor")
    Traceback (most recent call last):
    ...
    kg.errors.BadInput: no saved query named 'investor'; did you mean: investors, co-investors? (see: kg queries)
    """
    queries = {q.name: q for q in saved_queries()}
    key = name.strip()
    if key.endswith(".rq"):
        key = key[:-3]
    if key in queries:
        return queries[key]
    close = difflib.get_close_matches(key, list(queries), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    raise BadInput(f"no saved query named {name!r}{hint} (see: kg queries)")

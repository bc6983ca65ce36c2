"""Find entities by any of their names: English, Chinese, aliases, small misspellings."""

from __future__ import annotations

import bisect
import difflib
import functools
import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from kg.errors import AmbiguousEntity, BadInput, UnknownEntity
from kg.iris import PREFIXES, expand_curie

__all__ = ["Entity", "NameIndex", "normalize", "to_simplified", "model_numbers", "subclasses", "entity_classes",
           "label_of", "class_of", "expand_curie"]

_CHIPS = PREFIXES["chips"]

#: The top classes whose instances are entities (nodes a user asks about), by local name.
ENTITY_ROOTS = ("Person", "Organization", "Product", "Architecture", "ProcessNode")

#: Above this many names, typed-ahead searches skip the misspelling tier (difflib reads every name).
_FUZZY_MAX_KEYS = 50_000

#: Most specific first: the class shown for an entity with several.
_CLASS_PREFERENCE = (
    "Person", "Foundry", "Startup", "InvestmentFirm", "University", "ResearchLab", "MilitaryUnit",
    "GovernmentAgency", "MediaOutlet", "Company", "Organization", "Chip", "System", "Module", "Software",
    "Product", "Architecture", "ProcessNode",
)


@dataclass(frozen=True, order=True)
class Entity:
    """An entity found by name: its English label, IRI and main class (local name).

    ``iri`` is an rdflib ``URIRef`` (rdflib is imported on first use); ``id``
    is the same IRI as plain text, for code that never touches rdflib.
    """

    label: str
    id: str
    cls: str
    _iri: object = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "id", str(self.id))

    @property
    def iri(self):
        if self._iri is None:
            from rdflib import URIRef

            object.__setattr__(self, "_iri", URIRef(self.id))
        return self._iri

    def as_dict(self) -> dict:
        return {"iri": self.id, "label": self.label, "class": self.cls}


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@functools.lru_cache(maxsize=1)
def _simplifier():
    import opencc  # OpenCC's own bindings: maintained dictionaries, not a hand-kept table

    return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters folded to Simplified (OpenCC ``t2s``); other text is returned as is.

    Examples
    --------
    >>> to_simplified("台積電"), to_simplified("Nvidia")
    ('台积电', 'Nvidia')
    """
    return _simplifier().convert(text) if _CJK.search(text) else text


def normalize(text: str) -> str:
    """Fold case, accents, width, punctuation and Traditional Chinese so that names compare loosely.

    Examples
    --------
    >>> normalize("台積電") == normalize("台积电")
    True
    >>> normalize("Christopher Ré")
    'christopher re'
    >>> normalize("罗德里戈·梁") == normalize("罗德里戈梁")
    True
    >>> normalize("IPU-M2000")
    'ipu m2000'
    """
    if text.isascii():  # most names: nothing to simplify, decompose or join (the same result, faster)
        return _PUNCTUATION.sub(" ", text.lower()).strip()
    text = unicodedata.normalize("NFKD", to_simplified(text))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _PUNCTUATION.sub(" ", text).strip()
    # CJK runs carry no spaces: drop spaces between CJK characters.
    return _CJK_SPACE.sub("", text)


_PUNCTUATION = re.compile(r"[\s\-_.,·•・'’\"()（）/]+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")


def model_numbers(key: str) -> frozenset:
    """The words of a normalised name that hold a figure: its model numbers.

    Names whose model numbers differ name different things, however alike
    they are spelt ("Hailo-8" is not "Hailo-8L", nor "AI HAT+" "AI HAT+ 2"):
    the import never takes one for a misspelling of the other, and
    ``kg duplicates`` counts the difference against the pair.

    Examples
    --------
    >>> model_numbers(normalize("Hailo-8L")), model_numbers(normalize("Hailo-8"))
    (frozenset({'8l'}), frozenset({'8'}))
    >>> model_numbers(normalize("Raspberry Pi AI HAT+"))
    frozenset()
    """
    return frozenset(t for t in key.split() if any(c.isdigit() for c in t))


def subclasses(graph: Graph, *roots) -> set[URIRef]:
    """Return ``roots`` and every class stated below them with rdfs:subClassOf."""
    from rdflib import RDFS, URIRef

    found, frontier = set(roots), list(roots)
    while frontier:
        for sub in graph.subjects(RDFS.subClassOf, frontier.pop()):
            if isinstance(sub, URIRef) and sub not in found:
                found.add(sub)
                frontier.append(sub)
    return found


def entity_classes(graph: Graph) -> set[URIRef]:
    """Return the entity root classes and all their subclasses stated in ``graph``."""
    from rdflib import URIRef

    return subclasses(graph, *(URIRef(_CHIPS + name) for name in ENTITY_ROOTS))


@functools.cache
def _rdfs_label():
    """``rdfs:label`` as a URIRef, made once (rdflib's namespace builds a new one per access)."""
    from rdflib import RDFS

    return RDFS.label


def label_of(graph: Graph, node, lang: str = "en") -> str:
    """Return the ``rdfs:label`` of ``node`` in ``lang``, else another (:func:`best_label`), else its local name."""
    found = best_label(graph.objects(node, _rdfs_label()), lang)
    if found is not None:
        return found
    text = str(node)
    return re.split(r"[/#]", text)[-1] or text


def best_label(labels, lang: str = "en") -> str | None:
    """The one of ``labels`` (literals) to name a term by: in ``lang``, else English, else untagged, else the least.

    Every backend names a term by this rule, so files, a store and an endpoint
    print the same name; None when there is no label.

    Examples
    --------
    >>> from rdflib import Literal
    >>> best_label([Literal("英伟达", lang="zh"), Literal("Nvidia", lang="en")]), best_label([], "zh")
    ('Nvidia', None)
    >>> best_label([Literal("Nvidia", lang="en"), Literal("英伟达", lang="zh")], "zh")
    '英伟达'
    """
    rank = {None: 2, "en": 1, lang: 0}

    def key(label):
        tag = getattr(label, "language", None)
        return rank.get(tag, 3), tag or "", str(label)

    best = min(labels, key=key, default=None)
    return None if best is None else str(best)


def class_of(types) -> str:
    """Return the local name of the most specific entity class among ``types``."""
    types = {str(t) for t in types}
    for name in _CLASS_PREFERENCE:
        if _CHIPS + name in types:
            return name
    return str(min(types)).rsplit("#", 1)[-1].rsplit("/", 1)[-1] if types else "Thing"


class NameIndex:
    """Every name of every entity, normalized, for lookup.

    Parameters
    ----------
    graph : rdflib.Graph
        A graph holding the ontology (for the class hierarchy) and the data.

    Examples
    --------
    >>> from kg import load
    >>> index = load().names
    >>> index.resolve("英伟达").label
    'Nvidia'
    >>> index.resolve("jim keler").label
    'Jim Keller'
    """

    def __init__(self, graph=None):
        self._by_iri: dict[str, Entity] = {}
        self._aliases: dict[str, str] = {}  # the IRI of a merged entity (owl:sameAs) -> the one kept
        self._unkeyed: list[tuple[str, list[str]]] = []  # (IRI, its names) not yet in _keys
        if graph is not None:
            self._index(graph)

    @functools.cached_property
    def _keys(self) -> dict[str, set[str]]:
        """Normalized name -> the IRIs it names; made on first use (a projection needs the entities first)."""
        keys: dict[str, set[str]] = defaultdict(set)
        for iri, names in self._unkeyed:
            for name in dict.fromkeys(names):  # the English label comes twice
                if key := normalize(name):
                    keys[key].add(iri)
        self._unkeyed = []
        return keys

    @functools.cached_property
    def _sorted_keys(self) -> list[str]:
        return sorted(self._keys)

    def _index(self, graph) -> None:
        from rdflib import OWL, RDF, RDFS, URIRef
        from rdflib.namespace import SKOS

        classes = entity_classes(graph)
        kind, named_by = RDF.type, (RDFS.label, SKOS.altLabel)  # rdflib's namespaces make a new term per access
        for node, _, cls in graph.triples((None, kind, None)):
            if cls in classes and isinstance(node, URIRef) and str(node) not in self._by_iri:
                entity = Entity(label_of(graph, node), str(node), class_of(graph.objects(node, kind)), node)
                self._by_iri[entity.id] = entity
                names = [entity.label, entity.id.rstrip("/").rsplit("/", 1)[-1]]
                names += [str(o) for p in named_by for o in graph.objects(node, p)]
                self._unkeyed.append((entity.id, names))
        for kept, merged in graph.subject_objects(OWL.sameAs):  # a merged entity's IRI finds the one kept
            if str(kept) in self._by_iri and str(merged) not in self._by_iri:
                self._aliases.setdefault(str(merged), str(kept))

    @classmethod
    def from_parts(cls, entities, keys: dict, aliases: dict | None = None) -> "NameIndex":
        """Rebuild an index from what :meth:`parts` gave (no rdflib needed)."""
        index = cls()
        index._by_iri = {e.id: e for e in entities}
        index._aliases = dict(aliases or {})
        index._keys = {k: set(v) for k, v in keys.items()}
        return index

    def parts(self) -> tuple[list[Entity], dict[str, list[str]], dict[str, str]]:
        """The entities, the normalized names pointing to their IRIs and the merged IRIs, as plain data.

        Names and merged IRIs come sorted: the same whatever order the graph listed its triples in.
        """
        return (list(self._by_iri.values()), {k: sorted(self._keys[k]) for k in self._sorted_keys},
                dict(sorted(self._aliases.items())))

    @property
    def entities(self) -> dict:
        """IRI (an rdflib ``URIRef``) → :class:`Entity`."""
        found = self.__dict__.get("_by_uriref")
        if found is None:
            found = self.__dict__["_by_uriref"] = {e.iri: e for e in self._by_iri.values()}
        return found

    def entity(self, iri) -> Entity | None:
        """The entity with this IRI (text or ``URIRef``; a merged entity's IRI gives the one kept), or None."""
        iri = str(iri)
        return self._by_iri.get(iri) or self._by_iri.get(self._aliases.get(iri, ""))

    def __len__(self) -> int:
        return len(self._by_iri)

    def name_keys(self) -> dict[str, set[URIRef]]:
        """Every normalized name (label, alias, IRI local name) and the entities it names."""
        return self._keys

    def __contains__(self, iri) -> bool:
        return str(iri) in self._by_iri

    def _entities(self, iris) -> list[Entity]:
        return sorted(self._by_iri[i] for i in iris)

    def candidates(self, name: str) -> list[Entity]:
        """Return the entities ``name`` denotes, best tier only (exact, then whole words, then fuzzy)."""
        key = normalize(name)
        if not key:
            return []
        if key in self._keys:
            return self._entities(self._keys[key])
        word = re.compile(rf"(^|\s){re.escape(key)}(\s|$)") if " " in key or key.isascii() else None
        partial = {
            iri
            for k in self._sorted_keys
            if (word.search(k) if word else key in k)
            for iri in self._keys[k]
        }
        if partial:
            return self._entities(partial)
        close = difflib.get_close_matches(key, self._sorted_keys, n=5, cutoff=0.84)
        if close:
            best = close[0]
            ratio = difflib.SequenceMatcher(None, key, best).ratio()
            runner_up = [
                k for k in close[1:] if difflib.SequenceMatcher(None, key, k).ratio() >= ratio - 0.02
            ]
            return self._entities(self._keys[best] | {i for k in runner_up for i in self._keys[k]})
        return []

    def search(self, text: str, limit: int = 10) -> list[Entity]:
        """Return up to ``limit`` entities for ``text`` as it is being typed, best first.

        Exact names come first, then names that start with the text, then
        names that contain it, then close misspellings: any label, alias or
        Chinese name, as :meth:`resolve` reads them.

        Examples
        --------
        >>> from kg import load
        >>> [e.label for e in load().names.search("拟未")]
        ['Graphcore']
        >>> [e.label for e in load().names.search("graph", limit=2)]
        ['Graphcore', 'GC200']
        """
        key = normalize(text)
        found: dict[URIRef, None] = {}
        if not key or limit < 1:
            return []

        def take(keys) -> bool:
            for k in keys:
                for entity in self._entities(self._keys[k]):
                    found.setdefault(entity.iri)
                    if len(found) >= limit:
                        return True
            return False

        start = bisect.bisect_left(self._sorted_keys, key)
        prefixed = itertools.takewhile(lambda k: k.startswith(key), self._sorted_keys[start:start + 10 * limit])
        if take([key] if key in self._keys else []) or take(prefixed):
            return [self.entities[i] for i in found]
        if take(k for k in self._sorted_keys if key in k and not k.startswith(key)):
            return [self.entities[i] for i in found]
        if len(self._sorted_keys) <= _FUZZY_MAX_KEYS:  # difflib reads every key: only on small indexes
            take(difflib.get_close_matches(key, self._sorted_keys, n=limit, cutoff=0.75))
        return [self.entities[i] for i in found]

    def suggestions(self, name: str, n: int = 5) -> list[str]:
        """Return up to ``n`` labels of entities whose names look like ``name``."""
        key = normalize(name)
        close = difflib.get_close_matches(key, self._sorted_keys, n=n * 3, cutoff=0.5)
        labels = []
        for k in close:
            for entity in self._entities(self._keys[k]):
                if entity.label not in labels:
                    labels.append(entity.label)
        return labels[:n]

    def resolve(self, name: str) -> Entity:
        """Return the one entity ``name`` denotes.

        Accepts a full IRI, a prefixed ``res:`` name, any label or alias in any
        language, a whole word of one (``"Keller"``), or a small misspelling.

        Raises
        ------
        UnknownEntity
            No entity matches; carries up to five suggestions.
        AmbiguousEntity
            Several match equally well; carries their labels.
        BadInput
            ``name`` is empty or only punctuation.
        """
        if not normalize(name):
            raise BadInput(f"say which entity: {name!r} is no name (an English or Chinese name, or an id like res:groq)")
        by_iri = self.entity(expand_curie(name.strip()))
        if by_iri is not None:
            return by_iri
        found = self.candidates(name)
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownEntity(name, self.suggestions(name))
        raise AmbiguousEntity(name, [f"{e.label} ({e.cls})" for e in found[:10]])

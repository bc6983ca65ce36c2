"""Who is who across sources: merges recorded as data, likely duplicates, and related-but-distinct entities.

A merge is data, not an edit: ``kept owl:sameAs merged`` beside a ``chips:Merge`` node that
says why (and on what evidence). :func:`apply_merges` runs once at load time and folds each
merged entity into the kept one -- its facts, relations and names (as aliases) -- so that every
command (entity, path, neighbors, SPARQL and its shortcuts, viz, export) sees one entity.
Deleting the merge from its file undoes it.

Entities that are related but distinct -- a fund and the group it belongs to
(``chips:subOrganizationOf``), a fund and the person who runs it (``chips:runBy``) -- are
never folded: :func:`merge` refuses them and :func:`duplicates` shows the link as
counter-evidence.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime, timezone
from itertools import combinations
from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import PROV, SKOS

from kg.errors import BadInput, NotFound
from kg.names import entity_classes, label_of, model_numbers, normalize
from kg.vocab import CHIPS, RES

__all__ = ["apply_merges", "merge_pairs", "merge", "undo_merge", "list_merges", "duplicates", "core_name",
           "related", "named_apart", "LINKS", "MERGE_UPDATES", "PENDING_MERGE"]

#: Links that make two entities related but distinct: never the same entity.
LINKS = (CHIPS.subOrganizationOf, CHIPS.runBy)

#: Words that name a company's legal form or a generic trade, not the company:
#: "Cerebras Systems", "Graphcore Ltd", "SoftBank Group Corp." all reduce to their first words.
_SUFFIXES = {
    "inc", "incorporated", "corp", "corporation", "co", "company", "ltd", "limited", "llc", "plc", "gmbh",
    "ag", "sa", "bv", "nv", "group", "holdings", "holding", "systems", "technologies", "technology",
    "the",
}
_ZH_SUFFIXES = ("有限责任公司", "股份有限公司", "有限公司", "公司", "集团", "控股", "科技")

#: Words that turn a firm's name into the name of its fund, arm or broker: "Intel Capital",
#: "SoftBank Vision Fund", "Samsung Securities" are not Intel, SoftBank, Samsung.
_ARM_WORDS = {"capital", "ventures", "venture", "fund", "funds", "investments", "investment", "partners",
              "securities", "vision", "catalyst", "asset", "management", "vc", "labs", "research", "foundation"}

#: Class groups whose members may be the same entity (a person is never an organisation).
_KINDS = (CHIPS.Person, CHIPS.Organization, CHIPS.Product, CHIPS.Architecture, CHIPS.ProcessNode)


def core_name(name: str) -> str:
    """A name without case, accents, punctuation, legal-form or trade suffixes, or a parenthesis.

    Examples
    --------
    >>> core_name("SoftBank Group Corp.")
    'softbank'
    >>> core_name("Cerebras Systems, Inc.")
    'cerebras'
    >>> core_name("Intel Capital")  # a fund's name is not a suffix: Intel Capital stays itself
    'intel capital'
    >>> core_name("Samsung (investment arm)")
    'samsung'
    >>> core_name("上海耀途资本有限公司")
    '上海耀途资本'
    """
    text = re.sub(r"[(（][^)）]*[)）]", " ", name)
    words = normalize(text).split()
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    while len(words) > 1 and words[0] == "the":
        words.pop(0)
    core = " ".join(words)
    for suffix in _ZH_SUFFIXES:
        if core.endswith(suffix) and len(core) > len(suffix) + 1:
            core = core[: -len(suffix)]
    return core


# --- merges as data ------------------------------------------------------------------------------

def _entities(graph: Graph) -> set[URIRef]:
    classes = entity_classes(graph)
    return {s for s, _, c in graph.triples((None, RDF.type, None)) if c in classes and isinstance(s, URIRef)}


def merge_pairs(graph: Graph) -> dict[URIRef, URIRef]:
    """Map each merged entity to the entity it is folded into, following chains (A=B, B=C: C to A).

    Only ``owl:sameAs`` triples between two entities count (a sameAs to an outside IRI, such
    as Wikidata, merges nothing). When two merges disagree about which side is kept, the
    smaller IRI wins, so the result does not depend on file order.
    """
    entities = _entities(graph)
    parent: dict[URIRef, URIRef] = {}

    def root(x):
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    for kept, merged in sorted(graph.subject_objects(OWL.sameAs)):
        if kept in entities and merged in entities:
            a, b = root(kept), root(merged)
            if a != b:
                parent[b] = a
    return {x: root(x) for x in parent if root(x) != x}


def apply_merges(graph: Graph) -> int:
    """Fold every merged entity into the one kept, in place; return how many were folded.

    Facts and relations of the merged IRI move to the kept IRI; its ``rdfs:label`` values
    become ``skos:altLabel`` of the kept entity, so the kept entity keeps its name and the
    other names still find it. The ``owl:sameAs`` triple and the ``chips:Merge`` record keep
    naming the merged IRI, so the merge stays visible (and reversible).

    Examples
    --------
    >>> from rdflib import Graph
    >>> from kg.loader import parse_file
    >>> from kg.bundled import ONTOLOGY
    >>> g = parse_file(ONTOLOGY)
    >>> _ = g.parse(data='''
    ...   @prefix chips: <https://w3id.org/chipskg/ontology#> . @prefix res: <https://w3id.org/chipskg/id/> .
    ...   @prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ...   res:a a chips:Company ; rdfs:label "Acme"@en . res:b a chips:Company ; rdfs:label "Acme Corp"@en .
    ...   res:x a chips:Person ; chips:note "works at b"@en . res:a owl:sameAs res:b .''', format="turtle")
    >>> apply_merges(g)
    1
    >>> sorted(str(o) for o in g.objects(RES.a, SKOS.altLabel))
    ['Acme Corp']
    """
    pairs = merge_pairs(graph)
    keep_pointing = {OWL.sameAs, CHIPS.merged}
    for merged, kept in sorted(pairs.items()):
        for p, o in list(graph.predicate_objects(merged)):
            graph.remove((merged, p, o))
            graph.add((kept, SKOS.altLabel if p == RDFS.label else p, pairs.get(o, o)))
        for s, p in list(graph.subject_predicates(merged)):
            if p not in keep_pointing:
                graph.remove((s, p, merged))
                graph.add((pairs.get(s, s), p, kept))
    for merged, kept in pairs.items():  # keep the record: kept owl:sameAs merged
        graph.add((kept, OWL.sameAs, merged))
    return len(pairs)


_ENTITY_TEST = """
  VALUES ?root { chips:Person chips:Organization chips:Product chips:Architecture chips:ProcessNode }
  ?k a ?ck . ?ck rdfs:subClassOf* ?root .
  ?m a ?cm . ?cm rdfs:subClassOf* ?root2 .
  VALUES ?root2 { chips:Person chips:Organization chips:Product chips:Architecture chips:ProcessNode }
  FILTER(?k != ?m)
"""

#: The same fold as :func:`apply_merges`, as SPARQL updates for a store (:mod:`kg.store`):
#: generic patterns, nothing from the data pasted in; references first, while the merged entity is
#: still typed. Run until :data:`PENDING_MERGE` is false.
MERGE_UPDATES = (
    "DELETE { ?s ?p ?m } INSERT { ?s ?p ?k } WHERE { SELECT DISTINCT ?k ?m ?s ?p WHERE { ?k owl:sameAs ?m ."
    + _ENTITY_TEST + " ?s ?p ?m . FILTER(?p NOT IN (owl:sameAs, chips:merged)) } }",
    "DELETE { ?m ?p ?o } INSERT { ?k ?p2 ?o } WHERE { SELECT DISTINCT ?k ?m ?p ?o ?p2 WHERE { ?k owl:sameAs ?m ."
    + _ENTITY_TEST + " ?m ?p ?o . BIND(IF(?p = rdfs:label, skos:altLabel, ?p) AS ?p2) } }",
)
PENDING_MERGE = "ASK { ?k owl:sameAs ?m ." + _ENTITY_TEST + "}"


def related(graph: Graph, a: URIRef, b: URIRef) -> list[str]:
    """The links that make ``a`` and ``b`` related but distinct, as sentences (empty if none).

    Follows ``chips:subOrganizationOf`` upwards from either side (a fund of a fund of a group),
    and ``chips:runBy`` either way.
    """
    found = []
    for x, y in ((a, b), (b, a)):
        chain, node = [], x
        while (up := graph.value(node, CHIPS.subOrganizationOf)) is not None and up not in chain and up != x:
            if up == y:
                via = f" (through {', '.join(label_of(graph, n) for n in chain)})" if chain else ""
                found.append(f"{label_of(graph, x)} is part of {label_of(graph, y)}{via}")
                break
            chain.append(up)
            node = up
        if (x, CHIPS.runBy, y) in graph:
            found.append(f"{label_of(graph, x)} is run by {label_of(graph, y)}")
    return found


def _slug(iri) -> str:
    return str(iri).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def merge(kg, keep: str, fold: str, *, reason: str, source: str | None = None, out: str | Path,
          today: date | None = None, force: bool = False) -> dict:
    """Record that ``fold`` is the same entity as ``keep``, as data in the Turtle file ``out``.

    Writes ``keep owl:sameAs fold`` and a ``chips:Merge`` node (kept, merged, reason, date,
    and ``prov:wasDerivedFrom`` the source when given) into ``out``, adding to the merges
    already there; the file is written atomically. Load it with the data (``--data``) and
    every command treats the two as one. Undo with :func:`undo_merge` or by deleting it.

    Parameters
    ----------
    kg : KnowledgeGraph
        The graph the names are resolved in.
    keep, fold : str
        Names (or IRIs) of the entity kept and of the one folded into it.
    reason : str
        Why they are one; required.
    source : str, optional
        The evidence: a URL or a ``src:`` name.
    out : str or Path
        The Turtle file of merges to write (created if missing).
    force : bool
        Merge even two entities whose names read as two things (:func:`named_apart`).

    Returns
    -------
    dict
        ``{"merge", "kept", "merged", "reason", "source", "file"}``.

    Raises
    ------
    BadInput
        Empty reason, the same entity twice, a source that is not an IRI, an unreadable
        ``out``, two entities that the data says are related but distinct, or (without
        ``force``) two whose names say so.
    """
    from kg.export import atomic_write
    from kg.loader import parse_file
    from kg.names import expand_curie
    from kg.vocab import bind_prefixes

    if not reason or not reason.strip():
        raise BadInput("a merge needs a reason: --reason 'why the two are one'")
    a, b = kg.resolve(keep), kg.resolve(fold)
    if a.iri == b.iri:
        raise BadInput(f"{keep!r} and {fold!r} are already one entity ({a.label}); nothing to merge")
    if a.cls == "Person" and b.cls != "Person" or b.cls == "Person" and a.cls != "Person":
        raise BadInput(f"{a.label} ({a.cls}) and {b.label} ({b.cls}): a person is never an organisation or a "
                       "product; link them instead (chips:runBy for a fund a person runs)")
    links = related(kg.graph, a.iri, b.iri)
    if links:
        raise BadInput(f"{a.label} and {b.label} are related but distinct ({'; '.join(links)}); not merged")
    apart = named_apart(kg.graph, a.iri, b.iri)
    if apart and not force:
        raise BadInput(f"{a.label} and {b.label} read as two things ({'; '.join(apart)}); not merged "
                       "(--force merges them all the same)")
    evidence = None
    if source:
        evidence = URIRef(expand_curie(source.strip()))
        if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", str(evidence)):
            raise BadInput(f"--source {source!r} is not a URL or a src: name")
    path = Path(out)
    graph = bind_prefixes(Graph())
    if path.exists():
        graph += parse_file(path)
    node = RES[f"merge-{_slug(a.iri)}--{_slug(b.iri)}"]
    if (node, RDF.type, CHIPS.Merge) in graph:
        raise BadInput(f"{path}: already records that {b.label} is {a.label}")
    on = today or datetime.now(timezone.utc).date()
    graph.add((a.iri, OWL.sameAs, b.iri))
    graph.add((node, RDF.type, CHIPS.Merge))
    graph.add((node, RDFS.label, Literal(f"Merge: {b.label} is {a.label}", lang="en")))
    graph.add((node, CHIPS.kept, a.iri))
    graph.add((node, CHIPS.merged, b.iri))
    graph.add((node, CHIPS.reason, Literal(reason.strip(), lang="en")))
    graph.add((node, CHIPS.mergedOn, Literal(on.isoformat(), datatype=XSD.date)))
    if evidence is not None:
        graph.add((node, PROV.wasDerivedFrom, evidence))
    atomic_write(path, graph.serialize(format="turtle").encode("utf-8"))
    return {"merge": str(node), "kept": a.as_dict(), "merged": b.as_dict(), "reason": reason.strip(),
            "source": None if evidence is None else str(evidence), "file": str(path)}


def undo_merge(path: str | Path, name: str) -> list[dict]:
    """Remove from the file ``path`` every merge whose kept or merged entity is ``name``; return them.

    ``name`` is an IRI, a ``res:`` name or a label as the merge record gives it. Raises
    :class:`NotFound` when the file records no such merge.
    """
    from kg.export import atomic_write
    from kg.loader import parse_file
    from kg.names import expand_curie

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such file of merges")
    graph = parse_file(path)
    wanted = normalize(expand_curie(name.strip()))
    removed = []
    for record in _records(graph):
        names = {normalize(record[k][f]) for k in ("kept", "merged") for f in ("iri", "label")}
        names |= {normalize(_slug(record[k]["iri"])) for k in ("kept", "merged")}
        if wanted in names:
            node, kept, merged = URIRef(record["merge"]), URIRef(record["kept"]["iri"]), URIRef(record["merged"]["iri"])
            graph.remove((node, None, None))
            graph.remove((kept, OWL.sameAs, merged))
            removed.append(record)
    if not removed:
        raise NotFound(f"{path} records no merge of {name!r}; see: kg merge --list")
    atomic_write(path, graph.serialize(format="turtle").encode("utf-8"))
    return removed


def _records(graph: Graph) -> list[dict]:
    records = []
    for node in sorted(graph.subjects(RDF.type, CHIPS.Merge)):
        kept, merged = graph.value(node, CHIPS.kept), graph.value(node, CHIPS.merged)
        label = str(graph.value(node, RDFS.label) or "")
        folded, _, kept_label = label.removeprefix("Merge: ").partition(" is ")
        records.append({
            "merge": str(node),
            "kept": {"iri": str(kept), "label": kept_label or _slug(kept)},
            "merged": {"iri": str(merged), "label": folded or _slug(merged)},
            "reason": str(graph.value(node, CHIPS.reason) or ""),
            "source": [str(s) for s in sorted(graph.objects(node, PROV.wasDerivedFrom))],
            "date": str(graph.value(node, CHIPS.mergedOn) or ""),
        })
    return records


def list_merges(kg) -> list[dict]:
    """Every merge the loaded data records: ``{"merge", "kept", "merged", "reason", "source", "date"}``."""
    return _records(kg.graph)


# --- likely duplicates ----------------------------------------------------------------------------

def _kind(graph: Graph, types) -> URIRef | None:
    for root in _KINDS:
        covered = _covered(graph, root)
        if any(t in covered for t in types):
            return root
    return None


_COVERED: dict = {}


def _covered(graph: Graph, root) -> set:
    from kg.names import subclasses

    key = (id(graph), root)
    if key not in _COVERED:
        _COVERED[key] = subclasses(graph, root)
    return _COVERED[key]


def _names(graph: Graph, iri) -> list[str]:
    names = [str(o) for p in (RDFS.label, SKOS.altLabel) for o in graph.objects(iri, p)]
    return sorted(set(names))


def duplicates(kg, *, min_score: float = 0.6, limit: int | None = None) -> list[dict]:
    """Pairs of entities that are probably the same, best first, each with its evidence.

    Two entities of the same kind (people with people, organisations with organisations,
    chips with chips, modules with modules) are compared by every name they have, English and Chinese
    labels and aliases: a shared name, the same core name once legal-form and trade
    suffixes are dropped (:func:`core_name`: "SoftBank Group Corp" is "SoftBank"), one name
    inside the other ("Samsung" in "Samsung Electronics"), or a close spelling. Shared
    neighbours in the network add to the score. A link that makes them related but
    distinct (part of, run by) is given as counter-evidence and lowers the score below
    any same-name pair: such pairs are shown, never proposed as the same silently. So is a
    name that is the other's plus fund words ("Intel Capital", "SoftBank Vision Fund"),
    which reads as a fund or arm of the firm even before the data links them, and
    names alike but for their model numbers ("Hailo-8" / "Hailo-8L", the import's rule:
    :func:`kg.names.model_numbers`).

    Parameters
    ----------
    kg : KnowledgeGraph
    min_score : float
        Smallest score (0-1) to report.
    limit : int, optional
        At most this many pairs.

    Returns
    -------
    list of dict
        ``{"a", "b", "score", "evidence": [...], "counter_evidence": [...], "shared_neighbors": [...]}``
        with ``a`` and ``b`` as ``{"iri", "label", "class"}``.
    """
    graph, G = kg.graph, kg.network
    entities = kg.names.entities
    kinds, keys, words = {}, {}, {}
    block: dict[str, set] = {}
    for iri in entities:
        kinds[iri] = _kind(graph, set(graph.objects(iri, RDF.type)))
        if kinds[iri] == CHIPS.Product:  # a chip is never the module built on it
            kinds[iri] = entities[iri].cls
        names = _names(graph, iri)
        keys[iri] = {normalize(n): n for n in names}
        words[iri] = {core_name(n): n for n in names}
        for core in words[iri]:
            for token in core.split() if core.isascii() else [core[:2]]:
                if len(token) >= 2:
                    block.setdefault(token, set()).add(iri)
    candidates = set()
    for members in block.values():
        if len(members) <= 50:  # a word shared by very many names ("national") tells nothing
            candidates.update(combinations(sorted(members, key=str), 2))
    results = []
    for a, b in sorted(candidates, key=lambda pair: (str(pair[0]), str(pair[1]))):
        if kinds[a] is None or kinds[a] != kinds[b]:
            continue
        evidence, score, pair = _name_evidence(keys[a], keys[b], words[a], words[b])
        if not evidence:
            continue
        if score >= 0.9 and _differ(core_name(entities[a].label), core_name(entities[b].label)):
            evidence.append(f"but the main names differ: {entities[a].label!r} / {entities[b].label!r}")
            score = 0.65  # one shared name (a common Chinese name, say) against two different ones
        shared = sorted(_neighbours(G, str(a)) & _neighbours(G, str(b)))
        if shared:
            labels = [G.nodes[n]["label"] for n in shared]
            evidence.append(f"{len(shared)} shared neighbour{'s' if len(shared) > 1 else ''}: {', '.join(labels[:5])}"
                            + (f" and {len(labels) - 5} more" if len(labels) > 5 else ""))
            score = min(1.0, score + 0.05 * len(shared))
        counter = related(graph, a, b) or _arm(words[a], words[b]) or _models(pair, words[a], words[b])
        if counter:
            score = min(score, 0.5) * 0.5
        if score < min_score and not counter:
            continue
        results.append({
            "a": entities[a].as_dict(), "b": entities[b].as_dict(), "score": round(score, 3),
            "evidence": evidence, "counter_evidence": counter,
            "shared_neighbors": [str(n) for n in shared],
        })
    results.sort(key=lambda r: (-r["score"], r["a"]["label"], r["b"]["label"]))
    if min_score > 0:
        results = [r for r in results if r["score"] >= min_score or r["counter_evidence"]]
    return results[:limit] if limit else results


def named_apart(graph: Graph, a: URIRef, b: URIRef) -> list[str]:
    """Why the names of ``a`` and ``b`` read as two things, as :func:`duplicates` gives it (empty if they do not).

    A name that is the other's plus fund words reads as its fund or arm
    ("Intel Capital"); names alike but for their model numbers name two
    products ("Hailo-8" / "Hailo-8L").

    Examples
    --------
    >>> from kg import load
    >>> from kg.vocab import RES
    >>> named_apart(load().graph, RES.intel, RES["intel-capital"])
    ["'Intel Capital' reads as a fund or arm of 'Intel', not the same firm (state it with chips:subOrganizationOf)"]
    """
    names_a, names_b = _names(graph, a), _names(graph, b)
    words_a, words_b = {core_name(n): n for n in names_a}, {core_name(n): n for n in names_b}
    _, _, pair = _name_evidence({normalize(n): n for n in names_a}, {normalize(n): n for n in names_b}, words_a, words_b)
    return _arm(words_a, words_b) or _models(pair, words_a, words_b)


def _arm(core_a: dict, core_b: dict) -> list[str]:
    """A name that is the other one plus fund words reads as its fund or arm: say so, as counter-evidence."""
    for x in core_a:
        for y in core_b:
            short, long_ = sorted((x, y), key=len)
            extra = {w for w in long_[len(short):].split() if not w.isdigit()}  # "Vision Fund 2" is a fund too
            if short.isascii() and long_.startswith(short + " ") and extra and extra <= _ARM_WORDS:
                names = {**core_a, **core_b}
                return [f"{names[long_]!r} reads as a fund or arm of {names[short]!r}, not the same firm "
                        "(state it with chips:subOrganizationOf)"]
    return []


def _models(pair, core_a: dict, core_b: dict) -> list[str]:
    """Two names alike but for their model numbers name two products (the import's rule too): say so."""
    if pair is None:
        return []
    x, y = pair
    if model_numbers(x) == model_numbers(y):
        return []
    return [f"different model numbers: {core_a[x]!r} / {core_b[y]!r} name two things, not one"]


def _inside(x: str, y: str) -> bool:
    """One of two different names holds the other: as whole words, or as the start of a Chinese name."""
    short, long_ = sorted((x, y), key=len)
    if short == long_:
        return False
    return f" {short} " in f" {long_} " if short.isascii() else long_.startswith(short)


def _differ(x: str, y: str) -> bool:
    """Two main names that neither contain one another nor are spelt alike."""
    return x != y and not _inside(x, y) and difflib.SequenceMatcher(None, x, y).ratio() < 0.6


def _neighbours(G, node: str) -> set:
    if node not in G:
        return set()
    return (set(G.successors(node)) | set(G.predecessors(node))) - {node}


def _name_evidence(keys_a: dict, keys_b: dict, core_a: dict, core_b: dict) -> tuple[list[str], float, tuple | None]:
    """What the two sets of names share, in words, a score from 0 to 1, and the two core names compared
    (None when the names are the same)."""
    same = sorted(set(keys_a) & set(keys_b))
    if same:
        return [f"same name: {keys_a[same[0]]!r}" + (f" (and {len(same) - 1} more)" if len(same) > 1 else "")], 1.0, None
    same_core = sorted(set(core_a) & set(core_b))
    if same_core:
        c = same_core[0]
        return [f"same name without suffixes: {core_a[c]!r} / {core_b[c]!r}"], 0.9, None
    best, pair = 0.0, None
    for x in core_a:
        for y in core_b:
            if 2 * min(len(x), len(y)) < 0.88 * (len(x) + len(y)):  # lengths alone rule it out
                continue
            matcher = difflib.SequenceMatcher(None, x, y)
            if matcher.quick_ratio() >= 0.88 and (r := matcher.ratio()) > best:
                best, pair = r, (x, y)
    if best >= 0.88 and pair:
        return [f"close spelling: {core_a[pair[0]]!r} / {core_b[pair[1]]!r} ({best:.2f})"], round(best * 0.85, 3), pair
    for x in core_a:
        for y in core_b:
            if len(min(x, y, key=len)) >= 3 and _inside(x, y):
                return [f"name inside the other: {core_a[x]!r} / {core_b[y]!r}"], 0.6, (x, y)
    return [], 0.0, None

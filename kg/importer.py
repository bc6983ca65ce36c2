"""Import sourced facts from a research sheet (CSV, one fact per row) as Turtle ready for ``--data``.

A sheet row names a subject, a relation phrase, an object, the page it came
from and, optionally, an amount, a date, a series or role and a note::

    id,subject,relation,object,amount,currency,amount_kind,date,role_or_series,publisher,page_date,url,note
    A001,SoftBank Group Corp,acquired,Graphcore,,,undisclosed,2024-07-11,acquirer,PR Newswire,2024-07-11,https://...,Confirmed by the company

Nothing about a particular sheet is written here. What a phrase means (the
relation class, which participant the subject and object are, what the
phrase implies) is read from the statement kinds of the ontology
(``chips:StatementKind``, matched by ``rdfs:label`` and ``skos:altLabel``);
statuses, units, roles and company-name suffixes likewise. Names are matched
with the graph's name index; a name matched with low confidence, or by
several entities, stops the import until a ``subject_id``/``object_id``
column (or an ``--ids`` file) settles it.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date as _date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace

from rapidfuzz import fuzz, process
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, SKOS, XSD

from kg.errors import BadInput, DataError
from kg.i18n import SERIES_LETTER, round_name
from kg.names import expand_curie, label_of, model_numbers, normalize, subclasses
from kg.vocab import CHIPS, PREFIXES, RES, SCHEMA, SRC

__all__ = [
    "REQUIRED_COLUMNS", "OPTIONAL_COLUMNS", "Sheet", "read_sheet", "read_ids", "RowIds", "SheetVocabulary",
    "ImportPlan", "plan_import", "write_import", "phrase_key", "output_path", "phrases_by_class",
]

#: Columns every sheet must have.
REQUIRED_COLUMNS = ("id", "subject", "relation", "object", "publisher", "url")
#: Columns a sheet may have (the documented format has all of the first eight).
OPTIONAL_COLUMNS = ("amount", "currency", "amount_kind", "date", "role_or_series", "page_date", "note",
                    "quote", "quote_lang", "subject_id", "object_id", "subject_class", "object_class", "status")

AMOUNT_KINDS = ("exact", "minimum", "maximum", "approximate", "range", "undisclosed")

#: Active ISO 4217 currency codes.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF
XPF YER ZAR ZMW ZWL
""".split())

_PAREN = re.compile(r"\s*[(（]([^()（）]*)[)）]")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[-–—]\s*(\d+(?:\.\d+)?)\s*$")
#: Where a role column's parts end: "Seed – lead", "Series E, participant", "天使轮，领投" (not "Pre-Series A").
_PARTS = re.compile(r"\s+-\s+|\s*[–—,;/|:，；、：]\s*")
_SPLIT = re.compile(r"\s+(?:and|&)\s+|\s*[,;，、]\s*")
_DASH = re.compile(r"\s*[–—]\s*")
_CJK = re.compile(r"[\u3400-\u9fff]")

#: Match methods confident enough to use without asking; the others stop the import.
CONFIDENT = ("id", "exact", "alias", "qualifier", "suffix", "fuzzy", "new")
FUZZY_SURE = 0.9
#: Spellings this close (difflib's ratio) are listed as possible misspellings.
FUZZY_CUTOFF = 0.84


def phrase_key(text: str) -> str:
    """Normalise a relation phrase for lookup: case, punctuation, qualifiers in brackets and figures dropped.

    Examples
    --------
    >>> phrase_key("Valued at (press report)")
    'valued at'
    >>> phrase_key("marked down SambaNova holding 17%, implying")
    'marked down sambanova holding implying'
    """
    text = unicodedata.normalize("NFKC", _PAREN.sub(" ", text)).casefold()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(t for t in text.split() if not any(c.isdigit() for c in t))


def _qualifiers(text: str) -> list[str]:
    return [m.group(1) for m in _PAREN.finditer(text)]


def _bare(text: str) -> str:
    return " ".join(_PAREN.sub(" ", text).split())


def _head(text: str) -> str:
    """The words before the first bracket ("WSE-3 (Wafer-Scale Engine 3) in CS-3 system" -> "WSE-3")."""
    return " ".join(re.split(r"[(（]", text, maxsplit=1)[0].split())


def _slug(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:limit].strip("-")
    return slug or "x-" + hashlib.sha1(text.encode()).hexdigest()[:10]


def _local(iri) -> str:
    return re.split(r"[/#]", str(iri))[-1]


# -----------------------------------------------------------------------------
# Reading the sheet
# -----------------------------------------------------------------------------

@dataclass
class Sheet:
    """A research sheet read from CSV: its file name, columns and rows (each a dict with ``_line``)."""

    path: Path
    columns: list[str]
    rows: list[dict]

    @property
    def name(self) -> str:
        return self.path.name


def _read_csv(path, what: str) -> tuple[list[str], list[dict]]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise BadInput(f"{path}: cannot read the {what}: {e.strerror or e}") from None
    if b"\x00" in raw[:65536]:
        raise BadInput(f"{path}: not a {what}: the file is binary (save it as CSV, UTF-8)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(f"{path}: not a {what}: byte {e.start} is not UTF-8 (save it as CSV, UTF-8)") from None
    header_line = text.split("\n", 1)[0]
    # a spreadsheet saved where the decimal mark is a comma writes "id;subject;...": the header says which
    delimiter = max((",", ";", "\t"), key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BadInput(f"{path}: not a {what}: the file is empty") from None
    except csv.Error as e:
        raise BadInput(f"{path}: not a {what}: {e}") from None
    columns = [c.strip().lower() for c in header]
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(columns) if c}
            row["_line"] = reader.line_num
            rows.append(row)
    except csv.Error as e:
        raise BadInput(f"{path}:{reader.line_num}: not a {what}: {e}") from None
    return columns, rows


def read_sheet(path) -> Sheet:
    """Read a research sheet (CSV, UTF-8 with or without a byte-order mark).

    Raises
    ------
    BadInput
        The file is unreadable, binary, not UTF-8, empty, or lacks a required column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("id,subject,relation,object,publisher,url\\nR1,Intel,invested in,Groq,X,https://x\\n")
    >>> [r["subject"] for r in read_sheet(p).rows]
    ['Intel']
    >>> _ = p.write_text("id;subject;relation;object;publisher;url\\nR1;Intel;invested in;Groq;X;https://x\\n")
    >>> [r["object"] for r in read_sheet(p).rows]  # semicolons, as some spreadsheets write CSV
    ['Groq']
    >>> _ = p.write_text("id,subject,relation\\nR1,Intel,invested in\\n")
    >>> read_sheet(p)
    Traceback (most recent call last):
    kg.errors.BadInput: ...s.csv: not a research sheet: missing columns 'object', 'publisher', 'url' (required: id, subject, relation, object, publisher, url)
    """
    path = Path(path)
    columns, rows = _read_csv(path, "research sheet")
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise BadInput(f"{path}: not a research sheet: missing column{'s' if len(missing) > 1 else ''} "
                       f"{', '.join(repr(c) for c in missing)} (required: {', '.join(REQUIRED_COLUMNS)})")
    return Sheet(path, columns, rows)


def read_ids(path, sheet: Sheet) -> None:
    """Settle name matches from a side file (``id, subject_id, object_id``) without editing the sheet.

    The values are copied into the sheet's rows, by row id; a value already in
    the sheet wins. Raises :class:`BadInput` for an unknown row id or a file
    without an ``id`` column.
    """
    columns, rows = _read_csv(path, "file of ids")
    if "id" not in columns:
        raise BadInput(f"{path}: not a file of ids: missing column 'id'")
    by_id = {r.get("id", ""): r for r in sheet.rows}
    for row in rows:
        target = by_id.get(row.get("id", ""))
        if target is None:
            raise BadInput(f"{path}:{row['_line']}: column id: no row {row.get('id', '')!r} in {sheet.name}")
        for column in ("subject_id", "object_id", "subject_class", "object_class", "status"):
            if row.get(column) and not target.get(column):
                target[column] = row[column]


# -----------------------------------------------------------------------------
# Rows a note names
# -----------------------------------------------------------------------------

#: Scripts written without spaces between words (Unicode character names begin so): a letter of
#: one of them next to an id does not make it part of a longer word ("与R7矛盾" names R7).
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "HALFWIDTH KATAKANA", "HANGUL", "THAI", "LAO", "KHMER", "MYANMAR",
             "TIBETAN", "IDEOGRAPHIC")


#: Where a note's sentence ends: . ; ! or ? before a space or the end ("$2.5bn" goes on), or their full-width forms.
_SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|[。；！？\n]")


@lru_cache(maxsize=4096)
def _unspaced(char: str) -> bool:
    return unicodedata.name(char, "").startswith(_UNSPACED)


def _continues(a: str, b: str) -> bool:
    """True when ``b`` beside ``a`` makes one word with it: both letters or digits, of scripts written with spaces."""
    return a.isalnum() and b.isalnum() and not (_unspaced(a) or _unspaced(b))


class RowIds:
    """The ids of a sheet's rows, found in the words of its notes ("Conflicts with A100", "与 R7 矛盾").

    An id counts where it stands as a whole word: the characters beside it do
    not continue it (``A1000`` and ``XA100`` do not name ``A100``; in Chinese
    or Japanese, which put no spaces between words, the ideographs beside it
    never continue it). Only ids with both letters and digits are looked for:
    an id that is a bare word or a bare number could not be told from the
    note's words and figures. A word shaped like the ids (the same letters,
    any digits: ``A1000`` beside ``A001``…``A120``) that no row has is
    returned as unknown.

    Examples
    --------
    >>> ids = RowIds(["A093", "A100", "R7", "intro", "12"])
    >>> ids.find("Conflicts with A100 and A0931; see intro, row 12.")
    (['A100'], ['A0931'])
    >>> ids.find("与R7矛盾；与 A093 不同")
    (['R7', 'A093'], [])
    >>> ids.find("XA093, A093a and R77")
    ([], ['R77'])
    """

    def __init__(self, ids):
        self.ids = frozenset(i for i in ids if i)
        shapes = {re.sub(r"\d+", lambda _: r"\d+", re.escape(i)) for i in self.ids
                  if any(c.isdigit() for c in i) and any(c.isalpha() for c in i)}
        self.pattern = re.compile("|".join(sorted(shapes, key=lambda x: (-len(x), x)))) if shapes else None

    def find(self, text: str) -> tuple[list[str], list[str]]:
        """``(ids of rows, id-shaped words no row has)`` that ``text`` names, each once, in order."""
        known: dict[str, None] = {}
        unknown: dict[str, None] = {}
        if self.pattern is None:
            return [], []
        for m in self.pattern.finditer(text):
            start, end = m.span()
            if (start and _continues(text[start - 1], text[start])) or \
                    (end < len(text) and _continues(text[end - 1], text[end])):
                continue
            (known if m.group() in self.ids else unknown)[m.group()] = None
        return list(known), list(unknown)


# -----------------------------------------------------------------------------
# What the ontology says about sheets
# -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RoundWords:
    """What a row's role column says of a funding round (:meth:`SheetVocabulary.round_words`)."""

    series: str | None = None
    """The round's ``chips:series``; None when the column names no round, or several."""
    lead: bool | None = None
    """True: the investor led the round; False: took part without leading; None: not said."""
    rounds: tuple = ()
    """Every round the column names."""
    unknown: tuple = ()
    """The parts that are neither a round nor a role."""


@dataclass(frozen=True)
class Kind:
    """A statement kind of the ontology: how a row with one of its phrases becomes a node."""

    iri: URIRef
    label: str
    cls: URIRef
    subject_role: URIRef | None = None
    object_role: URIRef | None = None
    phrase_role: URIRef | None = None
    context_role: URIRef | None = None
    subject_class: URIRef | None = None
    object_class: URIRef | None = None
    date_role: URIRef = CHIPS.date
    implies_lead: bool = False
    implies_status: URIRef | None = None
    amount_bound: str | None = None
    implies: URIRef | None = None
    aspect: str | None = None
    amount_in_object: bool = False
    product_role: URIRef | None = None
    keeps_object_words: bool = False


def _true(value) -> bool:
    return value is not None and bool(value.toPython())


def _words_pattern(words) -> re.Pattern | None:
    """One pattern finding any of ``words`` as whole words, in any case, longest first (None: no words).

    A word in a script written without spaces ("矛盾") is found wherever it stands.
    """
    def whole(word: str) -> str:
        return (("" if _unspaced(word[0]) else r"(?<!\w)") + re.escape(word)
                + ("" if _unspaced(word[-1]) else r"(?!\w)"))

    words = sorted({str(w).casefold() for w in words if str(w)}, key=lambda w: (-len(w), w))
    return re.compile("|".join(whole(w) for w in words), re.IGNORECASE) if words else None


def _cues(graph: Graph, node, prop) -> re.Pattern | None:
    """One pattern finding any of the cue words ``node`` states with ``prop`` (:func:`_words_pattern`)."""
    return _words_pattern(graph.objects(node, prop))


def _cued(cues, *texts: str) -> bool:
    return cues is not None and cues.search(" ".join(t.casefold() for t in texts if t)) is not None


def _names_of(graph: Graph, node) -> list[str]:
    return [str(o) for p in (RDFS.label, SKOS.altLabel) for o in graph.objects(node, p)]


class SheetVocabulary:
    """Statement kinds, statuses, units, roles, name suffixes and class names, read from the ontology.

    Examples
    --------
    >>> from kg import load
    >>> vocab = SheetVocabulary(load().ontology)
    >>> vocab.kind("led round in (press report)").cls.endswith("Investment")
    True
    >>> vocab.kind("invests into") is None
    True
    >>> vocab.suggest("invests into")[:1]
    ['invested in']
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.phrases: dict[str, Kind] = {}
        self.kinds: list[Kind] = []
        for node in sorted(graph.subjects(RDF.type, CHIPS.StatementKind)):
            kind = self._kind(graph, node)
            self.kinds.append(kind)
            for name in _names_of(graph, node):
                key = phrase_key(name)
                other = self.phrases.setdefault(key, kind)
                if other is not kind and key:
                    raise DataError(f"ontology: the phrase {name!r} names two statement kinds: "
                                    f"{_local(other.iri)} and {_local(node)}")
        self.statuses = {}
        self.status_names: dict[str, URIRef] = {}
        for node in sorted(graph.subjects(RDF.type, CHIPS.Status)):
            rank = int(graph.value(node, CHIPS.precedence) or 99)
            self.statuses[node] = (rank, _cues(graph, node, CHIPS.cue))
            for name in _names_of(graph, node):
                self.status_names[phrase_key(name)] = node
        self.lead_cues = _cues(graph, CHIPS.isLead, CHIPS.cue)
        self.not_lead_cues = _cues(graph, CHIPS.isLead, CHIPS.falseCue)
        self.round_cues = _cues(graph, CHIPS.series, CHIPS.cue)
        self.series_words = _cues(graph, CHIPS.series, CHIPS.seriesWord)
        self._role_words: dict = {}
        self.dispute_cues = _cues(graph, CHIPS.disagreesWith, CHIPS.cue)
        self.units = {name.casefold(): node for node in graph.subjects(RDF.type, CHIPS.Unit)
                      for name in _names_of(graph, node)}
        self.roles = sorted(((phrase_key(name), node) for node in graph.subjects(RDF.type, CHIPS.Role)
                             for name in _names_of(graph, node)), key=lambda kv: (-len(kv[0]), kv[0]))
        self.suffixes = sorted({normalize(str(s)) for s in graph.objects(None, CHIPS.nameSuffix)},
                               key=lambda s: (-len(s), s))
        from kg.facts import relation_classes
        from kg.names import entity_classes

        self.relation_nouns = sorted(((normalize(n), c) for c in relation_classes(graph)
                                      for n in _names_of(graph, c)), key=lambda kv: (-len(kv[0]), kv[0]))
        self.entity_classes = {}
        for cls in entity_classes(graph):
            for name in [_local(cls)] + _names_of(graph, cls):
                self.entity_classes[normalize(name)] = cls
        self._subclasses: dict = {}
        self._ranges: dict = {}

    @staticmethod
    def _kind(graph: Graph, node) -> Kind:
        def value(prop):
            return graph.value(node, prop)

        cls = value(CHIPS.relationClass)
        if cls is None:
            raise DataError(f"ontology: statement kind {_local(node)} has no chips:relationClass")
        return Kind(
            iri=node, label=label_of(graph, node), cls=cls,
            subject_role=value(CHIPS.subjectRole), object_role=value(CHIPS.objectRole),
            phrase_role=value(CHIPS.phraseRole), context_role=value(CHIPS.contextRole),
            subject_class=value(CHIPS.subjectClass), object_class=value(CHIPS.objectClass),
            date_role=value(CHIPS.dateRole) or CHIPS.date,
            implies_lead=_true(value(CHIPS.impliesLead)),
            implies_status=value(CHIPS.impliesStatus),
            amount_bound=str(value(CHIPS.amountBound)) if value(CHIPS.amountBound) is not None else None,
            implies=value(CHIPS.implies),
            aspect=str(value(CHIPS.aspect)) if value(CHIPS.aspect) is not None else None,
            amount_in_object=_true(value(CHIPS.amountInObject)),
            product_role=value(CHIPS.productRole),
            keeps_object_words=_true(value(CHIPS.keepsObjectWords)),
        )

    def kind(self, phrase: str) -> Kind | None:
        """The statement kind a relation phrase names, or None."""
        return self.phrases.get(phrase_key(phrase))

    def suggest(self, phrase: str, n: int = 5) -> list[str]:
        """The known phrases nearest to ``phrase``, best first."""
        return difflib.get_close_matches(phrase_key(phrase), sorted(self.phrases), n=n, cutoff=0.4)

    def status(self, *texts: str) -> URIRef | None:
        """The status the cue words in ``texts`` show (lowest precedence wins), or None."""
        found = [(rank, str(node), node) for node, (rank, cues) in self.statuses.items() if _cued(cues, *texts)]
        return min(found)[2] if found else None

    def role_of(self, text: str) -> list[URIRef]:
        """The chips:Role concepts named in a role text, longest names first, without overlaps."""
        key = f" {phrase_key(text)} "
        found = []
        for name, node in self.roles:
            if name and f" {name} " in key and node not in found:
                found.append(node)
                key = key.replace(f" {name} ", " | ")
        return sorted(found)

    def series(self, text: str) -> str | None:
        """The series (``chips:series``) that the words ``text`` give a round, "" for no series, None for no round.

        A letter with a series word is the letter ("Series A", "A round", "A轮": "A"),
        as is a letter alone; other words naming a round (a series word or a
        ``chips:cue`` of ``chips:series``) are its name as written ("Seed",
        "Pre-Series A", "Series B extension", "天使轮"); a series word alone
        ("round") names a round but no series.

        Examples
        --------
        >>> from kg import load
        >>> vocab = SheetVocabulary(load().ontology)
        >>> [vocab.series(t) for t in ("Series b+", "A轮", "Series B extension", "天使轮", "Seed", "round",
        ...                            "investor")]
        ['B+', 'A', 'Series B extension', '天使轮', 'Seed', '', None]
        """
        text = " ".join(text.split())
        rest = " ".join(self.series_words.sub(" ", text).split()) if self.series_words else text
        if rest != text:
            return rest.upper() if SERIES_LETTER.fullmatch(rest.upper()) else (text if rest else "")
        if SERIES_LETTER.fullmatch(text) or _cued(self.round_cues, text):
            return text
        return None

    def round_key(self, series: str) -> str:
        """What rounds of one company named alike share: the series without series words, in any case.

        Examples
        --------
        >>> from kg import load
        >>> vocab = SheetVocabulary(load().ontology)
        >>> [vocab.round_key(t) for t in ("Seed round", "seed", "天使轮", "Series B")]
        ['seed', 'seed', '天使', 'b']
        """
        return " ".join((self.series_words.sub(" ", series) if self.series_words else series).split()).casefold()

    def round_words(self, text: str, kind: Kind) -> RoundWords:
        """What a row's role column says of the funding round: the round, whether the investor led it, the rest.

        The column's parts ("Seed – lead") are each a round (:meth:`series`), a
        role (a ``chips:cue`` or ``chips:falseCue`` of ``chips:isLead``, the name
        of a role of ``kind``) or neither, returned as ``unknown``. Words in
        brackets are qualifiers (a status, an attribution), not read here.

        Examples
        --------
        >>> from kg import load
        >>> vocab = SheetVocabulary(load().ontology)
        >>> vocab.round_words("Seed – lead (per Crunchbase)", vocab.kind("invested in"))
        RoundWords(series='Seed', lead=True, rounds=('Seed',), unknown=())
        >>> vocab.round_words("A轮，跟投", vocab.kind("投资"))
        RoundWords(series='A', lead=False, rounds=('A',), unknown=())
        >>> vocab.round_words("Series B, secondary sale", vocab.kind("invested in"))
        RoundWords(series='B', lead=None, rounds=('B',), unknown=('secondary sale',))
        """
        lead = (False if _cued(self.not_lead_cues, text) else True if _cued(self.lead_cues, text) else None)
        if kind.iri not in self._role_words:
            roles = (kind.subject_role, kind.object_role, kind.phrase_role)
            names = [n for role in roles if role is not None for n in _names_of(self.graph, role)]
            cues = [c for p in (CHIPS.cue, CHIPS.falseCue) for c in self.graph.objects(CHIPS.isLead, p)]
            self._role_words[kind.iri] = _words_pattern(names + cues)
        role_words = self._role_words[kind.iri]
        rounds: dict[str, str] = {}  # round key -> the first name it is given
        unknown = []
        for part in _PARTS.split(_bare(text)):
            words = " ".join((role_words.sub(" ", part) if role_words else part).split()).strip(" -–—")
            if words:
                series = self.series(words)
                if series is None:
                    unknown.append(words)
                elif series:
                    rounds.setdefault(self.round_key(series), series)
        named = tuple(rounds.values())
        return RoundWords(named[0] if len(named) == 1 else None, lead, named, tuple(unknown))

    def covers(self, cls) -> set:
        """``cls`` and its subclasses (the classes an entity in that role may have)."""
        if cls not in self._subclasses:
            self._subclasses[cls] = subclasses(self.graph, cls) if cls is not None else set()
        return self._subclasses[cls]

    def role_range(self, role) -> URIRef | None:
        if role not in self._ranges:
            self._ranges[role] = self.graph.value(role, RDFS.range) if role is not None else None
        return self._ranges[role]


# -----------------------------------------------------------------------------
# Matching names
# -----------------------------------------------------------------------------

@dataclass
class Match:
    """How one name of the sheet was matched: to which entity, how (method) and how sure (score)."""

    text: str
    iri: URIRef | None
    how: str
    score: float
    candidates: tuple = ()
    note: str = ""

    @property
    def confident(self) -> bool:
        return self.iri is not None and self.how in CONFIDENT


class _Matcher:
    """The graph's names plus the entities the sheet creates, with the import's match rules."""

    def __init__(self, kg, vocab: SheetVocabulary):
        self.vocab = vocab
        names = kg.names
        self.keys: dict[str, set] = defaultdict(set, {k: {URIRef(i) for i in v} for k, v in names.name_keys().items()})
        self.label: dict = {iri: e.label for iri, e in names.entities.items()}
        self.label_key = {iri: normalize(label) for iri, label in self.label.items()}
        graph = kg.graph
        self.types: dict = {iri: set(graph.objects(iri, RDF.type)) for iri in names.entities}
        self.existing = set(names.entities)
        self.words: dict[str, set] = defaultdict(set)
        self.initials: dict[tuple, list] = defaultdict(list)
        for key in self.keys:
            self._index_key(key)
        self.taken = set(self.label)
        self._graph = graph

    def _index_key(self, key: str):
        for word in key.split():
            self.words[word].add(key)
        if key:
            self.initials[key[0], model_numbers(key)].append(key)

    def add(self, iri, label: str, cls):
        self.label[iri] = label
        self.label_key[iri] = normalize(label)
        self.types[iri] = {cls}
        self.taken.add(iri)
        key = normalize(label)
        if key not in self.keys:
            self._index_key(key)
        self.keys[key].add(iri)

    def fresh_iri(self, label: str) -> URIRef:
        base = _slug(label)
        iri, n = RES[base], 1
        while iri in self.taken or self._in_use(iri):
            n += 1
            iri = RES[f"{base}-{n}"]
        return iri

    def _in_use(self, iri) -> bool:
        """True when the graph says something of ``iri`` other than a merge: a merge file beside the
        sheet's output may name the very entities this import creates, and must not move their IRIs."""
        return any(p != OWL.sameAs for p, _ in self._graph.predicate_objects(iri))

    def fits(self, iri, want) -> bool:
        return not want or bool(self.types.get(iri, set()) & want)

    def _pick(self, text, hits, how, score, want, note="") -> Match:
        hits = sorted(hits)
        fitting = [h for h in hits if self.fits(h, want)]
        if len(fitting) == 1:
            iri = fitting[0]
            if how == "exact" and normalize(text) != self.label_key.get(iri):
                how = "alias"
            return Match(text, iri, how, score, tuple(hits), note)
        if fitting:
            return Match(text, None, "ambiguous", score, tuple(fitting), "several entities have this name")
        return Match(text, None, "ambiguous", score, tuple(hits),
                     "the name belongs to an entity of another kind than this role needs")

    def match(self, text: str, want=None) -> Match | None:
        """Match ``text``; None when nothing in the graph or the sheet looks like it."""
        key, bare = normalize(text), normalize(_bare(text))
        if self.keys.get(key):
            return self._pick(text, self.keys[key], "exact", 1.0, want)
        for short, note in ((bare, "words in brackets ignored"), (normalize(_head(text)), "words after the bracket ignored")):
            if short != key and self.keys.get(short):
                return self._pick(text, self.keys[short], "qualifier", 0.95, want, note)
        stripped = bare
        changed = True
        while changed:
            changed = False
            for suffix in self.vocab.suffixes:
                if stripped.endswith(" " + suffix):
                    stripped = stripped[: -len(suffix) - 1].strip()
                    changed = True
                    if self.keys.get(stripped):
                        return self._pick(text, self.keys[stripped], "suffix", 0.95, want,
                                          f"company suffix dropped: {bare[len(stripped):].strip()!r}")
                    break
        if not bare:
            return None
        # misspellings keep the first letter and every figure ("Hailo-8L" is not "Hailo-8"); rapidfuzz's
        # ratio (longest common subsequence) is never below difflib's, so its cut-off loses no match difflib keeps
        chars, window = frozenset(bare), max(3, len(bare) // 3)
        near = process.extract(bare, self.initials.get((bare[0], model_numbers(bare)), ()), scorer=fuzz.ratio,
                               score_cutoff=FUZZY_CUTOFF * 100 - 0.01, limit=None)
        pool = [k for k, _, _ in near if abs(len(k) - len(bare)) <= window
                and len(chars & frozenset(k)) * 2 >= len(chars | frozenset(k))]
        close = difflib.get_close_matches(bare, sorted(pool), n=3, cutoff=FUZZY_CUTOFF)
        if close:
            score = round(difflib.SequenceMatcher(None, bare, close[0]).ratio(), 3)
            tied = [k for k in close if difflib.SequenceMatcher(None, bare, k).ratio() >= score - 0.02]
            match = self._pick(text, set().union(*(self.keys[k] for k in tied)), "fuzzy", score, want,
                               f"spelt {close[0]!r} in the graph")
            if match.iri is not None and score < FUZZY_SURE:
                return Match(text, None, "fuzzy", score, (match.iri,), f"close to {self.label[match.iri]!r} only")
            return match
        words = bare.split()
        containing = set.intersection(*(self.words.get(w, set()) for w in words)) if words else set()
        partial = {k for k in containing if f" {bare} " in f" {k} " and model_numbers(k) == model_numbers(bare)}
        hits = {i for k in partial for i in self.keys[k] if self.fits(i, want)}
        if hits:
            best = max(partial, key=len)
            return Match(text, None, "partial", round(len(bare) / len(best), 3), tuple(sorted(hits)),
                         "the name is part of a longer name")
        inside = self.named_inside(words, want, longest=len(words) - 1)
        if inside:
            return Match(text, None, "contained", 0.5, inside, "the text names a known entity among other words")
        return None

    def named_inside(self, words: list[str], want=None, longest: int = 6) -> tuple:
        """The entities (fitting ``want``) that the longest run of ``words`` naming any of them names."""
        inside = set()
        for size in range(min(6, longest), 0, -1):
            for i in range(len(words) - size + 1):
                hit = self.keys.get(" ".join(words[i:i + size]))
                if hit:
                    inside |= {h for h in hit if self.fits(h, want)}
            if inside:
                break
        return tuple(sorted(inside))


# -----------------------------------------------------------------------------
# Planning the import
# -----------------------------------------------------------------------------

class RowError(Exception):
    """One row cannot be imported: the column and the reason (and suggestions)."""

    def __init__(self, column: str, reason: str, suggestions=()):
        self.column, self.reason, self.suggestions = column, reason, list(suggestions)
        super().__init__(reason)


@dataclass
class _Ref:
    """A name like "SoftBank–Graphcore deal": a relation of ``cls`` between ``first`` and ``second``."""

    first: URIRef
    second: URIRef
    cls: URIRef


@dataclass
class ImportPlan:
    """What importing a sheet would do: the review, and the triples to write when nothing is ambiguous."""

    sheet: Sheet
    rows: int = 0
    mapped: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    matched: dict = field(default_factory=dict)
    new: dict = field(default_factory=dict)
    ambiguous: dict = field(default_factory=dict)
    relations: Counter = field(default_factory=Counter)
    triples: set = field(default_factory=set)
    disputes: int = 0
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row maps and no name is ambiguous."""
        return not self.skipped and not self.ambiguous

    @property
    def writable(self) -> bool:
        """True when nothing stops the import (skipped rows are reported, not written)."""
        return not self.ambiguous

    def as_dict(self) -> dict:
        """The review as JSON: rows, mapped, skipped, entities (matched, new, ambiguous), relations."""
        return {
            "rows": self.rows,
            "mapped": len(self.mapped),
            "skipped": [{k: s[k] for k in ("id", "reason", "suggestions")} for s in self.skipped],
            "entities": {
                "matched": [self.matched[k] for k in sorted(self.matched)],
                "new": [self.new[k] for k in sorted(self.new)],
                "ambiguous": [self.ambiguous[k] for k in sorted(self.ambiguous)],
            },
            "relations": dict(sorted(self.relations.items())),
            "disputes": self.disputes,
            "warnings": [{k: w[k] for k in ("id", "reason")} for w in self.warnings],
        }

    def report(self) -> dict:
        """The import report kept beside the output: the review plus which node(s) each row became."""
        return {"sheet": self.sheet.name, **self.as_dict(), "skipped": self.skipped, "warnings": self.warnings,
                "imported": self.mapped}


def _respectively(text: str, n: int) -> list[str] | None:
    """One title for each of ``n`` holders named together ("CEO and CTO (co-founders)"), in order; else None.

    Examples
    --------
    >>> _respectively("CEO and CTO (co-founders)", 2)
    ['CEO (co-founders)', 'CTO (co-founders)']
    >>> _respectively("co-founders", 2) is None
    True
    """
    parts = [p for p in _SPLIT.split(_bare(text)) if p]
    if n < 2 or len(parts) != n:
        return None
    return [p + "".join(f" ({q})" for q in _qualifiers(text)) for p in parts]


@lru_cache(maxsize=4096)
def _typed_date(text: str, column: str) -> Literal:
    m = _DATE.match(text)
    if not m:
        raise RowError(column, f"{text!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = m.groups()
    try:
        if day:
            return Literal(_date(int(year), int(month), int(day)).isoformat(), datatype=XSD.date)
        if month:
            _date(int(year), int(month), 1)
            return Literal(f"{year}-{month}", datatype=XSD.gYearMonth)
    except ValueError:
        raise RowError(column, f"{text!r} is not a real date") from None
    return Literal(year, datatype=XSD.gYear)


def _decimal(text: str) -> Literal:
    value = Decimal(text).normalize()
    return Literal(format(value, "f"), datatype=XSD.decimal)


class _Planner:
    def __init__(self, sheet: Sheet, kg, vocab: SheetVocabulary, progress=None):
        self.sheet, self.kg, self.vocab, self.progress = sheet, kg, vocab, progress
        self.plan = ImportPlan(sheet, rows=len(sheet.rows))
        self.matcher = _Matcher(kg, vocab)
        self.stem = _slug(sheet.path.stem)
        self.sources: dict[tuple, URIRef] = {}
        self.pages: set = set()
        self.rounds: dict[tuple, URIRef] = {}
        self.round_rows: set = set()
        self.pending_rounds: dict[URIRef, tuple] = {}
        self.nodes_by_parties: dict[tuple, URIRef] = {}
        self.later: list = []
        self.entity_sources: dict[URIRef, set] = defaultdict(set)
        self.new_entities: dict[URIRef, tuple] = {}
        self.match_cache: dict[tuple, Match | None] = {}
        self.none_at: dict[tuple, int] = {}

    def add(self, s, p, o):
        self.plan.triples.add((s, p, o))

    # --- names -------------------------------------------------------------------

    def _want(self, role) -> set:
        return self.vocab.covers(self.vocab.role_range(role)) if role is not None else set()

    def _new_class(self, row, side: str, kind: Kind, role) -> URIRef:
        text = row.get(f"{side}_class", "")
        if text:
            cls = self.vocab.entity_classes.get(normalize(text))
            if cls is None:
                raise RowError(f"{side}_class", f"unknown class {text!r}",
                               difflib.get_close_matches(normalize(text), sorted(self.vocab.entity_classes), n=5))
            return cls
        cls = kind.subject_class if side == "subject" else kind.object_class
        return cls or self.vocab.role_range(role) or CHIPS.Organization

    def _entity(self, row, side: str, text: str, kind: Kind, role, ids: str = "") -> URIRef:
        """The entity ``text`` names in ``role``: matched, settled by an id, or new."""
        want = self._want(role)
        if ids:
            if ids.casefold() == "new":
                return self._create(_head(text) or text, self._new_class(row, side, kind, role), row, how="new (settled by id)")
            iri = URIRef(expand_curie(ids))
            if not str(iri).startswith(("http://", "https://")):
                raise RowError(f"{side}_id", f"{ids!r} is not an IRI, a res: name or 'new'")
            if iri in self.matcher.label:
                self._record_match(Match(text, iri, "id", 1.0), row)
                return iri
            if not str(iri).startswith(str(RES)):
                raise RowError(f"{side}_id", f"no entity {ids!r} in the graph (a new entity takes a res: name)")
            return self._create(_head(text) or text, self._new_class(row, side, kind, role), row, iri=iri,
                                how="new (settled by id)")
        cache_key = (text, frozenset(want))
        match = self._match(text, want)
        if match is None:
            match = self.match_cache[cache_key] = Match(text, None, "new", 1.0)
            iri = self._create(_head(text) or _bare(text) or text, self._new_class(row, side, kind, role), row)
            match.iri = iri
            return iri
        if match.how == "new":
            self._cite(match.iri, row)
            self.plan.new[str(match.iri)]["rows"].append(row["id"])
            return match.iri
        if not match.confident:
            key = text
            entry = self.plan.ambiguous.setdefault(key, {
                "name": text, "how": match.how, "score": match.score,
                "candidates": [{"iri": str(c), "label": self.matcher.label.get(c, _local(c))} for c in match.candidates],
                "reason": match.note, "rows": [],
            })
            entry["rows"].append(row["id"])
            labels = ", ".join(self.matcher.label.get(c, _local(c)) for c in match.candidates)
            raise RowError(side, f"{text!r} is {'ambiguous' if match.how == 'ambiguous' else 'a ' + match.how + ' match'} "
                           f"({match.note}): it could be {labels}; settle it with {side}_id "
                           f"(an IRI, a res: name, or 'new')", [self.matcher.label.get(c, _local(c)) for c in match.candidates])
        self._record_match(match, row)
        return match.iri

    def _match(self, text: str, want=frozenset()) -> Match | None:
        """The matcher's answer for ``text`` in a role wanting ``want``, computed once per import."""
        key = (text, frozenset(want))
        if self.match_cache.get(key, self) is None and self.none_at.get(key) != len(self.new_entities):
            del self.match_cache[key]  # nothing matched then, but the sheet has made entities since
        if key not in self.match_cache:
            self.match_cache[key] = self.matcher.match(text, want)
            self.none_at[key] = len(self.new_entities)
        return self.match_cache[key]

    def _record_match(self, match: Match, row):
        entry = self.plan.matched.setdefault((match.text, str(match.iri)), {
            "name": match.text, "iri": str(match.iri), "label": self.matcher.label.get(match.iri, ""),
            "how": match.how, "score": match.score, "rows": [],
        })
        if match.note:
            entry["note"] = match.note
        entry["rows"].append(row["id"])
        if match.iri not in self.matcher.existing:
            self._cite(match.iri, row)

    def _create(self, label: str, cls, row, *, iri=None, how="new") -> URIRef:
        iri = iri or self.matcher.fresh_iri(label)
        if iri not in self.new_entities:
            self.matcher.add(iri, label, cls)
            self.new_entities[iri] = (label, cls)
            self.plan.new[str(iri)] = {"name": label, "iri": str(iri), "class": _local(cls), "how": how, "rows": []}
        self.plan.new[str(iri)]["rows"].append(row["id"])
        self._cite(iri, row)
        return iri

    def _cite(self, iri, row):
        if iri in self.new_entities:
            self.entity_sources[iri].add(row["_source"])

    def _reference(self, text: str) -> _Ref | None:
        parts = _DASH.split(_bare(text))
        if len(parts) != 2:
            return None
        first, rest = parts
        rest_key = normalize(rest)
        for noun, cls in self.vocab.relation_nouns:
            if noun and rest_key.endswith(" " + noun):
                words = rest.split()
                second = " ".join(words[: len(words) - len(noun.split())])
                a, b = self._match(first), self._match(second)
                if a is not None and b is not None and a.confident and b.confident:
                    return _Ref(a.iri, b.iri, cls)
                return None
        return None

    # --- rows ----------------------------------------------------------------------

    def run(self) -> ImportPlan:
        seen: dict[str, int] = {}
        for n, row in enumerate(self.sheet.rows):
            rid = row.get("id", "")
            label = rid or f"line {row['_line']}"
            try:
                if not rid:
                    raise RowError("id", "empty id")
                if rid in seen:
                    raise RowError("id", f"duplicate id {rid!r} (also on line {seen[rid]})")
                seen[rid] = row["_line"]
                kind, nodes = self._row(row)
                self.plan.mapped.append({"id": rid, "line": row["_line"], "kind": kind.label,
                                         "class": _local(kind.cls), "nodes": [str(x) for x in nodes]})
            except RowError as e:
                self.plan.skipped.append({
                    "id": label, "line": row["_line"], "column": e.column,
                    "reason": f"row {label} (line {row['_line']}), column {e.column}: {e.reason}",
                    "suggestions": e.suggestions,
                })
            if self.progress:
                self.progress(n + 1, len(self.sheet.rows))
        self._finish()
        self._disputes()
        return self.plan

    def _disputes(self):
        """Link the nodes of each row to those of the rows its note says it disagrees with.

        A note names other rows by their ids. An id counts as a dispute when
        its sentence holds a word saying so (the ``chips:cue`` words of
        ``chips:disagreesWith``: "Conflicts with A100", "与 A100 矛盾"); an id
        in a sentence without one ("Compare A101", "see A018 URL") is only a
        reference. A reference, a row named but not imported, or an
        id-shaped word no row has is a warning.
        """
        nodes = {m["id"]: [URIRef(n) for n in m["nodes"]] for m in self.plan.mapped}
        imported = {(m["id"], m["line"]) for m in self.plan.mapped}  # not the skipped second row of an id
        finder = RowIds(row.get("id", "") for row in self.sheet.rows)
        for row in self.sheet.rows:
            rid = row.get("id", "")
            if (rid, row["_line"]) not in imported or not row.get("note"):
                continue
            disputed, referenced, unknown = {}, {}, {}
            for sentence in _SENTENCE_END.split(row["note"]):
                known, strange = finder.find(sentence)
                named = disputed if _cued(self.vocab.dispute_cues, sentence) else referenced
                named.update(dict.fromkeys(i for i in known if i != rid))
                unknown.update(dict.fromkeys(strange))
            where = f"row {rid} (line {row['_line']}), column note"
            for other in (r for r in referenced if r not in disputed):
                self._warn(row, f"{where}: names row {other} with no word saying they disagree "
                                "(the chips:cue words of chips:disagreesWith); read as a reference, no dispute recorded")
            for other in disputed:
                if other not in nodes:
                    self._warn(row, f"{where}: names row {other}, which was not imported (see its reason); "
                                    "no dispute recorded")
                    continue
                for a in nodes[rid]:
                    for b in nodes[other]:
                        self.add(a, CHIPS.disagreesWith, b)
                self.plan.disputes += 1
            for word in unknown:
                self._warn(row, f"{where}: {word!r} looks like a row id, but no row of {self.sheet.name} has it; "
                                "no dispute recorded")

    def _warn(self, row, reason: str, column: str = "note"):
        self.plan.warnings.append({"id": row.get("id", ""), "line": row["_line"], "column": column, "reason": reason})

    def _row(self, row) -> tuple[Kind, list[URIRef]]:
        for column in ("subject", "relation"):
            if not row.get(column):
                raise RowError(column, f"empty {column}")
        phrase = row["relation"]
        kind, phrase_entity = self._kind(row, phrase)
        values = self._values(row, kind)
        source = self._source(row)
        row["_source"] = source
        subject_text, object_text = row["subject"], row.get("object", "")

        fill: dict[URIRef, list] = defaultdict(list)
        texts: list[tuple] = []
        context = None
        if phrase_entity is not None:
            fill[kind.phrase_role].append(self._entity(row, "relation", phrase_entity, kind, kind.phrase_role))
        for side, text in (("subject", subject_text), ("object", object_text)):
            role = kind.subject_role if side == "subject" else kind.object_role
            if phrase_entity is not None and role == kind.phrase_role and side == "object":
                role = None  # the phrase named this participant; the object column is words
            ref = self._reference(text) if text and not row.get(f"{side}_id") else None
            if ref is not None and (role is not None or kind.context_role is not None):
                if kind.context_role is not None:
                    context = ref
                    if role is not None:
                        fill[role].append(ref.second)
                    elif side == "object" and kind.subject_role not in fill:
                        fill[kind.subject_role].append(ref.second)
                else:
                    fill[kind.subject_role].append(ref.first)
                    if kind.object_role is not None:
                        fill[kind.object_role].append(ref.second)
                continue
            if role is None:
                if text and not self._already(text, fill):
                    texts.append((side, text))
                continue
            if not text:
                raise RowError(side, f"empty {side}, but {phrase!r} needs one")
            fill[role] += self._entities(row, side, text, kind, role)
            if side == "object" and kind.keeps_object_words and (extra := self._words_beyond(text, fill[role][-1])):
                texts.append((side, extra))
        if context is not None and kind.subject_role not in fill and texts and texts[-1][0] == "object":
            # "A–B deal valued at B": the object names the company the subject's deal is about
            side, text = texts.pop()
            fill[kind.subject_role].append(self._entity(row, side, text, kind, kind.subject_role))

        status = self._status(row, kind, phrase)
        subjects = fill.get(kind.subject_role, [None]) if kind.cls not in (CHIPS.Partnership,) else [None]
        titles = _respectively(row.get("role_or_series", ""), len(subjects))
        roles = [tuple(self.vocab.role_of(title)) for title in titles or ()]
        if not all(roles) or len(set(roles)) < len(roles):
            titles = None  # "co-founders and directors" is what both are, not one title each
        round_words = self._round_words(row, kind)
        nodes = []
        for i, subject in enumerate(subjects):
            node = RES[f"{self.stem}-{_slug(row['id'])}" + (f"-{i + 1}" if len(subjects) > 1 else "")]
            parts = {role: ([subject] if role == kind.subject_role and subject is not None else ents)
                     for role, ents in fill.items()}
            title = titles[i] if titles else row.get("role_or_series", "")
            self._node(node, row, kind, parts, texts, values, status, source, context, title, round_words,
                       own_title=len(subjects) == 1 or titles is not None)
            nodes.append(node)
        return kind, nodes

    def _words_beyond(self, text: str, iri) -> str:
        """The words of ``text`` besides the name of ``iri``: "TSMC 5nm (CoWoS-S packaging)" -> "5nm (CoWoS-S packaging)"."""
        keys = self.matcher.keys
        if iri in keys.get(normalize(text), ()):
            return ""
        if iri in keys.get(normalize(_head(text)), ()):
            return "; ".join(_qualifiers(text))
        words = text.split()
        for n in range(len(words) - 1, 0, -1):  # the name first: "TSMC 5nm"
            if iri in keys.get(normalize(" ".join(words[:n])), ()):
                return " ".join(words[n:])
        return text

    def _already(self, text: str, fill: dict) -> bool:
        """True when ``text`` is just the name of an entity the node already has."""
        match = self._match(text)
        return match is not None and match.confident and any(match.iri in v for v in fill.values())

    def _kind(self, row, phrase: str) -> tuple[Kind, str | None]:
        kind = self.vocab.kind(phrase)
        if kind is not None:
            return kind, None
        words = phrase_key(phrase).split()
        for size in range(min(6, len(words) - 1), 0, -1):
            for i in range(len(words) - size + 1):
                inner = " ".join(words[i:i + size])
                if not self.matcher.keys.get(inner):
                    continue
                kind = self.vocab.phrases.get(" ".join(words[:i] + words[i + size:]))
                if kind is not None and kind.phrase_role is not None:
                    original = " ".join(_PAREN.sub(" ", phrase).split())
                    found = re.search(r"\s+".join(re.escape(w) for w in inner.split()), original, re.IGNORECASE)
                    return kind, found.group(0) if found else inner
        nearest = self.vocab.suggest(phrase)
        key = phrase_key(phrase)
        tail = max((p for p in self.vocab.phrases if p and key.endswith(" " + p)), key=len, default=None)
        if tail is not None:  # "launched AI HAT+ 2 built on": a launch and what the product is built on
            raise RowError("relation", f"unknown relation phrase {phrase!r}: it ends in the known phrase {tail!r} "
                           "after other words; if they state a further fact or name a participant (a product), give "
                           "each fact its own row, else add the phrase to the ontology", [tail] + [n for n in nearest if n != tail])
        raise RowError("relation", f"unknown relation phrase {phrase!r}; nearest known: " + (", ".join(nearest) or "none"),
                       nearest)

    def _entities(self, row, side, text, kind, role) -> list[URIRef]:
        ids = row.get(f"{side}_id", "")
        if ids or side != "subject":
            return [self._entity(row, side, text, kind, role, ids)]
        whole = self._match(text, self._want(role))
        parts = [p for p in _SPLIT.split(_bare(text)) if p]
        if (whole is None or not whole.confident) and len(parts) > 1:
            matches = [self._match(p, self._want(role)) for p in parts]
            if all(m is not None and m.confident for m in matches):
                for m in matches:
                    self._record_match(m, row)
                return [m.iri for m in matches]
        return [self._entity(row, side, text, kind, role)]

    def _values(self, row, kind: Kind) -> dict:
        values = {}
        if row.get("date"):
            values["date"] = _typed_date(row["date"], "date")
        amount, how = row.get("amount", ""), row.get("amount_kind", "").casefold()
        currency = row.get("currency", "")
        if how and how not in AMOUNT_KINDS:
            raise RowError("amount_kind", f"unknown amount kind {row['amount_kind']!r} (one of: {', '.join(AMOUNT_KINDS)})",
                           difflib.get_close_matches(how, AMOUNT_KINDS))
        if how == "undisclosed":
            values["undisclosed"] = True
            return values
        if not amount:
            if how:
                raise RowError("amount", f"amount kind {how!r} but no amount")
            return values
        how = how or "exact"
        if how == "range":
            m = _RANGE.match(amount)
            if not m:
                raise RowError("amount", f"{amount!r} is not a range of numbers (LOW-HIGH, digits only)")
            low, high = Decimal(m.group(1)), Decimal(m.group(2))
            if low > high:
                raise RowError("amount", f"range {amount!r} has its low bound above its high bound")
            figures = {"minimum": m.group(1), "maximum": m.group(2)}
        else:
            if not _NUMBER.match(amount.replace(" ", "")):
                raise RowError("amount", f"{amount!r} is not a number (digits, no units or thousands separators)")
            try:
                Decimal(amount)
            except InvalidOperation:
                raise RowError("amount", f"{amount!r} is not a number") from None
            if kind.amount_bound == "maximum" and how in ("exact", "approximate"):
                how = "maximum"
            figures = {how: amount.replace(" ", "")}
        if not currency:
            raise RowError("currency", "an amount needs a currency (ISO 4217 code) or a unit "
                           f"({', '.join(sorted(self.vocab.units))})")
        unit = self.vocab.units.get(currency.casefold())
        if unit is not None:
            values["quantity"] = (figures, unit)
        elif currency.upper() in ISO_4217 and currency == currency.upper():
            values["money"] = (figures, currency)
        else:
            raise RowError("currency", f"{currency!r} is neither an ISO 4217 currency code nor a known unit",
                           difflib.get_close_matches(currency.upper(), sorted(ISO_4217), n=3)
                           + difflib.get_close_matches(currency.casefold(), sorted(self.vocab.units), n=3))
        return values

    def _status(self, row, kind: Kind, phrase: str) -> URIRef | None:
        if row.get("status"):
            status = self.vocab.status_names.get(phrase_key(row["status"]))
            if status is None:
                raise RowError("status", f"unknown status {row['status']!r}",
                               difflib.get_close_matches(phrase_key(row["status"]), sorted(self.vocab.status_names)))
            return status
        qualifiers = [q for text in (phrase, row.get("role_or_series", ""), row.get("publisher", "")) for q in _qualifiers(text)]
        return kind.implies_status or self.vocab.status(*qualifiers, row.get("note", ""))

    def _source(self, row) -> URIRef:
        url = row.get("url", "")
        if not url:
            raise RowError("url", "empty url: every fact cites its page")
        if not re.match(r"^https?://\S+$", url):
            raise RowError("url", f"{url!r} is not an http(s) URL")
        if not row.get("publisher"):
            raise RowError("publisher", "empty publisher")
        published = _typed_date(row["page_date"], "page_date") if row.get("page_date") else None
        # one source per page and publisher: "TrendForce (citing EE Times)" is not the same attribution as "TrendForce"
        key = (url, row["publisher"])
        if key in self.sources:
            return self.sources[key]
        first = url not in self.pages
        self.pages.add(url)
        short = re.sub(r"^https?://(www\.)?", "", url).split("?")[0].rstrip("/")
        digest = hashlib.sha1((url if first else f"{url}\n{row['publisher']}").encode()).hexdigest()[:6]
        iri = SRC[f"page-{_slug(short, 50)}-{digest}"]
        self.sources[key] = iri
        self.add(iri, RDF.type, CHIPS.Source)
        page = short.rsplit("/", 1)[-1][:40] if "/" in short else short
        self.add(iri, RDFS.label, Literal(f"{row['publisher']}, {row.get('page_date') or 'undated'}: {page}", lang="en"))
        self.add(iri, CHIPS.publisher, Literal(row["publisher"]))
        self.add(iri, SCHEMA.url, Literal(url, datatype=XSD.anyURI))
        if published is not None:
            self.add(iri, CHIPS.published, published)
        return iri

    def _node(self, node, row, kind: Kind, parts: dict, texts, values, status, source, context, title: str,
              round_words: RoundWords, own_title: bool):
        add = self.add
        words = " ".join(x for x in (row["subject"], row["relation"], row.get("object", "")) if x)
        lang = "zh" if _CJK.search(words) else "en"
        said, sheet_row = Literal(words, lang=lang), Literal(f"{self.sheet.name}#{row['id']}")
        add(node, RDF.type, kind.cls)
        add(node, RDFS.label, said)
        add(node, CHIPS.statement, said)
        add(node, CHIPS.sheetRow, sheet_row)
        add(node, PROV.wasDerivedFrom, source)
        if row.get("quote"):
            add(node, CHIPS.quote, Literal(row["quote"], lang=row.get("quote_lang") or lang))
        if row.get("note"):
            add(node, CHIPS.note, Literal(row["note"], lang="zh" if _CJK.search(row["note"]) else "en"))
        if status is not None:
            add(node, CHIPS.status, status)
        if kind.aspect:
            add(node, CHIPS.aspect, Literal(kind.aspect))
        for _, text in texts:
            add(node, CHIPS.place if kind.cls == CHIPS.Site else CHIPS.nature,
                Literal(text, lang="zh" if _CJK.search(text) else "en"))
        if "date" in values:
            add(node, kind.date_role, values["date"])
        if values.get("undisclosed"):
            add(node, CHIPS.amountDisclosed, Literal(False))
        self.plan.relations[_local(kind.cls)] += 1

        series = round_words.series
        company = None
        for role, entities in parts.items():
            for entity in entities:
                if kind.cls == CHIPS.Investment and role == CHIPS.investee and series:
                    company = entity
                    continue
                add(node, role, entity)
        money_node = node
        if kind.cls == CHIPS.FundingRound:
            company = (parts.get(kind.subject_role) or [None])[0]
            key = (company, self.vocab.round_key(series) if series else str(values.get("date", "")))
            if key in self.rounds and self.rounds[key] not in self.pending_rounds:
                pass  # a second source on the same round: its own claim node
            else:
                old = self.rounds.get(key)
                self.rounds[key] = node
                self.pending_rounds.pop(old, None)
                if old is not None:
                    self._retarget_round(old, node)
            if series:
                add(node, CHIPS.series, Literal(series))
        elif kind.cls == CHIPS.Investment:
            lead = True if kind.implies_lead else round_words.lead
            if lead is not None:
                add(node, CHIPS.isLead, Literal(lead))
            if company is not None:
                add(node, CHIPS.round, self._round(company, series, row, values, source))
        elif kind.cls == CHIPS.Valuation and series:
            company = (parts.get(CHIPS.company) or [None])[0]
            self.later.append(("after", node, (company, self.vocab.round_key(series))))
        elif kind.cls == CHIPS.Position:
            add(node, CHIPS.title, Literal(title, lang="en")) if title else None
            if own_title:
                for role in self.vocab.role_of(title):
                    add(node, CHIPS.role, role)
        if kind.amount_in_object:
            pass  # the amount measures what the object's words name; it stays in them
        elif "money" in values:
            figures, currency = values["money"]
            for how, figure in figures.items():
                add(money_node, _MONEY_PROPS[how], _decimal(figure))
            add(money_node, CHIPS.currency, Literal(currency))
        elif "quantity" in values:
            figures, unit = values["quantity"]
            for how, figure in figures.items():
                add(node, _QUANTITY_PROPS[how], _decimal(figure))
            add(node, CHIPS.unit, unit)
        if context is not None:
            self.later.append(("context", node, (kind.context_role, context)))
        if kind.product_role is not None and row.get("object"):
            self.later.append(("product", node, (kind.product_role, row)))
        if kind.subject_role is not None and kind.object_role is not None:
            for s in parts.get(kind.subject_role, []):
                for o in parts.get(kind.object_role, []):
                    self.nodes_by_parties.setdefault((kind.cls, s, o), node)
        if kind.implies is not None and status not in (CHIPS.Rumoured, CHIPS.Denied):
            implied = URIRef(f"{node}-{_slug(_local(kind.implies))}")
            add(implied, RDF.type, kind.implies)
            add(implied, RDFS.label, said)
            add(implied, CHIPS.statement, said)
            add(implied, CHIPS.sheetRow, sheet_row)
            add(implied, PROV.wasDerivedFrom, source)
            add(implied, CHIPS.resultOf, node)
            if status is not None:
                add(implied, CHIPS.status, status)
            if "date" in values:
                add(implied, CHIPS.start, values["date"])
            self.plan.relations[_local(kind.implies)] += 1

    def _product(self, node, role, row):
        """Link the one known product the object's words name ("Condor Galaxy 1 AI supercomputer from Cerebras")."""
        found = self.matcher.named_inside(normalize(row["object"]).split(), self._want(role))
        if len(found) == 1:
            self.add(node, role, found[0])
            self._record_match(Match(row["object"], found[0], "contained", 0.5, note="a product the object names"), row)

    def _round_words(self, row, kind: Kind) -> RoundWords:
        """What the role column says of the row's funding round; a warning for each part that is neither round nor role.

        A valuation's role column may say what is valued ("deal value") as
        well as the round it follows: only its round is read, without warnings.
        """
        text = row.get("role_or_series", "")
        if not text or kind.cls not in (CHIPS.Investment, CHIPS.FundingRound, CHIPS.Valuation):
            return RoundWords()
        said = self.vocab.round_words(text, kind)
        if kind.cls == CHIPS.Valuation:
            return said
        where = f"row {row['id']} (line {row['_line']}), column role_or_series"
        without = "the investment is recorded without a round" if kind.cls == CHIPS.Investment else \
            "the round is recorded without a series"
        if len(said.rounds) > 1:
            self._warn(row, f"{where}: {text!r} names more than one round "
                            f"({', '.join(round_name(r) for r in said.rounds)}); {without}", "role_or_series")
        for words in said.unknown:
            quoted = repr(words) if words == text else f"{words!r} in {text!r}"
            self._warn(row, f"{where}: {quoted} is neither a round (Series A, Seed, 天使轮: a "
                            "chips:seriesWord or chips:cue of chips:series) nor a role (lead, participant: "
                            "a chips:cue or chips:falseCue of chips:isLead) that kg import knows; "
                            + (f"ignored, the round is {round_name(said.series)!r}" if said.series else without),
                       "role_or_series")
        return said

    def _round(self, company, series, row, values, source) -> URIRef:
        key = (company, self.vocab.round_key(series))
        if key not in self.rounds:
            node = RES[f"{self.stem}-round-{_local(company)}-{_slug(series.replace('+', ' plus '))}"]
            self.rounds[key] = node
            self.pending_rounds[node] = (company, series, row, values, source)
        return self.rounds[key]

    def _retarget_round(self, old, new):
        for s, p, o in [t for t in self.plan.triples if t[2] == old and t[1] == CHIPS.round]:
            self.plan.triples.discard((s, p, o))
            self.plan.triples.add((s, p, new))

    def _finish(self):
        for node, (company, series, row, values, source) in sorted(self.pending_rounds.items()):
            words = f"{self.matcher.label.get(company, _local(company))} funding round ({round_name(series)})"
            self.add(node, RDF.type, CHIPS.FundingRound)
            self.add(node, RDFS.label, Literal(words, lang="en"))
            self.add(node, CHIPS.statement, Literal(f"{row['subject']} {row['relation']} {row['object']} "
                                                    f"({row['role_or_series']})", lang="en"))
            self.add(node, CHIPS.sheetRow, Literal(f"{self.sheet.name}#{row['id']}"))
            self.add(node, PROV.wasDerivedFrom, source)
            self.add(node, CHIPS.fundedCompany, company)
            self.add(node, CHIPS.series, Literal(series))
            if "date" in values:
                self.add(node, CHIPS.date, values["date"])
            self.plan.relations["FundingRound"] += 1
        dates = {t[0]: t[2] for t in self.plan.triples if t[1] == CHIPS.date}
        for investment, _, rnd in [t for t in self.plan.triples if t[1] == CHIPS.round]:
            if investment in dates and dates[investment] == dates.get(rnd):
                self.plan.triples.discard((investment, CHIPS.date, dates[investment]))  # the round's date says it
        for what, node, arg in self.later:
            if what == "after":
                target = self.rounds.get(arg)
                if target is not None:
                    self.add(node, CHIPS.afterRound, target)
            elif what == "product":
                self._product(node, *arg)
            else:
                role, ref = arg
                target = self.nodes_by_parties.get((ref.cls, ref.first, ref.second))
                if target is not None:
                    self.add(node, role, target)
        for iri, (label, cls) in self.new_entities.items():
            self.add(iri, RDF.type, cls)
            self.add(iri, RDFS.label, Literal(label, lang="en"))
            if _CJK.search(label):
                self.add(iri, RDFS.label, Literal(label, lang="zh"))
            for source in self.entity_sources[iri]:
                self.add(iri, PROV.wasDerivedFrom, source)


_MONEY_PROPS = {"exact": CHIPS.amount, "minimum": CHIPS.minimumAmount, "maximum": CHIPS.maximumAmount,
                "approximate": CHIPS.approximateAmount}
_QUANTITY_PROPS = {"exact": CHIPS.quantity, "minimum": CHIPS.minimumQuantity, "maximum": CHIPS.maximumQuantity,
                   "approximate": CHIPS.approximateQuantity}


def plan_import(sheet: Sheet, kg, *, progress=None) -> ImportPlan:
    """Map every row of ``sheet`` onto the ontology and the entities of ``kg``; write nothing.

    Parameters
    ----------
    sheet : Sheet
        From :func:`read_sheet`.
    kg : KnowledgeGraph
        The graph whose names the sheet's names are matched with (load it
        without the file this sheet's import would replace).
    progress : callable, optional
        Called as ``progress(done, total)`` after each row.

    Returns
    -------
    ImportPlan
        ``plan.as_dict()`` is the review; ``plan.triples`` what would be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from kg import load
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_text("id,subject,relation,object,date,publisher,url\\n"
    ...                  "R1,Intel Corp.,led round in,Groq,2024-08,Example News,https://example.org/a\\n")
    >>> review = plan_import(read_sheet(p), load()).as_dict()
    >>> review["mapped"], [(m["label"], m["how"]) for m in review["entities"]["matched"]]
    (1, [('Groq', 'exact'), ('Intel', 'suffix')])
    """
    vocab = SheetVocabulary(getattr(kg, "ontology", kg.graph))
    return _Planner(sheet, kg, vocab, progress).run()


# -----------------------------------------------------------------------------
# Writing
# -----------------------------------------------------------------------------

_PREFIX_ORDER = ("chips", "res", "src", "prov", "rdfs", "schema", "xsd")


def _n3(term) -> str:
    if isinstance(term, URIRef):
        text = str(term)
        for prefix in _PREFIX_ORDER:
            ns = PREFIXES[prefix]
            if text.startswith(ns) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", text[len(ns):]):
                return f"{prefix}:{text[len(ns):]}"
        if term == RDF.type:
            return "a"
        return f"<{text}>"
    text = str(term).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if term.language:
        return f'"{text}"@{term.language}'
    if term.datatype is not None and term.datatype != XSD.string:
        if term.datatype == XSD.boolean:
            return text
        return f'"{text}"^^{_n3(term.datatype)}'
    return f'"{text}"'


def _turtle(triples, header: str) -> str:
    """Turtle for ``triples``: subjects in IRI order, rdf:type then rdfs:label then the rest, byte-stable."""
    terms: dict = {}

    def n3(term) -> str:
        text = terms.get(term)
        if text is None:
            text = terms[term] = _n3(term)
        return text

    first = {RDF.type: 0, RDFS.label: 1}
    predicates: dict = {}  # predicate -> (rank, IRI, as written)
    by_subject: dict = defaultdict(list)
    for s, p, o in triples:
        key = predicates.get(p)
        if key is None:
            key = predicates[p] = (first.get(p, 2), str(p), "a" if p == RDF.type else _n3(p))
        by_subject[s].append((key[0], key[1], n3(o), key[2]))
    lines = [header, "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in _PREFIX_ORDER)]
    for subject in sorted(by_subject, key=str):
        body, last = [], None
        for _, _, o, p in sorted(by_subject[subject]):
            if p == last:
                body[-1] += f" ,\n        {o}"
            else:
                body.append(f"    {p} {o}")
                last = p
        lines.append(f"{_n3(subject)}\n" + " ;\n".join(body) + " .\n")
    return "\n".join(lines)


def output_path(out_dir, sheet_path) -> Path:
    """The Turtle file an import of ``sheet_path`` writes (and replaces) in ``out_dir``."""
    return Path(out_dir) / f"{Path(sheet_path).stem}.ttl"


def _shape_problems(triples, kg) -> list[tuple]:
    """(focus, path, message) of each shape the new nodes break, checked without the rest of the graph.

    The new triples, plus the types of the existing nodes they point to, are
    enough for every shape on the new nodes. :mod:`kg.shapes_check` evaluates
    them in a fraction of pyshacl's time; pyshacl is the fallback for shapes
    that use other SHACL components.
    """
    from kg import shapes_check

    def types_of(node):
        return kg.graph.objects(node, RDF.type)

    if shapes_check.supported(kg.shapes):
        return [(_n3(URIRef(p.focus)), _n3(URIRef(p.path)) if p.path else "", p.message)
                for p in shapes_check.check(triples, kg.shapes, kg.ontology, types_of)]
    from kg.bundled import ONTOLOGY
    from kg.loader import parse_file
    from kg.validation import validate
    from kg.vocab import bind_prefixes

    graph = bind_prefixes(Graph())
    graph += parse_file(ONTOLOGY)
    mine_nodes = {t[0] for t in triples}
    for triple in triples:
        graph.add(triple)
    for other in {o for _, _, o in triples if isinstance(o, URIRef) and o not in mine_nodes}:
        for cls in types_of(other):
            graph.add((other, RDF.type, cls))
    report = validate(SimpleNamespace(graph=graph, shapes=kg.shapes))
    mine = {_n3(s) for s in mine_nodes} | {str(s) for s in mine_nodes}
    return [(v.focus, v.path, v.message) for v in report.violations if v.focus in mine]


def write_import(plan: ImportPlan, kg, out_dir) -> list[Path]:
    """Validate the plan's triples with the graph against the shapes, then write them atomically.

    Writes ``OUT/<sheet>.ttl`` (the facts, byte-stable for the same sheet and
    graph) and ``OUT/<sheet>.import.json`` (the import report), making the
    folder ``OUT`` (and its parents) when it does not exist. Only this
    sheet's files are replaced.

    Raises
    ------
    BadInput
        Names in the sheet are still ambiguous, or ``OUT`` is a file or cannot be made or written.
    DataError
        The facts would not conform to the shapes (nothing is written).
    """
    from kg.export import atomic_write, make_folder

    if not plan.writable:
        names = ", ".join(sorted(plan.ambiguous))
        raise BadInput(f"nothing written: settle the ambiguous names first ({names}) with subject_id/object_id")
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise BadInput(f"{out_dir}: not a folder")
    problems = _shape_problems(plan.triples, kg)
    if problems:
        first = problems[0]
        raise DataError(f"the import would not conform to the shapes ({len(problems)} problem(s)); "
                        f"first: {first[0]} {first[1]}: {first[2]}")
    header = (f"# Imported by `kg import` from {plan.sheet.name}: {len(plan.mapped)} of {plan.rows} rows.\n"
              "# Do not edit by hand: change the sheet and import it again.\n")
    make_folder(out_dir)  # only now: facts that break the shapes leave no folder behind
    ttl = output_path(out_dir, plan.sheet.path)
    report_path = out_dir / f"{plan.sheet.path.stem}.import.json"
    written = [atomic_write(ttl, _turtle(plan.triples, header)),
               atomic_write(report_path, json.dumps(plan.report(), ensure_ascii=False, indent=2) + "\n")]
    return written


def phrases_by_class(graph: Graph) -> dict[str, list[str]]:
    """Every relation phrase the ontology knows, by the relation class it makes (for the README).

    Examples
    --------
    >>> from kg import load
    >>> phrases_by_class(load().ontology)["Acquisition"][:2]
    ['acquired', 'acquires']
    """
    found: dict[str, list[str]] = {}
    for kind in SheetVocabulary(graph).kinds:
        names = [kind.label] + sorted(str(a) for a in graph.objects(kind.iri, SKOS.altLabel))
        found.setdefault(_local(kind.cls), []).extend(names)
    return dict(sorted(found.items()))


if __name__ == "__main__":  # python -m kg.importer: the phrase list of the README's "Add facts"
    from kg.loader import load

    for cls, names in phrases_by_class(load().ontology).items():
        print(f"- **{cls}**: " + ", ".join(f"`{n}`" for n in names))

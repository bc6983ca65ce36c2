"""Write synthetic, ontology-conformant chip-industry data of any size, deterministically.

The generated graph has the shape of the real one: start-ups and incumbents,
founders and employees with careers across firms and universities, investment
firms with heavy-tailed portfolios (a few mega-funds back thousands of rounds),
funding rounds as n-ary nodes with series, amounts and dates, one
``chips:Investment`` per investor, post-money valuations, acquisitions, chips
made by foundries on process nodes, and customer deployments. Every entity has
``rdfs:label`` in English and Chinese and cites a ``chips:Source``; every
relation node keeps a Chinese ``chips:quote``. The Turtle is written directly
as text, streaming, so 5M triples take well under a minute, and the bytes
depend only on ``companies`` and ``seed``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from kg.vocab import turtle_prefixes
from kg.errors import BadInput
from kg.export import make_folder

__all__ = ["SynthStats", "synthesize", "companies_for", "TRIPLES_PER_COMPANY", "FILE_NAME"]

#: Average number of triples written per company (measured; used to size a run).
TRIPLES_PER_COMPANY = 215

#: The file :func:`synthesize` writes inside the output folder.
FILE_NAME = "synthetic.ttl"

_PREFIXES = turtle_prefixes("chips", "res", "src", "prov", "rdfs", "xsd") + "\n"

_SYL = ("ar", "ba", "cor", "da", "el", "fi", "ga", "hex", "io", "ka", "lu", "ma", "nex", "or",
        "pi", "qua", "ra", "si", "ta", "ul", "ve", "wa", "xi", "yo", "zen", "tron", "vi", "lum")
_SUFFIX = ("Semi", "Systems", "Micro", "Silicon", "Labs", "Compute", "Devices", "AI")
_SUFFIX_ZH = ("半导体", "系统", "微电子", "硅科技", "实验室", "计算", "科技", "智能")
_ZH = "芯智微算科华海光天星云睿思达恒源创新锐晶联信通达航宇"
_FIRST = ("Alex", "Ben", "Chen", "Dana", "Eli", "Fang", "Grace", "Hui", "Ivan", "Jun", "Kai", "Lena",
          "Ming", "Nora", "Omar", "Priya", "Qing", "Rui", "Sara", "Tao", "Uma", "Victor", "Wei", "Xin",
          "Yan", "Zoe")
_LAST = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Smith", "Johnson", "Lee",
         "Kim", "Park", "Patel", "Garcia", "Müller", "Rossi", "Tanaka", "Sato", "Nguyen", "Cohen",
         "Brown", "Davis", "Wilson", "Moore", "Taylor")
_SURNAME_ZH = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN_ZH = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"
_FUND_WORDS = ("Capital", "Ventures", "Partners", "Fund", "Investment", "Growth")
_FUND_ZH = ("资本", "创投", "合伙", "基金", "投资", "成长")
_NODES = (3, 5, 7, 10, 12, 14, 16, 22, 28, 40)
_SERIES = ("Seed", "A", "B", "C", "D", "E", "F")
_SERIES_SIZE = (3e6, 20e6, 60e6, 150e6, 300e6, 500e6, 800e6)
_ROLES = ("Employee", "Employee", "Employee", "SeniorVicePresident", "GeneralManager", "Researcher")


@dataclass
class SynthStats:
    """What :func:`synthesize` wrote: the file, how many triples, entities and relations."""

    path: Path
    triples: int
    entities: int
    relations: int
    companies: int
    seed: int

    def as_dict(self) -> dict:
        return {"path": str(self.path), "triples": self.triples, "entities": self.entities,
                "relations": self.relations, "companies": self.companies, "seed": self.seed}


def companies_for(triples: int) -> int:
    """How many companies give about ``triples`` triples.

    Examples
    --------
    >>> companies_for(1_000_000)
    4651
    """
    return max(10, int(triples // TRIPLES_PER_COMPANY))


class _Writer:
    """Collects Turtle statements, counting triples, flushing to a file in blocks."""

    def __init__(self, handle):
        self.handle = handle
        self.lines: list[str] = []
        self.triples = 0

    def stmt(self, subject: str, pairs: list[tuple[str, str]]):
        body = " ;\n    ".join(f"{p} {o}" for p, o in pairs)
        self.lines.append(f"{subject} {body} .\n")
        self.triples += sum(o.count(" , ") + 1 for _, o in pairs)

    def flush(self):
        self.handle.write("".join(self.lines))
        self.lines.clear()


def _q(text: str, lang: str | None = None) -> str:
    return f'"{text}"@{lang}' if lang else f'"{text}"'


class _Names:
    """Unique English names built from syllables, with Chinese counterparts."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: set[str] = set()

    def unique(self, make) -> tuple[str, str]:
        en, zh = make()
        base, n = en, 2
        while en in self.seen:
            en, n = f"{base} {n}", n + 1
        self.seen.add(en)
        return en, zh

    def company(self):
        r = self.rng
        word = "".join(r.choice(_SYL) for _ in range(r.randint(2, 3))).capitalize()
        i = r.randrange(len(_SUFFIX))
        zh = "".join(r.choice(_ZH) for _ in range(2)) + _SUFFIX_ZH[i]
        return self.unique(lambda: (f"{word} {_SUFFIX[i]}", zh))

    def person(self):
        r = self.rng
        en = f"{r.choice(_FIRST)} {r.choice(_LAST)}"
        zh = r.choice(_SURNAME_ZH) + "".join(r.choice(_GIVEN_ZH) for _ in range(r.randint(1, 2)))
        return self.unique(lambda: (en, zh))

    def fund(self):
        r = self.rng
        word = "".join(r.choice(_SYL) for _ in range(2)).capitalize()
        i = r.randrange(len(_FUND_WORDS))
        zh = "".join(r.choice(_ZH) for _ in range(2)) + _FUND_ZH[i]
        return self.unique(lambda: (f"{word} {_FUND_WORDS[i]}", zh))


def _date(rng: random.Random, year: int) -> str:
    return f'"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"^^xsd:date'


def _year(year: int) -> str:
    return f'"{year}"^^xsd:gYear'


def synthesize(out_dir, companies: int, *, seed: int = 0, progress=None) -> SynthStats:
    """Write ``out_dir/synthetic.ttl``: a synthetic graph of ``companies`` companies.

    About :data:`TRIPLES_PER_COMPANY` triples per company are written; the
    file is written to a temporary name and moved into place when complete.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing).
    companies : int
        Number of companies (at least 10); everything else scales with it.
    seed : int
        Random seed; the same ``companies`` and ``seed`` give the same bytes.
    progress : callable, optional
        Called as ``progress(done, total)`` while companies are written.

    Returns
    -------
    SynthStats

    Raises
    ------
    BadInput
        If ``companies`` is below 10 or ``out_dir`` is not a writable folder.

    Examples
    --------
    >>> import tempfile
    >>> stats = synthesize(tempfile.mkdtemp(), 20, seed=1)
    >>> stats.path.name, stats.companies, stats.triples > 20 * 50
    ('synthetic.ttl', 20, True)
    """
    if companies < 10:
        raise BadInput(f"companies must be at least 10, got {companies}")
    out = make_folder(out_dir)
    target = out / FILE_NAME
    tmp = out / f".{FILE_NAME}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            stats = _generate(handle, companies, seed, progress)
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise BadInput(f"{target}: cannot write: {e.strerror or e}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stats.path = target
    return stats


def _generate(handle, n_companies: int, seed: int, progress) -> SynthStats:
    rng = random.Random(seed)
    names = _Names(rng)
    w = _Writer(handle)
    handle.write(f"# Synthetic chips-kg data: {n_companies} companies, seed {seed}. Generated by `kg synth`.\n")
    handle.write(_PREFIXES)
    entities = relations = 0

    n_sources = max(3, min(50, n_companies // 200))
    for s in range(n_sources):
        w.stmt(f"src:synth-{s}", [
            ("a", "chips:Source"), ("rdfs:label", _q(f"Synthetic industry report {s + 1}", "en")),
            ("chips:publisher", _q("chips-kg synth")), ("chips:published", _date(rng, 2015 + s % 10)),
        ])

    def src() -> str:
        return f"src:synth-{rng.randrange(n_sources)}"

    def entity(iri, cls, en, zh, extra=()):
        nonlocal entities
        entities += 1
        w.stmt(iri, [("a", cls), ("rdfs:label", f"{_q(en, 'en')} , {_q(zh, 'zh')}"),
                     ("prov:wasDerivedFrom", src()), *extra])

    rel_counter = 0

    def relation(cls, pairs, quote):
        nonlocal relations, rel_counter
        relations += 1
        rel_counter += 1
        iri = f"res:r{rel_counter}-{cls[6:].lower()}"
        w.stmt(iri, [("a", cls), *pairs, ("chips:quote", _q(quote, "zh")), ("prov:wasDerivedFrom", src())])
        return iri

    # Process nodes, foundries, universities, investment firms.
    for nm in _NODES:
        entity(f"res:node-{nm}nm", "chips:ProcessNode", f"{nm} nm", f"{nm}纳米", [("chips:nanometres", f"{nm}.0")])
    n_foundries = max(3, n_companies // 400)
    foundries = []
    for f in range(n_foundries):
        en, zh = names.company()
        iri = f"res:foundry-{f}"
        foundries.append(iri)
        entity(iri, "chips:Foundry", en + " Foundry", zh + "代工", [("chips:foundingDate", _year(1980 + f % 30))])
    n_unis = max(3, n_companies // 100)
    unis = []
    for u in range(n_unis):
        en, zh = names.company()
        iri = f"res:university-{u}"
        unis.append(iri)
        entity(iri, "chips:University", f"University of {en.split()[0]}", zh.rstrip("科技") + "大学")
    n_funds = max(5, n_companies // 4)
    funds = []
    for i in range(n_funds):
        en, zh = names.fund()
        iri = f"res:fund-{i}"
        funds.append(iri)
        entity(iri, "chips:InvestmentFirm", en, zh, [("chips:foundingDate", _year(1970 + rng.randrange(50)))])
    w.flush()

    # Companies: 8% incumbents (big employers, customers, acquirers), the rest start-ups.
    n_incumbents = max(2, n_companies * 8 // 100)
    company_names = [names.company() for _ in range(n_companies)]
    incumbents = [f"res:company-{i}" for i in range(n_incumbents)]
    people_pool: list[str] = []  # founders who later invest as angels
    person_counter = 0

    def new_person(extra=()):
        nonlocal person_counter
        en, zh = names.person()
        iri = f"res:person-{person_counter}"
        person_counter += 1
        entity(iri, "chips:Person", en, zh, extra)
        return iri, en, zh

    def fund_pick() -> str:
        # Heavy tail: u**3 concentrates picks on the first few funds (mega-funds).
        return funds[min(n_funds - 1, int(n_funds * rng.random() ** 3))]

    for i in range(n_companies):
        iri = f"res:company-{i}"
        en, zh = company_names[i]
        incumbent = i < n_incumbents
        founded = rng.randint(1968, 1999) if incumbent else rng.randint(2000, 2022)
        entity(iri, "chips:Company" if incumbent else "chips:Startup", en, zh, [
            ("chips:foundingDate", _year(founded)),
            ("chips:headquarters", f"{_q('Hsinchu' if i % 3 == 0 else 'San Jose', 'en')} , "
                                   f"{_q('新竹' if i % 3 == 0 else '圣何塞', 'zh')}"),
        ])

        # Founders (start-ups), with a founding and a chief-executive position.
        founders = []
        if not incumbent:
            for f in range(rng.choice((1, 1, 2, 2, 3))):
                p, pen, pzh = new_person([("chips:careerStart", _year(founded - rng.randint(5, 25)))])
                founders.append(p)
                relation("chips:Founding", [("chips:founder", p), ("chips:foundedOrganization", iri),
                                            ("chips:date", _year(founded))], f"{pzh}于{founded}年创立{zh}")
                relation("chips:Position", [("chips:holder", p), ("chips:organization", iri),
                                            ("chips:role", "chips:ChiefExecutive" if f == 0 else "chips:ChiefTechnologyOfficer"),
                                            ("chips:start", _year(founded))], f"{pzh}担任{zh}高管")
                # Careers: founders came from incumbents or universities.
                past = rng.choice(incumbents) if rng.random() < 0.7 else rng.choice(unis)
                relation("chips:Position", [("chips:holder", p), ("chips:organization", past),
                                            ("chips:role", "chips:Professor" if past.startswith("res:univ") else "chips:Employee"),
                                            ("chips:start", _year(founded - rng.randint(3, 12))),
                                            ("chips:end", _year(founded))], f"{pzh}曾任职")
            people_pool.extend(founders)

        # Employees with careers at one or two other firms.
        for _ in range(rng.randint(2, 6) if not incumbent else rng.randint(4, 10)):
            p, pen, pzh = new_person()
            start = max(founded, 2000) + rng.randint(0, 5)
            relation("chips:Position", [("chips:holder", p), ("chips:organization", iri),
                                        ("chips:role", f"chips:{rng.choice(_ROLES)}"),
                                        ("chips:start", _year(start))], f"{pzh}加入{zh}")
            for _ in range(rng.choice((0, 1, 1, 2))):
                other = rng.choice(incumbents) if rng.random() < 0.6 else f"res:company-{rng.randrange(max(1, i))}"
                if other != iri:
                    relation("chips:Position", [("chips:holder", p), ("chips:organization", other),
                                                ("chips:role", "chips:Employee"),
                                                ("chips:end", _year(start))], f"{pzh}此前任职")

        if not incumbent:
            # Funding rounds, one investment per investor, lead first.
            year = founded
            for r in range(rng.choice((0, 1, 1, 2, 2, 3, 3, 4, 5, 6))):
                year = min(2024, year + rng.randint(1, 3))
                size = _SERIES_SIZE[r] * (0.4 + rng.random() * 1.6)
                amount = int(size / 100_000) * 100_000 or 100_000
                pairs = [("chips:fundedCompany", iri), ("chips:series", _q(_SERIES[r])),
                         ("chips:amount", f"{amount}.0"), ("chips:currency", _q("USD")),
                         ("chips:date", _date(rng, year))]
                if r >= 2:
                    valuation = relation("chips:Valuation", [
                        ("chips:company", iri), ("chips:amount", f"{amount * rng.randint(4, 12)}.0"),
                        ("chips:currency", _q("USD")), ("chips:date", _year(year))], f"{zh}估值")
                    pairs.append(("chips:resultingValuation", valuation))
                rnd = relation("chips:FundingRound", pairs, f"{zh}完成{_SERIES[r]}轮融资")
                backers = {fund_pick() for _ in range(rng.randint(1, 6))}
                if people_pool and rng.random() < 0.15:
                    angel = rng.choice(people_pool)
                    if angel not in founders:
                        backers.add(angel)
                for n, investor in enumerate(sorted(backers)):
                    inv = [("chips:investor", investor), ("chips:round", rnd)]
                    if n == 0:
                        inv.append(("chips:isLead", "true"))
                    relation("chips:Investment", inv, f"{zh}获得投资")

            # Chips from foundries on process nodes; customers deploying them.
            chip_iris = []
            for c in range(rng.choice((0, 1, 1, 2))):
                chip = f"{iri}-chip-{c}"
                chip_iris.append(chip)
                entity(chip, "chips:Chip", f"{en} X{c + 1}", f"{zh}X{c + 1}芯片", [
                    ("chips:developer", iri), ("chips:foundry", rng.choice(foundries)),
                    ("chips:processNode", f"res:node-{rng.choice(_NODES)}nm"),
                    ("chips:releaseDate", _year(min(2024, founded + 2 + c))),
                    ("chips:transistorCount", str(rng.randint(1, 900) * 100_000_000)),
                ])
            if rng.random() < 0.6:
                pairs = [("chips:customer", rng.choice(incumbents)), ("chips:supplier", iri),
                         ("chips:start", _year(min(2024, founded + 3)))]
                if chip_iris:
                    pairs.append(("chips:product", chip_iris[0]))
                relation("chips:Deployment", pairs, f"{zh}的芯片被客户部署")
            if rng.random() < 0.05:
                relation("chips:Acquisition", [
                    ("chips:acquirer", rng.choice(incumbents)), ("chips:acquiredOrganization", iri),
                    ("chips:date", _year(min(2024, founded + rng.randint(3, 10)))),
                    ("chips:amount", f"{rng.randint(50, 5000) * 1_000_000}.0"), ("chips:currency", _q("USD"))],
                    f"{zh}被收购")
            if rng.random() < 0.1:
                relation("chips:Partnership", [("chips:partner", f"{iri} , {rng.choice(foundries)}")],
                         f"{zh}与代工厂合作")

        if i % 64 == 63 or i == n_companies - 1:
            w.flush()
            if progress is not None:
                progress(i + 1, n_companies)
    w.flush()
    return SynthStats(Path(), w.triples, entities, relations, n_companies, seed)

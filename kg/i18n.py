"""Answers in English or Chinese: the one language setting that sentence and label functions take.

Names and relation phrases come from the data and the ontology (``rdfs:label``
in each language, ``chips:phrase`` for how a relation reads); this module
holds only the few fixed words that join them (dates, sums, "and", "lead")
and the words of the command line's own output.

Every function that writes a sentence for people takes ``lang`` ("en" or
"zh", checked by :func:`check_lang`); English is the default everywhere.
"""

from __future__ import annotations

import re
from decimal import Decimal

from kg.errors import BadInput

__all__ = ["LANGS", "check_lang", "word", "join", "listed", "when", "money", "round_name", "phrase", "node_label",
           "class_label", "status_label", "kind_label", "edge_sentence", "SERIES_LETTER"]

#: The languages answers can be given in.
LANGS = ("en", "zh")

_ALIASES = {"en": "en", "english": "en", "英文": "en", "zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "cn": "zh",
            "chinese": "zh", "中文": "zh"}

#: Fixed words, by language. English is the key's own text when absent.
_WORDS = {
    "zh": {
        "and": "和",
        "lead": "领投",
        " (lead)": "（领投）",
        "lead investor": "领投方",
        "Series {}": "{}轮",
        "{} raised a funding round": "{}完成一轮融资",
        "investors: {}": "投资方：{}",
        "post-money valuation {}": "投后估值{}",
        "total raised {}": "累计融资{}",
        "{} valued at {}": "{}估值{}",
        "{} had raised {}": "{}累计融资{}",
        "an undisclosed sum": "未披露金额",
        "in {} rounds": "共{}轮",
        "{} had raised money in {} rounds (total not stated)": "{}已完成{}轮融资（总额未说明）",
        " as {}": "，职务：{}",
        "title “{}”": "头衔“{}”",
        "from {}": "自{}起",
        "until {}": "至{}",
        "{} – {}": "{}至{}",
        "{} round": "{}轮次",
        "Correction: the source says “{}”": "勘误：来源写作“{}”",
        "; read “{}”": "；应为“{}”",
        # the parts of a relation's sentence (the import's figures, deals and statuses)
        "sum not disclosed": "金额未披露",
        "{}–{}": "{}至{}",
        "about {}": "约{}",
        "more than {}": "超过{}",
        "up to {}": "最多{}",
        "deal: {}": "交易：{}",
        "stated by {}": "据{}所述",
        "denied by {}": "{}否认",
        "mark by {}": "估值方：{}",
        "subsidiary of {} (acquired {})": "{}的子公司（{}收购）",
        "subsidiary of {} (acquired)": "{}的子公司（已收购）",
        "part of {}": "隶属{}",
        "; ": "；",
        "independent (no acquisition or parent stated)": "独立（未见收购或母公司）",
        # disputed facts (kg conflicts, kg settle)
        "stated": "未说明",
        "normal": "普通",
        "preferred": "首选",
        "deprecated": "弃用",
        "{}: {}": "{}：{}",
        "{} {}: {}": "{}{}：{}",
        "stated on the entity: which source gave which value is not recorded": "记在实体上：未记录哪个来源给出哪个值",
        "No disputed facts{}.": "没有有争议的事实{}。",
        "No unsettled disputed facts{}.": "没有未解决的争议事实{}。",
        " about {}": "（关于{}）",
        "{} disputed fact(s){}: {} unsettled, {} settled": "{} 个有争议的事实{}：{} 个未解决，{} 个已解决",
        "settled: {}": "已解决：{}",
        "unsettled": "未解决",
        "Value (claim)": "值（说法）",
        "Status": "可信度",
        "Source (published)": "来源（发布日期）",
        "Rank": "排序",
        ": contradicts {}": "：与{}矛盾",
        "{} · {}: disputed in the source's note": "{} · {}：来源的备注指出分歧",
        "{}: disputed in the source's note": "{}：来源的备注指出分歧",
        "Note of {} ({} disagrees with {})": "{} 的备注（{} 与 {} 矛盾）",
        "{} disagrees with {} (its source says so)": "{} 与 {} 矛盾（据其来源）",
        '{}: "{}"': "{}：“{}”",
        "no reason given": "未给出理由",
        "unnamed": "未署名",
        "no date": "无日期",
        "Wrote the ranking to {}; load it with --data {}.": "排序已写入 {}；用 --data {} 载入。",
        "Standing: {}": "归属：{}",
        " (undated)": "（无日期）",
        " (possibly in force: dates too coarse to tell)": "（可能有效：日期太粗，无法判断）",
        " (disputed)": "（有争议）",
        " ({})": "（{}）",
        "Disputed: {} — {} — {}; see kg conflicts": "有争议：{} — {} — {}；见 kg conflicts",
        # the command line's own words
        "{} → {}: {} hop": "{} → {}：{} 跳",
        "{} → {}: {} hops": "{} → {}：{} 跳",
        "Path {}. {}": "路径 {}. {}",
        "(Indirect ties skipped: {}; name them with --only to use them.)": "（已略过间接关系：{}；用 --only 指名即可使用。）",
        "Fact": "事实",
        " (begins)": "（开始）",
        " (ends)": "（结束）",
        "Timeline of {}": "{}的时间线",
        "Precision": "精度",
        "Alumni of {}: {}": "{}的前员工：{}",
        "Person": "人物",
        "Then": "之后",
        "When": "时间",
        "(nothing else recorded)": "（没有其他记录）",
        "after leaving": "离开后",
        "around leaving": "约在离开时",
        "while there": "在职期间",
        "after joining": "加入后",
        "undated": "无日期",
        "dated; stint undated": "有日期；任职无日期",
        "year": "年",
        "month": "月",
        "day": "日",
        "Event": "事件",
        "({} undated relation(s) not shown; kg entity lists them.)": "（另有 {} 个无日期的关系未列出；kg entity 可列出。）",
        "Round": "轮次",
        "Date": "日期",
        "Amount": "金额",
        "Lead": "领投方",
        "Investors": "投资方",
        "Valuation": "估值",
        "Funding": "融资",
        "round not stated": "未说明轮次",
        "Source": "来源",
        "Hops": "跳数",
        "Entity": "实体",
        "Class": "类别",
        "Reached by": "经由",
        "Within {} hops: {}": "{} 跳之内：{}",
        "{} and {} share no direct tie.": "{}与{}没有共同的直接关系。",
        "{} both {} and {}: {}": "{}与{}都{}：{}",
        "{} and {} both {}: {}": "{}与{}都{}：{}",
        "{} and {} are both tied to: {}": "{}与{}都与之相关：{}",
        "{} has no ties.": "{}没有任何关系。",
        "Score": "得分",
        "degree": "度",
        "betweenness": "中介",
        "closeness": "接近",
        "eigenvector": "特征向量",
        "pagerank": "PageRank",
        "undirected": "无向",
        "directed": "有向",
        "Co-investors: {}": "共同投资方：{}",
        "Start-ups sharing customers: {}": "共享客户的初创公司：{}",
        "Pair": "组合",
        "Shared": "共有",
        "Companies both back": "共同投资的公司",
        "Shared customers": "共同客户",
        "{} pairs": "{} 对",
        "the top {} of {} pairs (--top {} shows all)": "{} 对中的前 {} 对（--top {} 显示全部）",
        "Why": "原因",
        "Size": "规模",
        "Named after": "代表成员",
        "Members": "成员",
        "on their own": "孤立实体",
        "{} centrality ({} view, {} nodes)": "{}中心性（{}视图，{} 个节点）",
        "{} communities": "{} 个社群",
        ", and {} entities tied to none of them": "，另有 {} 个实体不属于任何社群",
        " and {} more": "等 {} 个",
        "{} alone holds together {} parts, the largest around {}": "{}独自连接着 {} 个部分，最大的围绕{}",
        "{} is on the shortest routes between {}": "{}位于{}之间的最短路径上",
        "{} connects {}": "{}连接{}",
        "{} is a leaf": "{}是末梢节点",
        "{} is pointed to by {}": "{}被{}指向",
        "no one": "无",
        "{} has {} direct ties: {}": "{}有 {} 个直接关系：{}",
        ", estimated from {} sampled sources (seeded)": "，由 {} 个抽样起点估计（固定随机种子）",
        ", in time order": "，按时间顺序",
        "disputed": "有争议",
        ", ": "，",
        # snapshots (--as-of, --known-by, --dated-only)
        "as of {}": "截至{}",
        "known by {}": "仅用截至{}已发布的来源",
        "dated facts only": "只看有日期的事实",
        # kg coinvest --portfolio
        "Investors in more than one of {}: {}": "投资了{}中不止一家的投资方：{}",
        "the start-ups": "各初创公司",
        "{} investors": "{} 个投资方",
        "the top {} of {} investors (--top {} shows all)": "{} 个投资方中的前 {} 个（--top {} 显示全部）",
        "No investor backed more than one of {}.": "没有投资方投资了{}中的不止一家。",
        "Investor": "投资方",
        "How many": "家数",
        "Which": "所投公司",
        # kg viz
        "Wrote {} ({}, works offline).": "已写入 {}（{}，可离线使用）。",
        " Open it in a browser, or add --open.": "用浏览器打开，或加上 --open。",
        "Could not start a browser; open {} yourself.": "无法启动浏览器；请自行打开 {}。",
    },
}


def check_lang(lang: str | None) -> str:
    """Return ``"en"`` or ``"zh"`` for ``lang`` (``zh-CN``, ``中文`` ... accepted), or raise :class:`BadInput`.

    Examples
    --------
    >>> check_lang("zh-CN"), check_lang(None)
    ('zh', 'en')
    >>> check_lang("fr")
    Traceback (most recent call last):
    kg.errors.BadInput: --lang must be en (English) or zh (Chinese), not 'fr'
    """
    if lang is None:
        return "en"
    found = _ALIASES.get(str(lang).strip().lower())
    if found is None:
        raise BadInput(f"--lang must be en (English) or zh (Chinese), not {lang!r}")
    return found


def word(text: str, lang: str, *values) -> str:
    """The fixed phrase ``text`` in ``lang``, with ``{}`` filled by ``values``.

    Examples
    --------
    >>> word("Series {}", "zh", "D"), word("Series {}", "en", "D")
    ('D轮', 'Series D')
    """
    return _WORDS.get(lang, {}).get(text, text).format(*values)


def join(names, lang: str = "en") -> str:
    """``A, B and C`` in English, ``A、B和C`` in Chinese.

    Examples
    --------
    >>> join(["AMD", "Intel", "Nvidia"]), join(["AMD", "Intel", "Nvidia"], "zh")
    ('AMD, Intel and Nvidia', 'AMD、Intel和Nvidia')
    """
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    if lang == "zh":
        return "、".join(names[:-1]) + "和" + names[-1]
    return ", ".join(names[:-1]) + " and " + names[-1]


def listed(names, lang: str = "en") -> str:
    """Names one after another, as a cell of a table lists them: ``A, B, C``; ``A、B、C``.

    Examples
    --------
    >>> listed(["Groq", "Graphcore"]), listed(["Groq", "Graphcore"], "zh")
    ('Groq, Graphcore', 'Groq、Graphcore')
    """
    return ("、" if lang == "zh" else ", ").join(names)


def _date(text: str, lang: str) -> str:
    if lang != "zh":
        return str(text)
    m = re.fullmatch(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", str(text))
    if not m:
        return str(text)
    year, month, day = m.groups()
    return f"{int(year)}年" + (f"{int(month)}月" if month else "") + (f"{int(day)}日" if day else "")


def when(date=None, start=None, end=None, lang: str = "en") -> str:
    """A date or span as the sources give it: ``2021-04``, ``from 2021-01``; ``2021年4月``, ``自2021年1月起``.

    Examples
    --------
    >>> when(start="2021-01"), when(start="2021-01", lang="zh"), when("2012", lang="zh")
    ('from 2021-01', '自2021年1月起', '2012年')
    """
    if date is not None:
        return _date(date, lang)
    if start is not None and end is not None:
        return word("{} – {}", lang, _date(start, lang), _date(end, lang))
    if start is not None:
        return word("from {}", lang, _date(start, lang))
    if end is not None:
        return word("until {}", lang, _date(end, lang))
    return ""


_CURRENCY_ZH = {"USD": "美元", "CNY": "元人民币", "EUR": "欧元", "GBP": "英镑", "JPY": "日元"}
_BOUND_ZH = {"exact": "", "minimum": "超过", "approximate": "约", "maximum": "最多"}


def money(value, currency: str = "USD", bound: str = "exact", lang: str = "en") -> str:
    """A sum in ``lang``: ``more than US$5B``; ``超过50亿美元``.

    Examples
    --------
    >>> money(676000000, lang="zh"), money(5e9, bound="minimum", lang="zh"), money(357000000)
    ('6.76亿美元', '超过50亿美元', 'US$357M')
    """
    if lang != "zh":
        from kg.facts import format_money

        return format_money(value, currency, {"minimum": "more than ", "approximate": "about ",
                                              "maximum": "up to "}.get(bound, ""))
    value = Decimal(str(value))
    for size, unit in ((Decimal(10) ** 12, "万亿"), (Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, "万")):
        if abs(value) >= size:
            number = f"{value / size:.3f}".rstrip("0").rstrip(".") + unit
            break
    else:
        number = f"{value.normalize():f}"
    return f"{_BOUND_ZH.get(bound, '')}{number}{_CURRENCY_ZH.get(currency, ' ' + currency)}"


#: A round's series written as a letter, with figures or pluses after it ("D", "A2", "B+").
SERIES_LETTER = re.compile(r"[A-Z][0-9]*\+*")


def round_name(series, lang: str = "en") -> str:
    """A funding round's name from its ``chips:series``: "Series D" for a letter, else the name as the source gives it.

    Examples
    --------
    >>> round_name("D"), round_name("B+", "zh"), round_name("Seed"), round_name("天使轮", "zh")
    ('Series D', 'B+轮', 'Seed', '天使轮')
    """
    text = str(series)
    return word("Series {}", lang, text) if SERIES_LETTER.fullmatch(text) else text


def phrase(template: str | None, subject: str, verb: str, obj: str, lang: str = "en") -> str:
    """A relation as a clause: the ontology's ``chips:phrase`` template, else subject, label and object.

    Examples
    --------
    >>> phrase("{s}是{o}的客户", "阿贡国家实验室", "客户", "SambaNova", "zh")
    '阿贡国家实验室是SambaNova的客户'
    >>> phrase(None, "Nvidia", "acquired", "Icera")
    'Nvidia acquired Icera'
    """
    if template:
        return template.replace("{s}", subject).replace("{o}", obj)
    return f"{subject}{verb}{obj}" if lang == "zh" else f"{subject} {verb} {obj}"


def node_label(G, node, lang: str = "en") -> str:
    """The label of a node of the projection in ``lang`` (English when it has none in that language)."""
    data = G.nodes[node]
    return (data.get(f"label_{lang}") if lang != "en" else None) or data.get("label", str(node))


def _vocabulary(kg) -> dict:
    """The ontology's words (:func:`kg.network.vocabulary`) of a knowledge graph (any backend) or of its projection."""
    found = getattr(kg, "vocabulary", None)  # a backend's, or the compact arrays': no networkx needed
    return found if isinstance(found, dict) else kg.graph.get("vocabulary", {})


def class_label(kg, cls: str, lang: str = "en") -> str:
    """The name of an entity class (``Startup``) in ``lang`` (``初创公司``), from the ontology's labels.

    ``kg`` is the knowledge graph or its projection; English needs neither.
    """
    if lang == "en" or not cls:
        return cls or ""
    return _vocabulary(kg).get("class_labels", {}).get(lang, {}).get(cls) or cls


def status_label(kg, status: str, lang: str = "en") -> str:
    """How sure a source is, named by the status's English label (``reported``), in ``lang`` (``媒体报道``).

    The words are the ontology's labels of its statuses; ``stated`` (the
    source does not say) is none of them and comes from this module's own.
    ``kg`` is the knowledge graph or its projection; English needs neither.
    """
    if lang == "en":
        return status
    return _vocabulary(kg).get("status_labels", {}).get(lang, {}).get(status) or word(status, lang)


def kind_label(G, kind: str, label: str, lang: str = "en") -> str:
    """The label of a relation kind in ``lang`` (``label`` is the English one)."""
    if lang == "en":
        return label
    return G.graph.get("vocabulary", {}).get("labels", {}).get(lang, {}).get(kind) or label


def edge_sentence(G, u, v, data: dict, lang: str = "en") -> str:
    """One edge of the projection as a sentence in ``lang``: ``Nvidia acquired Icera (2011)``; ``英伟达收购了Icera（2011年）``.

    English sentences are the ones the projection keeps; other languages are
    written from the edge's details, the nodes' labels and the ontology's
    phrase for the relation (kept on the projection's ``vocabulary``).
    """
    if lang == "en":
        return data["sentence"]
    vocabulary = G.graph.get("vocabulary", {})
    kind = data["kind"]
    verb = vocabulary.get("labels", {}).get(lang, {}).get(kind) or data.get("label", kind)
    clause = phrase(vocabulary.get("phrases", {}).get(lang, {}).get(kind), node_label(G, u, lang), verb,
                    node_label(G, v, lang), lang)
    roles = [r for r in (data.get(f"role_{lang}") or "").split(", ") if r and r != "员工"]
    if roles:
        clause += word(" as {}", lang, join(roles, lang))
    details = []
    if "series" in data:
        details.append(round_name(data["series"], lang))
    if span := when(data.get("date"), data.get("start"), data.get("end"), lang):
        details.append(span)
    if data.get("amount") is not None:
        details.append(money(data["amount"], data.get("currency", "USD"), data.get("amount_bound", "exact"), lang))
    elif data.get("amount_bound") == "undisclosed":
        details.append(word("sum not disclosed", lang))
    if data.get("lead"):
        details.append(word("lead", lang))
    if "status" in data:
        details.append(status_label(G, data["status"], lang))
    return f"{clause}（{'，'.join(details)}）" if details else clause

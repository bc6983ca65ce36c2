"""Partial dates (a year, a month or a day) as the intervals they stand for, compared honestly.

A source that says "2024" means some day in 2024; one that says "2024-07"
some day in July 2024. Comparing the two as strings would claim an order
nobody stated. Here each date is the interval of days it covers, and a
comparison answers "before", "after", "same" (one day), "same period" (the
same coarse interval) or, when the intervals overlap, "possibly before" /
"possibly after".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from kg.errors import BadInput

__all__ = ["PartialDate", "parse_date", "compare", "in_force", "PRECISIONS"]

#: Precisions, coarsest first.
PRECISIONS = ("year", "month", "day")

_PATTERN = re.compile(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\s*$")


@dataclass(frozen=True)
class PartialDate:
    """A date known to a year, a month or a day: the interval ``first`` .. ``last`` (inclusive).

    Examples
    --------
    >>> d = parse_date("2024-02")
    >>> d.precision, d.first.isoformat(), d.last.isoformat()
    ('month', '2024-02-01', '2024-02-29')
    """

    text: str
    precision: str
    first: date
    last: date

    def __str__(self) -> str:
        return self.text

    def sort_key(self) -> tuple:
        """Order by start, then the more precise first: 2024, 2024-07, 2024-07-11 sort by their first day."""
        return (self.first, self.last, PRECISIONS.index(self.precision))

    def as_dict(self) -> dict:
        return {"text": self.text, "precision": self.precision,
                "first": self.first.isoformat(), "last": self.last.isoformat()}


def parse_date(value) -> PartialDate:
    """Read ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a string, an ``xsd:gYear``/``gYearMonth``/``date`` literal or a date).

    Raises :class:`kg.errors.BadInput` naming the value otherwise.

    Examples
    --------
    >>> parse_date("2016").precision, parse_date("2020-12").precision, parse_date("2024-07-11").precision
    ('year', 'month', 'day')
    >>> parse_date("July 2024")
    Traceback (most recent call last):
    ...
    kg.errors.BadInput: not a date: 'July 2024'; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024-07)
    """
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    match = _PATTERN.match(text)
    try:
        if match is None:
            raise ValueError
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is None:
            return PartialDate(f"{year:04d}", "year", date(year, 1, 1), date(year, 12, 31))
        if day is None:
            end = calendar.monthrange(year, month)[1]
            return PartialDate(f"{year:04d}-{month:02d}", "month", date(year, month, 1), date(year, month, end))
        return PartialDate(f"{year:04d}-{month:02d}-{day:02d}", "day", date(year, month, day), date(year, month, day))
    except ValueError:
        raise BadInput(f"not a date: {text!r}; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2024-07)") from None


def compare(a, b) -> str:
    """How ``a`` stands to ``b``: before, after, same, same period, possibly before, possibly after.

    Examples
    --------
    >>> compare("2016", "2020-12"), compare("2024-07-11", "2024-07-12"), compare("2024-07", "2024-07")
    ('before', 'before', 'same period')
    >>> compare("2024", "2024-07"), compare("2024-07", "2024"), compare("2024-07-11", "2024-07-11")
    ('possibly before', 'possibly after', 'same')
    """
    a, b = parse_date(a), parse_date(b)
    if a.last < b.first:
        return "before"
    if a.first > b.last:
        return "after"
    if (a.first, a.last) == (b.first, b.last):
        return "same" if a.precision == "day" else "same period"
    if (a.first, a.last) < (b.first, b.last):
        return "possibly before"
    return "possibly after"


def _by(when, moment: PartialDate) -> str:
    """Had ``when`` happened by the end of ``moment``? yes, no or possibly."""
    if when.last <= moment.last:
        return "yes"
    if when.first > moment.last:
        return "no"
    return "possibly"


def in_force(as_of, *, date=None, start=None, end=None) -> str:
    """Whether a fact holds as of ``as_of`` (read as the end of that day, month or year).

    A fact holds once it has started (its ``date`` or ``start``) and until it
    has ended (``end``). Returns ``"yes"``, ``"no"``, ``"possibly"`` (the dates
    are too coarse to tell) or ``"undated"`` (no date at all). A fact with
    only an end date is taken to hold before it.

    Examples
    --------
    >>> in_force("2021-12", date="2024-07-11"), in_force("2025-01", date="2024-07-11")
    ('no', 'yes')
    >>> in_force("2020", end="2020-06"), in_force("2019", end="2020-06"), in_force("2024-03", date="2024")
    ('no', 'yes', 'possibly')
    >>> in_force("2024")
    'undated'
    """
    moment = parse_date(as_of)
    began = start if start is not None else date
    if began is None and end is None:
        return "undated"
    started = _by(parse_date(began), moment) if began is not None else "yes"
    ended = _by(parse_date(end), moment) if end is not None else "no"
    if started == "no" or ended == "yes":
        return "no"
    if started == "yes" and ended == "no":
        return "yes"
    return "possibly"

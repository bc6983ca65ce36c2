"""Plain option values (text, whole numbers, lists of text) read without pydantic, so ``kg`` starts quickly.

typer 0.2x checks every value of every option with a pydantic ``TypeAdapter``
built on first use. Importing pydantic and building the adapters costs about
0.1 s, twice what a warm ``kg path`` spends answering its question. Values
of the plain kinds the commands use are read here instead; any other value
(a path, a number written oddly or out of range) still goes through typer's
own adapter, so its checks and error messages stay typer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args, get_origin

__all__ = ["read_plainly", "plain_value"]

try:  # typer's coercion layer (the one that uses pydantic); older typers have none
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # pragma: no cover - a typer without pydantic: nothing to avoid
    RuntimeParam = None

_NOT_PLAIN = object()
_NUMBER = {int: re.compile(r"[0-9]+"), float: re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")}


def plain_value(annotation, value, low=None, high=None) -> Any:
    """``value`` read as ``annotation`` if it is plainly one, else a marker meaning "let typer read it".

    Examples
    --------
    >>> plain_value(int, "3", low=1), plain_value(list[str], ("a", "b")), plain_value(tuple[str, str], ["a", "b"])
    (3, ['a', 'b'], ('a', 'b'))
    >>> plain_value(int, "0", low=1) is plain_value(int, "3.5") is plain_value(float, "nan") is _NOT_PLAIN
    True
    """
    if get_origin(annotation) in (list, tuple):
        items = get_args(annotation)
        if get_origin(annotation) is list:
            value = value if isinstance(value, (list, tuple)) else [value]
            items = items * len(value)
        elif not isinstance(value, (list, tuple)) or len(value) != len(items):
            return _NOT_PLAIN
        plain = [plain_value(item, v, low, high) for item, v in zip(items, value)]
        return _NOT_PLAIN if _NOT_PLAIN in plain else get_origin(annotation)(plain)
    if annotation in (str, bool):
        return value if type(value) is annotation else _NOT_PLAIN
    if annotation not in _NUMBER:
        return _NOT_PLAIN
    if isinstance(value, str) and _NUMBER[annotation].fullmatch(value):
        value = annotation(value)
    elif type(value) is int or type(value) is annotation:  # a default such as `timeout: float = 10`
        value = annotation(value)
    else:
        return _NOT_PLAIN
    if (low is not None and value < low) or (high is not None and value > high):
        return _NOT_PLAIN  # typer says what the bound is
    return value


if RuntimeParam is not None:
    @dataclass(frozen=True)
    class _Plain(RuntimeParam):
        descriptor: Any

        def _coerce_value(self, value, param, ctx):
            info = self.parameter_info
            plain = _NOT_PLAIN if info.clamp or info.parser else plain_value(self.annotation, value, info.min, info.max)
            if plain is _NOT_PLAIN:
                return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            return plain


def read_plainly(params) -> None:
    """Have these command parameters read their values here when plain (see :func:`plain_value`), not by pydantic."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and descriptor.file_annotation is None and getattr(param, "_runtime_param", 0) is None:
            param._runtime_param = _Plain(annotation=descriptor.annotation, parameter_info=descriptor.parameter_info,
                                          descriptor=descriptor)

"""Plain option values (text, whole numbers, lists of text) read without pydantic, so ``kg`` starts quickly.

typer 0.29 checks every value of every option with a pydantic ``TypeAdapter``
built on first use, and offers no public way to do otherwise (``parser=``
goes through pydantic too). Importing pydantic and building the adapters
costs about 0.1 s, twice what a warm ``kg path`` spends answering its
question. Values of the plain kinds the commands use are read here instead;
any other value (a path, a number written oddly or out of range) still goes
through typer's own adapter, so its checks and error messages stay typer's.

This hooks into typer's private coercion layer (``typer._coercion``), so
pyproject.toml pins typer below its next minor release. A typer whose layer
moved or changed is not an error: :data:`HOOK_MISSING` says why, values go
through typer as usual (correct, only slower), and
``tests/test_cli_startup.py`` fails saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args, get_origin

__all__ = ["read_plainly", "plain_value", "HOOK_MISSING"]

#: Why values cannot be read here with this typer (None when they can, or when typer needs no pydantic).
HOOK_MISSING: str | None = None
try:  # typer's coercion layer (0.29, the one that uses pydantic); typers before it have none
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:
    RuntimeParam = None
    from importlib.metadata import PackageNotFoundError, requires

    try:
        if any(r.startswith("pydantic") for r in requires("typer") or ()):
            HOOK_MISSING = "typer._coercion.RuntimeParam and build_runtime_param are gone"
    except PackageNotFoundError:
        pass

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


def _plain_param(runtime_param, build):
    """A subclass of typer's ``RuntimeParam`` reading plain values here, the rest with typer's own (``build``)."""

    @dataclass(frozen=True)
    class Plain(runtime_param):
        descriptor: Any

        def _coerce_value(self, value, param, ctx):
            info = self.parameter_info
            plain = _NOT_PLAIN if info.clamp or info.parser else plain_value(self.annotation, value, info.min, info.max)
            if plain is _NOT_PLAIN:
                return build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
            return plain

    return Plain


_Plain = None
if RuntimeParam is not None:
    try:
        _Plain = _plain_param(RuntimeParam, build_runtime_param)
    except TypeError as e:  # no longer a frozen dataclass
        HOOK_MISSING = f"typer._coercion.RuntimeParam changed ({e})"


def read_plainly(params) -> None:
    """Have these command parameters read their values here when plain (see :func:`plain_value`), not by pydantic.

    With a typer this cannot hook into, does nothing (typer reads every value) and :data:`HOOK_MISSING` says why.
    """
    global HOOK_MISSING
    if _Plain is None or HOOK_MISSING:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None:
            continue  # not a parameter typer coerces (click's own --help)
        try:
            if param._runtime_param is None and descriptor.file_annotation is None:
                param._runtime_param = _Plain(annotation=descriptor.annotation,
                                              parameter_info=descriptor.parameter_info, descriptor=descriptor)
        except (AttributeError, TypeError) as e:  # typer changed the contract: leave every value to it
            HOOK_MISSING = f"typer's parameters or RuntimeParam changed ({e})"
            return

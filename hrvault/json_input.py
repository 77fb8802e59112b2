"""JSON from clients, read strictly: UTF-8 only, bounded numbers and nesting, and only
strings that are real Unicode.

The standard library accepts more than is safe to pass on. It decodes bytes that are not
UTF-8 with a ``UnicodeDecodeError`` (not a ``JSONDecodeError``), recurses until
``RecursionError`` on deep nesting, converts a 5,000-digit number until the interpreter's
digit limit stops it, reads ``NaN`` and ``Infinity``, and returns the escape ``"\\ud800"``
as a lone surrogate that no UTF-8 encoder (PostgreSQL's driver, the response encoder)
will take. Each of those is refused here as ``UnsafeJson``, before anything uses the value.
"""

from __future__ import annotations

import json
from collections.abc import Callable

MAX_DEPTH = 32
"""Arrays and objects inside one another; GraphQL requests need a handful."""
MAX_NUMBER_CHARACTERS = 40
"""More digits than any Int, Float or amount this API takes (a 64-bit integer has 19)."""


class UnsafeJson(ValueError):
    """The text is not JSON this service reads; the message says why, without the value."""


def _number(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(literal: str) -> int | float:
        if len(literal) > MAX_NUMBER_CHARACTERS:
            raise UnsafeJson(f"numbers are limited to {MAX_NUMBER_CHARACTERS} characters")
        return kind(literal)

    return parse


def _no_constant(name: str) -> float:
    raise UnsafeJson(f"{name} is not a JSON number")


def _check_shape(value: object) -> None:
    """Depth and strings, without recursion (the value may be as deep as the parser went)."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_string(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise UnsafeJson(f"arrays and objects nest at most {MAX_DEPTH} deep")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def _check_string(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UnsafeJson("strings must be Unicode text (a lone surrogate is not)") from None


def loads(data: str | bytes) -> object:
    """The JSON value of ``data``; bytes must be UTF-8. Raises ``UnsafeJson``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise UnsafeJson("the body is not UTF-8") from None
    try:
        value = json.loads(
            text,
            parse_int=_number(int),
            parse_float=_number(float),
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise UnsafeJson(f"arrays and objects nest at most {MAX_DEPTH} deep") from None
    except UnsafeJson:
        raise
    except ValueError as exc:  # JSONDecodeError among them
        raise UnsafeJson(f"not JSON: {exc}") from None
    _check_shape(value)
    return value

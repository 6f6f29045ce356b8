"""Query-string parameters of the administrators' lists, checked the same way everywhere."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from billing.domain.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def limit_param(raw: str | None, maximum: int = MAX_LIMIT, default: int = DEFAULT_LIMIT) -> int:
    """``limit``: an integer from 1 to ``maximum`` (absent: ``default``)."""
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit is an integer from 1 to {maximum}", field="limit")
    return int(raw)


def enum_param(raw: str | None, kind: type[E], name: str) -> E | None:
    """One of the values of ``kind`` (absent or empty: None)."""
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        choices = ", ".join(str(s) for s in kind)
        raise InvalidInput(f"{name} is one of {choices}", field=name) from None


def flag_param(raw: str | None, name: str) -> bool:
    """A boolean parameter: ``true``/``false`` (also 1/0, yes/no); absent is false."""
    value = (raw or "").lower()
    if value not in _TRUE | _FALSE:
        raise InvalidInput(f"{name} is true or false", field=name)
    return value in _TRUE

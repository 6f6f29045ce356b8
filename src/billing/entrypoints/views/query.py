"""Query-string parameters of the administrators' lists, checked the same way everywhere."""

from __future__ import annotations

from billing.domain.errors import InvalidInput

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no", ""}


def limit_param(raw: str | None) -> int:
    """``limit``: an integer from 1 to ``MAX_LIMIT`` (default ``DEFAULT_LIMIT``)."""
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(f"limit is an integer from 1 to {MAX_LIMIT}", field="limit")
    return int(raw)


def flag_param(raw: str | None, name: str) -> bool:
    """A boolean parameter: ``true``/``false`` (also 1/0, yes/no); absent is false."""
    value = (raw or "").lower()
    if value not in _TRUE | _FALSE:
        raise InvalidInput(f"{name} is true or false", field=name)
    return value in _TRUE

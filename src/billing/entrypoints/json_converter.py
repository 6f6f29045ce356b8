"""The one cattrs converter of the HTTP boundary: JSON bodies in, attrs read models out.

Configured once: StrEnums become their values, datetimes ISO 8601 in UTC, ``Money`` its amount
and currency; a field's ``json_name`` and ``omit_if_default`` (``json_schema.field``) rename it
or leave it out, exactly as the OpenAPI document says. Structuring forbids unknown keys and
takes numbers, strings and arrays as they are (no ``"2"`` → 2, no ``true`` → 1, no string
as a list of its characters). An integer is what
JSON Schema calls one: a number without a fractional part, so ``2.0`` is 2 and ``1.5`` is
refused (as is an integral float past 2**53, where it may no longer be the number sent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.cols import is_mutable_sequence, list_structure_factory
from cattrs.gen import make_dict_unstructure_fn, override

from .json_schema import json_name, omitted_if_default

T = TypeVar("T")

#: Beyond this a JSON float may not hold the integer that was written.
_EXACT_FLOAT_LIMIT = 2**53


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_FLOAT_LIMIT:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, not {type(value).__name__}")
    return value


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {type(value).__name__}")
    return value


def _arrays_only(converter: cattrs.Converter) -> Callable[[type], Any]:
    """A list field takes a JSON array and nothing else: cattrs would otherwise iterate a
    string, structuring (and failing) one element per character, a minute of CPU for a
    megabyte-long value."""

    def factory(cls: type) -> Any:
        structure = list_structure_factory(cls, converter)

        def strict(value: Any, _: type) -> Any:
            if not isinstance(value, list):
                raise ValueError(f"expected an array, not {type(value).__name__}")
            return structure(value, cls)

        return strict

    return factory


def _utc(at: datetime) -> str:
    # Stored times are aware UTC; a naive one is UTC that lost its zone on the way.
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    return aware.isoformat()


def _unstructure_attrs(converter: cattrs.Converter) -> Callable[[type], Any]:
    def factory(cls: type) -> Any:
        overrides = {
            a.name: override(rename=json_name(a), omit_if_default=omitted_if_default(a))
            for a in attrs.fields(cls)
        }
        return make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    return factory


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook_factory(is_mutable_sequence, _arrays_only(converter))
    converter.register_unstructure_hook(datetime, _utc)
    converter.register_unstructure_hook_func(
        lambda cls: isinstance(cls, type) and issubclass(cls, Enum), lambda member: member.value
    )
    converter.register_unstructure_hook_factory(attrs.has, _unstructure_attrs(converter))
    return converter


CONVERTER = _converter()


def to_json(value: Any) -> Any:
    """``value`` (an attrs read model, or a list of them) as JSON-ready data."""
    return CONVERTER.unstructure(value)


def structure(data: Any, cls: type[T]) -> T:
    return CONVERTER.structure(data, cls)

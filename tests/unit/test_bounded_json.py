"""``bounded_json``: JSON text parsed with its nesting bounded, without recursion errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from billing import bounded_json
from billing.bounded_json import MAX_DEPTH, TooDeep

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "fixtures3.json"


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_document_at_the_limit_is_read_and_one_level_more_is_refused() -> None:
    assert bounded_json.loads(_nested(MAX_DEPTH)) == json.loads(_nested(MAX_DEPTH))
    with pytest.raises(TooDeep):
        bounded_json.loads(_nested(MAX_DEPTH + 1))
    with pytest.raises(TooDeep):
        bounded_json.loads('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1))


@pytest.mark.parametrize("depth", [1_000, 50_000, 1_000_000])
def test_a_document_deeper_than_the_stack_is_refused_as_a_value_error(depth: int) -> None:
    with pytest.raises(ValueError, match="nested deeper than 64"):
        bounded_json.loads(_nested(depth))


@pytest.mark.parametrize("text", ['"text"', "12", "null", "[]", "{}", '{"a": [1, {"b": []}]}'])
def test_scalars_and_shallow_documents_read_as_json_reads_them(text: str) -> None:
    assert bounded_json.loads(text) == json.loads(text)


def test_every_example_object_of_stripe_fits_under_the_limit() -> None:
    text = FIXTURES.read_text()

    assert bounded_json.loads(text) == json.loads(text)


def test_many_shallow_arrays_are_read_and_a_deep_bytes_document_is_refused() -> None:
    wide = "[" + ",".join(["[[]]"] * (2 * MAX_DEPTH)) + "]"  # more brackets than the limit
    assert bounded_json.loads(wide) == json.loads(wide)
    with pytest.raises(TooDeep):
        bounded_json.loads(_nested(MAX_DEPTH + 1).encode())
    assert bounded_json.loads(_nested(MAX_DEPTH).encode()) == json.loads(_nested(MAX_DEPTH))

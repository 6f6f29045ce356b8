"""The HTTP boundary's two views of one attrs class: the converter's JSON and the schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

import attrs
import pytest
from jsonschema import Draft202012Validator

from billing.domain.money import Money
from billing.entrypoints.json_converter import structure, to_json
from billing.entrypoints.json_schema import Components, meta
from billing.entrypoints.openapi import openapi_document
from billing.entrypoints.views.bodies import CheckoutBody


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class LineJson:
    price: Money
    colour: Colour
    at: datetime
    previous: Colour | None = attrs.field(metadata=meta(json_name="from"))
    note: str | None = attrs.field(
        default=None, metadata=meta(omit_if_default=True, description="Rarely set")
    )


@attrs.frozen
class SampleBody:
    name: str = attrs.field(validator=[attrs.validators.min_len(2), attrs.validators.max_len(9)])
    count: int = attrs.field(default=1, validator=[attrs.validators.ge(1), attrs.validators.lt(5)])
    kind: str = attrs.field(default="a", validator=attrs.validators.in_(["a", "b"]))


def _validator(cls: type) -> Draft202012Validator:
    components = Components()
    root = components.add(cls)
    return Draft202012Validator({**root, "components": {"schemas": components.schemas}})


def _schema_with_refs(components: Components) -> dict[str, object]:
    return {"components": {"schemas": components.schemas}}


LINE = LineJson(
    Money(1050, "EUR"),
    Colour.RED,
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
    None,
)


def test_an_answer_is_unstructured_with_values_renames_and_utc_times() -> None:
    assert to_json(LINE) == {
        "price": {"amount": 1050, "currency": "EUR"},
        "colour": "red",
        "at": "2026-01-02T01:04:05+00:00",
        "from": None,
    }
    assert to_json(attrs.evolve(LINE, note="n"))["note"] == "n"


def test_a_naive_time_is_taken_as_utc() -> None:
    naive = attrs.evolve(LINE, at=datetime(2026, 1, 2, 3, 4, 5))

    assert to_json(naive)["at"] == "2026-01-02T03:04:05+00:00"


def test_what_the_converter_writes_is_what_the_schema_describes() -> None:
    components = Components()
    ref = components.add(LineJson)
    validator = Draft202012Validator({**ref, **_schema_with_refs(components)})

    validator.validate(to_json(LINE))
    validator.validate(to_json(attrs.evolve(LINE, note="n", previous=Colour.BLUE)))
    schema = components.schemas["Line"]
    assert schema["required"] == ["price", "colour", "at", "from"]
    assert schema["properties"]["colour"] == {"enum": ["red", "blue"]}
    assert schema["properties"]["from"] == {"enum": ["red", "blue", None]}
    assert schema["properties"]["note"]["description"] == "Rarely set"
    assert "additionalProperties" not in schema  # answers may grow


def test_attrs_validators_become_keywords_and_a_body_is_closed() -> None:
    components = Components()
    components.add(SampleBody)
    schema = components.schemas["SampleRequest"]

    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name"]
    assert schema["properties"]["name"] == {
        "type": "string",
        "pattern": "^[^\\x00]*$",
        "minLength": 2,
        "maxLength": 9,
    }
    assert schema["properties"]["count"] == {
        "type": "integer",
        "minimum": 1,
        "exclusiveMaximum": 5,
        "default": 1,
    }
    assert schema["properties"]["kind"]["enum"] == ["a", "b"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "ok", "count": 2, "kind": "b"},
        {"name": "ok", "extra": 1},
        {"name": "x"},
        {"name": "ok", "count": 5},
        {"name": "ok", "kind": "c"},
        {"name": "ok", "count": "2"},
    ],
)
def test_the_schema_of_a_body_admits_what_the_converter_accepts(body: dict[str, object]) -> None:
    admitted = _validator(SampleBody).is_valid(body)
    try:
        structure(body, SampleBody)
        accepted = True
    except Exception:
        accepted = False

    assert admitted == accepted


def test_the_checkout_body_schema_is_generated_from_its_class() -> None:
    schemas = openapi_document()["components"]["schemas"]

    assert schemas["CheckoutRequest"]["required"] == ["items"]
    assert set(schemas["CheckoutRequest"]["properties"]) == {
        a.name for a in attrs.fields(CheckoutBody)
    }
    item = schemas["CheckoutItemRequest"]["properties"]["quantity"]
    assert (item["minimum"], item["maximum"]) == (1, 1000)


def test_a_new_field_of_a_read_model_is_one_line() -> None:
    """What a read model lists is copied by name from the domain value: no function to edit."""
    from billing.entrypoints.views.responses import _copy

    @attrs.frozen
    class Source:
        id: str
        secret: str
        created_at: datetime

    @attrs.frozen
    class ShownJson:
        id: str
        created_at: datetime

    shown = _copy(ShownJson, Source("s1", "hidden", datetime(2026, 1, 1, tzinfo=UTC)))

    assert to_json(shown) == {"id": "s1", "created_at": "2026-01-01T00:00:00+00:00"}


def test_a_webhook_outcome_is_one_of_the_documented_deliveries() -> None:
    outcome = openapi_document()["components"]["schemas"]["WebhookOutcome"]["properties"]

    assert outcome["outcome"]["enum"] == [
        "received",
        "processing",
        "processed",
        "ignored",
        "failed",
        "parked",
        "duplicate",
    ]


def test_a_string_where_an_array_belongs_is_refused_at_once() -> None:
    """cattrs alone iterates a string as a list of characters: a megabyte-long ``items``
    took over a minute of CPU (and the hostile-body fuzz test timed out under load)."""
    from billing.entrypoints.views.bodies import InvalidBody, parse

    with pytest.raises(InvalidBody) as refused:
        parse(CheckoutBody, {"items": "x" * 1_000_000})

    assert refused.value.details["errors"] == ["invalid value for type, expected list @ $.items"]

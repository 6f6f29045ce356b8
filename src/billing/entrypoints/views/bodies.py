"""Request bodies: attrs classes structured by a private cattrs converter that forbids extra keys.

A client never sends a price: ``amount``, ``price`` or any other unknown key anywhere in a
checkout body is refused with 400, field by field. Numbers and strings are taken as they are
(no ``"2"`` → 2, no ``true`` → 1). An integer is what JSON Schema calls one, the type the
OpenAPI document publishes: a number without a fractional part, so ``2.0`` is 2 and ``1.5`` is
refused (as is an integral float past 2**53, where it may no longer be the number sent).
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import cattrs
from flask import request

from billing.domain.buyer import BillingDetails
from billing.domain.errors import InvalidInput
from billing.domain.payment import PaymentMode

from ..identifiers import vat_number

T = TypeVar("T")


@attrs.frozen
class CheckoutItemBody:
    sku: str
    quantity: int = 1


@attrs.frozen
class AddressBody:
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""

    @property
    def lines(self) -> str:
        town = " ".join(part for part in (self.postal_code.strip(), self.city.strip()) if part)
        kept = (self.line1.strip(), self.line2.strip(), town)
        return "\n".join(line for line in kept if line)


@attrs.frozen
class BillingDetailsBody:
    """The buyer as the invoice names them; a VAT number makes it a B2B invoice."""

    name: str = ""
    address: AddressBody = attrs.field(factory=AddressBody)
    vat_number: str = ""


@attrs.frozen
class CheckoutBody:
    items: list[CheckoutItemBody]
    email: str | None = None
    mode: str = "payment_intent"
    billing_details: BillingDetailsBody | None = None


@attrs.frozen
class RefundBody:
    reason: str
    amount: int | None = None


@attrs.frozen
class MergeBody:
    email: str
    user_id: str


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


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(str, _strict_str)
    return converter


_CONVERTER = _converter()


class InvalidBody(InvalidInput):
    """A request body that does not have the expected shape; ``details["errors"]`` per field."""


def parse(cls: type[T], data: Any) -> T:
    if not isinstance(data, dict):
        raise InvalidBody("the body must be a JSON object", errors=["$: expected an object"])
    try:
        return _CONVERTER.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
        errors = cattrs.transform_error(error)
        raise InvalidBody("the body has invalid fields", errors=errors) from None


def json_body(cls: type[T]) -> T:
    """The current request's JSON body as ``cls`` (InvalidBody when it is not)."""
    return parse(cls, request.get_json(silent=True))


def payment_mode(value: str) -> PaymentMode:
    try:
        return PaymentMode(value)
    except ValueError:
        modes = ", ".join(m.value for m in PaymentMode)
        raise InvalidBody(
            f"mode is one of {modes}", errors=[f"mode must be one of {modes} @ $.mode"]
        ) from None


def billing_details(body: BillingDetailsBody | None) -> BillingDetails | None:
    """The buyer's details, the VAT number checked (python-stdnum) and compacted."""
    if body is None:
        return None
    vat = body.vat_number.strip()
    if vat:
        try:
            vat = vat_number(vat)
        except ValueError as error:
            raise InvalidBody(
                f"billing_details.vat_number {error}",
                errors=[f"billing_details.vat_number {error} @ $.billing_details.vat_number"],
            ) from None
    return BillingDetails(
        name=body.name.strip(),
        address=body.address.lines,
        country=body.address.country.strip().upper(),
        tax_id=vat,
    )

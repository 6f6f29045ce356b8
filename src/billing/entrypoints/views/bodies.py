"""Request bodies: attrs classes structured by the boundary's converter, which forbids extra keys.

A client never sends a price: ``amount``, ``price`` or any other unknown key anywhere in a
checkout body is refused with 400, field by field (``json_converter`` says how numbers and
strings are taken). The OpenAPI document describes these same classes; the constraints given
in ``field(...)`` are the domain's own (its constants), checked there, or stricter than the
checks, so that what the document admits is always accepted.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import cattrs
from flask import request

from billing.domain.buyer import BillingDetails
from billing.domain.errors import InvalidInput
from billing.domain.order import MAX_EMAIL_LENGTH, MAX_QUANTITY, MAX_USER_ID_LENGTH
from billing.domain.payment import PaymentMode
from billing.domain.refund import MAX_REASON_LENGTH

from ..identifiers import vat_number
from ..json_converter import structure
from ..json_schema import meta

T = TypeVar("T")

#: Stricter than the checks (printable ASCII only), so that what it admits is always accepted.
_EMAIL: dict[str, Any] = {"maxLength": MAX_EMAIL_LENGTH, "pattern": "^[!-?A-~]+@[!-~]+\\.[!-~]+$"}


@attrs.frozen
class CheckoutItemBody:
    sku: str
    quantity: int = attrs.field(default=1, metadata=meta(minimum=1, maximum=MAX_QUANTITY))


#: Printable ASCII, as the invoice and the Factur-X XML carry it.
_PRINTABLE = "^[ -~]*$"


def _text(limit: int) -> Any:
    return attrs.field(default="", metadata=meta(maxLength=limit, pattern=_PRINTABLE))


@attrs.frozen
class AddressBody:
    line1: str = _text(200)
    line2: str = _text(200)
    postal_code: str = _text(32)
    city: str = _text(200)
    country: str = attrs.field(
        default="", metadata=meta(description="ISO 3166-1 alpha-2", pattern="^([A-Z]{2})?$")
    )

    @property
    def lines(self) -> str:
        town = " ".join(part for part in (self.postal_code.strip(), self.city.strip()) if part)
        kept = (self.line1.strip(), self.line2.strip(), town)
        return "\n".join(line for line in kept if line)


@attrs.frozen
class BillingDetailsBody:
    """The buyer as the invoice names them; a VAT number makes it a B2B invoice."""

    name: str = _text(255)
    address: AddressBody = attrs.field(factory=AddressBody)
    vat_number: str = attrs.field(
        default="",
        metadata=meta(
            maxLength=32,
            description="An EU VAT number with its country prefix, checked (check digits "
            "included): one that is not valid is a 400",
        ),
    )


@attrs.frozen
class CheckoutBody:
    items: list[CheckoutItemBody] = attrs.field(metadata=meta(minItems=1))
    email: str | None = attrs.field(
        default=None, metadata=meta(description="Required for a guest", **_EMAIL)
    )
    mode: str = attrs.field(
        default=PaymentMode.PAYMENT_INTENT.value, metadata=meta(enum=[m.value for m in PaymentMode])
    )
    billing_details: BillingDetailsBody | None = attrs.field(
        default=None, metadata=meta(description="The buyer as the invoice names them")
    )


@attrs.frozen
class RefundBody:
    reason: str = attrs.field(metadata=meta(maxLength=MAX_REASON_LENGTH))
    amount: int | None = attrs.field(
        default=None, metadata=meta(minimum=1, description="Default: all that is left")
    )


@attrs.frozen
class MergeBody:
    email: str = attrs.field(metadata=meta(**_EMAIL))
    user_id: str = attrs.field(
        metadata=meta(minLength=1, maxLength=MAX_USER_ID_LENGTH, pattern="^[ -~]+$")
    )


class InvalidBody(InvalidInput):
    """A request body that does not have the expected shape; ``details["errors"]`` per field."""


def parse(cls: type[T], data: Any) -> T:
    if not isinstance(data, dict):
        raise InvalidBody("the body must be a JSON object", errors=["$: expected an object"])
    try:
        return structure(data, cls)
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

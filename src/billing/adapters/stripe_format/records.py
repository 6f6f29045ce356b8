"""Stripe JSON read into the adapter's own attrs records, through a private cattrs converter.

Only the fields the adapter reads are declared. Stripe adds fields all the time, so unknown
keys are tolerated; a declared field that is missing or of the wrong JSON type is an error
(``cattrs`` raises, the caller turns it into a domain error). ``int`` means a JSON integer
(never a bool, a float or a digit string), ``str`` a JSON string, ``bool`` a JSON boolean.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import cattrs

T = TypeVar("T")


@attrs.frozen
class LastPaymentError:
    type: str | None = None
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None


@attrs.frozen
class AddressRecord:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


@attrs.frozen
class BillingDetailsRecord:
    """A charge's ``billing_details`` (or a session's ``customer_details``)."""

    name: str | None = None
    email: str | None = None
    address: AddressRecord | None = None
    #: A charge's, since API version 2025: the VAT number the payer typed, if asked.
    tax_id: str | None = None


@attrs.frozen
class TaxIdRecord:
    type: str | None = None
    value: str | None = None


@attrs.frozen
class CustomerDetailsRecord:
    name: str | None = None
    email: str | None = None
    address: AddressRecord | None = None
    tax_ids: list[TaxIdRecord] | None = None
    business_name: str | None = None


@attrs.frozen
class CardRecord:
    brand: str | None = None
    last4: str | None = None


@attrs.frozen
class PaymentMethodDetailsRecord:
    type: str | None = None
    card: CardRecord | None = None


@attrs.frozen
class PaymentIntentRecord:
    id: str
    object: str
    amount: int
    currency: str
    status: str
    livemode: bool
    amount_received: int = 0
    client_secret: str | None = None
    metadata: dict[str, str] = attrs.Factory(dict)
    last_payment_error: LastPaymentError | None = None
    #: An id, or the charge itself when expanded: read as a ChargeRecord when it is one.
    latest_charge: Any = None


@attrs.frozen
class CheckoutSessionRecord:
    id: str
    object: str
    status: str | None
    payment_status: str
    livemode: bool
    amount_total: int | None = None
    currency: str | None = None
    payment_intent: str | None = None
    client_reference_id: str | None = None
    url: str | None = None
    metadata: dict[str, str] | None = None
    customer_details: CustomerDetailsRecord | None = None


@attrs.frozen
class RefundRecord:
    id: str
    object: str
    amount: int
    currency: str
    status: str | None
    payment_intent: str | None = None
    charge: str | None = None
    reason: str | None = None
    failure_reason: str | None = None
    metadata: dict[str, str] | None = None


@attrs.frozen
class RefundList:
    data: list[RefundRecord]


@attrs.frozen
class ChargeRecord:
    id: str
    object: str
    amount: int
    amount_refunded: int
    currency: str
    payment_intent: str | None = None
    metadata: dict[str, str] | None = None
    #: Not included since API version 2022-11-15 unless expanded; refund events carry them.
    refunds: RefundList | None = None
    billing_details: BillingDetailsRecord | None = None
    payment_method_details: PaymentMethodDetailsRecord | None = None


@attrs.frozen
class EvidenceDetails:
    due_by: int | None = None


@attrs.frozen
class DisputeRecord:
    id: str
    object: str
    amount: int
    currency: str
    status: str
    created: int
    charge: str | None = None
    payment_intent: str | None = None
    reason: str | None = None
    evidence_details: EvidenceDetails | None = None
    metadata: dict[str, str] | None = None


@attrs.frozen
class EventData:
    object: dict[str, Any]


@attrs.frozen
class EventRecord:
    """A snapshot (v1) event. ``data.object`` stays a mapping until its type is known."""

    id: str
    object: str
    type: str
    created: int
    livemode: bool
    data: EventData
    api_version: str | None = None


def _strict(kind: type[T]) -> Any:
    def structure(value: object, _: object) -> T:
        if type(value) is not kind:  # bool is not an int, "12" is not an int
            raise TypeError(f"expected a JSON {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    for kind in (int, str, bool):
        converter.register_structure_hook(kind, _strict(kind))
    converter.register_structure_hook(EventData, _event_data)
    return converter


def _event_data(value: object, _: object) -> EventData:
    """``data`` of an event: its object kept as parsed (JSON keys are strings already), not
    copied key by key; it is read into its record once its type is known."""
    if not isinstance(value, dict) or not isinstance(value.get("object"), dict):
        raise TypeError("expected a JSON object under data.object")
    return EventData(object=value["object"])


_converter = _make_converter()


def read(kind: type[T], data: object) -> T:
    """Structure Stripe JSON into ``kind``; raises ``cattrs`` errors or TypeError."""
    if not isinstance(data, dict):
        raise TypeError(f"expected a JSON object for {kind.__name__}")
    return _converter.structure(data, kind)

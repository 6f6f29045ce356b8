"""Stripe objects and events translated into the domain's provider-neutral terms.

Event fields:

- ``order_id``: ``metadata.order_id`` (set on PaymentIntents, on Checkout Sessions and, through
  ``payment_intent_data.metadata``, on the PaymentIntent a session creates; on refunds we ask
  for), else a session's ``client_reference_id``;
- ``payment_id``: the PaymentIntent id whenever there is one, for sessions too (the session's
  ``payment_intent``), else the session id. Refunds and disputes only know the PaymentIntent,
  so once paid an order is known by its PaymentIntent id;
- ``amount``: ``amount_received`` for a succeeded PaymentIntent, ``amount`` for other
  PaymentIntent events, ``amount_total`` for sessions, the disputed amount for disputes;
- ``refunds``: every refund the event carries, ``reference`` = ``metadata.refund_id``;
- ``dispute``: the dispute as it stands (status, amount, reason, ``evidence_details.due_by``)
  for every ``charge.dispute.*`` event the services handle;
- ``payer``: the billing details (name, address, VAT number) and the card (brand, last 4) of
  a charge — ``charge.succeeded``, or a PaymentIntent's ``latest_charge`` when expanded — or
  a Checkout Session's ``customer_details``. Webhooks send ``latest_charge`` as an id, so the
  card comes from ``charge.succeeded`` (when the endpoint is subscribed to it: it is not in
  ``HANDLED_EVENT_TYPES``): an invoice rendered before it arrives names none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs

from billing import bounded_json
from billing.domain.buyer import MAX_NAME_LENGTH, BillingDetails, PayerDetails, card_label
from billing.domain.dispute import DisputeReport
from billing.domain.dispute_status import DisputeStatus
from billing.domain.errors import BillingError, InvalidPayload
from billing.domain.money import Money
from billing.domain.payment import PaymentMode, ProviderPayment, ProviderRefund
from billing.domain.provider_event import EventKind, ProviderEvent
from billing.domain.refund_status import RefundStatus

from .records import (
    AddressRecord,
    ChargeRecord,
    CheckoutSessionRecord,
    DisputeRecord,
    EventRecord,
    PaymentIntentRecord,
    RefundRecord,
    read,
)

T = TypeVar("T")

#: A Checkout Session's (status, payment_status) in the PaymentIntent words the services use.
_SESSION_STATUS = {
    ("open", "unpaid"): "open",
    ("complete", "paid"): "succeeded",
    ("complete", "unpaid"): "processing",
    ("complete", "no_payment_required"): "succeeded",
    ("expired", "unpaid"): "canceled",
}

_PAYMENT_INTENT_KINDS = {
    "payment_intent.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": EventKind.PAYMENT_FAILED,
    "payment_intent.canceled": EventKind.PAYMENT_CANCELED,
    "payment_intent.processing": EventKind.PAYMENT_PENDING,
    "payment_intent.requires_action": EventKind.PAYMENT_PENDING,
}
_SESSION_KINDS = {
    "checkout.session.async_payment_succeeded": EventKind.PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": EventKind.PAYMENT_FAILED,
    "checkout.session.expired": EventKind.PAYMENT_CANCELED,
}
#: The charge of a payment: what it says about the payer (the payment is the PaymentIntent's).
#: Translated when it comes, but not subscribed by default: the sandbox (and the list an
#: endpoint is set up with) sends what HANDLED_EVENT_TYPES names, and the money never
#: depends on it. Add it to the endpoint's events for the card on invoices.
_PAYER_TYPES = frozenset({"charge.succeeded"})
_REFUND_TYPES = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)
#: Each carries the dispute as it stands: the services take its status, whatever the type.
_DISPUTE_TYPES = frozenset(
    {
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    }
)

#: Every event type translated into something other than UNHANDLED: the list a webhook
#: endpoint subscribes to, and the filter for reconciliation.
HANDLED_EVENT_TYPES: frozenset[str] = frozenset(
    {*_PAYMENT_INTENT_KINDS, "checkout.session.completed", *_SESSION_KINDS}
    | _REFUND_TYPES
    | {"charge.refunded"}
    | _DISPUTE_TYPES
)


def _money(amount: int, currency: str) -> Money:
    try:
        return Money(amount, currency)
    except BillingError as error:
        raise InvalidPayload(f"unusable amount: {error.message}") from error


def _time(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _metadata(metadata: Mapping[str, str] | None, key: str) -> str | None:
    return (metadata or {}).get(key) or None


# -- objects returned by the API ---------------------------------------------------------------


def payment_from_intent(pi: PaymentIntentRecord) -> ProviderPayment:
    return ProviderPayment(
        id=pi.id,
        mode=PaymentMode.PAYMENT_INTENT,
        status=pi.status,
        amount=_money(pi.amount, pi.currency),
        client_secret=pi.client_secret,
        payment_intent_id=pi.id,
    )


def session_status(session: CheckoutSessionRecord) -> str:
    """``open``, ``processing``, ``succeeded`` or ``canceled`` (an expired session)."""
    return _SESSION_STATUS.get(
        (session.status or "", session.payment_status), session.status or "unknown"
    )


def payment_from_session(session: CheckoutSessionRecord) -> ProviderPayment:
    if session.amount_total is None or session.currency is None:
        raise InvalidPayload(f"checkout session {session.id} has no amount_total or currency")
    return ProviderPayment(
        id=session.id,
        mode=PaymentMode.CHECKOUT_SESSION,
        status=session_status(session),
        amount=_money(session.amount_total, session.currency),
        checkout_url=session.url,
        payment_intent_id=session.payment_intent,
    )


def refund_from_record(refund: RefundRecord) -> ProviderRefund:
    try:
        status = RefundStatus(refund.status or "")
    except ValueError as error:
        raise InvalidPayload(
            f"refund {refund.id} has an unknown status {refund.status!r}"
        ) from error
    return ProviderRefund(
        id=refund.id,
        payment_id=refund.payment_intent,
        amount=_money(refund.amount, refund.currency),
        status=status,
        reference=_metadata(refund.metadata, "refund_id"),
        reason=_metadata(refund.metadata, "reason") or refund.reason,
        failure_reason=refund.failure_reason,
    )


# -- events ----------------------------------------------------------------------------------


def parse_json(text: str) -> Any:
    """The event's JSON document; one nested past ``bounded_json.MAX_DEPTH`` is not read."""
    try:
        return bounded_json.loads(text)
    except ValueError as error:
        raise InvalidPayload(f"the body is not JSON: {error}") from error


def read_event(data: object) -> EventRecord:
    """The v1 snapshot event in ``data``; a thin (v2) event notification is refused."""
    if isinstance(data, dict) and data.get("object") == "v2.core.event":
        raise InvalidPayload("thin (v2) event notifications are not accepted on this endpoint")
    event = _read(EventRecord, data, "event")
    if event.object != "event":
        raise InvalidPayload(f"not a Stripe event: object is {event.object!r}")
    return event


def event_from_text(text: str) -> tuple[EventRecord, ProviderEvent]:
    """A Stripe event's JSON text, read and translated (the record is for the mode check)."""
    event = read_event(parse_json(text))
    return event, translate_event(event, text)


def event_from_body(payload: bytes) -> ProviderEvent:
    """An event body that needs no signature check (it came from the provider's API or
    store), read like a webhook's."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidPayload("the body is not UTF-8") from error
    return event_from_text(text)[1]


def _read(kind: type[T], data: object, what: str) -> T:
    try:
        return read(kind, data)
    except Exception as error:  # cattrs' errors are ExceptionGroups of TypeError/KeyError/...
        raise InvalidPayload(f"unreadable Stripe {what}: {error!r}") from error


def _object(kind: type[T], event: EventRecord, expected: str) -> T:
    found = event.data.object.get("object")
    if found != expected:
        raise InvalidPayload(f"{event.type} carries a {found!r}, expected a {expected!r}")
    return _read(kind, event.data.object, expected)


def translate_event(event: EventRecord, payload: str) -> ProviderEvent:
    base = ProviderEvent(
        id=event.id,
        type=event.type,
        kind=EventKind.UNHANDLED,
        created_at=_time(event.created),
        payload=payload,
        livemode=event.livemode,
        api_version=event.api_version,
    )
    for matches, translate in _TRANSLATORS:
        if matches(event.type):
            return translate(event, base)
    return base


def _text(value: str | None) -> str:
    return (value or "").strip()


def _address(address: AddressRecord | None) -> tuple[str, str]:
    """The address's lines ("\n"-separated) and its country code."""
    if address is None:
        return "", ""
    town = " ".join(p for p in (_text(address.postal_code), _text(address.city)) if p)
    lines = (_text(address.line1), _text(address.line2), town, _text(address.state))
    return "\n".join(line for line in lines if line), _text(address.country).upper()


def _billing(name: str | None, address: AddressRecord | None, tax_id: str) -> BillingDetails:
    lines, country = _address(address)
    try:
        return BillingDetails(name=_text(name), address=lines, country=country, tax_id=tax_id)
    except BillingError:  # what the payer typed does not fit an invoice: keep the name only
        return BillingDetails(name=_text(name)[:MAX_NAME_LENGTH])


def payer_of_charge(charge: ChargeRecord) -> PayerDetails:
    details = charge.billing_details
    billing = None
    if details is not None:
        billing = _billing(details.name, details.address, _text(details.tax_id))
    method = charge.payment_method_details
    card = method.card if method is not None else None
    label = card_label(card.brand, card.last4) if card is not None else ""
    return PayerDetails(billing=billing, payment_method=label)


def _payer_of_intent(pi: PaymentIntentRecord) -> PayerDetails | None:
    if not isinstance(pi.latest_charge, dict):
        return None  # an id (as webhooks send it): the charge's own event tells the rest
    return payer_of_charge(_read(ChargeRecord, pi.latest_charge, "charge"))


def _payer_of_session(session: CheckoutSessionRecord) -> PayerDetails | None:
    details = session.customer_details
    if details is None:
        return None
    vat = next((t.value for t in details.tax_ids or () if t.type == "eu_vat" and t.value), "")
    name = details.business_name or details.name
    return PayerDetails(billing=_billing(name, details.address, _text(vat)))


def _from_charge(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    charge = _object(ChargeRecord, event, "charge")
    return _evolve(
        base,
        kind=EventKind.PAYER_REPORTED,
        order_id=_metadata(charge.metadata, "order_id"),
        payment_id=charge.payment_intent,
        payer=payer_of_charge(charge),
    )


def _from_payment_intent(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    pi = _object(PaymentIntentRecord, event, "payment_intent")
    kind = _PAYMENT_INTENT_KINDS[event.type]
    failure = pi.last_payment_error if kind is EventKind.PAYMENT_FAILED else None
    amount = pi.amount_received if kind is EventKind.PAYMENT_SUCCEEDED else pi.amount
    return _evolve(
        base,
        kind=kind,
        order_id=_metadata(pi.metadata, "order_id"),
        payment_id=pi.id,
        amount=_money(amount, pi.currency),
        failure_code=(failure.decline_code or failure.code) if failure else None,
        payer=_payer_of_intent(pi) if kind is EventKind.PAYMENT_SUCCEEDED else None,
    )


def _from_session(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    session = _object(CheckoutSessionRecord, event, "checkout.session")
    if event.type == "checkout.session.completed":
        paid = session.payment_status == "paid"
        kind = EventKind.PAYMENT_SUCCEEDED if paid else EventKind.PAYMENT_PENDING
    else:
        kind = _SESSION_KINDS[event.type]
    amount = None
    if session.amount_total is not None and session.currency is not None:
        amount = _money(session.amount_total, session.currency)
    if kind is EventKind.PAYMENT_SUCCEEDED and amount is None:
        raise InvalidPayload(f"{event.type} {event.id} has no amount_total")
    return _evolve(
        base,
        kind=kind,
        order_id=_metadata(session.metadata, "order_id") or session.client_reference_id,
        payment_id=session.payment_intent or session.id,
        amount=amount,
        payer=_payer_of_session(session) if kind is EventKind.PAYMENT_SUCCEEDED else None,
    )


def _from_refund(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    refund = _object(RefundRecord, event, "refund")
    return _evolve(
        base,
        kind=EventKind.REFUND_UPDATED,
        order_id=_metadata(refund.metadata, "order_id"),
        payment_id=refund.payment_intent,
        refunds=(refund_from_record(refund),),
    )


def _from_charge_refunded(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    charge = _object(ChargeRecord, event, "charge")
    refunds = charge.refunds.data if charge.refunds is not None else []
    return _evolve(
        base,
        kind=EventKind.REFUND_UPDATED,
        order_id=_metadata(charge.metadata, "order_id"),
        payment_id=charge.payment_intent,
        refunds=tuple(refund_from_record(refund) for refund in refunds),
    )


def dispute_from_record(dispute: DisputeRecord) -> DisputeReport:
    try:
        status = DisputeStatus(dispute.status)
    except ValueError as error:
        raise InvalidPayload(
            f"dispute {dispute.id} has an unknown status {dispute.status!r}"
        ) from error
    due_by = dispute.evidence_details.due_by if dispute.evidence_details else None
    return DisputeReport(
        id=dispute.id,
        payment_id=dispute.payment_intent,
        amount=_money(dispute.amount, dispute.currency),
        status=status,
        opened_at=_time(dispute.created),
        reason=dispute.reason,
        evidence_due_by=_time(due_by) if due_by is not None else None,
    )


def _from_dispute(event: EventRecord, base: ProviderEvent) -> ProviderEvent:
    dispute = _object(DisputeRecord, event, "dispute")
    report = dispute_from_record(dispute)
    return _evolve(
        base,
        kind=EventKind.DISPUTE_UPDATED,
        order_id=_metadata(dispute.metadata, "order_id"),
        payment_id=dispute.payment_intent,
        amount=report.amount,
        dispute=report,
    )


def _evolve(base: ProviderEvent, **changes: Any) -> ProviderEvent:
    return attrs.evolve(base, **changes)


_TRANSLATORS: tuple[tuple[Callable[[str], bool], Callable[..., ProviderEvent]], ...] = (
    (_PAYMENT_INTENT_KINDS.__contains__, _from_payment_intent),
    (lambda t: t == "checkout.session.completed" or t in _SESSION_KINDS, _from_session),
    (_REFUND_TYPES.__contains__, _from_refund),
    ("charge.refunded".__eq__, _from_charge_refunded),
    (_DISPUTE_TYPES.__contains__, _from_dispute),
    (_PAYER_TYPES.__contains__, _from_charge),
)

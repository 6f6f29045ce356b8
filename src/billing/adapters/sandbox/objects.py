"""Stripe objects and events as the sandbox serves them, built from Stripe's example objects.

Every object starts as a copy of the official example (``stripe_examples.json``, the same
entries as ``tests/fixtures/stripe/fixtures3.json``) with the fields a request sets overridden,
the way Stripe fills them. Ids are shaped like Stripe's test-mode ids and random.
"""

from __future__ import annotations

import functools
import json
import secrets
import string
from importlib import resources
from typing import Any

from billing.adapters.stripe_format import STRIPE_API_VERSION

from .store import Document

_ALPHABET = string.ascii_letters + string.digits
#: The key under which a stored object keeps what only the sandbox knows.
PRIVATE = "_sandbox"


def stripe_id(prefix: str, length: int = 24) -> str:
    """``pi_3Q…``-like: the prefix and ``length`` random letters and digits (one uniform draw
    below 62**length, written in base 62: the same ids as a draw per letter, at one call)."""
    number = secrets.randbelow(len(_ALPHABET) ** length)
    letters = []
    for _ in range(length):
        number, digit = divmod(number, len(_ALPHABET))
        letters.append(_ALPHABET[digit])
    return prefix + "".join(letters)


@functools.cache
def _examples() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("stripe_examples.json").read_text("utf-8")
    examples: dict[str, Any] = json.loads(text)["resources"]
    return examples


@functools.cache
def _example_text(name: str) -> str:
    return json.dumps(_examples()[name])


def example(name: str, **overrides: Any) -> Document:
    """A fresh copy of Stripe's example ``name`` object with ``overrides`` applied (parsed
    again from its JSON text: a deep copy, made in C)."""
    obj: Document = json.loads(_example_text(name))
    obj.update(overrides)
    return obj


def public(document: Document) -> Document:
    """The object as Stripe would show it: without the sandbox's bookkeeping."""
    return {key: value for key, value in document.items() if key != PRIVATE}


def payment_intent(
    *, amount: int, currency: str, metadata: dict[str, str], created: int, **fields: Any
) -> Document:
    intent_id = stripe_id("pi_")
    defaults: dict[str, Any] = {"receipt_email": None, **fields}
    return example(
        "payment_intent",
        id=intent_id,
        amount=amount,
        amount_received=0,
        currency=currency,
        metadata=metadata,
        status="requires_payment_method",
        client_secret=f"{intent_id}_secret_{stripe_id('', 25)}",
        created=created,
        canceled_at=None,
        cancellation_reason=None,
        last_payment_error=None,
        latest_charge=None,
        next_action=None,
        payment_method=None,
        processing=None,
        shipping=None,
        transfer_data=None,
        **defaults,
    )


def customer(*, email: str | None, metadata: dict[str, str], created: int) -> Document:
    return example(
        "customer", id=stripe_id("cus_", 14), email=email, metadata=metadata, created=created
    )


def checkout_session(
    *, amount: int, currency: str, created: int, expires_at: int, **fields: Any
) -> Document:
    return example(
        "checkout.session",
        id=stripe_id("cs_test_", 58),
        amount_subtotal=amount,
        amount_total=amount,
        currency=currency,
        created=created,
        expires_at=expires_at,
        payment_intent=None,  # created when the customer pays, as in current API versions
        status="open",
        payment_status="unpaid",
        customer_details=None,
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        shipping_cost=None,
        shipping_address_collection=None,
        currency_conversion=None,
        collected_information=None,
        **fields,
    )


def charge(intent: Document, *, last4: str, created: int) -> Document:
    """The successful charge of a PaymentIntent (refunds list not included, as since
    API version 2022-11-15)."""
    obj = example(
        "charge",
        id=stripe_id("ch_"),
        amount=intent["amount"],
        amount_captured=intent["amount"],
        amount_refunded=0,
        captured=True,
        created=created,
        currency=intent["currency"],
        metadata=dict(intent["metadata"]),
        paid=True,
        payment_intent=intent["id"],
        payment_method=intent["payment_method"],
        receipt_url=None,
        refunded=False,
        source=None,
        status="succeeded",
    )
    obj.pop("refunds", None)
    obj["payment_method_details"]["card"]["last4"] = last4
    return obj


def refund(
    *,
    amount: int,
    currency: str,
    charge_id: str,
    payment_intent_id: str,
    metadata: dict[str, str],
    reason: str | None,
    created: int,
) -> Document:
    return example(
        "refund",
        id=stripe_id("re_"),
        amount=amount,
        currency=currency,
        charge=charge_id,
        payment_intent=payment_intent_id,
        metadata=metadata,
        reason=reason,
        status="succeeded",
        created=created,
        destination_details=None,
    )


def event(type_: str, obj: Document, *, created: int, idempotency_key: str | None) -> Document:
    """A snapshot event carrying ``obj`` as it is now, like Stripe's v1 events."""
    return example(
        "event",
        id=stripe_id("evt_"),
        type=type_,
        created=created,
        livemode=False,
        api_version=STRIPE_API_VERSION,
        data={"object": public(obj)},
        pending_webhooks=1,
        request={"id": stripe_id("req_", 14), "idempotency_key": idempotency_key},
    )

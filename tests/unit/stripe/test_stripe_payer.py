"""The payer in Stripe's events (Stripe's own example objects): a charge's billing details and
card, an expanded ``latest_charge``, a Checkout Session's ``customer_details``."""

from __future__ import annotations

import json
from typing import Any

from billing.adapters.stripe_format.translate import event_from_body
from billing.domain.buyer import BillingDetails
from billing.domain.provider_event import EventKind
from tests.contract.stripe_emulator import stripe_event, stripe_fixture

CREATED = 1_767_225_600
ADDRESS = {
    "line1": "3 place du Marché",
    "line2": None,
    "postal_code": "69001",
    "city": "Lyon",
    "state": None,
    "country": "FR",
}


def _body(type_: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(stripe_event(type_, obj, created=CREATED, id="evt_payer")).encode()


def _charge(**overrides: Any) -> dict[str, Any]:
    charge = stripe_fixture(
        "charge", payment_intent="pi_payer", metadata={"order_id": "ord_000001"}, **overrides
    )
    charge["billing_details"] = {**charge["billing_details"], "address": ADDRESS}
    return charge


def test_a_succeeded_charge_reports_the_payer_and_the_card() -> None:
    event = event_from_body(_body("charge.succeeded", _charge()))

    assert event.kind is EventKind.PAYER_REPORTED
    assert (event.order_id, event.payment_id) == ("ord_000001", "pi_payer")
    assert event.payer is not None
    assert event.payer.payment_method == "Visa •••• 4242"
    assert event.payer.billing == BillingDetails(
        name="Jenny Rosen", address="3 place du Marché\n69001 Lyon", country="FR"
    )


def test_an_expanded_latest_charge_carries_the_payer_with_the_payment() -> None:
    intent = stripe_fixture(
        "payment_intent",
        id="pi_payer",
        status="succeeded",
        amount=1099,
        amount_received=1099,
        currency="eur",
        metadata={"order_id": "ord_000001"},
        latest_charge=_charge(),
    )
    event = event_from_body(_body("payment_intent.succeeded", intent))

    assert event.kind is EventKind.PAYMENT_SUCCEEDED
    assert event.payer is not None
    assert event.payer.payment_method == "Visa •••• 4242"


def test_a_latest_charge_id_says_nothing_of_the_payer() -> None:
    intent = stripe_fixture(
        "payment_intent",
        status="succeeded",
        amount_received=1099,
        latest_charge="ch_1PgafuB7WZ01zgkWXYmPNZs8",
    )
    assert event_from_body(_body("payment_intent.succeeded", intent)).payer is None


def test_a_paid_checkout_session_reports_the_customer_and_its_vat_number() -> None:
    session = stripe_fixture(
        "checkout.session",
        status="complete",
        payment_status="paid",
        amount_total=2900,
        currency="eur",
        metadata={"order_id": "ord_000001"},
    )
    session["customer_details"] = {
        **session["customer_details"],
        "name": "Jean Dupont",
        "business_name": "Dupont Formation SARL",
        "address": ADDRESS,
        "tax_ids": [{"type": "eu_vat", "value": "FR40303265045"}],
    }
    event = event_from_body(_body("checkout.session.completed", session))

    assert event.payer is not None
    assert event.payer.billing is not None
    assert (event.payer.billing.name, event.payer.billing.tax_id) == (
        "Dupont Formation SARL",
        "FR40303265045",
    )


def test_billing_details_unfit_for_an_invoice_keep_only_the_name() -> None:
    charge = _charge()
    charge["billing_details"]["address"] = {**ADDRESS, "country": "France"}
    event = event_from_body(_body("charge.succeeded", charge))

    assert event.payer is not None
    assert event.payer.billing == BillingDetails(name="Jenny Rosen")

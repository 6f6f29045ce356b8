"""A stateful stand-in for the Stripe API, served through respx, built from Stripe's examples.

Every object it returns starts as a copy of Stripe's official example object
(``tests/fixtures/stripe/fixtures3.json``) with the fields a request sets overridden, the way
Stripe fills them. It keeps what the provider contract relies on: idempotency keys (same key
and parameters → same object, same key with other parameters → ``idempotency_error``; like
Stripe, a key is forgotten 24 hours after its first use), refund limits, PaymentIntent and
Checkout Session statuses, and the Search API on ``metadata['order_id']``. It also builds and
signs webhook events the way Stripe does.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx
import stripe

from billing.adapters.stripe import STRIPE_API_VERSION
from billing.ports.clock import Clock

API_BASE = "https://api.stripe.com"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stripe" / "fixtures3.json"
#: Stripe keeps an idempotency key for 24 hours; a later request with it is a new request.
KEY_LIFETIME = timedelta(hours=24)
#: The one search query the adapter sends: ``metadata['order_id']:'ord_…'``.
_ORDER_QUERY = re.compile(r"^metadata\['order_id'\]:'(?P<order_id>(?:[^'\\]|\\.)*)'$")


@functools.cache
def _resources() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return resources


def stripe_fixture(name: str, **overrides: Any) -> dict[str, Any]:
    """A fresh copy of Stripe's example ``name`` object with ``overrides`` applied."""
    obj: dict[str, Any] = copy.deepcopy(_resources()[name])
    obj.update(overrides)
    return obj


def stripe_event(
    type_: str, obj: Mapping[str, Any], *, created: int, livemode: bool = False, **overrides: Any
) -> dict[str, Any]:
    """A snapshot event from Stripe's example event, carrying ``obj``."""
    return stripe_fixture(
        "event",
        type=type_,
        data={"object": dict(obj)},
        created=created,
        livemode=livemode,
        api_version=STRIPE_API_VERSION,
        **overrides,
    )


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The ``Stripe-Signature`` header Stripe would send, from stripe-python's own code."""
    header: str = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp
    )
    return header


def form(request: httpx.Request) -> dict[str, str]:
    """The form-encoded body (or query string) of a request, flattened as Stripe encodes it."""
    text = request.content.decode() if request.method == "POST" else request.url.query.decode()
    return dict(parse_qsl(text, keep_blank_values=True))


def error_body(type_: str, message: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Stripe error response body (the API's documented shape; not in fixtures3.json)."""
    return {"error": {"type": type_, "message": message, "code": code, **extra}}


def _error(status: int, type_: str, message: str, code: str | None = None) -> httpx.Response:
    return httpx.Response(status, json=error_body(type_, message, code))


class StripeEmulator:
    """Mounts the routes the adapter uses on ``router`` and serves them from memory."""

    def __init__(self, router: respx.MockRouter, clock: Clock) -> None:
        self._clock = clock
        self._serial = itertools.count(1)
        self._by_key: dict[tuple[str, str], tuple[dict[str, str], dict[str, Any], datetime]] = {}
        self.intents: dict[str, dict[str, Any]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.session_intent_metadata: dict[str, dict[str, str]] = {}
        self.searches: list[str] = []
        pi = r"/v1/payment_intents/(?P<object_id>[^/]+)"
        cs = r"/v1/checkout/sessions/(?P<object_id>[^/]+)"
        router.post("/v1/payment_intents").mock(side_effect=self._create_intent)
        # Before the retrieve route, which would take "search" for an id.
        router.get("/v1/payment_intents/search").mock(side_effect=self._search_intents)
        router.get(path__regex=rf"^{pi}$").mock(side_effect=self._get_intent)
        router.post(path__regex=rf"^{pi}/cancel$").mock(side_effect=self._cancel_intent)
        router.post("/v1/checkout/sessions").mock(side_effect=self._create_session)
        router.get(path__regex=rf"^{cs}$").mock(side_effect=self._get_session)
        router.post(path__regex=rf"^{cs}/expire$").mock(side_effect=self._expire_session)
        router.post("/v1/refunds").mock(side_effect=self._create_refund)
        router.post("/v1/customers").mock(side_effect=self._create_customer)

    # -- what the customer or the dashboard does -----------------------------------------------

    def complete(self, payment_id: str) -> dict[str, Any]:
        """The customer pays: the PaymentIntent (a session's, created now) succeeds."""
        if payment_id in self.sessions:
            session = self.sessions[payment_id]
            intent = self._new_intent(
                session["amount_total"],
                session["currency"],
                self.session_intent_metadata[payment_id],
            )
            session.update(status="complete", payment_status="paid", payment_intent=intent["id"])
            payment_id = intent["id"]
        intent = self.intents[payment_id]
        intent.update(status="succeeded", amount_received=intent["amount"])
        return intent

    # -- routes ------------------------------------------------------------------------------

    def _idempotent(self, request: httpx.Request, create: Any) -> httpx.Response:
        params = form(request)
        key = (request.url.path, request.headers.get("Idempotency-Key", ""))
        now = self._clock.now()
        if key in self._by_key and now - self._by_key[key][2] >= KEY_LIFETIME:
            del self._by_key[key]  # forgotten, as Stripe forgets it
        if key[1] and key in self._by_key:
            known, answer, _ = self._by_key[key]
            if known != params:
                return _error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return httpx.Response(200, json=answer, headers={"Idempotent-Replayed": "true"})
        result = create(params)
        if isinstance(result, httpx.Response):
            return result
        if key[1]:
            self._by_key[key] = (params, copy.deepcopy(result), now)
        return httpx.Response(200, json=result)

    def _new_intent(self, amount: int, currency: str, metadata: dict[str, str]) -> dict[str, Any]:
        intent_id = f"pi_emu{next(self._serial):06d}"
        intent = stripe_fixture(
            "payment_intent",
            id=intent_id,
            amount=amount,
            amount_received=0,
            currency=currency,
            metadata=metadata,
            status="requires_payment_method",
            client_secret=f"{intent_id}_secret_emu",
            created=int(self._clock.now().timestamp()),
            canceled_at=None,
            last_payment_error=None,
            next_action=None,
        )
        self.intents[intent_id] = intent
        return intent

    def _create_intent(self, request: httpx.Request) -> httpx.Response:
        def create(params: dict[str, str]) -> dict[str, Any]:
            intent = self._new_intent(
                int(params["amount"]), params["currency"], _nested(params, "metadata")
            )
            intent["receipt_email"] = params.get("receipt_email")
            intent["customer"] = params.get("customer")
            return intent

        return self._idempotent(request, create)

    def _search_intents(self, request: httpx.Request) -> httpx.Response:
        """``GET /v1/payment_intents/search``: only ``metadata['order_id']:'…'`` is understood."""
        query = form(request).get("query", "")
        match = _ORDER_QUERY.match(query)
        if match is None:
            return _error(400, "invalid_request_error", f"unsupported query: {query!r}")
        order_id = re.sub(r"\\(.)", r"\1", match["order_id"])
        found = [
            intent
            for intent in reversed(self.intents.values())  # newest first, as Stripe sorts
            if intent.get("metadata", {}).get("order_id") == order_id
        ]
        self.searches.append(query)
        return httpx.Response(
            200,
            json={
                "object": "search_result",
                "data": found,
                "has_more": False,
                "next_page": None,
                "url": "/v1/payment_intents/search",
            },
        )

    def _get_intent(self, request: httpx.Request, object_id: str) -> httpx.Response:
        if object_id not in self.intents:
            return _missing("payment_intent", object_id)
        return httpx.Response(200, json=self.intents[object_id])

    def _cancel_intent(self, request: httpx.Request, object_id: str) -> httpx.Response:
        intent = self.intents.get(object_id)
        if intent is None:
            return _missing("payment_intent", object_id)
        if intent["status"] in ("succeeded", "canceled"):
            return _error(
                400,
                "invalid_request_error",
                f"You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                "payment_intent_unexpected_state",
            )
        intent.update(status="canceled", cancellation_reason="requested_by_customer")
        return httpx.Response(200, json=intent)

    def _create_session(self, request: httpx.Request) -> httpx.Response:
        def create(params: dict[str, str]) -> dict[str, Any]:
            session_id = f"cs_test_emu{next(self._serial):06d}"
            total, index = 0, 0
            while f"line_items[{index}][quantity]" in params:
                unit = int(params[f"line_items[{index}][price_data][unit_amount]"])
                total += unit * int(params[f"line_items[{index}][quantity]"])
                index += 1
            session = stripe_fixture(
                "checkout.session",
                id=session_id,
                amount_subtotal=total,
                amount_total=total,
                currency=params["line_items[0][price_data][currency]"],
                client_reference_id=params.get("client_reference_id"),
                customer_email=params.get("customer_email"),
                customer=params.get("customer"),
                metadata=_nested(params, "metadata"),
                payment_intent=None,  # created when the customer pays
                status="open",
                payment_status="unpaid",
                success_url=params["success_url"],
                cancel_url=params["cancel_url"],
                expires_at=int(params["expires_at"]),
                url=f"https://checkout.stripe.com/c/pay/{session_id}",
                created=int(self._clock.now().timestamp()),
            )
            self.sessions[session_id] = session
            self.session_intent_metadata[session_id] = _nested(
                params, "payment_intent_data[metadata]"
            )
            return session

        return self._idempotent(request, create)

    def _create_customer(self, request: httpx.Request) -> httpx.Response:
        def create(params: dict[str, str]) -> dict[str, Any]:
            customer = stripe_fixture(
                "customer",
                id=f"cus_emu{next(self._serial):06d}",
                email=params.get("email"),
                metadata=_nested(params, "metadata"),
                created=int(self._clock.now().timestamp()),
            )
            self.customers[customer["id"]] = customer
            return customer

        return self._idempotent(request, create)

    def _get_session(self, request: httpx.Request, object_id: str) -> httpx.Response:
        if object_id not in self.sessions:
            return _missing("checkout.session", object_id)
        return httpx.Response(200, json=self.sessions[object_id])

    def _expire_session(self, request: httpx.Request, object_id: str) -> httpx.Response:
        session = self.sessions.get(object_id)
        if session is None:
            return _missing("checkout.session", object_id)
        if session["status"] != "open":
            return _error(
                400,
                "invalid_request_error",
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session["status"] = "expired"
        return httpx.Response(200, json=session)

    def _create_refund(self, request: httpx.Request) -> httpx.Response:
        def create(params: dict[str, str]) -> dict[str, Any] | httpx.Response:
            intent = self.intents.get(params.get("payment_intent", ""))
            if intent is None:
                return _missing("payment_intent", params.get("payment_intent", ""))
            if intent["status"] != "succeeded":
                return _error(
                    400,
                    "invalid_request_error",
                    f"This PaymentIntent ({intent['id']}) does not have a successful charge "
                    "to refund.",
                )
            taken = sum(
                r["amount"]
                for r in self.refunds.values()
                if r["payment_intent"] == intent["id"] and r["status"] != "failed"
            )
            left = intent["amount_received"] - taken
            amount = int(params.get("amount", left))
            if amount > left:
                return _error(
                    400,
                    "invalid_request_error",
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                    f"({left})",
                    "amount_too_large",
                )
            refund = stripe_fixture(
                "refund",
                id=f"re_emu{next(self._serial):06d}",
                amount=amount,
                currency=intent["currency"],
                payment_intent=intent["id"],
                metadata=_nested(params, "metadata"),
                reason=params.get("reason"),
                status="succeeded",
                created=int(self._clock.now().timestamp()),
            )
            self.refunds[refund["id"]] = refund
            return refund

        return self._idempotent(request, create)


def _nested(params: Mapping[str, str], prefix: str) -> dict[str, str]:
    """``metadata[order_id]=x`` → ``{"order_id": "x"}`` for a form-encoded hash."""
    start = f"{prefix}["
    return {
        key[len(start) : -1]: value
        for key, value in params.items()
        if key.startswith(start) and key.endswith("]") and "[" not in key[len(start) : -1]
    }


def _missing(kind: str, object_id: str) -> httpx.Response:
    return _error(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing"
    )

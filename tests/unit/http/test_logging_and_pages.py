"""Correlation ids and JSON logs without secrets; the success and cancel pages."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from billing.entrypoints.logging_json import configure_logging

from .conftest import ADMIN, Shop


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(stream)
    yield stream
    configure_logging()


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_given_request_id_is_echoed_and_a_missing_one_is_made(shop: Shop) -> None:
    given = shop.client.get("/billing/openapi.json", headers={"X-Request-ID": "req-42"})
    made = shop.client.get("/billing/openapi.json")
    junk = shop.client.get("/billing/openapi.json", headers={"X-Request-ID": "a b;c"})

    assert given.headers["X-Request-ID"] == "req-42"
    assert len(made.headers["X-Request-ID"]) == 32
    assert junk.headers["X-Request-ID"] not in {"a b;c", made.headers["X-Request-ID"]}


def test_every_log_record_of_a_request_carries_its_id_and_no_secret(
    shop: Shop, log_stream: io.StringIO
) -> None:
    answer = shop.checkout({"X-Request-ID": "req-checkout"}, email="guest@example.com")
    order_id, token = answer.json["order"]["id"], answer.json["order_token"]
    client_secret = answer.json["payment"]["client_secret"]
    delivery = shop.events.payment_succeeded(answer.json["payment"]["id"])
    shop.client.post(
        "/billing/webhooks/stripe/",
        data=delivery.payload,
        headers={"Stripe-Signature": delivery.signature, "X-Request-ID": "req-hook"},
    )
    shop.client.get(f"/billing/orders/{order_id}?token={token}", headers=ADMIN)

    lines = _lines(log_stream)
    by_id = {line["correlation_id"] for line in lines}
    assert {"req-checkout", "req-hook"} <= by_id
    assert None not in by_id
    hook = [line for line in lines if line["correlation_id"] == "req-hook"]
    [access] = [line for line in hook if line["logger"] == "billing.http"]
    assert (access["event_id"], access["outcome"], access["order_id"]) == (
        delivery.event_id,
        "processed",
        order_id,
    )
    text = log_stream.getvalue()
    for secret in (token, client_secret, ADMIN["Authorization"].split()[1], delivery.signature):
        assert secret not in text


def test_the_success_page_reloads_until_the_order_is_paid(shop: Shop) -> None:
    order_id, token, payment_id = shop.guest_order()
    url = f"/billing/success/?order={order_id}&token={token}"

    waiting = shop.client.get(url, follow_redirects=True)  # the token moves into the cookie
    shop.pay(payment_id)
    paid = shop.client.get(f"/billing/success/?order={order_id}")

    assert waiting.status_code == paid.status_code == 200
    assert waiting.request.args.to_dict() == {"order": order_id}
    assert waiting.content_type.startswith("text/html")
    assert 'http-equiv="refresh"' in waiting.get_data(as_text=True)
    assert "Awaiting payment" in waiting.get_data(as_text=True)
    page = paid.get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    assert 'data-status="paid">Paid</span>' in page
    assert "INV-" in page


def test_the_success_page_shows_nothing_of_an_order_to_a_stranger(shop: Shop) -> None:
    order_id, _, _ = shop.guest_order()

    page = shop.client.get(f"/billing/success/?order={order_id}&token=wrong")

    assert page.status_code == 200
    assert order_id not in page.get_data(as_text=True)
    assert "being confirmed" in page.get_data(as_text=True)


def test_the_cancel_page_says_no_payment_was_taken(shop: Shop) -> None:
    page = shop.client.get("/billing/cancel/?order=ord_1")

    assert page.status_code == 200
    assert "No payment was taken" in page.get_data(as_text=True)

"""The Flask app answers health always, and nothing else while billing is disabled."""

from __future__ import annotations

import json

import pytest

import billing
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings


def test_health_reports_the_toggle_when_disabled() -> None:
    client = create_app(Settings(enabled=False)).test_client()

    response = client.get("/billing/health/")

    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["billing_enabled"] is False
    assert body["version"] == billing.__version__
    assert body["database"]["ok"] is True
    assert body["database"]["latency_ms"] >= 0
    assert body["provider"] == {
        "name": "fake",
        "configured": True,
        "webhook_secret_configured": True,
    }
    assert body["webhooks"] == {
        "by_status": {},
        "failed": 0,
        "oldest_unprocessed_age_s": None,
        "last_received_at": None,
    }
    assert body["tasks"] == {"dead": 0, "backlog": 0}


def test_health_answers_503_when_the_database_is_unreachable() -> None:
    settings = Settings(
        enabled=True, storage="sql", database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    client = create_app(settings).test_client()

    response = client.get("/billing/health/")

    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["database"] == {"ok": False, "latency_ms": None}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/billing/orders/ord_1"),
        ("post", "/billing/checkout/"),
        ("post", "/billing/webhooks/stripe/"),
        ("get", "/billing/anything"),
    ],
)
def test_every_other_billing_route_is_closed_while_disabled(method: str, path: str) -> None:
    client = create_app(Settings(enabled=False)).test_client()

    response = getattr(client, method)(path)

    assert response.status_code == 503
    assert response.json["code"] == "billing_disabled"


def test_the_gate_opens_when_enabled() -> None:
    client = create_app(Settings(enabled=True)).test_client()

    response = client.get("/billing/no-such-route")

    assert response.status_code == 404


def test_the_stripe_provider_is_chosen_by_settings_and_fails_closed_without_a_secret() -> None:
    settings = Settings(enabled=True, payment_provider="stripe", stripe_secret_key="sk_test_x")
    client = create_app(settings).test_client()

    body = client.get("/billing/health/").json

    assert body["provider"] == {
        "name": "stripe",
        "configured": True,
        "webhook_secret_configured": False,
    }


def test_a_malformed_stripe_key_shows_as_not_configured() -> None:
    settings = Settings(enabled=True, payment_provider="stripe", stripe_secret_key="oops")
    client = create_app(settings).test_client()

    body = client.get("/billing/health/").json

    assert body["provider"]["configured"] is False
    assert "oops" not in json.dumps(body)

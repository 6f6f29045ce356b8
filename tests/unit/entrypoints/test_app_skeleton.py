"""The Flask app answers health always, and nothing else while billing is disabled."""

from __future__ import annotations

import pytest

from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings


def test_health_reports_the_toggle_when_disabled() -> None:
    client = create_app(Settings(enabled=False)).test_client()

    response = client.get("/billing/health/")

    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "enabled": False,
        "provider": "fake",
        "webhook_configured": True,
    }


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

    assert (body["provider"], body["webhook_configured"]) == ("stripe", False)

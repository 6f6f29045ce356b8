"""The Flask app answers health always, and nothing else while billing is disabled."""

from __future__ import annotations

import pytest

import billing
from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.flask_app import create_app
from billing.entrypoints.settings import Settings
from tests.seller import SELLER_FIELDS


def test_health_reports_the_toggle_when_disabled() -> None:
    client = create_app(Settings.in_memory(enabled=False)).test_client()

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
    client = create_app(Settings.in_memory(enabled=False)).test_client()

    response = getattr(client, method)(path)

    assert response.status_code == 503
    assert response.json["code"] == "billing_disabled"


def test_the_gate_opens_when_enabled() -> None:
    client = create_app(Settings.in_memory(enabled=True)).test_client()

    response = client.get("/billing/no-such-route")

    assert response.status_code == 404


def test_health_is_degraded_while_the_stripe_webhook_secret_is_missing() -> None:
    settings = Settings.in_memory(
        enabled=True,
        payment_provider="stripe",
        stripe_secret_key="sk_test_x",
        secret_key="s" * 32,
        **SELLER_FIELDS,
    )
    client = create_app(settings).test_client()

    response = client.get("/billing/health/")

    assert response.status_code == 503
    assert response.json["status"] == "degraded"
    assert response.json["provider"] == {
        "name": "stripe",
        "configured": True,
        "webhook_secret_configured": False,
    }


def test_a_malformed_stripe_key_stops_the_app_naming_the_setting_not_the_key() -> None:
    with pytest.raises(ConfigurationError) as refused:
        create_app(Settings.in_memory(enabled=True, stripe_secret_key="oops-secret"))

    assert refused.value.variable == "STRIPE_SECRET_KEY"
    assert "oops-secret" not in str(refused.value)


def test_the_session_signer_is_reused_until_the_secret_key_changes() -> None:
    app = create_app(Settings.in_memory(enabled=True))
    sessions = app.session_interface
    first = sessions.get_signing_serializer(app)  # type: ignore[attr-defined]
    cookie = first.dumps({"user": "u_1"})
    again = sessions.get_signing_serializer(app)  # type: ignore[attr-defined]
    app.secret_key = "another-secret-key-0123456789abcdef"
    rotated = sessions.get_signing_serializer(app)  # type: ignore[attr-defined]

    assert again is first
    assert rotated is not first
    with pytest.raises(Exception, match="does not match"):
        rotated.loads(cookie)
    app.config["SECRET_KEY_FALLBACKS"] = [first.secret_keys[-1]]
    assert sessions.get_signing_serializer(app).loads(cookie) == {"user": "u_1"}  # type: ignore[attr-defined]

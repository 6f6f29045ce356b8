"""Settings come from the environment, are validated, and never show secrets."""

from __future__ import annotations

import pytest

from billing.domain.errors import InvalidInput
from billing.entrypoints.settings import Settings


def test_billing_is_off_by_default() -> None:
    assert Settings.from_env({}).enabled is False


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False)])
def test_the_toggle_reads_common_spellings(raw: str, expected: bool) -> None:
    assert Settings.from_env({"BILLING_ENABLED": raw}).enabled is expected


@pytest.mark.parametrize(
    "env",
    [
        {"BILLING_ENABLED": "maybe"},
        {"BILLING_PAYMENT_PROVIDER": "paypal"},
        {"BILLING_STRIPE_MAX_NETWORK_RETRIES": "many"},
        {"BILLING_STRIPE_MAX_NETWORK_RETRIES": "99"},
    ],
)
def test_invalid_values_are_refused_with_the_setting_named(env: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as refused:
        Settings.from_env(env)
    assert refused.value.details["setting"] == next(iter(env))


def test_secrets_never_appear_in_repr() -> None:
    settings = Settings.from_env(
        {
            "STRIPE_SECRET_KEY": "sk_test_verysecret",
            "STRIPE_WEBHOOK_SECRET": "whsec_one, whsec_two",
            "BILLING_ADMIN_TOKEN": "admin-secret",
        }
    )

    assert settings.stripe_webhook_secrets == ("whsec_one", "whsec_two")
    text = repr(settings)
    assert "verysecret" not in text
    assert "whsec_" not in text
    assert "admin-secret" not in text

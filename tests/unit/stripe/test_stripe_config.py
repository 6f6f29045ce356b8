"""The Stripe adapter's configuration: keys, secrets, API version pin, nothing at import."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import stripe

from billing.adapters.memory import FixedClock
from billing.adapters.stripe import (
    STRIPE_API_VERSION,
    StripeConfig,
    StripePaymentProvider,
    webhook_secret_list,
)
from billing.domain.errors import ProviderMisconfigured


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("whsec_a", ("whsec_a",)),
        ("whsec_new, whsec_old", ("whsec_new", "whsec_old")),
        (" whsec_a ,, ", ("whsec_a",)),
        ("", ()),
        (None, ()),
        (["whsec_a", " "], ("whsec_a",)),
    ],
)
def test_webhook_secrets_read_the_comma_separated_setting(
    value: str | list[str] | None, expected: tuple[str, ...]
) -> None:
    assert webhook_secret_list(value) == expected
    assert StripeConfig("sk_test_x", webhook_secrets=value).webhook_secrets == expected


@pytest.mark.parametrize(
    ("key", "live"),
    [("sk_test_x", False), ("rk_test_x", False), ("sk_live_x", True), ("rk_live_x", True)],
)
def test_the_mode_comes_from_the_secret_key(key: str, live: bool) -> None:
    assert StripeConfig(key).livemode is live


@pytest.mark.parametrize("key", ["", "   ", "pk_test_x", "whsec_x", "sk_x"])
def test_a_missing_or_wrong_secret_key_is_a_misconfiguration(key: str) -> None:
    with pytest.raises(ProviderMisconfigured):
        StripeConfig(key)


@pytest.mark.parametrize("ttl", [timedelta(minutes=30), timedelta(hours=25)])
def test_a_checkout_lifetime_outside_stripes_limits_is_refused(ttl: timedelta) -> None:
    with pytest.raises(ProviderMisconfigured):
        StripeConfig("sk_test_x", checkout_session_ttl=ttl)


def test_negative_retries_are_refused() -> None:
    with pytest.raises(ValueError, match="max_network_retries"):
        StripeConfig("sk_test_x", max_network_retries=-1)


def test_secrets_never_appear_in_a_repr() -> None:
    config = StripeConfig(
        "sk_test_SECRETKEY", webhook_secrets="whsec_SECRET1,whsec_SECRET2", publishable_key="pk_1"
    )
    provider = StripePaymentProvider(config, FixedClock())

    for text in (repr(config), repr(provider)):
        assert "SECRET" not in text
        assert "pk_1" in text
    assert provider.publishable_key == "pk_1"
    assert provider.name == "stripe"


def test_the_pinned_api_version_is_the_one_the_sdk_is_typed_for() -> None:
    # Upgrading stripe-python means moving this pin (and the webhook endpoints) on purpose.
    assert StripeConfig("sk_test_x").api_version == STRIPE_API_VERSION
    assert stripe.api_version == STRIPE_API_VERSION


def test_importing_the_adapter_builds_no_client() -> None:
    script = (
        "import stripe\n"
        "built = []\n"
        "original = stripe.StripeClient.__init__\n"
        "def spy(self, *args, **kwargs):\n"
        "    built.append(1)\n"
        "    original(self, *args, **kwargs)\n"
        "stripe.StripeClient.__init__ = spy\n"
        "import billing.adapters.stripe\n"
        "assert built == [], built\n"
        "print('ok')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )

    assert result.stdout.strip() == "ok", result.stderr

"""Settings: declared once, read from the environment (or typed values, or code) alike,
refused with the variable named, and never shown when secret."""

from __future__ import annotations

from typing import Any

import pytest

from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.settings import Settings
from tests.seller import SELLER_ENV

SECRET = "s" * 32
ADMIN = "a" * 32


def test_billing_is_off_by_default() -> None:
    assert Settings.from_env({}).enabled is False


def test_settings_in_code_have_the_defaults_of_the_environment() -> None:
    assert Settings() == Settings.from_env({})
    assert (Settings().storage, Settings().payment_provider) == ("sql", "sandbox")
    assert Settings.in_memory() == Settings(storage="memory", payment_provider="fake")


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("off", False)])
def test_the_toggle_reads_common_spellings(raw: str, expected: bool) -> None:
    assert Settings.from_env({"BILLING_ENABLED": raw}).enabled is expected


def test_typed_values_are_read_like_their_text() -> None:
    """A host application's ``app.config`` holds ``True`` and ``30``, not ``"true"``/``"30"``."""
    typed = Settings.from_env({"BILLING_ENABLED": True, "BILLING_TASK_STALE_SECONDS": 30})
    spelled = Settings.from_env({"BILLING_ENABLED": "true", "BILLING_TASK_STALE_SECONDS": "30"})

    assert typed == spelled
    assert (typed.enabled, typed.task_stale_seconds) == (True, 30)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"BILLING_ENABLED": "maybe"}, "must be true or false, not 'maybe'"),
        ({"BILLING_PAYMENT_PROVIDER": "paypal"}, "must be one of fake, sandbox, stripe"),
        ({"BILLING_STRIPE_MAX_NETWORK_RETRIES": "many"}, "must be an integer"),
        ({"BILLING_STRIPE_MAX_NETWORK_RETRIES": "99"}, "must be between 0 and 10, not 99"),
        ({"BILLING_DATABASE_URL": "garbage"}, "is not a database URL"),
        ({"BILLING_DATABASE_URL": "mysql://u@h/db"}, "mysql databases are not supported"),
        ({"BILLING_DATABASE_URL": "postgresql+psycopg2://h/db"}, "psycopg2 driver"),
        ({"BILLING_PUBLIC_BASE_URL": "shop.example.com"}, "must be an http:// or https://"),
        ({"BILLING_SANDBOX_WEBHOOK_URL": "ftp://x/y"}, "must be an http:// or https://"),
        ({"BILLING_TASK_BROKER": "kafka://h:9092"}, "must be inline, redis://… or amqp://…"),
        ({"BILLING_USER_HEADER": "X User"}, "must be an HTTP header name"),
        ({"STRIPE_PUBLISHABLE_KEY": "sk_test_x"}, "must start with pk_live_ or pk_test_"),
    ],
)
def test_invalid_values_are_refused_with_the_variable_named(
    env: dict[str, str], words: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(env)

    variable = next(iter(env))
    assert refused.value.variable == variable
    assert str(refused.value).startswith(f"{variable}: ")
    assert words in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_long_bad_value_is_cut_in_the_message() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env({"BILLING_ENABLED": "x" * 5000})

    assert len(str(refused.value)) < 200


@pytest.mark.parametrize(
    "url", ["postgres://u@db.internal/shop", "postgresql://u@db.internal/shop"]
)
def test_a_postgres_url_without_driver_means_psycopg_3(url: str) -> None:
    settings = Settings.from_env({"BILLING_DATABASE_URL": url})

    assert settings.database_url == "postgresql+psycopg://u@db.internal/shop"


def test_secrets_never_appear_in_repr_or_in_a_refusal() -> None:
    settings = Settings.from_env(
        {
            "STRIPE_SECRET_KEY": "sk_test_verysecret",
            "STRIPE_WEBHOOK_SECRET": "whsec_one, whsec_two",
            "BILLING_ADMIN_TOKEN": "admin-secret-" + ADMIN,
            "BILLING_SECRET_KEY": "server-secret-" + SECRET,
            **SELLER_ENV,
        }
    )

    assert settings.stripe_webhook_secrets == ("whsec_one", "whsec_two")
    text = repr(settings)
    for secret in ("verysecret", "whsec_", "admin-secret", "server-secret"):
        assert secret not in text
    for env in ({"STRIPE_SECRET_KEY": "oops-verysecret"}, {"STRIPE_WEBHOOK_SECRET": "oops-x"}):
        with pytest.raises(ConfigurationError) as refused:
            Settings.from_env(env)
        assert "oops" not in str(refused.value)


# Production safety: real money is never left to the sandbox, keys never mixed or missing.

STRIPE_READY = {"BILLING_SECRET_KEY": SECRET, **SELLER_ENV}


@pytest.mark.parametrize(
    ("env", "provider"),
    [
        ({}, "sandbox"),
        ({"STRIPE_SECRET_KEY": "sk_test_k", **STRIPE_READY}, "stripe"),
        ({"STRIPE_SECRET_KEY": "sk_live_k", **STRIPE_READY}, "stripe"),
        ({"STRIPE_SECRET_KEY": "sk_test_k", "BILLING_PAYMENT_PROVIDER": "sandbox"}, "sandbox"),
    ],
)
def test_the_sandbox_is_never_chosen_implicitly_beside_a_stripe_key(
    env: dict[str, str], provider: str
) -> None:
    assert Settings.from_env(env).payment_provider == provider


@pytest.mark.parametrize(
    ("env", "variable", "words"),
    [
        (
            {"BILLING_PAYMENT_PROVIDER": "sandbox", "STRIPE_SECRET_KEY": "sk_live_k"},
            "BILLING_PAYMENT_PROVIDER",
            "sandbox takes no real money but STRIPE_SECRET_KEY is a live key",
        ),
        (
            {"BILLING_PAYMENT_PROVIDER": "fake", "STRIPE_SECRET_KEY": "rk_live_k"},
            "BILLING_PAYMENT_PROVIDER",
            "fake takes no real money",
        ),
        (
            {"BILLING_PAYMENT_PROVIDER": "stripe", **STRIPE_READY},
            "STRIPE_SECRET_KEY",
            "is required with BILLING_PAYMENT_PROVIDER=stripe",
        ),
        (
            {"STRIPE_SECRET_KEY": "sk_test_k", "STRIPE_PUBLISHABLE_KEY": "pk_live_k"},
            "STRIPE_PUBLISHABLE_KEY",
            "is a live key but STRIPE_SECRET_KEY is a test key",
        ),
        ({"STRIPE_SECRET_KEY": "sk_live_k"}, "BILLING_SECRET_KEY", "is required"),
        (
            {"STRIPE_SECRET_KEY": "sk_live_k", "BILLING_SECRET_KEY": "short"},
            "BILLING_SECRET_KEY",
            "shorter than 32 characters",
        ),
        (
            {"STRIPE_SECRET_KEY": "sk_live_k", "BILLING_ADMIN_TOKEN": "t", **STRIPE_READY},
            "BILLING_ADMIN_TOKEN",
            "shorter than 32 characters",
        ),
    ],
)
def test_unsafe_combinations_refuse_to_start_naming_the_setting(
    env: dict[str, Any], variable: str, words: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(env)

    assert refused.value.variable == variable
    assert words in str(refused.value)


def test_settings_made_in_code_are_checked_alike() -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings(payment_provider="sandbox", stripe_secret_key="sk_live_k")

    assert refused.value.variable == "BILLING_PAYMENT_PROVIDER"


# The seller's legal identity (issue 19): checked identifiers, required for real money.


def test_the_seller_identity_is_read_and_its_identifiers_compacted() -> None:
    settings = Settings.from_env(
        {
            "BILLING_SELLER_ADDRESS": "12 rue de la Paix\\n 75002 Paris ",
            "BILLING_SELLER_TAX_ID": "fr 40 303 265 045",
            "BILLING_SELLER_SIREN": "732 829 320 00074",
            "BILLING_SELLER_COUNTRY": "fr",
            "BILLING_PRICES_INCLUDE_TAX": "false",
        }
    )

    assert settings.seller_address == "12 rue de la Paix\n75002 Paris"
    assert settings.seller_tax_id == "FR40303265045"
    assert settings.seller_siren == "73282932000074"
    assert settings.seller_country == "FR"
    assert settings.prices_include_tax is False
    assert Settings().prices_include_tax is True


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BILLING_SELLER_TAX_ID": "FR00303265045"}, "BILLING_SELLER_TAX_ID"),  # bad checksum
        ({"BILLING_SELLER_TAX_ID": "303265045"}, "BILLING_SELLER_TAX_ID"),  # no country
        ({"BILLING_SELLER_SIREN": "732829321"}, "BILLING_SELLER_SIREN"),  # Luhn fails
        ({"BILLING_SELLER_SIREN": "1234"}, "BILLING_SELLER_SIREN"),
        ({"BILLING_SELLER_EMAIL": "not an address"}, "BILLING_SELLER_EMAIL"),
        ({"BILLING_SELLER_COUNTRY": "France"}, "BILLING_SELLER_COUNTRY"),
        ({"BILLING_B2B_MENTIONS": "sometimes"}, "BILLING_B2B_MENTIONS"),
    ],
)
def test_a_malformed_identifier_is_refused_on_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(env)
    assert refused.value.variable == variable
    assert "\n" not in str(refused.value)


def test_real_money_needs_the_sellers_name_address_and_a_tax_id() -> None:
    stripe = {"STRIPE_SECRET_KEY": "sk_live_k", "BILLING_SECRET_KEY": SECRET}
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(stripe)
    assert refused.value.variable == (
        "BILLING_SELLER_NAME, BILLING_SELLER_ADDRESS, BILLING_SELLER_TAX_ID or BILLING_SELLER_SIREN"
    )
    assert "are required with BILLING_PAYMENT_PROVIDER=stripe" in str(refused.value)

    named = {**stripe, "BILLING_SELLER_NAME": "Dupont SAS", "BILLING_SELLER_ADDRESS": "Paris"}
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_env(named)
    assert refused.value.variable == "BILLING_SELLER_TAX_ID or BILLING_SELLER_SIREN"

    with_siren = Settings.from_env({**named, "BILLING_SELLER_SIREN": "732829320"})
    assert with_siren.seller_siren == "732829320"
    assert Settings.from_env({**named, **SELLER_ENV}).seller_tax_id == "FR40303265045"
    # the sandbox takes no real money: it prints a placeholder seller
    assert Settings.from_env({}).seller_name == ""

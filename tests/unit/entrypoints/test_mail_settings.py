"""The receipts' settings: off by default, French by default, and refused at start when the
SMTP URL is unusable or has no sender (one line naming the setting, no password in it)."""

from __future__ import annotations

import pytest

from billing.entrypoints.configuration import ConfigurationError
from billing.entrypoints.settings import Settings


def test_mail_is_off_and_french_by_default() -> None:
    settings = Settings.from_env({})

    assert not settings.mail_enabled
    assert (settings.smtp_url, settings.document_locale, settings.smtp_timeout_seconds) == (
        "",
        "fr",
        10,
    )


def test_an_smtp_url_with_a_sender_turns_mail_on_and_stays_out_of_repr() -> None:
    settings = Settings.from_env(
        {
            "BILLING_SMTP_URL": "smtps://shop:hunter2@mail.example.com",
            "BILLING_MAIL_FROM": "Shop <receipts@example.com>",
            "BILLING_SMTP_TIMEOUT_SECONDS": "5",
            "BILLING_INVOICE_LOCALE": "en",
        }
    )

    assert settings.mail_enabled
    assert (settings.smtp_timeout_seconds, settings.invoice_locale) == (5, "en")
    assert "hunter2" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BILLING_SMTP_URL": "smtp://shop:hunter2@mail.example.com"}, "BILLING_MAIL_FROM"),
        (
            {"BILLING_SMTP_URL": "smtp://mail.example.com", "BILLING_MAIL_FROM": "not an address"},
            "BILLING_MAIL_FROM",
        ),
        (
            {"BILLING_SMTP_URL": "http://shop:hunter2@x", "BILLING_MAIL_FROM": "a@example.com"},
            "BILLING_SMTP_URL",
        ),
        ({"BILLING_INVOICE_LOCALE": "de"}, "BILLING_INVOICE_LOCALE"),
        ({"BILLING_SMTP_TIMEOUT_SECONDS": "0"}, "BILLING_SMTP_TIMEOUT_SECONDS"),
    ],
)
def test_unusable_mail_settings_stop_the_start(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        Settings.from_env(env)

    assert raised.value.variable == named
    assert "hunter2" not in str(raised.value)

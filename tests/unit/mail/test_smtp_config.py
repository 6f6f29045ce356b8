"""``BILLING_SMTP_URL`` read into an ``SmtpConfig``: what is accepted, and what is refused
(with the setting named, and never the password echoed)."""

from __future__ import annotations

import pytest

from billing.adapters.mail import SmtpConfig
from billing.domain.errors import InvalidInput


def test_smtp_defaults_to_port_587_and_starttls_when_offered() -> None:
    config = SmtpConfig.from_url("smtp://mail.example.com")
    assert (config.host, config.port, config.implicit_tls, config.starttls) == (
        "mail.example.com",
        587,
        False,
        "auto",
    )
    assert (config.username, config.password, config.ca_file) == ("", "", None)


def test_smtps_is_tls_from_the_start_on_port_465() -> None:
    config = SmtpConfig.from_url("smtps://mail.example.com")
    assert (config.port, config.implicit_tls) == (465, True)


def test_credentials_are_percent_decoded_and_kept_out_of_repr() -> None:
    config = SmtpConfig.from_url(
        "smtp://shop%40example.com:p%40ss%3Aw%2Frd@mail.example.com:2525"
        "?starttls=required&ca_file=/etc/ssl/ca.pem",
        timeout=3,
    )
    assert (config.username, config.password) == ("shop@example.com", "p@ss:w/rd")
    assert (config.port, config.starttls, config.ca_file, config.timeout) == (
        2525,
        "required",
        "/etc/ssl/ca.pem",
        3,
    )
    assert "p@ss" not in repr(config)


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@mail.example.com",
        "smtp://user:hunter2@",
        "smtp://user:hunter2@mail.example.com:notaport",
        "smtp://user:hunter2@mail.example.com/path",
        "smtp://user:hunter2@mail.example.com?starttls=maybe",
        "smtp://user:hunter2@mail.example.com?startls=required",
        "smtp://user:hunter2@mail.example.com?starttls=auto&starttls=required",
        "smtps://user:hunter2@mail.example.com?starttls=required",
    ],
)
def test_an_unusable_url_is_refused_naming_the_setting_not_the_password(url: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        SmtpConfig.from_url(url)

    assert raised.value.details == {"setting": "BILLING_SMTP_URL"}
    assert "BILLING_SMTP_URL" in raised.value.message
    assert "hunter2" not in raised.value.message

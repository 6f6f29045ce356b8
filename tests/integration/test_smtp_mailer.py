"""The SMTP mailer against a real server (aiosmtpd on loopback): TLS verified by default,
credentials only over an encrypted connection, and every refusal sorted into "try again"
(``MailUnavailable``) or "will not work" (``MailRejected``), with nothing delivered."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.contract.smtp_server import smtp_server
from tests.contract.test_mailer_contract import a_message

from billing.adapters.mail import SmtpConfig, SmtpMailer
from billing.domain.mail import MailRejected, MailUnavailable

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def mailer(url: str) -> SmtpMailer:
    return SmtpMailer(SmtpConfig.from_url(url, timeout=5))


@pytest.mark.parametrize(("scheme", "tls"), [("smtp", "starttls"), ("smtps", "implicit")])
def test_a_certificate_from_an_unknown_ca_is_refused(tmp_path: Path, scheme: str, tls: str) -> None:
    with smtp_server(tmp_path, tls=tls, auth=True) as server:
        with pytest.raises(MailUnavailable, match="certificate"):
            mailer(server.url(scheme, credentials=True)).send(a_message())

        assert server.inbox.messages == []
        assert server.inbox.logins == []  # the password never left


@pytest.mark.parametrize(("scheme", "tls"), [("smtp", "starttls"), ("smtps", "implicit")])
def test_the_named_ca_file_is_trusted_and_the_password_is_sent_encrypted(
    tmp_path: Path, scheme: str, tls: str
) -> None:
    with smtp_server(tmp_path, tls=tls, auth=True) as server:
        url = server.url(scheme, credentials=True, ca_file=str(server.ca_file))
        mailer(url).send(a_message())

        assert len(server.inbox.messages) == 1
        assert server.inbox.logins != []


def test_starttls_required_refuses_a_server_that_does_not_offer_it(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        with pytest.raises(MailRejected, match="STARTTLS"):
            mailer(server.url(starttls="required")).send(a_message())

        assert server.inbox.messages == []


def test_credentials_are_never_sent_over_a_plain_connection(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        with pytest.raises(MailRejected, match="unencrypted"):
            mailer(server.url(credentials=True)).send(a_message())

        assert server.inbox.messages == []


def test_a_wrong_password_is_rejected(tmp_path: Path) -> None:
    with smtp_server(tmp_path, tls="starttls", auth=True) as server:
        url = f"smtp://shop:wrong@{server.host}:{server.port}?ca_file={server.ca_file}"
        with pytest.raises(MailRejected, match="credentials"):
            mailer(url).send(a_message())

        assert server.inbox.messages == []


@pytest.mark.parametrize(
    ("answer", "error"),
    [("451 4.3.0 try again later", MailUnavailable), ("554 5.6.0 content refused", MailRejected)],
)
def test_a_refused_data_is_sorted_by_its_code(
    tmp_path: Path, answer: str, error: type[Exception]
) -> None:
    with smtp_server(tmp_path) as server:
        server.inbox.faults.append(answer)
        with pytest.raises(error, match=answer[:3]):
            mailer(server.url()).send(a_message())

        assert server.inbox.messages == []
        mailer(server.url()).send(a_message())  # the next one goes through
        assert len(server.inbox.messages) == 1


def test_an_unknown_recipient_is_rejected(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        with pytest.raises(MailRejected, match="550"):
            mailer(server.url()).send(a_message(recipient="nobody@example.com"))

        assert server.inbox.messages == []


def test_the_envelope_goes_to_the_recipient_only(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as server:
        mailer(server.url()).send(a_message())

    [received] = server.inbox.messages
    assert received.mail_from == "receipts@shop.example"
    assert received.rcpt_tos == ["guest@example.com"]
    assert b"Auto-Submitted: auto-generated" in received.content

"""The Mailer contract: the memory mailer and the SMTP one (against a real aiosmtpd server, plain,
with STARTTLS and a password, and over TLS from the first byte) deliver the same message.

What the receiving end gets, parsed back, equals what was given to ``send``: sender, the one
envelope recipient, subject, both bodies, date, ``Message-ID`` and every attachment's bytes. A
server that cannot be reached is ``MailUnavailable`` and nothing arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from billing.adapters.mail import SmtpConfig, SmtpMailer
from billing.adapters.memory import MemoryMailer
from billing.domain.mail import Attachment, MailBody, Mailbox, MailMessage, MailUnavailable
from billing.ports.mailer import Mailer

from .smtp_server import free_port, smtp_server

# aiosmtpd cannot tell that an smtps connection is encrypted, and warns (see smtp_server.py).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"  # every byte value, CR and LF too


def a_message(**changes: object) -> MailMessage:
    fields: dict[str, object] = {
        "message_id": "<receipt.doc_1@shop.example>",
        "sender": Mailbox("receipts@shop.example", "Librairie Élodie & Fils"),
        "recipient": "guest@example.com",
        "body": MailBody(
            "Votre facture INV-2026-000001 \u2013 1 234,56 €",
            "Bonjour,\n\nMerci pour votre commande.\n.\nUne ligne seule avec un point.\n",
            "<p>Bonjour,</p>\n<p>Merci pour votre <b>commande</b> \u2013 1 234,56 €</p>\n",
        ),
        "date": datetime(2026, 3, 14, 9, 26, 53, tzinfo=UTC),
        "attachments": (Attachment("INV-2026-000001.pdf", "application/pdf", PDF),),
    }
    fields.update(changes)
    return MailMessage(**fields)  # type: ignore[arg-type]


@attrs.frozen
class Rig:
    mailer: Mailer
    received: Callable[[], list[MailMessage]]
    unreachable: Mailer  # the same kind of mailer, with its server down


@pytest.fixture(params=["memory", "smtp", "starttls-login", "smtps-login"])
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rig]:
    if request.param == "memory":
        mailer, down = MemoryMailer(), MemoryMailer()
        down.down = True
        yield Rig(mailer, lambda: list(mailer.sent), down)
        return
    scheme, tls = {
        "smtp": ("smtp", "none"),
        "starttls-login": ("smtp", "starttls"),
        "smtps-login": ("smtps", "implicit"),
    }[request.param]
    with smtp_server(tmp_path, tls=tls, auth=tls != "none") as server:
        query = {"ca_file": str(server.ca_file)} if server.ca_file else {}
        url = server.url(scheme, credentials=tls != "none", **query)
        config = SmtpConfig.from_url(url, timeout=5)
        down = attrs.evolve(config, port=free_port())
        yield Rig(SmtpMailer(config), server.received, SmtpMailer(down))


def test_a_message_arrives_exactly_as_it_was_sent(rig: Rig) -> None:
    message = a_message()
    assert isinstance(rig.mailer, Mailer)

    rig.mailer.send(message)

    [received] = rig.received()
    assert received == message
    assert received.attachments[0].sha256 == Attachment("x", "application/pdf", PDF).sha256


def test_messages_arrive_one_per_send_in_order(rig: Rig) -> None:
    first = a_message()
    second = a_message(message_id="<receipt.doc_2@shop.example>", recipient="other@example.org")

    rig.mailer.send(first)
    rig.mailer.send(second)

    assert rig.received() == [first, second]


def test_an_unreachable_server_is_unavailable_and_nothing_arrives(rig: Rig) -> None:
    with pytest.raises(MailUnavailable) as raised:
        rig.unreachable.send(a_message())

    assert raised.value.retryable
    assert rig.received() == []

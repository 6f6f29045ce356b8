"""A real SMTP server for the tests (aiosmtpd on a loopback port, in a thread of the test).

``smtp_server()`` starts one: plain, with STARTTLS, or TLS from the first byte (``smtps``),
with a certificate issued for ``127.0.0.1`` by a CA the test makes (trustme), optionally
requiring a user and password. What it accepted is in ``server.inbox``, parsed back into the
``MailMessage`` a mailer would have been given. ``server.faults`` makes it answer the next
``DATA`` with an error, or hold it until the test lets it go (a worker killed mid-send).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import attrs
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from billing.domain.mail import Attachment, MailBody, Mailbox, MailMessage

USER, PASSWORD = "shop", "s3cret: p@ss/word"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.define
class Received:
    """One message the server accepted: the envelope and the bytes of ``DATA``."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> MailMessage:
        mime = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(mime, EmailMessage)
        [sender] = mime["From"].addresses
        text, html = mime.get_body(("plain",)), mime.get_body(("html",))
        assert text is not None
        assert html is not None
        [recipient] = self.rcpt_tos
        return MailMessage(
            message_id=mime["Message-ID"],
            sender=Mailbox(sender.addr_spec, sender.display_name),
            recipient=recipient,
            body=MailBody(mime["Subject"], _lines(text.get_content()), _lines(html.get_content())),
            date=parsedate_to_datetime(mime["Date"]),
            attachments=tuple(
                Attachment(part.get_filename() or "", part.get_content_type(), part.get_content())
                for part in mime.iter_attachments()
            ),
        )


def _lines(text: str) -> str:
    """Text as a reader sees it: on the wire its lines end in CRLF (RFC 5322)."""
    return text.replace("\r\n", "\n")


@attrs.define
class Inbox:
    """aiosmtpd's handler: keeps what it accepts, answers with the faults it is given."""

    messages: list[Received] = attrs.Factory(list)
    #: Answers for the next DATA commands instead of 250 ("451 …", "550 …", or "hold").
    faults: deque[str] = attrs.Factory(deque)
    held: threading.Event = attrs.Factory(threading.Event)  # set while a DATA is held
    release: threading.Event = attrs.Factory(threading.Event)
    logins: list[str] = attrs.Factory(list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        fault = self.faults.popleft() if self.faults else None
        if fault == "hold":  # the client waits for our answer; the test kills it meanwhile
            self.held.set()
            await asyncio.to_thread(self.release.wait, 60)
            return "451 4.3.0 the client went away"
        if fault is not None:
            return fault
        content = envelope.original_content or envelope.content
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 2.0.0 accepted"


@attrs.frozen
class SmtpServer:
    host: str
    port: int
    inbox: Inbox
    ca_file: Path | None  # the CA that issued the server's certificate, if it speaks TLS

    def url(self, scheme: str = "smtp", credentials: bool = False, **query: str) -> str:
        user = f"{USER}:{PASSWORD.replace('@', '%40').replace('/', '%2F')}@" if credentials else ""
        params = "&".join(f"{key}={value}" for key, value in query.items())
        return f"{scheme}://{user}{self.host}:{self.port}" + (f"?{params}" if params else "")

    def received(self) -> list[MailMessage]:
        return [message.parsed() for message in self.inbox.messages]


def _authenticator(inbox: Inbox) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        inbox.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)

    return authenticate


@contextmanager
def smtp_server(
    tmp_path: Path,
    *,
    tls: str = "none",
    auth: bool = False,
    port: int | None = None,
    inbox: Inbox | None = None,
) -> Iterator[SmtpServer]:
    """``tls``: ``none``, ``starttls`` (offered, not required) or ``implicit``."""
    inbox = inbox if inbox is not None else Inbox()
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    ca_file = None
    if tls != "none":
        ca = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        ca_file = tmp_path / f"ca-{port}.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        kwargs["ssl_context" if tls == "implicit" else "tls_context"] = context
    if auth:
        kwargs["authenticator"] = _authenticator(inbox)
        kwargs["auth_required"] = True
        # aiosmtpd cannot see that an smtps connection is encrypted (aio-libs/aiosmtpd#281).
        kwargs["auth_require_tls"] = tls == "starttls"
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, inbox, ca_file)
    finally:
        inbox.release.set()
        controller.stop()

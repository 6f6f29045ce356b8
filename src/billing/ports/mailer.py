"""Sending e-mail, writing it, and remembering which document's message went out."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from billing.domain.invoice import InvoiceDocument
from billing.domain.mail import MailBody, MailMessage, SentMessage


@runtime_checkable
class Mailer(Protocol):
    def send(self, message: MailMessage) -> None:
        """Hand one message (with its attachments) to the mail server; return once the server
        accepted it. ``MailUnavailable`` when it may work later, ``MailRejected`` when not:
        after either, the server did not take the message."""
        ...


@runtime_checkable
class ReceiptTemplates(Protocol):
    def render(self, document: InvoiceDocument, locale: str) -> MailBody:
        """The subject and the plain-text and HTML bodies that go with a document."""
        ...


@runtime_checkable
class SentMessageRepository(Protocol):
    def claim(self, message: SentMessage, stale_before: datetime) -> SentMessage | None:
        """Atomically take the document's message for one attempt: insert ``message`` (a new
        claim) when the document has none yet, or take over its record when the last attempt
        failed or claimed it at or before ``stale_before`` (status sending, one more attempt,
        claimed at ``message.claimed_at``). The claimed record; None when it was sent or
        another attempt holds it."""
        ...

    def save(self, message: SentMessage) -> None: ...
    def find(self, document_id: str) -> SentMessage | None: ...
    def list(self, limit: int = 100) -> list[SentMessage]:
        """The most recently claimed first."""
        ...

"""E-mail: the message a mailer sends, and the record that a document's message was sent.

A document (an invoice, a credit note) gets at most one message. Its record is claimed before
the message goes out and marked sent after the server accepted it, so that a second delivery
of the same job, a re-render or a retry after a crash finds the record and does not send again.
The one case it cannot close: the server accepted the message and the process died before the
record said so. The retry then sends it again with the same ``Message-ID`` (derived from the
document id), so that the copy is recognisably the same message.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from enum import StrEnum
from typing import Final

import attrs

from .errors import BillingError, InvalidInput

#: ``last_error`` is cut to this many characters.
ERROR_LENGTH: Final = 500
#: A document id fits in a ``Message-ID``'s left part as it is.
_ID_PART: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class MailUnavailable(BillingError):
    """The mail server could not be reached or asked to try later (4xx): send again later."""

    code = "mail_unavailable"
    retryable = True


class MailRejected(BillingError):
    """The mail server refused the message for good (5xx), or refused our credentials."""

    code = "mail_rejected"


def checked_address(value: str) -> str:
    """``value`` if it is one plain mailbox (``local@domain``), else InvalidInput: no display
    name, no list, no line break can reach a header or the envelope."""
    try:
        parsed = Address(addr_spec=value)
    except (HeaderParseError, IndexError, ValueError):
        raise InvalidInput(f"not an e-mail address: {value!r}", field="address") from None
    if parsed.addr_spec != value or "@" not in value or not value.isprintable():
        raise InvalidInput(f"not an e-mail address: {value!r}", field="address")
    return value


def _one_line(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.isprintable():
        raise InvalidInput(f"{attribute.name} must be one printable line", field=attribute.name)


@attrs.frozen
class Mailbox:
    """An address and the name shown with it (``Shop <shop@example.com>``)."""

    address: str = attrs.field(converter=checked_address)
    name: str = attrs.field(default="", validator=_one_line)

    @classmethod
    def parse(cls, text: str) -> Mailbox:
        """``shop@example.com`` or ``Shop name <shop@example.com>``."""
        text = text.strip()
        if text.endswith(">") and "<" in text:
            name, _, address = text[:-1].rpartition("<")
            return cls(address.strip(), name.strip().strip('"'))
        return cls(text)

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2]


@attrs.frozen
class Attachment:
    filename: str = attrs.field(validator=_one_line)
    content_type: str
    data: bytes = attrs.field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@attrs.frozen
class MailBody:
    """What a message says, in plain text and in HTML."""

    subject: str = attrs.field(validator=_one_line)
    text: str = attrs.field(repr=False)
    html: str = attrs.field(repr=False)


@attrs.frozen
class MailMessage:
    """One message to one recipient; ``message_id`` with its angle brackets."""

    message_id: str
    sender: Mailbox
    recipient: str = attrs.field(converter=checked_address)
    body: MailBody
    date: datetime
    attachments: tuple[Attachment, ...] = ()


def message_id_for(document_id: str, sender: Mailbox) -> str:
    """The ``Message-ID`` of a document's message: the same for every attempt to send it."""
    if not _ID_PART.fullmatch(document_id):
        raise InvalidInput(f"cannot name a message after {document_id!r}", id=document_id)
    return f"<receipt.{document_id}@{sender.domain}>"


class SentStatus(StrEnum):
    SENDING = "sending"  # claimed: a worker is sending it (or died doing so)
    SENT = "sent"  # the server accepted it: never sent again
    FAILED = "failed"  # the last attempt failed before the server accepted it


@attrs.define
class SentMessage:
    """The one message of one document: who holds it, and whether it went out."""

    document_id: str
    message_id: str
    recipient: str
    status: SentStatus
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None = None
    last_error: str | None = None

    @classmethod
    def claim_new(
        cls, document_id: str, message_id: str, recipient: str, at: datetime
    ) -> SentMessage:
        return cls(document_id, message_id, recipient, SentStatus.SENDING, 1, claimed_at=at)

    def claimable(self, stale_before: datetime) -> bool:
        """Whether an attempt may take it: the last one failed, or it holds a claim made at or
        before ``stale_before`` (its worker died mid-send). Never once sent."""
        if self.status is SentStatus.FAILED:
            return True
        return self.status is SentStatus.SENDING and self.claimed_at <= stale_before

    def claim(self, at: datetime) -> None:
        self.status = SentStatus.SENDING
        self.attempts += 1
        self.claimed_at = at

    def mark_sent(self, at: datetime) -> None:
        self.status = SentStatus.SENT
        self.sent_at = at
        self.last_error = None

    def mark_failed(self, error: str) -> None:
        """The attempt failed before the server accepted the message; a sent one stays sent."""
        if self.status is not SentStatus.SENT:
            self.status = SentStatus.FAILED
            self.last_error = error[:ERROR_LENGTH]

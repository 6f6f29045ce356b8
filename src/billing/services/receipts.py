"""Receipts by e-mail: each rendered invoice or credit note goes to its buyer, exactly once.

``ReceiptTrigger`` runs inside the transaction that records a document's rendered files and
returns the ``send_receipt`` job for it (none when mail is off, or the buyer has no address we
can write to), so the job exists if and only if the files do. ``ReceiptService.send`` is that
job: it claims the document's ``SentMessage`` (one per document) in a transaction of its own,
sends outside any transaction, and marks it sent after the server accepted it.

So a redelivered webhook, a re-render or a job that runs twice finds the message sent, or
claimed by a live attempt (the job then waits: ``RetryLater``), and sends nothing. An attempt
that failed before the server took the message gives its claim back; one whose worker died
leaves a claim that another attempt may take over once older than ``lease``. What remains is
a worker dying between the server's 250 and the commit of "sent": the next attempt sends the
message again, with the same ``Message-ID``, so that it reads as the same message.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Final

import attrs

from billing.domain.errors import BillingError, InvalidInput
from billing.domain.invoice import DocumentKind, InvoiceArtifact, InvoiceDocument
from billing.domain.mail import (
    Attachment,
    Mailbox,
    MailMessage,
    SentMessage,
    SentStatus,
    checked_address,
    message_id_for,
)
from billing.domain.outbox import Job
from billing.ports.clock import Clock
from billing.ports.invoices import ArtifactStore
from billing.ports.mailer import Mailer, ReceiptTemplates
from billing.ports.metrics import Metrics
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict

from .invoices import InvoiceService
from .jobs import SEND_RECEIPT, RetryLater

log = logging.getLogger(__name__)

#: The documents that are e-mailed to their buyer once rendered.
RECEIPT_KINDS: Final = frozenset({DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE})
#: Counter of receipts, labelled ``kind`` and ``outcome`` (``sent``, ``failed``).
MAIL_METRIC: Final = "billing_receipt_emails_total"


def _recipient(address: str | None) -> str | None:
    """The buyer's address if a message can be addressed to it, else None."""
    if address is None:
        return None
    try:
        return checked_address(address)
    except InvalidInput:
        return None


@attrs.frozen
class ReceiptTrigger:
    """The jobs that follow a document's rendering: its receipt, when mail is configured."""

    enabled: bool

    def __call__(self, uow: UnitOfWork, artifact: InvoiceArtifact) -> list[Job]:
        if not self.enabled or artifact.kind not in RECEIPT_KINDS:
            return []
        order = uow.orders.get(artifact.order_id)
        if _recipient(order.customer.email) is None:
            log.info("%s: the buyer has no e-mail address to send it to", artifact.number)
            return []
        return [Job.of(SEND_RECEIPT, document_id=artifact.id)]


@attrs.frozen
class _Claimed:
    message: SentMessage
    artifact: InvoiceArtifact
    document: InvoiceDocument | None  # None: it was sent already


@attrs.frozen
class ReceiptService:
    _uow_factory: UnitOfWorkFactory
    _invoices: InvoiceService
    _store: ArtifactStore
    _mailer: Mailer
    _templates: ReceiptTemplates
    _metrics: Metrics
    _clock: Clock
    _sender: Mailbox
    _locale: str = "fr"
    #: A claim older than this is taken to be a dead worker's (keep it above a send's length).
    _lease: timedelta = timedelta(seconds=60)

    def send(self, document_id: str) -> SentMessage:
        """Send the document's e-mail unless it was sent; the record afterwards."""
        claimed = self._claim(document_id)
        if claimed.document is None:
            return claimed.message
        artifact, message = claimed.artifact, claimed.message
        labels = {"kind": str(artifact.kind)}
        extra = {"document": artifact.number, "message_id": message.message_id}
        try:
            self._mailer.send(self._compose(artifact, claimed.document, message))
        except Exception as error:
            self._release(document_id, error)
            self._metrics.increment(MAIL_METRIC, {**labels, "outcome": str(SentStatus.FAILED)})
            log.warning(
                "receipt %s not sent (attempt %d): %s",
                artifact.number,
                message.attempts,
                error,
                extra=extra,
            )
            raise
        sent = self._mark_sent(document_id)
        self._metrics.increment(MAIL_METRIC, {**labels, "outcome": str(SentStatus.SENT)})
        log.info(
            "receipt %s sent as %s (attempt %d)",
            artifact.number,
            sent.message_id,
            sent.attempts,
            extra=extra,
        )
        return sent

    def messages(self, limit: int = 100) -> list[SentMessage]:
        with self._uow_factory() as uow:
            return uow.sent_messages.list(limit)

    @retry_on_conflict
    def _claim(self, document_id: str) -> _Claimed:
        now = self._clock.now()
        with self._uow_factory() as uow:
            artifact = uow.invoices.get(document_id)
            existing = uow.sent_messages.find(document_id)
            if existing is not None and existing.status is SentStatus.SENT:
                return _Claimed(existing, artifact, None)
            if not artifact.rendered or artifact.pdf_key is None:
                raise RetryLater(f"{artifact.number} has no files yet", document_id=document_id)
            order = uow.orders.get(artifact.order_id)
            recipient = _recipient(order.customer.email)
            if recipient is None:
                raise InvalidInput(f"{artifact.number}: no address to send it to")
            document = self._invoices.document_in(uow, artifact)
            message_id = message_id_for(document_id, self._sender)
            fresh = SentMessage.claim_new(document_id, message_id, recipient, now)
            claimed = uow.sent_messages.claim(fresh, now - self._lease)
            if claimed is None:
                raise RetryLater(f"another attempt is sending {artifact.number}")
            uow.commit()
        return _Claimed(claimed, artifact, document)

    def _compose(
        self, artifact: InvoiceArtifact, document: InvoiceDocument, message: SentMessage
    ) -> MailMessage:
        assert artifact.pdf_key is not None
        pdf = self._store.get(artifact.pdf_key, artifact.pdf_sha256)  # the stored bytes, verified
        return MailMessage(
            message_id=message.message_id,
            sender=self._sender,
            recipient=message.recipient,
            body=self._templates.render(document, self._locale),
            date=message.claimed_at,
            attachments=(Attachment(f"{artifact.number}.pdf", "application/pdf", pdf),),
        )

    @retry_on_conflict
    def _release(self, document_id: str, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        if isinstance(error, BillingError):
            reason = f"{error.code}: {error.message}"
        with self._uow_factory() as uow:
            message = uow.sent_messages.find(document_id)
            if message is None:
                return
            message.mark_failed(reason)
            uow.sent_messages.save(message)
            uow.commit()

    @retry_on_conflict
    def _mark_sent(self, document_id: str) -> SentMessage:
        with self._uow_factory() as uow:
            message = uow.sent_messages.find(document_id)
            if message is None:
                raise InvalidInput(f"no message of {document_id} to mark sent")
            message.mark_sent(self._clock.now())
            uow.sent_messages.save(message)
            uow.commit()
        return message

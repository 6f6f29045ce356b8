"""Invoices and credit notes: numbers allocated with the payment, files rendered afterwards.

The number is allocated inside the transaction that records the payment (or the refund, the
refund's failure, the lost dispute), so a rolled-back transaction leaves no gap. Rendering runs
later, from the task queue, and is update-or-create on the artifact: re-running it never makes a
second number or a second file. A file asked for before it is rendered is
``DocumentNotRendered`` (retryable: ask again in a moment).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from billing.domain.dispute import Dispute
from billing.domain.errors import (
    ArtifactCorrupted,
    ArtifactMissing,
    DocumentNotRendered,
    InvalidInput,
)
from billing.domain.invoice import (
    SERIES_PREFIX,
    DocumentKind,
    DocumentNumber,
    InvoiceArtifact,
    InvoiceDocument,
    Party,
)
from billing.domain.order import Order
from billing.domain.outbox import Job, OutboxJob
from billing.domain.refund import Refund
from billing.ports.clock import Clock, IdGenerator
from billing.ports.invoices import ArtifactStore, InvoiceRenderer
from billing.ports.tasks import JobOutbox
from billing.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from billing.retry import retry_on_conflict

from .invoice_documents import (
    InvoiceTerms,
    cancellation_document,
    credit_note_document,
    dispute_credit_note_document,
    invoice_document,
)

#: Jobs that follow a document's rendering, written in the transaction that records its files
#: (the receipt e-mail: ``services/receipts.py``).
AfterRender = Callable[[UnitOfWork, InvoiceArtifact], list[Job]]


@attrs.frozen
class ArtifactProblem:
    """A stored file that is missing, no longer matches its recorded checksum, or whose
    embedded e-invoice data (``einvoice_mismatch``) disagrees with the document."""

    number: str
    key: str
    code: str
    detail: str = ""


@attrs.frozen
class InvoiceService:
    _uow_factory: UnitOfWorkFactory
    _renderer: InvoiceRenderer
    _store: ArtifactStore
    _seller: Party
    _clock: Clock
    _ids: IdGenerator
    _outbox: JobOutbox | None = None
    _after_render: AfterRender | None = None
    #: Mentions, footer and locale printed on every document.
    _terms: InvoiceTerms = attrs.field(factory=InvoiceTerms)

    def allocate(
        self,
        uow: UnitOfWork,
        order: Order,
        kind: DocumentKind,
        at: datetime,
        refund: Refund | None = None,
        *,
        dispute: Dispute | None = None,
    ) -> InvoiceArtifact:
        """The document's artifact, numbered in the caller's transaction (once per document:
        the order's invoice, a refund's credit note or its cancellation, a lost dispute's
        credit note)."""
        refund_id = refund.id if refund is not None else None
        dispute_id = dispute.id if dispute is not None else None
        existing = uow.invoices.find(order.id, kind, refund_id, dispute_id)
        if existing is not None:
            return existing
        series = SERIES_PREFIX[kind]
        number = DocumentNumber(series, at.year, uow.invoices.allocate_sequence(series, at.year))
        artifact = InvoiceArtifact(
            id=self._ids.new_id("doc"),
            number=str(number),
            kind=kind,
            order_id=order.id,
            created_at=at,
            refund_id=refund_id,
            dispute_id=dispute_id,
        )
        uow.invoices.add(artifact)
        return artifact

    @retry_on_conflict
    def render(self, artifact_id: str) -> InvoiceArtifact:
        """Write the HTML and PDF files of a numbered document and record their checksums."""
        with self._uow_factory() as uow:
            artifact = uow.invoices.get(artifact_id)
            if artifact.rendered:
                return artifact
            document = self._document(uow, artifact)
        rendered = self._renderer.render(document)
        stem = f"{artifact.created_at.year}/{artifact.number}"
        html_sha256 = self._store.put(f"{stem}.html", rendered.html)
        pdf_sha256 = self._store.put(f"{stem}.pdf", rendered.pdf)
        with self._uow_factory() as uow:
            artifact = uow.invoices.get(artifact_id)
            if artifact.rendered:  # another worker finished first with the same bytes
                return artifact
            artifact.template_version = rendered.template_version
            artifact.html_key, artifact.html_sha256 = f"{stem}.html", html_sha256
            artifact.pdf_key, artifact.pdf_sha256 = f"{stem}.pdf", pdf_sha256
            artifact.rendered_at = self._clock.now()
            uow.invoices.save(artifact)
            written = self._write_after_render(uow, artifact)
            uow.commit()
        if self._outbox is not None:
            self._outbox.publish(written)
        return artifact

    def document(self, artifact_id: str) -> InvoiceDocument:
        """What a numbered document says (its lines and total), whether rendered or not."""
        with self._uow_factory() as uow:
            return self._document(uow, uow.invoices.get(artifact_id))

    def document_in(self, uow: UnitOfWork, artifact: InvoiceArtifact) -> InvoiceDocument:
        """``document`` inside the caller's transaction (its e-mail is written from it)."""
        return self._document(uow, artifact)

    def _write_after_render(self, uow: UnitOfWork, artifact: InvoiceArtifact) -> list[OutboxJob]:
        if self._outbox is None or self._after_render is None:
            return []
        jobs = self._after_render(uow, artifact)
        return self._outbox.write(uow, jobs, artifact.rendered_at or self._clock.now())

    def _document(self, uow: UnitOfWork, artifact: InvoiceArtifact) -> InvoiceDocument:
        return self._content(uow, artifact)

    def _content(self, uow: UnitOfWork, artifact: InvoiceArtifact) -> InvoiceDocument:
        order = uow.orders.get(artifact.order_id)
        seller, terms = self._seller, self._terms
        if artifact.kind is DocumentKind.INVOICE:
            return invoice_document(artifact, order, seller, terms)
        invoice = uow.invoices.find(order.id, DocumentKind.INVOICE)
        if artifact.dispute_id is not None:
            dispute = uow.disputes.find(artifact.dispute_id)
            if dispute is None:
                raise InvalidInput(f"{artifact.number}: no dispute {artifact.dispute_id}")
            return dispute_credit_note_document(artifact, order, dispute, invoice, seller, terms)
        if artifact.refund_id is None:
            raise InvalidInput(f"{artifact.number} has no refund nor dispute", id=artifact.id)
        refund = uow.refunds.get(artifact.refund_id)
        if artifact.kind is DocumentKind.CREDIT_NOTE_CANCELLATION:
            note = uow.invoices.find(order.id, DocumentKind.CREDIT_NOTE, refund.id)
            if note is None:
                raise InvalidInput(f"{artifact.number}: refund {refund.id} has no credit note")
            return cancellation_document(artifact, order, refund, note, seller, terms)
        return credit_note_document(artifact, order, refund, invoice, seller, terms)

    def render_order(self, order_id: str) -> list[InvoiceArtifact]:
        """Render every numbered document of an order that has no files yet."""
        return [self.render(artifact.id) for artifact in self.documents(order_id)]

    def verify(self) -> list[ArtifactProblem]:
        """Re-read every stored file and compare it with the checksum recorded at rendering;
        an intact PDF's embedded e-invoice data is also compared with the document's totals."""
        with self._uow_factory() as uow:
            artifacts = uow.invoices.list_all()
        problems = []
        for artifact in artifacts:
            for key, checksum in (
                (artifact.html_key, artifact.html_sha256),
                (artifact.pdf_key, artifact.pdf_sha256),
            ):
                if key is None:
                    continue
                try:
                    data = self._store.get(key, checksum)
                except (ArtifactMissing, ArtifactCorrupted) as error:
                    problems.append(ArtifactProblem(artifact.number, key, error.code))
                    continue
                if key == artifact.pdf_key:
                    problems += self._einvoice_problems(artifact, key, data)
        return problems

    def _einvoice_problems(
        self, artifact: InvoiceArtifact, key: str, pdf: bytes
    ) -> list[ArtifactProblem]:
        document = self.document(artifact.id)
        differences = self._renderer.check(document, pdf, artifact.template_version or "")
        return [
            ArtifactProblem(artifact.number, key, "einvoice_mismatch", difference)
            for difference in differences
        ]

    def documents(self, order_id: str) -> list[InvoiceArtifact]:
        with self._uow_factory() as uow:
            return uow.invoices.list_for_order(order_id)

    def file(self, artifact_id: str, fmt: str) -> bytes:
        """The stored HTML or PDF bytes, verified against the recorded checksum."""
        with self._uow_factory() as uow:
            artifact = uow.invoices.get(artifact_id)
        if fmt == "html" and artifact.html_key:
            return self._store.get(artifact.html_key, artifact.html_sha256)
        if fmt == "pdf" and artifact.pdf_key:
            return self._store.get(artifact.pdf_key, artifact.pdf_sha256)
        raise DocumentNotRendered(
            f"{artifact.number} is being rendered: ask again in a moment",
            id=artifact_id,
            format=fmt,
        )

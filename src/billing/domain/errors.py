"""Business errors: each carries a stable machine-readable ``code`` and a human message."""

from __future__ import annotations

from typing import Any, ClassVar


class BillingError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code: ClassVar[str] = "billing_error"
    #: True when the same call may succeed later (provider or database hiccup).
    retryable: ClassVar[bool] = False
    #: Seconds a caller should wait before trying again (an HTTP ``Retry-After``), if known.
    retry_after: ClassVar[int | None] = None

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidInput(BillingError):
    code = "invalid_input"


class DuplicateRecord(InvalidInput):
    """A record with the same identity already exists (the storage's unique keys refused it)."""

    code = "duplicate_record"


class CurrencyMismatch(BillingError):
    code = "currency_mismatch"


class UnknownCurrency(BillingError):
    code = "unknown_currency"


class IllegalTransition(BillingError):
    code = "illegal_transition"


class NotFound(BillingError):
    code = "not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class UnknownProduct(NotFound):
    code = "unknown_product"


class RefundNotFound(NotFound):
    code = "refund_not_found"


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class WebhookEventNotFound(NotFound):
    code = "webhook_event_not_found"


class DocumentNotRendered(BillingError):
    """A numbered document whose files are still being rendered: ask again in a moment."""

    code = "document_not_rendered"
    retryable = True
    retry_after = 2


class OrderNotPayable(BillingError):
    code = "order_not_payable"


class OrderNotCancelable(BillingError):
    code = "order_not_cancelable"


class AmountMismatch(BillingError):
    code = "amount_mismatch"


class RefundRefused(BillingError):
    code = "refund_refused"


class RefundExceedsRefundable(RefundRefused):
    code = "refund_exceeds_refundable"


class OrderNotRefundable(RefundRefused):
    code = "order_not_refundable"


class ProviderError(BillingError):
    """Base of the errors a payment provider adapter may raise; no SDK error escapes it."""

    code = "provider_error"


class PaymentDeclined(ProviderError):
    code = "payment_declined"


class ProviderUnavailable(ProviderError):
    code = "provider_unavailable"
    retryable = True


class ProviderRejected(ProviderError):
    code = "provider_rejected"


class PaymentNotCancelable(ProviderRejected):
    """The provider refuses to cancel a payment that succeeded (or is being processed)."""

    code = "payment_not_cancelable"


class IdempotencyKeyReused(ProviderRejected):
    """The same idempotency key was sent with other parameters: a bug on our side."""

    code = "idempotency_key_reused"


class ProviderMisconfigured(ProviderError):
    code = "provider_misconfigured"


class InvalidSignature(BillingError):
    code = "invalid_signature"


class InvalidPayload(BillingError):
    code = "invalid_payload"


class StorageUnavailable(BillingError):
    code = "storage_unavailable"
    retryable = True


class StorageConflict(StorageUnavailable):
    """A concurrent transaction got in the way (serialization failure, deadlock, busy
    database): running the whole transaction again may succeed."""

    code = "storage_conflict"


class ArtifactMissing(BillingError):
    """Nothing is stored under an artifact's key."""

    code = "artifact_missing"


class ArtifactCorrupted(BillingError):
    """Stored bytes do not have the checksum recorded when they were written."""

    code = "artifact_corrupted"


class ArtifactConflict(BillingError):
    """Other bytes are already stored under the key: a document is never rewritten."""

    code = "artifact_conflict"

"""Errors of the invoice renderers, each with a stable code."""

from __future__ import annotations

from billing.domain.errors import BillingError


class UnknownTemplateVersion(BillingError):
    """No packaged template directory has this version: a configuration error, not retryable."""

    code = "unknown_template_version"


class InvoiceRenderingFailed(BillingError):
    """The template or the PDF engine failed on a document.

    Retryable so that a task queue keeps the job: a transient cause (no space for the PDF
    engine's temporary font files, memory) goes away by itself, and after a fix to a template the
    same job renders the document under the number allocated earlier.
    """

    code = "invoice_rendering_failed"
    retryable = True

"""Turning an invoice document into files, and keeping those files."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from billing.domain.invoice import InvoiceDocument, RenderedDocument


@runtime_checkable
class InvoiceRenderer(Protocol):
    template_version: str

    def render(self, document: InvoiceDocument) -> RenderedDocument:
        """HTML and PDF bytes; the same document always gives the same bytes."""
        ...

    def check(self, document: InvoiceDocument, pdf: bytes, template_version: str) -> list[str]:
        """How a stored PDF's machine-readable data (a Factur-X PDF's embedded XML) disagrees
        with ``document``; empty when it agrees or when that format carries no such data."""
        ...


@runtime_checkable
class ArtifactStore(Protocol):
    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` atomically and return its SHA-256 (hex)."""
        ...

    def get(self, key: str, expected_sha256: str | None = None) -> bytes:
        """The bytes under ``key``; raises if missing or if they do not match the checksum."""
        ...

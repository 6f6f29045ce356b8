"""Errors of the artifact stores, each with a stable code.

``StorageUnavailable`` (retryable) and the three artifact errors (missing, corrupted, conflict;
not retryable) live in the domain so that services can handle them; only the key check is
the store's own.
"""

from __future__ import annotations

from billing.domain.errors import (  # re-exported: the store's errors live in the domain
    ArtifactConflict,
    ArtifactCorrupted,
    ArtifactMissing,
    InvalidInput,
)

__all__ = ["ArtifactConflict", "ArtifactCorrupted", "ArtifactMissing", "InvalidArtifactKey"]


class InvalidArtifactKey(InvalidInput):
    """The key is not a relative path of plain names (absolute, ``..``, hidden, odd characters)."""

    code = "invalid_artifact_key"

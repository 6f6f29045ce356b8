"""Errors of the artifact stores, each with a stable code.

``StorageUnavailable`` (retryable) and the three artifact errors (missing, corrupted, conflict;
not retryable) live in the domain so that services can handle them, and so does the key
rule (``domain/artifact_key.py``) that every store applies.
"""

from __future__ import annotations

from billing.domain.artifact_key import InvalidArtifactKey
from billing.domain.errors import (  # re-exported: the store's errors live in the domain
    ArtifactConflict,
    ArtifactCorrupted,
    ArtifactMissing,
)

__all__ = ["ArtifactConflict", "ArtifactCorrupted", "ArtifactMissing", "InvalidArtifactKey"]

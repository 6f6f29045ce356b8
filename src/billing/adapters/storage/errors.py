"""Errors of the artifact stores, each with a stable code.

``StorageUnavailable`` (retryable) comes from the domain; these three say something about one
artifact and are not retryable: retrying gives the same answer.
"""

from __future__ import annotations

from billing.domain.errors import BillingError, InvalidInput


class InvalidArtifactKey(InvalidInput):
    """The key is not a relative path of plain names (absolute, ``..``, hidden, odd characters)."""

    code = "invalid_artifact_key"


class ArtifactMissing(BillingError):
    """Nothing is stored under the key."""

    code = "artifact_missing"


class ArtifactCorrupted(BillingError):
    """The stored bytes do not have the checksum recorded when they were written."""

    code = "artifact_corrupted"


class ArtifactConflict(BillingError):
    """Other bytes are already stored under the key: a document is never rewritten."""

    code = "artifact_conflict"

"""What names a stored artifact: a key that can never reach outside its store, and a checksum.

Every ``ArtifactStore`` applies these rules, so the in-memory one refuses what the filesystem
one refuses, with the same errors.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import InvalidInput

#: One path segment of a key: a plain file or directory name, never hidden, never ``..``.
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
_SHA256_HEX: Final = re.compile(r"^[0-9a-f]{64}$")


class InvalidArtifactKey(InvalidInput):
    """The key is not a relative path of plain names (absolute, ``..``, hidden, odd characters)."""

    code = "invalid_artifact_key"


def key_segments(key: str) -> list[str]:
    """The plain names of ``key`` (``2026/INV-2026-000001.pdf``); InvalidArtifactKey for an
    absolute key, ``..``, an empty or hidden segment, a backslash or any character outside
    ``A-Z a-z 0-9 . _ -``."""
    if not isinstance(key, str) or not key:
        raise InvalidArtifactKey("an artifact key is a non-empty relative path", key=key)
    segments = key.split("/")
    if key.startswith("/") or not all(_SEGMENT.match(segment) for segment in segments):
        raise InvalidArtifactKey(
            f"artifact key {key!r} must be a relative path of plain names "
            "(letters, digits, '.', '_', '-'; no '..', no leading '/' or '.')",
            key=key,
        )
    return segments


def check_sha256(expected_sha256: str | None, key: str) -> None:
    """An expected checksum is 64 lowercase hex digits (InvalidInput otherwise)."""
    if expected_sha256 is not None and not _SHA256_HEX.match(expected_sha256):
        raise InvalidInput("expected_sha256 must be 64 lowercase hex digits", key=key)

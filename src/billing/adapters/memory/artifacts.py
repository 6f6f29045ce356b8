"""An artifact store in a dictionary, with the key and checksum rules of every store
(``domain/artifact_key.py``): it refuses what the filesystem store refuses, with the same
errors (``tests/contract/test_artifact_store_contract.py``)."""

from __future__ import annotations

import hashlib

from billing.domain.artifact_key import check_sha256, key_segments
from billing.domain.errors import ArtifactConflict, ArtifactCorrupted, ArtifactMissing


class MemoryArtifactStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> str:
        key_segments(key)
        existing = self.files.get(key)
        if existing is not None and existing != data:
            raise ArtifactConflict(f"{key} exists with other content", key=key)
        self.files[key] = data
        return hashlib.sha256(data).hexdigest()

    def get(self, key: str, expected_sha256: str | None = None) -> bytes:
        key_segments(key)
        check_sha256(expected_sha256, key)
        if key not in self.files:
            raise ArtifactMissing(f"no artifact {key}", key=key)
        data = self.files[key]
        if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
            raise ArtifactCorrupted(f"checksum mismatch for {key}", key=key)
        return data

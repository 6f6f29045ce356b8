"""One contract for every ``ArtifactStore``: the in-memory fake and the filesystem store.

Same answers, same errors: the fake that unit tests rely on refuses a key outside the store
(``../../etc/x``) exactly as the filesystem store does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from billing.adapters.memory import MemoryArtifactStore
from billing.adapters.storage.filesystem import FilesystemArtifactStore
from billing.domain.artifact_key import InvalidArtifactKey
from billing.domain.errors import (
    ArtifactConflict,
    ArtifactCorrupted,
    ArtifactMissing,
    InvalidInput,
)
from billing.ports.invoices import ArtifactStore

KEY = "2026/INV-2026-000001.pdf"
PDF = b"%PDF-1.7 an invoice"
#: Keys every store refuses (traversal, absolute, empty or hidden parts, odd characters).
KEYS_OUTSIDE_THE_STORE = [
    "../x",
    "../../etc/x",
    "2026/../../x.pdf",
    "/etc/passwd",
    "2026//x.pdf",
    "2026/./x.pdf",
    "2026/.hidden",
    "2026\\..\\x.pdf",
    "2026/x.pdf/",
    "",
    "2026/x\x00.pdf",
    "C:/x.pdf",
    "2026/a b.pdf",
]
OTHER_CHECKSUM = hashlib.sha256(b"something else").hexdigest()


@pytest.fixture(params=["memory", "filesystem"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArtifactStore]:
    if request.param == "memory":
        yield MemoryArtifactStore()
    else:
        yield FilesystemArtifactStore(tmp_path)


def test_it_is_an_artifact_store(store: ArtifactStore) -> None:
    assert isinstance(store, ArtifactStore)


def test_what_is_put_is_got_back_with_its_checksum(store: ArtifactStore) -> None:
    checksum = store.put(KEY, PDF)

    assert checksum == hashlib.sha256(PDF).hexdigest()
    assert store.get(KEY) == PDF
    assert store.get(KEY, checksum) == PDF
    assert store.put("2026/empty.html", b"") == hashlib.sha256(b"").hexdigest()
    assert store.get("2026/empty.html") == b""


def test_the_same_bytes_again_are_harmless_and_other_bytes_refused(store: ArtifactStore) -> None:
    first = store.put(KEY, PDF)

    assert store.put(KEY, PDF) == first
    with pytest.raises(ArtifactConflict):
        store.put(KEY, b"other bytes")
    assert store.get(KEY) == PDF


def test_a_missing_key_and_a_wrong_checksum_are_told_apart(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactMissing) as missing:
        store.get(KEY)
    store.put(KEY, PDF)
    with pytest.raises(ArtifactCorrupted) as corrupted:
        store.get(KEY, OTHER_CHECKSUM)

    assert (missing.value.code, corrupted.value.code) == (
        "artifact_missing",
        "artifact_corrupted",
    )
    with pytest.raises(ArtifactMissing):
        store.get("2026")  # a directory of keys is not an artifact


@pytest.mark.parametrize("key", KEYS_OUTSIDE_THE_STORE)
def test_a_key_outside_the_store_is_refused(store: ArtifactStore, key: str) -> None:
    with pytest.raises(InvalidArtifactKey) as refused:
        store.put(key, PDF)
    with pytest.raises(InvalidArtifactKey):
        store.get(key)

    assert isinstance(refused.value, InvalidInput)
    assert refused.value.code == "invalid_artifact_key"


def test_a_malformed_expected_checksum_is_refused(store: ArtifactStore) -> None:
    store.put(KEY, PDF)

    with pytest.raises(InvalidInput):
        store.get(KEY, "not-a-checksum")

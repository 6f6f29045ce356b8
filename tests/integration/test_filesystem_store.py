"""FilesystemArtifactStore on a real directory: atomic, checksummed, never rewritten."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest
from tests.contract.test_artifact_store_contract import KEYS_OUTSIDE_THE_STORE

from billing.adapters.storage.errors import (
    ArtifactConflict,
    ArtifactCorrupted,
    ArtifactMissing,
    InvalidArtifactKey,
)
from billing.adapters.storage.filesystem import FilesystemArtifactStore
from billing.domain.errors import BillingError, InvalidInput, StorageUnavailable

KEY = "2026/INV-2026-000001.pdf"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64


@pytest.fixture
def store(tmp_path: Path) -> FilesystemArtifactStore:
    return FilesystemArtifactStore(tmp_path / "media")


def test_round_trip_under_billing_invoices_year(
    store: FilesystemArtifactStore, tmp_path: Path
) -> None:
    checksum = store.put(KEY, PDF)

    assert checksum == hashlib.sha256(PDF).hexdigest()
    assert store.get(KEY) == PDF
    assert store.get(KEY, checksum) == PDF
    stored = tmp_path / "media" / "billing" / "invoices" / "2026" / "INV-2026-000001.pdf"
    assert stored.read_bytes() == PDF
    assert store.path_of(KEY) == stored
    assert not stat.S_IMODE(stored.stat().st_mode) & 0o222  # read-only once stored
    assert sorted(p.name for p in stored.parent.iterdir()) == ["INV-2026-000001.pdf"]


def test_an_empty_document_is_stored_too(store: FilesystemArtifactStore) -> None:
    assert store.put("2026/empty.html", b"") == hashlib.sha256(b"").hexdigest()
    assert store.get("2026/empty.html") == b""


def test_writing_the_same_bytes_again_is_harmless(store: FilesystemArtifactStore) -> None:
    first = store.put(KEY, PDF)

    assert store.put(KEY, PDF) == first
    assert store.get(KEY, first) == PDF


def test_other_bytes_under_a_stored_key_are_refused(store: FilesystemArtifactStore) -> None:
    checksum = store.put(KEY, PDF)

    with pytest.raises(ArtifactConflict) as raised:
        store.put(KEY, PDF + b"tampered")

    assert raised.value.code == "artifact_conflict"
    assert not raised.value.retryable
    assert raised.value.details["stored_sha256"] == checksum
    assert store.get(KEY, checksum) == PDF


def test_a_corrupted_file_is_detected_on_read(store: FilesystemArtifactStore) -> None:
    checksum = store.put(KEY, PDF)
    path = store.path_of(KEY)
    flipped = bytearray(path.read_bytes())
    flipped[100] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(flipped))

    with pytest.raises(ArtifactCorrupted) as raised:
        store.get(KEY, checksum)

    assert raised.value.code == "artifact_corrupted"
    assert raised.value.details["expected_sha256"] == checksum
    assert raised.value.details["actual_sha256"] == hashlib.sha256(flipped).hexdigest()
    assert store.get(KEY) == bytes(flipped)  # without a checksum, bytes are returned as they are


def test_a_missing_key_is_reported(store: FilesystemArtifactStore) -> None:
    with pytest.raises(ArtifactMissing) as raised:
        store.get(KEY, hashlib.sha256(PDF).hexdigest())

    assert raised.value.code == "artifact_missing"
    store.put(KEY, PDF)
    with pytest.raises(ArtifactMissing):
        store.get("2026")  # a directory is not an artifact


@pytest.mark.parametrize("key", KEYS_OUTSIDE_THE_STORE)
def test_keys_outside_the_store_are_refused(
    store: FilesystemArtifactStore, tmp_path: Path, key: str
) -> None:
    with pytest.raises(InvalidArtifactKey) as raised:
        store.put(key, PDF)
    with pytest.raises(InvalidArtifactKey):
        store.get(key)

    assert isinstance(raised.value, InvalidInput)
    assert raised.value.code == "invalid_artifact_key"
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_an_unusable_root_is_a_retryable_storage_error(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "media"
    not_a_directory.write_text("a file where the media root should be")
    store = FilesystemArtifactStore(not_a_directory)

    with pytest.raises(StorageUnavailable) as raised:
        store.put(KEY, PDF)

    assert isinstance(raised.value, BillingError)
    assert raised.value.code == "storage_unavailable"
    assert raised.value.retryable
    assert str(not_a_directory) in raised.value.message


def test_concurrent_writers_of_one_key_leave_one_whole_file(
    store: FilesystemArtifactStore,
) -> None:
    """Many threads race to write the same key: identical bytes all succeed, no temp file left."""
    results: list[str] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            results.append(store.put(KEY, PDF))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(results) == {hashlib.sha256(PDF).hexdigest()}
    assert [p.name for p in store.path_of(KEY).parent.iterdir()] == ["INV-2026-000001.pdf"]


def test_concurrent_writers_of_different_bytes_never_overwrite(
    store: FilesystemArtifactStore,
) -> None:
    versions = [PDF + bytes([n]) for n in range(16)]
    won: list[bytes] = []
    refused: list[BaseException] = []

    def write(data: bytes) -> None:
        try:
            store.put(KEY, data)
            won.append(data)
        except ArtifactConflict as error:
            refused.append(error)

    threads = [threading.Thread(target=write, args=(data,)) for data in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(won) == 1
    assert len(refused) == 15
    assert store.get(KEY) == won[0]


def test_a_filesystem_without_hard_links_still_stores_and_refuses_rewrites(
    store: FilesystemArtifactStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hard_links(source: object, destination: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)

    checksum = store.put(KEY, PDF)
    assert store.put(KEY, PDF) == checksum
    with pytest.raises(ArtifactConflict):
        store.put(KEY, b"other")
    assert store.get(KEY, checksum) == PDF
    assert [p.name for p in store.path_of(KEY).parent.iterdir()] == ["INV-2026-000001.pdf"]

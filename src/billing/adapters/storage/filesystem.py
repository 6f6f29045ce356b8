"""``FilesystemArtifactStore``: invoice files on a local or mounted disk, written atomically."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

from billing.adapters.storage.errors import ArtifactConflict, ArtifactCorrupted, ArtifactMissing
from billing.domain.artifact_key import check_sha256, key_segments
from billing.domain.errors import StorageUnavailable

#: Where artifacts live below the store's root (``MEDIA_ROOT``).
DEFAULT_PREFIX: Final = ("billing", "invoices")
#: Owner and group may read a stored document; nobody may write it once it is in place.
_FILE_MODE: Final = 0o440
# Filesystems without hard links answer os.link with one of these.
_NO_HARD_LINKS: Final = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV})


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FilesystemArtifactStore:
    """Implements :class:`billing.ports.invoices.ArtifactStore` under ``root/billing/invoices/``.

    Keys are relative POSIX paths of plain names, such as ``2026/INV-2026-000001.pdf``, stored
    at ``root/billing/invoices/2026/INV-2026-000001.pdf``. An absolute key, ``..``, an empty or
    hidden segment, a backslash or any character outside ``A-Z a-z 0-9 . _ -`` raises
    :class:`InvalidArtifactKey`: a key can never name a file outside the store.

    Writes are atomic: the bytes go to a temporary file in the destination directory, which is
    flushed and fsynced, then linked into place, and the directory is fsynced. A reader sees
    the whole document or nothing, also after a crash.

    Documents are never silently rewritten. ``put`` on a key that already holds the same bytes
    succeeds and returns the same checksum (so re-running a rendering job is harmless); ``put``
    on a key holding different bytes raises :class:`ArtifactConflict` and leaves the stored
    file as it was. The final name is created with ``os.link``, which fails if the name exists,
    so two concurrent writers cannot overwrite each other either. Stored files are read-only.

    Filesystem failures (root not a directory, permission denied, disk full, I/O error) raise
    :class:`billing.domain.errors.StorageUnavailable`, which is ``retryable``: a task queue
    keeps the job and runs it again once the volume is back.
    """

    def __init__(
        self, root: str | os.PathLike[str], prefix: tuple[str, ...] = DEFAULT_PREFIX
    ) -> None:
        self.root = Path(root)
        self.base = self.root.joinpath(*prefix)

    def path_of(self, key: str) -> Path:
        """The file that holds ``key``; raises :class:`InvalidArtifactKey` for a bad key."""
        return self.base.joinpath(*key_segments(key))

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` atomically; return its SHA-256 (hex).

        Idempotent for identical bytes; :class:`ArtifactConflict` for different bytes.
        """
        path = self.path_of(key)
        checksum = sha256_hex(data)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                self._same_as_stored(key, path, checksum)
                return checksum
            self._write_new(key, path, data, checksum)
        except OSError as error:
            raise StorageUnavailable(
                f"cannot store artifact {key!r} under {self.base}: {error.strerror or error}",
                key=key,
                errno=error.errno,
            ) from error
        return checksum

    def get(self, key: str, expected_sha256: str | None = None) -> bytes:
        """The bytes under ``key``.

        Raises :class:`ArtifactMissing` if there are none, and :class:`ArtifactCorrupted` if
        ``expected_sha256`` is given and the stored bytes do not match it.
        """
        path = self.path_of(key)
        check_sha256(expected_sha256, key)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise ArtifactMissing(f"no artifact {key!r} in {self.base}", key=key) from error
        except OSError as error:
            raise StorageUnavailable(
                f"cannot read artifact {key!r}: {error.strerror or error}",
                key=key,
                errno=error.errno,
            ) from error
        if expected_sha256 is not None:
            actual = sha256_hex(data)
            if actual != expected_sha256:
                raise ArtifactCorrupted(
                    f"artifact {key!r} has SHA-256 {actual}, expected {expected_sha256}",
                    key=key,
                    expected_sha256=expected_sha256,
                    actual_sha256=actual,
                )
        return data

    def _same_as_stored(self, key: str, path: Path, checksum: str) -> None:
        if not path.is_file():
            raise ArtifactConflict(f"artifact key {key!r} names a directory", key=key)
        stored = sha256_hex(path.read_bytes())
        if stored != checksum:
            raise ArtifactConflict(
                f"artifact {key!r} already exists with other content; "
                "stored documents are never rewritten",
                key=key,
                stored_sha256=stored,
                new_sha256=checksum,
            )

    def _write_new(self, key: str, path: Path, data: bytes, checksum: str) -> None:
        directory = path.parent
        descriptor, temporary_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=directory
        )
        temporary = Path(temporary_name)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
                os.fchmod(handle.fileno(), _FILE_MODE)
            try:
                # Creates the name only if it does not exist yet: never clobbers a document.
                os.link(temporary, path)
            except FileExistsError:
                # Another writer got there first: fine if it wrote the same bytes.
                self._same_as_stored(key, path, checksum)
            except OSError as error:
                if error.errno not in _NO_HARD_LINKS:
                    raise
                # No hard links here: checked rename (a concurrent writer could still race).
                if path.exists():
                    self._same_as_stored(key, path, checksum)
                else:
                    os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make a new directory entry durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

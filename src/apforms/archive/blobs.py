"""Where the archive's files are kept: the file-storage interface, a folder, and memory.

A file is addressed by its SHA-256 (its entry's id) and never written again once stored. The
store (:class:`apforms.archive.store.Store`) puts a file *before* it commits the file's row
and removes it only *after* the tombstone is committed, so a file store never needs to know
about the catalogue; it must only make :meth:`FileStore.put` durable before it returns.

:class:`FolderFileStore` is the default (``files/ab/<sha256>.pdf`` under the archive's folder,
the layout every archive has had); :class:`MemoryFileStore` is for tests.

**An S3-compatible store** fits the same interface without changing the store: ``put`` is a
``PutObject`` of key ``<sha256>`` (atomic and durable when it returns; with
``ChecksumSHA256`` the service checks the bytes too), ``read`` a ``GetObject``, ``check`` a
``GetObject`` hashed again (a ``HeadObject``'s stored checksum only says what the service
computed when the object was written), ``exists`` a ``HeadObject``, ``remove`` a
``DeleteObject`` (on a versioned bucket, of every version: a disposal must not leave a copy),
``ids`` a ``ListObjectsV2`` and ``clean_temporaries`` aborting multipart uploads older than the
limit. Object Lock in governance mode stops deletion by anyone but the disposer's role.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path

from apforms.archive import checkpoint
from apforms.archive.entries import ALTERED, MISSING, OK, UNREADABLE
from apforms.errors import ArchiveError

_PART = ".part"


class FileStore(ABC):
    """Files by their SHA-256: put durably, read, check, remove, list."""

    #: Where the files are, for messages.
    location: str
    #: What the backend raises when it fails (the store turns them into one-line ArchiveErrors).
    failures: tuple[type[Exception], ...] = ()

    @abstractmethod
    def put(self, entry_id: str, data: bytes) -> None:
        """Store ``data`` under ``entry_id`` durably before returning; an intact copy already
        there (left by an interrupted add) is kept as it is."""

    @abstractmethod
    def read(self, entry_id: str) -> bytes:
        """The stored bytes; an ArchiveError if the file is missing or unreadable."""

    @abstractmethod
    def check(self, entry_id: str, size: int) -> str:
        """Re-hash one stored file: OK, MISSING, ALTERED or UNREADABLE."""

    @abstractmethod
    def exists(self, entry_id: str) -> bool: ...

    @abstractmethod
    def remove(self, entry_id: str) -> None:
        """Remove a file durably (nothing if it is already gone)."""

    @abstractmethod
    def ids(self) -> Iterator[str]:
        """The id of every stored file (temporaries left out)."""

    @abstractmethod
    def clean_temporaries(self, stale_after_s: float) -> int:
        """Remove what interrupted puts left that is older than ``stale_after_s``; how many
        temporaries are left (younger ones may be puts under way)."""


class FolderFileStore(FileStore):
    """``files/ab/<sha256>.pdf`` under ``root``: owner-only folders, read-only files, each
    written under a temporary name, fsynced, renamed and its folder fsynced."""

    failures = (OSError,)

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser()
        self.folder = self.root / "files"
        self.location = str(self.root)
        try:
            make_private_dir(self.root)
            make_private_dir(self.folder)
        except OSError as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {exc.strerror or exc}") from None

    def path(self, entry_id: str) -> Path:
        return self.folder / entry_id[:2] / f"{entry_id}.pdf"

    def put(self, entry_id: str, data: bytes) -> None:
        target = self.path(entry_id)
        if target.exists() and _sha256_file(target) == entry_id:
            return
        folder = target.parent
        if not folder.is_dir():
            make_private_dir(folder)
            checkpoint.fsync_dir(self.folder)
        fd, tmp = tempfile.mkstemp(prefix=f".{entry_id}.", suffix=_PART, dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o400)  # stored files are never written again
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        checkpoint.fsync_dir(folder)

    def read(self, entry_id: str) -> bytes:
        try:
            return self.path(entry_id).read_bytes()
        except FileNotFoundError:
            raise ArchiveError(f"{entry_id[:12]}: the stored file is missing") from None
        except OSError as exc:
            raise ArchiveError(
                f"{entry_id[:12]}: cannot read the stored file: {exc.strerror or exc}"
            ) from None

    def check(self, entry_id: str, size: int) -> str:
        path = self.path(entry_id)
        try:
            if path.stat().st_size != size:
                return ALTERED
            return OK if _sha256_file(path) == entry_id else ALTERED
        except FileNotFoundError:
            return MISSING
        except OSError:
            return UNREADABLE

    def exists(self, entry_id: str) -> bool:
        return self.path(entry_id).exists()

    def remove(self, entry_id: str) -> None:
        path = self.path(entry_id)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            checkpoint.fsync_dir(path.parent)

    def ids(self) -> Iterator[str]:
        for path in self.folder.glob("*/*"):
            if not path.name.endswith(_PART):
                yield path.stem

    def clean_temporaries(self, stale_after_s: float) -> int:
        left, now = 0, time.time()
        for path in self.folder.glob(f"*/*{_PART}"):
            try:
                if now - path.stat().st_mtime > stale_after_s:
                    path.unlink()
                    continue
            except OSError:
                pass
            left += 1
        return left


class MemoryFileStore(FileStore):
    """Files in a dict, for tests (``data`` may be edited to play at tampering)."""

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self.data: dict[str, bytes] = {}

    def put(self, entry_id: str, data: bytes) -> None:
        if hashlib.sha256(self.data.get(entry_id, b"")).hexdigest() != entry_id:
            self.data[entry_id] = bytes(data)

    def read(self, entry_id: str) -> bytes:
        try:
            return self.data[entry_id]
        except KeyError:
            raise ArchiveError(f"{entry_id[:12]}: the stored file is missing") from None

    def check(self, entry_id: str, size: int) -> str:
        if entry_id not in self.data:
            return MISSING
        data = self.data[entry_id]
        return OK if len(data) == size and hashlib.sha256(data).hexdigest() == entry_id else ALTERED

    def exists(self, entry_id: str) -> bool:
        return entry_id in self.data

    def remove(self, entry_id: str) -> None:
        self.data.pop(entry_id, None)

    def ids(self) -> Iterator[str]:
        yield from list(self.data)

    def clean_temporaries(self, stale_after_s: float) -> int:
        return 0


def _sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def make_private_dir(path: Path) -> None:
    """Create a folder only its owner can use (an existing folder is left as it is)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)


__all__ = ["FileStore", "FolderFileStore", "MemoryFileStore", "make_private_dir"]

"""What the archive keeps: its entries and audit events, and the interface of a store.

:class:`Store` is everything the archive commands need, so that a shared server database can
be added as another implementation without touching them (``apforms.archive.sqlite`` is the
embedded one). Every implementation keeps the crash-safety order: a file durably stored before
its row is committed; a tombstone committed before its file is removed.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

STORED, DISPOSED = "stored", "disposed"
# File check results.
OK, MISSING, ALTERED, UNREADABLE = "ok", "missing", "altered", "unreadable"
PARTIES = ("provider", "school", "upn")


@dataclass(frozen=True)
class Entry:
    """One archived file: its hash and what was read from it when it was added."""

    id: str  # SHA-256 of the bytes, hex
    size: int
    filename: str
    document: str | None
    version: str | None
    detected: bool  # True: read from an apforms form; False: said with --doc
    signature_status: str
    signatures: Mapping[str, Any]
    record: Mapping[str, Any] | None
    refs: Mapping[str, str]
    parties: Mapping[str, str]
    warnings: tuple[str, ...]
    added_at: str
    added_by: str
    state: str = STORED
    disposed_at: str | None = None
    disposed_by: str | None = None
    disposal_reason: str | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit log. ``hash`` chains each event to the one before it."""

    at: str
    user: str
    action: str
    entry_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None
    prev: str | None = None
    hash: str | None = None

    def chained(self, prev: str) -> AuditEvent:
        body = json.dumps(
            [prev, self.at, self.user, self.action, self.entry_id, self.detail],
            sort_keys=True,
            ensure_ascii=False,
        )
        return replace(self, prev=prev, hash=hashlib.sha256(body.encode("utf-8")).hexdigest())


@dataclass(frozen=True)
class Filters:
    """What ``archive list`` and ``export`` select; every given criterion must hold."""

    document: str | None = None
    provider: str | None = None  # case-insensitive part of the name
    school: str | None = None
    upn: str | None = None
    since: str | None = None  # added on or after this date (YYYY-MM-DD)
    until: str | None = None  # added on or before this date
    signature_status: str | None = None
    include_disposed: bool = False


class Store(ABC):
    """The storage an archive needs. Implementations must keep the crash-safety order."""

    location: str

    @abstractmethod
    def add(self, entry: Entry, data: bytes, event: AuditEvent) -> bool:
        """Store the bytes durably, then commit the entry and its audit event together.

        Returns False (and stores nothing new) if an entry with this id already exists.
        """

    @abstractmethod
    def get(self, entry_id: str) -> Entry | None: ...

    @abstractmethod
    def resolve(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix`` (stored and disposed)."""

    @abstractmethod
    def entries(self, filters: Filters) -> list[Entry]:
        """Entries matching ``filters``, oldest first."""

    @abstractmethod
    def stored_ids(self) -> Iterator[tuple[str, int]]:
        """(id, size) of every entry whose file should be present."""

    @abstractmethod
    def read_file(self, entry_id: str) -> bytes:
        """The stored bytes; an ArchiveError if the file is missing or unreadable."""

    @abstractmethod
    def check_file(self, entry_id: str, size: int) -> str:
        """Re-hash one stored file: OK, MISSING, ALTERED or UNREADABLE."""

    @abstractmethod
    def dispose(self, entry: Entry, event: AuditEvent) -> None:
        """Commit the tombstone (``entry`` already marked disposed), then remove the file."""

    @abstractmethod
    def log(self, event: AuditEvent) -> None:
        """Append one event to the audit log."""

    @abstractmethod
    def audit_log(self) -> list[AuditEvent]: ...

    @abstractmethod
    def housekeeping(self) -> dict[str, int]:
        """Counts of leftovers from interrupted adds: files without a row, temporary files."""

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections."""


# --------------------------------------------------------------------------- helpers


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


__all__ = [
    "ALTERED",
    "DISPOSED",
    "MISSING",
    "OK",
    "STORED",
    "UNREADABLE",
    "AuditEvent",
    "Entry",
    "Filters",
    "Store",
    "sha256",
]

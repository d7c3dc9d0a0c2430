"""What the archive keeps: its entries and audit events, and the interface of a store.

:class:`Store` is everything the archive commands need, so that a shared server database can
be added as another implementation without touching them (``apforms.archive.sqlite`` is the
embedded one). Every implementation keeps the crash-safety order (a file durably stored before
its row is committed; a tombstone committed before its file is removed) and the hash chain of
:mod:`apforms.archive.chain`: each event that writes an entry binds the entry's fields, and
the chain's head is kept, in step, outside the catalogue.
"""

from __future__ import annotations

import contextlib
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from apforms.archive.chain import AuditEvent, Checkpoint

STORED, DISPOSED = "stored", "disposed"
# File check results.
OK, MISSING, ALTERED, UNREADABLE = "ok", "missing", "altered", "unreadable"
PARTIES = ("provider", "school", "upn")
VERIFY_HINT = "run apforms archive verify"


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

    def bound_values(self) -> dict[str, Any]:
        """The catalogue values the hash chain binds: every field, the parties one by one."""
        out = self.as_dict()
        parties = out.pop("parties")
        out.update({p: parties.get(p) for p in PARTIES})
        return out


@dataclass
class Catalogue:
    """One consistent reading of the catalogue for ``verify``.

    ``entries`` yields (id, bound values) and is only valid inside :meth:`Store.snapshot`.
    ``checkpoint`` is None when it is missing or cannot be trusted; ``problems`` say why,
    and anything else wrong with the catalogue as a whole (missing, replaced).
    """

    events: list[AuditEvent]
    entries: Iterator[tuple[str, dict[str, Any]]]
    checkpoint: Checkpoint | None
    problems: list[str] = field(default_factory=list)


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
        """Commit the tombstone (``entry`` already marked disposed), then remove the file.

        An ArchiveError, and nothing disposed of, if the entry's row is not as its last event
        wrote it (changed outside apforms: its retention may have been moved).
        """

    @abstractmethod
    def unfinished_disposals(self) -> list[str]:
        """Ids of disposed entries whose file is still there (a disposal was interrupted)."""

    @abstractmethod
    def finish_disposal(self, entry_id: str, event: AuditEvent) -> None:
        """Remove the file of a disposed entry, logging ``event``; an ArchiveError if its
        tombstone is not the one its dispose event wrote."""

    @abstractmethod
    def log(self, event: AuditEvent) -> None:
        """Append one event to the audit log."""

    @abstractmethod
    def audit_log(self) -> list[AuditEvent]: ...

    @abstractmethod
    def snapshot(self) -> contextlib.AbstractContextManager[Catalogue]:
        """The audit log, every entry and the checkpoint, read as of one moment."""

    @abstractmethod
    def housekeeping(self) -> dict[str, int]:
        """Counts of leftovers from interrupted adds: files without a row, temporary files."""

    def upgrade(self, event: Callable[[str], AuditEvent]) -> int:
        """Bring a catalogue from before the chain bound entries up to date: one ``migrate``
        event (made by ``event(entry_id)``) per existing entry. Returns how many were bound."""
        return 0

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
    "Catalogue",
    "Entry",
    "Filters",
    "Store",
    "sha256",
]

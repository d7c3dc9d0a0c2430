"""An in-memory catalogue: the contract tests' fake, and the empty stand-in for a missing one.

It stores rows as the SQL catalogues do (:mod:`apforms.archive.rows`, JSON text and all) and
keeps their rules in code: an entry is inserted once, never deleted, and changed only from
stored to disposed; events are only appended. ``rows``, ``events`` and ``checkpoint_text``
are open to tests, which play at tampering through them as someone with the database file
would.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from apforms.archive import checkpoint, rows
from apforms.archive.catalogue import CatalogueBackend
from apforms.archive.chain import AuditEvent, Checkpoint, Head
from apforms.archive.entries import DISPOSED, STORED, Entry, Filters
from apforms.errors import ArchiveError


class MemoryCatalogue(CatalogueBackend):
    """A catalogue in dicts, for one process."""

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self.rows: dict[str, dict[str, Any]] = {}
        self.events: list[AuditEvent] = []
        self.checkpoint_text: str | None = Checkpoint(Head(0, "")).text()
        self._lock = threading.Lock()
        self._view: tuple[dict[str, dict[str, Any]], list[AuditEvent]] | None = None
        self._other: CatalogueBackend | None = None

    @classmethod
    def standing_in_for(cls, missing: CatalogueBackend) -> MemoryCatalogue:
        """An empty catalogue in place of a missing one: reads find nothing, writes are refused
        (``missing.refusal``), the lock and the checkpoint are still the missing one's."""
        stand_in = cls(missing.location)
        stand_in.refusal, stand_in.stand_in, stand_in._other = missing.refusal, True, missing
        return stand_in

    # ---------------------------------------------------------------- locking and transactions

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        if self._other is not None:
            with self._other.locked():
                yield
            return
        with self._lock:
            yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        before = (dict(self.rows), list(self.events))
        try:
            yield
        except BaseException:
            self.rows, self.events = before
            raise

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        self._view = (dict(self.rows), list(self.events))
        try:
            yield
        finally:
            self._view = None

    def _rows(self) -> dict[str, dict[str, Any]]:
        return self._view[0] if self._view else self.rows

    def _events(self) -> list[AuditEvent]:
        return self._view[1] if self._view else self.events

    # ---------------------------------------------------------------- the checkpoint

    def read_checkpoint(self) -> Checkpoint | None:
        if self._other is not None:
            return self._other.read_checkpoint()
        if self.checkpoint_text is None:
            return None
        try:
            return Checkpoint.parse(self.checkpoint_text)
        except ValueError as exc:
            raise checkpoint.Damaged(str(exc)) from None

    def write_checkpoint(self, kept: Checkpoint, durable: bool = True) -> None:
        if self._other is not None:
            raise ArchiveError(self.refusal or "this catalogue takes no writes")
        self.checkpoint_text = kept.text()

    # ---------------------------------------------------------------- entries

    def _entry(self, row: dict[str, Any]) -> Entry:
        return rows.entry([row[c] for c in rows.COLUMNS])

    def get(self, entry_id: str) -> Entry | None:
        row = self._rows().get(entry_id)
        return None if row is None else self._entry(row)

    def resolve(self, prefix: str) -> list[str]:
        return sorted(i for i in self._rows() if i.startswith(prefix))[:10]

    def entries(self, filters: Filters) -> list[Entry]:
        found = [e for e in map(self._entry, self._rows().values()) if filters.matches(e)]
        return sorted(found, key=lambda e: (e.added_at, e.id))

    def stored_ids(self) -> Iterator[tuple[str, int]]:
        for entry_id, row in sorted(self._rows().items()):
            if row["state"] == STORED:
                yield entry_id, int(row["size"])

    def states(self) -> dict[str, str]:
        return {i: str(row["state"]) for i, row in self._rows().items()}

    def disposed_ids(self) -> list[str]:
        return sorted(i for i, row in self._rows().items() if row["state"] == DISPOSED)

    def bound_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for entry_id, row in sorted(self._rows().items()):
            yield entry_id, self._entry(row).bound_values()

    def insert_entry(self, entry: Entry) -> None:
        if entry.id in self.rows:
            raise ArchiveError(f"{entry.short_id} is in the catalogue already")
        self.rows[entry.id] = rows.entry_row(entry)

    def mark_disposed(self, tombstone: Entry) -> None:
        row = self.rows.get(tombstone.id)
        if row is None or row["state"] != STORED:
            raise ArchiveError("archive entries cannot be changed, only disposed of once")
        self.rows[tombstone.id] = {
            **row,
            "state": DISPOSED,
            "disposed_at": tombstone.disposed_at,
            "disposed_by": tombstone.disposed_by,
            "disposal_reason": tombstone.disposal_reason,
        }

    # ---------------------------------------------------------------- the audit log

    def audit_log(self) -> list[AuditEvent]:
        return list(self._events())

    def events_of(self, entry_id: str) -> list[AuditEvent]:
        return [e for e in self._events() if e.entry_id == entry_id]

    def last_written(self, entry_id: str) -> AuditEvent | None:
        written = [e for e in self.events_of(entry_id) if e.fields is not None]
        return written[-1] if written else None

    def last_hash(self) -> str:
        return (self._events()[-1].hash or "") if self._events() else ""

    def head(self) -> Head:
        return Head(len(self._events()), self.last_hash())

    def append(self, event: AuditEvent) -> None:
        seq = max((e.seq or 0 for e in self.events), default=0) + 1
        # stored as a SQL catalogue would store it, and read back the same way
        self.events.append(rows.event((seq, *rows.event_values(event))))

    def close(self) -> None:
        if self._other is not None:
            self._other.close()


__all__ = ["MemoryCatalogue"]

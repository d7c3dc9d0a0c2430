"""The store: a catalogue and a file store kept in step, the same way for every backend.

:class:`Store` composes a :class:`~apforms.archive.catalogue.CatalogueBackend` (SQLite,
PostgreSQL, memory) with a :class:`~apforms.archive.blobs.FileStore` (a folder, memory; an
S3-compatible one would fit), and is the one place that keeps:

- **the crash-safety order**: a file is durably stored *before* its row is committed, so a
  kill at any moment leaves no row without a file (at worst a file without a row, which a
  later add of the same bytes adopts); a tombstone is committed *before* its file is removed,
  and a disposal interrupted between the two is finished by the next run, only for a
  tombstone its ``dispose`` event bears out;
- **the hash chain** (:mod:`apforms.archive.chain`): every event that writes an entry binds
  the entry's fields as read back; a write holds the writers' lock, refuses to start on a
  catalogue that does not lead to its checkpoint, records the head it will leave before it
  commits (``pending``) and the head it left after.

The entries and events themselves are plain values (:mod:`apforms.archive.entries`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace

from apforms.archive import checkpoint
from apforms.archive.blobs import FileStore
from apforms.archive.catalogue import CatalogueBackend
from apforms.archive.chain import (
    MIGRATE,
    AuditEvent,
    Checkpoint,
    Head,
    changed_fields,
    field_digests,
    writes_entry,
)
from apforms.archive.entries import (
    ALTERED,
    DISPOSED,
    MISSING,
    OK,
    STORED,
    UNREADABLE,
    VERIFY_HINT,
    Catalogue,
    Entry,
    Filters,
    sha256,
)
from apforms.errors import ArchiveError, first_line

CHECKPOINT_NAME = checkpoint.CHECKPOINT_NAME


class Store:
    """The storage an archive needs: ``catalogue`` and ``files``, in the crash-safety order."""

    def __init__(self, catalogue: CatalogueBackend, files: FileStore) -> None:
        if catalogue.stand_in:  # nothing to read: an empty catalogue stands in, taking no writes
            from apforms.archive.memory import MemoryCatalogue

            catalogue = MemoryCatalogue.standing_in_for(catalogue)
        self.catalogue = catalogue
        self.files = files
        self.location = files.location
        self._failures: tuple[type[Exception], ...] = (*catalogue.failures, *files.failures, OSError)
        self._head = Head(0, "")

    @property
    def refusal(self) -> str | None:
        """Why this store takes no writes (its catalogue missing or replaced), if so."""
        return self.catalogue.refusal

    def close(self) -> None:
        self.catalogue.close()

    # ---------------------------------------------------------------- reading

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A backend's failure while reading, as one line naming the catalogue."""
        try:
            yield
        except self._failures as exc:
            raise ArchiveError(
                f"cannot read the catalogue of {self.catalogue.location}: {reason(exc)}"
            ) from None

    def get(self, entry_id: str) -> Entry | None:
        with self._reading():
            return self.catalogue.get(entry_id)

    def resolve(self, prefix: str) -> list[str]:
        """Ids starting with ``prefix`` (stored and disposed)."""
        with self._reading():
            return self.catalogue.resolve(prefix)

    def entries(self, filters: Filters) -> list[Entry]:
        """Entries matching ``filters``, oldest first."""
        with self._reading():
            return self.catalogue.entries(filters)

    def stored_ids(self) -> Iterator[tuple[str, int]]:
        """(id, size) of every entry whose file should be present."""
        with self._reading():
            return iter(list(self.catalogue.stored_ids()))

    def read_file(self, entry_id: str) -> bytes:
        """The stored bytes; an ArchiveError if the file is missing or unreadable."""
        try:
            return self.files.read(entry_id)
        except self._failures as exc:
            raise ArchiveError(f"{entry_id[:12]}: cannot read the stored file: {reason(exc)}") from None

    def check_file(self, entry_id: str, size: int) -> str:
        """Re-hash one stored file: OK, MISSING, ALTERED or UNREADABLE (a file gone because
        its entry was disposed of since the caller read the catalogue is not missing)."""
        try:
            state = self.files.check(entry_id, size)
        except self._failures:
            return UNREADABLE
        if state == MISSING:
            now = self.get(entry_id)
            if now is not None and now.state == DISPOSED:
                return OK
        return state

    def audit_log(self) -> list[AuditEvent]:
        with self._reading():
            return self.catalogue.audit_log()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Catalogue]:
        """The audit log, every entry and the checkpoint, read as of one moment."""
        cat = self.catalogue
        problems = [cat.refusal] if cat.refusal else []
        kept: Checkpoint | None = None
        with self._reading(), contextlib.ExitStack() as stack:
            with cat.locked():  # no write is half-way through
                stack.enter_context(cat.reading())
                events = cat.audit_log()  # the first read fixes the reading
                try:
                    kept = cat.read_checkpoint()
                except checkpoint.Damaged as exc:
                    problems.append(f"the archive's checkpoint {CHECKPOINT_NAME} {exc}")
            if kept is None and not problems:
                problems.append(f"the archive's checkpoint {CHECKPOINT_NAME} is missing")
            if cat.stand_in:
                kept = None  # the problem is the catalogue itself: no chain to compare
            yield Catalogue(events, cat.bound_rows(), kept, problems)

    def housekeeping(self, stale_after_s: float = 3600.0) -> dict[str, int]:
        """Count files without a row and temporary files; remove temporary files over an hour old."""
        with self._reading():
            states = self.catalogue.states()
        orphans = disposed = 0
        for entry_id in self.files.ids():
            if states.get(entry_id) == DISPOSED:
                disposed += 1
            elif entry_id not in states:
                orphans += 1
        temps = self.files.clean_temporaries(stale_after_s)
        return {"unrecorded_files": orphans, "temporary_files": temps, "disposed_files": disposed}

    # ---------------------------------------------------------------- writing

    def add(self, entry: Entry, data: bytes, event: AuditEvent) -> bool:
        """Store the bytes durably, then commit the entry and its audit event together.

        Returns False (and stores nothing new) if an entry with this id already exists.
        """
        if self.get(entry.id) is not None:
            return False
        try:
            self.files.put(entry.id, data)
        except self._failures as exc:
            raise ArchiveError(f"cannot store {entry.filename}: {reason(exc)}") from None
        try:
            with self._write():
                existing = self.catalogue.get(entry.id)
                if existing is None:
                    self._never_written(entry)
                    self.catalogue.insert_entry(entry)
                    self._append(replace(event, entry_id=entry.id), self._bound(entry.id))
            if existing is not None and existing.state == DISPOSED:
                self.files.remove(entry.id)  # put back by this add after the disposal removed it
        except self._failures as exc:
            raise ArchiveError(f"cannot record {entry.filename}: {reason(exc)}") from None
        return existing is None

    def dispose(self, entry: Entry, event: AuditEvent) -> None:
        """Commit the tombstone (``entry`` already marked disposed), then remove the file.

        An ArchiveError, and nothing disposed of, if the entry's row is not as its last event
        wrote it (changed outside apforms: its retention may have been moved).
        """
        try:
            with self._write():
                current = self.catalogue.get(entry.id)
                if current is None or current.state != STORED:
                    raise ArchiveError(f"{entry.short_id} is not a stored entry (disposed of meanwhile?)")
                self._unchanged(current)
                self.catalogue.mark_disposed(entry)
                self._append(replace(event, entry_id=entry.id), self._bound(entry.id))
        except self._failures as exc:
            raise ArchiveError(f"cannot dispose of {entry.short_id}: {reason(exc)}") from None
        self._remove(entry.id)

    def unfinished_disposals(self) -> list[str]:
        """Ids of disposed entries whose file is still there (a disposal was interrupted)."""
        with self._reading():
            return [i for i in self.catalogue.disposed_ids() if self.files.exists(i)]

    def finish_disposal(self, entry_id: str, event: AuditEvent) -> None:
        """Remove the file of a disposed entry, logging ``event``; an ArchiveError if its
        tombstone is not the one its dispose event wrote."""
        try:
            with self._write():
                current = self.catalogue.get(entry_id)
                if current is None or current.state != DISPOSED:
                    raise ArchiveError(f"{entry_id[:12]} is not a disposed entry")
                self._unchanged(current, action="dispose")
                if not self.files.exists(entry_id):
                    return  # finished by another process meanwhile
                self._append(replace(event, entry_id=entry_id))
        except self._failures as exc:
            raise ArchiveError(f"cannot finish disposing of {entry_id[:12]}: {reason(exc)}") from None
        self._remove(entry_id)

    def _remove(self, entry_id: str) -> None:
        """The last step of a disposal (its tombstone is committed)."""
        try:
            self.files.remove(entry_id)
        except self._failures as exc:  # the next run finishes it
            raise ArchiveError(f"{entry_id[:12]}: disposed of, but its file stays: {reason(exc)}") from None

    def log(self, event: AuditEvent) -> None:
        """Append one event to the audit log."""
        try:
            with self._write():
                self._append(event)
        except self._failures as exc:
            raise ArchiveError(f"cannot write the audit log: {reason(exc)}") from None

    def upgrade(self, event: Callable[[str], AuditEvent]) -> int:
        """Bring a catalogue from before the chain bound entries up to date in one transaction:
        one ``migrate`` event (made by ``event(entry_id)``) per existing entry, as it is now,
        and the first checkpoint. Returns how many were bound."""
        cat = self.catalogue
        if not cat.needs_upgrade or cat.refusal is not None:
            return 0
        bound = -1
        try:
            with cat.locked():
                with cat.transaction():
                    if cat.upgrade_schema():
                        bound = self._migrate(event)
                if bound >= 0:
                    cat.write_checkpoint(Checkpoint(self._head), durable=False)
        except self._failures as exc:
            raise ArchiveError(f"cannot upgrade the archive at {self.location}: {reason(exc)}") from None
        cat.needs_upgrade = False
        return max(bound, 0)

    def _migrate(self, event: Callable[[str], AuditEvent]) -> int:
        cat = self.catalogue
        if cat.read_checkpoint() is not None:
            raise ArchiveError(cat.refusal or "the archive has a checkpoint but its catalogue is schema 1")
        start = self._head = cat.head()
        ids = [e.id for e in cat.entries(Filters(include_disposed=True))]
        for entry_id in ids:
            self._append(replace(event(entry_id), action=MIGRATE, entry_id=entry_id), self._bound(entry_id))
        cat.write_checkpoint(Checkpoint(start, pending=self._head))
        return len(ids)

    # ---------------------------------------------------------------- the chain

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, under the writers' lock, on a catalogue that leads to its
        checkpoint: the checkpoint records the head it will leave before the commit
        (``pending``) and the head it left after."""
        cat = self.catalogue
        if cat.refusal is not None:
            raise ArchiveError(f"{cat.refusal}; {VERIFY_HINT}")
        if cat.needs_upgrade:
            raise ArchiveError("the archive's catalogue must be upgraded first (open it with apforms)")
        with cat.locked():
            with cat.transaction():
                start = self._head = self._checked_head()
                yield
                end = self._head
                if end != start:
                    cat.write_checkpoint(Checkpoint(start, pending=end))
            if end != start:
                # not durable: if this is lost, ``pending`` says where the catalogue is
                with contextlib.suppress(OSError):
                    cat.write_checkpoint(Checkpoint(end), durable=False)

    def _checked_head(self) -> Head:
        last = self.catalogue.last_hash()
        try:
            kept = self.catalogue.read_checkpoint()
        except checkpoint.Damaged as exc:
            raise ArchiveError(f"the archive's checkpoint {CHECKPOINT_NAME} {exc}; {VERIFY_HINT}") from None
        if kept is None:
            raise ArchiveError(f"the archive's checkpoint {CHECKPOINT_NAME} is missing; {VERIFY_HINT}")
        head = kept.accepts(last)
        if head is None:
            raise ArchiveError(
                "the catalogue does not lead to its checkpoint: it was changed outside apforms "
                f"(an event removed or added, or the database replaced); {VERIFY_HINT}"
            )
        return head

    def _append(self, event: AuditEvent, bound: Mapping[str, str] | None = None) -> None:
        """Inside a write: chain to the head and insert (``bound``: the fields of the entry the
        event writes)."""
        e = replace(event, fields=bound).chained(self._head.hash)
        self.catalogue.append(e)
        self._head = Head(self._head.events + 1, e.hash or "")

    def _bound(self, entry_id: str) -> dict[str, str]:
        """The field digests of an entry's row as the catalogue holds it (read back, so that
        what is bound is what a later reading gives)."""
        entry = self.catalogue.get(entry_id)
        assert entry is not None
        return field_digests(entry.bound_values())

    def _never_written(self, entry: Entry) -> None:
        """An ArchiveError if an event already wrote this entry: its row was removed outside
        apforms, and adding it again would hide that."""
        for event in self.catalogue.events_of(entry.id):
            if writes_entry(event):
                raise ArchiveError(
                    f"{entry.short_id}: this file was added before (event {event.seq}), but its catalogue "
                    f"row is missing: it was removed outside apforms; {VERIFY_HINT}"
                )

    def _unchanged(self, entry: Entry, action: str | None = None) -> None:
        """An ArchiveError unless the row is as its last writing event left it."""
        last = self.catalogue.last_written(entry.id)
        if last is None or last.fields is None:
            raise ArchiveError(
                f"{entry.short_id}: no event wrote this entry: added outside apforms; {VERIFY_HINT}"
            )
        changed = changed_fields(entry.bound_values(), last.fields)
        if changed:
            raise ArchiveError(
                f"{entry.short_id}: its catalogue entry was changed outside apforms ({', '.join(changed)}) "
                f"since event {last.seq}; {VERIFY_HINT}"
            )
        if action is not None and last.action != action:
            raise ArchiveError(
                f"{entry.short_id}: its last event is {last.action}, not {action}; {VERIFY_HINT}"
            )


def reason(exc: BaseException) -> str:
    """One line saying why a backend failed."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return first_line(exc)


__all__ = [
    "ALTERED",
    "DISPOSED",
    "MISSING",
    "OK",
    "STORED",
    "UNREADABLE",
    "VERIFY_HINT",
    "AuditEvent",
    "Catalogue",
    "Entry",
    "Filters",
    "Store",
    "reason",
    "sha256",
]

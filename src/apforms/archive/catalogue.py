"""The catalogue interface: the entries' rows, the hash-chained audit log, and the chain's head.

A catalogue stores and reads; it does not decide. The store
(:class:`apforms.archive.store.Store`) holds the writers' lock, opens the transaction, checks
that the catalogue leads to its checkpoint, chains each event and binds the entry it writes,
for every backend alike. A backend gives it:

- a **writers' lock** (:meth:`~CatalogueBackend.locked`) that serialises writers across
  processes, and machines for a server, and is released if its holder dies;
- **transactions**: a write transaction (:meth:`~CatalogueBackend.transaction`), and a
  reading that sees one moment throughout (:meth:`~CatalogueBackend.reading`);
- **rows and events**, with two rules its storage enforces where it can (triggers): entries
  are never deleted and change only once, from stored to disposed; the audit log is
  append-only;
- **the checkpoint**, kept *outside* the catalogue, where the catalogue's own users cannot
  rewrite it with it: by default the file ``archive.checkpoint`` in the archive's folder.

Implementations: :mod:`apforms.archive.sqlite`, :mod:`apforms.archive.postgres`,
:mod:`apforms.archive.memory`.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from apforms.archive import checkpoint
from apforms.archive.chain import AuditEvent, Checkpoint, Head
from apforms.archive.entries import Entry, Filters


class CatalogueBackend(ABC):
    """Rows, the audit log and the checkpoint of one archive."""

    #: What the catalogue is, for messages (a folder, a database).
    location: str
    #: What the backend raises when it fails (the store turns them into one-line ArchiveErrors).
    failures: tuple[type[Exception], ...] = ()
    #: Why this catalogue takes no writes (missing, or replaced by an older or empty one), if so.
    refusal: str | None = None
    #: The catalogue itself is missing: there is nothing to read (an empty one stands in).
    stand_in: bool = False
    #: Made before events bound their entries: :meth:`upgrade_schema` first.
    needs_upgrade: bool = False
    #: Where the checkpoint file is (None: the backend keeps it some other way).
    checkpoint_path: Path | None = None

    # ---------------------------------------------------------------- locking and transactions

    @abstractmethod
    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Hold the writers' lock: one writer at a time, from before it reads the chain's head
        until its checkpoint is written after the commit."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """A write transaction: committed when the block ends, rolled back if it raises."""

    @abstractmethod
    def reading(self) -> contextlib.AbstractContextManager[None]:
        """A read-only transaction: every read inside it sees the catalogue as of one moment,
        fixed by its first read."""

    # ---------------------------------------------------------------- the checkpoint

    def read_checkpoint(self) -> Checkpoint | None:
        """The checkpoint; None if there is none; :class:`checkpoint.Damaged` if unsound."""
        assert self.checkpoint_path is not None
        return checkpoint.read(self.checkpoint_path)

    def write_checkpoint(self, kept: Checkpoint, durable: bool = True) -> None:
        """Replace the checkpoint atomically (under the writers' lock)."""
        assert self.checkpoint_path is not None
        checkpoint.write(self.checkpoint_path, kept, durable=durable)

    def evidence(self) -> str | None:
        """What the checkpoint says an empty or missing catalogue held, if it held anything."""
        try:
            kept = self.read_checkpoint()
        except checkpoint.Damaged:
            return "a checkpoint that cannot be trusted"
        if kept is None or not kept.head.events:
            return None
        return f"a checkpoint of {kept.head.events} audit log event(s)"

    # ---------------------------------------------------------------- entries

    @abstractmethod
    def get(self, entry_id: str) -> Entry | None: ...

    @abstractmethod
    def resolve(self, prefix: str) -> list[str]:
        """Up to 10 ids starting with ``prefix`` (hex; stored and disposed)."""

    @abstractmethod
    def entries(self, filters: Filters) -> list[Entry]:
        """Entries matching ``filters`` (:meth:`Filters.matches`), by ``added_at`` then id."""

    @abstractmethod
    def stored_ids(self) -> Iterator[tuple[str, int]]:
        """(id, size) of every entry whose file should be present, by id."""

    @abstractmethod
    def states(self) -> dict[str, str]:
        """Every entry's id and state."""

    @abstractmethod
    def disposed_ids(self) -> list[str]:
        """Ids of the disposed entries, by id."""

    @abstractmethod
    def bound_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every row as (id, :meth:`Entry.bound_values`), by id; inside :meth:`reading`."""

    @abstractmethod
    def insert_entry(self, entry: Entry) -> None:
        """Insert a new row (inside a transaction)."""

    @abstractmethod
    def mark_disposed(self, tombstone: Entry) -> None:
        """Turn a stored row into ``tombstone``'s: state and the disposal's when, who and why."""

    # ---------------------------------------------------------------- the audit log

    @abstractmethod
    def audit_log(self) -> list[AuditEvent]:
        """Every event, by seq."""

    @abstractmethod
    def events_of(self, entry_id: str) -> list[AuditEvent]:
        """The events of one entry, by seq."""

    @abstractmethod
    def last_written(self, entry_id: str) -> AuditEvent | None:
        """The last event that bound this entry's fields."""

    @abstractmethod
    def last_hash(self) -> str:
        """The hash of the last event ("" if there is none)."""

    @abstractmethod
    def head(self) -> Head:
        """The number of events and the last one's hash, as the catalogue holds them."""

    @abstractmethod
    def append(self, event: AuditEvent) -> None:
        """Insert an event, chained already (``seq``, ``prev``, ``hash`` and ``fields`` set)."""

    # ---------------------------------------------------------------- the schema

    def upgrade_schema(self) -> bool:
        """Inside a transaction under the lock: bring a catalogue made before events bound
        their entries up to date; False if it already is (another process did it)."""
        return False

    def close(self) -> None:  # noqa: B027 - optional for implementations
        """Release connections."""


#: A name filter's clause and its arguments, for the names that match; None if none does.
NameClause = tuple[str, list[Any]] | None


def filter_sql(
    filters: Filters, mark: str, day_of: str, names: Callable[[str, str], NameClause]
) -> tuple[str, list[Any]] | None:
    """The WHERE clause (or "") and arguments that select ``filters`` in a SQL catalogue, the
    rule :meth:`Filters.matches` states: ``mark`` is the backend's placeholder, ``day_of`` its
    expression for the date an entry was added, ``names(column, value)`` the clause for a
    "contains" filter on provider or school. None when a name filter matches no name at all."""
    where: list[str] = [] if filters.include_disposed else ["state = 'stored'"]
    args: list[Any] = []
    for column in ("document", "upn", "signature_status"):
        value = getattr(filters, column)
        if value:
            where.append(f"{column} = {mark}")
            args.append(value.upper() if column == "upn" else value)
    for column in ("provider", "school"):
        value = getattr(filters, column)
        if value:
            clause = names(column, value)
            if clause is None:
                return None
            where.append(clause[0])
            args += clause[1]
    if filters.since:
        where.append(f"added_at >= {mark}")
        args.append(filters.since)
    if filters.until:
        where.append(f"{day_of} <= {mark}")
        args.append(filters.until)
    return ("WHERE " + " AND ".join(where) if where else ""), args


__all__ = ["CatalogueBackend", "NameClause", "filter_sql"]

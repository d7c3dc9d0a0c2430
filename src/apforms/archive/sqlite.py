"""The embedded catalogue: SQLite beside the archive's folder of files.

:class:`SQLiteCatalogue` keeps ``archive.sqlite3`` (WAL, busy timeout, so several processes
can add at once, created owner-only), its ``archive.checkpoint`` and the writers' lock
``archive.lock`` (an OS file lock, released if its holder dies) in the archive's folder;
:class:`SQLiteStore` is that with the folder of files (:class:`~apforms.archive.blobs.FolderFileStore`),
the embedded archive every apforms has made. Entries are never deleted and the audit log is
append-only: SQLite triggers refuse anything else. They stop mistakes, not people (anyone who
can write the file can drop them): the chain (:mod:`apforms.archive.store`) is the evidence.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from apforms.archive import checkpoint, rows
from apforms.archive.blobs import FolderFileStore
from apforms.archive.catalogue import CatalogueBackend, NameClause, filter_sql
from apforms.archive.chain import AuditEvent, Checkpoint, Head
from apforms.archive.entries import DISPOSED, Entry, Filters, contains
from apforms.archive.store import Store, reason
from apforms.errors import ArchiveError

BUSY_TIMEOUT_S = 60.0
#: 1: entries and a hash-chained audit log; 2: events bind the fields of the entries they write.
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    filename TEXT NOT NULL,
    document TEXT,
    version TEXT,
    detected INTEGER NOT NULL,
    signature_status TEXT NOT NULL,
    signatures TEXT NOT NULL,
    record TEXT,
    refs TEXT NOT NULL,
    provider TEXT,
    school TEXT,
    upn TEXT,
    warnings TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'stored',
    disposed_at TEXT,
    disposed_by TEXT,
    disposal_reason TEXT
);
CREATE INDEX IF NOT EXISTS entries_document ON entries (document);
CREATE INDEX IF NOT EXISTS entries_upn ON entries (upn);
CREATE INDEX IF NOT EXISTS entries_added_at ON entries (added_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    entry_id TEXT,
    detail TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    fields TEXT
);
CREATE TRIGGER IF NOT EXISTS audit_append_only_u BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_d BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_never_deleted BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'archive entries are never deleted: dispose keeps a tombstone'); END;
CREATE TRIGGER IF NOT EXISTS entries_immutable BEFORE UPDATE ON entries
WHEN OLD.state <> 'stored' OR NEW.state <> 'disposed'
  OR NEW.id IS NOT OLD.id OR NEW.size IS NOT OLD.size OR NEW.record IS NOT OLD.record
  OR NEW.signatures IS NOT OLD.signatures OR NEW.added_at IS NOT OLD.added_at
  OR NEW.added_by IS NOT OLD.added_by OR NEW.document IS NOT OLD.document
BEGIN SELECT RAISE(ABORT, 'archive entries cannot be changed, only disposed of once'); END;
"""
#: Schema 1 → 2: events bind the fields of the entries they write.
_UPGRADE_1 = "ALTER TABLE audit ADD COLUMN fields TEXT"
_INDEXES = "CREATE INDEX IF NOT EXISTS audit_entry ON audit (entry_id)"
#: The names the "contains" filters match, indexed so that the names are read from the index
#: alone, not from every row (added to a catalogue made before them, when it can be written).
_NAME_INDEXES = {
    "entries_school": "CREATE INDEX IF NOT EXISTS entries_school ON entries (school)",
    "entries_provider": "CREATE INDEX IF NOT EXISTS entries_provider ON entries (provider)",
}

_SELECT = f"SELECT {', '.join(rows.COLUMNS)} FROM entries"
_EVENTS = f"SELECT {', '.join(rows.EVENT_COLUMNS)} FROM audit"
DB_NAME = "archive.sqlite3"


class SQLiteCatalogue(CatalogueBackend):
    """``archive.sqlite3``, ``archive.checkpoint`` and ``archive.lock`` in ``folder``."""

    failures = (sqlite3.Error, OSError)
    checkpoint_path: Path

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.root = Path(folder).expanduser()
        self.location = str(self.root)
        self.checkpoint_path = self.root / checkpoint.CHECKPOINT_NAME
        self.lock_path = self.root / checkpoint.LOCK_NAME
        self._version = SCHEMA_VERSION
        try:
            db = self.root / DB_NAME
            target = str(db)
            if not db.exists():
                evidence = self.evidence()
                if evidence is not None:
                    # never start a new, empty catalogue over the evidence: read nothing, write nothing
                    self.refusal = (
                        f"the catalogue {DB_NAME} is missing, but the archive has {evidence}; "
                        "restore the catalogue from a backup"
                    )
                    target, self.stand_in = ":memory:", True
                else:
                    os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
            self.db = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {reason(exc)}") from None
        if not self.stand_in:
            self._setup()

    # ---------------------------------------------------------------- opening

    def _setup(self) -> None:
        # Several processes opening a new archive at once race to switch it to WAL and create
        # the schema; SQLite can answer "database is locked" at once there, without waiting on
        # the busy timeout, so the set-up is retried until the same timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                self._set_up_once()
                return
            except sqlite3.OperationalError as exc:
                busy = any(w in str(exc).casefold() for w in ("locked", "busy"))
                if not busy or time.monotonic() > deadline:
                    raise ArchiveError(f"cannot open the archive at {self.root}: {reason(exc)}") from None
                time.sleep(0.02)
            except (sqlite3.Error, OSError) as exc:
                raise ArchiveError(f"cannot open the archive at {self.root}: {reason(exc)}") from None

    def _set_up_once(self) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self._version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if self._version > SCHEMA_VERSION:
            raise ArchiveError(f"the archive at {self.root} is from a newer apforms; upgrade apforms")
        if self._version == 0:
            self._create()
            if self.stand_in:
                return
        if self._version == SCHEMA_VERSION:
            self._name_indexes()
        elif self._version < SCHEMA_VERSION and self.checkpoint_path.exists():
            self.refusal = (
                f"the catalogue {DB_NAME} is from before the catalogue chain, but the archive has a "
                "checkpoint: it was replaced by an older copy; restore the current one"
            )
        self.needs_upgrade = self._version < SCHEMA_VERSION

    def _create(self) -> None:
        """A new catalogue and its first checkpoint (an empty chain), created once; none over
        a checkpoint that says the catalogue held something."""
        with self.locked(), self.transaction():
            self._version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if self._version > 0:
                return  # created by another process meanwhile
            evidence = self.evidence()
            if evidence is not None:
                self.refusal = (
                    f"the catalogue {DB_NAME} is empty (a new database), but the archive has {evidence}: "
                    "it was replaced; restore it from a backup"
                )
                self.stand_in = True
                return
            for statement in (*_split(_SCHEMA), _INDEXES, f"PRAGMA user_version = {SCHEMA_VERSION}"):
                self.db.execute(statement)
            if not self.checkpoint_path.exists():
                checkpoint.write(self.checkpoint_path, Checkpoint(Head(0, "")))
            self._version = SCHEMA_VERSION

    def _name_indexes(self) -> None:
        have = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        for name, statement in _NAME_INDEXES.items():
            if name not in have:
                with contextlib.suppress(sqlite3.OperationalError):  # read-only: searched without
                    self.db.execute(statement)

    def upgrade_schema(self) -> bool:
        """Schema 1 → 2: the column that binds an event's entry, and its index."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return False
        for statement in (_UPGRADE_1, _INDEXES, f"PRAGMA user_version = {SCHEMA_VERSION}"):
            self.db.execute(statement)
        return True

    # ---------------------------------------------------------------- locking and transactions

    def locked(self) -> contextlib.AbstractContextManager[None]:
        return checkpoint.locked(self.lock_path, BUSY_TIMEOUT_S)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        self.db.execute("BEGIN")  # deferred: the first read fixes the snapshot (WAL)
        try:
            yield
        finally:
            self.db.execute("ROLLBACK")

    # ---------------------------------------------------------------- entries

    def get(self, entry_id: str) -> Entry | None:
        row = self.db.execute(f"{_SELECT} WHERE id = ?", (entry_id,)).fetchone()
        return rows.entry(row) if row else None

    def resolve(self, prefix: str) -> list[str]:
        # hex ids only, so the prefix is safe in a range query
        cur = self.db.execute(
            "SELECT id FROM entries WHERE id >= ? AND id < ? LIMIT 10", (prefix, prefix + "g")
        )
        return [r[0] for r in cur]

    def entries(self, filters: Filters) -> list[Entry]:
        selected = filter_sql(filters, "?", "substr(added_at, 1, 10)", self._names)
        if selected is None:
            return []
        sql = f"{_SELECT} {selected[0]} ORDER BY added_at, id"
        return [rows.entry(r) for r in self.db.execute(sql, selected[1])]

    def _names(self, column: str, value: str) -> NameClause:
        """The names that match, read from the index; then their rows, by it."""
        cur = self.db.execute(f"SELECT DISTINCT {column} FROM entries WHERE {column} IS NOT NULL")
        names = [r[0] for r in cur if contains(r[0], value)]
        return (f"{column} IN ({', '.join('?' * len(names))})", names) if names else None

    def stored_ids(self) -> Iterator[tuple[str, int]]:
        yield from self.db.execute("SELECT id, size FROM entries WHERE state = 'stored' ORDER BY id")

    def states(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, state FROM entries"))

    def disposed_ids(self) -> list[str]:
        cur = self.db.execute("SELECT id FROM entries WHERE state = ? ORDER BY id", (DISPOSED,))
        return [r[0] for r in cur]

    def bound_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for row in self.db.execute(f"{_SELECT} ORDER BY id"):
            yield row[0], rows.entry(row).bound_values()

    def insert_entry(self, entry: Entry) -> None:
        row = rows.entry_row(entry)
        marks = ", ".join("?" * len(rows.COLUMNS))
        self.db.execute(
            f"INSERT INTO entries ({', '.join(rows.COLUMNS)}) VALUES ({marks})",
            [row[c] for c in rows.COLUMNS],
        )

    def mark_disposed(self, tombstone: Entry) -> None:
        t = tombstone
        self.db.execute(
            "UPDATE entries SET state = ?, disposed_at = ?, disposed_by = ?, disposal_reason = ? "
            "WHERE id = ? AND state = 'stored'",
            (DISPOSED, t.disposed_at, t.disposed_by, t.disposal_reason, t.id),
        )

    # ---------------------------------------------------------------- the audit log

    def audit_log(self) -> list[AuditEvent]:
        has_fields = not self.needs_upgrade or self._has_fields()
        columns = rows.EVENT_COLUMNS if has_fields else (*rows.EVENT_COLUMNS[:-1], "NULL")
        return [
            rows.event(r) for r in self.db.execute(f"SELECT {', '.join(columns)} FROM audit ORDER BY seq")
        ]

    def _has_fields(self) -> bool:
        """Whether the audit table has the column of schema 2 (in an upgrade under way, yes)."""
        return any(r[1] == "fields" for r in self.db.execute("PRAGMA table_info(audit)"))

    def events_of(self, entry_id: str) -> list[AuditEvent]:
        return [
            rows.event(r) for r in self.db.execute(f"{_EVENTS} WHERE entry_id = ? ORDER BY seq", (entry_id,))
        ]

    def last_written(self, entry_id: str) -> AuditEvent | None:
        row = self.db.execute(
            f"{_EVENTS} WHERE entry_id = ? AND fields IS NOT NULL ORDER BY seq DESC LIMIT 1", (entry_id,)
        ).fetchone()
        return rows.event(row) if row else None

    def last_hash(self) -> str:
        row = self.db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else ""

    def head(self) -> Head:
        count, last = self.db.execute(
            "SELECT count(*), (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1) FROM audit"
        ).fetchone()
        return Head(count, last or "")

    def append(self, event: AuditEvent) -> None:
        columns = rows.EVENT_COLUMNS[1:]  # seq: AUTOINCREMENT
        self.db.execute(
            f"INSERT INTO audit ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            rows.event_values(event),
        )

    def close(self) -> None:
        self.db.close()


class SQLiteStore(Store):
    """The embedded store: ``archive.sqlite3``, its ``archive.checkpoint`` and
    ``files/ab/<sha256>.pdf`` under one folder."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        files = FolderFileStore(path)  # creates the folder, owner-only
        super().__init__(SQLiteCatalogue(files.root), files)


def _split(script: str) -> list[str]:
    """The statements of a schema script, for one transaction (``executescript`` would commit)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


__all__ = ["BUSY_TIMEOUT_S", "DB_NAME", "SCHEMA_VERSION", "SQLiteCatalogue", "SQLiteStore"]

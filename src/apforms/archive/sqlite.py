"""The embedded store: a SQLite catalogue beside a folder of files.

:class:`SQLiteStore` keeps a SQLite catalogue (WAL, busy timeout, so several processes can
add at once) beside a folder of files named by their SHA-256, all created owner-only.

Crash safety: a file is written under a temporary name, fsynced and renamed (and its folder
fsynced) *before* its row is committed, so a kill at any moment leaves no row without a file;
at worst a file without a row, which a later add of the same bytes adopts. Disposal commits
the tombstone before removing the file, for the same reason, and a disposal interrupted
between the two is completed by the next run (:meth:`Store.finish_disposal`). Entries are
never deleted and the audit log is append-only: SQLite triggers refuse anything else.

Tamper evidence does not rest on the triggers (anyone who can write the file can drop them):
every write binds the fields of the entry it writes into the audit log's hash chain
(:mod:`apforms.archive.chain`) and leaves the chain's head in ``archive.checkpoint`` beside
the database (:mod:`apforms.archive.checkpoint`); a write refuses to start on a catalogue
that does not lead to that head, and ``archive verify`` recomputes everything.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from apforms.archive import checkpoint
from apforms.archive.chain import (
    MIGRATE,
    AuditEvent,
    Checkpoint,
    Head,
    changed_fields,
    field_digests,
    writes_entry,
)
from apforms.archive.store import (
    ALTERED,
    DISPOSED,
    MISSING,
    OK,
    PARTIES,
    STORED,
    UNREADABLE,
    VERIFY_HINT,
    Catalogue,
    Entry,
    Filters,
    Store,
)
from apforms.errors import ArchiveError

BUSY_TIMEOUT_S = 60.0
#: 1: entries and a hash-chained audit log; 2: events bind the fields of the entries they write.
SCHEMA_VERSION = 2
_PART = ".part"
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

_JSON_COLUMNS = ("signatures", "record", "refs", "warnings")
_COLUMNS = (
    *("id", "size", "filename", "document", "version", "detected", "signature_status"),
    *("signatures", "record", "refs", "provider", "school", "upn", "warnings", "added_at"),
    *("added_by", "state", "disposed_at", "disposed_by", "disposal_reason"),
)
DB_NAME, CHECKPOINT_NAME, LOCK_NAME = "archive.sqlite3", "archive.checkpoint", "archive.lock"
_VERIFY = VERIFY_HINT


def _contains(haystack: str | None, needle: str) -> bool:
    return haystack is not None and needle.casefold() in haystack.casefold()


class SQLiteStore(Store):
    """The embedded store: ``archive.sqlite3``, its ``archive.checkpoint`` and
    ``files/ab/<sha256>.pdf`` under one folder."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.root = Path(path).expanduser()
        self.location = str(self.root)
        self.files = self.root / "files"
        self.checkpoint_path = self.root / CHECKPOINT_NAME
        self.lock_path = self.root / LOCK_NAME
        #: Why this catalogue takes no writes (missing, or older than its checkpoint), if so.
        self.refusal: str | None = None
        self._stand_in = False  # an empty in-memory catalogue stands in for a missing one
        self._head = Head(0, "")
        self._version = SCHEMA_VERSION
        try:
            _make_private_dir(self.root)
            _make_private_dir(self.files)
            db = self.root / DB_NAME
            target = str(db)
            if not db.exists():
                evidence = self._evidence()
                if evidence is not None:
                    # never start a new, empty catalogue over the evidence: read nothing, write nothing
                    self.refusal = (
                        f"the catalogue {DB_NAME} is missing, but the archive has {evidence}; "
                        "restore the catalogue from a backup"
                    )
                    target, self._stand_in = ":memory:", True
                else:
                    os.close(os.open(db, os.O_CREAT | os.O_WRONLY, 0o600))
            self.db = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ArchiveError(f"cannot open the archive at {self.root}: {_reason(exc)}") from None
        self.db.create_function("contains", 2, _contains, deterministic=True)
        self._setup()

    def _evidence(self) -> str | None:
        """What the checkpoint says a missing or empty catalogue held, if it held anything."""
        try:
            kept = checkpoint.read(self.checkpoint_path)
        except checkpoint.Damaged:
            return "a checkpoint that cannot be trusted"
        if kept is None or not kept.head.events:
            return None
        return f"a checkpoint of {kept.head.events} audit log event(s)"

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
                    raise ArchiveError(f"cannot open the archive at {self.root}: {_reason(exc)}") from None
                time.sleep(0.02)
            except sqlite3.Error as exc:
                raise ArchiveError(f"cannot open the archive at {self.root}: {_reason(exc)}") from None
            except OSError as exc:
                raise ArchiveError(f"cannot open the archive at {self.root}: {_reason(exc)}") from None

    def _set_up_once(self) -> None:
        self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if self.refusal is not None:  # an empty stand-in for a missing catalogue
            self.db.executescript(_SCHEMA)
            return
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self._version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if self._version > SCHEMA_VERSION:
            raise ArchiveError(f"the archive at {self.root} is from a newer apforms; upgrade apforms")
        if self._version == 0:
            evidence = self._evidence()
            if evidence is not None:
                self.refusal = (
                    f"the catalogue {DB_NAME} is empty (a new database), but the archive has {evidence}: "
                    "it was replaced; restore it from a backup"
                )
                self.db.close()
                self._stand_in = True
                self.db = sqlite3.connect(":memory:", isolation_level=None)
                self.db.create_function("contains", 2, _contains, deterministic=True)
                self.db.executescript(_SCHEMA)
                return
            self._create()
        elif self._version < SCHEMA_VERSION and self.checkpoint_path.exists():
            self.refusal = (
                f"the catalogue {DB_NAME} is from before the catalogue chain, but the archive has a "
                "checkpoint: it was replaced by an older copy; restore the current one"
            )

    def _create(self) -> None:
        """A new catalogue and its first checkpoint (an empty chain), created once."""
        with checkpoint.locked(self.lock_path, BUSY_TIMEOUT_S):
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.execute("BEGIN IMMEDIATE")
            try:
                self._version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if self._version == 0:
                    for statement in (*_split(_SCHEMA), _INDEXES, f"PRAGMA user_version = {SCHEMA_VERSION}"):
                        self.db.execute(statement)
                    if not self.checkpoint_path.exists():
                        checkpoint.write(self.checkpoint_path, Checkpoint(Head(0, "")))
                    self._version = SCHEMA_VERSION
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def upgrade(self, event: Callable[[str], AuditEvent]) -> int:
        """Schema 1 → 2 in one transaction: the column, a ``migrate`` event binding each
        existing entry as it is now, and the first checkpoint."""
        if self._version >= SCHEMA_VERSION or self.refusal is not None:
            return 0
        try:
            with checkpoint.locked(self.lock_path, BUSY_TIMEOUT_S):
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    bound = self._upgrade_locked(event)
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
                if bound >= 0:
                    checkpoint.write(self.checkpoint_path, Checkpoint(self._head), durable=False)
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot upgrade the archive at {self.root}: {_reason(exc)}") from None
        self._version = SCHEMA_VERSION
        return max(bound, 0)

    def _upgrade_locked(self, event: Callable[[str], AuditEvent]) -> int:
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return -1  # another process upgraded it meanwhile
        if self.checkpoint_path.exists():
            raise ArchiveError(self.refusal or "the archive has a checkpoint but its catalogue is schema 1")
        for statement in (_UPGRADE_1, _INDEXES, f"PRAGMA user_version = {SCHEMA_VERSION}"):
            self.db.execute(statement)
        count, last = self.db.execute(
            "SELECT count(*), (SELECT hash FROM audit ORDER BY seq DESC LIMIT 1) FROM audit"
        ).fetchone()
        start = self._head = Head(count, last or "")
        ids = [r[0] for r in self.db.execute("SELECT id FROM entries ORDER BY added_at, id")]
        for entry_id in ids:
            self._append(replace(event(entry_id), action=MIGRATE, entry_id=entry_id), self._bound(entry_id))
        checkpoint.write(self.checkpoint_path, Checkpoint(start, pending=self._head))
        return len(ids)

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, under the archive's lock, on a catalogue that leads to its
        checkpoint: the checkpoint records the head it will leave before the commit
        (``pending``) and the head it left after."""
        if self.refusal is not None:
            raise ArchiveError(f"{self.refusal}; {_VERIFY}")
        if self._version < SCHEMA_VERSION:
            raise ArchiveError("the archive's catalogue must be upgraded first (open it with apforms)")
        with checkpoint.locked(self.lock_path, BUSY_TIMEOUT_S):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                start = self._head = self._checked_head()
                yield
                end = self._head
                if end != start:
                    checkpoint.write(self.checkpoint_path, Checkpoint(start, pending=end))
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            if end != start:
                # not durable: if this is lost, ``pending`` says where the catalogue is
                with contextlib.suppress(OSError):
                    checkpoint.write(self.checkpoint_path, Checkpoint(end), durable=False)

    def _checked_head(self) -> Head:
        last = self.db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        try:
            kept = checkpoint.read(self.checkpoint_path)
        except checkpoint.Damaged as exc:
            raise ArchiveError(f"the archive's checkpoint {CHECKPOINT_NAME} {exc}; {_VERIFY}") from None
        if kept is None:
            raise ArchiveError(f"the archive's checkpoint {CHECKPOINT_NAME} is missing; {_VERIFY}")
        head = kept.accepts(last[0] if last else "")
        if head is None:
            raise ArchiveError(
                "the catalogue does not lead to its checkpoint: it was changed outside apforms "
                f"(an event removed or added, or the database replaced); {_VERIFY}"
            )
        return head

    def close(self) -> None:
        self.db.close()

    # ---------------------------------------------------------------- files

    def _path(self, entry_id: str) -> Path:
        return self.files / entry_id[:2] / f"{entry_id}.pdf"

    def _write_file(self, entry_id: str, data: bytes) -> None:
        """Temporary name, fsync, rename, fsync the folder; an intact existing copy is kept."""
        target = self._path(entry_id)
        if target.exists() and _sha256_file(target) == entry_id:
            return  # left by an add that was interrupted before its row was committed
        folder = target.parent
        if not folder.is_dir():
            _make_private_dir(folder)
            _fsync_dir(self.files)
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
        _fsync_dir(folder)

    def _remove_file(self, entry_id: str) -> None:
        """The last step of a disposal (its tombstone is committed)."""
        path = self._path(entry_id)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)

    def read_file(self, entry_id: str) -> bytes:
        try:
            return self._path(entry_id).read_bytes()
        except FileNotFoundError:
            raise ArchiveError(f"{entry_id[:12]}: the stored file is missing") from None
        except OSError as exc:
            raise ArchiveError(f"{entry_id[:12]}: cannot read the stored file: {_reason(exc)}") from None

    def check_file(self, entry_id: str, size: int) -> str:
        path = self._path(entry_id)
        try:
            if path.stat().st_size != size:
                return ALTERED
            return OK if _sha256_file(path) == entry_id else ALTERED
        except FileNotFoundError:
            return MISSING
        except OSError:
            return UNREADABLE

    # ---------------------------------------------------------------- catalogue

    def add(self, entry: Entry, data: bytes, event: AuditEvent) -> bool:
        if self.get(entry.id) is not None:
            return False
        try:
            self._write_file(entry.id, data)
        except OSError as exc:
            raise ArchiveError(f"cannot store {entry.filename}: {_reason(exc)}") from None
        row = _to_row(entry)
        try:
            with self._write():
                exists = self.db.execute("SELECT 1 FROM entries WHERE id = ?", (entry.id,)).fetchone()
                if exists:
                    return False
                self._never_written(entry)
                self.db.execute(
                    f"INSERT INTO entries ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    [row[c] for c in _COLUMNS],
                )
                self._append(replace(event, entry_id=entry.id), self._bound(entry.id))
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot record {entry.filename}: {_reason(exc)}") from None
        return True

    def get(self, entry_id: str) -> Entry | None:
        cur = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM entries WHERE id = ?", (entry_id,))
        row = cur.fetchone()
        return _from_row(row) if row else None

    def _bound(self, entry_id: str) -> dict[str, str]:
        """The field digests of an entry's row as the catalogue holds it (read back, so that
        what is bound is what a later reading gives)."""
        entry = self.get(entry_id)
        assert entry is not None
        return field_digests(entry.bound_values())

    def _never_written(self, entry: Entry) -> None:
        """An ArchiveError if an event already wrote this entry: its row was removed outside
        apforms, and adding it again would hide that."""
        for event in self._events_of(entry.id):
            if writes_entry(event):
                raise ArchiveError(
                    f"{entry.short_id}: this file was added before (event {event.seq}), but its catalogue "
                    f"row is missing: it was removed outside apforms; {_VERIFY}"
                )

    def _events_of(self, entry_id: str) -> list[AuditEvent]:
        cur = self.db.execute(
            "SELECT seq, at, user, action, entry_id, detail, prev, hash, fields FROM audit "
            "WHERE entry_id = ? ORDER BY seq",
            (entry_id,),
        )
        return [_event(row) for row in cur]

    def _unchanged(self, entry: Entry, action: str | None = None) -> None:
        """An ArchiveError unless the row is as its last writing event left it."""
        row = self.db.execute(
            "SELECT seq, action, fields FROM audit WHERE entry_id = ? AND fields IS NOT NULL "
            "ORDER BY seq DESC LIMIT 1",
            (entry.id,),
        ).fetchone()
        if row is None:
            raise ArchiveError(
                f"{entry.short_id}: no event wrote this entry: added outside apforms; {_VERIFY}"
            )
        changed = changed_fields(entry.bound_values(), json.loads(row[2]))
        if changed:
            raise ArchiveError(
                f"{entry.short_id}: its catalogue entry was changed outside apforms ({', '.join(changed)}) "
                f"since event {row[0]}; {_VERIFY}"
            )
        if action is not None and row[1] != action:
            raise ArchiveError(f"{entry.short_id}: its last event is {row[1]}, not {action}; {_VERIFY}")

    def resolve(self, prefix: str) -> list[str]:
        # hex ids only, so the prefix is safe in a range query
        cur = self.db.execute(
            "SELECT id FROM entries WHERE id >= ? AND id < ? LIMIT 10", (prefix, prefix + "g")
        )
        return [r[0] for r in cur]

    def entries(self, filters: Filters) -> list[Entry]:
        where, args = [], []
        if not filters.include_disposed:
            where.append("state = 'stored'")
        for column in ("document", "upn", "signature_status"):
            value = getattr(filters, column)
            if value:
                where.append(f"{column} = ?")
                args.append(value.upper() if column == "upn" else value)
        for column in ("provider", "school"):
            value = getattr(filters, column)
            if value:
                where.append(f"contains({column}, ?)")
                args.append(value)
        if filters.since:
            where.append("added_at >= ?")
            args.append(filters.since)
        if filters.until:
            where.append("substr(added_at, 1, 10) <= ?")
            args.append(filters.until)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM entries"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_from_row(r) for r in self.db.execute(sql + " ORDER BY added_at, id", args)]

    def stored_ids(self) -> Iterator[tuple[str, int]]:
        yield from self.db.execute("SELECT id, size FROM entries WHERE state = 'stored' ORDER BY id")

    def dispose(self, entry: Entry, event: AuditEvent) -> None:
        try:
            with self._write():
                current = self.get(entry.id)
                if current is None or current.state != STORED:
                    raise ArchiveError(f"{entry.short_id} is not a stored entry (disposed of meanwhile?)")
                self._unchanged(current)
                self.db.execute(
                    "UPDATE entries SET state = ?, disposed_at = ?, disposed_by = ?, disposal_reason = ? "
                    "WHERE id = ? AND state = 'stored'",
                    (DISPOSED, entry.disposed_at, entry.disposed_by, entry.disposal_reason, entry.id),
                )
                self._append(replace(event, entry_id=entry.id), self._bound(entry.id))
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot dispose of {entry.short_id}: {_reason(exc)}") from None
        self._remove_file(entry.id)

    def unfinished_disposals(self) -> list[str]:
        ids = [
            r[0] for r in self.db.execute("SELECT id FROM entries WHERE state = ? ORDER BY id", (DISPOSED,))
        ]
        return [i for i in ids if self._path(i).exists()]

    def finish_disposal(self, entry_id: str, event: AuditEvent) -> None:
        try:
            with self._write():
                current = self.get(entry_id)
                if current is None or current.state != DISPOSED:
                    raise ArchiveError(f"{entry_id[:12]} is not a disposed entry")
                self._unchanged(current, action="dispose")
                if not self._path(entry_id).exists():
                    return  # finished by another process meanwhile
                self._append(replace(event, entry_id=entry_id))
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot finish disposing of {entry_id[:12]}: {_reason(exc)}") from None
        self._remove_file(entry_id)

    # ---------------------------------------------------------------- audit

    def log(self, event: AuditEvent) -> None:
        try:
            with self._write():
                self._append(event)
        except (sqlite3.Error, OSError) as exc:
            raise ArchiveError(f"cannot write the audit log: {_reason(exc)}") from None

    def _append(self, event: AuditEvent, bound: Mapping[str, str] | None = None) -> None:
        """Inside a write transaction: chain to the head and insert (``bound``: the fields of the
        entry the event writes)."""
        e = replace(event, fields=bound).chained(self._head.hash)
        self.db.execute(
            "INSERT INTO audit (at, user, action, entry_id, detail, prev, hash, fields) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *(
                    e.at,
                    e.user,
                    e.action,
                    e.entry_id,
                    json.dumps(e.detail, ensure_ascii=False),
                    e.prev,
                    e.hash,
                ),
                None if bound is None else json.dumps(bound, sort_keys=True),
            ),
        )
        self._head = Head(self._head.events + 1, e.hash or "")

    def audit_log(self) -> list[AuditEvent]:
        fields_column = "fields" if self._version >= SCHEMA_VERSION else "NULL"
        cur = self.db.execute(
            f"SELECT seq, at, user, action, entry_id, detail, prev, hash, {fields_column} "
            "FROM audit ORDER BY seq"
        )
        return [_event(row) for row in cur]

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Catalogue]:
        problems = [self.refusal] if self.refusal else []
        kept: Checkpoint | None = None
        with checkpoint.locked(self.lock_path, BUSY_TIMEOUT_S):  # no write is half-way through
            self.db.execute("BEGIN")
            try:
                events = self.audit_log()  # the first read fixes the snapshot (WAL)
                kept = checkpoint.read(self.checkpoint_path)
            except checkpoint.Damaged as exc:
                problems.append(f"the archive's checkpoint {CHECKPOINT_NAME} {exc}")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        if kept is None and not problems:
            problems.append(f"the archive's checkpoint {CHECKPOINT_NAME} is missing")
        if self._stand_in:
            kept = None  # the problem is the catalogue itself: no chain to compare
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM entries ORDER BY id")
        try:
            yield Catalogue(events, ((r[0], _from_row(r).bound_values()) for r in rows), kept, problems)
        finally:
            self.db.execute("ROLLBACK")

    def housekeeping(self, stale_after_s: float = 3600.0) -> dict[str, int]:
        """Count files without a row and temporary files; remove temporary files over an hour old."""
        states = dict(self.db.execute("SELECT id, state FROM entries"))
        orphans = temps = removed = disposed = 0
        now = time.time()
        for path in self.files.glob("*/*"):
            if path.name.endswith(_PART):
                temps += 1
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > stale_after_s:
                        path.unlink()
                        removed += 1
            elif states.get(path.stem) == DISPOSED:
                disposed += 1
            elif path.stem not in states:
                orphans += 1
        return {"unrecorded_files": orphans, "temporary_files": temps - removed, "disposed_files": disposed}


def _split(script: str) -> list[str]:
    """The statements of a schema script, for one transaction (``executescript`` would commit)."""
    statements, current = [], ""
    for line in script.strip().splitlines():
        current += line + "\n"
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return statements


# --------------------------------------------------------------------------- helpers


def _event(row: tuple[Any, ...]) -> AuditEvent:
    seq, at, user, action, entry_id, detail, prev, hash_, bound = row
    return AuditEvent(
        at, user, action, entry_id, json.loads(detail), seq, prev, hash_, json.loads(bound) if bound else None
    )


def _to_row(entry: Entry) -> dict[str, Any]:
    row = entry.as_dict()
    for c in _JSON_COLUMNS:
        row[c] = None if row[c] is None else json.dumps(row[c], ensure_ascii=False, sort_keys=True)
    row["detected"] = int(entry.detected)
    for party in PARTIES:
        row[party] = entry.parties.get(party)
    return row


def _from_row(row: tuple[Any, ...]) -> Entry:
    raw = dict(zip(_COLUMNS, row, strict=True))
    for c in _JSON_COLUMNS:
        raw[c] = None if raw[c] is None else json.loads(raw[c])
    parties = {p: v for p in PARTIES if (v := raw.pop(p))}
    raw["detected"] = bool(raw["detected"])
    raw["warnings"] = tuple(raw["warnings"])
    return Entry(parties=parties, **raw)


def _sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _make_private_dir(path: Path) -> None:
    """Create a folder only its owner can use (an existing folder is left as it is)."""
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)


def _fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (POSIX; a no-op where folders cannot sync)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


__all__ = ["BUSY_TIMEOUT_S", "SCHEMA_VERSION", "SQLiteStore"]

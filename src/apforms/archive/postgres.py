"""The catalogue in PostgreSQL, for a team: one database shared by every officer's machine.

:class:`PostgresCatalogue` keeps the entries and the audit log in tables prefixed
``archive_`` (so they share a database with the web app's Django tables), through psycopg 3,
imported only when a PostgreSQL URL is used. As in SQLite, PL/pgSQL triggers refuse to
delete an entry, to change one other than from stored to disposed, and to update, delete or
truncate the audit log; they stop mistakes, not a database owner, and the chain is the
evidence.

**Writers** hold a session-level advisory lock (``pg_advisory_lock``) from before they read
the chain's head until the checkpoint says where they left it, *after* the commit: a
transaction-level lock would be released at the commit, and a writer on another machine
could then write its checkpoint before this one wrote its own. The server releases the lock
when its holder's connection goes, a process killed included. So the chain never forks,
whichever machines write; connect directly or through a session pooler, not a transaction
pooler, which would hand the lock's session to another client.

**The checkpoint** is the file ``archive.checkpoint`` in the archive's folder of files (the
shared disk every machine must mount), written under that lock. It stays outside the
database on purpose: whoever can write the database (its owner, a DBA, a restored dump) could
rewrite a head kept in it along with the tables, while the folder is the file server's to
guard. A database that does not lead to the folder's checkpoint takes no writes, so pointing
the setting at another database, or a second folder at this one, is refused, never merged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apforms import database
from apforms.archive import checkpoint, rows
from apforms.archive.blobs import FolderFileStore
from apforms.archive.catalogue import CatalogueBackend, NameClause, filter_sql
from apforms.archive.chain import AuditEvent, Checkpoint, Head
from apforms.archive.entries import DISPOSED, PARTIES, Entry, Filters
from apforms.archive.store import Store, reason
from apforms.errors import ArchiveError

if TYPE_CHECKING:
    import psycopg

SCHEMA_VERSION = 2
LOCK_TIMEOUT_S = 60
CONNECT_TIMEOUT_S = 10
#: The writers' advisory lock: one key for every apforms archive in the database.
WRITERS_LOCK = int.from_bytes(hashlib.sha256(b"apforms archive writers").digest()[:8], "big", signed=True)
_KEYS = ("provider_key", "school_key")  # the names casefolded, for the "contains" filters
_ENTRY_COLUMNS = ", ".join(rows.COLUMNS)
_EVENT_COLUMNS = ", ".join(f'"{c}"' for c in rows.EVENT_COLUMNS)
_UNCHANGED = ", ".join(
    f"NEW.{c}"
    for c in (*rows.COLUMNS, *_KEYS)
    if c not in ("state", "disposed_at", "disposed_by", "disposal_reason")
)
_APPEND_ONLY = "the audit log is append-only"
_NEVER_DELETED = "archive entries are never deleted: dispose keeps a tombstone"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS archive_meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS archive_entries (
    id text COLLATE "C" PRIMARY KEY,
    size bigint NOT NULL,
    filename text NOT NULL,
    document text,
    version text,
    detected integer NOT NULL,
    signature_status text NOT NULL,
    signatures text NOT NULL,
    record text,
    refs text NOT NULL,
    provider text,
    school text,
    upn text,
    warnings text NOT NULL,
    added_at text COLLATE "C" NOT NULL,
    added_by text NOT NULL,
    state text NOT NULL DEFAULT 'stored',
    disposed_at text,
    disposed_by text,
    disposal_reason text,
    provider_key text,
    school_key text
);
CREATE INDEX IF NOT EXISTS archive_entries_document ON archive_entries (document);
CREATE INDEX IF NOT EXISTS archive_entries_upn ON archive_entries (upn);
CREATE INDEX IF NOT EXISTS archive_entries_added_at ON archive_entries (added_at);
CREATE INDEX IF NOT EXISTS archive_entries_school_key ON archive_entries (school_key);
CREATE INDEX IF NOT EXISTS archive_entries_provider_key ON archive_entries (provider_key);
CREATE TABLE IF NOT EXISTS archive_audit (
    seq bigint PRIMARY KEY,
    at text NOT NULL,
    "user" text NOT NULL,
    action text NOT NULL,
    entry_id text COLLATE "C",
    detail text NOT NULL,
    prev text NOT NULL,
    hash text NOT NULL,
    fields text
);
CREATE INDEX IF NOT EXISTS archive_audit_entry ON archive_audit (entry_id);
CREATE OR REPLACE FUNCTION archive_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_ARGV[0], ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE FUNCTION archive_disposed_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state <> 'stored' OR NEW.state <> 'disposed'
       OR ROW({_UNCHANGED}) IS DISTINCT FROM ROW({_UNCHANGED.replace("NEW.", "OLD.")}) THEN
        RAISE EXCEPTION USING MESSAGE = 'archive entries cannot be changed, only disposed of once',
            ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS archive_audit_append_only ON archive_audit;
CREATE TRIGGER archive_audit_append_only BEFORE UPDATE OR DELETE ON archive_audit
    FOR EACH ROW EXECUTE FUNCTION archive_refuse('{_APPEND_ONLY}');
DROP TRIGGER IF EXISTS archive_audit_not_truncated ON archive_audit;
CREATE TRIGGER archive_audit_not_truncated BEFORE TRUNCATE ON archive_audit
    FOR EACH STATEMENT EXECUTE FUNCTION archive_refuse('{_APPEND_ONLY}');
DROP TRIGGER IF EXISTS archive_entries_never_deleted ON archive_entries;
CREATE TRIGGER archive_entries_never_deleted BEFORE DELETE ON archive_entries
    FOR EACH ROW EXECUTE FUNCTION archive_refuse('{_NEVER_DELETED}');
DROP TRIGGER IF EXISTS archive_entries_not_truncated ON archive_entries;
CREATE TRIGGER archive_entries_not_truncated BEFORE TRUNCATE ON archive_entries
    FOR EACH STATEMENT EXECUTE FUNCTION archive_refuse('{_NEVER_DELETED}');
DROP TRIGGER IF EXISTS archive_entries_immutable ON archive_entries;
CREATE TRIGGER archive_entries_immutable BEFORE UPDATE ON archive_entries
    FOR EACH ROW EXECUTE FUNCTION archive_disposed_only();
INSERT INTO archive_meta (name, value) VALUES ('schema', '{SCHEMA_VERSION}') ON CONFLICT (name) DO NOTHING;
"""


class PostgresCatalogue(CatalogueBackend):
    """The tables ``archive_*`` of the ``target`` database; the checkpoint in ``folder``."""

    def __init__(
        self, target: database.Target, folder: str | os.PathLike[str], lock_timeout_s: float = LOCK_TIMEOUT_S
    ) -> None:
        try:
            import psycopg
        except ImportError:
            raise ArchiveError(
                f"{database.ENV} names a PostgreSQL database, but psycopg is not installed: "
                "pip install 'apforms[postgresql]'"
            ) from None
        self.failures = (psycopg.Error,)
        self._lock_busy = psycopg.errors.LockNotAvailable
        self._lock_timeout_s = lock_timeout_s
        self.database = target.describe()
        self.location = f"the archive's {self.database}"
        self.checkpoint_path: Path = Path(folder) / checkpoint.CHECKPOINT_NAME
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(
                psycopg.conninfo.make_conninfo("", **target.conninfo()),
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="apforms archive",
            )
            self.conn.execute(f"SET lock_timeout = '{int(lock_timeout_s * 1000)}ms'")
        except psycopg.Error as exc:
            why = database.failure(exc, target)
            raise ArchiveError(f"cannot connect to the archive's {self.database}: {why}") from None
        try:
            self._setup()
        except (psycopg.Error, OSError) as exc:
            self.conn.close()
            raise ArchiveError(f"cannot open the archive's {self.database}: {reason(exc)}") from None
        except BaseException:
            self.conn.close()
            raise

    def _schema_version(self) -> int | None:
        if self._one("SELECT to_regclass('archive_meta') IS NOT NULL")[0] is False:
            return None
        row = self.conn.execute("SELECT value FROM archive_meta WHERE name = 'schema'").fetchone()
        return int(row[0]) if row else 0

    def _setup(self) -> None:
        version = self._schema_version()
        if version is None:  # new: created once, however many processes start at once
            with self.locked():
                version = self._schema_version()
                if version is None:
                    self._create()
                    version = SCHEMA_VERSION
        if version != SCHEMA_VERSION and not self.stand_in:
            raise ArchiveError(
                f"the archive's {self.database} has catalogue schema {version}, not {SCHEMA_VERSION}: "
                "use the apforms that made it"
            )

    def _create(self) -> None:
        evidence = self.evidence()
        if evidence is not None:  # never a new, empty catalogue over the evidence
            self.refusal = (
                f"the catalogue (tables archive_* in the {self.database}) is missing, but the archive has "
                f"{evidence}: {database.ENV} names another database, or the tables were "
                "dropped; restore them from a backup"
            )
            self.stand_in = True
            return
        with self.transaction():
            self.conn.execute(_SCHEMA)
            if not self.checkpoint_path.exists():
                checkpoint.write(self.checkpoint_path, Checkpoint(Head(0, "")))

    def _one(self, sql: str, args: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        row = self.conn.execute(sql, args).fetchone()
        assert row is not None
        return tuple(row)

    # ---------------------------------------------------------------- locking and transactions

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        try:
            self.conn.execute("SELECT pg_advisory_lock(%s)", (WRITERS_LOCK,))
        except self._lock_busy:
            raise ArchiveError(
                f"the archive is busy (another process has held its lock in the {self.database} for "
                f"{self._lock_timeout_s:g} s); try again"
            ) from None
        try:
            yield
        finally:
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (WRITERS_LOCK,))
            except self.failures:
                self.conn.close()  # a session that may still hold the lock must not live on

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self.conn.transaction():
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    # ---------------------------------------------------------------- entries

    def _entries(self, where: str = "", args: tuple[Any, ...] | list[Any] = ()) -> list[Entry]:
        cur = self.conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM archive_entries {where}", args)
        return [rows.entry(r) for r in cur]

    def get(self, entry_id: str) -> Entry | None:
        found = self._entries("WHERE id = %s", (entry_id,))
        return found[0] if found else None

    def resolve(self, prefix: str) -> list[str]:
        cur = self.conn.execute(
            "SELECT id FROM archive_entries WHERE id >= %s AND id < %s ORDER BY id LIMIT 10",
            (prefix, prefix + "g"),
        )
        return [r[0] for r in cur]

    def entries(self, filters: Filters) -> list[Entry]:
        selected = filter_sql(filters, "%s", "left(added_at, 10)", self._names)
        if selected is None:
            return []
        return self._entries(f"{selected[0]} ORDER BY added_at, id", selected[1])

    def _names(self, column: str, value: str) -> NameClause:
        """The casefolded names that match, read from the index; then their rows, by it."""
        cur = self.conn.execute(
            f"SELECT DISTINCT {column}_key FROM archive_entries WHERE {column}_key IS NOT NULL"
        )
        keys = [r[0] for r in cur if value.casefold() in r[0]]
        return (f"{column}_key = ANY(%s)", [keys]) if keys else None

    def stored_ids(self) -> Iterator[tuple[str, int]]:
        yield from self.conn.execute(
            "SELECT id, size FROM archive_entries WHERE state = 'stored' ORDER BY id"
        )

    def states(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT id, state FROM archive_entries").fetchall())

    def disposed_ids(self) -> list[str]:
        cur = self.conn.execute("SELECT id FROM archive_entries WHERE state = %s ORDER BY id", (DISPOSED,))
        return [r[0] for r in cur]

    def bound_rows(self) -> Iterator[tuple[str, dict[str, Any]]]:
        # a server-side cursor: a hundred thousand records are not held in memory at once
        with self.conn.cursor(name="archive_bound_rows") as cur:
            cur.itersize = 500
            cur.execute(f"SELECT {_ENTRY_COLUMNS} FROM archive_entries ORDER BY id")
            for row in cur:
                yield row[0], rows.entry(row).bound_values()

    def insert_entry(self, entry: Entry) -> None:
        row = rows.entry_row(entry)
        keys = [entry.parties.get(p, "").casefold() or None for p in PARTIES[:2]]
        marks = ", ".join(["%s"] * (len(rows.COLUMNS) + len(_KEYS)))
        self.conn.execute(
            f"INSERT INTO archive_entries ({_ENTRY_COLUMNS}, {', '.join(_KEYS)}) VALUES ({marks})",
            [*(row[c] for c in rows.COLUMNS), *keys],
        )

    def mark_disposed(self, tombstone: Entry) -> None:
        t = tombstone
        self.conn.execute(
            "UPDATE archive_entries SET state = %s, disposed_at = %s, disposed_by = %s, disposal_reason = %s "
            "WHERE id = %s AND state = 'stored'",
            (DISPOSED, t.disposed_at, t.disposed_by, t.disposal_reason, t.id),
        )

    # ---------------------------------------------------------------- the audit log

    def _events(self, where: str = "", args: tuple[Any, ...] = ()) -> list[AuditEvent]:
        cur = self.conn.execute(f"SELECT {_EVENT_COLUMNS} FROM archive_audit {where}", args)
        return [rows.event(r) for r in cur]

    def audit_log(self) -> list[AuditEvent]:
        return self._events("ORDER BY seq")

    def events_of(self, entry_id: str) -> list[AuditEvent]:
        return self._events("WHERE entry_id = %s ORDER BY seq", (entry_id,))

    def last_written(self, entry_id: str) -> AuditEvent | None:
        found = self._events(
            "WHERE entry_id = %s AND fields IS NOT NULL ORDER BY seq DESC LIMIT 1", (entry_id,)
        )
        return found[0] if found else None

    def last_hash(self) -> str:
        row = self.conn.execute("SELECT hash FROM archive_audit ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""

    def head(self) -> Head:
        count = self._one("SELECT count(*) FROM archive_audit")[0]
        return Head(int(count), self.last_hash())

    def append(self, event: AuditEvent) -> None:
        # seq: the next after the highest, under the writers' lock (a sequence would leave gaps)
        marks = ", ".join(["%s"] * (len(rows.EVENT_COLUMNS) - 1))
        self.conn.execute(
            f"INSERT INTO archive_audit ({_EVENT_COLUMNS}) "
            f"SELECT coalesce(max(seq), 0) + 1, {marks} FROM archive_audit",
            rows.event_values(event),
        )

    def close(self) -> None:
        self.conn.close()


class PostgresStore(Store):
    """The catalogue in the PostgreSQL database ``target``; the files and the checkpoint in
    the folder ``location`` (a shared disk, for several machines)."""

    def __init__(self, location: str | os.PathLike[str], target: database.Target) -> None:
        files = FolderFileStore(location)
        super().__init__(PostgresCatalogue(target, files.root), files)


__all__ = ["SCHEMA_VERSION", "WRITERS_LOCK", "PostgresCatalogue", "PostgresStore"]

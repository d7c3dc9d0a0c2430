"""One contract for every catalogue backend: SQLite, PostgreSQL and the in-memory fake.

Each test runs against each backend through :class:`Backend`, which opens the archive and
does, as someone with direct access to its storage would, what apforms never does: edit a
row, remove an event, alter a file (with the triggers off where the backend has them).
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from apforms.archive import ADDED, ALREADY, REFUSED, Archive, Filters, open_archive
from apforms.archive.blobs import FolderFileStore, MemoryFileStore
from apforms.archive.memory import MemoryCatalogue
from apforms.archive.store import Store
from apforms.errors import ArchiveError

from .archive_support import foreign_pdf, form_pdf

BACKENDS = ["sqlite", "postgresql", "memory"]
TODAY = date(2026, 11, 27)
FIXTURE = Path(__file__).parent / "fixtures" / "archive" / "schema-2"


class Backend:
    """Opens an archive on one backend, and tampers with it from outside apforms."""

    def __init__(self, kind: str, folder: Path, url: str | None) -> None:
        self.kind, self.folder, self.url = kind, folder, url
        self._memory = (MemoryCatalogue(), MemoryFileStore()) if kind == "memory" else None
        self._days = iter(range(1000))

    def open(self, **kw: Any) -> Archive:
        # each add on a new day, so that since/until select among them
        start = datetime(2026, 11, 2, 9, tzinfo=UTC)
        clock = kw.pop("clock", lambda: start + timedelta(days=next(self._days)))
        if self._memory is not None:
            return Archive(Store(*self._memory), user="a.qureshi", clock=clock, **kw)
        archive = open_archive(self.folder, database_url=self.url or "", user="a.qureshi", **kw)
        archive.clock = clock
        return archive

    # ---------------------------------------------------------------- raw access

    def execute(self, sql: str, *args: Any, triggers: bool = True) -> None:
        """One statement straight to the database (the triggers dropped first if asked)."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.folder / "archive.sqlite3")) as db:
                if not triggers:
                    for name in ("audit_append_only_u", "audit_append_only_d", "entries_immutable"):
                        db.execute(f"DROP TRIGGER IF EXISTS {name}")
                db.execute(sql.replace("%s", "?").replace("archive_", ""), args)
                db.commit()
        else:
            import psycopg

            assert self.url is not None
            with psycopg.connect(self.url, autocommit=True) as conn:
                if not triggers:
                    conn.execute("ALTER TABLE archive_entries DISABLE TRIGGER USER")
                    conn.execute("ALTER TABLE archive_audit DISABLE TRIGGER USER")
                conn.execute(sql, args)

    def edit_entry(self, entry_id: str, column: str, value: Any) -> None:
        if self._memory is not None:
            self._memory[0].rows[entry_id][column] = value
        else:
            self.execute(
                f"UPDATE archive_entries SET {column} = %s WHERE id = %s", value, entry_id, triggers=False
            )

    def remove_event(self, seq: int) -> None:
        if self._memory is not None:
            events = self._memory[0].events
            events[:] = [e for e in events if e.seq != seq]
        else:
            self.execute("DELETE FROM archive_audit WHERE seq = %s", seq, triggers=False)

    def alter_file(self, entry_id: str) -> None:
        if self._memory is not None:
            self._memory[1].data[entry_id] = b"%PDF-1.7 altered"
            return
        path = FolderFileStore(self.folder).path(entry_id)
        path.chmod(0o600)
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))

    def remove_file(self, entry_id: str) -> None:
        if self._memory is not None:
            del self._memory[1].data[entry_id]
        else:
            FolderFileStore(self.folder).path(entry_id).unlink()

    def remove_checkpoint(self) -> None:
        if self._memory is not None:
            self._memory[0].checkpoint_text = None
        else:
            (self.folder / "archive.checkpoint").unlink()

    def file_exists(self, entry_id: str) -> bool:
        if self._memory is not None:
            return entry_id in self._memory[1].data
        return FolderFileStore(self.folder).path(entry_id).exists()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    url = request.getfixturevalue("pg_database") if request.param == "postgresql" else None
    return Backend(request.param, tmp_path / "store", url)


@pytest.fixture
def archive(backend: Backend) -> Iterator[Archive]:
    archive = backend.open()
    yield archive
    archive.close()


def scan(text: str) -> bytes:
    return foreign_pdf(text)


def add(archive: Archive, text: str, doc: str = "sla", **refs: str) -> str:
    result = archive.add_bytes(scan(text), f"{text}.pdf", doc=doc, refs=refs)
    assert result.outcome == ADDED and result.entry is not None, result.reason
    return result.entry.id


# --------------------------------------------------------------------------- add, get, find


def test_add_get_and_a_duplicate(archive: Archive, tmp_path: Path) -> None:
    data = scan("Signed SLA, Wiśniewska")
    first = archive.add_bytes(data, "sla.pdf", doc="sla", refs={"provider": "Riverside"})
    assert first.outcome == ADDED and first.entry is not None
    again = archive.add_bytes(data, "copy.pdf", doc="sla")
    assert again.outcome == ALREADY and again.entry is not None and again.entry.id == first.entry.id
    entry, got = archive.get_bytes(first.entry.id[:8], "a test")
    assert got == data and entry == first.entry
    assert archive.get(first.entry.short_id, tmp_path / "out.pdf").read_bytes() == data
    assert [e.id for e in archive.entries()] == [first.entry.id]
    actions = [(e.action, e.detail.get("outcome")) for e in archive.audit_log()]
    assert actions == [("add", None), ("add", "already in the archive"), ("get", None), ("get", None)]


def test_resolve_by_prefix(archive: Archive) -> None:
    ids = [add(archive, f"scan {i}") for i in range(3)]
    for entry_id in ids:
        assert archive.store.resolve(entry_id[:6]) == [entry_id]
        assert archive.find(entry_id[:10].upper()).id == entry_id
    assert sorted(archive.store.resolve("")) == sorted(ids)
    with pytest.raises(ArchiveError, match="no archive entry"):
        archive.find("0" * 64 if "0" * 64 not in ids else "1" * 64)


def test_entries_filters(archive: Archive) -> None:
    riverside = add(archive, "a", provider="Riverside Farm Learning CIC", school="Sinfin Moor Academy")
    lodz = add(archive, "b", provider="Łódź Learning CIC", school="Derby Moor", upn="H801200001001")
    referral = add(archive, "c", doc="referral", school="Sinfin Moor Academy", upn="H801200001002")
    signed = archive.add_bytes(form_pdf("sla"), "signed.pdf").entry
    assert signed is not None

    def ids(**kw: Any) -> list[str]:
        return [e.id for e in archive.entries(Filters(**kw))]

    assert ids() == [riverside, lodz, referral, signed.id]  # oldest first
    assert ids(document="referral") == [referral]
    assert ids(provider="riverside") == [riverside, signed.id]
    assert ids(provider="ŁÓDŹ LEARNING") == [lodz]
    assert ids(school="sinfin moor") == [riverside, referral, signed.id]
    assert ids(upn="h801200001001") == [lodz]
    day = [e.added_at[:10] for e in archive.entries()]
    assert ids(since=day[1]) == [lodz, referral, signed.id]
    assert ids(until=day[1]) == [riverside, lodz]
    assert ids(since=day[1], until=day[2]) == [lodz, referral]
    assert ids(signature_status=signed.signature_status) == [signed.id]
    assert ids(signature_status="unknown", school="sinfin") == [riverside, referral]
    archive.dispose(lodz, "Added by mistake", TODAY, early=True)
    assert ids(provider="łódź") == []
    assert ids(provider="łódź", include_disposed=True) == [lodz]


# --------------------------------------------------------------------------- dispose


def test_dispose_keeps_a_tombstone_and_removes_the_file(backend: Backend, archive: Archive) -> None:
    kept, gone = add(archive, "kept"), add(archive, "gone")
    tombstone = archive.dispose(gone[:8], "Retention passed", TODAY, early=True)
    assert (tombstone.state, tombstone.disposal_reason, tombstone.disposed_by) == (
        "disposed",
        "Retention passed",
        "a.qureshi",
    )
    assert archive.find(gone).state == "disposed" and not backend.file_exists(gone)
    assert backend.file_exists(kept)
    assert [e.id for e in archive.entries()] == [kept]
    assert archive.audit_log()[-1].action == "dispose"
    with pytest.raises(ArchiveError, match="already disposed"):
        archive.dispose(gone, "again", TODAY, early=True)
    again = archive.add_bytes(scan("gone"), "gone.pdf", doc="sla")
    assert again.outcome == REFUSED and "disposed of" in (again.reason or "")
    assert not backend.file_exists(gone)
    assert archive.verify().ok


def test_an_interrupted_disposal_is_finished_by_the_next_run(
    backend: Backend, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry_id = add(archive, "to go")

    def interrupted(entry_id: str) -> None:
        raise KeyboardInterrupt  # as a kill would, after the tombstone, before the file goes

    with monkeypatch.context() as m:
        m.setattr(archive.store.files, "remove", interrupted)
        with pytest.raises(KeyboardInterrupt):
            archive.dispose(entry_id, "Retention passed", TODAY, early=True)
    assert backend.file_exists(entry_id) and archive.find(entry_id).state == "disposed"
    archive.close()
    again = backend.open()
    assert not backend.file_exists(entry_id)
    last = again.audit_log()[-1]
    assert (last.action, last.entry_id) == ("dispose-completed", entry_id)
    report = again.verify()
    assert report.ok and report.leftovers["disposed_files"] == 0


def test_a_forged_tombstone_never_removes_a_file(backend: Backend, archive: Archive) -> None:
    entry_id = add(archive, "keep me")
    archive.close()
    backend.edit_entry(entry_id, "state", "disposed")
    again = backend.open()
    assert backend.file_exists(entry_id)
    report = again.verify()
    assert not report.ok and any(
        "state changed outside apforms" in p.message for p in report.catalogue_problems
    )


# --------------------------------------------------------------------------- what the backend refuses


def test_the_backend_refuses_to_change_the_log_or_delete_an_entry(backend: Backend, archive: Archive) -> None:
    entry_id = add(archive, "a")
    if backend.kind == "memory":  # no way to change or delete in its interface; its one change, once
        catalogue = archive.store.catalogue
        assert not [n for n in dir(catalogue) if n.startswith(("delete", "update", "remove"))]
        entry = archive.find(entry_id)
        archive.dispose(entry_id, "gone", TODAY, early=True)
        with pytest.raises(ArchiveError, match="only disposed of once"):
            catalogue.mark_disposed(entry)
        with pytest.raises(ArchiveError, match="already"):
            catalogue.insert_entry(entry)
        return
    errors: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
    if backend.kind == "postgresql":
        import psycopg

        errors = (psycopg.Error,)
    refused = {
        "UPDATE archive_audit SET action = 'nothing'": "append-only",
        "DELETE FROM archive_audit": "append-only",
        "DELETE FROM archive_entries": "never deleted",
        "UPDATE archive_entries SET document = 'qa'": "cannot be changed",
        "UPDATE archive_entries SET state = 'disposed', size = 1": "cannot be changed",
    }
    if backend.kind == "postgresql":
        refused.update({"TRUNCATE archive_audit": "append-only", "TRUNCATE archive_entries": "never deleted"})
    for sql, message in refused.items():
        with pytest.raises(errors, match=message):
            backend.execute(sql)
    assert archive.verify().ok


# --------------------------------------------------------------------------- verify


def test_verify_an_untouched_archive(archive: Archive) -> None:
    add(archive, "a")
    add(archive, "b")
    report = archive.verify()
    assert report.ok and report.checked == 2 and report.head.events == 2
    assert archive.verify().head.events == 3  # the first verify is in the log too


def test_verify_names_an_edited_row(backend: Backend, archive: Archive) -> None:
    entry_id = add(archive, "a", provider="Riverside")
    backend.edit_entry(entry_id, "signature_status", "fully_signed")
    report = backend.open().verify()
    assert not report.ok
    assert [p.message.split(";")[0] for p in report.catalogue_problems] == [
        f"{entry_id[:12]}: signature_status changed outside apforms (now 'fully_signed')"
    ]
    with pytest.raises(ArchiveError, match=r"changed outside apforms \(signature_status\)"):
        backend.open().dispose(entry_id, "tidying", TODAY, early=True)


def test_verify_names_a_removed_event(backend: Backend, archive: Archive) -> None:
    add(archive, "a")
    add(archive, "b")
    add(archive, "c")
    backend.remove_event(2)
    again = backend.open()
    report = again.verify()
    assert not report.ok
    assert "audit log event 3 (add) does not follow the event before it" in " ".join(report.audit_problems)
    # the chain no longer leads to the checkpoint? here it does (the last event is intact), but
    # removing the last one stops every write
    backend.remove_event(max(e.seq or 0 for e in again.audit_log()))
    with pytest.raises(ArchiveError, match="does not lead to its checkpoint"):
        backend.open().add_bytes(scan("d"), "d.pdf", doc="sla")


def test_verify_names_an_altered_or_missing_file(backend: Backend, archive: Archive) -> None:
    kept, altered, missing = add(archive, "kept"), add(archive, "altered"), add(archive, "missing")
    backend.alter_file(altered)
    backend.remove_file(missing)
    report = archive.verify()
    assert not report.ok and report.checked == 3
    assert (report.altered, report.missing) == ([altered], [missing])
    with pytest.raises(ArchiveError, match="altered"):
        archive.get_bytes(altered, "a test")
    assert archive.get_bytes(kept, "a test")[1] == scan("kept")


def test_a_missing_checkpoint_is_named_and_stops_writes(backend: Backend, archive: Archive) -> None:
    add(archive, "a")
    backend.remove_checkpoint()
    report = archive.verify()
    assert not report.ok and [p.message for p in report.catalogue_problems] == [
        "the archive's checkpoint archive.checkpoint is missing"
    ]
    assert report.not_logged is not None and "checkpoint archive.checkpoint is missing" in report.not_logged
    with pytest.raises(ArchiveError, match="checkpoint archive.checkpoint is missing"):
        archive.add_bytes(scan("b"), "b.pdf", doc="sla")


# --------------------------------------------------------------------------- housekeeping


def test_housekeeping_counts_leftovers_and_an_add_adopts_its_file(backend: Backend, archive: Archive) -> None:
    from apforms.archive.store import sha256

    data = scan("left by an interrupted add")
    archive.store.files.put(sha256(data), data)  # stored, then killed before its row
    assert archive.store.housekeeping() == {"unrecorded_files": 1, "temporary_files": 0, "disposed_files": 0}
    if backend.kind != "memory":
        stale = FolderFileStore(backend.folder).folder / "ab" / ".ab12.x.part"
        stale.parent.mkdir(exist_ok=True)
        stale.write_bytes(b"half")
        fresh = stale.with_name(".ab34.x.part")
        fresh.write_bytes(b"half")
        import os

        os.utime(stale, (0, 0))
        assert archive.store.housekeeping()["temporary_files"] == 1 and not stale.exists() and fresh.exists()
        fresh.unlink()
    assert archive.add_bytes(data, "again.pdf", doc="sla").outcome == ADDED
    report = archive.verify()
    assert report.ok and report.leftovers == {
        "unrecorded_files": 0,
        "temporary_files": 0,
        "disposed_files": 0,
    }


# --------------------------------------------------------------------------- archives made before


def test_an_archive_made_by_the_previous_store_opens_unchanged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(FIXTURE, store)
    before = (store / "archive.checkpoint").read_text()
    with open_archive(store, database_url="") as archive:
        entries = archive.entries(Filters(include_disposed=True))
        assert [(e.document, e.state) for e in entries] == [
            ("sla", "stored"),
            ("referral", "stored"),
            ("qa", "disposed"),
        ]
        assert archive.entries(Filters(provider="łódź"))[0].parties["school"] == "Sinfin Moor Academy"
        assert archive.get_bytes(entries[0].id, "a test")[1].startswith(b"%PDF")
        assert (store / "archive.checkpoint").read_text() != before  # the get was logged and chained
        report = archive.verify()
        assert report.ok and report.checked == 2 and not report.notes, report.as_dict()
        assert [e.action for e in archive.audit_log()] == [
            "add",
            "add",
            "add",
            "dispose",
            "verify",
            "get",
            "verify",
        ]
        add(archive, "new")
        assert archive.verify().ok


def test_sqlite_finds_a_school_or_provider_through_the_index(tmp_path: Path) -> None:
    """A "contains" search reads the names from an index and then only the matching rows, not
    every row (each holds its record: ~4 KB read per row, 100,000 rows a council's archive);
    an archive made before the index gets it when opened, and matches as before."""
    store = tmp_path / "store"
    shutil.copytree(FIXTURE, store)
    with open_archive(store, database_url="") as archive:
        assert archive.entries(Filters(provider="ŁÓDŹ"))[0].parties["school"] == "Sinfin Moor Academy"
        assert archive.entries(Filters(school="moor acad", include_disposed=True))
        assert archive.entries(Filters(school="no such school")) == []
    db = sqlite3.connect(store / "archive.sqlite3")
    try:
        for column in ("school", "provider"):
            plan = " ".join(
                str(r[-1]) for r in db.execute(f"EXPLAIN QUERY PLAN SELECT DISTINCT {column} FROM entries")
            )
            assert f"COVERING INDEX entries_{column}" in plan, plan
            plan = " ".join(
                str(r[-1])
                for r in db.execute(f"EXPLAIN QUERY PLAN SELECT * FROM entries WHERE {column} IN ('a', 'b')")
            )
            assert f"INDEX entries_{column}" in plan, plan
    finally:
        db.close()

"""The catalogue proves itself: every change made outside apforms is named by ``archive verify``.

Each case is what anyone who can write the database file can do: drop the triggers with
``sqlite3`` and edit a row, delete or insert one, cut the audit log, delete the database or
put an older copy back. ``verify`` must exit 1 and say what changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from apforms.archive import Archive, SQLiteStore
from apforms.cli import main

from .archive_support import foreign_pdf, form_pdf, unsigned_sla

TRIGGERS = ("audit_append_only_u", "audit_append_only_d", "entries_never_deleted", "entries_immutable")


def verify(store: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["archive", "--store", str(store), "verify", *args])


def cli(store: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["archive", "--store", str(store), *args])


class Made:
    """An archive of three entries: a fully signed SLA, an unsigned SLA and a referral."""

    def __init__(self, root: Path, pdfs: dict[str, bytes]) -> None:
        self.store = root / "store"
        clock = iter(datetime(2026, 11, 27, 9, m, tzinfo=UTC) for m in range(60))
        archive = Archive(SQLiteStore(self.store), user="a.qureshi", clock=lambda: next(clock))
        ids = {}
        for name, data in pdfs.items():
            entry = archive.add_bytes(data, f"{name}.pdf").entry
            assert entry is not None
            ids[name] = entry.id
        archive.close()
        self.ids = ids
        self.pdfs = pdfs

    @property
    def db(self) -> Path:
        return self.store / "archive.sqlite3"

    def short(self, name: str) -> str:
        return self.ids[name][:12]

    def tamper(self, *statements: str) -> None:
        """What anyone who can write the file can do: drop the triggers, then change it."""
        db = sqlite3.connect(self.db)
        for trigger in TRIGGERS:
            db.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            db.execute(statement, {k: v for k, v in self.ids.items() if f":{k}" in statement})
        db.commit()
        db.close()

    def copy_db(self, to: Path) -> None:
        """A consistent copy of the catalogue as it is now (as a backup would take it)."""
        src, dst = sqlite3.connect(self.db), sqlite3.connect(to)
        src.backup(dst)
        src.close()
        dst.close()

    def replace_db(self, source: Path | None) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        if source is not None:
            shutil.copyfile(source, self.db)


@pytest.fixture(scope="module")
def pdfs() -> dict[str, bytes]:
    return {
        "signed": form_pdf("sla"),
        "unsigned": form_pdf("sla", unsigned_sla()),
        "referral": form_pdf("referral"),
    }


@pytest.fixture
def made(tmp_path: Path, pdfs: dict[str, bytes]) -> Made:
    made = Made(tmp_path, pdfs)
    ok = verify(made.store)
    assert ok.exit_code == 0 and "all intact" in ok.stdout, ok.output
    return made


def test_an_untouched_archive_verifies_and_says_where_its_chain_ends(made: Made) -> None:
    report = json.loads(verify(made.store, "--json").stdout)
    assert report["ok"] and report["catalogue_problems"] == []
    # the chain as verified: three adds and the fixture's verify; this verify's event follows it
    events = json.loads(cli(made.store, "log", "--json").stdout)
    assert report["audit_log"] == {"events": 4, "head": events[3]["hash"]}
    checkpoint = json.loads((made.store / "archive.checkpoint").read_text())
    assert (checkpoint["events"], checkpoint["head"], checkpoint["pending"]) == (5, events[4]["hash"], None)


def test_unsigned_changed_to_fully_signed(made: Made) -> None:
    made.tamper("UPDATE entries SET signature_status = 'fully_signed' WHERE id = :unsigned")
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        f"ENTRY      {made.short('unsigned')}: signature_status changed outside apforms (now 'fully_signed')"
        in r.stdout
    )
    assert "as written by event 2 (add, 2026-11-27T09:01:00Z)" in r.stdout
    assert r.stdout.count("ENTRY") == 1 and "PROBLEMS FOUND" in r.stdout


def test_the_signature_blocks_changed_too(made: Made) -> None:
    """Changing the status and the recorded blocks together is still two named changes."""
    made.tamper(
        "UPDATE entries SET signature_status = 'fully_signed', "
        "signatures = (SELECT signatures FROM entries WHERE id = :signed) WHERE id = :unsigned"
    )
    r = verify(made.store)
    assert r.exit_code == 1
    assert f"{made.short('unsigned')}: signature_status changed" in r.stdout
    assert f"{made.short('unsigned')}: signatures changed" in r.stdout


def test_provider_changed(made: Made) -> None:
    made.tamper("UPDATE entries SET provider = 'Peak Pathways Training CIC' WHERE id = :signed")
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        f"{made.short('signed')}: provider changed outside apforms (now 'Peak Pathways Training CIC')"
        in r.stdout
    )


def test_retention_moved_to_2020_is_named_and_blocks_disposal(made: Made) -> None:
    made.tamper("UPDATE entries SET refs = json_set(refs, '$.end', '2014-07-18') WHERE id = :signed")
    r = verify(made.store)
    assert r.exit_code == 1
    assert f"{made.short('signed')}: refs changed outside apforms (now {{'end': '2014-07-18'}})" in r.stdout
    assert "it is now kept until 2020-07-18" in r.stdout
    # the moved date makes it look due: disposing of it on that basis is refused
    assert made.short("signed") in cli(made.store, "due", "--today", "2026-12-01").stdout
    gone = cli(made.store, "dispose", made.short("signed"), "--reason", "due", "--today", "2026-12-01")
    assert gone.exit_code == 2 and "changed outside apforms (refs)" in gone.stderr
    assert (made.store / "files" / made.ids["signed"][:2] / f"{made.ids['signed']}.pdf").exists()


def test_the_record_changed(made: Made) -> None:
    """The SLA's end date in the record read from the form (what its retention comes from)."""
    made.tamper("UPDATE entries SET record = replace(record, '2026-12-18', '2014-12-18') WHERE id = :signed")
    r = verify(made.store)
    assert r.exit_code == 1
    assert f"{made.short('signed')}: record changed outside apforms; as written by event 1" in r.stdout
    assert "it is now kept until 2020-12-18" in r.stdout


def test_a_row_deleted(made: Made) -> None:
    made.tamper("DELETE FROM entries WHERE id = :referral")
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        f"{made.short('referral')}: written by event 3 (add, 2026-11-27T09:02:00Z) but missing from the "
        "catalogue: its row was deleted"
    ) in r.stdout
    assert "1 stored file(s) without an entry" in r.stdout
    # adding the same file again would put a new row in its place and hide the deletion
    again = cli(made.store, "add", str(_write(made.store.parent / "referral.pdf", made.pdfs["referral"])))
    assert again.exit_code == 2
    assert (
        f"{made.short('referral')}: this file was added before (event 3), but its catalogue row is missing"
        in (again.stderr)
    )
    assert "missing from the catalogue: its row was deleted" in verify(made.store).stdout


def test_a_row_deleted_and_the_file_added_again_without_the_check(
    made: Made, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the file added again anyway (an older apforms, a forger), the chain says so."""
    made.tamper("DELETE FROM entries WHERE id = :referral")
    monkeypatch.setattr(SQLiteStore, "_never_written", lambda self, entry: None)
    archive = Archive(SQLiteStore(made.store))
    assert archive.add_bytes(made.pdfs["referral"], "referral.pdf").outcome == "added"
    archive.close()
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        f"{made.short('referral')}: added again by event 5 after event 3: its row had been removed"
        in r.stdout
    )


def test_a_row_inserted(made: Made, tmp_path: Path) -> None:
    other = Archive(SQLiteStore(tmp_path / "elsewhere"))
    forged = other.add_bytes(foreign_pdf("never added here"), "forged.pdf", doc="sla").entry
    assert forged is not None
    other.close()
    columns = ", ".join(
        r[1] for r in sqlite3.connect(made.db).execute("PRAGMA table_info(entries)").fetchall()
    )
    made.tamper(
        f"ATTACH '{tmp_path / 'elsewhere' / 'archive.sqlite3'}' AS other",
        f"INSERT INTO main.entries ({columns}) SELECT {columns} FROM other.entries",
    )
    r = verify(made.store)
    assert r.exit_code == 1
    assert f"{forged.short_id}: in the catalogue but no event wrote it" in r.stdout


def test_a_row_and_its_event_forged_with_a_valid_chain(made: Made) -> None:
    """Whoever also appends a well-chained event is caught by the checkpoint."""
    from apforms.archive.chain import AuditEvent

    db = sqlite3.connect(made.db)
    (last,) = db.execute("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    db.close()
    forged = AuditEvent(
        "2026-11-27T10:00:00Z", "a.qureshi", "get", made.ids["signed"], {"to": "x.pdf"}
    ).chained(last)
    made.tamper(
        "INSERT INTO audit (at, user, action, entry_id, detail, prev, hash) VALUES "
        f"('{forged.at}', '{forged.user}', 'get', '{forged.entry_id}', '{json.dumps(forged.detail)}', "
        f"'{forged.prev}', '{forged.hash}')"
    )
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        "CHECKPOINT audit log event 5 is not in the checkpoint (it records 4): written outside apforms"
        in r.stdout
    )
    assert r.stdout.count("AUDIT LOG") == 0  # the chain itself is sound


def test_the_audit_log_cut(made: Made) -> None:
    made.tamper("DELETE FROM audit WHERE seq > 1")
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        "CHECKPOINT the audit log has 1 event(s) but the checkpoint records 4: events were removed, "
        "or the catalogue was replaced by an older copy"
    ) in r.stdout
    # and the entries whose add events went with them
    assert f"{made.short('unsigned')}: in the catalogue but no event wrote it" in r.stdout
    assert "this verify is not in the audit log" in r.stdout


def test_only_the_last_event_cut(made: Made) -> None:
    made.tamper("DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)")
    r = verify(made.store)
    assert r.exit_code == 1 and "the audit log has 3 event(s) but the checkpoint records 4" in r.stdout


def test_an_event_cut_from_the_middle(made: Made) -> None:
    made.tamper("DELETE FROM audit WHERE seq = 2")
    r = verify(made.store)
    assert r.exit_code == 1
    assert "AUDIT LOG  audit log event 3 (add) does not follow the event before it" in r.stdout
    assert f"{made.short('unsigned')}: in the catalogue but no event wrote it" in r.stdout


def test_the_database_deleted(made: Made) -> None:
    made.replace_db(None)
    r = verify(made.store)
    assert r.exit_code == 1
    assert (
        "CHECKPOINT the catalogue archive.sqlite3 is missing, but the archive has a checkpoint of 4 "
        "audit log event(s); restore the catalogue from a backup"
    ) in r.stdout
    assert "3 stored file(s) without an entry" in r.stdout
    assert not (made.store / "archive.sqlite3").exists()  # no new, empty catalogue over the evidence
    # nothing can be added until it is restored, and the evidence is left as it was
    before = (made.store / "archive.checkpoint").read_bytes()
    added = cli(made.store, "add", "--doc", "sla", str(_write(made.store.parent / "x.pdf", foreign_pdf())))
    assert added.exit_code == 2 and "the catalogue archive.sqlite3 is missing" in added.stderr
    assert (made.store / "archive.checkpoint").read_bytes() == before


def test_the_database_replaced_by_an_empty_one(made: Made) -> None:
    made.replace_db(None)
    sqlite3.connect(made.db).close()
    r = verify(made.store)
    assert (
        r.exit_code == 1
        and "the catalogue archive.sqlite3 is empty (a new database), but the archive" in r.stdout
    )


def test_the_database_deleted_and_the_checkpoint_damaged(made: Made) -> None:
    made.replace_db(None)
    (made.store / "archive.checkpoint").write_text("{}")
    r = verify(made.store)
    assert r.exit_code == 1
    assert "archive.sqlite3 is missing, but the archive has a checkpoint that cannot be trusted" in r.stdout
    assert not made.db.exists()


def test_the_database_replaced_by_an_older_copy(made: Made, tmp_path: Path) -> None:
    made.copy_db(tmp_path / "backup.sqlite3")
    later = cli(made.store, "add", "--doc", "sla", str(_write(tmp_path / "later.pdf", foreign_pdf("later"))))
    assert later.exit_code == 0
    made.replace_db(tmp_path / "backup.sqlite3")
    r = verify(made.store)
    assert r.exit_code == 1
    assert "the audit log has 4 event(s) but the checkpoint records 5" in r.stdout
    assert "replaced by an older copy" in r.stdout


def test_the_checkpoint_deleted_or_edited(made: Made) -> None:
    checkpoint = made.store / "archive.checkpoint"
    text = checkpoint.read_text()
    checkpoint.write_text(text.replace('"events": 4', '"events": 3'))
    r = verify(made.store)
    assert r.exit_code == 1 and "archive.checkpoint does not match its own hash" in r.stdout
    checkpoint.unlink()
    r = verify(made.store)
    assert (
        r.exit_code == 1 and "CHECKPOINT the archive's checkpoint archive.checkpoint is missing" in r.stdout
    )


def test_a_changed_catalogue_takes_no_writes(made: Made, tmp_path: Path) -> None:
    made.tamper("DELETE FROM audit WHERE seq = 4")
    before = (made.store / "archive.checkpoint").read_bytes()
    path = _write(tmp_path / "new.pdf", foreign_pdf("new"))
    added = cli(made.store, "add", "--doc", "sla", str(path))
    assert added.exit_code == 2
    assert f"stopped at {path}: the catalogue does not lead to its checkpoint" in added.stderr
    assert (made.store / "archive.checkpoint").read_bytes() == before
    # nor can a copy be taken that the audit log does not record
    got = cli(made.store, "get", made.short("signed"), "-o", str(tmp_path / "copy.pdf"))
    assert got.exit_code == 2 and "not written: the audit log cannot record it" in got.stderr
    assert not (tmp_path / "copy.pdf").exists()
    # reading it stays possible, to find out what happened (and says it is not in the log)
    listed = cli(made.store, "list")
    assert made.short("signed") in listed.stdout
    assert listed.stderr.startswith(
        "note: this is not in the audit log: the catalogue does not lead to its checkpoint"
    )


# --------------------------------------------------------------------------- archives made before the chain


FIXTURE = Path(__file__).parent / "fixtures" / "archive" / "schema-1"


def _old_archive(tmp_path: Path) -> Path:
    store = tmp_path / "old"
    shutil.copytree(FIXTURE, store)
    return store


def test_an_archive_from_before_the_chain_is_bound_once_and_keeps_verifying(tmp_path: Path) -> None:
    store = _old_archive(tmp_path)
    assert not (store / "archive.checkpoint").exists()
    r = verify(store)
    assert (
        r.exit_code == 0 and "verified 2 file(s) and the catalogue" in r.stdout and "all intact" in r.stdout
    )
    events = json.loads(cli(store, "log", "--json").stdout)
    migrated = [e for e in events if e["action"] == "migrate"]
    assert len(migrated) == 2 and all(e["detail"]["note"].startswith("entry bound") for e in migrated)
    assert [e["action"] for e in events[-3:]] == ["migrate", "migrate", "verify"]
    assert (store / "archive.checkpoint").exists()
    assert (
        verify(store).exit_code == 0
        and json.loads(cli(store, "log", "--json").stdout)[-2]["action"] == "verify"
    )
    # from now on its entries are bound like any other
    db = sqlite3.connect(store / "archive.sqlite3")
    for trigger in TRIGGERS:
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("UPDATE entries SET provider = 'Someone Else' WHERE document = 'sla'")
    db.commit()
    db.close()
    r = verify(store)
    assert (
        r.exit_code == 1
        and "provider changed outside apforms (now 'Someone Else'); as written by event" in r.stdout
    )
    assert "(migrate," in r.stdout


def test_a_status_changed_before_the_upgrade_is_still_caught(tmp_path: Path) -> None:
    """What the old add events recorded (document, signature status) is checked for ever."""
    store = _old_archive(tmp_path)
    db = sqlite3.connect(store / "archive.sqlite3")
    db.execute("DROP TRIGGER entries_immutable")
    db.execute("UPDATE entries SET signature_status = 'fully_signed' WHERE document = 'sla'")
    db.commit()
    db.close()
    r = verify(store)
    assert r.exit_code == 1
    assert "signature_status is 'fully_signed' but was 'unknown' when it was added (event 1," in r.stdout


def test_an_old_copy_put_back_after_the_upgrade_is_not_bound_again(tmp_path: Path) -> None:
    store = _old_archive(tmp_path)
    assert verify(store).exit_code == 0  # upgraded, with a checkpoint
    shutil.copyfile(FIXTURE / "archive.sqlite3", store / "archive.sqlite3")
    r = verify(store)
    assert r.exit_code == 1
    assert "is from before the catalogue chain, but the archive has a checkpoint" in r.stdout
    assert "migrate" not in cli(store, "log").stdout


# --------------------------------------------------------------------------- the chain on its own


def test_the_chain_is_plain_values() -> None:
    """Any backend computes the same hashes: schema-1 events hash as they did, bound ones add
    the digest of the entry's fields."""
    from apforms.archive import chain

    old = chain.event_hash("", "2026-11-27T09:00:00Z", "a.qureshi", "add", "ab" * 32, {"file": "a.pdf"})
    body = json.dumps(
        ["", "2026-11-27T09:00:00Z", "a.qureshi", "add", "ab" * 32, {"file": "a.pdf"}], sort_keys=True
    )
    assert old == hashlib.sha256(body.encode()).hexdigest()  # exactly as schema 1 chained its events
    fields = chain.field_digests({"signature_status": "unsigned", "refs": {"end": "2027-07-16"}})
    bound = chain.event_hash(
        "", "2026-11-27T09:00:00Z", "a.qureshi", "add", "ab" * 32, {"file": "a.pdf"}, fields
    )
    assert bound != old
    assert chain.changed_fields(
        {"signature_status": "fully_signed", "refs": {"end": "2027-07-16"}}, fields
    ) == ["signature_status"]
    cp = chain.Checkpoint(chain.Head(3, "c" * 64), pending=chain.Head(4, "d" * 64))
    assert chain.Checkpoint.parse(cp.text()) == cp
    assert cp.accepts("d" * 64) == chain.Head(4, "d" * 64) and cp.accepts("e" * 64) is None
    with pytest.raises(ValueError, match="own hash"):
        chain.Checkpoint.parse(cp.text().replace('"events": 3', '"events": 2'))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path

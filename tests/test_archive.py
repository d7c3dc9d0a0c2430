from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from apforms.archive import ADDED, ALREADY, REFUSED, Archive, Filters, SQLiteStore
from apforms.errors import ArchiveError

from .archive_support import (
    encrypted_pdf,
    example,
    foreign_pdf,
    form_pdf,
    make_signer,
    sign,
    unsigned_sla,
)

TODAY = date(2026, 11, 27)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    clock = iter(datetime(2026, 11, 27, 9, m, tzinfo=UTC) for m in range(60))
    return Archive(SQLiteStore(tmp_path / "store"), user="a.qureshi", clock=lambda: next(clock))


@pytest.fixture(scope="module")
def sla_pdf() -> bytes:
    return form_pdf("sla")


@pytest.fixture(scope="module")
def referral_pdf() -> bytes:
    return form_pdf("referral")


def stored_files(archive: Archive) -> list[Path]:
    return [p for p in (Path(archive.location) / "files").glob("*/*") if not p.name.endswith(".part")]


# --------------------------------------------------------------------------- add


def test_add_an_apforms_form_reads_it(archive: Archive, sla_pdf: bytes) -> None:
    result = archive.add_bytes(sla_pdf, "sla-signed.pdf")
    assert result.outcome == ADDED and result.entry is not None
    e = result.entry
    assert (e.document, e.version, e.detected) == ("sla", "1.0", True)
    assert e.record is not None and e.record["data"]["provider"]["name"] == "Riverside Farm Learning CIC"
    assert e.parties == {"provider": "Riverside Farm Learning CIC", "school": "Sinfin Moor Academy"}
    assert e.signature_status == "fully_signed"  # both typed
    assert (e.added_by, e.added_at) == ("a.qureshi", "2026-11-27T09:00:00Z")
    assert archive.retention(e).until == date(2032, 12, 18)
    assert archive.read(e) == sla_pdf


def test_adding_the_same_bytes_again_is_a_no_op_that_says_so(archive: Archive, sla_pdf: bytes) -> None:
    first = archive.add_bytes(sla_pdf, "a.pdf")
    again = archive.add_bytes(sla_pdf, "copy-of-a.pdf")
    assert again.outcome == ALREADY and again.entry == first.entry
    assert len(archive.entries()) == 1 and len(stored_files(archive)) == 1
    assert [e.action for e in archive.audit_log()] == ["add", "add"]
    assert archive.audit_log()[1].detail["outcome"] == "already in the archive"


def test_a_foreign_pdf_needs_doc_and_takes_refs(archive: Archive) -> None:
    refused = archive.add_bytes(foreign_pdf(), "scan.pdf")
    assert refused.outcome == REFUSED and "--doc" in (refused.reason or "")
    refs = {"upn": "w831400516007", "school": "Derwent Meadows Academy", "date_of_birth": "2011-11-23"}
    result = archive.add_bytes(foreign_pdf(), "scan.pdf", doc="referral", refs=refs)
    e = result.entry
    assert e is not None
    assert (e.document, e.detected, e.record, e.signature_status) == ("referral", False, None, "unknown")
    assert e.parties == {"upn": "W831400516007", "school": "Derwent Meadows Academy"}
    assert archive.retention(e).until == date(2036, 11, 23)
    assert archive.entries(Filters(upn="W831400516007")) == [e]


def test_doc_must_match_an_apforms_form(archive: Archive, sla_pdf: bytes) -> None:
    result = archive.add_bytes(sla_pdf, "x.pdf", doc="qa")
    assert result.outcome == REFUSED and result.reason == "this is an apforms sla form, not qa"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"PK\x03\x04 a Word file", "not a PDF"),
        (b"%PDF-1.7\n garbage that is not a PDF at all", "damaged PDF"),
        ("encrypted", "password-protected"),
        ("large", "too large"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(tmp_path: Path, data: bytes | str, reason: str) -> None:
    archive = Archive(SQLiteStore(tmp_path / "s"), max_size=20_000)
    if data == "encrypted":
        data = encrypted_pdf()
    elif data == "large":
        data = foreign_pdf("x" * 10) + b"%" + b"0" * 30_000
    assert isinstance(data, bytes)
    result = archive.add_bytes(data, "in.pdf", doc="sla")
    assert result.outcome == REFUSED and reason in (result.reason or "")
    assert "\n" not in (result.reason or "")
    assert archive.entries() == [] and stored_files(archive) == []
    assert archive.audit_log()[-1].action == "add-refused"


@pytest.mark.parametrize("damage", ["truncated", "broken xref"])
def test_a_file_that_needs_repair_is_refused(archive: Archive, sla_pdf: bytes, damage: str) -> None:
    """qpdf can reconstruct these, but the archive keeps only a file as it was signed."""
    if damage == "truncated":
        data = sla_pdf[: len(sla_pdf) * 2 // 3]
    else:
        data = sla_pdf.replace(b"startxref", b"startxreX")
    result = archive.add_bytes(data, "in.pdf", doc="sla")
    assert result.outcome == REFUSED and "damaged PDF" in (result.reason or "")
    assert "\n" not in (result.reason or "") and archive.entries() == []


def test_an_unreadable_path_is_refused(archive: Archive, tmp_path: Path) -> None:
    result = archive.add(tmp_path / "nowhere.pdf")
    assert result.outcome == REFUSED and "cannot read" in (result.reason or "")


def test_bad_refs_are_refused(archive: Archive) -> None:
    assert "not a date" in (archive.add_bytes(foreign_pdf(), "a", "sla", {"end": "soon"}).reason or "")
    assert "yes or no" in (archive.add_bytes(foreign_pdf(), "a", "referral", {"ehcp": "maybe"}).reason or "")
    assert "lower_snake_case" in (
        archive.add_bytes(foreign_pdf(), "a", "sla", {"End Date": "x"}).reason or ""
    )


def test_store_is_owner_only_and_files_read_only(archive: Archive, sla_pdf: bytes) -> None:
    archive.add_bytes(sla_pdf, "a.pdf")
    root = Path(archive.location)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "files").stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "archive.sqlite3").stat().st_mode) == 0o600
    (stored,) = stored_files(archive)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o400
    assert stat.S_IMODE((root / "archive.checkpoint").stat().st_mode) == 0o600
    assert stat.S_IMODE((root / "archive.lock").stat().st_mode) == 0o600


def test_a_fault_reading_one_file_refuses_it_by_name(
    archive: Archive, sla_pdf: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apforms.archive import signatures

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a reader fault\nwith a second line")

    with monkeypatch.context() as m:
        m.setattr(signatures, "examine", broken)
        refused = archive.add_bytes(sla_pdf, "sla.pdf")
    assert refused.outcome == REFUSED
    assert refused.reason == "cannot be read (RuntimeError: a reader fault); please report it"
    assert archive.entries() == [] and stored_files(archive) == []
    (event,) = archive.audit_log()
    assert (event.action, event.detail["file"]) == ("add-refused", "sla.pdf")
    assert archive.add_bytes(sla_pdf, "sla.pdf").outcome == ADDED  # nothing left behind


# --------------------------------------------------------------------------- find and read


def test_list_filters(archive: Archive, sla_pdf: bytes, referral_pdf: bytes) -> None:
    sla = archive.add_bytes(sla_pdf, "sla.pdf").entry
    ref = archive.add_bytes(referral_pdf, "referral.pdf").entry
    assert sla is not None and ref is not None
    assert archive.entries() == [sla, ref]
    assert archive.entries(Filters(document="referral")) == [ref]
    assert archive.entries(Filters(provider="riverside farm")) == [sla]  # any case
    assert archive.entries(Filters(provider="PEAK PATHWAYS")) == [ref]
    assert archive.entries(Filters(school="derwent")) == [ref]
    assert archive.entries(Filters(upn="w831400516007")) == [ref]
    assert archive.entries(Filters(signature_status="fully_signed")) == [sla]
    assert archive.entries(Filters(signature_status="no_signature_blocks")) == [ref]
    assert archive.entries(Filters(since="2026-11-27", until="2026-11-27")) == [sla, ref]
    assert archive.entries(Filters(since="2026-11-28")) == []


def test_find_by_prefix(archive: Archive, sla_pdf: bytes) -> None:
    e = archive.add_bytes(sla_pdf, "a.pdf").entry
    assert e is not None
    assert archive.find(e.id[:6].upper()) == e
    with pytest.raises(ArchiveError, match="not an archive id"):
        archive.find("sla.pdf")
    with pytest.raises(ArchiveError, match="no archive entry"):
        archive.find("000000")


def test_get_writes_exactly_the_bytes_added(archive: Archive, sla_pdf: bytes, tmp_path: Path) -> None:
    e = archive.add_bytes(sla_pdf, "a.pdf").entry
    assert e is not None
    out = archive.get(e.short_id, tmp_path / "copy.pdf")
    assert out.read_bytes() == sla_pdf
    assert archive.audit_log()[-1].action == "get"


def test_get_refuses_an_altered_file(archive: Archive, sla_pdf: bytes, tmp_path: Path) -> None:
    e = archive.add_bytes(sla_pdf, "a.pdf").entry
    assert e is not None
    _tamper(stored_files(archive)[0])
    with pytest.raises(ArchiveError, match="altered"):
        archive.get(e.id, tmp_path / "copy.pdf")
    assert not (tmp_path / "copy.pdf").exists()


def test_get_bytes_hands_out_the_bytes_logged_and_never_an_altered_file(
    archive: Archive, sla_pdf: bytes
) -> None:
    e = archive.add_bytes(sla_pdf, "a.pdf").entry
    assert e is not None
    entry, data = archive.get_bytes(e.id, to="web download by a.qureshi@derby.example.gov.uk")
    assert (entry, data) == (e, sla_pdf)
    last = archive.audit_log()[-1]
    assert (last.action, last.entry_id, last.detail) == (
        "get",
        e.id,
        {"to": "web download by a.qureshi@derby.example.gov.uk"},
    )
    _tamper(stored_files(archive)[0])
    with pytest.raises(ArchiveError, match="altered"):
        archive.get_bytes(e.id, to="web download")
    assert archive.audit_log()[-1] == last


def test_the_audit_log_names_the_user_the_archive_is_opened_for(tmp_path: Path, sla_pdf: bytes) -> None:
    from apforms import api

    with api.open_archive(tmp_path / "store", user="ap.officer@derby.example.gov.uk") as arch:
        arch.add_bytes(sla_pdf, "sla.pdf")
        assert [e.user for e in arch.audit_log()] == ["ap.officer@derby.example.gov.uk"]


def test_export_of_a_chosen_set(archive: Archive, sla_pdf: bytes, tmp_path: Path) -> None:
    sla = archive.add_bytes(sla_pdf, "sla.pdf").entry
    scan = archive.add_bytes(foreign_pdf(), "scan.pdf", doc="qa", refs={"provider": "Peak Pathways"}).entry
    assert sla is not None and scan is not None
    exported = archive.export(Filters(), tmp_path / "bundle.zip", only=[scan.id, "0" * 64])
    assert exported == [scan]
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert [row["sha256"] for row in manifest["entries"]] == [scan.id]
    assert manifest["selection"] == {"chosen": 1}
    with pytest.raises(ArchiveError, match="nothing to export"):
        archive.export(Filters(provider="Riverside"), tmp_path / "none.zip", only=[scan.id])


def test_export_bundle_has_files_and_manifest(archive: Archive, sla_pdf: bytes, tmp_path: Path) -> None:
    sla = archive.add_bytes(sla_pdf, "sla.pdf").entry
    archive.add_bytes(foreign_pdf(), "scan.pdf", doc="qa", refs={"provider": "Peak Pathways Training CIC"})
    assert sla is not None
    exported = archive.export(Filters(provider="Riverside"), tmp_path / "bundle.zip")
    assert exported == [sla]
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        pdf_name = f"files/sla_riverside-farm-learning-cic_{sla.short_id}.pdf"
        assert names == [pdf_name, "manifest.json", "manifest.csv"]
        assert zf.read(pdf_name) == sla_pdf
        assert "Riverside Farm Learning CIC" in zf.read("manifest.csv").decode()
    (row,) = manifest["entries"]
    assert (row["sha256"], row["signature_status"], row["retain_until"]) == (
        sla.id,
        "fully_signed",
        "2032-12-18",
    )
    assert manifest["selection"] == {"provider": "Riverside"}
    assert "record" not in row
    assert archive.audit_log()[-1].action == "export"


def test_export_with_nothing_selected_or_a_bad_file_writes_nothing(
    archive: Archive, sla_pdf: bytes, tmp_path: Path
) -> None:
    with pytest.raises(ArchiveError, match="nothing to export"):
        archive.export(Filters(provider="nobody"), tmp_path / "b.zip")
    archive.add_bytes(sla_pdf, "sla.pdf")
    _tamper(stored_files(archive)[0])
    with pytest.raises(ArchiveError, match="altered"):
        archive.export(Filters(), tmp_path / "b.zip")
    assert not (tmp_path / "b.zip").exists()


# --------------------------------------------------------------------------- verify


def test_verify_reports_missing_altered_and_unreadable(archive: Archive, tmp_path: Path) -> None:
    ids = [archive.add_bytes(foreign_pdf(f"scan {i}"), f"{i}.pdf", doc="sla").entry for i in range(4)]
    assert archive.verify().ok
    by_id = {p.stem: p for p in stored_files(archive)}
    paths = [by_id[e.id] for e in ids if e is not None]
    paths[0].unlink()
    _tamper(paths[1])
    os.chmod(paths[2], 0)
    try:
        report = archive.verify()
    finally:
        os.chmod(paths[2], 0o400)
    assert not report.ok
    assert report.checked == 4
    assert report.missing == [paths[0].stem] and report.altered == [paths[1].stem]
    if os.geteuid() != 0:  # root reads anything
        assert report.unreadable == [paths[2].stem]
    assert archive.audit_log()[-1].action == "verify"


def test_verify_signatures_rechecks_digital_signatures(tmp_path: Path) -> None:
    signer = make_signer(tmp_path / "keys")
    archive = Archive(SQLiteStore(tmp_path / "s"), trust_roots=[signer.cert_bytes])
    signed = sign(form_pdf("sla", unsigned_sla()), signer, "signatures.provider")
    e = archive.add_bytes(signed, "signed.pdf").entry
    assert e is not None and e.signature_status == "partly_signed"
    block = archive.signature_report(e).blocks[0]
    assert block.digital is not None and block.digital.trusted
    report = archive.verify(check_signatures=True)
    assert report.ok and report.signatures_checked == 1


def test_the_audit_log_is_append_only_and_chained(archive: Archive, sla_pdf: bytes) -> None:
    e = archive.add_bytes(sla_pdf, "a.pdf").entry
    assert e is not None
    db = sqlite3.connect(Path(archive.location) / "archive.sqlite3")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        db.execute("DELETE FROM entries")
    with pytest.raises(sqlite3.DatabaseError, match="cannot be changed"):
        db.execute("UPDATE entries SET document = 'qa'")
    assert archive.check_audit_log() == []
    # someone with the database open removes the trigger and rewrites history
    db.execute("DROP TRIGGER audit_append_only_u")
    db.execute("UPDATE audit SET user = 'someone else' WHERE seq = 1")
    db.commit()
    db.close()
    assert archive.check_audit_log() == ["audit log event 1 (add) does not match the chain"]
    assert not archive.verify().ok


# --------------------------------------------------------------------------- retention


def test_due_and_dispose_keep_a_tombstone(archive: Archive, sla_pdf: bytes, tmp_path: Path) -> None:
    e = archive.add_bytes(sla_pdf, "sla.pdf").entry
    commissioning = archive.add_bytes(form_pdf("commissioning"), "c.pdf").entry
    assert e is not None and commissioning is not None
    assert archive.due(TODAY).due == []
    assert [i.entry for i in archive.due(TODAY).unknown] == [commissioning]
    with pytest.raises(ArchiveError, match="kept until 2032-12-18.*--early"):
        archive.dispose(e.id, "tidying up", TODAY)
    with pytest.raises(ArchiveError, match="a reason is needed"):
        archive.dispose(e.id, "  ", date(2033, 1, 1))

    later = date(2033, 1, 1)
    assert [i.entry for i in archive.due(later).due] == [e]
    gone = archive.dispose(e.short_id, "Retention passed (IRMS: end + 6 years)", later)
    assert (gone.state, gone.disposed_by, gone.disposal_reason) == (
        "disposed",
        "a.qureshi",
        "Retention passed (IRMS: end + 6 years)",
    )
    assert not any(p.stem == e.id for p in stored_files(archive))
    assert archive.find(e.id).state == "disposed"  # the tombstone: hash, metadata, reason
    assert archive.find(e.id).record == e.record
    assert archive.entries() == [commissioning]
    assert archive.entries(Filters(include_disposed=True))[0].id == e.id
    assert archive.audit_log()[-1].action == "dispose"
    assert archive.verify().ok  # a disposed file is not missing
    with pytest.raises(ArchiveError, match="already disposed"):
        archive.dispose(e.id, "again", later)
    with pytest.raises(ArchiveError, match="disposed of"):
        archive.get(e.id, tmp_path / "x.pdf")
    again = archive.add_bytes(sla_pdf, "sla.pdf")
    assert again.outcome == REFUSED and "disposed of" in (again.reason or "")


def test_dispose_early_is_allowed_when_said(archive: Archive) -> None:
    e = archive.add_bytes(foreign_pdf(), "wrong-file.pdf", doc="sla").entry
    assert e is not None
    gone = archive.dispose(e.id, "Added by mistake: not an SLA", TODAY, early=True)
    assert gone.state == "disposed"
    assert archive.audit_log()[-1].detail["early"] is True


# --------------------------------------------------------------------------- concurrency


def test_several_processes_adding_at_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    batches = []
    for p in range(4):
        paths = []
        for i in range(4):
            path = tmp_path / f"p{p}-{i}.pdf"
            path.write_bytes(foreign_pdf(f"process {p} file {i}"))
            paths.append(str(path))
        paths.append(str(tmp_path / "p0-0.pdf"))  # the same file added by everyone
        batches.append(paths)
    cmd = [sys.executable, "-m", "apforms", "archive", "--store", str(store), "add", "--doc", "sla"]
    procs = [
        subprocess.Popen([*cmd, *paths], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for paths in batches
    ]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    archive = Archive(SQLiteStore(store))
    assert len(archive.entries()) == 16
    assert archive.verify().ok
    assert sum(out.count(b"\nadded") + out.startswith(b"added") for out, _ in outs) == 16


def _tamper(path: Path) -> None:
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def test_example_referral_pupil_is_in_parties(archive: Archive, referral_pdf: bytes) -> None:
    e = archive.add_bytes(referral_pdf, "r.pdf").entry
    assert e is not None and e.parties["upn"] == example("referral")["pupil"]["upn"]


def test_verify_signatures_fails_only_for_signatures_that_were_good(tmp_path: Path) -> None:
    from dataclasses import replace

    from apforms.archive.store import AuditEvent, sha256

    signer = make_signer(tmp_path / "keys")
    archive = Archive(SQLiteStore(tmp_path / "s"))
    signed = bytearray(sign(form_pdf("sla", unsigned_sla()), signer, "signatures.provider"))
    signed[signed.index(b"Riverside Farm")] = ord("X")  # broken before it ever reached us
    broken = archive.add_bytes(bytes(signed), "broken.pdf").entry
    assert broken is not None and broken.signature_status == "invalid"
    report = archive.verify(check_signatures=True)
    assert report.ok and len(report.known_broken) == 1

    # the same kind of file recorded as good when added (say, by an older validator): a problem
    good = archive.signature_report(broken).as_dict()
    good["blocks"][0]["digital"]["problem"] = None
    data = bytes(signed) + b"%another copy\n"
    entry = replace(broken, id=sha256(data), size=len(data), signatures=good)
    archive.store.add(entry, data, AuditEvent("2026-11-27T10:00:00Z", "test", "add", entry.id))
    report = archive.verify(check_signatures=True)
    assert not report.ok and [i for i, _ in report.signature_problems] == [entry.id]


def test_default_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from apforms.archive import default_location

    monkeypatch.setenv("APFORMS_ARCHIVE", str(tmp_path / "here"))
    assert default_location() == tmp_path / "here"
    monkeypatch.delenv("APFORMS_ARCHIVE")
    assert default_location().parts[-2:] == ("apforms", "archive")


def test_export_manifest_csv_never_holds_a_formula(archive: Archive, tmp_path: Path) -> None:
    """Issue 14: a provider named '=HYPERLINK(…)' went unescaped into the export's manifest.csv."""
    import csv
    import io

    evil = '=HYPERLINK("http://example.org/x","Riverside")'
    archive.add_bytes(foreign_pdf(), "scan.pdf", doc="qa", refs={"provider": evil})
    archive.export(Filters(), tmp_path / "bundle.zip")
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        text = zf.read("manifest.csv").decode()
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["provider"] == "'" + evil
    assert all(line.startswith('"') for line in text.splitlines())  # every cell quoted

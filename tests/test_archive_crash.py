"""kill -9 an ``archive add`` at random moments: the archive stays consistent.

Each round starts a process adding several files, waits for its first file to be committed,
then kills it at a random moment (seeded) while it adds the rest. Afterwards every add that
reported success is present, nothing earlier was lost, and ``archive verify`` is clean (no
entry without its file).

Then a process is killed at each step of a write in turn (the checkpoint before and after the
commit, the removal of a disposed file): the next run completes or rolls back what it was
doing, and ``verify`` is clean.

Both on SQLite and, with ``APFORMS_DATABASE_URL`` set, on a PostgreSQL catalogue (whose
server ends the killed process's session, and its lock, by itself).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from apforms.archive import Archive, SQLiteStore, open_archive

from .archive_support import foreign_pdf

ROUNDS = 15
FILES_PER_ROUND = 6

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The database URL of the catalogue (None: SQLite), set for this process and the CLI's."""
    if request.param == "sqlite":
        monkeypatch.delenv("APFORMS_DATABASE_URL", raising=False)
        return None
    url = str(request.getfixturevalue("pg_database"))
    monkeypatch.setenv("APFORMS_DATABASE_URL", url)
    return url


def _ids(store: Path, url: str | None = None) -> set[str]:
    if url is not None:
        import psycopg

        with psycopg.connect(url) as pg:
            if pg.execute("SELECT to_regclass('archive_entries')").fetchone() == (None,):
                return set()
            return {r[0] for r in pg.execute("SELECT id FROM archive_entries")}
    db = store / "archive.sqlite3"
    if not db.exists():
        return set()
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM entries")}


def _cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "apforms", "archive", "--store", str(store), *args]


def test_kill_9_during_add_leaves_the_archive_consistent(tmp_path: Path, backend: str | None) -> None:
    rng = random.Random(20261127)
    store = tmp_path / "store"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    completed: set[str] = set()
    seen: set[str] = set()
    all_files: list[Path] = []
    for n in range(ROUNDS):
        batch = []
        for i in range(FILES_PER_ROUND):
            path = tmp_path / f"round{n}-{i}.pdf"
            path.write_bytes(foreign_pdf(f"round {n} file {i} Łódź"))
            batch.append(path)
        all_files += batch
        proc = subprocess.Popen(
            _cli(store, "add", "--doc", "sla", *map(str, batch)),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first file is in: kill during the others
        time.sleep(rng.uniform(0, 0.2))
        proc.send_signal(signal.SIGKILL)
        rest = proc.stdout.read()
        proc.wait(timeout=30)
        for line in (first + rest).decode().splitlines():
            if line.startswith("added "):
                completed.add(line.split()[1])
        now = _ids(store, backend)
        assert seen <= now, "an earlier entry was lost"
        seen = now
        assert {c for c in completed if not any(i.startswith(c) for i in now)} == set()

    verify = subprocess.run(_cli(store, "verify"), capture_output=True, env=env, timeout=60)
    assert verify.returncode == 0, verify.stdout.decode() + verify.stderr.decode()
    assert len(completed) >= ROUNDS  # at least each round's first file

    # adding everything again completes the interrupted adds, adopting any file left behind
    again = subprocess.run(
        _cli(store, "add", "--doc", "sla", *map(str, all_files)), capture_output=True, env=env
    )
    assert again.returncode == 0, again.stderr.decode()
    archive = open_archive(store)
    assert len(archive.entries()) == len(all_files)
    report = archive.verify()
    assert report.ok and report.leftovers["unrecorded_files"] == 0


# --------------------------------------------------------------------------- at each step of a write

#: Run the CLI, killing itself with SIGKILL at one step of the write: before or after the
#: nth call of the checkpoint write (1st: ``pending``, before the commit; 2nd: after it) or of
#: the removal of a disposed file.
_KILL_AT = r"""
import os, pathlib, signal, sys
step, nth, when, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
if step == "checkpoint":
    from apforms.archive import checkpoint as owner
    name = "write"
else:  # in a dispose, the only file removed is the disposed one
    owner, name = pathlib.Path, "unlink"
original, calls = getattr(owner, name), [0]
def hooked(*a, **k):
    calls[0] += 1
    if calls[0] == nth and when == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    out = original(*a, **k)
    if calls[0] == nth and when == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(owner, name, hooked)
from apforms.cli import main
main(args)
"""
STEPS = [
    ("checkpoint", 1, "before"),  # nothing committed
    ("checkpoint", 1, "after"),  # pending written, not committed
    ("checkpoint", 2, "before"),  # committed, checkpoint still pending
    ("unlink", 1, "before"),  # dispose: tombstone committed, file still there
    ("unlink", 1, "after"),  # dispose: done
]


def _killed(store: Path, step: tuple[str, int, str], *args: str) -> None:
    cmd = [sys.executable, "-c", _KILL_AT, step[0], str(step[1]), step[2], "archive", "--store", str(store)]
    done = subprocess.run([*cmd, *args], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


def _path(store: Path, entry_id: str) -> Path:
    return store / "files" / entry_id[:2] / f"{entry_id}.pdf"


@pytest.mark.parametrize("step", STEPS, ids=["-".join(map(str, s)) for s in STEPS])
def test_kill_9_during_dispose_is_completed_or_rolled_back_by_the_next_run(
    tmp_path: Path, step: Any, backend: str | None
) -> None:
    store = tmp_path / "store"
    archive = open_archive(store)
    entry = archive.add_bytes(foreign_pdf("added by mistake"), "mistake.pdf", doc="sla").entry
    assert entry is not None
    archive.close()
    _killed(
        store, step, "dispose", entry.id, "--reason", "Added by mistake", "--early", "--today", "2026-11-27"
    )

    again = open_archive(store)  # the next run
    after = again.find(entry.id)
    assert after.state == "stored" or not _path(store, entry.id).exists()
    report = again.verify()
    assert report.ok, report.as_dict()
    assert report.leftovers["disposed_files"] == 0 and report.leftovers["unrecorded_files"] == 0
    if after.state == "disposed":  # completed: the file is gone, and the log says how
        actions = [e.action for e in again.audit_log()]
        assert actions[:2] == ["add", "dispose"]
        # killed after the commit and before the file went: the next run removed it
        left_behind = step in (("checkpoint", 2, "before"), ("unlink", 1, "before"))
        assert ("dispose-completed" in actions) == left_behind
    else:  # rolled back: still stored, and disposing of it now works
        assert step[0] == "checkpoint" and step[1] == 1 and _path(store, entry.id).exists()
        again.dispose(entry.id, "Added by mistake", date(2026, 11, 27), early=True)
        assert not _path(store, entry.id).exists()
    assert again.verify().ok


@pytest.mark.parametrize("step", STEPS[:3], ids=["-".join(map(str, s)) for s in STEPS[:3]])
def test_kill_9_at_each_step_of_an_add_leaves_a_catalogue_that_verifies(
    tmp_path: Path, step: Any, backend: str | None
) -> None:
    store = tmp_path / "store"
    first = tmp_path / "first.pdf"
    first.write_bytes(foreign_pdf("first"))
    open_archive(store).add(first, doc="sla")
    pdf = tmp_path / "second.pdf"
    pdf.write_bytes(foreign_pdf("second Łódź"))
    _killed(store, step, "add", "--doc", "sla", str(pdf))
    again = open_archive(store)
    report = again.verify()
    assert report.ok, report.as_dict()
    assert len(again.entries()) == (1 if step[1] == 1 else 2)
    if step[1] == 1 and step[2] == "after":
        assert report.notes == ["a write was interrupted before it was committed; nothing of it was kept"]
    if step[1] == 2:
        assert report.notes == ["a write was interrupted after it was committed; the next write completes it"]
    assert again.add(pdf, doc="sla").outcome in ("added", "already")
    assert again.verify().ok and len(again.entries()) == 2


def test_an_exception_between_the_tombstone_and_the_file_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    archive = Archive(SQLiteStore(store))
    entry = archive.add_bytes(foreign_pdf("to go"), "to-go.pdf", doc="sla").entry
    assert entry is not None

    def interrupted(self: Path, missing_ok: bool = False) -> None:
        raise KeyboardInterrupt  # as a kill would, just before the file is removed

    with monkeypatch.context() as m:
        m.setattr(Path, "unlink", interrupted)
        with pytest.raises(KeyboardInterrupt):
            archive.dispose(entry.id, "Retention passed", date(2033, 1, 1), early=True)
    assert _path(store, entry.id).exists() and archive.find(entry.id).state == "disposed"
    archive.close()

    again = Archive(SQLiteStore(store))
    assert not _path(store, entry.id).exists()
    last = again.audit_log()[-1]
    assert (last.action, last.entry_id) == ("dispose-completed", entry.id)
    assert again.verify().ok


def test_a_tombstone_forged_in_the_catalogue_never_removes_a_file(tmp_path: Path) -> None:
    """Marking an entry disposed by hand must not make apforms delete its file."""
    store = tmp_path / "store"
    archive = Archive(SQLiteStore(store))
    entry = archive.add_bytes(foreign_pdf("keep me"), "keep.pdf", doc="sla").entry
    assert entry is not None
    archive.close()
    db = sqlite3.connect(store / "archive.sqlite3")
    db.execute("UPDATE entries SET state = 'disposed', disposal_reason = 'forged' WHERE id = ?", (entry.id,))
    db.commit()
    db.close()
    again = Archive(SQLiteStore(store))
    assert _path(store, entry.id).exists()
    report = again.verify()
    assert not report.ok and any(
        "state changed outside apforms" in p.message for p in report.catalogue_problems
    )

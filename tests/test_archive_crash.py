"""kill -9 an ``archive add`` at random moments: the archive stays consistent.

Each round starts a process adding several files, waits for its first file to be committed,
then kills it at a random moment (seeded) while it adds the rest. Afterwards every add that
reported success is present, nothing earlier was lost, and ``archive verify`` is clean (no
entry without its file).

Then a process is killed at each step of a write in turn (the checkpoint before and after the
commit): the next run takes the catalogue as it was or completes the write, and ``verify`` is
clean.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from apforms.archive import Archive, SQLiteStore

from .archive_support import foreign_pdf

ROUNDS = 15
FILES_PER_ROUND = 6

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX kill -9")


def _ids(store: Path) -> set[str]:
    db = store / "archive.sqlite3"
    if not db.exists():
        return set()
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM entries")}


def _cli(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "apforms", "archive", "--store", str(store), *args]


def test_kill_9_during_add_leaves_the_archive_consistent(tmp_path: Path) -> None:
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
        now = _ids(store)
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
    archive = Archive(SQLiteStore(store))
    assert len(archive.entries()) == len(all_files)
    report = archive.verify()
    assert report.ok and report.leftovers["unrecorded_files"] == 0


# --------------------------------------------------------------------------- at each step of a write

#: Run the CLI, killing itself with SIGKILL at one step of the write: before or after the
#: nth call of the checkpoint write (1st: ``pending``, before the commit; 2nd: after it).
_KILL_AT = r"""
import os, signal, sys
from apforms.archive import checkpoint as owner
step, nth, when, args = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
name = "write"
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
]


def _killed(store: Path, step: tuple[str, int, str], *args: str) -> None:
    cmd = [sys.executable, "-c", _KILL_AT, step[0], str(step[1]), step[2], "archive", "--store", str(store)]
    done = subprocess.run([*cmd, *args], capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()


@pytest.mark.parametrize("step", STEPS, ids=["-".join(map(str, s)) for s in STEPS])
def test_kill_9_at_each_step_of_an_add_leaves_a_catalogue_that_verifies(tmp_path: Path, step: Any) -> None:
    store = tmp_path / "store"
    first = tmp_path / "first.pdf"
    first.write_bytes(foreign_pdf("first"))
    Archive(SQLiteStore(store)).add(first, doc="sla")
    pdf = tmp_path / "second.pdf"
    pdf.write_bytes(foreign_pdf("second Łódź"))
    _killed(store, step, "add", "--doc", "sla", str(pdf))
    again = Archive(SQLiteStore(store))
    report = again.verify()
    assert report.ok, report.as_dict()
    assert len(again.entries()) == (1 if step[1] == 1 else 2)
    if step[1] == 1 and step[2] == "after":
        assert report.notes == ["a write was interrupted before it was committed; nothing of it was kept"]
    if step[1] == 2:
        assert report.notes == ["a write was interrupted after it was committed; the next write completes it"]
    assert again.add(pdf, doc="sla").outcome in ("added", "already")
    assert again.verify().ok and len(again.entries()) == 2

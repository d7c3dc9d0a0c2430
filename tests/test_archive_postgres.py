"""The archive on PostgreSQL: one setting, several processes at once, nothing lost.

The contract every backend keeps is ``tests/test_archive_contract.py``, ``kill -9`` rounds
are ``tests/test_archive_crash.py``; here is what only a shared server database has: eight
processes adding, reading, verifying and disposing at once, schema creation raced, two
archives that must not be merged, and connection errors that never show the password.
"""

from __future__ import annotations

import multiprocessing
import random
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apforms.archive import ADDED, ALREADY, REFUSED, Filters, open_archive
from apforms.cli import main
from apforms.errors import ArchiveError

from .archive_support import foreign_pdf

WORKERS = 8
OPS_PER_WORKER = 60
OWN_FILES = 16  # each worker's own files; and SHARED files every worker adds
SHARED = 6
TODAY = date(2026, 11, 27)


# --------------------------------------------------------------------------- eight at once


@dataclass
class Done:
    """What one worker did, and the audit log events that it must have caused."""

    added: dict[str, str] = field(default_factory=dict)  # id → path, for the adds that stored it
    disposed: set[str] = field(default_factory=set)
    events: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def _worker(args: tuple[int, str, str, list[str], list[str]]) -> Done:
    n, folder, url, own, shared = args
    rng = random.Random(1000 + n)
    done = Done()
    mine: list[str] = []  # ids this worker has seen stored
    with open_archive(folder, database_url=url, user=f"worker-{n}") as archive:
        own_left = list(own)
        for _ in range(OPS_PER_WORKER):
            op = rng.choice(["own", "own", "shared", "shared", "get", "get", "list", "verify", "dispose"])
            if op == "own" and own_left or op == "shared":
                path = own_left.pop(0) if op == "own" and own_left else rng.choice(shared)
                r = archive.add(path, doc="sla", refs={"provider": f"Provider {n}", "school": "Sinfin Moor"})
                done.events["add-refused" if r.outcome == REFUSED else "add"] += 1
                if r.outcome == ADDED and r.entry is not None:
                    done.added[r.entry.id] = path
                if r.entry is not None:
                    mine.append(r.entry.id)
                if path in own and r.outcome != ADDED:
                    done.problems.append(f"own file {path} was {r.outcome}: {r.reason}")
                if r.outcome not in (ADDED, ALREADY) and "disposed of" not in (r.reason or ""):
                    done.problems.append(f"{path}: {r.outcome} {r.reason}")
            elif op == "get" and mine:
                entry_id = rng.choice(mine)
                try:
                    entry, data = archive.get_bytes(entry_id, f"worker {n}")
                except ArchiveError as exc:  # disposed of meanwhile: said so, nothing handed out
                    if "dispos" not in str(exc) and "missing" not in str(exc):
                        done.problems.append(f"get {entry_id[:12]}: {exc}")
                    continue
                done.events["get"] += 1
                if data != Path(done.added.get(entry_id) or _path_of(entry, own, shared)).read_bytes():
                    done.problems.append(f"get {entry_id[:12]}: not the bytes added")
            elif op == "list":
                listed = {e.id for e in archive.entries(Filters(provider=f"provider {n}"))}
                stored_own = {i for i, p in done.added.items() if p in own} - done.disposed
                if not stored_own <= listed:
                    done.problems.append(f"list misses {sorted(stored_own - listed)}")
            elif op == "verify":
                report = archive.verify()
                done.events["verify"] += 1
                if not report.ok:
                    done.problems.append(f"verify: {report.as_dict()}")
            elif op == "dispose" and mine:
                entry_id = rng.choice(mine)
                try:
                    archive.dispose(entry_id, f"Added by mistake (worker {n})", TODAY, early=True)
                except ArchiveError as exc:  # another worker disposed of it first
                    if "dispos" not in str(exc):
                        done.problems.append(f"dispose {entry_id[:12]}: {exc}")
                    continue
                done.events["dispose"] += 1
                done.disposed.add(entry_id)
    return done


def _path_of(entry: Any, own: list[str], shared: list[str]) -> str:
    return next(p for p in [*own, *shared] if Path(p).name == entry.filename)


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_eight_processes_at_once_lose_nothing_and_never_fork_the_chain(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    pg_database = request.getfixturevalue("pg_database") if backend == "postgresql" else ""
    files = tmp_path / "files"
    files.mkdir()

    def made(name: str) -> str:
        path = files / f"{name}.pdf"
        path.write_bytes(foreign_pdf(f"{name} Łódź"))
        return str(path)

    shared = [made(f"shared-{i}") for i in range(SHARED)]
    store = str(tmp_path / "store")
    jobs = [
        (n, store, pg_database, [made(f"w{n}-{i}") for i in range(OWN_FILES)], shared) for n in range(WORKERS)
    ]
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with multiprocessing.get_context(method).Pool(WORKERS) as pool:
        results = pool.map(_worker, jobs)

    assert [p for r in results for p in r.problems] == []
    added: dict[str, str] = {}
    for r in results:
        assert not added.keys() & r.added.keys(), "the same file was added twice"
        added.update(r.added)
    disposed = set().union(*(r.disposed for r in results))
    with open_archive(tmp_path / "store", database_url=pg_database) as archive:
        events = archive.audit_log()
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        assert Counter(e.action for e in events) == sum((r.events for r in results), Counter())
        entries = {e.id: e for e in archive.entries(Filters(include_disposed=True))}
        assert entries.keys() == added.keys()
        assert {i for i, e in entries.items() if e.state == "disposed"} == disposed
        for entry_id, path in added.items():
            if entry_id not in disposed:
                assert archive.get_bytes(entry_id, "the test")[1] == Path(path).read_bytes()
        report = archive.verify()
        assert report.ok and report.head.events == len(events) + len(added) - len(disposed), report.as_dict()
        assert report.leftovers == {"unrecorded_files": 0, "temporary_files": 0, "disposed_files": 0}


# --------------------------------------------------------------------------- opening


_OPEN = """
import sys
from apforms.archive import open_archive
with open_archive(sys.argv[1], database_url=sys.argv[2]) as archive:
    print(archive.verify().ok)
"""


def test_several_processes_creating_the_catalogue_at_once(pg_database: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN, str(tmp_path / "store"), pg_database],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [(p.returncode, out.strip()) for p, (out, _) in zip(procs, outs, strict=True)] == [
        (0, b"True")
    ] * 4, outs
    import psycopg

    with psycopg.connect(pg_database) as conn:
        names = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        functions = {
            r[0]
            for r in conn.execute("SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace")
        }
    assert names == {"archive_meta", "archive_entries", "archive_audit"}  # beside the web app's tables
    assert functions == {"archive_refuse", "archive_disposed_only"}


def test_another_database_for_the_same_folder_is_refused(pg_database: str, tmp_path: Path) -> None:
    from tests import pg_support

    store = tmp_path / "store"
    with open_archive(store, database_url=pg_database) as archive:
        archive.add_bytes(foreign_pdf("kept"), "kept.pdf", doc="sla")
    with open_archive(store, database_url=pg_support.fresh_database()) as elsewhere:
        assert elsewhere.entries() == []
        report = elsewhere.verify()
        assert not report.ok and "names another database, or the tables were dropped" in (
            report.catalogue_problems[0].message
        )
        with pytest.raises(ArchiveError, match="the catalogue .tables archive_. in the database t_"):
            elsewhere.add_bytes(foreign_pdf("new"), "new.pdf", doc="sla")
    second = open_archive(tmp_path / "second", database_url=pg_database)  # a second folder
    with pytest.raises(ArchiveError, match="checkpoint archive.checkpoint is missing"):
        second.add_bytes(foreign_pdf("new"), "new.pdf", doc="sla")
    second.close()


def test_connection_errors_name_the_database_never_the_password(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError) as caught:
        open_archive(tmp_path, database_url="postgresql://officer:s3cr%3Et@127.0.0.1:1/archive")
    message = str(caught.value)
    assert message.startswith("cannot connect to the archive's database archive on 127.0.0.1:1: ")
    assert "\n" not in message and "s3cr" not in message and "officer" not in message


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://officer:s3cret@db/archive", "APFORMS_DATABASE_URL must be a postgresql:// URL"),
        ("sqlite:///archive.db", "APFORMS_DATABASE_URL must be a postgresql:// URL"),
        ("db.example:5432/archive", "APFORMS_DATABASE_URL must be a postgresql:// URL"),
        ("postgresql://officer:s3cret@db:port/archive", "APFORMS_DATABASE_URL is not a database URL"),
        ("postgresql://officer:s3cret@db.example", "APFORMS_DATABASE_URL names no database"),
    ],
)
def test_the_setting_refused_in_one_line(url: str, says: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["archive", "--store", str(tmp_path), "list"], env={"APFORMS_DATABASE_URL": url}
    )
    assert result.exit_code == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "s3cret" not in result.stderr


def test_a_backup_holds_the_same_lock_as_every_writer(pg_database: str, tmp_path: Path) -> None:
    import psycopg

    from apforms.archive import backends
    from apforms.archive.postgres import WRITERS_LOCK

    store = tmp_path / "store"
    open_archive(store, database_url=pg_database).close()
    with psycopg.connect(pg_database, autocommit=True) as other:
        with backends.writers_locked(store, 5, pg_database):
            assert other.execute("SELECT pg_try_advisory_lock(%s)", (WRITERS_LOCK,)).fetchone() == (False,)
        assert other.execute("SELECT pg_try_advisory_lock(%s)", (WRITERS_LOCK,)).fetchone() == (True,)
        # held by another session (a backup running elsewhere): a write waits, then says so
        with open_archive(store, database_url=pg_database) as archive:
            archive.store.catalogue.conn.execute("SET lock_timeout = '200ms'")
            with pytest.raises(ArchiveError, match="the archive is busy"):
                archive.add_bytes(foreign_pdf("waits"), "waits.pdf", doc="sla")


def test_psycopg_is_imported_only_for_postgresql(tmp_path: Path) -> None:
    code = (
        "import sys; from apforms.archive import open_archive; "
        f"open_archive({str(tmp_path)!r}, database_url='').close(); print('psycopg' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_role_that_owns_no_table_works_the_archive_but_cannot_undo_it(
    pg_database: str, tmp_path: Path
) -> None:
    import uuid

    import psycopg

    role = f"ap_team_{uuid.uuid4().hex[:8]}"  # roles are the server's, not the database's
    store = tmp_path / "store"
    open_archive(store, database_url=pg_database).close()  # as the administrator: the tables
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT SELECT ON archive_meta TO {role}")
        admin.execute(f"GRANT SELECT, INSERT ON archive_entries, archive_audit TO {role}")
        disposal = "state, disposed_at, disposed_by, disposal_reason"
        admin.execute(f"GRANT UPDATE ({disposal}) ON archive_entries TO {role}")
    team = pg_database.replace("://apforms@", f"://{role}@")
    with open_archive(store, database_url=team, user="a.qureshi") as archive:
        kept = archive.add_bytes(foreign_pdf("kept"), "kept.pdf", doc="sla").entry
        gone = archive.add_bytes(foreign_pdf("gone"), "gone.pdf", doc="sla").entry
        assert kept is not None and gone is not None
        archive.dispose(gone.id, "Added by mistake", TODAY, early=True)
        assert archive.get_bytes(kept.id, "a test")[1] == foreign_pdf("kept")
        assert archive.verify().ok
    with psycopg.connect(team, autocommit=True) as conn:
        for sql in (
            "ALTER TABLE archive_audit DISABLE TRIGGER USER",
            "UPDATE archive_entries SET signature_status = 'fully_signed'",
            "DELETE FROM archive_audit",
            "TRUNCATE archive_entries",
        ):
            with pytest.raises(psycopg.Error, match="must be owner|permission denied"):
                conn.execute(sql)
    with psycopg.connect(pg_database, autocommit=True) as admin:
        admin.execute(f"DROP OWNED BY {role}")
        admin.execute(f"DROP ROLE {role}")

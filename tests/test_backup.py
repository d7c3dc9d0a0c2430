"""``apforms backup`` and ``apforms restore``: a data folder (the web app's records and audit
log, the archive's catalogue, chain and signed copies, the key) written out as one snapshot
with a manifest of hashes, and brought back on an empty machine whole, on SQLite and on
PostgreSQL; a backup changed after it was made is refused, and nothing is half-restored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.archive_support import foreign_pdf, form_pdf

BACKENDS = ["sqlite", "postgresql"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "apforms", *args], capture_output=True, text=True, timeout=300, env=env
    )


def env_for(url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "APFORMS_DATABASE_URL"}
    if url:
        env["APFORMS_DATABASE_URL"] = url
    return env


def make_data(folder: Path, env: dict[str, str]) -> None:
    """A data folder with the web demo loaded (child process: Django is set up once per process)
    and three signed copies in its archive."""
    code = (
        "import sys; from apforms import web; web.configure(sys.argv[1]); web.load_demo()\n"
        "from django.test import RequestFactory; from django.contrib.auth.models import User\n"
        "from apforms.web import audit; from apforms.web.models import Record\n"
        "for r in Record.objects.all()[:3]:\n"
        "    request = RequestFactory().get('/'); request.user = User.objects.first()\n"
        "    audit.record(request, 'viewed', 'record', r.id, r.school)\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(folder)], check=True, timeout=300, env=env, capture_output=True
    )
    code = (
        "import sys; from pathlib import Path; from apforms import api\n"
        "with api.open_archive(Path(sys.argv[1]) / 'archive', user='backup.test') as a:\n"
        "    for p in sys.argv[2:]:\n"
        "        r = a.add(p, doc='sla' if p.endswith('copy2.pdf') else None)\n"
        "        assert r.outcome == 'added', (p, r.reason)\n"
    )
    pdfs = []
    for i, data in enumerate((form_pdf("sla"), form_pdf("referral"), foreign_pdf("A signed agreement"))):
        pdfs.append(folder.parent / f"copy{i}.pdf")
        pdfs[-1].write_bytes(data)
    subprocess.run(
        [sys.executable, "-c", code, str(folder), *map(str, pdfs)],
        check=True,
        timeout=300,
        env=env,
        capture_output=True,
    )


def state(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """Everything a restore must bring back, read through apforms itself (in a child)."""
    code = (
        "import sys, json, hashlib; from pathlib import Path; from apforms import web, api\n"
        "web.configure(sys.argv[1])\n"
        "from apforms.web.models import Record, AuditEvent, School\n"
        "from django.contrib.auth.models import User\n"
        "out = {'records': sorted([str(r.id), r.document, r.data] for r in Record.objects.all()),\n"
        "       'audit': [e.hash for e in AuditEvent.objects.order_by('id')],\n"
        "       'users': sorted([u.username, u.password] for u in User.objects.all()),\n"
        "       'schools': sorted(s.name for s in School.objects.all())}\n"
        "with api.open_archive(Path(sys.argv[1]) / 'archive') as a:\n"
        "    es = a.entries(api.archive_filters(include_disposed=True))\n"
        "    out['entries'] = [e.as_dict() for e in es]\n"
        "    out['files'] = [hashlib.sha256(a.read(e)).hexdigest() for e in es]\n"
        "    out['archive_log'] = [e.hash for e in a.audit_log() if e.action != 'verify']\n"
        "print(json.dumps(out, default=str))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(params=BACKENDS)
def databases(request: pytest.FixtureRequest) -> tuple[str | None, str | None]:
    """The original's and the restore's database URLs (None: the embedded SQLite)."""
    if request.param == "sqlite":
        return None, None
    first: str = request.getfixturevalue("pg_database")
    from tests import pg_support

    return first, pg_support.fresh_database()


def test_a_backup_restores_whole_on_an_empty_machine(
    tmp_path: Path, databases: tuple[str | None, str | None]
) -> None:
    original, restored = databases
    data, backup, again = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    make_data(data, env_for(original))
    before = state(data, env_for(original))
    assert len(before["records"]) >= 5 and len(before["entries"]) == 3 and before["audit"]

    done = run(env_for(original), "backup", str(backup), "--data", str(data))
    assert done.returncode == 0, done.stderr
    assert "apforms backup:" in done.stdout
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == ("sqlite" if original is None else "postgresql")
    stored = [n for n in manifest["files"] if n.startswith("data/archive/files/")]
    assert sorted(Path(n).stem for n in stored) == sorted(e["id"] for e in before["entries"])
    assert oct(backup.stat().st_mode & 0o777) == "0o700"
    assert not list(tmp_path.glob("*.part"))

    done = run(env_for(restored), "restore", str(backup), "--data", str(again))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "the archive and the audit log check clean" in done.stdout
    after = state(again, env_for(restored))
    assert after == before
    assert (again / "secret.key").read_bytes() == (data / "secret.key").read_bytes()


def test_a_changed_backup_is_refused_and_nothing_is_restored(tmp_path: Path) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup"
    make_data(data, env_for(None))
    assert run(env_for(None), "backup", str(backup), "--data", str(data)).returncode == 0
    stored = sorted((backup / "data" / "archive" / "files").glob("*/*.pdf"))[0]
    stored.chmod(0o600)
    stored.write_bytes(stored.read_bytes()[:-1] + b"%")
    done = run(env_for(None), "restore", str(backup), "--data", str(tmp_path / "restored"))
    assert done.returncode == 2, done.stderr
    rel = stored.relative_to(backup).as_posix()
    assert (
        done.stderr.strip()
        == f"apforms: {backup}: {rel} was changed after the backup was made (its hash differs)"
    )
    assert not (tmp_path / "restored").exists() and not list(tmp_path.glob("restored*"))


def test_backup_and_restore_refuse_to_overwrite(tmp_path: Path) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup"
    make_data(data, env_for(None))
    backup.mkdir()
    done = run(env_for(None), "backup", str(backup), "--data", str(data))
    assert done.returncode == 2 and "already exists" in done.stderr and "Traceback" not in done.stderr
    backup.rmdir()
    assert run(env_for(None), "backup", str(backup), "--data", str(data)).returncode == 0
    done = run(env_for(None), "restore", str(backup), "--data", str(data))
    assert done.returncode == 2 and "is not empty" in done.stderr
    not_data = tmp_path / "empty"
    not_data.mkdir()
    done = run(env_for(None), "backup", str(tmp_path / "b2"), "--data", str(not_data))
    assert done.returncode == 2 and "not an apforms data folder" in done.stderr


def test_a_postgresql_backup_goes_only_into_an_empty_postgresql_database(
    tmp_path: Path, pg_database: str
) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup"
    make_data(data, env_for(pg_database))
    assert run(env_for(pg_database), "backup", str(backup), "--data", str(data)).returncode == 0
    done = run(env_for(pg_database), "restore", str(backup), "--data", str(tmp_path / "r1"))
    assert done.returncode == 2 and "is not empty" in done.stderr, done.stderr
    done = run(env_for(None), "restore", str(backup), "--data", str(tmp_path / "r2"))
    assert done.returncode == 2 and "a backup of a postgresql database" in done.stderr, done.stderr
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()

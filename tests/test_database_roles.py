"""A shared PostgreSQL database set up by its owner (``apforms database setup --app-role``): the
web app, connected as that role, works, and cannot edit or remove what the audit logs hold, nor
switch their triggers off, whatever SQL it sends."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.archive_support import foreign_pdf


def env_for(url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "APFORMS_DATABASE_URL"},
        "APFORMS_DATABASE_URL": url,
    }


def as_role(url: str, role: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1]}"


@pytest.fixture
def role(pg_database: str) -> Iterator[str]:
    """A login role of its own (roles are the server's, not one database's), dropped after."""
    import psycopg

    name = f"apforms_app_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN".encode())
    yield name
    with psycopg.connect(pg_database, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {name}".encode())
        conn.execute(f"DROP ROLE {name}".encode())


def test_the_apps_role_uses_the_app_and_cannot_edit_the_audit_logs(
    tmp_path: Path, pg_database: str, role: str
) -> None:
    import psycopg

    data = tmp_path / "data"
    done = subprocess.run(
        [sys.executable, "-m", "apforms", "database", "setup", "--data", str(data), "--app-role", role],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(pg_database),
    )
    assert done.returncode == 0, done.stderr
    assert f"granted {role} its rights" in done.stdout

    # The server's role: the app works (the demo loaded, a look recorded, a copy archived)...
    code = (
        "import sys; from apforms import web; web.configure(sys.argv[1]); web.load_demo()\n"
        "from django.test import RequestFactory; from django.contrib.auth.models import User\n"
        "from apforms.web import audit; from apforms.web.models import Record\n"
        "r = Record.objects.first(); request = RequestFactory().get('/')\n"
        "request.user = User.objects.first()\n"
        "audit.record(request, 'viewed', 'record', r.id, r.school)\n"
        "assert audit.verify() == []\n"
        "import datetime; from pathlib import Path; from apforms import api\n"
        "with api.open_archive(Path(sys.argv[1]) / 'archive', user='a.qureshi') as a:\n"
        "    kept = a.add_bytes(Path(sys.argv[2]).read_bytes(), 'kept.pdf', doc='sla').entry\n"
        "    gone = a.add_bytes(Path(sys.argv[3]).read_bytes(), 'gone.pdf', doc='sla').entry\n"
        "    a.dispose(gone.id, 'Added by mistake', datetime.date(2026, 12, 1), early=True)\n"
        "    assert a.verify().ok\n"
    )
    kept, gone = tmp_path / "kept.pdf", tmp_path / "gone.pdf"
    kept.write_bytes(foreign_pdf("A signed agreement"))
    gone.write_bytes(foreign_pdf("Added by mistake"))
    app = as_role(pg_database, role)
    done = subprocess.run(
        [sys.executable, "-c", code, str(data), str(kept), str(gone)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(app),
    )
    assert done.returncode == 0, done.stderr

    # ...and whatever SQL it sends, the audit log's rows stay as they were written.
    attempts = {
        "UPDATE apforms_web_auditevent SET who = 'someone else'": "permission denied",
        "DELETE FROM apforms_web_auditevent": "permission denied",
        "TRUNCATE apforms_web_auditevent": "permission denied",
        "ALTER TABLE apforms_web_auditevent DISABLE TRIGGER ALL": "must be owner",
        "DROP TABLE apforms_web_auditevent": "must be owner",
        "CREATE TABLE apforms_web_auditevent_copy (id int)": "permission denied",
        "DELETE FROM django_migrations": "permission denied",
        "UPDATE archive_audit SET detail = '{}'": "permission denied",
        "DELETE FROM archive_audit": "permission denied",
        "TRUNCATE archive_audit": "permission denied",
        "ALTER TABLE archive_audit DISABLE TRIGGER USER": "must be owner",
        "UPDATE archive_entries SET signature_status = 'fully_signed'": "permission denied",
        "DELETE FROM archive_entries": "permission denied",
        "UPDATE archive_meta SET value = '1'": "permission denied",
    }
    with psycopg.connect(app, autocommit=True) as conn:
        (events,) = conn.execute("SELECT count(*) FROM apforms_web_auditevent").fetchone() or (0,)
        assert events == 1
        for sql, says in attempts.items():
            with pytest.raises(psycopg.Error) as err:
                conn.execute(sql.encode())
            assert says in str(err.value), (sql, str(err.value))
    with psycopg.connect(pg_database) as conn:
        assert conn.execute("SELECT who FROM apforms_web_auditevent").fetchall() != [("someone else",)]


def test_setup_is_refused_without_a_shared_database_or_with_a_role_that_does_not_exist(
    tmp_path: Path, pg_database: str
) -> None:
    cmd = [sys.executable, "-m", "apforms", "database", "setup", "--data", str(tmp_path / "d")]
    env = {k: v for k, v in os.environ.items() if k != "APFORMS_DATABASE_URL"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2 and "set APFORMS_DATABASE_URL" in done.stderr, done.stderr
    done = subprocess.run(
        [*cmd, "--app-role", "nobody_here"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env_for(pg_database),
    )
    assert done.returncode == 2 and "no such role" in done.stderr and "Traceback" not in done.stderr, (
        done.stderr
    )

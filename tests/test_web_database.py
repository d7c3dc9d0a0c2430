"""Which database the web app uses: its embedded SQLite, or the PostgreSQL server that
``APFORMS_DATABASE_URL`` names; a wrong setting is refused in one line, never with its password."""

from __future__ import annotations

import subprocess
import sys

import pytest

from apforms import database
from apforms.errors import ConfigError
from tests.web_support import django_ready, on_postgresql


def test_the_web_tests_run_on_the_database_they_say() -> None:
    from django.db import connection

    django_ready()
    assert connection.vendor == ("postgresql" if on_postgresql() else "sqlite")


def test_a_postgresql_url_is_read_whole() -> None:
    t = database.parse("postgresql://ap%40team:s3cr%2Ft@db.example.gov.uk:6543/apforms?sslmode=require")
    assert (t.user, t.password, t.host, t.port, t.name) == (
        "ap@team",
        "s3cr/t",
        "db.example.gov.uk",
        6543,
        "apforms",
    )
    assert t.options == {"sslmode": "require"}
    assert t.conninfo() == {
        "dbname": "apforms",
        "sslmode": "require",
        "user": "ap@team",
        "password": "s3cr/t",
        "host": "db.example.gov.uk",
        "port": "6543",
    }
    assert "s3cr" not in t.describe() and "s3cr" not in repr(t)
    socket = database.parse("postgres:///apforms?host=/run/postgresql")
    assert socket.conninfo() == {"dbname": "apforms", "host": "/run/postgresql"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("sqlite:///web.sqlite3", "must be a postgresql:// URL"),
        ("mysql://ap:hunter2hunter2@db/apforms", "must be a postgresql:// URL"),
        ("postgresql://ap:hunter2hunter2@db", "names no database"),
        ("postgresql://ap:hunter2hunter2@db:99999/apforms", "is not a database URL"),
    ],
)
def test_a_wrong_setting_is_refused_by_name_without_its_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        database.parse(url)
    message = str(err.value)
    assert message.startswith(database.ENV) and says in message
    assert "hunter2" not in message and "\n" not in message


def test_serve_on_a_server_that_does_not_answer_says_so_in_one_line(tmp_path: object) -> None:
    env = {
        "APFORMS_DATABASE_URL": "postgresql://ap:hunter2hunter2@127.0.0.1:9/apforms",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "apforms",
            "serve",
            "--data",
            str(tmp_path),
            "--create-admin",
            "a@example.gov.uk",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "database apforms on 127.0.0.1:9" in lines[0] and "hunter2" not in done.stderr

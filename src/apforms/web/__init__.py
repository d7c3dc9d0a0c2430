"""apforms in the browser: a Django app over ``apforms.api``, served by waitress.

``configure(data)`` sets Django up for one data folder (its database, archive and secret key)
and applies the migrations; ``create_admin`` makes the first LA administrator; ``serve``
runs the app until stopped; ``load_demo`` fills a data folder with the fictional examples.
Library code: nothing here prints or exits.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
from pathlib import Path
from typing import Any

from apforms import database
from apforms.errors import ConfigError


#: Where ``apforms serve`` keeps its data when no ``--data`` is given.
def default_data() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("apforms", appauthor=False)) / "web"


_configured: Path | None = None

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def configure(
    data: str | os.PathLike[str] | None = None, behind_https: bool = False, host: str = "127.0.0.1"
) -> Path:
    """Set Django up for the data folder ``data`` (made, private, if new) and bring its
    database up to date. Once per process: a second call with another folder is refused."""
    global _configured
    folder = Path(data) if data is not None else default_data()
    if _configured is not None:
        if folder.resolve() != _configured:
            raise ConfigError(f"the web app is already set up for {_configured}")
        return _configured
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        (folder / "uploads").mkdir(exist_ok=True, mode=0o700)
        (folder / "archive").mkdir(exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(f"{folder}: cannot make the data folder: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"{folder}: the data folder cannot be written")
    import django
    from django.conf import settings

    from apforms.web.settings import settings_for

    target = database.configured()
    if target is not None and importlib.util.find_spec("psycopg") is None:
        raise ConfigError(f"{database.ENV} names PostgreSQL: install apforms[postgresql] (psycopg)")
    hosts = () if host in LOOPBACK or host in ("0.0.0.0", "::") else (host,)
    settings.configure(**settings_for(folder, behind_https, hosts))
    django.setup()
    from django.core.management import call_command
    from django.db import DatabaseError

    try:
        call_command("migrate", verbosity=0, interactive=False)
    except DatabaseError as exc:
        where = target.describe() if target else str(folder / "web.sqlite3")
        raise ConfigError(f"cannot open the web app's {where}: {database.failure(exc, target)}") from None
    if target is None:  # children's records (SQLite gives its WAL files the same mode)
        (folder / "web.sqlite3").chmod(0o600)
    _configured = folder.resolve()
    return _configured


def one_time_password() -> str:
    """A password to give once, to be changed at first sign-in."""
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def create_admin(email: str, password: str | None = None) -> str:
    """Make an LA administrator (``configure`` first); returns the one-time password that
    must be changed at first sign-in. An existing account is refused."""
    from apforms.web import accounts

    return accounts.create_user(email, accounts.LA_ADMIN, None, password)


def has_users() -> bool:
    from django.contrib.auth import get_user_model

    return bool(get_user_model().objects.exists())


def application() -> Any:
    """The WSGI application (``configure`` first)."""
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def serve(host: str = "127.0.0.1", port: int = 8000, threads: int = 8) -> None:
    """Serve the app with waitress until interrupted (``configure`` first)."""
    import logging

    from waitress import serve as waitress_serve

    # waitress warns of every request that waits for a thread; the benchmark's 20 users made
    # 2,000 such lines in 20 s. Kept for errors only.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    from apforms.web.settings import MAX_UPLOAD_BYTES

    waitress_serve(
        application(),
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_UPLOAD_BYTES + 1024 * 1024,
        ident="apforms",
        clear_untrusted_proxy_headers=True,
    )


#: The file that marks a data folder as the demo's own (so that a new demo may replace it).
DEMO_MARK = ".apforms-demo"


def clear_demo(data: str | os.PathLike[str]) -> Path:
    """Empty a demo data folder for a new demo (``configure`` after). A folder holding a
    database that is not the demo's is refused: real records are never replaced."""
    import shutil

    folder = Path(data)
    if (folder / "web.sqlite3").exists() and not (folder / DEMO_MARK).exists():
        raise ConfigError(
            f"{folder} holds a web app's data that is not the demo's; give the demo another folder"
        )
    if folder.exists():
        for name in ("web.sqlite3", "web.sqlite3-wal", "web.sqlite3-shm"):
            (folder / name).unlink(missing_ok=True)
        shutil.rmtree(folder / "archive", ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    (folder / DEMO_MARK).write_text("apforms demo data (fictional)\n", encoding="utf-8")
    return folder


def setup_database(data: str | os.PathLike[str] | None, app_role: str | None = None) -> list[str]:
    """As the shared database's owner: bring the web app's tables and the archive's catalogue
    up to date, and grant ``app_role`` (the role ``apforms serve`` connects as) only what the
    app needs: the audit logs can be read and added to, never changed (:mod:`.roles`). The
    statements granted."""
    from apforms import api

    if database.configured() is None:
        raise ConfigError(f"apforms database setup is for a shared database: set {database.ENV}")
    folder = configure(data)
    api.open_archive(folder / "archive").close()  # its catalogue's tables, made if new
    if app_role is None:
        return []
    from apforms.web import roles

    return roles.grant(app_role)


def check_restored(data: str | os.PathLike[str]) -> list[str]:
    """Problems in a data folder just restored: its archive's ``verify`` (files, catalogue,
    chain) and the web audit log's chain; an empty list when both are clean. Sets Django up
    for ``data`` (once per process)."""
    from apforms import api

    folder = configure(data)
    problems: list[str] = []
    if (folder / "archive").is_dir() and any((folder / "archive").iterdir()):
        with api.open_archive(folder / "archive") as archive:
            report = archive.verify()
            problems += [f"archive: {i[:12]} {kind}" for kind in ("missing", "altered", "unreadable")
                         for i in getattr(report, kind)]  # fmt: skip
            problems += [f"archive: {p}" for p in report.audit_problems]
            problems += [f"archive: {p.message}" for p in report.catalogue_problems]
    from apforms.web import audit

    problems += [f"audit log: {p}" for p in audit.verify()]
    return problems


def demo_folder(data: str | os.PathLike[str]) -> tuple[Path, dict[str, dict[str, str | None]]]:
    """Empty the demo data folder ``data`` and load the demo into it, in a child process (Django
    is set up once per process, and the calling one may be set up for another folder already);
    returns the folder and each demo account's password and two-factor secret (``load_demo``).
    Always in the folder's own SQLite database: fictional pupils never go to a shared server
    that ``APFORMS_DATABASE_URL`` names."""
    import json
    import subprocess
    import sys

    folder = clear_demo(data)
    code = (
        "import sys; from apforms import web; from apforms.safe import json_text; "
        "web.configure(sys.argv[1]); print(json_text(web.load_demo()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        env={k: v for k, v in os.environ.items() if k != database.ENV},
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ConfigError(f"{folder}: the web app's demo could not be loaded: {last[:300]}")
    passwords: dict[str, dict[str, str | None]] = json.loads(done.stdout)
    return folder.resolve(), passwords


def load_demo() -> dict[str, dict[str, str | None]]:
    """Fill the configured data folder with the fictional demo: two schools, an LA
    administrator, an LA officer and a school user, and every example document. Returns, by
    email, each account's ``password`` and ``totp_secret``: LA staff sign in with a code from
    an authenticator, set up for them with that secret (base32; None for the school user).
    Refused if the folder already has users."""
    from apforms.web import demo

    return demo.load()


__all__ = [
    "LOOPBACK",
    "application",
    "configure",
    "create_admin",
    "default_data",
    "has_users",
    "load_demo",
    "serve",
]

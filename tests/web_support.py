"""The web app under test: in this process (Django's test client) and as the real server
(``apforms serve`` in a child process) driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: How Chromium is started: headless, and never reaching for Google's hosts (closed network).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"

_folder: Path | None = None


def django_ready() -> Path:
    """Django set up in this process, once, for a throwaway data folder."""
    global _folder
    from apforms import web

    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="apforms-web-"))
        atexit.register(shutil.rmtree, _folder, True)
        web.configure(_folder / "data")
        from django.test.utils import setup_test_environment

        setup_test_environment()  # as Django's own test runner: the test client's host allowed
    return _folder / "data"


def user(email: str, role: str, school: Any = None, password: str = "correct horse battery staple") -> Any:
    """A signed-up user with a password of their own (no one-time password to change); LA
    staff with an authenticator set up (``TOTPDevice``), as they must have to get in."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apforms.web import accounts

    accounts.create_user(email, role, school, password)
    u = get_user_model().objects.get(username=email.lower())
    u.profile.must_change_password = False
    u.profile.save()
    if u.profile.is_la:
        TOTPDevice.objects.create(user=u, name="test", confirmed=True)
    return u


def signed_in(client: Any, u: Any) -> Any:
    """``client`` signed in as ``u`` past both factors: logged in, and (for a user who needs a
    code) the session marked verified with their authenticator, one made if they have none,
    as ``django_otp.login`` marks it (a code is not typed: a TOTP code cannot be used twice,
    and the tests sign the same user in many times a second)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apforms.web import accounts

    client.force_login(u)
    if accounts.needs_two_factor(u):
        device = accounts.two_factor_device(u) or TOTPDevice.objects.create(
            user=u, name="test", confirmed=True
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def totp_code(secret: str, last_t: int = -1, drift: int = 0) -> tuple[str, int]:
    """The code an authenticator shows for base32 ``secret``, one the server takes after the
    last it took (time step ``last_t``, its drift ``drift``): the step now (with the drift),
    or the next after ``last_t`` (within the one step ahead the server allows). The code and
    its step."""
    import base64

    from django_otp.oath import hotp

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    t = max(last_t + 1, int(time.time()) // 30 + drift)
    return f"{hotp(key, t, 6):06d}", t


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data: Path
    passwords: dict[str, dict[str, str | None]]  # by email: "password", "totp_secret"
    process: subprocess.Popen[bytes]


#: Set by ``test_web_on_postgresql`` for the run of the web tests it starts: every server then
#: gets a database of its own on the tests' PostgreSQL server, as a council team's would be.
ON_POSTGRESQL = "APFORMS_WEB_TESTS_ON_POSTGRESQL"
_databases: dict[Path, str] = {}


def on_postgresql() -> bool:
    return bool(os.environ.get(ON_POSTGRESQL))


def server_env(data: Path) -> dict[str, str]:
    """The environment of an ``apforms`` child for the data folder ``data``: with its own
    PostgreSQL database (made at the first call) when the web tests run on PostgreSQL."""
    env = {k: v for k, v in os.environ.items() if k != "APFORMS_DATABASE_URL"}
    if on_postgresql():
        from tests import pg_support

        if data.resolve() not in _databases:
            _databases[data.resolve()] = pg_support.fresh_database()
        env["APFORMS_DATABASE_URL"] = _databases[data.resolve()]
    return env


def query(data: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows from the database of the server for ``data`` (``%s`` placeholders): what it stored."""
    if on_postgresql():
        import psycopg

        with psycopg.connect(server_env(data)["APFORMS_DATABASE_URL"]) as conn:
            return list(conn.execute(sql.encode(), params).fetchall())  # type: ignore[arg-type]
    import sqlite3

    with sqlite3.connect(data / "web.sqlite3") as db:
        return list(db.execute(sql.replace("%s", "?"), params).fetchall())


def prepare_demo(data: Path) -> dict[str, dict[str, str | None]]:
    """A data folder with the demo loaded (in a child process: Django is set up once per process)."""
    code = (
        "import json, sys; from apforms import web; "
        "web.configure(sys.argv[1]); print(json.dumps(web.load_demo()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data)],
        capture_output=True,
        check=True,
        timeout=120,
        env=server_env(data),
    )
    passwords: dict[str, dict[str, str | None]] = json.loads(out.stdout)
    return passwords


@contextmanager
def running_server(data: Path, extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    cmd = [sys.executable, "-m", "apforms", "serve", "--data", str(data), "--port", str(port), *extra]
    env = {**server_env(data), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:  # until it answers (or has died)
            if proc.poll() is not None:
                raise RuntimeError(
                    f"apforms serve ended: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("apforms serve did not answer within 60 s") from None
                time.sleep(0.05)  # polling for readiness, not waiting for an effect
        proc.port = port  # type: ignore[attr-defined]
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def demo_server() -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="apforms-serve-"))
    try:
        data = folder / "web"
        passwords = prepare_demo(data)
        with running_server(data) as proc:
            yield Server(f"http://127.0.0.1:{proc.port}", data, passwords, proc)  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def launch(playwright: Any) -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def sign_in(page: Any, server: Server, email: str) -> None:
    """Sign in through the real pages: the password, then (LA staff) the code from the
    authenticator, computed here from the demo's secret as an app would show it."""
    account = server.passwords[email]
    page.goto(server.url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", account["password"])
    page.get_by_role("button", name="Sign in").click()
    secret = account["totp_secret"]
    if secret is None:
        return
    assert page.inner_text("h1") == "Enter the code from your authenticator app"
    [(last_t, drift)] = query(  # the step of the last code it took
        server.data,
        "select d.last_t, d.drift from otp_totp_totpdevice d join auth_user u on u.id = d.user_id"
        " where u.username = %s and d.confirmed",
        (email,),
    )
    page.fill("#code", totp_code(secret, last_t, drift)[0])
    page.get_by_role("button", name="Continue").click()


def axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
            "help": v["help"],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]

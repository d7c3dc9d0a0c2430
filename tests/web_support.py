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
    """A signed-up user with a password of their own (no one-time password to change)."""
    from django.contrib.auth import get_user_model

    from apforms.web import accounts

    accounts.create_user(email, role, school, password)
    u = get_user_model().objects.get(username=email.lower())
    u.profile.must_change_password = False
    u.profile.save()
    return u


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data: Path
    passwords: dict[str, str]
    process: subprocess.Popen[bytes]


def prepare_demo(data: Path) -> dict[str, str]:
    """A data folder with the demo loaded (in a child process: Django is set up once per process)."""
    code = (
        "import json, sys; from apforms import web; "
        "web.configure(sys.argv[1]); print(json.dumps(web.load_demo()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(data)], capture_output=True, check=True, timeout=120
    )
    passwords: dict[str, str] = json.loads(out.stdout)
    return passwords


@contextmanager
def running_server(data: Path, extra: tuple[str, ...] = ()) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    cmd = [sys.executable, "-m", "apforms", "serve", "--data", str(data), "--port", str(port), *extra]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
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
    page.goto(server.url + "/sign-in")
    page.fill("#email", email)
    page.fill("#password", server.passwords[email])
    page.get_by_role("button", name="Sign in").click()


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

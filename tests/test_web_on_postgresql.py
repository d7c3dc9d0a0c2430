"""The web app on a council team's shared database: every web test, run again with
``APFORMS_DATABASE_URL`` naming a PostgreSQL database (the in-process tests' one, and one of its
own for each ``apforms serve`` the browser tests start), on the tests' throwaway server.

Django is set up once per process for one database, so the run is a child pytest; its whole
output is shown when it fails. Every test must pass there: a skip is a failure too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests import pg_support
from tests.web_support import ON_POSTGRESQL

ROOT = Path(__file__).resolve().parent.parent


def web_tests() -> list[str]:
    here = Path(__file__).name
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").glob("test_web_*.py") if p.name != here)


def test_every_web_test_passes_on_postgresql(pg_database: str) -> None:
    server = pg_support.server_url()
    assert server is not None
    env = {**os.environ, ON_POSTGRESQL: "1", "APFORMS_DATABASE_URL": pg_database, pg_support.ENV: server}
    tests = web_tests()
    assert len(tests) >= 5, tests
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=-ra", *tests],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    out = done.stdout + done.stderr
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    assert done.returncode == 0, out[-20_000:]
    assert re.search(r"\d+ passed", summary), summary
    assert not re.search(r"skipped|xfail|deselected", summary), out[-5_000:]

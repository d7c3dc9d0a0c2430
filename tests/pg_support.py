"""A throwaway PostgreSQL server for the tests, and a fresh database in it for each user of it.

``.ci/run`` starts one (``python tests/pg_support.py start DIR``) and exports its address as
``APFORMS_TEST_DATABASE_URL``; without that, the first test that needs PostgreSQL starts one
itself from the system's binaries (Debian's ``postgresql`` package), on a loopback port and a
socket in a temporary folder, with trust authentication for loopback only, and stops it at
the end of the run. As root (CI), the server runs as the ``postgres`` user, since PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ENV = "APFORMS_TEST_DATABASE_URL"
SUPERUSER = "apforms"
_started: str | None = None


def binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), newest version first."""
    found = shutil.which("pg_ctl")
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True)
    for folder in candidates:
        if (Path(folder) / "initdb").exists():
            return Path(folder)
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def _version(folder: str) -> int:
    try:
        return int(Path(folder).parent.name)
    except ValueError:
        return 0


def _as_server_user(cmd: list[str]) -> list[str]:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start(folder: Path, durable: bool = False) -> str:
    """Initialise and start a cluster in ``folder``; its superuser's URL (database postgres).
    The tests' server does not sync to disk; ``durable`` (benchmarks) keeps PostgreSQL's own
    settings, as a council's server would run."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL's server programs are not installed (Debian: postgresql)")
    folder.mkdir(parents=True, exist_ok=True)
    data, sock = folder / "data", folder / "socket"
    sock.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sock, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8"]
    _run(initdb + ["--no-sync", "--locale=C.UTF-8"])
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options, "-w", "start"])
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"


def _run(cmd: list[str]) -> None:
    done = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(cmd[0]).name} failed: {(done.stderr or done.stdout).strip()[-500:]}")


def stop(folder: Path) -> None:
    bin_dir = binaries()
    if bin_dir is not None and (folder / "data").exists():
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=60,
        )


def server_url() -> str | None:
    """The test server's superuser URL: ``$APFORMS_TEST_DATABASE_URL``, else one started now
    (once per process, stopped at exit); None if PostgreSQL is not installed."""
    global _started
    if os.environ.get(ENV):
        return os.environ[ENV]
    if _started is None:
        if binaries() is None:
            return None
        folder = Path(tempfile.mkdtemp(prefix="apforms-pg-"))
        os.chmod(folder, 0o755)
        atexit.register(shutil.rmtree, folder, True)
        atexit.register(stop, folder)
        _started = start(folder)
    return _started


def fresh_database(url: str | None = None) -> str:
    """A new, empty database on the test server; its URL."""
    import psycopg

    admin = url or server_url()
    if admin is None:
        raise RuntimeError("no PostgreSQL server for the tests")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


if __name__ == "__main__":  # .ci/run: start DIR | stop DIR
    verb, where = sys.argv[1], Path(sys.argv[2])
    if verb == "start":
        print(start(where))
    else:
        stop(where)

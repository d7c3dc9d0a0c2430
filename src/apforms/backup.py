"""Backup and restore of a data folder: its database (SQLite or PostgreSQL), its archive of
signed copies and its secret key, as one consistent snapshot with a manifest of hashes.

``backup(data, to)`` holds the archive's write lock for the whole copy (writers wait; readers
go on), so the catalogue, its checkpoint and the stored files are of one moment:

- **shared** (``APFORMS_DATABASE_URL``): one ``pg_dump`` of the database (the web app's tables
  and the archive's catalogue in one transaction snapshot), in its custom format;
- **embedded** (SQLite): whichever of ``web.sqlite3`` and ``archive/archive.sqlite3`` the
  folder has, through SQLite's online backup (a consistent copy while the web app runs);
- then the checkpoint, every stored file (each re-hashed against its name: a damaged file is
  refused, not backed up as if sound), and ``secret.key``.

Everything is written into ``<to>.part`` and renamed to ``<to>`` at the end: a backup that
failed leaves nothing. ``manifest.json`` lists every file with its size and SHA-256.

``restore(source, data)`` checks every hash first and refuses a backup with a file missing,
changed or added; then it brings the files back into an empty data folder (again through a
temporary folder) and the database into the embedded files or into an *empty* PostgreSQL
database (``pg_restore --single-transaction``: all or nothing). A backup is restored onto the
kind of database it was made from. Uploads in progress and bulk runs (kept 24 hours) are not
backed up. The backup holds children's records: it is private (folders 0700, files 0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apforms import database
from apforms.archive import backends
from apforms.errors import BackupError
from apforms.safe import json_text

FORMAT = 1
MANIFEST = "manifest.json"
PG_DUMP = "database/apforms.pgdump"
SQLITE_FILES = {"database/web.sqlite3": "web.sqlite3", "database/archive.sqlite3": "archive/archive.sqlite3"}
#: Files copied as they are (relative to the data folder); stored archive files are added.
PLAIN = ("secret.key", "archive/archive.checkpoint")
ARCHIVE_FILES = "archive/files"
LOCK_WAIT_S = 120.0


@dataclass
class Report:
    folder: Path
    database: str  # "sqlite" or "postgresql"
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0


# --------------------------------------------------------------------------- backup


def backup(data: str | os.PathLike[str], to: str | os.PathLike[str]) -> Report:
    """Write a consistent backup of the data folder ``data`` to the new folder ``to``."""
    start = time.monotonic()
    data, to = Path(data), Path(to)
    if not (data / "secret.key").exists():
        raise BackupError(f"{data}: not an apforms data folder (it has no secret.key)")
    if to.exists():
        raise BackupError(f"{to} already exists: give a new folder for the backup")
    target = database.configured()
    part = to.with_name(to.name + ".part")
    if part.exists():
        shutil.rmtree(part)
    try:
        _private_dir(part)
        _private_dir(part / "database")
        with _archive_lock(data):
            if target is not None:
                _pg_dump(target, part / PG_DUMP)
            for inside, original in SQLITE_FILES.items():  # whichever this folder has
                if (data / original).exists():
                    _sqlite_copy(data / original, part / inside)
            files = {f"database/{k}": v for k, v in _hashes(part / "database").items()}
            for name in PLAIN:
                if (data / name).exists():
                    files[f"data/{name}"] = _copy(data / name, part / "data" / name)
            for stored in sorted((data / ARCHIVE_FILES).glob("*/*.pdf")):
                rel = stored.relative_to(data)
                files[f"data/{rel.as_posix()}"] = copied = _copy(stored, part / "data" / rel)
                if copied["sha256"] != stored.stem:
                    raise BackupError(
                        f"{rel}: the stored file does not match its hash (run apforms archive verify)"
                    )
        manifest = {
            "format": FORMAT,
            "apforms": _version(),
            "made_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "database": "sqlite" if target is None else "postgresql",
            "files": files,
        }
        _write(part / MANIFEST, json_text(manifest, sort_keys=True).encode())
        os.replace(part, to)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return Report(
        to,
        str(manifest["database"]),
        len(files),
        sum(f["size"] for f in files.values()),
        time.monotonic() - start,
    )


@contextlib.contextmanager
def _archive_lock(data: Path) -> Iterator[None]:
    """The archive's write lock, held while everything is copied (no add or disposal between
    the catalogue's copy and the files'): the file lock beside SQLite, or the PostgreSQL
    database's advisory lock that writers on every machine take."""
    folder = data / "archive"
    if not folder.is_dir():
        yield
        return
    with backends.writers_locked(folder, LOCK_WAIT_S):
        yield


def _sqlite_copy(source: Path, dest: Path) -> None:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=60)
        try:
            out = sqlite3.connect(dest)
            try:
                src.backup(out)
            finally:
                out.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy {source.name}: {exc}") from None
    dest.chmod(0o600)


def _pg_env(target: database.Target) -> dict[str, str]:
    """libpq's environment for ``target`` (the password never on a command line)."""
    names = {
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "host": "PGHOST",
        "port": "PGPORT",
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in target.conninfo().items():
        env[names.get(key, "PG" + key.upper())] = value
    return env


def pg_program(name: str) -> str:
    """``pg_dump`` or ``pg_restore``: on the PATH, else Debian's newest."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name, reverse=True
    ):
        if (folder / name).exists():
            return str(folder / name)
    raise BackupError(f"{name} is not installed (PostgreSQL's client programs: Debian postgresql-client)")


def _pg_dump(target: database.Target, dest: Path) -> None:
    cmd = [pg_program("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "--file", str(dest)]
    _run(cmd, target, f"cannot dump the {target.describe()}")
    dest.chmod(0o600)


def _run(cmd: list[str], target: database.Target, what: str) -> None:
    try:
        done = subprocess.run(cmd, env=_pg_env(target), capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{what}: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise BackupError(f"{what}: {lines[-1] if lines else f'exit code {done.returncode}'}")


# --------------------------------------------------------------------------- restore


def check(source: str | os.PathLike[str]) -> dict[str, Any]:
    """The backup's manifest, once every file it lists is there with its size and hash and no
    other file is; a :class:`BackupError` naming what is wrong otherwise."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
        listed: dict[str, dict[str, Any]] = manifest["files"]
        kind = manifest["database"]
    except FileNotFoundError:
        raise BackupError(f"{source}: not an apforms backup (it has no {MANIFEST})") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{source}/{MANIFEST} cannot be read: {exc}") from None
    if manifest.get("format") != FORMAT or kind not in ("sqlite", "postgresql"):
        raise BackupError(f"{source}: a backup of another format ({manifest.get('format')}) or kind ({kind})")
    found = _hashes(source, skip=MANIFEST)
    for rel in sorted(set(listed) | set(found)):
        if rel not in found:
            raise BackupError(f"{source}: {rel} is missing from the backup")
        if rel not in listed:
            raise BackupError(f"{source}: {rel} is not in the manifest (added after the backup was made)")
        if found[rel] != listed[rel]:
            raise BackupError(f"{source}: {rel} was changed after the backup was made (its hash differs)")
    return dict(manifest)


def restore(source: str | os.PathLike[str], data: str | os.PathLike[str]) -> Report:
    """Bring the backup ``source`` back into the new or empty data folder ``data`` (and, when
    ``APFORMS_DATABASE_URL`` is set, into that empty PostgreSQL database)."""
    start = time.monotonic()
    source, data = Path(source), Path(data)
    manifest = check(source)
    target = database.configured()
    kind = "sqlite" if target is None else "postgresql"
    if manifest["database"] != kind:
        hint = (
            "set APFORMS_DATABASE_URL to an empty PostgreSQL database"
            if kind == "sqlite"
            else "unset APFORMS_DATABASE_URL"
        )
        raise BackupError(f"{source} is a backup of a {manifest['database']} database: {hint} to restore it")
    if data.exists() and any(data.iterdir()):
        raise BackupError(f"{data} is not empty: restore into a new folder")
    if target is not None:
        _empty_database(target)
    part = data.with_name(data.name + ".restoring")
    if part.exists():
        shutil.rmtree(part)
    try:
        _private_dir(part)
        for rel in manifest["files"]:
            if rel.startswith("data/"):
                inside = rel.removeprefix("data/")
                _copy(source / rel, part / inside, mode=0o400 if inside.startswith(ARCHIVE_FILES) else 0o600)
        for inside, original in SQLITE_FILES.items():
            if inside in manifest["files"]:
                _copy(source / inside, part / original)
        (part / "uploads").mkdir(mode=0o700, exist_ok=True)
        (part / "archive").mkdir(mode=0o700, exist_ok=True)
        if target is not None:  # last: a failure before it leaves the database untouched
            cmd = [pg_program("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction"]
            _run([*cmd, "--exit-on-error", "--dbname", target.name, str(source / PG_DUMP)], target,
                 f"cannot restore into the {target.describe()}")  # fmt: skip
        if data.exists():
            data.rmdir()
        os.replace(part, data)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    files = manifest["files"]
    return Report(data, kind, len(files), sum(f["size"] for f in files.values()), time.monotonic() - start)


def _empty_database(target: database.Target) -> None:
    """Refuse a database that already has tables (a restore never merges into live data)."""
    try:
        import psycopg
    except ImportError:
        raise BackupError(f"{database.ENV} names PostgreSQL: install apforms[postgresql] (psycopg)") from None
    try:
        with psycopg.connect(**target.conninfo(), connect_timeout=10) as conn:  # type: ignore[arg-type]
            row = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            ).fetchone()
    except psycopg.Error as exc:
        raise BackupError(f"cannot open the {target.describe()}: {database.failure(exc, target)}") from None
    if row and row[0]:
        raise BackupError(
            f"the {target.describe()} is not empty ({row[0]} tables): restore into a new database"
        )


# --------------------------------------------------------------------------- helpers


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)


def _copy(source: Path, dest: Path, mode: int = 0o600) -> dict[str, Any]:
    """Copy with fsync; the copy's size and SHA-256, as the manifest lists them."""
    _private_dir(dest.parent)
    digest = hashlib.sha256()
    with (
        source.open("rb") as src,
        open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out,
    ):
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    dest.chmod(mode)
    return {"size": dest.stat().st_size, "sha256": digest.hexdigest()}


def _write(path: Path, data: bytes) -> None:
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _hashes(folder: Path, skip: str = MANIFEST) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(folder).as_posix()
        if rel == skip:
            continue
        if path.is_symlink():
            raise BackupError(f"{folder}: {rel} is a symbolic link (a backup holds only files)")
        with path.open("rb") as fh:
            out[rel] = {"size": path.stat().st_size, "sha256": hashlib.file_digest(fh, "sha256").hexdigest()}
    return out


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("apforms")
    except PackageNotFoundError:
        return "unknown"


__all__ = ["BackupError", "Report", "backup", "check", "restore"]

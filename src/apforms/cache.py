"""Disk caches, so that a one-shot command does not build again what the last one built.

What is kept: definitions and code lists as read from YAML, the fonts' metrics and embedded
subsets, compiled Word templates. Each entry is keyed by what it is built from (a file's
content hash, the options) and by this build of apforms (:func:`build_id`: Python's version
and every module's size and modification time, so a new version, or any edit to the code,
starts afresh), and it is checked before it is used; anything else is rebuilt, never trusted:

- where: ``$APFORMS_CACHE_DIR`` (``off`` turns the cache off; tests set it), else the user's
  cache folder (``platformdirs.user_cache_dir("apforms")``), in ``v1/<kind>/``;
- folders made owner-only (0700); a folder (or file) that is not the user's, is a link, or
  that others may write to is not read from or written to;
- an entry is a header line (the cache format, its key, the SHA-256 and length of what
  follows) and the payload; one whose key, length or checksum differs is ignored, and the
  next write replaces it;
- written whole or not at all: a private temporary file beside it (0600), then renamed;
- payloads are bytes or JSON data, never pickles or code;
- a folder that cannot be made or written (a read-only home, a full disk) only means the
  value is built each time.

Base layer: imports nothing of apforms.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import sys
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

#: The environment variable naming the cache folder (``off``: no disk cache).
ENV = "APFORMS_CACHE_DIR"
#: The layout of entries on disk; a different one is another folder.
FORMAT = "apforms-cache 1"
#: The largest entry read back (the fonts' subsets are the largest, under 1 MB).
MAX_ENTRY = 32 * 1024 * 1024
#: Entries kept per kind: past this, writing one removes the oldest.
MAX_ENTRIES = 256

_PACKAGE = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The cache folder (not made here), or ``None`` when the cache is off."""
    given = os.environ.get(ENV)
    if given is not None:
        return None if given.strip().lower() in ("off", "") else Path(given)
    import platformdirs

    return Path(platformdirs.user_cache_dir("apforms", appauthor=False))


@cache
def build_id() -> str:
    """This build of apforms: Python's version and every module's path, size and time."""
    h = hashlib.sha256(f"{FORMAT}\n{sys.version}\n{sys.implementation.cache_tag}\n".encode())
    for path in sorted(_modules(_PACKAGE)):
        try:
            st = path.stat()
        except OSError:
            continue
        h.update(f"{path.relative_to(_PACKAGE)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _modules(folder: Path) -> list[Path]:
    found: list[Path] = []
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_dir(follow_symlinks=False) and e.name not in ("__pycache__", "static", "templates"):
                found += _modules(Path(e.path))
            elif e.name.endswith(".py"):
                found.append(Path(e.path))
    return found


def installed_key() -> str:
    """What is installed where Python imports from: the folders of ``sys.path``, and the
    modification times of those packages are installed in (installing or removing one changes
    its folder's; apforms' own modules are in :func:`build_id`)."""
    parts = []
    for folder in sys.path:
        when = "-"
        if os.path.basename(folder) in ("site-packages", "dist-packages"):
            with contextlib.suppress(OSError):
                when = str(os.stat(folder).st_mtime_ns)
        parts.append(f"{folder}\0{when}")
    return text_digest("\n".join(parts))


def file_digest(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's content (for a key), remembered per size and time."""
    st = os.stat(path)
    return _digest(os.fspath(path), st.st_size, st.st_mtime_ns)


@cache
def _digest(path: str, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def text_digest(data: str | bytes) -> str:
    """The SHA-256 of some text (for a key)."""
    if isinstance(data, str):
        return "s" + hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()
    return "b" + hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- entries


def get(kind: str, key: str) -> bytes | None:
    """The payload kept for ``key``, or ``None`` (none, off, or not one to trust)."""
    where = _entry(kind, key, make=False)
    if where is None:
        return None
    path, digest = where
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or not _owned(st) or st.st_size > MAX_ENTRY:
                return None
            head = fh.readline(512)
            body = fh.read(MAX_ENTRY)
        except OSError:
            return None
    return _checked(head, body, digest)


def put(kind: str, key: str, payload: bytes) -> None:
    """Keep ``payload`` for ``key`` (whole or not at all; silently not, if it cannot be)."""
    if len(payload) > MAX_ENTRY:
        return
    where = _entry(kind, key, make=True)
    if where is None:
        return
    path, digest = where
    head = f"{FORMAT} {digest} {hashlib.sha256(payload).hexdigest()} {len(payload)}\n".encode()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(head + payload)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        _prune(path.parent)
    except OSError:
        return


def cached(kind: str, key: str, build: Callable[[], bytes]) -> bytes:
    """The payload kept for ``key``, else ``build()``, kept for the next time."""
    found = get(kind, key)
    if found is not None:
        return found
    payload = build()
    put(kind, key, payload)
    return payload


def cached_json(kind: str, key: str, build: Callable[[], Any]) -> Any:
    """Data kept for ``key``, else ``build()``, kept if it is data JSON holds exactly
    (:func:`is_plain`: mappings with text keys, lists, text, numbers, true/false/null, and
    dates), read back as equal values of the same types."""
    found = get(kind, key)
    if found is not None:
        try:
            return _decode(json.loads(found[1:])) if found[:1] == b"T" else json.loads(found[1:])
        except (ValueError, TypeError):  # pragma: no cover - the checksum matched what was written
            pass
    value = build()
    if is_plain(value):
        tagged = _tagged(value)
        put(kind, key, (b"T" if tagged else b"J") + json_bytes(_encode(value) if tagged else value))
    return value


def json_bytes(value: Any) -> bytes:
    """Plain JSON data as an entry's payload (compact ASCII: an entry is never an output)."""
    return json.dumps(value, separators=(",", ":")).encode("ascii")


def is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is data :func:`cached_json` keeps (and reads back equal, with the
    same types): text, booleans, ``None``, integers, finite floats, dates (not times), lists and
    mappings of those (keyed by any of them but lists and mappings), at most 100 levels deep."""
    if depth > 100:
        return False
    t = type(value)
    if t is str or t is bool or value is None or t is date:
        return True
    if t is int:
        return bool(value.bit_length() < 4096)  # far inside what JSON text converts back
    if t is float:
        return math.isfinite(value)
    if t is list:
        return all(is_plain(v, depth + 1) for v in value)
    if t is dict:
        return all(_plain_key(k) and is_plain(v, depth + 1) for k, v in value.items())
    return False


def _plain_key(key: Any) -> bool:
    t = type(key)
    return t is str or t is date or (t is not dict and t is not list and is_plain(key))


# A date is kept as {"\0date": "YYYY-MM-DD"}, a mapping with a key that is not text as
# {"\0map": [[key, value], ...]}; a key of the data that begins with NUL gets one more NUL in
# front, so that no mapping of the data is read back as either.
_DATE, _MAP, _NUL = "\0date", "\0map", "\0"


def _tagged(value: Any) -> bool:
    """Whether ``value`` holds a date or a key that begins with NUL (and so needs encoding)."""
    if type(value) is date:
        return True
    if type(value) is list:
        return any(_tagged(v) for v in value)
    if type(value) is dict:
        return any(type(k) is not str or k.startswith(_NUL) or _tagged(v) for k, v in value.items())
    return False


def _encode(value: Any) -> Any:
    if type(value) is date:
        return {_DATE: value.isoformat()}
    if type(value) is list:
        return [_encode(v) for v in value]
    if type(value) is dict:
        if any(type(k) is not str for k in value):
            return {_MAP: [[_encode(k), _encode(v)] for k, v in value.items()]}
        return {(_NUL + k if k.startswith(_NUL) else k): _encode(v) for k, v in value.items()}
    return value


def _decode(value: Any) -> Any:
    if type(value) is list:
        return [_decode(v) for v in value]
    if type(value) is dict:
        if len(value) == 1 and _DATE in value:
            return date.fromisoformat(value[_DATE])
        if len(value) == 1 and _MAP in value:
            return {_decode(k): _decode(v) for k, v in value[_MAP]}
        return {(k[1:] if k.startswith(_NUL) else k): _decode(v) for k, v in value.items()}
    return value


def _checked(head: bytes, body: bytes, digest: str) -> bytes | None:
    try:
        fmt, _, rest = head.rstrip(b"\n").decode("ascii").rpartition(" ")
        size = int(rest)
        fmt, _, checksum = fmt.rpartition(" ")
        fmt, _, key = fmt.rpartition(" ")
    except (UnicodeDecodeError, ValueError):
        return None
    if fmt != FORMAT or key != digest or size != len(body):
        return None
    if hashlib.sha256(body).hexdigest() != checksum:
        return None
    return body


# --------------------------------------------------------------------------- folders


def _entry(kind: str, key: str, make: bool) -> tuple[Path, str] | None:
    """Where ``key``'s entry of ``kind`` is, and its key digest (``None``: no usable folder)."""
    root = cache_dir()
    if root is None:
        return None
    digest = hashlib.sha256(f"{build_id()}\0{kind}\0{key}".encode()).hexdigest()
    folder = root / "v1" / kind
    if not _usable(root, make) or not _usable(root / "v1", make) or not _usable(folder, make):
        return None
    return folder / f"{digest[:40]}.entry", digest


def _usable(folder: Path, make: bool) -> bool:
    """Whether ``folder`` is the user's own folder that others cannot write to (made 0700
    when ``make`` and absent)."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        if not make:
            return False
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            st = os.lstat(folder)
        except OSError:
            return False
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and _owned(st) and not st.st_mode & 0o022


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or st.st_uid == os.getuid()


def _prune(folder: Path) -> None:
    """The oldest entries removed while there are more than MAX_ENTRIES."""
    try:
        with os.scandir(folder) as it:
            entries = [e for e in it if e.name.endswith(".entry")]
        if len(entries) <= MAX_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
        for e in entries[: len(entries) - MAX_ENTRIES]:
            os.unlink(e.path)
    except OSError:
        return


__all__ = [
    "ENV",
    "build_id",
    "cache_dir",
    "cached",
    "cached_json",
    "file_digest",
    "get",
    "put",
    "text_digest",
]

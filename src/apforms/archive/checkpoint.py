"""The checkpoint file beside a catalogue, and the lock writers take to keep it in step.

The checkpoint (:class:`~apforms.archive.chain.Checkpoint`) is a few lines of JSON sealed by
its own SHA-256, owner-only (0600), replaced atomically. A write holds the lock from before
it reads the chain's head until the checkpoint says where it left it, so two writers never
interleave their checkpoints; the lock is an OS file lock, released if the process dies.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from apforms.archive.chain import Checkpoint
from apforms.errors import ArchiveError

#: The checkpoint's and the writers' lock's files, in the archive's folder.
CHECKPOINT_NAME, LOCK_NAME = "archive.checkpoint", "archive.lock"
_POLL_S = 0.005


class Damaged(Exception):
    """The checkpoint file exists but cannot be trusted (unreadable, damaged or edited)."""


def read(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``; None if there is none; :class:`Damaged` if it is not sound."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise Damaged(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return Checkpoint.parse(text)
    except ValueError as exc:
        raise Damaged(str(exc)) from None


def write(path: Path, checkpoint: Checkpoint, durable: bool = True) -> None:
    """Replace the checkpoint atomically (0600). ``durable``: also fsync the folder, so that the
    rename survives a power cut (needed before a commit; after one, the pending state is safe)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(checkpoint.text())
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


@contextlib.contextmanager
def locked(path: Path, timeout_s: float) -> Iterator[None]:
    """Hold the archive's write lock (the file ``path``), waiting up to ``timeout_s``."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ArchiveError(f"cannot lock the archive ({path}): {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + timeout_s
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise ArchiveError(f"the archive is busy (another process holds {path.name}); try again")
            time.sleep(_POLL_S)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (POSIX; a no-op where folders cannot sync)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = ["CHECKPOINT_NAME", "LOCK_NAME", "Damaged", "locked", "read", "write"]

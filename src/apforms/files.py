"""Writing files so that a crash or an error never leaves a half-written one behind, nothing but a
regular file is ever replaced, and a file that holds a child's data is private.

Every file apforms writes with record content (a rendered form, an ingested record, an SLA, a
manifest) is created with mode :data:`PRIVATE` (0600: its owner alone reads it) unless the
caller asks for another mode (``--mode``, or ``files.mode`` in the configuration). Files with
no record content (a blank form, a template) follow the umask (``mode=None``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from apforms.errors import RenderError

#: The mode of a file holding record content: read and written by its owner only.
PRIVATE = 0o600

#: What a path holds, for the message that refuses to replace it.
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_target(path: str | os.PathLike[str]) -> None:
    """Refuse (RenderError) a path that holds anything but a regular file: a device, a FIFO,
    a folder or a symbolic link is never replaced (``-o /dev/null`` as root would otherwise
    put a child's record where the device was). A missing path or a regular file is fine."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from None
    _refuse_unless_regular(path, st.st_mode)


def _refuse_unless_regular(path: str | os.PathLike[str], st_mode: int) -> None:
    if stat.S_ISREG(st_mode):
        return
    kind = next((name for test, name in _KINDS if test(st_mode)), "not a regular file")
    raise RenderError(f"{path} is {kind}; apforms replaces only regular files: give another file name")


def parse_mode(value: str | int) -> int:
    """A file mode: a number, or its octal spelling (``"0640"``, ``"640"``, ``"0o640"``);
    ValueError unless it is 0600 to 0777 (its owner must read and write it, and nothing but
    permission bits is set)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{type(value).__name__} is not a file mode like 0600 or 0640")
    if isinstance(value, int):
        mode = value
    else:
        s = value.strip().lower().removeprefix("0o")
        if not s or len(s) > 4 or not all(c in "01234567" for c in s):
            raise ValueError(f"{value[:12]!r} is not an octal file mode like 0600 or 0640")
        mode = int(s, 8)
    if not 0 <= mode <= 0o777 or mode & PRIVATE != PRIVATE:
        shown = f"{mode:04o}" if 0 <= mode <= 0o7777 else str(mode)
        raise ValueError(f"{shown}: give a mode from 0600 to 0777 (its owner must read and write the file)")
    return mode


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], mode: int | None = PRIVATE) -> Iterator[BinaryIO]:
    """Open a temporary file beside ``path``; on success fsync and rename it over ``path``.

    The folder is created if missing. On any exception the temporary file is removed and
    ``path`` is untouched. A ``path`` that holds anything but a regular file is refused
    (:func:`check_target`), before writing and again just before the rename. The file gets
    ``mode`` (default :data:`PRIVATE`); ``None``: a replaced file keeps its mode and a new one
    gets what the umask gives.

    The temporary file is made, checked, renamed and removed relative to the folder opened
    once (``dir_fd``), so a folder moved or replaced while the file is written is refused,
    never left with the temporary file in it. Between the last check and the rename the name
    may still be swapped by someone who can write to the folder; rename(2) then replaces that
    name and never writes through it (a link is not followed, a device or FIFO not opened),
    and POSIX has no rename "only over a regular file" that would close the gap.
    """
    target = Path(path)
    check_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = os.open(target.parent, _FOLDER_FLAGS)
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        try:
            fd, tmp = _temporary(folder, target.name)
        except OSError as exc:
            raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
        try:
            os.fchmod(fd, _mode_for(folder, target.name) if mode is None else mode)
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            _check_entry(folder, target)  # a device or link put there, or the folder moved, meanwhile
            os.replace(tmp, target.name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=folder)
            raise
    finally:
        os.close(folder)


#: The folder is opened only to name files in it (O_PATH: search permission is enough).
_FOLDER_FLAGS = getattr(os, "O_PATH", os.O_RDONLY) | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


def _temporary(folder: int, name: str) -> tuple[int, str]:
    """A new private file ``.<name>.<random>.part`` in ``folder``, opened for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = f".{name}.{secrets.token_hex(4)}.part"
        try:
            return os.open(tmp, flags, PRIVATE, dir_fd=folder), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", name)


def _check_entry(folder: int, target: Path) -> None:
    """RenderError if ``target``'s name in ``folder`` holds anything but a regular file, or
    if ``folder`` is no longer the folder at ``target``'s path."""
    with contextlib.suppress(FileNotFoundError):  # not there: nothing to refuse
        _refuse_unless_regular(target, os.stat(target.name, dir_fd=folder, follow_symlinks=False).st_mode)
    try:
        here, opened = os.stat(target.parent), os.fstat(folder)
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
    if (here.st_dev, here.st_ino) != (opened.st_dev, opened.st_ino):
        raise RenderError(
            f"cannot write {target}: its folder was moved or replaced while the file was written"
        )


def _mode_for(folder: int, name: str) -> int:
    """The replaced file's mode, else what the umask gives a new file."""
    try:
        return os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes(path: str | os.PathLike[str], data: bytes, mode: int | None = PRIVATE) -> Path:
    """Write ``data`` to ``path`` atomically, with ``mode`` (see :func:`atomic_writer`)."""
    try:
        with atomic_writer(path, mode) as fh:
            fh.write(data)
    except OSError as exc:
        raise RenderError(f"cannot write {path}: {exc.strerror or exc}") from None
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str, mode: int | None = PRIVATE) -> Path:
    return write_bytes(path, text.encode("utf-8"), mode)

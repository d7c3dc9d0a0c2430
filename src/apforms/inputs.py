"""Reading an input file or stream with its size known before it is read.

A file is opened without blocking (a named pipe with no writer would otherwise wait for ever),
refused unless it is a regular file (a pipe, a device such as ``/dev/zero``, a folder), and
refused if larger than the limit before anything is read; then read in pieces up to one byte
more than the limit, so that a file that grows while it is read is refused too. A stream
(standard input) is read the same way. Nothing here prints or exits: a refusal is the error
class the caller gives, with a one-line reason naming the limit.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

from apforms.errors import ApformsError, IngestError

#: The largest file any command reads: a returned form (PDF, Word, scan) or a record file.
MAX_INPUT_BYTES = 64 * 1024 * 1024
#: The largest record file (JSON) read: a record of every table full is far smaller.
MAX_RECORD_BYTES = 16 * 1024 * 1024
#: Pieces a file or stream is read in.
_CHUNK = 1024 * 1024

#: Opened without waiting for a writer (a named pipe), nor becoming a terminal's reader.
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def size_text(n: int) -> str:
    """A size for people: ``2.0 GB``, ``64 MB``, ``200 KB``, ``512 bytes``."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.1f} {unit}" if value < 10 and value != int(value) else f"{int(value)} {unit}"
    return f"{n} bytes"


def too_large(size: int | None, limit: int) -> str:
    """The one-line reason a file over ``limit`` is refused (``size`` ``None``: not known)."""
    if size is None:
        return f"file too large (more than {size_text(limit)}, the most read)"
    return f"file too large ({size_text(size)}; at most {size_text(limit)})"


def read_input(
    path: str | os.PathLike[str],
    limit: int = MAX_INPUT_BYTES,
    error: type[ApformsError] = IngestError,
) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them; ``error`` (one line)
    for a file that cannot be read, is not a regular file, or is larger than ``limit``."""
    try:
        fd = os.open(
            path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
        )
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        kind = next((name for test, name in _KINDS if test(st.st_mode)), None)
        if kind is not None or not stat.S_ISREG(st.st_mode):
            raise error(f"cannot read {path}: {kind + ', not a file' if kind else 'not a regular file'}")
        if st.st_size > limit:
            raise error(too_large(st.st_size, limit))
        with os.fdopen(os.dup(fd), "rb", buffering=0) as fh:
            return _bounded(fh, limit, error, str(path))
    except OSError as exc:
        raise error(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_stream(
    stream: BinaryIO, limit: int = MAX_INPUT_BYTES, error: type[ApformsError] = IngestError
) -> bytes:
    """At most ``limit`` bytes of ``stream`` (standard input), read to its end; ``error`` if
    there are more."""
    try:
        return _bounded(stream, limit, error, "<stdin>")
    except OSError as exc:
        raise error(f"cannot read <stdin>: {exc.strerror or exc}") from None


def _bounded(fh: BinaryIO, limit: int, error: type[ApformsError], name: str) -> bytes:
    """Read to the end in pieces, refusing as soon as more than ``limit`` bytes have come."""
    parts: list[bytes] = []
    total = 0
    while True:
        piece = fh.read(min(_CHUNK, limit + 1 - total))
        if piece is None:  # a non-blocking stream with nothing yet: not a file apforms reads
            raise error(f"cannot read {name}: nothing to read yet (a pipe or a terminal)")
        if not piece:
            return b"".join(parts)
        parts.append(piece)
        total += len(piece)
        if total > limit:
            raise error(too_large(None, limit))


__all__ = ["MAX_INPUT_BYTES", "MAX_RECORD_BYTES", "read_input", "read_stream", "size_text", "too_large"]

"""Opening a returned PDF safely, and reading its text strings.

Everything that can go wrong with a file becomes an :class:`IngestError` with a one-line
reason: empty, not a PDF, password-protected, damaged beyond reading, unpacking to more than
the limits (:mod:`apforms.formats.pdf.bounds`, whose budget an open PDF carries). What the form says it
is (metadata and footer line) is read by :mod:`apforms.formats.pdf.protocol`.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

import pikepdf

from apforms.errors import IngestError, PasswordRequired
from apforms.formats.pdf import bounds
from apforms.formats.pdf import syntax as ps
from apforms.formats.pdf.protocol import (
    INFO_DOCUMENT,
    INFO_GROW,
    INFO_LAYOUT,
    INFO_ROWS,
    INFO_VERSION,
    FormId,
    info_form_id,
)
from apforms.inputs import MAX_INPUT_BYTES, too_large

# qpdf's notes about damaged files go to the pikepdf logger; ingest reports them as warnings.
logging.getLogger("pikepdf").addHandler(logging.NullHandler())

MAX_BYTES = MAX_INPUT_BYTES


def check_bytes(data: bytes) -> None:
    if not data:
        raise IngestError("empty file")
    if len(data) > MAX_BYTES:
        raise IngestError(too_large(len(data), MAX_BYTES))
    if b"%PDF-" not in data[:1024]:
        kind = _sniff(data)
        raise IngestError(f"not a PDF{f' ({kind})' if kind else ''}")


def _sniff(data: bytes) -> str:
    for magic, kind in (
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"\x89PNG", "a PNG image"),
        (b"PK\x03\x04", "a ZIP file, perhaps a Word document"),
        (b"\xd0\xcf\x11\xe0", "an old Office document"),
        (b"{", "JSON or text"),
    ):
        if data.startswith(magic):
            return kind
    return ""


@contextlib.contextmanager
def open_pdf(data: bytes, password: str | None = None) -> Iterator[pikepdf.Pdf]:
    """The PDF, opened with qpdf (which repairs what it can, and decrypts an AES or RC4
    protected file given its password); refusals as IngestError."""
    check_bytes(data)
    bounds.apply_qpdf_limits()  # nothing qpdf unpacks goes over the limit for one stream
    try:
        pdf = _open(data, password or "")
    except pikepdf.PasswordError:
        if password:
            raise PasswordRequired("wrong password for this password-protected PDF") from None
        raise PasswordRequired("password-protected PDF: give its password (--password)") from None
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        raise bounds.open_limit_error(exc, data, password or "") or IngestError(
            f"damaged PDF, cannot be read ({_first_line(exc)})"
        ) from None
    try:
        with bounds.bounded(pdf, len(data)):  # what it may unpack, in all (formats.pdf.bounds)
            yield pdf
    finally:
        pdf.close()


def _open(data: bytes, password: str = "") -> pikepdf.Pdf:
    """qpdf reads an in-memory file through Python calls; a memory file is read natively
    (about twice as fast), so use one where the system has them."""
    if sys.platform.startswith("linux") and hasattr(os, "memfd_create"):
        fd = os.memfd_create("apforms-ingest", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            return pikepdf.open(
                f"/proc/self/fd/{fd}", password=password, access_mode=pikepdf.AccessMode.stream
            )
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)  # qpdf has its own handle on the file now
    return pikepdf.open(io.BytesIO(data), password=password)


def _first_line(exc: object) -> str:
    """The first line of an error or warning, without the memory file's name."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return re.sub(r"/proc/self/fd/\d+[:,]?\s*", "", line)[:200]


def text_value(obj: Any) -> str | None:
    """A PDF text string or name as str: UTF-16 (either byte order), UTF-8 or PDFDocEncoding."""
    if isinstance(obj, pikepdf.Name):
        try:
            return ps.decode_name(str(obj))
        except UnicodeDecodeError:  # a name that is not UTF-8: as written, its bytes escaped
            return ps.decode_name(bytes(obj.unparse()).decode("latin-1"))
    if not isinstance(obj, pikepdf.String):
        return None
    raw = bytes(obj)
    if raw.startswith(b"\xfe\xff"):
        text = raw[2:].decode("utf-16-be", errors="replace")
    elif raw.startswith(b"\xff\xfe"):
        text = raw[2:].decode("utf-16-le", errors="replace")
    elif raw.startswith(b"\xef\xbb\xbf"):
        text = raw[3:].decode("utf-8", errors="replace")
    else:
        try:
            text = raw.decode("pdfdoc")
        except (UnicodeDecodeError, LookupError):
            text = raw.decode("latin-1")
    return text.rstrip("\x00")


def repairs(pdf: pikepdf.Pdf) -> list[str]:
    """qpdf's notes on a damaged file it had to reconstruct (empty for a sound file; small
    slips such as a page without /Resources do not count)."""
    try:
        notes = [_first_line(w) for w in pdf.get_warnings()]
    except (AttributeError, RuntimeError):
        return []
    damaged = any(k in n.casefold() for n in notes for k in ("damaged", "reconstruct", "startxref", "xref"))
    return [n for n in notes if n] if damaged else []


def identify_metadata(pdf: pikepdf.Pdf) -> FormId | None:
    """The form as the /Info dictionary describes it (``None`` without apforms entries)."""
    try:
        info = pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return None
        keys = (INFO_DOCUMENT, INFO_VERSION, INFO_ROWS, INFO_LAYOUT, INFO_GROW)
        doc, version, rows, layout, grow = (text_value(info.get(f"/{key}")) for key in keys)
    except (pikepdf.PdfError, RuntimeError, ValueError):
        return None
    return info_form_id(doc, version, rows, layout, grow)

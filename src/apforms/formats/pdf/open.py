"""Opening a returned PDF safely, and finding which apforms document (and version) it is.

Everything that can go wrong with a file becomes an :class:`IngestError` with a one-line
reason: empty, not a PDF, password-protected, damaged beyond reading. Identification uses the
document metadata first and then the footer line printed on every page, which survives
flattening and printing to PDF.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pikepdf

from apforms.errors import IngestError
from apforms.formats.pdf import syntax as ps
from apforms.formats.pdf.layout import FOOTER_RE

# qpdf's notes about damaged files go to the pikepdf logger; ingest reports them as warnings.
logging.getLogger("pikepdf").addHandler(logging.NullHandler())

MAX_BYTES = 64 * 1024 * 1024
#: Pages searched for the footer line when the metadata does not say what the form is.
ID_PAGES = 3


@dataclass(frozen=True)
class FormId:
    """What a PDF says it is: document id, definition version, and the row counts of its
    tables and lists (``None`` when unknown)."""

    document: str
    version: str
    rows: tuple[int, ...] | None
    found_in: str  # "metadata" or "footer"


def check_bytes(data: bytes) -> None:
    if not data:
        raise IngestError("empty file")
    if len(data) > MAX_BYTES:
        raise IngestError(
            f"file too large ({len(data) // (1024 * 1024)} MB; at most {MAX_BYTES // (1024 * 1024)} MB)"
        )
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
def open_pdf(data: bytes) -> Iterator[pikepdf.Pdf]:
    """The PDF, opened with qpdf (which repairs what it can); refusals as IngestError."""
    check_bytes(data)
    try:
        pdf = _open(data)
    except pikepdf.PasswordError:
        raise IngestError("password-protected PDF; send an unprotected copy") from None
    except (pikepdf.PdfError, RuntimeError, ValueError, OSError) as exc:
        raise IngestError(f"damaged PDF, cannot be read ({_first_line(exc)})") from None
    try:
        yield pdf
    finally:
        pdf.close()


def _open(data: bytes) -> pikepdf.Pdf:
    """qpdf reads an in-memory file through Python calls; a memory file is read natively
    (about twice as fast), so use one where the system has them."""
    if sys.platform.startswith("linux") and hasattr(os, "memfd_create"):
        fd = os.memfd_create("apforms-ingest", os.MFD_CLOEXEC)
        try:
            os.write(fd, data)
            return pikepdf.open(f"/proc/self/fd/{fd}", access_mode=pikepdf.AccessMode.stream)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)  # qpdf has its own handle on the file now
    return pikepdf.open(io.BytesIO(data))


def _first_line(exc: object) -> str:
    """The first line of an error or warning, without the memory file's name."""
    text = str(exc).strip().splitlines()
    line = text[0] if text else type(exc).__name__
    return re.sub(r"/proc/self/fd/\d+[:,]?\s*", "", line)[:200]


def text_value(obj: Any) -> str | None:
    """A PDF text string or name as str: UTF-16 (either byte order), UTF-8 or PDFDocEncoding."""
    if isinstance(obj, pikepdf.Name):
        return ps.decode_name(str(obj))
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


def identify_metadata(pdf: pikepdf.Pdf) -> FormId | None:
    try:
        info = pdf.trailer.get("/Info")
        if not isinstance(info, pikepdf.Dictionary):
            return None
        doc = text_value(info.get(f"/{ps.INFO_DOCUMENT}"))
        version = text_value(info.get(f"/{ps.INFO_VERSION}"))
        rows = text_value(info.get(f"/{ps.INFO_ROWS}"))
    except (pikepdf.PdfError, RuntimeError, ValueError):
        return None
    if not doc or not version or not re.fullmatch(r"\d+(\.\d+)*", version):
        return None
    return FormId(doc, version, parse_rows(rows), "metadata")


_INFO_BYTES = re.compile(
    rb"/%s\s*\(([a-z][a-z0-9-]*)\)\s*/%s\s*\((\d+(?:\.\d+)*)\)\s*/%s\s*\(([\d.]*)\)"
    % (ps.INFO_DOCUMENT.encode(), ps.INFO_VERSION.encode(), ps.INFO_ROWS.encode())
)


def identify_bytes(data: bytes) -> FormId | None:
    """The metadata apforms writes, found in the raw file: for a damaged file whose trailer
    (and so its link to the metadata) was lost."""
    m = _INFO_BYTES.search(data)
    if not m:
        return None
    return FormId(m.group(1).decode(), m.group(2).decode(), parse_rows(m.group(3).decode()), "metadata")


def repairs(pdf: pikepdf.Pdf) -> list[str]:
    """qpdf's notes on a damaged file it had to reconstruct (empty for a sound file; small
    slips such as a page without /Resources do not count)."""
    try:
        notes = [_first_line(w) for w in pdf.get_warnings()]
    except (AttributeError, RuntimeError):
        return []
    damaged = any(k in n.casefold() for n in notes for k in ("damaged", "reconstruct", "startxref", "xref"))
    return [n for n in notes if n] if damaged else []


def parse_rows(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    if text == "":
        return ()
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        return None
    return tuple(int(x) for x in text.split("."))


def identify_text(text: str) -> FormId | None:
    """The footer line (``apforms:sla:1.0 page 1 of 3 rows 3.2``) in a page's text."""
    m = FOOTER_RE.search(text)
    if not m:
        return None
    return FormId(m.group(1), m.group(2), parse_rows(m.group(5) or ""), "footer")

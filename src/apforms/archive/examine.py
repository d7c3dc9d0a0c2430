"""What a file offered to the archive is: a PDF we accept, which document, and its record.

Refusals (not a PDF, encrypted, empty, too large, damaged, over a limit of what ingest reads)
are :class:`Refused` with a one-line reason; nothing is stored for them. An apforms form is
recognised and read by ``apforms.formats.pdf.read``; any other PDF needs its document named
(``--doc``).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from apforms.errors import ApformsError, IngestError, Refused
from apforms.formats.pdf import bounds
from apforms.formats.pdf.open import repairs
from apforms.formats.pdf.read_fields import read_acroform
from apforms.model.definitions import Definition, document_ids, load_definition

DEFAULT_MAX_SIZE = 50 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
#: PDF readers accept the header anywhere in the first 1024 bytes (ISO 32000-2, 7.5.2 note).
HEADER_WINDOW = 1024


@dataclass
class Examined:
    """What was read from an accepted file."""

    definition: Definition
    detected: bool  # read from an apforms form (else the document was given)
    version: str
    record: dict[str, Any] | None = None
    method: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any] | None:
        return self.record.get("data") if self.record else None


def check_size(size: int, max_size: int) -> None:
    if size == 0:
        raise Refused("empty file")
    if size > max_size:
        raise Refused(f"too large: {_mb(size)} (the limit is {_mb(max_size)}; see --max-size)")


def check_pdf(data: bytes, max_size: int = DEFAULT_MAX_SIZE) -> None:
    """Refuse anything the archive does not keep: empty, too large, not a PDF, encrypted, damaged,
    or over a limit of what is read from a return (ingest's bounds, which run before anything
    else reads the file: pikepdf, pyHanko, PDFium)."""
    check_size(len(data), max_size)
    if PDF_MAGIC not in data[:HEADER_WINDOW]:
        if data.startswith(b"PK\x03\x04"):
            raise Refused(
                "not a PDF (a ZIP file, perhaps a Word document): the archive keeps signed PDF copies; "
                "read a Word return with 'apforms ingest', and archive the signed PDF"
            )
        raise Refused("not a PDF")
    import pikepdf

    logging.getLogger("pikepdf").addHandler(logging.NullHandler())  # refusals are one line of ours
    bounds.apply_qpdf_limits()  # before qpdf unpacks anything (then for every later reader too)
    try:
        with pikepdf.open(io.BytesIO(data), suppress_warnings=True) as pdf, bounds.bounded(pdf, len(data)):
            encrypted = pdf.is_encrypted
            if not encrypted:
                len(pdf.pages)
            # qpdf reconstructs a truncated or corrupted file; a signed copy kept for decades
            # must be the file as signed, so a file that needed repair is refused.
            repaired = repairs(pdf)
            if not encrypted and not repaired:
                _within_bounds(pdf)
    except pikepdf.PasswordError:
        encrypted = True
    except IngestError as exc:  # over a limit: in ingest's words
        raise Refused(str(exc)) from None
    except Exception as exc:  # qpdf names the in-memory file "stream <...>": not for the reason
        limit = bounds.open_limit_error(exc, data)
        if limit is not None:
            raise Refused(str(limit)) from None
        why = re.sub(r"^stream <[^>]*>:?\s*", "", _line(exc)) or type(exc).__name__
        raise Refused(f"damaged PDF: {why}") from None
    if encrypted:
        raise Refused("password-protected (encrypted) PDF: archive an unprotected copy")
    if repaired:
        why = re.sub(r"^stream <[^>]*>:?\s*", "", repaired[0])
        raise Refused(f"damaged PDF (incomplete or corrupted; it had to be repaired to open): {why[:160]}")


def _within_bounds(pdf: Any) -> None:
    """IngestError naming the limit unless what ingest reads is within its bounds: the form's
    fields and their values (as ingest reads them), and everything the pages reach."""
    read_acroform(pdf)
    bounds.check_pages(pdf)


def examine(data: bytes, source: str, doc: str | None = None) -> Examined:
    """Identify the document and read its record (apforms forms) or take ``doc`` (others)."""
    identified = _identify(data)
    if identified is None:
        if doc is None:
            raise Refused(
                f"not an apforms form: say which document it is with --doc ({', '.join(document_ids())})"
            )
        definition = load_definition(doc)
        return Examined(definition, detected=False, version=definition.version)
    doc_id, version = identified
    if doc is not None and doc != doc_id:
        raise Refused(f"this is an apforms {doc_id} form, not {doc}")
    definition = load_definition(doc_id)
    result = Examined(definition, detected=True, version=version)
    from apforms.formats.pdf.read import ingest_pdf

    try:
        ingested = ingest_pdf(data, source)
    except ApformsError as exc:  # IngestError: the signed copy is kept, without a record
        result.warnings.append(f"the form could not be read: {exc}")
        return result
    except Exception as exc:  # a fault in reading must never stop a signed copy being kept
        result.warnings.append(f"the form could not be read ({type(exc).__name__}: {_line(exc)})")
        return result
    result.record = dict(ingested.record)
    result.method = getattr(ingested, "method", None)
    result.warnings.extend(str(w) for w in getattr(ingested, "warnings", ()) or ())
    validation = getattr(ingested, "validation", None)
    problems = getattr(validation, "problems", None) or []
    if problems:
        result.warnings.append(f"the record read from it has {len(problems)} problem(s), e.g. {problems[0]}")
    return result


def _identify(data: bytes) -> tuple[str, str] | None:
    try:
        from apforms.formats.pdf.read import identify_pdf
    except ImportError:  # ingest not installed in this build: every PDF needs --doc
        return None
    try:
        found = identify_pdf(data)
    except ApformsError:  # a PDF ingest cannot open is judged as a foreign PDF
        return None
    return (str(found[0]), str(found[1])) if found else None


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


__all__ = ["DEFAULT_MAX_SIZE", "Examined", "Refused", "check_pdf", "examine"]

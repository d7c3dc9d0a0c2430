"""Returned files → raw values → records.

:func:`ingest_pdf` reads a returned PDF form: it identifies the document, its definition
version and its layout version, reads the values (from the form fields, or from the page by
that layout's geometry when the form was flattened or printed to PDF), converts them through
the definition and validates them. The result is a record file with provenance beside
``data``. Files that cannot be read as an apforms form are refused with an
:class:`~apforms.errors.IngestError` whose message is one line.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pikepdf

from apforms.errors import IngestError, first_line
from apforms.formats.pdf import bounds
from apforms.formats.pdf import layout as layout_2
from apforms.formats.pdf import layout1 as layout_1
from apforms.formats.pdf.actions import active_content
from apforms.formats.pdf.geometry import CHECK, RADIO, SIGNATURE, Layout
from apforms.formats.pdf.open import MAX_BYTES, identify_metadata, open_pdf, repairs
from apforms.formats.pdf.protocol import (
    ID_PAGES,
    FormId,
    check_layout,
    identify_bytes,
    identify_text,
)
from apforms.formats.pdf.read_fields import AcroFormRead, is_on, radio_state, read_acroform
from apforms.formats.pdf.values import FormValue, assemble
from apforms.formats.result import (
    METHOD_FIELDS,
    METHOD_FLATTENED,
    METHOD_SCANNED,
    REPAIRED,
    IngestResult,
    definition_for,
    ingest_result,
    provenance_of,
)
from apforms.inputs import too_large
from apforms.model.definitions import Definition
from apforms.model.types import MAX_ROWS

if TYPE_CHECKING:  # PDFium, numpy and Pillow are imported only for a flattened form or a scan
    from apforms.formats.pdf.read_flat import LayoutFn
    from apforms.formats.pdf.read_scan import ScanImage


@dataclass(frozen=True)
class Geometry:
    """How one layout version lays out a definition: for given row counts and growing boxes
    (what a flattened page is read by), and for the field names a filled form has (every
    field it may name)."""

    layout: LayoutFn
    names_layout: Callable[[Definition, Iterable[str]], Layout]


def _layout_1(definition: Definition, rows: tuple[int, ...] | None, grow: tuple[int, ...] | None) -> Layout:
    return layout_1.layout(definition, rows)  # nothing grew in layout 1


def _check_row_names(names: Iterable[str]) -> None:
    """IngestError for a field named as a row no table has (``targets.999999999``): its
    layout would be made with that many rows."""
    text = "\n".join(names)
    for m in _ROW_NUMBER.finditer(text):
        if len(m[1]) > 9 or int(m[1]) > MAX_ROWS:
            start, end = text.rfind("\n", 0, m.start()) + 1, text.find("\n", m.end())
            name = text[start : end if end >= 0 else len(text)]
            raise IngestError(
                f"a field is named {name[:80]!r}: row {m[1][:12]} of a table (at most {MAX_ROWS})"
            )


_ROW_NUMBER = re.compile(r"\.(\d{3,})(?=[.\n]|$)")


def _names_1(definition: Definition, names: Iterable[str]) -> Layout:
    return layout_1.full_layout(definition)  # every row a table had room for


def _layout_2(definition: Definition, rows: tuple[int, ...] | None, grow: tuple[int, ...] | None) -> Layout:
    return layout_2.layout(definition, rows, grow, 2)  # layout 3's geometry, text unshaped


def _names_2(definition: Definition, names: Iterable[str]) -> Layout:
    return layout_2.names_layout(definition, layout_2.rows_from_names(definition, names, 2), 2)


def _layout_3(definition: Definition, rows: tuple[int, ...] | None, grow: tuple[int, ...] | None) -> Layout:
    return layout_2.layout(definition, rows, grow, 3)


def _names_3(definition: Definition, names: Iterable[str]) -> Layout:
    return layout_2.names_layout(definition, layout_2.rows_from_names(definition, names, 3), 3)


def _layout_4(definition: Definition, rows: tuple[int, ...] | None, grow: tuple[int, ...] | None) -> Layout:
    return layout_2.layout(definition, rows, grow, 4)


def _names_4(definition: Definition, names: Iterable[str]) -> Layout:
    return layout_2.names_layout(definition, layout_2.rows_from_names(definition, names, 4), 4)


#: The geometry of every layout version this apforms reads, by version (see
#: :data:`~apforms.formats.pdf.protocol.KNOWN_LAYOUTS`). A new layout version is added beside
#: the old ones, which stay, so that forms already sent out keep reading.
LAYOUTS: dict[int, Geometry] = {
    1: Geometry(_layout_1, _names_1),
    2: Geometry(_layout_2, _names_2),
    3: Geometry(_layout_3, _names_3),
    4: Geometry(_layout_4, _names_4),
}


def identify_pdf(data: bytes) -> tuple[str, str] | None:
    """(document id, definition version) of an apforms PDF; ``None`` for anything else."""
    try:
        with open_pdf(data) as pdf:
            form_id = _identify(pdf, data) or (identify_bytes(data) if repairs(pdf) else None)
    except IngestError:
        return None
    return (form_id.document, form_id.version) if form_id else None


def ingest_pdf(data: bytes, source: str, password: str | None = None) -> IngestResult:
    """Read a returned apforms PDF into a validated record; IngestError if refused
    (:class:`~apforms.errors.PasswordRequired` for a protected file without its password)."""
    warnings: list[str] = []
    original = data
    with open_pdf(data, password) as pdf:
        encrypted = pdf.is_encrypted
        if encrypted:  # every later reader (PDFium, the raw metadata search) reads a clear copy
            data = _saved(pdf)
            warnings.append("the file was password-protected; it was opened with the password given")
        warnings += active_content(pdf)  # never run: named, whatever the file turns out to be
        # pictures of pages, never read by their (OCR) text layer; a file with form fields or
        # apforms' metadata is not a scan (paper scanned again has neither), and is not
        # rendered to find out
        meta = identify_metadata(pdf)
        scanned = None if meta is not None or _has_fields(pdf) else _scan_pages(pdf, data)
        if scanned is not None:
            return _ingest_scan(scanned, original, source, warnings)
        form_id = meta or _identify(pdf, data)
        repaired = repairs(pdf)
        if form_id is None and repaired:
            form_id = identify_bytes(data)
            if form_id is None:
                raise IngestError(f"damaged PDF, cannot be read ({repaired[0][:160]})")
        if form_id is None:
            word = _word_form_printed(pdf, data, source, warnings)  # a Word form printed to PDF?
            if word is not None:
                return word
            raise IngestError("not an apforms form (no apforms metadata or footer line found)")
        definition = _definition(form_id, warnings)
        geometry = _geometry(form_id)
        page_source = data
        if repaired:
            warnings.append(f"{REPAIRED}; check nothing is missing")
            page_source = _saved(pdf)  # PDFium reads the repaired copy
        read = read_acroform(pdf)
        warnings += read.warnings
        if read.xfa:
            warnings.append("the file has XFA form data; it was ignored and the form fields read instead")
        _check_row_names(read.fields)
        full = geometry.names_layout(definition, read.fields)
        values, signatures = _field_values(full, read, warnings)
        if not values:
            bounds.check_pages(pdf)  # PDFium reads the pages (below): within the limits first
    method = METHOD_FIELDS
    if not values:
        from apforms.formats.pdf.read_flat import read_flattened

        method = METHOD_FLATTENED
        flat = read_flattened(page_source, definition, form_id, geometry.layout)
        values = flat.values
        warnings += flat.warnings
        full = flat.layout or full
        if not any(v not in (None, "", False) for v in values.values()):
            warnings.append(
                "no values were found on the pages: if the form was filled in, its values were not "
                "printed (print it with its form fields shown, e.g. 'Document and markups', or send "
                "the filled PDF itself)"
            )
    provenance = _provenance(source, original, form_id)
    return ingest_result(
        definition, assemble(full, values), warnings, method, form_id.version, provenance, signatures
    )


def _provenance(source: str, original: bytes, form_id: FormId) -> dict[str, object]:
    """Where a return came from and what identified it (the file as it was sent)."""
    return provenance_of(source, original, form_id.version, form_id.found_in, form_layout=form_id.layout)


def _has_fields(pdf: pikepdf.Pdf) -> bool:
    """Whether the file has an interactive form with fields (as apforms forms do)."""
    try:
        form = pdf.Root.get("/AcroForm")
        fields = form.get("/Fields") if isinstance(form, pikepdf.Dictionary) else None
        return isinstance(fields, pikepdf.Array) and len(fields) > 0
    except (pikepdf.PdfError, RuntimeError, ValueError, AttributeError, TypeError):
        return False


def _word_form_printed(
    pdf: pikepdf.Pdf, data: bytes, source: str, warnings: list[str]
) -> IngestResult | None:
    """The hook for a Word form printed to PDF (its footer names it): read by its labels
    (:mod:`apforms.formats.docx.read_pdf`); ``None`` when the pages have no such footer."""
    from apforms.formats.docx import read_pdf

    bounds.check_pages(pdf)
    if read_pdf.identify_word_pdf(data) is None:
        return None
    return read_pdf.ingest_word_pdf(data, source, warnings)


def _scan_pages(pdf: pikepdf.Pdf, data: bytes) -> list[ScanImage] | None:
    """The pages as pictures if the file is a scan (rendered by PDFium, within the limits)."""
    from apforms.formats.pdf.read_scan import scan_pages

    bounds.check_pages(pdf)
    return scan_pages(data)


def ingest_image(data: bytes, source: str) -> IngestResult:
    """Read a returned form scanned to an image file (PNG, JPEG, TIFF; a TIFF's every page)."""
    from apforms.formats.pdf.read_scan import image_pages

    check_image(data)
    return _ingest_scan(image_pages(data), data, source, [])


def check_image(data: bytes) -> None:
    """IngestError for an image file that is empty or too large."""
    if len(data) > MAX_BYTES:
        raise IngestError(too_large(len(data), MAX_BYTES))


def _ingest_scan(images: list[ScanImage], original: bytes, source: str, warnings: list[str]) -> IngestResult:
    """A scan read by OCR and mark detection (:mod:`~apforms.formats.pdf.read_scan`)."""
    from apforms.formats.pdf.read_scan import read_scan as _read_scan
    from apforms.formats.pdf.read_scan import scan_provenance

    scan = _read_scan(images, _definition, lambda form_id: _geometry(form_id).layout)
    said, extra = scan_provenance(scan)
    if scan.layout is None:  # pragma: no cover - read_scan refuses what it cannot lay out
        raise IngestError("the scan could not be read")
    form_id = scan.form_id
    provenance = {**_provenance(source, original, form_id), **extra}
    return ingest_result(
        scan.layout.definition,
        assemble(scan.layout, scan.values),
        warnings + said,
        METHOD_SCANNED,
        form_id.version,
        provenance,
    )


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    try:
        with warnings.catch_warnings():  # qpdf's notes on repaired files become our warnings
            warnings.simplefilter("ignore")
            pdf.save(buf, encryption=False)  # a clear copy for PDFium (a protected file is decrypted)
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:
        damaged = IngestError(f"damaged PDF, cannot be read ({first_line(exc)[:160]})")
        raise bounds.limit_error(exc) or damaged from None
    return buf.getvalue()


def _identify(pdf: pikepdf.Pdf, data: bytes) -> FormId | None:
    found = identify_metadata(pdf)
    if found is not None:
        return found
    from apforms.formats.pdf.read_flat import iter_pages_text

    bounds.check_pages(pdf)  # PDFium reads the pages' text: within the limits first
    for text in iter_pages_text(data, ID_PAGES):
        found = identify_text(text)
        if found is not None:
            return found
    return None


def _definition(form_id: FormId, warnings: list[str]) -> Definition:
    return definition_for(form_id.document, form_id.version, warnings)


def _geometry(form_id: FormId) -> Geometry:
    """The geometry the form was laid out with; IngestError for a layout this apforms does not know."""
    check_layout(form_id)
    return LAYOUTS[form_id.layout]


def _field_values(
    full: Layout, read: AcroFormRead, warnings: list[str]
) -> tuple[dict[str, FormValue], dict[str, bool]]:
    """Field values by full name for the fields of this form; others are counted and ignored."""
    by_name = full.by_name
    values: dict[str, FormValue] = {}
    signatures: dict[str, bool] = {}
    unknown: list[str] = []
    for name, raw in read.fields.items():
        f = by_name.get(name)
        if f is None:
            unknown.append(name)
        elif f.kind == SIGNATURE:
            signatures[name] = raw.signed
        elif f.kind == CHECK:
            values[name] = is_on(raw, warnings, f"{f.tooltip} ({name})")
        elif f.kind == RADIO:
            values[name] = radio_state(raw, warnings, f"{f.tooltip} ({name})")
        else:
            values[name] = raw.value
    if unknown and values:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        warnings.append(f"{len(unknown)} field(s) that are not on this form were ignored: {shown}")
    for name, why in read.damaged.items():  # by the form's label where it is one of the form's
        f = by_name.get(name)
        where = f"{f.tooltip} ({name})" if f else name
        warnings.append(f"{where}: {why}; check it against the returned form")
    return values, signatures


__all__ = [
    "METHOD_FIELDS",
    "METHOD_FLATTENED",
    "METHOD_SCANNED",
    "IngestResult",
    "identify_pdf",
    "ingest_image",
    "ingest_pdf",
]

"""Reading a returned form that has no fields any more: flattened, or printed to PDF.

The layout of the document (the geometry of the layout version the form names, rebuilt from
the definition and the row counts in the footer) says where every field's box is; PDFium
gives the text inside each box and the marks drawn in each tick box and radio button.
Wrapped multi-line values are joined again by undoing the writer's line breaking: a new
paragraph starts lower than a wrapped line does, and
:func:`apforms.formats.pdf.text.soft_join` tells a break at a space from one inside a long word.
Every result is checked by wrapping it again. Text that runs past its box (clipped when
printed) is reported per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pypdfium2 as pdfium

from apforms.errors import IngestError
from apforms.formats.pdf import shape
from apforms.formats.pdf.bounds import PagesMemory
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    MULTILINE,
    RADIO,
    TEXT,
    FormField,
    Layout,
    Rect,
)
from apforms.formats.pdf.protocol import FormId, footer_page, identify_text

#: Lays out a definition for given row counts and growing boxes (``None``: a blank form's),
#: as one layout version does.
from apforms.formats.pdf.read_page import (
    UNREAD,
    FlatRead,
    _Page,
    _where,
)
from apforms.formats.pdf.read_text import (
    _by_characters,
    _multi_line,
    _single_line,
)
from apforms.formats.pdf.text import (
    SHAPED_FROM,
)
from apforms.formats.pdf.values import FormValue
from apforms.model.definitions import Definition

#: Lays out a definition for given row counts and growing boxes (``None``: a blank form's),
#: as one layout version does.
LayoutFn = Callable[[Definition, tuple[int, ...] | None, tuple[int, ...] | None], Layout]


#: Pages beyond the form's own that are searched for its pages (cover sheets, blank pages).
EXTRA_PAGES = 4


def read_flattened(data: bytes, definition: Definition, form_id: FormId, layout: LayoutFn) -> FlatRead:
    """Values of every field of ``definition`` read from the page content of ``data``, where
    ``layout`` (the geometry of the layout version the form says it has) puts them, for the
    row counts and growing boxes the form says it has."""
    out = FlatRead()
    rows = form_id.rows
    if rows is None:
        out.warnings.append("the form's row counts are unknown; the blank form's layout was assumed")
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise IngestError(f"damaged PDF, cannot be read ({exc})") from None
    try:
        marked, unmarked = _footers(doc, definition, form_id, out)
        grow = form_id.grow if form_id.found_in == "metadata" else _grow(marked, form_id, out)
        lay = layout(definition, rows, grow)
        out.layout = lay
        if grow and len(grow) != len(lay.grow):
            out.warnings.append(
                f"the form says {len(grow)} boxes grew where its layout has {len(lay.grow)}; "
                "values may have been read from the wrong boxes"
            )
        pages = _map_pages(lay, marked, unmarked, out)
        for found in pages.values():
            found.reprinted = form_id.found_in != "metadata"
        for f in lay.fields:
            page = pages.get(f.widgets[0].page)
            if page is None:
                continue
            plain = lay.version < SHAPED_FROM
            value = _read_field(page, f, out, lay.value_sizes, plain)
            texty = f.kind in (TEXT, MULTILINE, COMBO)
            if value is not None:
                out.values[f.name] = value
            elif texty and page.text_drawn_in(f.widgets[0].rect):
                kept = ""
                if any(part.isdigit() for part in f.name.split(".")):  # a row of a list or table:
                    out.values[f.name] = UNREAD  # held, so that the rows after it keep their places
                    kept = f"; it is kept as {UNREAD} so that the rows keep their places"
                out.warnings.append(
                    f"{_where(f)}: something is written in the box but could not be read{kept}; check it"
                )
            if texty and not page.reprinted and page.spills(f.widgets[0].rect):
                out.warnings.append(
                    f"{_where(f)}: text runs across the edge of the box (drawn again by other software?); "
                    "the value may be cut or mixed with a neighbouring box's; check it"
                )
            elif texty and page.reprinted and page.straddles(f.widgets[0].rect):
                out.warnings.append(
                    f"{_where(f)}: a word runs across the edge of the box (drawn again by other software); "
                    "the value may be cut or mixed with a neighbouring box's; check it"
                )
            elif texty and not page.reprinted and page.drawn_by_others(f.widgets[0].rect):
                out.warnings.append(
                    f"{_where(f)}: drawn again by other software (not in apforms' fonts), which may have cut "
                    "or run on its text; check it"
                )
            if isinstance(value, str) and "\ufffd" in value:
                out.warnings.append(
                    f"{_where(f)}: some characters could not be read from the page (shown as �)"
                )
            if plain and isinstance(value, str) and shape.has_rtl(value):
                out.warnings.append(
                    f"{_where(f)}: right-to-left text on a form of layout {lay.version} (drawn before "
                    "apforms shaped text) is read in the order PDF readers guess; check it"
                )
    finally:
        doc.close()
    return out


def _footers(
    doc: pdfium.PdfDocument, definition: Definition, form_id: FormId, out: FlatRead
) -> tuple[dict[int, tuple[_Page, FormId]], list[_Page]]:
    """The pages of the file: those whose footer line names this form, by page number (from
    0), and those with no footer line."""
    marked: dict[int, tuple[_Page, FormId]] = {}
    unmarked: list[_Page] = []
    stated = _stated_pages(doc)
    memory = PagesMemory()  # every page is held open: together they are bounded too
    for i in range(min(len(doc), stated + EXTRA_PAGES)):
        try:
            page = doc[i]
            wrapped = _Page(page, page.get_textpage())
        except pdfium.PdfiumError:
            out.warnings.append(f"page {i + 1} is damaged and cannot be read; skipped")
            continue
        memory.check(i + 1)
        text = wrapped.footer_text()
        fid = identify_text(text)
        if fid is None:
            unmarked.append(wrapped)
            continue
        if fid.document != definition.id:
            out.warnings.append(f"page {i + 1} belongs to another form ({fid.document}); skipped")
            continue
        number = footer_page(text)
        if number is not None and number - 1 not in marked:
            marked[number - 1] = (wrapped, fid)
    return marked, unmarked


_OF = re.compile(r"apforms:[a-z0-9-]+:[\d.]+(?: layout \d+)? page \d+ of (\d{1,6})")


def _stated_pages(doc: pdfium.PdfDocument) -> int:
    """How many pages the form says it has (the first footer line found), else the file's."""
    for i in range(min(len(doc), EXTRA_PAGES + 1)):
        try:
            text = doc[i].get_textpage().get_text_range()
        except pdfium.PdfiumError:
            continue
        m = _OF.search(text)
        if m:
            return int(m[1])
    return len(doc)


def _grow(marked: dict[int, tuple[_Page, FormId]], form_id: FormId, out: FlatRead) -> tuple[int, ...] | None:
    """The growing boxes of the whole form from its pages' footer lines, in page order."""
    if form_id.layout < 2:
        return None
    pages = max(marked) + 1 if marked else 0
    grow: list[int] = []
    for n in range(pages):
        if n not in marked or marked[n][1].grow is None:
            out.warnings.append(
                f"page {n + 1} is missing, so the sizes of the boxes after page {n} are unknown; "
                "they were read at their printed size"
            )
            break
        grow += marked[n][1].grow or ()
    return tuple(grow)


def _map_pages(
    lay: Layout, marked: dict[int, tuple[_Page, FormId]], unmarked: list[_Page], out: FlatRead
) -> dict[int, _Page]:
    """The layout's pages found in the file, by the footer line on each page."""
    found = {n: page for n, (page, _) in marked.items() if 0 <= n < len(lay.pages)}
    if not found:  # no footers at all: take the pages in order
        found = dict(enumerate(unmarked[: len(lay.pages)]))
        out.warnings.append("no page carries the apforms footer line; pages were read in order")
    missing = [str(n + 1) for n in range(len(lay.pages)) if n not in found]
    if missing:
        out.warnings.append(
            f"page(s) {', '.join(missing)} of the form are missing; their fields were not read"
        )
    if any(p.scale != 1.0 for p in found.values()):
        out.warnings.append("the pages are not A4 (printed on other paper?); positions were scaled to fit")
    return found


def _read_field(page: _Page, f: FormField, out: FlatRead, sizes: tuple[float, ...], plain: bool) -> FormValue:
    if any(page.ghosts_in(w.rect) for w in f.widgets):
        out.warnings.append(
            f"{_where(f)}: the copy's text layer puts characters here that are drawn elsewhere "
            "(other software flattened it); what was read may include them, check it"
        )
    if not plain and f.kind in (TEXT, COMBO, MULTILINE) and page.shaped:
        return _by_characters(page, f, out, sizes)
    if f.kind in (TEXT, COMBO):
        return _single_line(page, f, out)
    if f.kind == MULTILINE:
        return _multi_line(page, f, out, sizes, plain)
    if f.kind == CHECK:
        return _marked(page, f.widgets[0].rect)
    if f.kind == RADIO:
        chosen = [w.state for w in f.widgets if _marked(page, w.rect)]
        if len(chosen) > 1:
            out.warnings.append(f"{_where(f)}: more than one option is marked; none was taken")
            return None
        return chosen[0] if chosen else None
    return None


def _marked(page: _Page, r: Rect) -> bool:
    """A tick or dot inside the box: a filled shape, a line smaller than the box outline
    (stroked outlines are the box itself), or a glyph such as ✓ or X."""
    bw, bh = r[2] - r[0], r[3] - r[1]
    for m, filled in page.marks:
        mw, mh = m[2] - m[0], m[3] - m[1]
        cx, cy = (m[0] + m[2]) / 2, (m[1] + m[3]) / 2
        if not (r[0] < cx < r[2] and r[1] < cy < r[3]):
            continue
        if mw > bw * 1.15 or mh > bh * 1.15 or mw + mh < 1.0:
            continue
        if filled or not (mw >= bw * 0.9 and mh >= bh * 0.9):
            return True
    inner = (r[0] + 1, r[1] + 1, r[2] - 1, r[3] - 1)
    if page.ghosts_in(inner) and not page.text_drawn_in(inner):
        return False  # the text layer's characters, misplaced: nothing is drawn in the box
    return bool(page.runs_touching(inner)) and bool(page.text_in(inner).strip())


def iter_pages_text(data: bytes, limit: int) -> Iterator[str]:
    """The text of the first ``limit`` pages (for finding the footer line)."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return
    try:
        for i in range(min(limit, len(doc))):
            try:
                page = doc[i]
                text = page.get_textpage().get_text_range()
            except pdfium.PdfiumError:
                continue  # a damaged page has no footer to find
            yield text
    finally:
        doc.close()

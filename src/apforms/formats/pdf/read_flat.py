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

import ctypes
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from apforms.errors import IngestError
from apforms.formats.pdf import shape
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
from apforms.formats.pdf.layout import PAGE_H, PAGE_W
from apforms.formats.pdf.matrix import compose
from apforms.formats.pdf.protocol import FormId, footer_page, identify_text
from apforms.formats.pdf.read_chars import (
    Char,
    best_guess,
    glyph_groups,
    logical_line,
    maybe_mirrored,
    page_chars,
    spaced,
    spans,
)
from apforms.formats.pdf.text import (
    CONTINUED,
    LEADING,
    PAD,
    PARA,
    SHAPED_FROM,
    VALUE_SIZE,
    fit_lines,
    soft_join,
)
from apforms.formats.pdf.values import FormValue
from apforms.model.definitions import Definition

#: Lays out a definition for given row counts and growing boxes (``None``: a blank form's),
#: as one layout version does.
LayoutFn = Callable[[Definition, tuple[int, ...] | None, tuple[int, ...] | None], Layout]

#: What a row's box holds in the record when text is drawn in it but none could be read.
UNREAD = "\ufffd"

#: Pages beyond the form's own that are searched for its pages (cover sheets, blank pages).
EXTRA_PAGES = 4
_MULTISPACE = re.compile(" {2,}")


@dataclass
class FlatRead:
    values: dict[str, FormValue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    layout: Layout | None = None  # the layout the pages were read by


@dataclass
class _Line:
    """A run of text on the page (one of PDFium's text rectangles); its text and baseline
    are read only when a field needs them."""

    index: int
    x0: float
    y0: float
    x1: float
    y1: float
    _text: str | None = None
    _baseline: float | None = None


_BUCKET = 24.0  # points: runs are filed by height on the page for quick lookup


class _Page:
    """One page of the returned file, in the layout's coordinates."""

    def __init__(self, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> None:
        self.page, self.textpage = page, textpage
        self.tp = textpage.raw
        w, h = page.get_size()
        self.scale = 1.0
        self.dx = self.dy = 0.0
        if abs(w - PAGE_W) > 1 or abs(h - PAGE_H) > 1:  # printed on other paper: fitted and centred
            self.scale = min(w / PAGE_W, h / PAGE_H)
            self.dx, self.dy = (w - PAGE_W * self.scale) / 2, (h - PAGE_H * self.scale) / 2
        self._buckets: dict[int, list[_Line]] | None = None
        self._chars: dict[int, list[Char]] | None = None
        self._shaped: bool | None = None
        self.reprinted = False  # set when the file lost apforms' metadata (printed by other software)
        self._marks: list[tuple[Rect, bool]] | None = None
        self._texts: list[tuple[Rect, bool, bool]] | None = None
        self._foreign: list[Rect] | None = None  # text objects not in apforms' fonts
        self._ghosts: list[Rect] | None = None
        self._buf = (ctypes.c_ushort * 4096)()

    def to_page(self, r: Rect) -> Rect:
        s = self.scale
        return (r[0] * s + self.dx, r[1] * s + self.dy, r[2] * s + self.dx, r[3] * s + self.dy)

    def from_page(self, r: Rect) -> Rect:
        s = self.scale
        return ((r[0] - self.dx) / s, (r[1] - self.dy) / s, (r[2] - self.dx) / s, (r[3] - self.dy) / s)

    def text_in(self, r: Rect) -> str:
        """The text of the characters that touch ``r`` (PDFium joins lines with CR LF)."""
        x0, y0, x1, y1 = self.to_page(r)
        return self._bounded(x0, y0, x1, y1)

    def _bounded(self, x0: float, y0: float, x1: float, y1: float) -> str:
        n = pdfium_c.FPDFText_GetBoundedText(self.tp, x0, y1, x1, y0, None, 0)
        if n <= 0:
            return ""
        buf = self._buf if n < len(self._buf) else (ctypes.c_ushort * (n + 1))()
        n = pdfium_c.FPDFText_GetBoundedText(self.tp, x0, y1, x1, y0, buf, len(buf))
        text = ctypes.string_at(buf, n * 2).decode("utf-16-le", errors="replace").rstrip("\x00")
        return text.replace("\x02", "-")  # PDFium marks a hyphen that ends a line as U+0002

    def lines_near(self, y0: float, y1: float) -> list[_Line]:
        """Runs whose vertical extent meets ``y0``..``y1``."""
        if self._buckets is None:
            self._buckets = self._read_rects()
        found: dict[int, _Line] = {}
        for b in range(int(y0 // _BUCKET), int(y1 // _BUCKET) + 1):
            for ln in self._buckets.get(b, ()):
                if ln.y0 <= y1 and ln.y1 >= y0:
                    found[ln.index] = ln
        return [found[i] for i in sorted(found)]

    def footer_text(self) -> str:
        """The text of the bottom of the page, where the footer line is (all the page's text
        if it is not there)."""
        w, h = self.page.get_size()
        text = self._bounded(0, 0, w, min(h, 80.0))
        return text if "apforms:" in text else self.textpage.get_text_range()

    def runs_touching(self, r: Rect) -> list[_Line]:
        """Runs whose rectangle meets ``r`` (geometry only, no text read)."""
        return [ln for ln in self.lines_near(r[1], r[3]) if ln.x0 <= r[2] and ln.x1 >= r[0]]

    def _read_rects(self) -> dict[int, list[_Line]]:
        buckets: dict[int, list[_Line]] = {}
        left, top, right, bottom = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
        for i in range(pdfium_c.FPDFText_CountRects(self.tp, 0, -1)):
            if not pdfium_c.FPDFText_GetRect(self.tp, i, left, top, right, bottom):
                continue
            x0, y0, x1, y1 = self.from_page((left.value, bottom.value, right.value, top.value))
            ln = _Line(i, x0, y0, x1, y1)
            for b in range(int(y0 // _BUCKET), int(y1 // _BUCKET) + 1):
                buckets.setdefault(b, []).append(ln)
        return buckets

    def text(self, ln: _Line) -> str:
        if ln._text is None:
            ln._text = self.text_in((ln.x0, ln.y0, ln.x1, ln.y1))
        return ln._text

    def baseline(self, ln: _Line) -> float:
        """The baseline of a run of text: the origin of a character in it."""
        if ln._baseline is None:
            x0, y0, x1, y1 = self.to_page((ln.x0, ln.y0, ln.x1, ln.y1))
            x, y = ctypes.c_double(), ctypes.c_double()
            ln._baseline = ln.y0
            tol = (y1 - y0) / 2 + 1.0  # a low glyph ('.', '_') is far from the run's middle
            for cx in (x0 + min(0.5, (x1 - x0) / 2), (x0 + x1) / 2, x1 - min(0.5, (x1 - x0) / 2)):
                index = pdfium_c.FPDFText_GetCharIndexAtPos(self.tp, cx, (y0 + y1) / 2, 1.0, tol)
                if index >= 0 and pdfium_c.FPDFText_GetCharOrigin(self.tp, index, x, y):
                    ln._baseline = (y.value - self.dy) / self.scale
                    break
        return ln._baseline

    @property
    def shaped(self) -> bool:
        """Whether the page has text that was shaped (PDFium reorders right-to-left lines by
        its own rules, and a copy printed by other software may have lost the ActualText of
        Indic syllables), so that its values are read character by character and checked."""
        if self._shaped is None:
            text = self.textpage.get_text_range().replace("\r", "").replace("\x02", "-")
            self._shaped = not shape.is_simple(text)
        return self._shaped

    def chars_between(self, y0: float, y1: float) -> list[Char]:
        """The characters drawn on the page (see :func:`read_chars.page_chars`) whose
        baseline may lie between ``y0`` and ``y1``."""
        if self._chars is None:
            self._chars = {}
            for c in page_chars(self.tp, self.from_page):
                self._chars.setdefault(int(c.baseline // _BUCKET), []).append(c)
        return [c for b in range(int(y0 // _BUCKET), int(y1 // _BUCKET) + 1) for c in self._chars.get(b, ())]

    @property
    def marks(self) -> list[tuple[Rect, bool]]:
        """Bounding boxes of the paths drawn on the page (Form XObjects included), each with
        whether it is filled."""
        if self._marks is None:
            paths, texts = _objects(self.page)
            self._marks = [(self.from_page(r), filled) for r, filled in paths]
            self._texts = [(self.from_page(r), nested, ours) for r, nested, ours in texts]
        return self._marks

    @property
    def ghosts(self) -> list[Rect]:
        """Where the text layer has characters that no text object draws (their centres):
        PDFium places the /ActualText of text inside a form XObject at the XObject's own
        coordinates, not where it is drawn, in copies flattened by qpdf or PDFium. Only
        pages with text inside form XObjects are checked."""
        if self._ghosts is None:
            self._ghosts = []
            texts = self.text_objects
            if any(nested for _, nested, _ in texts):
                rows: dict[int, list[Rect]] = {}  # the text objects by height on the page
                for t, _, _ in texts:
                    for b in range(int((t[1] - 1) // _BUCKET), int((t[3] + 1) // _BUCKET) + 1):
                        rows.setdefault(b, []).append(t)
                self.chars_between(0.0, 0.0)  # read the page's characters
                for c in (c for bucket in (self._chars or {}).values() for c in bucket):
                    cx, cy = (c.left + c.right) / 2, c.baseline + 2.0
                    near = rows.get(int(cy // _BUCKET), ())
                    if not any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in near):
                        self._ghosts.append((c.left, c.baseline - 2.5, c.right, c.baseline + 7.5))
        return self._ghosts

    def ghosts_in(self, r: Rect) -> bool:
        """Whether characters the text layer misplaces (see :attr:`ghosts`) touch box ``r``."""
        return any(g[0] < r[2] and g[2] > r[0] and g[1] < r[3] and g[3] > r[1] for g in self.ghosts)

    def line_start(self, r: Rect, baseline: float) -> float:
        """Where the pen started the line at ``baseline`` in box ``r`` (its leftmost
        character's origin)."""
        if self._chars is None:  # the first character there, without reading the whole page
            x, y = ctypes.c_double(), ctypes.c_double()
            px, py, _, _ = self.to_page((r[0] + PAD + 1.0, baseline + 2.5, 0.0, 0.0))
            index = pdfium_c.FPDFText_GetCharIndexAtPos(self.tp, px, py, 2.0 * self.scale, 3.0 * self.scale)
            if index >= 0 and pdfium_c.FPDFText_GetCharOrigin(self.tp, index, x, y):
                ox, oy, _, _ = self.from_page((x.value, y.value, 0.0, 0.0))
                if abs(oy - baseline) < 0.5 and r[0] - 1 < ox < r[0] + PAD + 1.5:
                    return ox
        near = self.chars_between(baseline - 1, baseline + 1)
        found = [c.origin for c in near if abs(c.baseline - baseline) < 0.5 and r[0] - 1 < c.origin < r[2]]
        return min(found) if found else r[0] + PAD

    def drawn_right(self, r: Rect, baseline: float, size: float) -> float | None:
        """Where the text drawn on the line at ``baseline`` in box ``r`` ends (the right edge
        of its text objects; ``None`` when none is there)."""
        ends = [
            t[2]
            for t, _, _ in self.text_objects
            if r[0] - 1 < t[0]
            and t[2] < r[2] + 1
            and baseline - size * 0.7 < t[1] < baseline + size * 0.3
            and t[3] - t[1] < size * 1.6  # one line (software that prints pages may set several in one)
        ]
        return max(ends) if ends else None

    def foreign_flat(self, r: Rect) -> bool:
        """Whether the text in box ``r`` is drawn inside a form XObject (a form flattened by
        other software, which may drop the ``/ActualText`` of shaped syllables)."""
        return any(
            nested and r[0] < (t[0] + t[2]) / 2 < r[2] and r[1] < (t[1] + t[3]) / 2 < r[3]
            for t, nested, _ in self.text_objects
        )

    def unread_text(self, r: Rect, baselines: list[float], size: float) -> bool:
        """Whether text is drawn in box ``r`` on a line other than those read (``baselines``):
        PDFium gives no characters for some text in form XObjects (a form flattened by qpdf)."""
        for t, _, _ in self.text_objects:
            if not (r[0] < (t[0] + t[2]) / 2 < r[2] and r[1] < (t[1] + t[3]) / 2 < r[3]) or t[2] - t[0] < 0.5:
                continue
            if not any(b - size * 0.7 < t[1] < b + size * 0.85 for b in baselines):  # marks set high too
                return True
        return False

    def spills(self, r: Rect) -> bool:
        """Whether text drawn across box ``r`` does not stay inside it: a value running out of
        its box, or another's running in. apforms never draws so; other software that draws
        values again may, and the text is then read in the wrong box."""
        for t, _, _ in self.text_objects:
            across = min(t[2], r[2]) - max(t[0], r[0]) > 2 and min(t[3], r[3]) - max(t[1], r[1]) > 2
            if across and (t[0] < r[0] - 1.5 or t[2] > r[2] + 1.5 or t[1] < r[1] - 1.5 or t[3] > r[3] + 1.5):
                return True  # runs out, or runs in
        return False

    def drawn_by_others(self, r: Rect) -> bool:
        """Whether text in box ``r`` is set in a font that is not apforms' (drawn again by
        other software, which neither wraps nor shapes as apforms does)."""
        if self._foreign is None:
            self._foreign = [t for t, _, ours in self.text_objects if not ours]
        return any(r[0] < (t[0] + t[2]) / 2 < r[2] and r[1] < (t[1] + t[3]) / 2 < r[3] for t in self._foreign)

    @property
    def text_objects(self) -> list[tuple[Rect, bool, bool]]:
        """The page's text objects: box, inside a form XObject, set in apforms' fonts."""
        if self._texts is None:
            _ = self.marks  # read with the paths, in one pass over the page's objects
        return self._texts or []

    def text_drawn_in(self, r: Rect) -> bool:
        """Whether a text object is drawn inside ``r`` (whether or not PDFium gives its text)."""
        return any(
            r[0] < (t[0] + t[2]) / 2 < r[2] and r[1] < (t[1] + t[3]) / 2 < r[3] and t[2] - t[0] > 0.5
            for t, _, _ in self.text_objects
        )


def _objects(page: pdfium.PdfPage) -> tuple[list[tuple[Rect, bool]], list[tuple[Rect, bool, bool]]]:
    """The paths drawn on the page (with whether each is filled) and the text objects (with
    whether each is inside a form XObject, and whether it is set in one of apforms' fonts)."""
    paths: list[tuple[Rect, bool]] = []
    texts: list[tuple[Rect, bool, bool]] = []
    identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    _collect(pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject, page.raw, identity, paths, texts, 0)
    return paths, texts


def _collect(
    count: Any,
    get: Any,
    parent: Any,
    m: tuple[float, ...],
    out: list[tuple[Rect, bool]],
    texts: list[tuple[Rect, bool, bool]],
    depth: int,
) -> None:
    if depth > 8:
        return
    left, bottom, right, top = ctypes.c_float(), ctypes.c_float(), ctypes.c_float(), ctypes.c_float()
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    for i in range(count(parent)):
        obj = get(parent, i)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                pdfium_c.FPDFPath_GetDrawMode(obj, fill, stroke)
                box = _transform(m, (left.value, bottom.value, right.value, top.value))
                out.append((box, fill.value != 0))
        elif kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            if pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                box = _transform(m, (left.value, bottom.value, right.value, top.value))
                texts.append((box, depth > 0, _our_font(obj)))
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            fm = pdfium_c.FS_MATRIX()
            pdfium_c.FPDFPageObj_GetMatrix(obj, fm)
            inner = compose((fm.a, fm.b, fm.c, fm.d, fm.e, fm.f), m)
            _collect(
                pdfium_c.FPDFFormObj_CountObjects,
                pdfium_c.FPDFFormObj_GetObject,
                obj,
                inner,
                out,
                texts,
                depth + 1,
            )


_OUR_FONTS = ("DejaVuSans", "NotoSans")
_FONT_NAME = ctypes.create_string_buffer(128)


def _our_font(obj: Any) -> bool:
    """Whether a text object is set in one of apforms' fonts (a value drawn again by other
    software, such as qpdf making appearances, is set in its own: Helvetica)."""
    font = pdfium_c.FPDFTextObj_GetFont(obj)
    if not font:
        return False
    n = pdfium_c.FPDFFont_GetBaseFontName(font, _FONT_NAME, len(_FONT_NAME))
    name = _FONT_NAME.raw[: max(0, min(n, len(_FONT_NAME)) - 1)].decode("latin-1", "replace")
    return any(f in name for f in _OUR_FONTS)


def _transform(m: tuple[float, ...], r: Rect) -> Rect:
    xs, ys = [], []
    for x, y in ((r[0], r[1]), (r[2], r[1]), (r[0], r[3]), (r[2], r[3])):
        xs.append(m[0] * x + m[2] * y + m[4])
        ys.append(m[1] * x + m[3] * y + m[5])
    return (min(xs), min(ys), max(xs), max(ys))


# --------------------------------------------------------------------------- reading


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
    for i in range(min(len(doc), stated + EXTRA_PAGES)):
        try:
            page = doc[i]
            wrapped = _Page(page, page.get_textpage())
        except pdfium.PdfiumError:
            out.warnings.append(f"page {i + 1} is damaged and cannot be read; skipped")
            continue
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


_OF = re.compile(r"apforms:[a-z0-9-]+:[\d.]+(?: layout \d+)? page \d+ of (\d+)")


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


def _where(f: FormField) -> str:
    return f"{f.tooltip} ({f.name})"


def _single_line(page: _Page, f: FormField, out: FlatRead) -> str | None:
    r = f.widgets[0].rect
    runs = page.runs_touching(r)
    if not runs:
        return None
    text = page.text_in(r)
    if not text.strip():
        return None
    # A value that fits ends at least PAD inside its box; a glyph at the edge was cut off.
    edge = (r[2] - 1.0, r[1] + 1, r[2] - 0.3, r[3] - 1)
    if any(ln.x1 > edge[0] for ln in runs) and page.text_in(edge).strip():
        out.warnings.append(
            f"{_where(f)}: the text runs past its box and was clipped; the value may be incomplete"
        )
    return _spaces(" ".join(part.strip() for part in text.replace("\r\n", "\n").split("\n")).strip())


def _by_characters(page: _Page, f: FormField, out: FlatRead, sizes: tuple[float, ...]) -> str | None:
    """A text value read character by character, on a page with shaped text: each line's
    characters left to right (visual order), put into logical order by the bidi algorithm,
    and confirmed by shaping the result again and comparing it with the page (a line that
    does not compare is flagged)."""
    r = f.widgets[0].rect
    rows: dict[float, list[Char]] = {}
    marks: list[Char] = []
    for c in page.chars_between(r[1] - sizes[0], r[3] + sizes[0]):
        if not r[0] <= (c.left + c.right) / 2 <= r[2]:
            continue
        if unicodedata.category(c.text)[0] == "M":  # set above or below its letter's line
            marks.append(c)
        elif r[1] < c.baseline < r[3]:
            key = next((b for b in rows if abs(b - c.baseline) < 0.5), c.baseline)
            rows.setdefault(key, []).append(c)
    for c in marks:  # a mark goes with the nearest line (lines are a line height apart)
        near = min(rows, key=lambda b: abs(b - c.baseline), default=None)
        if near is not None and abs(near - c.baseline) < sizes[0] * LEADING / 2:
            rows[near].append(c)
        elif r[1] < c.baseline < r[3]:
            rows.setdefault(c.baseline, []).append(c)
    if not rows:
        return None
    lines: list[tuple[float, str]] = []
    continued: list[bool] = []
    origins: list[float] = []
    doubtful = False
    for base in sorted(rows, reverse=True):
        row = sorted(rows[base], key=lambda c: (round(c.left, 2), c.index))
        if maybe_mirrored(page.tp, row):
            doubtful = True
        if page.reprinted:  # other software's spaces may be dropped or misplaced: put back by gaps
            row = spaced([c for c in row if c.text != " "])
        groups = glyph_groups(row)
        logical = logical_line(groups)
        origins.append(min((c.origin for c in row if c.index >= 0), default=r[0] + PAD))
        continued.append(origins[-1] - origins[0] > CONTINUED / 2)  # printers move the page a little
        if logical is not None and not spans(
            page.drawn_right(r, base, sizes[0]), origins[-1], logical, sizes[0]
        ):
            logical = None  # the right characters, but not as wide as the line drawn
        if logical is None or shape.order_uncertain(logical):
            # not confirmed; or right-to-left text beside numbers, Latin or brackets, which
            # two different strings can draw alike ("שלום 123" and "123 שלום")
            doubtful = True
            logical = logical or best_guess(groups)
        lines.append((base, logical))
    if not lines:
        return None
    if page.unread_text(r, [b for b, _ in lines], sizes[0]):
        doubtful = True
    if doubtful:
        out.warnings.append(
            f"{_where(f)}: its text cannot be read back for certain from the page (right-to-left "
            "text beside numbers, Latin letters, brackets or marks, or a character the page does not "
            "place); check it"
        )
    elif (page.reprinted or page.foreign_flat(r)) and not all(shape.is_simple(t) for _, t in lines):
        out.warnings.append(
            f"{_where(f)}: read from a copy printed by other software, which keeps the glyphs of "
            "shaped scripts (Arabic, Hebrew, Indic, Ethiopic, Chinese) but not always their text; check it"
        )
    if f.kind != MULTILINE:
        return _spaces(" ".join(t.strip() for _, t in lines).strip()) or None
    text, _ = _unwrap(lines, r, sizes, False, continued)
    if text is None:
        out.warnings.append(
            f"{_where(f)}: line breaks could not be recovered exactly; lines were joined with spaces"
        )
        return " ".join(t for _, t in lines)
    return text


@dataclass(frozen=True)
class _Run:
    baseline: float
    x0: float
    x1: float
    height: float
    text: str


def _runs_in(page: _Page, r: Rect) -> list[_Run]:
    """The runs of text whose baseline lies in the box, cut to its width (a re-printed file
    may run the text of neighbouring table cells together). Runs of one line that overlap
    (a re-print splits a word where an accent's box reaches over the next letter) are read
    once, as one: read each, the letters they share would be read twice."""
    spans: list[tuple[float, float, float, float, float]] = []  # baseline, x0, y0, x1, y1
    for ln in page.lines_near(r[1], r[3]):
        if not (ln.x0 < r[2] and ln.x1 > r[0]):
            continue
        base = page.baseline(ln)
        if not r[1] < base < r[3]:
            continue
        spans.append((base, ln.x0, ln.y0, ln.x1, ln.y1))
    spans.sort(key=lambda sp: (-round(sp[0], 1), sp[1]))
    merged: list[list[float]] = []
    for base, x0, y0, x1, y1 in spans:
        last = merged[-1] if merged else None
        if last is not None and abs(last[0] - base) < 0.5 and x0 < last[3] + 0.5:
            last[1], last[2], last[3], last[4] = (
                min(last[1], x0),
                min(last[2], y0),
                max(last[3], x1),
                max(last[4], y1),
            )
        else:
            merged.append([base, x0, y0, x1, y1])
    out = []
    for base, x0, y0, x1, y1 in merged:
        cut_left, cut_right = x0 < r[0] - 0.5, x1 > r[2] + 0.5
        x0, x1 = (max(x0, r[0] + 0.5) if cut_left else x0), (min(x1, r[2] - 0.5) if cut_right else x1)
        text = page.text_in((x0, y0, x1, y1))
        if text.strip():
            out.append(_Run(base, x0, x1, y1 - y0, text.strip("\r\n")))
    return out


def _multi_line(
    page: _Page, f: FormField, out: FlatRead, sizes: tuple[float, ...], plain: bool
) -> str | None:
    r = f.widgets[0].rect
    runs = _runs_in(page, r)
    if not runs:
        return None
    lines = _group_lines(runs)
    continued = None if plain else _continued(page, r, lines)
    text, size = _unwrap(lines, r, sizes, plain, continued)
    if not plain and page.unread_text(r, [b for b, _ in lines], size):
        out.warnings.append(f"{_where(f)}: some of the text in the box could not be read; check it")
    if _overflows(page, r, lines, size):
        out.warnings.append(
            f"{_where(f)}: the text runs past its box and was clipped; the value may be incomplete"
        )
    if text is None and (measured := _join_by_measure(runs, r)) is not None:
        out.warnings.append(
            f"{_where(f)}: drawn by other software; its line breaks were told from soft wraps "
            "by measuring the text against its box; check them"
        )
        return measured
    if text is None:
        out.warnings.append(
            f"{_where(f)}: line breaks could not be recovered exactly; lines were joined with spaces"
        )
        return " ".join(t for _, t in lines)
    return text


def _join_by_measure(runs: list[_Run], r: Rect) -> str | None:
    """Lines another program wrapped, joined again by measuring them against the box: a line
    that ends with room left for the next line's first word ended where the writer pressed
    Enter; one without that room was wrapped. A wider gap between baselines is an empty line.
    ``None`` when the lines are not evenly spaced (not one block of text)."""
    groups: list[list[_Run]] = []
    for run in sorted(runs, key=lambda run: (-round(run.baseline, 1), run.x0)):
        if groups and abs(groups[-1][0].baseline - run.baseline) < 0.5:
            groups[-1].append(run)
        else:
            groups.append([run])
    lines = [
        (
            g[0].baseline,
            min(x.x0 for x in g),
            max(x.x1 for x in g),
            _spaces(" ".join(x.text for x in g)).strip(),
        )
        for g in groups
    ]
    if len(lines) < 2:
        return None
    gaps = [a[0] - b[0] for a, b in zip(lines, lines[1:], strict=False)]
    lead = min(gaps)
    if lead <= 0:
        return None
    text = lines[0][3]
    right = r[2] - PAD
    for (_, _, end, _), (_, nx0, nx1, nxt), gap in zip(lines, lines[1:], gaps, strict=False):
        extra = round(gap / lead) - 1
        if extra < 0 or abs(gap - (extra + 1) * lead) > lead * 0.25:
            return None
        per_char = (nx1 - nx0) / max(len(nxt), 1)
        first = len(nxt.split(" ", 1)[0]) * per_char
        if extra or right - end - 1.0 >= per_char + first:  # a point of slack: page widths
            text += "\n" * (extra + 1) + nxt
        else:
            text += " " + nxt
    return text


def _continued(page: _Page, r: Rect, lines: list[tuple[float, str]]) -> list[bool]:
    """Which lines go on with a word broken on the line before (layout 3 sets them a little to
    the right). Only a line after one with no space can: a broken word's pieces have none."""
    lead = VALUE_SIZE * LEADING
    out = [False] * len(lines)
    first: float | None = None
    for i in range(1, len(lines)):
        (y0, prev), (y1, _) = lines[i - 1], lines[i]
        if " " in prev or abs(y0 - y1 - lead) > VALUE_SIZE * 0.15:  # a space, or a new paragraph
            continue
        if first is None:  # not r[0] + PAD: a printer moves the page a little
            first = page.line_start(r, lines[0][0])
        out[i] = page.line_start(r, y1) - first > CONTINUED / 2
    return out


def _overflows(page: _Page, r: Rect, lines: list[tuple[float, str]], size: float) -> bool:
    """Whether the value goes on below its box: text on the next line of its grid (clipped
    from view, but still in the text layer)."""
    last = lines[-1][0]
    for below in (last - size * LEADING, last - size * (LEADING + PARA)):
        for ln in page.lines_near(below - 1, below + 1):
            if ln.x0 < r[0] + 1.2 or ln.x1 > r[2] + 1 or abs(page.baseline(ln) - below) >= 0.2:
                continue
            if page.text(ln).strip():
                return True
    return False


def _group_lines(runs: list[_Run]) -> list[tuple[float, str]]:
    """Runs on the same baseline joined into lines, top first: (baseline, text). Runs that
    touch are one word (a re-printed file splits text where it changes font)."""
    groups: list[list[_Run]] = []
    for run in sorted(runs, key=lambda run: (-round(run.baseline, 1), run.x0)):
        if groups and abs(groups[-1][0].baseline - run.baseline) < 0.5:
            groups[-1].append(run)
        else:
            groups.append([run])
    out = []
    for group in groups:
        text = group[0].text
        for prev, run in zip(group, group[1:], strict=False):
            touching = run.x0 - prev.x1 < 0.25 * max(prev.height, run.height)
            text += run.text if touching else " " + run.text
        # no value's line ends in a space (the writer breaks lines at spaces, and validation
        # drops a line's trailing spaces): one here is the extraction's, before the next cell
        out.append((group[0].baseline, _spaces(text).rstrip(" ")))
    return out


def _spaces(text: str) -> str:
    """Extraction doubles a space where a re-printed file switches fonts; one is meant."""
    return _MULTISPACE.sub(" ", text)


def _unwrap(
    lines: list[tuple[float, str]],
    r: Rect,
    value_sizes: tuple[float, ...],
    plain: bool,
    continued: list[bool] | None = None,
) -> tuple[str | None, float]:
    """The value whose wrapping gives these lines (see :func:`fit_lines`), or ``None``; and
    the font size it was set in.

    The first baseline gives the font size; the gaps between baselines say where a
    paragraph ended (a wider gap) and how many empty paragraphs were between.
    """
    w, h = r[2] - r[0] - 2 * PAD, r[3] - r[1] - 2 * PAD
    first = lines[0][0]
    sizes = sorted(value_sizes, key=lambda s: abs(r[3] - PAD - s * 0.93 - first))
    for size in sizes[:2]:
        text = _join(lines, w, size, plain, continued)
        if text is None:
            continue
        fitted, paras = fit_lines(text, w, h, value_sizes, plain)
        got = [line.rstrip() for p in paras for line in p if line.strip()]
        if fitted == size and got == [t.rstrip() for _, t in lines]:
            return text, size
    return None, sizes[0]


def _join(
    lines: list[tuple[float, str]], w: float, size: float, plain: bool, continued: list[bool] | None = None
) -> str | None:
    """The lines joined again: a line of the same paragraph after a space, or straight on
    where it goes on with a broken word (from layout 3 such a line starts
    :data:`~apforms.formats.pdf.text.CONTINUED` to the right; before, guessed from widths)."""
    lead, para = size * LEADING, size * (LEADING + PARA)
    tol = size * 0.15
    text = lines[0][1]
    for i, ((y0, prev), (y1, nxt)) in enumerate(zip(lines, lines[1:], strict=False), start=1):
        gap = y0 - y1
        if abs(gap - lead) < tol:
            if continued is not None:
                text += ("" if continued[i] else " ") + nxt
            else:
                text += soft_join(prev, nxt, w, size, plain) + nxt
            continue
        breaks = round(gap / para)
        if breaks < 1 or abs(gap - breaks * para) > tol * breaks:
            return None
        text += "\n" * breaks + nxt
    return text


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

"""A page of a flattened or printed return as the readers see it: its text runs, characters,
drawn marks and text objects, in the layout's coordinates (see :mod:`.read_flat`)."""

from __future__ import annotations

import ctypes
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from apforms.formats.pdf import shape
from apforms.formats.pdf.geometry import (
    FormField,
    Layout,
    Rect,
)
from apforms.formats.pdf.layout import PAGE_H, PAGE_W
from apforms.formats.pdf.matrix import compose
from apforms.formats.pdf.read_chars import (
    Char,
    page_chars,
)
from apforms.formats.pdf.text import (
    PAD,
)
from apforms.formats.pdf.values import FormValue

#: Lays out a definition for given row counts and growing boxes (``None``: a blank form's),
#: as one layout version does.

#: What a row's box holds in the record when text is drawn in it but none could be read.
UNREAD = "\ufffd"


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


def _span(y0: float, y1: float) -> range:
    """The buckets a vertical extent meets, kept to the page and a page's height around it:
    a hostile page's text a mile high (or of no size at all) must not fill millions of them."""
    lo = min(max(y0, -PAGE_H), 2 * PAGE_H) if math.isfinite(y0) else 0.0
    hi = min(max(y1, -PAGE_H), 2 * PAGE_H) if math.isfinite(y1) else 0.0
    return range(int(lo // _BUCKET), int(hi // _BUCKET) + 1)


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
            if not self.scale > 0:  # a page of no size (a damaged box): read as it is
                self.scale, w, h = 1.0, PAGE_W, PAGE_H
            self.dx, self.dy = (w - PAGE_W * self.scale) / 2, (h - PAGE_H * self.scale) / 2
        self._buckets: dict[int, list[_Line]] | None = None
        self._chars: dict[int, list[Char]] | None = None
        self._shaped: bool | None = None
        self.reprinted = False  # set when the file lost apforms' metadata (printed by other software)
        self._marks: list[tuple[Rect, bool]] | None = None
        self._texts: list[tuple[Rect, bool, bool]] | None = None
        self._foreign: list[Rect] | None = None  # text objects not in apforms' fonts
        self._ghosts: list[Rect] | None = None
        self._text_rows: dict[int, list[int]] | None = None  # text objects by height, for lookup
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
        for b in _span(y0, y1):
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
            for b in _span(y0, y1):
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
                self._chars.setdefault(_span(c.baseline, c.baseline).start, []).append(c)
        return [c for b in _span(y0, y1) for c in self._chars.get(b, ())]

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
                    for b in _span(t[1] - 1, t[3] + 1):
                        rows.setdefault(b, []).append(t)
                self.chars_between(0.0, 0.0)  # read the page's characters
                for c in (c for bucket in (self._chars or {}).values() for c in bucket):
                    cx, cy = (c.left + c.right) / 2, c.baseline + 2.0
                    near = rows.get(_span(cy, cy).start, ())
                    if not any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in near):
                        # as high as an accented capital reaches (PDFium's boxes do)
                        self._ghosts.append((c.left, c.baseline - 2.5, c.right, c.baseline + 10.0))
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
        for t, _, _ in self.texts_near(r):
            if not (r[0] < (t[0] + t[2]) / 2 < r[2] and r[1] < (t[1] + t[3]) / 2 < r[3]) or t[2] - t[0] < 0.5:
                continue
            if not any(b - size * 0.7 < t[1] < b + size * 0.85 for b in baselines):  # marks set high too
                return True
        return False

    def texts_near(self, r: Rect) -> list[tuple[Rect, bool, bool]]:
        """The text objects whose height on the page meets box ``r``'s (see :attr:`text_objects`)."""
        if self._text_rows is None:
            self._text_rows = {}
            for i, obj in enumerate(self.text_objects):
                t = obj[0]
                for b in _span(t[1], t[3]):
                    self._text_rows.setdefault(b, []).append(i)
        found = {i for b in _span(r[1] - 2, r[3] + 2) for i in self._text_rows.get(b, ())}
        return [self.text_objects[i] for i in sorted(found)]

    def spills(self, r: Rect) -> bool:
        """Whether text drawn across box ``r`` does not stay inside it: a value running out of
        its box, or another's running in. apforms never draws so; other software that draws
        values again may, and the text is then read in the wrong box."""
        for t, _, _ in self.texts_near(r):
            across = min(t[2], r[2]) - max(t[0], r[0]) > 2 and min(t[3], r[3]) - max(t[1], r[1]) > 2
            if across and (t[0] < r[0] - 1.5 or t[2] > r[2] + 1.5 or t[1] < r[1] - 1.5 or t[3] > r[3] + 1.5):
                return True  # runs out, or runs in
        return False

    def straddles(self, r: Rect) -> bool:
        """Whether a word on a line in box ``r`` runs across its left or right edge (letters
        on both sides, no space between): a page drawn again by other software, which moved a
        neighbouring box's text into this one, or this one's out."""
        for ln in self.runs_touching(r):
            base = self.baseline(ln)
            if not r[1] < base < r[3]:
                continue
            for edge in (r[2], r[0]):
                if not ln.x0 < edge - 0.3 < edge + 0.3 < ln.x1:
                    continue
                left = self.text_in((max(ln.x0, edge - 12), ln.y0, edge - 0.2, ln.y1)).strip("\r\n")
                right = self.text_in((edge + 0.2, ln.y0, min(ln.x1, edge + 12), ln.y1)).strip("\r\n")
                if left and right and not left[-1].isspace() and not right[0].isspace():
                    return True
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
            for t, _, _ in self.texts_near(r)
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


def _where(f: FormField) -> str:
    return f"{f.tooltip} ({f.name})"


def _spaces(text: str) -> str:
    """Extraction doubles a space where a re-printed file switches fonts; one is meant."""
    return _MULTISPACE.sub(" ", text)

"""Reading shaped text back from a page, character by character.

PDFium orders the text of a line with right-to-left letters by its own rules, which do not
always agree with the Unicode bidi algorithm that drew it. So on a page with shaped text the
flattened reader takes each character with its place, sorts a line left to right (visual
order), turns it back into logical order with the bidi algorithm, and confirms the result:
shaped again, it must draw the same characters in the same order
(:func:`~apforms.formats.pdf.shape.visual_groups`) and end where the line drawn ends.
"""

from __future__ import annotations

import ctypes
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c

from apforms.formats.pdf import fonts, shape
from apforms.formats.pdf.geometry import Rect
from apforms.formats.pdf.text import VALUE_SIZE

RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
_WORD_GAP = 2.2  # points between two glyphs' boxes that mean a space (letters are closer)
_SPACE = 2.86  # a space's advance in 9 pt DejaVu Sans
_SPAN_TOLERANCE = 1.5  # points: a glyph's outline ends short of its advance by less


@dataclass(frozen=True)
class Char:
    index: int  # in PDFium's text page (-1: a space put back by :func:`spaced`)
    left: float
    right: float
    baseline: float
    text: str
    origin: float = 0.0  # x of the pen where the glyph was set (its text object's, for /ActualText)


def page_chars(tp: Any, from_page: Callable[[Rect], Rect]) -> list[Char]:
    """Every character drawn on a page (not the spaces and line ends PDFium infers), in the
    layout's coordinates."""
    out = []
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    for i in range(pdfium_c.FPDFText_CountChars(tp)):
        code = pdfium_c.FPDFText_GetUnicode(tp, i)
        if code == 2:  # PDFium marks a hyphen that ends a line as U+0002
            code = 0x2D
        if code in (0, 0xFFFE, 0xFFFF, 10, 13):
            continue
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:  # half a pair, or no character: unreadable
            code = 0xFFFD
        if pdfium_c.FPDFText_IsGenerated(tp, i) == 1:
            continue  # PDFium's own spaces and line ends are guesses (see spaced)
        if not pdfium_c.FPDFText_GetCharBox(tp, i, left, right, bottom, top):
            continue
        if code == 0x20 and right.value - left.value < 0.01:
            continue  # a space PDFium put between two text objects (a drawn one has its width)
        pdfium_c.FPDFText_GetCharOrigin(tp, i, x, y)
        x0, y0, x1, _ = from_page((left.value, y.value, right.value, top.value))
        ox = from_page((x.value, y.value, x.value, y.value))[0]
        out.append(Char(i, x0, x1, y0, chr(code), ox))
    return out


def _turnable(ch: str) -> bool:
    """Whether PDFium may change ``ch`` in what it takes for a right-to-left run: brackets
    (mirrored), quotation marks (’ turned into ‘) and characters with a compatibility form
    (the non-breaking hyphen read as a hyphen, ² as 2)."""
    return bool(
        unicodedata.mirrored(ch)
        or unicodedata.category(ch) in ("Pi", "Pf")
        or (not ch.isascii() and unicodedata.normalize("NFKC", ch) != ch)
    )


def maybe_mirrored(tp: Any, row: list[Char]) -> bool:
    """Whether PDFium may have turned round a character of this line (characters left to right).
    PDFium reverses what it takes for a right-to-left run and mirrors its brackets, and it
    takes a run for one when right-to-left text comes just before it in its reading order
    (even on the line above, ending in a hyphen); its characters then also come in decreasing
    index order from left to right."""
    if not any(_turnable(c.text) for c in row):
        return False
    if any(a.index > b.index >= 0 for a, b in zip(row, row[1:], strict=False)):
        return True
    first = min((c.index for c in row if c.index >= 0), default=0)
    before = "".join(chr(pdfium_c.FPDFText_GetUnicode(tp, j)) for j in range(max(0, first - 8), first))
    return bool(RTL_LETTERS.search(before))


def spaced(chars: list[Char]) -> list[Char]:
    """Spaces put back where the gaps between glyphs are a space wide (or two): for a copy
    printed by other software, which may drop spaces or misplace them."""
    out: list[Char] = []
    for c in chars:
        gap = c.left - out[-1].right if out else 0.0
        if gap > _WORD_GAP and _one_glyph_on(out[-1], c):
            gap = 0.0  # the pen moved on by the glyph before and no more: no space between
        if gap > _WORD_GAP:
            for _ in range(max(1, round((gap - 0.6) / _SPACE))):
                out.append(Char(-1, out[-1].right, out[-1].right, c.baseline, " ", out[-1].right))
        out.append(c)
    return out


def _one_glyph_on(prev: Char, c: Char) -> bool:
    """Whether ``c`` was set where the pen stood after ``prev`` (its origin one advance of
    ``prev``, in apforms' main font at the value size, on): glyphs whose ink stands apart
    (". !") with no space between them."""
    if len(prev.text) != 1 or c.origin <= prev.origin or not fonts.has(0, ord(prev.text)):
        return False
    return abs(c.origin - prev.origin - fonts.width(prev.text, VALUE_SIZE)) < 0.3


def glyph_groups(chars: list[Char]) -> list[str]:
    """Characters at the same place (the text of one glyph, such as a ligature) together."""
    out: list[str] = []
    prev: Char | None = None
    for c in chars:
        if prev is not None and abs(c.left - prev.left) < 0.01 and abs(c.right - prev.right) < 0.01:
            out[-1] += c.text
        else:
            out.append(c.text)
        prev = c
    return out


def _display(visual: str) -> str:
    from bidi import get_display

    shown: str = get_display(visual, base_dir="L")  # every paragraph of the form is left to right
    return shown


def logical_line(groups: list[str]) -> str | None:
    """The logical text whose shaping draws ``groups``, or ``None``."""
    visual = "".join(groups)
    if not RTL_LETTERS.search(visual):
        candidates = [visual]
    else:
        flipped = "".join(g[::-1] for g in groups)  # a ligature's letters, either way round
        candidates = [_display(v) for v in dict.fromkeys((visual, flipped))]
    want = [sorted(g) for g in groups]
    for text in dict.fromkeys(candidates):
        try:
            drawn = shape.visual_groups(text)
        except Exception:  # noqa: BLE001 - what a page holds is anyone's: unreadable, not a crash
            continue
        if [sorted(g) for g in drawn] == want:
            return text
    return None


def best_guess(groups: list[str]) -> str:
    """The bidi algorithm's reading of a line that could not be confirmed."""
    return _display("".join(groups))


def spans(drawn_right: float | None, start: float, text: str, size: float) -> bool:
    """Whether ``text``, shaped and set from ``start``, ends where the glyphs drawn on the line
    end (``drawn_right``, from the page's text objects, not from PDFium's characters): a
    space the page lost, or one too many, or a syllable read twice, moves it."""
    if drawn_right is None:
        return True
    try:
        end = start + shape.width(text.rstrip(" "), size)
    except Exception:  # noqa: BLE001 - see logical_line
        return False
    return abs(drawn_right - end) <= _SPAN_TOLERANCE

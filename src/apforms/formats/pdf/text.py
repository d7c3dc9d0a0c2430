"""Measuring and breaking text for the PDF form: the writer wraps and sizes values with these
functions, and the flattened reader undoes the wrapping with the same ones.

Widths come from the embedded fonts' metrics (:mod:`apforms.formats.pdf.fonts`); text that
needs shaping is measured as HarfBuzz shapes it (:mod:`apforms.formats.pdf.shape`). Layouts 1
and 2 measured every character on its own in DejaVu Sans: ``plain=True`` measures as they did,
to read their flattened copies back.
"""

from __future__ import annotations

from collections.abc import Callable

from apforms.formats.pdf import shape
from apforms.formats.pdf.fonts import metrics, width

LEADING = 1.22  # line height as a multiple of the font size
PARA = 0.3  # extra space before each new paragraph of a value (so line breaks can be read back)
PAD = 2.0  # inside a box, between its edge and the value
VALUE_SIZE = 9.0  # every value from layout 2 (its box grows to hold it)
SHAPED_FROM = 3  # the first layout version whose text is shaped (before: ``plain=True``)
#: From layout 3, a line that goes on with a word broken at the end of the line before is set
#: this much to the right (invisible on paper): a reader tells it from a line that starts a new
#: word, which the glyphs alone cannot show when the line before is full.
CONTINUED = 0.3


def continuations(paragraph: str, lines: list[str]) -> list[bool]:
    """For each of ``lines`` (:func:`wrap` of ``paragraph``), whether it goes on with a word
    broken at the end of the line before (rather than after a space)."""
    out, at = [], 0
    for i, line in enumerate(lines):
        if i and paragraph.startswith(" ", at):
            at += 1
            out.append(False)
        else:
            out.append(i > 0)
        at += len(line)
    return out


def _measure(text: str, plain: bool) -> Callable[[str, float], float] | None:
    """``None`` for the fast path (each character on its own), else the shaped width."""
    return None if plain or shape.is_simple(text) else shape.width


def wrap(text: str, w: float, size: float, plain: bool = False) -> list[str]:
    """Greedy line breaking at spaces (a word wider than ``w`` is broken between characters,
    never inside a cluster such as a letter and its marks).

    :func:`soft_join` undoes it when a flattened form is read back.
    """
    measure = _measure(text, plain)
    if measure is not None:
        return _wrap_shaped(text, w, size, measure)
    lines: list[str] = []
    space = width(" ", size)
    for para in text.split("\n"):
        line: str | None = None
        used = 0.0
        for word in para.split(" "):
            ww = width(word, size)
            if line is None and ww <= w:
                line, used = word, ww
                continue
            if line is not None and used + space + ww <= w:
                line, used = f"{line} {word}", used + space + ww
                continue
            if line is not None:
                lines.append(line)
            while len(word) > 1 and _wider(word, w, size):
                cut = _fitting_prefix(word, w, size)
                lines.append(word[:cut])
                word = word[cut:]
            line, used = word, width(word, size)
        lines.append(line or "")
    return lines


def _wrap_shaped(text: str, w: float, size: float, measure: Callable[[str, float], float]) -> list[str]:
    """:func:`wrap` measuring each candidate line as it is drawn (shaped, in visual order)."""
    lines: list[str] = []
    for para in text.split("\n"):
        line: str | None = None
        for word in para.split(" "):
            if line is None and measure(word, size) <= w:
                line = word
                continue
            if line is not None and measure(f"{line} {word}", size) <= w:
                line = f"{line} {word}"
                continue
            if line is not None:
                lines.append(line)
            pieces = _broken(word, w, size, measure) if len(word) > 1 else [word]
            lines += pieces[:-1]
            line = pieces[-1]
        lines.append(line or "")
    return lines


def _broken(word: str, w: float, size: float, measure: Callable[[str, float], float]) -> list[str]:
    """A word too wide for ``w`` in pieces that fit, each ending between clusters (at least one
    cluster a piece); the last piece is what is left, which fits.

    Each piece is the longest start of what is left that fits, found among the cluster
    breaks by doubling the number of clusters tried and then halving (widths grow with the
    prefix): the measuring costs the length of a line, not of the word, so a long word takes
    time in proportion to its length.
    """
    if measure(word, size) <= w:
        return [word]
    breaks = shape.cluster_breaks(word)
    pieces: list[str] = []
    start, first = 0, 0  # the piece's start in ``word``; the index of the first break after it
    while len(word) - start > 1:
        ends = breaks[first:]
        if not ends or measure(word[start : ends[0]], size) > w:
            if not ends:
                break  # one cluster left: it is the last piece, too wide or not
            cut = 0  # one cluster, even if it is too wide
        else:
            lo, step = 0, 1  # ends[lo] fits
            while lo + step < len(ends) and measure(word[start : ends[lo + step]], size) <= w:
                lo, step = lo + step, step * 2
            if lo + step >= len(ends) and measure(word[start:], size) <= w:
                break  # what is left fits
            hi = min(lo + step, len(ends)) - 1
            while lo < hi:  # the last break that still fits, between lo and hi
                mid = (lo + hi + 1) // 2
                if measure(word[start : ends[mid]], size) <= w:
                    lo = mid
                else:
                    hi = mid - 1
            cut = lo
        pieces.append(word[start : ends[cut]])
        start, first = ends[cut], first + cut + 1
    pieces.append(word[start:])
    return pieces


def _wider(word: str, w: float, size: float) -> bool:
    """Whether ``width(word, size) > w``, measuring only as much of a long word as it takes
    (a start twice as long each time): a start's width is a partial sum of the whole's, so
    the answer is the same, and breaking a long word costs its length, not its square."""
    n = 64
    while n < len(word):
        if width(word[:n], size) > w:
            return True
        n *= 2
    return width(word, size) > w


def _fitting_prefix(word: str, w: float, size: float) -> int:
    adv, nd = metrics().advance, metrics().notdef_advance
    total = 0.0
    for i, c in enumerate(word):
        total += adv.get(ord(c), nd) * size / 1000
        if total > w:
            return max(i, 1)
    return len(word)


def soft_join(prev: str, nxt: str, w: float, size: float, plain: bool = False) -> str:
    """How two lines of one paragraph were split by :func:`wrap`: ``""`` inside a word too
    long for the line, else ``" "``."""
    if " " in prev or not nxt:
        return " "
    measure = _measure(prev + nxt, plain)
    if measure is None:
        return "" if width(prev + nxt[0], size) > w else " "
    first = (shape.cluster_breaks(nxt) or [len(nxt)])[0]
    return "" if measure(prev + nxt[:first], size) > w else " "


def paragraphs_height(paragraphs: list[list[str]], size: float) -> float:
    lines = sum(len(p) for p in paragraphs)
    return lines * size * LEADING + (len(paragraphs) - 1) * size * PARA


def fit_lines(
    text: str, w: float, h: float, sizes: tuple[float, ...], plain: bool = False
) -> tuple[float, list[list[str]]]:
    """The largest of ``sizes`` at which ``text``, wrapped to ``w`` paragraph by paragraph,
    fits height ``h`` (the smallest if none does); with the lines of each paragraph."""
    paras: list[list[str]] = []
    for size in sizes:
        paras = [wrap(p, w, size, plain) for p in text.split("\n")]
        if paragraphs_height(paras, size) <= h + 0.01:
            return size, paras
    return sizes[-1], paras


def fit_line(text: str, w: float, sizes: tuple[float, ...], plain: bool = False) -> float:
    """The largest of ``sizes`` at which one line of ``text`` fits width ``w``."""
    full = width(text, 1.0) if plain else shape.width(text, 1.0)
    for size in sizes:
        if full * size <= w:
            return size
    return sizes[-1]


def value_lines(text: str, w: float, size: float = VALUE_SIZE) -> int:
    """How many lines ``text`` takes wrapped to ``w`` (its paragraphs included)."""
    if "\n" not in text and shape.width(text, size) <= w:
        return 1
    return sum(len(wrap(p, w, size)) for p in text.split("\n"))


def lines_height(lines: int, size: float = VALUE_SIZE) -> float:
    """A box with room for ``lines`` lines of value, each its own paragraph at worst."""
    return size * (lines * LEADING + (lines - 1) * PARA) + 2 * PAD

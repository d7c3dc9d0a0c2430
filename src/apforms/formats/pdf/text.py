"""Measuring and breaking text for the PDF form: the writer wraps and sizes values with these
functions, and the flattened reader undoes the wrapping with the same ones.

Widths come from the embedded font's metrics (:mod:`apforms.formats.pdf.fonts`).
"""

from __future__ import annotations

from apforms.formats.pdf.fonts import metrics, width

LEADING = 1.22  # line height as a multiple of the font size
PARA = 0.3  # extra space before each new paragraph of a value (so line breaks can be read back)
PAD = 2.0  # inside a box, between its edge and the value
VALUE_SIZE = 9.0  # every value from layout 2 (its box grows to hold it)


def wrap(text: str, w: float, size: float) -> list[str]:
    """Greedy line breaking at spaces (a word wider than ``w`` is broken between characters).

    :func:`soft_join` undoes it when a flattened form is read back.
    """
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
            while len(word) > 1 and ww > w:
                cut = _fitting_prefix(word, w, size)
                lines.append(word[:cut])
                word = word[cut:]
                ww = width(word, size)
            line, used = word, ww
        lines.append(line or "")
    return lines


def _fitting_prefix(word: str, w: float, size: float) -> int:
    adv, nd = metrics().advance, metrics().notdef_advance
    total = 0.0
    for i, c in enumerate(word):
        total += adv.get(ord(c), nd) * size / 1000
        if total > w:
            return max(i, 1)
    return len(word)


def soft_join(prev: str, nxt: str, w: float, size: float) -> str:
    """How two lines of one paragraph were split by :func:`wrap`: ``""`` inside a word too
    long for the line, else ``" "``."""
    if " " not in prev and nxt and width(prev + nxt[0], size) > w:
        return ""
    return " "


def paragraphs_height(paragraphs: list[list[str]], size: float) -> float:
    lines = sum(len(p) for p in paragraphs)
    return lines * size * LEADING + (len(paragraphs) - 1) * size * PARA


def fit_lines(text: str, w: float, h: float, sizes: tuple[float, ...]) -> tuple[float, list[list[str]]]:
    """The largest of ``sizes`` at which ``text``, wrapped to ``w`` paragraph by paragraph,
    fits height ``h`` (the smallest if none does); with the lines of each paragraph."""
    paras: list[list[str]] = []
    for size in sizes:
        paras = [wrap(p, w, size) for p in text.split("\n")]
        if paragraphs_height(paras, size) <= h + 0.01:
            return size, paras
    return sizes[-1], paras


def fit_line(text: str, w: float, sizes: tuple[float, ...]) -> float:
    """The largest of ``sizes`` at which one line of ``text`` fits width ``w``."""
    full = width(text, 1.0)
    for size in sizes:
        if full * size <= w:
            return size
    return sizes[-1]


def value_lines(text: str, w: float, size: float = VALUE_SIZE) -> int:
    """How many lines ``text`` takes wrapped to ``w`` (its paragraphs included)."""
    if "\n" not in text and width(text, size) <= w:
        return 1
    return sum(len(wrap(p, w, size)) for p in text.split("\n"))


def lines_height(lines: int, size: float = VALUE_SIZE) -> float:
    """A box with room for ``lines`` lines of value, each its own paragraph at worst."""
    return size * (lines * LEADING + (lines - 1) * PARA) + 2 * PAD

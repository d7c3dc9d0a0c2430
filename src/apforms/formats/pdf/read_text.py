"""The value of a text box on a flattened or printed page: one line, several lines joined
again (undoing the writer's wrapping, or measuring another program's), or character by
character where text was shaped (see :mod:`.read_flat`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from apforms.formats.pdf import shape
from apforms.formats.pdf.fonts import width
from apforms.formats.pdf.geometry import (
    MULTILINE,
    FormField,
    Rect,
)
from apforms.formats.pdf.read_chars import (
    Char,
    best_guess,
    glyph_groups,
    logical_line,
    maybe_mirrored,
    spaced,
    spans,
)

#: Lays out a definition for given row counts and growing boxes (``None``: a blank form's),
#: as one layout version does.
from apforms.formats.pdf.read_page import (
    FlatRead,
    _Page,
    _spaces,
    _where,
)
from apforms.formats.pdf.text import (
    CONTINUED,
    LEADING,
    PAD,
    PARA,
    VALUE_SIZE,
    fit_lines,
    soft_join,
)


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


#: The widest gap between two runs of one word (points): 0.7 of a space at the value size.
_NO_SPACE = 0.7 * width(" ", VALUE_SIZE)


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
            # a space at the value size is 2.9 pt; ink boxes of glyphs with wide side bearings
            # (ı . ~ ‐ !) stand up to 2 pt apart with none between them
            touching = run.x0 - prev.x1 < max(0.25 * max(prev.height, run.height), _NO_SPACE)
            text += run.text if touching else " " + run.text
        # no value's line ends in a space (the writer breaks lines at spaces, and validation
        # drops a line's trailing spaces): one here is the extraction's, before the next cell
        out.append((group[0].baseline, _spaces(text).rstrip(" ")))
    return out


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

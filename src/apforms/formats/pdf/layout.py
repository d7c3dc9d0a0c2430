"""Layouts 2 to 4: the page layout apforms writes, computed from a definition, the number of rows of
each repeating table or list, and how many lines each growing box needs.

Boxes grow to hold their values: every value is set at one size (9 pt), a one-line answer
too long for its box wraps onto more lines, a long answer's box gets as many lines as its
text needs, a table row as many as its fullest cell, and pages are added as needed. Nothing
is shrunk or clipped. A box's size therefore depends on its value; how many lines each
growing box was given (``grow``, one number per box in layout order, ``0`` for its printed
size) travels with the document, in the footer line of every page and in the metadata, with
the row counts, so that a returned form can be laid out again without its values.

Blank forms are sized for handwriting: one-line boxes 8 mm tall, typed-signature boxes
15 mm, tick boxes 4 mm, dates with their ``DD/MM/YYYY`` hint, dropdowns with their options
printed below them.

Field names are the definition's key paths, table and list rows numbered from 1
(``provision.costings.2.rate``, ``terms.school_obligations.3``); a multiple choice has a tick
box per option (``transport.arrangements.taxi``); a signature block has ``.name``,
``.position``, ``.signature``, ``.date`` and a digital signature field ``.digital``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from apforms import present
from apforms.errors import RenderError
from apforms.formats.pdf import names
from apforms.formats.pdf.fonts import width
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    MULTILINE,
    RADIO,
    SIGNATURE,
    TEXT,
    YES_NO,
    DataPath,
    FormField,
    Layout,
    PageLayout,
    Rect,
    TextRun,
    Widget,
)
from apforms.formats.pdf.text import LEADING, PAD, VALUE_SIZE, lines_height, value_lines, wrap
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field, Option
from apforms.model.types import Control, Shape, type_of

__all__ = [
    "BOX",
    "CHECK",
    "COMBO",
    "MULTILINE",
    "PAGE_H",
    "PAGE_W",
    "RADIO",
    "SIGNATURE",
    "TEXT",
    "YES_NO",
    "DataPath",
    "FormField",
    "Layout",
    "PageLayout",
    "Rect",
    "Widget",
    "layout",
    "layout_for",
    "names_layout",
    "row_counts",
]

#: Layouts 2 and 3 have the same geometry; from 3, text that needs it is shaped (so a line
#: of Arabic, Indic or CJK text breaks where its shaped width says, see ``text.SHAPED_FROM``).
#: Layout 4 prints standards (the QA framework's) and groups with the same fields (English,
#: Maths) as the tables the council's forms print, and numbers the QA themes.
VERSION = 4
VERSIONS = (2, 3, 4)
VALUE_SIZES = (VALUE_SIZE,)

# --------------------------------------------------------------------------- page geometry (points)
MM = 72 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89  # A4
MARGIN_X = 42.0
TOP = PAGE_H - 44.0
BOTTOM = 50.0
HEADER_Y = PAGE_H - 28.0  # the running header of continuation pages
FOOTER_Y = 30.0  # the footer a person reads
MARKER_Y = 16.0  # the machine footer line
CONTENT_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 178.0
FIELD_X = MARGIN_X + LABEL_W + 8
FIELD_W = PAGE_W - MARGIN_X - FIELD_X

TITLE_SIZE, HEADING_SIZE, SUBHEADING_SIZE = 15.0, 11.0, 9.5
LABEL_SIZE, HELP_SIZE, HEADER_SIZE, FOOTER_SIZE = 9.0, 8.0, 8.0, 8.0
MARKER_SIZE = 5.0  # the machine line is for software; a person reads the footer above it
ROW_GAP = 5.0
LINE_H = 23.0  # a one-line box: at least 8 mm, room to write by hand
BOX = 11.5  # tick box / radio button: at least 4 mm
SIGN_H = 43.0  # a typed or written signature: at least 15 mm
DIGITAL_H = 28.0
WRITE_LINE = 20.0  # a line of handwriting in a multi-line box of its printed size
DATE_HINT = "DD/MM/YYYY"
#: The tallest a single box may grow: a page's room less a heading and a table header.
MAX_BOX_H = TOP - BOTTOM - 60.0
#: Layout 4's tables of standards (number | standard | rating | evidence) and of groups
#: with the same fields (the row's label first).
STD_NUMBER_W, STD_TEXT_W, STD_RATING_W = 26.0, 200.0, 100.0
ROW_LABEL_W = 110.0
#: The tallest a standard's row grows before its evidence goes below it, across the table.
STD_ROW_MAX = 330.0

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


assert LINE_H >= 8 * MM and BOX >= 4 * MM and SIGN_H >= 15 * MM  # noqa: S101 - the promised sizes


@lru_cache(maxsize=8192)
def _wrapped(text: str, w: float, size: float) -> tuple[str, ...]:
    return tuple(wrap(text, w, size))


def _wrap(text: str, w: float, size: float) -> list[str]:
    """Fixed wording wrapped (cached: every record of a document has the same labels)."""
    return list(_wrapped(text, w, size))


# --------------------------------------------------------------------------- row counts


def rows_for(f: Field, value: Any, version: int | None = None) -> int:
    """Rows a table or list gets: its values, and at least ``blank_rows`` (any number); from
    layout 4 a list printed as prose gets its items only (one box when it has none)."""
    n = len(value) if isinstance(value, list) else 0
    prose = f.prose and (version or VERSION) >= 4
    return max(1, n, 1 if prose else f.blank_rows)


def row_counts(definition: Definition, data: Mapping[str, Any]) -> tuple[int, ...]:
    """The row count of every table and list, in the order the layout meets them."""
    return tuple(_counts(definition.sections, data))


def _counts(fields: tuple[Field, ...], data: Any) -> Iterator[int]:
    data = data if isinstance(data, Mapping) else {}
    for f in fields:
        value = data.get(f.key)
        if f.shape == Shape.OBJECT:
            yield from _counts(f.fields, value)
        elif f.shape == Shape.ITEMS:
            yield rows_for(f, value)
        elif f.shape == Shape.ROWS:
            n = rows_for(f, value)
            yield n
            if not present.is_grid(f):
                rows = value if isinstance(value, list) else []
                for i in range(n):
                    yield from _counts(f.fields, rows[i] if i < len(rows) else {})


def rows_from_names(
    definition: Definition, field_names: Iterable[str], version: int | None = None
) -> tuple[int, ...]:
    """Row counts that give every one of ``field_names`` a field (a returned form's own rows,
    read from its field names when the metadata does not say)."""
    seen: dict[str, int] = {}
    for name in field_names:
        parts = name.split(".")
        for i, part in enumerate(parts[1:], 1):
            if part.isdigit():
                prefix = ".".join(parts[:i])
                seen[prefix] = max(seen.get(prefix, 0), int(part))
    return tuple(_named(definition.sections, "", seen, version))


def _named(
    fields: tuple[Field, ...], prefix: str, seen: dict[str, int], version: int | None
) -> Iterator[int]:
    for f in fields:
        name = f"{prefix}{f.key}"
        if f.shape == Shape.OBJECT:
            yield from _named(f.fields, f"{name}.", seen, version)
        elif f.shape in (Shape.ITEMS, Shape.ROWS):
            n = max(seen.get(name, 0), rows_for(f, None, version))
            yield n
            if f.shape == Shape.ROWS and not present.is_grid(f):
                for i in range(n):
                    yield from _named(f.fields, f"{name}.{i + 1}.", seen, version)


# --------------------------------------------------------------------------- growing boxes


def capacity(h: float) -> int:
    """How many lines of value a box of height ``h`` holds."""
    n = 1
    while lines_height(n + 1) <= h + 0.01:
        n += 1
    return n


def shown(leaf: Field, value: Any, combo: bool = False) -> str:
    """The text a box shows for a canonical value (a dropdown's option with its code)."""
    if value is None or value == "" or value == []:
        return ""
    if combo:
        if leaf.type == d.YESNO:
            return (YES_NO[0] if value else YES_NO[1]).label
        for o in present.options_of(leaf):
            if o.value == str(value):
                return present.option_text(leaf, o)
        return str(value)
    return present.display(leaf, value)


# --------------------------------------------------------------------------- layout


@dataclass
class _Block:
    """A piece of the page that is never split: it draws itself with its top at ``top``."""

    height: float
    draw: Callable[[_Canvas, float], None]
    keep_with_next: bool = False
    header: _Block | None = None


class _Canvas:
    def __init__(self) -> None:
        self.pages: list[PageLayout] = []
        self.fields: list[FormField] = []
        self.units: list[int] = []  # the page of every growing box, in layout order
        self.page = -1

    def new_page(self) -> None:
        self.pages.append(PageLayout())
        self.page += 1

    @property
    def current(self) -> PageLayout:
        return self.pages[self.page]

    def text(self, x: float, y: float, size: float, text: str, gray: float = 0.0, bold: bool = False) -> None:
        if text:
            self.current.texts.append(TextRun(x, y, size, text, gray, bold))

    def lines(
        self, x: float, top: float, size: float, lines: list[str], gray: float = 0.0, bold: bool = False
    ) -> None:
        """Lines of text whose first line's cap height touches ``top``."""
        y = top - size * 0.93
        for line in lines:
            self.text(x, y, size, line, gray, bold)
            y -= size * LEADING

    def widget(self, rect: Rect, state: str | None = None, box: bool = True) -> Widget:
        if box:
            self.current.boxes.append(rect)
        return Widget(self.page, rect, state)


def _text_h(lines: list[str], size: float) -> float:
    return len(lines) * size * LEADING if lines else 0.0


class _Builder:
    """Turns the definition tree into blocks.

    Row counts come from ``rows`` in order. Each growing box takes its number of lines from
    ``grow`` in order (a returned form being laid out again) or, when ``grow`` is ``None``,
    measures it from ``data`` (a record being rendered).
    """

    def __init__(
        self,
        definition: Definition,
        rows: tuple[int, ...],
        grow: tuple[int, ...] | None = None,
        data: Mapping[str, Any] | None = None,
        version: int = VERSION,
    ) -> None:
        self.definition = definition
        self.version = version
        self.rows = iter(rows)
        self.grow = iter(grow) if grow is not None else None
        self.data = data or {}
        self.used: list[int] = []
        self.grown: list[int] = []
        self.blocks: list[_Block] = []

    def next_rows(self, f: Field) -> int:
        n = next(self.rows, None)
        n = rows_for(f, None, self.version) if n is None else max(1, n)
        self.used.append(n)
        return n

    def grown_lines(self, texts: Callable[[], Iterable[tuple[str, float]]], fits: int) -> int:
        """The lines a growing box gets: ``0`` when its texts (each with the width it is
        wrapped to) fit in ``fits`` lines, else the lines the fullest needs."""
        if self.grow is not None:
            n = next(self.grow, 0)
        else:
            need = max((value_lines(t, w) for t, w in texts() if t), default=0)
            n = need if need > fits else 0
        self.grown.append(n)
        return n

    def value(self, path: DataPath) -> Any:
        node: Any = self.data
        for part in path:
            if isinstance(part, int):
                node = node[part] if isinstance(node, list) and part < len(node) else None
            else:
                node = node.get(part) if isinstance(node, Mapping) else None
        return node

    def add(self, block: _Block, label: str = "") -> None:
        if block.height > MAX_BOX_H:
            raise RenderError(
                f"{label}: too long to print in one box on a page of the PDF form "
                "(shorten it, or give the rest in an attached document)"
            )
        self.blocks.append(block)

    def unit(self, c: _Canvas) -> None:
        """Note the page a growing box is drawn on (its grow number goes in that page's footer)."""
        c.units.append(c.page)

    # -- static pieces

    def title(self) -> None:
        defn = self.definition
        title = _wrap(defn.title, CONTENT_W, TITLE_SIZE)
        source = _wrap(defn.source, CONTENT_W, HELP_SIZE) if defn.source else []
        h = _text_h(title, TITLE_SIZE) + _text_h(source, HELP_SIZE) + 8

        def draw(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top, TITLE_SIZE, title, bold=True)
            c.lines(MARGIN_X, top - _text_h(title, TITLE_SIZE) - 1, HELP_SIZE, source, gray=0.3)

        self.add(_Block(h, draw))

    def heading(self, text: str) -> None:
        lines = _wrap(text, CONTENT_W - 8, HEADING_SIZE)
        h = _text_h(lines, HEADING_SIZE) + 6

        def draw(c: _Canvas, top: float) -> None:
            c.current.bands.append((MARGIN_X, top - h + 2, MARGIN_X + CONTENT_W, top))
            c.lines(MARGIN_X + 4, top - 3, HEADING_SIZE, lines, bold=True)

        self.add(_Block(h + 4, draw, keep_with_next=True))

    def subheading(self, text: str, x: float = MARGIN_X) -> None:
        lines = _wrap(text, CONTENT_W - (x - MARGIN_X), SUBHEADING_SIZE)
        h = _text_h(lines, SUBHEADING_SIZE) + 3

        def draw(c: _Canvas, top: float) -> None:
            c.lines(x, top, SUBHEADING_SIZE, lines, bold=True)

        self.add(_Block(h, draw, keep_with_next=True))

    def paragraphs(
        self, text: str | None, size: float = LABEL_SIZE, gray: float = 0.0, x: float = MARGIN_X
    ) -> None:
        if not text:
            return
        for para in text.strip().split("\n"):
            blank = present.WRITE_ON.match(para.strip()) if self.version >= 4 else None
            wording = blank.group(1) if blank else para.strip()
            lines = _wrap(wording, CONTENT_W - (x - MARGIN_X), size) if wording else []
            h = _text_h(lines, size) + (2 if lines else 3)
            if blank:  # a line of its own that the configuration fills (the LA contact)
                h += size * LEADING + 2

            def draw(c: _Canvas, top: float, lines: list[str] = lines, blank: bool = bool(blank)) -> None:
                c.lines(x, top, size, lines, gray=gray)
                if blank:
                    base = top - size * 0.93 - len(lines) * size * LEADING - 2
                    c.current.write_on.append((x, base, CONTENT_W - (x - MARGIN_X)))

            self.add(_Block(h, draw))

    # -- blocks of the presentation

    def lay_out(self, blocks: tuple[present.Block, ...], prefix: str, path: DataPath, tip: str = "") -> None:
        for b in blocks:
            if isinstance(b, present.ScaleGrid):  # on the PDF a question per row, radio buttons
                for f in b.fields:
                    self.lay_out_one(present.block(f), prefix, path, tip)
            elif isinstance(b, present.TickRow) and self.version >= 3:
                self.tick_row(b, prefix, path)
            elif isinstance(b, present.TickRow):  # layout 2: a row each, groups under a subheading
                for f in b.fields:
                    self.lay_out_one(present.block(f), prefix, path, tip)
            elif isinstance(b, present.Standards) and self.version >= 4:
                self.standards(b, prefix, path)
            elif isinstance(b, present.RowGroups) and self.version >= 4:
                self.row_groups(b, prefix, path)
            elif isinstance(b, present.Standards | present.RowGroups):  # layouts 2, 3: a group each
                for f in b.fields:
                    self.lay_out_one(present.block(f), prefix, path, tip)
            else:
                self.lay_out_one(b, prefix, path, tip)

    def tick_row(self, b: present.TickRow, prefix: str, path: DataPath) -> None:
        """Tick boxes side by side in one row of boxes across the page, as the form prints
        its status row: a cell per field, a group's label above its own tick boxes."""
        cells = b.fields
        w = CONTENT_W / len(cells)
        laid: list[tuple[Field, list[str], list[tuple[Field, list[str]]]]] = []
        for f in cells:
            parts = present.tick_parts(f)
            head = _wrap(f.label, w - 8, LABEL_SIZE) if f.fields else []
            laid.append((f, head, [(p, _wrap(p.label, w - BOX - 10, LABEL_SIZE)) for p in parts]))

        def cell_h(head: list[str], ticks: list[tuple[Field, list[str]]]) -> float:
            h = _text_h(head, LABEL_SIZE) + 2 if head else 0.0
            return h + sum(max(BOX, _text_h(lines, LABEL_SIZE)) + 4 for _, lines in ticks) + 6

        h = max(cell_h(head, ticks) for _, head, ticks in laid)

        def draw(c: _Canvas, top: float) -> None:
            for i, (f, head, ticks) in enumerate(laid):
                x = MARGIN_X + i * w
                c.current.boxes.append((x, top - h, x + w, top))
                y = top - 4
                if head:
                    c.lines(x + 4, y, LABEL_SIZE, head, bold=True)
                    y -= _text_h(head, LABEL_SIZE) + 2
                for part, lines in ticks:
                    in_group = (f.key, part.key) if f.fields else (part.key,)
                    name = prefix + ".".join(in_group)
                    self._check(c, part, name, (*path, *in_group), part.label, x + 4, y)
                    c.lines(x + 4 + BOX + 4, y - 1, LABEL_SIZE, lines)
                    y -= max(BOX, _text_h(lines, LABEL_SIZE)) + 4

        self.add(_Block(h + ROW_GAP, draw), b.field.label)

    def _table_header(self, xs: list[float], widths: list[float], heads: list[str]) -> _Block:
        """A shaded header row of a table, its labels bold; kept with the row after it."""
        wrapped = [_wrap(h, w - 6, HEADER_SIZE) for h, w in zip(heads, widths, strict=True)]
        h = max(_text_h(x, HEADER_SIZE) for x in wrapped) + 6

        def draw(c: _Canvas, top: float) -> None:
            c.current.bands.append((xs[0], top - h, xs[-1] + widths[-1], top))
            for x, w, lines in zip(xs, widths, wrapped, strict=True):
                c.current.boxes.append((x, top - h, x + w, top))
                c.lines(x + 3, top - 3, HEADER_SIZE, lines, gray=0.15, bold=True)

        return _Block(h, draw, keep_with_next=True)

    def standards(self, b: present.Standards, prefix: str, path: DataPath) -> None:
        """The QA framework's table: number | National standard | Requirement met | Evidence,
        a row per standard, its rating's options one above the other, the evidence box as
        tall as the row (taller if its text needs it). Evidence too long for its column
        (over :data:`STD_ROW_MAX` tall) goes in a box across the table, in a row of its own
        below the standard's."""
        widths = [
            STD_NUMBER_W,
            STD_TEXT_W,
            STD_RATING_W,
            CONTENT_W - STD_NUMBER_W - STD_TEXT_W - STD_RATING_W,
        ]
        xs = [MARGIN_X + sum(widths[:i]) for i in range(4)]
        rating0, evidence0 = b.fields[0].fields
        header = self._table_header(xs, widths, ["", "National standard", rating0.label, evidence0.label])
        self.add(header)
        for std in b.fields:
            rating, evidence = std.fields
            name, spath = f"{prefix}{std.key}", (*path, std.key)
            paras = [
                _wrap(p.strip(), widths[1] - 6, LABEL_SIZE) for p in (std.text or "").split("\n") if p.strip()
            ]
            text_h = sum(_text_h(p, LABEL_SIZE) + 2 for p in paras) + 4
            items = [_wrap(o.label, widths[2] - BOX - 10, LABEL_SIZE) for o in present.options_of(rating)]
            rate_h = sum(max(BOX, _text_h(x, LABEL_SIZE)) + 3 for x in items) + 5
            base_h = max(text_h, rate_h, 2 * WRITE_LINE)
            text = shown(evidence, self.value((*spath, evidence.key))) if self.grow is None else ""
            n = self.grown_lines(_one(text, widths[3] - 2 * PAD), capacity(base_h))
            rh = max(base_h, lines_height(n)) if n else base_h
            evidence_at: Rect | None = (xs[3], 0.0, xs[3] + widths[3], rh)  # (x0, -, x1, height)
            if rh > STD_ROW_MAX:
                rh, evidence_at = max(text_h, rate_h, LINE_H), None
            row = _Block(
                rh, self._standard(std, name, spath, xs, widths, paras, items, rh, evidence_at), header=header
            )
            self.add(row, std.label)
            if evidence_at is None:  # the evidence below, across the table, under its own label
                wide_base = 2 * WRITE_LINE
                n = self.grown_lines(_one(text, CONTENT_W - 2 * PAD), capacity(wide_base))
                wh = lines_height(n) if n else wide_base
                head = [f"{std.label}: {evidence.label}"]
                head_h = _text_h(head, LABEL_SIZE) + 4
                wide = (MARGIN_X, 0.0, MARGIN_X + CONTENT_W, wh)
                row.keep_with_next = rh + head_h + wh <= MAX_BOX_H

                def draw_wide(
                    c: _Canvas,
                    top: float,
                    std: Field = std,
                    name: str = name,
                    spath: DataPath = spath,
                    wide: Rect = wide,
                    head: list[str] = head,
                    head_h: float = head_h,
                ) -> None:
                    self.unit(c)
                    c.lines(MARGIN_X + 3, top - 3, LABEL_SIZE, head, bold=True)
                    self._evidence(c, std, name, spath, wide, top - head_h)

                self.add(_Block(head_h + wh, draw_wide, header=header), head[0])
        self.add(_Block(ROW_GAP + 2, lambda c, top: None))

    def _standard(
        self,
        std: Field,
        name: str,
        spath: DataPath,
        xs: list[float],
        widths: list[float],
        paras: list[list[str]],
        items: list[list[str]],
        rh: float,
        evidence_at: Rect | None,
    ) -> Callable[[_Canvas, float], None]:
        """What draws a standard's row: its number, its wording, its rating's radio buttons
        and its evidence box (or, when that is below, "See below")."""
        rating, evidence = std.fields
        options = present.options_of(rating)
        states = tuple(o.value for o in options)

        def draw(c: _Canvas, top: float) -> None:
            self.unit(c)
            for x, w in zip(xs[:3], widths[:3], strict=True):
                c.current.boxes.append((x, top - rh, x + w, top))
            c.lines(xs[0] + 3, top - 3, LABEL_SIZE, [std.label], bold=True)
            y = top - 3
            for para in paras:
                c.lines(xs[1] + 3, y, LABEL_SIZE, para)
                y -= _text_h(para, LABEL_SIZE) + 2
            widgets, y = [], top - 3
            for lab, state in zip(items, states, strict=True):
                bx = xs[2] + 3
                c.current.circles.append((bx + BOX / 2, y - BOX / 2, BOX / 2))
                widgets.append(c.widget((bx, y - BOX, bx + BOX, y), state=state, box=False))
                c.lines(bx + BOX + 4, y - 1.5, LABEL_SIZE, lab)
                y -= max(BOX, _text_h(lab, LABEL_SIZE)) + 3
            tip = f"{std.label}: {rating.label}"
            rpath = (*spath, rating.key)
            c.fields.append(
                FormField(f"{name}.{rating.key}", RADIO, rating, rpath, tip, tuple(widgets), options, states)
            )
            if evidence_at is None:
                c.current.boxes.append((xs[3], top - rh, xs[3] + widths[3], top))
                c.lines(xs[3] + 3, top - 3, HELP_SIZE, ["See below"], gray=0.3)
            else:
                self._evidence(c, std, name, spath, evidence_at, top)

        return draw

    def _evidence(self, c: _Canvas, std: Field, name: str, spath: DataPath, at: Rect, top: float) -> None:
        """A standard's evidence box: ``at`` is (x0, -, x1, height)."""
        evidence = std.fields[1]
        x0, _, x1, h = at
        wid = c.widget((x0, top - h, x1, top))
        tip = f"{std.label}: {evidence.label}"
        epath = (*spath, evidence.key)
        c.fields.append(
            FormField(f"{name}.{evidence.key}", MULTILINE, evidence, epath, tip, (wid,), lines=capacity(h))
        )

    def row_groups(self, b: present.RowGroups, prefix: str, path: DataPath) -> None:
        """Groups with the same fields as one table: a row per group, its label first
        (English, Maths), a column per field."""
        cols = b.field.fields
        weights = [c.weight for c in b.columns]
        label_lines = [_wrap(g.label, ROW_LABEL_W - 6, LABEL_SIZE) for g in b.fields]
        avail = CONTENT_W - ROW_LABEL_W
        widths = [ROW_LABEL_W] + [avail * w / sum(weights) for w in weights]
        xs = [MARGIN_X + sum(widths[:i]) for i in range(len(widths))]
        heads = [b.row_header] + [c.label + (f"\n{DATE_HINT}" if c.type == d.DATE else "") for c in cols]
        header = self._table_header(xs, widths, heads)
        self.add(header)
        for g, glabel in zip(b.fields, label_lines, strict=True):
            name, gpath = f"{prefix}{g.key}", (*path, g.key)

            def texts(gpath: DataPath = gpath) -> Iterator[tuple[str, float]]:
                for col, w in zip(cols, widths[1:], strict=True):
                    yield shown(col, self.value((*gpath, col.key))), w - 2 * PAD

            n = self.grown_lines(texts, 1)
            rh = max(LINE_H, _text_h(glabel, LABEL_SIZE) + 6, lines_height(n) if n else 0.0)
            lines = max(n, 1)

            def draw(
                c: _Canvas,
                top: float,
                g: Field = g,
                glabel: list[str] = glabel,
                name: str = name,
                gpath: DataPath = gpath,
                rh: float = rh,
                lines: int = lines,
            ) -> None:
                self.unit(c)
                c.current.boxes.append((xs[0], top - rh, xs[0] + widths[0], top))
                c.lines(xs[0] + 3, top - 4, LABEL_SIZE, glabel, bold=True)
                for col, x, w in zip(g.fields, xs[1:], widths[1:], strict=True):
                    wid = c.widget((x, top - rh, x + w, top))
                    kind = MULTILINE if lines > 1 else TEXT
                    tip = f"{g.label}: {col.label}"
                    c.fields.append(
                        FormField(f"{name}.{col.key}", kind, col, (*gpath, col.key), tip, (wid,), lines=lines)
                    )

            self.add(_Block(rh, draw, header=header), g.label)
        self.add(_Block(ROW_GAP + 2, lambda c, top: None))

    def lay_out_one(self, b: present.Block, prefix: str, path: DataPath, tip: str) -> None:
        f = b.field
        name, path = f"{prefix}{f.key}", (*path, f.key)
        if isinstance(b, present.Group):
            self.subheading(f.label)
            self.paragraphs(f.help, HELP_SIZE, 0.3)
            self.paragraphs(f.text)
            self.lay_out(b.children, f"{name}.", path, f.label)
        elif isinstance(b, present.SignatureBlock):
            self.signature(f, name, path)
        elif isinstance(b, present.Grid):
            self.grid(b, name, path, self.next_rows(b.field))
        elif isinstance(b, present.Cards):
            self.cards(b, name, path)
        elif isinstance(b, present.Answer) and b.control == Control.LIST:
            self.list_field(f, name, path)
        elif isinstance(b, present.Answer):
            self.paragraphs(f.text)
            self.answer(b, name, path, f.label)

    def answer(self, b: present.Answer, name: str, path: DataPath, tooltip: str) -> None:
        f, control = b.field, b.control
        if control == Control.LINES:
            self.longtext(f, name, path, tooltip)
        elif control == Control.TICK:
            self.row(f, BOX, lambda c, top: self._check(c, f, name, path, tooltip, FIELD_X, top))
        elif control == Control.BOXES:
            self.options_row(f, name, path, tooltip, radio=not type_of(f).several)
        elif control == Control.DROPDOWN:
            self.line_row(f, name, path, tooltip, COMBO, FIELD_W, LINE_H)
            self.option_list(f)
        else:
            w = type_of(f).line_width or FIELD_W
            self.line_row(f, name, path, tooltip, TEXT, w, LINE_H)

    def row(
        self, f: Field, control_h: float, draw_control: Callable[[_Canvas, float], None], label: str = ""
    ) -> None:
        """Label (and help) in the left column, the control in the right one."""
        label_lines = _wrap(label or f.label, LABEL_W, LABEL_SIZE)
        helps = _wrap(f.help, LABEL_W, HELP_SIZE) if f.help else []
        hint = [DATE_HINT] if f.type == d.DATE else []
        left = _text_h(label_lines, LABEL_SIZE) + _text_h(helps + hint, HELP_SIZE) + 2
        h = max(left, control_h) + ROW_GAP

        def draw(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top - 3, LABEL_SIZE, label_lines)
            c.lines(MARGIN_X, top - 3 - _text_h(label_lines, LABEL_SIZE), HELP_SIZE, helps + hint, gray=0.3)
            draw_control(c, top)

        self.add(_Block(h, draw), label or f.label)

    def line_row(
        self, f: Field, name: str, path: DataPath, tip: str, kind: str, w: float, base_h: float
    ) -> None:
        """A one-line answer (text, date, dropdown, signature part): it wraps onto more lines
        when its value is too long for the box."""
        value = shown(f, self.value(path), combo=kind == COMBO) if self.grow is None else ""
        n = self.grown_lines(lambda: [(value, w - 2 * PAD)], 1)
        h = max(base_h, lines_height(n)) if n else base_h
        field_kind = MULTILINE if n and kind == TEXT else kind
        lines = max(n, 1)

        def draw(c: _Canvas, top: float) -> None:
            self.unit(c)
            wid = c.widget((FIELD_X, top - h, FIELD_X + w, top))
            options = f.options if kind == COMBO else ()
            c.fields.append(FormField(name, field_kind, f, path, tip, (wid,), options, lines=lines))

        self.row(f, h, draw, label=f.label)

    def option_list(self, f: Field) -> None:
        """A dropdown's options printed in full below it: on paper a dropdown shows nothing."""
        options = [present.option_text(f, o) for o in present.options_of(f)]
        col_w = (FIELD_W - 8) / 2
        lines = [_wrap(o, col_w - 2, HELP_SIZE) for o in options]
        half = (len(lines) + 1) // 2
        left, right = lines[:half], lines[half:]
        h = max(sum(_text_h(x, HELP_SIZE) for x in left), sum(_text_h(x, HELP_SIZE) for x in right))

        def draw(c: _Canvas, top: float) -> None:
            for col, x in ((left, FIELD_X), (right, FIELD_X + col_w + 8)):
                y = top
                for item in col:
                    c.lines(x, y, HELP_SIZE, item, gray=0.3)
                    y -= _text_h(item, HELP_SIZE)

        self.add(_Block(h + ROW_GAP, draw), f.label)

    def _check(
        self,
        c: _Canvas,
        f: Field,
        name: str,
        path: DataPath,
        tip: str,
        x: float,
        top: float,
        option: Option | None = None,
    ) -> None:
        wid = c.widget((x, top - BOX, x + BOX, top), state=names.YES)
        c.fields.append(FormField(name, CHECK, f, path, tip, (wid,), option=option))

    def multiline_box(self, path: DataPath, leaf: Field, w: float, base_lines: int) -> tuple[float, int]:
        """Height and lines of a multi-line box ``w`` wide: its printed size (``base_lines``
        lines of handwriting) or taller if its value needs more."""
        base_h = max(LINE_H, base_lines * WRITE_LINE, lines_height(base_lines))
        fits = capacity(base_h)
        text = shown(leaf, self.value(path)) if self.grow is None else ""
        n = self.grown_lines(lambda: [(text, w - 2 * PAD)], fits)
        if n:
            return lines_height(n), n
        return base_h, fits

    def prose(self, f: Field, name: str, path: DataPath, tooltip: str, rows: int | None = None) -> None:
        """Layout 4's plain paragraphs (a ``prose`` long text or list, as the SLA prints its
        general sentences): no label, no numbers, no box outline; a box per paragraph."""
        for i in range(rows or 1):
            rpath, leaf = ((*path, i), _item(f)) if rows is not None else (path, f)
            text = shown(leaf, self.value(rpath)) if self.grow is None else ""
            # one line of text, in a box tall enough to write one by hand (8 mm), or as tall
            # as its lines
            n = self.grown_lines(_one(text, CONTENT_W - 2 * PAD), capacity(LINE_H))
            bh, lines = (lines_height(n), n) if n else (LINE_H, capacity(LINE_H))
            fname = f"{name}.{i + 1}" if rows is not None else name
            tip = f"{f.label}, row {i + 1}" if rows is not None else tooltip

            def draw(
                c: _Canvas,
                top: float,
                fname: str = fname,
                rpath: DataPath = rpath,
                bh: float = bh,
                lines: int = lines,
                tip: str = tip,
            ) -> None:
                self.unit(c)
                wid = c.widget((MARGIN_X, top - bh, MARGIN_X + CONTENT_W, top), box=False)
                c.fields.append(FormField(fname, MULTILINE, f, rpath, tip, (wid,), lines=lines))

            self.add(_Block(bh + 2, draw), tip)
        self.add(_Block(ROW_GAP, lambda c, top: None))

    def longtext(self, f: Field, name: str, path: DataPath, tooltip: str) -> None:
        if f.prose and self.version >= 4:
            self.prose(f, name, path, tooltip)
            return
        label = _wrap(f.label, CONTENT_W, LABEL_SIZE)
        helps = _wrap(f.help, CONTENT_W, HELP_SIZE) if f.help else []
        head = _text_h(label, LABEL_SIZE) + _text_h(helps, HELP_SIZE) + 3
        bh, lines = self.multiline_box(path, f, CONTENT_W, max(f.lines, 2))

        def draw(c: _Canvas, top: float) -> None:
            self.unit(c)
            c.lines(MARGIN_X, top, LABEL_SIZE, label)
            c.lines(MARGIN_X, top - _text_h(label, LABEL_SIZE), HELP_SIZE, helps, gray=0.3)
            y = top - head
            wid = c.widget((MARGIN_X, y - bh, MARGIN_X + CONTENT_W, y))
            c.fields.append(FormField(name, MULTILINE, f, path, tooltip, (wid,), lines=lines))

        self.add(_Block(head + bh + ROW_GAP, draw), f.label)

    def options_row(self, f: Field, name: str, path: DataPath, tooltip: str, radio: bool) -> None:
        """Radio buttons (one choice) or tick boxes (several), flowed in the right column."""
        options = present.options_of(f)
        states = (names.YES, names.NO) if f.type == d.YESNO else tuple(o.value for o in options)
        items = []  # (x offset, y offset, label lines)
        x = y = 0.0
        line_h = 0.0
        for o in options:
            lines = _wrap(o.label, FIELD_W - BOX - 4, LABEL_SIZE)
            w = BOX + 4 + max(width(s, LABEL_SIZE) for s in lines) + 12
            ih = max(BOX, _text_h(lines, LABEL_SIZE)) + 3
            if x > 0 and x + w > FIELD_W:
                x, y, line_h = 0.0, y + line_h, 0.0
            items.append((x, y, lines))
            x += w
            line_h = max(line_h, ih)
        control_h = y + line_h

        def draw(c: _Canvas, top: float) -> None:
            widgets = []
            for (ox, oy, lines), o, state in zip(items, options, states, strict=True):
                bx, by = FIELD_X + ox, top - oy
                c.lines(bx + BOX + 4, by - 1.5, LABEL_SIZE, lines)
                if radio:
                    rect = (bx, by - BOX, bx + BOX, by)
                    c.current.circles.append((bx + BOX / 2, by - BOX / 2, BOX / 2))
                    widgets.append(c.widget(rect, state=state, box=False))
                else:
                    self._check(
                        c, f, f"{name}.{_token(o, options)}", path, f"{tooltip}: {o.label}", bx, by, o
                    )
            if radio:
                c.fields.append(FormField(name, RADIO, f, path, tooltip, tuple(widgets), options, states))

        self.row(f, control_h, draw)

    def list_field(self, f: Field, name: str, path: DataPath) -> None:
        n = self.next_rows(f)
        if f.prose and self.version >= 4:
            self.prose(f, name, path, f.label, rows=n)
            return
        label = _wrap(f.label, CONTENT_W, LABEL_SIZE)
        helps = _wrap(f.help, CONTENT_W, HELP_SIZE) if f.help else []
        head = _text_h(label, LABEL_SIZE) + _text_h(helps, HELP_SIZE) + 2

        def draw_label(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top, LABEL_SIZE, label)
            c.lines(MARGIN_X, top - _text_h(label, LABEL_SIZE), HELP_SIZE, helps, gray=0.3)

        self.add(_Block(head, draw_label, keep_with_next=True))
        for i in range(n):
            bh, lines = self.multiline_box((*path, i), _item(f), CONTENT_W - 18, max(f.lines, 1))

            def draw(c: _Canvas, top: float, i: int = i, bh: float = bh, lines: int = lines) -> None:
                self.unit(c)
                c.text(MARGIN_X, top - 10, LABEL_SIZE, f"{i + 1}.")
                wid = c.widget((MARGIN_X + 18, top - bh, MARGIN_X + CONTENT_W, top))
                tip = f"{f.label}, row {i + 1}"
                c.fields.append(
                    FormField(f"{name}.{i + 1}", MULTILINE, f, (*path, i), tip, (wid,), lines=lines)
                )

            self.add(_Block(bh + 3, draw), f"{f.label}, row {i + 1}")
        self.add(_Block(ROW_GAP, lambda c, top: None))

    def cards(self, b: present.Cards, name: str, path: DataPath) -> None:
        f = b.field
        n = self.next_rows(f)
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.3)
        self.paragraphs(f.text)
        for i in range(n):
            self.subheading(f"{f.label} {i + 1}", MARGIN_X + 8)
            self.lay_out(b.children, f"{name}.{i + 1}.", (*path, i), f"{f.label}, row {i + 1}")

    def grid(self, b: present.Grid, name: str, path: DataPath, n: int) -> None:
        f = b.field
        cols = f.fields
        weights = [c.weight for c in b.columns]
        avail = CONTENT_W - 18
        widths = [avail * w / sum(weights) for w in weights]
        xs = [MARGIN_X + 18 + sum(widths[:i]) for i in range(len(cols))]
        heads = [
            _wrap(c.label + (f"\n{DATE_HINT}" if c.type == d.DATE else ""), w - 4, HEADER_SIZE)
            for c, w in zip(cols, widths, strict=True)
        ]
        header_h = max(_text_h(h, HEADER_SIZE) for h in heads) + 3
        base = min(max((c.field.lines if c.control == Control.LINES else 1) for c in b.columns), 3)
        if any(type_of(c).wraps for c in cols):
            base = max(base, 2)  # room to wrap a long value
        base_h = max(LINE_H, lines_height(base))
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.3)
        self.paragraphs(f.text)
        for col in cols:  # dropdowns in cells: their options as a key under the heading
            if _cell_kind(col) == COMBO:
                key = "; ".join(present.option_text(col, o) for o in present.options_of(col))
                self.paragraphs(f"{col.label}: {key}", HELP_SIZE, 0.3)

        def draw_header(c: _Canvas, top: float) -> None:
            for x, h in zip(xs, heads, strict=True):
                c.lines(x + 2, top, HEADER_SIZE, h, gray=0.15, bold=True)

        header = _Block(header_h, draw_header, keep_with_next=True)
        self.add(header)
        for i in range(n):
            rpath = (*path, i)

            def texts(rpath: DataPath = rpath) -> Iterator[tuple[str, float]]:
                for col, w in zip(cols, widths, strict=True):
                    if _cell_kind(col) != CHECK:
                        yield shown(col, self.value((*rpath, col.key)), _cell_kind(col) == COMBO), w - 2 * PAD

            g = self.grown_lines(texts, base)
            lines = g or base
            rh = lines_height(g) if g else base_h

            def draw(
                c: _Canvas, top: float, i: int = i, rh: float = rh, lines: int = lines, g: int = g
            ) -> None:  # noqa: E501
                self.unit(c)
                c.text(MARGIN_X, top - 10, LABEL_SIZE, f"{i + 1}")
                for col, x, w in zip(cols, xs, widths, strict=True):
                    r = (x, top - rh, x + w, top)
                    self._cell(c, f, col, name, (*path, i, col.key), i, r, lines, bool(g))

            self.add(_Block(rh, draw, header=header), f"{f.label}, row {i + 1}")
        self.add(_Block(ROW_GAP + 2, lambda c, top: None))

    def _cell(
        self,
        c: _Canvas,
        table: Field,
        col: Field,
        name: str,
        path: DataPath,
        i: int,
        r: Rect,
        lines: int,
        grown: bool,
    ) -> None:
        cell_name = f"{name}.{i + 1}.{col.key}"
        tip = f"{table.label}, row {i + 1}: {col.label}"
        x0, y0, x1, y1 = r
        kind = _cell_kind(col)
        if kind == CHECK:
            c.current.boxes.append(r)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            wid = c.widget((cx - BOX / 2, cy - BOX / 2, cx + BOX / 2, cy + BOX / 2), state=names.YES)
            c.fields.append(FormField(cell_name, CHECK, col, path, tip, (wid,)))
            return
        wid = c.widget(r)
        if kind == COMBO:
            options = present.options_of(col)
            c.fields.append(FormField(cell_name, COMBO, col, path, tip, (wid,), options, lines=lines))
            return
        multi = lines > 1 and (type_of(col).wraps or grown)
        kind = MULTILINE if multi else TEXT
        c.fields.append(FormField(cell_name, kind, col, path, tip, (wid,), lines=lines if multi else 1))

    def signature(self, f: Field, name: str, path: DataPath) -> None:
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.3)
        for part in f.fields:
            tip = f"{f.label} {part.label}"
            pname, ppath = f"{name}.{part.key}", (*path, part.key)
            if part.key == "signature":
                self.line_row(part, pname, ppath, tip, TEXT, FIELD_W, SIGN_H)
                digital = Field("digital", "Digital signature", d.TEXT, f"{f.path}.digital")

                def sig(c: _Canvas, top: float, tip: str = tip) -> None:
                    self._sig_field(c, f, f"{name}.digital", tip, top)

                self.row(digital, DIGITAL_H, sig)
            else:
                self.line_row(part, pname, ppath, tip, TEXT, type_of(part).line_width or FIELD_W, LINE_H)

    def _sig_field(self, c: _Canvas, block: Field, name: str, tip: str, top: float) -> None:
        wid = c.widget((FIELD_X, top - DIGITAL_H, FIELD_X + FIELD_W, top))
        c.fields.append(FormField(name, SIGNATURE, block, None, f"{tip} (digital)", (wid,)))

    # -- the whole document

    def build(self) -> list[_Block]:
        self.title()
        for section in present.present(self.definition).sections:
            s = section.field
            number = section.number if self.version >= 4 else ""
            self.heading(f"{number}   {s.label}" if number else s.label)
            self.paragraphs(s.help, HELP_SIZE, 0.3)
            self.paragraphs(s.text)
            self.lay_out(section.children, f"{s.key}.", (s.key,), "")
            self.add(_Block(6, lambda c, top: None))
        return self.blocks


def _cell_kind(col: Field) -> str:
    control = type_of(col).control(col)
    if control == Control.TICK:
        return CHECK
    if control in (Control.BOXES, Control.DROPDOWN) and not type_of(col).several:
        return COMBO
    return TEXT


def _one(text: str, w: float) -> Callable[[], list[tuple[str, float]]]:
    """One growing box's text and the width it is wrapped to (for :meth:`_Builder.grown_lines`)."""
    return lambda: [(text, w)]


def _item(f: Field) -> Field:
    """A list's items are text: a leaf of that type to display one with."""
    return Field(f.key, f.label, d.TEXT, f.path)


def _token(o: Option, options: tuple[Option, ...]) -> str:
    """The last part of a multiple-choice tick box's name: the option value when it is a
    plain word, else ``o`` and its position."""
    return o.value if _TOKEN.match(o.value) else f"o{options.index(o) + 1}"


def _paginate(blocks: list[_Block], definition: Definition) -> _Canvas:
    canvas = _Canvas()
    canvas.new_page()
    y = TOP
    for i, block in enumerate(blocks):
        need = block.height
        j = i
        while blocks[j].keep_with_next and j + 1 < len(blocks):  # a heading stays with what follows
            j += 1
            need += blocks[j].height
        if y - need < BOTTOM and y < TOP:
            canvas.new_page()
            canvas.text(MARGIN_X, HEADER_Y, HEADER_SIZE, f"{definition.title} (continued)", gray=0.3)
            y = TOP
            if block.header is not None:  # a table continued on a new page repeats its header
                block.header.draw(canvas, y)
                y -= block.header.height
        block.draw(canvas, y)
        y -= block.height
    pages = len(canvas.pages)
    left = f"{definition.title} · version {definition.version}"
    for n in range(pages):  # the footer a person reads
        canvas.page = n
        right = f"Page {n + 1} of {pages}"
        canvas.text(MARGIN_X, FOOTER_Y, FOOTER_SIZE, left, gray=0.3)
        canvas.text(PAGE_W - MARGIN_X - width(right, FOOTER_SIZE), FOOTER_Y, FOOTER_SIZE, right, gray=0.3)
    return canvas


def _make(builder: _Builder, version: int = VERSION) -> Layout:
    canvas = _paginate(builder.build(), builder.definition)
    grown = tuple(builder.grown)
    page_grow = tuple(
        tuple(g for g, p in zip(grown, canvas.units, strict=True) if p == n) for n in range(len(canvas.pages))
    )
    return Layout(
        builder.definition,
        tuple(builder.used),
        canvas.pages,
        canvas.fields,
        version,
        VALUE_SIZES,
        grown,
        page_grow,
    )


@lru_cache(maxsize=64)
def layout(
    definition: Definition,
    rows: tuple[int, ...] | None = None,
    grow: tuple[int, ...] | None = None,
    version: int = VERSION,
) -> Layout:
    """The layout of ``definition`` with these row counts and growing boxes (``None``: a
    blank form's), stamped with ``version`` (one of :data:`VERSIONS`)."""
    return _make(_Builder(definition, rows or (), grow or (), version=version), version)


@lru_cache(maxsize=64)
def names_layout(definition: Definition, rows: tuple[int, ...], version: int = VERSION) -> Layout:
    """A layout with these rows, every box at its printed size: it names every field a form
    with these rows has (a form's field names do not depend on how its boxes grew)."""
    return layout(definition, rows, None, version)


def layout_for(definition: Definition, data: Mapping[str, Any]) -> Layout:
    """The layout a record's data needs: enough rows for every table and list, and every box
    big enough for its value. :class:`RenderError` (naming the field) for a value too long
    for a box on one page."""
    measured = _Builder(definition, row_counts(definition, data), None, data)
    measured.build()  # the blocks are only measured; the cached layout for these numbers is drawn
    return layout(definition, tuple(measured.used), tuple(measured.grown))

"""Layout 1 (frozen): the geometry of every form apforms wrote before layout 2, kept so that
those forms, flattened or printed, keep being read. Nothing here changes: a change would move
boxes under forms already sent out (``tests/fixtures/forms/layout-1`` pins it). apforms now
writes :mod:`apforms.formats.pdf.layout` (layout 2).

Page layout of a fillable PDF, computed from a definition and the number of rows of each
repeating table or list, and nothing else.

The PDF writer draws from a :class:`Layout` and the reader of flattened returns crops every
field's box from the same :class:`Layout`, so both see exactly the same positions. Row counts
travel with the document (footer line and metadata), so a returned form can be laid out again
without its values.

Field names are the definition's key paths, table and list rows numbered from 1
(``provision.costings.2.rate``, ``terms.school_obligations.3``); a multiple choice has a tick
box per option (``transport.arrangements.taxi``); a signature block has ``.name``,
``.position``, ``.signature``, ``.date`` and a digital signature field ``.digital``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from apforms import present
from apforms.formats.pdf import names
from apforms.formats.pdf.fonts import width
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    MULTILINE,
    RADIO,
    SIGNATURE,
    TEXT,
    DataPath,
    FormField,
    Layout,
    PageLayout,
    Rect,
    TextRun,
    Widget,
)
from apforms.formats.pdf.text import LEADING, PAD, PARA, wrap
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field, Option
from apforms.model.types import Control, Shape, type_of

VERSION = 1
VALUE_SIZES = (9.0, 8.0, 7.0, 6.0, 5.0, 4.5)  # a value shrinks down this ladder to fit its box
LINE_H = 16.0  # a one-line box


def box_height(lines: int) -> float:
    """A box with room for ``lines`` one-line paragraphs at the full value size."""
    if lines <= 1:
        return LINE_H
    return VALUE_SIZES[0] * (lines * LEADING + (lines - 1) * PARA) + 2 * PAD


# --------------------------------------------------------------------------- page geometry (points)
PAGE_W, PAGE_H = 595.28, 841.89  # A4
MARGIN_X = 42.0
TOP = PAGE_H - 40.0
BOTTOM = 46.0
FOOTER_Y = 22.0
CONTENT_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 178.0
FIELD_X = MARGIN_X + LABEL_W + 8
FIELD_W = PAGE_W - MARGIN_X - FIELD_X

TITLE_SIZE, HEADING_SIZE, SUBHEADING_SIZE = 14.0, 10.5, 9.0
LABEL_SIZE, HELP_SIZE, HEADER_SIZE, FOOTER_SIZE = 8.5, 7.0, 7.5, 6.5
ROW_GAP = 5.0
BOX = 10.0  # tick box / radio button

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


# --------------------------------------------------------------------------- row counts


def rows_for(f: Field, value: Any) -> int:
    """Rows a table or list gets: its values, at least ``blank_rows``, at most ``max_rows``."""
    n = len(value) if isinstance(value, list) else 0
    top = f.max_rows or 1
    return max(1, min(top, max(n, min(f.blank_rows, top))))


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
    """Turns the definition tree into blocks; row counts come from ``rows`` in order."""

    def __init__(self, definition: Definition, rows: tuple[int, ...], all_rows: bool = False) -> None:
        self.definition = definition
        self.rows = iter(rows)
        self.all_rows = all_rows
        self.used: list[int] = []
        self.blocks: list[_Block] = []

    def next_rows(self, f: Field) -> int:
        n = f.max_rows if self.all_rows else next(self.rows, None)
        n = rows_for(f, None) if n is None else max(1, min(n, f.max_rows or 1))
        self.used.append(n)
        return n

    def add(self, block: _Block) -> None:
        self.blocks.append(block)

    # -- static pieces

    def title(self) -> None:
        defn = self.definition
        title = wrap(defn.title, CONTENT_W, TITLE_SIZE)
        source = wrap(defn.source, CONTENT_W, HELP_SIZE) if defn.source else []
        h = _text_h(title, TITLE_SIZE) + _text_h(source, HELP_SIZE) + 8

        def draw(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top, TITLE_SIZE, title, bold=True)
            c.lines(MARGIN_X, top - _text_h(title, TITLE_SIZE) - 1, HELP_SIZE, source, gray=0.4)

        self.add(_Block(h, draw))

    def heading(self, text: str) -> None:
        lines = wrap(text, CONTENT_W - 8, HEADING_SIZE)
        h = _text_h(lines, HEADING_SIZE) + 6

        def draw(c: _Canvas, top: float) -> None:
            c.current.bands.append((MARGIN_X, top - h + 2, MARGIN_X + CONTENT_W, top))
            c.lines(MARGIN_X + 4, top - 3, HEADING_SIZE, lines, bold=True)

        self.add(_Block(h + 4, draw, keep_with_next=True))

    def subheading(self, text: str, x: float = MARGIN_X) -> None:
        lines = wrap(text, CONTENT_W - (x - MARGIN_X), SUBHEADING_SIZE)
        h = _text_h(lines, SUBHEADING_SIZE) + 3

        def draw(c: _Canvas, top: float) -> None:
            c.lines(x, top, SUBHEADING_SIZE, lines, bold=True)

        self.add(_Block(h, draw, keep_with_next=True))

    def paragraphs(self, text: str | None, size: float = LABEL_SIZE, gray: float = 0.0) -> None:
        if not text:
            return
        for para in text.strip().split("\n"):
            lines = wrap(para.strip(), CONTENT_W, size) if para.strip() else []
            h = _text_h(lines, size) + (2 if lines else 3)

            def draw(c: _Canvas, top: float, lines: list[str] = lines) -> None:
                c.lines(MARGIN_X, top, size, lines, gray=gray)

            self.add(_Block(h, draw))

    # -- blocks of the presentation

    def lay_out(self, blocks: tuple[present.Block, ...], prefix: str, path: DataPath, tip: str = "") -> None:
        for b in blocks:
            if isinstance(b, present.ScaleGrid | present.TickRow | present.Standards | present.RowGroups):
                # a question per row, a group each, as in layout 1
                for f in b.fields:
                    self.lay_out_one(present.block(f), prefix, path, tip)
            else:
                self.lay_out_one(b, prefix, path, tip)

    def lay_out_one(self, b: present.Block, prefix: str, path: DataPath, tip: str) -> None:
        f = b.field
        name, path = f"{prefix}{f.key}", (*path, f.key)
        if isinstance(b, present.Group):
            self.subheading(f.label)
            self.paragraphs(f.help, HELP_SIZE, 0.35)
            self.paragraphs(f.text)
            self.lay_out(b.children, f"{name}.", path, f.label)
        elif isinstance(b, present.SignatureBlock):
            self.signature(f, name, path)
        elif isinstance(b, present.Grid):
            self.grid_block(b, name, path)
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
            self.row(f, LINE_H, lambda c, top: self._line(c, f, name, path, tooltip, COMBO, top, FIELD_W))
        else:
            w = type_of(f).line_width or FIELD_W
            self.row(f, LINE_H, lambda c, top: self._line(c, f, name, path, tooltip, TEXT, top, w))

    def row(self, f: Field, control_h: float, draw_control: Callable[[_Canvas, float], None]) -> None:
        """Label (and help) in the left column, the control in the right one."""
        label = wrap(f.label, LABEL_W, LABEL_SIZE)
        helps = wrap(f.help, LABEL_W, HELP_SIZE) if f.help else []
        left = _text_h(label, LABEL_SIZE) + _text_h(helps, HELP_SIZE) + 2
        h = max(left, control_h) + ROW_GAP

        def draw(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top - 3, LABEL_SIZE, label)
            c.lines(MARGIN_X, top - 3 - _text_h(label, LABEL_SIZE), HELP_SIZE, helps, gray=0.35)
            draw_control(c, top)

        self.add(_Block(h, draw))

    def _line(
        self, c: _Canvas, f: Field, name: str, path: DataPath, tip: str, kind: str, top: float, w: float
    ) -> None:
        wid = c.widget((FIELD_X, top - LINE_H, FIELD_X + w, top))
        options = f.options if kind == COMBO else ()
        c.fields.append(FormField(name, kind, f, path, tip, (wid,), options))

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

    def longtext(self, f: Field, name: str, path: DataPath, tooltip: str) -> None:
        label = wrap(f.label, CONTENT_W, LABEL_SIZE)
        helps = wrap(f.help, CONTENT_W, HELP_SIZE) if f.help else []
        head = _text_h(label, LABEL_SIZE) + _text_h(helps, HELP_SIZE) + 3
        bh = box_height(max(f.lines, 2))

        def draw(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top, LABEL_SIZE, label)
            c.lines(MARGIN_X, top - _text_h(label, LABEL_SIZE), HELP_SIZE, helps, gray=0.35)
            y = top - head
            wid = c.widget((MARGIN_X, y - bh, MARGIN_X + CONTENT_W, y))
            c.fields.append(FormField(name, MULTILINE, f, path, tooltip, (wid,), lines=max(f.lines, 2)))

        self.add(_Block(head + bh + ROW_GAP, draw))

    def options_row(self, f: Field, name: str, path: DataPath, tooltip: str, radio: bool) -> None:
        """Radio buttons (one choice) or tick boxes (several), flowed in the right column."""
        options = present.options_of(f)
        states = (names.YES, names.NO) if f.type == d.YESNO else tuple(o.value for o in options)
        items = []  # (x offset, y offset, label lines)
        x = y = 0.0
        line_h = 0.0
        for o in options:
            lines = wrap(o.label, FIELD_W - BOX - 4, LABEL_SIZE)
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
                c.lines(bx + BOX + 4, by - 1, LABEL_SIZE, lines)
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
        label = wrap(f.label, CONTENT_W, LABEL_SIZE)
        helps = wrap(f.help, CONTENT_W, HELP_SIZE) if f.help else []
        head = _text_h(label, LABEL_SIZE) + _text_h(helps, HELP_SIZE) + 2

        def draw_label(c: _Canvas, top: float) -> None:
            c.lines(MARGIN_X, top, LABEL_SIZE, label)
            c.lines(MARGIN_X, top - _text_h(label, LABEL_SIZE), HELP_SIZE, helps, gray=0.35)

        self.add(_Block(head, draw_label, keep_with_next=True))
        lines = max(f.lines, 2)
        bh = box_height(lines)
        for i in range(n):

            def draw(c: _Canvas, top: float, i: int = i) -> None:
                c.text(MARGIN_X, top - 9, LABEL_SIZE, f"{i + 1}.")
                wid = c.widget((MARGIN_X + 18, top - bh, MARGIN_X + CONTENT_W, top))
                tip = f"{f.label}, row {i + 1}"
                c.fields.append(
                    FormField(f"{name}.{i + 1}", MULTILINE, f, (*path, i), tip, (wid,), lines=lines)
                )

            self.add(_Block(bh + 3, draw))
        self.add(_Block(ROW_GAP, lambda c, top: None))

    def cards(self, b: present.Cards, name: str, path: DataPath) -> None:
        f = b.field
        n = self.next_rows(f)
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.35)
        self.paragraphs(f.text)
        for i in range(n):
            self.subheading(f"{f.label} {i + 1}", MARGIN_X + 8)
            self.lay_out(b.children, f"{name}.{i + 1}.", (*path, i), f"{f.label}, row {i + 1}")

    def grid_block(self, b: present.Grid, name: str, path: DataPath) -> None:
        self.grid(b, name, path, self.next_rows(b.field))

    def grid(self, b: present.Grid, name: str, path: DataPath, n: int) -> None:
        f = b.field
        cols = f.fields
        weights = [c.weight for c in b.columns]
        avail = CONTENT_W - 18
        widths = [avail * w / sum(weights) for w in weights]
        xs = [MARGIN_X + 18 + sum(widths[:i]) for i in range(len(cols))]
        heads = [wrap(c.label, w - 4, HEADER_SIZE) for c, w in zip(cols, widths, strict=True)]
        header_h = max(_text_h(h, HEADER_SIZE) for h in heads) + 3
        lines = min(max((c.field.lines if c.control == Control.LINES else 1) for c in b.columns), 3)
        if any(type_of(c).wraps for c in cols):
            lines = max(lines, 2)  # room to wrap a long value rather than clip it
        rh = box_height(lines)
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.35)
        self.paragraphs(f.text)

        def draw_header(c: _Canvas, top: float) -> None:
            for x, h in zip(xs, heads, strict=True):
                c.lines(x + 2, top, HEADER_SIZE, h, gray=0.2, bold=True)

        header = _Block(header_h, draw_header, keep_with_next=True)
        self.add(header)
        for i in range(n):

            def draw(c: _Canvas, top: float, i: int = i) -> None:
                c.text(MARGIN_X, top - 9, LABEL_SIZE, f"{i + 1}")
                for col, x, w in zip(cols, xs, widths, strict=True):
                    self._cell(c, f, col, name, (*path, i, col.key), i, (x, top - rh, x + w, top), lines)

            self.add(_Block(rh, draw, header=header))
        self.add(_Block(ROW_GAP + 2, lambda c, top: None))

    def _cell(
        self, c: _Canvas, table: Field, col: Field, name: str, path: DataPath, i: int, r: Rect, lines: int
    ) -> None:
        cell_name = f"{name}.{i + 1}.{col.key}"
        tip = f"{table.label}, row {i + 1}: {col.label}"
        x0, y0, x1, y1 = r
        control = type_of(col).control(col)
        if control == Control.TICK:
            c.current.boxes.append(r)
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            wid = c.widget((cx - BOX / 2, cy - BOX / 2, cx + BOX / 2, cy + BOX / 2), state=names.YES)
            c.fields.append(FormField(cell_name, CHECK, col, path, tip, (wid,)))
            return
        wid = c.widget(r)
        if control in (Control.BOXES, Control.DROPDOWN) and not type_of(col).several:
            options = present.options_of(col)  # a dropdown in a table cell
            c.fields.append(FormField(cell_name, COMBO, col, path, tip, (wid,), options))
        else:
            kind = MULTILINE if lines > 1 and type_of(col).wraps else TEXT
            c.fields.append(
                FormField(cell_name, kind, col, path, tip, (wid,), lines=lines if kind == MULTILINE else 1)
            )

    def signature(self, f: Field, name: str, path: DataPath) -> None:
        self.subheading(f.label)
        self.paragraphs(f.help, HELP_SIZE, 0.35)
        for part in f.fields:
            self._signature_part(f, part, name, path)

    def _signature_part(self, block: Field, part: Field, name: str, path: DataPath) -> None:
        tip = f"{block.label} {part.label}"
        pname, ppath = f"{name}.{part.key}", (*path, part.key)
        if part.key != "signature":
            w = type_of(part).line_width or FIELD_W

            def line(c: _Canvas, top: float) -> None:
                self._line(c, part, pname, ppath, tip, TEXT, top, w)

            self.row(part, LINE_H, line)
            return

        def typed(c: _Canvas, top: float) -> None:
            self._sig_text(c, part, pname, ppath, tip, top)

        def digital(c: _Canvas, top: float) -> None:
            self._sig_field(c, block, f"{name}.digital", tip, top)

        self.row(part, 20, typed)
        self.row(Field("digital", "Digital signature", d.TEXT, f"{block.path}.digital"), 28, digital)

    def _sig_text(self, c: _Canvas, f: Field, name: str, path: DataPath, tip: str, top: float) -> None:
        wid = c.widget((FIELD_X, top - 20, FIELD_X + FIELD_W, top))
        c.fields.append(FormField(name, TEXT, f, path, tip, (wid,)))

    def _sig_field(self, c: _Canvas, block: Field, name: str, tip: str, top: float) -> None:
        wid = c.widget((FIELD_X, top - 28, FIELD_X + FIELD_W, top))
        c.fields.append(FormField(name, SIGNATURE, block, None, f"{tip} (digital)", (wid,)))

    # -- the whole document

    def build(self) -> list[_Block]:
        self.title()
        for section in present.present(self.definition).sections:
            s = section.field
            self.heading(s.label)
            self.paragraphs(s.help, HELP_SIZE, 0.35)
            self.paragraphs(s.text)
            self.lay_out(section.children, f"{s.key}.", (s.key,), "")
            self.add(_Block(6, lambda c, top: None))
        return self.blocks


def _token(o: Option, options: tuple[Option, ...]) -> str:
    """The last part of a multiple-choice tick box's name: the option value when it is a
    plain word, else ``o`` and its position."""
    return o.value if _TOKEN.match(o.value) else f"o{options.index(o) + 1}"


def _paginate(blocks: list[_Block]) -> _Canvas:
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
            y = TOP
            if block.header is not None:  # a table continued on a new page repeats its header
                block.header.draw(canvas, y)
                y -= block.header.height
        block.draw(canvas, y)
        y -= block.height
    return canvas


@lru_cache(maxsize=64)
def layout(definition: Definition, rows: tuple[int, ...] | None = None) -> Layout:
    """The layout of ``definition`` with these row counts (``None``: a blank form's)."""
    builder = _Builder(definition, rows or ())
    blocks = builder.build()
    canvas = _paginate(blocks)
    return Layout(definition, tuple(builder.used), canvas.pages, canvas.fields, VERSION, VALUE_SIZES)


@lru_cache(maxsize=16)
def full_layout(definition: Definition) -> Layout:
    """A layout with every row a table or list may have: it names every possible field."""
    builder = _Builder(definition, (), all_rows=True)
    canvas = _paginate(builder.build())
    return Layout(definition, tuple(builder.used), canvas.pages, canvas.fields, VERSION, VALUE_SIZES)


def layout_for(definition: Definition, data: Mapping[str, Any]) -> Layout:
    """The layout a record's data needs (enough rows for every table and list)."""
    return layout(definition, row_counts(definition, data))

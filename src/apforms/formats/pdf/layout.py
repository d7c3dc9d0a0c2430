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

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from apforms import present
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
    Widget,
)
from apforms.formats.pdf.layout_answers import _Answers
from apforms.formats.pdf.layout_page import (
    BOTTOM,
    BOX,
    CONTENT_W,
    FOOTER_SIZE,
    FOOTER_Y,
    HEADER_SIZE,
    HEADER_Y,
    HEADING_SIZE,
    HELP_SIZE,
    LABEL_SIZE,
    MARGIN_X,
    MARKER_SIZE,
    MARKER_Y,
    MM,
    PAGE_H,
    PAGE_W,
    SUBHEADING_SIZE,
    TITLE_SIZE,
    TOP,
    VALUE_SIZES,
    VERSION,
    VERSIONS,
    _Block,
    _Canvas,
    _text_h,
    _wrap,
    capacity,
    row_counts,
    rows_for,
    rows_from_names,
)
from apforms.formats.pdf.layout_tables import _Tables
from apforms.formats.pdf.text import LEADING
from apforms.model.definitions import Definition
from apforms.model.types import Control

__all__ = [
    "BOX",
    "CHECK",
    "COMBO",
    "DataPath",
    "FormField",
    "HEADER_SIZE",
    "HEADER_Y",
    "LABEL_SIZE",
    "Layout",
    "MARGIN_X",
    "MARKER_SIZE",
    "MARKER_Y",
    "MM",
    "MULTILINE",
    "PAGE_H",
    "PAGE_W",
    "PageLayout",
    "RADIO",
    "Rect",
    "SIGNATURE",
    "TEXT",
    "VERSION",
    "VERSIONS",
    "Widget",
    "YES_NO",
    "capacity",
    "layout",
    "layout_for",
    "names_layout",
    "row_counts",
    "rows_for",
    "rows_from_names",
]


class _Builder(_Tables, _Answers):
    """Turns the definition tree into blocks.

    Row counts come from ``rows`` in order. Each growing box takes its number of lines from
    ``grow`` in order (a returned form being laid out again) or, when ``grow`` is ``None``,
    measures it from ``data`` (a record being rendered).
    """

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

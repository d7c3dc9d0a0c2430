"""Word templates laid out from definitions: one docxtpl template per document, by python-docx.

``scripts/build_templates.py`` writes ``templates/<id>.docx`` with :func:`build_template`. The
layout follows the definition tree, in order:

- the title, then per section a heading, its fixed wording and help;
- runs of fields as label/value tables (labels shaded, long answers and lists full width,
  nested groups and signature blocks as headed rows, tick boxes as ``☐ label``);
- tables as grids whose rows repeat with the data (``{%tr for %}``), or, when a row holds a
  group or another table, as a numbered block per row (``{%p for %}``);
- runs of fields on the same scale (Never / Occasionally / Frequently …) as one grid with a
  box per option;
- a footer with the document id, version and page numbers.

The template variables are the record's key paths (see :mod:`apforms.formats.docx.context`), so a
template can be checked against its definition (:mod:`apforms.formats.docx.lint`). The output is
byte-for-byte reproducible: fixed dates in the properties and in the zip, no unused parts.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from apforms import present
from apforms.errors import DefinitionError
from apforms.formats.docx import context as view
from apforms.formats.docx import marks
from apforms.model.definitions import Definition, Field
from apforms.model.types import Control, Shape, type_of

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21.0), Cm(29.7), Cm(2.0)  # A4
TEXT_WIDTH = Cm(17.0)
LABEL_WIDTH = Cm(6.2)
LINE_HEIGHT = Cm(0.6)  # room for a line of handwriting
SIGNATURE_HEIGHT = Cm(1.1)
_SHORT_VALUE_CM = 2.5  # room for 27/03/2026 or £12,345.00 in 10 pt Arial, with the cell margins
FONT = "Arial"
#: Has ☐ and ☒ on Windows; other systems substitute a font that has them.
BOX_FONT = "Segoe UI Symbol"
LABEL_FILL, GROUP_FILL = "E8EEF7", "C9D7EC"
INK = RGBColor(0x1F, 0x38, 0x64)
GREY = RGBColor(0x59, 0x59, 0x59)
BUILT = datetime(2026, 1, 1, tzinfo=UTC)  # fixed, so that builds are reproducible
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

# Paragraph styles the layout uses; restyle them in Word to restyle every form.
LABEL, VALUE, HELP, TEXT, SPACER = "Form Label", "Form Value", "Form Help", "Form Text", "Form Spacer"
#: Answers printed as plain paragraphs (prose): set like fixed wording, but their own style, so
#: that a paragraph added to an answer (Enter in Word) is known to belong to it.
ANSWER = "Form Answer"
TITLE, HEADING, CAPTION, BULLET, FOOTER = "Title", "Heading 1", "Heading 2", "List Bullet", "Footer"
_KEEP_STYLES = (
    "Normal",
    "Default Paragraph Font",
    "Normal Table",
    "No List",
    "Table Grid",
    TITLE,
    HEADING,
    CAPTION,
    BULLET,
    FOOTER,
    "Header",
    LABEL,
    VALUE,
    HELP,
    TEXT,
    SPACER,
    ANSWER,
)
_DROP_RELS = ("stylesWithEffects", "customXml", "thumbnail", "webSettings")
#: What paragraphs are added to: the document body or a table cell.
_Container = DocxDocument | _Cell

#: Names that cannot follow a dot in a Jinja expression (keywords, dict methods).
_NOT_ATTRIBUTE = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "for", "true", "false", "none", "loop", "recursive"}
) | frozenset(a for a in dir(dict) if not a.startswith("_"))
_SAFE_LITERAL = re.compile(r"[A-Za-z0-9 _\-./,()]")
_TEMPLATE_SYNTAX = re.compile(r"\{[{%#]|[}%#]\}")


# --------------------------------------------------------------------------- expressions


def child_expr(parent: str, key: str) -> str:
    """The Jinja expression of ``key`` inside ``parent`` (subscript where a dot cannot work)."""
    return f"{parent}[{literal(key)}]" if key in _NOT_ATTRIBUTE else f"{parent}.{key}"


def literal(value: str) -> str:
    """A Jinja string literal that survives Word XML: only plain characters, the rest escaped.

    docxtpl turns typographic quotes inside tags into plain ones and leaves ``&amp;`` as is,
    so anything but letters, digits and simple punctuation is written as ``\\UXXXXXXXX``.
    """
    return '"' + "".join(c if _SAFE_LITERAL.match(c) else f"\\U{ord(c):08x}" for c in value) + '"'


def var(expr: str) -> str:
    return "{{ " + expr + " }}"


def is_card_table(f: Field) -> bool:
    """A table whose rows are too rich for a grid: a block of label/value rows per row."""
    return not present.is_grid(f)


# --------------------------------------------------------------------------- the builder


def build_template(definition: Definition) -> bytes:
    """The docxtpl template of a definition, as reproducible .docx bytes."""
    return _Builder(definition).build()


class _Builder:
    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.doc: DocxDocument = Document()
        self.names = {s.key for s in definition.sections} | {view.DOC}
        for s in definition.sections:
            if s.key in _NOT_ATTRIBUTE | {view.DOC}:
                where = f"{definition.file}: section key {s.key!r}"
                raise DefinitionError(f"{where} cannot be a template variable")

    def build(self) -> bytes:
        self._page()
        self._styles()
        self._header()
        self._footer()
        self._static_p(self.doc, self.definition.title, TITLE)
        for section in present.present(self.definition).sections:
            self._section(section)
        self._properties()
        self._drop_unused_parts()
        buf = io.BytesIO()
        self.doc.save(buf)
        return normalise_zip(with_properties(buf.getvalue(), self.definition))

    # ---------------------------------------------------------------- document set-up

    def _page(self) -> None:
        s = self.doc.sections[0]
        s.page_width, s.page_height = PAGE_WIDTH, PAGE_HEIGHT
        s.left_margin = s.right_margin = s.top_margin = s.bottom_margin = MARGIN
        s.header_distance = s.footer_distance = Cm(1.0)

    def _styles(self) -> None:
        styles = self.doc.styles
        rpr = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "en-GB")
        normal = styles["Normal"]
        _set_font(normal, FONT, Pt(10))
        normal.paragraph_format.space_after = Pt(2)
        normal.paragraph_format.space_before = Pt(0)
        for name, size, before, after in ((TITLE, 16, 0, 10), (HEADING, 12.5, 12, 4), (CAPTION, 10.5, 8, 3)):
            st = styles[name]
            _set_font(st, FONT, Pt(size), bold=True, color=INK)
            st.paragraph_format.space_before, st.paragraph_format.space_after = Pt(before), Pt(after)
            st.paragraph_format.keep_with_next = True
        _drop_border(styles[TITLE])
        _set_font(styles[FOOTER], FONT, Pt(8), color=GREY)
        _drop_tabs(styles[FOOTER])
        for name, size, italic, color, after in (
            (LABEL, 10, False, None, 1),
            (VALUE, 10, False, None, 1),
            (HELP, 8, True, GREY, 1),
            (TEXT, 10, False, None, 4),
            (ANSWER, 10, False, None, 4),
            (SPACER, 4, False, None, 0),
        ):
            st = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            st.base_style = normal
            st.quick_style = True
            _set_font(st, FONT, Pt(size), italic=italic, color=color)
            st.paragraph_format.space_after = Pt(after)
        _prune_styles(styles.element, _KEEP_STYLES, styles)

    def _header(self) -> None:
        """The council's name, right-aligned at the top of every page (from the configuration)."""
        p = self.doc.sections[0].header.paragraphs[0]
        p.style = FOOTER
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run(var(view.DOC + ".council"))

    def _footer(self) -> None:
        p = self.doc.sections[0].footer.paragraphs[0]
        p.style = FOOTER
        stops = p.paragraph_format.tab_stops
        stops.add_tab_stop(TEXT_WIDTH, WD_TAB_ALIGNMENT.RIGHT)
        p.add_run(f"{var(view.DOC + '.title')} · version {var(view.DOC + '.version')}\tPage ")
        _field(p, "PAGE")
        p.add_run(" of ")
        _field(p, "NUMPAGES")

    def _properties(self) -> None:
        cp = self.doc.core_properties
        cp.title = self.definition.title
        cp.subject = self.definition.source
        cp.author = cp.last_modified_by = "apforms"
        cp.comments = (
            f"Template for apforms document {self.definition.id!r}, definition version "
            f"{self.definition.version}, built by scripts/build_templates.py. Restyle freely; "
            "keep the template tags."
        )
        cp.keywords = cp.category = ""
        cp.created = cp.modified = cp.last_printed = BUILT
        cp.revision = 1

    def _drop_unused_parts(self) -> None:
        for part in (self.doc.part, self.doc.part.package):
            for rid, rel in list(part.rels.items()):
                if any(rel.reltype.endswith(name) for name in _DROP_RELS):
                    part.rels.pop(rid)

    # ---------------------------------------------------------------- sections and blocks

    def _section(self, section: present.Section) -> None:
        f = section.field
        if f.label != self.definition.title or f is not self.definition.sections[0]:
            self._static_p(self.doc, f"{section.number}   {f.label}" if section.number else f.label, HEADING)
        self._intro(self.doc, f)
        self._blocks(section.children, f.key, heading=f.label)

    def _intro(self, where: _Container, f: Field) -> None:
        """A field's fixed wording and help, as paragraphs."""
        self._text_lines(where, f.text)
        if f.help:
            self._static_p(where, f.help.strip(), HELP)

    def _blocks(self, blocks: tuple[present.Block, ...], parent: str, heading: str = "") -> None:
        """A container's blocks: label/value tables, grids, repeating tables, in order."""
        table: Table | None = None
        for b in blocks:
            f = b.field
            if isinstance(b, present.ScaleGrid):
                table = None
                self._matrix(b, parent)
            elif isinstance(b, present.Grid | present.Cards):
                table = None
                self._repeating(b, child_expr(parent, f.key), heading)
            elif isinstance(b, present.TickRow):
                table = None
                self._tick_row(b, parent)
            elif isinstance(b, present.Standards):
                table = None
                self._standards(b, parent)
            elif isinstance(b, present.RowGroups):
                table = None
                self._row_groups(b, parent)
            elif f.prose:  # plain paragraphs, as the form prints them: no label, no bullets
                table = None
                self._prose(f, child_expr(parent, f.key))
            elif isinstance(b, present.Group) and not b.flat:
                table = None
                self._static_p(self.doc, f.label, CAPTION)
                self._intro(self.doc, f)
                self._blocks(b.children, child_expr(parent, f.key), heading=f.label)
            else:
                if table is None:
                    table = self._table(2, [LABEL_WIDTH, Length(TEXT_WIDTH - LABEL_WIDTH)])
                self._rows(table, f, child_expr(parent, f.key))
            heading = ""

    def _tick_row(self, row: present.TickRow, parent: str) -> None:
        """Tick boxes side by side, a cell each (a group: its label above its boxes)."""
        n = len(row.fields)
        t = self._table(n, [Length(TEXT_WIDTH // n)] * n)
        for cell, f in zip(self._add_row(t), row.fields, strict=True):
            expr = child_expr(parent, f.key)
            if f.fields:
                self._static_p(cell, f.label, LABEL, bold=True)
            for part in present.tick_parts(f):
                p = _cell_p(cell, VALUE)
                _box_run(p, var(child_expr(expr, part.key) if f.fields else expr))
                self._run(p, " " + part.label)
                marks.bookmark(p._p, marks.mark(marks.BOX, part.path), at_end=True)

    def _prose(self, f: Field, expr: str) -> None:
        """Plain paragraphs in a style of the answer's own (set as fixed wording is): typing
        over them, or pressing Enter in them, keeps the style, so they are found again."""
        style = self._answer_style(f)
        if type_of(f).control(f) == Control.LIST:
            item = self._loop_name(f.key, "item")
            self._static_p(self.doc, "{%p for " + item + " in " + expr + " %}", VALUE)
            self._run(self.doc.add_paragraph(style=style), var(item))
            self._static_p(self.doc, "{%p endfor %}", VALUE)
            self.names.discard(item)
        else:
            self._run(self.doc.add_paragraph(style=style), var(expr))

    def _answer_style(self, f: Field) -> str:
        name = marks.answer_style(f.path)
        st = self.doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = self.doc.styles[ANSWER]
        st.quick_style = False
        st.hidden = False
        return name

    def _text_lines(self, where: _Container, text: str | None) -> None:
        """Fixed wording, a paragraph a line; a line to write on at the end of one ("please
        inform the local authority's AP lead: ____") is the configured contact, if any."""
        for line in (text or "").split("\n"):
            blank = present.WRITE_ON.match(line.strip())
            if blank:
                p = self._static_p(where, blank.group(1) + " ", TEXT)
                marks.bookmark(p._p, marks.mark(marks.OTHER, "la_contact"))
                self._run(p, var(view.DOC + ".la_contact"))
            elif line.strip():
                self._static_p(where, line.strip(), TEXT)

    def _header_row(self, t: Table, labels: list[str]) -> None:
        for cell, label in zip(self._add_row(t), labels, strict=True):
            _shade(cell, LABEL_FILL)
            self._static_p(cell, label, LABEL, bold=True)
        _repeat_header(t)

    def _standards(self, b: present.Standards, parent: str) -> None:
        """The QA framework's table: number | National standard | Requirement met | Evidence."""
        rating0, evidence0 = b.fields[0].fields
        widths: list[Length] = [Cm(1.0), Cm(6.8), Cm(3.9), Cm(5.3)]
        t = self._table(4, widths)
        self._header_row(t, ["", "National standard", rating0.label, evidence0.label])
        for std in b.fields:
            rating, evidence = std.fields
            expr = child_expr(parent, std.key)
            number, text, boxes, value = self._add_row(t)
            number_p = self._static_p(number, std.label, LABEL, bold=True)
            for line in (std.text or "").split("\n"):
                if line.strip():
                    self._static_p(text, line.strip(), TEXT)
            self._value(boxes, rating, child_expr(expr, rating.key), narrow=True, anchor=(number_p, 2, 0))
            self._value(value, evidence, child_expr(expr, evidence.key), anchor=(number_p, 3, 0))
            _min_height(t, Length(LINE_HEIGHT * 4), keep=False)

    def _row_groups(self, b: present.RowGroups, parent: str) -> None:
        """Groups with the same fields as one table, a row per group (English, Maths)."""
        cols = b.field.fields
        label_w = Cm(3.2)
        weights = [c.weight for c in b.columns]
        rest = TEXT_WIDTH - label_w
        widths = [label_w] + [Length(int(rest * w / sum(weights))) for w in weights]
        t = self._table(1 + len(cols), widths)
        self._header_row(t, [b.row_header] + [c.label for c in cols])
        for g in b.fields:
            cells = self._add_row(t)
            _shade(cells[0], LABEL_FILL)
            label_p = self._static_p(cells[0], g.label, LABEL, bold=True)
            for n, (cell, col) in enumerate(zip(cells[1:], g.fields, strict=True), start=1):
                where = child_expr(child_expr(parent, g.key), col.key)
                self._value(cell, col, where, narrow=True, anchor=(label_p, n, 0))
            _min_height(t, LINE_HEIGHT, keep=True)

    def _table(self, ncols: int, widths: list[Length]) -> Table:
        t: Table = self.doc.add_table(rows=0, cols=ncols)  # python-docx leaves the return unannotated
        t.style = self.doc.styles["Table Grid"]
        t.autofit = False
        for col, w in zip(t.columns, widths, strict=True):
            col.width = w
        self._static_p(self.doc, "", SPACER)
        return t

    def _add_row(self, t: Table, merged: bool = False) -> list[_Cell]:
        row: _Row = t.add_row()  # type: ignore[no-untyped-call]
        for cell, col in zip(row.cells, t.columns, strict=True):
            cell.width = col.width
        if merged:
            return [row.cells[0].merge(row.cells[-1])]
        return list(row.cells)

    # ---------------------------------------------------------------- label/value rows

    def _rows(self, t: Table, f: Field, expr: str) -> None:
        control = type_of(f).control(f)
        if f.shape == Shape.OBJECT:
            (cell,) = self._add_row(t, merged=True)
            _shade(cell, GROUP_FILL)
            self._static_p(cell, f.label, LABEL, bold=True)
            self._intro(cell, f)
            _keep_with_next(cell)
            for c in f.fields:
                self._rows(t, c, child_expr(expr, c.key))
            return
        if f.text:
            (cell,) = self._add_row(t, merged=True)
            self._text_lines(cell, f.text)
        if control == Control.TICK:
            (cell,) = self._add_row(t, merged=True)
            p = _cell_p(cell, VALUE)
            _box_run(p, var(expr))
            self._run(p, " " + f.label)
            marks.bookmark(p._p, marks.mark(marks.BOX, f.path), at_end=True)
            if f.help:
                self._static_p(cell, f.help.strip(), HELP)
            return
        block = present.block(f)
        stacked = isinstance(block, present.Answer) and block.stacked
        if stacked:
            (label,) = self._add_row(t, merged=True)
            (value,) = self._add_row(t, merged=True)
        else:
            label, value = self._add_row(t)
        _shade(label, LABEL_FILL)
        label_p = self._static_p(label, f.label, LABEL)
        if f.help:
            self._static_p(label, f.help.strip(), HELP)
        if stacked:
            _keep_with_next(label)
        # the answer's mark goes on its label, where nobody types: the answer is the next
        # cell of the row, or the row below when the label is above it
        self._value(value, f, expr, anchor=(label_p, 0, 1) if stacked else (label_p, 1, 0))
        height: Length = LINE_HEIGHT
        if f.key == "signature" and f.path.endswith(".signature"):
            height = SIGNATURE_HEIGHT
        if control == Control.LINES:
            height = Length(LINE_HEIGHT * f.lines)
        _min_height(t, height, keep=control not in (Control.LINES, Control.LIST))

    def _value(
        self,
        cell: _Cell,
        f: Field,
        expr: str,
        narrow: bool = False,
        anchor: tuple[Paragraph, int, int] | None = None,
    ) -> None:
        """What prints a leaf's answer into a cell. ``anchor``: where its mark goes (a
        paragraph of fixed text, with the answer's cell in that row, or rows below); a choice
        printed as boxes marks each box after its option's label. ``None``: no marks (a grid's
        rows, which its header row finds)."""
        control = type_of(f).control(f)
        if control == Control.LIST:
            item = self._loop_name(f.key, "item")
            self._static_p(cell, "{%p for " + item + " in " + expr + " %}", VALUE)
            self._run(_cell_p(cell, BULLET), var(item))
            self._static_p(cell, "{%p endfor %}", VALUE)
            self.names.discard(item)
        elif control == Control.TICK:
            p = _cell_p(cell, VALUE)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _box_run(p, var(expr))
            if anchor is not None:
                where, col, rows = anchor
                marks.bookmark(where._p, marks.mark(marks.BOX, f.path), col=col, rows=rows, at_end=True)
            return
        elif control == Control.BOXES:
            self._boxes(cell, f, expr, narrow, anchor is not None)
            return
        elif control == Control.DROPDOWN:
            self._run(_cell_p(cell, VALUE), var(expr + ".text"))
        else:
            self._run(_cell_p(cell, VALUE), var(expr))
        if anchor is not None:
            where, col, rows = anchor
            marks.bookmark(where._p, marks.mark(marks.VALUE, f.path), col=col, rows=rows, at_end=True)

    def _boxes(self, cell: _Cell, f: Field, expr: str, narrow: bool, mark: bool = True) -> None:
        options = view.options_of(f)
        inline = not narrow and sum(len(o.label) for o in options) <= present.SHORT_OPTIONS
        p = _cell_p(cell, VALUE)
        for i, o in enumerate(options):
            if i and not inline:
                p = cell.add_paragraph(style=VALUE)
            _box_run(p, var(f"{expr}.box[{literal(o.value)}]"))
            self._run(p, f" {o.label}")
            if mark:  # after the option's label: typing over the box keeps it
                marks.bookmark(p._p, marks.mark(marks.BOX, f.path, o.value), at_end=True)
            if inline and i < len(options) - 1:
                self._run(p, "    ")

    # ---------------------------------------------------------------- grids

    def _matrix(self, grid: present.ScaleGrid, parent: str) -> None:
        """Fields on one scale: a row each, a column of boxes per option."""
        run, options = grid.fields, grid.options
        col = Cm(2.7)
        t = self._table(1 + len(options), [Length(TEXT_WIDTH - col * len(options))] + [col] * len(options))
        header = self._add_row(t)
        _repeat_header(t)
        for cell, label in zip(header, [""] + [o.label for o in options], strict=True):
            _shade(cell, LABEL_FILL)
            p = self._static_p(cell, label, LABEL, bold=True)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for f in run:
            cells = self._add_row(t)
            label_p = self._static_p(cells[0], f.label, LABEL)
            if f.help:
                self._static_p(cells[0], f.help.strip(), HELP)
            for n, (cell, o) in enumerate(zip(cells[1:], options, strict=True), start=1):
                p = _cell_p(cell, VALUE)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _box_run(p, var(f"{child_expr(parent, f.key)}.box[{literal(o.value)}]"))
                # on the question's label, pointing at the option's column: nobody types there
                marks.bookmark(label_p._p, marks.mark(marks.BOX, f.path, o.value), col=n, at_end=True)
            _min_height(t, LINE_HEIGHT, keep=True)

    def _repeating(self, b: present.Grid | present.Cards, expr: str, heading: str) -> None:
        f = b.field
        card = isinstance(b, present.Cards)
        if (f.label != heading and not card) or f.text or f.help:
            self._static_p(self.doc, f.label, CAPTION)
        self._intro(self.doc, f)
        row = self._loop_name(f.key, "row")
        if isinstance(b, present.Cards):
            self._static_p(self.doc, "{%p for " + row + " in " + expr + " %}", VALUE)
            p = self._static_p(self.doc, f.label + " ", CAPTION)
            marks.bookmark(p._p, marks.mark(marks.CARD, f.path))
            self._run(p, var("loop.index"))
            self._blocks(b.children, row)
            self._static_p(self.doc, "{%p endfor %}", VALUE)
        else:
            self._grid(b, expr, row)
        self.names.discard(row)

    def _grid(self, grid: present.Grid, expr: str, row: str) -> None:
        """A table with a header and one row per item, repeated by docxtpl (``{%tr for %}``)."""
        f = grid.field
        t = self._table(len(f.fields), column_widths(grid))
        for i, (cell, c) in enumerate(zip(self._add_row(t), f.fields, strict=True)):
            _shade(cell, LABEL_FILL)
            p = self._static_p(cell, c.label, LABEL, bold=True)
            if i == 0:  # the rows after this header row are the table's, as many as there are
                marks.bookmark(p._p, marks.mark(marks.GRID, f.path))
            if c.help:
                self._static_p(cell, c.help.strip(), HELP)
        _repeat_header(t)
        self._static_p(self._add_row(t)[0], "{%tr for " + row + " in " + expr + " %}", VALUE)
        for cell, c in zip(self._add_row(t), f.fields, strict=True):
            self._value(cell, c, child_expr(row, c.key), narrow=True)
        lines = max([c.field.lines for c in grid.columns if c.control == Control.LINES] or [1])
        _min_height(t, Length(LINE_HEIGHT * lines), keep=lines <= 4)
        self._static_p(self._add_row(t)[0], "{%tr endfor %}", VALUE)

    # ---------------------------------------------------------------- text

    def _loop_name(self, key: str, suffix: str) -> str:
        name, n = f"{key}_{suffix}", 2
        while name in self.names:
            name, n = f"{key}_{suffix}{n}", n + 1
        self.names.add(name)
        return name

    def _static_p(self, where: _Container, text: str, style: str, bold: bool = False) -> Paragraph:
        p = _cell_p(where, style) if isinstance(where, _Cell) else where.add_paragraph(style=style)
        if text:
            run = self._run(p, text)
            if bold:
                run.bold = True
        return p

    def _run(self, p: Paragraph, text: str) -> Run:
        template_text = re.sub(r"\{\{ [^}]* \}\}|\{%p [^%]* %\}|\{%tr [^%]* %\}", "", text)
        if _TEMPLATE_SYNTAX.search(template_text):
            raise DefinitionError(
                f"{self.definition.file}: {text[:60]!r}: '{{{{', '{{%' and '{{#' cannot be printed in "
                "a Word template"
            )
        return p.add_run(text)


# --------------------------------------------------------------------------- python-docx helpers


def column_widths(grid: present.Grid) -> list[Length]:
    """Column widths in proportion to the presentation's weights, except that a short value
    of fixed shape (a date, an amount, a UPN) always gets room for one line of it."""
    weights = [c.weight for c in grid.columns]
    least = [min(Cm(_SHORT_VALUE_CM), TEXT_WIDTH // len(weights)) if type_of(c.field).line_width else 0
             for c in grid.columns]  # fmt: skip
    widths = [int(TEXT_WIDTH * w / sum(weights)) for w in weights]
    short = [i for i, w in enumerate(widths) if w < least[i]]
    if short:
        spare = TEXT_WIDTH - sum(least[i] for i in short)
        rest = sum(weights[i] for i in range(len(weights)) if i not in short)
        widths = [least[i] if i in short else int(spare * weights[i] / rest) for i in range(len(weights))]
    return [Length(w) for w in widths]


def _cell_p(where: _Container, style: str) -> Paragraph:
    """The cell's first paragraph while it is still empty, else a new one."""
    if isinstance(where, _Cell):
        first: Paragraph = where.paragraphs[0]
        if len(where.paragraphs) == 1 and not first.runs:
            first.style = style
            return first
    p: Paragraph = where.add_paragraph(style=style)  # _Cell.add_paragraph's return is unannotated
    return p


def _box_run(p: Paragraph, text: str) -> Run:
    run = p.add_run(text)
    rfonts = run._r.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), BOX_FONT)
    return run


def _keep_with_next(cell: _Cell) -> None:
    for p in cell.paragraphs:
        p.paragraph_format.keep_with_next = True


def _min_height(t: Table, height: Length, keep: bool) -> None:
    """The last row at least ``height`` tall; ``keep`` stops it breaking across pages."""
    row = t.rows[-1]
    row.height, row.height_rule = height, WD_ROW_HEIGHT_RULE.AT_LEAST
    if keep:  # w:cantSplit comes before w:trHeight in the schema; Word checks the order
        row._tr.get_or_add_trPr().find(qn("w:trHeight")).addprevious(OxmlElement("w:cantSplit"))


def _set_font(
    style: Any,
    name: str,
    size: Length,
    bold: bool = False,
    italic: bool = False,
    color: RGBColor | None = None,
) -> None:
    font = style.font
    font.size, font.bold, font.italic = size, bold or None, italic or None
    if color is not None:
        font.color.rgb = color
    rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), name)


def _drop_border(style: Any) -> None:
    ppr = style.element.pPr
    if ppr is not None:
        for el in ppr.findall(qn("w:pBdr")):
            ppr.remove(el)


def _drop_tabs(style: Any) -> None:
    ppr = style.element.pPr
    if ppr is not None:
        for el in ppr.findall(qn("w:tabs")):
            ppr.remove(el)


def _shade(cell: _Cell, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(t: Table) -> None:
    tr_pr = t.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))


def _field(p: Paragraph, instruction: str) -> None:
    """A simple Word field (PAGE, NUMPAGES) with a placeholder result."""
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = "1"
    run.append(t)
    fld.append(run)
    p._p.append(fld)


def _prune_styles(root: Any, keep_names: tuple[str, ...], styles: Any) -> None:
    """Remove styles the layout does not use (and the latent list) so the template is small."""
    keep = {styles[n].style_id for n in keep_names}
    by_id = {s.get(qn("w:styleId")): s for s in root.findall(qn("w:style"))}
    todo = list(keep)
    while todo:
        s = by_id.get(todo.pop())
        if s is None:
            continue
        for ref in ("w:basedOn", "w:link", "w:next"):
            el = s.find(qn(ref))
            if el is not None and el.get(qn("w:val")) not in keep:
                keep.add(el.get(qn("w:val")))
                todo.append(el.get(qn("w:val")))
    for sid, s in by_id.items():
        if sid not in keep:
            root.remove(s)
    latent = root.find(qn("w:latentStyles"))
    if latent is not None:
        root.remove(latent)


def with_properties(data: bytes, definition: Definition) -> bytes:
    """The package with custom properties naming the document and its definition version
    (what a returned copy is identified by)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            part = zin.read(item)
            if item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{marks.CUSTOM_PART}" ContentType="{marks.CUSTOM_TYPE}"/>'
                part = part.replace(b"</Types>", override.encode() + b"</Types>")
            elif item.filename == "_rels/.rels":
                rel = (
                    f'<Relationship Id="rIdApforms" Type="{marks.CUSTOM_REL}" Target="{marks.CUSTOM_PART}"/>'
                )
                part = part.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
            zout.writestr(item, part)
        zout.writestr(marks.CUSTOM_PART, marks.custom_properties(definition.id, definition.version))
    return out.getvalue()


def normalise_zip(data: bytes) -> bytes:
    """The same zip with fixed dates and attributes, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zout.writestr(info, zin.read(item), compresslevel=6)
    return out.getvalue()

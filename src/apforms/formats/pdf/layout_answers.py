"""Layout 2 to 4 answers: a question and its box, boxes of several lines, radio buttons
and tick boxes, lists, prose paragraphs, signature blocks (a mixin of :class:`.layout._Builder`)."""

from __future__ import annotations

from collections.abc import Callable

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
)
from apforms.formats.pdf.layout_page import (
    BOX,
    CONTENT_W,
    DATE_HINT,
    DIGITAL_H,
    FIELD_W,
    FIELD_X,
    HELP_SIZE,
    LABEL_SIZE,
    LABEL_W,
    LINE_H,
    MARGIN_X,
    ROW_GAP,
    SIGN_H,
    WRITE_LINE,
    _Block,
    _Canvas,
    _Core,
    _item,
    _one,
    _text_h,
    _token,
    _wrap,
    capacity,
    shown,
)
from apforms.formats.pdf.text import PAD, lines_height
from apforms.model import definitions as d
from apforms.model.definitions import Field, Option
from apforms.model.types import Control, type_of


class _Answers(_Core):
    """The parts of a form that are one question and its answer."""

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
            if present.lists_options(f):
                self.option_list(f)
            else:
                self.write_in_hint(f)
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

    def write_in_hint(self, f: Field) -> None:
        """Below a dropdown too long to list, what to write in its box (the code or the name)."""
        lines = _wrap(present.write_in_hint(f), FIELD_W, HELP_SIZE)

        def draw(c: _Canvas, top: float) -> None:
            c.lines(FIELD_X, top, HELP_SIZE, lines, gray=0.3)

        self.add(_Block(_text_h(lines, HELP_SIZE) + ROW_GAP, draw), f.label)

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

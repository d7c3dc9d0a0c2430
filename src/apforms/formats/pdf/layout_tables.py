"""Layout 2 to 4 tables: tick boxes side by side, the QA standards, groups as rows of one
table, grids and cards of repeating tables (a mixin of :class:`.layout._Builder`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from apforms import present
from apforms.formats.pdf import names
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    MULTILINE,
    RADIO,
    TEXT,
    DataPath,
    FormField,
    Rect,
)
from apforms.formats.pdf.layout_page import (
    BOX,
    CONTENT_W,
    DATE_HINT,
    HEADER_SIZE,
    HELP_SIZE,
    LABEL_SIZE,
    LINE_H,
    MARGIN_X,
    MAX_BOX_H,
    ROW_GAP,
    ROW_LABEL_W,
    STD_NUMBER_W,
    STD_RATING_W,
    STD_ROW_MAX,
    STD_TEXT_W,
    WRITE_LINE,
    _Block,
    _Canvas,
    _cell_kind,
    _Core,
    _one,
    _text_h,
    _wrap,
    capacity,
    shown,
)
from apforms.formats.pdf.text import PAD, lines_height
from apforms.model import definitions as d
from apforms.model.definitions import Field
from apforms.model.types import Control, type_of


class _Tables(_Core):
    """The parts of a form laid out as tables."""

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
            if _cell_kind(col) == COMBO and present.lists_options(col):
                key = "; ".join(present.option_text(col, o) for o in present.options_of(col))
                self.paragraphs(f"{col.label}: {key}", HELP_SIZE, 0.3)
            elif _cell_kind(col) == COMBO:
                self.paragraphs(f"{col.label}: {present.write_in_hint(col)}", HELP_SIZE, 0.3)

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

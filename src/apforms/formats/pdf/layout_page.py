"""The parts every PDF layout (2 to 4) is made of: page geometry, row counts, growing
boxes, the blocks a page is cut into and the canvas they draw on (see :mod:`.layout`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from apforms import present
from apforms.errors import RenderError
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    TEXT,
    YES_NO,
    DataPath,
    FormField,
    PageLayout,
    Rect,
    TextRun,
    Widget,
)
from apforms.formats.pdf.text import LEADING, VALUE_SIZE, lines_height, value_lines, wrap
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field, Option
from apforms.model.types import Control, Shape, type_of

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
    seen = _numbered(field_names)
    return tuple(_counted(_tables(definition, version), "", seen))


#: A row number in a field name: a whole part after the first, ``.2`` in ``sen.agencies.2.name``.
_ROW_PART = re.compile(r"\.(\d+)(?=[.\n])")


def _numbered(field_names: Iterable[str]) -> dict[str, int]:
    """The highest row number after each prefix of the names (``sen.agencies`` → 2). The
    names are searched as one text, a name a line (one with a line break in it, or a digit
    that is not a plain number, is no row number)."""
    names = list(field_names)
    text = "\n".join(names) + "\n"
    seen: dict[str, int] = {}
    if text.count("\n") != len(names):  # a name with a line break: one at a time
        for name in names:
            parts = name.split(".")
            for i, part in enumerate(parts[1:], 1):
                if part.isdecimal():
                    prefix = ".".join(parts[:i])
                    seen[prefix] = max(seen.get(prefix, 0), int(part))
        return seen
    for m in _ROW_PART.finditer(text):
        at = m.start()
        prefix = text[text.rfind("\n", 0, at) + 1 : at]
        seen[prefix] = max(seen.get(prefix, 0), int(m.group(1)))
    return seen


@dataclass(frozen=True)
class _Table:
    """A table or list of a definition as its field names meet it: ``name`` after the prefix
    of the row it is in, at least ``least`` rows, ``inner`` the tables and lists in each of
    its rows (printed as cards, not as a grid)."""

    name: str
    least: int
    inner: tuple[_Table, ...] | None


@lru_cache(maxsize=64)
def _tables(definition: Definition, version: int | None) -> tuple[_Table, ...]:
    """The tables and lists of a definition, in the order the layout meets them (worked out
    once per definition and layout version)."""
    return tuple(_tables_in(definition.sections, "", version))


def _tables_in(fields: tuple[Field, ...], prefix: str, version: int | None) -> Iterator[_Table]:
    for f in fields:
        name = f"{prefix}{f.key}"
        if f.shape == Shape.OBJECT:
            yield from _tables_in(f.fields, f"{name}.", version)
        elif f.shape in (Shape.ITEMS, Shape.ROWS):
            inner = None
            if f.shape == Shape.ROWS and not present.is_grid(f):
                inner = tuple(_tables_in(f.fields, "", version))
            yield _Table(name, rows_for(f, None, version), inner)


def _counted(tables: tuple[_Table, ...], prefix: str, seen: dict[str, int]) -> Iterator[int]:
    for t in tables:
        name = f"{prefix}{t.name}"
        n = max(seen.get(name, 0), t.least)
        yield n
        if t.inner is not None:
            for i in range(n):
                yield from _counted(t.inner, f"{name}.{i + 1}.", seen)


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


class _Core:
    """What every part of the layout shares: the rows and growing boxes of the record being
    laid out, and the blocks laid out so far (see :class:`~apforms.formats.pdf.layout._Builder`)."""

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

    # -- laid out by the builder (apforms.formats.pdf.layout), used by every part

    def subheading(self, text: str, x: float = MARGIN_X) -> None:
        raise NotImplementedError

    def paragraphs(
        self, text: str | None, size: float = LABEL_SIZE, gray: float = 0.0, x: float = MARGIN_X
    ) -> None:
        raise NotImplementedError

    def lay_out(self, blocks: tuple[present.Block, ...], prefix: str, path: DataPath, tip: str = "") -> None:
        raise NotImplementedError

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
        raise NotImplementedError

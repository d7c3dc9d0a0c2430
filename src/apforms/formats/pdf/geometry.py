"""What a laid-out PDF form is: pages of fixed drawing, and form fields with their boxes.

Every layout version (:mod:`~apforms.formats.pdf.layout1`, :mod:`~apforms.formats.pdf.layout`)
produces a :class:`Layout`; the writer draws one, and the reader of flattened returns crops
every field's box from the one the returned form names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from apforms import present
from apforms.formats.pdf.protocol import footer_text
from apforms.model.definitions import Definition, Field, Option

# --------------------------------------------------------------------------- form field kinds
TEXT = "text"
MULTILINE = "multiline"
CHECK = "check"
RADIO = "radio"
COMBO = "combo"
SIGNATURE = "signature"

YES_NO = present.YES_NO

Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 from the bottom left of the page
DataPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Widget:
    """Where a field (or one button of a radio group) sits; ``state`` is a button's on state."""

    page: int
    rect: Rect
    state: str | None = None


@dataclass(frozen=True, eq=False)
class FormField:
    """One form field: its full name, kind, the definition leaf and where its value lives.

    ``data_path`` is the value's place in a record (``("provision", "costings", 1, "rate")``;
    rows counted from 0); ``None`` for the digital signature field. For a radio group or a
    dropdown ``options`` are the choices (radio ``states`` run parallel to them); a tick box
    of a multiple choice has its ``option``. ``lines`` is how many lines of value the box
    holds at the value size (more than one: the value is wrapped).
    """

    name: str
    kind: str
    leaf: Field
    data_path: DataPath | None
    tooltip: str
    widgets: tuple[Widget, ...]
    options: tuple[Option, ...] = ()
    states: tuple[str, ...] = ()
    option: Option | None = None
    lines: int = 1


@dataclass(frozen=True)
class TextRun:
    x: float
    y: float  # baseline
    size: float
    text: str
    gray: float = 0.0
    bold: bool = False


@dataclass
class PageLayout:
    """The fixed drawing of one page: text, box outlines, shaded bands and radio circles."""

    texts: list[TextRun] = field(default_factory=list)
    boxes: list[Rect] = field(default_factory=list)
    bands: list[Rect] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    #: Lines of fixed wording the configuration fills (the LA contact): (x, baseline, width);
    #: the contact is printed there, or a line to write it on. Never moves anything.
    write_on: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass(eq=False)
class Layout:
    """Every page and every form field of a document laid out for given row counts (and, from
    layout 2, the lines each growing box was given: ``grow``, one number per box in layout
    order, ``page_grow`` the part of it on each page).

    ``value_sizes`` are the font sizes a value may be set in, largest first (layout 1 shrank a
    value to fit its box; layout 2 grows the box instead and sets every value at one size).
    """

    definition: Definition
    rows: tuple[int, ...]
    pages: list[PageLayout]
    fields: list[FormField]
    version: int
    value_sizes: tuple[float, ...]
    grow: tuple[int, ...] = ()
    page_grow: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        self.by_name = {f.name: f for f in self.fields}

    def footer(self, page: int) -> str:
        """The machine footer line of ``page`` (from 0)."""
        grow = self.page_grow[page] if self.page_grow else None
        return footer_text(self.definition, page + 1, len(self.pages), self.rows, self.version, grow)

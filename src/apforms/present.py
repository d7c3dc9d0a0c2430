"""How a definition is presented on the page, decided once for every format.

:func:`present` turns a definition into a tree of presentation blocks — sections, groups,
answers with their control (line, box of lines, tick box, a box per option, dropdown, numbered
list), runs of questions on one scale (a grid with a column per option), tables as a grid or as
one card per row, signature blocks — with each column's relative width. :func:`display` and
:func:`option_text` give the text a value or an option prints as, in every format: for a
code list printed as text, the code *and* its label (register code "B – Attending any other
approved educational activity"). Word (``formats/docx``) and PDF (``formats/pdf``) consume this
tree and decide only geometry and styling, so the two forms cannot disagree on what is shown.

Row counts and values are not part of the tree: a table's block is the same for 1 or 12 rows;
a format repeats it (Word with a template loop, PDF with the row counts of a record).

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from apforms.model import codelists, types
from apforms.model.definitions import Definition, Field, Option
from apforms.model.types import TYPES, Control, Shape, control_of, type_of

YES_NO = (Option("yes", "Yes"), Option("no", "No"))
#: A table with more columns than this, or with a column that holds several lines of items
#: or other fields, prints one card (a block of label/answer rows) per row instead of a grid.
GRID_MAX_COLUMNS = 6
#: The longest option label that fits a column of a scale grid.
MATRIX_OPTION = 20
#: Labels longer than this go above their answer, across the page.
STACK_LABEL = 70
#: Boxes whose labels together are longer than this go above their answer, across the page.
SHORT_OPTIONS = 60
#: Fixed wording that ends in a line to write on ("please inform the local authority's AP
#: lead: ______"): the configured LA contact is printed there, else the line stays.
WRITE_ON = re.compile(r"^(.*?[^\s_])\s*_{5,}\s*$")


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True, eq=False)
class Block:
    """A piece of the form, for one field of the definition (its label, help and fixed text)."""

    field: Field


@dataclass(frozen=True, eq=False)
class Answer(Block):
    """One question and the control its answer is given in."""

    control: Control
    options: tuple[Option, ...] = ()
    #: The label goes above the answer, across the page (long labels, long answers, lists).
    stacked: bool = False


@dataclass(frozen=True, eq=False)
class ScaleGrid(Block):
    """Consecutive questions on the same scale (Never / Occasionally / Frequently): a row per
    question and a column per option. ``field`` is the first of ``fields``."""

    fields: tuple[Field, ...]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Column:
    """A column of a table grid: its field, control and relative width."""

    field: Field
    control: Control
    weight: float
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, eq=False)
class Grid(Block):
    """A table as a grid: a header of column labels and a row per item."""

    columns: tuple[Column, ...]


@dataclass(frozen=True, eq=False)
class Cards(Block):
    """A table whose rows are too rich for a grid: one numbered card of ``children`` per row."""

    children: tuple[Block, ...]


@dataclass(frozen=True, eq=False)
class Group(Block):
    """A group of fields under its own label. ``flat`` when every child is a plain answer or
    a flat group (it fits as rows of a label/answer table)."""

    children: tuple[Block, ...]
    flat: bool


@dataclass(frozen=True, eq=False)
class TickRow(Block):
    """Consecutive ``inline`` tick boxes and groups of tick boxes, side by side in one row of
    boxes (LAC Voluntary / Statutory, Child protection, Child in Need, Private foster, YOS).
    ``field`` is the first of ``fields``."""

    fields: tuple[Field, ...]


@dataclass(frozen=True, eq=False)
class Standards(Block):
    """Consecutive standards — groups with fixed wording, one choice on a scale and the
    evidence for it — as the QA framework prints them: one table, a row per standard, its
    columns the standard's number, the standard, the rating (every option a box) and the
    evidence. ``field`` is the first of ``fields``."""

    fields: tuple[Field, ...]


@dataclass(frozen=True, eq=False)
class RowGroups(Block):
    """Consecutive groups with the same fields (English, Maths: specification, delivered by,
    target and current grade) as one table: a row per group, its label in the first column.
    ``field`` is the first of ``fields``."""

    fields: tuple[Field, ...]
    columns: tuple[Column, ...]
    #: The heading of the column of row labels: the first column's label of a table right
    #: after it with the same other columns ("Subject", from "Other subjects"), else "".
    row_header: str = ""


@dataclass(frozen=True, eq=False)
class SignatureBlock(Block):
    """Print name (and position), the signature itself, and the date."""

    parts: tuple[Answer, ...]


@dataclass(frozen=True, eq=False)
class Section(Block):
    """A section of the form (a heading band), with its blocks."""

    children: tuple[Block, ...]
    #: The number printed before the heading: the theme number its standards share ("1"
    #: for standards 1a–1i), else "".
    number: str = ""


@dataclass(frozen=True, eq=False)
class Presentation:
    """The whole form: title, source line and sections."""

    definition: Definition
    sections: tuple[Section, ...]

    def blocks(self) -> Iterator[Block]:
        """Every block, depth first (sections included)."""
        return _walk(self.sections)


def _walk(blocks: tuple[Block, ...]) -> Iterator[Block]:
    for b in blocks:
        yield b
        if isinstance(b, Section | Group | Cards):
            yield from _walk(b.children)
        elif isinstance(b, TickRow | Standards | RowGroups):
            yield from _walk(tuple(block(f) for f in b.fields))


# --------------------------------------------------------------------------- building


@cache
def present(definition: Definition) -> Presentation:
    """The presentation tree of a definition (built once per definition)."""
    return Presentation(definition, tuple(_section(s) for s in definition.sections))


def _section(s: Field) -> Section:
    children = _blocks(s.fields)
    numbers = {
        m.group(1)
        for b in children
        if isinstance(b, Standards)
        for f in b.fields
        if (m := _STANDARD_NUMBER.match(f.label))
    }
    standards = [f for b in children if isinstance(b, Standards) for f in b.fields]
    whole = len(numbers) == 1 and all(_STANDARD_NUMBER.match(f.label) for f in standards)
    return Section(s, children, numbers.pop() if whole else "")


_STANDARD_NUMBER = re.compile(r"^(\d+)[a-z]$")


def _blocks(fields: tuple[Field, ...]) -> tuple[Block, ...]:
    out: list[Block] = []
    for run in _runs(fields):
        if len(run) > 1 and _is_standard(run[0]):
            out.append(Standards(run[0], run))
        elif len(run) > 1 and _is_plain_group(run[0]):
            out.append(RowGroups(run[0], run, tuple(_column(c) for c in run[0].fields)))
        elif len(run) > 1:
            out.append(ScaleGrid(run[0], run, run[0].options))
        elif run[0].inline and out and isinstance(out[-1], TickRow):
            out[-1] = TickRow(out[-1].field, (*out[-1].fields, run[0]))
        elif run[0].inline:
            out.append(TickRow(run[0], (run[0],)))
        else:
            out.append(block(run[0]))
    for i, b in enumerate(out[:-1]):
        after = out[i + 1]
        if isinstance(b, RowGroups) and isinstance(after, Grid) and len(after.field.fields) > 1:
            same = [c.key for c in after.field.fields[1:]] == [c.key for c in b.field.fields]
            if same:
                out[i] = RowGroups(b.field, b.fields, b.columns, after.field.fields[0].label)
    return tuple(out)


def tick_parts(f: Field) -> tuple[Field, ...]:
    """The tick boxes of one cell of a :class:`TickRow`: the field, or a group's ticks."""
    return f.fields if f.fields else (f,)


def block(f: Field) -> Block:
    """The block of one field (a scale run of one is an ordinary answer)."""
    control = type_of(f).control(f)
    if control == Control.GROUP:
        children = _blocks(f.fields)
        return Group(f, children, all(_is_flat(c) for c in children))
    if control == Control.SIGNATURE:
        return SignatureBlock(f, tuple(Answer(p, type_of(p).control(p)) for p in f.fields))
    if control == Control.TABLE:
        if is_grid(f):
            return Grid(f, tuple(_column(c) for c in f.fields))
        return Cards(f, _blocks(f.fields))
    return Answer(f, control, options_of(f), stacked=_stacked(f, control))


def _is_flat(b: Block) -> bool:
    if isinstance(b, Group):
        return b.flat
    return isinstance(b, Answer | SignatureBlock)


def _column(f: Field) -> Column:
    return Column(f, type_of(f).control(f), column_weight(f), options_of(f))


def is_grid(table: Field) -> bool:
    """Whether a table prints as a grid: few enough columns, each a single answer."""
    return len(table.fields) <= GRID_MAX_COLUMNS and all(
        c.is_leaf and type_of(c).control(c) != Control.LIST for c in table.fields
    )


def column_weight(f: Field) -> float:
    """The relative width of a field as a table column."""
    return type_of(f).weight


def _is_scale_question(f: Field) -> bool:
    return (
        f.type in types.TYPES
        and isinstance(type_of(f), types.Choice)
        and type_of(f).control(f) == Control.BOXES
        and not f.text
        and all(len(o.label) <= MATRIX_OPTION for o in f.options)
    )


def _is_standard(f: Field) -> bool:
    """A group that is one standard: its wording, a choice on a scale, the evidence."""
    if f.shape != Shape.OBJECT or not f.text or f.help or len(f.fields) != 2:
        return False
    rating, evidence = f.fields
    return (
        rating.is_leaf
        and isinstance(type_of(rating), types.Choice)
        and not type_of(rating).several
        and type_of(rating).control(rating) == Control.BOXES
        and not rating.text
        and evidence.is_leaf
        and type_of(evidence).control(evidence) == Control.LINES
        and not evidence.text
    )


def _is_plain_group(f: Field) -> bool:
    """A group of a few one-line answers and nothing else (a row of a fixed table)."""
    return (
        type_of(f).control(f) == Control.GROUP
        and not f.text
        and not f.help
        and not f.inline
        and 1 < len(f.fields) <= GRID_MAX_COLUMNS
        and all(
            c.is_leaf and type_of(c).control(c) == Control.LINE and not c.text and not c.help
            for c in f.fields
        )
    )


def _same_fields(a: Field, b: Field) -> bool:
    """Whether two groups ask the same questions (so one row of headings serves both)."""

    def asks(g: Field) -> list[tuple[object, ...]]:
        return [(c.key, c.label, c.type, c.required, c.options, c.codelist) for c in g.fields]

    return asks(a) == asks(b)


def _runs(fields: tuple[Field, ...]) -> Iterator[tuple[Field, ...]]:
    """Fields in order, gathered into runs: questions on the same scale, standards on the same
    scale, groups with the same fields."""
    i = 0
    while i < len(fields):
        f, j = fields[i], i + 1
        if _is_standard(f):
            while (
                j < len(fields)
                and _is_standard(fields[j])
                and fields[j].fields[0].options == f.fields[0].options
            ):
                j += 1
        elif _is_plain_group(f):
            while j < len(fields) and _is_plain_group(fields[j]) and _same_fields(f, fields[j]):
                j += 1
        elif _is_scale_question(f):
            while j < len(fields) and _is_scale_question(fields[j]) and fields[j].options == f.options:
                j += 1
        yield fields[i:j]
        i = j


def _stacked(f: Field, control: Control) -> bool:
    if control == Control.LIST or (control == Control.LINES and f.lines >= 3) or len(f.label) > STACK_LABEL:
        return True
    return control == Control.BOXES and sum(len(o.label) for o in options_of(f)) > SHORT_OPTIONS


# --------------------------------------------------------------------------- text


def options_of(f: Field) -> tuple[Option, ...]:
    """The options a field's boxes or dropdown offer (Yes / No for a yes/no question)."""
    return YES_NO if f.type == types.YESNO else f.options


def shows_code(f: Field) -> bool:
    """Whether a chosen option prints with its code (see ``FieldType.option_text``)."""
    return bool(f.codelist) and control_of(f) == Control.DROPDOWN


def lists_options(f: Field) -> bool:
    """Whether a dropdown's options are printed on the form (a key to its codes); a list longer
    than :data:`~apforms.model.types.MAX_LISTED` is not, and its box takes the code or the name."""
    return len(options_of(f)) <= types.MAX_LISTED


def write_in_hint(f: Field) -> str:
    """What to write in the box of a dropdown whose options are not listed: its code list's
    hint, else the list's title."""
    cl = codelists.load_codelist(f.codelist) if f.codelist else None
    if cl is not None and cl.hint:
        return cl.hint
    title = cl.title if cl is not None else f.label
    return f"Write the code or the name, from the list “{title}”."


def option_text(f: Field, o: Option) -> str:
    """An option as printed when chosen (not as a box): its label, with its code if that matters."""
    return TYPES[f.type].option_text(f, o)


def display(f: Field, value: Any) -> str:
    """A value as printed on the form, in every format ('' for no value): the field type's
    display text (dates ``DD/MM/YYYY``, money ``£1,250.00``, options as printed, several
    joined with "; ", a list one item a line)."""
    if value is None or value == "" or value == []:
        return ""
    return TYPES[f.type].display(f, value)


__all__ = [
    "YES_NO",
    "Answer",
    "Block",
    "Cards",
    "Column",
    "Grid",
    "Group",
    "Presentation",
    "RowGroups",
    "ScaleGrid",
    "Section",
    "SignatureBlock",
    "Standards",
    "TickRow",
    "display",
    "is_grid",
    "lists_options",
    "option_text",
    "options_of",
    "present",
    "shows_code",
    "write_in_hint",
]

"""The view of a record that templates print: the record's tree with every value as display text.

The context mirrors the definition: a section is a mapping of its fields, a table a list of
row mappings (padded with empty rows up to ``blank_rows`` so a form has room to write), a list
a list of texts (padded the same way). Leaves become:

- text, numbers, dates …  → the text as printed (dates ``DD/MM/YYYY``, money ``£1,250.00``);
- ``tick``                → ``☒`` or ``☐``;
- ``yesno``, choices      → a :class:`Choice`: ``.text`` and a box per option, ``.box['fully']``.

``doc`` holds the definition's ``id``, ``version`` and ``title`` (for the footer). Text is
sanitised for XML (no control characters, no lone surrogates); a value with line breaks or tabs
becomes markup that ends and restarts the Word text run around ``<w:br/>`` / ``<w:tab/>``, so it
keeps its layout and is still escaped everywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field

BOX_EMPTY = "☐"
BOX_TICKED = "☒"
#: The name of the context entry that describes the document itself (not a section).
DOC = "doc"
DOC_ATTRIBUTES = ("id", "version", "title")
#: A single choice with more options than this is printed as text (e.g. ethnicity), not boxes.
MAX_BOXES = 8
#: A multichoice with more options than this is printed as text.
MAX_MULTI_BOXES = 16
YESNO_OPTIONS = (d.Option("yes", "Yes"), d.Option("no", "No"))

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Inside a <w:t> element: end the text, add a break or tab, start a new text in the same run.
_BREAK = Markup('</w:t><w:br/><w:t xml:space="preserve">')
_TAB = Markup('</w:t><w:tab/><w:t xml:space="preserve">')


@dataclass(frozen=True)
class Choice:
    """A yes/no or choice answer: ``text`` (the chosen labels) and ``box[value]`` (☒ or ☐)."""

    text: str
    box: Mapping[str, str]

    def __str__(self) -> str:
        return self.text


# --------------------------------------------------------------------------- which layout


def shows_boxes(f: Field) -> bool:
    """Whether a choice is printed as tick boxes (few options) or as the chosen text."""
    if f.type == d.YESNO:
        return True
    if f.type == d.MULTICHOICE:
        return len(f.options) <= MAX_MULTI_BOXES
    return f.type in d.SINGLE_CHOICE_TYPES and len(f.options) <= MAX_BOXES


def options_of(f: Field) -> tuple[d.Option, ...]:
    return YESNO_OPTIONS if f.type == d.YESNO else f.options


# --------------------------------------------------------------------------- context


def context(definition: Definition, data: Mapping[str, Any]) -> dict[str, Any]:
    """The template context of canonical ``data`` (see the module docstring)."""
    ctx: dict[str, Any] = {DOC: {a: getattr(definition, a) for a in DOC_ATTRIBUTES}}
    for s in definition.sections:
        ctx[s.key] = _group(s, data.get(s.key))
    return ctx


def _group(f: Field, value: Any) -> dict[str, Any]:
    value = value if isinstance(value, Mapping) else {}
    return {c.key: _view(c, value.get(c.key)) for c in f.fields}


def _view(f: Field, value: Any) -> Any:
    t = f.type
    if t in (d.GROUP, d.SIGNATURE):
        return _group(f, value)
    if t == d.TABLE:
        rows = [_group(f, r) for r in value or ()]
        return rows + [_group(f, None) for _ in range(f.blank_rows - len(rows))]
    if t == d.LIST:
        items = [text(str(v)) for v in value or ()]
        return items + [""] * (f.blank_rows - len(items))
    if t == d.TICK:
        return BOX_TICKED if value else BOX_EMPTY
    if t == d.YESNO:
        chosen = {None: (), True: ("yes",), False: ("no",)}.get(value, ())
        return _choice(f, chosen)
    if t in d.SINGLE_CHOICE_TYPES:
        return _choice(f, () if value is None else (str(value),))
    if t == d.MULTICHOICE:
        return _choice(f, tuple(str(v) for v in value or ()))
    return display(f, value)


def _choice(f: Field, chosen: tuple[str, ...]) -> Choice:
    options = options_of(f)
    boxes = {o.value: BOX_TICKED if o.value in chosen else BOX_EMPTY for o in options}
    labels = {o.value: o.label for o in options}
    shown = [_coded(f, v, labels.get(v, v)) for v in chosen]
    return Choice(text("; ".join(shown)), boxes)


def _coded(f: Field, value: str, label: str) -> str:
    """A code from a DfE code list keeps its code beside the label when printed as text."""
    if f.codelist and not shows_boxes(f) and value != label:
        return f"{value} – {label}"
    return label


# --------------------------------------------------------------------------- values as text


def display(f: Field, value: Any) -> str:
    """A scalar value as printed on the form; '' for no value."""
    if value is None or value == "":
        return ""
    t = f.type
    if t == d.DATE:
        return uk_date(str(value))
    if t == d.MONEY:
        return f"£{Decimal(str(value)):,.2f}"
    if t == d.PERCENTAGE:
        return f"{number(value)}%"
    if t in (d.INTEGER, d.DECIMAL):
        return number(value)
    return text(str(value))


def uk_date(iso: str) -> str:
    """'2026-09-07' → '07/09/2026' (anything else is shown as it is)."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso)
    return f"{m[3]}/{m[2]}/{m[1]}" if m else text(iso)


def number(value: Any) -> str:
    """10 → '10', 2.50 → '2.5', 1250 → '1250' (no exponent, no trailing zeros)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return text(str(value))
    n = Decimal(str(value))
    s = format(n, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def text(value: str) -> str:
    """Text safe to put in XML; line breaks and tabs as Word breaks and tabs (markup)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _SURROGATE.sub("\ufffd", _NOT_XML.sub("", value))
    if "\n" not in value and "\t" not in value:
        return value
    lines = [_TAB.join(escape(part) for part in line.split("\t")) for line in value.split("\n")]
    return _BREAK.join(lines)

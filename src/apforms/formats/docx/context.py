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
from typing import Any

from markupsafe import Markup, escape

from apforms import present
from apforms.model import definitions as d
from apforms.model.config import FormBrand
from apforms.model.definitions import Definition, Field
from apforms.model.types import Control, control_of

BOX_EMPTY = "☐"
BOX_TICKED = "☒"
#: The name of the context entry that describes the document itself (not a section).
DOC = "doc"
DOC_ATTRIBUTES = ("id", "version", "title", "council", "la_contact")
#: Printed where the configuration gives no LA contact: a line to write it on.
WRITE_ON_LINE = "_" * 40
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


def shows_boxes(f: Field) -> bool:
    """Whether a choice is printed as a box per option (few options) or as the chosen text."""
    return control_of(f) == Control.BOXES


options_of = present.options_of


# --------------------------------------------------------------------------- context


def context(
    definition: Definition, data: Mapping[str, Any], brand: FormBrand | None = None
) -> dict[str, Any]:
    """The template context of canonical ``data`` (see the module docstring); ``brand``: the
    council's name and LA contact line (``doc.council``, ``doc.la_contact``)."""
    brand = brand or FormBrand()
    doc = {a: getattr(definition, a) for a in ("id", "version", "title")}
    doc |= {"council": text(brand.council), "la_contact": text(brand.contact) or WRITE_ON_LINE}
    ctx: dict[str, Any] = {DOC: doc}
    for s in definition.sections:
        ctx[s.key] = _group(s, data.get(s.key))
    return ctx


def _group(f: Field, value: Any) -> dict[str, Any]:
    value = value if isinstance(value, Mapping) else {}
    return {c.key: _view(c, value.get(c.key)) for c in f.fields}


_OBJECT = (Control.GROUP, Control.SIGNATURE)
_TABLE, _LIST, _TICK = Control.TABLE, Control.LIST, Control.TICK


def _view(f: Field, value: Any) -> Any:
    control = control_of(f)
    if control in _OBJECT:
        return _group(f, value)
    if control is _TABLE:
        rows = [_group(f, r) for r in value or ()]
        return rows + [_group(f, None) for _ in range(f.blank_rows - len(rows))]
    if control is _LIST:
        items = [text(str(v)) for v in value or ()]
        blank = (1 if not items else 0) if f.prose else f.blank_rows  # prose: its items only
        return items + [""] * (blank - len(items))
    if control is _TICK:
        return BOX_TICKED if value else BOX_EMPTY
    if f.type == d.YESNO:
        return _choice(f, {None: (), True: ("yes",), False: ("no",)}.get(value, ()))
    if isinstance(value, list):
        return _choice(f, tuple(str(v) for v in value))
    if f.options:
        return _choice(f, () if value is None else (str(value),))
    return display(f, value)


def _choice(f: Field, chosen: tuple[str, ...]) -> Choice:
    options = options_of(f)
    boxes = {o.value: BOX_TICKED if o.value in chosen else BOX_EMPTY for o in options}
    by_value = {o.value: o for o in options}
    shown = [present.option_text(f, by_value[v]) if v in by_value else v for v in chosen]
    return Choice(text("; ".join(shown)), boxes)


# --------------------------------------------------------------------------- values as text


def display(f: Field, value: Any) -> str:
    """A scalar value as printed on the form (see :func:`apforms.present.display`); '' for none."""
    return text(present.display(f, value))


def text(value: str) -> str:
    """Text safe to put in XML; line breaks and tabs as Word breaks and tabs (markup)."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _SURROGATE.sub("\ufffd", _NOT_XML.sub("", value))
    if "\n" not in value and "\t" not in value:
        return value
    lines = [_TAB.join(escape(part) for part in line.split("\t")) for line in value.split("\n")]
    return _BREAK.join(lines)

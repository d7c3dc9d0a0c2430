"""A document's sections as browser form pages, and a submitted page back into record data.

The web app shows one page per printed section. ``page(definition, index, data, problems)``
is the tree of questions the page template draws (GOV.UK Design System components);
``page_data(definition, index, posted)`` turns what the browser sent back into the
section's data, through each field type's ``from_text`` as a return's typed text is.

An HTML name is the key path with table rows by number (``reviews.0.date``); a date is
three boxes (``…-day``, ``…-month``, ``…-year``), as the Design System asks. Tables need no
JavaScript: a row is added or removed by a submit button (``add``/``remove``) that saves
the page and shows it again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apforms.model.definitions import Definition, Field
from apforms.model.types import DATE, EMAIL, LIST, PHONE, TICK, YESNO, Control, Shape, control_of, type_of

#: How many rows a table shows when it has none yet.
START_ROWS = 1
#: Types whose one-line box is narrow (GOV.UK width classes).
_WIDTHS = {
    "upn": "govuk-input--width-20",
    "postcode": "govuk-input--width-10",
    "phone": "govuk-input--width-20",
    "integer": "govuk-input--width-5",
    "decimal": "govuk-input--width-10",
    "money": "govuk-input--width-10",
    "percentage": "govuk-input--width-4",
}
_INPUT_TYPES = {EMAIL: "email", PHONE: "tel"}
_NUMERIC = {"integer", "decimal", "money", "percentage"}


@dataclass
class Question:
    """One answer to give: what the page template needs to draw its GOV.UK component."""

    name: str
    label: str
    kind: str  # input, textarea, date, radios, checkboxes, select, checkbox, list
    value: Any = ""
    hint: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    required: bool = False
    input_type: str = "text"
    width: str = ""
    numeric: bool = False
    rows: int = 3

    @property
    def id(self) -> str:
        return html_id(self.name)

    @property
    def node(self) -> str:
        return "question"


@dataclass
class Block:
    """A group of questions (a group or signature block) shown as a fieldset."""

    name: str
    label: str
    children: list[Any]
    text: str | None = None
    error: str | None = None

    @property
    def id(self) -> str:
        return html_id(self.name)

    @property
    def node(self) -> str:
        return "block"


@dataclass
class Rows:
    """A repeating table: its rows (each a list of questions), and its add button."""

    name: str
    label: str
    rows: list[list[Any]]
    text: str | None = None
    error: str | None = None
    can_add: bool = True

    @property
    def id(self) -> str:
        return html_id(self.name)

    @property
    def node(self) -> str:
        return "rows"

    @property
    def count(self) -> int:
        return len(self.rows)


@dataclass
class Page:
    """One section of a document as one page."""

    index: int
    key: str
    label: str
    text: str | None
    children: list[Any]


def html_id(name: str) -> str:
    """An HTML id for a key path (ids cannot hold dots usefully in CSS and fragment links)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def sections(definition: Definition) -> list[Field]:
    """The document's pages: its top-level sections, in printed order."""
    return list(definition.sections)


def problem_name(path: str) -> str:
    """A validation problem's path as the HTML name of its question (``reviews[0].date`` →
    ``reviews.0.date``)."""
    return re.sub(r"\[(\d+)\]", r".\1", path)


def page(
    definition: Definition,
    index: int,
    data: Mapping[str, Any],
    errors: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, int] | None = None,
) -> Page:
    """Section ``index`` of ``definition`` as a page, filled from ``data`` (raw, possibly
    invalid draft data: shown as typed), with ``errors`` by HTML name and ``extra_rows``
    more empty rows in the named tables."""
    section = sections(definition)[index]
    value = data.get(section.key) if isinstance(data, Mapping) else None
    children = _children(section, value, section.key, errors or {}, extra_rows or {})
    return Page(index, section.key, section.label, section.text, children)


def _children(
    container: Field, value: Any, prefix: str, errors: Mapping[str, str], extra: Mapping[str, int]
) -> list[Any]:
    values = value if isinstance(value, Mapping) else {}
    return [_node(f, values.get(f.key), f"{prefix}.{f.key}", errors, extra) for f in container.fields]


def _node(f: Field, value: Any, name: str, errors: Mapping[str, str], extra: Mapping[str, int]) -> Any:
    if f.shape is Shape.OBJECT:
        return Block(name, f.label, _children(f, value, name, errors, extra), f.text, errors.get(name))
    if f.shape is Shape.ROWS:
        given = [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []
        count = max(len(given), START_ROWS if not given else 0) + extra.get(name, 0)
        limit = f.max_rows or 500
        count = min(count, limit)
        rows = [
            _children(f, given[i] if i < len(given) else None, f"{name}.{i}", errors, extra)
            for i in range(count)
        ]
        return Rows(name, f.label, rows, f.text, errors.get(name), can_add=count < limit)
    return _question(f, value, name, errors.get(name))


def _question(f: Field, value: Any, name: str, error: str | None) -> Question:
    control = control_of(f)
    q = Question(name, f.label, "input", hint=f.help, error=error, required=f.required)
    options = [(o.value, type_of(f).option_text(f, o)) for o in f.options]
    if f.type == DATE:
        q.kind, q.value = "date", _date_parts(value)
    elif f.type == YESNO:
        q.kind, q.options = "radios", [("yes", "Yes"), ("no", "No")]
        q.value = {True: "yes", False: "no"}.get(value, "") if isinstance(value, bool) else _text(value)
    elif f.type == TICK:
        q.kind, q.value = "checkbox", value is True
    elif f.type == LIST:
        q.kind, q.rows = "list", max(f.lines, 3)
        q.value = "\n".join(str(v) for v in value) if isinstance(value, list) else _text(value)
        q.hint = " ".join(filter(None, [f.help, "One item a line."]))
    elif control is Control.BOXES and type_of(f).several:
        q.kind, q.options = "checkboxes", options
        q.value = [str(v) for v in value] if isinstance(value, list) else []
    elif control is Control.BOXES:
        q.kind, q.options, q.value = "radios", options, _text(value)
    elif control is Control.DROPDOWN:
        q.kind, q.options, q.value = "select", options, _text(value)
    elif control is Control.LINES:
        q.kind, q.value, q.rows = "textarea", _text(value), max(f.lines, 3)
    else:
        q.value = _text(value)
        q.input_type = _INPUT_TYPES.get(f.type, "text")
        q.width = _WIDTHS.get(f.type, "")
        q.numeric = f.type in _NUMERIC
    return q


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _date_parts(value: Any) -> dict[str, str]:
    """A date as the three boxes show it (day and month without leading zeros)."""
    text = _text(value).strip()
    if m := _ISO.match(text):
        y, mo, d = m.groups()
        return {"day": str(int(d)), "month": str(int(mo)), "year": y}
    if m := _UK.match(text):
        d, mo, y = m.groups()
        return {"day": d, "month": mo, "year": y}
    return {"day": "", "month": "", "year": "", "raw": text} if text else {"day": "", "month": "", "year": ""}


# --------------------------------------------------------------------------- reading a page back

#: What the browser sent: each name's values in order (Django's QueryDict fits, by ``getlist``).
Posted = Mapping[str, Sequence[str]]


def page_data(definition: Definition, index: int, posted: Any, remove: str | None = None) -> Any:
    """Section ``index``'s data from a submitted page (``posted``: anything with
    ``getlist(name)``, or a mapping of name to a list of values). Empty answers are left out;
    a value that does not parse is kept as typed, for validation to name. ``remove``: the
    HTML name of a table row to leave out (``reviews.2``)."""
    section = sections(definition)[index]
    return _object(section, section.key, _Getter(posted, remove))


class _Getter:
    def __init__(self, posted: Any, remove: str | None = None) -> None:
        self.posted = posted
        self.remove = remove

    def all(self, name: str) -> list[str]:
        if hasattr(self.posted, "getlist"):
            return [str(v) for v in self.posted.getlist(name)]
        got = self.posted.get(name, [])
        return [got] if isinstance(got, str) else [str(v) for v in got]

    def one(self, name: str) -> str:
        values = self.all(name)
        return values[-1].replace("\r\n", "\n").strip() if values else ""


def _object(container: Field, prefix: str, got: _Getter) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in container.fields:
        value = _value(f, f"{prefix}.{f.key}", got)
        if value is not None and value != {} and value != []:
            out[f.key] = value
    return out


def _value(f: Field, name: str, got: _Getter) -> Any:
    if f.shape is Shape.OBJECT:
        return _object(f, name, got)
    if f.shape is Shape.ROWS:
        try:
            count = min(int(got.one(f"{name}.__rows") or 0), f.max_rows or 500)
        except ValueError:
            count = 0
        rows = [_object(f, f"{name}.{i}", got) for i in range(count) if f"{name}.{i}" != got.remove]
        return [r for r in rows if any(v is not False for v in r.values())]
    if f.type == DATE:
        parts = [got.one(f"{name}-{p}") for p in ("day", "month", "year")]
        if not any(parts):
            return None
        d, m, y = parts
        if d.isdigit() and m.isdigit() and y.isdigit() and len(y) == 4:
            return (
                f"{y}-{int(m):02d}-{int(d):02d}" if 0 < int(m) < 100 and 0 < int(d) < 100 else "/".join(parts)
            )
        return "/".join(parts)
    if f.type == TICK:
        return got.one(name) == "yes"
    if f.type == YESNO:
        text = got.one(name)
        return {"yes": True, "no": False}.get(text, text or None)
    if f.type == LIST:
        return [line.strip() for line in got.one(name).split("\n") if line.strip()]
    if type_of(f).several:
        return [v for v in got.all(name) if v]
    text = got.one(name)
    return type_of(f).from_text(f, text) if text else None


__all__ = ["Block", "Page", "Question", "Rows", "html_id", "page", "page_data", "problem_name", "sections"]

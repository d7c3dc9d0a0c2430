"""Field types: one registry entry per ``type:`` of the definition format.

Each entry owns everything about its type (marshmallow's fields own both directions;
pyxform's question-type table): how a value is parsed and validated (a marshmallow field),
its JSON Schema, how it prints (display text), how text typed into a form's box is turned back
into a value, and its presentation hints — the control it is shown with, the width of its
answer box and its relative width as a table column. Adding a type is one entry in
:data:`TYPES` plus its tests; nothing else branches on type names.

This module sits below :mod:`apforms.model.definitions` (which checks ``type:`` against
:data:`TYPES`), so it only names :class:`~apforms.model.definitions.Field` in annotations.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from apforms.model import identifiers
from apforms.safe import quote

#: The most rows any table or list takes. Forms print any number of rows (from PDF layout 2);
#: this only bounds what a hostile or mistaken file can make apforms lay out.
MAX_ROWS = 500

if TYPE_CHECKING:
    from marshmallow import Schema
    from marshmallow import fields as mf

    from apforms.model.definitions import Field, Option

# --------------------------------------------------------------------------- type names
TEXT = "text"
LONGTEXT = "longtext"
DATE = "date"
INTEGER = "integer"
DECIMAL = "decimal"
MONEY = "money"
PERCENTAGE = "percentage"
EMAIL = "email"
PHONE = "phone"
POSTCODE = "postcode"
UPN = "upn"
YESNO = "yesno"
TICK = "tick"
CHOICE = "choice"
MULTICHOICE = "multichoice"
RATING = "rating"
RAG = "rag"
FREQUENCY = "frequency"
LIST = "list"
GROUP = "group"
TABLE = "table"
SIGNATURE = "signature"

MISSING = "Missing data"
#: A single choice with more options than this is a dropdown on a fillable form and prints
#: as the chosen text in Word (e.g. ethnicity); with fewer, a box per option.
MAX_BOXES = 8
#: A dropdown with more options than this (DfE's list of some 320 languages) is not listed on
#: the form: a list so long fills pages and nobody reads it. Its box takes the code or the
#: name, as the code list's ``hint`` says (ethnicity's 20 and the 35 register codes are listed).
MAX_LISTED = 40

#: Builds the marshmallow schema of a container's fields (records owns the schema cache).
NestedSchema = Callable[["Field"], "type[Schema]"]
#: Builds the JSON Schema object of a container's fields.
ObjectSchema = Callable[["Field"], dict[str, Any]]


class Shape(enum.StrEnum):
    """How a field's value sits in a record."""

    VALUE = "value"  # one value (a list of option values for a multiple choice)
    OBJECT = "object"  # a mapping of its fields (group, signature block)
    ROWS = "rows"  # a list of row mappings (table)
    ITEMS = "items"  # a list of texts (list)


class Control(enum.StrEnum):
    """How a field's answer is shown: the presentation hint every format lays out."""

    LINE = "line"  # one line of text
    LINES = "lines"  # a box of several lines
    TICK = "tick"  # one tick box
    BOXES = "boxes"  # a box per option: radio buttons for one choice, tick boxes for several
    DROPDOWN = "dropdown"  # one option of a list too long for boxes: a dropdown, printed as text
    LIST = "list"  # numbered lines
    GROUP = "group"
    TABLE = "table"
    SIGNATURE = "signature"


# --------------------------------------------------------------------------- normal text


_PRESENTATION_FORMS = re.compile("[\ufb00-\ufdff\ufe70-\ufeff]")


_SPACES = re.compile("[ \t]{2,}|\t")
#: Space characters other than the space (no-break, thin, ideographic …): one space each.
_SPACE_LIKE = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
#: Invisible characters that print as nothing and cannot be read back from paper: controls,
#: soft hyphen, zero-width space, word joiner, byte-order mark, direction marks and
#: embeddings (every paragraph of the form is left to right). ZWJ and ZWNJ stay: they change
#: how Arabic, Persian and Indic letters join.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u070f\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def normal_text(s: str) -> str:
    """``s`` in Unicode's composed form (NFC), with presentation forms (ﬁ, joined Arabic
    letters such as ﻣ, copied out of PDFs) as the letters they stand for, every kind of space
    (no-break, thin, ideographic, tab, several in a row) as one space, no spaces at the ends
    of a line, line and paragraph separators as line breaks, and no invisible characters
    (controls, soft hyphens, zero-width spaces, direction marks; ZWJ and ZWNJ stay), and the
    non-breaking hyphen as a hyphen: every
    spelling of the same text is stored the same way, so that a printed form, where none of
    those differences shows, reads back to the same string."""
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if not s.isascii() or _INVISIBLE.search(s):
        s = _INVISIBLE.sub("", s)
        s = _SPACE_LIKE.sub(" ", s).replace("\u2028", "\n").replace("\u2029", "\n")
        s = s.replace("\u2011", "\u2010")  # the non-breaking hyphen: PDF readers give a hyphen
    if "  " in s or "\t" in s:
        s = _SPACES.sub(" ", s)
    if "\n" in s:  # spaces at the ends of a line do not show on paper
        s = "\n".join(line.strip(" \xa0") for line in s.split("\n"))
    if s.isascii():
        return s
    s = unicodedata.normalize("NFC", s)
    if _PRESENTATION_FORMS.search(s):
        s = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), s)
        s = unicodedata.normalize("NFC", s.replace("\ufeff", ""))
    return s


# --------------------------------------------------------------------------- tidying identifiers


# Each returns the canonical spelling, or raises ValueError saying why the text is not one
# (its marshmallow field reports the reason as the field's error).
def _upn(s: str) -> str:
    problem = identifiers.upn_problem(s)
    if problem:
        raise ValueError(f"{quote(s)} is {problem}")
    return s.upper()


def _postcode(s: str) -> str:
    pc = identifiers.normalise_postcode(s)
    if pc is None:
        raise ValueError(f"{quote(s)} is not a UK postcode")
    return pc


def _phone(s: str) -> str:
    phone = identifiers.normalise_phone(s)
    if phone is None:
        raise ValueError(f"{quote(s)} is not a UK telephone number")
    return phone


# --------------------------------------------------------------------------- display helpers


def uk_date(iso: str) -> str:
    """'2026-09-07' → '07/09/2026' (anything else is shown as it is)."""
    try:
        return date.fromisoformat(iso).strftime("%d/%m/%Y") if len(iso) == 10 else iso
    except ValueError:
        return iso


def number_text(value: Any) -> str:
    """10 → '10', 2.50 → '2.5', 1250 → '1250' (no exponent, no trailing zeros)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    s = format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


YES_NO_LABELS = {True: "Yes", False: "No"}


# --------------------------------------------------------------------------- the types


class FieldType:
    """The behaviour of one field type. Subclasses override what differs."""

    name: ClassVar[str]
    #: Holds other fields (group, table, signature block) rather than a value.
    container: ClassVar[bool] = False
    #: Takes ``options`` or a ``codelist`` in the definition.
    has_options: ClassVar[bool] = False
    #: Width of a one-line answer box on the A4 form, in points (None: the whole column).
    line_width: ClassVar[float | None] = None
    #: Relative width as a column of a table.
    weight: ClassVar[float] = 3.0
    #: Its value can wrap onto several lines in a table cell.
    wraps: ClassVar[bool] = False
    #: How its value sits in a record.
    shape: ClassVar[Shape] = Shape.VALUE
    #: Several options may be chosen at once (tick boxes rather than radio buttons).
    several: ClassVar[bool] = False
    #: The most characters a value may have (each item, for a list) unless the field sets its
    #: own ``max_length``; a longer one is refused at validation before anything else is done
    #: with it. ``None``: not a value (a group, a table).
    max_length: ClassVar[int | None] = 500

    def limit(self, f: Field) -> int | None:
        """The most characters a value (a list's item) of ``f`` may have."""
        return f.max_length or self.max_length

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Text(**kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "string", "minLength": 1}
        if self.limit(f):
            s["maxLength"] = self.limit(f)
        return s

    def display(self, f: Field, value: Any) -> str:
        """The value as printed on the form ('' for no value)."""
        return "" if value is None else str(value)

    def option_text(self, f: Field, o: Option) -> str:
        """An option as printed when chosen (not as a box): its label, and its code too for a
        DfE code list printed as text (register code B, ethnicity WBRI are what staff look for)."""
        if f.codelist and self.control(f) == Control.DROPDOWN and o.value != o.label:
            return f"{o.value} – {o.label}"
        return o.label

    def canonical(self, f: Field, value: Any) -> Any:
        """The value in a canonical record (``None``: left out): empty values drop, and a
        field left out takes its ``default``."""
        return f.default if value is None or value == [] or value == "" else value

    def from_text(self, f: Field, text: str) -> Any:
        """What was typed into the field's text box, as a value validation accepts."""
        return text

    def control(self, f: Field) -> Control:
        return Control.LINE


class Text(FieldType):
    name = TEXT
    wraps = True

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from marshmallow.validate import Length

        from apforms.model import marshmallow_fields as m

        return m.Text(validate=Length(max=f.max_length) if f.max_length else None, **kw)


class LongText(Text):
    name = LONGTEXT
    weight = 4.0
    max_length = 20_000

    def control(self, f: Field) -> Control:
        return Control.LINES


class Email(FieldType):
    name = EMAIL
    wraps = True
    max_length = 254  # RFC 5321's longest address

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from marshmallow.fields import Email as _Email

        messages = {**kw.pop("error_messages"), "invalid": "Not an email address"}
        return _Email(error_messages=messages, **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {**super().json_schema(f, obj), "format": "email"}


class _Patterned(FieldType):
    pattern: ClassVar[str]
    tidy: ClassVar[staticmethod[[str], str]]

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Checked(type(self).tidy, **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        # The UPN check letter cannot be expressed in JSON Schema: only its shape is.
        return {**super().json_schema(f, obj), "pattern": self.pattern}


class Upn(_Patterned):
    name = UPN
    pattern = r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$"
    tidy = staticmethod(_upn)
    line_width, weight = 130.0, 2.2


class Postcode(_Patterned):
    name = POSTCODE
    pattern = r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$"
    tidy = staticmethod(_postcode)
    line_width, weight = 90.0, 1.5


class Phone(_Patterned):
    name = PHONE
    pattern = r"^\+?[0-9 ()\-]{10,20}$"
    tidy = staticmethod(_phone)
    line_width, weight = 150.0, 2.0


class Date(FieldType):
    name = DATE
    line_width, weight = 90.0, 1.7

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Date(**kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"}

    def display(self, f: Field, value: Any) -> str:
        return "" if value is None else uk_date(str(value))


class Number(FieldType):
    name = DECIMAL
    line_width, weight = 90.0, 1.2
    lowest: ClassVar[float | None] = None
    highest: ClassVar[float | None] = None

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Number(self.name, f.min, f.max, **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        s: dict[str, Any] = {"type": "integer" if self.name == INTEGER else "number"}
        lo = f.min if f.min is not None else self.lowest
        hi = f.max if f.max is not None else self.highest
        if lo is not None:
            s["minimum"] = lo
        if hi is not None:
            s["maximum"] = hi
        # No multipleOf 0.01 for money: binary floats make validators reject 74.5.
        return s

    def display(self, f: Field, value: Any) -> str:
        return "" if value is None or value == "" else number_text(value)


class Integer(Number):
    name = INTEGER


class Percentage(Number):
    name = PERCENTAGE
    lowest, highest = 0, 100

    def display(self, f: Field, value: Any) -> str:
        return "" if value is None or value == "" else f"{number_text(value)}%"


class Money(Number):
    name = MONEY
    line_width, weight = 110.0, 1.5
    lowest = 0

    def display(self, f: Field, value: Any) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            return str(value)
        return f"£{Decimal(repr(value)) if isinstance(value, float) else Decimal(value):,.2f}"


class _Boolean(FieldType):
    weight = 1.2

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Bool(**kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {"type": "boolean"}

    def display(self, f: Field, value: Any) -> str:
        return "" if value is None else YES_NO_LABELS[bool(value)]


class YesNo(_Boolean):
    name = YESNO

    def control(self, f: Field) -> Control:
        return Control.BOXES


class Tick(_Boolean):
    name = TICK
    weight = 0.8

    def canonical(self, f: Field, value: Any) -> Any:
        return bool(value)  # an unticked box is an answer too

    def control(self, f: Field) -> Control:
        return Control.TICK


def _options_schema(options: tuple[Option, ...]) -> dict[str, Any]:
    """A code list as form generators expect it: each option's value and printed label."""
    return {"oneOf": [{"const": o.value, "title": o.label} for o in options]}


class Choice(FieldType):
    name = CHOICE
    has_options = True
    weight = 2.0
    #: The code list it always takes its options from (the fixed scales), if any.
    scale: ClassVar[str | None] = None

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Choice(f.options, **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return _options_schema(f.options)

    def display(self, f: Field, value: Any) -> str:
        if value is None:
            return ""
        o = next((o for o in f.options if o.value == str(value)), None)
        return self.option_text(f, o) if o is not None else str(value)

    def control(self, f: Field) -> Control:
        return Control.BOXES if len(f.options) <= MAX_BOXES else Control.DROPDOWN


class Rating(Choice):
    name = RATING
    scale = "qa_rating"


class Rag(Choice):
    name = RAG
    scale = "rag"


class Frequency(Choice):
    name = FREQUENCY
    scale = "frequency"


class MultiChoice(FieldType):
    name = MULTICHOICE
    has_options = True
    wraps = True
    several = True

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.List(m.Choice(f.options), **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {"type": "array", "uniqueItems": True, "items": _options_schema(f.options)}

    def display(self, f: Field, value: Any) -> str:
        by_value = {o.value: o for o in f.options}
        return "; ".join(self.option_text(f, by_value[v]) if v in by_value else str(v) for v in value or ())

    def from_text(self, f: Field, text: str) -> Any:
        """Options typed as text, one a line or separated by ';', by value or label."""
        parts = [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
        by_text = {k.casefold(): o.value for o in f.options for k in (o.value, o.label)}
        return [by_text.get(p.casefold(), p) for p in parts]

    def control(self, f: Field) -> Control:
        return Control.BOXES  # every option printed, so a paper copy can be ticked


class ListType(FieldType):
    name = LIST
    shape = Shape.ITEMS
    max_length = 2_000  # each item

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.List(m.Text(), **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {
            "type": "array",
            "maxItems": MAX_ROWS,
            "items": {"type": "string", "maxLength": self.limit(f)},
        }

    def display(self, f: Field, value: Any) -> str:
        """The whole list one item a line (an item alone prints as itself)."""
        if isinstance(value, str):
            return value
        return "\n".join(str(v) for v in value or ())

    def control(self, f: Field) -> Control:
        return Control.LIST


class Group(FieldType):
    name = GROUP
    container = True
    shape = Shape.OBJECT
    max_length = None

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.Nested(nested(f), **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return obj(f)

    def control(self, f: Field) -> Control:
        return Control.GROUP


class Signature(Group):
    name = SIGNATURE

    def control(self, f: Field) -> Control:
        return Control.SIGNATURE


class Table(FieldType):
    name = TABLE
    container = True
    shape = Shape.ROWS
    max_length = None

    def marshmallow(self, f: Field, kw: dict[str, Any], nested: NestedSchema) -> mf.Field[Any]:
        from apforms.model import marshmallow_fields as m

        return m.List(m.Nested(nested(f)), **kw)

    def json_schema(self, f: Field, obj: ObjectSchema) -> dict[str, Any]:
        return {"type": "array", "maxItems": MAX_ROWS, "items": obj(f)}

    def control(self, f: Field) -> Control:
        return Control.TABLE


#: Every field type by its name in the definition format.
TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        Text(),
        LongText(),
        Date(),
        Integer(),
        Number(),
        Money(),
        Percentage(),
        Email(),
        Phone(),
        Postcode(),
        Upn(),
        YesNo(),
        Tick(),
        Choice(),
        MultiChoice(),
        Rating(),
        Rag(),
        Frequency(),
        ListType(),
        Group(),
        Table(),
        Signature(),
    )
}


def type_of(f: Field) -> FieldType:
    """The registry entry of a field's type (definitions are checked, so it exists)."""
    return TYPES[f.type]


@cache
def control_of(f: Field) -> Control:
    """The control a field is shown with (worked out once per field: rendering asks often)."""
    return TYPES[f.type].control(f)


def marshmallow_field(f: Field, nested: NestedSchema) -> mf.Field[Any]:
    """The marshmallow field that parses and validates ``f``'s values."""
    kw: dict[str, Any] = {
        "required": f.required,
        "allow_none": False,
        "error_messages": {"required": MISSING, "null": MISSING},
    }
    return type_of(f).marshmallow(f, kw, nested)


__all__ = ["MISSING", "TYPES", "Control", "FieldType", "Shape", "control_of", "marshmallow_field", "type_of"]

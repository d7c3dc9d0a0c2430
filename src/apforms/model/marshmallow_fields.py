"""The marshmallow fields the field types of :mod:`apforms.model.types` parse values with.

Each type's registry entry chooses its field here (``FieldType.marshmallow``); they live in a
module of their own so that reading definitions, or the command line's help, does not import
marshmallow: it is imported when a record is first validated.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError
from marshmallow import fields as mf
from marshmallow.fields import List, Nested

from apforms.model.types import INTEGER, MONEY, PERCENTAGE, normal_text
from apforms.safe import quote

if TYPE_CHECKING:
    from apforms.model.definitions import Option


class Checks(mf.Field[Any]):
    """A field whose validators run only when it has some: marshmallow composes them into a
    ``validate.And`` for every value, which with none checks nothing (a record has a hundred
    values or more, and most fields have no validators)."""

    def _validate(self, value: Any) -> None:
        if self.validators:
            super()._validate(value)


class Text(Checks, mf.String):
    """A string; surrounding white space is trimmed, the text normalised (:func:`normal_text`)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        if type(value) is str:  # nearly every value: marshmallow's String would return it as it is
            s = value
        else:
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            s = super()._deserialize(value, attr, data, **kw)
        if not s.isascii():
            try:
                s.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate ("\ud800") is not text
                raise ValidationError("Must be text (it holds a broken character)") from None
        s = normal_text(s)
        return s.strip() if "\n" not in s else s.strip("\n ")


_ISO_DATE = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})")
_UK_DATE = re.compile(r"(?P<d>[0-9]{2})/(?P<m>[0-9]{2})/(?P<y>[0-9]{4})")


class Date(Checks, mf.Field[str]):
    """ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY`` in; ISO string out."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        if isinstance(value, date):
            return value.isoformat()
        if not isinstance(value, str):
            raise ValidationError("Not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        v = value.strip()
        # the two spellings forms and records use, without strptime (the same dates as
        # its first two formats; anything else, or no such day, goes through them all)
        m = _ISO_DATE.fullmatch(v) or _UK_DATE.fullmatch(v)
        if m is not None:
            with contextlib.suppress(ValueError):
                return date(int(m["y"]), int(m["m"]), int(m["d"])).isoformat()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(v, fmt).date().isoformat()
            except ValueError:
                continue
        raise ValidationError(f"Not a date: {quote(value)} (use YYYY-MM-DD or DD/MM/YYYY)")


#: A number with thousands separated by commas: 1,250 or 12,345.50 (never 7,5 or 12,50).
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


class Number(Checks, mf.Field[int | float]):
    """A number, also from text such as '12', '£1,250.50' or '95%'; JSON number out."""

    def __init__(self, kind: str, lo: float | None, hi: float | None, **kw: Any) -> None:
        super().__init__(**kw)
        self.kind, self.lo, self.hi = kind, lo, hi

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> int | float:
        if isinstance(value, bool):
            raise ValidationError("Not a number")
        if isinstance(value, str):
            text = value.strip()
            if self.kind == MONEY:
                text = text.removeprefix("£").strip()
            if self.kind == PERCENTAGE:
                text = text.removesuffix("%").strip()
            if "," in text:  # thousands only, in groups of three: '7,5' is not 75 (a decimal comma)
                if not _GROUPED.fullmatch(text):
                    raise ValidationError(
                        f"Not a number: {quote(value)} (write a decimal point, not a comma, e.g. 7.5)"
                    )
                text = text.replace(",", "")
        else:
            text = str(value)
        try:
            num = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"Not a number: {quote(value)}") from None
        if not num.is_finite():
            raise ValidationError("Not a number")
        if num.adjusted() > 9:  # no form holds a number of ten or more digits; 1e99999999 would hang
            raise ValidationError(f"Too large: {text[:20]!r}")
        if self.kind == INTEGER and num != num.to_integral_value():
            raise ValidationError("Not a whole number")
        if self.kind == MONEY and num != num.quantize(Decimal("0.01")):
            raise ValidationError("An amount in pounds has at most 2 decimal places")
        lo = 0 if self.kind in (PERCENTAGE, MONEY) and self.lo is None else self.lo
        hi = 100 if self.kind == PERCENTAGE and self.hi is None else self.hi
        if lo is not None and num < Decimal(str(lo)):
            raise ValidationError(f"Must be at least {lo}")
        if hi is not None and num > Decimal(str(hi)):
            raise ValidationError(f"Must be at most {hi}")
        if num == num.to_integral_value():
            return int(num)
        return float(num)


class Checked(Text):
    """A string checked and tidied by a function that returns why it is invalid, or the
    canonical spelling."""

    def __init__(self, tidy: Callable[[str], str], **kw: Any) -> None:
        super().__init__(**kw)
        self.tidy = tidy

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        text = super()._deserialize(value, attr, data, **kw)
        try:
            return self.tidy(text)
        except ValueError as exc:  # the tidying function's reason, as marshmallow reports it
            raise ValidationError(str(exc)) from None


class Choice(Checks, mf.Field[str]):
    """One option; its value or (case-insensitively) its printed label is accepted."""

    def __init__(self, options: tuple[Option, ...], **kw: Any) -> None:
        super().__init__(**kw)
        self.by_key = {o.value.casefold(): o.value for o in options}
        self.by_key.update({o.label.casefold(): o.value for o in options})
        self.values = [o.value for o in options]

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> str:
        if isinstance(value, str) and value.strip().casefold() in self.by_key:
            return self.by_key[value.strip().casefold()]
        shown = ", ".join(self.values[:12]) + (" …" if len(self.values) > 12 else "")
        raise ValidationError(f"{quote(value)} is not one of the options ({shown})")


class Bool(Checks, mf.Boolean):
    truthy = mf.Boolean.truthy | {"Ja", "ticked", "x", "X", "☒", "✓", "✔"}
    falsy = mf.Boolean.falsy | {"Off", "off", "☐"}

    default_error_messages = {"invalid": "Not yes/no: {input!r}"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kw: Any) -> bool:
        try:
            return super()._deserialize(value, attr, data, **kw)
        except ValidationError:
            raise ValidationError(f"Not yes/no: {quote(value)}") from None  # never a whole long value


__all__ = ["Bool", "Checked", "Checks", "Choice", "Date", "List", "Nested", "Number", "Text"]

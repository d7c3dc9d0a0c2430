"""Reading the values of a filled form's fields (AcroForm), whoever filled it.

Text values come from ``/V`` (inherited from parent fields where the spec allows), so forms
filled by software that leaves appearances to the viewer (NeedAppearances) read the same as
ours; line breaks written as CR or CR LF (as Acrobat does) read as line breaks. Text may be
PDFDocEncoding, UTF-16 or UTF-8.

A tick box or radio group is read the way a viewer shows it: each widget's ``/AS`` against its
on-state, whatever the state is called (``/Yes``, ``/On``, ``/1``, an option name). The field's
own ``/V`` (taken from the field, not from a widget that carries a stray ``/V /Off`` as pypdf
writes) is compared with it, and where the two disagree the page wins and a warning names the
field: a value a person cannot see on the form is never taken silently.

Nothing damaged vanishes: a field whose value is not text (a number, a dictionary, a stream
that cannot be decoded) or that cannot be read at all is named in ``damaged`` (by its name;
``read`` words it by the form's label), and a field without a readable name, or an object of
the field tree qpdf could not parse, in ``warnings`` by its object number.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass, field
from typing import Any

import pikepdf

from apforms.errors import IngestError, first_line
from apforms.formats.pdf.bounds import value_text
from apforms.formats.pdf.names import NO, OFF, FieldFlag, FieldType
from apforms.formats.pdf.open import text_value

MAX_FIELDS = 20_000

#: Tick box states that mean "not ticked" (the standard one is /Off), compared casefolded.
OFF_STATES = frozenset({"", OFF.casefold(), NO.casefold(), "false", "0"})
#: Radio group states that mean "none chosen".
_NONE_CHOSEN = frozenset({"", OFF.casefold()})


@dataclass
class RawField:
    """One terminal field as found: type, flags and its value as text or button state.

    For a button ``value`` is the field's ``/V`` state; ``shown`` the on-states of the widgets
    whose ``/AS`` shows them on, and ``with_as`` whether any widget has an ``/AS`` at all.
    """

    name: str
    ft: str | None
    flags: int
    value: str | None
    signed: bool = False
    shown: list[str] = field(default_factory=list)
    with_as: bool = False


@dataclass
class AcroFormRead:
    fields: dict[str, RawField] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    xfa: bool = False
    #: A field's full name → what of it could not be read ("its value is a number (42), not text").
    damaged: dict[str, str] = field(default_factory=dict)


def read_acroform(pdf: pikepdf.Pdf) -> AcroFormRead:
    """Every terminal field of the document's form by its full name (empty if no form).

    qpdf's form helper walks the field tree (inheritance, full names, loops) in C++. A walk
    of ``/Fields`` from Python was tried again (2026-12): each object costs pikepdf several
    calls (its keys, then ``/T``, ``/FT``, ``/Ff``, ``/V``), and the walk took 2.4 ms a return
    against the helper's 1.7, most of either being qpdf parsing the objects, which both pay.
    """
    out = AcroFormRead()
    try:
        form = pdf.Root.get("/AcroForm")
        if not isinstance(form, pikepdf.Dictionary):
            return out
        out.xfa = "/XFA" in form
        fields = pdf.acroform.fields
        if len(fields) > MAX_FIELDS:  # never a silent cut: the fields after it would be lost
            raise IngestError(f"the form has {len(fields):,} fields; at most {MAX_FIELDS:,} are read")
    except (pikepdf.PdfError, RuntimeError, ValueError, AttributeError, TypeError) as exc:
        out.warnings.append(f"the form's fields could not be read ({first_line(exc)[:120]})")
        return out
    found = out.fields
    for f in fields[:MAX_FIELDS]:
        try:
            name = f.fully_qualified_name
        except _ERRORS:
            name = ""
        if not name:
            out.warnings.append(
                f"a form field whose name cannot be read ({_object(f)}) was ignored; "
                "check its value against the returned form"
            )
            continue
        try:
            known = found.get(name)
            if known is None:
                found[name] = _field(name, f, out.damaged)
            elif known.ft == _BUTTON:  # another button of a radio group: only its /AS adds anything
                _add_shown(known, f, f.obj)
        except _ERRORS as exc:  # not read: named (read.py words it by the form's label)
            out.damaged.setdefault(name, f"it cannot be read ({_first_line(exc)})")
    out.warnings += _unparsed(pdf)
    return out


_ERRORS = (pikepdf.PdfError, RuntimeError, ValueError, TypeError, UnicodeError, AttributeError)


def _object(f: Any) -> str:
    try:
        number = f.obj.objgen[0]
    except _ERRORS:
        number = 0
    return f"object {number}" if number else "not an object of its own"


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return re.sub(r"^stream <[^>]*>:?\s*", "", lines[0])[:160] if lines else type(exc).__name__


# qpdf's warnings when an object of the field tree could not be parsed (it is then null) and
# its form helper skipped it (qpdf 11 and 12).
_PARSE_FAILED = re.compile(
    r"\(object (\d+) \d+, offset \d+\): treating object as null because of error during parsing: (.*)"
)
_SKIPPED = re.compile(
    r"object (\d+) \d+: encountered a non-dictionary as a field or annotation while traversing /AcroForm"
)


def _unparsed(pdf: pikepdf.Pdf) -> list[str]:
    """A warning for each object of the field tree qpdf could not parse (so its form helper
    skipped it, and a field in it was not read)."""
    try:
        notes = [str(w) for w in pdf.get_warnings()]
    except (AttributeError, RuntimeError):
        return []
    why = {m.group(1): m.group(2) for n in notes if (m := _PARSE_FAILED.search(n))}
    skipped = dict.fromkeys(m.group(1) for n in notes if (m := _SKIPPED.search(n)))
    return [
        f"object {number} of the form cannot be read ({why[number][:160]}): a field in it was not read; "
        "check the values against the returned form"
        for number in skipped
        if number in why
    ]


_BUTTON, _SIGNATURE = FieldType.BUTTON.value, FieldType.SIGNATURE.value


def _field(name: str, f: Any, damaged: dict[str, str]) -> RawField:
    """A field met for the first time (through its first widget, for a radio group); what of
    it is not what a field holds goes into ``damaged``."""
    ft = str(f.field_type or "").lstrip("/") or None  # "/Tx", "/Btn", … (str or Name by version)
    flags = int(f.flags or 0)
    if ft == _BUTTON:
        return _button(name, flags, f, damaged)
    if ft == _SIGNATURE:
        value = f.value
        signed = isinstance(value, pikepdf.Dictionary) and "/Contents" in value
        return RawField(name, ft, flags, None, signed=signed)
    # qpdf decodes text strings (PDFDocEncoding, UTF-16 either way round, UTF-8) in C++
    text = f.value_as_string
    return RawField(name, ft, flags, _line_breaks(text if text else _text(name, f.value, damaged)))


def _line_breaks(text: str | None) -> str | None:
    """CR LF and CR (Acrobat's line break in a text field) as LF, as records hold them."""
    if text is None or "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _text(name: str, value: Any, damaged: dict[str, str]) -> str | None:
    if isinstance(value, pikepdf.Array):  # a multiple-selection list: its values joined
        parts = [text_value(v) for v in value]
        odd = [_kind(v) for v, p in zip(value, parts, strict=True) if p is None and not _no_value(v)]
        if odd:
            parts_are = f"{len(odd)} parts of its value are" if len(odd) > 1 else "1 part of its value is"
            damaged[name] = f"{parts_are} not text ({', '.join(odd)})"
        return "; ".join(p for p in parts if p)
    if isinstance(value, pikepdf.Stream):  # rich text kept as a stream by some fillers
        try:
            return value_text(value)  # refused past the limit for a value
        except (pikepdf.PdfError, RuntimeError) as exc:
            damaged[name] = f"its value is a stream that cannot be decoded ({_first_line(exc)})"
            return None
    text = text_value(value)
    if text is None and not _no_value(value):
        damaged[name] = f"its value is {_kind(value)}, not text"
    return text


def _no_value(value: Any) -> bool:
    """No value: absent, or null (pikepdf's None; so is a reference to an object that is not
    there, ISO 32000-2 7.3.10)."""
    return value is None


def _kind(value: Any) -> str:
    """What a PDF object that is not text is, for a warning."""
    if isinstance(value, bool):
        return f"true or false ({'true' if value else 'false'})"
    if isinstance(value, numbers.Number):  # pikepdf gives int, and Decimal for a real
        return f"a number ({value})"
    if isinstance(value, pikepdf.Dictionary):
        return "a dictionary"
    if isinstance(value, pikepdf.Array):
        return "a list"
    if isinstance(value, pikepdf.Stream):
        return "a stream"
    return f"a PDF {type(value).__name__}"


def _button(name: str, flags: int, f: Any, damaged: dict[str, str]) -> RawField:
    """A tick box or radio group: the field's /V state, and what its first widget shows."""
    if flags & FieldFlag.PUSHBUTTON:
        return RawField(name, FieldType.BUTTON, flags, None)
    widget = f.obj
    value = _field_v(f, widget)
    state = text_value(value)
    if state is None and not _no_value(value):
        damaged[name] = f"its value is {_kind(value)}, not a state"
    raw = RawField(name, FieldType.BUTTON, flags, _exported(f, state))
    _add_shown(raw, f, widget)
    return raw


def _field_v(f: Any, widget: pikepdf.Dictionary) -> Any:
    """The field's own /V (qpdf resolves inheritance). A widget of a radio group has no /T,
    and a /V on it (pypdf writes /V /Off on every button) is not the group's value."""
    if "/V" in widget and "/T" not in widget:
        node, seen = widget.get("/Parent"), 0
        while isinstance(node, pikepdf.Dictionary) and seen < 32:  # a loop in /Parent must not hang
            if "/V" in node:
                return node.get("/V")
            node, seen = node.get("/Parent"), seen + 1
        return None
    return f.value


def _exported(f: Any, state: str | None) -> str | None:
    """A button state as its name: a state numbered /0, /1 … with export values in /Opt as
    its export value, and a name written as a string ("/Yes", as pypdf writes) as the name."""
    if state is not None and state.startswith("/"):
        state = state[1:]
    if state is not None and state.isdecimal():  # '²' is a digit to isdigit, not to int
        opt = f.get_inheritable_field_value("/Opt")
        if isinstance(opt, pikepdf.Array) and int(state) < len(opt):
            exported = text_value(opt[int(state)])
            return exported if exported is not None else state
    return state


def _add_shown(raw: RawField, f: Any, widget: pikepdf.Dictionary) -> None:
    """What one widget shows (its /AS), for a tick box or radio group."""
    state = widget.get("/AS")
    if state is None:
        return
    raw.with_as = True
    shown = text_value(state)
    if shown and shown.casefold() not in _NONE_CHOSEN:
        raw.shown.append(_exported(f, shown) or shown)


def _on(state: str | None) -> bool:
    return state is not None and state.strip().casefold() not in OFF_STATES


def is_on(raw: RawField, warnings: list[str] | None = None, where: str = "") -> bool:
    """Whether a tick box is ticked as the page shows it, whatever its on state is called."""
    if not raw.with_as:
        return _on(raw.value)  # no appearance state at all: the value is all there is
    shown = bool(raw.shown)
    if _on(raw.value) != shown and warnings is not None:
        said = "ticked" if _on(raw.value) else "not ticked"
        warnings.append(
            f"{where or raw.name}: the form's data says {said} but the page shows it "
            f"{'ticked' if shown else 'not ticked'}; what the page shows was taken"
        )
    return shown


def radio_state(raw: RawField, warnings: list[str] | None = None, where: str = "") -> str | None:
    """The chosen button of a radio group as the page shows it (``None`` when none is)."""
    value = raw.value if raw.value is not None and raw.value.strip().casefold() not in _NONE_CHOSEN else None
    if not raw.with_as:
        return value
    shown = list(dict.fromkeys(raw.shown))
    chosen = shown[0] if len(shown) == 1 else None
    if len(shown) > 1:
        if warnings is not None:
            warnings.append(f"{where or raw.name}: more than one option is shown as chosen; none was taken")
        return None
    # A group with no /V at all leaves the choice to its buttons; a /V (a choice, or /Off)
    # that differs from the page is a disagreement either way round.
    if chosen != value and raw.value is not None and warnings is not None:
        said = repr(value) if value is not None else "no choice"
        page = f"shows {chosen!r}" if chosen else "shows no choice"
        warnings.append(
            f"{where or raw.name}: the form's data says {said} but the page {page}; "
            "what the page shows was taken"
        )
    return chosen

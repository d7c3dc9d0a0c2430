"""Reading the values of a filled form's fields (AcroForm), whoever filled it.

Values come from ``/V`` (inherited from parent fields where the spec allows), so forms filled
by software that leaves appearances to the viewer (NeedAppearances) read the same as ours.
Tick boxes may use any on-state name (``/Yes``, ``/On``, ``/1``); radio values may be names
or strings, or only shown by a button's ``/AS``; text may be PDFDocEncoding, UTF-16 or UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pikepdf

from apforms.formats.pdf.names import NO, OFF, FieldFlag, FieldType
from apforms.formats.pdf.open import text_value

MAX_FIELDS = 20_000

#: Tick box states that mean "not ticked" (the standard one is /Off), compared casefolded.
OFF_STATES = frozenset({"", OFF.casefold(), NO.casefold(), "false", "0"})
#: Radio group states that mean "none chosen".
_NONE_CHOSEN = frozenset({"", OFF.casefold()})


@dataclass
class RawField:
    """One terminal field as found: type, flags and its value as text or button state."""

    name: str
    ft: str | None
    flags: int
    value: str | None
    signed: bool = False


@dataclass
class AcroFormRead:
    fields: dict[str, RawField] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    xfa: bool = False


def read_acroform(pdf: pikepdf.Pdf) -> AcroFormRead:
    """Every terminal field of the document's form by its full name (empty if no form).

    qpdf's form helper walks the field tree (inheritance, full names, loops) in C++, which
    is several times faster than walking it object by object from Python.
    """
    out = AcroFormRead()
    try:
        form = pdf.Root.get("/AcroForm")
        if not isinstance(form, pikepdf.Dictionary):
            return out
        out.xfa = "/XFA" in form
        fields = pdf.acroform.fields
    except (pikepdf.PdfError, RuntimeError, ValueError, AttributeError, TypeError) as exc:
        out.warnings.append(f"the form's fields could not be read ({str(exc).splitlines()[0][:120]})")
        return out
    for f in fields[:MAX_FIELDS]:
        try:
            _add(out, f)
        except (pikepdf.PdfError, RuntimeError, ValueError, TypeError, UnicodeError):
            continue
    return out


def _add(out: AcroFormRead, f: Any) -> None:
    """One widget of a field (a radio group has one per button)."""
    name = f.fully_qualified_name
    if not name:
        return
    known = out.fields.get(name)
    if known is not None:  # another button of a radio group: only its /AS can add anything
        if known.ft == FieldType.BUTTON and known.value is None:
            known.value = _shown_state(f.obj)
        return
    ft = str(f.field_type or "").lstrip("/") or None  # "/Tx", "/Btn", … (str or Name by version)
    flags = int(f.flags or 0)
    if ft == FieldType.BUTTON:
        out.fields[name] = _button(name, flags, f)
    elif ft == FieldType.SIGNATURE:
        value = f.value
        signed = isinstance(value, pikepdf.Dictionary) and "/Contents" in value
        out.fields[name] = RawField(name, ft, flags, None, signed=signed)
    else:
        # qpdf decodes text strings (PDFDocEncoding, UTF-16 either way round, UTF-8) in C++
        text = f.value_as_string
        out.fields[name] = RawField(name, ft, flags, text if text else _text(f.value))


def _shown_state(widget: Any) -> str | None:
    shown = text_value(widget.get("/AS"))
    return shown if shown and shown.casefold() not in _NONE_CHOSEN else None


def _text(value: Any) -> str | None:
    if isinstance(value, pikepdf.Array):  # a multiple-selection list: its values joined
        parts = [text_value(v) for v in value]
        return "; ".join(p for p in parts if p)
    if isinstance(value, pikepdf.Stream):  # rich text kept as a stream by some fillers
        try:
            return bytes(value.read_bytes()).decode("utf-8", errors="replace")
        except (pikepdf.PdfError, RuntimeError):
            return None
    return text_value(value)


def _button(name: str, flags: int, f: Any) -> RawField:
    """A tick box or radio group: its state name, from /V or else from a widget's /AS."""
    if flags & FieldFlag.PUSHBUTTON:
        return RawField(name, FieldType.BUTTON, flags, None)
    value = f.value
    state = text_value(value) if value is not None else None
    if state is None:
        state = _shown_state(f.obj)
    if state is not None and state.isdigit():
        opt = f.get_inheritable_field_value("/Opt")
        if isinstance(opt, pikepdf.Array) and int(state) < len(opt):
            exported = text_value(opt[int(state)])  # states numbered, export values in /Opt
            state = exported if exported is not None else state
    return RawField(name, FieldType.BUTTON, flags, state)


def is_on(raw: RawField) -> bool:
    """Whether a tick box is ticked, whatever its on state is called."""
    return raw.value is not None and raw.value.strip().casefold() not in OFF_STATES


def radio_state(raw: RawField) -> str | None:
    """The chosen button of a radio group (``None`` when none is: /Off or no value)."""
    if raw.value is None or raw.value.strip().casefold() in _NONE_CHOSEN:
        return None
    return raw.value

"""Record values as form field values, and form field values back into record data.

A text field holds what a person would type (UK dates ``07/09/2026``, amounts ``£2,548.00``);
validation turns it back into the canonical value, so record → form → record is exact.
A tick box is ``True``/``False``; a radio group holds the state of its chosen button
(the option value, or ``Yes``/``No``); a dropdown holds the option value.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from apforms import present
from apforms.formats.pdf import names
from apforms.formats.pdf.geometry import CHECK, COMBO, RADIO, SIGNATURE, YES_NO, DataPath, FormField, Layout
from apforms.formats.tree import as_lists, put
from apforms.model import definitions as d
from apforms.model.definitions import Field, Option
from apforms.model.types import type_of

#: A value as a form holds it: text, a tick, a radio state, or nothing.
FormValue = str | bool | None


def display(leaf: Field, value: Any) -> str:
    """The text a form shows for a canonical value (see :func:`apforms.present.display`)."""
    return present.display(leaf, value)


def get_path(data: Any, path: DataPath) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, Mapping):
            return None
        data = data[part] if isinstance(part, int) else data.get(part)
    return data


def form_values(layout: Layout, data: Mapping[str, Any]) -> dict[str, FormValue]:
    """The value of every form field for canonical ``data`` (``None`` when empty)."""
    out: dict[str, FormValue] = {}
    for f in layout.fields:
        if f.kind == SIGNATURE or f.data_path is None:
            continue
        value = get_path(data, f.data_path)
        out[f.name] = to_form(f, value)
    return out


def to_form(f: FormField, value: Any) -> FormValue:
    if value is None or value == "" or value == []:
        return None
    leaf = f.leaf
    if f.kind == CHECK:
        if f.option is not None:
            return isinstance(value, list) and f.option.value in value
        return bool(value)
    if leaf.type == d.YESNO and f.kind in (RADIO, COMBO):
        chosen = YES_NO[0] if value else YES_NO[1]
        return f.states[f.options.index(chosen)] if f.kind == RADIO else chosen.value
    if f.kind in (RADIO, COMBO):
        return str(value)
    return display(leaf, value)


def combo_label(f: FormField, value: str) -> str:
    """What a dropdown shows for its value (a code list's code with its label)."""
    for o in f.options:
        if o.value == value:
            return present.option_text(f.leaf, o)
    return value


# --------------------------------------------------------------------------- back into data


def assemble(layout: Layout, values: Mapping[str, FormValue]) -> dict[str, Any]:
    """Record data (not yet validated) from form field values keyed by full field name.

    Unknown names are ignored; a value that matches no option is kept as text so that
    validation reports it by its label.
    """
    data: dict[str, Any] = {}
    for f in layout.fields:
        if f.data_path is None or f.name not in values:
            continue
        raw = values[f.name]
        if raw is None or raw == "" or raw is False:
            continue
        value = from_form(f, raw)
        if value is None:
            continue
        if f.kind == CHECK and f.option is not None:
            lst = _ensure(data, f.data_path, list)
            lst.append(f.option.value)
        else:
            put(data, f.data_path, value)
    record_data: dict[str, Any] = as_lists(data)  # keyed by section, so never turned into a list
    return record_data


def from_form(f: FormField, raw: str | bool) -> Any:
    leaf = f.leaf
    if f.kind == CHECK:
        return bool(raw)
    text = raw if isinstance(raw, str) else (names.YES if raw else names.NO)
    if f.kind in (RADIO, COMBO):
        option = _match(text, f)
    else:
        return type_of(leaf).from_text(leaf, text)
    if option is None:
        return text.strip()
    if leaf.type == d.YESNO:
        return option.value == YES_NO[0].value
    return option.value


def _match(text: str, f: FormField) -> Option | None:
    t = text.strip()
    options, states, exact = _states(f)
    if t in exact:
        return exact[t]
    folded = t.casefold()
    for o, s in zip(options, states, strict=True):
        # the code and label together ("B – Attending …") is how a dropdown of codes prints
        if folded in (
            s.casefold(),
            o.value.casefold(),
            o.label.casefold(),
            f"{o.value} – {o.label}".casefold(),
        ):
            return o
    if options == YES_NO and folded in ("true", "1", "y", "on", "x", "ja"):
        return YES_NO[0]
    if options == YES_NO and folded in ("false", "0", "n"):
        return YES_NO[1]
    return None


@cache
def _states(f: FormField) -> tuple[tuple[Option, ...], tuple[str, ...], dict[str, Option]]:
    """A radio group's or dropdown's options, the state or value each is chosen by (a radio
    button's on state, a dropdown's option value), and the first option of each state (some
    dropdowns list a few hundred options: DfE's languages)."""
    states = f.states if f.kind == RADIO else tuple(o.value for o in f.options)
    exact: dict[str, Option] = {}
    for o, s in zip(f.options, states, strict=True):
        exact.setdefault(s, o)
    return f.options, states, exact


def _ensure(data: dict[str, Any], path: DataPath, kind: type) -> Any:
    node: Any = data
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if part not in node:
            node[part] = kind() if last else {}
        node = node[part]
    return node

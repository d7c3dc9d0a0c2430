"""A JSON Schema (draft 2020-12) of a document's canonical record file, from its definition.

Other systems (an MIS export, a council portal) can validate records with it. It describes
the canonical form: ISO dates, codes rather than labels. The UPN check letter cannot be
expressed in JSON Schema, so only its shape is checked here.
"""

from __future__ import annotations

from typing import Any

from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field

DRAFT = "https://json-schema.org/draft/2020-12/schema"

_PATTERNS = {
    d.DATE: r"^\d{4}-\d{2}-\d{2}$",
    d.UPN: r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$",
    d.POSTCODE: r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][A-Z]{2}$",
    d.PHONE: r"^\+?[0-9 ()\-]{10,20}$",
}


def json_schema(definition: Definition) -> dict[str, Any]:
    """The schema of ``{"document", "version", "data"}`` for this definition."""
    return {
        "$schema": DRAFT,
        "$id": f"https://apforms.invalid/schemas/{definition.id}-{definition.version}.json",
        "title": definition.title,
        "description": f"{definition.source}. Definition version {definition.version}.",
        "type": "object",
        "required": ["document", "version", "data"],
        "properties": {
            "document": {"const": definition.id},
            "version": {"type": "string", "pattern": r"^\d+(\.\d+)*$"},
            "data": _object(definition.sections),
        },
    }


def _object(fields: tuple[Field, ...]) -> dict[str, Any]:
    required = [f.key for f in fields if f.required and f.default is None]
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {f.key: _field(f) for f in fields},
    }
    if required:
        schema["required"] = required
    return schema


def _field(f: Field) -> dict[str, Any]:
    s = _type_schema(f)
    s["title"] = f.label
    if f.help:
        s["description"] = f.help
    return s


def _type_schema(f: Field) -> dict[str, Any]:
    t = f.type
    if t in (d.GROUP, d.SIGNATURE):
        return _object(f.fields)
    if t == d.TABLE:
        return {"type": "array", "maxItems": f.max_rows, "items": _object(f.fields)}
    if t == d.LIST:
        return {"type": "array", "maxItems": f.max_rows, "items": {"type": "string"}}
    if t in d.SINGLE_CHOICE_TYPES:
        return {"enum": [o.value for o in f.options]}
    if t == d.MULTICHOICE:
        return {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": [o.value for o in f.options]},
        }
    if t in (d.YESNO, d.TICK):
        return {"type": "boolean"}
    if t in (d.INTEGER, d.DECIMAL, d.MONEY, d.PERCENTAGE):
        return _number(f)
    s: dict[str, Any] = {"type": "string", "minLength": 1}
    if t in _PATTERNS:
        s["pattern"] = _PATTERNS[t]
    if t == d.DATE:
        s["format"] = "date"
    if t == d.EMAIL:
        s["format"] = "email"
    if f.max_length:
        s["maxLength"] = f.max_length
    return s


def _number(f: Field) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "integer" if f.type == d.INTEGER else "number"}
    lo = f.min if f.min is not None else (0 if f.type in (d.MONEY, d.PERCENTAGE) else None)
    hi = f.max if f.max is not None else (100 if f.type == d.PERCENTAGE else None)
    if lo is not None:
        s["minimum"] = lo
    if hi is not None:
        s["maximum"] = hi
    # No multipleOf 0.01 for money: binary floats make validators reject 74.5.
    return s

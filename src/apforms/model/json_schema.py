"""A JSON Schema (draft 2020-12) of a document's canonical record file, from its definition.

Other systems (an MIS export, a council portal) can validate records with it. It describes
the canonical form: ISO dates, codes rather than labels. Each field type gives its own
schema (:mod:`apforms.model.types`); a code list's options carry their printed labels
(``oneOf`` of ``const`` and ``title``), as form generators expect.
"""

from __future__ import annotations

from typing import Any

from apforms.model.definitions import Definition, Field
from apforms.model.types import type_of

DRAFT = "https://json-schema.org/draft/2020-12/schema"


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
    s = type_of(f).json_schema(f, lambda c: _object(c.fields))
    s["title"] = f.label
    if f.help:
        s["description"] = f.help
    return s

"""Loading record data through a definition's marshmallow schema, as ``schema.load(data,
partial=True)`` does, with the same valid data and the same error messages, in a third of
the time.

marshmallow's ``Schema.load`` pays for what apforms' schemas never use (hooks, ``data_key``
and ``attribute``, ``partial`` as a list of names, ``INCLUDE``) for every group and table
row of every record: a record is some thirty nested loads. Here the schema is read once into
a plan of its fields, and each value goes to the very field object marshmallow would give it,
as ``Field.deserialize`` gives it (the field's own ``_deserialize`` and validators: its type,
checks and messages). A schema, or a field, that uses anything the plan does not know (hooks,
another key, a ``deserialize`` of its own) is loaded by marshmallow itself.
``tests/test_loading.py`` compares the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, missing
from marshmallow import fields as mf
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.utils import is_collection

# What a field of a plan holds.
_LEAF, _NESTED, _ROWS, _ITEMS = range(4)


@dataclass(frozen=True)
class _Plan:
    """A schema's fields in order: ``(key, kind, field, inner field, plan of the nested
    schema)``; ``keys`` to find unknown keys; its messages for a value that is not a mapping
    and for an unknown key."""

    fields: tuple[tuple[str, int, mf.Field[Any], mf.Field[Any] | None, _Plan | None], ...]
    keys: frozenset[str]
    not_mapping: str
    unknown: str


def load(schema: Schema, data: Any) -> tuple[dict[str, Any], dict[Any, Any]]:
    """``(valid data, error messages)``: what ``schema.load(data, partial=True)`` returns, or
    the ``valid_data`` and ``messages`` of the ValidationError it raises (empty if none)."""
    plan = _plan(schema)
    if plan is None:
        try:
            return schema.load(data, partial=True), {}
        except ValidationError as exc:
            return (exc.valid_data if isinstance(exc.valid_data, dict) else {}), exc.messages_dict
    return _load(plan, data)


def _load(plan: _Plan, data: Any) -> tuple[dict[str, Any], dict[Any, Any]]:
    valid: dict[str, Any] = {}
    errors: dict[Any, Any] = {}
    if not isinstance(data, Mapping):
        return valid, {"_schema": [plan.not_mapping]}
    for key, kind, field, inner, nested in plan.fields:
        value = data.get(key, missing)
        if value is missing:
            continue  # partial: a missing field is not an error
        if kind == _LEAF:
            try:
                # Field.deserialize for a value that is there, on a field with no hooks
                if value is None:
                    field._validate_missing(value)
                out = field._deserialize(value, key, data, partial=True)
                field._validate(out)
                valid[key] = out
            except ValidationError as exc:
                errors[key] = exc.messages
                if exc.valid_data:
                    valid[key] = exc.valid_data
            continue
        try:
            field._validate_missing(value)  # None where a group or table is expected
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        got: Any
        wrong: dict[Any, Any]
        if kind == _NESTED:
            assert nested is not None
            got, wrong = _load(nested, value)
        elif not is_collection(value):
            errors[key] = field.make_error("invalid").messages
            continue
        else:
            assert inner is not None
            got, wrong = _rows(value, inner, nested) if kind == _ROWS else _items(value, inner)
        if wrong:
            errors[key] = wrong
            if got:  # marshmallow keeps what was valid, unless it is empty
                valid[key] = got
        else:
            valid[key] = got
    unknown = set(data) - plan.keys
    for key in unknown:
        errors[key] = [plan.unknown]
    return valid, errors


def _rows(value: Any, inner: mf.Field[Any], nested: _Plan | None) -> tuple[list[Any], dict[int, Any]]:
    """A table: each row through the nested schema (an invalid row keeps its valid part)."""
    assert nested is not None
    result: list[Any] = []
    errors: dict[int, Any] = {}
    for i, row in enumerate(value):
        try:
            inner._validate_missing(row)
        except ValidationError as exc:
            errors[i] = exc.messages
            continue
        got, wrong = _load(nested, row)
        result.append(got)
        if wrong:
            errors[i] = wrong
    return result, errors


def _items(value: Any, inner: mf.Field[Any]) -> tuple[list[Any], dict[int, Any]]:
    """A list of values (an invalid one is left out)."""
    result: list[Any] = []
    errors: dict[int, Any] = {}
    for i, item in enumerate(value):
        try:
            result.append(inner.deserialize(item, partial=True))
        except ValidationError as exc:
            if exc.valid_data is not None:
                result.append(exc.valid_data)
            errors[i] = exc.messages
    return result, errors


@cache
def _plan(schema: Schema) -> _Plan | None:
    """The plan of a schema, or ``None`` if it uses something the plan does not know."""
    hooks = getattr(schema, "_hooks", None)
    if not isinstance(hooks, dict) or any(
        hooks.get(h) for h in (PRE_LOAD, POST_LOAD, VALIDATES, VALIDATES_SCHEMA)
    ):
        return None
    if schema.unknown != RAISE or schema.many or schema.partial:
        return None
    cls = type(schema)
    if any(
        getattr(cls, m) is not getattr(Schema, m)
        for m in ("load", "_do_load", "_deserialize", "handle_error")
    ):
        return None
    fields: list[tuple[str, int, mf.Field[Any], mf.Field[Any] | None, _Plan | None]] = []
    for key, field in schema.load_fields.items():
        if not _plain(field) or not isinstance(key, str) or "." in key:
            return None
        if isinstance(field, mf.Nested | mf.List) and not _container(field):
            return None
        if isinstance(field, mf.Nested):
            nested = _nested_plan(field)
            if nested is None:
                return None
            fields.append((key, _NESTED, field, None, nested))
        elif isinstance(field, mf.List):
            inner = field.inner
            if not _plain(inner) or type(field)._deserialize is not mf.List._deserialize:
                return None
            if isinstance(inner, mf.Nested):
                if not _container(inner):
                    return None
                nested = _nested_plan(inner)
                if nested is None:
                    return None
                fields.append((key, _ROWS, field, inner, nested))
            elif isinstance(inner, mf.List):
                return None
            else:
                fields.append((key, _ITEMS, field, inner, None))
        elif type(field).deserialize is not mf.Field.deserialize:
            return None
        else:
            fields.append((key, _LEAF, field, None, None))
    messages = schema.error_messages
    return _Plan(tuple(fields), frozenset(schema.load_fields), messages["type"], messages["unknown"])


def _nested_plan(field: mf.Nested) -> _Plan | None:
    """The plan of a Nested field's schema, if it loads as a plain one-object schema."""
    if type(field)._deserialize is not mf.Nested._deserialize or field.many or field.unknown is not None:
        return None
    if field.only is not None or field.exclude:
        return None
    schema = field.schema
    return _plan(schema) if isinstance(schema, Schema) and not schema.many else None


def _plain(field: mf.Field[Any]) -> bool:
    """A field loaded only by its own ``deserialize``: no other key, attribute or hooks,
    and never None (apforms' fields say 'Missing data' for it)."""
    return (
        field.data_key is None
        and field.attribute is None
        and not field.allow_none
        and not getattr(field, "pre_load", None)
        and not getattr(field, "post_load", None)
    )


def _container(field: mf.Field[Any]) -> bool:
    """A Nested or List field whose loading the plan does itself: no validators of its own
    and marshmallow's own ``deserialize``."""
    return _plain(field) and not field.validators and type(field).deserialize is mf.Field.deserialize


__all__ = ["load"]

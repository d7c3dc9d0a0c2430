"""A document started from another: the values they share carried over (``schemas/links/carry-over.yaml``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from apforms.errors import DefinitionError
from apforms.model.definitions import Definition, Field
from apforms.model.types import type_of
from apforms.resources import read_yaml, schemas_dir


@cache
def _map() -> dict[str, dict[str, str]]:
    raw = read_yaml(schemas_dir() / "links" / "carry-over.yaml")
    if not isinstance(raw, dict):
        raise DefinitionError("carry-over.yaml: not a mapping of documents")
    return {str(k): {str(t): str(s) for t, s in (v or {}).items()} for k, v in raw.items()}


def starts_from(target: Definition, source: Definition) -> bool:
    """Whether ``target`` can be started from a ``source`` record (only from a referral)."""
    return source.id == "referral" and target.id in _map()


def _field(definition: Definition, path: str) -> Field:
    first, *rest = path.split(".")
    f = next(s for s in definition.sections if s.key == first)
    for key in rest:
        f = f.child(key)
    return f


def _get(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for key in path.split("."):
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def carry_over(source: Definition, data: Mapping[str, Any], target: Definition) -> dict[str, Any]:
    """The data a new ``target`` record starts with, from ``source``'s canonical ``data``."""
    out: dict[str, Any] = {}
    for to_path, from_path in _map().get(target.id, {}).items():
        value = _get(data, from_path)
        if value is None or value == "":
            continue
        f_from, f_to = _field(source, from_path), _field(target, to_path)
        if f_from.type != f_to.type:
            shown = f_from.option_label(value) if f_from.options else type_of(f_from).display(f_from, value)
            value = type_of(f_to).from_text(f_to, shown)
        node = out
        *parents, last = to_path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out

"""Record data built up from values read at key paths, in any format (rows as numbers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def put(data: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    """``value`` at ``path`` (``("provision", "costings", 1, "rate")``), making the mappings
    on the way; a row number is a key until :func:`as_lists`."""
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def as_lists(node: Any) -> Any:
    """Mappings keyed by row numbers (as :func:`put` builds them) as lists in row order."""
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [as_lists(node[k]) for k in sorted(node)]
        return {k: as_lists(v) for k, v in node.items()}
    return node


def field_path(path: Sequence[str | int]) -> str:
    """The definition's key path of a value's path: ``("sen", "agencies", 2, "name")`` →
    ``sen.agencies[].name``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += "[]"
        else:
            out += ("." if out else "") + p
    return out


__all__ = ["as_lists", "field_path", "put"]

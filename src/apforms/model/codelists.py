"""DfE code lists (``schemas/codelists/*.yaml``) and checks of UK identifiers.

Each code list file names its source and the date it was checked; the values come from
``shared/reference/domain-facts.md``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from apforms.errors import DefinitionError, first_line
from apforms.resources import data_dir, parse_yaml


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    meta: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Codelist:
    id: str
    title: str
    source: str
    date: str
    codes: tuple[Code, ...]
    #: What to write in the box of a list too long to print (``hint:`` in the file), or "".
    hint: str = ""

    def labels(self) -> dict[str, str]:
        return {c.code: c.label for c in self.codes}


def codelists_dir() -> Path:
    return data_dir("schemas") / "codelists"


def codelist_ids() -> list[str]:
    return sorted(p.stem for p in codelists_dir().glob("*.yaml"))


@cache
def load_codelist(list_id: str) -> Codelist:
    """The code list with this id, or a :class:`DefinitionError` naming what is wrong."""
    path = codelists_dir() / f"{list_id}.yaml"
    if not re.fullmatch(r"[a-z0-9_]+", list_id) or not path.is_file():
        raise DefinitionError(f"unknown code list {list_id!r}; known: {', '.join(codelist_ids())}")
    where = f"schemas/codelists/{path.name}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{where}: cannot read: {first_line(exc)}") from exc
    raw = parse_yaml(text, where)
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{where}: a code list is a mapping")
    for k in ("title", "source", "date", "codes"):
        if k not in raw:
            raise DefinitionError(f"{where}: missing {k!r}")
    codes = []
    seen = set()
    for i, c in enumerate(raw["codes"]):
        if not isinstance(c, Mapping) or "code" not in c or "label" not in c:
            raise DefinitionError(f"{where}: codes[{i}]: needs code and label")
        code = str(c["code"])
        if code in seen:
            raise DefinitionError(f"{where}: codes[{i}]: duplicate code {code!r}")
        seen.add(code)
        meta = {k: v for k, v in c.items() if k not in ("code", "label")} or None
        codes.append(Code(code, str(c["label"]), meta))
    hint = str(raw.get("hint") or "")
    return Codelist(list_id, str(raw["title"]), str(raw["source"]), str(raw["date"]), tuple(codes), hint)

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

import yaml
from stdnum.gb import upn as stdnum_upn

from apforms.errors import DefinitionError
from apforms.resources import data_dir


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
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{where}: cannot read: {str(exc).splitlines()[0]}") from exc
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
    return Codelist(list_id, str(raw["title"]), str(raw["source"]), str(raw["date"]), tuple(codes))


# --------------------------------------------------------------------------- identifiers

_POSTCODE = re.compile(r"^(GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?[0-9][0-9A-HJKMNPR-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$")
_PHONE_CHARS = re.compile(r"^[0-9 ()+\-]+$")


def upn_problem(value: str) -> str | None:
    """Why ``value`` is not a valid UPN (DfE UPN v2.0, check letter included), or None."""
    v = value.strip().upper()
    if len(v) != 13:
        return "a UPN has 13 characters"
    if not stdnum_upn.is_valid(v):
        return "not a valid UPN (the check letter does not match)"
    return None


def is_temporary_upn(value: str) -> bool:
    """A temporary UPN ends in a letter and must be replaced when the real one is known."""
    return len(value) == 13 and value[-1].isalpha()


def normalise_postcode(value: str) -> str | None:
    """'de11 2aa' → 'DE1 12AA'-style canonical form with one space, or None when invalid."""
    v = re.sub(r"\s+", "", value.upper())
    if len(v) < 5 or not _POSTCODE.match(v[:-3] + " " + v[-3:]):
        return None
    return v[:-3] + " " + v[-3:]


def normalise_phone(value: str) -> str | None:
    """A UK phone number (01332 123456, +44 1332 123456, 07700 900123) tidied, or None."""
    v = value.strip()
    if not _PHONE_CHARS.match(v):
        return None
    digits = re.sub(r"\D", "", v)
    if v.startswith("+"):
        if not digits.startswith("44"):
            return None
        digits = "0" + digits[2:]
    if not digits.startswith("0") or len(digits) not in (10, 11):
        return None
    return v

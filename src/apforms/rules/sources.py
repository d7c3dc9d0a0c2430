"""The public documents the checks cite, read from ``docs/sources.md``: one entry per document
under the short name the checks' sources begin with, with its title, publisher, date, URL
(None where none was confirmed) and the ids of the checks that cite it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from apforms.errors import DefinitionError
from apforms.resources import data_dir

_FIELD = re.compile(r"^- (?P<key>[A-Z][A-Za-z]*): ?(?P<value>.*)$")
_URL = re.compile(r"https?://[^\s,;)]+")
_RULE_ID = re.compile(r"^[A-Z]{2,4}-\d{3}$")


@dataclass(frozen=True)
class Source:
    """A document the checks cite, as ``docs/sources.md`` lists it."""

    name: str
    title: str
    publisher: str
    date: str
    url: str | None
    url_text: str
    rules: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_sources(text: str) -> list[Source]:
    """The entries of a sources page: a ``## short name`` heading and its ``- Field: value``
    lines (continued on lines indented by two spaces); headings without fields are prose."""
    entries: list[tuple[str, dict[str, str]]] = []
    key = ""
    for line in text.splitlines():
        if line.startswith("## "):
            entries.append((line[3:].strip(), {}))
            key = ""
        elif entries and (m := _FIELD.match(line)):
            key = m["key"].lower()
            entries[-1][1][key] = m["value"].strip()
        elif entries and key and line.startswith("  ") and line.strip():
            entries[-1][1][key] += " " + line.strip()
        else:
            key = ""
    return [_source(name, fields) for name, fields in entries if fields]


def _source(name: str, fields: dict[str, str]) -> Source:
    url_text = fields.get("url", "")
    found = _URL.search(url_text)
    url = found.group(0).rstrip(".") if found and not url_text.startswith("not confirmed") else None
    ids = tuple(i.strip() for i in fields.get("rules", "").split(","))
    return Source(
        name=name,
        title=fields.get("title", ""),
        publisher=fields.get("publisher", ""),
        date=fields.get("date", ""),
        url=url,
        url_text=url_text,
        rules=tuple(i for i in ids if _RULE_ID.match(i)),
    )


@cache
def all_sources() -> tuple[Source, ...]:
    """Every document listed in ``docs/sources.md`` (shipped in the wheel beside the schemas)."""
    path = data_dir("docs") / "sources.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    return tuple(parse_sources(text))

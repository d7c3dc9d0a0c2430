"""The fixture forms of each PDF layout version (``tests/fixtures/forms/layout-<n>/``).

Each layout folder holds, per document and definition version, a *stem*: ``<doc>`` for the
definition version current when the layout was made, ``<doc>@<version>`` for versions made
later under the same layout. A stem has its record (``<stem>.json``), the form filled,
flattened by apforms and printed by ``pdftocairo`` (``<stem>-filled.pdf``, ``-flat``,
``-printed``), and its geometry in ``geometry.json`` (keys ``<stem>/blank`` and
``<stem>/example``). ``scripts/layout_fixtures.py`` adds what is missing and never rewrites a
file: fixtures are made once, by the code of their version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apforms.formats.pdf.layout import Layout

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
KINDS = ("filled", "flat", "printed")


@dataclass(frozen=True)
class Stem:
    layout: int
    name: str  # "sla" or "sla@1.1"
    document: str
    version: str  # the definition version of the record and forms

    @property
    def folder(self) -> Path:
        return FIXTURES / f"layout-{self.layout}"

    def record(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((self.folder / f"{self.name}.json").read_text(encoding="utf-8"))
        return found

    def pdf(self, kind: str) -> Path:
        return self.folder / f"{self.name}-{kind}.pdf"


def layouts() -> list[int]:
    return sorted(int(p.name.split("-", 1)[1]) for p in FIXTURES.glob("layout-*") if p.is_dir())


def stems(layout: int | None = None) -> list[Stem]:
    """Every stem of one layout version (or of all)."""
    out = []
    for n in [layout] if layout is not None else layouts():
        for path in sorted((FIXTURES / f"layout-{n}").glob("*.json")):
            if path.name == "geometry.json":
                continue
            record = json.loads(path.read_text(encoding="utf-8"))
            out.append(Stem(n, path.stem, str(record["document"]), str(record["version"])))
    return out


def stem_for(layout: int, document: str, version: str) -> Stem | None:
    return next((s for s in stems(layout) if s.document == document and s.version == version), None)


def snapshot(layout: int) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((FIXTURES / f"layout-{layout}" / "geometry.json").read_text())
    return found


def geometry(lay: Layout) -> dict[str, Any]:
    """A layout as ``geometry.json`` records it: rows, (from layout 2) the lines of the
    growing boxes, pages, and every field's widgets."""
    out: dict[str, Any] = {"rows": list(lay.rows)}
    if lay.version >= 2:
        out["grow"] = list(lay.grow)
    out["pages"] = len(lay.pages)
    out["fields"] = [
        [f.name, f.kind, [[w.page, [round(v, 2) for v in w.rect], w.state] for w in f.widgets]]
        for f in lay.fields
    ]
    return out

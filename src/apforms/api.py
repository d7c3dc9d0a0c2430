"""One function per user verb. Returns results; never prints, never exits."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apforms import files, records
from apforms.definitions import Definition, data_dir, document_ids, load_definition
from apforms.errors import RecordError, RenderError
from apforms.jsonschema import json_schema as _json_schema
from apforms.records import Record, ValidationResult


def documents() -> list[Definition]:
    """Every document apforms knows, in id order."""
    return [load_definition(i) for i in document_ids()]


def example(doc_id: str) -> dict[str, Any]:
    """The complete fictional example record of a document, as a record file."""
    definition = load_definition(doc_id)
    path = data_dir("schemas") / "examples" / f"{definition.id}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def json_schema(doc_id: str) -> dict[str, Any]:
    return _json_schema(load_definition(doc_id))


def read_record(source: str | os.PathLike[str], text: str | bytes | None = None) -> Record:
    """Read a record file (or ``text`` already read from ``source``, e.g. standard input)."""
    if text is None:
        try:
            text = Path(source).read_bytes()
        except OSError as exc:
            raise RecordError(f"cannot read {source}: {exc.strerror or exc}") from None
    return records.parse_record(text, str(source))


def validate(record: Record, partial: bool = False) -> ValidationResult:
    """Every problem of a record at once, and its canonical data."""
    return records.validate(record.definition, record.data, partial=partial)


FORMATS = ("docx", "pdf")


@dataclass
class RenderResult:
    """A rendered document, or the problems that stopped it (then nothing was written)."""

    path: Path | None
    problems: list[records.Problem] = field(default_factory=list)
    #: Required fields left empty: rendered blank for completion by hand.
    missing: list[records.Problem] = field(default_factory=list)


def render_bytes(definition: Definition, data: dict[str, Any], fmt: str, flatten: bool = False) -> bytes:
    """The document in ``fmt`` for canonical ``data`` (already validated)."""
    if fmt == "docx":
        from apforms.render.docx import render_docx

        return render_docx(definition, data)
    if fmt == "pdf":
        from apforms.render.pdf import render_pdf

        return render_pdf(definition, data, flatten=flatten)
    raise RenderError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def render(record: Record, fmt: str, out: str | os.PathLike[str], flatten: bool = False) -> RenderResult:
    """Render a (possibly partial) record. Invalid values stop it; empty fields stay blank."""
    result = records.validate(record.definition, record.data, partial=True)
    if not result.ok:
        return RenderResult(None, result.problems, result.missing)
    content = render_bytes(record.definition, result.data, fmt, flatten)
    return RenderResult(files.write_bytes(out, content), [], result.missing)


def blank(doc_id: str, fmt: str, out: str | os.PathLike[str]) -> Path:
    """The empty form: every label, empty tick boxes, blank rows in each table."""
    definition = load_definition(doc_id)
    data = records.validate(definition, {}, partial=True).data
    return files.write_bytes(out, render_bytes(definition, data, fmt))


@dataclass
class DemoResult:
    """What ``apforms demo`` wrote, as (path, what it is) pairs."""

    out_dir: Path
    written: list[tuple[Path, str]] = field(default_factory=list)
    #: Findings worth showing (a withheld SLA, check results), one line each.
    notes: list[str] = field(default_factory=list)


def demo(out_dir: str | os.PathLike[str] = "output") -> DemoResult:
    """Write every example record (and, as stages land, every output) under ``out_dir``."""
    result = DemoResult(Path(out_dir))
    for definition in documents():
        record = example(definition.id)
        path = result.out_dir / "examples" / f"{definition.id}.json"
        files.write_text(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        result.written.append((path, f"example {definition.id} record"))
    _demo_bulk(result)
    return result


def _demo_bulk(result: DemoResult) -> None:
    """A small bulk SLA run on the built-in placements; one provider is flagged and withheld."""
    from apforms import bulk
    from apforms.config import load_config

    inputs = bulk.example_inputs()
    run = bulk.bulk_sla(
        inputs["placements"], inputs["providers"], inputs["schools"],
        result.out_dir / "bulk", load_config().registration, jobs=1,
    )  # fmt: skip
    for r in run.results:
        for name, _ in r.files.values():
            result.written.append((run.out_dir / name, f"bulk SLA, {r.pair.names[0]} – {r.pair.names[1]}"))
        if r.error:
            result.notes.append(f"bulk: {r.status} {r.pair.names[0]} – {r.pair.names[1]}: {r.error}")
    result.written.append((run.manifest[0], "bulk SLA manifest"))

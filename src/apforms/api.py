"""One function per user verb. Returns results; never prints, never exits."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apforms import files, records
from apforms.definitions import Definition, data_dir, document_ids, load_definition
from apforms.errors import IngestError, RecordError, RenderError
from apforms.jsonschema import json_schema as _json_schema
from apforms.records import Record, ValidationResult

if TYPE_CHECKING:
    from apforms.ingest import IngestResult
    from apforms.rules import Finding, Rule


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
    """Write every example record and every output (Word, PDF, bulk, checks, archive) under ``out_dir``."""
    result = DemoResult(Path(out_dir))
    for definition in documents():
        record = example(definition.id)
        path = result.out_dir / "examples" / f"{definition.id}.json"
        files.write_text(path, json.dumps(record, indent=2, ensure_ascii=False) + "\n")
        result.written.append((path, f"example {definition.id} record"))
    _demo_docx(result)
    _demo_pdf(result)
    _demo_bulk(result)
    _demo_checks(result)
    _demo_archive(result)
    return result


def _demo_archive(result: DemoResult) -> None:
    """The example SLA signed (provider: throwaway demo key) and kept in a demo archive."""
    from apforms.archive.demo import demo_archive

    signed, entries = demo_archive(result.out_dir)
    result.written.append((signed, "example SLA, provider signed digitally with a demo key"))
    for e in entries:
        result.notes.append(
            f"archive {result.out_dir / 'archive'}: {e.short_id} {e.document} {e.version}, "
            f"{e.signature_status.replace('_', ' ')}, {e.parties.get('provider', '')}"
        )


def _demo_docx(result: DemoResult) -> None:
    """The Word document of every example record and every blank form, in ``docx/``."""
    for definition in documents():
        data = records.validate(definition, example(definition.id)["data"], partial=True).data
        out = result.out_dir / "docx" / f"{definition.id}.docx"
        path = files.write_bytes(out, render_bytes(definition, data, "docx"))
        result.written.append((path, f"{definition.id} example, Word"))
        path = blank(definition.id, "docx", result.out_dir / "docx" / f"{definition.id}-blank.docx")
        result.written.append((path, f"blank {definition.id} form, Word"))


def _demo_pdf(result: DemoResult) -> None:
    """Fillable PDFs of every example (filled, blank, flattened) in ``pdf/``, and one read back."""
    folder = result.out_dir / "pdf"
    for definition in documents():
        data = records.validate(definition, example(definition.id)["data"], partial=True).data
        path = files.write_bytes(folder / f"{definition.id}.pdf", render_bytes(definition, data, "pdf"))
        result.written.append((path, f"{definition.id} example, fillable PDF"))
        flat = render_bytes(definition, data, "pdf", flatten=True)
        path = files.write_bytes(folder / f"{definition.id}-flat.pdf", flat)
        result.written.append((path, f"{definition.id}, flattened PDF"))
        path = blank(definition.id, "pdf", folder / f"{definition.id}-blank.pdf")
        result.written.append((path, f"blank {definition.id} form, fillable PDF"))
    read = ingest(folder / "referral-flat.pdf", folder / "referral-flat.json")
    result.written.append((read.path, f"referral read back from its flattened PDF ({read.result.method})"))


@dataclass
class IngestFileResult:
    """A returned PDF read back, and the record file written beside it."""

    path: Path
    result: IngestResult


def ingest(source: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> IngestFileResult:
    """Read a returned PDF form into a record file (written even when its values are invalid).

    ``out`` defaults to the PDF's name with ``.json``. A refused file raises IngestError and
    nothing is written.
    """
    from apforms.ingest import ingest_pdf

    src = Path(source)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {src}: {exc.strerror or exc}") from None
    target = Path(out) if out is not None else src.with_suffix(".json")
    if target.resolve() == src.resolve():
        raise IngestError(f"the record would overwrite the PDF it is read from ({src}); give -o")
    result = ingest_pdf(data, src.name)
    files.write_text(target, json.dumps(result.record, indent=2, ensure_ascii=False) + "\n")
    return IngestFileResult(target, result)


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


# --------------------------------------------------------------------------- checks and QA


@dataclass
class CheckResult:
    """Every finding of ``apforms check``, grouped by file in the order the files were given."""

    files: list[tuple[str, str]]  # (file, document id)
    findings: list[Finding]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def ok(self) -> bool:
        """No errors (warnings and information do not fail a check)."""
        return self.count("error") == 0

    def by_file(self) -> list[tuple[str, str, list[Finding]]]:
        return [(name, doc, [f for f in self.findings if f.file == name]) for name, doc in self.files]


def check(
    given: Sequence[tuple[str, Record]], today: date, config: str | os.PathLike[str] | None = None
) -> CheckResult:
    """Run every applicable rule over ``(file name, record)`` pairs; ``today`` for dated rules."""
    from apforms.config import load_config
    from apforms.rules import run_checks

    findings = run_checks(given, load_config(config), today)
    return CheckResult([(name, rec.definition.id) for name, rec in given], findings)


def rules() -> list[Rule]:
    """Every check apforms runs: id, severity, title, source."""
    from apforms.rules import all_rules

    return all_rules()


@dataclass
class QaOutcome:
    """The outcome a QA record's ratings support, why, and the outcome it records."""

    supported: str
    supported_label: str
    reasons: list[str]
    recorded: str | None

    @property
    def agrees(self) -> bool:
        from apforms.rules.qa import NOT_MET

        return self.recorded == self.supported or (self.recorded in NOT_MET and self.supported in NOT_MET)


def qa_outcome(record: Record) -> QaOutcome:
    """The outcome the ratings of a QA record support (``apforms qa outcome``)."""
    from apforms.rules.qa import outcome_label
    from apforms.rules.qa import qa_outcome as _qa_outcome

    _require(record, "qa")
    data = records.validate(record.definition, record.data, partial=True).data
    supported, reasons = _qa_outcome(data)
    recorded = data.get("outcome", {}).get("outcome")
    return QaOutcome(supported, outcome_label(supported), reasons, recorded)


def improvement_plan_from_qa(
    record: Record, out: str | os.PathLike[str]
) -> tuple[Path, dict[str, Any], list[records.Problem]]:
    """Write an improvement-plan record drafted from a QA record's ratings; its problems too
    (more rows than the printed plan holds), which do not stop it being written."""
    from apforms.rules.qa import improvement_plan_from_qa as _from_qa

    _require(record, "qa")
    plan = _from_qa(record)
    result = records.validate(load_definition(plan["document"]), plan["data"], partial=True)
    path = files.write_text(out, json.dumps(plan, indent=2, ensure_ascii=False) + "\n")
    return path, plan, result.problems


def _require(record: Record, doc_id: str) -> None:
    if record.definition.id != doc_id:
        raise RecordError(f"a {doc_id} record is needed, not {record.definition.id}")


def _demo_checks(result: DemoResult) -> None:
    """``check`` over the example records (findings in checks.txt and the notes) and an
    improvement plan drafted from the example QA record."""
    paths = [p for p, what in result.written if what.startswith("example ")]
    given = [(str(p), read_record(p)) for p in paths]
    checked = check(given, date.today())
    lines = [f"{f.file}: {f.line()}" for f in checked.findings]
    summary = (
        f"check: {checked.count('error')} error(s), {checked.count('warning')} warning(s), "
        f"{checked.count('info')} info over {len(given)} example records"
    )
    text = "\n".join([*lines, summary]) + "\n"
    result.written.append((files.write_text(result.out_dir / "checks.txt", text), "check findings"))
    result.notes += [*lines, summary]
    qa = next(rec for _, rec in given if rec.definition.id == "qa")
    path, _, _ = improvement_plan_from_qa(qa, result.out_dir / "examples" / "improvement-plan-from-qa.json")
    result.written.append((path, "improvement plan drafted from the example QA record"))

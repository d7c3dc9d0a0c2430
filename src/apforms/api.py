"""One function per user verb. Returns results; never prints, never exits.

The CLI calls this module, never the packages below it. Bulk runs, the archive and signing
(openpyxl, SQLite, pyHanko) are imported inside their verbs, and their types and constants on
first use (``__getattr__`` below), so that ``import apforms.cli`` stays light.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from apforms import files
from apforms import formats as _formats
from apforms.errors import (
    ApformsError,
    ArchiveError,
    ConfigError,
    DefinitionError,
    IngestError,
    RecordError,
    RenderError,
)
from apforms.formats.result import IngestResult
from apforms.inputs import MAX_INPUT_BYTES, MAX_RECORD_BYTES, read_input, read_stream, too_large
from apforms.model import records
from apforms.model.definitions import Definition, Field, data_dir, load_definition
from apforms.model.definitions import document_ids as _document_ids
from apforms.model.json_schema import json_schema as _json_schema
from apforms.model.records import Record, ValidationResult
from apforms.model.types import MAX_ROWS, Shape
from apforms.resources import schemas_dir
from apforms.safe import json_text

if TYPE_CHECKING:
    # What __getattr__ serves at run time, for the type checker (exported by __all__): types
    # for callers' annotations (so the CLI need not import bulk or the archive) and constants.
    from apforms.archive import AddResult, Archive, Filters
    from apforms.archive.examine import DEFAULT_MAX_SIZE as ARCHIVE_MAX_SIZE
    from apforms.archive.signatures import STATUSES as SIGNATURE_STATUSES
    from apforms.archive.store import Entry
    from apforms.bulk import BulkResult
    from apforms.bulk.headers import Column as BulkColumn
    from apforms.bulk.headers import Suggestion as BulkSuggestion
    from apforms.bulk.run import FAILED as BULK_FAILED
    from apforms.bulk.run import UNCHANGED as BULK_UNCHANGED
    from apforms.bulk.run import WITHHELD as BULK_WITHHELD
    from apforms.bulk.run import WRITTEN as BULK_WRITTEN
    from apforms.formats.html import Page as FormPage
    from apforms.rules import Finding, Rule
    from apforms.rules.sources import Source


#: Types and constants of the rules, bulk runs and the archive, re-exported here but imported
#: from their modules only when first used (PEP 562), so that importing the API does not
#: import them. Keep in step with the TYPE_CHECKING imports above.
_LAZY = {
    "AddResult": ("apforms.archive", "AddResult"),
    "Archive": ("apforms.archive", "Archive"),
    "Filters": ("apforms.archive", "Filters"),
    "Entry": ("apforms.archive.store", "Entry"),
    "BulkResult": ("apforms.bulk", "BulkResult"),
    "BulkColumn": ("apforms.bulk.headers", "Column"),
    "BulkSuggestion": ("apforms.bulk.headers", "Suggestion"),
    "Finding": ("apforms.rules", "Finding"),
    "Rule": ("apforms.rules", "Rule"),
    "Source": ("apforms.rules.sources", "Source"),
    "ARCHIVE_MAX_SIZE": ("apforms.archive.examine", "DEFAULT_MAX_SIZE"),
    "SIGNATURE_STATUSES": ("apforms.archive.signatures", "STATUSES"),
    "BULK_FAILED": ("apforms.bulk.run", "FAILED"),
    "BULK_UNCHANGED": ("apforms.bulk.run", "UNCHANGED"),
    "BULK_WITHHELD": ("apforms.bulk.run", "WITHHELD"),
    "BULK_WRITTEN": ("apforms.bulk.run", "WRITTEN"),
}

if not TYPE_CHECKING:  # mypy sees the imports above instead, and still reports unknown names

    def __getattr__(name: str) -> Any:
        try:
            module, attr = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = globals()[name] = getattr(importlib.import_module(module), attr)
        return value


# --------------------------------------------------------------------------- definitions and records


def document_ids() -> list[str]:
    """The id of every document apforms knows, sorted."""
    return _document_ids()


def documents() -> list[Definition]:
    """Every document apforms knows, in id order."""
    return [load_definition(i) for i in document_ids()]


def definition_text(doc_id: str) -> str:
    """A document's definition as written: its YAML file in ``schemas/``."""
    if doc_id not in document_ids():
        load_definition(doc_id)  # raises the usual DefinitionError for an unknown document
    path = schemas_dir() / f"{doc_id}.yaml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {exc.strerror or exc}") from None


def example(doc_id: str) -> dict[str, Any]:
    """The complete fictional example record of a document, as a record file."""
    definition = load_definition(doc_id)
    path = data_dir("schemas") / "examples" / f"{definition.id}.json"
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def json_schema(doc_id: str) -> dict[str, Any]:
    return _json_schema(load_definition(doc_id))


def read_record(
    source: str | os.PathLike[str], text: str | bytes | BinaryIO | None = None, password: str | None = None
) -> Record:
    """Read a record file (or ``text`` already read from ``source``, or a stream to read it
    from, e.g. standard input), at most ``MAX_INPUT_BYTES``.

    A returned PDF or Word form, or a scan of one, is read too, as ``ingest`` reads it: the
    record then carries the ingest's ``provenance`` (how it was read, its warnings) in
    ``extra``, so that a caller can say it was read from a return. A record file (JSON) is at
    most ``MAX_RECORD_BYTES``.
    """
    if text is None:
        text = read_input(source, MAX_INPUT_BYTES, RecordError)
    elif not isinstance(text, str | bytes):
        text = read_stream(text, MAX_INPUT_BYTES, RecordError)
    if isinstance(text, bytes) and (PDF_MAGIC in text[:1024] or text.startswith(ZIP_MAGIC) or _image(text)):
        read = ingest_bytes(text, Path(source).name, password)
        return records.record_from_obj(read.record, str(source))
    if len(text) > MAX_RECORD_BYTES:
        raise RecordError(f"{source}: record {too_large(len(text), MAX_RECORD_BYTES)}")
    return records.parse_record(text, str(source))


def _image(data: bytes) -> bool:
    """Whether the bytes are an image file (a scanned return: PNG, JPEG, TIFF)."""
    from apforms.pictures import sniff_image  # not the PDF reader: a record file is read without it

    return sniff_image(data) is not None


#: How a PDF file starts (within its first kilobyte).
PDF_MAGIC = b"%PDF-"


def read_from_return(record: Record) -> dict[str, Any] | None:
    """The provenance of a record read from a returned PDF (``None`` for a record file)."""
    provenance = record.extra.get("provenance")
    return dict(provenance) if isinstance(provenance, dict) and "read_from" in provenance else None


def validate(record: Record, partial: bool = False) -> ValidationResult:
    """Every problem of a record at once, and its canonical data."""
    return records.validate(record.definition, record.data, partial=partial)


# --------------------------------------------------------------------------- records in the browser


def new_record(doc_id: str, data: Mapping[str, Any] | None = None) -> Record:
    """A record of ``doc_id`` holding ``data`` (raw, possibly partial or invalid: a draft)."""
    return Record(load_definition(doc_id), dict(data or {}))


def form_page(
    record: Record,
    index: int,
    errors: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, int] | None = None,
) -> FormPage:
    """Section ``index`` of a record as a browser form page (questions filled from the draft)."""
    from apforms.formats.html import page

    return page(record.definition, index, record.data, errors, extra_rows)


def with_form_page(record: Record, index: int, posted: Any, remove: str | None = None) -> Record:
    """The record with section ``index`` replaced by what a submitted form page holds
    (``remove``: the HTML name of a table row to leave out, ``reviews.2``)."""
    from apforms.formats.html import page_data, sections

    section = sections(record.definition)[index]
    data = dict(record.data)
    value = page_data(record.definition, index, posted, remove)
    if value:
        data[section.key] = value
    else:
        data.pop(section.key, None)
    return Record(record.definition, data, record.extra)


def form_errors(problems: Sequence[records.Problem]) -> dict[str, str]:
    """Validation problems by the HTML name of the question each belongs to."""
    from apforms.formats.html import problem_name

    out: dict[str, str] = {}
    for p in problems:
        out.setdefault(problem_name(p.path), p.message)
    return out


def form_name(path: str) -> str:
    """A problem's key path as the HTML name of its question (``reviews[0].date`` → ``reviews.0.date``)."""
    from apforms.formats.html import problem_name

    return problem_name(path)


def form_id(name: str) -> str:
    """The HTML id of the question with HTML name ``name``."""
    from apforms.formats.html import html_id

    return html_id(name)


def form_sections(doc_id: str) -> list[tuple[str, str]]:
    """A document's form pages: each section's key and printed label."""
    return [(s.key, s.label) for s in load_definition(doc_id).sections]


def record_title(record: Record) -> str:
    """A record's name in lists: its first one-line text answer (the pupil, the agreement,
    the provider), and the provider's name when the record names one elsewhere."""
    found: list[str] = []
    for f in record.definition.walk():
        if f.type != "text" or "[]" in f.path:
            continue
        if found and not (f.key == "provider" or f.path.startswith("provider.name")):
            continue
        value: Any = record.data
        for key in f.path.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if text and text not in found:
            found.append(text)
        if len(found) == 2:
            break
    return " · ".join(found)


def one_line(message: str, limit: int = 300) -> str:
    """A message as one line for a page or a terminal: controls shown, at most ``limit`` characters."""
    from apforms.safe import visible

    text = " ".join(visible(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def starts_from(doc_id: str, source: Record) -> bool:
    """Whether a ``doc_id`` record can be started from ``source`` (a commissioning agreement
    or an SLA from a referral)."""
    from apforms.model.carry import starts_from as _starts

    return _starts(load_definition(doc_id), source.definition)


def start_from(doc_id: str, source: Record) -> Record:
    """A new ``doc_id`` record carrying over what it shares with ``source``."""
    from apforms.model.carry import carry_over

    if not starts_from(doc_id, source):
        raise RecordError(f"a {doc_id} record cannot be started from a {source.definition.id} record")
    data = records.canonical(source.definition, source.data)
    return Record(load_definition(doc_id), carry_over(source.definition, data, load_definition(doc_id)))


FORMATS = tuple(_formats.FORMATS)


@dataclass
class RenderResult:
    """A rendered document, or the problems that stopped it (then nothing was written)."""

    path: Path | None
    problems: list[records.Problem] = field(default_factory=list)
    #: Required fields left empty: rendered blank for completion by hand.
    missing: list[records.Problem] = field(default_factory=list)
    content: bytes | None = None


def output_format(fmt: str | None, out: str | os.PathLike[str] | None) -> str:
    """The format to write: ``fmt`` if given, else the one the output file's extension names
    (Word when the name has no extension); a contradiction between the two, or an extension
    that names neither format, is refused."""
    if out is not None and str(out) == "-":
        raise RenderError("documents are written to a file: give -o with a file name, not -")
    named = _formats.format_for_path(out) if out is not None else None
    suffix = Path(str(out)).suffix if out is not None else ""
    if fmt is None:
        if named is None and suffix:
            known = " or ".join(f.extension for f in _formats.FORMATS.values())
            raise RenderError(f"{Path(str(out)).name}: the file name should end {known} (or give -f)")
        return named.name if named is not None else "docx"
    _formats.get_format(fmt)
    if named is not None and named.name != fmt:
        raise RenderError(f"-f {fmt} contradicts the output file's extension ({Path(str(out)).name})")
    return fmt


def render_bytes(
    definition: Definition,
    data: dict[str, Any],
    fmt: str,
    flatten: bool = False,
    template: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> bytes:
    """The document in ``fmt`` for canonical ``data`` (already validated); ``template``: a
    restyled copy of the Word template (checked against the definition first); ``config``:
    the configuration whose council name, logo and LA contact the form prints (default:
    ``$APFORMS_CONFIG``, else Derby's)."""
    from apforms.model.config import load_config

    brand = load_config(config).brand
    return _formats.render_bytes(definition, data, fmt, flatten=flatten, template=template, brand=brand)


def render_record(
    record: Record,
    fmt: str,
    flatten: bool = False,
    template: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> RenderResult:
    """Render a (possibly partial) record to bytes (``content``). Invalid values stop it
    (``content`` is then ``None``); empty fields stay blank and are listed in ``missing``."""
    result = records.validate(record.definition, record.data, partial=True)
    if not result.ok:
        return RenderResult(None, result.problems, result.missing)
    content = render_bytes(record.definition, result.data, fmt, flatten, template, config)
    return RenderResult(None, [], result.missing, content)


def render(
    record: Record,
    fmt: str,
    out: str | os.PathLike[str],
    flatten: bool = False,
    template: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    mode: str | int | None = None,
) -> RenderResult:
    """Render a (possibly partial) record into the file ``out``; nothing is written if a value
    is invalid, or if ``out`` holds anything but a regular file. The file is private (0600)
    unless ``mode`` or the configuration's ``files.mode`` says otherwise."""
    file_mode = output_mode(mode, config)
    files.check_target(out)
    result = render_record(record, fmt, flatten, template, config)
    if result.content is None:
        return result
    result.path = files.write_bytes(out, result.content, file_mode)
    return result


def output_mode(mode: str | int | None = None, config: str | os.PathLike[str] | None = None) -> int:
    """The mode of a file written with record content: ``mode`` (a number, or octal text such
    as ``"0640"``) if given, else the configuration's ``files.mode``, else 0600 (private)."""
    if mode is None:
        from apforms.model.config import load_config

        return load_config(config).file_mode
    try:
        return files.parse_mode(mode)
    except ValueError as exc:
        raise RenderError(f"file mode {exc}") from None


def blank_bytes(
    doc_id: str,
    fmt: str,
    template: str | os.PathLike[str] | None = None,
    rows: Mapping[str, int] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> bytes:
    """The empty form: every label, empty tick boxes, blank rows in each table (``rows``:
    how many for some tables or lists, by key path, e.g. ``{"provision.costings": 12}``)."""
    definition = load_definition(doc_id)
    data = records.canonical(definition, {})
    for path, n in (rows or {}).items():
        f = _repeating(definition, path)
        if not 1 <= n <= MAX_ROWS:
            raise RecordError(f"{f.label} ({path}): give between 1 and {MAX_ROWS} rows, not {n}")
        node = data
        for key in path.split(".")[:-1]:
            node = node.setdefault(key, {})
        node[f.key] = [{} if f.shape == Shape.ROWS else "" for _ in range(n)]
    return render_bytes(definition, data, fmt, template=template, config=config)


def _repeating(definition: Definition, path: str) -> Field:
    """The table or list at ``path`` (not inside another table), or a RecordError naming them all."""
    found = next((f for f in definition.walk() if f.path == path and "[]" not in f.path), None)
    if found is not None and found.shape in (Shape.ROWS, Shape.ITEMS):
        return found
    tables = ", ".join(
        f.path for f in definition.walk() if f.shape in (Shape.ROWS, Shape.ITEMS) and "[]" not in f.path
    )
    raise RecordError(f"{definition.id} has no table or list {path!r}; its tables and lists: {tables}")


def word_template(doc_id: str, out: str | os.PathLike[str]) -> Path:
    """A copy of the Word template of a document (``templates/<id>.docx``), to restyle."""
    from apforms.formats.docx.compile import template_path

    definition = load_definition(doc_id)
    try:
        content = template_path(definition.id).read_bytes()
    except OSError as exc:
        raise RenderError(f"no Word template for {definition.id}: {exc.strerror or exc}") from None
    return files.write_bytes(out, content, mode=None)  # no record in it: the umask's mode


def blank(
    doc_id: str,
    fmt: str,
    out: str | os.PathLike[str],
    template: str | os.PathLike[str] | None = None,
    rows: Mapping[str, int] | None = None,
    config: str | os.PathLike[str] | None = None,
) -> Path:
    """The empty form written to ``out`` (see :func:`blank_bytes`); no record is in it, so its
    mode is the umask's."""
    files.check_target(out)
    return files.write_bytes(out, blank_bytes(doc_id, fmt, template, rows, config), mode=None)


@dataclass
class IngestFileResult:
    """A returned PDF read back, and the record file written beside it."""

    path: Path
    result: IngestResult


def ingest_bytes(data: bytes, source: str, password: str | None = None) -> IngestResult:
    """Read the bytes of a returned PDF or Word form, or of a scan of a form (a PDF of page
    images, PNG, JPEG or TIFF), into a record (``result.record``); a refused file raises
    IngestError (PasswordRequired: protected, and no or a wrong ``password``)."""
    if len(data) > MAX_RETURN_BYTES:
        raise IngestError(too_large(len(data), MAX_RETURN_BYTES))
    if data.startswith(ZIP_MAGIC):
        from apforms.formats.docx.read import ingest_docx

        return ingest_docx(data, source)
    from apforms.formats.pdf.read import ingest_image, ingest_pdf

    if _image(data):
        return ingest_image(data, source)
    return ingest_pdf(data, source, password)


#: How a .docx (a ZIP package) starts.
ZIP_MAGIC = b"PK\x03\x04"
#: The largest returned file read.
MAX_RETURN_BYTES = MAX_INPUT_BYTES


def ingest(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    password: str | None = None,
    mode: str | int | None = None,
) -> IngestFileResult:
    """Read a returned PDF form into a record file (written even when its values are invalid).

    ``out`` defaults to the PDF's name with ``.json``. A refused file raises IngestError and
    nothing is written. The record file is private (0600) unless ``mode`` or the
    configuration's ``files.mode`` says otherwise.
    """
    file_mode = output_mode(mode)
    src = Path(source)
    data = read_input(src, MAX_RETURN_BYTES, IngestError)  # size known first; pipes and devices refused
    if not data.startswith(ZIP_MAGIC) and not _image(data):
        from apforms.formats.pdf.open import check_bytes  # not imported for a Word return

        check_bytes(data)  # not a PDF, a Word document or a scan's image: say so before anything else
    target = Path(out) if out is not None else src.with_suffix(".json")
    if target.resolve() == src.resolve():
        hint = "give a different -o" if out is not None else "give -o"
        raise IngestError(f"the record would overwrite the PDF it is read from ({src}); {hint}")
    files.check_target(target)
    result = ingest_bytes(data, src.name, password)
    files.write_text(target, json_text(result.record) + "\n", file_mode)
    return IngestFileResult(target, result)


#: The files of a folder that ``ingest`` reads: what a return may be (PDF, Word, a scan).
RETURN_SUFFIXES = frozenset({".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff"})


@dataclass(frozen=True)
class IngestOutcome:
    """One file of :func:`ingest_each`: read (``read``), or refused with a one-line ``reason``."""

    source: Path
    read: IngestFileResult | None = None
    reason: str = ""


def ingest_each(
    sources: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str] | None = None,
    password: str | None = None,
    mode: str | int | None = None,
) -> Iterator[IngestOutcome]:
    """:func:`ingest` for each of several returns, one at a time (an outcome as soon as each
    is read): the files named, and the returns in each folder named (:data:`RETURN_SUFFIXES`,
    in name order; not its subfolders or hidden files). Each record is written beside its
    file, or into ``out_dir`` (made, private, if absent) under the file's name with ``.json``.
    A file that is refused, or that cannot be read, is an outcome with its reason, and the
    others are still read; a file named twice is read once, and one whose record would
    replace another written in the same run is refused."""
    file_mode = output_mode(mode)  # a bad mode stops the run before anything is read
    folder = Path(out_dir) if out_dir is not None else None
    if folder is not None:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise IngestError(f"{folder}: cannot make the folder: {exc.strerror or exc}") from None
    seen: set[Path] = set()
    written: dict[Path, Path] = {}
    for src in _return_files(sources):
        if isinstance(src, IngestOutcome):
            yield src
            continue
        key = src.resolve()
        if key in seen:
            continue
        seen.add(key)
        target = (folder / src.name).with_suffix(".json") if folder is not None else src.with_suffix(".json")
        first = written.get(target.resolve())
        if first is not None:
            yield IngestOutcome(
                src, reason=f"its record {target} was written from {first} in this run; give -o"
            )
            continue
        try:
            read = ingest(src, target, password, file_mode)
        except ApformsError as exc:
            yield IngestOutcome(src, reason=str(exc))
            continue
        except OSError as exc:
            yield IngestOutcome(src, reason=str(exc.strerror or exc))
            continue
        written[target.resolve()] = src
        yield IngestOutcome(src, read)


def _return_files(sources: Sequence[str | os.PathLike[str]]) -> Iterator[Path | IngestOutcome]:
    """Each source, a folder as the returns in it; a folder that cannot be listed as its outcome."""
    for source in sources:
        path = Path(source)
        if not path.is_dir():
            yield path
            continue
        try:
            found = sorted(p for p in path.iterdir() if not p.name.startswith("."))
        except OSError as exc:
            yield IngestOutcome(path, reason=f"cannot list the folder: {exc.strerror or exc}")
            continue
        yield from (p for p in found if p.suffix.casefold() in RETURN_SUFFIXES and p.is_file())


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


def config_init(out: str | os.PathLike[str], council: str) -> Path:
    """Write a council's starting configuration file to ``out`` (never over an existing
    file): Derby's settings with their sources, for ``council``, the LA contact and the logo
    left to fill in. The file written loads (it is checked before the command returns)."""
    from apforms.model.config import read_config, starting_config

    target = Path(out)
    name = " ".join(council.split())
    if not name:
        raise ConfigError("give the council's name (--council)")
    if target.exists() or target.is_symlink():
        raise ConfigError(f"{target} exists; give another file name, or delete it first")
    path = files.write_text(target, starting_config(name), mode=None)  # no record in it
    read_config(path)
    return path


def check(
    given: Sequence[tuple[str, Record]], today: date, config: str | os.PathLike[str] | None = None
) -> CheckResult:
    """Run every applicable rule over ``(file name, record)`` pairs; ``today`` for dated rules."""
    from apforms.model.config import load_config
    from apforms.rules import run_checks

    findings = run_checks(given, load_config(config), today)
    return CheckResult([(name, rec.definition.id) for name, rec in given], findings)


def rules() -> list[Rule]:
    """Every check apforms runs: id, severity, title, source."""
    from apforms.rules import all_rules

    return all_rules()


def sources() -> list[Source]:
    """Every public document the checks cite, as ``docs/sources.md`` lists it (short name,
    title, publisher, date, URL where one was confirmed, and the checks that cite it)."""
    from apforms.rules.sources import all_sources

    return list(all_sources())


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


def qa_outcome(record: Record, config: str | os.PathLike[str] | None = None) -> QaOutcome:
    """The outcome the ratings of a QA record suggest, with the council's safeguarding gate
    (``apforms qa outcome``; advice: the officer's recorded outcome stands)."""
    from apforms.model.config import load_config
    from apforms.rules.qa import configured_gate, outcome_label
    from apforms.rules.qa import qa_outcome as _qa_outcome

    _require(record, "qa")
    data = records.canonical(record.definition, record.data)
    supported, reasons = _qa_outcome(data, configured_gate(load_config(config)))
    recorded = data.get("outcome", {}).get("outcome")
    return QaOutcome(supported, outcome_label(supported), reasons, recorded)


def improvement_plan_from_qa(
    record: Record, out: str | os.PathLike[str], mode: str | int | None = None
) -> tuple[Path, dict[str, Any], list[records.Problem]]:
    """Write an improvement-plan record drafted from a QA record's ratings; its problems too
    (more rows than the printed plan holds), which do not stop it being written. Private
    (0600) unless ``mode`` or the configuration's ``files.mode`` says otherwise."""
    from apforms.rules.qa import improvement_plan_from_qa as _from_qa

    _require(record, "qa")
    plan = _from_qa(record)
    result = records.validate(load_definition(plan["document"]), plan["data"], partial=True)
    path = files.write_text(out, json_text(plan) + "\n", output_mode(mode))
    return path, plan, result.problems


def _require(record: Record, doc_id: str) -> None:
    if record.definition.id != doc_id:
        raise RecordError(f"a {doc_id} record is needed, not {record.definition.id}")


# --------------------------------------------------------------------------- bulk


def bulk_sla(
    placements: str | os.PathLike[str],
    providers: str | os.PathLike[str],
    schools: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    formats: Sequence[str] = ("docx", "pdf"),
    jobs: int | None = None,
    allow_unregistered: bool = False,
    config: str | os.PathLike[str] | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    mode: str | int | None = None,
) -> BulkResult:
    """A ready-to-sign SLA for every school–provider pair in the inputs (CSV or XLSX), and a
    manifest. The registration thresholds come from ``config`` (as for :func:`check`);
    ``on_total`` hears how many pairs there are before the first is written, ``progress`` how
    many more are done. The files are private (0600) unless ``mode`` or the configuration's
    ``files.mode`` says otherwise."""
    from apforms import bulk
    from apforms.model.config import load_config

    thresholds = load_config(config).registration
    file_mode = output_mode(mode, config)

    def on_plan(plan: bulk.Plan) -> None:
        if on_total is not None:
            on_total(len(plan.pairs))

    return bulk.bulk_sla(
        placements, providers, schools, out_dir, thresholds, tuple(formats), jobs,
        allow_unregistered, progress=progress, on_plan=on_plan, brand=load_config(config).brand,
        mode=file_mode,
    )  # fmt: skip


def bulk_template(kind: str, out: str | os.PathLike[str], fmt: str = "csv") -> Path:
    """An empty bulk input file of ``kind`` (placements, providers, schools) in ``fmt`` (csv or
    xlsx): the expected headers and one example row."""
    from apforms import bulk

    return bulk.write_template(kind, out, fmt)  # headers and a fictional row: the umask's mode


def bulk_columns(kind: str) -> list[BulkColumn]:
    """The columns a bulk input of ``kind`` (placements, providers, schools) is read by."""
    from apforms.bulk import headers

    return headers.columns(kind)


def bulk_headers(path: str | os.PathLike[str]) -> list[str]:
    """The header row of a bulk input (CSV or XLSX), read as ``bulk_sla`` reads the file."""
    from apforms.bulk import headers

    return headers.header_row(path)


def bulk_needs_mapping(kind: str, headers: list[str]) -> bool:
    """Whether these headers need mapping to the expected columns by a person (a required
    column is not found, or an expected one is not while some header is unknown)."""
    from apforms.bulk import headers as _headers

    return _headers.needs_mapping(kind, headers)


def bulk_suggest(kind: str, headers: list[str]) -> dict[str, BulkSuggestion]:
    """For every expected column, the header suggested for it: the one ``bulk_sla`` itself
    would take, else the closest (difflib), else none."""
    from apforms.bulk import headers as _headers

    return _headers.suggest(kind, headers)


def bulk_remap(
    kind: str,
    source: str | os.PathLike[str],
    mapping: Mapping[str, int],
    out: str | os.PathLike[str],
) -> Path:
    """``source`` rewritten as a CSV with the expected headers: column ``key`` is column
    ``mapping[key]`` (0-based) of ``source``; rows keep their numbers, values as read."""
    from apforms.bulk import headers

    return headers.remap(kind, source, mapping, out)


# --------------------------------------------------------------------------- archive and signing


def load_trust_roots(paths: Sequence[str | os.PathLike[str]]) -> list[bytes]:
    """The certificates (PEM or DER files) whose signers are trusted; ArchiveError if unreadable."""
    from apforms.archive.signatures import load_trust_roots as _load

    return _load([Path(p) for p in paths])


def open_archive(
    location: str | os.PathLike[str] | None = None,
    *,
    max_size: int | None = None,
    trust_roots: Sequence[bytes] = (),
    user: str | None = None,
    database_url: str | None = None,
) -> Archive:
    """The archive of signed copies at ``location`` (default: ``$APFORMS_ARCHIVE``, else the
    user's data folder); files over ``max_size`` bytes (default ``ARCHIVE_MAX_SIZE``) are
    refused; ``user`` is who its audit log names (default: the login name). Its catalogue is
    in the PostgreSQL database of ``database_url`` (default: ``$APFORMS_DATABASE_URL``), else
    SQLite in the folder. Close it when done."""
    from apforms.archive import open_archive as _open
    from apforms.archive.examine import DEFAULT_MAX_SIZE

    return _open(
        location,
        max_size=max_size or DEFAULT_MAX_SIZE,
        trust_roots=trust_roots,
        user=user,
        database_url=database_url,
    )


def backup(data: str | os.PathLike[str], to: str | os.PathLike[str]) -> Any:
    """A consistent backup of the data folder ``data`` (its database, wherever
    ``APFORMS_DATABASE_URL`` puts it, its archive and its key) in the new folder ``to``."""
    from apforms import backup as _backup

    return _backup.backup(data, to)


def restore(source: str | os.PathLike[str], data: str | os.PathLike[str]) -> Any:
    """The backup ``source``, checked against its manifest, brought back into the new data
    folder ``data`` (and the empty database ``APFORMS_DATABASE_URL`` names, if set)."""
    from apforms import backup as _backup

    return _backup.restore(source, data)


def archive_filters(
    document: str | None = None,
    provider: str | None = None,
    school: str | None = None,
    upn: str | None = None,
    since: str | None = None,
    until: str | None = None,
    signature_status: str | None = None,
    include_disposed: bool = False,
) -> Filters:
    """What ``Archive.entries`` and ``Archive.export`` select; every criterion given must hold
    (names contain the text in any case; dates YYYY-MM-DD, on or after ``since``, on or before
    ``until``)."""
    from apforms.archive import Filters

    return Filters(document, provider, school, upn, since, until, signature_status, include_disposed)


def sign_pdf_bytes(
    data: bytes,
    key: str | os.PathLike[str],
    cert: str | os.PathLike[str],
    field_name: str,
    passphrase: str | None = None,
) -> bytes:
    """The PDF ``data`` signed digitally (PAdES) in the signature field ``field_name``."""
    from apforms.archive.signatures import sign_pdf as _sign

    return _sign(data, Path(key), Path(cert), field_name, passphrase)


def sign_pdf(
    source: str | os.PathLike[str],
    key: str | os.PathLike[str],
    cert: str | os.PathLike[str],
    field_name: str,
    passphrase: str | None = None,
    out: str | os.PathLike[str] | None = None,
) -> Path:
    """Sign the PDF file ``source`` in ``field_name``; written to ``out``, by default
    ``<name>-signed.pdf`` beside it. ArchiveError if it cannot be read or signed."""
    data = read_input(source, MAX_INPUT_BYTES, ArchiveError)
    signed = sign_pdf_bytes(data, key, cert, field_name, passphrase)
    src = Path(source)
    target = out if out is not None else src.with_name(f"{src.stem}-signed.pdf")
    return files.write_bytes(target, signed)


__all__ = [
    # constants
    "ARCHIVE_MAX_SIZE",
    "BULK_FAILED",
    "BULK_UNCHANGED",
    "BULK_WITHHELD",
    "BULK_WRITTEN",
    "FORMATS",
    "RETURN_SUFFIXES",
    "SIGNATURE_STATUSES",
    # types the verbs take and return
    "AddResult",
    "Archive",
    "BulkColumn",
    "BulkResult",
    "BulkSuggestion",
    "CheckResult",
    "Definition",
    "Entry",
    "Filters",
    "Finding",
    "IngestFileResult",
    "IngestOutcome",
    "IngestResult",
    "QaOutcome",
    "Record",
    "RenderResult",
    "Rule",
    "Source",
    "ValidationResult",
    # the verbs
    "archive_filters",
    "blank",
    "word_template",
    "blank_bytes",
    "bulk_columns",
    "bulk_headers",
    "bulk_needs_mapping",
    "bulk_remap",
    "bulk_sla",
    "bulk_suggest",
    "bulk_template",
    "check",
    "config_init",
    "definition_text",
    "document_ids",
    "documents",
    "example",
    "improvement_plan_from_qa",
    "ingest",
    "ingest_bytes",
    "ingest_each",
    "json_schema",
    "load_trust_roots",
    "open_archive",
    "backup",
    "restore",
    "output_format",
    "output_mode",
    "qa_outcome",
    "read_from_return",
    "read_record",
    "render",
    "render_bytes",
    "render_record",
    "rules",
    "sign_pdf",
    "sign_pdf_bytes",
    "sources",
    "validate",
]

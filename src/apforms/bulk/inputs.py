"""Reading the bulk inputs: CSV or XLSX tables whose headers name definition fields.

Headers match a field's key or its printed label, ignoring case, spacing and punctuation
("Name of provider", "name_of_provider", "NAME OF PROVIDER:" and "name" all match the
provider's name). Each row is validated through the definition, so a bad postcode in a
providers file is reported exactly as it would be on the form.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from apforms.errors import BulkInputError
from apforms.model import records
from apforms.model.definitions import Definition, Field, data_dir, parse_definition, read_yaml

#: What each input file holds: the definition and the group of fields one row fills.
KINDS = {
    "placements": ("placements", "placement"),
    "providers": ("sla", "provider"),
    "schools": ("sla", "school"),
}


@dataclass(frozen=True)
class RowProblem:
    """One bad row (or a bad file, with row 1 for its header), by file, row and column."""

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class Table:
    """A validated input: good rows (row number, canonical values) and every problem."""

    kind: str
    file: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: Things worth saying that skip nothing (an unknown column, ignored).
    warnings: list[RowProblem] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def input_definition(kind: str) -> tuple[Definition, Field]:
    """The definition and group of fields behind one kind of input file."""
    doc, group = KINDS[kind]
    if doc == "placements":
        path = data_dir("schemas") / "inputs" / "placements.yaml"
        definition = parse_definition(read_yaml(path), "schemas/inputs/placements.yaml")
    else:
        from apforms.model.definitions import load_definition

        definition = load_definition(doc)
    return definition, definition.field_at(group)


def read_rows(path: str | Path) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of a CSV or XLSX file, header included as row 1."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise BulkInputError(f"cannot read {p}: {exc.strerror or exc}") from None
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm") or raw[:4] == b"PK\x03\x04":
            yield from _xlsx_rows(p, raw)
            return
        yield from enumerate(csv.reader(io.StringIO(_decode(raw)), _dialect(_decode(raw))), start=1)
    except (csv.Error, ElementTree.ParseError, KeyError, ValueError, EOFError) as exc:
        raise BulkInputError(f"cannot read {p}: {exc}") from None


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode Text"
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _dialect(text: str) -> Any:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _xlsx_rows(p: Path, raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BulkInputError(f"cannot read {p} as an XLSX workbook: {exc}") from None
    try:
        ws = wb.worksheets[0]
        for i, cells in enumerate(ws.iter_rows(values_only=True), start=1):
            yield i, [_cell(c) for c in cells]
    finally:
        wb.close()


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_table(kind: str, path: str | Path) -> Table:
    """Read and validate one input file; bad rows are reported and left out."""
    definition, group = input_definition(kind)
    name = Path(path).name
    table = Table(kind, name)
    rows = read_rows(path)
    try:
        _, header = next(rows)
    except StopIteration:
        raise BulkInputError(f"{path}: the file is empty (a header row is needed)") from None
    columns, problems, warnings = _match_header(header, group, name)
    table.problems += problems
    table.warnings += warnings
    if problems:  # a required column is missing: no row can be read
        return table
    for row_no, cells in rows:
        if all(c in (None, "") for c in cells):
            continue
        values = {key: cells[i] if i < len(cells) else None for i, key in columns.items()}
        _validate_row(table, definition, group, row_no, values)
    return table


def _match_header(
    header: list[Any], group: Field, file: str
) -> tuple[dict[int, str], list[RowProblem], list[RowProblem]]:
    wanted = {}
    for f in group.fields:
        wanted[_norm(f.key)] = f.key
        wanted[_norm(f.label)] = f.key
    columns: dict[int, str] = {}
    problems, warnings = [], []
    for i, h in enumerate(header):
        key = wanted.get(_norm(str(h or "")))
        if key is None:
            if str(h or "").strip():
                warnings.append(RowProblem(file, 1, str(h), "unknown column, ignored"))
            continue
        if key in columns.values():
            warnings.append(RowProblem(file, 1, str(h), "the same column twice; the first is used"))
            continue
        columns[i] = key
    for f in group.fields:
        if f.required and f.key not in columns.values():
            problems.append(RowProblem(file, 1, f.label, "missing required column; no row can be read"))
    return columns, problems, warnings


def _validate_row(
    table: Table, definition: Definition, group: Field, row_no: int, values: dict[str, Any]
) -> None:
    result = records.validate(definition, {group.key: values}, partial=True)
    missing = [p for p in result.missing if p.path.startswith(group.key + ".")]
    bad = result.problems + missing
    for p in bad:
        key = p.path.split(".", 1)[1].split("[")[0].split(".")[0]
        known = any(f.key == key for f in group.fields)
        column = group.child(key).label if known else key
        # A sensitive value (a UPN) is not repeated in the report, which is kept beside the SLAs.
        message = (
            re.sub(r"'[^']*' ", "the value ", p.message)
            if known and group.child(key).sensitive
            else p.message
        )
        table.problems.append(RowProblem(table.file, row_no, column, message))
    if not bad:
        table.rows.append((row_no, result.data[group.key]))

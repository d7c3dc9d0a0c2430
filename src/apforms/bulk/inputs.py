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
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from apforms.errors import BulkInputError
from apforms.model import records
from apforms.model.definitions import Definition, Field, data_dir, parse_definition, read_yaml
from apforms.safe import QUOTE_LIMIT, clip, redact_upns, without_values

#: What each input file holds: the definition and the group of fields one row fills.
KINDS = {
    "placements": ("placements", "placement"),
    "providers": ("sla", "provider"),
    "schools": ("sla", "school"),
}


@dataclass(frozen=True)
class RowProblem:
    """One bad row (or a bad file, with row 1 for its header), by file, row and column.

    What it says is kept beside the SLAs (the manifest), so a UPN is never in it (wherever it
    is: in quotes, in a column's name) and a long value is cut to a short prefix.
    """

    file: str
    row: int
    column: str
    message: str

    def __post_init__(self) -> None:
        column = self.column if len(self.column) <= QUOTE_LIMIT else self.column[:QUOTE_LIMIT] + "…"
        object.__setattr__(self, "column", redact_upns(column))
        object.__setattr__(self, "message", redact_upns(self.message))

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


#: Bounds on an input file, so that a huge or hostile one is refused in seconds and in bounded
#: memory, with a message naming the bound: a council's placements for a year are thousands
#: of rows; a cell holds at most what an Excel cell does.
MAX_INPUT_BYTES = 32 * 1024 * 1024
MAX_INPUT_ROWS = 100_000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 32_767
#: The most an XLSX package may hold once unpacked (its sheets and shared strings).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


def read_rows(path: str | Path) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of a CSV or XLSX file, header included as row 1; rows with nothing
    in them are left out. At most :data:`MAX_COLUMNS` + 1 cells of a row are read (a header
    with more is reported by :func:`read_table`); a file over :data:`MAX_INPUT_BYTES` or with
    more than :data:`MAX_INPUT_ROWS` rows below its header is refused (BulkInputError)."""
    p = Path(path)
    raw = _read_input(p)
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm") or raw[:4] == b"PK\x03\x04":
            rows = _xlsx_rows(p, raw)
        else:
            rows = _csv_rows(p, raw)
        count = 0
        for row_no, cells in rows:
            if all(c in (None, "") for c in cells):
                continue
            count += 1
            if count > MAX_INPUT_ROWS + 1:
                raise BulkInputError(
                    f"{p.name}: more than {MAX_INPUT_ROWS:,} rows below the header (the most one "
                    f"file may have); split it into files of at most {MAX_INPUT_ROWS:,} rows"
                )
            yield row_no, cells[: MAX_COLUMNS + 1]
    except (ElementTree.ParseError, KeyError, ValueError, EOFError) as exc:
        raise BulkInputError(f"cannot read {p}: {clip(str(exc))}") from None


def _read_input(p: Path) -> bytes:
    """The bytes of an input file: a regular file (a FIFO would wait for ever) of at most
    :data:`MAX_INPUT_BYTES`."""
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise BulkInputError(f"cannot read {p}: not a regular file")
        if st.st_size > MAX_INPUT_BYTES:
            raise BulkInputError(_too_large(p, st.st_size))
        with p.open("rb") as fh:
            raw = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise BulkInputError(f"cannot read {p}: {exc.strerror or exc}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise BulkInputError(_too_large(p, len(raw)))
    return raw


def _too_large(p: Path, size: int) -> str:
    return (
        f"{p.name}: {size / 2**20:,.1f} MB; an input file may be at most {MAX_INPUT_BYTES >> 20} MB "
        f"(and {MAX_INPUT_ROWS:,} rows): split it"
    )


def _csv_rows(p: Path, raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(raw)
    # newline="": a row may end CR LF, LF or CR alone (Excel for Mac before 2016), and a
    # quoted cell may hold any of them.
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise BulkInputError(
                f"cannot read {p}: line {reader.line_num} has a cell of more than "
                f"{csv.field_size_limit():,} characters (a cell may hold at most {MAX_CELL_CHARS:,})"
            ) from None
        raise BulkInputError(f"cannot read {p} as CSV (line {reader.line_num}): {clip(str(exc))}") from None


def _decode(raw: bytes) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's "Unicode Text"
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows


def _dialect(text: str) -> Any:
    sample = text[:4096].replace("\r\n", "\n").replace("\r", "\n")  # the sniffer splits lines at LF
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _xlsx_rows(p: Path, raw: bytes) -> Iterator[tuple[int, list[Any]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            unpacked = sum(item.file_size for item in package.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise BulkInputError(
                f"{p.name}: {unpacked / 2**20:,.0f} MB once unpacked; an XLSX input may hold at most "
                f"{MAX_UNPACKED_BYTES >> 20} MB (and {MAX_INPUT_ROWS:,} rows): split it"
            )
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BulkInputError(f"cannot read {p} as an XLSX workbook: {clip(str(exc))}") from None
    try:
        ws = wb.worksheets[0]
        # max_col: a sheet's declared size does not make every row 16,384 cells long
        for i, cells in enumerate(ws.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
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
    # Read whole before any row is validated, so that a file over the bounds is refused in
    # the time it takes to read it (100,000 rows: a second), not after validating them.
    rows = iter(list(read_rows(path)))
    try:
        _, header = next(rows)
    except StopIteration:
        raise BulkInputError(f"{path}: the file is empty (a header row is needed)") from None
    if len(header) > MAX_COLUMNS:
        message = f"more than {MAX_COLUMNS} columns; those after column {MAX_COLUMNS} are not read"
        table.warnings.append(RowProblem(name, 1, "", message))
        header = header[:MAX_COLUMNS]
    columns, problems, warnings = _match_header(header, group, name)
    table.problems += problems
    table.warnings += warnings
    if problems:  # a required column is missing: no row can be read
        return table
    for row_no, cells in rows:
        values = {key: cells[i] if i < len(cells) else None for i, key in columns.items()}
        long = {k: len(v) for k, v in values.items() if isinstance(v, str) and len(v) > MAX_CELL_CHARS}
        for key, length in long.items():
            message = f"{length:,} characters; a cell may hold at most {MAX_CELL_CHARS:,}"
            table.problems.append(RowProblem(name, row_no, group.child(key).label, message))
        if not long:
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
        # A sensitive value (a UPN) is not repeated in the report, which is kept beside the SLAs
        # (and RowProblem takes out anything like a UPN in any message).
        message = without_values(p.message) if known and group.child(key).sensitive else p.message
        table.problems.append(RowProblem(table.file, row_no, column, message))
    if not bad:
        table.rows.append((row_no, result.data[group.key]))

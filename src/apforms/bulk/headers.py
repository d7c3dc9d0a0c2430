"""A council's spreadsheet headers against the columns bulk SLAs expect.

For a spreadsheet whose headers are not the expected ones (the web app's mapping page): the
expected columns, a suggestion for each (bulk's own match, ignoring case, spacing and
punctuation; else the closest header), and the spreadsheet rewritten as CSV with the
expected headers. The rewrite keeps every value as bulk would have read it and every row at
its own row number, so that what bulk reports names the row in the council's file.

Internal (not public API): callers use :mod:`apforms.api`.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apforms import files
from apforms.bulk.inputs import KINDS, MAX_COLUMNS, _match_header, _norm, input_definition, read_rows
from apforms.errors import BulkInputError

#: How alike (difflib's ratio of the headers without case, spaces and punctuation) a header
#: must be to a column's label or key to be suggested for it.
CLOSE = 0.6


@dataclass(frozen=True)
class Column:
    """A column bulk SLAs expect in a kind of spreadsheet: its key, printed label, and whether
    no row can be read without it."""

    key: str
    label: str
    required: bool


@dataclass(frozen=True)
class Suggestion:
    """The header suggested for a column (its index in the header row), and whether it is
    bulk's own match (``exact``) or only the closest header."""

    index: int | None
    exact: bool = False


def columns(kind: str) -> list[Column]:
    """The columns of ``kind`` (placements, providers, schools), in the template's order."""
    _kind(kind)
    _, group = input_definition(kind)
    return [Column(f.key, f.label, f.required) for f in group.fields]


def header_row(path: str | os.PathLike[str]) -> list[str]:
    """The header row of a CSV or XLSX file (its first row with anything in it), as text; a
    file with nothing in it, or that cannot be read, is a BulkInputError."""
    for _, cells in read_rows(Path(path)):
        headers = [_header(c) for c in cells[:MAX_COLUMNS]]
        while headers and not headers[-1]:  # a sheet's rows run to its widest
            headers.pop()
        return headers
    raise BulkInputError(f"{Path(path).name}: the file is empty (a header row is needed)")


def _header(cell: Any) -> str:
    return "" if cell is None else " ".join(str(cell).split())


def _kind(kind: str) -> None:
    if kind not in KINDS:
        raise BulkInputError(f"no bulk input {kind!r}; use {', '.join(KINDS)}")


def matched(kind: str, headers: list[str]) -> dict[str, int]:
    """The columns bulk itself finds in ``headers`` (key → index), as it reads the file."""
    _kind(kind)
    _, group = input_definition(kind)
    found, _, _ = _match_header(list(headers), group, "")
    return {key: index for index, key in found.items()}


def needs_mapping(kind: str, headers: list[str]) -> bool:
    """Whether a person should map the headers: a required column is not found, or an
    expected column is not found while some header is not one bulk knows (renamed?)."""
    found = matched(kind, headers)
    cols = columns(kind)
    if any(c.required and c.key not in found for c in cols):
        return True
    unknown = [i for i, h in enumerate(headers) if h.strip() and i not in found.values()]
    return bool(unknown) and any(c.key not in found for c in cols)


def suggest(kind: str, headers: list[str]) -> dict[str, Suggestion]:
    """A header for every expected column: bulk's own match first; then, best first, the
    closest of the headers left (below), else none."""
    found = matched(kind, headers)
    out = {key: Suggestion(index, exact=True) for key, index in found.items()}
    free = {i: h for i, h in enumerate(headers) if _norm(h) and i not in found.values()}
    scored = []
    for col in columns(kind):
        if col.key not in out:
            for i, text in free.items():
                score = max(_closeness(col.label, text), _closeness(col.key.replace("_", " "), text))
                if score[0] >= CLOSE:
                    scored.append((score, -i, col.key))
    taken: set[int] = set()
    for _, minus_i, key in sorted(scored, reverse=True):
        if key not in out and -minus_i not in taken:
            out[key] = Suggestion(-minus_i)
            taken.add(-minus_i)
    return {c.key: out.get(c.key, Suggestion(None)) for c in columns(kind)}


def _closeness(name: str, header: str) -> tuple[float, float]:
    """How close a header is to a column's name, and difflib's ratio of the two without case,
    spaces and punctuation (to break ties). Close: that ratio; the same words in any order
    ("Sessions (days)" for "Days/sessions"), by Dice's coefficient; or one holding the other
    ("Pupil UPN" for "UPN"), at least 0.8 (for names of three characters or more)."""
    want, text = _norm(name), _norm(header)
    ratio = difflib.SequenceMatcher(None, want, text).ratio()
    a, b = set(re.findall(r"[^\W_]+", name.casefold())), set(re.findall(r"[^\W_]+", header.casefold()))
    words = 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0
    short, long = sorted((want, text), key=len)
    held = 0.8 if len(short) >= 3 and short in long else 0.0
    return max(ratio, words, held), ratio


def remap(
    kind: str, source: str | os.PathLike[str], mapping: Mapping[str, int], out: str | os.PathLike[str]
) -> Path:
    """Rewrite ``source`` as a CSV at ``out`` (private) whose headers are the expected labels:
    column ``key`` of the result is column ``mapping[key]`` of ``source``. Every other column
    is left out (the caller names them); every row keeps its row number (blank rows stand for
    those bulk skips), and every value is as bulk reads it from ``source``."""
    cols = {c.key: c for c in columns(kind)}
    unknown = sorted(set(mapping) - set(cols))
    if unknown:
        raise BulkInputError(f"no column {unknown[0]!r} in the {kind} spreadsheet")
    missing = [c.label for c in cols.values() if c.required and c.key not in mapping]
    if missing:
        raise BulkInputError(f"the {kind} spreadsheet needs a column for {missing[0]}")
    keys = [k for k in cols if k in mapping]
    buf = io.StringIO()
    # Every cell quoted: bulk's reader sniffs the delimiter, and quotes make that certain.
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_ALL)
    written = 0
    width: int | None = None
    for row_no, cells in read_rows(Path(source)):
        while written < row_no - 1:
            writer.writerow([])
            written += 1
        if width is None:
            width = len(cells)
            bad = [k for k in keys if not 0 <= mapping[k] < width]
            if bad:
                raise BulkInputError(f"{Path(source).name}: no column {mapping[bad[0]] + 1} for {bad[0]}")
            writer.writerow([cols[k].label for k in keys])
        else:
            writer.writerow([_text(cells[mapping[k]]) if mapping[k] < len(cells) else "" for k in keys])
        written += 1
    if width is None:
        raise BulkInputError(f"{Path(source).name}: the file is empty (a header row is needed)")
    return files.write_text(out, buf.getvalue())


def _text(value: Any) -> str:
    """A cell as bulk's reader gave it, as CSV text that reads back as the same value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


__all__ = ["Column", "Suggestion", "columns", "header_row", "matched", "needs_mapping", "remap", "suggest"]

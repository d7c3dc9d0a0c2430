"""Many records → many documents: one SLA per school and provider from a placements sheet.

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path

from apforms import files
from apforms.bulk.inputs import KINDS, RowProblem, input_definition, read_rows
from apforms.bulk.run import BulkResult, PairResult, run_slas
from apforms.bulk.sla import Plan, plan_slas, safe_name
from apforms.errors import BulkInputError
from apforms.model.config import FormBrand, RegistrationThresholds
from apforms.model.definitions import data_dir

__all__ = [
    "KINDS",
    "BulkInputError",
    "BulkResult",
    "PairResult",
    "Plan",
    "RowProblem",
    "bulk_sla",
    "example_inputs",
    "plan_slas",
    "run_slas",
    "safe_name",
    "write_template",
]


def bulk_sla(
    placements: str | os.PathLike[str],
    providers: str | os.PathLike[str],
    schools: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    thresholds: RegistrationThresholds,
    formats: tuple[str, ...] = ("docx", "pdf"),
    jobs: int | None = None,
    allow_unregistered: bool = False,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    brand: FormBrand | None = None,
    mode: int = files.PRIVATE,
) -> BulkResult:
    """Read, check and group the inputs, then write every SLA the check allows (with the
    council's ``brand``; files with ``mode``, private by default)."""
    plan = plan_slas(Path(placements), Path(providers), Path(schools), thresholds)
    if on_plan:
        on_plan(plan)
    return run_slas(plan, out_dir, formats, jobs, allow_unregistered, progress, brand, mode)


def example_inputs() -> dict[str, Path]:
    """The small built-in example inputs (fictional Derby schools and providers)."""
    folder = data_dir("schemas") / "examples" / "bulk"
    return {kind: folder / f"{kind}.csv" for kind in KINDS}


def write_template(kind: str, path: str | os.PathLike[str], fmt: str = "csv") -> Path:
    """An empty input file for ``kind`` with the expected headers and one example row."""
    _, group = input_definition(kind)
    rows = list(read_rows(example_inputs()[kind]))
    headers = [f.label for f in group.fields]
    example = rows[1][1] if len(rows) > 1 else [""] * len(headers)
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = kind
        ws.append(headers)
        ws.append(example)
        buf = io.BytesIO()
        wb.save(buf)
        return files.write_bytes(path, buf.getvalue(), mode=None)
    if fmt != "csv":
        raise BulkInputError(f"unknown template format {fmt!r}; use csv or xlsx")
    buf_text = io.StringIO()
    writer = csv.writer(buf_text, lineterminator="\n")
    writer.writerow(headers)
    writer.writerow(example)
    return files.write_text(path, buf_text.getvalue(), mode=None)

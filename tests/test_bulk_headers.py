"""A council's own spreadsheet headers mapped to the bulk columns (the web app's mapping page)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from apforms import api
from apforms.bulk import example_inputs
from apforms.errors import BulkInputError

EX = example_inputs()
RENAMED = [
    "Pupil UPN", "School name", "Provider name", "From", "To", "Hrs/week", "Sessions (days)",
    "No. of sessions", "Rate", "LAC", "EHCP", "SEN", "Notes",
]  # fmt: skip


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_the_examples_need_no_mapping() -> None:
    for kind, path in EX.items():
        assert not api.bulk_needs_mapping(kind, api.bulk_headers(path))


def test_renamed_headers_need_mapping_and_get_suggestions() -> None:
    assert api.bulk_needs_mapping("placements", RENAMED)
    got = {k: (RENAMED[s.index] if s.index is not None else None, s.exact) for k, s in
           api.bulk_suggest("placements", RENAMED).items()}  # fmt: skip
    assert got == {
        "upn": ("Pupil UPN", False),
        "school": ("School name", False),
        "provider": ("Provider name", False),
        "start_date": (None, False),
        "end_date": (None, False),
        "hours_per_week": ("Hrs/week", False),
        "days_sessions": ("Sessions (days)", False),  # the same words in another order
        "sessions": ("No. of sessions", False),
        "rate_per_session": ("Rate", False),
        "looked_after": (None, False),
        "ehcp": ("EHCP", True),  # bulk's own match
        "sen": ("SEN", True),
    }


def test_a_renamed_optional_column_needs_mapping_but_a_missing_one_does_not() -> None:
    headers = api.bulk_headers(EX["schools"])
    assert not api.bulk_needs_mapping("schools", [h for h in headers if h != "School URN"])
    assert api.bulk_needs_mapping("schools", [h if h != "School URN" else "DfE no." for h in headers])


def test_remapped_xlsx_keeps_row_numbers_and_values(tmp_path: Path) -> None:
    from openpyxl import Workbook

    original = rows(EX["placements"])
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([])  # a blank first row: the header is row 2
    ws.append(RENAMED)
    for i, row in enumerate(original[1:]):
        if i == 2:
            ws.append([])  # a blank row between: bulk skips it, the row numbers stay
        ws.append([*row, "a note"])
    ws.cell(4, 1).value = "=not a formula, a value"  # text, kept as typed
    ws.cell(4, 1).data_type = "s"
    src = tmp_path / "Placements 2026.xlsx"
    wb.save(src)
    headers = api.bulk_headers(src)
    assert headers == RENAMED
    mapping = {k: s.index for k, s in api.bulk_suggest("placements", headers).items() if s.index is not None}
    mapping |= {"start_date": 3, "end_date": 4, "looked_after": 9}
    out = api.bulk_remap("placements", src, mapping, tmp_path / "mapped" / "placements.csv")
    got = rows(out)
    assert got[0] == [] and got[1] == original[0]
    assert got[2] == original[1] and got[4] == [] and got[5] == original[3]
    assert got[3][0] == "=not a formula, a value"
    plan_rows = api.bulk_sla(out, EX["providers"], EX["schools"], tmp_path / "out", ["docx"], jobs=1)
    assert [(p.row, p.column) for p in plan_rows.problems] == [(4, "UPN")]  # row 4 of the workbook


def test_remap_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    with pytest.raises(BulkInputError, match="needs a column for UPN"):
        api.bulk_remap("placements", EX["placements"], {"school": 1}, tmp_path / "x.csv")
    with pytest.raises(BulkInputError, match="no column 'pupil'"):
        api.bulk_remap("placements", EX["placements"], {"pupil": 1}, tmp_path / "x.csv")
    full = {c.key: i for i, c in enumerate(api.bulk_columns("placements"))}
    with pytest.raises(BulkInputError, match="no column 41"):
        api.bulk_remap("placements", EX["placements"], {**full, "sen": 40}, tmp_path / "x.csv")
    (tmp_path / "empty.csv").write_text("\n\n", encoding="utf-8")
    with pytest.raises(BulkInputError, match="the file is empty"):
        api.bulk_headers(tmp_path / "empty.csv")
    with pytest.raises(BulkInputError, match="no bulk input"):
        api.bulk_columns("pupils")


def test_columns_are_the_templates() -> None:
    for kind in ("placements", "providers", "schools"):
        assert [c.label for c in api.bulk_columns(kind)] == api.bulk_headers(EX[kind])

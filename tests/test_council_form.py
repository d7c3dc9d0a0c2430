"""The council's form as printed (issue 11, item 4): structure the printed forms have.

The referral's status row: LAC (Voluntary, Statutory) beside Child protection, Child in Need,
Private foster and YOS, a box each in one row — not listed under "LAC" as if they were kinds
of LAC — in the PDF (read from the widgets and the page text by pdfplumber) and in Word (read
by python-docx). Forms of layout 2 keep their geometry.
"""

from __future__ import annotations

import io

import docx
import pdfplumber
import pytest
from docx.table import Table

from apforms.errors import DefinitionError
from apforms.formats.docx.compile import render_docx
from apforms.formats.pdf import layout as lay
from apforms.formats.pdf.read import LAYOUTS
from apforms.formats.pdf.writer import render_pdf
from apforms.model.definitions import load_definition

from .conftest import make_definition
from .pdf_support import canonical_example

STATUS = ("lac.voluntary", "lac.statutory", "child_protection", "child_in_need", "private_foster", "yos")


def _status_rects(layout: lay.Layout) -> dict[str, lay.Rect]:
    return {
        f.name.removeprefix("status."): f.widgets[0].rect
        for f in layout.fields
        if f.name.startswith("status.")
    }


def test_the_status_row_is_one_row_of_boxes_in_the_pdf() -> None:
    definition = load_definition("referral")
    rects = _status_rects(lay.layout_for(definition, {}))
    row = [rects[k] for k in ("child_protection", "child_in_need", "private_foster", "yos")]
    assert len({round(r[3], 1) for r in row}) == 1, "the statuses are not side by side"
    voluntary, statutory = rects["lac.voluntary"], rects["lac.statutory"]
    assert row[0][3] - 20 < voluntary[3] < row[0][3], "LAC's boxes are not in the same row"
    assert [r[0] for r in (voluntary, *row)] == sorted(r[0] for r in (voluntary, *row))
    assert statutory[0] == voluntary[0] and statutory[3] < voluntary[1], "Statutory is not under Voluntary"

    pdf = render_pdf(definition, canonical_example("referral"))
    page_no = next(f.widgets[0].page for f in lay.layout_for(definition, {}).fields if f.name == "status.yos")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[page_no]
        words = {w["text"]: w for w in page.extract_words()}
        lac = words["LAC"]
        top = page.height - voluntary[3]  # pdfplumber measures from the top of the page
        assert lac["bottom"] <= top + 0.5 and abs(lac["x0"] - voluntary[0]) < 2, (
            "LAC is not the cell's heading"
        )
        for label in ("Voluntary", "Statutory", "YOS"):
            assert label in words


def test_layout_2_forms_keep_a_row_per_status() -> None:
    """A form sent out in layout 2 is read by layout 2's geometry, where each status had a row."""
    rects = _status_rects(LAYOUTS[2].layout(load_definition("referral"), None, None))
    tops = [round(rects[k][3], 1) for k in STATUS]
    assert len(set(tops)) == len(STATUS)


def test_the_status_row_is_one_row_of_cells_in_word() -> None:
    content = render_docx(load_definition("referral"), canonical_example("referral"))
    rows = [
        [c.text for c in row.cells]
        for block in docx.Document(io.BytesIO(content)).iter_inner_content()
        if isinstance(block, Table)
        for row in block.rows
    ]
    row = next(r for r in rows if r and r[0].startswith("LAC"))
    assert len(row) == 5
    assert "Voluntary" in row[0] and "Statutory" in row[0]
    assert [c.split(" ", 1)[1] for c in row[1:]] == [
        "Child protection SEC 47*",
        "Child in Need SEC 17",
        "Private Foster",
        "YOS",
    ]


def test_inline_is_only_for_tick_boxes() -> None:
    with pytest.raises(DefinitionError, match=r"s\.name: inline is for a tick box"):
        make_definition(
            """
id: inline
title: Inline
version: "1.0"
sections:
  - key: s
    label: S
    fields:
      - {key: name, label: Name, type: text, inline: true}
"""
        )

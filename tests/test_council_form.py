"""The council's form as printed (issue 11, item 4): structure the printed forms have.

The referral's status row: LAC (Voluntary, Statutory) beside Child protection, Child in Need,
Private foster and YOS, a box each in one row — not listed under "LAC" as if they were kinds
of LAC — in the PDF (read from the widgets and the page text by pdfplumber) and in Word (read
by python-docx). Forms of layout 2 keep their geometry. The QA standards as the form's
four-column table under numbered themes, and English and Maths as rows of the grades table
(layout 4, and Word); forms of layout 3 keep theirs.
"""

from __future__ import annotations

import io
import re
from typing import Any

import docx
import pdfplumber
import pikepdf
import pytest
from docx.table import Table
from docx.text.paragraph import Paragraph

from apforms.errors import DefinitionError
from apforms.formats.docx.compile import render_docx
from apforms.formats.pdf import layout as lay
from apforms.formats.pdf.read import LAYOUTS, ingest_pdf
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
    data = canonical_example("referral")
    rects = _status_rects(lay.layout_for(definition, data))
    row = [rects[k] for k in ("child_protection", "child_in_need", "private_foster", "yos")]
    assert len({round(r[3], 1) for r in row}) == 1, "the statuses are not side by side"
    voluntary, statutory = rects["lac.voluntary"], rects["lac.statutory"]
    assert row[0][3] - 20 < voluntary[3] < row[0][3], "LAC's boxes are not in the same row"
    assert [r[0] for r in (voluntary, *row)] == sorted(r[0] for r in (voluntary, *row))
    assert statutory[0] == voluntary[0] and statutory[3] < voluntary[1], "Statutory is not under Voluntary"

    pdf = render_pdf(definition, data)  # the rectangles above are this record's
    page_no = next(
        f.widgets[0].page for f in lay.layout_for(definition, data).fields if f.name == "status.yos"
    )
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[page_no]
        words = {w["text"]: w for w in page.extract_words()}
        top = page.height - voluntary[3]  # pdfplumber measures from the top of the page
        # "LAC" also begins other lines of the page: the cell's heading is the one just above
        # its boxes, at their left edge
        heads = [w for w in page.extract_words() if w["text"] == "LAC" and abs(w["x0"] - voluntary[0]) < 2]
        assert any(top - 12 < w["bottom"] <= top + 0.5 for w in heads), "LAC is not the cell's heading"
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


# --------------------------------------------------------------------------- QA standards, grades


def _words(pdf: bytes, page_no: int) -> tuple[float, list[dict[str, Any]]]:
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[page_no]
        return float(page.height), page.extract_words(keep_blank_chars=True)


def test_qa_standards_are_the_four_column_table_with_theme_numbers() -> None:
    """Number | National standard | Requirement met | Evidence, a row per standard: the
    number left of the standard's wording, the options one above the other in the third
    column, the evidence box to their right on the same row; the theme heading numbered."""
    definition = load_definition("qa")
    data = canonical_example("qa")
    layout = lay.layout_for(definition, data)
    by_name = {f.name: f for f in layout.fields}
    for theme, standards in (("safeguarding", "abcdefghi"), ("outcomes", "abcd")):
        n = "1" if theme == "safeguarding" else "5"
        for letter in standards:
            rating = by_name[f"{theme}.s{n}{letter}.rating"]
            evidence = by_name[f"{theme}.s{n}{letter}.evidence"]
            xs = {round(w.rect[0], 1) for w in rating.widgets}
            tops = [w.rect[3] for w in rating.widgets]
            assert len(xs) == 1 and tops == sorted(tops, reverse=True), "options not one above the other"
            box = evidence.widgets[0].rect
            assert box[0] > rating.widgets[0].rect[2], "evidence not right of the rating"
            assert box[1] < tops[-1] and box[3] >= tops[0], "evidence not on the standard's row"
    pdf = render_pdf(definition, data)
    first = by_name["safeguarding.s1a.rating"].widgets[0]
    height, words = _words(pdf, first.page)
    assert any(re.fullmatch(r"1\s+Safeguarding and the wellbeing of children", w["text"]) for w in words)
    header = {
        w["text"]: w for w in words if w["text"] in ("National standard", "Requirement met", "Evidence")
    }
    assert len(header) == 3 and len({round(w["top"]) for w in header.values()}) == 1, "no header row"
    assert header["National standard"]["x0"] < header["Requirement met"]["x0"] < header["Evidence"]["x0"]
    label = next(w for w in words if w["text"] == "1a")
    wording = next(w for w in words if w["text"].startswith("All staff and proprietors"))
    assert label["x1"] < wording["x0"] and abs(label["top"] - wording["top"]) < 2
    assert abs(wording["x0"] - header["National standard"]["x0"]) < 2
    assert abs(height - first.rect[3] - label["top"]) < 4, "1a not on its rating's row"


def test_layout_3_forms_keep_a_standard_each() -> None:
    """A QA form sent out in layout 3 is read by layout 3's geometry: each standard stacked."""
    fields = {f.name: f for f in LAYOUTS[3].layout(load_definition("qa"), None, None).fields}
    rating, evidence = fields["safeguarding.s1a.rating"], fields["safeguarding.s1a.evidence"]
    assert evidence.widgets[0].rect[3] < rating.widgets[0].rect[1]  # the evidence below


def test_english_and_maths_are_rows_of_the_grades_table() -> None:
    definition = load_definition("referral")
    data = canonical_example("referral")
    by_name = {f.name: f for f in lay.layout_for(definition, data).fields}
    cols = ("specification", "delivered_by", "target_grade", "current_grade")
    for subject in ("english", "maths"):
        rects = [by_name[f"grades.{subject}.{c}"].widgets[0].rect for c in cols]
        assert len({round(r[3], 1) for r in rects}) == 1, f"{subject}: not one row"
        assert [r[0] for r in rects] == sorted(r[0] for r in rects)
        assert by_name[f"grades.{subject}.target_grade"].tooltip.endswith(": Target grade")
    english, maths = by_name["grades.english.specification"], by_name["grades.maths.specification"]
    assert english.widgets[0].rect[0] == maths.widgets[0].rect[0]  # the same columns
    assert maths.widgets[0].rect[3] <= english.widgets[0].rect[1] + 0.01  # the next row down
    height, words = _words(render_pdf(definition, data), english.widgets[0].page)
    wanted = ("Subject", "Specification/ course", "Target grade", "English", "Maths")
    head: dict[str, dict[str, Any]] = {}
    for w in sorted(words, key=lambda w: w["top"]):  # the first: "Other subjects" repeats the header
        if w["text"] in wanted:
            head.setdefault(w["text"], w)
    assert set(head) == set(wanted)
    assert (
        head["Subject"]["x0"] < head["English"]["x1"] and head["Subject"]["bottom"] <= head["English"]["top"]
    )
    assert head["English"]["x1"] < english.widgets[0].rect[0] < head["Specification/ course"]["x1"]
    assert head["Specification/ course"]["bottom"] < height - english.widgets[0].rect[3] + 1


def test_standards_and_grades_are_tables_in_word() -> None:
    content = render_docx(load_definition("referral"), canonical_example("referral"))
    tables = [
        [[c.text for c in row.cells] for row in block.rows]
        for block in docx.Document(io.BytesIO(content)).iter_inner_content()
        if isinstance(block, Table)
    ]
    grades = next(
        t
        for t in tables
        if t[0] == ["Subject", "Specification/ course", "Delivered by", "Target grade", "Current grade"]
    )
    english = canonical_example("referral")["grades"]["english"]
    assert [r[0] for r in grades[1:]] == ["English", "Maths"]
    assert grades[1][1:] == [
        english.get(k, "") for k in ("specification", "delivered_by", "target_grade", "current_grade")
    ]


# --------------------------------------------------------------------------- the SLA's sentences


def test_the_sla_general_sentences_are_plain_paragraphs_in_the_pdf() -> None:
    """No invented heading, no numbers, no empty row, no box outline: the sentences as the
    form prints them, still fields that read back."""
    definition = load_definition("sla")
    data = canonical_example("sla")
    layout = lay.layout_for(definition, data)
    general = [f for f in layout.fields if f.name.startswith("terms.provider_general.")]
    assert [f.name for f in general] == ["terms.provider_general.1", "terms.provider_general.2"]
    pdf = render_pdf(definition, data, flatten=True)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "\n".join(page.extract_text() for page in doc.pages)
        rects = [
            (n, (r["x0"], page.height - r["bottom"], r["x1"], page.height - r["top"]))
            for n, page in enumerate(doc.pages)
            for r in page.rects
        ]
    assert "The alternative provider's responsibility for the provision" not in text
    lines = text.splitlines()
    first = next(
        i for i, ln in enumerate(lines) if ln.startswith("The alternative provider will be responsible")
    )
    assert not lines[first - 1].strip().endswith(("1.", "1"))
    for f in [
        *general,
        *(
            g
            for g in layout.fields
            if g.name in ("terms.safeguarding_clause", "terms.emergency_review_clause")
        ),
    ]:
        w = f.widgets[0]
        outlined = [
            r for n, r in rects if n == w.page and all(abs(a - b) < 1 for a, b in zip(r, w.rect, strict=True))
        ]
        assert not outlined, f.name
    assert "If an emergency review is called, clear targets will be set." in text
    assert "Emergency review" not in text.replace("If an emergency review", "")
    result = ingest_pdf(pdf, "sla.pdf")
    assert result.record["data"] == data


def test_the_sla_general_sentences_are_plain_paragraphs_in_word() -> None:
    data = canonical_example("sla")
    content = render_docx(load_definition("sla"), data)
    body = [p for p in docx.Document(io.BytesIO(content)).iter_inner_content()]
    paras = [(b.text, b.style.name) for b in body if isinstance(b, Paragraph)]
    sentences = data["terms"]["provider_general"]
    at = [t for t, _ in paras].index(sentences[0])
    # their own style, set exactly as fixed wording is, so that a paragraph added in Word is
    # known to be part of the answer when the copy comes back
    own = "Form Answer terms.provider_general"  # its own style, based on Form Answer
    assert paras[at : at + 2] == [(sentences[0], own), (sentences[1], own)]
    styles = docx.Document(io.BytesIO(content)).styles
    assert styles[own].base_style.name == "Form Answer"
    answer, wording = styles["Form Answer"], styles["Form Text"]
    assert (answer.font.size, answer.font.name, answer.paragraph_format.space_after) == (
        wording.font.size,
        wording.font.name,
        wording.paragraph_format.space_after,
    )
    assert isinstance(
        body[[b.text if isinstance(b, Paragraph) else None for b in body].index(sentences[1]) + 1], Table
    )
    clause = data["terms"]["emergency_review_clause"]
    assert (clause, "Form Answer terms.emergency_review_clause") in paras
    texts = "\n".join(t for t, _ in paras)
    assert "The alternative provider's responsibility for the provision" not in texts


def test_prose_is_for_lists_and_long_texts() -> None:
    with pytest.raises(DefinitionError, match=r"s\.name: prose is for a list or a long text"):
        make_definition(
            """
id: prose
title: Prose
version: "1.0"
sections:
  - key: s
    label: S
    fields:
      - {key: name, label: Name, type: text, prose: true}
"""
        )


def test_an_empty_prose_paragraph_has_a_box_to_write_in() -> None:
    """Prose paragraphs print without outlines; one left empty (a blank form with added
    rows) gets its outline from the field, on the fillable form and on a flattened copy."""
    definition = load_definition("sla")
    data = canonical_example("sla")
    data["terms"]["provider_general"] = [data["terms"]["provider_general"][0], ""]
    data["terms"]["emergency_review_clause"] = ""
    layout = lay.layout_for(definition, data)
    pdf = render_pdf(definition, data)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        aps = {
            f.fully_qualified_name: f.obj.AP.N.read_bytes()
            for f in pikepdf.AcroForm(doc).fields
            if f.fully_qualified_name.startswith("terms.") and "/AP" in f.obj
        }
    assert b" re S" not in aps["terms.provider_general.1"]  # the written sentence: no outline
    assert b" re S" in aps["terms.provider_general.2"]  # the empty one: outlined
    assert b" re S" in aps["terms.emergency_review_clause"]
    assert b" re S" not in aps["terms.safeguarding_clause"]
    flat = render_pdf(definition, data, flatten=True)
    empty = next(f for f in layout.fields if f.name == "terms.provider_general.2").widgets[0]
    with pdfplumber.open(io.BytesIO(flat)) as doc:
        page = doc.pages[empty.page]
        rects = [(r["x0"], page.height - r["bottom"], r["x1"], page.height - r["top"]) for r in page.rects]
    assert any(all(abs(a - b) < 1.5 for a, b in zip(r, empty.rect, strict=True)) for r in rects)

"""One presentation for every format: the blocks a definition becomes, and the text each value
prints as, the same in the Word document and the PDF form."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest

from apforms import present
from apforms.formats.docx.build import build_template
from apforms.formats.docx.compile import render_docx
from apforms.formats.pdf.writer import render_pdf
from apforms.model import records
from apforms.model.definitions import Definition, Field, load_definition
from apforms.model.types import TYPES, Control

from .conftest import ALL_DOCS, make_definition
from .pdf_support import canonical_example, pdfium_text, squash

#: A form with a field of every type, a grid table, and a table with a list column.
EVERY_TYPE = """
id: every-type
title: Every field type
version: "1.0"
sections:
  - key: main
    label: Main
    fields:
      - {key: text, label: Text, type: text}
      - {key: longtext, label: Long text, type: longtext}
      - {key: date, label: Date, type: date}
      - {key: integer, label: Integer, type: integer}
      - {key: decimal, label: Decimal, type: decimal}
      - {key: money, label: Money, type: money}
      - {key: percentage, label: Percentage, type: percentage}
      - {key: email, label: Email, type: email}
      - {key: phone, label: Phone, type: phone}
      - {key: postcode, label: Postcode, type: postcode}
      - {key: upn, label: UPN, type: upn}
      - {key: yesno, label: Yes or no, type: yesno}
      - {key: tick, label: Tick, type: tick}
      - {key: choice, label: Choice, type: choice, options: [alpha, beta]}
      - {key: register, label: Register code, type: choice, codelist: attendance_code}
      - {key: multichoice, label: Several, type: multichoice, options: [red, green, blue]}
      - {key: rating, label: Rating, type: rating}
      - {key: rag, label: RAG, type: rag}
      - {key: frequency, label: Frequency, type: frequency}
      - {key: items, label: Items, type: list, max_rows: 4}
      - key: group
        label: A group
        type: group
        fields:
          - {key: inner, label: Inner text, type: text}
      - key: grid
        label: Grid table
        type: table
        max_rows: 4
        columns:
          - {key: what, label: What, type: text}
          - {key: when, label: When, type: date}
          - {key: cost, label: Cost, type: money}
      - key: contacts
        label: Contacts
        type: table
        max_rows: 4
        columns:
          - {key: name, label: Name, type: text}
          - {key: methods, label: Ways to reach them, type: list, max_rows: 3}
      - {key: signed, label: Signed, type: signature}
"""

EVERY_VALUE: dict[str, Any] = {
    "main": {
        "text": "Łukasz Wójcik",
        "longtext": "First paragraph of a long answer.\nSecond paragraph.",
        "date": "2026-09-07",
        "integer": 12,
        "decimal": 2.5,
        "money": 1250.5,
        "percentage": 95,
        "email": "ap.lead@example.org",
        "phone": "01332 123456",
        "postcode": "DE1 2AA",
        "upn": "P207000016049",
        "yesno": True,
        "tick": True,
        "choice": "beta",
        "register": "B",
        "multichoice": ["red", "blue"],
        "rating": "partially",
        "rag": "amber",
        "frequency": "occasionally",
        "items": ["Daily attendance checks", "Half termly review"],
        "group": {"inner": "Inside the group"},
        "grid": [{"what": "Taxi", "when": "2026-10-01", "cost": 45}],
        "contacts": [{"name": "Olena Shevchenko", "methods": ["call", "visit"]}],
        "signed": {"name": "Ján Čonka", "date": "2026-09-01"},
    }
}


@pytest.fixture(scope="module")
def every_type() -> Definition:
    return make_definition(EVERY_TYPE, "schemas/every-type.yaml")


def test_every_field_type_is_in_the_test_form(every_type: Definition) -> None:
    assert {f.type for f in every_type.walk()} == set(TYPES)


def test_blocks_follow_the_definition(every_type: Definition) -> None:
    tree = present.present(every_type)
    (section,) = tree.sections
    kinds = {b.field.key: type(b).__name__ for b in section.children}
    assert kinds["grid"] == "Grid" and kinds["contacts"] == "Cards"  # a list column makes cards
    assert kinds["group"] == "Group" and kinds["signed"] == "SignatureBlock"
    # rating, rag and frequency are different scales, so no scale grid gathers them
    assert kinds["rating"] == kinds["rag"] == kinds["frequency"] == "Answer"
    controls = {b.field.key: b.control for b in section.children if isinstance(b, present.Answer)}
    assert controls["longtext"] == Control.LINES and controls["items"] == Control.LIST
    assert controls["register"] == Control.DROPDOWN and controls["choice"] == Control.BOXES
    assert controls["multichoice"] == Control.BOXES and controls["tick"] == Control.TICK
    grid = next(b for b in section.children if isinstance(b, present.Grid))
    assert [c.weight for c in grid.columns] == [3.0, 1.7, 1.5]


def test_questions_on_one_scale_are_gathered() -> None:
    qa = load_definition("referral")
    grids = [b for b in present.present(qa).blocks() if isinstance(b, present.ScaleGrid)]
    assert grids, "the referral's risk indicators share the Never/Occasionally/Frequently scale"
    for g in grids:
        assert len(g.fields) > 1 and all(f.options == g.options for f in g.fields)


def test_register_codes_print_with_their_letter(every_type: Definition) -> None:
    f = every_type.field_at("main.register")
    assert present.display(f, "B") == "B – Attending any other approved educational activity"
    assert present.display(every_type.field_at("main.choice"), "beta") == "beta"
    assert present.display(every_type.field_at("main.money"), 1250.5) == "£1,250.50"
    assert present.display(every_type.field_at("main.date"), "2026-09-07") == "07/09/2026"


def _shown_as_text(definition: Definition, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(key path, display text) of every value printed as text rather than as boxes."""
    out = []
    for f, value in _leaves(definition.sections, data, ""):
        control = present.block(f)
        if isinstance(control, present.Answer) and control.control in (Control.BOXES, Control.TICK):
            continue
        for line in present.display(f, value).split("\n"):
            if line.strip():
                out.append((f.path, line))
    return out


def _leaves(fields: tuple[Field, ...], data: Any, path: str) -> list[tuple[Field, Any]]:
    out: list[tuple[Field, Any]] = []
    if not isinstance(data, dict):
        return out
    for f in fields:
        value = data.get(f.key)
        if value in (None, "", [], {}):
            continue
        if f.type == "table":
            for row in value:
                out += _leaves(f.fields, row, f.path)
        elif not f.is_leaf:
            out += _leaves(f.fields, value, f.path)
        else:
            out.append((f, value))
    return out


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _both(definition: Definition, data: dict[str, Any], tmp: Path, template: Path | None) -> tuple[str, str]:
    word = _docx_text(render_docx(definition, data, template))
    pdf = pdfium_text(render_pdf(definition, data, flatten=True))
    return word, pdf


def test_every_type_prints_the_same_text_in_word_and_pdf(every_type: Definition, tmp_path: Path) -> None:
    result = records.validate(every_type, EVERY_VALUE)
    assert result.ok, result.problems
    template = tmp_path / "every-type.docx"
    template.write_bytes(build_template(every_type))
    word, pdf = _both(every_type, result.data, tmp_path, template)
    shown = _shown_as_text(every_type, result.data)
    assert ("main.contacts[].methods", "visit") in shown
    for name, text in (("Word", word), ("PDF", pdf)):
        missing = [(path, v) for path, v in shown if squash(v) not in squash(text)]
        assert missing == [], f"{name} does not show {missing}"
    # the list inside a table is printed item by item, never as a Python list
    assert not re.search(r"\[['\"]", word + pdf)


@pytest.mark.parametrize("doc", ALL_DOCS)
def test_every_document_prints_the_same_text_in_word_and_pdf(doc: str, tmp_path: Path) -> None:
    definition = load_definition(doc)
    data = canonical_example(doc)
    word, pdf = _both(definition, data, tmp_path, None)
    shown = _shown_as_text(definition, data)
    assert shown
    for name, text in (("Word", word), ("PDF", pdf)):
        missing = [(path, v) for path, v in shown if squash(v) not in squash(text)]
        assert missing == [], f"{doc}: {name} does not show {missing}"

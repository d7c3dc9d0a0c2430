"""apforms forms filled by other people's software: every value visible and read back exactly.

The blank referral, and one pre-filled from the example record (where a box is unticked, a
choice changed and a dropdown changed), are filled, as a school would, by pdftk (FDF and
XFDF, with and without ``need_appearances``), pypdf (``auto_regenerate`` both ways),
PyPDFForm, pdf.js (saved as Firefox saves a filled form), pdf-lib and PDFium's form filling
(as Chrome's viewer types, clicks and saves). After each: the values show in poppler, MuPDF
and PDFium, and ``ingest`` gives back exactly the record that was typed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from apforms import api
from apforms.formats.pdf.read import ingest_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .fillers import FILLERS, Typed, fdf_text, values_for
from .pdf_support import need, pdfium_text, poppler_text, squash

#: What a school types into the blank referral (names in WinAnsi, which every filler can encode).
TYPED: Typed = {
    "pupil.legal_name": "Zoë Müller-Brown",
    "pupil.date_of_birth": "04/05/2012",
    "pupil.upn": "W831400516007",
    "parents.address": "12 Oak Road\nDerby",
    "parents.email": "z.muller@example.org",
    "status.child_in_need": True,
    "status.child_protection": False,  # unticked (ticked on the pre-filled form)
    "pupil.gender": "M",  # changed (F on the pre-filled form)
    "status.fsm": "Yes",
    "pupil.ethnicity": "WBRI",
}
#: The same answers as record data.
EXPECTED_DATA = {
    "pupil": {
        "legal_name": "Zoë Müller-Brown",
        "date_of_birth": "2012-05-04",
        "upn": "W831400516007",
        "gender": "M",
        "ethnicity": "WBRI",
    },
    "parents": {"address": "12 Oak Road\nDerby", "email": "z.muller@example.org"},
    "status": {"child_in_need": True, "child_protection": False, "fsm": True},
}
#: Text that must be visible on the page in every engine.
VISIBLE = ["Zoë Müller-Brown", "04/05/2012", "W831400516007", "Oak Road", "z.muller@example.org"]


def _start(form: str) -> tuple[bytes, dict[str, Any]]:
    """The form a school fills (the blank one, or one pre-filled from the example record)
    and the record data it should then hold."""
    definition = load_definition("referral")
    if form == "blank":
        return api.blank_bytes("referral", "pdf"), records.canonical(definition, EXPECTED_DATA)
    example = records.canonical(definition, api.example("referral")["data"])
    record = api.read_record("example", json.dumps(records.record_file(definition, example)))
    rendered = api.render_record(record, "pdf").content
    assert rendered is not None
    return rendered, records.canonical(definition, _merged(example, EXPECTED_DATA))


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in changes.items():
        out[key] = _merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


Filled = tuple[str, bytes, dict[str, Any]]


@pytest.fixture(params=[(f, form) for f in sorted(FILLERS) for form in ("blank", "prefilled")], ids=str)
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Filled:
    name, form = request.param
    start, expected = _start(form)
    return f"{name} ({form})", FILLERS[name](start, tmp_path, values_for("referral", start, TYPED)), expected


def test_filled_elsewhere_reads_back_exactly(filled: Filled) -> None:
    name, data, expected = filled
    result = ingest_pdf(data, "filled.pdf")
    # only fields nobody has filled in yet may be reported
    assert {p.message for p in result.validation.problems} <= {"Missing data"}, result.validation.problems
    assert result.method == "fields"
    assert result.record["data"] == expected, name
    assert not [w for w in result.warnings if "page shows" in w], result.warnings


def test_filled_elsewhere_is_visible_in_every_engine(filled: Filled, tmp_path: Path) -> None:
    name, data, _ = filled
    engines = {"PDFium": pdfium_text(data), "poppler": poppler_text(data, tmp_path)}
    if shutil.which("mutool"):
        (tmp_path / "m.pdf").write_bytes(data)
        mu = subprocess.run(["mutool", "draw", "-F", "txt", "-o", "-", str(tmp_path / "m.pdf")],
                            capture_output=True, check=True, timeout=120)  # fmt: skip
        engines["MuPDF"] = mu.stdout.decode("utf-8", errors="replace")
    for engine, text in engines.items():
        missing = [v for v in VISIBLE if squash(v) not in squash(text)]
        assert missing == [], f"{name}: {engine} does not show {missing}"


@pytest.mark.parametrize(
    ("variant", "tick", "radio"),
    [("/On", b"/On", b"/M"), ("/1", b"/1", b"/M"), ("option label", b"/Yes", b"(Male)")],
)
def test_pdftk_fdf_with_states_the_form_does_not_have_reads_what_the_page_shows(
    variant: str, tick: bytes, radio: bytes, tmp_path: Path
) -> None:
    """An FDF that ticks with /On or /1 (the boxes' on-state is /Yes), or names a radio
    choice by its label: pdftk writes the value but the page shows nothing chosen, as every
    viewer shows it. The record takes what the page shows and names the field for review."""
    need("pdftk")
    text = fdf_text
    fdf = (
        b"%FDF-1.2\n1 0 obj << /FDF << /Fields ["
        + b"<< /T " + text("status.child_in_need") + b" /V " + tick + b" >> "
        + b"<< /T " + text("pupil.gender") + b" /V " + radio + b" >>"
        + b"] >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )  # fmt: skip
    (tmp_path / "blank.pdf").write_bytes(api.blank_bytes("referral", "pdf"))
    (tmp_path / "v.fdf").write_bytes(fdf)
    out = tmp_path / "out.pdf"
    args = ["pdftk", str(tmp_path / "blank.pdf"), "fill_form", str(tmp_path / "v.fdf"), "output", str(out)]
    subprocess.run(args, check=True, timeout=120)
    result = ingest_pdf(out.read_bytes(), "filled.pdf")
    data = result.record["data"]
    if variant == "option label":
        assert "gender" not in data.get("pupil", {})
        assert data["status"]["child_in_need"] is True
        assert result.review == ["pupil.gender"]
    else:
        assert data["pupil"]["gender"] == "M"
        assert data["status"]["child_in_need"] is False  # as every viewer shows it
        assert result.review == ["status.child_in_need"]
    assert all("the page shows" in w for w in result.warnings if "(" in w and ")" in w), result.warnings

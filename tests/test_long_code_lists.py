"""A choice from a code list of hundreds (DfE's first languages) is one box, never hundreds of
tick boxes or a printed list: a dropdown on the fillable PDF, a line in Word, and a returned
form reads 'POL', 'Polish' or 'POL – Polish' as POL. The referral 1.1 takes its first language from
``schemas/codelists/language.yaml`` (1.0 kept in ``schemas/history``, so forms sent out with the
six summary codes keep reading)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from apforms import api, present
from apforms.formats import docx
from apforms.formats.docx.build import build_template
from apforms.formats.pdf import layout as lay
from apforms.formats.pdf.read import ingest_pdf
from apforms.formats.pdf.writer import render_pdf
from apforms.model import codelists, definitions, records, types
from apforms.resources import schemas_dir

from .conftest import example_data
from .layout_support import stem_for
from .pdf_support import poppler_text, squash

OLD = "      - {key: first_language, label: First language, type: choice, codelist: first_language}\n"
NEW = "      - {key: first_language, label: First language, type: choice, codelist: language}\n"


@pytest.fixture
def switched() -> Path:
    """The referral 1.1 takes its first language from the full list; 1.0, with the six summary
    codes, is kept for the forms sent out with it."""
    root = schemas_dir()
    assert NEW in (root / "referral.yaml").read_text(encoding="utf-8")
    kept = (root / "history" / "referral" / "1.0.yaml").read_text(encoding="utf-8")
    assert OLD in kept and 'version: "1.0"' in kept
    return root


def _data(language: str) -> dict[str, Any]:
    referral = definitions.load_definition("referral")
    data = example_data("referral")
    data["pupil"]["first_language"] = language
    return records.canonical(referral, data)


def test_the_full_list_keeps_the_summary_codes() -> None:
    cl = codelists.load_codelist("language")
    labels = cl.labels()
    assert len(labels) > 300
    assert {"ENG", "ENB", "OTH", "OTB", "NOT", "REF"} == {c.code for c in cl.codes if c.meta}
    assert codelists.load_codelist("first_language").labels().items() <= labels.items()
    assert (labels["POL"], labels["PNJ"], labels["URD"], labels["ARA"], labels["AMR"]) == (
        "Polish",
        "Panjabi",
        "Urdu",
        "Arabic",
        "Amharic",
    )
    assert cl.hint and len(labels) > types.MAX_LISTED


def test_a_long_list_is_one_dropdown_and_its_options_are_not_printed(switched: Path, tmp_path: Path) -> None:
    referral = definitions.load_definition("referral")
    f = referral.field_at("pupil.first_language")
    assert not present.lists_options(f) and present.lists_options(referral.field_at("pupil.ethnicity"))
    layout = lay.layout(referral, None)
    combo = layout.by_name["pupil.first_language"]
    assert combo.kind == lay.COMBO and len(combo.options) == len(f.options)
    assert not any(n.startswith("pupil.first_language.") for n in layout.by_name)  # no box per option
    blank = render_pdf(referral, records.canonical(referral, {}))
    text = squash(poppler_text(blank, tmp_path))
    assert squash("e.g. Polish or POL") in text and "Acholi" not in text
    assert squash("BAFR – Black - African") in text  # ethnicity's 20 options are still listed
    # the hint takes two lines, not pages: the pupil's details still fit on the first page
    assert {
        layout.by_name[p].widgets[0].page for p in ("pupil.first_language", "pupil.date_of_referral")
    } == {0}


@pytest.mark.parametrize("flatten", [False, True], ids=["filled", "flattened"])
def test_a_returned_pdf_reads_the_language_back(switched: Path, flatten: bool) -> None:
    referral = definitions.load_definition("referral")
    data = _data("Polish")
    assert data["pupil"]["first_language"] == "POL"
    result = ingest_pdf(render_pdf(referral, data, flatten=flatten), "returned.pdf")
    assert result.ok, [str(p) for p in result.validation.problems]
    assert result.record["version"] == "1.1" and result.record["data"] == data


def test_forms_sent_out_with_the_six_codes_keep_reading(switched: Path) -> None:
    stem = stem_for(4, "referral", "1.0")
    assert stem is not None
    for kind in ("filled", "flat", "printed"):
        result = ingest_pdf(stem.pdf(kind).read_bytes(), f"referral-{kind}.pdf")
        assert result.ok, result.validation.problems
        assert result.record["version"] == "1.0" and result.record["data"] == stem.record()["data"]


@pytest.mark.parametrize("typed", ["Polish", "POL", "polish", "POL – Polish"])
def test_a_word_return_reads_the_language_typed_as_code_or_name(
    switched: Path, tmp_path: Path, typed: str
) -> None:
    referral = definitions.load_definition("referral")
    template = tmp_path / "referral.docx"
    template.write_bytes(build_template(referral))
    rendered = docx.render(referral, _data("URD"), template=template)
    with zipfile.ZipFile(io.BytesIO(rendered)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    assert xml.count("URD – Urdu") == 1 and "Acholi" not in xml
    parts["word/document.xml"] = re.sub("URD – Urdu", typed, xml).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    result = api.ingest_bytes(out.getvalue(), "returned.docx")
    assert result.ok, [str(p) for p in result.validation.problems]
    assert result.record["data"]["pupil"]["first_language"] == "POL"

"""Returns filled or drawn again by other software, then flattened or printed (issue 12,
item 2): every value read back exactly or named in a warning — never silently wrong — and an
empty print recognised as one.

The example record (in Latin-1 letters, which every filler can encode) is rendered, its every
field set again by pdf-lib or pdftk (each drawing its own appearances) and flattened by the
same tool, or printed to PDF by ghostscript. ``ingest`` must give each value exactly, or name
its field in a warning (and then exit 1: the record needs review). One document per tool
runs here (each tool on a different document).
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main
from apforms.formats.pdf.layout import CHECK, RADIO, layout_for
from apforms.formats.pdf.read import ingest_pdf
from apforms.formats.pdf.values import form_values
from apforms.formats.pdf.writer import render_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .pdf_support import need, run_tool

JS = Path(__file__).parent / "js"


def _latin(x: Any) -> Any:
    """Text without what Latin-1 cannot hold (accents kept where it can)."""
    if isinstance(x, str):
        kept = "".join(c for c in unicodedata.normalize("NFKD", x) if not unicodedata.combining(c))
        return unicodedata.normalize("NFC", kept.encode("latin-1", "ignore").decode("latin-1")) or "x"
    if isinstance(x, dict):
        return {k: _latin(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_latin(v) for v in x]
    return x


def _leaves(x: Any, p: tuple[Any, ...] = ()) -> Any:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaves(v, (*p, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _leaves(v, (*p, i))
    elif x not in (None, False, "", []):
        yield p, x


def _at(x: Any, p: tuple[Any, ...]) -> Any:
    for k in p:
        try:
            x = x[k]
        except (KeyError, IndexError, TypeError):
            return None
    return x


def _values(doc: str, data: dict[str, Any]) -> dict[str, Any]:
    """Every field's value as a filler takes it: text, a tick, a radio button's state."""
    lay = layout_for(load_definition(doc), data)
    values = form_values(lay, data)
    out: dict[str, Any] = {}
    for f in lay.fields:
        if f.name in values:
            v = values[f.name]
            out[f.name] = (
                bool(v)
                if f.kind == CHECK
                else (v if isinstance(v, str) else None)
                if f.kind == RADIO
                else str(v or "")
            )
    return out


def _pdflib_flatten(pdf: bytes, values: dict[str, Any], tmp: Path) -> bytes:
    node = need("node")
    if not (JS / "node_modules" / "pdf-lib").is_dir():
        pytest.skip("tests/js/node_modules is missing (.ci/run installs it with npm ci)")
    (tmp / "in.pdf").write_bytes(pdf)
    (tmp / "v.json").write_text(json.dumps(values), encoding="utf-8")
    args = [
        node,
        str(JS / "fill.mjs"),
        "pdflib-flatten",
        str(tmp / "in.pdf"),
        str(tmp / "v.json"),
        str(tmp / "out.pdf"),
    ]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    return (tmp / "out.pdf").read_bytes()


def _pdftk_flatten(pdf: bytes, values: dict[str, Any], tmp: Path) -> bytes:
    need("pdftk")

    def s(v: str) -> str:
        return "(" + v.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\n", "\r") + ")"

    fields = [
        f"<< /T {s(n)} /V {'/Yes' if v is True else '/Off' if v is False else s(v)} >>"
        for n, v in values.items()
        if v is not None
    ]
    fdf = (
        "%FDF-1.2\n1 0 obj << /FDF << /Fields ["
        + " ".join(fields)
        + "] >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"
    )
    (tmp / "v.fdf").write_bytes(fdf.encode("latin-1"))
    return run_tool(["pdftk", "IN", "fill_form", str(tmp / "v.fdf"), "output", "OUT", "flatten"], tmp, pdf)


def _gs(pdf: bytes, values: dict[str, Any], tmp: Path, *options: str) -> bytes:
    """Printed to PDF by ghostscript (``-dPrinted``: as a printer sees the page)."""
    gs = need("gs")
    (tmp / "in.pdf").write_bytes(pdf)
    args = [gs, "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", *(options or ("-dPrinted",))]
    subprocess.run([*args, f"-sOutputFile={tmp / 'out.pdf'}", str(tmp / "in.pdf")], check=True, timeout=120)
    return (tmp / "out.pdf").read_bytes()


def _libreoffice(pdf: bytes, values: dict[str, Any], tmp: Path) -> bytes:
    """Opened in LibreOffice Draw (its PDF import) and exported to PDF again: every text
    object redrawn in LibreOffice's own text frames."""
    soffice = need("soffice")
    (tmp / "in.pdf").write_bytes(pdf)
    args = [soffice, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless"]
    args += [
        "--infilter=draw_pdf_import",
        "--convert-to",
        "pdf:draw_pdf_Export",
        "--outdir",
        str(tmp / "out"),
    ]
    done = subprocess.run([*args, str(tmp / "in.pdf")], capture_output=True, timeout=240)
    out = tmp / "out" / "in.pdf"
    if not out.exists():
        pytest.skip(f"LibreOffice Draw's PDF import is not installed ({done.stderr.decode()[-80:]})")
    return out.read_bytes()


TOOLS: dict[str, tuple[str, Callable[[bytes, dict[str, Any], Path], bytes]]] = {
    "pdf-lib fill + flatten": ("referral", _pdflib_flatten),
    "pdftk fill_form flatten": ("sla", _pdftk_flatten),
    "ghostscript pdfwrite (printed)": ("qa", _gs),
    "LibreOffice Draw (imported, exported)": ("commissioning", _libreoffice),
}


@pytest.mark.parametrize("tool", list(TOOLS))
def test_flattened_or_printed_elsewhere_is_exact_or_flagged(tool: str, tmp_path: Path) -> None:
    doc, make = TOOLS[tool]
    definition = load_definition(doc)
    data = records.canonical(definition, _latin(api.example(doc)["data"]))
    assert records.validate(definition, data).ok
    returned = make(render_pdf(definition, data), _values(doc, data), tmp_path)
    result = ingest_pdf(returned, "returned.pdf")
    assert result.method == "flattened"
    named = " ".join(result.warnings)
    exact, silent = 0, []
    for path, value in _leaves(data):
        if _at(result.record["data"], path) == value:
            exact += 1
            continue
        key = ".".join(str(k + 1) if isinstance(k, int) else k for k in path)
        item_of = re.sub(r"\.\d+$", "", key)  # a list's item: the list is named
        if f"({key})" not in named and f"({item_of})" not in named:
            silent.append((key, value, _at(result.record["data"], path)))
    total = len(list(_leaves(data)))
    assert silent == [], f"{tool}: silently wrong: {silent[:5]}"
    assert exact / total >= 0.98, f"{tool}: {exact} of {total} exact"
    if exact < total:
        assert result.review, "a value that is not exact must be named for review"


def test_a_print_without_its_values_is_recognised(tmp_path: Path) -> None:
    """ghostscript with annotations off prints the form without the values typed into it."""
    definition = load_definition("referral")
    pdf = render_pdf(definition, records.canonical(definition, api.example("referral")["data"]))
    printed = _gs(pdf, {}, tmp_path, "-dShowAnnots=false")
    (tmp_path / "printed.pdf").write_bytes(printed)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "printed.pdf")])
    assert result.exit_code == 1
    assert (
        "no values were found on the pages: if the form was filled in, its values were not printed"
        in result.output
    )


def test_a_value_named_in_a_warning_exits_1_for_review(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    pdf = render_pdf(
        load_definition("sla"), records.canonical(load_definition("sla"), api.example("sla")["data"])
    )
    writer = PdfWriter(clone_from=PdfReader(__import__("io").BytesIO(pdf)))
    cleared = {n: "" for n in writer.get_fields() or {} if n.startswith("terms.school_obligations")}
    for page in writer.pages:
        writer.update_page_form_field_values(page, cleared, auto_regenerate=False)
    writer.write(tmp_path / "cleared.pdf")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "cleared.pdf")])
    assert result.exit_code == 1
    assert "needs review: check 1 field(s) named above" in result.output
    assert (tmp_path / "cleared.json").is_file()


# --------------------------------------------------------------------------- found by fuzzing


def _silent(data: dict[str, Any], result: Any) -> list[tuple[str, Any, Any]]:
    """Values read differently from ``data`` that no warning names."""
    named = " ".join(result.warnings)
    out = []
    for path, value in _leaves(data):
        got = _at(result.record["data"], path)
        key = ".".join(str(k + 1) if isinstance(k, int) else k for k in path)
        item_of = re.sub(r"[.]\d+$", "", key)
        if got != value and f"({key})" not in named and f"({item_of})" not in named:
            out.append((key, value, got))
    for path, value in _leaves(result.record["data"]):  # read where nothing was written
        key = ".".join(str(k + 1) if isinstance(k, int) else k for k in path)
        if _at(data, path) in (None, False, "") and f"({key})" not in named:
            out.append((key, None, value))
    return out


@pytest.mark.parametrize(
    "text",
    ["P ďwň report", "fứw and more", "ok T ďcPOč safe", "Hı the (KS3)", "~‐ and ‹юял> ok", "{êRićêâı>"],
)
def test_a_reprint_reads_split_words_as_written(text: str, tmp_path: Path) -> None:
    """pdftocairo splits a word where an accent's box reaches over the next letter, or beside
    a glyph with wide side bearings: overlapping runs gave the shared letters twice ('ďwďwň'),
    and runs an ink gap apart a space that is not there ('H ı')."""
    definition = load_definition("sla")
    data = records.canonical(definition, api.example("sla")["data"])
    data["terms"]["emergency_review_clause"] = text
    data["school"]["contact_name"] = text
    printed = run_tool(["pdftocairo", "-pdf", "IN", "OUT"], tmp_path, render_pdf(definition, data))
    result = ingest_pdf(printed, "printed.pdf")
    assert result.record["data"]["terms"]["emergency_review_clause"] == text
    assert result.record["data"]["school"]["contact_name"] == text
    assert _silent(data, result) == []


def test_text_the_layer_misplaces_is_flagged_where_it_lands(tmp_path: Path) -> None:
    """In a qpdf-flattened copy, PDFium puts the /ActualText of a line (combining marks,
    drawn inside a form XObject) at the XObject's own coordinates: here over standard 3e's
    empty rating. What lands in a box that nothing is drawn in must not pass as a value."""
    need("qpdf")
    # the record's lines fall over standard 3e in the geometry of version 1.0, which it was made with
    definition = load_definition("qa", "1.0")
    record = json.loads(
        (Path(__file__).parent / "fixtures" / "returns" / "qa-actualtext-evidence.json").read_text()
    )
    data = records.canonical(definition, record)
    assert "rating" not in data["admissions"]["s3e"]
    flat = run_tool(
        ["qpdf", "--flatten-annotations=all", "IN", "OUT"], tmp_path, render_pdf(definition, data)
    )
    result = ingest_pdf(flat, "flattened.pdf")
    assert _silent(data, result) == []
    assert "admissions.s3e.rating" in result.review


def test_an_arabic_letter_with_a_haraka_reads_back_or_is_flagged(tmp_path: Path) -> None:
    """In a right-to-left run HarfBuzz gives a haraka's glyph before its letter's joined form;
    the letter was left out of the text map (PDFium then read the glyph number, 'f' for
    beh.init), and the flattened copy came back 'خfَ' for 'بَخ' with no warning."""
    definition = load_definition("referral")
    data = records.canonical(definition, api.example("referral")["data"])
    data["grades"]["english"]["specification"] = "بَخ"
    data["other_info"]["pupil_views"] = "كَتَبَ الولد"
    flat = render_pdf(definition, data, flatten=True)
    from .pdf_support import pdfium_text

    text = pdfium_text(flat)
    assert "fَ" not in text and "ب" in text  # the letter's own character, not its glyph number
    result = ingest_pdf(flat, "flat.pdf")
    assert _silent(data, result) == []
    filled = ingest_pdf(render_pdf(definition, data), "filled.pdf")
    assert filled.record["data"] == data


def test_glyphs_whose_ink_stands_apart_keep_no_space_on_a_shaped_page(tmp_path: Path) -> None:
    """On a page with shaped text (Hebrew in another box) a reprint is read glyph by glyph;
    '.' and '!' stand 2.3 pt apart in ink with no space between them (the pen moved on by the
    full stop's width), and were read as '. !'."""
    definition = load_definition("referral")
    data = records.canonical(definition, api.example("referral")["data"])
    data["school_contacts"]["attendance"]["position"] = ".!"
    data["school_contacts"]["senco"]["name"] = "ךעץ"
    printed = run_tool(["pdftocairo", "-pdf", "IN", "OUT"], tmp_path, render_pdf(definition, data))
    result = ingest_pdf(printed, "printed.pdf")
    assert result.record["data"]["school_contacts"]["attendance"]["position"] == ".!"
    assert _silent(data, result) == []


@pytest.mark.parametrize("doc", ["commissioning", "improvement-plan"])
def test_a_copy_mupdf_rewrote_reads_back_exactly(doc: str, tmp_path: Path) -> None:
    """``mutool convert`` writes every page and font again and rebuilds the text maps from
    the font programs: the embedded subsets carry a cmap of the characters they draw, so the
    copy reads back exactly, Č, Ș and Cyrillic included (before, it was refused: no text map)."""
    need("mutool")
    definition = load_definition(doc)
    data = records.canonical(definition, api.example(doc)["data"])
    copy = run_tool(["mutool", "convert", "-o", "OUT", "IN"], tmp_path, render_pdf(definition, data))
    result = ingest_pdf(copy, "rewritten.pdf")
    assert result.method == "flattened"  # MuPDF drops the form fields
    assert result.record["data"] == data
    assert result.review == []


def test_shaped_text_mupdf_cannot_map_is_flagged_not_guessed(tmp_path: Path) -> None:
    need("mutool")
    definition = load_definition("referral")
    data = api.example("referral")["data"]
    data["pupil"]["legal_name"] = "محمد العربي"
    data["parents"]["first"]["name"] = "प्रिया शर्मा"
    data = records.canonical(definition, data)
    pdf = render_pdf(definition, data, flatten=True)
    result = ingest_pdf(run_tool(["mutool", "convert", "-o", "OUT", "IN"], tmp_path, pdf), "rewritten.pdf")
    assert _silent(data, result) == []
    assert {"pupil.legal_name", "parents.first.name"} <= set(result.review)


def test_libreoffice_moving_a_neighbours_text_into_a_box_is_flagged(tmp_path: Path) -> None:
    """LibreOffice Draw joins text on one baseline into one frame and sets it again with one
    space between: in the QA improvement plan, a 'Who by?' name then starts inside the 'By
    when?' box before it. Both boxes are named (a word across a box's edge), never read
    silently, and the rest is exact."""
    definition = load_definition("qa")
    data = records.canonical(definition, api.example("qa")["data"])
    result = ingest_pdf(_libreoffice(render_pdf(definition, data, flatten=True), {}, tmp_path), "qa.pdf")
    named = " ".join([*result.warnings, *map(str, result.validation.problems)])
    named = re.sub(r"\[(\d+)\]", lambda m: f".{int(m.group(1)) + 1}", named)
    got = records.canonical(definition, result.record["data"])
    wrong = [p for p, v in _leaves(data) if _at(got, p) != v]
    keys = [".".join(str(k + 1) if isinstance(k, int) else k for k in p) for p in wrong]
    assert [k for k in keys if f"({k})" not in named] == []
    assert len(wrong) <= 6, keys
    assert "a word runs across the edge of the box" in named

"""apforms forms filled by other people's software: every value visible and read back exactly.

The blank referral, and one pre-filled from the example record (where a box is unticked, a
choice changed and a dropdown changed), are filled, as a school would, by pdftk (FDF and
XFDF, with and without ``need_appearances``), pypdf (``auto_regenerate`` both ways),
PyPDFForm, pdf.js (saved as Firefox saves a filled form), pdf-lib and PDFium's form filling
(as Chrome's viewer types, clicks and saves). After each: the values show in poppler, MuPDF
and PDFium, and ``ingest`` gives back exactly the record that was typed.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apforms import api
from apforms.formats.pdf.read import ingest_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .pdf_support import need, pdfium_text, poppler_text, squash

JS = Path(__file__).parent / "js"

#: What a school types into the blank referral (names in WinAnsi, which every filler can encode).
TYPED: dict[str, str | bool] = {
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


# --------------------------------------------------------------------------- fillers


def _pdftk(kind: str, need_appearances: bool) -> Callable[[bytes, Path], bytes]:
    def fill(blank: bytes, tmp: Path) -> bytes:
        need("pdftk")
        src, data, out = tmp / "blank.pdf", tmp / f"values.{kind}", tmp / "out.pdf"
        src.write_bytes(blank)
        data.write_bytes(_fdf(TYPED) if kind == "fdf" else _xfdf(TYPED))
        args = ["pdftk", str(src), "fill_form", str(data), "output", str(out)]
        subprocess.run(args + (["need_appearances"] if need_appearances else []), check=True, timeout=120)
        return out.read_bytes()

    return fill


def _fdf(values: dict[str, str | bool]) -> bytes:
    def text(v: str) -> bytes:
        return b"<FEFF" + v.encode("utf-16-be").hex().upper().encode() + b">"

    fields = []
    for name, value in values.items():
        v = (b"/Yes" if value else b"/Off") if isinstance(value, bool) else _fdf_value(name, value, text)
        fields.append(b"<< /T " + text(name) + b" /V " + v + b" >>")
    return (
        b"%FDF-1.2\n1 0 obj << /FDF << /Fields ["
        + b" ".join(fields)
        + b"] >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _fdf_value(name: str, value: str, text: Callable[[str], bytes]) -> bytes:
    if name in ("pupil.gender", "status.fsm"):
        return b"/" + value.encode()  # a radio button's state name
    return text(value)


def _xfdf(values: dict[str, str | bool]) -> bytes:
    from xml.sax.saxutils import escape

    def text(v: str | bool) -> str:
        return "Yes" if v is True else "Off" if v is False else escape(v)

    body = "".join(f'<field name="{escape(n)}"><value>{text(v)}</value></field>' for n, v in values.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>'
        f"{body}</fields></xfdf>"
    ).encode()


def _pypdf(auto_regenerate: bool) -> Callable[[bytes, Path], bytes]:
    def fill(blank: bytes, tmp: Path) -> bytes:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
        values = {n: ("/Yes" if v else "/Off") if isinstance(v, bool) else v for n, v in TYPED.items()}
        values = {n: (f"/{v}" if n in ("pupil.gender", "status.fsm") else v) for n, v in values.items()}
        for page in writer.pages:
            writer.update_page_form_field_values(page, values, auto_regenerate=auto_regenerate)
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    return fill


def _pypdfform(blank: bytes, tmp: Path) -> bytes:
    """PyPDFForm takes radio buttons and dropdowns by the option's position. It is used as its
    documentation says for viewers that ignore NeedAppearances (generate_appearance_streams):
    by default it leaves drawing to the viewer, and MuPDF then shows the old, empty boxes."""
    form = pytest.importorskip("PyPDFForm")
    definition = load_definition("referral")
    values: dict[str, Any] = {}
    for name, value in TYPED.items():
        if name in ("pupil.gender", "pupil.ethnicity"):
            options = [o.value for o in definition.field_at(name).options]
            values[name] = options.index(str(value))
        elif name == "status.fsm":
            values[name] = 0 if value == "Yes" else 1
        else:
            values[name] = value
    wrapper = form.PdfWrapper(io.BytesIO(blank), use_full_widget_name=True, generate_appearance_streams=True)
    filled = wrapper.fill(values)
    return bytes(filled.read())


def _pdfium(blank: bytes, tmp: Path) -> bytes:
    """Filled as Chrome's PDF viewer fills a form, through PDFium's form-fill environment:
    focus a text field, select its text and type over it (a line break is typed as CR, as the
    Enter key gives), click a tick box or a radio button, choose a dropdown option by its
    index, leave the field; then save (``FPDF_SaveAsCopy``)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    options = {
        name: [o.value for o in load_definition("referral").field_at(name).options]
        for name in ("pupil.ethnicity",)
    }

    def text_of(fn: Any, form: Any, annot: Any) -> str:
        n = fn(form, annot, None, 0)
        buf = ctypes.create_string_buffer(n)
        fn(form, annot, ctypes.cast(buf, ctypes.POINTER(raw.FPDF_WCHAR)), n)
        return buf.raw[: max(0, n - 2)].decode("utf-16-le")

    pdf = pdfium.PdfDocument(blank)
    pdf.init_forms()
    assert pdf.formenv is not None
    form = pdf.formenv.raw
    for i in range(len(pdf)):
        held = pdf[i]  # the page stays open while its handle is used
        page = held.raw
        raw.FORM_OnAfterLoadPage(page, form)
        for k in range(raw.FPDFPage_GetAnnotCount(page)):
            annot = raw.FPDFPage_GetAnnot(page, k)
            name = text_of(raw.FPDFAnnot_GetFormFieldName, form, annot)
            value = TYPED.get(name)
            kind = raw.FPDFAnnot_GetFormFieldType(form, annot)
            rect = raw.FS_RECTF()
            raw.FPDFAnnot_GetRect(annot, rect)
            x, y = (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2
            if value is None:
                pass
            elif kind == raw.FPDF_FORMFIELD_TEXTFIELD:
                raw.FORM_SetFocusedAnnot(form, annot)
                raw.FORM_SelectAllText(form, page)
                typed = ctypes.create_string_buffer(
                    (str(value).replace("\n", "\r") + "\0").encode("utf-16-le")
                )
                raw.FORM_ReplaceSelection(form, page, ctypes.cast(typed, raw.FPDF_WIDESTRING))
            elif kind in (raw.FPDF_FORMFIELD_CHECKBOX, raw.FPDF_FORMFIELD_RADIOBUTTON):
                state = text_of(raw.FPDFAnnot_GetFormFieldExportValue, form, annot)
                ticked = bool(raw.FPDFAnnot_IsChecked(form, annot))
                wanted = value if isinstance(value, bool) else state == value
                if wanted != ticked and (wanted or kind == raw.FPDF_FORMFIELD_CHECKBOX):
                    raw.FORM_OnMouseMove(form, page, 0, x, y)
                    raw.FORM_OnLButtonDown(form, page, 0, x, y)
                    raw.FORM_OnLButtonUp(form, page, 0, x, y)
            elif kind == raw.FPDF_FORMFIELD_COMBOBOX:
                raw.FORM_SetFocusedAnnot(form, annot)
                raw.FORM_SetIndexSelected(form, page, options[name].index(str(value)), True)
            raw.FORM_ForceToKillFocus(form)  # leaving the field commits it
            raw.FPDFPage_CloseAnnot(annot)
        raw.FORM_OnBeforeClosePage(page, form)
        held.close()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _node(tool: str) -> Callable[[bytes, Path], bytes]:
    def fill(blank: bytes, tmp: Path) -> bytes:
        node = need("node")
        if not (JS / "node_modules" / "pdf-lib").is_dir():
            pytest.skip("tests/js/node_modules is missing (.ci/run installs it with npm ci)")
        src, data, out = tmp / "blank.pdf", tmp / "values.json", tmp / "out.pdf"
        src.write_bytes(blank)
        data.write_text(json.dumps(TYPED), encoding="utf-8")
        subprocess.run(
            [node, str(JS / "fill.mjs"), tool, str(src), str(data), str(out)], check=True, timeout=120
        )
        return out.read_bytes()

    return fill


FILLERS: dict[str, Callable[[bytes, Path], bytes]] = {
    "pdftk-fdf": _pdftk("fdf", need_appearances=False),
    "pdftk-fdf-need-appearances": _pdftk("fdf", need_appearances=True),
    "pdftk-xfdf": _pdftk("xfdf", need_appearances=False),
    "pypdf-regenerate": _pypdf(auto_regenerate=True),
    "pypdf": _pypdf(auto_regenerate=False),
    "PyPDFForm": _pypdfform,
    "pdfjs": _node("pdfjs"),
    "pdf-lib": _node("pdflib"),
    "PDFium (as Chrome fills)": _pdfium,
}


Filled = tuple[str, bytes, dict[str, Any]]


@pytest.fixture(params=[(f, form) for f in sorted(FILLERS) for form in ("blank", "prefilled")], ids=str)
def filled(request: pytest.FixtureRequest, tmp_path: Path) -> Filled:
    name, form = request.param
    start, expected = _start(form)
    return f"{name} ({form})", FILLERS[name](start, tmp_path), expected


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

"""Other people's software filling an apforms PDF form, as a school would: pdftk (FDF and
XFDF), pypdf, PyPDFForm, pdf.js (saved as Firefox saves), pdf-lib and PDFium's form filling
(as Chrome's viewer types, clicks and saves). Used by the filler tests (the referral) and by
``benchmarks/fillers.py`` (every document, every field).

A filler takes the form, a work folder and :class:`Values`: what to type, by full field name
(text as typed, ``True``/``False`` for a tick box, a radio button's state name, a dropdown's
option value, ``None`` to clear a choice), with the kinds of the fields it names.
"""

from __future__ import annotations

import ctypes
import io
import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from apforms.formats.pdf.geometry import CHECK, COMBO, RADIO, SIGNATURE
from apforms.formats.pdf.read import LAYOUTS
from apforms.formats.pdf.read_fields import read_acroform
from apforms.formats.pdf.values import form_values
from apforms.model.definitions import load_definition

from .pdf_support import need

JS = Path(__file__).parent / "js"

Typed = dict[str, str | bool | None]


@dataclass
class Values:
    """What is typed into a form, with the kinds of the fields: radio states and dropdown
    options in the form's order (PyPDFForm and PDFium choose by position)."""

    typed: Typed
    radios: dict[str, list[str]] = field(default_factory=dict)
    combos: dict[str, list[str]] = field(default_factory=dict)


def values_for(doc: str, form: bytes, typed: Typed) -> Values:
    """``typed`` with the kinds of its fields, read from the form itself."""
    definition = load_definition(doc)
    with pikepdf.open(io.BytesIO(form)) as pdf:
        names = read_acroform(pdf).fields
    layout = LAYOUTS[4].names_layout(definition, names)
    by_name = layout.by_name
    radios = {n: list(by_name[n].states) for n in typed if by_name[n].kind == RADIO}
    combos = {n: [o.value for o in by_name[n].options] for n in typed if by_name[n].kind == COMBO}
    return Values(typed, radios, combos)


def every_value(doc: str, form: bytes, data: Mapping[str, Any]) -> Values:
    """Every field of ``form`` as a person would type canonical ``data`` into it (empty
    fields left out; a multiple choice's boxes each ticked or not)."""
    definition = load_definition(doc)
    with pikepdf.open(io.BytesIO(form)) as pdf:
        names = read_acroform(pdf).fields
    layout = LAYOUTS[4].names_layout(definition, names)
    typed: Typed = {}
    for name, value in form_values(layout, data).items():
        f = layout.by_name[name]
        if f.kind == SIGNATURE or name not in names:
            continue
        if value is None and f.kind != CHECK:
            continue
        typed[name] = bool(value) if f.kind == CHECK else value
    return values_for(doc, form, typed)


# --------------------------------------------------------------------------- the fillers


def pdftk(kind: str, need_appearances: bool) -> Callable[[bytes, Path, Values], bytes]:
    def fill(blank: bytes, tmp: Path, values: Values) -> bytes:
        need("pdftk")
        src, data, out = tmp / "blank.pdf", tmp / f"values.{kind}", tmp / "out.pdf"
        src.write_bytes(blank)
        data.write_bytes(fdf(values) if kind == "fdf" else xfdf(values))
        args = ["pdftk", str(src), "fill_form", str(data), "output", str(out)]
        extra = ["need_appearances"] if need_appearances else []
        subprocess.run(args + extra, check=True, timeout=120, capture_output=True)
        return out.read_bytes()

    return fill


def fdf_text(v: str) -> bytes:
    return b"<FEFF" + v.encode("utf-16-be").hex().upper().encode() + b">"


def fdf(values: Values) -> bytes:
    fields = []
    for name, value in values.typed.items():
        if isinstance(value, bool):
            v = b"/Yes" if value else b"/Off"
        elif value is None:
            v = b"/Off"
        elif name in values.radios:
            v = b"/" + value.encode()  # a radio button's state name
        else:
            v = fdf_text(value)
        fields.append(b"<< /T " + fdf_text(name) + b" /V " + v + b" >>")
    return (
        b"%FDF-1.2\n1 0 obj << /FDF << /Fields ["
        + b" ".join(fields)
        + b"] >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def xfdf(values: Values) -> bytes:
    from xml.sax.saxutils import escape

    def text(v: str | bool | None) -> str:
        return "Yes" if v is True else "Off" if v is False or v is None else escape(v)

    body = "".join(
        f'<field name="{escape(n)}"><value>{text(v)}</value></field>' for n, v in values.typed.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>'
        f"{body}</fields></xfdf>"
    ).encode()


def pypdf(auto_regenerate: bool) -> Callable[[bytes, Path, Values], bytes]:
    def fill(blank: bytes, tmp: Path, values: Values) -> bytes:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank)))
        typed: dict[str, Any] = {}
        for n, v in values.typed.items():
            if isinstance(v, bool) or v is None:
                typed[n] = "/Yes" if v else "/Off"
            else:
                typed[n] = f"/{v}" if n in values.radios else v
        for page in writer.pages:
            writer.update_page_form_field_values(page, typed, auto_regenerate=auto_regenerate)
        buf = io.BytesIO()
        writer.write(buf)
        return buf.getvalue()

    return fill


def pypdfform(blank: bytes, tmp: Path, values: Values) -> bytes:
    """PyPDFForm takes radio buttons and dropdowns by the option's position. It is used as its
    documentation says for viewers that ignore NeedAppearances (generate_appearance_streams):
    by default it leaves drawing to the viewer, and MuPDF then shows the old, empty boxes."""
    form = pytest.importorskip("PyPDFForm")
    typed: dict[str, Any] = {}
    for name, value in values.typed.items():
        if name in values.radios:
            if value is not None:
                typed[name] = values.radios[name].index(str(value))
        elif name in values.combos:
            typed[name] = values.combos[name].index(str(value))
        else:
            typed[name] = value
    wrapper = form.PdfWrapper(io.BytesIO(blank), use_full_widget_name=True, generate_appearance_streams=True)
    filled = wrapper.fill(typed)
    return bytes(filled.read())


def pdfium(blank: bytes, tmp: Path, values: Values) -> bytes:
    """Filled as Chrome's PDF viewer fills a form, through PDFium's form-fill environment:
    focus a text field, select its text and type over it (a line break is typed as CR, as the
    Enter key gives), click a tick box or a radio button, choose a dropdown option by its
    index, leave the field; then save (``FPDF_SaveAsCopy``)."""
    import pypdfium2 as pdfium_
    import pypdfium2.raw as raw

    def text_of(fn: Any, form: Any, annot: Any) -> str:
        n = fn(form, annot, None, 0)
        buf = ctypes.create_string_buffer(n)
        fn(form, annot, ctypes.cast(buf, ctypes.POINTER(raw.FPDF_WCHAR)), n)
        return buf.raw[: max(0, n - 2)].decode("utf-16-le")

    pdf = pdfium_.PdfDocument(blank)
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
            kind = raw.FPDFAnnot_GetFormFieldType(form, annot)
            rect = raw.FS_RECTF()
            raw.FPDFAnnot_GetRect(annot, rect)
            x, y = (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2
            if name not in values.typed:
                pass
            elif kind == raw.FPDF_FORMFIELD_TEXTFIELD:
                raw.FORM_SetFocusedAnnot(form, annot)
                raw.FORM_SelectAllText(form, page)
                value = str(values.typed[name] or "")
                typed = ctypes.create_string_buffer((value.replace("\n", "\r") + "\0").encode("utf-16-le"))
                raw.FORM_ReplaceSelection(form, page, ctypes.cast(typed, raw.FPDF_WIDESTRING))
            elif kind in (raw.FPDF_FORMFIELD_CHECKBOX, raw.FPDF_FORMFIELD_RADIOBUTTON):
                value = values.typed[name]
                state = text_of(raw.FPDFAnnot_GetFormFieldExportValue, form, annot)
                ticked = bool(raw.FPDFAnnot_IsChecked(form, annot))
                wanted = value if isinstance(value, bool) else state == value
                if wanted != ticked and (wanted or kind == raw.FPDF_FORMFIELD_CHECKBOX):
                    raw.FORM_OnMouseMove(form, page, 0, x, y)
                    raw.FORM_OnLButtonDown(form, page, 0, x, y)
                    raw.FORM_OnLButtonUp(form, page, 0, x, y)
            elif kind == raw.FPDF_FORMFIELD_COMBOBOX:
                raw.FORM_SetFocusedAnnot(form, annot)
                index = values.combos[name].index(str(values.typed[name]))
                raw.FORM_SetIndexSelected(form, page, index, True)
            raw.FORM_ForceToKillFocus(form)  # leaving the field commits it
            raw.FPDFPage_CloseAnnot(annot)
        raw.FORM_OnBeforeClosePage(page, form)
        held.close()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def node(tool: str) -> Callable[[bytes, Path, Values], bytes]:
    def fill(blank: bytes, tmp: Path, values: Values) -> bytes:
        node_ = need("node")
        if not (JS / "node_modules" / "pdf-lib").is_dir():
            pytest.skip("tests/js/node_modules is missing (.ci/run installs it with npm ci)")
        src, data, out = tmp / "blank.pdf", tmp / "values.json", tmp / "out.pdf"
        src.write_bytes(blank)
        data.write_text(json.dumps(values.typed), encoding="utf-8")
        argv = [node_, str(JS / "fill.mjs"), tool, str(src), str(data), str(out)]
        done = subprocess.run(argv, timeout=120, capture_output=True, text=True)
        if done.returncode:
            lines = [line for line in done.stderr.splitlines() if line.startswith("Error")]
            raise RuntimeError(lines[0] if lines else done.stderr.strip()[-200:])
        return out.read_bytes()

    return fill


FILLERS: dict[str, Callable[[bytes, Path, Values], bytes]] = {
    "pdftk-fdf": pdftk("fdf", need_appearances=False),
    "pdftk-fdf-need-appearances": pdftk("fdf", need_appearances=True),
    "pdftk-xfdf": pdftk("xfdf", need_appearances=False),
    "pypdf-regenerate": pypdf(auto_regenerate=True),
    "pypdf": pypdf(auto_regenerate=False),
    "PyPDFForm": pypdfform,
    "pdfjs": node("pdfjs"),
    "pdf-lib": node("pdflib"),
    "PDFium (as Chrome fills)": pdfium,
}

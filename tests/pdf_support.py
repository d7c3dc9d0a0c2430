"""Helpers for the PDF tests: rendering examples, reading text with two real engines, and
flattening or re-printing with real tools."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest

from apforms.formats.pdf.writer import render_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .conftest import example_data

#: Names a Derby school sees, in the scripts the embedded font must cover.
UNICODE_NAMES = [
    "Łukasz Wójcik",
    "Ján Čonka",
    "Ștefan Ionescu",
    "Şükrü Yılmaz",
    "Nguyễn Thị Hoa",
    "Олександр Шевченко",
    "Γιώργος Παπαδόπουλος",
]


def canonical_example(doc: str) -> dict[str, Any]:
    definition = load_definition(doc)
    result = records.validate(definition, example_data(doc))
    assert result.ok, result.problems
    return result.data


def example_pdf(doc: str, flatten: bool = False) -> bytes:
    return render_pdf(load_definition(doc), canonical_example(doc), flatten=flatten)


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (.ci/run installs it with apt)")
    return path


def run_tool(args: list[str], tmp: Path, data: bytes, out_name: str = "out.pdf") -> bytes:
    """Run a command-line PDF tool on ``data``; ``IN`` and ``OUT`` in args are file paths."""
    src, out = tmp / "in.pdf", tmp / out_name
    src.write_bytes(data)
    argv = [str(src) if a == "IN" else str(out) if a == "OUT" else a for a in args]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    return out.read_bytes()


def qpdf_flatten(data: bytes, tmp: Path) -> bytes:
    need("qpdf")
    return run_tool(["qpdf", "--flatten-annotations=all", "IN", "OUT"], tmp, data)


def cairo_reprint(data: bytes, tmp: Path) -> bytes:
    """poppler's pdftocairo redraws every page, as printing to PDF does."""
    need("pdftocairo")
    return run_tool(["pdftocairo", "-pdf", "IN", "OUT"], tmp, data)


def pdfium_flatten(data: bytes) -> bytes:
    doc = pdfium.PdfDocument(data)
    try:
        doc.init_forms()
        for i in range(len(doc)):
            page = doc[i]
            assert pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT) != 0
            page.close()
        buf = io.BytesIO()
        doc.save(buf)
    finally:
        doc.close()
    return buf.getvalue()


def pdfium_text(data: bytes) -> str:
    """Text as PDFium shows it: pages flattened from their stored appearance streams first
    (PDFium's text layer does not include form fields otherwise)."""
    flat = pdfium.PdfDocument(pdfium_flatten(data))
    try:
        return "\n".join(flat[i].get_textpage().get_text_range() for i in range(len(flat)))
    finally:
        flat.close()


def poppler_text(data: bytes, tmp: Path, raw: bool = False) -> str:
    """The page text as poppler extracts it: in reading order, or (``raw``) in the order drawn."""
    need("pdftotext")
    args = ["pdftotext", "-enc", "UTF-8", *(["-raw"] if raw else []), "IN", "OUT"]
    return run_tool(args, tmp, data, "out.txt").decode("utf-8")


def squash(text: str) -> str:
    """Text with all white space removed, so wrapped lines compare with the value."""
    return re.sub(r"\s+", "", text)


def without_need_appearances(data: bytes) -> bytes:
    pdf = pikepdf.open(io.BytesIO(data))
    form = pdf.Root.get("/AcroForm")
    if form is not None and "/NeedAppearances" in form:
        del form["/NeedAppearances"]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def field_objects(data: bytes) -> dict[str, Any]:
    """Terminal fields by full name (pikepdf objects), the PDF kept open by the caller."""
    pdf = pikepdf.open(io.BytesIO(data))
    out: dict[str, Any] = {}
    for f in pikepdf.AcroForm(pdf).fields:
        out.setdefault(f.fully_qualified_name, []).append(f)
    out["__pdf__"] = pdf
    return out


def save(pdf: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def raw_pdf(objects: list[str], root: int = 1, extra_trailer: str = "") -> bytes:
    """A minimal PDF from object bodies (numbered from 1) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root {root} 0 R {extra_trailer}>>"
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)

"""PDF forms benchmark: apforms against pypdf, PyPDFForm and pdftk on the same referral form.

Three jobs, each run side by side in this one run:

* fill: pre-fill referral PDFs from records (apforms: validate + render; peers: fill the
  apforms blank form through their own form API);
* read: read the values of filled referrals back (apforms: the whole ingest, validation
  included; peers: their field-reading call);
* flattened: read referrals whose fields were flattened, by position (apforms: ingest;
  pdfplumber: the planned tool, words and drawings matched to the same boxes).

Every (job, tool) pair runs in its own process so that its peak RSS is its own. A fill is
also checked: do the pre-filled names (Polish, Slovak, Romanian, Turkish, Vietnamese,
Ukrainian, Greek, and eight that apforms shapes: Arabic, Urdu, Hebrew, Gurmukhi, Bengali,
Devanagari, Ethiopic, Chinese) show in the stored appearances? Missing peers print "not
installed".

    python benchmarks/pdf.py            # 1,000 documents per job (at most a minute per tool)
    python benchmarks/pdf.py -n 100     # quicker
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NAMES = [
    "Łukasz Wójcik",
    "Ján Čonka",
    "Ștefan Ionescu",
    "Şükrü Yılmaz",
    "Nguyễn Thị Hoa",
    "Олександр Шевченко",
    "Γιώργος Παπαδόπουλος",
    # shaped on the form (HarfBuzz, bidi, the Noto fonts): Arabic, Urdu, Hebrew, Gurmukhi,
    # Bengali, Devanagari, Ethiopic, Chinese
    "محمد العربي",
    "عائشہ خان",
    "שרה לוי כהן",
    "ਹਰਪ੍ਰੀਤ ਕੌਰ",
    "অনুপম রায়",
    "प्रिया शर्मा",
    "ሰላም ተስፋዬ",
    "王小明",
]
DISTINCT = 50  # distinct records; the jobs cycle through them
BUDGET = 60.0  # seconds per tool and job: slow peers stop early and are rated on what they did


# --------------------------------------------------------------------------- inputs


def records(count: int) -> list[dict[str, Any]]:
    """Canonical referral data, each with a different pupil name and details."""
    from apforms import api
    from apforms.model import records as rec
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    base = api.example("referral")["data"]
    out = []
    for i in range(count):
        data = copy.deepcopy(base)
        data["pupil"]["legal_name"] = f"{NAMES[i % len(NAMES)]} {chr(65 + i // 26)}{chr(65 + i % 26)}"
        data["parents"]["first"]["name"] = NAMES[(i + 3) % len(NAMES)]
        data["attendance"]["current_year"] = 50 + i % 50
        out.append(rec.validate(definition, data).data)
    return out


def prepare(folder: Path) -> None:
    """The blank form, and filled and flattened referrals to read back."""
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records as rec
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    (folder / "blank.pdf").write_bytes(render_pdf(definition, rec.canonical(definition, {})))
    for i, data in enumerate(records(DISTINCT)):
        (folder / f"filled-{i}.pdf").write_bytes(render_pdf(definition, data))
        (folder / f"flat-{i}.pdf").write_bytes(render_pdf(definition, data, flatten=True))
    (folder / "records.json").write_text(json.dumps(records(DISTINCT), ensure_ascii=False), encoding="utf-8")


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    """The form field values of a record, by full field name, as a peer fills them."""
    from apforms.formats.pdf.layout import layout_for
    from apforms.formats.pdf.values import form_values as values
    from apforms.model.definitions import load_definition

    layout = layout_for(load_definition("referral"), data)
    return {k: v for k, v in values(layout, data).items() if v not in (None, False)}


def names_shown(pdf: bytes, expected: str) -> bool:
    """Whether the stored appearances show ``expected`` (PDFium, pages flattened first)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(pdf)
    try:
        doc.init_forms()
        page = doc[0]
        pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT)
        page.close()
        buf = io.BytesIO()
        doc.save(buf)
    finally:
        doc.close()
    flat = pdfium.PdfDocument(buf.getvalue())
    try:
        text = "".join(flat[0].get_textpage().get_text_range().split())
    finally:
        flat.close()
    # word by word: PDFium's text extraction orders a right-to-left name beside Latin its own way
    return all(word in text for word in expected.split())


# --------------------------------------------------------------------------- fill


def fill_apforms(folder: Path, data: dict[str, Any]) -> bytes:
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records as rec
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    return render_pdf(definition, rec.canonical(definition, data))


def _peer_values(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in form_values(data).items():
        out[k] = "/Yes" if v is True else v
    return out


def fill_pypdf(folder: Path, data: dict[str, Any]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(folder / "blank.pdf"))
    values = _peer_values(data)
    for page in writer.pages:
        writer.update_page_form_field_values(page, values)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def fill_pypdfform(folder: Path, data: dict[str, Any]) -> bytes:
    from PyPDFForm import PdfWrapper

    values = {k: (True if v is True else v) for k, v in form_values(data).items()}
    wrapper = PdfWrapper(str(folder / "blank.pdf"), use_full_widget_name=True)
    return wrapper.fill(values, flatten=False).read()


def fill_pdftk(folder: Path, data: dict[str, Any]) -> bytes:
    from xml.sax.saxutils import escape

    fields = "".join(
        f'<field name="{escape(k)}"><value>{escape("Yes" if v is True else str(v))}</value></field>'
        for k, v in form_values(data).items()
    )
    xfdf = folder / "fill.xfdf"
    xfdf.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><xfdf xmlns="http://ns.adobe.com/xfdf/"><fields>{fields}</fields></xfdf>',
        encoding="utf-8",
    )
    out = subprocess.run(
        ["pdftk", str(folder / "blank.pdf"), "fill_form", str(xfdf), "output", "-"],
        capture_output=True,
        check=True,
    )
    return out.stdout


# --------------------------------------------------------------------------- read


def read_apforms(data: bytes) -> Any:
    from apforms.formats.pdf.read import ingest_pdf

    return ingest_pdf(data, "returned.pdf").record["data"]


def read_pypdf(data: bytes) -> Any:
    from pypdf import PdfReader

    return {k: f.get("/V") for k, f in (PdfReader(io.BytesIO(data)).get_fields() or {}).items()}


def read_pypdfform(data: bytes) -> Any:
    from PyPDFForm import PdfWrapper

    return PdfWrapper(data, use_full_widget_name=True).data


def read_pikepdf(data: bytes) -> Any:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {f.fully_qualified_name: f.value for f in pikepdf.AcroForm(pdf).fields}


def read_pdftk(data: bytes) -> Any:
    out = subprocess.run(["pdftk", "-", "dump_data_fields_utf8"], input=data, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def read_pdfplumber(data: bytes) -> Any:
    """pdfplumber by position: words and drawn marks matched to each field's box."""
    import pdfplumber

    from apforms.formats.pdf.layout import BOX, CHECK, PAGE_H, RADIO, layout
    from apforms.formats.pdf.protocol import identify_text, parse_grow
    from apforms.model.definitions import load_definition

    values: dict[str, Any] = {}
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        form = identify_text(pdf.pages[0].extract_text() or "")
        grow = parse_grow(pdf.metadata.get("ApformsGrow"))  # the boxes that grew (layout 2)
        doc = form.document if form else "referral"
        lay = layout(load_definition(doc), form.rows if form else None, grow)
        for number, page in enumerate(pdf.pages):
            words = page.extract_words()
            marks = page.curves + page.rects
            for f in lay.fields:
                for w in f.widgets:
                    if w.page != number:
                        continue
                    x0, y0, x1, y1 = w.rect
                    top, bottom = PAGE_H - y1, PAGE_H - y0
                    if f.kind in (CHECK, RADIO):
                        if any(
                            x0 < (m["x0"] + m["x1"]) / 2 < x1 and top < (m["top"] + m["bottom"]) / 2 < bottom
                            for m in marks
                            if m["width"] < BOX
                        ):
                            values[f.name] = w.state
                    else:
                        inside = [
                            t["text"]
                            for t in words
                            if x0 <= t["x0"] and t["x1"] <= x1 and top <= t["top"] and t["bottom"] <= bottom
                        ]
                        if inside:
                            values[f.name] = " ".join(inside)
    return values


# --------------------------------------------------------------------------- the worker


FILLERS: dict[str, Callable[[Path, dict[str, Any]], bytes]] = {
    "apforms": fill_apforms,
    "pypdf": fill_pypdf,
    "PyPDFForm": fill_pypdfform,
    "pdftk": fill_pdftk,
}
READERS: dict[str, Callable[[bytes], Any]] = {
    "apforms": read_apforms,
    "pypdf": read_pypdf,
    "PyPDFForm": read_pypdfform,
    "pikepdf": read_pikepdf,
    "pdftk": read_pdftk,
}
FLAT_READERS: dict[str, Callable[[bytes], Any]] = {"apforms": read_apforms, "pdfplumber": read_pdfplumber}
REQUIRES = {"pypdf": "pypdf", "PyPDFForm": "PyPDFForm", "pikepdf": "pikepdf", "pdfplumber": "pdfplumber"}
JOBS = {"fill": FILLERS, "read": READERS, "flattened": FLAT_READERS}


def available(tool: str) -> bool:
    if tool == "pdftk":
        return shutil.which("pdftk") is not None
    module = REQUIRES.get(tool)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM starts afresh at exec; ru_maxrss would
    carry over the parent's peak on Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def worker(job: str, tool: str, count: int, folder: Path, budget: float) -> dict[str, Any]:
    data = json.loads((folder / "records.json").read_text(encoding="utf-8"))
    note = ""
    done = 0
    if job == "fill":
        fill = FILLERS[tool]
        fill(folder, data[0])  # warm up: imports, caches
        start = time.perf_counter()
        outputs = []
        for i in range(count):
            pdf = fill(folder, data[i % DISTINCT])
            done += 1
            if i < len(NAMES):
                outputs.append(pdf)
            if time.perf_counter() - start > budget:
                break
        elapsed = time.perf_counter() - start
        shown = sum(names_shown(pdf, data[i]["pupil"]["legal_name"]) for i, pdf in enumerate(outputs))
        note = f"{shown}/{len(outputs)} Unicode names shown"
    else:
        read = READERS[tool] if job == "read" else FLAT_READERS[tool]
        prefix = "filled" if job == "read" else "flat"
        files = [folder / f"{prefix}-{i}.pdf" for i in range(DISTINCT)]
        read(files[0].read_bytes())
        start = time.perf_counter()
        same = 0
        for i in range(count):
            got = read(files[i % DISTINCT].read_bytes())
            done += 1
            if tool == "apforms":
                same += got == data[i % DISTINCT]
            if time.perf_counter() - start > budget:
                break
        elapsed = time.perf_counter() - start
        if tool == "apforms":
            note = f"{same}/{done} records identical to the originals"
    return {
        "docs": done,
        "seconds": elapsed,
        "docs_per_s": done / elapsed,
        "peak_rss_mb": peak_rss_mb(),
        "note": note,
    }


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=1000, help="documents per job (default 1000)")
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help="most seconds per tool and job (default 60)"
    )
    parser.add_argument("--worker", nargs=3, metavar=("JOB", "TOOL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job, tool, folder = args.worker
        print(json.dumps(worker(job, tool, args.count, Path(folder), args.budget)))
        return
    with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
        folder = Path(tmp)
        prepare(folder)
        print(f"referral form: {_form_size(folder)}; {args.count} documents per job\n")
        print(f"{'job':<10} {'tool':<11} {'docs/s':>9} {'vs peer':>8} {'peak RSS':>9}  note")
        for job, tools in JOBS.items():
            results: dict[str, dict[str, Any]] = {}
            for tool in tools:
                if not available(tool):
                    print(f"{job:<10} {tool:<11} {'not installed':>9}")
                    continue
                proc = subprocess.run(
                    [sys.executable, __file__, "-n", str(args.count), "--budget", str(args.budget)]
                    + ["--worker", job, tool, str(folder)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONWARNINGS": "ignore"},
                )
                if proc.returncode != 0:
                    print(f"{job:<10} {tool:<11} {'failed':>9}  {proc.stderr.strip().splitlines()[-1][:80]}")
                    continue
                results[tool] = json.loads(proc.stdout.strip().splitlines()[-1])
            baseline = {"fill": "pypdf", "read": "pypdf", "flattened": "pdfplumber"}[job]
            for tool, r in results.items():
                ratio = ""
                if tool == "apforms" and baseline in results:
                    ratio = f"{r['docs_per_s'] / results[baseline]['docs_per_s']:.0f}×"
                sample = "" if r["docs"] == args.count else f" ({r['docs']} docs in {r['seconds']:.0f} s)"
                print(
                    f"{job:<10} {tool:<11} {r['docs_per_s']:>9.1f} {ratio:>8} {r['peak_rss_mb']:>7.0f}MB  "
                    f"{r['note']}{sample}"
                )
            print()


def _form_size(folder: Path) -> str:
    from apforms.formats.pdf.layout import layout_for
    from apforms.model.definitions import load_definition

    data = json.loads((folder / "records.json").read_text(encoding="utf-8"))[0]
    lay = layout_for(load_definition("referral"), data)
    widgets = sum(len(f.widgets) for f in lay.fields)
    return f"{len(lay.pages)} pages, {len(lay.fields)} fields ({widgets} widgets)"


if __name__ == "__main__":
    main()

"""PDF forms benchmark: apforms against pypdf, PyPDFForm and pdftk on the same referral form.

Three jobs, each run side by side in this one run:

* fill: pre-fill referral PDFs from records (apforms: validate + render; peers: fill the
  apforms blank form through their own form API);
* read: read the values of filled referrals back (apforms: the whole ingest, validation
  included; peers: their field-reading call);
* flattened: read referrals whose fields were flattened, by position (apforms: ingest;
  pdfplumber: the planned tool, words and drawings matched to the same boxes).

Every (job, tool) pair runs in its own process, taking turns (A B C A B C; the first turn
with an empty apforms cache), so that its peak PSS (the process tree: pdftk's JVM included)
is its own. Each file is opened by its path, as the tools' documentation shows. The form's
fields are set in Helvetica (their default appearance), so no peer parses the embedded font.

Checks, made after the timing and never inside it: a fill stores every text value (read back
by pikepdf) and is asked whether the pre-filled names (Polish, Slovak, Romanian, Turkish,
Vietnamese, Ukrainian, Greek, and eight that apforms shapes: Arabic, Urdu, Hebrew, Gurmukhi,
Bengali, Devanagari, Ethiopic, Chinese) show in its own appearances; a read gives every
record exactly (apforms) or every text value by its field name (peers), but for what
``KNOWN`` names with its reason. Any other shortfall ends the run with exit 2 and a
``CHECK FAILED`` line, after the table. Missing peers print "not installed".

    python benchmarks/pdf.py            # 1,000 documents per job (at most a minute per tool)
    python benchmarks/pdf.py -n 100     # quicker
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _measure import blank_like, load_line, require, run

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
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    (folder / "blank.pdf").write_bytes(blank_like("referral", records(1)[0]))  # the records' rows
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


def names_of_kind(kind: str, data: dict[str, Any]) -> set[str]:
    """The names of the referral's fields of one kind (``geometry.RADIO``, ``COMBO`` …) for ``data``."""
    from apforms.formats.pdf.layout import layout_for
    from apforms.model.definitions import load_definition

    return {f.name for f in layout_for(load_definition("referral"), data).fields if f.kind == kind}


def radio_names(data: dict[str, Any]) -> set[str]:
    from apforms.formats.pdf.geometry import RADIO

    return names_of_kind(RADIO, data)


def combo_names(data: dict[str, Any]) -> set[str]:
    from apforms.formats.pdf.geometry import COMBO

    return names_of_kind(COMBO, data)


def text_values(data: dict[str, Any]) -> dict[str, str]:
    """The values of the text fields and dropdowns (not tick boxes or radio buttons, which each
    tool spells its own way): what every filler must store and every reader must read."""
    radios = radio_names(data)
    return {k: v for k, v in form_values(data).items() if isinstance(v, str) and k not in radios}


#: An /ActualText entry of a marked-content span: the text a reader is told the span shows.
ACTUAL_TEXT = re.compile(rb"/ActualText\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))")


def names_shown(pdf: bytes, expected: str, field: str = "pupil.legal_name") -> bool:
    """Whether the filler's own appearance of ``field`` draws ``expected``: every letter of it
    (in any order, as right-to-left and shaped scripts are drawn in their own order) among the
    characters PDFium extracts from the first page once only that field's widgets are left on
    it (no page content, no other fields) and it is flattened.

    What would let another program's work pass for the filler's is taken away first: the
    form's NeedAppearances (PDFium would draw the fields anew; its form filler is not started
    either), and every /ActualText (a span that draws ``????`` but says it shows a name would
    extract as the name; apforms' shaped runs carry one too, so both are judged by their
    glyphs alone)."""
    import pikepdf
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with pikepdf.open(io.BytesIO(pdf)) as p:
        if "/AcroForm" in p.Root and "/NeedAppearances" in p.Root.AcroForm:
            del p.Root.AcroForm["/NeedAppearances"]
        widgets = set()
        for f in pikepdf.AcroForm(p).fields:
            if f.fully_qualified_name == field:
                kids = f.obj.Kids if "/Kids" in f.obj else [f.obj]
                widgets |= {k.objgen for k in kids}
        page = p.pages[0]
        page.obj.Annots = pikepdf.Array([a for a in page.obj.get("/Annots", []) if a.objgen in widgets])
        page.obj.Contents = p.make_stream(b"")
        for obj in p.objects:
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") != "/Image":
                data = obj.read_bytes()
                if b"/ActualText" in data:
                    obj.write(ACTUAL_TEXT.sub(b"", data))
        own = io.BytesIO()
        p.save(own)
    if not widgets:
        return False
    doc = pdfium.PdfDocument(own.getvalue())
    try:
        page = doc[0]
        pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_PRINT)
        page.close()
        buf = io.BytesIO()
        doc.save(buf)
    finally:
        doc.close()
    flat = pdfium.PdfDocument(buf.getvalue())
    try:
        text = flat[0].get_textpage().get_text_range()
    finally:
        flat.close()
    have = Counter(unicodedata.normalize("NFC", text))
    want = Counter(c for c in unicodedata.normalize("NFC", expected) if not c.isspace())
    return all(have[c] >= n for c, n in want.items())


# --------------------------------------------------------------------------- fill


def fill_apforms(folder: Path, data: dict[str, Any]) -> bytes:
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records as rec
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    return render_pdf(definition, rec.canonical(definition, data))


def _peer_values(data: dict[str, Any]) -> dict[str, Any]:
    """As pypdf's documentation has them: a ticked box and a radio button by its state's name."""
    radios = radio_names(data)
    return {k: "/Yes" if v is True else f"/{v}" if k in radios else v for k, v in form_values(data).items()}


def fill_pypdf(folder: Path, data: dict[str, Any]) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(folder / "blank.pdf"))
    writer.update_page_form_field_values(None, _peer_values(data), auto_regenerate=True)
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


# Each reader opens the file by its path, as the tools' documentation shows; the peers give
# every field's value as text, the way their documentation reads it.


def read_apforms(path: Path) -> Any:
    from apforms.formats.pdf.read import ingest_pdf

    return ingest_pdf(path.read_bytes(), path.name).record["data"]


def read_pypdf(path: Path) -> Any:
    from pypdf import PdfReader

    fields = PdfReader(path).get_fields() or {}
    return {k: str(f.value) for k, f in fields.items() if f.value is not None}


def read_pypdfform(path: Path) -> Any:
    from PyPDFForm import PdfWrapper

    data = PdfWrapper(str(path), use_full_widget_name=True).data
    return {k: str(v) for k, v in data.items() if v is not None}


def read_pikepdf(path: Path) -> Any:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return {f.fully_qualified_name: f.value_as_string for f in pikepdf.AcroForm(pdf).fields}


PDFTK_KEYS = {"FieldType", "FieldName", "FieldNameAlt", "FieldFlags", "FieldValue", "FieldValueDefault",
              "FieldJustification", "FieldMaxLength", "FieldStateOption"}  # fmt: skip


def read_pdftk(path: Path) -> Any:
    out = subprocess.run(["pdftk", str(path), "dump_data_fields_utf8"], capture_output=True, check=True)
    return pdftk_values(out.stdout.decode("utf-8"))


def pdftk_values(dump: str) -> dict[str, str]:
    """The values in pdftk's field dump: a record per field, ``Key: value`` lines, ``---``
    between records. A value of several lines is printed as it is, so the lines after
    ``FieldValue:`` up to the next key belong to it."""
    values: dict[str, str] = {}
    name, key = None, None
    for line in dump.splitlines():
        if line == "---":
            name, key = None, None
        elif line.split(": ", 1)[0] in PDFTK_KEYS:
            key, value = line.split(": ", 1)
            if key == "FieldName":
                name = value
            elif key == "FieldValue" and name is not None:
                values[name] = value
        elif key == "FieldValue" and name is not None:
            values[name] += "\n" + line
    return values


def read_pdfplumber(path: Path) -> Any:
    """pdfplumber by position: words and drawn marks matched to each field's box."""
    import pdfplumber

    from apforms.formats.pdf.layout import BOX, CHECK, PAGE_H, RADIO, layout
    from apforms.formats.pdf.protocol import identify_text, parse_grow
    from apforms.model.definitions import load_definition

    values: dict[str, Any] = {}
    with pdfplumber.open(path) as pdf:
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


# --------------------------------------------------------------------------- checks

#: What a peer is known to read wrong, by design or by a bug of its own, with the reason shown
#: in the check column. Only exactly these fields may differ: any other shortfall fails the run.
KNOWN: dict[tuple[str, str], tuple[Callable[[dict[str, Any]], set[str]], str]] = {
    ("read", "PyPDFForm"): (
        combo_names,
        "dropdowns not read: PyPDFForm matches /V against each option's label, not its export value",
    ),
}


def compare_read(
    job: str, tool: str, outputs: dict[int, Any], data: list[dict[str, Any]]
) -> tuple[str, list[str]]:
    """The check column for a reader, and what it read short (empty when it did the whole job).

    apforms must give each record exactly as it was written; a peer, every text value (text
    boxes and dropdowns) by its field name, except the fields ``KNOWN`` names for it; pdfplumber
    (flattened pages, matched by box) is shown with how many text values it matched whole."""
    if tool == "apforms":
        same = sum(got == data[i] for i, got in outputs.items())
        short = [f"apforms misread {job} record {i}" for i, got in outputs.items() if got != data[i]][:1]
        return f"{same}/{len(outputs)} records identical", short
    known_fields, reason = KNOWN.get((job, tool), (lambda _d: set(), ""))
    right = total = excused = 0
    short: list[str] = []
    for i, got in outputs.items():
        want = text_values(data[i])
        wrong = {k for k, v in want.items() if got.get(k) != v}
        allowed = known_fields(data[i]) & wrong
        total += len(want)
        right += len(want) - len(wrong)
        excused += len(allowed)
        if tool != "pdfplumber" and wrong - allowed:
            key = sorted(wrong - allowed)[0]
            short.append(f"{tool} read {key!r} of record {i} as {got.get(key)!r}, not {want[key]!r}")
    if tool == "pdfplumber":
        return f"{right}/{total} text values matched whole (no checking)", []
    note = f"{right}/{total} text values read"
    if excused:
        note += f"; {excused} {reason}"
    return note, short[:1]


# --------------------------------------------------------------------------- the worker


FILLERS: dict[str, Callable[[Path, dict[str, Any]], bytes]] = {
    "apforms": fill_apforms,
    "pypdf": fill_pypdf,
    "PyPDFForm": fill_pypdfform,
    "pdftk": fill_pdftk,
}
READERS: dict[str, Callable[[Path], Any]] = {
    "apforms": read_apforms,
    "pypdf": read_pypdf,
    "PyPDFForm": read_pypdfform,
    "pikepdf": read_pikepdf,
    "pdftk": read_pdftk,
}
FLAT_READERS: dict[str, Callable[[Path], Any]] = {"apforms": read_apforms, "pdfplumber": read_pdfplumber}
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


def worker(job: str, tool: str, count: int, folder: Path, budget: float) -> dict[str, Any]:
    data = json.loads((folder / "records.json").read_text(encoding="utf-8"))
    done, short = 0, []
    first = time.perf_counter()
    if job == "fill":
        fill = FILLERS[tool]
        fill(folder, data[0])  # the first document: imports, caches (timed as "first")
        first = time.perf_counter() - first
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
        stored = 0
        for i, pdf in enumerate(outputs):  # every text value stored in the field, read back by pikepdf
            (folder / f"check-{tool}.pdf").write_bytes(pdf)
            got, want = read_pikepdf(folder / f"check-{tool}.pdf"), text_values(data[i])
            stored += sum(got.get(k) == v for k, v in want.items())
            short += [f"{tool} stored {k}" for k, v in want.items() if got.get(k) != v][:1]
        expected = sum(len(text_values(data[i])) for i in range(len(outputs)))
        note = f"{shown}/{len(outputs)} names shown by its own appearances; text values {stored}/{expected}"
    else:
        read = READERS[tool] if job == "read" else FLAT_READERS[tool]
        prefix = "filled" if job == "read" else "flat"
        files = [folder / f"{prefix}-{i}.pdf" for i in range(DISTINCT)]
        read(files[0])
        first = time.perf_counter() - first
        start = time.perf_counter()
        outputs: dict[int, Any] = {}  # what each distinct file read as, compared after the timing
        for i in range(count):
            got = read(files[i % DISTINCT])
            done += 1
            outputs.setdefault(i % DISTINCT, got)
            if time.perf_counter() - start > budget:
                break
        elapsed = time.perf_counter() - start
        note, short = compare_read(job, tool, outputs, data)
    return {"docs": done, "seconds": elapsed, "first_s": first, "note": note, "short": short}


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=1000, help="documents per job (default 1000)")
    parser.add_argument(
        "--budget", type=float, default=BUDGET, help="most seconds per tool and job (default 60)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="turns per tool, the first cold (default 2)")
    parser.add_argument("--worker", nargs=3, metavar=("JOB", "TOOL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job, tool, folder = args.worker
        print(json.dumps(worker(job, tool, args.count, Path(folder), args.budget)))
        return
    per_round = max(1, args.count // args.rounds)
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="apforms-bench-") as tmp:
        folder = Path(tmp)
        prepare(folder)
        cache = folder / "cache"
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "APFORMS_CACHE_DIR": str(cache)}
        print(f"referral form: {_form_size(folder)}; {per_round} documents per tool and turn,")
        print(f"{args.rounds} turns taking turns (A B C A B C), the first with an empty cache; {load_line()}")
        print(
            f"{'job':<10} {'tool':<11} {'docs/s':>7} {'vs':>6} {'first cold/warm':>16} {'peak PSS':>9}  check"
        )
        for job, tools in JOBS.items():
            present = [t for t in tools if available(t)]
            totals: dict[str, dict[str, Any]] = {t: {"docs": 0, "seconds": 0.0, "pss": 0.0, "first": []}
                                                 for t in present}  # fmt: skip
            for turn in range(args.rounds):
                for tool in present:
                    if turn == 0:
                        shutil.rmtree(cache, ignore_errors=True)
                    argv = [sys.executable, __file__, "-n", str(per_round), "--budget", str(args.budget / 2)]
                    r = run([*argv, "--worker", job, tool, str(folder)], env)
                    if r.returncode != 0:
                        failures.append(f"{job} {tool} failed: {r.stderr.strip().splitlines()[-1][:100]}")
                        totals.pop(tool, None)
                        continue
                    if tool not in totals:
                        continue
                    got = json.loads(r.stdout.strip().splitlines()[-1])
                    t = totals[tool]
                    t["docs"] += got["docs"]
                    t["seconds"] += got["seconds"]
                    t["pss"] = max(t["pss"], r.peak_pss_mb)
                    t["first"].append(got["first_s"])
                    t["note"] = got["note"]
                    failures += [f"{job}: {s}" for s in got["short"]]
            for tool in tools:
                if tool not in present:
                    print(f"{job:<10} {tool:<11} {'not installed':>9}")
            baseline = {"fill": "pypdf", "read": "pypdf", "flattened": "pdfplumber"}[job]
            for tool, t in totals.items():
                rate = t["docs"] / t["seconds"]
                ratio = ""
                if tool != baseline and baseline in totals:
                    base = totals[baseline]["docs"] / totals[baseline]["seconds"]
                    ratio = f"{rate / base:.1f}×"
                first = "/".join(f"{f * 1000:.0f}" for f in t["first"][:2]) + " ms"
                print(
                    f"{job:<10} {tool:<11} {rate:>7.1f} {ratio:>6} {first:>16} {t['pss']:>6.0f} MB"
                    f"  {t['note']}"
                )
            print(flush=True)
    print(f"load after: {load_line()}")
    for line in failures:
        print(f"did less work: {line}")
    require(not failures, f"{len(failures)} route(s) did less work than asked (above)")


def _form_size(folder: Path) -> str:
    from apforms.formats.pdf.layout import layout_for
    from apforms.model.definitions import load_definition

    data = json.loads((folder / "records.json").read_text(encoding="utf-8"))[0]
    lay = layout_for(load_definition("referral"), data)
    widgets = sum(len(f.widgets) for f in lay.fields)
    return f"{len(lay.pages)} pages, {len(lay.fields)} fields ({widgets} widgets)"


if __name__ == "__main__":
    main()

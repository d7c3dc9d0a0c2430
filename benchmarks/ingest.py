"""Reading returns back, side by side with the peers, on all five documents in one run.

Jobs (each a return of every document, cycled; each (job, tool) pair in its own process, so
that its peak RSS is its own):

* fields: filled PDF forms. apforms: the whole ingest (identify, read, convert, validate,
  provenance); pypdf: ``PdfReader.get_fields()``, the values only;
* flattened: the same forms flattened (values drawn into the page, no fields). apforms:
  ingest; pdfplumber: words and drawn marks matched to the same boxes (the layout rebuilt from
  the footer line, as apforms does), without checking anything;
* word: the Word forms (.docx) rendered by apforms. apforms: ingest (every answer found by its
  bookmark, converted, validated); python-docx: ``Document()`` and the text of every paragraph
  and table cell, without knowing which is which;
* scanned: each document's flattened pages rendered at 300 dpi (grey, 0.5° turned) as a
  multi-page TIFF. apforms: ingest (deskew, identify, register, OCR, marks, confirmation);
  tesseract: every page OCR'd as one image, text only (``tesseract page.png stdout``). Rated in
  pages a second.

apforms' records are compared with the originals (every one must be identical).

    python benchmarks/ingest.py             # 200 returns per job (at most 30 s a tool)
    python benchmarks/ingest.py -n 50
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DOCS = ("referral", "commissioning", "sla", "qa", "improvement-plan")
BUDGET = 30.0


def canonical(doc: str) -> dict[str, Any]:
    from apforms import api
    from apforms.model import records
    from apforms.model.definitions import load_definition

    data: dict[str, Any] = records.validate(load_definition(doc), api.example(doc)["data"]).data
    return data


def prepare(folder: Path) -> None:
    from apforms.formats.docx.compile import render_docx
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model.definitions import load_definition

    expected = {}
    for doc in DOCS:
        definition, data = load_definition(doc), canonical(doc)
        (folder / f"{doc}.pdf").write_bytes(render_pdf(definition, data))
        (folder / f"{doc}-flat.pdf").write_bytes(render_pdf(definition, data, flatten=True))
        (folder / f"{doc}.docx").write_bytes(render_docx(definition, data))
        _scan(render_pdf(definition, data, flatten=True), folder / f"{doc}.tiff")
        expected[doc] = data
    (folder / "expected.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")


# --------------------------------------------------------------------------- readers


def apforms_read(data: bytes) -> Any:
    from apforms import api

    return api.ingest_bytes(data, "returned").record["data"]


def pypdf_fields(data: bytes) -> Any:
    from pypdf import PdfReader

    return {k: f.get("/V") for k, f in (PdfReader(io.BytesIO(data)).get_fields() or {}).items()}


def pdfplumber_boxes(data: bytes) -> Any:
    """pdfplumber by position: words and drawn marks matched to each field's box (the
    benchmark of benchmarks/pdf.py, the document taken from the footer line)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from pdf import read_pdfplumber  # benchmarks/pdf.py

    return read_pdfplumber(data)


def _scan(pdf: bytes, out: Path) -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = [
        doc[i].render(scale=300 / 72, grayscale=True).to_pil().rotate(0.5, fillcolor=255)
        for i in range(len(doc))
    ]
    pages[0].save(out, save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(300, 300))


def tesseract_pages(data: bytes) -> Any:
    """Every page of the TIFF OCR'd as one image by the tesseract program (text only)."""
    from PIL import Image

    out = []
    with Image.open(io.BytesIO(data)) as tiff:
        for i in range(getattr(tiff, "n_frames", 1)):
            tiff.seek(i)
            buf = io.BytesIO()
            tiff.save(buf, format="PNG")
            done = subprocess.run(["tesseract", "stdin", "stdout"], input=buf.getvalue(), capture_output=True)
            out.append(done.stdout)
    return out


def python_docx_text(data: bytes) -> Any:
    import docx

    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return [p.text for p in d.paragraphs] + cells


JOBS: dict[str, tuple[str, dict[str, Callable[[bytes], Any]]]] = {
    "fields": ("{doc}.pdf", {"apforms": apforms_read, "pypdf": pypdf_fields}),
    "flattened": ("{doc}-flat.pdf", {"apforms": apforms_read, "pdfplumber": pdfplumber_boxes}),
    "word": ("{doc}.docx", {"apforms": apforms_read, "python-docx": python_docx_text}),
    "scanned": ("{doc}.tiff", {"apforms": apforms_read, "tesseract": tesseract_pages}),
}
PEER = {"fields": "pypdf", "flattened": "pdfplumber", "word": "python-docx", "scanned": "tesseract"}
#: Pages of each document's example (the scanned job is rated in pages a second).
PAGES = {"referral": 9, "commissioning": 5, "sla": 3, "qa": 8, "improvement-plan": 2}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker(job: str, tool: str, count: int, folder: Path, budget: float) -> dict[str, Any]:
    pattern, tools = JOBS[job]
    read = tools[tool]
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    files = [(doc, (folder / pattern.format(doc=doc)).read_bytes()) for doc in DOCS]
    scanned = job == "scanned"
    if not scanned:
        for _, data in files:
            read(data)  # warm up: imports, caches
    done = same = pages = 0
    start = time.perf_counter()
    for i in range(count):
        doc, data = files[i % len(files)]
        got = read(data)
        done += 1
        pages += PAGES[doc]
        if tool == "apforms":
            same += got == expected[doc]
        if time.perf_counter() - start > budget:
            break
    elapsed = time.perf_counter() - start
    note = f"{same}/{done} records identical to the originals" if tool == "apforms" else ""
    if scanned and tool == "apforms":
        note = f"{done} documents, {pages} pages; every value is listed for checking (OCR)"
    rate = (pages if scanned else done) / elapsed
    return {"docs": done, "seconds": elapsed, "per_s": rate, "rss": peak_rss_mb(), "note": note}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=200, help="returns per job (default 200)")
    parser.add_argument("--budget", type=float, default=BUDGET, help="most seconds per tool and job")
    parser.add_argument("jobs", nargs="*", choices=[*JOBS, []], help="jobs to run (default: all)")
    parser.add_argument("--worker", nargs=3, metavar=("JOB", "TOOL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job, tool, folder = args.worker
        print(json.dumps(worker(job, tool, args.count, Path(folder), args.budget)))
        return
    with tempfile.TemporaryDirectory(prefix="apforms-ingest-") as tmp:
        folder = Path(tmp)
        prepare(folder)
        print(f"the five documents' example records, cycled; {args.count} returns per job\n")
        print(f"{'job':<10} {'tool':<12} {'returns/s':>10} {'vs peer':>8} {'peak RSS':>9}  note")
        print(f"{'':<10} {'':<12} {'(scanned: pages/s)':>10}")
        for job, (_, tools) in JOBS.items():
            if args.jobs and job not in args.jobs:
                continue
            results: dict[str, dict[str, Any]] = {}
            for tool in tools:
                proc = subprocess.run(
                    [sys.executable, __file__, "-n", str(args.count), "--budget", str(args.budget)]
                    + ["--worker", job, tool, str(folder)],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONWARNINGS": "ignore"},
                )
                if proc.returncode != 0:
                    last = (proc.stderr.strip().splitlines() or ["?"])[-1][:80]
                    print(f"{job:<10} {tool:<12} {'failed':>10}  {last}")
                    continue
                results[tool] = json.loads(proc.stdout.strip().splitlines()[-1])
            peer = results.get(PEER[job])
            for tool, r in results.items():
                ratio = f"{r['per_s'] / peer['per_s']:.1f}×" if tool == "apforms" and peer else ""
                sample = "" if r["docs"] == args.count else f" ({r['docs']} in {r['seconds']:.0f} s)"
                rate, rss = f"{r['per_s']:>10.1f}", f"{r['rss']:>7.0f}MB"
                print(f"{job:<10} {tool:<12} {rate} {ratio:>8} {rss}  {r['note']}{sample}")
            print()


if __name__ == "__main__":
    main()

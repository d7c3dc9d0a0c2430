"""Reading returns back, side by side with the peers, on all five documents in one run.

Jobs (each a return of every document, cycled; each file opened by its path, as each tool's
documentation shows; apforms: ``api.ingest_bytes`` of the file's bytes, as ``apforms ingest``):

* fields: filled PDF forms. apforms: the whole ingest (identify, read, convert, validate,
  provenance); pypdf: ``PdfReader(path).get_fields()``, each value as text;
* flattened: the same forms flattened (values drawn into the page, no fields). apforms:
  ingest; pdfplumber: words and drawn marks matched to the same boxes (the layout rebuilt from
  the footer line, as apforms does; benchmarks/pdf.py), without checking anything;
* word: the Word forms (.docx) rendered by apforms. apforms: ingest (every answer found by its
  bookmark, converted, validated); python-docx: ``Document(path)`` and the text of every
  paragraph and table cell, without knowing which is which;
* scanned: each document's flattened pages rendered at 300 dpi (grey, 0.5° turned) as a
  multi-page TIFF. apforms: ingest (deskew, identify, register, OCR, marks, confirmation);
  tesseract: ``tesseract scan.tiff stdout``, every page's text, one thread
  (``OMP_THREAD_LIMIT=1``, as tesseract's FAQ advises on a two-core machine, and as apforms
  runs it). Rated in pages a second.

The tools take turns (A B A B …, ``--rounds``, the returns split between them), each turn a
child process; the first turn of each tool is cold (an empty ``APFORMS_CACHE_DIR``), the
others warm. A turn's first return (imports, caches) is timed on its own; then each other
document is read once, untimed (not for scans), and the returns that follow give the rate,
within ``--budget`` seconds for all of a tool's turns. Memory is the peak PSS of the child's
process tree (tesseract's processes included).

Every output is kept and checked after the timing, against values worked out before it:
apforms' records must be identical to the originals (scans: flagged for checking, and at least
half the values as the original); pypdf must give every text field's value; pdfplumber every
text box's words and every tick; python-docx's text must hold every text value; tesseract must
give every page and at least half the words of the values. A shortfall stops the benchmark
(exit 2, ``CHECK FAILED``), except the exact misreads listed in ``KNOWN``, reported with why.

    python benchmarks/ingest.py             # 200 returns per job (at most 30 s a tool)
    python benchmarks/ingest.py -n 50
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _measure import load_line, median, require, run

DOCS = ("referral", "commissioning", "sla", "qa", "improvement-plan")
BUDGET = 30.0
#: Misreads of a peer that are understood: (job, tool) -> {(document, field): what it reads}.
KNOWN: dict[tuple[str, str], dict[tuple[str, str], str]] = {
    ("flattened", "pdfplumber"): {
        ("referral", "school_contacts.senco.email"): "o.shevchenko@example.sch .uk",
        ("referral", "school_contacts.other_2.email"): "p.horvathova@example.sch. uk",
        ("qa", "contact.dsl.email"): "olena.shevchenko@example.or g",
    },
}
WHY = {("flattened", "pdfplumber"): "an e-mail address wrapped in its box read as two words"}


def canonical(doc: str) -> dict[str, Any]:
    from apforms import api
    from apforms.model import records
    from apforms.model.definitions import load_definition

    data: dict[str, Any] = records.validate(load_definition(doc), api.example(doc)["data"]).data
    return data


def expected_values(doc: str, data: dict[str, Any]) -> dict[str, Any]:
    """What each tool should give for ``data``, worked out once, before any timing."""
    from apforms.formats.pdf.geometry import CHECK, COMBO, MULTILINE, RADIO, TEXT
    from apforms.formats.pdf.layout import layout_for
    from apforms.formats.pdf.values import combo_label, form_values
    from apforms.model.definitions import load_definition

    lay = layout_for(load_definition(doc), data)
    values = form_values(lay, data)
    text = {f.name: values[f.name] for f in lay.fields if f.kind in (TEXT, MULTILINE) and values.get(f.name)}
    combos = {f.name: f for f in lay.fields if f.kind == COMBO and values.get(f.name)}
    shown = {**text, **{k: combo_label(f, str(values[k])) for k, f in combos.items()}}
    return {
        "record": data,
        "fields": {**text, **{k: values[k] for k in combos}},  # a field's value (a dropdown's option)
        "boxes": {k: " ".join(str(v).split()) for k, v in shown.items()},  # what a box shows, word by word
        "ticks": {f.name: bool(values.get(f.name)) for f in lay.fields if f.kind in (CHECK, RADIO)},
        "text": sorted(str(v) for v in text.values()),
        "words": sorted({w for v in text.values() for w in re.findall(r"\w+", str(v)) if len(w) >= 4}),
        "pages": len(lay.pages),
    }


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
        expected[doc] = expected_values(doc, data)
    (folder / "expected.json").write_text(json.dumps(expected, ensure_ascii=False), encoding="utf-8")


def _scan(pdf: bytes, out: Path) -> None:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    pages = [
        doc[i].render(scale=300 / 72, grayscale=True).to_pil().rotate(0.5, fillcolor=255)
        for i in range(len(doc))
    ]
    pages[0].save(out, save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(300, 300))


# --------------------------------------------------------------------------- readers


def apforms_read(path: Path) -> Any:
    from apforms import api

    result = api.ingest_bytes(path.read_bytes(), path.name)
    return {"data": result.record["data"], "needs_review": result.needs_review}


def pypdf_fields(path: Path) -> Any:
    from pypdf import PdfReader

    fields = PdfReader(path).get_fields() or {}
    return {k: str(f.value) for k, f in fields.items() if f.value is not None}


def pdfplumber_boxes(path: Path) -> Any:
    from pdf import read_pdfplumber  # benchmarks/pdf.py

    return read_pdfplumber(path)


def python_docx_text(path: Path) -> Any:
    import docx

    d = docx.Document(str(path))
    return [p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells]


def tesseract_text(path: Path) -> Any:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(["tesseract", str(path), "stdout"], capture_output=True, check=True, env=env)
    return done.stdout.decode("utf-8", "replace")


JOBS: dict[str, tuple[str, dict[str, Callable[[Path], Any]]]] = {
    "fields": ("{doc}.pdf", {"apforms": apforms_read, "pypdf": pypdf_fields}),
    "flattened": ("{doc}-flat.pdf", {"apforms": apforms_read, "pdfplumber": pdfplumber_boxes}),
    "word": ("{doc}.docx", {"apforms": apforms_read, "python-docx": python_docx_text}),
    "scanned": ("{doc}.tiff", {"apforms": apforms_read, "tesseract": tesseract_text}),
}
PEER = {"fields": "pypdf", "flattened": "pdfplumber", "word": "python-docx", "scanned": "tesseract"}
NEEDS = {"pypdf": "pypdf", "pdfplumber": "pdfplumber", "python-docx": "docx"}


def available(job: str, tool: str) -> bool:
    if job == "scanned" or tool == "tesseract":
        return shutil.which("tesseract") is not None
    return tool not in NEEDS or importlib.util.find_spec(NEEDS[tool]) is not None


# --------------------------------------------------------------------------- checks (after timing)


def leaves(data: Any, path: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        return {k: v for key, val in data.items() for k, v in leaves(val, f"{path}.{key}").items()}
    if isinstance(data, list):
        return {k: v for i, val in enumerate(data) for k, v in leaves(val, f"{path}.{i}").items()}
    return {path: data}


#: What the check column counts, by tool (and whether the job is the scans).
WHAT = {
    ("apforms", False): "records identical to the originals",
    ("apforms", True): "values as the original, every return flagged for checking (OCR)",
    ("pypdf", False): "text and dropdown values (ticks, spelt its own way: not compared)",
    ("pdfplumber", False): "box values and ticks (not checked or converted by it)",
    ("python-docx", False): "text values found in its text (which answer is which: not known to it)",
    ("tesseract", True): "words of the values found, every page (text only: no fields)",
}


def check(job: str, tool: str, outputs: list[tuple[str, Any]], expected: dict[str, Any]) -> dict[str, Any]:
    """What a turn's outputs hold against what they should: counts, the known misreads met, and
    what falls short (empty: every output as the tool claims)."""
    known = KNOWN.get((job, tool), {})
    hit = total = 0
    misread: set[tuple[str, str]] = set()
    short: list[str] = []

    def claim(doc: str, key: str, ok: bool, got: Any) -> None:  # a value the tool claims to give
        nonlocal hit, total
        hit, total = hit + ok, total + 1
        if not ok and known.get((doc, key), object()) == got:
            misread.add((doc, key))
        elif not ok:
            short.append(f"{doc} {key}: {str(got)[:60]!r}")

    def floor(doc: str, what: str, ok: int, of: int) -> None:  # a count that must reach half
        nonlocal hit, total
        hit, total = hit + ok, total + of
        if ok * 2 < of:
            short.append(f"{doc}: {what} {ok} of {of}")

    for doc, got in outputs:
        want = expected[doc]
        if tool == "apforms" and job != "scanned":
            claim(doc, "record", got["data"] == want["record"], "not the original record")
        elif tool == "apforms":
            same, read = leaves(want["record"]), leaves(got["data"])
            floor(doc, "values as the original", sum(read.get(k) == v for k, v in same.items()), len(same))
            if not got["needs_review"]:
                short.append(f"{doc}: a scan's record not flagged for checking")
        elif tool == "pypdf":
            for k, v in want["fields"].items():
                claim(doc, k, got.get(k) == v, got.get(k))
        elif tool == "pdfplumber":
            for k, v in want["boxes"].items():
                claim(doc, k, got.get(k) == v, got.get(k))
            for k, ticked in want["ticks"].items():
                claim(doc, k, (k in got) == ticked, "the tick read wrong")
        elif tool == "python-docx":
            joined = "\n".join(got)
            for v in want["text"]:
                claim(doc, v[:30], v in joined, "not in its text")
        elif tool == "tesseract":
            pages = sum(bool(page.strip()) for page in got.split("\f"))  # form feeds between pages
            if pages != want["pages"]:
                short.append(f"{doc}: {pages} pages with text of {want['pages']}")
            found = set(re.findall(r"\w+", got))
            floor(doc, "words", sum(w in found for w in want["words"]), len(want["words"]))
    return {"hit": hit, "total": total, "misread": sorted(misread), "short": short[:3]}


# --------------------------------------------------------------------------- the worker


def worker(job: str, tool: str, count: int, folder: Path, budget: float) -> dict[str, Any]:
    pattern, tools = JOBS[job]
    read = tools[tool]
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))  # worked out before
    files = [(doc, folder / pattern.format(doc=doc)) for doc in DOCS]
    first = time.perf_counter()
    read(files[0][1])  # the first return: imports, caches (timed as "first")
    first = time.perf_counter() - first
    for _, path in files[1:] if job != "scanned" else []:
        read(path)  # each other document once, untimed (a scan takes seconds a page: not for scans)
    outputs = []
    start = time.perf_counter()
    for i in range(count):
        doc, path = files[i % len(files)]
        outputs.append((doc, read(path)))  # kept, checked after the timing
        if time.perf_counter() - start > budget:
            break
    elapsed = time.perf_counter() - start
    pages = sum(expected[doc]["pages"] for doc, _ in outputs)
    checked = check(job, tool, outputs, expected)
    return {"docs": len(outputs), "pages": pages, "seconds": elapsed, "first_s": first, **checked}


# --------------------------------------------------------------------------- the run


def turn(job: str, tool: str, folder: Path, count: int, budget: float, env: dict[str, str]) -> dict[str, Any]:
    """One turn of a tool, in its own process: its figures, once its outputs are as it claims."""
    argv = [sys.executable, __file__, "-n", str(count), "--budget", str(budget)]
    r = run([*argv, "--worker", job, tool, str(folder)], env)
    require(r.returncode == 0, f"{job} {tool} failed: {(r.stderr.strip().splitlines() or ['?'])[-1][:160]}")
    got = json.loads(r.stdout.strip().splitlines()[-1])
    require(not got["short"], f"{job} {tool} gave less than it claims: {'; '.join(got['short'])}")
    require(got["docs"] > 0 and got["total"] > 0, f"{job} {tool}: nothing read or nothing checked")
    return {**got, "pss": r.peak_pss_mb}


def report(job: str, turns: dict[str, list[dict[str, Any]]], per_turn: int) -> None:
    unit = "pages" if job == "scanned" else "docs"
    rates = {t: [x[unit] / x["seconds"] for x in ts] for t, ts in turns.items()}
    pooled = {t: sum(x[unit] for x in ts) / sum(x["seconds"] for x in ts) for t, ts in turns.items()}
    for tool, ts in turns.items():
        both = f"{rates[tool][0]:.1f}/" + (f"{median(rates[tool][1:]):.1f}" if len(ts) > 1 else "-")
        peer = pooled.get(PEER[job])
        ratio = f"{pooled[tool] / peer:.1f}×" if tool == "apforms" and peer else ""
        seconds = [x["first_s"] for x in ts[:2]]
        first = "/".join(f"{f:.1f}" if max(seconds) > 10 else f"{f * 1000:.0f}" for f in seconds)
        first += " s" if max(seconds) > 10 else " ms"
        note = f"{sum(x['hit'] for x in ts)}/{sum(x['total'] for x in ts)} {WHAT[tool, job == 'scanned']}"
        if ts[-1]["misread"]:
            note += f"; {len(ts[-1]['misread'])} known misreads: {WHY[job, tool]}"
        done = sum(x["docs"] for x in ts)
        if done < per_turn * len(ts):
            note += f" ({done} returns in the budget)"
        print(
            f"{job:<10} {tool:<12} {pooled[tool]:>6.1f} {both:>11} {ratio:>7} {first:>17}"
            f" {max(x['pss'] for x in ts):>5.0f} MB  {note}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--count", type=int, default=200, help="returns per job and tool (default 200)")
    parser.add_argument("--budget", type=float, default=BUDGET, help="most seconds a tool and job (30)")
    parser.add_argument("--rounds", type=int, default=2, help="turns per tool, the first cold (default 2)")
    parser.add_argument("jobs", nargs="*", choices=[*JOBS, []], help="jobs to run (default: all)")
    parser.add_argument("--worker", nargs=3, metavar=("JOB", "TOOL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        job, tool, folder = args.worker
        print(json.dumps(worker(job, tool, args.count, Path(folder), args.budget)))
        return
    per_turn = max(1, args.count // args.rounds)
    with tempfile.TemporaryDirectory(prefix="apforms-ingest-") as tmp:
        folder = Path(tmp)
        cache = folder / "cache"
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "APFORMS_CACHE_DIR": str(cache)}
        prepare(folder)
        print(f"the five documents' example records, cycled; {per_turn} returns per tool and turn,")
        print(f"{args.rounds} turns taking turns (A B A B), the first with an empty cache; {load_line()}")
        print(
            f"{'job':<10} {'tool':<12} {'rate':>6} {'cold/warm':>11} {'vs peer':>7} {'first cold/warm':>17}"
            f" {'peak PSS':>8}  check"
        )
        print(f"{'':<10} {'':<12} returns/s (scanned: pages/s)")
        for job, (_, tools) in JOBS.items():
            if args.jobs and job not in args.jobs:
                continue
            present = [t for t in tools if available(job, t)]
            turns: dict[str, list[dict[str, Any]]] = {t: [] for t in present}
            for number in range(args.rounds):
                for tool in present:
                    if number == 0:
                        shutil.rmtree(cache, ignore_errors=True)
                    turns[tool].append(turn(job, tool, folder, per_turn, args.budget / args.rounds, env))
            for tool in tools:
                if tool not in present:
                    print(f"{job:<10} {tool:<12} {'not installed':>13}")
            report(job, turns, per_turn)
            print()
    print(f"load after: {load_line()}")


if __name__ == "__main__":
    main()

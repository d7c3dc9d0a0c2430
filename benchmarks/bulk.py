"""Bulk SLAs: agreements from placement rows (three per SLA), Word and PDF, by two routes.

* apforms: ``bulk_sla`` (one plan, then a pool of ``--jobs`` workers writing .docx and .pdf);
* the usual route: the same plan, docxtpl per document, then LibreOffice
  ``soffice --convert-to pdf`` in batches of ``--batch`` documents (one soffice run for all of
  them stops converting part way), then a second pass for any PDF still missing.

A run is counted only when every .docx and .pdf exists and opens (PDFium), and a sample of
pairs reads back the same in both routes: the Word text identical, and the school, provider,
contact names and reference found in each .docx's text and each PDF (apforms' PDF read back
by ``ingest``, LibreOffice's from the page text). Anything less stops the benchmark with exit 2
and a ``CHECK FAILED`` line.

The routes take turns (apforms, usual, apforms, usual …). The first turn of each is cold (an
empty ``APFORMS_CACHE_DIR``; a new LibreOffice profile), the others warm (the same cache and
profile). Each run is a child process: wall and CPU time (its workers and soffice included)
and the peak PSS of its whole process tree.

    python benchmarks/bulk.py [--pairs 1000] [--jobs 2] [--rounds 2] [--batch 200]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _measure import docx_text, load_line, require, run

from apforms.bulk import bulk_sla, example_inputs, plan_slas
from apforms.model.config import load_config
from apforms.model.identifiers import upn_check_letter

SAMPLE = 5  # pairs read back and compared per run


def upn(n: int) -> str:
    body = f"831{2000 + n // 100000:04d}{n % 100000:05d}"[:12]
    return upn_check_letter(body) + body


def make_inputs(folder: Path, pairs: int, pupils_per_pair: int = 3) -> dict[str, Path]:
    """``pairs`` school–provider pairs, each with ``pupils_per_pair`` placement rows."""
    schools = max(1, pairs // 10)
    providers = 10
    with (folder / "schools.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Name of school", "Postcode", "Contact name", "Email"])
        for s in range(schools):
            w.writerow([f"Bench School {s:04d}", "DE1 2AA", "Olena Shevchenko", f"ap{s}@example.sch.uk"])
    with (folder / "providers.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Name of provider", "Postcode", "Contact name", "Registered as an independent school"])
        for p in range(providers):
            w.writerow([f"Bench Provider {p:02d}", "DE21 7XX", "Łukasz Wójcik", "Yes"])
    with (folder / "placements.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(example_inputs()["placements"].read_text(encoding="utf-8").splitlines()[0].split(","))
        n = 0
        for i in range(pairs):
            school, provider = i // providers, i % providers
            for _ in range(pupils_per_pair):
                w.writerow([upn(n), f"Bench School {school:04d}", f"Bench Provider {provider:02d}",
                            "07/09/2026", "18/12/2026", "5", "Thu am, Thu pm", "28", "45.50",
                            "No", "No", "No"])  # fmt: skip
                n += 1
    return {k: folder / f"{k}.csv" for k in ("placements", "providers", "schools")}


def _plan(inputs: dict[str, Path]) -> Any:
    return plan_slas(inputs["placements"], inputs["providers"], inputs["schools"], load_config().registration)


# --------------------------------------------------------------------------- the routes (children)


def route_apforms(inputs: dict[str, Path], out: Path, jobs: int) -> dict[str, Any]:
    result = bulk_sla(
        inputs["placements"], inputs["providers"], inputs["schools"], out,
        load_config().registration, ("docx", "pdf"), jobs,
    )  # fmt: skip
    return {"ok": result.ok, "pairs": len(result.results)}


def route_usual(inputs: dict[str, Path], out: Path, batch: int, profile: Path) -> dict[str, Any]:
    import subprocess

    from docxtpl import DocxTemplate

    from apforms.formats.docx.context import context
    from apforms.model.definitions import data_dir, load_definition

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice
    template = data_dir("templates") / "sla.docx"
    sla = load_definition("sla")
    out.mkdir(parents=True, exist_ok=True)
    docs = []
    for pair in _plan(inputs).pairs:
        doc = DocxTemplate(template)
        doc.render(context(sla, pair.data), autoescape=True)
        path = out / f"{pair.stem}.docx"
        doc.save(path)
        docs.append(path)
    # a private profile: another soffice running on the machine would otherwise take the job
    base = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf"]
    passes = []
    for _pass in range(2):
        missing = [d for d in docs if not d.with_suffix(".pdf").exists()]
        if not missing:
            break
        passes.append(len(missing))
        for i in range(0, len(missing), batch):
            names = [str(d) for d in missing[i : i + batch]]
            subprocess.run([*base, "--outdir", str(out), *names], capture_output=True, check=False)
    return {"ok": True, "pairs": len(docs), "converted_in_pass": passes}


# --------------------------------------------------------------------------- checks (parent)


def _pdf_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def markers(data: dict[str, Any]) -> list[str]:
    return [
        data["school"]["name"],
        data["provider"]["name"],
        data["school"]["contact_name"],
        data["provider"]["contact_name"],
        data["agreement"]["reference"],
    ]


def check_outputs(route: str, out: Path, plan: Any) -> dict[str, list[str]]:
    """Every file there and opening; a sample's markers in its PDF and Word text (returned)."""
    import pypdfium2 as pdfium

    from apforms import api

    stems = [p.stem for p in plan.pairs]
    for ext in (".docx", ".pdf"):
        have = sum((out / f"{s}{ext}").is_file() for s in stems)
        require(have == len(stems), f"{route}: {have} of {len(stems)} {ext} files written")
    for s in stems:  # every PDF opens and has pages
        try:
            doc = pdfium.PdfDocument(out / f"{s}.pdf")
            pages = len(doc)
            doc.close()
        except pdfium.PdfiumError as exc:
            raise SystemExit(require(False, f"{route}: {s}.pdf does not open ({exc})")) from None
        require(pages > 0, f"{route}: {s}.pdf has no pages")
    texts = {}
    step = max(1, len(plan.pairs) // SAMPLE)
    for pair in plan.pairs[::step][:SAMPLE]:
        pdf = (out / f"{pair.stem}.pdf").read_bytes()
        if route == "apforms":
            shown = json.dumps(api.ingest_bytes(pdf, "returned.pdf").record["data"], ensure_ascii=False)
        else:
            shown = _pdf_text(pdf)
        lost = [m for m in markers(pair.data) if m not in shown]
        require(not lost, f"{route}: {pair.stem}.pdf does not read back {lost}")
        text = docx_text((out / f"{pair.stem}.docx").read_bytes())
        lost = [m for m in markers(pair.data) if m not in "\n".join(text)]
        require(not lost, f"{route}: {pair.stem}.docx does not show {lost}")
        texts[pair.stem] = text
    return texts


# --------------------------------------------------------------------------- the run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=2, help="turns of each route (the first cold)")
    ap.add_argument("--batch", type=int, default=200, help="documents per soffice run")
    ap.add_argument("--child", nargs=3, metavar=("ROUTE", "DIR", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        route, folder, out = args.child[0], Path(args.child[1]), Path(args.child[2])
        inputs = {k: folder / f"{k}.csv" for k in ("placements", "providers", "schools")}
        t0 = time.perf_counter()
        if route == "apforms":
            r = route_apforms(inputs, out, args.jobs)
        else:
            r = route_usual(inputs, out, args.batch, folder / "lo-profile")
        print(json.dumps({**r, "seconds": time.perf_counter() - t0}))
        return

    have_soffice = bool(shutil.which("soffice") or shutil.which("libreoffice"))
    print(f"bulk SLAs, docx + pdf, {args.pairs} pairs (3 placement rows each), apforms --jobs {args.jobs},")
    print(f"soffice in batches of {args.batch}; {load_line()}")
    print(f"{'route':<34}{'run':>5}{'SLAs':>6}{'wall s':>9}{'cpu s':>8}{'SLAs/s':>8}{'peak PSS':>10}")
    tmp = Path(tempfile.mkdtemp(prefix="apforms-bulk-"))
    env = {**os.environ, "APFORMS_CACHE_DIR": str(tmp / "cache")}
    try:
        inputs = make_inputs(tmp, args.pairs)
        plan = _plan(inputs)
        require(len(plan.pairs) == args.pairs, f"the plan has {len(plan.pairs)} pairs, not {args.pairs}")
        routes = ["apforms"] + (["usual"] if have_soffice else [])
        label = {"apforms": "apforms bulk sla", "usual": "docxtpl + soffice --convert-to pdf"}
        for turn in range(args.rounds):
            texts: dict[str, dict[str, list[str]]] = {}
            for route in routes:
                out = tmp / f"out-{route}"
                shutil.rmtree(out, ignore_errors=True)
                argv = [sys.executable, __file__, "--jobs", str(args.jobs), "--batch", str(args.batch)]
                r = run([*argv, "--child", route, str(tmp), str(out)], env)
                require(r.returncode == 0, f"{route} failed: {r.stderr.strip()[-300:]}")
                texts[route] = check_outputs(route, out, plan)
                kind = "cold" if turn == 0 else "warm"
                print(
                    f"{label[route]:<34}{kind:>5}{args.pairs:>6}{r.wall:>9.2f}{r.cpu:>8.2f}"
                    f"{args.pairs / r.wall:>8.1f}{r.peak_pss_mb:>7.0f} MB",
                    flush=True,
                )
                shutil.rmtree(out, ignore_errors=True)
            if "usual" in texts:
                for stem, text in texts["apforms"].items():
                    require(text == texts["usual"][stem], f"the Word text of {stem} differs between routes")
        if not have_soffice:
            print(f"{label['usual']:<34}  not installed (LibreOffice)")
        print(f"every run: {args.pairs} .docx and .pdf, all opened; {SAMPLE} pairs read back and compared")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

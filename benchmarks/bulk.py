"""Bulk SLAs: 1,000 agreements from 3,000 placement rows, docx and pdf.

Prints wall time, SLAs/s and peak RSS for apforms at two sizes (to show memory does not grow
with the count), beside the usual route when LibreOffice is installed: docxtpl per document,
then ``soffice --convert-to pdf`` in one batch.

    python benchmarks/bulk.py [--pairs 1000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stdnum.gb import upn as stdnum_upn

from apforms.bulk import bulk_sla, example_inputs
from apforms.model.config import load_config

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"


def upn(n: int) -> str:
    body = f"831{2000 + n // 100000:04d}{n % 100000:05d}"[:12]
    return next(c + body for c in CHECK_LETTERS if stdnum_upn.is_valid(c + body))


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


def peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def run_apforms(pairs: int, jobs: int) -> None:
    """Measured in a fresh process so that peak RSS belongs to this size alone."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp), pairs)
        t0 = time.perf_counter()
        result = bulk_sla(
            inputs["placements"], inputs["providers"], inputs["schools"], Path(tmp) / "out",
            load_config().registration, ("docx", "pdf"), jobs,
        )  # fmt: skip
        wall = time.perf_counter() - t0
        assert result.ok and len(result.results) == pairs, "bulk run did not produce every pair"
        print(f"{pairs}\t{wall:.2f}\t{pairs / wall:.1f}\t{peak_rss_mb():.0f}")


def measure(pairs: int, jobs: int) -> tuple[float, float, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(pairs), "--jobs", str(jobs)],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return float(out[1]), float(out[2]), float(out[3])


def usual_route(pairs: int) -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return "not installed (LibreOffice)"
    from docxtpl import DocxTemplate

    from apforms.bulk import plan_slas
    from apforms.formats.docx.context import context
    from apforms.model.definitions import data_dir, load_definition

    template = data_dir("templates") / "sla.docx"
    sla = load_definition("sla")
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp), pairs)
        t0 = time.perf_counter()  # the same grouping, then docxtpl per document and soffice
        plan = plan_slas(
            inputs["placements"], inputs["providers"], inputs["schools"], load_config().registration
        )
        docs = []
        for pair in plan.pairs:
            doc = DocxTemplate(template)
            doc.render(context(sla, pair.data), autoescape=True)
            path = Path(tmp) / f"{pair.stem}.docx"
            doc.save(path)
            docs.append(str(path))
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, *docs],
                       check=True, capture_output=True)  # fmt: skip
        wall = time.perf_counter() - t0
    return f"{wall:.2f} s wall, {pairs / wall:.1f} SLAs/s"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        run_apforms(args.child, args.jobs)
        return
    print(f"bulk SLAs, docx + pdf, {args.jobs} job(s), {os.cpu_count()} cores; 3 placement rows per SLA")
    print(f"{'route':<34}{'SLAs':>6}{'wall s':>9}{'SLAs/s':>9}{'peak RSS MB':>13}")
    for n in (args.pairs // 4, args.pairs):
        wall, rate, rss = measure(n, args.jobs)
        print(f"{'apforms bulk sla':<34}{n:>6}{wall:>9.2f}{rate:>9.1f}{rss:>13.0f}")
    print(f"{'docxtpl + soffice --convert-to':<34}{args.pairs:>6}  {usual_route(args.pairs)}")


if __name__ == "__main__":
    main()

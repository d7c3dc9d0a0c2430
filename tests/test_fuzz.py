"""apforms' own PDFs, mutated (issue 14, item 7): each mutant is refused in one line or read,
never an internal error, a hang or memory running away.

A seeded mutator (:mod:`tests.fuzz_support`: bytes flipped, cut, repeated; numbers and names
swapped; streams made bombs, pages of 'q', fields looping, huge images) makes ``COUNT`` mutants;
they are read in one child process under a memory cap. ``APFORMS_FUZZ_SEED`` and
``APFORMS_FUZZ_COUNT`` run others (the failures name the mutant, to make it again).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pikepdf
import pytest

from apforms.errors import IngestError
from apforms.formats.pdf.read import ingest_pdf

from .bounds_support import run_apforms
from .pdf_support import example_pdf

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("APFORMS_FUZZ_SEED", "14"))
COUNT = int(os.environ.get("APFORMS_FUZZ_COUNT", "120"))


def test_mutated_returns_are_refused_or_read_in_bounded_time_and_memory() -> None:
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    child = subprocess.run(
        [sys.executable, "-m", "tests.fuzz_support", str(SEED), str(COUNT)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60 + COUNT, preexec_fn=cap,
    )  # fmt: skip
    assert child.returncode == 0, f"the fuzz run ended with {child.returncode}: {child.stderr[-2000:]}"
    result = json.loads(child.stdout.splitlines()[-1])
    assert result["failures"] == []
    assert result["read"] + result["refused"] == COUNT
    assert result["slowest_s"] < 10, result["slowest"]
    assert result["peak_mb"] < 500


# --------------------------------------------------------------------------- what the fuzzer found


def _saved(pdf: pikepdf.Pdf) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_a_field_named_as_a_row_no_table_has_is_refused_not_laid_out(tmp_path: Path) -> None:
    """A digit changed in a field's name (``….999999999``): the layout was made with that many
    rows, for ever (run in a child process, which is stopped if it does not finish)."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla")))
    pdf.Root.AcroForm.Fields.append(
        pdf.make_indirect(
            pikepdf.Dictionary(
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("provision.costings.999999999"),
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                Rect=[0, 0, 1, 1],
            )  # fmt: skip
        )
    )
    src = tmp_path / "rows.pdf"
    src.write_bytes(_saved(pdf))
    child = run_apforms(["ingest", str(src)], timeout=20, cap_mb=1500)
    assert child.status == 2
    assert child.refusal == (
        "apforms: a field is named 'provision.costings.999999999': row 999999999 of a table (at most 500)"
    )
    assert child.wall < 10


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "/ApformsGrow",
            "0*999999.0*999999",
            r"the form says it has 1,999,998 tables or boxes \(at most 50,000 are read\)",
        ),
        (
            "/ApformsGrow",
            "999999",
            r"the form says a table or box has 999,999 rows or lines \(at most 1,000\)",
        ),
        ("/ApformsRows", "3." + "9" * 5000, r"the form says a table or box has 1,000,000,000 rows or lines"),
    ],
)
def test_a_form_saying_absurd_row_counts_or_growth_is_refused(key: str, value: str, message: str) -> None:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla", flatten=True)))
    pdf.docinfo[key] = value
    with pytest.raises(IngestError, match=message):
        ingest_pdf(_saved(pdf), "grow.pdf")


def test_text_a_mile_high_does_not_fill_the_page_index(tmp_path: Path) -> None:
    """A number changed in a page's text matrix: the page's text was filed by height in a
    bucket for every 24 points it covered (2.8 GB, then MemoryError)."""
    pdf = pikepdf.open(io.BytesIO(example_pdf("referral", flatten=True)))
    page = pdf.pages[0]
    font = next(iter(page.obj.Resources.Font.keys()))
    tall = f"BT {font} 9 Tf 1 0 0 900000000 40 40 Tm <0041> Tj ET".encode()
    page.contents_add(pikepdf.Stream(pdf, tall))
    src = tmp_path / "tall.pdf"
    src.write_bytes(_saved(pdf))
    child = run_apforms(["ingest", str(src)], cap_mb=1500)
    assert child.status in (0, 1), child.stderr
    assert child.peak_mb < 300 and child.wall < 10


def test_a_filter_name_that_is_not_utf8_is_no_filter() -> None:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla", flatten=True)))
    contents = pdf.pages[0].obj.Contents
    first = contents[0] if isinstance(contents, pikepdf.Array) else contents
    first.Filter = pikepdf.Name(b"/Fl\xaete".decode("latin-1"))
    with contextlib.suppress(IngestError):  # refused in one line, or read: never a UnicodeDecodeError
        ingest_pdf(_saved(pdf), "name.pdf")

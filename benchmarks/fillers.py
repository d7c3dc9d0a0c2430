"""The whole filler matrix: every document's form filled by other people's software, read back.

For each of the five documents and each filler of ``tests/fillers.py`` (pdftk FDF and XFDF,
pypdf both ways, PyPDFForm, pdf.js, pdf-lib, PDFium as Chrome fills):

* blank: the blank form filled with every value of the example record (every text box, tick
  box, radio group and dropdown it has);
* prefilled: the form pre-filled from the example record, then changed as a person would —
  every ticked box unticked, every radio group and dropdown moved to another option, every
  plain text answer typed over;

then ``ingest`` reads it, and the record must be exactly what was typed (where the filler left
a field unfilled, exactly what the form then holds, and the cell says so). The CI tests run the
referral with every filler (tests/test_foreign_fillers.py); this runs all five documents.

The whole matrix is printed, then any cell whose record differs fails the run (``CHECK
FAILED``, exit 2, naming the document, the filler and the first field that differs), as does a
filler's error other than its known refusal (pdf-lib's fonts cannot encode Č, Ș, Ş: shown as
"refused"). A filler that is not installed is shown so. A correctness matrix, not a speed
benchmark: each cell's fill and ingest times are of this one process (the first cell of a
filler pays its imports; the disk cache a fresh folder, filled by the first document), with no
memory figure; the checks are not timed.

    python benchmarks/fillers.py            # the whole matrix (about a minute)
    python benchmarks/fillers.py referral   # one document
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from _measure import load_line, require  # noqa: E402
from tests.fillers import FILLERS, Values, every_value  # noqa: E402

from apforms import api  # noqa: E402
from apforms.formats.pdf.geometry import CHECK, COMBO, RADIO, TEXT  # noqa: E402
from apforms.formats.pdf.read import LAYOUTS, ingest_pdf  # noqa: E402
from apforms.formats.pdf.values import assemble  # noqa: E402
from apforms.model import records  # noqa: E402
from apforms.model.definitions import load_definition  # noqa: E402
from apforms.model.types import TEXT as TEXT_TYPE  # noqa: E402

DOCS = ("referral", "commissioning", "sla", "qa", "improvement-plan")


def canonical(doc: str) -> dict[str, Any]:
    definition = load_definition(doc)
    return records.validate(definition, api.example(doc)["data"]).data


def changed(doc: str, form: bytes, values: Values) -> Values:
    """A person's changes to a pre-filled form: ticks off, other options, plain text typed over."""
    import io

    import pikepdf

    from apforms.formats.pdf.read_fields import read_acroform

    definition = load_definition(doc)
    with pikepdf.open(io.BytesIO(form)) as pdf:
        names = read_acroform(pdf).fields
    by_name = LAYOUTS[4].names_layout(definition, names).by_name
    out = dict(values.typed)
    for name, value in values.typed.items():
        f = by_name[name]
        if f.kind == CHECK and value is True:
            out[name] = False
        elif f.kind == RADIO and isinstance(value, str):
            states = values.radios[name]
            out[name] = states[(states.index(value) + 1) % len(states)]
        elif f.kind == COMBO and isinstance(value, str):
            options = values.combos[name]
            out[name] = options[(options.index(value) + 1) % len(options)]
        elif f.kind == TEXT and f.leaf.type == TEXT_TYPE and isinstance(value, str) and value:
            out[name] = value + " (revised)"
    return Values(out, values.radios, values.combos)


def expected(doc: str, form: bytes, values: Values) -> dict[str, Any]:
    import io

    import pikepdf

    from apforms.formats.pdf.read_fields import read_acroform

    definition = load_definition(doc)
    with pikepdf.open(io.BytesIO(form)) as pdf:
        names = read_acroform(pdf).fields
    layout = LAYOUTS[4].names_layout(definition, names)
    data: dict[str, Any] = records.validate(definition, assemble(layout, values.typed), partial=True).data
    return data


# A filler's own refusal of the examples' text (pdf-lib's standard fonts encode WinAnsi only):
# shown, not a failure. Any other error of a filler fails the run, as it may be the form's fault.
KNOWN_REFUSALS = {"pdf-lib": "WinAnsi cannot encode"}


def main() -> None:
    import json
    import logging
    import os

    import pytest

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its notes on fonts it cannot encode
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="*", default=list(DOCS))
    args = parser.parse_args()
    cache = tempfile.TemporaryDirectory(prefix="apforms-fillers-cache-")
    os.environ["APFORMS_CACHE_DIR"] = cache.name  # a fresh cache, never the user's own
    print(f"filler matrix: {', '.join(args.docs)}; {load_line()}", flush=True)
    kinds: Counter[str] = Counter()
    failures: list[str] = []
    for doc in args.docs:
        data = canonical(doc)
        blank = api.blank_bytes(doc, "pdf")
        prefilled = api.render_record(
            api.read_record("x", json.dumps(records.record_file(load_definition(doc), data))), "pdf"
        ).content
        assert prefilled is not None
        cases = {
            "blank": (blank, every_value(doc, blank, data)),
            "prefilled": (prefilled, changed(doc, prefilled, every_value(doc, prefilled, data))),
        }
        for filler, fill in FILLERS.items():
            for form_name, (form, values) in cases.items():
                cell = f"{doc:17} {filler:27} {form_name:9}"
                t0 = time.perf_counter()
                with tempfile.TemporaryDirectory() as tmp:
                    try:
                        out = fill(form, Path(tmp), values)
                    except pytest.skip.Exception as exc:  # tests/fillers.py's way of saying so
                        kinds["not installed"] += 1
                        print(f"{cell} not installed: {exc}", flush=True)
                        continue
                    except Exception as exc:
                        known = filler in KNOWN_REFUSALS and KNOWN_REFUSALS[filler] in str(exc)
                        kinds["refused by the filler" if known else "filler failed"] += 1
                        print(
                            f"{cell} {'refused' if known else 'FILLER FAILED'}: {str(exc)[:80]}", flush=True
                        )
                        if not known:
                            failures.append(f"{doc}: {filler} ({form_name}) failed: {str(exc)[:200]}")
                        continue
                t1 = time.perf_counter()
                try:
                    result = ingest_pdf(out, "filled.pdf")
                except Exception as exc:
                    kinds["not read"] += 1
                    print(f"{cell} NOT READ: {str(exc)[:80]}", flush=True)
                    failures.append(f"{doc}: {filler} ({form_name}) not read back: {str(exc)[:200]}")
                    continue
                t2 = time.perf_counter()
                # What the filler left out (nothing in the field's value or on its page): the
                # record must then hold what the form holds, not what was meant to be typed.
                left_out = _not_as_typed(out, values)
                kept = Values(values.typed | left_out, values.radios, values.combos)
                want, got = expected(doc, form, kept), result.record["data"]
                took = f"(fill {t1 - t0:.2f} s, ingest {t2 - t1:.2f} s)"
                if got == want:
                    verdict = f"exact ({len(values.typed)} fields)"
                    kinds["exact as filled" if left_out else "exact as typed"] += 1
                    if left_out:
                        shown = ", ".join(sorted(left_out)[:2])
                        verdict += f"; {len(left_out)} not filled as asked by the filler: {shown}"
                else:
                    wrong = _diff(want, got)
                    unflagged = [
                        p for p in wrong if not any(p.startswith(f) or f.startswith(p) for f in result.review)
                    ]
                    shown = ", ".join(wrong[:3])
                    verdict = f"DIFFERS ({len(wrong)} differing, {len(unflagged)} not flagged): {shown}"
                    kinds["differs"] += 1
                    first = wrong[0]
                    failures.append(
                        f"{doc}: {filler} ({form_name}) read back {_at(got, first)!r} at {first}, "
                        f"not {_at(want, first)!r} ({len(wrong)} differing in all)"
                    )
                print(f"{cell} {verdict}  {took}", flush=True)
    print(f"\n{sum(kinds.values())} fills: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    print(f"load after: {load_line()}")
    cache.cleanup()
    for line in failures[1:]:
        print(f"also: {line}")
    require(not failures, failures[0] if failures else "")
    require(kinds["exact as typed"] > 0, "no filler was run")


def _at(data: Any, path: str) -> Any:
    """The value at a path of :func:`_diff` (list items counted from 1)."""
    for key in path.split(".") if path else []:
        if isinstance(data, list):
            data = data[int(key) - 1] if key.isdigit() and 0 < int(key) <= len(data) else None
        else:
            data = data.get(key) if isinstance(data, dict) else None
    return data


def _not_as_typed(filled: bytes, values: Values) -> dict[str, str | bool | None]:
    """The fields the filler did not fill as asked, with what they hold (the form's own
    value and on-states, read by qpdf): the record must hold what the form holds."""
    import io

    import pikepdf

    from apforms.formats.pdf.read_fields import read_acroform

    with pikepdf.open(io.BytesIO(filled)) as pdf:
        raw = read_acroform(pdf).fields
    out: dict[str, str | bool | None] = {}
    for name, typed in values.typed.items():
        f = raw.get(name)
        actual: str | bool | None
        if name in values.radios:
            actual = f.shown[0] if f is not None and f.shown else None
        elif isinstance(typed, bool):
            actual = bool(f is not None and f.shown)
        else:
            actual = (f.value or None) if f is not None else None
        want = typed if isinstance(typed, bool) else (typed or None)
        # a dropdown's value may be written as the option's text ("WOTH – Any other …", "Amber")
        as_text = (
            name in values.combos
            and isinstance(actual, str)
            and isinstance(want, str)
            and (actual.casefold() == want.casefold() or actual.startswith(want + " – "))
        )
        if actual != want and not as_text:
            out[name] = actual
    return out


def _diff(a: Any, b: Any, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            p for k in sorted(set(a) | set(b)) for p in _diff(a.get(k), b.get(k), f"{path}.{k}".strip("."))
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _diff(x, y, f"{path}.{i + 1}")]
    return [] if a == b else [path]


if __name__ == "__main__":
    main()

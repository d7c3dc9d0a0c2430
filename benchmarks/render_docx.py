#!/usr/bin/env python3
"""Word output speed and memory: apforms' compiled templates against plain docxtpl.

    python benchmarks/render_docx.py            # 1,000 referral and 1,000 SLA documents each way
    python benchmarks/render_docx.py -n 100     # a quicker run

Both ways render the same committed template (``templates/<id>.docx``) with the same context
(the view of the example record, one name changed per document), strict and escaping, and
write each document to its own file. Plain docxtpl opens the template for every document and
saves by path, as its documentation shows (``DocxTemplate(path)``, ``render``, ``save(path)``);
apforms compiles it once (its disk cache keeps the compiled template) and writes the bytes.

The ways take turns (docxtpl, apforms, docxtpl, apforms …; ``--rounds``, the documents split
between them). The first turn of each is cold (an empty ``APFORMS_CACHE_DIR``), the others
warm. Each turn is a child process: its first document (imports, and for apforms compiling
the template or reading it from the cache) is timed on its own, the others give the rate; the
peak PSS of its process tree, and its own PSS after a tenth of the documents and after all of
them (does memory grow with the count?).

A turn counts only when every document was written and is a Word package whose text shows
the name changed for it, and a sample read back (python-docx: every paragraph and table cell)
has the same text both ways; anything less stops the benchmark with exit 2 and a ``CHECK
FAILED`` line. The checks read the files after the child has finished.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from _measure import docx_text, load_line, median, require, run, tree_pss_kb

DOCS = ("referral", "sla")
WAYS = ("docxtpl", "apforms")
LABEL = {"docxtpl": "plain docxtpl", "apforms": "apforms"}
#: The field changed per document, so that no two documents are the same.
NAME = {"referral": ("pupil", "legal_name"), "sla": ("provider", "name")}
SAMPLE = 5  # documents per turn read back and compared


def base_record(doc: str) -> dict[str, Any]:
    from apforms import api
    from apforms.model import records
    from apforms.model.definitions import load_definition

    data: dict[str, Any] = records.canonical(load_definition(doc), api.example(doc)["data"])
    return data


def rate(x: float) -> str:
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def name_of(doc: str, base: dict[str, Any], i: int) -> str:
    section, key = NAME[doc]
    return f"{base[section][key]} {i}"


def records(doc: str, base: dict[str, Any], n: int) -> Iterator[dict[str, Any]]:
    section, key = NAME[doc]
    data = copy.deepcopy(base)
    for i in range(n):
        data[section][key] = name_of(doc, base, i)
        yield data


def renderer(way: str, doc: str) -> Callable[[dict[str, Any], Path], None]:
    from apforms.formats.docx.compile import render_docx, template_path
    from apforms.model.definitions import load_definition

    definition = load_definition(doc)
    if way == "apforms":

        def compiled(data: dict[str, Any], path: Path) -> None:
            path.write_bytes(render_docx(definition, data))

        return compiled

    import jinja2
    from docxtpl import DocxTemplate

    from apforms.formats.docx.context import context

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = str(template_path(doc))

    def plain(data: dict[str, Any], path: Path) -> None:
        tpl = DocxTemplate(template)
        tpl.render(context(definition, data), env, autoescape=True)
        tpl.save(path)

    return plain


def worker(way: str, doc: str, n: int, out: Path) -> dict[str, Any]:
    base = base_record(doc)  # the test data, made before any timing
    out.mkdir(parents=True, exist_ok=True)
    docs = records(doc, base, n)
    t0 = time.perf_counter()
    render = renderer(way, doc)
    render(next(docs), out / "00000.docx")  # the first document: imports, the template
    first = time.perf_counter() - t0
    tenth = max(2, n // 10)
    seconds, pss_tenth = 0.0, 0.0
    start = time.perf_counter()
    for i, data in enumerate(docs, start=1):
        render(data, out / f"{i:05d}.docx")
        if i == tenth:  # read outside the timing
            seconds += time.perf_counter() - start
            pss_tenth = tree_pss_kb(os.getpid()) / 1024
            start = time.perf_counter()
    seconds += time.perf_counter() - start
    pss_end = tree_pss_kb(os.getpid()) / 1024
    return {"first_s": first, "seconds": seconds, "pss_tenth": pss_tenth, "pss_end": pss_end}


# --------------------------------------------------------------------------- checks (parent)


def sample(n: int) -> list[int]:
    """The documents of a turn read back: the first, the last and some between."""
    return sorted({*range(0, n, max(1, n // SAMPLE)), n - 1})


def shows(text: str, name: str) -> bool:
    """Whether ``name`` is in ``text``, not followed by a digit (``… 1`` is not ``… 10``)."""
    return re.search(re.escape(name) + r"(?!\d)", text) is not None


def check(way: str, doc: str, out: Path, n: int, base: dict[str, Any]) -> dict[int, list[str]]:
    """Every document there, a Word package showing its own name; the sample's text (returned)."""
    names = sorted(p.name for p in out.glob("*.docx"))
    require(names == [f"{i:05d}.docx" for i in range(n)], f"{doc} {way}: {len(names)} of {n} documents there")
    for i, name in enumerate(names):  # every document: its name in the Word XML (cheap, no parsing)
        try:
            with zipfile.ZipFile(out / name) as z:
                xml = z.read("word/document.xml").decode("utf-8")
        except (zipfile.BadZipFile, KeyError):
            xml = ""
        want = name_of(doc, base, i)
        require(shows(xml, escape(want)), f"{doc} {way}: {name} is not a Word document showing {want!r}")
    texts = {}
    for i in sample(n):  # the sample: its text as python-docx reads it
        text = docx_text((out / f"{i:05d}.docx").read_bytes())
        want = name_of(doc, base, i)
        require(shows("\n".join(text), want), f"{doc} {way}: document {i}'s text does not show {want!r}")
        texts[i] = text
    return texts


# --------------------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="documents of each kind each way (default 1000)")
    parser.add_argument("--rounds", type=int, default=2, help="turns per way, the first cold (default 2)")
    parser.add_argument("--worker", nargs=4, metavar=("WAY", "DOC", "N", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        way, doc, n, out = args.worker
        print(json.dumps(worker(way, doc, int(n), Path(out))))
        return
    per_turn = max(2, args.n // args.rounds)
    tmp = Path(tempfile.mkdtemp(prefix="apforms-docx-"))
    cache = tmp / "cache"
    env = {**os.environ, "APFORMS_CACHE_DIR": str(cache)}
    print(f"{per_turn} documents of each kind a turn, {args.rounds} turns each way taking turns (A B A B),")
    print(f"the first with an empty cache; {load_line()}")
    print(
        f"{'document':<9} {'way':<14} {'docs/s':>7} {'cold/warm':>11} {'vs':>6} {'first cold/warm':>16} "
        f"{'PSS 1/10→all':>13} {'peak PSS':>9}  check"
    )
    try:
        for doc in DOCS:
            base = base_record(doc)
            turns: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
            for turn in range(args.rounds):
                texts = {}
                for way in WAYS:
                    if turn == 0:
                        shutil.rmtree(cache, ignore_errors=True)
                    out = tmp / f"out-{way}"
                    shutil.rmtree(out, ignore_errors=True)
                    r = run([sys.executable, __file__, "--worker", way, doc, str(per_turn), str(out)], env)
                    require(r.returncode == 0, f"{doc} {way} failed: {r.stderr.strip()[-300:]}")
                    got = json.loads(r.stdout.strip().splitlines()[-1])
                    texts[way] = check(way, doc, out, per_turn, base)
                    turns[way].append({**got, "pss": r.peak_pss_mb})
                for i, text in texts["apforms"].items():
                    require(text == texts["docxtpl"][i], f"{doc}: the Word text of document {i} differs")
            rates = {w: [(per_turn - 1) / t["seconds"] for t in ts] for w, ts in turns.items()}
            pooled = {w: (per_turn - 1) * len(ts) / sum(t["seconds"] for t in ts) for w, ts in turns.items()}
            for way in WAYS:
                ts = turns[way]
                both = rate(rates[way][0]) + "/" + (rate(median(rates[way][1:])) if len(ts) > 1 else "-")
                first = "/".join(f"{t['first_s'] * 1000:.0f}" for t in ts[:2]) + " ms"
                pss = f"{max(t['pss_tenth'] for t in ts):.0f}→{max(t['pss_end'] for t in ts):.0f} MB"
                read = len(sample(per_turn)) * len(ts)
                print(
                    f"{doc:<9} {LABEL[way]:<14} {rate(pooled[way]):>7} {both:>11} "
                    f"{pooled[way] / pooled['docxtpl']:>5.1f}× {first:>16} {pss:>13} "
                    f"{max(t['pss'] for t in ts):>6.0f} MB  {per_turn * len(ts)} written, {read} read, same"
                )
        print("every turn: all documents written, each a Word package showing the name changed for it;")
        print(f"{len(sample(per_turn))} read back (python-docx): the same text both ways")
        print(f"load after: {load_line()}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

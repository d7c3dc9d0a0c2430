#!/usr/bin/env python3
"""Word output speed and memory: apforms' compiled templates against plain docxtpl.

    python benchmarks/render_docx.py            # 1,000 referral and 1,000 SLA documents each way
    python benchmarks/render_docx.py -n 100     # a quicker run

Both ways render the same committed template (``templates/<id>.docx``) with the same context
(the view of the example record, one name changed per document), strict and escaping. Plain
docxtpl opens the template for every document, as its documentation shows; apforms compiles
it once. Each way runs in a fresh process so that its peak RSS is its own; the peak after the
first tenth of the documents and after all of them shows whether memory grows with the count.
Before timing, one document is made each way and their text (every paragraph and table cell)
is compared.
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

DOCS = ("referral", "sla")
#: The field changed per document, so that no two documents are the same.
NAME = {"referral": ("pupil", "legal_name"), "sla": ("provider", "name")}


def records(doc: str, n: int) -> Iterator[dict[str, Any]]:
    from apforms import api
    from apforms.model import records
    from apforms.model.definitions import load_definition

    data = records.canonical(load_definition(doc), api.example(doc)["data"])
    section, key = NAME[doc]
    base = data[section][key]
    for i in range(n):
        data[section][key] = f"{base} {i}"
        yield data


def renderer(way: str, doc: str) -> Callable[[dict[str, Any]], bytes]:
    from apforms.formats.docx.compile import render_docx, template_path
    from apforms.model.definitions import load_definition

    definition = load_definition(doc)
    if way == "apforms":
        return lambda data: render_docx(definition, data)

    import jinja2
    from docxtpl import DocxTemplate

    from apforms.formats.docx.context import context

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    path = str(template_path(doc))

    def plain(data: dict[str, Any]) -> bytes:
        tpl = DocxTemplate(path)
        tpl.render(context(definition, data), env, autoescape=True)
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()

    return plain


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (VmHWM), in MB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(way: str, doc: str, n: int) -> dict[str, Any]:
    render = renderer(way, doc)
    render(next(records(doc, 1)))  # warm up: imports, and for apforms the one compilation
    tenth = max(1, n // 10)
    start = time.perf_counter()
    peak_tenth = 0.0
    size = 0
    for i, data in enumerate(records(doc, n), start=1):
        size = len(render(data))  # each document is dropped, as a writer to disk would
        if i == tenth:
            peak_tenth = peak_rss_mb()
    seconds = time.perf_counter() - start
    return {"docs": n, "seconds": seconds, "peak_tenth": peak_tenth, "peak": peak_rss_mb(), "bytes": size}


def text_of(content: bytes) -> list[str]:
    import docx
    from docx.table import Table

    out = []
    for block in docx.Document(io.BytesIO(content)).iter_inner_content():
        if isinstance(block, Table):
            out += [c.text for row in block.rows for c in row.cells]
        else:
            out.append(block.text)
    return out


def same_text(doc: str) -> bool:
    data = next(records(doc, 1))
    return text_of(renderer("docxtpl", doc)(data)) == text_of(renderer("apforms", doc)(data))


def run_worker(way: str, doc: str, n: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", way, doc, str(n)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="documents of each kind (default 1000)")
    parser.add_argument("--worker", nargs=3, metavar=("WAY", "DOC", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        way, doc, n = args.worker
        print(json.dumps(worker(way, doc, int(n))))
        return
    print(f"{args.n} documents of each kind; docs/s, and peak RSS after 1/10 and all of them (MB)")
    print(
        f"{'document':<10} {'way':<16} {'docs/s':>8} {'speed-up':>9} {'peak 1/10':>10} {'peak all':>9}  text"
    )
    for doc in DOCS:
        same = "same" if same_text(doc) else "DIFFERENT"
        base = run_worker("docxtpl", doc, args.n)
        fast = run_worker("apforms", doc, args.n)
        for way, r in (("plain docxtpl", base), ("apforms", fast)):
            rate = r["docs"] / r["seconds"]
            speedup = rate / (base["docs"] / base["seconds"])
            print(
                f"{doc:<10} {way:<16} {rate:>8.1f} {speedup:>8.1f}× {r['peak_tenth']:>10.1f} "
                f"{r['peak']:>9.1f}  {same}"
            )


if __name__ == "__main__":
    main()

"""What every benchmark measures the same way: a child process's wall and CPU time, the peak
memory of its whole process tree, and a loud failure when a route did less work than another.

Memory is PSS (proportional set size: shared pages split between the processes sharing them)
summed over the child and all its descendants (bulk workers, pdftk's JVM, soffice), sampled
from ``/proc/PID/smaps_rollup`` every 20 ms while the child runs. One process's RSS would
leave its workers out; the tree's RSS would count shared libraries once per process.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class ShortWork(SystemExit):
    """Raised when a route produced fewer or different outputs than it was asked for."""

    def __init__(self, message: str) -> None:
        print(f"CHECK FAILED: {message}", file=sys.stderr, flush=True)
        super().__init__(2)


def require(ok: bool, message: str) -> None:
    """Fail the whole benchmark (exit 2, one clear line) unless ``ok``."""
    if not ok:
        raise ShortWork(message)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            kids += [int(k) for k in text.split()]
    except OSError:
        pass
    return kids


def tree_pss_kb(pid: int) -> int:
    """PSS of ``pid`` and every descendant, in kB (0 where /proc cannot be read)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        todo += _children(p)
    return total


@dataclass
class Run:
    """One child process: its output, wall and CPU seconds (user + system, its waited-for
    descendants included) and the peak PSS of its process tree."""

    stdout: str
    stderr: str
    returncode: int
    wall: float
    cpu: float
    peak_pss_mb: float


def run(argv: Sequence[str], env: dict[str, str] | None = None, *, sample: bool = True) -> Run:
    """Run ``argv`` to its end, measuring it (the tree's PSS sampled unless ``sample`` is false)."""
    peak = [0]
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sampler() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_pss_kb(proc.pid))
            done.wait(0.02)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample:
        thread.start()
    # read the pipes in threads, so that a chatty child cannot block on a full pipe
    out: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda k=k, f=f: out.__setitem__(k, f.read()))
        for k, f in (("out", proc.stdout), ("err", proc.stderr))
    ]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    for r in readers:
        r.join()
    if sample:
        thread.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        out.get("out", ""),
        out.get("err", ""),
        proc.returncode,
        wall,
        usage.ru_utime + usage.ru_stime,
        peak[0] / 1024,
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load_line() -> str:
    """The machine's load and speed, to print with every result. The speed is the time of a
    fixed pure-Python loop (5 million additions), best of three: this machine is a virtual one
    whose CPU runs up to half again slower at some times than at others, whatever its load, so
    figures from different runs compare only beside it."""
    one, five, _ = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min), "
        f"speed: a 5M-step Python loop in {speed_s():.2f} s"
    )


def speed_s() -> float:
    """Seconds for 5 million additions in a Python loop, best of three."""
    best = float("inf")
    for _ in range(3):
        start, total = time.perf_counter(), 0
        for i in range(5_000_000):
            total += i
        best = min(best, time.perf_counter() - start)
    return best


def blank_like(doc_id: str, data: dict[str, object]) -> bytes:
    """apforms' blank PDF form with as many rows in each table as ``data`` has, so that a peer
    filling it has a field for every value (the default blank has fewer rows in some tables)."""
    from apforms import api
    from apforms.model.definitions import load_definition
    from apforms.model.types import Shape

    rows = {}
    for f in load_definition(doc_id).walk():
        if f.shape in (Shape.ROWS, Shape.ITEMS) and "[]" not in f.path:
            node: object = data
            for key in f.path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, list) and node:
                rows[f.path] = len(node)
    return api.blank_bytes(doc_id, "pdf", rows=rows)


def docx_text(data: bytes) -> list[str]:
    """A Word document's text as python-docx reads it: paragraphs, and tables cell by cell."""
    import io

    import docx
    from docx.table import Table

    text = []
    for block in docx.Document(io.BytesIO(data)).iter_inner_content():
        if isinstance(block, Table):
            text += [c.text for row in block.rows for c in row.cells]
        else:
            text.append(block.text)
    return text

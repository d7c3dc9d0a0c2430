"""One-shot commands, as a person runs them: apforms against the peers' one-shot scripts.

Each command is a fresh ``python`` process, timed by wall clock and by its CPU time (user +
system, from ``wait4``), median of ``-n`` runs (default 5) after one unmeasured run:

* apforms: ``--help``, ``validate``, ``render`` the referral to PDF and to Word, ``ingest``
  the filled PDF, ``archive add`` it (a new archive each run); warm (the disk cache filled) and
  cold (``APFORMS_CACHE_DIR`` emptied before every run);
* peers, doing the same jobs with the same inputs (``benchmarks/peers/``): docxtpl rendering
  the same template from the same context, pypdf filling the same blank form with the same
  field values, pypdf reading the same filled form. They keep no cache: one figure.

Everything takes turns: each round runs every (command, tool, cache) once, so a busy moment
touches them all alike. Bytecode is cached (``PYTHONDONTWRITEBYTECODE`` unset,
``PYTHONPYCACHEPREFIX`` in the temporary folder), as an installed package has it. After the
runs the outputs are compared, and a difference stops with exit 2 and a ``CHECK FAILED``
line: both PDFs ingest to the record, both Word files have the same text, and both readers
read the form's values.

    PYTHONPATH=src python benchmarks/cli.py [-n 5] [--src DIR] [COMMAND …]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _measure import blank_like, docx_text, load_line, median, require, run

HERE = Path(__file__).resolve().parent
GOALS = {
    "--help": 0.1, "validate": 0.2, "render pdf": 0.3, "render docx": 0.25, "ingest": 0.25,
    "archive add": 0.4,
}  # fmt: skip
#: which peer script does each command's job
BREAK, TAB = '</w:t><w:br/><w:t xml:space="preserve">', '</w:t><w:tab/><w:t xml:space="preserve">'
PEERS = {"render pdf": "pypdf fill", "render docx": "docxtpl render", "ingest": "pypdf read"}


@dataclass
class Variant:
    command: str
    tool: str
    cache: str  # "warm", "cold" or "—" (a peer: no cache)
    argv: Callable[[], list[str]]
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)


def jsonable(value: Any) -> Any:
    """apforms' Word context as plain JSON (a Choice as its text and boxes; text of several
    lines as ``{"listing": …}``, which the docxtpl script gives docxtpl as a ``Listing``)."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "box") and hasattr(value, "text"):
        return {"text": value.text, "box": dict(value.box)}
    if hasattr(value, "__html__"):  # lines apforms broke into Word's runs: plain text for Listing
        from html import unescape

        return {"listing": unescape(str(value).replace(BREAK, "\n").replace(TAB, "\t"))}
    return value


def prepare(work: Path, env: dict[str, str]) -> dict[str, Path]:
    """The record, its PDF form filled by apforms, the blank form, and the peers' inputs."""
    from apforms import api
    from apforms.formats.docx.compile import template_path
    from apforms.formats.docx.context import context
    from apforms.formats.pdf.geometry import RADIO
    from apforms.formats.pdf.layout import layout_for
    from apforms.formats.pdf.values import form_values
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records
    from apforms.model.definitions import load_definition

    definition = load_definition("referral")
    record = api.example("referral")
    data = records.validate(definition, record["data"]).data
    paths = {k: work / n for k, n in [("record", "referral.json"), ("form", "referral.pdf"),
             ("blank", "blank.pdf"), ("context", "context.json"), ("values", "values.json"),
             ("expected", "expected.json")]}  # fmt: skip
    paths["record"].write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    paths["form"].write_bytes(render_pdf(definition, data))
    paths["blank"].write_bytes(blank_like("referral", data))
    paths["context"].write_text(json.dumps(jsonable(context(definition, data)), ensure_ascii=False), "utf-8")
    layout = layout_for(definition, data)
    radios = {f.name for f in layout.fields if f.kind == RADIO}
    # as pypdf takes them: a ticked box and a radio button by the state's PDF name
    values = {
        k: "/Yes" if v is True else f"/{v}" if k in radios else v
        for k, v in form_values(layout, data).items()
        if v not in (None, False)
    }
    paths["values"].write_text(json.dumps(values, ensure_ascii=False), encoding="utf-8")
    paths["expected"].write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    paths["template"] = template_path("referral")
    return paths


def variants(work: Path, p: dict[str, Path]) -> list[Variant]:
    py, apforms = sys.executable, [sys.executable, "-m", "apforms"]
    stores = iter(range(1_000_000))
    ours: dict[str, Callable[[], list[str]]] = {
        "--help": lambda: [*apforms, "--help"],
        "validate": lambda: [*apforms, "validate", str(p["record"])],
        "render pdf": lambda: [*apforms, "render", str(p["record"]), "-o", str(work / "apforms.pdf")],
        "render docx": lambda: [*apforms, "render", str(p["record"]), "-o", str(work / "apforms.docx")],
        "ingest": lambda: [*apforms, "ingest", str(p["form"]), "-o", str(work / "apforms.json")],
        "archive add": lambda: [*apforms, "archive", "--store", str(work / f"store{next(stores)}"), "add",
                                str(p["form"])],
    }  # fmt: skip
    peer = {
        "render pdf": [py, str(HERE / "peers/pypdf_fill.py"), str(p["blank"]), str(p["values"]),
                       str(work / "peer.pdf")],
        "render docx": [py, str(HERE / "peers/docxtpl_render.py"), str(p["template"]), str(p["context"]),
                        str(work / "peer.docx")],
        "ingest": [py, str(HERE / "peers/pypdf_read.py"), str(p["form"]), str(work / "peer.json")],
    }  # fmt: skip
    out = []
    for command, argv in ours.items():
        # cold first: it empties the cache and fills it again for the warm run after it
        out += [Variant(command, "apforms", "cold", argv), Variant(command, "apforms", "warm", argv)]
        if command in peer:
            out.append(Variant(command, PEERS[command], "—", lambda a=peer[command]: list(a)))
    return out


def check_outputs(work: Path, p: dict[str, Path], only: set[str]) -> list[str]:
    """The same job done by each route: the same values read back (fails loudly otherwise)."""
    from apforms import api

    expected = json.loads(p["expected"].read_text(encoding="utf-8"))
    values = json.loads(p["values"].read_text(encoding="utf-8"))
    said = []
    if "render pdf" in only:
        for name in ("apforms.pdf", "peer.pdf"):
            got = api.ingest_bytes((work / name).read_bytes(), name).record["data"]
            require(got == expected, f"render pdf: {name} does not ingest to the record")
        said.append("render pdf: both forms ingest to the record")
    if "render docx" in only:
        ours, theirs = (docx_text((work / n).read_bytes()) for n in ("apforms.docx", "peer.docx"))
        require(ours == theirs, "render docx: the two Word files' text differs")
        said.append(f"render docx: the same text ({len(ours)} paragraphs and cells)")
    if "ingest" in only:
        got = json.loads((work / "apforms.json").read_text(encoding="utf-8"))["data"]
        require(got == expected, "ingest: apforms' record differs from the original")
        read = json.loads((work / "peer.json").read_text(encoding="utf-8"))
        lost = sorted(k for k, v in values.items() if read.get(k) != str(v))
        require(not lost, f"ingest: pypdf read {len(lost)} of {len(values)} values differently: {lost[:5]}")
        said.append(f"ingest: the record; pypdf all {len(values)} field values")
    return said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="measured runs of each (median; default 5)")
    parser.add_argument("--src", default=str(HERE.parent / "src"))
    parser.add_argument("only", nargs="*", help=f"commands to time (default all: {', '.join(GOALS)})")
    args = parser.parse_args()
    only = set(args.only or GOALS)
    require(only <= set(GOALS), f"unknown command(s): {sorted(only - set(GOALS))}")

    work = Path(tempfile.mkdtemp(prefix="apforms-cli-"))
    cache = work / "cache"
    env = {**os.environ, "PYTHONPATH": args.src, "APFORMS_CACHE_DIR": str(cache),
           "PYTHONPYCACHEPREFIX": str(work / "pyc")}  # fmt: skip
    for name in ("APFORMS_ARCHIVE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    try:
        paths = prepare(work, env)
        todo = [v for v in variants(work, paths) if v.command in only]
        print(f"one-shot commands, median of {args.n}, taking turns; {load_line()}")
        for rnd in range(args.n + 1):  # round 0 fills the bytecode and OS caches, not measured
            for v in todo:
                if v.cache == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                r = run(v.argv(), env, sample=False)
                failed = f"{v.command} ({v.tool}): exit {r.returncode}: {r.stderr[-300:]}"
                require(r.returncode in (0, 1), failed)
                if rnd:
                    v.walls.append(r.wall)
                    v.cpus.append(r.cpu)
        said = check_outputs(work, paths, only)
        print(f"{'command':<12} {'tool':<15} {'cache':<5} {'wall s':>7} {'cpu s':>7} {'goal s':>6}")
        for v in todo:
            goal = f"{GOALS[v.command]:6.2f}" if v.tool == "apforms" else ""
            times = f"{median(v.walls):7.3f} {median(v.cpus):7.3f}"
            print(f"{v.command:<12} {v.tool:<15} {v.cache:<5} {times} {goal}")
        print(f"load after: {load_line()}")
        for line in said:
            print(f"checked: {line}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

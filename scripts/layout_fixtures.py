"""Add the fixture forms of the current PDF layout version for every document whose current
definition version has none yet (see ``tests/layout_support.py``). Existing files are never
rewritten: fixtures are made once, by the code of their version, so that forms laid out by
older code keep being read exactly.

    python scripts/layout_fixtures.py          # add what is missing
    python scripts/layout_fixtures.py --check  # exit 1 if anything is missing
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.layout_support import FIXTURES, geometry, stem_for  # noqa: E402

from apforms import api  # noqa: E402
from apforms.formats.pdf.layout import layout, layout_for  # noqa: E402
from apforms.formats.pdf.protocol import LAYOUT_VERSION  # noqa: E402
from apforms.formats.pdf.writer import render_pdf  # noqa: E402
from apforms.model import records  # noqa: E402
from apforms.model.definitions import document_ids, load_definition  # noqa: E402


def missing() -> list[str]:
    out = []
    for doc in document_ids():
        if stem_for(LAYOUT_VERSION, doc, load_definition(doc).version) is None:
            out.append(doc)
    return out


def add(doc: str) -> list[Path]:
    definition = load_definition(doc)
    folder = FIXTURES / f"layout-{LAYOUT_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    taken = (folder / f"{doc}.json").exists()
    name = f"{doc}@{definition.version}" if taken else doc
    data = records.canonical(definition, api.example(doc)["data"])
    written = [folder / f"{name}.json"]
    written[0].write_text(
        json.dumps(records.record_file(definition, data), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    )
    filled = render_pdf(definition, data)
    for kind, content in (("filled", filled), ("flat", render_pdf(definition, data, flatten=True))):
        written.append(folder / f"{name}-{kind}.pdf")
        written[-1].write_bytes(content)
    cairo = shutil.which("pdftocairo")
    if cairo is None:
        raise SystemExit("pdftocairo (poppler-utils) is needed to make the printed fixture")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(filled)
        written.append(folder / f"{name}-printed.pdf")
        subprocess.run([cairo, "-pdf", str(src), str(written[-1])], check=True)
    snap_path = folder / "geometry.json"
    snap = json.loads(snap_path.read_text()) if snap_path.exists() else {}
    snap[f"{name}/blank"] = geometry(layout(definition, None, None))
    snap[f"{name}/example"] = geometry(layout_for(definition, data))
    snap_path.write_text(json.dumps(snap, separators=(",", ":"), ensure_ascii=False) + "\n")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing")
    args = parser.parse_args()
    todo = missing()
    if args.check:
        for doc in todo:
            print(f"layout {LAYOUT_VERSION}: no fixtures for {doc} {load_definition(doc).version}")
        sys.exit(1 if todo else 0)
    for doc in todo:
        for path in add(doc):
            print(f"  {path.relative_to(ROOT)}")
    if not todo:
        print(f"layout {LAYOUT_VERSION}: every document's current version has its fixtures")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Build the Word templates ``templates/<id>.docx`` from the definitions in ``schemas/``.

    python scripts/build_templates.py            # every document
    python scripts/build_templates.py sla qa     # some of them
    python scripts/build_templates.py --check    # exit 1 if a committed template is out of date

The layout is in ``src/apforms/formats/docx/build.py``; the output is reproducible (the same
definition gives the same bytes), so a change to a form shows as a change to its definition
and a rebuilt template. A template restyled in Word keeps working as long as its tags stay;
rebuilding replaces it.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

from apforms.files import write_bytes
from apforms.formats.docx.build import build_template
from apforms.model.definitions import document_ids, load_definition

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def same_content(a: bytes, b: bytes) -> bool:
    """Whether two .docx files hold the same parts (compressed bytes may differ by zlib)."""
    with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
        if za.namelist() != zb.namelist():
            return False
        return all(za.read(n) == zb.read(n) for n in za.namelist())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="document ids (default: all)")
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    stale = []
    for doc_id in args.ids or document_ids():
        built = build_template(load_definition(doc_id))
        path = TEMPLATES / f"{doc_id}.docx"
        current = path.read_bytes() if path.is_file() else b""
        if current and same_content(current, built):
            print(f"  {path.relative_to(TEMPLATES.parent)}  (up to date)")
        elif args.check:
            stale.append(doc_id)
            print(f"  {path.relative_to(TEMPLATES.parent)}  OUT OF DATE")
        else:
            write_bytes(path, built)
            print(f"  {path.relative_to(TEMPLATES.parent)}  (written)")
    if stale:
        print(f"rebuild with: python scripts/build_templates.py {' '.join(stale)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

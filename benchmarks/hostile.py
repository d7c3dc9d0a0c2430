"""Hostile inputs: peak RSS, wall time and the message, each in its own process.

    python benchmarks/hostile.py                  # every case, full size (bombs of 2 GiB)
    python benchmarks/hostile.py --only fifo --only sparse-2gb
    python benchmarks/hostile.py --cap-gb 4       # run each case under a 4 GB address-space cap
    python benchmarks/hostile.py --json

The corpus (issue 14, item 1), made in a temporary folder (the bombs are built by streaming
zlib, never held whole): a returned referral whose field value is a Flate stream of 2 GiB
(and one of LZW, and the first given to ``archive add``); a flattened return whose first
page's content is one; a page of 2 MB of 'q', just under the limit, and every page of rectangles; a
2 GiB sparse file that starts like a PDF; ``/dev/zero``; a named pipe with no writer (for
ingest and validate); a return with 20,000 junk fields before its own; a return with a 50 MB
value; rendering a record with a 100,000-character value; a Word return whose package
relationships unpack to 2 GiB; a 165-megapixel PNG; a scanned page with a 200-inch page box;
a JSON record nested 100,000 deep. Each runs ``apforms ingest`` (or ``render``, ``validate``,
``archive add``) in a child process, killed after ``--timeout`` seconds.

Goal: every case refused or read in under 10 s with a peak RSS under 500 MB, with a one-line
message and no traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

GiB = 1 << 30
ROOT = Path(__file__).resolve().parents[1]


def deflated(n: int, byte: bytes = b"A", wrap: bool = True) -> bytes:
    """``n`` copies of ``byte`` compressed (zlib, or raw deflate for ZIP), made piece by piece."""
    c = zlib.compressobj(9, zlib.DEFLATED, 15 if wrap else -15)
    piece = byte * (1 << 20)
    out = [c.compress(piece) for _ in range(n >> 20)]
    out.append(c.compress(byte * (n & ((1 << 20) - 1))))
    out.append(c.flush())
    return b"".join(out)


def _example(doc: str, flatten: bool = False) -> bytes:
    from apforms import api
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records
    from apforms.model.definitions import load_definition

    definition = load_definition(doc)
    data = records.validate(definition, api.example(doc)["data"]).data
    return render_pdf(definition, data, flatten=flatten)


def _saved(pdf: Any) -> bytes:
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def field_value_bomb(folder: Path, size: int = 2 * GiB) -> list[str]:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(_example("referral")))
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == "reason.statement")
    stream = pikepdf.Stream(pdf, deflated(size))
    stream.Filter = pikepdf.Name.FlateDecode
    field.obj.V = pdf.make_indirect(stream)
    return _ingest(folder, "field-value-bomb.pdf", _saved(pdf))


def page_content_bomb(folder: Path, size: int = 2 * GiB) -> list[str]:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(_example("referral", flatten=True)))
    stream = pikepdf.Stream(pdf, deflated(size, b" "))
    stream.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    return _ingest(folder, "page-content-bomb.pdf", _saved(pdf))


def q_page(folder: Path, size: int = 2 * 1024 * 1024 - 4096) -> list[str]:
    """The worst a page can be and still be read: its drawing just under the limit, all 'q'
    (PDFium keeps some 170 bytes for each)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(_example("referral", flatten=True)))
    stream = pikepdf.Stream(pdf, deflated(size // 2, b"q "))
    stream.Filter = pikepdf.Name.FlateDecode
    pdf.pages[0].obj.Contents = pdf.make_indirect(stream)
    return _ingest(folder, "q-page.pdf", _saved(pdf))


def rect_pages(folder: Path) -> list[str]:
    """Every page's drawing just under the limit, of rectangles (PDFium keeps each page's
    objects while a reader holds every page: some 150 MB a page)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(_example("referral", flatten=True)))
    rect = b"1 1 1 1 re f\n"
    for page in pdf.pages:
        stream = pikepdf.Stream(pdf, zlib.compress(rect * ((2 * 1024 * 1024 - 4096) // len(rect)), 9))
        stream.Filter = pikepdf.Name.FlateDecode
        page.obj.Contents = pdf.make_indirect(stream)
    return _ingest(folder, "rect-pages.pdf", _saved(pdf))


def lzw_value_bomb(folder: Path, size: int = 2 * GiB) -> list[str]:
    """A field's value as LZW (qpdf has no limit for it): 2 GiB from some 1.6 MB."""
    import pikepdf

    sys.path.insert(0, str(ROOT))
    from tests.bounds_support import lzw_run

    pdf = pikepdf.open(io.BytesIO(_example("referral")))
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == "reason.statement")
    stream = pikepdf.Stream(pdf, lzw_run(size))
    stream.Filter = pikepdf.Name.LZWDecode
    field.obj.V = pdf.make_indirect(stream)
    return _ingest(folder, "lzw-value-bomb.pdf", _saved(pdf))


def archive_add_bomb(folder: Path) -> list[str]:
    args = field_value_bomb(folder)
    return ["archive", "--store", str(folder / "archive"), "add", args[1]]


def sparse_2gb(folder: Path) -> list[str]:
    path = folder / "sparse-2gb.pdf"
    with path.open("wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(2 * GiB)
    return ["ingest", str(path), "-o", str(folder / "out.json")]


def dev_zero(folder: Path) -> list[str]:
    return ["ingest", "/dev/zero", "-o", str(folder / "out.json")]


def fifo(folder: Path) -> list[str]:
    path = folder / "pipe.pdf"
    os.mkfifo(path)
    return ["ingest", str(path), "-o", str(folder / "out.json")]


def fifo_validate(folder: Path) -> list[str]:
    path = folder / "pipe.json"
    os.mkfifo(path)
    return ["validate", str(path)]


def junk_widgets(folder: Path, n: int = 20_000) -> list[str]:
    import pikepdf

    sys.path.insert(0, str(ROOT))
    from tests.bounds_support import with_junk_widgets

    pdf = pikepdf.open(io.BytesIO(_example("referral")))
    with_junk_widgets(pdf, n)
    return _ingest(folder, "junk-widgets.pdf", _saved(pdf))


def value_50mb(folder: Path, size: int = 50 * 1000 * 1000) -> list[str]:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(_example("referral")))
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == "reason.statement")
    field.obj.V = pikepdf.String("Lorem ipsum dolor sit amet. " * (size // 28))
    return _ingest(folder, "value-50mb.pdf", _saved(pdf))


def render_100k(folder: Path, size: int = 100_000) -> list[str]:
    from apforms import api

    record = api.example("referral")
    words = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
    record["data"]["reason"]["statement"] = (words * (size // len(words) + 1))[:size]
    path = folder / "long.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return ["render", str(path), "-o", str(folder / "long.pdf")]


def docx_rels_bomb(folder: Path, size: int = 2 * GiB) -> list[str]:
    from apforms import api
    from apforms.model.records import parse_record

    record = parse_record(json.dumps(api.example("sla")))
    content = api.render_record(record, "docx").content or b""
    path = folder / "rels-bomb.docx"
    package = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9)
    with zipfile.ZipFile(io.BytesIO(content)) as src, package as dst:
        rels = zipfile.ZipInfo("_rels/.rels")
        rels.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(rels, "w", force_zip64=True) as member:
            piece = b" " * (1 << 20)
            for _ in range(size >> 20):  # white space after the relationships' XML would be, 2 GiB
                member.write(piece)
        for info in src.infolist():
            if info.filename != "_rels/.rels":
                dst.writestr(info, src.read(info))
    return ["ingest", str(path), "-o", str(folder / "out.json")]


def png_165mpx(folder: Path) -> list[str]:
    import struct

    w, h = 15000, 11000  # under Pillow's 178-megapixel refusal, over its 89-megapixel warning
    row = b"\x00" + b"\xff" * w
    c = zlib.compressobj(9)
    idat = b"".join(c.compress(row) for _ in range(h)) + c.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">L", len(body)) + kind + body + struct.pack(">L", zlib.crc32(kind + body))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">2L5B", w, h, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return _ingest(folder, "huge.png", png)


def scan_huge_page(folder: Path) -> list[str]:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(14400, 14400))  # 200 inches square
    image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * (100 * 100)))
    image.stream_dict.update(
        pikepdf.Dictionary(
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=100,
            Height=100,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
            Filter=pikepdf.Name.FlateDecode,
        )  # fmt: skip
    )
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=pdf.make_indirect(image)))
    page.obj.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q 14400 0 0 14400 0 0 cm /Im0 Do Q"))
    return _ingest(folder, "huge-page.pdf", _saved(pdf))


def json_deep(folder: Path, depth: int = 100_000) -> list[str]:
    path = folder / "deep.json"
    text = '{"document": "sla", "version": "1.0", "data": {"provider": {"name": ' + "[" * depth + "]" * depth
    path.write_text(text + "}}}", encoding="utf-8")
    return ["validate", str(path)]


def _ingest(folder: Path, name: str, data: bytes) -> list[str]:
    path = folder / name
    path.write_bytes(data)
    return ["ingest", str(path), "-o", str(folder / "out.json")]


CASES: dict[str, Callable[[Path], list[str]]] = {
    "field-value-bomb": field_value_bomb,
    "page-content-bomb": page_content_bomb,
    "q-page": q_page,
    "rect-pages": rect_pages,
    "lzw-value-bomb": lzw_value_bomb,
    "archive-add-bomb": archive_add_bomb,
    "sparse-2gb": sparse_2gb,
    "dev-zero": dev_zero,
    "fifo": fifo,
    "fifo-validate": fifo_validate,
    "junk-widgets": junk_widgets,
    "value-50mb": value_50mb,
    "render-100k": render_100k,
    "docx-rels-bomb": docx_rels_bomb,
    "png-165mpx": png_165mpx,
    "scan-huge-page": scan_huge_page,
    "json-deep": json_deep,
}


def run(args: list[str], timeout: float, cap: int | None) -> dict[str, Any]:
    """``apforms ARGS`` in a child process: exit status, wall time, peak RSS, last stderr line."""

    def limit() -> None:
        if cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    started = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, "-m", "apforms", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, preexec_fn=limit,
    )  # fmt: skip
    try:
        out, err = child.communicate(timeout=timeout)
        status = child.returncode
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        status = None
    wall = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    lines = [line for line in (err + out).decode("utf-8", "replace").splitlines() if line.strip()]
    said = [line for line in lines if line.startswith("apforms:")] or lines[-1:]
    if status is None:
        said = [f"(killed after {timeout:.0f} s)"]
    elif status < 0:
        said = [f"(killed by signal {-status}) {said[0] if said else ''}".strip()]
    return {
        "status": status, "wall_s": round(wall, 2), "peak_mb": round(peak / 1024),
        "message": said[0] if said else "", "traceback": b"Traceback" in err + out,
    }  # fmt: skip


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument(
        "--only", action="append", choices=list(CASES), help="run only this case (repeatable)"
    )
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a case is killed")
    parser.add_argument("--cap-gb", type=float, default=None, help="address-space cap of each child, in GB")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    opts = parser.parse_args()
    cap = int(opts.cap_gb * GiB) if opts.cap_gb else None
    results: dict[str, dict[str, Any]] = {}
    for name in opts.only or list(CASES):
        with tempfile.TemporaryDirectory(prefix="apforms-hostile-") as tmp:
            args = CASES[name](Path(tmp))
            # peak RSS of children is a running maximum: measure each case in a fresh runner
            measured = subprocess.run(
                [sys.executable, __file__, "--_measure", json.dumps([args, opts.timeout, cap])],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            results[name] = json.loads(measured.stdout)
        if not opts.json:
            r = results[name]
            said = r["message"][:150]
            print(f"{name:18} {r['peak_mb']:>6} MB {r['wall_s']:>7.2f} s  exit {r['status']}  {said}")
    if opts.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--_measure":
        a, t, c = json.loads(sys.argv[2])
        print(json.dumps(run(a, t, c)))
    else:
        main()

"""Running apforms on a hostile input in a child process: its exit code, message, peak memory
and time (a native abort or a runaway allocation must not take the test run with it)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[1] / "src"
MB = 1 << 20


def deflated(n: int, byte: bytes = b"A", wrap: bool = True) -> bytes:
    """``n`` copies of ``byte`` (some bytes), zlib-compressed (raw deflate for a ZIP entry)
    piece by piece: a bomb of 200 MB is some 200 KB and is never held whole."""
    c = zlib.compressobj(9, zlib.DEFLATED, 15 if wrap else -15)
    piece = byte * MB
    out = [c.compress(piece) for _ in range(n // MB)]
    out += [c.compress(byte * (n % MB)), c.flush()]
    return b"".join(out)


def lzw_run(n: int, byte: int = 65) -> bytes:
    """LZW data (ISO 32000-2, 7.4.4; EarlyChange 1) decoding to ``n`` copies of ``byte``: the
    codes of runs of 1, 2, 3 … bytes, the table cleared when full (200 MB from some 170 KB)."""
    out = bytearray()
    acc = bits = 0

    def put(code: int, width: int) -> None:
        nonlocal acc, bits
        acc, bits = (acc << width) | code, bits + width
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
        acc &= (1 << bits) - 1

    width, left = 9, n
    put(256, width)
    while left > 0:
        put(byte, width)
        left -= 1
        next_code, run = 258, 1
        while left > 0 and next_code < 4094:
            run = min(run + 1, left)
            put(256 + run if run >= 2 else byte, width)
            left -= run
            next_code += 1
            if next_code + 1 >= (1 << width) and width < 12:
                width += 1
        put(256, width)
        width = 9
    put(257, width)
    if bits:
        put(0, 8 - bits)
    return bytes(out)


def object_stream_bomb(n: int) -> bytes:
    """A one-page PDF whose page tree and page are kept in an object stream padded to ``n``
    bytes unpacked (a cross-reference stream, as PDF 1.5 writes them): opening its pages
    decodes the whole object stream."""
    objects = [
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>",
    ]
    header = b"2 0 3 %d " % (len(objects[0]) + 1)
    body = objects[0] + b" " + objects[1]
    c = zlib.compressobj(9)
    packed = c.compress(header + body) + b"".join(c.compress(b" " * MB) for _ in range(n // MB)) + c.flush()
    out = bytearray(b"%PDF-1.7\n")
    offsets = {1: len(out)}
    out += b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(header),
        len(packed),
    )
    out += packed + b"\nendstream\nendobj\n"
    offsets[5] = len(out)
    rows = [b"\x00" + bytes(4) + b"\xff\xff", b"\x01" + offsets[1].to_bytes(4, "big") + bytes(2)]
    rows += [b"\x02" + (4).to_bytes(4, "big") + i.to_bytes(2, "big") for i in (0, 1)]
    rows += [b"\x01" + offsets[k].to_bytes(4, "big") + bytes(2) for k in (4, 5)]
    xref = b"".join(rows)
    out += b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(xref)
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[5]
    return bytes(out)


@dataclass
class Child:
    status: int  # exit code; negative: killed by that signal
    stdout: str
    stderr: str
    peak_mb: float
    wall: float

    @property
    def refusal(self) -> str:
        """The one ``apforms:`` line of a refusal (the test fails if there is not exactly one)."""
        lines = [line for line in self.stderr.splitlines() if line.startswith("apforms:")]
        assert len(lines) == 1, self.stderr
        return lines[0]


def with_junk_widgets(pdf: Any, n: int) -> None:
    """``n`` junk text widgets put before a pikepdf form's own fields (MAX_FIELDS once cut
    the list silently, hiding every real value)."""
    import pikepdf

    junk = [
        pdf.make_indirect(
            pikepdf.Dictionary(
                FT=pikepdf.Name.Tx,
                T=pikepdf.String(f"junk{i}"),
                V=pikepdf.String("x"),
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                Rect=[0, 0, 1, 1],
            )  # fmt: skip
        )
        for i in range(n)
    ]
    pdf.Root.AcroForm.Fields = pikepdf.Array(junk + list(pdf.Root.AcroForm.Fields))


def run_apforms(args: list[str], setup: str = "", timeout: float = 60.0, cap_mb: int = 3000) -> Child:
    """``apforms ARGS`` in a child process under an address-space cap of ``cap_mb`` (so that a
    runaway allocation fails there, not on the machine), with its peak RSS; ``setup``: Python
    run first (to lower a limit, so that a small file shows what a large one would do).

    The child reports its own peak (``VmHWM``): the ``ru_maxrss`` of a child forked from the
    test run counts the test run's memory too."""
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        program = "\n".join(
            [
                "import resource, sys",
                f"resource.setrlimit(resource.RLIMIT_AS, ({cap_mb << 20}, {cap_mb << 20}))",
                setup,
                "from apforms.cli import main",
                "sys.argv[0] = 'apforms'",
                "try:",
                "    main()",
                "finally:",
                "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]",
                f"    open({str(peak_file)!r}, 'w').write(hwm[0].split()[1] if hwm else '')",
            ]
        )
        environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            started = time.monotonic()
            child = subprocess.Popen(
                [sys.executable, "-c", program, *args],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=environ,
            )
            try:
                status = child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
                raise AssertionError(f"apforms {' '.join(args)} did not finish in {timeout:.0f} s") from None
            wall = time.monotonic() - started
            out.seek(0)
            err.seek(0)
            text_out, text_err = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
        said = peak_file.read_text() if peak_file.exists() else ""
        peak = int(said) / 1024 if said.strip().isdigit() else float("inf")  # no report: it did not end well
    return Child(status, text_out, text_err, peak, wall)

"""The tesseract program, called for the words on an image (reading scanned returns).

tesseract is run as a program (``tesseract stdin stdout ... tsv``), never linked: one call
per image, with a timeout, its words and their confidences read from the TSV it prints.
Nothing is fetched from the network; only the language data installed with it is used.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

from apforms.errors import IngestError

#: The refusal when the program is not installed (a scan cannot be read without it).
MISSING = (
    "this return is a scan; reading scans needs the tesseract program (Debian: apt install tesseract-ocr)"
)
#: Seconds one call may take (a page at 300 dpi takes a few).
TIMEOUT = 120.0


@dataclass(frozen=True)
class Word:
    """A word tesseract read: its text, its box in the image's pixels and its confidence
    (0 to 100); ``line`` numbers the line it put the word in (block, paragraph, line)."""

    text: str
    left: int
    top: int
    width: int
    height: int
    conf: float
    line: tuple[int, int, int]

    @property
    def cx(self) -> float:
        return self.left + self.width / 2

    @property
    def cy(self) -> float:
        return self.top + self.height / 2


def program() -> str:
    """The tesseract program's path; IngestError (:data:`MISSING`) when it is not installed."""
    found = shutil.which("tesseract")
    if found is None:
        raise IngestError(MISSING)
    return found


def language() -> str:
    """The language data values are read with: tesseract's Latin script model (every language
    written in Latin letters, with their accents: Debian tesseract-ocr-script-latn) when it is
    installed, else English."""
    return "Latin" if "Latin" in _languages() else "eng"


@functools.cache
def _languages() -> frozenset[str]:
    try:
        done = subprocess.run([program(), "--list-langs"], capture_output=True, timeout=30, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return frozenset()
    lines = done.stdout.decode("utf-8", "replace").splitlines()
    return frozenset(ln.strip() for ln in lines[1:])


def words(png: bytes, psm: int, dpi: int, whitelist: str | None = None, lang: str = "eng") -> list[Word]:
    """The words tesseract reads on a PNG image, with page segmentation mode ``psm``."""
    cmd = [program(), "stdin", "stdout", "--psm", str(psm), "--dpi", str(dpi), "-l", lang]
    if whitelist is not None:
        cmd += ["-c", f"tessedit_char_whitelist={whitelist}"]
    cmd.append("tsv")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread: pages are small, threads cost more
    try:
        done = subprocess.run(cmd, input=png, capture_output=True, timeout=TIMEOUT, env=env, check=False)
    except FileNotFoundError:
        raise IngestError(MISSING) from None
    except subprocess.TimeoutExpired:
        raise IngestError(f"reading the scan by OCR took more than {TIMEOUT:.0f} s; refused") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise IngestError(f"tesseract could not read the scan ({(err or ['no message'])[-1][:160]})")
    return parse_tsv(done.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> list[Word]:
    """The words (level 5 rows with text) of tesseract's TSV output."""
    out: list[Word] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5" or not cols[11].strip():
            continue
        try:
            nums = [int(c) for c in cols[1:10]]
            conf = float(cols[10])
        except ValueError:
            continue
        _, block, par, line, _, left, top, width, height = nums
        out.append(Word(cols[11].strip(), left, top, width, height, conf, (block, par, line)))
    return out

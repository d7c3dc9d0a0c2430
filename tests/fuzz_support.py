"""A seeded mutator of apforms' own PDFs, and the run that reads every mutant (issue 14, item 7).

Run in a child process by ``tests/test_fuzz.py`` (a native abort, or memory running away, must
not take the test run with it)::

    python -m tests.fuzz_support SEED COUNT

prints one JSON object: how many mutants were read and refused, each failure (an exception
that is not an ApformsError: what the command line would show as an internal error), the
slowest case and the peak RSS of the process.
"""

from __future__ import annotations

import io
import json
import random
import re
import resource
import signal
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from types import FrameType

import pikepdf

from apforms import api
from apforms.errors import ApformsError

#: Longest a case may take before the run stops it (the test wants far less: 10 s).
CASE_TIMEOUT = 30

_NUMBER = re.compile(rb"(?<![\w.])\d{1,10}(?![\w.])")
_NAME = re.compile(rb"/[A-Za-z][A-Za-z0-9]*")
_NAMES = [
    b"/FlateDecode", b"/LZWDecode", b"/ASCII85Decode", b"/RunLengthDecode", b"/DCTDecode", b"/Kids",
    b"/Parent", b"/JavaScript", b"/Launch", b"/ObjStm", b"/XObject", b"/Form", b"/Image", b"/Annots",
]  # fmt: skip
_NUMBERS = [b"0", b"-1", b"1", b"999999999", b"4294967296", b"65535", b"2147483647"]


def corpus() -> list[tuple[str, bytes]]:
    """apforms' own forms: filled and flattened, of a short and a long document."""
    from apforms.formats.pdf.writer import render_pdf
    from apforms.model import records
    from apforms.model.definitions import load_definition

    out = []
    for doc in ("sla", "referral"):
        definition = load_definition(doc)
        data = records.validate(definition, api.example(doc)["data"]).data
        out.append((f"{doc} filled", render_pdf(definition, data)))
        out.append((f"{doc} flattened", render_pdf(definition, data, flatten=True)))
    return out


def _flip(rng: random.Random, data: bytes) -> bytes:
    at = rng.randrange(len(data))
    n = rng.randint(1, 64)
    return data[:at] + bytes(rng.randrange(256) for _ in range(n)) + data[at + n :]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def _splice(rng: random.Random, data: bytes) -> bytes:
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, 4096))
    return data[:a] + data[a:b] * rng.randint(0, 3) + data[b:]


def _token(pattern: re.Pattern[bytes], choices: list[bytes]) -> Callable[[random.Random, bytes], bytes]:
    def mutate(rng: random.Random, data: bytes) -> bytes:
        found = list(pattern.finditer(data, 0, min(len(data), 2_000_000)))
        if not found:
            return data
        for m in rng.sample(found, min(len(found), rng.randint(1, 4))):
            data = data[: m.start()] + rng.choice(choices) + data[m.end() :]
        return data

    return mutate


def _structural(rng: random.Random, data: bytes) -> bytes:
    """A change through pikepdf: a stream's data made a bomb, or its bytes flipped; a field's
    value made a stream; a loop in the field tree; an image of huge size; a page of 'q'."""
    pdf = pikepdf.open(io.BytesIO(data))
    streams = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)]
    kind = rng.choice(["bomb", "content", "value", "loop", "image", "flip"])
    if kind == "bomb" and streams:
        stream = rng.choice(streams)
        stream.write(
            zlib.compress(b"\x00" * rng.choice([1 << 20, 80 << 20]), 9), filter=pikepdf.Name.FlateDecode
        )
    elif kind == "content":
        pdf.pages[rng.randrange(len(pdf.pages))].obj.Contents = pdf.make_indirect(
            pikepdf.Stream(
                pdf, zlib.compress(rng.choice([b"q ", b"0 0 m 1 1 l S ", b"BT ET "]) * 3_000_000, 9)
            )
        )
        pdf.pages[0].obj.Contents.Filter = pikepdf.Name.FlateDecode
    elif kind == "value" and "/AcroForm" in pdf.Root:
        fields = list(pdf.acroform.fields)
        if fields:
            value = pikepdf.Stream(pdf, zlib.compress(b"A" * rng.choice([100, 3 << 20]), 9))
            value.Filter = pikepdf.Name.FlateDecode
            rng.choice(fields).obj.V = pdf.make_indirect(value)
    elif kind == "loop" and "/AcroForm" in pdf.Root:
        top = pdf.Root.AcroForm.Fields
        if len(top):
            node = top[rng.randrange(len(top))]
            node.Kids = pikepdf.Array([node, *list(node.get("/Kids", []))])
    elif kind == "image":
        image = pikepdf.Stream(pdf, zlib.compress(b"\xff" * 1000))
        image.stream_dict.update(
            pikepdf.Dictionary(
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Image,
                Width=rng.choice([100, 60_000]),
                Height=rng.choice([100, 60_000]),
                ColorSpace=pikepdf.Name.DeviceGray,
                BitsPerComponent=8,
                Filter=pikepdf.Name.FlateDecode,
            )  # fmt: skip
        )
        page = pdf.pages[0].obj
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im9=pdf.make_indirect(image)))
    elif streams:
        stream = rng.choice(streams)
        raw = bytearray(stream.read_raw_bytes())
        for _ in range(rng.randint(1, 8)):
            if raw:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
        stream.write(bytes(raw), filter=stream.get("/Filter"), decode_parms=stream.get("/DecodeParms"))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


MUTATORS: dict[str, Callable[[random.Random, bytes], bytes]] = {
    "flip": _flip,
    "truncate": _truncate,
    "splice": _splice,
    "number": _token(_NUMBER, _NUMBERS),
    "name": _token(_NAME, _NAMES),
    "structural": _structural,
}


def mutants(seed: int, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` mutants, the same for the same seed: one to three mutations of a form each."""
    rng = random.Random(seed)
    base = corpus()
    for i in range(count):
        name, data = rng.choice(base)
        steps = []
        for _ in range(rng.randint(1, 3)):
            step = rng.choice(list(MUTATORS))
            try:
                data = MUTATORS[step](rng, data) or data
            except Exception:  # the mutation itself failed (pikepdf could not open the mutant)
                step += " (failed)"
            steps.append(step)
        yield f"#{i} {name}: {', '.join(steps)}", data


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeoutError("case took too long")


def run(seed: int, count: int) -> dict[str, object]:
    """Read every mutant as ``apforms ingest`` does; what happened to each, and the peak RSS."""
    signal.signal(signal.SIGALRM, _alarm)
    read = refused = 0
    failures: list[str] = []
    slowest = (0.0, "")
    for name, data in mutants(seed, count):
        started = time.monotonic()
        signal.alarm(CASE_TIMEOUT)
        try:
            api.ingest_bytes(data, "mutant.pdf")
            read += 1
        except ApformsError as exc:
            refused += 1
            if "\n" in str(exc):
                failures.append(f"{name}: a refusal of more than one line: {str(exc)[:200]!r}")
        except Exception as exc:  # what the command line would show as an internal error
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        finally:
            signal.alarm(0)
        took = time.monotonic() - started
        slowest = max(slowest, (took, name))
    peak = _peak_kb() / 1024
    return {
        "read": read, "refused": refused, "failures": failures,
        "slowest_s": round(slowest[0], 2), "slowest": slowest[1], "peak_mb": round(peak),
    }  # fmt: skip


def _peak_kb() -> int:
    """This process's own peak RSS (``VmHWM``; ``ru_maxrss`` also counts the memory of the
    test run it was forked from), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
    except (OSError, StopIteration, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]), int(sys.argv[2]))))

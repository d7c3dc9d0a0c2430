"""How much a returned PDF may unpack to, checked before it is read.

A small file can unpack to gigabytes (a Flate stream expands up to 1,032 times, LZW some
3,600 times, and filters chain), and PDFium aborts the process when a page needs more memory
than it can have. So every stream a reader decodes is bounded first, and a file over a limit
is refused with a one-line :class:`IngestError` naming the limit — never read in part:

- qpdf is told the per-stream limit (``flate_max_memory`` and its kin), so that nothing it
  decodes — object streams, a field's value — can go over it;
- a form field's value written as a stream is at most :data:`MAX_VALUE_BYTES`
  (:func:`value_text`);
- before PDFium opens a page, everything the pages reach is walked (:func:`check_pages`):
  each stream unpacks to at most :data:`MAX_STREAM_BYTES`; what PDFium parses to draw a page
  (its contents, forms, patterns, glyph procedures, appearance streams) to at most
  :data:`MAX_PAGE_CONTENT`, and :data:`MAX_CONTENT_TOTAL` for all pages (PDFium keeps some
  85 bytes for each byte of a page of ``q``); each image has at most
  :data:`MAX_IMAGE_PIXELS`; at most :data:`MAX_OBJECTS` objects are walked;
- all the streams one read unpacks together: at most :data:`UNPACKED_BASE` plus
  :data:`UNPACKED_PER_BYTE` times the file's size;
- what the pages a reader holds open take together: at most :data:`MAX_PAGES_MEMORY`
  (:class:`PagesMemory`).

A stream is decoded to be measured unless at worst (its raw size times each filter's worst
case) it is a few bytes, and then no further than the limit left (zlib for Flate, counting
decoders for LZW and ASCII85, qpdf under its limits for the rest).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf
import pikepdf.settings

from apforms.errors import IngestError, first_line
from apforms.inputs import size_text

MB = 1024 * 1024
#: One stream unpacked (qpdf is told it too).
MAX_STREAM_BYTES = 64 * MB
#: One form field's value written as a stream (the longest value a definition allows is some
#: 20,000 characters: 80 KB in UTF-8).
MAX_VALUE_BYTES = 1 * MB
#: What PDFium parses to draw one page, and all pages. PDFium keeps some 85 bytes for each
#: byte of a page of 'q' (the worst: 2 MB take 200 MB), a few for a printed page's text; the
#: largest page in the fixtures, printed by poppler, is 240 KB, and a commissioning agreement
#: of 500 reviews printed by poppler 37 MB (542 pages).
MAX_PAGE_CONTENT = 2 * MB
MAX_CONTENT_TOTAL = 64 * MB
#: The memory the pages a reader holds open at once may take (:class:`PagesMemory`; the
#: 542 pages above take 150 MB).
MAX_PAGES_MEMORY = 256 * MB
#: Pixels in one image (an A4 page scanned at 600 dpi has 35 million).
MAX_IMAGE_PIXELS = 50_000_000
#: Objects walked from the pages.
MAX_OBJECTS = 200_000
#: All the streams one read unpacks: this, plus this many times the file's size.
UNPACKED_BASE = 64 * MB
UNPACKED_PER_BYTE = 16

# The most one byte of each filter's input can become (ISO 32000-2, 7.4): deflate's longest
# match in two bits, LZW's longest code (4,096 bytes) in nine bits, a run of 128 in two bytes,
# 'z' for four zero bytes. Image codecs end a chain (their pixels are bounded by size).
_WORST = {
    "/FlateDecode": 1032, "/Fl": 1032, "/LZWDecode": 3641, "/LZW": 3641,
    "/RunLengthDecode": 64, "/RL": 64, "/ASCII85Decode": 4, "/A85": 4,
    "/ASCIIHexDecode": 1, "/AHx": 1, "/Crypt": 1,
}  # fmt: skip
_IMAGE_CODECS = frozenset({"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"})
#: Keys not followed from a page: back to the page tree, the page itself, other pages; and
#: arrays of numbers or names (glyph widths, boxes, matrices), which hold no stream.
_NOT_FOLLOWED = frozenset(
    {
        "/Parent", "/P", "/Dest", "/Prev", "/Next", "/First", "/Last", "/Metadata",
        "/Widths", "/W", "/W2", "/Differences", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
        "/ArtBox", "/BBox", "/Matrix", "/Rect", "/Decode", "/Domain", "/Range", "/Encode", "/Bounds",
        "/FontBBox", "/Coords", "/C0", "/C1", "/Border", "/QuadPoints", "/ProcSet", "/DA", "/DW2",
    }
)  # fmt: skip
_CHUNK = MB
#: A stream that can unpack to no more than this is not decoded to find its size (its worst
#: is counted: no more than a few bytes for each stream drawn).
_SMALL = 1024
#: Keys whose values PDFium parses as drawing: a page's contents, a Type 3 font's glyphs, an
#: annotation's appearances (normal, down, rollover).
_DRAWN_KEYS = frozenset({"/Contents", "/CharProcs", "/AP"})


@dataclass
class _Budget:
    """What one open PDF may still unpack."""

    left: int
    sizes: dict[tuple[int, int], int] = field(default_factory=dict)  # unpacked size by object
    pages_checked: bool = False


_BUDGETS: dict[int, _Budget] = {}


def apply_qpdf_limits() -> None:
    """Tell qpdf the per-stream limit (process-wide: it then applies to every PDF pikepdf opens)."""
    current = pikepdf.settings.get_qpdf_limits()
    names = ("flate_max_memory", "run_length_max_memory", "png_max_memory", "tiff_max_memory")
    if any(current.get(name) != MAX_STREAM_BYTES for name in names):
        n = MAX_STREAM_BYTES
        pikepdf.settings.set_qpdf_limits(
            flate_max_memory=n, run_length_max_memory=n, png_max_memory=n, tiff_max_memory=n
        )


@contextlib.contextmanager
def bounded(pdf: pikepdf.Pdf, file_size: int) -> Iterator[None]:
    """While open, ``pdf`` may unpack at most its budget (see the module's limits)."""
    _BUDGETS[id(pdf)] = _Budget(UNPACKED_BASE + UNPACKED_PER_BYTE * file_size)
    try:
        yield
    finally:
        _BUDGETS.pop(id(pdf), None)


def limit_error(exc: BaseException) -> IngestError | None:
    """The refusal for qpdf's error when a stream went over its limit (``None`` for others)."""
    if "memory limit" not in str(exc):
        return None
    return _stream_limit()


def open_limit_error(exc: BaseException, data: bytes, password: str = "") -> IngestError | None:
    """The refusal naming the limit when opening ``data`` (and counting its pages) failed with
    ``exc`` because a stream went over it; ``None`` for other failures.

    qpdf names the limit in its error only for the stream asked for: when the catalog or the
    page tree was kept in an object stream over it, the error is that they are missing, and
    the limit is in a warning. So the file is opened once more, under the limits, to hear
    qpdf's warnings (kept out of the log meanwhile)."""
    found = limit_error(exc)
    if found is not None:
        return found
    heard = _Heard()
    log = logging.getLogger("pikepdf._core")  # where qpdf's warnings go when not suppressed
    log.addFilter(heard)
    try:
        with pikepdf.open(io.BytesIO(data), password=password, suppress_warnings=False) as pdf:
            len(pdf.pages)
    except Exception:  # noqa: BLE001 - it fails again; only what qpdf said on the way matters
        pass
    finally:
        log.removeFilter(heard)
    return _stream_limit() if heard.over else None


class _Heard(logging.Filter):
    """Notes whether qpdf warned that a stream went over its limit; passes nothing on."""

    over = False

    def filter(self, record: logging.LogRecord) -> bool:
        self.over = self.over or "memory limit" in record.getMessage()
        return False


def _stream_limit() -> IngestError:
    return IngestError(
        f"a stream unpacks to more than {size_text(MAX_STREAM_BYTES)} (the most read for one stream)"
    )


def _budget(obj: Any) -> _Budget:
    owner = getattr(obj, "owner", obj)
    found = _BUDGETS.get(id(owner))
    return found if found is not None else _Budget(UNPACKED_BASE)


# --------------------------------------------------------------------------- field values


def value_text(stream: pikepdf.Stream) -> str:
    """A form field's value written as a stream (rich text, as some fillers keep it), as text;
    IngestError if it unpacks to more than :data:`MAX_VALUE_BYTES`."""
    size = unpacked_size(stream, MAX_VALUE_BYTES)
    if size > MAX_VALUE_BYTES:
        raise IngestError(
            f"a form field's value unpacks to more than {size_text(MAX_VALUE_BYTES)} "
            f"(the most a value may be); the file was not read"
        )
    _take(_budget(stream), size)
    return bytes(stream.read_bytes()).decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- pages


def check_pages(pdf: pikepdf.Pdf) -> None:
    """IngestError unless everything PDFium would read to open ``pdf``'s pages is within the
    limits (once per open PDF)."""
    budget = _budget(pdf)
    if budget.pages_checked:
        return
    walked = 0
    content_total = 0
    try:
        pages = list(pdf.pages)
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:
        raise IngestError(f"damaged PDF, its pages cannot be read ({first_line(exc)[:120]})") from None
    for n, page in enumerate(pages, start=1):
        content = 0
        for stream, drawn, objects in _reachable(page.obj):
            walked += objects
            if walked > MAX_OBJECTS:
                raise IngestError(f"the pages use more than {MAX_OBJECTS:,} objects (the most read)")
            if stream is None:
                continue
            if _is_image(stream):
                _sized(stream, budget)
                _check_image(stream, n)
            elif drawn:  # decoded no further than the page's limit
                content += _sized(stream, budget, MAX_PAGE_CONTENT - content)
                if content > MAX_PAGE_CONTENT:
                    raise IngestError(
                        f"page {n}'s drawing unpacks to more than {size_text(MAX_PAGE_CONTENT)} "
                        "(the most read for a page)"
                    )
            else:
                _sized(stream, budget)
        content_total += content
        if content_total > MAX_CONTENT_TOTAL:
            raise IngestError(
                f"the pages' drawings unpack to more than {size_text(MAX_CONTENT_TOTAL)} (the most read)"
            )
    budget.pages_checked = True


def _reachable(page: pikepdf.Dictionary) -> Iterator[tuple[pikepdf.Stream | None, bool, int]]:
    """Every stream a page reaches once, with whether PDFium parses it as drawing; and the
    count of objects walked to find it (``None`` for a step with no stream)."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, bool]] = [(page, False)]
    resources = _inherited(page, "/Resources")
    if resources is not None:
        stack.append((resources, False))
    objects = 0
    while stack:
        obj, drawn = stack.pop()
        objects += 1
        if obj.is_indirect:
            key = obj.objgen
            if key in seen:
                continue
            seen.add(key)
        if isinstance(obj, pikepdf.Stream):
            yield obj, drawn or _draws(obj), objects
            objects = 0
            children: Any = obj.stream_dict.items()
        elif isinstance(obj, pikepdf.Dictionary):
            children = obj.items()
        elif isinstance(obj, pikepdf.Array):
            children = ((None, v) for v in obj)
        else:
            continue
        inherits = drawn and not isinstance(obj, pikepdf.Stream)  # a drawn stream's dict is not drawing
        for k, v in children:
            if k in _NOT_FOLLOWED or not isinstance(v, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
                continue
            stack.append((v, inherits or k in _DRAWN_KEYS))
    if objects:
        yield None, False, objects


def _draws(stream: pikepdf.Stream) -> bool:
    """A form XObject or a tiling pattern: PDFium parses it as drawing."""
    d = stream.stream_dict
    return d.get("/Subtype") == pikepdf.Name.Form or d.get("/PatternType") == 1


def _is_image(stream: pikepdf.Stream) -> bool:
    return bool(stream.stream_dict.get("/Subtype") == pikepdf.Name.Image)


def _inherited(page: pikepdf.Dictionary, key: str) -> Any:
    node: Any = page
    depth = 0
    while isinstance(node, pikepdf.Dictionary) and depth < 32:
        if key in node:
            return node[key]
        node, depth = node.get("/Parent"), depth + 1
    return None


def _check_image(stream: pikepdf.Stream, page: int) -> None:
    d = stream.stream_dict
    try:
        w, h = int(d.get("/Width", 0)), int(d.get("/Height", 0))
    except (TypeError, ValueError):
        return
    if _filters(stream) in (["/DCTDecode"], ["/DCT"]):  # PDFium decodes a JPEG at its own size
        jw, jh = _jpeg_size(bytes(memoryview(stream.get_raw_stream_buffer())[: 4 * _CHUNK]))
        w, h = max(w, jw), max(h, jh)
    if w * h > MAX_IMAGE_PIXELS:
        raise IngestError(
            f"page {page} has an image of {w:,} × {h:,} pixels (at most "
            f"{MAX_IMAGE_PIXELS // 1_000_000} million are read)"
        )


def _jpeg_size(head: bytes) -> tuple[int, int]:
    """(width, height) in a JPEG's frame header, (0, 0) if none is found in ``head``."""
    i = 2
    while i + 9 < len(head) and head[i] == 0xFF:
        marker, length = head[i + 1], int.from_bytes(head[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(head[i + 7 : i + 9], "big"), int.from_bytes(head[i + 5 : i + 7], "big")
        i += 2 + length
    return 0, 0


class PagesMemory:
    """What the process has taken since the reader began opening pages (PDFium's memory is
    not Python's to count: the resident size is read, on Linux): a reader that holds every
    page of a form calls :meth:`check` after each, so that pages drawn to be heavy cannot add
    up past :data:`MAX_PAGES_MEMORY` (each is bounded by :data:`MAX_PAGE_CONTENT`)."""

    def __init__(self) -> None:
        self.start = _resident()

    def check(self, page: int) -> None:
        if self.start and _resident() - self.start > MAX_PAGES_MEMORY:
            raise IngestError(
                f"the pages take more than {size_text(MAX_PAGES_MEMORY)} of memory to read "
                f"(the most read; page {page} went over)"
            )


def _resident() -> int:
    """The process's resident memory in bytes (0 where /proc does not say)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


# --------------------------------------------------------------------------- unpacked sizes


def _sized(stream: pikepdf.Stream, budget: _Budget, within: int = MAX_STREAM_BYTES) -> int:
    """A stream's unpacked size (within :data:`MAX_STREAM_BYTES`), taken from the budget once;
    more than ``within`` (not decoded further) if it is over that."""
    key = stream.objgen
    if key in budget.sizes:
        return budget.sizes[key]
    size = unpacked_size(stream, max(min(MAX_STREAM_BYTES, budget.left, within), 0))
    if size > MAX_STREAM_BYTES:
        raise IngestError(
            f"a stream (object {key[0]}) unpacks to more than {size_text(MAX_STREAM_BYTES)} "
            "(the most read for one stream)"
        )
    _take(budget, size)
    if key != (0, 0) and size <= within:  # exact (a size over ``within`` is not)
        budget.sizes[key] = size
    return size


def _take(budget: _Budget, size: int) -> None:
    budget.left -= size
    if budget.left < 0:
        raise IngestError(
            "the file unpacks to more than "
            f"{size_text(UNPACKED_BASE)} plus {UNPACKED_PER_BYTE} times its size (the most read)"
        )


def _filters(stream: pikepdf.Stream) -> list[str]:
    f = stream.stream_dict.get("/Filter")
    names = [f] if isinstance(f, pikepdf.Name) else list(f) if isinstance(f, pikepdf.Array) else []
    return [name for name in map(_name, names) if name != "/Crypt"]


def _name(obj: Any) -> str:
    """A name as text ("/?" for one that is not UTF-8, which is no filter anyone knows)."""
    try:
        return str(obj)
    except UnicodeDecodeError:
        return "/?"


def unpacked_size(stream: pikepdf.Stream, cap: int) -> int:
    """The size ``stream`` unpacks to (up to its image codec), or more than ``cap`` if it is
    over ``cap`` (then decoded no further than that)."""
    filters = _filters(stream)
    while filters and filters[-1] in _IMAGE_CODECS:
        filters.pop()
    try:
        raw = stream.get_raw_stream_buffer()
    except (pikepdf.PdfError, RuntimeError, ValueError):
        return 0  # unreadable: no reader gets anything from it
    view = memoryview(raw)
    worst = len(view)
    for name in filters:
        worst *= _WORST.get(name, 1)
    if worst <= len(view) or worst <= min(cap, _SMALL):
        return worst  # no filter that expands, or a few bytes at most: not worth decoding
    if filters in (["/FlateDecode"], ["/Fl"]):
        return _inflated(view, cap)
    if filters in (["/LZWDecode"], ["/LZW"]):
        return _lzw_size(view, cap, _early_change(stream))
    if filters in (["/ASCII85Decode"], ["/A85"]):
        return _a85_size(bytes(view))
    if worst > cap and any(name in ("/LZWDecode", "/LZW", "/ASCII85Decode", "/A85") for name in filters):
        return cap + 1  # in a chain of filters qpdf decodes these without a limit
    return _qpdf_size(stream, cap)


def _inflated(data: memoryview, cap: int) -> int:
    """The size zlib data inflates to, decoding at most ``cap`` + 1 bytes of it (a damaged
    stream counts as far as it goes, as readers read it)."""
    d = zlib.decompressobj()
    total = 0
    try:
        for start in range(0, len(data), 64 * 1024):
            pending: bytes | memoryview = data[start : start + 64 * 1024]
            while True:
                want = min(_CHUNK, cap + 1 - total)
                out = d.decompress(pending, want)
                total += len(out)
                if total > cap or d.eof:
                    return total
                pending = d.unconsumed_tail
                if not pending and len(out) < want:
                    break
    except zlib.error:
        pass
    return total


def _early_change(stream: pikepdf.Stream) -> int:
    parms = stream.stream_dict.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array):
        parms = parms[0] if len(parms) else None
    try:
        return int(parms.get("/EarlyChange", 1)) if isinstance(parms, pikepdf.Dictionary) else 1
    except (TypeError, ValueError):
        return 1


def _lzw_size(data: memoryview, cap: int, early: int = 1) -> int:
    """The size LZW data decodes to (ISO 32000-2, 7.4.4), counted without decoding it."""
    lengths = [1] * 256 + [0, 0]
    total, prev, width = 0, 0, 9
    acc, bits = 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= width:
            bits -= width
            code = (acc >> bits) & ((1 << width) - 1)
            acc &= (1 << bits) - 1
            if code == 256:
                del lengths[258:]
                prev, width = 0, 9
                continue
            if code == 257:
                return total
            if code < len(lengths):
                length = lengths[code]
            elif code == len(lengths) and prev:
                length = prev + 1
            else:
                return total  # damaged: readers stop here
            if prev:
                lengths.append(prev + 1)
            total += length
            if total > cap:
                return total
            prev = length
            if len(lengths) + early >= (1 << width) and width < 12:
                width += 1
    return total


def _a85_size(data: bytes) -> int:
    """The size ASCII85 data decodes to (each 'z' four bytes, five characters four)."""
    body = data.split(b"~>", 1)[0]
    body = re.sub(rb"\s+", b"", body)
    if body.startswith(b"<~"):
        body = body[2:]
    zs = body.count(b"z")
    rest = len(body) - zs
    return 4 * zs + (rest // 5) * 4 + max(rest % 5 - 1, 0)


def _qpdf_size(stream: pikepdf.Stream, cap: int) -> int:
    """The size qpdf decodes ``stream`` to, under its per-stream limits."""
    try:
        return len(memoryview(stream.get_stream_buffer()))
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:
        if "limit" in str(exc):
            return cap + 1
        return 0  # damaged or an unknown filter: no reader gets anything from it


__all__ = [
    "MAX_CONTENT_TOTAL",
    "MAX_IMAGE_PIXELS",
    "MAX_OBJECTS",
    "MAX_PAGES_MEMORY",
    "MAX_PAGE_CONTENT",
    "MAX_STREAM_BYTES",
    "MAX_VALUE_BYTES",
    "PagesMemory",
    "UNPACKED_BASE",
    "UNPACKED_PER_BYTE",
    "apply_qpdf_limits",
    "bounded",
    "limit_error",
    "open_limit_error",
    "check_pages",
    "unpacked_size",
    "value_text",
]

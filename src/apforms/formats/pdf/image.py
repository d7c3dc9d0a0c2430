"""A council's logo as PDF image objects: JPEG as it is (``/DCTDecode``), PNG re-encoded.

Only what a logo needs: JPEG in grey, RGB or CMYK; PNG of 8 bits per channel, grey, RGB or a
palette, with or without transparency (kept as a soft mask), not interlaced. Anything else is
refused with a :class:`~apforms.errors.RenderError` saying how to save the file instead.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

from apforms.errors import RenderError
from apforms.formats.pdf import syntax as ps

_PNG = b"\x89PNG\r\n\x1a\n"
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SAVE_AS = "save it as an 8-bit PNG or a JPEG"


@dataclass(frozen=True)
class Picture:
    """An image XObject's body, and its soft mask's (transparency) if it has one."""

    width: int
    height: int
    body: bytes
    #: the body of the soft mask; the image's header names it as ``/SMask {SMASK_REF}``
    mask: bytes | None = None


#: Replaced by the writer with the soft mask's object reference.
SMASK_REF = "@SMASK@"


@lru_cache(maxsize=4)
def picture(data: bytes) -> Picture:
    """The logo ``data`` (PNG or JPEG bytes) as image objects; RenderError if it cannot be."""
    if data.startswith(_PNG):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    raise RenderError(f"the logo is not a PNG or JPEG picture; {_SAVE_AS}")


def _jpeg(data: bytes) -> Picture:
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            break
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF and at + 10 <= len(data):
            bits, height, width, comps = struct.unpack(">BHHB", data[at + 4 : at + 10])
            space = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(comps)
            if bits != 8 or space is None or not width or not height:
                break
            decode = " /Decode [1 0 1 0 1 0 1 0]" if comps == 4 and b"Adobe" in data[:4096] else ""
            header = (
                f"/Type /XObject /Subtype /Image /Width {width} /Height {height} "
                f"/ColorSpace {space} /BitsPerComponent 8{decode} /Filter /DCTDecode"
            )
            return Picture(width, height, ps.stream(header, data, compress=False))
        at += 2 + length
    raise RenderError(f"the logo's JPEG could not be read; {_SAVE_AS}")


def _png(data: bytes) -> Picture:
    chunks: dict[bytes, bytes] = {}
    idat = bytearray()
    at = len(_PNG)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = data[at + 8 : at + 8 + length]
        if len(body) != length:
            break
        if kind == b"IDAT":
            idat += body
        else:
            chunks.setdefault(kind, body)
        at += 12 + length
        if kind == b"IEND":
            break
    ihdr = chunks.get(b"IHDR", b"")
    if len(ihdr) != 13 or not idat:
        raise RenderError(f"the logo's PNG could not be read; {_SAVE_AS}")
    width, height, bits, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if bits != 8 or interlace or channels is None or not width or not height or width * height > 16_000_000:
        raise RenderError(f"the logo is a PNG of a kind the form cannot embed; {_SAVE_AS}, not interlaced")
    if colour == 3:
        palette = chunks.get(b"PLTE", b"")
        if not palette or len(palette) % 3:
            raise RenderError(f"the logo's PNG has no palette; {_SAVE_AS}")
        space = f"[/Indexed /DeviceRGB {len(palette) // 3 - 1} <{palette.hex()}>]"
    else:
        space = "/DeviceGray" if colour in (0, 4) else "/DeviceRGB"
    head = f"/Type /XObject /Subtype /Image /Width {width} /Height {height} /BitsPerComponent 8"
    if colour in (0, 2, 3):  # PNG's own compressed rows: PDF's Flate with the PNG predictors
        parms = f"/DecodeParms << /Predictor 15 /Colors {channels} /BitsPerComponent 8 /Columns {width} >>"
        body = ps.stream(
            f"{head} /ColorSpace {space} /Filter /FlateDecode {parms}", bytes(idat), compress=False
        )
        return Picture(width, height, body)
    try:
        raw = _unfilter(zlib.decompress(bytes(idat)), width, height, channels)
    except (zlib.error, ValueError):
        raise RenderError(f"the logo's PNG is damaged; {_SAVE_AS}") from None
    colours = channels - 1
    pixels = bytearray()
    alpha = bytearray()
    for i in range(0, len(raw), channels):
        pixels += raw[i : i + colours]
        alpha.append(raw[i + colours])
    body = ps.stream(f"{head} /ColorSpace {space} /SMask {SMASK_REF}", bytes(pixels), compress=True)
    mask = ps.stream(f"{head} /ColorSpace /DeviceGray", bytes(alpha), compress=True)
    return Picture(width, height, body, mask)


def _unfilter(data: bytes, width: int, height: int, bpp: int) -> bytes:
    """PNG's per-row filters undone (8 bits a channel, ``bpp`` bytes a pixel)."""
    stride = width * bpp
    if len(data) < height * (stride + 1):
        raise ValueError("short image data")
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        kind = data[y * (stride + 1)]
        row = bytearray(data[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                row[i] = (row[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = row[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            raise ValueError("unknown PNG filter")
        out[y * stride : (y + 1) * stride] = row
        prev = row
    return bytes(out)

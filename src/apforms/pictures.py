"""A council's logo read and checked: PNG or JPEG, as much of each as a logo needs.

JPEG in grey, RGB or CMYK, 8 bits (baseline or progressive); PNG of 8 bits per channel — grey,
RGB or a palette, with or without transparency (an alpha channel or a ``tRNS`` chunk) — not
interlaced. :func:`read_picture` raises :class:`PictureError` with what to do instead, so the
configuration can refuse a logo when it is loaded rather than when the first form is drawn.
:func:`sniff_image` tells an image file (a scanned return: PNG, JPEG, TIFF) by its first bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
SAVE_AS = "save it as an 8-bit PNG (not interlaced) or a JPEG"
_MAX_PIXELS = 16_000_000


class PictureError(ValueError):
    """A logo that cannot be used, and why."""


@dataclass(frozen=True)
class Picture:
    """A logo: its size in pixels and what drawing it needs.

    ``kind`` is ``"jpeg"`` (``data`` as it is, ``channels`` 1, 3 or 4, ``inverted`` for an
    Adobe CMYK file) or ``"png"`` (``pixels``: one byte a channel, rows unfiltered; ``alpha``:
    one byte a pixel, or ``None`` when every pixel is opaque; ``palette``: RGB triples)."""

    kind: str
    width: int
    height: int
    channels: int
    data: bytes = b""
    inverted: bool = False
    pixels: bytes = b""
    alpha: bytes | None = None
    palette: bytes = b""


def sniff_image(data: bytes) -> str | None:
    """The kind of image file (``"png"``, ``"jpeg"``, ``"tiff"``) by its first bytes, for a
    scanned return (``None``: not an image file)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


@lru_cache(maxsize=4)
def read_picture(data: bytes) -> Picture:
    """The logo ``data`` read and checked; :class:`PictureError` if it cannot be used. Read
    once a process: the configuration checks it, and every form drawn with it reuses it."""
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    raise PictureError(f"not a PNG or JPEG picture; {SAVE_AS}")


def _jpeg(data: bytes) -> Picture:
    at, adobe = 2, False
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            break
        marker = data[at + 1]
        if marker in (0xD8, 0x01, 0xFF) or 0xD0 <= marker <= 0xD7:
            at += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker == 0xEE and data[at + 4 : at + 9] == b"Adobe":  # APP14: Adobe's CMYK is inverted
            adobe = True
        if marker in _SOF and at + 10 <= len(data):
            bits, height, width, comps = struct.unpack(">BHHB", data[at + 4 : at + 10])
            if bits != 8 or comps not in (1, 3, 4) or not width or not height:
                break
            if width * height > _MAX_PIXELS:
                raise PictureError(f"the picture is {width}×{height} pixels; a logo needs far fewer")
            rest = data[at + 2 + length :]
            adobe = adobe or _app14_after(rest)
            return Picture("jpeg", width, height, comps, data=data, inverted=comps == 4 and adobe)
        at += 2 + length
    raise PictureError(f"the JPEG could not be read; {SAVE_AS}")


def _app14_after(data: bytes) -> bool:
    """An Adobe APP14 marker after the frame header (before the scan), rare but allowed."""
    at = 0
    while at + 9 <= len(data) and data[at] == 0xFF and data[at + 1] != 0xDA:
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if data[at + 1] == 0xEE and data[at + 4 : at + 9] == b"Adobe":
            return True
        at += 2 + length
    return False


def _png(data: bytes) -> Picture:
    chunks: dict[bytes, bytes] = {}
    idat = bytearray()
    at = len(PNG_SIGNATURE)
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
        raise PictureError(f"the PNG could not be read; {SAVE_AS}")
    width, height, bits, colour, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if bits != 8 or interlace or channels is None or not width or not height:
        raise PictureError(f"a PNG of {bits} bits a channel{', interlaced' if interlace else ''}; {SAVE_AS}")
    if width * height > _MAX_PIXELS:
        raise PictureError(f"the picture is {width}×{height} pixels; a logo needs far fewer")
    palette = chunks.get(b"PLTE", b"")
    if colour == 3 and (not palette or len(palette) % 3):
        raise PictureError(f"the PNG has no palette; {SAVE_AS}")
    try:
        raw = _unfilter(zlib.decompress(bytes(idat)), width, height, channels)
    except (zlib.error, ValueError):
        raise PictureError(f"the PNG is damaged; {SAVE_AS}") from None
    alpha: bytes | None = None
    if colour in (4, 6):  # an alpha channel: split off
        colours = channels - 1
        pixels, mask = bytearray(), bytearray()
        for i in range(0, len(raw), channels):
            pixels += raw[i : i + colours]
            mask.append(raw[i + colours])
        return Picture("png", width, height, colours, pixels=bytes(pixels), alpha=bytes(mask))
    trns = chunks.get(b"tRNS")
    if trns is not None:
        alpha = _key_alpha(raw, colour, channels, trns)
    return Picture(
        "png", width, height, channels, pixels=raw, alpha=alpha, palette=palette if colour == 3 else b""
    )


def _key_alpha(raw: bytes, colour: int, channels: int, trns: bytes) -> bytes:
    """The alpha of each pixel from a ``tRNS`` chunk: a palette's alpha by index, or the one
    transparent grey level or RGB colour."""
    if colour == 3:
        table = bytes(trns) + b"\xff" * (256 - len(trns))
        return bytes(table[i] for i in raw)
    if colour == 0 and len(trns) >= 2:
        key = trns[1]
        return bytes(0 if v == key else 255 for v in raw)
    if colour == 2 and len(trns) >= 6:
        rgb = bytes((trns[1], trns[3], trns[5]))
        return bytes(0 if raw[i : i + 3] == rgb else 255 for i in range(0, len(raw), channels))
    return b"\xff" * (len(raw) // channels)


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

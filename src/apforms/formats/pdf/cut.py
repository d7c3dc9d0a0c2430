"""Cutting a TrueType font down to the glyphs a document uses, in a few milliseconds.

A font embedded in a PDF form only has to draw its glyphs: the PDF says which glyph each
character code is (Identity: code = glyph id) and how wide it is. So the cut keeps glyph ids
as they are (unused glyphs become empty, the tables stay indexed by the same ids), copies
the outlines of the glyphs asked for and of the glyphs they are built from (composite
glyphs), and keeps only the tables a PDF font program needs: ``head``, ``hhea``, ``maxp``,
``hmtx``, ``loca``, ``glyf``, ``OS/2`` and ``post`` (without glyph names), with a ``cmap`` of
the characters used. Hinting is
dropped (the glyphs' instructions and the programs they call), as are layout tables:
shaping is done before the text is written. fontTools' subsetter does the
same in 50–500 ms a font; a record in Arabic or Chinese needs a new cut for every document,
so this one works on the raw tables, parsed once per font.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_KEEP = ("head", "hhea", "maxp", "hmtx", "OS/2")
# composite glyph flags (OpenType glyf table)
_ARGS_ARE_WORDS, _HAVE_SCALE, _MORE, _XY_SCALE, _TWO_BY_TWO = 0x1, 0x8, 0x20, 0x40, 0x80
_INSTRUCTIONS = 0x100


@dataclass(frozen=True)
class _Font:
    tables: dict[str, bytes]
    glyf: bytes
    offsets: tuple[int, ...]  # loca: glyph i is glyf[offsets[i]:offsets[i + 1]]


@cache
def _parse(path: Path) -> _Font:
    data = path.read_bytes()
    (count,) = struct.unpack_from(">H", data, 4)
    tables: dict[str, bytes] = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag.decode("latin-1")] = data[offset : offset + length]
    (long_loca,) = struct.unpack_from(">h", tables["head"], 50)
    (glyphs,) = struct.unpack_from(">H", tables["maxp"], 4)
    if long_loca:
        offsets = struct.unpack_from(f">{glyphs + 1}I", tables["loca"])
    else:
        offsets = tuple(2 * v for v in struct.unpack_from(f">{glyphs + 1}H", tables["loca"]))
    return _Font(tables, tables["glyf"], offsets)


def _components(glyph: bytes) -> tuple[list[int], int, int]:
    """A composite glyph's parts (none for a simple glyph), the offset of its last component's
    flags and where its components end."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return [], 0, 0
    out, pos = [], 10
    while True:
        last = pos
        flags, gid = struct.unpack_from(">HH", glyph, pos)
        out.append(gid)
        pos += 4 + (4 if flags & _ARGS_ARE_WORDS else 2)
        pos += 8 if flags & _TWO_BY_TWO else 4 if flags & _XY_SCALE else 2 if flags & _HAVE_SCALE else 0
        if not flags & _MORE:
            return out, last, pos


def _unhinted(glyph: bytes) -> bytes:
    """``glyph`` without its hinting instructions."""
    if len(glyph) < 10:
        return glyph
    (contours,) = struct.unpack_from(">h", glyph, 0)
    if contours >= 0:
        at = 10 + 2 * contours
        (length,) = struct.unpack_from(">H", glyph, at)
        return glyph[:at] + b"\0\0" + glyph[at + 2 + length :] if length else glyph
    _, last, end = _components(glyph)
    (flags,) = struct.unpack_from(">H", glyph, last)
    if not flags & _INSTRUCTIONS:
        return glyph
    out = bytearray(glyph[:end])
    struct.pack_into(">H", out, last, flags & ~_INSTRUCTIONS)
    return bytes(out)


def cut(path: Path, gids: frozenset[int], chars: tuple[tuple[int, int], ...] = ()) -> bytes:
    """The font at ``path`` with only the outlines of ``gids`` (and glyph 0, the empty box);
    ``chars`` (code point, glyph id) become its ``cmap``, so that software which rebuilds the
    PDF's text map from the font program (MuPDF's ``convert``) can."""
    font = _parse(path)
    offsets, glyf = font.offsets, font.glyf
    keep = set(gids) | {0}
    todo = list(keep)
    while todo:  # the parts of composite glyphs
        gid = todo.pop()
        if 0 <= gid < len(offsets) - 1:
            for part in _components(glyf[offsets[gid] : offsets[gid + 1]])[0]:
                if part not in keep:
                    keep.add(part)
                    todo.append(part)
    pieces: list[bytes] = []
    loca = array("I")
    at = 0
    for gid in range(len(offsets) - 1):
        loca.append(at)
        if gid in keep:
            piece = _unhinted(glyf[offsets[gid] : offsets[gid + 1]])
            piece += b"\0" * (-len(piece) % 4)
            pieces.append(piece)
            at += len(piece)
    loca.append(at)
    if loca.itemsize != 4:  # pragma: no cover - every platform apforms runs on has 32-bit "I"
        raise RuntimeError("array('I') is not 32 bits here")
    loca.byteswap()
    tables = {tag: font.tables[tag] for tag in _KEEP if tag in font.tables}
    head = bytearray(tables["head"])
    head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
    head[50:52] = b"\0\1"  # long offsets in loca
    tables["head"] = bytes(head)
    if "post" in font.tables:  # format 3: no glyph names
        tables["post"] = b"\0\3\0\0" + font.tables["post"][4:32]
    tables["loca"] = loca.tobytes()
    tables["glyf"] = b"".join(pieces)
    if chars:
        tables["cmap"] = _cmap(chars)
    return _sfnt(tables)


def _cmap(chars: tuple[tuple[int, int], ...]) -> bytes:
    """A ``cmap`` with one format 12 subtable (Unicode, full repertoire) for Unicode and
    Windows: groups of consecutive code points on consecutive glyph ids."""
    groups: list[list[int]] = []
    for cp, gid in sorted(set(chars)):
        if groups and cp == groups[-1][1] + 1 and gid == groups[-1][2] + (cp - groups[-1][0]):
            groups[-1][1] = cp
        else:
            groups.append([cp, cp, gid])
    body = b"".join(struct.pack(">III", lo, hi, gid) for lo, hi, gid in groups)
    sub = struct.pack(">HHIII", 12, 0, 16 + len(body), 0, len(groups)) + body
    header = struct.pack(">HH", 0, 2) + struct.pack(">HHI", 0, 4, 20) + struct.pack(">HHI", 3, 10, 20)
    return header + sub


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(data) // 4}I", data)
    return sum(words) & 0xFFFFFFFF


def _sfnt(tables: dict[str, bytes]) -> bytes:
    tags = sorted(tables)
    n = len(tags)
    power = 1 << (n.bit_length() - 1)
    header = struct.pack(">IHHHH", 0x00010000, n, power * 16, power.bit_length() - 1, n * 16 - power * 16)
    directory, body = [], []
    offset = 12 + 16 * n
    head_at = 0
    for tag in tags:
        data = tables[tag]
        if tag == "head":
            head_at = offset
        directory.append(struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), offset, len(data)))
        padded = data + b"\0" * (-len(data) % 4)
        body.append(padded)
        offset += len(padded)
    out = bytearray(header + b"".join(directory) + b"".join(body))
    struct.pack_into(">I", out, head_at + 8, (0xB1B0AFBA - _checksum(bytes(out))) & 0xFFFFFFFF)
    return bytes(out)

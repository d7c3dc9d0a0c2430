"""The embedded font: DejaVu Sans, shipped in ``apforms/fonts`` with its licence.

Text is written as glyph ids of the full font (Identity-H encoding, CID = glyph id), so the
same bytes are right for every subset. A ToUnicode map lets PDFium, poppler and other readers
extract the text again, Polish, Romanian, Vietnamese, Cyrillic and Greek included. The
embedded subset covers Latin, Greek and Cyrillic, plus whatever else a document uses; it is
built once per process and cached (subsetting takes about half a second).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TypeVar

from apforms.formats.pdf import syntax as ps
from apforms.resources import font_file

_V = TypeVar("_V")

FONT_FILE = font_file("DejaVuSans.ttf")
FONT_NAME = "DejaVuSans"

#: Unicode blocks always embedded: Latin (with Vietnamese), Greek, Cyrillic, punctuation,
#: currency and the tick-box symbols.
BASE_RANGES = (
    (0x20, 0x7E),
    (0xA0, 0x24F),
    (0x259, 0x259),
    (0x2C6, 0x2DD),
    (0x300, 0x33F),
    (0x370, 0x3FF),
    (0x400, 0x52F),
    (0x1E00, 0x1EFF),
    (0x2010, 0x205E),
    (0x20A0, 0x20BF),
    (0x2116, 0x2122),
    (0x2190, 0x2193),
    (0x2022, 0x2022),
    (0x25A0, 0x25A1),
    (0x25CB, 0x25CF),
    (0x2610, 0x2612),
    (0x2713, 0x2718),
)


@dataclass(frozen=True)
class Metrics:
    """What layout needs from the font, in thousandths of an em."""

    advance: dict[int, float]  # code point → advance width
    hexgid: dict[int, str]  # code point → glyph id as 4 hex digits
    gid_advance: dict[int, int]
    ascent: float
    descent: float
    cap_height: float
    bbox: tuple[float, float, float, float]
    notdef_advance: float


@cache
def metrics() -> Metrics:
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONT_FILE), lazy=True)
    upem = font["head"].unitsPerEm
    scale = 1000 / upem
    order = {g: i for i, g in enumerate(font.getGlyphOrder())}
    hmtx = font["hmtx"].metrics
    cmap = font.getBestCmap()
    advance = {cp: round(hmtx[g][0] * scale, 2) for cp, g in cmap.items()}
    hexgid = {cp: f"{order[g]:04X}" for cp, g in cmap.items()}
    gid_advance = {order[g]: round(hmtx[g][0] * scale) for g in hmtx}
    head, hhea = font["head"], font["hhea"]
    cap = font["glyf"]["H"].yMax if "glyf" in font else 0.73 * upem
    return Metrics(
        advance=advance,
        hexgid=hexgid,
        gid_advance=gid_advance,
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
        cap_height=round(cap * scale),
        bbox=(
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ),
        notdef_advance=round(hmtx[".notdef"][0] * scale, 2),
    )


class _Table(dict[str, _V]):
    """Character → value, with a default for characters the font lacks (fast ``map``)."""

    def __init__(self, values: dict[str, _V], default: _V) -> None:
        super().__init__(values)
        self.default = default

    def __missing__(self, key: str) -> _V:
        return self.default


@cache
def _advances() -> _Table[float]:
    m = metrics()
    return _Table({chr(cp): a for cp, a in m.advance.items()}, m.notdef_advance)


@cache
def _hexgids() -> _Table[str]:
    return _Table({chr(cp): h for cp, h in metrics().hexgid.items()}, "0000")


def width(text: str, size: float) -> float:
    """The advance width of ``text`` set in the font at ``size`` points."""
    return sum(map(_advances().__getitem__, text)) * size / 1000


def encode(text: str) -> str:
    """``text`` as a hex string of glyph ids (for ``<...> Tj`` with Identity-H)."""
    return "".join(map(_hexgids().__getitem__, text))


def has_glyph(ch: str) -> bool:
    return ord(ch) in metrics().hexgid


@cache
def base_codepoints() -> frozenset[int]:
    known = metrics().hexgid
    return frozenset(cp for lo, hi in BASE_RANGES for cp in range(lo, hi + 1) if cp in known)


def extra_codepoints(texts: Iterable[str]) -> frozenset[int]:
    """Code points in ``texts`` that the font has but the base subset lacks."""
    base, known = base_codepoints(), metrics().hexgid
    chars = {ord(c) for t in texts for c in t if ord(c) > 0x7E}
    return frozenset(cp for cp in chars if cp not in base and cp in known)


@dataclass(frozen=True)
class FontProgram:
    """The serialised PDF objects of one subset (object bodies without numbers)."""

    base_font: str
    widths: str
    font_file: bytes
    to_unicode: bytes

    def objects(self, type0: int, cid: int, descriptor: int, file: int, tounicode: int) -> dict[int, bytes]:
        """The five objects of the font, numbered as given."""
        m = metrics()
        bf = ps.name(self.base_font)
        return {
            type0: (
                f"<< /Type /Font /Subtype /Type0 /BaseFont {bf} /Encoding /Identity-H "
                f"/DescendantFonts [{cid} 0 R] /ToUnicode {tounicode} 0 R >>"
            ).encode(),
            cid: (
                f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont {bf} "
                "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
                f"/FontDescriptor {descriptor} 0 R /DW 1000 /W {self.widths} /CIDToGIDMap /Identity >>"
            ).encode(),
            descriptor: (
                f"<< /Type /FontDescriptor /FontName {bf} /Flags 32 /FontBBox {ps.rect(m.bbox)} "
                f"/ItalicAngle 0 /Ascent {ps.num(m.ascent)} /Descent {ps.num(m.descent)} "
                f"/CapHeight {ps.num(m.cap_height)} /StemV 80 /FontFile2 {file} 0 R >>"
            ).encode(),
            file: self.font_file,
            tounicode: self.to_unicode,
        }


@lru_cache(maxsize=16)
def font_program(extra: frozenset[int] = frozenset()) -> FontProgram:
    """The embedded subset: the base blocks plus ``extra`` code points (glyph ids kept)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    codepoints = sorted(base_codepoints() | extra)
    options = subset.Options()
    options.retain_gids = True  # glyph ids of the full font, so encode() needs no subset
    options.notdef_outline = True
    options.hinting = False
    options.layout_features = []
    options.name_IDs = ["*"]
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    font = TTFont(str(FONT_FILE), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    program = buf.getvalue()

    m = metrics()
    by_gid: dict[int, int] = {}
    for cp in codepoints:  # lowest code point wins when glyphs are shared (space, NBSP)
        by_gid.setdefault(int(m.hexgid[cp], 16), cp)
    gids = sorted(by_gid)
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr(gids).encode()).digest()[:6])
    return FontProgram(
        base_font=f"{tag}+{FONT_NAME}",
        widths=_widths(gids, m.gid_advance),
        font_file=ps.stream(f"/Length1 {len(program)}", program, compress=True),
        to_unicode=ps.stream("", _to_unicode(by_gid), compress=True),
    )


def _widths(gids: list[int], advance: dict[int, int]) -> str:
    """The /W array: runs of consecutive glyph ids with their widths."""
    parts: list[str] = []
    run: list[int] = []
    for g in gids:
        if run and g != run[-1] + 1:
            parts.append(f"{run[0]} [{' '.join(str(advance[x]) for x in run)}]")
            run = []
        run.append(g)
    if run:
        parts.append(f"{run[0]} [{' '.join(str(advance[x]) for x in run)}]")
    return "[" + " ".join(parts) + "]"


def _to_unicode(by_gid: dict[int, int]) -> bytes:
    entries = [f"<{g:04X}> <{chr(cp).encode('utf-16-be').hex().upper()}>" for g, cp in sorted(by_gid.items())]
    blocks = []
    for i in range(0, len(entries), 100):
        chunk = entries[i : i + 100]
        blocks.append(f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode()

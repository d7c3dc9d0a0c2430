"""The embedded fonts, shipped in ``apforms/fonts`` with their licences.

DejaVu Sans draws labels and most values. The Noto fonts of :data:`FACES` draw the scripts
DejaVu lacks or cannot join (see :mod:`apforms.formats.pdf.shape`). Text is written as glyph
ids of the full font (Identity-H encoding, CID = glyph id), so the same bytes are right for
every subset. A ToUnicode map lets PDFium, poppler and other readers extract the text again.
DejaVu's embedded subset covers Latin, Greek and Cyrillic, plus whatever else a document
uses; the other fonts are cut to the glyphs the document uses. Subsets are cached (cutting
DejaVu takes about half a second).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

from apforms import cache as disk_cache
from apforms.formats.pdf import syntax as ps
from apforms.formats.pdf.cut import cut
from apforms.resources import font_file

_V = TypeVar("_V")

FONT_FILE = font_file("DejaVuSans.ttf")
FONT_NAME = "DejaVuSans"


@dataclass(frozen=True)
class Face:
    """A shipped font: its PDF resource name, file, and the scripts it is chosen for."""

    resource: str
    file: str
    ranges: tuple[tuple[int, int], ...] = ()


#: Every font apforms draws with; DejaVu Sans first (index 0), then the script fonts.
FACES = (
    Face("DejaVu", "DejaVuSans.ttf"),
    Face(
        "NotoArabic",
        "NotoSansArabic-Regular.ttf",
        ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    ),
    Face("NotoHebrew", "NotoSansHebrew-Regular.ttf", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    Face("NotoDevanagari", "NotoSansDevanagari-Regular.ttf", ((0x0900, 0x097F), (0xA8E0, 0xA8FF))),
    Face("NotoBengali", "NotoSansBengali-Regular.ttf", ((0x0980, 0x09FF),)),
    Face("NotoGurmukhi", "NotoSansGurmukhi-Regular.ttf", ((0x0A00, 0x0A7F),)),
    Face(
        "NotoEthiopic",
        "NotoSansEthiopic-Regular.ttf",
        ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F)),
    ),
    Face(
        "NotoCJK",
        "NotoSansCJKsc-Subset.ttf",
        (
            (0x2E80, 0x2FDF),
            (0x3000, 0x30FF),
            (0x31F0, 0x31FF),
            (0x3400, 0x4DBF),
            (0x4E00, 0x9FFF),
            (0xF900, 0xFAFF),
            (0xFF00, 0xFFEF),
        ),
    ),
)


@cache
def script_ranges() -> tuple[tuple[int, int], ...]:
    """The code points the script fonts are chosen for (never DejaVu's fast path)."""
    return tuple(r for face in FACES[1:] for r in face.ranges)


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
def metrics(face: int = 0) -> Metrics:
    """The metrics of font ``face``, read by fontTools once and then kept in the disk cache
    (by the font file's hash): a one-shot command reads them as JSON."""
    path = font_file(FACES[face].file)
    kept = disk_cache.cached_json(
        "font-metrics", f"{face}:{disk_cache.file_digest(path)}", lambda: _read_metrics(face)
    )
    return Metrics(
        advance=dict(zip(kept["cps"], kept["advance"], strict=True)),
        hexgid=dict(zip(kept["cps"], kept["hexgid"], strict=True)),
        gid_advance=dict(zip(kept["gids"], kept["gid_advance"], strict=True)),
        ascent=kept["ascent"],
        descent=kept["descent"],
        cap_height=kept["cap_height"],
        bbox=tuple(kept["bbox"]),
        notdef_advance=kept["notdef_advance"],
    )


def _read_metrics(face: int) -> dict[str, Any]:
    """The metrics of ``face`` read from its font file, as JSON data (code points and glyph
    ids as parallel lists, in the font's own order)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_file(FACES[face].file)), lazy=True)
    upem = font["head"].unitsPerEm
    scale = 1000 / upem
    order = {g: i for i, g in enumerate(font.getGlyphOrder())}
    hmtx = font["hmtx"].metrics
    cmap = font.getBestCmap()
    head, hhea = font["head"], font["hhea"]
    os2 = font["OS/2"]
    cap = getattr(os2, "sCapHeight", 0) or (font["glyf"]["H"].yMax if "H" in order else 0.73 * upem)
    return {
        "cps": list(cmap),
        "advance": [round(hmtx[g][0] * scale, 2) for g in cmap.values()],
        "hexgid": [f"{order[g]:04X}" for g in cmap.values()],
        "gids": [order[g] for g in hmtx],
        "gid_advance": [round(hmtx[g][0] * scale) for g in hmtx],
        "ascent": round(hhea.ascent * scale),
        "descent": round(hhea.descent * scale),
        "cap_height": round(cap * scale),
        "bbox": [
            round(head.xMin * scale),
            round(head.yMin * scale),
            round(head.xMax * scale),
            round(head.yMax * scale),
        ],
        "notdef_advance": round(hmtx[".notdef"][0] * scale, 2),
    }


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


@cache
def glyph_chars(face: int) -> dict[int, str]:
    """Glyph id → the character it is the glyph of: for a script font, a character of its
    script where the glyph serves several (Arabic maddah, not the combining tilde), else the
    lowest code point (as DejaVu's ToUnicode has it)."""
    ranges = FACES[face].ranges

    def rank(cp: int) -> tuple[bool, int]:  # a script font's glyph stands for its script's character
        return (not any(lo <= cp <= hi for lo, hi in ranges), cp) if ranges else (False, cp)

    out: dict[int, str] = {}
    for cp in sorted(metrics(face).hexgid, key=rank):
        if not _presentation_form(cp):  # a joined form stands for its letter, not U+FExx
            out.setdefault(int(metrics(face).hexgid[cp], 16), chr(cp))
    return out


def _presentation_form(cp: int) -> bool:
    return 0xFB00 <= cp <= 0xFDFF or 0xFE70 <= cp <= 0xFEFF


def has(face: int, cp: int) -> bool:
    """Whether font ``face`` has a glyph for code point ``cp``."""
    return cp in metrics(face).hexgid


@cache
def hb_font(face: int) -> tuple[Any, float]:
    """The HarfBuzz font of ``face``, and the factor from its units to thousandths of an em."""
    import uharfbuzz as hb

    hb_face = hb.Face(hb.Blob.from_file_path(str(font_file(FACES[face].file))))
    return hb.Font(hb_face), 1000 / hb_face.upem


@cache
def base_codepoints() -> frozenset[int]:
    known = metrics().hexgid
    return frozenset(cp for lo, hi in BASE_RANGES for cp in range(lo, hi + 1) if cp in known)


@cache
def base_gids() -> frozenset[int]:
    """The DejaVu glyphs every form embeds (those of :func:`base_codepoints`)."""
    hexgid = metrics().hexgid
    return frozenset(int(hexgid[cp], 16) for cp in base_codepoints())


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
    face: int = 0

    def objects(self, type0: int, cid: int, descriptor: int, file: int, tounicode: int) -> dict[int, bytes]:
        """The five objects of the font, numbered as given."""
        m = metrics(self.face)
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


@lru_cache(maxsize=64)
def font_program(
    extra: frozenset[int] = frozenset(), face: int = 0, glyphs: tuple[tuple[int, str], ...] = ()
) -> FontProgram:
    """The embedded subset of ``face``: for DejaVu the base blocks, plus the ``extra`` code
    points and the shaped ``glyphs`` (glyph id → the text it shows); glyph ids are kept.
    DejaVu's base subset (what most forms embed) is kept in the disk cache."""
    if face == 0 and not extra and not glyphs:
        key = disk_cache.file_digest(font_file(FACES[0].file))
        return _unpack(
            disk_cache.cached("font-subset", key, lambda: _pack(_font_program(extra, face, glyphs)))
        )
    return _font_program(extra, face, glyphs)


def _pack(program: FontProgram) -> bytes:
    """A font program as bytes: a JSON line (its names and the font file's length), then the
    font file's and the ToUnicode map's stream bodies."""
    head = {"base_font": program.base_font, "widths": program.widths, "face": program.face}
    head["font_file"] = len(program.font_file)
    return disk_cache.json_bytes(head) + b"\n" + program.font_file + program.to_unicode


def _unpack(data: bytes) -> FontProgram:
    line, _, rest = data.partition(b"\n")
    head = json.loads(line)
    n = head["font_file"]
    return FontProgram(head["base_font"], head["widths"], rest[:n], rest[n:], head["face"])


def _font_program(
    extra: frozenset[int] = frozenset(), face: int = 0, glyphs: tuple[tuple[int, str], ...] = ()
) -> FontProgram:
    codepoints = sorted((base_codepoints() if face == 0 else frozenset()) | extra)
    hexgid = metrics(face).hexgid
    wanted = frozenset({int(hexgid[cp], 16) for cp in codepoints} | {g for g, _ in glyphs})
    m = metrics(face)
    chars = tuple((cp, int(hexgid[cp], 16)) for cp in codepoints)
    chars += tuple(
        (ord(text), gid) for gid, text in glyphs if len(text) == 1 and (ord(text), gid) not in chars
    )
    program = cut(font_file(FACES[face].file), wanted, chars)

    by_gid: dict[int, str] = {}
    for cp in codepoints:  # lowest code point wins when glyphs are shared (space, NBSP)
        by_gid.setdefault(int(m.hexgid[cp], 16), chr(cp))
    for gid, text in glyphs:  # a glyph that is not a cluster's first shows no text of its own
        if text:
            by_gid.setdefault(gid, text)
    gids = sorted(set(by_gid) | {g for g, _ in glyphs})
    tag = "".join(chr(65 + b % 26) for b in hashlib.sha1(repr(gids).encode()).digest()[:6])
    name = FONT_NAME if face == 0 else FACES[face].file.rsplit(".", 1)[0].replace("-", "")
    return FontProgram(
        base_font=f"{tag}+{name}",
        widths=_widths(gids, m.gid_advance),
        font_file=ps.stream(f"/Length1 {len(program)}", program, compress=True),
        to_unicode=ps.stream("", _to_unicode(by_gid), compress=True),
        face=face,
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


def _to_unicode(by_gid: dict[int, str]) -> bytes:
    entries = [f"<{g:04X}> <{text.encode('utf-16-be').hex().upper()}>" for g, text in sorted(by_gid.items())]
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

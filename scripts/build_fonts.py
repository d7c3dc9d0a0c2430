"""Builds the fallback fonts shipped in ``src/apforms/fonts`` from Debian's Noto packages.

The fonts are part of the PDF layout: line breaks, and so the size every box grows to, are
measured with them, and a flattened form is read back by measuring again. So they are
shipped with apforms and never taken from the machine, and a change to them needs a new
layout version.

Sources (Debian 12): ``fonts-noto-core`` 20201225-1 and ``fonts-noto-cjk`` 1:20220127.
The six script fonts are copied as they are. Noto Sans CJK SC is cut to the hanzi of
GB 2312 and of Big5 level 1 (about 9,700 characters: the everyday simplified and
traditional characters), CJK punctuation, full-width forms, kana and ASCII (so that a space
or a bracket beside Chinese stays in the Chinese run), and its outlines are
converted to TrueType (quadratic) so that every embedded font is a ``FontFile2``.

    apt-get download fonts-noto-core fonts-noto-cjk
    dpkg -x fonts-noto-core_*.deb core && dpkg -x fonts-noto-cjk_*.deb cjk
    python scripts/build_fonts.py core cjk
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

OUT = Path(__file__).resolve().parent.parent / "src" / "apforms" / "fonts"
SCRIPT_FONTS = (
    "NotoSansArabic-Regular.ttf",
    "NotoSansHebrew-Regular.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansBengali-Regular.ttf",
    "NotoSansGurmukhi-Regular.ttf",
    "NotoSansEthiopic-Regular.ttf",
)
CJK_OUT = "NotoSansCJKsc-Subset.ttf"


def _double_byte(codec: str, leads: range, trails: list[int]) -> set[str]:
    found = set()
    for a in leads:
        for b in trails:
            try:
                ch = bytes([a, b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                found.add(ch)
    return found


def cjk_characters() -> str:
    gb2312 = _double_byte("gb2312", range(0xA1, 0xF8), list(range(0xA1, 0xFF)))
    big5_level1 = _double_byte("big5", range(0xA4, 0xC7), list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)))
    ranges = ((0x20, 0x7E), (0x3000, 0x30FF), (0x31F0, 0x31FF), (0xFF00, 0xFFEF))
    extra = {chr(c) for lo, hi in ranges for c in range(lo, hi + 1)}  # ASCII: a space stays in its run
    return "".join(sorted(gb2312 | big5_level1 | extra))


def to_truetype(font: TTFont) -> None:
    """Replaces the CFF outlines by quadratic TrueType ones (as fontTools' otf2ttf does)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    font["maxp"].tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(font["maxp"], attr, 0)
    font["maxp"].maxZones = 1
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"


def main(core: Path, cjk: Path) -> None:
    noto = core / "usr/share/fonts/truetype/noto"
    for name in SCRIPT_FONTS:
        shutil.copyfile(noto / name, OUT / name)
    ttc = cjk / "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
    font = TTFont(str(ttc), fontNumber=2, recalcTimestamp=False)  # 2: Noto Sans CJK SC
    options = subset.Options()
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "VORG", "vhea", "vmtx", "BASE"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=cjk_characters())
    subsetter.subset(font)
    to_truetype(font)
    font.save(str(OUT / CJK_OUT))
    # LICENSE-Noto.txt (the OFL, and what was changed) is kept by hand beside the fonts


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

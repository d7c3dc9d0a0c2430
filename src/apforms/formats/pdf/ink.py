"""Lines of text as content-stream operators, noting the glyphs each font must embed.

Simple text (see :func:`apforms.formats.pdf.shape.is_simple`) is one ``Tj`` of DejaVu glyph
ids. Shaped text is drawn run by run in visual order, each run in its own font, its glyphs
placed by HarfBuzz' advances and offsets (a ``TJ`` array, and a ``Tm`` for each glyph that is
moved off the line, such as a mark above a letter).

How text is copied back out: PDF readers (PDFium, poppler) take glyphs as visual order and
turn right-to-left runs back into logical order themselves, so a right-to-left run is left to
its glyphs' ToUnicode entries (a ligature's entry written backwards, as the reader reverses
it). A left-to-right shaped run (Indic scripts reorder vowel signs before their consonant) is
wrapped in ``/Span << /ActualText … >>`` holding its logical text, which both readers use.
"""

from __future__ import annotations

from collections.abc import Iterable

from apforms.formats.pdf import fonts, shape
from apforms.formats.pdf import syntax as ps

#: Resource name of the main font (DejaVu Sans).
MAIN = fonts.FACES[0].resource


class Ink:
    """What a document's text used: DejaVu's characters and each font's shaped glyphs."""

    def __init__(self) -> None:
        self.chars: set[str] = set()
        self.glyphs: dict[int, dict[int, str]] = {}

    def merge(self, other: Ink) -> None:
        self.chars |= other.chars
        for face, glyphs in other.glyphs.items():
            mine = self.glyphs.setdefault(face, {})
            for gid, text in glyphs.items():
                mine.setdefault(gid, text)

    def programs(self) -> dict[int, fonts.FontProgram]:
        """The subset of every font used (DejaVu always)."""
        extra = fonts.extra_codepoints(["".join(self.chars)])
        own, base = fonts.glyph_chars(0), fonts.base_gids()
        shaped = tuple(  # DejaVu glyphs of shaped runs that the base subset lacks, or that show other text
            (g, t)
            for g, t in sorted(self.glyphs.get(0, {}).items())
            if g not in base or t not in ("", own.get(g))
        )
        out = {0: fonts.font_program(frozenset(extra), 0, shaped)}
        for face, glyphs in sorted(self.glyphs.items()):
            if face:
                out[face] = fonts.font_program(frozenset(), face, tuple(sorted(glyphs.items())))
        return out

    def line(self, x: float, y: float, size: float, text: str) -> str:
        """One line at baseline ``(x, y)``, inside ``BT``; leaves DejaVu at ``size`` selected."""
        n = ps.num
        if shape.is_simple(text):
            if not text.isascii():
                self.chars.update(text)
            return f"1 0 0 1 {n(x)} {n(y)} Tm /{MAIN} {n(size)} Tf <{fonts.encode(text)}> Tj"
        k = size / 1000
        parts: list[str] = []
        pen = x
        for run in shape.shape(text).runs:
            used = self.glyphs.setdefault(run.face, {})
            for gid, mapped in run.unicode:
                if gid and (gid not in used or (mapped and not used[gid])):  # the first text wins
                    used[gid] = mapped
            widths = fonts.metrics(run.face).gid_advance
            parts.append(f"/{fonts.FACES[run.face].resource} {n(size)} Tf")
            if not run.rtl:  # readers take a right-to-left run's glyphs as visual order already
                parts.append(f"/Span << /ActualText {ps.text(run.text)} >> BDC")
            tj: list[str] = []
            start = pen
            for gid, adv, dx, dy in run.glyphs:
                if dx or dy:
                    if tj:
                        parts.append(f"1 0 0 1 {n(start)} {n(y)} Tm [{' '.join(tj)}] TJ")
                        tj = []
                    parts.append(f"1 0 0 1 {n(pen + dx * k)} {n(y + dy * k)} Tm <{gid:04X}> Tj")
                    pen += adv * k
                    continue
                if not tj:
                    start = pen
                tj.append(f"<{gid:04X}>")
                gap = widths.get(gid, 0) - adv
                if abs(gap) >= 0.0005:
                    tj.append(n(gap))
                pen += adv * k
            if tj:
                parts.append(f"1 0 0 1 {n(start)} {n(y)} Tm [{' '.join(tj)}] TJ")
            if not run.rtl:
                parts.append("EMC")
        parts.append(f"/{MAIN} {n(size)} Tf")
        return " ".join(parts)


def faces_in(contents: Iterable[str]) -> list[int]:
    """The fonts other than DejaVu that content streams select (for their resources)."""
    found: list[int] = []
    joined = "\n".join(contents)
    if "/Noto" not in joined:
        return found
    for i, face in enumerate(fonts.FACES[1:], start=1):
        if f"/{face.resource} " in joined:
            found.append(i)
    return found

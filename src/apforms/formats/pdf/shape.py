"""Text in every script: which font draws each character, in what order, with which glyphs.

Most values are Latin, Greek or Cyrillic with no combining marks; they are drawn and
measured character by character in DejaVu Sans (the fast path, unchanged since layout 1).
Any other text is *shaped*:

1. The Unicode bidi algorithm (python-bidi's implementation of UAX #9) gives each character
   its embedding level, so Arabic, Urdu and Hebrew run right to left inside a line.
2. Each character gets a font: the Noto font of its script (Arabic, Hebrew, Devanagari,
   Bengali, Gurmukhi, Ethiopic, CJK), else DejaVu Sans, else any shipped font that has it.
   Spaces, punctuation and marks stay in the font of the character before them where it has
   them, so a word is not split between fonts.
3. Runs of one level and one font are shaped by HarfBuzz (``uharfbuzz``): joined Arabic
   letters, Indic conjuncts and reordered vowel signs, marks placed on their letters.
4. The runs of a line are put in visual order (rule L2 of UAX #9).

Each run remembers its logical text, which the writer puts in the page as ``/ActualText``
so that copying or extracting the text gives the string as typed, not the glyph order.
The fonts are shipped with apforms (``apforms/fonts``), never taken from the machine: line
breaks, and so the size of every box, are measured with them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from apforms import cache as disk_cache
from apforms.formats.pdf import fonts
from apforms.resources import font_file


@dataclass(frozen=True)
class Run:
    """Glyphs of one font at one bidi level, in visual order."""

    face: int  # index in :data:`fonts.FACES`
    text: str  # the logical text the glyphs show
    rtl: bool
    # glyph id, advance, x offset, y offset (thousandths of an em)
    glyphs: tuple[tuple[int, float, float, float], ...]
    # each glyph's id and the text it stands for in the ToUnicode map ("" for the second and
    # later glyphs of a cluster that is not its characters' own glyphs)
    unicode: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Line:
    runs: tuple[Run, ...]  # visual order
    advance: float  # thousandths of an em
    missing: str  # characters no shipped font has (drawn as empty boxes)


# --------------------------------------------------------------------------- the fast path


@cache
def _simple_chars() -> frozenset[str]:
    """The characters drawn without shaping: DejaVu Sans' own characters of left-to-right
    scripts, without combining marks or invisible format characters, each with a glyph of
    its own (and the line break). Worked out from the font's metrics, and kept in the disk
    cache with them."""
    path = font_file(fonts.FACES[0].file)
    key = f"{disk_cache.file_digest(path)}:{unicodedata.unidata_version}"
    ranges = disk_cache.cached_json("simple-chars", key, _simple_ranges)
    return frozenset(chr(cp) for lo, hi in ranges for cp in range(lo, hi + 1)) | {"\n"}


def _simple_ranges() -> list[list[int]]:
    simple = []
    claimed = fonts.script_ranges()
    hexgid, own = fonts.metrics(0).hexgid, fonts.glyph_chars(0)
    for cp in sorted(hexgid):
        ch = chr(cp)
        if unicodedata.category(ch)[0] == "M" or unicodedata.category(ch) == "Cf":
            continue
        if own.get(int(hexgid[cp], 16)) != ch:  # its glyph is another character's (NBSP, ‑):
            continue  # ToUnicode would give that one; /ActualText keeps it
        if unicodedata.bidirectional(ch) not in ("L", "EN", "ES", "ET", "CS", "WS", "ON", "B", "S"):
            continue
        if any(lo <= cp <= hi for lo, hi in claimed):
            continue
        simple.append(cp)
    ranges: list[list[int]] = []
    for cp in simple:
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return ranges


def is_simple(text: str) -> bool:
    """Whether ``text`` is drawn character by character in DejaVu Sans (no shaping)."""
    return text.isascii() or _simple_chars().issuperset(text)


def width(text: str, size: float) -> float:
    """The advance width of one line of ``text`` at ``size`` points, shaped if it needs it."""
    if is_simple(text):
        return fonts.width(text, size)
    return shape(text).advance * size / 1000


def unprintable(text: str) -> str:
    """What the PDF form cannot print of ``text``: characters no shipped font has, or that
    the font chosen for them lacks (a mark after a letter of another script), each once; and
    a mark (accent, vowel sign) with no letter to go on."""
    if is_simple(text):
        return ""
    lost = "".join(dict.fromkeys(c for line in text.split("\n") for c in shape(line).missing))
    stray = any(
        unicodedata.category(c)[0] == "M" and (i == 0 or text[i - 1] in " \n") for i, c in enumerate(text)
    )
    return lost + ("\u25cc" if stray else "")


def missing(text: str) -> str:
    """The characters of ``text`` that no shipped font can draw (each once, in order)."""
    if is_simple(text):
        return ""
    return "".join(dict.fromkeys(c for c in text if c != "\n" and _face_for(c) < 0 and not _invisible(c)))


_STRONG = frozenset(("L", "R", "AL"))


def has_rtl(text: str) -> bool:
    """Whether ``text`` has right-to-left letters (Arabic, Hebrew and their kin) or Arabic
    digits (which the bidi algorithm also orders on their own)."""
    return not text.isascii() and any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for c in text)


def order_uncertain(text: str) -> bool:
    """Whether another string could be drawn exactly like ``text``: where right-to-left letters
    meet digits, brackets, punctuation or marks, the bidi algorithm can order two different
    strings alike ("שלום 123" and "123 שלום"). Letters and spaces alone are unambiguous."""
    if not has_rtl(text):
        return False
    classes = [unicodedata.bidirectional(c) for c in text]
    if "AN" in classes:  # Arabic digits move as a block
        return True
    base = ""
    for cls in classes:
        if cls != "NSM":
            base = cls
        elif base in ("R", "AL"):  # a vowel mark on a right-to-left letter is drawn apart from
            return True  # it, and readers give it back anywhere
    i = 0
    while i < len(text):
        if classes[i] in _STRONG:
            i += 1
            continue
        j = i
        while j < len(text) and classes[j] not in _STRONG:
            j += 1
        touches_rtl = (i > 0 and classes[i - 1] != "L") or (j < len(text) and classes[j] != "L")
        if touches_rtl and text[i:j].strip(" "):
            return True
        i = j
    return False


# --------------------------------------------------------------------------- shaping


#: Bidi classes python-bidi's reference implementation drops (rule X9: embeddings, overrides,
#: boundary neutrals such as ZWNJ, ZWJ and the soft hyphen) or does not know (isolates).
_SET_ASIDE = frozenset(("BN", "RLE", "LRE", "RLO", "LRO", "PDF", "RLI", "LRI", "FSI", "PDI"))
_RTL_CLASSES = frozenset(("R", "AL", "AN", "RLE", "RLO", "LRE", "LRO", "RLI", "LRI", "FSI", "PDF", "PDI"))


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf"


@lru_cache(maxsize=8192)
def _face_for(ch: str) -> int:
    """The font for a character on its own: its script's, else DejaVu, else any; -1: none."""
    cp = ord(ch)
    for i, face in enumerate(fonts.FACES):
        if any(lo <= cp <= hi for lo, hi in face.ranges) and fonts.has(i, cp):
            return i
    for i in range(len(fonts.FACES)):
        if fonts.has(i, cp):
            return i
    return -1


def _faces(text: str, levels: list[int]) -> list[int]:
    """Each character's font. Spaces, punctuation and marks take the font of the character
    before them at the same bidi level (a mark always its letter's), else of the one after:
    a space between an Arabic word and a Latin one goes with the Latin run, so that no run is
    a lone space (readers drop a text object with no width, and the space with it)."""
    out: list[int] = []
    prev = -1
    for i, ch in enumerate(text):
        own = _face_for(ch)
        cat = unicodedata.category(ch)
        face = own if own >= 0 else 0
        if cat[0] == "M" and prev >= 0:  # a mark is drawn on its letter, in its letter's font
            face = prev
        elif (cat[0] in "ZPSN" or cat == "Cf") and (own < 0 or not fonts.FACES[own].ranges):
            fits_prev = prev >= 0 and (fonts.has(prev, ord(ch)) or cat == "Cf")
            after = _face_for(text[i + 1]) if i + 1 < len(text) and levels[i + 1] == levels[i] else -1
            if fits_prev and levels[i - 1] == levels[i]:
                face = prev
            elif after >= 0 and fonts.has(after, ord(ch)):
                face = after
            elif fits_prev:
                face = prev
        out.append(face)
        prev = face
    return out


def _levels(text: str) -> tuple[int, list[int]]:
    """The paragraph level and each character's embedding level (UAX #9, rules X to I).

    Every paragraph is left to right (level 0), as the form and its Word document are: a
    right-to-left name reads right to left inside it, and a line is ordered the same way
    whatever it starts with (so a flattened copy is put back in order without guessing).
    python-bidi's reference implementation drops explicit embedding characters and boundary
    neutrals (ZWNJ, ZWJ) and knows no isolates, so those invisible characters are set aside
    first and take the level of the character before them (the rest of the line is ordered
    without them)."""
    if not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text):
        return 0, [0] * len(text)
    from bidi import algorithm as uba

    aside = [unicodedata.bidirectional(c) in _SET_ASIDE or not unicodedata.bidirectional(c) for c in text]
    kept = [i for i, c in enumerate(text) if not aside[i]]
    plain = "".join(text[i] for i in kept)
    base = 0
    storage: dict[str, Any] = uba.get_empty_storage()
    storage["base_level"] = base
    storage["base_dir"] = ("L", "R")[base]
    uba.get_embedding_levels(plain, storage)
    uba.explicit_embed_and_overrides(storage)
    uba.resolve_weak_types(storage)
    uba.resolve_neutral_types(storage, False)
    uba.resolve_implicit_levels(storage, False)
    resolved = [c["level"] for c in storage["chars"]]
    levels = [base] * len(text)
    for i, lv in zip(kept, resolved, strict=True):
        levels[i] = lv
    for i in range(len(text)):  # controls take the level of the character before them
        if aside[i] and i > 0:
            levels[i] = levels[i - 1]
    i = len(text)
    while i > 0 and (text[i - 1].isspace() or aside[i - 1]):
        i -= 1
        levels[i] = base
    return base, levels


@lru_cache(maxsize=16384)
def shape(text: str) -> Line:
    """One line of text, shaped and in visual order."""
    import uharfbuzz as hb

    if not text:
        return Line((), 0.0, "")
    _, levels = _levels(text)
    faces = _faces(text, levels)
    spans: list[tuple[int, int, int, int]] = []  # start, end, level, face
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or levels[i] != levels[start] or faces[i] != faces[start]:
            spans.append((start, i, levels[start], faces[start]))
            start = i
    runs: list[tuple[int, Run]] = []
    drawn_empty: list[str] = []
    for s, e, level, face in spans:
        rtl = level % 2 == 1
        buf = hb.Buffer()
        buf.add_str(text, item_offset=s, item_length=e - s)
        buf.direction = "rtl" if rtl else "ltr"
        buf.guess_segment_properties()
        font, scale = fonts.hb_font(face)
        # DejaVu is set as on the fast path, without kerning or ligatures (the Latin of a
        # mixed line looks as it does elsewhere); the script fonts with all their features
        hb.shape(font, buf, {"kern": False, "liga": False} if face == 0 else {})
        bounds = sorted({g.cluster for g in buf.glyph_infos} | {e})
        # each cluster's end (a dict: a search of the list for every glyph made a long run
        # take time with the square of its length)
        ends = dict(zip(bounds, bounds[1:], strict=False))
        glyphs: list[tuple[int, float, float, float]] = []
        mapped: list[tuple[int, str]] = []
        seen: set[int] = set()
        own = fonts.glyph_chars(face)
        # the characters of each cluster that a glyph of their own stands for (a haraka's
        # mark): the cluster's other glyph stands for the rest, whichever comes first (in a
        # right-to-left run HarfBuzz gives the mark before its letter)
        marked: dict[int, list[str]] = {}
        for info in buf.glyph_infos:
            if info.codepoint in own:
                marked.setdefault(info.cluster, []).append(own[info.codepoint])
        for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
            gid = info.codepoint
            if gid == 0:  # the font has no glyph for a character of this cluster
                end = ends[info.cluster]
                drawn_empty += [
                    c for c in text[info.cluster : end] if not fonts.has(face, ord(c)) and not _invisible(c)
                ]
            glyphs.append((gid, pos.x_advance * scale, pos.x_offset * scale, pos.y_offset * scale))
            if gid in own:  # a character's own glyph stands for that character, wherever it is
                mapped.append((gid, own[gid]))
            elif info.cluster not in seen:  # a joined form or ligature: the text of its cluster
                seen.add(info.cluster)
                shown = text[info.cluster : ends[info.cluster]]
                for ch in marked.get(info.cluster, ()):  # less what other glyphs stand for
                    shown = shown.replace(ch, "", 1)
                mapped.append((gid, shown[::-1] if rtl else shown))  # readers reverse it back
            else:
                mapped.append((gid, ""))
        runs.append((level, Run(face, text[s:e], rtl, tuple(glyphs), tuple(mapped))))
    order = _visual_order([lv for lv, _ in runs])
    shaped = tuple(runs[i][1] for i in order)
    advance = sum(g[1] for r in shaped for g in r.glyphs)
    lost = missing(text) + "".join(dict.fromkeys(drawn_empty))
    return Line(shaped, advance, "".join(dict.fromkeys(lost)))


def _visual_order(levels: list[int]) -> list[int]:
    """Rule L2: from the highest level down to the lowest odd one, reverse every sequence
    of runs at that level or higher."""
    order = list(range(len(levels)))
    if not levels:
        return order
    top = max(levels)
    low = min(lv for lv in levels if lv % 2) if any(lv % 2 for lv in levels) else top + 1
    for level in range(top, low - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return order


def cluster_breaks(word: str) -> list[int]:
    """Offsets in ``word`` where it may be broken when too long for a line: not before a
    combining mark or joiner, nor after a virama (so no syllable is cut in two)."""
    out = []
    for i in range(1, len(word)):
        ch, prev = word[i], word[i - 1]
        if unicodedata.category(ch)[0] == "M" or ch in "\u200c\u200d" or prev in "\u200c\u200d":
            continue
        if unicodedata.combining(prev) == 9:  # a virama joins the next consonant
            continue
        if "\ud800" <= ch <= "\udfff":
            continue
        out.append(i)
    return out


def visual_groups(text: str) -> list[str]:
    """What a PDF reader finds on the page for one line of ``text``, left to right: for a
    left-to-right shaped run, each character of its ``/ActualText``; for other runs, the
    ToUnicode text of each glyph. (The flattened reader checks a line it has put back into
    logical order by comparing this with the page.)"""
    if is_simple(text):
        return list(text)
    out: list[str] = []
    for run in shape(text).runs:
        if not run.rtl:  # its /ActualText
            out.extend(run.text)
        else:
            out.extend(t for _, t in run.unicode if t)
    return out

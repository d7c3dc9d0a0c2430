"""Fillable PDF forms (AcroForm), written directly from the layout.

The file is written by hand rather than through a PDF library: the layout is simple (text,
boxes, widgets), and writing the objects ourselves makes pre-filling fast, the output
byte-for-byte deterministic (no dates, no random ids) and every value visible in every
viewer, because each filled field carries its own appearance stream in the embedded
DejaVu Sans (Identity-H with a ToUnicode map, so non-Latin text is shown and extracted).

The page drawing of a layout is built once and cached; per document only the fields, their
appearance streams and the cross-reference table are written. ``flatten=True`` draws the
values into the pages instead and leaves no form fields.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from apforms import cache as disk_cache
from apforms.errors import RenderError
from apforms.formats.pdf import fonts, image, protocol, shape
from apforms.formats.pdf import syntax as ps
from apforms.formats.pdf.fonts import width
from apforms.formats.pdf.geometry import (
    CHECK,
    COMBO,
    MULTILINE,
    RADIO,
    SIGNATURE,
    TEXT,
    FormField,
    Layout,
    PageLayout,
    Rect,
)
from apforms.formats.pdf.ink import MAIN, Ink, faces_in
from apforms.formats.pdf.layout import (
    HEADER_SIZE,
    HEADER_Y,
    LABEL_SIZE,
    MARGIN_X,
    MARKER_SIZE,
    MARKER_Y,
    PAGE_H,
    PAGE_W,
    layout_for,
)
from apforms.formats.pdf.names import OFF, TX_TAG, YES, AnnotationFlag, FieldFlag, FieldType
from apforms.formats.pdf.text import CONTINUED, LEADING, PAD, PARA, continuations, fit_line, fit_lines
from apforms.formats.pdf.values import FormValue, combo_label, form_values
from apforms.model.config import FormBrand
from apforms.model.definitions import Definition

FONT = MAIN  # resource name of the main embedded font (the script fonts have their own)
# The default appearance other software fills the form with: Helvetica (WinAnsi), a standard
# font every filler can encode, at a fixed size (size 0, "auto", makes pdf.js draw a date at
# box height and pdftk at 53 pt). apforms' own appearances use the embedded font.
DA_FONT = "Helv"
DA_SIZE = 9
DA_TEXT = f"/{DA_FONT} {DA_SIZE} Tf 0 g"
DA_BUTTON = "/ZaDb 8 Tf 0 g"

# Fixed object numbers; pages, fields and appearance streams follow.
CATALOG, PAGES, INFO = 1, 2, 3
FONT_OBJS = (4, 5, 6, 7, 8)  # Type0, CIDFont, descriptor, font file, ToUnicode
ZADB, ACROFORM, HELV = 9, 10, 11
#: The script fonts' five objects each, numbered from 12 (``null`` objects when not used).
SCRIPT_FONT_OBJS = {
    face: tuple(range(12 + 5 * (face - 1), 17 + 5 * (face - 1))) for face in range(1, len(fonts.FACES))
}
FIRST_PAGE_OBJ = 12 + 5 * (len(fonts.FACES) - 1)

#: The logo: top right of the first page, in the margin above the title (never moving it).
LOGO, LOGO_TOP, LOGO_H, LOGO_W = "Logo", PAGE_H - 14.0, 26.0, 140.0
_K = 0.5523  # Bézier circle constant
#: The outline of an empty prose box (drawn with the field, not with the page).
_OUTLINE = "0.35 G 0.6 w 0.3 0.3"
_OFF, _YES = ps.name(OFF), ps.name(YES)
_RADIO_FLAGS = int(FieldFlag.RADIO | FieldFlag.NO_TOGGLE_TO_OFF)


# --------------------------------------------------------------------------- public


def render_pdf(
    definition: Definition, data: dict[str, Any], flatten: bool = False, brand: FormBrand | None = None
) -> bytes:
    """The form for canonical ``data``: fillable, or flattened into a final copy; ``brand``:
    the council's name, logo and contact (none printed, and a line for the contact, without)."""
    lay = layout_for(definition, data)
    values = form_values(lay, data)
    for f in lay.fields:
        value = values.get(f.name)
        if isinstance(value, str) and not value.isascii() and (lost := shape.unprintable(value)):
            if lost.endswith("\u25cc"):
                raise RenderError(
                    f"{f.tooltip}: an accent or vowel sign stands with no letter before it; "
                    "it cannot be printed on the PDF form"
                )
            chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in lost[:5])
            raise RenderError(
                f"{f.tooltip}: the PDF form has no font for {chars}; the Word document shows it"
            )
    brand = brand or FormBrand()
    for what, text in (("branding.name", brand.council), ("la_contact", brand.contact)):
        if text and not text.isascii() and (lost := shape.unprintable(text)):
            chars = ", ".join(f"{c} (U+{ord(c):04X})" for c in lost[:5])
            raise RenderError(
                f"{brand.source or 'configuration'}: {what}: the PDF form has no font for {chars}"
            )
    return _Writer(lay, values, flatten, brand).write()


def draw_layout(lay: Layout, values: dict[str, FormValue], brand: FormBrand | None = None) -> bytes:
    """A flattened copy of ``lay`` showing ``values`` as given (no checks): what a page of that
    geometry looks like printed, for comparing a scanned return against."""
    return _Writer(lay, values, True, brand or FormBrand()).write()


def _font_refs(faces: Iterable[int]) -> str:
    """The font resources for content that selects these script fonts (and DejaVu)."""
    refs = [f"/{FONT} {FONT_OBJS[0]} 0 R"]
    refs += [f"/{fonts.FACES[i].resource} {SCRIPT_FONT_OBJS[i][0]} 0 R" for i in sorted(faces)]
    return " ".join(refs)


# --------------------------------------------------------------------------- drawing helpers


def _circle(cx: float, cy: float, r: float) -> str:
    k = r * _K
    n = ps.num
    return (
        f"{n(cx + r)} {n(cy)} m "
        f"{n(cx + r)} {n(cy + k)} {n(cx + k)} {n(cy + r)} {n(cx)} {n(cy + r)} c "
        f"{n(cx - k)} {n(cy + r)} {n(cx - r)} {n(cy + k)} {n(cx - r)} {n(cy)} c "
        f"{n(cx - r)} {n(cy - k)} {n(cx - k)} {n(cy - r)} {n(cx)} {n(cy - r)} c "
        f"{n(cx + k)} {n(cy - r)} {n(cx + r)} {n(cy - k)} {n(cx + r)} {n(cy)} c h"
    )


def _page_content(page: PageLayout, footer: str, ink: Ink, brand: FormBrand, first: bool) -> str:
    out: list[str] = []
    rules = [] if brand.contact else [(x, y - 2, x + w * 0.7) for x, y, w in page.write_on]
    if rules:
        out.append(
            "0.35 G 0.6 w "
            + " ".join(f"{ps.num(x)} {ps.num(y)} m {ps.num(x1)} {ps.num(y)} l" for x, y, x1 in rules)
            + " S"
        )
    if first and brand.logo:
        pic = image.picture(brand.logo)
        w, h = _logo_size(pic)
        at = f"{ps.num(PAGE_W - MARGIN_X - w)} {ps.num(LOGO_TOP - h)}"
        out.append(f"q {ps.num(w)} 0 0 {ps.num(h)} {at} cm /{LOGO} Do Q")
    if page.bands:
        out.append("0.88 g " + " ".join(f"{_re(r)} re" for r in page.bands) + " f")
    if page.boxes or page.circles:
        shapes = [f"{_re(r)} re" for r in page.boxes] + [_circle(*c) for c in page.circles]
        out.append("0.35 G 0.6 w " + " ".join(shapes) + " S")
    out.append("BT")
    gray, bold = -1.0, False
    for t in page.texts:
        if t.gray != gray:
            out.append(f"{ps.num(t.gray)} g {ps.num(t.gray)} G")
            gray = t.gray
        if t.bold != bold:
            out.append("2 Tr 0.25 w" if t.bold else "0 Tr")
            bold = t.bold
        out.append(ink.line(t.x, t.y, t.size, t.text))
    if bold:
        out.append("0 Tr")
    if brand.contact:
        for x, y, w in page.write_on:
            if width(brand.contact, LABEL_SIZE) > w:
                took = width(brand.contact, LABEL_SIZE)
                raise RenderError(
                    f"{brand.source or 'configuration'}: la_contact: name, email and phone take "
                    f"{took:.0f} pt on the form's line, which holds {w:.0f} pt; shorten them"
                )
            out.append(f"0 g 0 G {ink.line(x, y, LABEL_SIZE, brand.contact)}")
    if first and brand.council:
        right = PAGE_W - MARGIN_X - (_logo_size(image.picture(brand.logo))[0] + 8 if brand.logo else 0)
        left = right - width(brand.council, HEADER_SIZE)
        if left < MARGIN_X:
            raise RenderError(
                f"{brand.source or 'configuration'}: branding.name: too long for the top of the form "
                f"({width(brand.council, HEADER_SIZE):.0f} pt beside the logo, room for "
                f"{right - MARGIN_X:.0f})"
            )
        out.append(f"0.3 g {ink.line(left, HEADER_Y, HEADER_SIZE, brand.council)}")
    out.append(f"0.45 g {ink.line(MARGIN_X, MARKER_Y, MARKER_SIZE, footer)}")
    out.append("ET")
    return "\n".join(out)


def _logo_size(pic: image.Picture) -> tuple[float, float]:
    """The logo's size on the page: at most :data:`LOGO_H` tall and :data:`LOGO_W` wide."""
    scale = min(LOGO_H / pic.height, LOGO_W / pic.width)
    return pic.width * scale, pic.height * scale


def _re(r: Rect) -> str:
    x0, y0, x1, y1 = r
    return f"{ps.num(x0)} {ps.num(y0)} {ps.num(x1 - x0)} {ps.num(y1 - y0)}"


#: A tick as a filled outline in a 10-point box (filled, so readers get its exact bounds).
_TICK = ((1.4, 4.9), (4.2, 1.7), (8.9, 7.5), (7.8, 8.4), (4.2, 3.6), (2.4, 5.9))
_TICK_BOX = 10.0


@lru_cache(maxsize=64)
def _check_mark(w: float, h: float) -> str:
    """A tick drawn as a path (a mark the flattened reader can find in the drawing layer)."""
    s = min(w, h) / _TICK_BOX
    ox, oy = (w - _TICK_BOX * s) / 2, (h - _TICK_BOX * s) / 2
    p = [f"{ps.num(ox + x * s)} {ps.num(oy + y * s)}" for x, y in _TICK]
    return f"q 0 g {p[0]} m " + " ".join(f"{q} l" for q in p[1:]) + " h f Q"


@lru_cache(maxsize=64)
def _radio_dot(w: float, h: float) -> str:
    return f"q 0 g {_circle(w / 2, h / 2, min(w, h) * 0.27)} f Q"


def _text_ap(f: FormField, value: str, w: float, h: float, sizes: tuple[float, ...], ink: Ink) -> str:
    """The appearance of a text value: clipped to the box, wrapped if multi-line (a dropdown's
    too: its box grew for a long option), shrunk to fit only in layout 1 (several ``sizes``)."""
    if f.kind == MULTILINE or (f.kind == COMBO and f.lines > 1):
        size, paras = fit_lines(value, w - 2 * PAD, h - 2 * PAD, sizes)
        lead, gap = -size * LEADING, -size * (LEADING + PARA)
        y = h - PAD - size * 0.93
        starts = [  # a line going on with a broken word starts a little to the right
            [PAD + (CONTINUED if cont else 0.0) for cont in continuations(para, lines)]
            for para, lines in zip(value.split("\n"), paras, strict=True)
        ]
        if all(shape.is_simple(line) for lines in paras for line in lines):
            body = [f"BT /{FONT} {ps.num(size)} Tf 0 g {ps.num(PAD)} {ps.num(y)} Td"]
            x = PAD
            for p, lines in enumerate(paras):
                for i, line in enumerate(lines):
                    dx, x = starts[p][i] - x, starts[p][i]
                    move = "" if p == i == 0 else f"{ps.num(dx)} {ps.num(gap if i == 0 else lead)} Td "
                    body.append(f"{move}<{fonts.encode(line)}> Tj")
                    if not line.isascii():
                        ink.chars.update(line)
        else:  # shaped lines are placed one by one
            body = ["BT 0 g"]
            for p, lines in enumerate(paras):
                for i, line in enumerate(lines):
                    if not p == i == 0:
                        y += gap if i == 0 else lead
                    body.append(ink.line(starts[p][i], y, size, line))
        body.append("ET")
    else:
        line = " ".join(value.split("\n"))
        size = fit_line(line, w - 2 * PAD, sizes)
        y = (h - size * 1.164) / 2 + size * 0.236
        if shape.is_simple(line):
            if not line.isascii():
                ink.chars.update(line)
            body = [
                f"BT /{FONT} {ps.num(size)} Tf 0 g {ps.num(PAD)} {ps.num(y)} Td <{fonts.encode(line)}> Tj ET"
            ]
        else:
            body = [f"BT 0 g {ink.line(PAD, y, size, line)} ET"]
    clip = f"{ps.num(PAD / 2)} {ps.num(PAD / 2)} {ps.num(w - PAD)} {ps.num(h - PAD)} re W n"
    return f"q {clip} " + " ".join(body) + " Q"


def _size(r: Rect) -> tuple[float, float]:
    return r[2] - r[0], r[3] - r[1]


# --------------------------------------------------------------------------- cached per layout


@dataclass(frozen=True)
class _Static:
    contents: tuple[bytes, ...]  # compressed page content streams (object bodies)
    faces: tuple[frozenset[int], ...]  # the script fonts each page's labels select
    ink: Ink  # what the labels (and the dropdown options) need of the fonts


@lru_cache(maxsize=64)
def _static(lay: Layout, brand: FormBrand) -> _Static:
    ink = Ink()
    drawn = [_page_content(p, lay.footer(i), ink, brand, i == 0) for i, p in enumerate(lay.pages)]
    ink.chars.update(c for f in lay.fields for o in f.options for c in o.label if not c.isascii())
    contents = tuple(ps.stream("", d.encode(), compress=True) for d in drawn)
    return _Static(contents, tuple(frozenset(faces_in([d])) for d in drawn), ink)


@cache
def _producer() -> str:
    """``apforms <version>``, as installed (kept in the disk cache: importlib.metadata takes
    longer to import than a form takes to write)."""
    return disk_cache.cached("producer", disk_cache.installed_key(), _installed_producer).decode()


def _installed_producer() -> bytes:
    from importlib import metadata

    try:
        return f"apforms {metadata.version('apforms')}".encode()
    except metadata.PackageNotFoundError:  # running from a source tree
        return b"apforms"


@lru_cache(maxsize=1024)
def _form_xobject(w: float, h: float, content: str, font: bool = True) -> bytes:
    """A form XObject (an appearance stream); the same bytes for the same box and content."""
    fonts_used = f"{_font_refs(faces_in([content]))} /{DA_FONT} {HELV} 0 R"
    res = f" /Resources << /Font << {fonts_used} >> >>" if font else ""
    header = f"/Type /XObject /Subtype /Form /BBox [0 0 {ps.num(w)} {ps.num(h)}]{res}"
    return ps.stream(header, content.encode())


# --------------------------------------------------------------------------- the writer


class _Writer:
    """Numbers and serialises the objects of one document."""

    def __init__(self, lay: Layout, values: dict[str, FormValue], flatten: bool, brand: FormBrand) -> None:
        self.lay, self.values, self.flatten, self.brand = lay, values, flatten, brand
        self.ink = Ink()
        self.objs: dict[int, bytes] = {}
        self.next = FIRST_PAGE_OBJ + 2 * len(lay.pages)
        self.annots: list[list[int]] = [[] for _ in lay.pages]

    def alloc(self) -> int:
        n = self.next
        self.next += 1
        return n

    def page_obj(self, i: int) -> int:
        return FIRST_PAGE_OBJ + 2 * i

    def write(self) -> bytes:
        lay = self.lay
        self.objs[ZADB] = b"<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats >>"
        self.objs[HELV] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
        extra_content: list[list[str]] = [[] for _ in lay.pages]
        if self.flatten:
            for f in lay.fields:
                for page, ops in self.flat_ops(f):
                    extra_content[page].append(ops)
            catalog_form = ""
        else:
            top = self.fields()
            refs = " ".join(f"{n} 0 R" for n in top)
            self.objs[ACROFORM] = (
                f"<< /Fields [{refs}] /DA {ps.text(DA_TEXT)} /DR << /Font << /{DA_FONT} {HELV} 0 R "
                f"/{FONT} {FONT_OBJS[0]} 0 R /ZaDb {ZADB} 0 R >> >> >>"
            ).encode()
            catalog_form = f" /AcroForm {ACROFORM} 0 R"
        self.pages(extra_content)
        self.ink.merge(_static(lay, self.brand).ink)
        for face, program in self.ink.programs().items():
            self.objs.update(program.objects(*(SCRIPT_FONT_OBJS[face] if face else FONT_OBJS)))
        d = lay.definition
        self.objs[CATALOG] = (
            f"<< /Type /Catalog /Pages {PAGES} 0 R{catalog_form} /Lang (en-GB) "
            "/ViewerPreferences << /DisplayDocTitle true >> >>"
        ).encode()
        ids = " ".join(f"{ps.name(k)} {ps.text(v)}" for k, v in protocol.info_entries(d, lay.rows, lay.grow))
        self.objs[INFO] = (
            f"<< /Title {ps.text(d.title)} /Subject {ps.text(f'apforms:{d.id}:{d.version}')} "
            f"/Creator (apforms) /Producer {ps.text(_producer())} {ids} >>"
        ).encode()
        return self.serialise()

    def pages(self, extra_content: list[list[str]]) -> None:
        static = _static(self.lay, self.brand)
        logo = self.logo() if self.brand.logo else ""
        kids = []
        for i in range(len(self.lay.pages)):
            font_refs = _font_refs(static.faces[i] | set(faces_in(extra_content[i])))
            xobjects = f" /XObject << /{LOGO} {logo} >>" if logo and i == 0 else ""
            res = f"/Resources << /Font << {font_refs} >>{xobjects} /ProcSet [/PDF /Text /ImageC] >>"
            pobj, cobj = self.page_obj(i), self.page_obj(i) + 1
            kids.append(f"{pobj} 0 R")
            self.objs[cobj] = static.contents[i]
            contents = f"{cobj} 0 R"
            if extra_content[i]:
                vobj = self.alloc()
                self.objs[vobj] = ps.stream("", "\n".join(extra_content[i]).encode())
                contents = f"[{cobj} 0 R {vobj} 0 R]"
            annots = f" /Annots [{' '.join(f'{a} 0 R' for a in self.annots[i])}]" if self.annots[i] else ""
            self.objs[pobj] = (
                f"<< /Type /Page /Parent {PAGES} 0 R /MediaBox [0 0 {ps.num(PAGE_W)} {ps.num(PAGE_H)}] "
                f"{res} /Contents {contents}{annots} >>"
            ).encode()
        self.objs[PAGES] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()

    def logo(self) -> str:
        """The logo's image objects; a reference to the image."""
        pic = image.picture(self.brand.logo or b"")
        obj = self.alloc()
        body = pic.body
        if pic.mask is not None:
            mask = self.alloc()
            self.objs[mask] = pic.mask
            body = body.replace(image.SMASK_REF.encode(), f"{mask} 0 R".encode(), 1)
        self.objs[obj] = body
        return f"{obj} 0 R"

    # -- form fields

    def fields(self) -> list[int]:
        """Every field, under non-terminal fields named by the key path; top-level refs."""
        nodes: dict[str, int] = {}
        kids: dict[str, list[int]] = {}
        top: list[int] = []
        for f in self.lay.fields:
            parts = f.name.split(".")
            parent = ""
            for depth in range(len(parts) - 1):
                path = ".".join(parts[: depth + 1])
                if path not in nodes:
                    nodes[path] = self.alloc()
                    kids[path] = []
                    (kids[parent] if parent else top).append(nodes[path])
                parent = path
            obj = self.field(f, nodes[parent] if parent else None)
            (kids[parent] if parent else top).append(obj)
        for path, obj in nodes.items():
            parent_path = path.rpartition(".")[0]
            parent = f" /Parent {nodes[parent_path]} 0 R" if parent_path else ""
            refs = " ".join(f"{k} 0 R" for k in kids[path])
            self.objs[obj] = f"<< /T {ps.text(path.rpartition('.')[2])}{parent} /Kids [{refs}] >>".encode()
        return top

    def field(self, f: FormField, parent: int | None) -> int:
        obj = self.alloc()
        common = f"/T {ps.text(f.name.rpartition('.')[2])} /TU {ps.text(f.tooltip)}"
        if parent is not None:
            common += f" /Parent {parent} 0 R"
        value = self.values.get(f.name)
        if f.kind == RADIO:
            kid_refs = []
            for wid in f.widgets:
                kid = self.alloc()
                kid_refs.append(kid)
                on = isinstance(value, str) and wid.state == value
                state = ps.name(wid.state or YES)
                on_ap, off_ap = self.button_appearances(wid.rect, _radio_dot)
                self.objs[kid] = (
                    f"<< {self.widget_head(wid.page, wid.rect, kid)} /Parent {obj} 0 R "
                    f"/AS {state if on else _OFF} /MK << /CA (l) >> /DA {ps.text(DA_BUTTON)} "
                    f"/AP << /N << {state} {on_ap} 0 R {_OFF} {off_ap} 0 R >> >> >>"
                ).encode()
            v = f" /V {ps.name(value)}" if isinstance(value, str) else ""
            self.objs[obj] = (
                f"<< /FT /{FieldType.BUTTON} {common} /Ff {_RADIO_FLAGS}{v} "
                f"/Kids [{' '.join(f'{k} 0 R' for k in kid_refs)}] >>"
            ).encode()
            return obj
        wid = f.widgets[0]
        head = self.widget_head(wid.page, wid.rect, obj)
        if f.kind == CHECK:
            state = _YES if value is True else _OFF
            on_ap, off_ap = self.button_appearances(wid.rect, _check_mark)
            body = (
                f"/FT /{FieldType.BUTTON} /V {state} /AS {state} /MK << /CA (4) >> /DA {ps.text(DA_BUTTON)} "
                f"/AP << /N << {_YES} {on_ap} 0 R {_OFF} {off_ap} 0 R >> >>"
            )
        elif f.kind == SIGNATURE:
            body = f"/FT /{FieldType.SIGNATURE} /AP << /N {self.empty_appearance(wid.rect)} 0 R >>"
        else:
            body = self.text_field(f, value, wid.rect)
        self.objs[obj] = f"<< {head} {common} {body} >>".encode()
        return obj

    def button_appearances(self, rect: Rect, mark: Callable[[float, float], str]) -> tuple[int, int]:
        """A tick box's or radio button's own on and off appearances (never shared between
        widgets: software that edits one appearance in place must not change the others)."""
        w, h = _size(rect)
        on, off = self.alloc(), self.alloc()
        self.objs[on] = _form_xobject(w, h, mark(w, h), font=False)
        self.objs[off] = _form_xobject(w, h, "", font=False)
        return on, off

    def empty_appearance(self, rect: Rect, outline: bool = False) -> int:
        """An empty text or signature field's own appearance, the size of its box; with
        ``outline`` its box drawn (a prose paragraph has none on the page, and an empty one
        would be nowhere to write)."""
        w, h = _size(rect)
        obj = self.alloc()
        # the font resources stay: qpdf (pikepdf, PyPDFForm) draws a filled value with them
        box = f"{_OUTLINE} {ps.num(w - 0.6)} {ps.num(h - 0.6)} re S " if outline else ""
        self.objs[obj] = _form_xobject(w, h, f"{box}/{TX_TAG} BMC EMC")
        return obj

    def widget_head(self, page: int, rect: Rect, obj: int) -> str:
        self.annots[page].append(obj)
        return (
            f"/Type /Annot /Subtype /Widget /F {int(AnnotationFlag.PRINT)} /Rect {ps.rect(rect)} "
            f"/P {self.page_obj(page)} 0 R"
        )

    def text_field(self, f: FormField, value: FormValue, rect: Rect) -> str:
        shown = value if isinstance(value, str) else ""
        if f.kind == COMBO:
            opts = " ".join(f"[{ps.text(o.value)} {ps.text(combo_label(f, o.value))}]" for o in f.options)
            body = f"/FT /{FieldType.CHOICE} /Ff {int(FieldFlag.COMBO)} /Opt [{opts}]"
            shown = combo_label(f, shown) if shown else ""
        else:
            flags = FieldFlag.DO_NOT_SPELL_CHECK | (FieldFlag.MULTILINE if f.kind == MULTILINE else 0)
            body = f"/FT /{FieldType.TEXT} /Ff {int(flags)}"
        body += f" /DA {ps.text(DA_TEXT)}"
        if not shown:
            return (
                f"{body} /AP << /N {self.empty_appearance(rect, f.leaf is not None and f.leaf.prose)} 0 R >>"
            )
        ap = self.alloc()
        w, h = _size(rect)
        drawn = _text_ap(f, shown, w, h, self.lay.value_sizes, self.ink)
        self.objs[ap] = _form_xobject(w, h, f"/{TX_TAG} BMC {drawn} EMC")
        return f"{body} /V {ps.text(value if isinstance(value, str) else shown)} /AP << /N {ap} 0 R >>"

    # -- flattened values

    def flat_ops(self, f: FormField) -> Iterable[tuple[int, str]]:
        value = self.values.get(f.name)
        if not value and f.kind == MULTILINE and f.leaf is not None and f.leaf.prose:
            wid = f.widgets[0]
            w, h = _size(wid.rect)
            at = f"{ps.num(wid.rect[0])} {ps.num(wid.rect[1])}"
            yield wid.page, f"q 1 0 0 1 {at} cm {_OUTLINE} {ps.num(w - 0.6)} {ps.num(h - 0.6)} re S Q"
            return
        if value is None or value is False or f.kind == SIGNATURE:
            return
        for wid in f.widgets:
            w, h = _size(wid.rect)
            if f.kind == CHECK:
                ops = _check_mark(w, h)
            elif f.kind == RADIO:
                if wid.state != value:
                    continue
                ops = _radio_dot(w, h)
            elif f.kind in (TEXT, MULTILINE, COMBO) and isinstance(value, str):
                shown = combo_label(f, value) if f.kind == COMBO else value
                ops = _text_ap(f, shown, w, h, self.lay.value_sizes, self.ink)
            else:
                continue
            yield wid.page, f"q 1 0 0 1 {ps.num(wid.rect[0])} {ps.num(wid.rect[1])} cm {ops} Q"

    # -- the file

    def serialise(self) -> bytes:
        count = self.next
        out = [b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"]
        offsets = [0] * count
        pos = len(out[0])
        digest = hashlib.md5(usedforsecurity=False)
        for n in range(1, count):
            body = self.objs.get(n, b"null")
            chunk = b"%d 0 obj\n%s\nendobj\n" % (n, body)
            offsets[n] = pos
            pos += len(chunk)
            out.append(chunk)
            digest.update(body)
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % count]
        xref += [b"%010d 00000 n \n" % off for off in offsets[1:]]
        out += xref
        file_id = digest.hexdigest().upper()
        out.append(
            (
                f"trailer\n<< /Size {count} /Root {CATALOG} 0 R /Info {INFO} 0 R "
                f"/ID [<{file_id}> <{file_id}>] >>\n"
                f"startxref\n{pos}\n%%EOF\n"
            ).encode()
        )
        return b"".join(out)

"""Reading a scanned return: pages that are pictures (a scanner's PDF, PNG, JPEG or TIFF).

Nothing read from a scan is exact, so every value is listed for checking. The method, page by
page:

1. **Pages as images.** A PDF whose pages are images with no visible text (a scanner's PDF,
   or one with only an invisible OCR text layer, render mode 3) is rendered by PDFium at the
   resolution of its images (150 to 300 dpi); image files are read with Pillow (every frame
   of a TIFF). The OCR text layer of a searchable PDF is never used.
2. **Deskew.** The angle (up to ±2°) that makes the horizontal box edges line up best: the
   projection profile of the dark pixels, rotated, with the most peaked histogram.
3. **Identify.** The bottom of the page is read by tesseract with only the characters of the
   footer line allowed (``apforms:sla:1.0 layout 4 page 1 of 3 rows 3.2 grow 0*13 end``),
   specks filtered out first; :func:`~apforms.formats.pdf.protocol.identify_text` parses
   it. The form is what most pages say; a page whose footer disagrees, or repeats a page
   number, is not read. The layout rebuilt from the rows and growing boxes must have the
   number of pages the footers say (else the scan is refused) and print exactly the footer
   read on each page; a page whose reading it does not bear out is read in other ways and
   each reading tried. Pages after one missing or unreadable are not read (the growing boxes
   of the missing page are unknown, so the later boxes may have moved).
4. **Register.** The page of that layout is drawn with no values (the writer's own drawing,
   :func:`~apforms.formats.pdf.writer.draw_layout`) and rendered at the scan's resolution.
   The long horizontal and vertical lines (box edges) of both are profiled along each axis;
   the scale and shift that best correlate the profiles map the scan onto the drawing. A page
   whose lines do not then cover the drawing's is not read (a misread footer gives such a
   page: its boxes are elsewhere), and neither is a box whose own edges are not found.
5. **Read.** Tick boxes and radio buttons: the ink in the inner part of each box, less the
   empty drawing's; the confidence grows with the distance from the threshold. Text: the
   scan with everything but the insides of the text boxes whitened is read by one tesseract
   call per page; words go to the box their centre is in; the lines of a multi-line box are
   joined again by the gaps between baselines (a new paragraph starts lower; each word's
   baseline from its box and letters) and by measuring (a line with room for the next line's
   first word ended where Enter was pressed), and checked by wrapping the result again.
   Dropdowns match their options' printed text. A box with ink the page's reading gave no
   words for is read on its own.
6. **Confirm.** The values read are drawn again by the writer in the same geometry and
   compared with the scan box by box (the largest difference in any window the size of a
   small character, so a lost full stop or accent counts). A box that differs is read again
   on its own and look-alike characters are tried (en dash, ’, I/l, Ş/Ș); the reading that
   looks more like the page is kept, and one that still differs is low confidence. A box
   with ink that gives no words, or nothing like them (handwriting), is cut out as a PNG for
   a person to read. Words with look-alike letters where either could be (``lonescu``) are
   low confidence whatever tesseract says.
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
import functools
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFilter, ImageSequence

from apforms import present
from apforms.errors import IngestError, RenderError
from apforms.formats.pdf import ocr, shape
from apforms.formats.pdf.bounds import PagesMemory
from apforms.formats.pdf.geometry import CHECK, COMBO, MULTILINE, RADIO, TEXT, FormField, Layout, Rect
from apforms.formats.pdf.layout import PAGE_H, PAGE_W
from apforms.formats.pdf.protocol import FormId, footer_text, identify_text
from apforms.formats.pdf.read_page import UNREAD, _where
from apforms.formats.pdf.text import LEADING, PAD, PARA, soft_join, wrap
from apforms.formats.pdf.values import FormValue
from apforms.formats.pdf.writer import draw_layout
from apforms.model.definitions import Definition, document_ids
from apforms.model.types import EMAIL
from apforms.pictures import sniff_image

#: Numbers as NDArray of bytes (a grey page, 255 white) or booleans (ink).
Gray = np.ndarray[Any, np.dtype[np.uint8]]
Mask = np.ndarray[Any, np.dtype[np.bool_]]
Floats = np.ndarray[Any, np.dtype[np.float64]]

#: The resolution pages are read at (scans finer than this are scaled down, coarser ones kept).
MAX_DPI = 300
MIN_DPI = 150
#: A value read with less confidence than this is marked low confidence.
LOW = 0.85
#: Ink: a pixel darker than this (0 black, 255 white); faint ink (pencil), darker than FAINT.
INK = 150
FAINT = 200
#: tesseract's page segmentation for a page of values (one block: the boxes' lines).
PAGE_PSM = 6
#: Pages a scan may have (a form is a few pages; more is not a return).
MAX_PAGES = 40
#: Pixels of one page of a scan, as the file has it or as a PDF page is rendered (an A4 page
#: at 600 dpi has 35 million), and of all its pages as they are read (40 pages at 200 dpi).
MAX_PAGE_PIXELS = 50_000_000
MAX_SCAN_PIXELS = 160_000_000

_FOOTER_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789:.*-"
#: The footer line as OCR gives it with no spaces; a letter of a keyword may be misread (the
#: numbers may not: the layout rebuilt from them is checked against the page).
_FOOTER = re.compile(
    r"a[a-z]form[a-z]:([a-z][a-z0-9-]*):(\d+(?:\.\d+)*)[a-z]ayout(\d{1,6})[a-z]age(\d+)of(\d+)"
    r"(?:[a-z]?ows(\d[0-9.*]*?))?(?:[.:-]?[a-z]row(\d[0-9.*]*?))?[.:-]?e[a-z]d"
)


@dataclass
class ScanImage:
    """One page of a scan: grey pixels and the resolution they were taken at."""

    pixels: Gray
    dpi: float


@dataclass
class ScanRead:
    """What the pages of a scan gave: values by field name and how sure each is."""

    form_id: FormId
    layout: Layout | None = None
    values: dict[str, FormValue] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Every value read (by full field name): its confidence, 0 to 1.
    confidence: dict[str, float] = field(default_factory=dict)
    #: Boxes with ink that could not be read: a PNG of each as a data: URL.
    images: dict[str, str] = field(default_factory=dict)
    pages: dict[int, int] = field(default_factory=dict)  # layout page → file page (from 0)
    #: Per page: the scan's deskew angle, scales and shifts (for the record and for tests).
    alignment: dict[int, dict[str, float]] = field(default_factory=dict)
    #: Per text value: how much of the box differs from the value drawn again (0 the same).
    confirm_ratio: dict[str, float] = field(default_factory=dict)


# --------------------------------------------------------------------------- recognising a scan


def scan_pages(data: bytes) -> list[ScanImage] | None:
    """The pages of a PDF as images when it is a scan (images, no visible text); ``None``
    for a PDF with visible text on its pages (read as a PDF form)."""
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        if len(doc) == 0 or len(doc) > MAX_PAGES:
            return None
        dpis: list[float] = []
        sizes: list[tuple[float, float]] = []
        for i in range(len(doc)):
            try:
                page = doc[i]
            except pdfium.PdfiumError:
                return None  # a page that cannot be opened is not a scan's picture (read as a PDF)
            dpi = _image_page(page)
            if dpi is None:
                return None
            dpis.append(dpi)
            sizes.append(page.get_size())
        out = []
        _check_rendered(sizes, dpis)
        memory = PagesMemory()
        for i, dpi in enumerate(dpis):
            memory.check(i + 1)
            try:
                bitmap = doc[i].render(scale=dpi / 72, grayscale=True)
            except pdfium.PdfiumError:
                raise IngestError(f"damaged PDF, page {i + 1} of the scan cannot be drawn") from None
            out.append(ScanImage(np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy(), dpi))
        return out
    finally:
        doc.close()


def _check_rendered(sizes: list[tuple[float, float]], dpis: list[float]) -> None:
    """IngestError if a page, or all of them, would render to more pixels than are read."""
    total = 0.0
    for i, ((w, h), dpi) in enumerate(zip(sizes, dpis, strict=True)):
        pixels = w * h * (dpi / 72) ** 2
        total += pixels
        if pixels > MAX_PAGE_PIXELS:
            raise IngestError(
                f"page {i + 1} of the scan is {w / 72:.0f} × {h / 72:.0f} inches: {_too_many(pixels, dpi)}"
            )
    if total > MAX_SCAN_PIXELS:
        raise IngestError(
            f"the scan's pages are {total / 1e6:,.0f} million pixels at the resolution they are read "
            f"at (at most {MAX_SCAN_PIXELS // 1_000_000} million)"
        )


def _too_many(pixels: float, dpi: float) -> str:
    return (
        f"{pixels / 1e6:,.0f} million pixels at {dpi:.0f} dpi (at most {MAX_PAGE_PIXELS // 1_000_000} "
        "million are read for a page)"
    )


def _image_page(page: pdfium.PdfPage) -> float | None:
    """The resolution to render a page at if it is a scanned page (an image covering most of
    it and no visible text), else ``None``."""
    w, h = page.get_size()
    best = 0.0
    dpi = 0.0
    for obj in page.get_objects(max_depth=3):
        if obj.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
            if pdfium_c.FPDFTextObj_GetTextRenderMode(obj.raw) != pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                return None
        elif obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
            x0, y0, x1, y1 = obj.get_bounds()
            area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
            if area > best:
                best = area
                px = obj.get_px_size()[0]
                dpi = px / max((x1 - x0) / 72, 1e-6)
    if best < 0.5 * w * h:
        return None
    return float(min(max(round(dpi), MIN_DPI), MAX_DPI))


def image_pages(data: bytes) -> list[ScanImage]:
    """The pages of a PNG, JPEG or TIFF file (every frame of a TIFF)."""
    try:
        img = Image.open(io.BytesIO(data))
        out = []
        total = 0
        for n, frame in enumerate(ImageSequence.Iterator(img)):
            if n >= MAX_PAGES:
                raise IngestError(f"the image has more than {MAX_PAGES} pages; not a returned form")
            w, h = frame.size  # known before the pixels are decoded
            if w * h > MAX_PAGE_PIXELS:
                where = f"page {n + 1} of the image" if n else "the image"
                raise IngestError(
                    f"{where} is {w:,} × {h:,} pixels "
                    f"(at most {MAX_PAGE_PIXELS // 1_000_000} million are read)"
                )
            gray = frame.convert("L")
            dpi = _image_dpi(gray.size)
            if dpi > MAX_DPI:  # scaled down: finer adds nothing to reading and costs time
                size = (round(gray.width * MAX_DPI / dpi), round(gray.height * MAX_DPI / dpi))
                gray = gray.resize(size, Image.Resampling.LANCZOS)
                dpi = MAX_DPI
            total += gray.width * gray.height
            if total > MAX_SCAN_PIXELS:
                raise IngestError(
                    f"the image's pages are more than {MAX_SCAN_PIXELS // 1_000_000} million pixels "
                    "at the resolution they are read at (the most read)"
                )
            out.append(ScanImage(np.asarray(gray, dtype=np.uint8).copy(), dpi))
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        kind = {"png": "a PNG", "jpeg": "a JPEG", "tiff": "a TIFF"}.get(sniff_image(data) or "", "an")
        raise IngestError(f"{kind} image that cannot be read (damaged or incomplete)") from None
    return out


def _image_dpi(size: tuple[int, int]) -> float:
    """A page's resolution: from its width as an A4 page (scanners' dpi tags are often wrong;
    registration takes out the rest)."""
    return min(size) / (PAGE_W / 72)


# --------------------------------------------------------------------------- page geometry


def _deskew(a: Gray) -> float:
    """The angle in degrees the page is turned by (counter-clockwise positive): the one that
    makes the projection of its dark pixels on the vertical axis most peaked."""
    ys, xs = np.nonzero(a[::2, ::2] < INK)
    if len(ys) < 100:
        return 0.0
    if len(ys) > 150_000:
        pick = np.random.default_rng(0).choice(len(ys), 150_000, replace=False)
        ys, xs = ys[pick], xs[pick]
    fy, fx = ys.astype(np.float64), xs.astype(np.float64)
    n = a.shape[0] // 2 + a.shape[1] // 2 + 2

    def score(deg: float) -> float:
        t = np.tan(np.radians(deg))
        h = np.bincount((fy + fx * t + a.shape[1] / 2).astype(np.int64).clip(0, n - 1), minlength=n)
        return float(np.dot(h, h))

    coarse = max(np.arange(-2.0, 2.01, 0.1), key=score)
    return float(max(np.arange(coarse - 0.1, coarse + 0.101, 0.01), key=score))


def _rotate(a: Gray, deg: float) -> Gray:
    if abs(deg) < 0.005:
        return a
    img = Image.fromarray(a).rotate(-deg, resample=Image.Resampling.BILINEAR, fillcolor=255)
    return np.asarray(img, dtype=np.uint8).copy()


def _lines(a: Gray, dpi: float) -> tuple[Floats, Floats]:
    """Profiles of the long lines of a page: for each row, the pixels on horizontal lines
    (runs of ink a fifth of an inch long); for each column, those on vertical lines."""
    dark = (a < INK).astype(np.int32)
    run = max(int(dpi / 5), 8)

    def along(d: np.ndarray[Any, np.dtype[np.int32]]) -> Floats:
        c = np.cumsum(d, axis=1)
        win = c[:, run:] - c[:, :-run]
        out: Floats = (win >= run * 0.9).sum(axis=1).astype(np.float64)
        return out

    return along(dark), along(np.ascontiguousarray(dark.T))


def _smooth(p: Floats, sigma: float) -> Floats:
    r = int(3 * sigma) + 1
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    return np.convolve(p, k / k.sum(), mode="same")


def _fit_axis(scan: Floats, drawn: Floats, max_shift: int) -> tuple[float, float, float]:
    """Scale and shift (scan = scale · drawn + shift) that best correlate two line profiles,
    and the correlation (0 to 1)."""
    s_scan, s_drawn = _smooth(scan, 1.5), _smooth(drawn, 1.5)
    n = len(s_scan)
    size = 1 << int(np.ceil(np.log2(2 * n + 1)))
    f_scan = np.fft.rfft(s_scan, size)
    norm_scan = float(np.linalg.norm(s_scan)) or 1.0
    u = np.arange(n, dtype=np.float64)
    at = np.arange(len(s_drawn), dtype=np.float64)

    def fit(scale: float) -> tuple[float, float, float]:
        resampled = np.interp(u / scale, at, s_drawn, left=0.0, right=0.0)
        corr = np.fft.irfft(f_scan * np.conj(np.fft.rfft(resampled, size)), size)
        shifts = np.concatenate([corr[: max_shift + 1], corr[-max_shift:]])
        k = int(np.argmax(shifts))
        shift = k if k <= max_shift else k - len(shifts)
        return float(shifts[k]) / (norm_scan * (float(np.linalg.norm(resampled)) or 1.0)), scale, float(shift)

    coarse = max((fit(float(x)) for x in np.arange(0.96, 1.0401, 0.002)), key=lambda t: t[0])
    fine = max((fit(coarse[1] + float(d)) for d in np.arange(-0.002, 0.00201, 0.00025)), key=lambda t: t[0])
    return fine[1], fine[2], fine[0]


@dataclass
class _Aligned:
    """A scanned page mapped onto the drawing of its layout page (pixels of the drawing)."""

    pixels: Gray
    drawn: Gray  # the page drawn with no values
    dpi: float
    coverage: float  # of the drawing's line pixels, the share the scan has ink on

    def box(self, r: Rect, inset: float = 0.0) -> tuple[int, int, int, int]:
        """Pixel box (left, top, right, bottom) of a rectangle in points, shrunk by ``inset``
        points on every side."""
        k = self.dpi / 72
        x0, x1 = (r[0] + inset) * k, (r[2] - inset) * k
        y0, y1 = (PAGE_H - r[3] + inset) * k, (PAGE_H - r[1] - inset) * k
        h, w = self.pixels.shape
        return (
            max(int(round(x0)), 0),
            max(int(round(y0)), 0),
            min(int(round(x1)), w),
            min(int(round(y1)), h),
        )


def _render(pdf: bytes, page: int, dpi: float) -> Gray:
    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[page].render(scale=dpi / 72, grayscale=True)
        return np.asarray(bitmap.to_pil().convert("L"), dtype=np.uint8).copy()
    finally:
        doc.close()


def _align(scan: Gray, drawn: Gray, dpi: float) -> tuple[_Aligned, dict[str, float]]:
    """The scan registered onto the drawing: scale and shift on each axis from line profiles."""
    sy_prof, sx_prof = _lines(scan, dpi)
    dy_prof, dx_prof = _lines(drawn, dpi)
    max_shift = int(dpi * 0.6)  # 15 mm either way
    sy, ty, cy = _fit_axis(_pad(sy_prof, len(dy_prof)), dy_prof, max_shift)
    sx, tx, cx = _fit_axis(_pad(sx_prof, len(dx_prof)), dx_prof, max_shift)
    h, w = drawn.shape
    lines = _line_pixels(drawn, dpi)
    r = max(int(dpi / 100), 1)

    def mapped(m: tuple[float, float, float, float]) -> tuple[Gray, float]:
        img = Image.fromarray(scan).transform(
            (w, h),
            Image.Transform.AFFINE,
            (m[0], 0, m[1], 0, m[2], m[3]),
            Image.Resampling.BILINEAR,
            fillcolor=255,
        )
        pixels = np.asarray(img, dtype=np.uint8).copy()
        near = _dilate(pixels < INK + 40, r)
        return pixels, float((near & lines).sum() / max(int(lines.sum()), 1))

    # The fit, and where an axis's profiles hardly correlate (few long lines that way) the
    # scan as it is on that axis: whichever puts more of the drawing's lines on ink.
    best = (sx, tx, sy, ty)
    pixels, coverage = mapped(best)
    weak = [m for m, c in (((1.0, 0.0, sy, ty), cx), ((sx, tx, 1.0, 0.0), cy)) if c < 0.6]
    for m in weak:
        p2, c2 = mapped(m)
        if c2 > coverage:
            best, pixels, coverage = m, p2, c2
    sx, tx, sy, ty = best
    fit = {"scale_x": sx, "shift_x": tx, "scale_y": sy, "shift_y": ty, "corr_x": cx, "corr_y": cy}
    return _Aligned(pixels, drawn, dpi, coverage), fit


def _pad(p: Floats, n: int) -> Floats:
    return p[:n] if len(p) >= n else np.concatenate([p, np.zeros(n - len(p))])


def _line_pixels(a: Gray, dpi: float) -> Mask:
    """Pixels on long horizontal or vertical lines."""
    dark = a < INK
    run = max(int(dpi / 5), 8)

    def along(d: Mask) -> Mask:
        c = np.cumsum(d.astype(np.int32), axis=1)
        full = np.zeros_like(d)
        win = (c[:, run:] - c[:, :-run]) >= run
        full[:, run:] |= win
        return full

    return along(dark) | along(dark.T).T


def _dilate(m: Mask, r: int) -> Mask:
    out = m.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            if dx or dy:
                out |= np.roll(np.roll(m, dy, axis=0), dx, axis=1)
    return out


def _erode(m: Mask) -> Mask:
    """Ink with ink on all four sides (specks of noise vanish, strokes stay)."""
    out = m.copy()
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        out &= np.roll(np.roll(m, dy, axis=0), dx, axis=1)
    return out


# --------------------------------------------------------------------------- identifying


Footer = tuple[FormId, int, int]  # what a footer line says, its page number and page count


def identify_page(a: Gray, dpi: float, angle: float = 0.0) -> Footer | None:
    """The footer line at the bottom of a scanned page (``a`` as scanned, turned by ``angle``),
    with the page number and page count it gives (``None`` when none can be read)."""
    found = footer_readings(a, dpi, angle)
    return found[0] if found else None


def footer_readings(a: Gray, dpi: float, angle: float = 0.0, every: bool = True) -> list[Footer]:
    """The different readings of a scanned page's footer line, the likeliest first (only
    the first unless ``every``): the bottom of the page is enlarged to 600 dpi and turned
    straight (the line is 5 pt), and read in three ways; the layout rebuilt from a reading
    tells the right one."""
    h, w = a.shape
    bottom = Image.fromarray(a[int(h * 0.93) :, :])

    # Specks and grain are taken out at the scan's own resolution (a 3-pixel median) before
    # the line is enlarged and turned; below 250 dpi that takes the thin strokes too, so there
    # the line is read as it is first, then with a median at 600 dpi. For a page whose first
    # reading was not borne out, it is read at other sizes (OCR errs differently) too.
    def enlarged(img: Image.Image, zoom: float = 600 / dpi) -> Image.Image:
        big = img.resize((int(img.width * zoom), int(img.height * zoom)), Image.Resampling.LANCZOS)
        if abs(angle) >= 0.005:
            big = big.rotate(-angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        return big

    attempts: list[Callable[[], Image.Image]] = [
        lambda: enlarged(bottom.filter(ImageFilter.MedianFilter(3))),
        lambda: enlarged(bottom),
        lambda: enlarged(bottom).filter(ImageFilter.MedianFilter(5)),
    ]
    if dpi < 250:
        attempts = [attempts[1], attempts[2], attempts[0]]
    if every:
        blurred = bottom.filter(ImageFilter.GaussianBlur(0.7))
        for zoom in (500 / dpi, 700 / dpi):
            attempts += [
                functools.partial(enlarged, bottom, zoom),
                functools.partial(_median5, functools.partial(enlarged, bottom, zoom)),
                functools.partial(enlarged, blurred, zoom),
            ]
    readings: list[Footer] = []
    for attempt in attempts:
        buf = io.BytesIO()
        attempt().save(buf, "PNG")
        found = _footer_in(ocr.words(buf.getvalue(), 6, 600, _FOOTER_CHARS))
        if found is not None and found not in readings:
            readings.append(found)
            if not every:
                break
    return readings


def _median5(make: Callable[[], Image.Image]) -> Image.Image:
    return make().filter(ImageFilter.MedianFilter(5))


def _known(fid: FormId) -> FormId:
    """The footer's document id as the nearest document this apforms knows (OCR may misread a
    letter of it: ``qga`` for ``qa``); what the layout rebuilt from the rest gives is checked
    against the page."""
    known = document_ids()
    if fid.document in known:
        return fid
    near = difflib.get_close_matches(fid.document, known, n=1, cutoff=0.5)
    return dataclasses.replace(fid, document=near[0]) if near else fid


def _footer_in(found: list[ocr.Word]) -> tuple[FormId, int, int] | None:
    lines: dict[tuple[int, int, int], list[ocr.Word]] = {}
    for wd in found:
        lines.setdefault(wd.line, []).append(wd)
    for ws in lines.values():
        text = "".join(x.text for x in sorted(ws, key=lambda x: x.left))
        m = _FOOTER.search(text)
        if m is None:
            continue
        doc, version, lay, page, pages, rows, grow = m.groups()
        spaced = f"apforms:{doc}:{version} layout {lay} page {page} of {pages}"
        spaced += (f" rows {rows}" if rows else "") + (f" grow {grow}" if grow else "") + " end"
        fid = identify_text(spaced)
        if fid is not None:
            return _known(fid), int(page), int(pages)
    return None


# --------------------------------------------------------------------------- reading


LayoutFor = Callable[[FormId], Callable[[Definition, tuple[int, ...] | None, tuple[int, ...] | None], Layout]]


def read_scan(
    images: list[ScanImage],
    definition_for: Callable[[FormId, list[str]], Definition],
    layout_for: LayoutFor,
) -> ScanRead:
    """Values of every field read from the scanned pages; IngestError when no page can be
    identified as a page of an apforms form or none can be aligned."""
    deskewed: list[tuple[Gray, float, float]] = []
    readings: dict[int, list[Footer]] = {}  # file page → its footer's readings
    for i, im in enumerate(images):
        angle = _deskew(im.pixels)
        deskewed.append((_rotate(im.pixels, angle), im.dpi, angle))
        found = footer_readings(im.pixels, im.dpi, angle, every=False)
        if found:
            readings[i] = found
    if not readings:
        raise IngestError(
            "not an apforms form: no page of the scan has a readable apforms footer line "
            "(scan at 300 dpi, the whole page, the right way up)"
        )
    definitions: dict[tuple[str, str], tuple[Definition, list[str]]] = {}
    pick = _pick(readings, definitions, definition_for, layout_for)
    unused = [i for i in range(len(images)) if i not in {j for j, _ in pick.mine.values()}]
    if unused:  # pages not read: their footers are read the other ways too, and tried again
        for i in unused:
            _, dpi, angle = deskewed[i]
            found = footer_readings(images[i].pixels, dpi, angle, every=True)
            if found:
                readings[i] = found
        pick = _pick(readings, definitions, definition_for, layout_for)
    lay, mine = pick.layout, pick.mine
    out = ScanRead(pick.form_id)
    out.warnings += definitions[(pick.form_id.document, pick.form_id.version)][1] + pick.warnings
    other = [i for i in range(len(images)) if i not in readings]
    missing = [str(n + 1) for n in range(len(lay.pages)) if n not in pick.options]
    out.layout = lay
    if missing:
        out.warnings.append(
            f"page(s) {', '.join(missing)} of the form are missing from the scan (or their footer line "
            "could not be read); their fields were not read"
        )
    if not mine:
        raise IngestError(
            "no page of the scan matches the form its footer lines name (misread?); scan it again at 300 dpi"
        )
    for i in other:
        out.warnings.append(f"page {i + 1} of the scan has no readable apforms footer line; it was not read")
    # An empty prose paragraph is drawn as a box, a filled one without: the page with no values
    # is drawn with none of those boxes (a space for each), as a filled form has it.
    blank = draw_layout(lay, {f.name: " " for f in lay.fields if _prose(f)})
    aligned: dict[int, _Aligned] = {}
    for n, (i, _fid) in sorted(mine.items()):
        if n >= len(lay.pages):
            continue
        a, dpi, angle = deskewed[i]
        drawn = _render(blank, n, dpi)
        al, fit = _align(a, drawn, dpi)
        fit["angle"] = angle
        fit["coverage"] = al.coverage
        out.alignment[n] = fit
        if al.coverage < 0.75:
            out.warnings.append(
                f"page {n + 1} (page {i + 1} of the scan) could not be lined up with the form's "
                f"layout ({al.coverage:.0%} of its box edges found); its fields were not read"
            )
            continue
        aligned[n] = al
        out.pages[n] = i
    if not aligned:
        raise IngestError(
            "the scanned pages could not be lined up with the form's layout (cropped, folded or "
            "turned?); scan the whole page at 300 dpi"
        )
    for n, al in sorted(aligned.items()):
        _read_page(lay, n, al, out)
    _confirm(lay, aligned, out)
    return out


# --------------------------------------------------------------------------- one page

#: A tick box or radio button is marked when this much more of its inner part is ink than
#: of the empty box's.
MARK = 0.06
#: A text box differs from its value drawn again when more than this share of its ink has
#: no counterpart within a pixel or two.
CONFIRM = 0.05
#: Beyond this the box holds something else than typed text (handwriting, a stamp).
UNLIKE = 0.45


def _png(a: Gray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "PNG")
    return buf.getvalue()


def _read_page(lay: Layout, n: int, al: _Aligned, out: ScanRead) -> None:
    fields = []
    for f in lay.fields:
        if f.widgets[0].page != n or f.data_path is None:
            continue
        found = 1.0 if _prose(f) else min(_edges_found(al, w.rect) for w in f.widgets)
        if found < EDGES:  # the box is not where the layout puts it: a misread footer, a fold
            out.warnings.append(
                f"{_where(f)}: its box is not on the scan where the form's layout puts it "
                f"({found:.0%} of its edges found); it was not read, check it"
            )
            out.confidence[f.name] = 0.0
            continue
        fields.append(f)
    texty = [f for f in fields if f.kind in (TEXT, MULTILINE, COMBO)]
    for f in fields:
        if f.kind == CHECK:
            ink, conf = _mark(al, f.widgets[0].rect)
            out.values[f.name] = ink > MARK
            out.confidence[f.name] = conf
        elif f.kind == RADIO:
            marks = [_mark(al, w.rect) for w in f.widgets]
            chosen = [w.state for w, (ink, _) in zip(f.widgets, marks, strict=True) if ink > MARK]
            conf = min(c for _, c in marks)
            if len(chosen) > 1:
                out.warnings.append(f"{_where(f)}: more than one option is marked; none was taken")
                conf = 0.0
            out.values[f.name] = chosen[0] if len(chosen) == 1 else None
            out.confidence[f.name] = conf
    if not texty:
        return
    # Only the insides of the text boxes are read: labels, edges and the rest are whitened.
    canvas = np.full_like(al.pixels, 255)
    for f in texty:
        x0, y0, x1, y1 = al.box(f.widgets[0].rect, inset=1.0)
        canvas[y0:y1, x0:x1] = al.pixels[y0:y1, x0:x1]
    canvas[_dilate(al.drawn < 200, max(int(al.dpi / 150), 1))] = 255
    canvas[canvas > 200] = 255  # the paper's grain
    words = ocr.words(_png(canvas), PAGE_PSM, int(al.dpi), lang=ocr.language())
    by_field: dict[str, list[ocr.Word]] = {f.name: [] for f in texty}
    boxes = [(f, al.box(f.widgets[0].rect)) for f in texty]
    for wd in words:
        for f, (x0, y0, x1, y1) in boxes:
            if x0 <= wd.cx < x1 and y0 <= wd.cy < y1:
                by_field[f.name].append(wd)
                break
    for f in texty:
        _read_text(f, by_field[f.name], al, lay, out)


@dataclass
class _Pick:
    """Which scan page is which page of the form, by the readings of their footer lines."""

    form_id: FormId
    layout: Layout
    options: dict[int, list[tuple[int, FormId]]]  # layout page → (scan page, reading) that say so
    mine: dict[int, tuple[int, FormId]]  # layout page → (scan page, reading) borne out by the layout
    warnings: list[str]


def _pick(
    readings: dict[int, list[Footer]],
    definitions: dict[tuple[str, str], tuple[Definition, list[str]]],
    definition_for: Callable[[FormId, list[str]], Definition],
    layout_for: LayoutFor,
) -> _Pick:
    """The form most pages' footers name, and for each of its pages the scan page and footer
    reading the layout rebuilt from them bears out (a page whose reading it does not is
    tried with its other readings)."""
    said: list[str] = []
    votes = Counter(k for found in readings.values() for k in {(*_key(fid), of) for fid, _, of in found})
    key = votes.most_common(1)[0][0]
    document, version, _layout_no, rows, pages = key
    found_any = next(fid for found in readings.values() for fid, _, of in found if (*_key(fid), of) == key)
    if (document, version) not in definitions:
        noted: list[str] = []
        definitions[(document, version)] = (definition_for(found_any, noted), noted)
    definition = definitions[(document, version)][0]
    lay_fn = layout_for(found_any)
    options: dict[int, list[tuple[int, FormId]]] = {}
    for i, found in readings.items():
        mine_here = [(fid, page_no) for fid, page_no, of in found if (*_key(fid), of) == key]
        if not mine_here:
            fid = found[0][0]
            if fid.document != document:
                said.append(f"page {i + 1} belongs to another form ({fid.document}); skipped")
            else:
                said.append(
                    f"page {i + 1} of the scan: its footer line gives another version, layout, row "
                    "counts or number of pages than the other pages' (misread?); it was not read"
                )
            continue
        for fid, page_no in mine_here:
            if page_no >= 1 and (i, fid) not in options.get(page_no - 1, []):
                options.setdefault(page_no - 1, []).append((i, fid))
    chosen: dict[int, tuple[int, FormId]] = {}  # layout page → (file page, footer reading)
    for n in sorted(options):
        free = [(i, fid) for i, fid in options[n] if all(i != j for j, _ in chosen.values())]
        if free:
            chosen[n] = free[0]
    lay, mine, gap = _lay_out(lay_fn, definition, rows, chosen)
    if len(lay.pages) != pages:
        raise IngestError(
            f"the scan's footer lines were misread: they say {pages} pages where the form they "
            f"describe has {len(lay.pages)}; scan it again at 300 dpi"
        )
    for n in sorted(options):  # a reading the layout does not bear out: the others are tried
        if n in mine or (gap is not None and n > gap):
            continue
        for alt in options[n]:
            if alt == chosen.get(n) or any(alt[0] == j for m, (j, _) in chosen.items() if m != n):
                continue
            trial = {**chosen, n: alt}
            lay2, mine2, gap2 = _lay_out(lay_fn, definition, rows, trial)
            if n in mine2 and len(lay2.pages) == pages:
                chosen, lay, mine, gap = trial, lay2, mine2, gap2
                break
    for n, (i, _fid) in sorted(chosen.items()):
        if n in mine:
            continue
        if gap is not None and n > gap:
            said.append(
                f"page {n + 1} (page {i + 1} of the scan) comes after page {gap + 1}, which is missing or "
                "whose footer line could not be read: where its boxes are is unknown; it was not read"
            )
        else:
            said.append(
                f"page {n + 1} (page {i + 1} of the scan): its footer line does not match the form's "
                "layout (misread?); it was not read"
            )
    taken = {i for i, _ in chosen.values()}
    doubled = {i: n for n, opts in sorted(options.items()) for i, _ in opts if i not in taken}
    for i, n in sorted(doubled.items()):
        said.append(
            f"page {i + 1} of the scan says it is page {n + 1}, as another page does; it was not read"
        )
    return _Pick(found_any, lay, options, mine, said)


def _key(fid: FormId) -> tuple[str, str, int, tuple[int, ...] | None]:
    return fid.document, fid.version, fid.layout, fid.rows


def _lay_out(
    lay_fn: Callable[[Definition, tuple[int, ...] | None, tuple[int, ...] | None], Layout],
    definition: Definition,
    rows: tuple[int, ...] | None,
    chosen: dict[int, tuple[int, FormId]],
) -> tuple[Layout, dict[int, tuple[int, FormId]], int | None]:
    """The layout from the growing boxes of the pages read up to the first page missing (or
    whose footer is cut off) — the pages after it cannot be laid out, their boxes may have
    moved — with the pages whose footer reading is exactly the line that layout prints on
    them, and that first missing page (``None``: none)."""
    last = max(chosen) + 1 if chosen else 0
    gap = next((n for n in range(last + 1) if n not in chosen or chosen[n][1].grow is None), None)
    grow: list[int] = []
    for n in range(gap if gap is not None else last):
        grow += chosen[n][1].grow or ()
    lay = lay_fn(definition, rows, tuple(grow))
    mine = {
        n: (i, fid)
        for n, (i, fid) in chosen.items()
        if (gap is None or n < gap)
        and n < len(lay.pages)
        and lay.footer(n)
        == footer_text(definition, n + 1, len(lay.pages), fid.rows or (), fid.layout, fid.grow)
    }
    return lay, mine, gap


def _prose(f: FormField) -> bool:
    """A field printed as plain paragraphs (layout 4): no box around it once filled."""
    return f.kind == MULTILINE and f.leaf.prose


#: A box is read only when this share of its drawn edges has ink on the scan beside it.
EDGES = 0.8


def _edges_found(al: _Aligned, r: Rect) -> float:
    """The share of a box's drawn outline (its edges or circle, as the empty form has them)
    that has ink on the scan within a pixel or two."""
    x0, y0, x1, y1 = al.box(r, inset=-1.5)
    drawn = al.drawn[y0:y1, x0:x1] < INK + 40
    total = int(drawn.sum())
    if total == 0:
        return 1.0
    near = _dilate(al.pixels[y0:y1, x0:x1] < INK + 40, max(int(al.dpi / 150), 1))
    return float((drawn & near).sum()) / total


def _mark_ink(al: _Aligned, r: Rect, dark: int = INK) -> float:
    """The share of the inner part of a box that is ink (darker than ``dark``), less the empty
    box's."""
    x0, y0, x1, y1 = al.box(r)
    w, h = x1 - x0, y1 - y0
    x0, x1 = x0 + int(w * 0.22), x1 - int(w * 0.22)
    y0, y1 = y0 + int(h * 0.22), y1 - int(h * 0.22)
    if x1 <= x0 or y1 <= y0:
        return 0.0
    scan = float((al.pixels[y0:y1, x0:x1] < dark).mean())
    drawn = float((al.drawn[y0:y1, x0:x1] < dark).mean())
    return scan - drawn


def _mark(al: _Aligned, r: Rect) -> tuple[float, float]:
    """How much a box is marked, and how sure that is: a faint mark (pencil, a pale pen) that
    does not reach the threshold in ink makes an empty box low confidence."""
    ink = _mark_ink(al, r)
    conf = _mark_confidence(ink)
    if ink <= MARK and _mark_ink(al, r, FAINT) > MARK / 2:
        conf = min(conf, 0.6)
    return ink, conf


def _mark_confidence(ink: float) -> float:
    """How sure a mark (or its absence) is: from its distance to the threshold."""
    return float(min(1.0, 0.5 + abs(ink - MARK) * 10))


def _ink_in(al: _Aligned, r: Rect) -> int:
    """Pixels of ink in the inside of a box (specks of noise not counted), less the empty
    drawing's."""
    x0, y0, x1, y1 = al.box(r, inset=1.5)
    if x1 <= x0 or y1 <= y0:
        return 0
    scan = _erode(al.pixels[y0:y1, x0:x1] < FAINT)
    drawn = _dilate(al.drawn[y0:y1, x0:x1] < 220, 2)
    return int((scan & ~drawn).sum())


def _cutout(al: _Aligned, r: Rect) -> str:
    x0, y0, x1, y1 = al.box(r)
    return "data:image/png;base64," + base64.b64encode(_png(al.pixels[y0:y1, x0:x1])).decode("ascii")


def _read_text(f: FormField, words: list[ocr.Word], al: _Aligned, lay: Layout, out: ScanRead) -> None:
    rect = f.widgets[0].rect
    inked = _ink_in(al, rect) >= 12 * (al.dpi / 300) ** 2
    row = any(isinstance(p, int) for p in f.data_path or ())
    if not words and inked and f.kind != MULTILINE:  # a short value the page's reading missed
        words = _read_box(al, rect)
    if not words:
        if inked:  # handwriting, or marks OCR cannot read
            out.images[f.name] = _cutout(al, rect)
            out.confidence[f.name] = 0.0
            if row:
                out.values[f.name] = UNREAD  # the rows after it keep their places
            out.warnings.append(
                f"{_where(f)}: something is written in the box that OCR could not read (handwriting?); "
                "its image is attached to the record (provenance images): read it and enter the value"
            )
        return
    size = lay.value_sizes[0]
    conf = min(min(wd.conf for wd in words) / 100, *(_ambiguous(wd.text) for wd in words))
    if f.kind == MULTILINE or (f.kind == COMBO and f.lines > 1):
        text, ok = _join_lines(words, rect, size, al.dpi)
        if not ok:
            conf = min(conf, LOW - 0.05)
    else:
        text = " ".join(wd.text for wd in sorted(words, key=lambda wd: wd.left))
    if f.leaf.type == EMAIL:  # OCR puts spaces after full stops; an address has none
        text = "".join(text.split())
    if f.kind == COMBO:
        text, sure = _option(f, text)
        if not sure:
            conf = min(conf, LOW - 0.05)
    out.values[f.name] = text
    out.confidence[f.name] = max(conf, 0.0)
    if conf < 0.5 and inked:
        out.images[f.name] = _cutout(al, rect)


#: Letters and digits that look alike in the form's font: a word where one of them could be
#: the other (``Ionescu``/``lonescu``, ``0``/``O``) is read with low confidence.
_LOOKALIKE = re.compile(
    r"^l[a-z]"  # l starting a word (an I read as l, in names: the dictionary has the words)
    r"|[a-z][I|]|[|]"  # a capital I among small letters
    r"|[0-9][OoIlSB]|[OoIlSB][0-9]|[A-Za-z][01]|[01][A-Za-z]"  # letters among digits
)


def _ambiguous(word: str) -> float:
    """1, or a low confidence for a word with look-alike characters where either could be."""
    return LOW - 0.05 if _LOOKALIKE.search(word) else 1.0


def _read_box(al: _Aligned, rect: Rect, multi: bool = False) -> list[ocr.Word]:
    """The words of one box read on their own (as one line, else as one character; a
    multi-line box as a block), for a value that the page's reading missed or misread."""
    x0, y0, x1, y1 = al.box(rect, inset=1.0)
    inside = al.pixels[y0:y1, x0:x1].copy()
    inside[_dilate(al.drawn[y0:y1, x0:x1] < 200, 1)] = 255
    inside[inside > 200] = 255
    crop = np.full((inside.shape[0] + 40, inside.shape[1] + 40), 255, dtype=np.uint8)
    crop[20:-20, 20:-20] = inside
    for psm in (6,) if multi else (7, 10):
        found = ocr.words(_png(crop), psm, int(al.dpi), lang=ocr.language())
        if found:
            return [
                ocr.Word(w.text, w.left + x0 - 20, w.top + y0 - 20, w.width, w.height, w.conf, w.line)
                for w in found
            ]
    return []


def _join_lines(words: list[ocr.Word], r: Rect, size: float, dpi: float) -> tuple[str, bool]:
    """The lines of a multi-line box joined again: by the gap between baselines (a new
    paragraph starts :data:`~apforms.formats.pdf.text.PARA` lower, an empty one a line lower
    again) and by measuring (a line with room for the next line's first word ended at Enter);
    ``ok`` when wrapping the result again gives the lines read."""
    k = dpi / 72
    lead = size * LEADING * k
    lines: list[list[ocr.Word]] = []
    for wd in sorted(words, key=lambda wd: wd.cy):
        if lines and abs(wd.cy - sum(x.cy for x in lines[-1]) / len(lines[-1])) < lead * 0.45:
            lines[-1].append(wd)
        else:
            lines.append([wd])
    texts = [" ".join(x.text for x in sorted(ln, key=lambda x: x.left)) for ln in lines]
    bases = [float(np.median([_baseline(x, size * k) for x in ln])) for ln in lines]
    width = r[2] - r[0] - 2 * PAD
    text = texts[0]
    para_start = 0
    sure = True
    for i in range(1, len(lines)):
        gap = (bases[i] - bases[i - 1]) / (size * k)
        breaks = _breaks(gap)
        step = LEADING if breaks == 0 else breaks * (LEADING + PARA)
        sure = sure and abs(gap - step) < PARA / 3
        prev, nxt = texts[i - 1], texts[i]
        if not breaks:
            first = nxt.split(" ", 1)[0]
            tail = text[para_start:]
            if len(wrap(f"{tail} {first}", width, size)) == len(wrap(tail, width, size)):
                breaks = 1  # the word would have fitted: the line ended where Enter was pressed
        if breaks:
            text += "\n" * breaks + nxt
            para_start = len(text) - len(nxt)
        else:
            text += soft_join(prev, nxt, width, size) + nxt
    again = [ln for p in text.split("\n") if p for ln in wrap(p, width, size)]
    return text, sure and [" ".join(x.split()) for x in again] == [" ".join(x.split()) for x in texts]


#: Letters that reach below the baseline, and those that reach the ascender line, in the
#: form's font (DejaVu Sans: ascender 0.76, x-height 0.55, descender 0.24 of the size).
_DESCENDING = frozenset("gjpqy,;()[]{}|Q@$")
_TALL = frozenset("bdfhiklt'\"!?/\\()[]{}|#%&@$£")


def _baseline(w: ocr.Word, size_px: float) -> float:
    """Where a word's baseline is, from its box and its letters: its bottom unless a letter
    descends; then from its top if a letter is tall, else from its bottom less a descender."""
    if not any(c in _DESCENDING for c in w.text):
        return float(w.top + w.height)
    if any(c.isupper() or c.isdigit() or c in _TALL for c in w.text):
        return w.top + 0.76 * size_px
    return w.top + w.height - 0.236 * size_px


def _breaks(gap: float) -> int:
    """Line breaks (Enter pressed) between two lines a gap apart (in font sizes): none for a
    wrapped line, one for a new paragraph, more for empty lines between."""
    return round(gap / (LEADING + PARA)) if gap > LEADING + PARA / 2 else 0


_DASHES = str.maketrans({"–": "-", "—": "-", "‒": "-", "−": "-"})


def _fold(text: str) -> str:
    return " ".join(text.translate(_DASHES).casefold().split())


def _option(f: FormField, text: str) -> tuple[str, bool]:
    """A dropdown's text as the printed text of the option it matches; ``sure`` when it
    matches one exactly (dashes and spaces aside)."""
    printed = {present.option_text(f.leaf, o): o for o in f.options}
    folded = _fold(text)
    for p in printed:
        if _fold(p) == folded:
            return p, True
    best = max(printed, key=lambda p: difflib.SequenceMatcher(None, _fold(p), folded).ratio(), default=None)
    if best is not None and difflib.SequenceMatcher(None, _fold(best), folded).ratio() >= 0.85:
        return best, False
    return text, False


# --------------------------------------------------------------------------- confirming


def _confirm(lay: Layout, aligned: dict[int, _Aligned], out: ScanRead) -> None:
    """Draw the values read in the same geometry and compare each text box with the scan.
    A box that does not match is read again on its own; the reading that looks more like
    the page is kept, and one that still does not match is marked low confidence."""
    ratios = _ratios(lay, aligned, out.values)
    out.confirm_ratio.update(ratios)
    unlike = [lay.by_name[name] for name, ratio in ratios.items() if ratio > CONFIRM]
    if unlike:
        again = ScanRead(out.form_id)
        for f in unlike:
            al = aligned[f.widgets[0].page]
            words = _read_box(al, f.widgets[0].rect, multi=f.kind == MULTILINE or f.lines > 1)
            if words:
                _read_text(f, words, al, lay, again)
        tried = {**out.values, **{k: v for k, v in again.values.items() if k in {f.name for f in unlike}}}
        second = _ratios(lay, aligned, tried, {f.name for f in unlike})
        for f in unlike:
            if f.name in again.values and second.get(f.name, 1.0) < ratios[f.name]:
                out.values[f.name] = again.values[f.name]
                out.confidence[f.name] = again.confidence[f.name]
                out.confirm_ratio[f.name] = second[f.name]
                if f.name not in again.images:
                    out.images.pop(f.name, None)
    _lookalikes(lay, aligned, out)
    for name, ratio in out.confirm_ratio.items():
        if ratio > CONFIRM:
            out.confidence[name] = min(out.confidence[name], LOW - 0.05)
        if ratio > UNLIKE and name not in out.images:  # not typed text (handwriting?): a person reads it
            f = lay.by_name[name]
            out.images[name] = _cutout(aligned[f.widgets[0].page], f.widgets[0].rect)
            out.confidence[name] = min(out.confidence[name], 0.3)
            out.warnings.append(
                f"{_where(f)}: what is in the box does not look like the typed text OCR read from it "
                f"({str(out.values[name])[:60]!r}; handwriting?); its image is attached to the record "
                "(provenance images): read it and correct the value"
            )
    for name, v in out.values.items():  # what the writer cannot draw cannot be compared
        if (
            name not in out.confirm_ratio
            and isinstance(v, str)
            and lay.by_name[name].kind not in (CHECK, RADIO)
        ):
            out.confidence[name] = min(out.confidence.get(name, 0.0), LOW - 0.05)


#: Characters OCR gives for others that look alike in the form's font, tried again where a
#: value does not match the page: the alternative that does is kept (still low confidence).
_SWAPS = (
    (re.compile(r"(?<= )-(?= )"), "\u2013"),  # a spaced hyphen: an en dash
    (re.compile(r"'"), "\u2019"),
    (re.compile(r"\bl(?=[a-z])"), "I"),
    (re.compile(r"(?<=[a-z])I"), "l"),
    (re.compile("\u015e"), "\u0218"),  # S with cedilla or with comma below
    (re.compile("\u0218"), "\u015e"),
    (re.compile("\u015f"), "\u0219"),
    (re.compile("\u0219"), "\u015f"),
    (re.compile("\u0162"), "\u021a"),
    (re.compile("\u0163"), "\u021b"),
)


def _lookalikes(lay: Layout, aligned: dict[int, _Aligned], out: ScanRead) -> None:
    """Values unlike their box, or with look-alike letters, tried with each swap of look-alike
    characters (one draw for all of them): a swap that matches the page better is kept."""
    for swap, to in _SWAPS:
        trial: dict[str, str] = {}
        for name, v in out.values.items():
            if not isinstance(v, str) or lay.by_name[name].kind not in (TEXT, MULTILINE, COMBO):
                continue
            if out.confirm_ratio.get(name, 0.0) <= CONFIRM and out.confidence.get(name, 1.0) >= LOW:
                continue
            changed = swap.sub(to, v)
            if changed != v:
                trial[name] = changed
        if not trial:
            continue
        ratios = _ratios(lay, aligned, {**out.values, **trial}, set(trial))
        for name, changed in trial.items():
            before = out.confirm_ratio.get(name, 1.0)
            if ratios.get(name, 1.0) < before * 0.5:
                out.values[name] = changed
                out.confirm_ratio[name] = ratios[name]
                out.confidence[name] = min(out.confidence[name], LOW - 0.05)


def _ratios(
    lay: Layout, aligned: dict[int, _Aligned], values: dict[str, FormValue], only: set[str] | None = None
) -> dict[str, float]:
    """For each text value: how unlike the scan's box it is drawn again (0 the same)."""
    drawable: dict[str, FormValue] = {}
    for name, v in values.items():
        if isinstance(v, str) and (v == UNREAD or (not v.isascii() and shape.unprintable(v))):
            continue
        drawable[name] = v
    try:
        pdf = draw_layout(lay, drawable)
    except (RenderError, ValueError, KeyError):  # pragma: no cover - a value the writer cannot draw
        return {}
    out: dict[str, float] = {}
    for n, al in aligned.items():
        fields = [
            f
            for f in lay.fields
            if f.widgets[0].page == n
            and f.kind in (TEXT, MULTILINE, COMBO)
            and f.name in drawable
            and isinstance(drawable[f.name], str)
            and (only is None or f.name in only)
        ]
        if not fields:
            continue
        again = _render(pdf, n, al.dpi)
        for f in fields:
            x0, y0, x1, y1 = al.box(f.widgets[0].rect, inset=1.0)
            out[f.name] = _difference(al.pixels[y0:y1, x0:x1] < INK, again[y0:y1, x0:x1] < INK, al.dpi, lay)
    return out


def _difference(scan: Mask, drawn: Mask, dpi: float, lay: Layout) -> float:
    """How unlike the scan of a box the value drawn again is: the largest share of ink with no
    counterpart (a pixel either way) in any window the size of a small character, so that a
    missing full stop or accent counts as much as a wrong letter."""
    if scan.size == 0:
        return 0.0
    miss = (scan & ~_dilate(drawn, 1)) | (drawn & ~_dilate(scan, 1))
    side = max(int(lay.value_sizes[0] * 0.35 * dpi / 72), 3)
    c = np.zeros((miss.shape[0] + 1, miss.shape[1] + 1), dtype=np.int64)
    c[1:, 1:] = np.cumsum(np.cumsum(miss, axis=0), axis=1)
    if miss.shape[0] < side or miss.shape[1] < side:
        return float(miss.sum()) / (side * side)
    win = c[side:, side:] - c[:-side, side:] - c[side:, :-side] + c[:-side, :-side]
    return float(win.max()) / (side * side)


# --------------------------------------------------------------------------- what the record says

#: The first warning of every scan.
SCANNED = (
    "the return is a scan (pictures of its pages): it was read by OCR and mark detection, so no value "
    "is exact; every value is listed to check against the returned form (provenance needs_checking)"
)


def scan_provenance(scan: ScanRead) -> tuple[list[str], dict[str, object]]:
    """The warnings a scan's record carries (each value read named, with its confidence) and
    its provenance entries: ``needs_checking`` (every value read, by field name: confidence
    0 to 1), ``low_confidence`` (the names of those below :data:`LOW`), ``images`` (boxes with
    ink that could not be read, as PNG data URLs) and ``scan`` (pages and alignment)."""
    lay = scan.layout
    if lay is None:  # pragma: no cover - read_scan refuses a scan it has no layout for
        raise IngestError("the scan could not be read")
    said = [SCANNED, *scan.warnings]
    needs: dict[str, float] = {}
    for f in lay.fields:
        if f.name not in scan.confidence:
            continue
        c = scan.confidence[f.name]
        v = scan.values.get(f.name)
        needs[f.name] = round(c, 2)
        low = c < LOW
        if f.kind in (CHECK, RADIO) and not v and not low:
            continue  # clearly empty: listed in needs_checking, not worth a warning each
        if f.name in scan.images and v in (None, UNREAD):
            continue  # named already: its picture is attached
        how = "mark detection" if f.kind in (CHECK, RADIO) else "OCR"
        what = (
            f"read from a scan by {how}" + (" with low confidence" if low else "") + f" (confidence {c:.0%})"
        )
        if f.kind == CHECK:
            what = f"{'ticked' if v else 'not ticked'}, {what}"
        elif f.kind == RADIO and v is None:
            what = f"nothing chosen, {what}"
        said.append(f"{_where(f)}: {what}; check it against the returned form")
    extra: dict[str, object] = {
        "needs_checking": needs,
        "low_confidence": [name for name, c in needs.items() if c < LOW],
        "images": dict(scan.images),
        "scan": {
            "pages": {str(n + 1): i + 1 for n, i in sorted(scan.pages.items())},
            "alignment": {
                str(n + 1): {k: round(v, 4) for k, v in fit.items()}
                for n, fit in sorted(scan.alignment.items())
            },
        },
    }
    return said, extra


def _rounded(fit: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 4) for k, v in fit.items()}

"""Reading a Word form printed to PDF: a .docx rendered by apforms, filled in, and saved or
printed as a PDF (Word's "Save as PDF", LibreOffice's "Export as PDF").

Such a PDF has no form fields, no apforms metadata and no bookmarks: only the Word form's
text with its place on the page, and the table rules. It is read by its labels:

- the document is the one whose title the footer names ("<title> · version <v>  Page N of M");
- the form's expected sequence comes from its Word template (``templates/<id>.docx``): its
  fixed text (headings, labels, help, option labels) and the answers between them, which the
  template's marks (:mod:`apforms.formats.docx.marks`) name;
- the page's words, in the order the PDF draws them (the document's order; page headers,
  footers and a table's header row repeated on a new page left out), are aligned with that
  sequence: every paragraph of fixed text is an anchor, found whole at the start of a line,
  and the words between two anchors are the answer(s) between them. Answers side by side
  with no fixed text between them (a grid's columns, a row of groups) are told apart by the
  column the words sit in (the table's rules, or its column widths); a grid's rows by the
  rules between them, however many rows there are;
- a box is the mark before its option's label (``☒`` ticked, ``☐`` not);
- the lines of an answer are joined by measuring: a line that ended although the next word
  would have fitted ended at a break (``\\n``), else it wrapped (a space, or nothing inside a
  word too long for its line).

Everything not certain is named in a warning (``Label (key.path): …; check it against the
returned form``), so that the record needs review; text that lands in no field is named too.
"""

from __future__ import annotations

import ctypes
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from lxml import etree

from apforms import present
from apforms.errors import IngestError
from apforms.formats.docx import marks
from apforms.formats.docx.compile import template_path
from apforms.formats.docx.marks import W
from apforms.formats.docx.read import EMPTY, TICKED, chosen, option_value
from apforms.formats.pdf.bounds import PagesMemory
from apforms.formats.result import METHOD_WORD_PDF, IngestResult, definition_for, ingest_result, provenance_of
from apforms.formats.tree import as_lists, field_path, put
from apforms.model.definitions import Definition, Field, document_ids, load_definition
from apforms.model.types import Control, type_of

#: The footer line of a Word form: "<title> · version <v>" then "Page N of M".
FOOTER = re.compile(r"^(?P<title>.+?)\s+·\s+version\s+(?P<version>\d+(?:\.\d+)*)\s+Page\s+\d+\s+of\s+\d+\s*$")
_MARGIN = 56.69  # points: the Word form's page margins (2 cm)
_PAD = 5.4  # points: a table cell's left and right margins (108 twips)
#: Points by which the words set on a line measure wider than their glyphs' boxes: the room a
#: line may seem to have left for the next word and still have wrapped (on LibreOffice's export
#: a line wrapped with up to 2 points to spare, broke with 5 or more). A form's own fixed text
#: that wraps can only raise it (for a PDF set more loosely, Word's say): to the most room such
#: a line had, and _SLACK_OVER_WRAPPED more.
_SET_SLACK = 3.5
_SLACK_OVER_WRAPPED = 1.5
_DOUBT = 1.0  # points either side of the measure: a line end so close to it is not sure
_LOOK_AHEAD = 5  # anchors tried, in order, for where a grid or a block ends
_RUN_ON_ROOM = 24.0  # points above the bottom margin that a row which ran on may end at
#: A grid's row breaks only at a line end, less than a line above the margin; a row kept
#: together (the template says) breaks only when it and the next page's row fill more than
#: a page but the room a header row takes.
_GRID_RUN_ON_ROOM = 16.0
_HEADER_ROOM = 60.0
_RUN_ON_DOUBT = "its row ends at the foot of a page: it may go on over the page"
#: What only an address (email, web, phone) has: broken at the end of a line, it is one word.
_ADDRESS = re.compile(r"@|://|^www\.|\.[a-z]{2,}|\d{3}")
_BULLETS = frozenset("•·▪◦\uf0b7\uf0a7")
_WORD_LABEL = "the return is a Word form printed to PDF: its values were read by their labels on the page"

Path_ = tuple[str | int, ...]
_Hit = tuple[int, int]  # an anchor found: its first word and how many words it takes


# --------------------------------------------------------------------------- the page's words


@dataclass
class _Tok:
    text: str
    page: int
    x0: float
    x1: float
    base: float  # baseline
    size: float
    seg: bool  # starts a run of text (a line, or a cell's text beside another cell's)
    index: int = 0
    #: The table row a word is in, when it is not the one the rule above it starts (the rest
    #: of a row that ran on to the next page is the row's on the page before).
    row: tuple[int, float] | None = None
    #: A letter of it has no sure Unicode in the PDF (its font maps the glyph to nothing or
    #: to more than one character): what it reads as may not be what was printed.
    unsure: bool = False


@dataclass
class _Page:
    width: float
    height: float
    vrules: list[tuple[float, float, float]]  # x, y0, y1
    hrules: list[tuple[float, float, float]]  # y, x0, x1


def _pages(data: bytes) -> tuple[list[_Tok], list[_Page], list[str]]:
    """The words of every page in drawing order, the pages' rules, and each page's footer text."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise IngestError(f"damaged PDF, cannot be read ({exc})") from None
    toks: list[_Tok] = []
    pages: list[_Page] = []
    footers: list[str] = []
    memory = PagesMemory()
    try:
        for n in range(len(pdf)):
            memory.check(n + 1)
            try:
                page = pdf[n]
                w, h = page.get_size()
                tp = page.get_textpage()
            except pdfium.PdfiumError:
                raise IngestError(f"damaged PDF, page {n + 1} cannot be read") from None
            words = _words(tp.raw, n)
            body = [t for t in words if _MARGIN - 2 < t.base < h - _MARGIN + 2]
            foot = [t for t in words if t.base <= _MARGIN - 2]
            footers.append(" ".join(t.text for t in foot))
            if body:
                body[0].seg = True
            rules = _rules(page, w, h)
            _split_at_rules(body, rules)
            toks += body
            pages.append(rules)
            tp.close()
            page.close()
    finally:
        pdf.close()
    for i, t in enumerate(toks):
        t.index = i
    return toks, pages, footers


def _words(tp: Any, page: int) -> list[_Tok]:
    """A page's words: runs of drawn characters between spaces, line ends and gaps."""
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    loose = pdfium_c.FS_RECTF()
    out: list[_Tok] = []
    chars: list[tuple[str, float, float, float, float]] = []  # text, left, right, baseline, size
    unsure = False
    gap = (False, False)  # before the word being read: a drawn space, a space PDFium put in
    spaced = generated = False

    def flush() -> None:
        nonlocal unsure
        if not chars:
            return
        text = "".join(c[0] for c in chars)
        x0, x1, base, size = chars[0][1], chars[-1][2], chars[0][3], chars[0][4]
        seg = True
        if out:
            prev = out[-1]
            same_line = abs(prev.base - base) < 0.6 * size and x0 > prev.x1 - 1
            drawn_space, put_in = gap
            if same_line and (drawn_space or x0 - prev.x1 < (0.9 if put_in else 1.2) * size):
                seg = False
        out.append(_Tok(text, page, x0, x1, base, size, seg, unsure=unsure))
        chars.clear()
        unsure = False

    for i in range(pdfium_c.FPDFText_CountChars(tp)):
        code = pdfium_c.FPDFText_GetUnicode(tp, i)
        if code == 2:  # PDFium marks a hyphen that ends a line as U+0002
            code = 0x2D
        if code in (0, 0xFFFE, 0xFFFF):
            continue
        if code in (9, 10, 13, 0x20, 0xA0):
            flush()
            if pdfium_c.FPDFText_IsGenerated(tp, i) == 1 or code in (10, 13):
                generated = True
            else:
                spaced = True
            continue
        if not pdfium_c.FPDFText_GetCharBox(tp, i, left, right, bottom, top):
            continue
        pdfium_c.FPDFText_GetCharOrigin(tp, i, ox, oy)
        size = pdfium_c.FPDFText_GetFontSize(tp, i)
        if size < 3:  # a font set at size 1 and scaled by the text matrix: the glyph's box says
            pdfium_c.FPDFText_GetLooseCharBox(tp, i, loose)
            size = (loose.top - loose.bottom) / 1.15 or 10.0
        if chars:
            pleft, px1, pbase, psize = chars[-1][1], chars[-1][2], chars[-1][3], chars[-1][4]
            # (the letters of a ligature share its box: "fi" is one glyph drawn for two)
            back = left.value < pleft - 0.5
            if abs(oy.value - pbase) > 0.6 * psize or back or left.value - px1 > 0.4 * psize:
                flush()
                generated = True
        if not chars:
            gap = (spaced, generated)
            spaced = generated = False
        chars.append((chr(code), left.value, right.value, oy.value, size))
        unsure = unsure or pdfium_c.FPDFText_HasUnicodeMapError(tp, i) == 1
    flush()
    return out


def _split_at_rules(words: list[_Tok], page: _Page) -> None:
    """A word after a table's rule starts a run of its own (the next cell's text)."""
    for prev, t in zip(words, words[1:], strict=False):
        if t.seg or t.page != prev.page:
            continue
        if any(prev.x1 - 0.5 <= x <= t.x0 + 0.5 and y0 <= t.base <= y1 for x, y0, y1 in page.vrules):
            t.seg = True


def _rules(page: pdfium.PdfPage, w: float, h: float) -> _Page:
    """The page's table rules: thin drawn lines (and the edges of thin filled boxes)."""
    vr: list[tuple[float, float, float]] = []
    hr: list[tuple[float, float, float]] = []
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,), max_depth=3):
        x0, y0, x1, y1 = obj.get_bounds()
        if x1 - x0 < 2.5 and y1 - y0 > 3:
            vr.append(((x0 + x1) / 2, y0, y1))
        elif y1 - y0 < 2.5 and x1 - x0 > 3:
            hr.append(((y0 + y1) / 2, x0, x1))
    return _Page(w, h, sorted(vr), sorted(hr))


# --------------------------------------------------------------------------- the form's sequence


@dataclass(frozen=True)
class _Text:
    """Fixed text (a paragraph's): an anchor, found whole at the start of a line."""

    words: tuple[str, ...]
    #: Its column (points from the table's left edge), ``None`` outside tables.
    cell: tuple[float, float] | None = None


@dataclass(frozen=True)
class _Slot:
    """An answer: a field's value cell or paragraphs; ``cell`` its column (points from the
    table's left edge), ``None`` outside tables."""

    field: Field | None  # None: printed from the configuration (the LA contact), not read
    cell: tuple[float, float] | None = None


@dataclass(frozen=True)
class _Box:
    """A tick box and the option label after it (none in a scale grid's cells)."""

    field: Field
    option: str | None
    label: tuple[str, ...]
    cell: tuple[float, float] | None = None


@dataclass(frozen=True)
class _Grid:
    """A table printed as a grid: its header row, then any number of rows."""

    field: Field
    header: tuple[str, ...]
    columns: tuple[tuple[Field, tuple[float, float]], ...]
    #: Whether a row may break over pages (else only a row longer than a page does).
    splits: bool = True


@dataclass(frozen=True)
class _Cards:
    """A table printed as a numbered block per row: its caption words, then the block."""

    field: Field
    caption: tuple[str, ...]
    body: tuple[_Item, ...]


_Item = _Text | _Slot | _Box | _Grid | _Cards


@dataclass(frozen=True)
class _Form:
    items: tuple[_Item, ...]
    #: The header rows that repeat at the top of a page a table runs on to.
    headers: tuple[tuple[str, ...], ...]
    #: Every paragraph of fixed text, whitespace-normalised (text found outside every answer
    #: that the blank form prints is not reported).
    printed: frozenset[str]


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")
_LOOP_P = re.compile(r"^\s*\{%p\s+(for|endfor)\b")
_LOOP_TR = re.compile(r"^\s*\{%tr\s+(for|endfor)\b")


@lru_cache(maxsize=32)
def _form(definition: Definition, template: Path) -> _Form:
    """The expected sequence of a form, from its Word template."""
    with zipfile.ZipFile(template) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    _at_answers(root)
    fields = _fields(definition)
    body = root.find(W + "body")
    assert body is not None
    headers: list[tuple[str, ...]] = []
    printed: set[str] = set()
    items = _body_items(list(body), fields, headers, printed)
    return _Form(tuple(items), tuple(h for h in headers if h), frozenset(printed))


def _at_answers(root: etree._Element) -> None:
    """Each mark moved to its answer's place in the template: the marks sit on labels,
    where nobody types (``x``/``y``: the answer's cell in the row, rows below), and a box's
    after its option's label; here each goes just before the tag that prints its answer."""
    prose = marks.answer_style("").replace(" ", "")  # a prose answer's style id: this, then its path
    for q in root.iter(W + "p"):
        ps = q.find(f"{W}pPr/{W}pStyle")
        sid = ps.get(W + "val") or "" if ps is not None else ""
        if sid.startswith(prose) and len(sid) > len(prose):
            marks.bookmark(q, marks.mark(marks.PROSE, sid[len(prose) :]))
    for bm in list(root.iter(W + "bookmarkStart")):
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        if not m:
            continue
        p = bm.getparent()
        target: etree._Element | None = None
        if m.group(2) is not None:  # in a cell of the row, or of a row below
            tr = p
            while tr is not None and tr.tag != W + "tr":
                tr = tr.getparent()
            for _ in range(int(m.group(3) or 0)):
                tr = tr.getnext() if tr is not None else None
            cells = tr.findall(W + "tc") if tr is not None else []
            col = int(m.group(2))
            tagged = [q for q in cells[col].iter(W + "p") if "{{" in _p_text(q)] if col < len(cells) else []
            runs = [r for r in tagged[0].iter(W + "r") if "{{" in _p_text(r)] if tagged else []
            target = runs[0] if runs else None
        elif m.group(1)[0] == marks.BOX and p is not None:  # after its label: before the box's tag
            runs = [r for r in p if r.tag == W + "r" and "{{" in _p_text(r)]
            before = [r for r in runs if r.getparent() is p and p.index(r) < p.index(bm)]
            target = before[-1] if before else None
        if target is None:
            continue
        end = bm.getnext()
        target.addprevious(bm)
        if end is not None and end.tag == W + "bookmarkEnd":
            bm.addnext(end)


def _fields(definition: Definition) -> dict[str, tuple[str, Field, str | None]]:
    """Every mark a template of this definition carries: (kind, field, option) by mark."""
    out: dict[str, tuple[str, Field, str | None]] = {}
    for f in definition.walk():
        for kind in (marks.VALUE, marks.PROSE, marks.BOX, marks.GRID, marks.CARD):
            out[marks.mark(kind, f.path)] = (kind, f, None)
        if f.is_leaf:
            for o in present.options_of(f):
                out[marks.mark(marks.BOX, f.path, o.value)] = (marks.BOX, f, o.value)
    return out


def _mark_of(
    el: etree._Element, fields: dict[str, tuple[str, Field, str | None]]
) -> tuple[str, Field, str | None] | None:
    m = marks.NAME_RE.fullmatch(el.get(W + "name") or "")
    return fields.get(m.group(1)) if m else None


def _p_text(p: etree._Element) -> str:
    return "".join(t.text or "" for t in p.iter(W + "t"))


def _body_items(
    elements: list[etree._Element],
    fields: dict[str, tuple[str, Field, str | None]],
    headers: list[tuple[str, ...]],
    printed: set[str],
) -> list[_Item]:
    items: list[_Item] = []
    i = 0
    while i < len(elements):
        el = elements[i]
        loop = _LOOP_P.match(_p_text(el)) if el.tag == W + "p" else None
        if loop is not None and loop.group(1) == "for":
            depth, j = 1, i + 1
            while j < len(elements) and depth:
                m = _LOOP_P.match(_p_text(elements[j])) if elements[j].tag == W + "p" else None
                if m:
                    depth += 1 if m.group(1) == "for" else -1
                j += 1
            inner = elements[i + 1 : j - 1]
            card = _card_caption(inner, fields)
            if card is not None:
                f, caption = card
                body = _body_items(inner[1:], fields, headers, printed)
                items.append(_Cards(f, caption, tuple(body)))
            else:  # a list's items
                items += _body_items(inner, fields, headers, printed)
            i = j
            continue
        if el.tag == W + "p":
            items += _para_items(el, fields, None, printed)
        elif el.tag == W + "tbl":
            items += _table_items(el, fields, headers, printed)
        i += 1
    return _merge_slots(items)


def _card_caption(
    inner: list[etree._Element], fields: dict[str, tuple[str, Field, str | None]]
) -> tuple[Field, tuple[str, ...]] | None:
    if not inner or inner[0].tag != W + "p":
        return None
    for bm in inner[0].iter(W + "bookmarkStart"):
        found = _mark_of(bm, fields)
        if found and found[0] == marks.CARD:
            return found[1], tuple(_TAG.sub(" ", _p_text(inner[0])).split())
    return None


def _para_items(
    p: etree._Element,
    fields: dict[str, tuple[str, Field, str | None]],
    cell: tuple[float, float] | None,
    printed: set[str],
) -> list[_Item]:
    """A paragraph's items: its fixed text, answers and boxes, in order."""
    text = _p_text(p)
    if _LOOP_P.match(text) or _LOOP_TR.match(text):
        return []
    pending: tuple[str, Field, str | None] | None = None
    other = False
    out: list[_Item] = []
    static: list[str] = []
    box: _Box | None = None
    for el in p.iter(W + "bookmarkStart", W + "t"):
        if el.tag == W + "bookmarkStart":
            name = el.get(W + "name") or ""
            if marks.NAME_RE.fullmatch(name) and name[len(marks.PREFIX)] == marks.OTHER:
                other = True
            pending = _mark_of(el, fields) or pending
            continue
        for piece in re.split(r"(\{\{.*?\}\})", el.text or ""):
            if not piece:
                continue
            if piece.startswith("{{"):
                if box is not None:
                    out.append(box)
                    box = None
                elif static:
                    out.append(_Text(tuple(" ".join(static).split()), cell))
                static = []
                if pending and pending[0] == marks.BOX:
                    box = _Box(pending[1], pending[2], (), cell)
                elif pending and pending[0] in (marks.VALUE, marks.PROSE):
                    out.append(_Slot(pending[1], cell))
                elif other:
                    out.append(_Slot(None, cell))
                pending = None
            elif box is not None:
                box = _Box(box.field, box.option, (*box.label, *piece.split()), cell)
            else:
                static.append(piece)
    if box is not None:
        out.append(box)
    words = tuple(" ".join(static).split())
    if words:
        out.append(_Text(words, cell))
        printed.add(" ".join(words))
    return out


def _cells(tr: etree._Element, grid: list[float]) -> Iterator[tuple[etree._Element, tuple[float, float]]]:
    """A row's cells with their place (points from the table's left edge)."""
    col = 0
    for tc in tr.findall(W + "tc"):
        span_el = tc.find(f"{W}tcPr/{W}gridSpan")
        span = int(span_el.get(W + "val") or 1) if span_el is not None else 1
        x0 = sum(grid[:col])
        x1 = sum(grid[: col + span])
        col += span
        yield tc, (x0, x1)


def _table_items(
    tbl: etree._Element,
    fields: dict[str, tuple[str, Field, str | None]],
    headers: list[tuple[str, ...]],
    printed: set[str],
) -> list[_Item]:
    grid = [int(g.get(W + "w") or 0) / 20 for g in tbl.iter(W + "gridCol")]
    rows = tbl.findall(W + "tr")
    out: list[_Item] = []
    i = 0
    while i < len(rows):
        tr = rows[i]
        cells = list(_cells(tr, grid))
        words = tuple(w for tc, _ in cells for p in tc.iter(W + "p") for w in _p_text(p).split())
        if tr.find(f"{W}trPr/{W}tblHeader") is not None:
            headers.append(words)
        grid_field = None
        for bm in tr.iter(W + "bookmarkStart"):
            found = _mark_of(bm, fields)
            if found and found[0] == marks.GRID:
                grid_field = found[1]
        if grid_field is not None:
            value_row = rows[i + 2] if i + 2 < len(rows) else None
            places = [place for _, place in _cells(value_row, grid)] if value_row is not None else []
            columns = tuple(zip(grid_field.fields, places, strict=False))
            keep = value_row is not None and value_row.find(f"{W}trPr/{W}cantSplit") is not None
            out.append(_Grid(grid_field, words, columns, splits=not keep))
            printed.add(" ".join(words))
            i += 4  # header, {%tr for %}, the row, {%tr endfor %}
            continue
        for tc, place in cells:
            for p in tc.findall(W + "p"):
                out += _para_items(p, fields, place, printed)
        i += 1
    return out


def _merge_slots(items: list[_Item]) -> list[_Item]:
    """One slot per answer (a list's item paragraphs are one answer)."""
    out: list[_Item] = []
    for it in items:
        if isinstance(it, _Slot) and out and isinstance(out[-1], _Slot) and out[-1].field is it.field:
            continue
        out.append(it)
    return out


# --------------------------------------------------------------------------- identifying


def identify_word_pdf(data: bytes) -> tuple[str, str] | None:
    """(title, definition version) printed in the footer of a Word form's PDF; ``None`` when
    its pages have no such footer."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None
    try:
        for n in range(min(len(pdf), 2)):
            try:
                page = pdf[n]
                tp = page.get_textpage()
            except pdfium.PdfiumError:
                return None
            words = _words(tp.raw, n)
            tp.close()
            page.close()
            found = FOOTER.match(" ".join(t.text for t in words if t.base <= _MARGIN - 2))
            if found:
                return found.group("title"), found.group("version")
    finally:
        pdf.close()
    return None


def _document_by_title(title: str) -> str:
    wanted = _norm(title)
    for doc in document_ids():
        if _norm(load_definition(doc).title) == wanted:
            return doc
    raise IngestError(f"a Word form of a document this apforms does not know (its footer names {title!r})")


def _norm(s: str) -> str:
    return (
        s.replace("’", "'")
        .replace("‘", "'")
        .replace("“", '"')
        .replace("”", '"')
        .replace("–", "-")
        .replace("—", "-")
    ).casefold()


# --------------------------------------------------------------------------- reading


def ingest_word_pdf(data: bytes, source: str, said: Sequence[str] = ()) -> IngestResult:
    """Read a Word form printed to PDF into a validated record, by its labels; ``said``:
    warnings about the file already given (its JavaScript, say)."""
    found = identify_word_pdf(data)
    if found is None:
        raise IngestError("not an apforms form (no apforms metadata or footer line found)")
    title, version = found
    document = _document_by_title(title)
    warnings: list[str] = [_WORD_LABEL, *said]
    definition = definition_for(document, version, warnings)
    form = _form(definition, template_path(document))
    toks, pages, _ = _pages(data)
    toks = _without_repeated_headers(toks, form.headers)
    reader = _read(definition, form, toks, pages)
    data_read = reader.data()
    warnings += reader.report()
    provenance = provenance_of(source, data, version, "footer")
    return ingest_result(definition, data_read, warnings, METHOD_WORD_PDF, version, provenance)


def _without_repeated_headers(toks: list[_Tok], headers: tuple[tuple[str, ...], ...]) -> list[_Tok]:
    """The words without a table's header row printed again at the top of a page."""
    drop: set[int] = set()
    heads = [tuple(_norm(w) for w in h) for h in headers]
    for i, t in enumerate(toks):
        if i == 0 or toks[i - 1].page == t.page:
            continue
        for h in heads:
            if tuple(_norm(x.text) for x in toks[i : i + len(h)]) == h:
                drop.update(range(i, i + len(h)))
                break
    out = [t for i, t in enumerate(toks) if i not in drop]
    for t in (toks[i] for i in sorted(drop)):
        nxt = next((x for x in out if x.index > t.index), None)
        if nxt is not None:
            nxt.seg = True
    return out


def _row_of(t: _Tok, pages: list[_Page]) -> tuple[int, float] | None:
    """The table row a word is in: its page and the rule above it (``None``: not in a table)."""
    if t.row is not None:
        return t.row
    cx = (t.x0 + t.x1) / 2
    above = [y for y, x0, x1 in pages[t.page].hrules if y > t.base and x0 - 1 <= cx <= x1 + 1]
    return (t.page, round(min(above), 1)) if above else None


def _columns_at(t: _Tok, pages: list[_Page]) -> tuple[float, ...]:
    return tuple(sorted({round(x) for x, y0, y1 in pages[t.page].vrules if y0 - 1 <= t.base <= y1 + 1}))


@dataclass(frozen=True)
class _RunOn:
    """A table row that may have run on to the next page: its words at the foot of one page
    (``tail``, indices ``i``..``e``) and at the head of the next (``head``, ``s``..``j``)."""

    i: int
    e: int
    s: int
    j: int
    columns: tuple[float, ...]
    row: tuple[int, float]


def _runs_on(toks: list[_Tok], pages: list[_Page]) -> list[_RunOn]:
    """Rows that may have run on to the next page: the last row of a page ends near its
    margin (a row breaks where its next line would not fit) and the next page starts with a
    row of the same columns. A row may also just end there; the reading decides
    (:func:`_read`)."""
    out: list[_RunOn] = []
    for n in range(len(pages) - 1):
        ends = [i for i, t in enumerate(toks) if t.page == n]
        starts = [i for i, t in enumerate(toks) if t.page == n + 1]
        if not ends or not starts:
            continue
        last, first = toks[ends[-1]], toks[starts[0]]
        a, b = _row_of(last, pages), _row_of(first, pages)
        if a is None or b is None:
            continue
        cx = (last.x0 + last.x1) / 2
        below = [y for y, x0, x1 in pages[n].hrules if y < last.base and x0 - 1 <= cx <= x1 + 1]
        cols = _columns_at(last, pages)
        if (
            not below
            or max(below) - _MARGIN > _RUN_ON_ROOM
            or len(cols) < 2
            or _columns_at(first, pages) != cols
        ):
            continue
        i = ends[-1]
        while i > 0 and toks[i - 1].page == n and _row_of(toks[i - 1], pages) == a:
            i -= 1
        j = starts[0]
        while j + 1 < len(toks) and toks[j + 1].page == n + 1 and _row_of(toks[j + 1], pages) == b:
            j += 1
        out.append(_RunOn(i, ends[-1], starts[0], j, cols, a))
    return out


def _joined(toks: list[_Tok], runs: list[_RunOn]) -> list[_Tok]:
    """The words with each row that ran on put back together: the rest of each cell after
    the cell's first part, over as many pages as the row ran on (copies; the words given are
    not changed)."""
    chains: list[list[_RunOn]] = []
    for r in sorted(runs, key=lambda r: r.i):
        if chains and chains[-1][-1].s == r.i and chains[-1][-1].j == r.e:
            chains[-1].append(r)  # the same row on a third page
        else:
            chains.append([r])
    out = list(toks)
    for chain in reversed(chains):
        first, last = chain[0], chain[-1]
        if any(a.j + 1 != b.s or b.i != a.s for a, b in zip(chain, chain[1:], strict=False)):
            continue
        ranges = [(first.i, first.e), *((r.s, r.j) for r in chain)]
        parts = [out[i : e + 1] for i, e in ranges]
        parts = [parts[0], *([replace(t, row=first.row) for t in part] for part in parts[1:])]
        merged: list[_Tok] = []
        for left, right in zip(first.columns, first.columns[1:], strict=False):
            for part in parts:
                cell = [t for t in part if left <= (t.x0 + t.x1) / 2 < right]
                if cell:
                    cell[0] = replace(cell[0], seg=True)
                merged += cell
        if len(merged) == sum(len(p) for p in parts) and all(r.e + 1 == r.s for r in chain):
            out[first.i : last.j + 1] = merged
    return out


def _read(definition: Definition, form: _Form, toks: list[_Tok], pages: list[_Page]) -> _Reader:
    """The page read with the form. A table row that ends at a page's margin may have run on
    to the next page, or just ended there: each is read both ways, and put back together
    only when that reads with fewer doubts (fixed text lost, text in no field, values named)."""
    runs = _runs_on(toks, pages)
    best = _Reader(definition, form, toks, pages)
    best.read()
    taken: list[_RunOn] = []
    for r in runs:
        trial = _Reader(definition, form, _joined(toks, [*taken, r]), pages)
        trial.read()
        if trial.trouble() < best.trouble():
            best, taken = trial, [*taken, r]
    return best


def _concrete(f: Field, rows: tuple[int, ...]) -> Path_:
    parts: list[str | int] = []
    it = iter(rows)
    for seg in f.path.split("."):
        if seg.endswith("[]"):
            parts += [seg[:-2], next(it, 0)]
        else:
            parts.append(seg)
    return tuple(parts)


def _shown(f: Field, path: Path_) -> str:
    return f"{f.label} ({'.'.join(str(p + 1) if isinstance(p, int) else p for p in path)})"


class _Reader:
    def __init__(self, definition: Definition, form: _Form, toks: list[_Tok], pages: list[_Page]) -> None:
        self.definition, self.form, self.toks, self.pages = definition, form, toks, pages
        self.words = [_norm(t.text) for t in toks]
        self.pos = 0
        self.pending: list[tuple[_Slot, tuple[int, ...]]] = []
        self.lost_anchor = False
        self.values: dict[Path_, Any] = {}
        self.boxes: dict[Path_, dict[str, bool | None]] = {}
        self.doubts: dict[Path_, tuple[Field, list[str]]] = {}
        self.unplaced: list[str] = []
        self.wrapped: list[float] = []  # the room left on lines of fixed text that wrapped
        self.lost = 0  # fixed text not found on the page
        self._starts: dict[int, _Tok] | None = None
        self.set_slack = _SET_SLACK
        self.jobs: list[Callable[[], None]] = []  # the answers' reading, once the measure is known
        first = next(f for f in definition.walk() if f.is_leaf)
        self.last = f"{first.label} ({first.path})"

    # ------------------------------------------------------------ the walk

    def read(self) -> None:
        """Align the page with the form, then read the answers (lines joined by the measure
        the fixed text's own wrapped lines give)."""
        self._run(self.form.items, (), [])
        self._flush(len(self.toks))
        wrapped = [x for x in self.wrapped if x < 10]  # (a larger room: a break in the fixed text)
        if wrapped:  # a line that wrapped with that much room proves the measure is at least that
            self.set_slack = max(_SET_SLACK, max(wrapped) + _SLACK_OVER_WRAPPED)
        for job in self.jobs:
            job()

    def _run(self, items: tuple[_Item, ...], rows: tuple[int, ...], after: list[_Item]) -> None:
        for i, it in enumerate(items):
            rest = [*items[i + 1 :], *after]
            if isinstance(it, _Slot):
                self.pending.append((it, rows))
            elif isinstance(it, _Text):
                hit = self._guarded(it, rest)
                if hit is None:
                    self.lost_anchor = True
                    self.lost += 1
                    continue
                self._flush(hit[0])
                self._calibrate(hit)
                self.pos = hit[0] + hit[1]
            elif isinstance(it, _Box):
                self._box(it, rows, rest)
            elif isinstance(it, _Grid):
                self._grid(it, rows, rest)
            else:
                self._cards(it, rows, rest)

    def _guarded(self, it: _Item, rest: list[_Item]) -> _Hit | None:
        """Where an anchor is, unless the next anchor comes first (then it is missing)."""
        hit = self._find(it, self.pos)
        nxt = next((x for x in rest if self._is_anchor(x)), None)
        if nxt is not None:
            other = self._find(nxt, self.pos, stop=hit[0] if hit else None)
            if other is not None and (hit is None or other[0] < hit[0]):
                return None
        return hit

    @staticmethod
    def _is_anchor(it: _Item) -> bool:
        return isinstance(it, _Text | _Grid | _Cards) or (isinstance(it, _Box) and bool(it.label))

    def _find(self, it: _Item, start: int, stop: int | None = None) -> _Hit | None:
        """Where an anchor is printed from ``start`` on (before ``stop``): its first word and
        how many words it takes."""
        end = len(self.toks) if stop is None else stop
        if isinstance(it, _Text):
            return self._find_words(tuple(_norm(w) for w in it.words), start, end, whole=True, cell=it.cell)
        if isinstance(it, _Grid):
            return self._find_words(tuple(_norm(w) for w in it.header), start, end, whole=False)
        if isinstance(it, _Cards):
            return self._find_caption(it, start, end)
        if isinstance(it, _Box):
            return self._find_box(it, start, end)
        return None

    def _find_words(
        self,
        words: tuple[str, ...],
        start: int,
        end: int,
        whole: bool,
        cell: tuple[float, float] | None | bool = False,
    ) -> _Hit | None:
        """The first place at or after ``start`` where ``words`` are printed from the start of
        a line (``whole``: to its end too), and how many words of the page they are (a word
        with a hyphen may wrap after it)."""
        if not words:
            return None
        want = "".join(words)
        first = words[0]
        toks = self.toks
        for p in range(start, min(end, len(toks))):
            w = self.words[p]
            if not toks[p].seg or not (w == first or (first.startswith(w) and w.endswith("-"))):
                continue
            k = self._match_at(p, want) or 0
            ends = not whole or p + k == len(toks) or toks[p + k].seg
            if k and ends and (cell is False or self._in_cell(toks[p], cell)):
                return p, k
        return None

    def _in_cell(self, t: _Tok, cell: tuple[float, float] | None | bool) -> bool:
        """Whether a word is where the form prints fixed text of that place (its column of a
        table, or outside tables): an answer that repeats a label is not taken for it. A
        page without rules cannot tell."""
        if not self.pages[t.page].vrules:
            return True
        rel, _, in_table = self._place(t)
        if cell is None:
            return not in_table
        if isinstance(cell, tuple):
            return in_table and cell[0] - 2 <= rel <= cell[1] + 2
        return True

    def _find_caption(self, it: _Cards, start: int, end: int) -> _Hit | None:
        """A block's caption: its words and the block's number, a line of their own."""
        words = tuple(_norm(w) for w in it.caption)
        p = start
        while True:
            hit = self._find_words(words, p, end, whole=False)
            if hit is None:
                return None
            n = hit[0] + hit[1]
            toks = self.toks
            if n < len(toks) and toks[n].text.isdigit() and (n + 1 == len(toks) or toks[n + 1].seg):
                return hit[0], hit[1] + 1
            p = hit[0] + 1

    def _find_box(self, it: _Box, start: int, end: int) -> _Hit | None:
        """A box: a mark of one character, then its option's label."""
        if not it.label:
            for p in range(start, min(end, start + 3, len(self.toks))):
                if len(self.toks[p].text) == 1:
                    return p, 1
            return None
        want = "".join(_norm(w) for w in it.label)
        toks = self.toks
        for p in range(start, min(end, len(toks) - 1)):
            if len(toks[p].text) != 1:
                continue
            k = self._match_at(p + 1, want)
            if k is not None:
                after = p + 1 + k
                if after == len(toks) or toks[after].seg or len(toks[after].text) == 1:
                    return p, 1 + k
        return None

    def _match_at(self, p: int, want: str) -> int | None:
        """How many words from ``p`` on spell ``want`` (spaces aside), if they do."""
        got, k = "", 0
        words = self.words
        while p + k < len(words) and len(got) < len(want) and want.startswith(got + words[p + k]):
            got += words[p + k]
            k += 1
        return k if got == want and k else None

    # ------------------------------------------------------------ answers

    def _flush(self, upto: int) -> None:
        """The words from the cursor to ``upto`` into the answers waiting for them."""
        toks = self.toks[self.pos : upto]
        pending, self.pending = self.pending, []
        lost, self.lost_anchor = self.lost_anchor, False
        readable = [(s, rows) for s, rows in pending if s.field is not None]
        if lost:
            for s, rows in readable:
                assert s.field is not None
                self._doubt(
                    s.field, _concrete(s.field, rows), "the fixed text around it was not found on the page"
                )
        if not toks:
            self._last(readable)
            return
        if not pending:
            self._unplaced(toks)
            return
        by_slot, stray = self._by_column(toks, [s.cell for s, _ in pending])
        if stray:  # text typed outside the answer's box (below a table, say)
            self._unplaced(stray)

        def finish() -> None:
            if len(pending) > 1:
                self._share_paragraphs(pending, by_slot)
            for i, (s, rows) in enumerate(pending):
                if s.field is None and by_slot.get(i):
                    self._contact(by_slot[i])
                if s.field is not None and by_slot.get(i):
                    self._convert(s.field, _concrete(s.field, rows), by_slot[i])

        self.jobs.append(finish)
        self._last(readable)

    def _share_paragraphs(
        self, pending: list[tuple[_Slot, tuple[int, ...]]], by_slot: dict[int, list[_Tok]]
    ) -> None:
        """Answers one after another in the same place (paragraphs of the form with no label
        between them): a paragraph each when there are as many paragraphs as answers, named
        for review unless it is the wording the definition gives; else all to the first, and
        every one of them named."""
        cells = [s.cell for s, _ in pending]
        for cell in dict.fromkeys(cells):
            group = [i for i, c in enumerate(cells) if c == cell]
            if len(group) < 2 or not by_slot.get(group[0]):
                continue
            first = pending[group[0]][0].field
            if first is None:
                continue
            path = _concrete(first, pending[group[0]][1])
            paragraphs = self._paragraphs(by_slot[group[0]], first, path)
            fields = [pending[i][0].field for i in group]
            plain = all(f is not None and type_of(f).control(f) != Control.LIST for f in fields)
            if plain and len(paragraphs) == len(group):
                for i, para in zip(group, paragraphs, strict=True):
                    by_slot[i] = para
                    f = pending[i][0].field
                    assert f is not None
                    text = " ".join(t.text for t in para)
                    if not (isinstance(f.default, str) and " ".join(f.default.split()) == text):
                        self._doubt(
                            f,
                            _concrete(f, pending[i][1]),
                            "its paragraph was told from the next answer's by its order only",
                        )
                continue
            for i in group:
                f = pending[i][0].field
                if f is not None:
                    self._doubt(
                        f, _concrete(f, pending[i][1]), "it could not be told apart from the answer beside it"
                    )

    def _paragraphs(self, toks: list[_Tok], f: Field, path: Path_) -> list[list[_Tok]]:
        """Words in paragraphs (a break ends one)."""
        lines = self._lines(toks)
        out: list[list[_Tok]] = [[]]
        for line, brk in zip(lines, [*self._breaks(lines, f, path), ""], strict=True):
            out[-1] += line
            if brk == "\n":
                out.append([])
        return [p for p in out if p]

    def _contact(self, toks: list[_Tok]) -> None:
        """The LA contact the form prints from the configuration: not read, but shown."""
        text = " ".join(t.text for t in toks)
        if text.strip("_ "):
            self.unplaced.append(f"the local authority contact line reads '{text[:120]}'; it was not read")

    def _last(self, readable: list[tuple[_Slot, tuple[int, ...]]]) -> None:
        if readable:
            s, rows = readable[-1]
            assert s.field is not None
            self.last = _shown(s.field, _concrete(s.field, rows))

    def _unplaced(self, toks: list[_Tok]) -> None:
        text = " ".join(t.text for t in toks)
        if _norm(text) in {_norm(x) for x in self.form.printed}:
            return
        self.unplaced.append(
            f"{self.last}: text after this answer is in no field of the form ('{text[:80]}'); it was not read"
        )

    def _place(self, t: _Tok) -> tuple[float, float, bool]:
        """(x of the word's centre from its table's left edge, the right edge of the text
        around it, whether it is in a table)."""
        page = self.pages[t.page]
        xs = [x for x, y0, y1 in page.vrules if y0 - 1 <= t.base <= y1 + 1]
        cx = (t.x0 + t.x1) / 2
        if len(xs) >= 2 and min(xs) < cx < max(xs):
            right = min(x for x in xs if x >= cx)
            return cx - min(xs), right - _PAD, True
        return cx - (_MARGIN - _PAD), page.width - _MARGIN, False

    def _by_column(
        self, toks: list[_Tok], cells: list[tuple[float, float] | None]
    ) -> tuple[dict[int, list[_Tok]], list[_Tok]]:
        """Words shared out among answers side by side: each to the answer whose column it is
        in (an answer outside tables takes the words outside tables)."""
        out: dict[int, list[_Tok]] = {}
        stray: list[_Tok] = []
        for t in toks:
            if not self.pages[t.page].vrules:  # a page without rules cannot tell: in order
                out.setdefault(0, []).append(t)
                continue
            rel, _, in_table = self._place(t)
            for i, c in enumerate(cells):
                if (c is None and not in_table) or (
                    c is not None and in_table and c[0] - 2 <= rel <= c[1] + 2
                ):
                    out.setdefault(i, []).append(t)
                    break
            else:
                stray.append(t)
        return out, stray

    def _doubt(self, f: Field, path: Path_, reason: str) -> None:
        entry = self.doubts.setdefault(path, (f, []))
        if reason not in entry[1]:
            entry[1].append(reason)

    def _lines(self, toks: list[_Tok]) -> list[list[_Tok]]:
        lines: list[list[_Tok]] = []
        for t in toks:
            if lines and not (
                t.seg and (t.page != lines[-1][-1].page or abs(t.base - lines[-1][-1].base) > 1)
            ):
                lines[-1].append(t)
            else:
                lines.append([t])
        return lines

    def _calibrate(self, hit: _Hit) -> None:
        """Fixed text that wraps shows how much room a line that wrapped can have left."""
        lines = self._lines(self.toks[hit[0] : hit[0] + hit[1]])
        for prev, nxt in zip(lines, lines[1:], strict=False):
            a, b = prev[-1], nxt[0]
            if a.page == b.page and abs(self._place(a)[1] - self._place(b)[1]) < 1:
                self.wrapped.append(self._room(a, b))

    def _room(self, a: _Tok, b: _Tok) -> float:
        """The room left at the end of ``a``'s line for a space and the word ``b``."""
        return self._place(a)[1] - (a.x1 + 0.28 * b.size + (b.x1 - b.x0))

    def _breaks(self, lines: list[list[_Tok]], f: Field, path: Path_) -> list[str]:
        """What ends each line but the last: ``"\\n"`` (a break), ``" "`` or ``""`` (it wrapped)."""
        out: list[str] = []
        gaps = [
            p[-1].base - n[0].base for p, n in zip(lines, lines[1:], strict=False) if p[-1].page == n[0].page
        ]
        pitch = min(gaps) if len(gaps) >= 2 else None
        for prev, nxt in zip(lines, lines[1:], strict=False):
            a, b = prev[-1], nxt[0]
            right = self._place(a)[1]
            if pitch is not None and a.page == b.page and a.base - b.base > pitch + 0.6:
                out.append("\n")  # the space after a paragraph: more than between its lines
                continue
            # the room left on the line for the next word (glyph boxes are a little narrower
            # than the words set: a word that measures up to _SET_SLACK too wide still fitted)
            slack = self._room(a, b) - self.set_slack
            if -_DOUBT <= slack <= _DOUBT:
                self._doubt(f, path, "a line break in it could be a new line or the text wrapping")
            if slack > 0:
                out.append("\n")
                continue
            if right - a.x1 > 4 * a.size and a.text[-1] in ".!?:;":  # a sentence ended early
                self._doubt(f, path, "a line of it ends early: it may end a paragraph")
            if len(prev) == 1 and a.x1 > right - 0.7 * a.size:
                # one word as wide as its line: a word too long for the line, broken inside it
                # (an address, say), or a word that just filled it
                if _ADDRESS.search(a.text):
                    out.append("")
                else:
                    self._doubt(f, path, f"'{a.text}' fills its line: the word after it may belong to it")
                    out.append(" ")
            elif len(a.text) > 1 and a.text.endswith(("-", "/")):
                self._doubt(f, path, f"a line ends with '{a.text[-1]}': the word may have been broken there")
                out.append("")
            else:
                out.append(" ")
        return out

    def _text(self, toks: list[_Tok], f: Field, path: Path_) -> list[str]:
        """The paragraphs (or, for a list, the items) of an answer's words."""
        lines = self._lines(toks)
        breaks = self._breaks(lines, f, path)
        is_list = type_of(f).control(f) == Control.LIST
        parts: list[str] = []
        cur = ""
        for i, line in enumerate(lines):
            words = [t.text for t in line]
            if is_list and words and len(words[0]) == 1 and words[0] in _BULLETS:
                if cur.strip():
                    parts.append(cur)
                cur = ""
                words = words[1:]
            cur += " ".join(words)
            if i < len(breaks):
                if breaks[i] == "\n":
                    parts.append(cur)
                    cur = ""
                else:
                    cur += breaks[i]
        parts.append(cur)
        return [p.strip() for p in parts if p.strip()]

    def _value(self, f: Field, path: Path_, toks: list[_Tok]) -> None:
        self.jobs.append(lambda: self._convert(f, path, toks))

    def _convert(self, f: Field, path: Path_, toks: list[_Tok]) -> None:
        odd = [t.text for t in toks if t.unsure]
        if odd:
            shown = ", ".join(f"'{w}'" for w in odd[:3])
            self._doubt(f, path, f"the PDF does not say which letters some of its words are ({shown})")
        control = type_of(f).control(f)
        if control in (Control.TICK, Control.BOXES):
            self._cell_boxes(f, path, toks)
            return
        parts = self._text(toks, f, path)
        if not parts:
            return
        if control == Control.LIST:
            self.values[path] = parts
            return
        text = "\n".join(parts)
        value = option_value(f, text) if control == Control.DROPDOWN else type_of(f).from_text(f, text)
        self.values[path] = value

    def _cell_boxes(self, f: Field, path: Path_, toks: list[_Tok]) -> None:
        """Boxes in a grid's cell: each box by the label after it."""
        options = present.options_of(f)
        found: dict[str, bool | None] = {}
        i = 0
        while i < len(toks):
            c = toks[i].text
            if len(c) == 1 and (c in TICKED or c in EMPTY):
                j = i + 1
                while j < len(toks) and not (len(toks[j].text) == 1 and toks[j].text in TICKED | EMPTY):
                    j += 1
                label = _norm(" ".join(t.text for t in toks[i + 1 : j]))
                if not options:
                    found[""] = c in TICKED
                for o in options:
                    if label == _norm(o.label):
                        found[o.value] = c in TICKED
                i = j
            else:
                i += 1
        if not options:
            if found.get(""):
                self.values[path] = True
            elif "" not in found:
                self._doubt(f, path, "its box was not found on the page")
            return
        if len(found) < len(options):
            self._doubt(f, path, "not every box could be matched to its option")
        self.boxes[path] = found

    def _box(self, it: _Box, rows: tuple[int, ...], rest: list[_Item]) -> None:
        path = _concrete(it.field, rows)
        option = f" '{it.label and ' '.join(it.label)}'" if it.label else ""
        hit = self._guarded(it, rest) if it.label else self._find(it, self.pos)
        if hit is None:
            self._doubt(it.field, path, f"its{option} box was not found on the page")
            if it.option is not None:
                self.boxes.setdefault(path, {})[it.option] = None
            return
        self._flush(hit[0])
        c = self.toks[hit[0]].text
        self.pos = hit[0] + hit[1]
        ticked = True if c in TICKED else False if c in EMPTY else None
        if ticked is None:
            self._doubt(it.field, path, f"the{option} box holds '{c}', not ☒ or ☐; it was not read")
        if it.option is None:
            if ticked:
                self.values[path] = True
        else:
            self.boxes.setdefault(path, {})[it.option] = ticked
        self.last = _shown(it.field, path)

    def _grid(self, it: _Grid, rows: tuple[int, ...], rest: list[_Item]) -> None:
        hit = self._guarded(it, rest)
        path = _concrete(it.field, rows)
        if hit is None:
            self.lost_anchor = True
            for col, _ in it.columns:
                self._doubt(col, (*path, 0, col.key), "the table's header row was not found on the page")
            return
        self._flush(hit[0])
        self.pos = hit[0] + hit[1]
        end = self._next_anchor(rest)
        body = self.toks[self.pos : end]
        self.pos = end
        by_row: dict[tuple[int, float], list[_Tok]] = {}
        unruled = False
        for t in body:
            key = _row_of(t, self.pages)
            if key is None:
                unruled = True
                key = (t.page, -1.0)
            by_row.setdefault(key, []).append(t)
        keys = list(by_row)
        # A row that ends less than a line above the page's margin, then the next page's first
        # row, may be one row broken in two (or two rows, the first just filling its page):
        # named, with the table (its rows may be miscounted). A row kept together breaks only
        # when it is longer than a page.
        run_on = set()
        for key, after in zip(keys, keys[1:], strict=False):
            page = max(t.page for t in by_row[key])
            if after[0] != page + 1:
                continue
            foot, head = self._row_bottom(by_row[key], page), self._row_bottom(by_row[after], after[0])
            if foot is None or foot - _MARGIN > _GRID_RUN_ON_ROOM:
                continue
            page_room = self.pages[page].height - 2 * _MARGIN
            tall = head is not None and (key[1] - foot) + (after[1] - head) > page_room - _HEADER_ROOM
            if it.splits or tall or key[0] < page:
                run_on |= {key, after}
        n = 0
        for key, toks in by_row.items():
            cols, stray = self._by_column(toks, [c for _, c in it.columns])
            if stray:
                self._unplaced(stray)
            texts = [" ".join(t.text for t in cols.get(i, [])) for i in range(len(it.columns))]
            if not any(x and not set(x) <= EMPTY | {" "} for x in texts):
                continue  # an empty row (its boxes, if any, all empty)
            for i, (col, _) in enumerate(it.columns):
                cpath = (*path, n, col.key)
                if unruled or key[1] < 0:
                    self._doubt(
                        col, cpath, "the table's rows could not be told apart (no rules between them)"
                    )
                if key in run_on:
                    self._doubt(col, cpath, _RUN_ON_DOUBT)
                    self._doubt(it.field, path, "a row may go on over a page, so its rows may be miscounted")
                if cols.get(i):
                    self._value(col, cpath, cols[i])
            n += 1
        self.last = _shown(it.field, path)

    def _cards(self, it: _Cards, rows: tuple[int, ...], rest: list[_Item]) -> None:
        n = 0
        while True:
            hit = self._guarded(it, rest)
            if hit is None:
                break
            self._flush(hit[0])
            printed = self.toks[hit[0] + hit[1] - 1].text
            if printed != str(n + 1):
                f = it.field
                self._doubt(
                    f.fields[0],
                    _concrete(f.fields[0], (*rows, n)),
                    f"its block is numbered {printed}, not {n + 1}",
                )
            self.pos = hit[0] + hit[1]
            self._run(it.body, (*rows, n), [it, *rest])
            self._flush_to_next(it, rest)
            n += 1

    def _row_bottom(self, words: list[_Tok], page: int) -> float | None:
        """The rule under a row's words on ``page``."""
        low = min((t for t in words if t.page == page), key=lambda t: t.base, default=None)
        if low is None:
            return None
        cx = (low.x0 + low.x1) / 2
        below = [y for y, x0, x1 in self.pages[page].hrules if y < low.base and x0 - 1 <= cx <= x1 + 1]
        return max(below) if below else None

    def _page_start(self, page: int) -> _Tok | None:
        """The first word of a page's body (after a header row repeated there)."""
        if self._starts is None:
            self._starts = {}
            for t in self.toks:
                self._starts.setdefault(t.page, t)
        return self._starts.get(page)

    def _next_anchor(self, rest: list[_Item]) -> int:
        """Where the next anchor is, or the one after it if it is not found (deleted), …"""
        for x in [x for x in rest if self._is_anchor(x)][:_LOOK_AHEAD]:
            hit = self._find(x, self.pos)
            if hit is not None:
                return hit[0]
        return len(self.toks)

    def _flush_to_next(self, it: _Cards, rest: list[_Item]) -> None:
        """The last answers of a block end where the next block (or what follows) starts."""
        q = self._find(it, self.pos)
        end = min(q[0], self._next_anchor(rest)) if q is not None else self._next_anchor(rest)
        self._flush(end)
        self.pos = end

    # ------------------------------------------------------------ into record data

    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for path, value in self.values.items():
            put(data, path, value)
        by_path = {f.path: f for f in self.definition.walk()}
        for path, boxes in self.boxes.items():
            f = by_path.get(field_path(path))
            if f is None:
                continue
            if any(v is None for v in boxes.values()):
                self._doubt(f, path, "a box could not be read")
            value, doubt = chosen(f, boxes)
            if doubt:
                self._doubt(f, path, doubt)
            elif value is not None:
                put(data, path, value)
        out: dict[str, Any] = as_lists(data)
        return out

    def trouble(self) -> int:
        """How much of the page the reading could not place: fixed text not found, text in no
        field, values named for review."""
        boxes = sum(1 for b in self.boxes.values() if any(v is None for v in b.values()))
        doubts = sum(1 for _, reasons in self.doubts.values() if reasons != [_RUN_ON_DOUBT])
        return self.lost + len(self.unplaced) + doubts + boxes  # (not the rows it may join)

    def report(self) -> list[str]:
        out = []
        for path, (f, reasons) in self.doubts.items():
            shown = ".".join(str(p + 1) if isinstance(p, int) else p for p in path)
            out.append(f"{f.label} ({shown}): {'; '.join(reasons)}; check it against the returned form")
        return out + self.unplaced


__all__ = ["FOOTER", "identify_word_pdf", "ingest_word_pdf"]

"""Reading a returned Word form: a .docx rendered by apforms, filled in Word or LibreOffice.

The form says which document and definition version it is in its custom properties, and
every answer is found again from the hidden bookmarks on its fixed text (see
:mod:`apforms.formats.docx.marks`), walked in document order:

- an answer in a table cell is the whole text of the cell its label's mark points at (its
  paragraphs, line breaks and tabs), a list's items its non-empty paragraphs; a dropdown's
  text is matched to its option;
- a tick box is the mark before its label (``☒ ☑ ✓ ✔ ✗ ✘ X`` ticked, ``☐`` not); anything
  else, or text beside the box and its label, is named in a warning and not guessed;
- a grid's rows are the table rows after its header row, so rows added or deleted in Word
  are read as they are, and empty rows are dropped; a grid cell's boxes by their labels;
- a card (a block per table row) starts at its caption; the answers after it are that row's;
- an answer printed as paragraphs (prose) is the paragraphs in its own style.

Nothing typed is dropped silently. Every mark the blank form carries must be found (once per
card for a card's): an answer whose label or box was edited away is named. An answer found
twice keeps the first and is named. Text in the body that no field read and the blank form
does not print (typed outside the boxes, a card copied in Word, whose copy has no marks) is
named after the answer it follows; so are tracked changes, comments, text boxes and embedded
content in answers, which are not read as a person sees them. A .docx without apforms'
properties, with a DTD, or damaged, is refused in one line.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from apforms import present
from apforms.errors import IngestError, first_line
from apforms.formats.docx import marks
from apforms.formats.docx.marks import W
from apforms.formats.result import METHOD_WORD, IngestResult, definition_for, ingest_result, provenance_of
from apforms.formats.tree import as_lists, field_path, put
from apforms.inputs import size_text
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field
from apforms.model.types import MULTICHOICE, Control, type_of

#: The largest part of a .docx that is read (uncompressed): a rendered form's body is about
#: 200 KB; a filled one with long answers a few MB.
MAX_PART = 16 * 1024 * 1024
#: The most entries a .docx may have (a rendered form has about twenty), known from the end of
#: the ZIP file before it is opened, and the most of its parts read, unpacked, in all.
MAX_ENTRIES = 1000
MAX_READ = 64 * 1024 * 1024
#: The most bookmarks read (a rendered form has a few hundred).
MAX_MARKS = 20_000
#: Warnings about text in no field, at most; the rest are counted in one.
MAX_UNREAD = 30
ZIP_MAGIC = b"PK\x03\x04"

#: What a ticked box may have been turned into in Word or LibreOffice.
TICKED = frozenset("☒☑✓✔✗✘xX")
EMPTY = frozenset("☐□")
#: Wingdings symbols (``w:sym``) for a ticked or an empty box.
_WINGDINGS = {0xF0FE: "☑", 0xF0FD: "☒", 0xF0FC: "✓", 0xFB: "✗", 0xF0FB: "✗", 0xF0A8: "☐", 0xF06F: "☐"}
_BOXLIKE = "☐☒☑✓✔✗✘□"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True, load_dtd=False
)
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_STRICT = b"purl.oclc.org/ooxml"
#: Elements whose text is not read as the answer (deleted or moved-away text of tracked
#: changes, the fallback copy of a drawing, a text box's own paragraphs).
_SKIP = frozenset({W + "del", W + "moveFrom", _MC + "Fallback", W + "txbxContent", W + "delText"})
#: Elements in an answer that a person sees differently from its text: named for review.
_UNSURE = {
    W + "ins": "a tracked change (read as if accepted)",
    W + "del": "a tracked change (read as if accepted)",
    W + "moveFrom": "a tracked change (read as if accepted)",
    W + "commentRangeStart": "a comment (not read)",
    W + "footnoteReference": "a footnote (not read)",
    W + "endnoteReference": "an endnote (not read)",
    W + "txbxContent": "a text box (not read)",
    W + "altChunk": "embedded content (not read)",
    "{http://schemas.openxmlformats.org/officeDocument/2006/math}oMath": "an equation (not read)",
    W + "vanish": "hidden text (not read)",
}

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class _Slot:
    kind: str
    field: Field
    option: str | None
    #: The tables the field is in, outermost first (a ``[]`` of its path each).
    tables: tuple[Field, ...]


@dataclass
class _Read:
    """What the walk found: values by concrete path, what it consumed, and warnings."""

    definition: Definition
    values: dict[Path, Any] = field(default_factory=dict)
    boxes: dict[Path, dict[str, bool | None]] = field(default_factory=dict)
    claimed: set[etree._Element] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    #: The current row of each table (cards) by path, and how many each has started.
    rows: dict[str, int] = field(default_factory=dict)
    counters: dict[tuple[str, tuple[int, ...]], int] = field(default_factory=dict)
    #: Marks found: (scope, mark key) → count; scope is () or a card (table path, indexes).
    found: Counter[tuple[tuple[Any, ...], str]] = field(default_factory=Counter)
    #: Cards started: (table path, outer indexes, index).
    cards: list[tuple[str, tuple[int, ...], int]] = field(default_factory=list)
    #: Each paragraph's text before each of its marks (a box and its label), worked out once.
    segments: dict[etree._Element, dict[etree._Element, str]] = field(default_factory=dict)


def identify_docx(data: bytes) -> tuple[str, str] | None:
    """(document id, definition version) of a Word form made by apforms; ``None`` otherwise."""
    try:
        _check_entries(data)
        with _Package(io.BytesIO(data)) as z:
            return _properties(z)
    except (zipfile.BadZipFile, OSError, ValueError, etree.XMLSyntaxError, IngestError):
        return None


def ingest_docx(data: bytes, source: str) -> IngestResult:
    """Read a returned Word form into a validated record; IngestError if refused."""
    warnings: list[str] = []
    _check_entries(data)
    try:
        with _Package(io.BytesIO(data)) as z:
            main = _main_part(z)
            found = _properties(z)
            if found is None and _older_apforms(z):
                raise IngestError(
                    "a Word form from an earlier apforms, whose answers are not marked to be read "
                    "back; send the PDF, or fill in a form rendered by this apforms"
                )
            if found is None:
                raise IngestError(
                    "a Word document that was not made by apforms (it has no apforms document "
                    "properties); fill in a form rendered by apforms, or send the PDF"
                )
            body = _part(z, main)
            styles_name = main.rsplit("/", 1)[0] + "/styles.xml"
            styles = _style_names(_part(z, styles_name)) if styles_name in z.namelist() else {}
            headers = [
                (n, _part(z, n)) for n in z.namelist() if re.fullmatch(r"word/(header|footer)\d*\.xml", n)
            ]
    except zipfile.BadZipFile:
        raise IngestError("not a Word document (a damaged or foreign ZIP file)") from None
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"damaged Word document ({str(exc)[:120]})") from None
    except (zlib.error, NotImplementedError, RuntimeError, ValueError, EOFError, OSError) as exc:
        reason = first_line(exc)[:100]
        raise IngestError(f"damaged or encrypted Word document ({reason})") from None
    document, version = found
    definition = definition_for(document, version, warnings)
    if sum(1 for _ in body.iter(W + "bookmarkStart")) > MAX_MARKS:
        raise IngestError(f"not a Word form apforms made (more than {MAX_MARKS} bookmarks)")
    read = _read(definition, body, styles)
    data_read = _data(read)
    _missing_marks(definition, read)
    warnings += read.warnings
    warnings += _unread_text(definition, body, read)
    warnings += _header_text(definition, headers)
    provenance = provenance_of(source, data, version, "properties")
    return ingest_result(definition, data_read, warnings, METHOD_WORD, version, provenance)


# --------------------------------------------------------------------------- the package

_OFFICE_DOCUMENT = re.compile(
    rb'Type="[^"]*/officeDocument"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Type="[^"]*/officeDocument"'
)


class _Package(zipfile.ZipFile):
    """A .docx opened to read: what has been read of it, unpacked (at most :data:`MAX_READ`)."""

    unpacked = 0


def _check_entries(data: bytes) -> None:
    """IngestError for a ZIP file with more entries than a Word document has, known from its
    end-of-central-directory record (before every entry is read into memory)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return  # not a ZIP file zipfile can open: it says so
    entries = int.from_bytes(data[end + 10 : end + 12], "little")
    locator = end - 20
    if entries == 0xFFFF and locator >= 0 and data[locator : locator + 4] == b"PK\x06\x07":
        at = int.from_bytes(data[locator + 8 : locator + 16], "little")
        if data[at : at + 4] == b"PK\x06\x06":
            entries = int.from_bytes(data[at + 32 : at + 40], "little")
    if entries > MAX_ENTRIES:
        raise IngestError(
            f"not a Word form apforms made ({entries:,} parts; at most {MAX_ENTRIES:,} are read)"
        )


def _main_part(z: zipfile.ZipFile) -> str:
    """The main document part, as the package's relationships name it."""
    names = z.namelist()
    rels = _raw(z, "_rels/.rels") if "_rels/.rels" in names else b""
    if _STRICT in rels:
        raise IngestError("a Strict Open XML document: save it as a Word Document (.docx) and send that")
    m = _OFFICE_DOCUMENT.search(rels)
    main = (m.group(1) or m.group(2)).decode("utf-8", "replace").lstrip("/") if m else "word/document.xml"
    if main not in names:
        raise IngestError(f"not a Word document (a ZIP file with no {main})")
    return main


def _raw(z: zipfile.ZipFile, name: str) -> bytes:
    """A part's bytes, unpacked no further than :data:`MAX_PART` (its size as the ZIP says it
    is checked first, and then what it unpacks to), and within :data:`MAX_READ` in all."""
    try:
        info = z.getinfo(name)
    except KeyError:
        raise IngestError(f"not a Word document (no {name})") from None
    if info.file_size > MAX_PART:
        raise IngestError(f"Word document too large ({name} is {size_text(info.file_size)} unpacked)")
    with z.open(info) as f:
        raw = f.read(MAX_PART + 1)
    if len(raw) > MAX_PART:
        raise IngestError(f"Word document too large ({name} unpacks to more than {size_text(MAX_PART)})")
    if isinstance(z, _Package):
        z.unpacked += len(raw)
        if z.unpacked > MAX_READ:
            raise IngestError(
                f"Word document too large (its parts unpack to more than {size_text(MAX_READ)})"
            )
    return raw


def _part(z: zipfile.ZipFile, name: str) -> etree._Element:
    raw = _raw(z, name)
    if b"<!DOCTYPE" in raw[:4096] or b"<!ENTITY" in raw[:65536]:
        raise IngestError(f"not a Word document apforms reads ({name} declares a DTD or entities)")
    return etree.fromstring(raw, _PARSER)


def _properties(z: zipfile.ZipFile) -> tuple[str, str] | None:
    if marks.CUSTOM_PART not in z.namelist():
        return None
    root = _part(z, marks.CUSTOM_PART)
    props: dict[str, str] = {}
    for prop in root.iter(_CUSTOM_NS + "property"):
        props[prop.get("name") or ""] = "".join(prop.itertext()).strip()
    document, version = props.get(marks.PROPERTY_DOCUMENT), props.get(marks.PROPERTY_VERSION)
    if not document or not version or not re.fullmatch(r"[a-z][a-z0-9-]*", document):
        return None
    if not re.fullmatch(r"\d+(?:\.\d+)*", version):
        return None
    return document, version


def _older_apforms(z: zipfile.ZipFile) -> bool:
    """A form rendered before answers were marked: its core properties name its template."""
    try:
        core = _part(z, "docProps/core.xml")
    except IngestError:
        return False
    return "Template for apforms document" in "".join(core.itertext())


def _style_names(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for st in root.iter(W + "style"):
        name = st.find(W + "name")
        if name is not None:
            out[st.get(W + "styleId") or ""] = name.get(W + "val") or ""
    return out


# --------------------------------------------------------------------------- the marks


@lru_cache(maxsize=32)
def _slots(definition: Definition) -> dict[str, _Slot]:
    """Every mark a form of this definition can carry, by its key (kind and hash)."""
    out: dict[str, _Slot] = {}

    def walk(fields: tuple[Field, ...], tables: tuple[Field, ...]) -> None:
        for f in fields:
            control = type_of(f).control(f)
            if control == Control.TABLE:
                for kind in (marks.GRID, marks.CARD):
                    out[marks.mark(kind, f.path)] = _Slot(kind, f, None, tables)
                walk(f.fields, (*tables, f))
            elif f.fields:
                walk(f.fields, tables)
            else:
                for kind in (marks.VALUE, marks.BOX):
                    out[marks.mark(kind, f.path)] = _Slot(kind, f, None, tables)
                for o in present.options_of(f):
                    out[marks.mark(marks.BOX, f.path, o.value)] = _Slot(marks.BOX, f, o.value, tables)

    for s in definition.sections:
        walk(s.fields, ())
    out[marks.mark(marks.OTHER, "la_contact")] = _Slot(marks.OTHER, definition.sections[0], None, ())
    return out


@lru_cache(maxsize=32)
def _prose_fields(definition: Definition) -> dict[str, Field]:
    return {marks.answer_style(f.path): f for f in definition.walk() if f.prose}


def _read(definition: Definition, body: etree._Element, styles: dict[str, str]) -> _Read:
    slots = _slots(definition)
    read = _Read(definition)
    for bm in list(body.iter(W + "bookmarkStart")):
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        if not m:
            continue
        key = m.group(1)
        slot = slots.get(key)
        if slot is None:
            continue
        p = _ancestor(bm, "p")
        if slot.kind == marks.OTHER:
            if p is not None:
                read.claimed.add(p)
            continue
        if slot.kind == marks.CARD:
            _start_card(read, slot)
            read.found[(_scope(read, slot), key)] += 1
            if p is not None:
                read.claimed.add(p)
            continue
        path = _concrete(read, slot)
        if path is None:
            continue
        read.found[(_scope(read, slot), key + (m.group(2) or "") + (m.group(3) or ""))] += 1
        if slot.kind == marks.GRID:
            _grid(read, slot, bm, path)
            continue
        col = int(m.group(2)) if m.group(2) is not None else None
        target = _target(bm, col, int(m.group(3) or 0)) if col is not None else None
        if col is not None and target is None:
            read.warnings.append(
                f"{_label(slot.field, path)}: the table around its label was changed (a cell merged, "
                "split or deleted); it was not read"
            )
            continue
        if slot.kind == marks.BOX:
            _box(read, slot, bm, p, target, path)
        elif target is not None:
            if target in read.claimed:
                continue  # a list's items: one answer
            read.claimed.add(target)
            _cell_value(read, slot.field, target, path)
    _prose(read, body, styles)
    return read


def _ancestor(el: etree._Element, tag: str) -> etree._Element | None:
    node = el.getparent()
    while node is not None:
        if node.tag == W + tag:
            return node
        node = node.getparent()
    return None


def _target(bm: etree._Element, col: int, rows: int) -> etree._Element | None:
    """The cell a mark on a label points at: cell ``col`` of its row, ``rows`` rows below."""
    tr = _ancestor(bm, "tr")
    for _ in range(rows):
        tr = tr.getnext() if tr is not None else None
        while tr is not None and tr.tag != W + "tr":
            tr = tr.getnext()
    if tr is None:
        return None
    cells = tr.findall(W + "tc")
    if col >= len(cells):
        return None
    cell = cells[col]
    merged = cell.find(f"{W}tcPr/{W}vMerge")
    if merged is not None and merged.get(W + "val") != "restart":
        return None  # merged with the cell above: the answer's cell is not its own
    if any(marks.NAME_RE.fullmatch(b.get(W + "name") or "") for b in cell.iter(W + "bookmarkStart")):
        own = _ancestor(bm, "tc")
        if own is not cell:
            return None  # another answer's label was merged into it
    return cell


def _scope(read: _Read, slot: _Slot) -> tuple[Any, ...]:
    """Where a mark is expected once: the form, or the card of its innermost table."""
    if not slot.tables:
        return ()
    table = slot.tables[-1] if slot.kind != marks.CARD else slot.field
    outer = tuple(read.rows.get(t.path, -1) for t in slot.tables)
    if slot.kind == marks.CARD:  # the tables around the card's table
        return (table.path, outer, read.rows.get(table.path, -1))
    return (table.path, outer[:-1], read.rows.get(table.path, -1))


def _start_card(read: _Read, slot: _Slot) -> None:
    outer = tuple(read.rows.get(t.path, -1) for t in slot.tables)
    key = (slot.field.path, outer)
    n = read.counters.get(key, 0)
    read.counters[key] = n + 1
    read.rows[slot.field.path] = n
    read.cards.append((slot.field.path, outer, n))
    for inner in list(read.rows):  # a new card starts its own cards' and grids' counting
        if inner != slot.field.path and inner.startswith(slot.field.path + "[]"):
            del read.rows[inner]


def _concrete(read: _Read, slot: _Slot) -> Path | None:
    """The data path of a slot at the current rows of its tables (cards)."""
    parts: list[str | int] = []
    tables = list(slot.tables)
    for seg in slot.field.path.split("."):
        if seg.endswith("[]"):
            parts.append(seg[:-2])
            table = tables.pop(0)
            row = read.rows.get(table.path)
            if row is None:
                if slot.kind == marks.GRID and not tables and seg[:-2] == slot.field.key:
                    return tuple(parts)
                read.warnings.append(
                    f"{slot.field.label} ({slot.field.path.replace('[]', '')}): found outside its "
                    "table; it was not read"
                )
                return None
            parts.append(row)
        else:
            parts.append(seg)
    return tuple(parts)


def _label(f: Field, path: Path) -> str:
    shown = ".".join(str(p + 1) if isinstance(p, int) else p for p in path)
    return f"{f.label} ({shown})"


# --------------------------------------------------------------------------- text


def _pieces(p: etree._Element) -> list[tuple[etree._Element, str]]:
    """A paragraph as typed, piece by piece in order: (element, its text); breaks as ``\\n``,
    tabs as ``\\t``; deleted and moved-away text, hidden text, a drawing's fallback copy and
    text boxes left out (:data:`_SKIP`)."""
    out: list[tuple[etree._Element, str]] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == W + "r":
                rpr = child.find(W + "rPr")
                if rpr is not None and rpr.find(W + "vanish") is not None:
                    continue
            if tag == W + "t":
                out.append((child, child.text or ""))
            elif tag == W + "tab":
                out.append((child, "\t"))
            elif tag in (W + "br", W + "cr"):
                out.append((child, "\n"))
            elif tag == W + "noBreakHyphen":
                out.append((child, "-"))
            elif tag == W + "sym":
                out.append((child, _symbol(child)))
            elif tag == W + "bookmarkStart":
                out.append((child, ""))
            else:
                walk(child)

    walk(p)
    return out


def _symbol(el: etree._Element) -> str:
    try:
        code = int(el.get(W + "char") or "", 16)
    except ValueError:
        return "\ufffd"
    font = (el.get(W + "font") or "").casefold()
    if font.startswith("wingdings"):
        return _WINGDINGS.get(code, "\ufffd")
    if 0xD800 <= code <= 0xDFFF or 0xE000 <= code <= 0xF8FF or code > 0x10FFFF:
        return "\ufffd"  # a surrogate, or a private symbol of a symbol font
    return chr(code)


def _para_text(p: etree._Element) -> str:
    return "".join(t for _, t in _pieces(p))


def _paragraphs(cell: etree._Element) -> list[etree._Element]:
    """The cell's own paragraphs (not those of a text box or a table inside it)."""
    return [
        q for q in cell.iter(W + "p") if _ancestor(q, "tc") is cell and _ancestor(q, "txbxContent") is None
    ]


def _unsure(read: _Read, where: etree._Element, label: str) -> None:
    """Name an answer holding what is not read as a person sees it (tracked changes …)."""
    seen = sorted({why for el in where.iter() if isinstance(el.tag, str) and (why := _UNSURE.get(el.tag))})
    if seen:
        read.warnings.append(
            f"{label}: the answer holds {', '.join(seen)}; check it against the returned form"
        )


def _cell_value(read: _Read, f: Field, cell: etree._Element, path: Path) -> None:
    control = type_of(f).control(f)
    paragraphs = _paragraphs(cell)
    _unsure(read, cell, _label(f, path))
    texts = [_para_text(p) for p in paragraphs]
    if control == Control.LIST:
        items = [t.strip() for t in texts if t.strip()]
        if items:
            _put(read, f, path, items)
        return
    if control in (Control.TICK, Control.BOXES):  # a grid's cell: boxes and their labels
        _boxes_by_label(read, f, paragraphs, path)
        return
    text = "\n".join(texts).strip()
    if not text:
        return
    _put(
        read, f, path, option_value(f, text) if control == Control.DROPDOWN else type_of(f).from_text(f, text)
    )


def _put(read: _Read, f: Field, path: Path, value: Any) -> None:
    """A value read; one already read there is kept, and both are named."""
    if path in read.values and read.values[path] != value:
        read.warnings.append(
            f"{_label(f, path)}: found twice on the form ('{str(read.values[path])[:40]}' and "
            f"'{str(value)[:40]}'); the first was kept; check it against the returned form"
        )
        return
    read.values[path] = value


def option_value(f: Field, text: str) -> Any:
    """A dropdown's printed text as its option (the code and label, the label or the code)."""
    folded = " ".join(text.split()).casefold()
    for o in present.options_of(f):
        if folded in (present.option_text(f, o).casefold(), o.value.casefold(), o.label.casefold()):
            return (o.value == "yes") if f.type == d.YESNO else o.value
    return type_of(f).from_text(f, text)


def option_label(f: Field, value: str | None) -> str:
    for o in present.options_of(f):
        if o.value == value:
            return o.label
    return f.label if value is None else value


def _box(
    read: _Read,
    slot: _Slot,
    bm: etree._Element,
    p: etree._Element | None,
    target: etree._Element | None,
    path: Path,
) -> None:
    """A box: in the cell ``target`` (a scale's row), or before its label in ``p``."""
    label = option_label(slot.field, slot.option)
    where = (
        f"{_label(slot.field, path)}: the box '{label}'"
        if slot.option is not None
        else _label(slot.field, path)
    )
    if target is not None:
        read.claimed.add(target)
        text = " ".join(_para_text(q) for q in _paragraphs(target)).strip()
        ticked, rest = _mark_of(text)
        extra = rest
    elif p is not None:
        read.claimed.add(p)
        text = _before(read, p, bm)
        ticked, rest = _mark_of(text)
        said = " ".join(rest.split())
        extra = said[len(label) :].strip() if said.casefold().startswith(label.casefold()) else said
        if ticked is not None and extra and not said.casefold().startswith(label.casefold()):
            ticked, extra = None, said
    else:
        return
    if ticked is None:
        shown = f"'{text.strip()[:30]}'" if text.strip() else "nothing"
        read.warnings.append(f"{where} holds {shown}, not ☒ or ☐; it was not read")
    elif extra:
        read.warnings.append(f"{where} has text beside it ('{extra[:60]}'), not read; check it")
    if slot.option is None:
        if ticked is not None:
            _put(read, slot.field, path, ticked)
        return
    read.boxes.setdefault(path, {})[slot.option] = ticked


def _before(read: _Read, p: etree._Element, bm: etree._Element) -> str:
    """The text of ``p`` between the mark before ``bm`` (or the start) and ``bm``: a box and
    its label (every mark's, in one pass over the paragraph)."""
    segments = read.segments.get(p)
    if segments is None:
        segments = read.segments[p] = {}
        text: list[str] = []
        for el, piece in _pieces(p):
            if el.tag == W + "bookmarkStart" and marks.NAME_RE.fullmatch(el.get(W + "name") or ""):
                segments[el] = "".join(text)
                text = []
                continue
            text.append(piece)
    return segments.get(bm, "")


def _mark_of(text: str) -> tuple[bool | None, str]:
    """Whether the box at the start of ``text`` is ticked (``None``: no box), and the rest."""
    s = text.lstrip()
    if not s:
        return None, ""
    c, nxt = s[0], s[1:2]
    if nxt and nxt.isalnum():  # the box was deleted: a word's first letter is not a tick
        return None, s
    if c in TICKED:
        return True, s[1:].strip()
    if c in EMPTY:
        return False, s[1:].strip()
    return None, s


def _boxes_by_label(read: _Read, f: Field, paragraphs: list[etree._Element], path: Path) -> None:
    """A grid cell's boxes (no marks in a grid's rows): each box by the label after it."""
    options = present.options_of(f)
    found: dict[str, bool | None] = {}
    leftover: list[str] = []
    for p in paragraphs:
        for m in re.finditer(rf"([{_BOXLIKE}xX])\s+([^{_BOXLIKE}]*)|([^{_BOXLIKE}]+)", _para_text(p)):
            if m.group(3):
                if m.group(3).strip():
                    leftover.append(m.group(3).strip())
                continue
            ticked = m.group(1) in TICKED
            label = " ".join(m.group(2).split())
            if not options:
                found[""] = ticked
                if label:
                    leftover.append(label)
                continue
            match = next((o for o in options if label.casefold() == o.label.casefold()), None)
            if match is None:
                leftover.append(f"{m.group(1)} {label}")
            else:
                found[match.value] = ticked
    if leftover:
        read.warnings.append(
            f"{_label(f, path)}: the cell holds text that is not a box and its option "
            f"('{'; '.join(leftover)[:60]}'); check it"
        )
    if not options:
        if found.get(""):
            _put(read, f, path, True)
        return
    if len(found) < len(options) and any(_para_text(p).strip() for p in paragraphs):
        read.warnings.append(f"{_label(f, path)}: not every box could be matched to its option; check it")
    read.boxes[path] = found


def _prose(read: _Read, body: etree._Element, styles: dict[str, str]) -> None:
    """Answers printed as paragraphs: the paragraphs in each one's own style."""
    fields = _prose_fields(read.definition)
    runs: dict[str, list[list[etree._Element]]] = {}
    last: str | None = None
    for p in body.iter(W + "p"):
        ps = p.find(f"{W}pPr/{W}pStyle")
        sid = ps.get(W + "val") if ps is not None else ""
        name = styles.get(sid or "", sid or "")
        if name in fields and p.getparent() is not None and p.getparent().tag == W + "body":
            if name != last:
                runs.setdefault(name, []).append([])
            runs[name][-1].append(p)
            read.claimed.add(p)
            last = name
        else:
            last = None
    for name, f in fields.items():
        groups = runs.get(name, [])
        path: Path = tuple(f.path.split("."))
        read.found[((), "prose:" + f.path)] += len(groups)
        if len(groups) > 1:
            read.warnings.append(
                f"{f.label} ({f.path}): its paragraphs are in {len(groups)} places on the form; "
                "all were read, in order; check it"
            )
        paragraphs = [p for g in groups for p in g]
        for p in paragraphs:
            _unsure(read, p, f"{f.label} ({f.path})")
        texts = [_para_text(p) for p in paragraphs]
        if type_of(f).control(f) == Control.LIST:
            items = [t.strip() for t in texts if t.strip()]
            if items:
                read.values[path] = items
        else:
            text = "\n".join(texts).strip()
            if text:
                read.values[path] = type_of(f).from_text(f, text)


def _grid(read: _Read, slot: _Slot, bm: etree._Element, path: Path) -> None:
    header, table = _ancestor(bm, "tr"), _ancestor(bm, "tbl")
    if header is None or table is None:
        return
    columns = slot.field.fields
    shown = _label(slot.field, path)
    n = 0
    for tr in header.itersiblings(W + "tr"):
        cells = tr.findall(W + "tc")
        for tc in cells:
            read.claimed.add(tc)
        texts = [" ".join(_para_text(p) for p in _paragraphs(tc)).strip() for tc in cells]
        if not any(t and not set(t) <= EMPTY | {" "} for t in texts):
            continue  # an empty row (its boxes, if any, all empty)
        row_path = (*path, n)
        if len(cells) != len(columns) or any(tc.find(f"{W}tcPr/{W}vMerge") is not None for tc in cells):
            said = " | ".join(t for t in texts if t)[:80]
            read.warnings.append(
                f"{shown}: row {n + 1} has {len(cells)} cells or merged ones, the table "
                f"{len(columns)} columns ('{said}'); it was not read"
            )
            n += 1
            continue
        for tc, col in zip(cells, columns, strict=True):
            _cell_value(read, col, tc, (*row_path, col.key))
        n += 1


# --------------------------------------------------------------------------- what must be there


@lru_cache(maxsize=32)
def _blank(definition: Definition) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """What a blank form of this definition prints (every paragraph's text but its answers'),
    and the marks it carries: (scope table path or "", mark key with its place)."""
    from apforms.formats.docx.compile import render_docx

    blank = render_docx(definition, {})
    with zipfile.ZipFile(io.BytesIO(blank)) as z:
        body = _part(z, "word/document.xml")
    slots = _slots(definition)
    expected: set[tuple[str, str]] = set()
    for bm in body.iter(W + "bookmarkStart"):
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        slot = slots.get(m.group(1)) if m else None
        if m is None or slot is None or slot.kind == marks.OTHER:
            continue
        scope = slot.field.path if slot.kind == marks.CARD else (slot.tables[-1].path if slot.tables else "")
        place = "" if slot.kind == marks.CARD else (m.group(2) or "") + (m.group(3) or "")
        expected.add((scope, m.group(1) + place))
    for f in _prose_fields(definition).values():
        expected.add(("", "prose:" + f.path))
    printed = frozenset(" ".join(_para_text(p).split()) for p in body.iter(W + "p"))
    return printed, frozenset(expected)


def _missing_marks(definition: Definition, read: _Read) -> None:
    """Name every answer whose mark the blank form has and the return lacks, and every one
    found more than once (card by card for a card's answers)."""
    _, expected = _blank(definition)
    slots = _slots(definition)
    scopes: list[tuple[Any, ...]] = [()] + [(t, outer, n) for t, outer, n in read.cards]
    for scope in scopes:
        table = scope[0] if scope else ""
        for exp_scope, key in sorted(expected):
            if exp_scope != table or (table and key[:11] == marks.mark(marks.CARD, table)):
                continue
            count = read.found.get((scope, key), 0)
            if count == 1:
                continue
            if key.startswith("prose:"):
                if count == 0:
                    path = key[6:]
                    f = definition.field_at(path)
                    read.warnings.append(
                        f"{f.label} ({path}): its paragraphs were not found on the returned form "
                        "(their style was changed?); it was not read; check the returned form"
                    )
                continue
            slot = slots[key[:11]]
            where = f"{slot.field.label} ({_where(slot, scope)})"
            option = f" (box '{option_label(slot.field, slot.option)}')" if slot.option is not None else ""
            if count == 0:
                read.warnings.append(
                    f"{where}{option}: its place on the form was not found (its label or box edited "
                    "away?); it was not read; check the returned form"
                )
            else:
                read.warnings.append(f"{where}{option}: found {count} times on the form; check it")


def _where(slot: _Slot, scope: tuple[Any, ...]) -> str:
    path = slot.field.path
    if scope:  # the card's row, counted from 1
        head, _, tail = path.partition("[]")
        return f"{head}.{scope[2] + 1}{tail}".replace("[]", "")
    return path.replace("[]", "")


# --------------------------------------------------------------------------- into record data


def _data(read: _Read) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, value in read.values.items():
        put(data, path, value)
    fields = {s.field.path: s.field for s in _slots(read.definition).values()}
    for path, boxes in read.boxes.items():
        f = fields.get(field_path(path))
        if f is None:
            continue
        value, doubt = chosen(f, boxes)
        if doubt:
            read.warnings.append(f"{_label(f, path)}: {doubt}")
        elif value is not None:
            put(data, path, value)
    out: dict[str, Any] = as_lists(data)
    return out


def chosen(f: Field, boxes: dict[str, bool | None]) -> tuple[Any, str | None]:
    """A choice's value from its boxes (ticked or not, by option): the options of a multiple
    choice, else the one ticked (``None``: none); or why none is taken (more than one)."""
    ticked = [o.value for o in present.options_of(f) if boxes.get(o.value)]
    if f.type == MULTICHOICE:
        return (ticked or None), None
    if len(ticked) > 1:
        labels = ", ".join(option_label(f, v) for v in ticked)
        return None, f"more than one box is ticked ({labels}); none was taken"
    if not ticked:
        return None, None
    return (ticked[0] == "yes" if f.type == d.YESNO else ticked[0]), None


# --------------------------------------------------------------------------- text read nowhere


def _unread_text(definition: Definition, body: etree._Element, read: _Read) -> list[str]:
    """Warnings for text in the body that no field read and the blank form does not print,
    named after the answer whose label is before it."""
    printed, _ = _blank(definition)
    slots = _slots(definition)
    out: list[str] = []
    first = next(f for f in definition.walk() if f.is_leaf)
    last = f"{first.label} ({first.path})"  # text before the first answer: named after it
    claimed = _claimed_paragraphs(read.claimed)
    extra = 0
    for p in body.iter(W + "p"):
        for bm in p.iter(W + "bookmarkStart"):
            m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
            slot = slots.get(m.group(1)) if m else None
            if slot is not None and slot.kind != marks.OTHER:
                last = f"{slot.field.label} ({slot.field.path.replace('[]', '')})"
        if p in claimed or _ancestor(p, "txbxContent") is not None:
            continue
        text = " ".join(_para_text(p).split())
        in_answer = _ancestor(p, "tc") is not None and any(c in text for c in "☒☑✓✔")
        if text and (text not in printed or in_answer):
            if len(out) < MAX_UNREAD:
                said = f"text after this answer is in no field of the form ('{text[:80]}')"
                out.append(f"{last}: {said}; it was not read")
            else:
                extra += 1
    if extra:
        out.append(
            f"{last}: and {extra} more paragraph(s) of text in no field of the form; check the returned form"
        )
    return out


def _claimed_paragraphs(claimed: set[etree._Element]) -> set[etree._Element]:
    out: set[etree._Element] = set()
    for el in claimed:
        out.add(el)
        out.update(el.iter(W + "p"))
    return out


def _header_text(definition: Definition, parts: list[tuple[str, etree._Element]]) -> list[str]:
    """Text typed into a page header or footer (the form prints the council's name in the
    header's one paragraph, and its title, version and page numbers in the footer's)."""
    first = next(f for f in definition.walk() if f.is_leaf)
    footer = re.compile(r".* · version [\d.]+\s*Page \d+ of \d+")
    out: list[str] = []
    for name, part in parts:
        for i, p in enumerate(part.iter(W + "p")):
            text = " ".join(_para_text(p).split())
            printed = (i == 0 and "header" in name) or ("footer" in name and footer.fullmatch(text))
            if text and not printed and len(out) < 3:
                out.append(
                    f"{first.label} ({first.path}): text typed in a page header or footer "
                    f"('{text[:60]}') is in no field of the form; it was not read"
                )
    return out


__all__ = ["ZIP_MAGIC", "identify_docx", "ingest_docx"]

"""Reading a returned Word form: a .docx rendered by apforms, filled in Word or LibreOffice.

The form says which document and definition version it is in its custom properties, and
every answer is found again by the hidden bookmark the template put beside it (see
:mod:`apforms.formats.docx.marks`), walked in document order:

- an answer in a table cell is the whole text of that cell (its paragraphs, line breaks and
  tabs), a list's items its non-empty paragraphs; a dropdown's text is matched to its option;
- a tick box is the mark that follows its bookmark: ``☒ ☑ ✓ ✔ ✗ ✘ X`` ticked, ``☐`` not,
  anything else is named in a warning and not guessed;
- a grid's rows are the table rows after its header row, so rows added or deleted in Word
  are read as they are, and empty rows are dropped;
- a card (a block per table row) starts at its caption; the answers after it are that row's;
- an answer printed as paragraphs (prose) runs over the paragraphs of its own style.

Nothing typed is dropped silently: text in the body that is neither read into a field nor
printed on the blank form (an answer typed outside its box, a card copied in Word, whose
copy has no bookmarks) is named in a warning, after the field it follows, so that the
record needs review. A .docx without apforms' properties is refused in one line.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lxml import etree

from apforms import present
from apforms.errors import IngestError
from apforms.formats.docx import marks
from apforms.formats.docx.build import ANSWER
from apforms.formats.docx.marks import W
from apforms.formats.result import METHOD_WORD, IngestResult, definition_for, ingest_result
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field
from apforms.model.types import MULTICHOICE, Control, type_of

#: The largest part of a .docx that is read (uncompressed): far above any form's.
MAX_PART = 64 * 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"

#: What a ticked box may have been turned into in Word (Wingdings ticks and crosses too).
TICKED = frozenset("☒☑✓✔✗✘xX\uf0fe\uf0fd\uf0fc\uf0fb")
EMPTY = frozenset("☐□\uf0a8\uf06f")

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
_CUSTOM_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_MAIN_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


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
    values: dict[tuple[str | int, ...], Any] = field(default_factory=dict)
    boxes: dict[tuple[str | int, ...], dict[str, bool | None]] = field(default_factory=dict)
    claimed: set[etree._Element] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    #: The current row of each table by path (cards), and the next row to start.
    rows: dict[str, int] = field(default_factory=dict)
    counters: dict[tuple[str, tuple[int, ...]], int] = field(default_factory=dict)
    last_label: str = ""


def identify_docx(data: bytes) -> tuple[str, str] | None:
    """(document id, definition version) of a Word form made by apforms; ``None`` otherwise."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return _properties(z)
    except (zipfile.BadZipFile, OSError, ValueError, etree.XMLSyntaxError, IngestError):
        return None


def ingest_docx(data: bytes, source: str) -> IngestResult:
    """Read a returned Word form into a validated record; IngestError if refused."""
    warnings: list[str] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            if "word/document.xml" not in z.namelist():
                raise IngestError("not a Word document (a ZIP file with no word/document.xml)")
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
            body = _part(z, "word/document.xml")
            styles = _style_names(_part(z, "word/styles.xml")) if "word/styles.xml" in z.namelist() else {}
    except zipfile.BadZipFile:
        raise IngestError("not a Word document (a damaged or foreign ZIP file)") from None
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"damaged Word document ({str(exc)[:120]})") from None
    document, version = found
    definition = definition_for(document, version, warnings)
    read = _read(definition, body, styles)
    data_read = _data(read)
    warnings += read.warnings
    warnings += _unread_text(definition, body, read)
    provenance = {
        "source": source,
        "sha256": hashlib.sha256(data).hexdigest(),
        "form_version": version,
        "identified_by": "properties",
    }
    return ingest_result(definition, data_read, warnings, METHOD_WORD, version, provenance)


# --------------------------------------------------------------------------- the package


def _part(z: zipfile.ZipFile, name: str) -> etree._Element:
    try:
        info = z.getinfo(name)
    except KeyError:
        raise IngestError(f"not a Word document (no {name})") from None
    if info.file_size > MAX_PART:
        raise IngestError(
            f"Word document too large ({name} is {info.file_size // (1024 * 1024)} MB unpacked)"
        )
    with z.open(info) as f:
        raw = f.read(MAX_PART + 1)
    if len(raw) > MAX_PART:
        raise IngestError(
            f"Word document too large ({name} unpacks to more than {MAX_PART // (1024 * 1024)} MB)"
        )
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
    """Every mark a form of this definition can carry, by name."""
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
                for kind in (marks.VALUE, marks.PROSE, marks.BOX):
                    out[marks.mark(kind, f.path)] = _Slot(kind, f, None, tables)
                for o in present.options_of(f):
                    out[marks.mark(marks.BOX, f.path, o.value)] = _Slot(marks.BOX, f, o.value, tables)

    for s in definition.sections:
        walk(s.fields, ())
    out[marks.mark(marks.OTHER, "la_contact")] = _Slot(marks.OTHER, definition.sections[0], None, ())
    return out


def _read(definition: Definition, body: etree._Element, styles: dict[str, str]) -> _Read:
    slots = _slots(definition)
    read = _Read(definition)
    seen: set[str] = set()
    for bm in list(body.iter(W + "bookmarkStart")):
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        if not m:
            continue
        slot = slots.get(m.group(1))
        if slot is None:
            continue
        p = _ancestor(bm, "p")
        if slot.kind == marks.OTHER:
            if p is not None:
                read.claimed.add(p)
            continue
        if slot.kind == marks.CARD:
            _start_card(read, slot)
            if p is not None:
                read.claimed.add(p)
            continue
        path = _concrete(read, slot)
        if path is None:
            continue
        if slot.kind == marks.GRID:
            _grid(read, slot, bm, path)
        elif slot.kind == marks.BOX:
            _box(read, slot, bm, p, path)
        elif slot.kind == marks.PROSE:
            key = repr(path)
            if key not in seen and p is not None:
                seen.add(key)
                _prose(read, slot, p, path, styles)
        else:
            cell = _ancestor(bm, "tc")
            where = cell if cell is not None else p
            if where is None or where in read.claimed:
                continue
            read.claimed.add(where)
            _cell_value(read, slot.field, list(where.iter(W + "p")), path)
        read.last_label = _label(slot.field, path)
    return read


def _ancestor(el: etree._Element, tag: str) -> etree._Element | None:
    node = el.getparent()
    while node is not None:
        if node.tag == W + tag:
            return node
        node = node.getparent()
    return None


def _start_card(read: _Read, slot: _Slot) -> None:
    outer = tuple(read.rows.get(t.path, 0) for t in slot.tables)
    key = (slot.field.path, outer)
    n = read.counters.get(key, 0)
    read.counters[key] = n + 1
    read.rows[slot.field.path] = n
    for inner in list(read.rows):  # a new card starts its own cards' and grids' counting
        if inner != slot.field.path and inner.startswith(slot.field.path + "[]"):
            del read.rows[inner]


def _concrete(read: _Read, slot: _Slot) -> tuple[str | int, ...] | None:
    """The data path of a slot at the current rows of its tables (cards)."""
    parts: list[str | int] = []
    segments = slot.field.path.split(".")
    tables = list(slot.tables)
    for seg in segments:
        if seg.endswith("[]"):
            parts.append(seg[:-2])
            table = tables.pop(0)
            row = read.rows.get(table.path)
            if row is None:
                if slot.kind == marks.GRID and not tables and seg[:-2] == slot.field.key:
                    return tuple(parts)
                read.warnings.append(
                    f"{slot.field.label} ({slot.field.path}): found outside its table; not read"
                )
                return None
            parts.append(row)
        else:
            parts.append(seg)
    if slot.kind == marks.GRID:  # the path of the table itself
        return tuple(parts)
    return tuple(parts)


def _label(f: Field, path: tuple[str | int, ...]) -> str:
    shown = ".".join(str(p + 1) if isinstance(p, int) else p for p in path)
    return f"{f.label} ({shown})"


# --------------------------------------------------------------------------- text


def _para_text(p: etree._Element, after: etree._Element | None = None) -> str:
    """The text of a paragraph as typed (breaks as ``\\n``, tabs as ``\\t``; deleted text of
    tracked changes left out), from ``after`` (an element inside it) on."""
    out: list[str] = []
    started = after is None
    for el in p.iter():
        if not started:
            started = el is after
            continue
        tag = el.tag
        if tag == W + "t":
            out.append(el.text or "")
        elif tag == W + "tab":
            out.append("\t")
        elif tag in (W + "br", W + "cr"):
            out.append("\n")
        elif tag == W + "noBreakHyphen":
            out.append("-")
        elif tag == W + "sym":
            try:
                out.append(chr(int(el.get(W + "char") or "", 16)))
            except ValueError:
                out.append("\ufffd")
    return "".join(out)


def _cell_value(read: _Read, f: Field, paragraphs: list[etree._Element], path: tuple[str | int, ...]) -> None:
    control = type_of(f).control(f)
    texts = [_para_text(p) for p in paragraphs]
    if control == Control.LIST:
        items = [t.strip() for t in texts if t.strip()]
        if items:
            read.values[path] = items
        return
    if control in (Control.TICK, Control.BOXES):  # a grid's cell: boxes and their labels
        _boxes_by_label(read, f, paragraphs, path)
        return
    text = "\n".join(texts).strip()
    if not text:
        return
    if control == Control.DROPDOWN:
        read.values[path] = _option(f, text)
    else:
        read.values[path] = type_of(f).from_text(f, text)


def _option(f: Field, text: str) -> Any:
    """A dropdown's printed text as its option (the code and label, the label or the code)."""
    folded = " ".join(text.split()).casefold()
    for o in present.options_of(f):
        if folded in (present.option_text(f, o).casefold(), o.value.casefold(), o.label.casefold()):
            return (o.value == "yes") if f.type == d.YESNO else o.value
    return type_of(f).from_text(f, text)


def _mark_after(p: etree._Element, bm: etree._Element | None) -> tuple[bool | None, str]:
    """Whether the box after ``bm`` in ``p`` is ticked (``None``: not a box), and what it is."""
    text = _para_text(p, bm).lstrip()
    if not text:
        return None, ""
    c, rest = text[0], text[1:2]
    if rest and rest.isalnum():  # the box was deleted: a word's first letter is not a tick
        return None, text.split()[0][:20]
    if c in TICKED:
        return True, c
    if c in EMPTY:
        return False, c
    return None, c


def _box(
    read: _Read, slot: _Slot, bm: etree._Element, p: etree._Element | None, path: tuple[str | int, ...]
) -> None:
    if p is None:
        return
    read.claimed.add(p)
    ticked, seen = _mark_after(p, bm)
    if ticked is None:
        what = f"'{seen}'" if seen else "nothing"
        option = f" '{_option_label(slot.field, slot.option)}'" if slot.option is not None else ""
        read.warnings.append(
            f"{_label(slot.field, path)}: the{option} box holds {what}, not ☒ or ☐; it was not read"
        )
    if slot.option is None:
        if ticked:
            read.values[path] = True
        return
    read.boxes.setdefault(path, {})[slot.option] = ticked


def _option_label(f: Field, value: str) -> str:
    for o in present.options_of(f):
        if o.value == value:
            return o.label
    return value


def _boxes_by_label(
    read: _Read, f: Field, paragraphs: list[etree._Element], path: tuple[str | int, ...]
) -> None:
    """A grid cell's boxes (no bookmarks in a grid's rows): each box by the label after it."""
    options = present.options_of(f)
    found: dict[str, bool | None] = {}
    for p in paragraphs:
        text = _para_text(p)
        for m in re.finditer(r"(\S)\s*([^☐☒☑✓✔✗✘\uf000-\uf0ff]*)", text):
            ticked = True if m.group(1) in TICKED else False if m.group(1) in EMPTY else None
            label = " ".join(m.group(2).split()).casefold()
            if ticked is None:
                continue
            if not options:  # a tick box alone
                found[""] = ticked
                continue
            for o in options:
                if label == o.label.casefold():
                    found[o.value] = ticked
    if not options:
        if found.get(""):
            read.values[path] = True
        return
    if len(found) < len(options) and any(_para_text(p).strip() for p in paragraphs):
        read.warnings.append(f"{_label(f, path)}: not every box could be matched to its option; check it")
    read.boxes[path] = found


def _prose(
    read: _Read, slot: _Slot, p: etree._Element, path: tuple[str | int, ...], styles: dict[str, str]
) -> None:
    paragraphs = [p]
    own = marks.mark(marks.PROSE, slot.field.path)
    node = p.getnext()
    while (
        node is not None and node.tag == W + "p" and _style(node, styles) == ANSWER and not _marked(node, own)
    ):
        paragraphs.append(node)
        node = node.getnext()
    read.claimed.update(paragraphs)
    texts = [_para_text(q) for q in paragraphs]
    if type_of(slot.field).control(slot.field) == Control.LIST:
        items = [t.strip() for t in texts if t.strip()]
        if items:
            read.values[path] = items
    else:
        text = "\n".join(texts).strip()
        if text:
            read.values[path] = type_of(slot.field).from_text(slot.field, text)


def _marked(p: etree._Element, own: str) -> bool:
    """Whether a paragraph holds another answer's mark (where the next answer starts)."""
    for bm in p.iter(W + "bookmarkStart"):
        m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
        if m and m.group(1) != own:
            return True
    return False


def _style(p: etree._Element, styles: dict[str, str]) -> str:
    ps = p.find(f"{W}pPr/{W}pStyle")
    sid = ps.get(W + "val") if ps is not None else ""
    return styles.get(sid or "", sid or "")


def _grid(read: _Read, slot: _Slot, bm: etree._Element, path: tuple[str | int, ...]) -> None:
    header, table = _ancestor(bm, "tr"), _ancestor(bm, "tbl")
    if header is None or table is None:
        return
    columns = slot.field.fields
    n = 0
    for tr in header.itersiblings(W + "tr"):
        cells = tr.findall(W + "tc")
        for tc in cells:
            read.claimed.add(tc)
        texts = [" ".join(_para_text(p) for p in tc.iter(W + "p")).strip() for tc in cells]
        if not any(t and not set(t) <= EMPTY | {" "} for t in texts):
            continue  # an empty row (its boxes, if any, all empty)
        row_path = (*path, n)
        if len(cells) != len(columns):
            shown = " | ".join(t for t in texts if t)[:80]
            read.warnings.append(
                f"{slot.field.label} ({'.'.join(str(p) for p in path)}): a row has {len(cells)} cells, "
                f"the table {len(columns)} columns ('{shown}'); it was not read"
            )
            continue
        for tc, col in zip(cells, columns, strict=True):
            _cell_value(read, col, list(tc.iter(W + "p")), (*row_path, col.key))
        n += 1
    read.last_label = f"{slot.field.label} ({'.'.join(str(p) for p in path)})"


# --------------------------------------------------------------------------- into record data


def _data(read: _Read) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path, value in read.values.items():
        _set(data, path, value)
    slots = {s.field.path: s.field for s in _slots(read.definition).values()}
    for path, boxes in read.boxes.items():
        f = slots.get(_field_path(path))
        if f is None:
            continue
        ticked = [o.value for o in present.options_of(f) if boxes.get(o.value)]
        if f.type == MULTICHOICE:
            if ticked:
                _set(data, path, ticked)
        elif len(ticked) > 1:
            labels = ", ".join(_option_label(f, v) for v in ticked)
            read.warnings.append(f"{_label(f, path)}: more than one box is ticked ({labels}); none was taken")
        elif ticked:
            _set(data, path, ticked[0] == "yes" if f.type == d.YESNO else ticked[0])
    out: dict[str, Any] = _lists(data)
    return out


def _field_path(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += "[]"
        else:
            out += ("." if out else "") + p
    return out


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(isinstance(k, int) for k in node):
            return [_lists(node[k]) for k in sorted(node)]
        return {k: _lists(v) for k, v in node.items()}
    return node


# --------------------------------------------------------------------------- text read nowhere


def _unread_text(definition: Definition, body: etree._Element, read: _Read) -> list[str]:
    """Warnings for text in the body that no field read and the blank form does not print."""
    printed = _printed(definition)
    out: list[str] = []
    first = next(f for f in definition.walk() if f.is_leaf)
    last = f"{first.label} ({first.path})"  # text before the first answer: named after it
    claimed = _claimed_paragraphs(read.claimed)
    for p in body.iter(W + "p"):
        for bm in p.iter(W + "bookmarkStart"):
            m = marks.NAME_RE.fullmatch(bm.get(W + "name") or "")
            slot = _slots(definition).get(m.group(1)) if m else None
            if slot is not None and slot.kind != marks.OTHER:
                last = f"{slot.field.label} ({slot.field.path.replace('[]', '')})"
        if p in claimed:
            continue
        text = " ".join(_para_text(p).split())
        if text and text not in printed:
            out.append(
                f"{last}: text after this answer is in no field of the form ('{text[:80]}'); it was not read"
            )
    return out


def _claimed_paragraphs(claimed: set[etree._Element]) -> set[etree._Element]:
    out: set[etree._Element] = set()
    for el in claimed:
        out.add(el)
        out.update(el.iter(W + "p"))
    return out


@lru_cache(maxsize=32)
def _printed(definition: Definition) -> frozenset[str]:
    """The text of every paragraph a blank form of this definition prints, but its answers."""
    from apforms.formats.docx.compile import render_docx

    blank = render_docx(definition, {})
    with zipfile.ZipFile(io.BytesIO(blank)) as z:
        body = _part(z, "word/document.xml")
    return frozenset(" ".join(_para_text(p).split()) for p in body.iter(W + "p"))


__all__ = ["ZIP_MAGIC", "identify_docx", "ingest_docx"]

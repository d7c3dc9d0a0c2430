"""Word output: a record's view (:mod:`apforms.formats.docx.context`) rendered into ``templates/<id>.docx``.

The templates are ordinary docxtpl templates, rendered strictly: Jinja ``StrictUndefined`` (a
tag that names a missing key is an error, not a blank) and ``autoescape`` (``&`` and ``<`` in
a value are text, never markup). Values are data: the view escapes them, and nothing renders
a value as a template.

Plain docxtpl re-opens the .docx, re-parses every part and recompiles the Jinja template for
every document. Here a template is read once per file (and again when it changes): the XML of
its document, headers and footers is patched by docxtpl's own ``patch_xml`` and compiled by
Jinja, the other parts are compressed once. A document is then a Jinja render per templated
part and a zip written around the stored bytes. The post-render steps of docxtpl run only when
a template needs them (column loops or merged cells, images, tabs or breaks in the output).
"""

from __future__ import annotations

import io
import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

from apforms.errors import RenderError
from apforms.formats.docx.context import context
from apforms.formats.docx.logo import with_logo
from apforms.formats.docx.marks import number_bookmarks
from apforms.model.config import FormBrand
from apforms.model.definitions import Definition, data_dir

_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."
#: Parts docxtpl renders as templates (by content type).
TEMPLATED_TYPES = frozenset(
    {
        _CT + "document.main+xml",
        _CT + "template.main+xml",
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        _CT + "header+xml",
        _CT + "footer+xml",
        _CT + "footnotes+xml",
    }
)
CORE_PROPERTIES_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
_TEMPLATE_TAG = re.compile(r"\{[{%]")
# Column loops, spans and cell colours change the column count: docxtpl then fixes the grid.
_NEEDS_TABLE_FIX = re.compile(r"\{[%{]-?\s*tc\s|\{%-?\s*(?:colspan|cellbg|hm)\b")
_LISTING_CHARS = ("\t", "\n", "\a", "\f")
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_COMPRESS_LEVEL = 6
_DOC_PR = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"

#: The one Jinja environment for Word templates: strict and escaping.
ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)

# docxtpl's template clean-up and post-render steps, used as they are (they keep no state).
_DOCXTPL = DocxTemplate(io.BytesIO())


def template_path(doc_id: str) -> Path:
    return data_dir("templates") / f"{doc_id}.docx"


def render_docx(
    definition: Definition,
    data: Mapping[str, Any],
    template: str | os.PathLike[str] | None = None,
    brand: FormBrand | None = None,
) -> bytes:
    """The Word document of canonical ``data`` (already validated; may be partial or empty),
    from ``templates/<id>.docx`` or another ``template`` (e.g. a restyled copy); ``brand``:
    the council's name and LA contact."""
    path = Path(template) if template is not None else template_path(definition.id)
    compiled = compiled_template(path)
    try:
        content = compiled.render(context(definition, data, brand))
        return with_logo(content, brand.logo) if brand is not None and brand.logo else content
    except jinja2.TemplateError as exc:
        raise RenderError(f"{_shown(path)}: {type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------- compiled templates


@dataclass(frozen=True)
class _Part:
    """One zip member: fixed bytes, compressed once, or a compiled template of its XML."""

    name: str
    template: jinja2.Template | None = None
    fix_tables: bool = False  # and drawing ids
    compressed: bytes = b""
    crc: int = 0
    size: int = 0


class CompiledTemplate:
    """A docxtpl template read and compiled once; :meth:`render` makes a document from it."""

    def __init__(self, content: bytes, source: str = "template") -> None:
        self.source = source
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                types = _content_types(z.read("[Content_Types].xml"))
                self.parts = [self._part(z, info.filename, types) for info in z.infolist()]
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, UnicodeDecodeError) as exc:
            raise RenderError(f"{source}: not a Word document ({exc})") from None
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"{source}: template error line {exc.lineno}: {exc.message}") from None

    def _part(self, z: zipfile.ZipFile, name: str, types: Mapping[str, str]) -> _Part:
        data = z.read(name)
        kind = types.get("/" + name, "")
        if kind in TEMPLATED_TYPES:
            source, fix = jinja_source(data)
            return _Part(name, ENV.from_string(source), fix)
        if kind == CORE_PROPERTIES_TYPE and _TEMPLATE_TAG.search(data.decode("utf-8")):
            source = _XML_DECLARATION.sub(b"", data).decode("utf-8")
            return _Part(name, ENV.from_string(source))
        return _Part(name, None, False, _deflate(data), zlib.crc32(data), len(data))

    def render(self, ctx: Mapping[str, Any]) -> bytes:
        members = []
        for part in self.parts:
            if part.template is None:
                members.append((part.name, part.compressed, part.crc, part.size))
                continue
            xml = part.template.render(ctx)
            if part.fix_tables:
                xml = _fix_tables_and_ids(xml)
            xml = number_bookmarks(xml)
            if any(c in xml for c in _LISTING_CHARS):
                xml = _DOCXTPL.resolve_listing(xml)
            data = _DECLARATION + xml.encode("utf-8")
            members.append((part.name, _deflate(data), zlib.crc32(data), len(data)))
        return _zip(members)


def jinja_source(xml: bytes) -> tuple[str, bool]:
    """A templated part's XML as docxtpl makes it a Jinja template, and whether docxtpl's
    post-render repair of tables and drawing ids is needed."""
    root = etree.fromstring(xml)
    text = etree.tostring(root, encoding="unicode")
    fix = bool(_NEEDS_TABLE_FIX.search("".join(root.itertext()))) or "docPr" in text
    return _literal_braces(_DOCXTPL.patch_xml(text)), fix


def template_sources(content: bytes) -> list[tuple[str, str]]:
    """(part name, Jinja source) of every templated part of a .docx, core properties included."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        types = _content_types(z.read("[Content_Types].xml"))
        out = []
        for name in z.namelist():
            kind = types.get("/" + name, "")
            if kind in TEMPLATED_TYPES:
                out.append((name, jinja_source(z.read(name))[0]))
            elif kind == CORE_PROPERTIES_TYPE:
                out.append((name, z.read(name).decode("utf-8")))
        return out


_cache: dict[Path, tuple[tuple[int, int], CompiledTemplate]] = {}
_lock = threading.Lock()


def compiled_template(path: Path) -> CompiledTemplate:
    """The compiled template at ``path``, compiled again only when the file changes."""
    try:
        st = path.stat()
    except OSError:
        raise RenderError(f"no Word template {_shown(path)}; run scripts/build_templates.py") from None
    stamp = (st.st_mtime_ns, st.st_size)
    with _lock:
        hit = _cache.get(path)
    if hit and hit[0] == stamp:
        return hit[1]
    compiled = CompiledTemplate(path.read_bytes(), _shown(path))
    with _lock:
        _cache[path] = (stamp, compiled)
    return compiled


def _fix_tables_and_ids(xml: str) -> str:
    """docxtpl's repair after column loops, and its renumbering of drawing ids."""
    tree = _DOCXTPL.fix_tables(xml)
    for n, elt in enumerate(tree.iter(_DOC_PR), start=1001):
        elt.set("id", str(n))
    text: str = etree.tostring(tree, encoding="unicode")
    return text


def _content_types(xml: bytes) -> dict[str, str]:
    ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    root = etree.fromstring(xml)
    return {o.get("PartName"): o.get("ContentType") for o in root.iter(ns + "Override")}


def _literal_braces(source: str) -> str:
    """docxtpl's escapes for printed braces ({_{ …) as Jinja literals, so that the replacement
    happens in the template only and never inside a value."""
    for escaped, plain in (("{_{", "{{"), ("}_}", "}}"), ("{_%", "{%"), ("%_}", "%}")):
        source = source.replace(escaped, '{{ "' + plain + '" }}')
    return source


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- zip writing

_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, as in the built templates
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(_COMPRESS_LEVEL, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members (name, deflated bytes, CRC-32, size)."""
    out, central = io.BytesIO(), io.BytesIO()
    for name, compressed, crc, size in members:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else 0x800  # bit 11: the name is UTF-8
        common = (flags, 8, 0, _DOS_DATE, crc, len(compressed), size, len(raw))  # 8: deflate
        offset = out.tell()
        out.write(_LOCAL.pack(0x04034B50, 20, *common, 0) + raw + compressed)
        central.write(_CENTRAL.pack(0x02014B50, 20, 20, *common, 0, 0, 0, 0, 0, offset) + raw)
    directory = central.getvalue()
    start = out.tell()
    out.write(directory)
    out.write(_END.pack(0x06054B50, 0, 0, len(members), len(members), len(directory), start, 0))
    return out.getvalue()

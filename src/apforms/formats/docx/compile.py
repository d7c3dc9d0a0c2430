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

What compiling gives (the Python source Jinja generates for each templated part, the other
parts compressed) is kept in the disk cache (:mod:`apforms.cache`, by the template file's
hash), so that a one-shot command neither imports docxtpl and lxml nor parses the template.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from apforms import cache as disk_cache
from apforms.errors import RenderError
from apforms.formats.docx.context import context
from apforms.formats.docx.logo import with_logo
from apforms.formats.docx.marks import number_bookmarks
from apforms.model.config import FormBrand
from apforms.model.definitions import Definition, data_dir

if TYPE_CHECKING:
    from docxtpl import DocxTemplate

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


@cache
def _docxtpl() -> DocxTemplate:
    """docxtpl's template clean-up and post-render steps, used as they are (they keep no
    state); imported when a template is compiled or a render needs them."""
    from docxtpl import DocxTemplate

    return DocxTemplate(io.BytesIO())


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
    python: str = ""  # the template's module as Jinja generates it (for the disk cache)


class CompiledTemplate:
    """A docxtpl template read and compiled once; :meth:`render` makes a document from it."""

    def __init__(self, content: bytes, source: str = "template", parts: list[_Part] | None = None) -> None:
        self.source = source
        if parts is not None:  # read back from the disk cache
            self.parts = parts
            return
        from lxml import etree

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
            python = ENV.compile(source, raw=True)
            return _Part(name, _template(python), fix, python=python)
        if kind == CORE_PROPERTIES_TYPE and _TEMPLATE_TAG.search(data.decode("utf-8")):
            python = ENV.compile(_XML_DECLARATION.sub(b"", data).decode("utf-8"), raw=True)
            return _Part(name, _template(python), python=python)
        return _Part(name, None, False, _deflate(data), zlib.crc32(data), len(data))

    def packed(self) -> bytes:
        """The compiled parts as JSON, for the disk cache."""
        parts = [
            {"name": p.name, "python": p.python, "fix": p.fix_tables}
            if p.template is not None
            else {
                "name": p.name,
                "deflated": base64.b64encode(p.compressed).decode(),
                "crc": p.crc,
                "size": p.size,
            }
            for p in self.parts
        ]
        return disk_cache.json_bytes(parts)

    @classmethod
    def unpacked(cls, packed: bytes, source: str) -> CompiledTemplate:
        """The compiled template :meth:`packed` kept."""
        parts = [
            _Part(p["name"], _template(p["python"]), bool(p["fix"]), python=p["python"])
            if "python" in p
            else _Part(p["name"], None, False, base64.b64decode(p["deflated"]), int(p["crc"]), int(p["size"]))
            for p in json.loads(packed)
        ]
        return cls(b"", source, parts)

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
                xml = _docxtpl().resolve_listing(xml)
            data = _DECLARATION + xml.encode("utf-8")
            members.append((part.name, _deflate(data), zlib.crc32(data), len(data)))
        return _zip(members)


def _template(python: str) -> jinja2.Template:
    """The Jinja template of the module source Jinja generated for it (``ENV.from_string``
    in two steps: the source is what the disk cache keeps)."""
    code = compile(python, "<template>", "exec")
    return ENV.template_class.from_code(ENV, code, ENV.make_globals(None), None)


def jinja_source(xml: bytes) -> tuple[str, bool]:
    """A templated part's XML as docxtpl makes it a Jinja template, and whether docxtpl's
    post-render repair of tables and drawing ids is needed."""
    from lxml import etree

    root = etree.fromstring(xml)
    text = etree.tostring(root, encoding="unicode")
    fix = bool(_NEEDS_TABLE_FIX.search("".join(root.itertext()))) or "docPr" in text
    return _literal_braces(_docxtpl().patch_xml(text)), fix


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
    compiled = _kept(path.read_bytes(), _shown(path))
    with _lock:
        _cache[path] = (stamp, compiled)
    return compiled


def _kept(content: bytes, source: str) -> CompiledTemplate:
    """The template ``content`` compiled, or read back from the disk cache (by its hash)."""
    key = disk_cache.text_digest(content)
    packed = disk_cache.get("word-template", key)
    if packed is not None:
        try:
            return CompiledTemplate.unpacked(packed, source)
        except (ValueError, KeyError, TypeError, SyntaxError):  # pragma: no cover - checksummed
            pass
    compiled = CompiledTemplate(content, source)
    disk_cache.put("word-template", key, compiled.packed())
    return compiled


def _fix_tables_and_ids(xml: str) -> str:
    """docxtpl's repair after column loops, and its renumbering of drawing ids."""
    from lxml import etree

    tree = _docxtpl().fix_tables(xml)
    for n, elt in enumerate(tree.iter(_DOC_PR), start=1001):
        elt.set("id", str(n))
    text: str = etree.tostring(tree, encoding="unicode")
    return text


def _content_types(xml: bytes) -> dict[str, str]:
    from lxml import etree

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

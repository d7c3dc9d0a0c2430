"""The marks a Word form carries so that a filled copy can be read back: hidden bookmarks.

Word and LibreOffice both keep bookmarks through editing and saving (LibreOffice 7.4 drops
the tags of content controls, so they cannot be the anchor). Every answer of a rendered form
has a hidden bookmark (its name starts with ``_``, so Word does not list it) named after
what it marks, by a hash of the field's key path:

- ``_apfv…``: the table cell (or paragraph) that holds a field's answer;
- ``_apfb…``: a tick box, before its ``☐``; one per option of a choice printed as boxes;
- ``_apfp…``: the first paragraph of an answer printed as plain paragraphs (prose);
- ``_apft…``: the header row of a table printed as a grid: the rows after it are its rows,
  however many were added or deleted;
- ``_apfc…``: the caption of one card of a table printed as a card per row;
- ``_apfx…``: printed text that is not an answer (the LA contact from the configuration).

A template has one bookmark per mark; after rendering, :func:`number_bookmarks` makes every
copy's name and id unique (``_apfv1a2b3c4d_7``), as Word requires. The document and its
definition version travel in the custom document properties (:data:`PROPERTY_DOCUMENT`,
:data:`PROPERTY_VERSION`), which both keep too.
"""

from __future__ import annotations

import hashlib
import re
from xml.sax.saxutils import escape

from lxml import etree

VALUE, BOX, PROSE, GRID, CARD, OTHER = "v", "b", "p", "t", "c", "x"

PREFIX = "_apf"
#: A mark's bookmark name, as rendered (the copy number after ``_``).
NAME_RE = re.compile(r"_apf([vbptcx][0-9a-f]{10})(?:_\d+)?")

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"

PROPERTY_DOCUMENT = "ApformsDocument"
PROPERTY_VERSION = "ApformsVersion"
CUSTOM_PART = "docProps/custom.xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"


def mark(kind: str, path: str, option: str | None = None) -> str:
    """The mark (kind letter and hash) of a field's answer; ``option`` for one option's box."""
    key = path if option is None else f"{path}={option}"
    return kind + hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:10]


def bookmark(p: etree._Element, name: str, before: etree._Element | None = None) -> None:
    """A collapsed bookmark ``_apf<name>`` in paragraph ``p`` (before ``before``, else after
    its paragraph properties)."""
    start = etree.Element(W + "bookmarkStart", {W + "id": "0", W + "name": PREFIX + name})
    end = etree.Element(W + "bookmarkEnd", {W + "id": "0"})
    if before is not None:
        before.addprevious(start)
    else:
        ppr = p.find(W + "pPr")
        if ppr is not None:
            ppr.addnext(start)
        else:
            p.insert(0, start)
    start.addnext(end)


_RENDERED = re.compile(
    r'<w:bookmarkStart w:id="0" w:name="(_apf[vbptcx][0-9a-f]{10})"/><w:bookmarkEnd w:id="0"/>'
)


def number_bookmarks(xml: str) -> str:
    """Every rendered copy of a mark's bookmark with its own id and name (Word keeps only
    the first of bookmarks that share a name)."""
    count = 0

    def one(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return (
            f'<w:bookmarkStart w:id="{count}" w:name="{m.group(1)}_{count}"/><w:bookmarkEnd w:id="{count}"/>'
        )

    return _RENDERED.sub(one, xml) if PREFIX in xml else xml


def custom_properties(document: str, version: str) -> bytes:
    """The custom properties part that says which apforms document and version this is."""
    props = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" name="{name}">'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for pid, (name, value) in enumerate(((PROPERTY_DOCUMENT, document), (PROPERTY_VERSION, version)), 2)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        f"{props}</Properties>"
    ).encode()


__all__ = [
    "BOX",
    "CARD",
    "GRID",
    "OTHER",
    "PROSE",
    "VALUE",
    "bookmark",
    "custom_properties",
    "mark",
    "number_bookmarks",
]

"""The marks a Word form carries so that a filled copy can be read back: hidden bookmarks.

Word and LibreOffice both keep bookmarks through editing and saving (LibreOffice 7.4 drops
the tags of content controls, so they cannot be the anchor). But a bookmark where a person
types is deleted with the text typed over (LibreOffice deletes an empty bookmark at the start
of a selection it replaces), so the marks sit on fixed text nobody edits, and point from there
at the answer. Each is a hidden bookmark (its name starts with ``_``, so Word does not list it)
named by its kind, a hash of the field's key path, and where the answer is:

- ``_apfv…``: a field's answer: on its label, ``x<n>`` the answer's cell in the label's row,
  ``y<n>`` that many rows below (a label printed above its answer);
- ``_apfb…``: a tick box, after its label (the box is before it in that paragraph), one per
  option of a choice printed as boxes; or, with ``x<n>``, on a question's label, the box
  in that cell of the row (a row of boxes on one scale);
- ``_apft…``: the header row of a table printed as a grid: the rows after it are its rows,
  however many were added or deleted;
- ``_apfc…``: the caption of one card of a table printed as a card per row;
- ``_apfx…``: printed text that is not an answer (the LA contact from the configuration).

Answers printed as plain paragraphs (prose) are found by a paragraph style of their own
(:func:`answer_style`), which typing over them and Enter keep.

A template has one bookmark per mark; after rendering, :func:`number_bookmarks` makes every
copy's name and id unique (``_apfv1a2b3c4d5ex1_7``), as Word requires. The document and its
definition version travel in the custom document properties (:data:`PROPERTY_DOCUMENT`,
:data:`PROPERTY_VERSION`), which both keep too.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

if TYPE_CHECKING:  # lxml is imported by the build, not by rendering
    from lxml import etree

VALUE, BOX, PROSE, GRID, CARD, OTHER = "v", "b", "p", "t", "c", "x"

PREFIX = "_apf"
#: A mark's bookmark name, as rendered: kind and hash, where its answer is (cell, rows
#: below), and the copy number after ``_``.
NAME_RE = re.compile(r"_apf([vbptcx][0-9a-f]{10})(?:x(\d{1,2}))?(?:y(\d))?(?:_\d+)?")
#: The paragraph style of a prose answer's paragraphs: this, then its key path.
ANSWER_STYLE = "Form Answer "

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


def answer_style(path: str) -> str:
    """The paragraph style of prose answer ``path`` (based on *Form Answer*)."""
    return ANSWER_STYLE + path


def bookmark(
    p: etree._Element, name: str, col: int | None = None, rows: int = 0, at_end: bool = False
) -> None:
    """A collapsed bookmark ``_apf<name>`` in paragraph ``p``: at its end (``at_end``), else
    after its paragraph properties; ``col``/``rows``: the answer is in that cell of the
    paragraph's table row, ``rows`` rows below."""
    from lxml import etree

    where = "" if col is None else f"x{col}" + (f"y{rows}" if rows else "")
    start = etree.Element(W + "bookmarkStart", {W + "id": "0", W + "name": PREFIX + name + where})
    end = etree.Element(W + "bookmarkEnd", {W + "id": "0"})
    ppr = p.find(W + "pPr")
    if at_end:
        p.append(start)
    elif ppr is not None:
        ppr.addnext(start)
    else:
        p.insert(0, start)
    start.addnext(end)


_RENDERED = re.compile(
    r'<w:bookmarkStart w:id="0" w:name="(_apf[vbptcx][0-9a-f]{10}(?:x\d+)?(?:y\d)?)"/>'
    r'<w:bookmarkEnd w:id="0"/>'
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
    "answer_style",
    "bookmark",
    "custom_properties",
    "mark",
    "number_bookmarks",
]

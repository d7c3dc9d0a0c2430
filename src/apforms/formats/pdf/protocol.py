"""What an apforms PDF says about itself: document, definition version, row counts and layout.

The writer puts these in two places: the ``/Info`` dictionary, and the footer line printed on
every page, which survives flattening and printing to PDF when the metadata does not::

    apforms:sla:1.0 layout 2 page 1 of 3 rows 3.2 grow 0*14.3.0*9 end

The layout version names the geometry (where every box is) that a flattened form is read
back by. It changes whenever a box moves, so that forms laid out by an earlier version keep
being read by that version's geometry. Forms sent out before the layout was recorded have no
``layout`` token and no ``/ApformsLayout``: they are all layout 1.

From layout 2 boxes grow to hold their values, so the geometry also depends on how many lines
each growing box was given: the ``grow`` token lists that number for every growing box on the
page, in layout order (``0`` for a box of its printed size, ``0*14`` for fourteen of them), and
``/ApformsGrow`` lists it for the whole document. The pages' tokens, in page order, make the
document's list.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from apforms.errors import IngestError
from apforms.model.definitions import Definition

#: The layout version this apforms writes.
LAYOUT_VERSION = 4
#: The layout versions this apforms reads (every version it ever wrote).
KNOWN_LAYOUTS = (1, 2, 3, 4)
#: The layout of a form that does not say (every form sent out before layouts were recorded).
UNMARKED_LAYOUT = 1

#: /Info keys apforms adds so that the document, its definition version, the row counts of
#: its tables and lists, and its layout version travel with it.
INFO_DOCUMENT = "ApformsDocument"
INFO_VERSION = "ApformsVersion"
INFO_ROWS = "ApformsRows"
INFO_LAYOUT = "ApformsLayout"
INFO_GROW = "ApformsGrow"

#: Pages searched for the footer line when the metadata does not say what the form is.
ID_PAGES = 3

_VERSION = r"\d+(?:\.\d+)*"
#: A definition version as a form may say it (a few short numbers: never thousands of digits).
_DOC_VERSION = r"\d{1,6}(?:\.\d{1,6}){0,7}"
_LAYOUT = r"[0-9]{1,6}"
_RUN_ITEM = r"\d{1,6}(?:\*\d{1,6})?"
_RUNS = rf"{_RUN_ITEM}(?:\.{_RUN_ITEM})*"
_GROW = _RUNS
FOOTER_RE = re.compile(
    rf"apforms:(?P<document>[a-z][a-z0-9-]*):(?P<version>{_DOC_VERSION})(?: layout (?P<layout>{_LAYOUT}))?"
    r" page (?P<page>\d{1,6}) of (?P<pages>\d{1,6})"
    rf"(?: rows (?P<rows>{_RUNS}))?(?: grow (?P<grow>{_GROW}))?"
    r"(?P<end> end)?"
)
#: From layout 2 the footer line ends with this word: a line cut off (a table with so many
#: rows that its line runs past the page) is known to be incomplete, not misread.
END = "end"


@dataclass(frozen=True)
class FormId:
    """What a PDF says it is: document id, definition version, the row counts of its tables
    and lists (``None`` when unknown) and the layout version it was laid out with; from
    layout 2 the lines of its growing boxes (the whole document's from the metadata, one
    page's from a footer line; ``None`` when not said)."""

    document: str
    version: str
    rows: tuple[int, ...] | None
    layout: int
    found_in: str  # "metadata" or "footer"
    grow: tuple[int, ...] | None = None


# --------------------------------------------------------------------------- writing


def footer_text(
    definition: Definition,
    page: int,
    pages: int,
    rows: tuple[int, ...],
    layout: int = LAYOUT_VERSION,
    grow: tuple[int, ...] | None = None,
) -> str:
    """The identification line printed on every page; it survives flattening and printing.
    ``grow`` is the lines of the growing boxes on this page (layout 2 and later)."""
    line = f"apforms:{definition.id}:{definition.version} layout {layout} page {page} of {pages}"
    if rows:
        line += f" rows {grow_text(rows) if layout >= 2 else _rows(rows)}"
    if grow:
        line += f" grow {grow_text(grow)}"
    return f"{line} {END}" if layout >= 2 else line


def info_entries(
    definition: Definition, rows: tuple[int, ...], grow: tuple[int, ...] = ()
) -> tuple[tuple[str, str], ...]:
    """The /Info entries (key, text) that identify a form, in the order they are written."""
    entries = (
        (INFO_DOCUMENT, definition.id),
        (INFO_VERSION, definition.version),
        (INFO_ROWS, _rows(rows)),
        (INFO_LAYOUT, str(LAYOUT_VERSION)),
    )
    return (*entries, (INFO_GROW, grow_text(grow))) if grow else entries


def _rows(rows: tuple[int, ...]) -> str:
    return ".".join(map(str, rows))


def grow_text(numbers: tuple[int, ...]) -> str:
    """``(0, 0, 0, 3, 3, 0)`` as ``0*3.3*2.0``: runs of more than one equal number are counted
    (the growing boxes' lines, and from layout 2 the footer's row counts)."""
    out: list[str] = []
    for value, run in itertools.groupby(numbers):
        n = len(list(run))
        out.append(str(value) if n == 1 else f"{value}*{n}")
    return ".".join(out)


#: The most a returned form's row counts and growing boxes may say: numbers in all (once run
#: lengths are expanded), and each one (a table's rows, the lines a box grew by; a box is at
#: most a page). A form saying more is not one apforms wrote, and its layout would never end.
MAX_COUNTS = 50_000
MAX_COUNT = 1000


def parse_grow(text: str | None) -> tuple[int, ...] | None:
    """The inverse of :func:`grow_text` (``None`` when missing or malformed); IngestError for
    more than the limits."""
    if text is None or not re.fullmatch(_GROW, text):
        return None
    items = [item.partition("*") for item in text.split(".")]
    counts = [(_number(value), _number(count) if count else 1) for value, _, count in items]
    _check_counts(sum(n for _, n in counts), max((v for v, _ in counts), default=0))
    out: list[int] = []
    for value, n in counts:
        out += [value] * n
    return tuple(out)


def _check_counts(numbers: int, largest: int) -> None:
    if numbers > MAX_COUNTS:
        raise IngestError(
            f"the form says it has {numbers:,} tables or boxes (at most {MAX_COUNTS:,} are read)"
        )
    if largest > MAX_COUNT:
        raise IngestError(
            f"the form says a table or box has {largest:,} rows or lines (at most {MAX_COUNT:,})"
        )


# --------------------------------------------------------------------------- reading


def info_form_id(
    doc: str | None, version: str | None, rows: str | None, layout: str | None, grow: str | None = None
) -> FormId | None:
    """The form as the /Info entries (already decoded) describe it; ``None`` without apforms
    entries. :func:`apforms.formats.pdf.open.identify_metadata` reads them from a file."""
    if not doc or not version or not re.fullmatch(_DOC_VERSION, version):
        return None
    if layout is not None and not re.fullmatch(_LAYOUT, layout):
        return None  # not written by apforms; the footer says more
    return FormId(doc, version, parse_rows(rows), _layout(layout), "metadata", _grow(grow, layout))


def _grow(text: str | None, layout: str | None) -> tuple[int, ...] | None:
    """No token at all in a layout 2 form: nothing grew (``()``); unknown before layout 2."""
    if text is None:
        return () if layout is not None and int(layout) >= 2 else None
    return parse_grow(text)


_INFO_BYTES = re.compile(
    rb"/%s\s*\(([a-z][a-z0-9-]*)\)\s*/%s\s*\((%s)\)\s*/%s\s*\(([\d.]*)\)(?:\s*/%s\s*\((%s)\))?"
    rb"(?:\s*/%s\s*\(([0-9.*]*)\))?"
    % (
        INFO_DOCUMENT.encode(),
        INFO_VERSION.encode(),
        _DOC_VERSION.encode(),
        INFO_ROWS.encode(),
        INFO_LAYOUT.encode(),
        _LAYOUT.encode(),
        INFO_GROW.encode(),
    )
)


def identify_bytes(data: bytes) -> FormId | None:
    """The metadata apforms writes, found in the raw file: for a damaged file whose trailer
    (and so its link to the metadata) was lost."""
    m = _INFO_BYTES.search(data)
    if not m:
        return None
    doc, version, rows, layout, grow = (g.decode() if g is not None else None for g in m.groups())
    if doc is None or version is None:
        return None
    return FormId(doc, version, parse_rows(rows), _layout(layout), "metadata", _grow(grow, layout))


def identify_text(text: str) -> FormId | None:
    """The footer line (``apforms:sla:1.0 layout 1 page 1 of 3 rows 3.2``) in a page's text."""
    m = FOOTER_RE.search(text)
    if not m:
        return None
    layout = _layout(m["layout"])
    if layout >= 2 and not m["end"]:  # cut off: the rows and boxes it names are not all there
        return FormId(m["document"], m["version"], None, layout, "footer", None)
    rows, grow = parse_grow(m["rows"] or "") if m["rows"] else (), _grow(m["grow"], m["layout"])
    return FormId(m["document"], m["version"], rows, layout, "footer", grow)


def footer_page(text: str) -> int | None:
    """The page number the footer line in a page's text gives (from 1)."""
    m = FOOTER_RE.search(text)
    return int(m["page"]) if m else None


def parse_rows(text: str | None) -> tuple[int, ...] | None:
    """Row counts written ``3.2.4`` (``None`` when missing or malformed)."""
    if text is None:
        return None
    if text == "":
        return ()
    if not re.fullmatch(_VERSION, text):
        return None
    parts = text.split(".")
    _check_counts(len(parts), max(_number(p) for p in parts))
    return tuple(int(x) for x in parts)


def _number(digits: str) -> int:
    """Digits as a number, a billion at most (int() of thousands of digits is refused, and slow)."""
    return int(digits) if len(digits) <= 9 else 10**9


def _layout(text: str | None) -> int:
    return UNMARKED_LAYOUT if text is None else int(text)


def check_layout(form_id: FormId) -> None:
    """IngestError unless this apforms knows the geometry the form was laid out with."""
    if form_id.layout in KNOWN_LAYOUTS:
        return
    said = f"{form_id.document} form laid out with layout {form_id.layout}"
    if form_id.layout > LAYOUT_VERSION:
        raise IngestError(f"{said}, newer than this apforms knows ({LAYOUT_VERSION}); upgrade apforms")
    raise IngestError(f"{said}, which this apforms does not know")

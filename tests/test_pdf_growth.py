"""Boxes and pages that fit the words (PDF layout 2).

Stress records — 3,000-character answers, 12 rows in every table, a list of 40 items of 1,000
characters, 200-character names — are rendered fillable and flattened, printed by
``pdftocairo``, and checked from the pages themselves (pdfplumber reads the page content; it
knows nothing of apforms' layout): every value is in the text, no text is below 8 pt, no
character crosses the edge of a drawn box, and every copy reads back to the exact record.
Blank forms are checked for handwriting-sized boxes from the widgets in the file.
"""

from __future__ import annotations

import copy
import io
import itertools
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from click.testing import CliRunner

from apforms import api, present
from apforms.cli import main
from apforms.errors import RenderError
from apforms.formats.pdf import layout as lay
from apforms.formats.pdf.read import ingest_pdf
from apforms.formats.pdf.values import combo_label, form_values
from apforms.formats.pdf.writer import render_pdf
from apforms.model import definitions as d
from apforms.model import records
from apforms.model.definitions import Definition, Field, load_definition
from apforms.model.types import Control, Shape, type_of

from .pdf_support import UNICODE_NAMES, cairo_reprint, canonical_example, poppler_text, squash

MM = 72 / 25.4
PROSE = (
    "the pupil settled well and worked with the farm team on fencing, animal care and a short "
    "written log each week; staff noted better punctuality after half term"
)
WORDS = PROSE.split(" ")
ROWS = 12
NESTED_ROWS = 4


def _long(n: int, seed: int) -> str:
    """About ``n`` characters of prose in paragraphs, different for every seed."""
    words = itertools.cycle(WORDS[seed % len(WORDS) :] + WORDS[: seed % len(WORDS)])
    out, para = [], []
    size = 0
    while size < n:
        w = next(words)
        para.append(w)
        size += len(w) + 1
        if len(para) == 60:
            out.append(" ".join(para))
            para = []
    out.append(" ".join(para))
    return "\n".join(p for p in out if p)[:n].rstrip()


def _name(seed: int) -> str:
    base = " ".join(UNICODE_NAMES[seed % len(UNICODE_NAMES) :] + UNICODE_NAMES[: seed % len(UNICODE_NAMES)])
    return (base + " ") * 3


def _stress_value(f: Field, value: Any, seed: int, in_row: bool) -> Any:
    if not isinstance(value, str) or f.type not in (d.TEXT, d.LONGTEXT):
        return value
    control = type_of(f).control(f)
    if control == Control.LINES:  # a narrow table cell holds less on one page than a full-width box
        return _long(1000 if in_row else 3000, seed)
    limit = f.max_length or 200
    return _name(seed)[:limit].strip()


def _stress(
    fields: tuple[Field, ...], data: Any, seed: list[int], big_list: str, in_row: bool = False
) -> Any:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for f in fields:
        if f.key not in out:
            continue
        value = out[f.key]
        seed[0] += 1
        if f.shape == Shape.OBJECT:
            out[f.key] = _stress(f.fields, value, seed, big_list, in_row)
        elif f.shape == Shape.ROWS and isinstance(value, list) and value:
            n = NESTED_ROWS if in_row or "[]" in f.path else ROWS  # 12 × 12 nested rows: 240 pages
            rows = [copy.deepcopy(value[i % len(value)]) for i in range(max(n, len(value)))]
            grid = present.is_grid(f)
            out[f.key] = [_stress(f.fields, r, seed, big_list, in_row or grid) for r in rows]
        elif f.shape == Shape.ITEMS and isinstance(value, list):
            n, size = (40, 1000) if f.path == big_list else (ROWS, 300)
            out[f.key] = [_long(size, seed[0] + i) for i in range(n)]
        else:
            out[f.key] = _stress_value(f, value, seed[0], in_row)
    return out


def stress_record(doc: str) -> dict[str, Any]:
    definition = load_definition(doc)
    data = _stress(definition.sections, canonical_example(doc), [0], "terms.school_obligations")
    result = records.validate(definition, data)
    assert result.ok, [str(p) for p in result.problems]
    return result.data


def _texts(definition: Definition, data: dict[str, Any]) -> list[str]:
    """Every text value of the record as the form shows it."""
    layout = lay.layout_for(definition, data)
    values = form_values(layout, data)
    out = []
    for f in layout.fields:
        v = values.get(f.name)
        if isinstance(v, str) and f.kind in (lay.TEXT, lay.MULTILINE):
            out.append(v)
        elif isinstance(v, str) and f.kind == lay.COMBO:
            out.append(combo_label(f, v))
    return out


def _shown(value: str, text: str) -> bool:
    """The value in the page text: whole, or (a cell beside others, whose lines the extraction
    interleaves with theirs) its words in order."""
    if squash(value) in text:
        return True
    at = 0
    for word in value.split():
        at = text.find(squash(word), at)
        if at < 0:
            return False
    return True


def _check_pages(pdf: bytes, what: str) -> None:
    """From the page content: no text below 8 pt (the machine footer line aside), and no
    character across the edge of a drawn box."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for n, page in enumerate(doc.pages, 1):
            rects = [r for r in page.rects if r["width"] > 15 and r["height"] > 8]
            bands: dict[int, list[dict[str, Any]]] = {}
            for r in rects:
                for b in range(int(r["top"] // 20), int(r["bottom"] // 20) + 1):
                    bands.setdefault(b, []).append(r)
            for ch in page.chars:
                if not ch["text"].strip():
                    continue
                if page.height - ch["bottom"] < lay.MARKER_Y + 8:  # the machine line, 5 pt
                    continue
                assert ch["size"] >= 7.99, f"{what} page {n}: {ch['text']!r} at {ch['size']:.1f} pt"
                for r in bands.get(int(ch["top"] // 20), ()):
                    inside_x = r["x0"] - 0.5 <= ch["x0"] and ch["x1"] <= r["x1"] + 0.5
                    inside_y = r["top"] - 0.5 <= ch["top"] and ch["bottom"] <= r["bottom"] + 0.5
                    meets = ch["x0"] < r["x1"] and ch["x1"] > r["x0"] and ch["top"] < r["bottom"]
                    if meets and ch["bottom"] > r["top"]:
                        assert inside_x and inside_y, f"{what} page {n}: {ch['text']!r} crosses a box edge"


@pytest.mark.parametrize("doc", ["referral", "commissioning", "sla", "qa", "improvement-plan"])
def test_stress_records_show_every_value_and_read_back_exactly(doc: str, tmp_path: Path) -> None:
    definition = load_definition(doc)
    data = stress_record(doc)
    filled = render_pdf(definition, data)
    flat = render_pdf(definition, data, flatten=True)
    printed = cairo_reprint(filled, tmp_path)
    text = squash(poppler_text(flat, tmp_path))
    # in the order drawn (each box's lines together): a word broken across the lines of a
    # cell beside others, which the reading order interleaves with theirs
    drawn = squash(poppler_text(flat, tmp_path, raw=True))
    missing = [v[:40] for v in _texts(definition, data) if not (_shown(v, text) or _shown(v, drawn))]
    assert not missing, f"{len(missing)} values not in the page text: {missing[:3]}"
    _check_pages(flat, f"{doc} flattened")  # the same drawing as the fillable form's appearances
    for what, copy_ in (("fillable", filled), ("flattened", flat), ("printed", printed)):
        result = ingest_pdf(copy_, f"{what}.pdf")
        assert result.record["data"] == data, what
        assert not [w for w in result.warnings if "clipped" in w or "line breaks" in w], what


def test_a_table_takes_any_number_of_rows() -> None:
    definition = load_definition("sla")
    data = canonical_example("sla")
    row = data["provision"]["costings"][0]
    data["provision"]["costings"] = [dict(row, item=f"Session block {i + 1}") for i in range(30)]
    record = records.validate(definition, data)
    assert record.ok
    got = ingest_pdf(render_pdf(definition, record.data, flatten=True), "x.pdf").record["data"]
    assert [r["item"] for r in got["provision"]["costings"]] == [f"Session block {i + 1}" for i in range(30)]


def _rows_one_name_at_a_time(definition: Any, names: list[str]) -> tuple[int, ...]:
    """Row counts from field names as the reader first worked them out, name by name and
    field by field of the definition (the reference for the quicker search)."""
    seen: dict[str, int] = {}
    for name in names:
        parts = name.split(".")
        for i, part in enumerate(parts[1:], 1):
            if part.isdecimal():
                seen[".".join(parts[:i])] = max(seen.get(".".join(parts[:i]), 0), int(part))

    def named(fields: Any, prefix: str) -> Any:
        for f in fields:
            name = f"{prefix}{f.key}"
            if f.shape == "object":
                yield from named(f.fields, f"{name}.")
            elif f.shape in ("rows", "items"):
                n = max(seen.get(name, 0), lay.rows_for(f, None, 4))
                yield n
                if f.shape == "rows" and not present.is_grid(f):
                    for i in range(n):
                        yield from named(f.fields, f"{name}.{i + 1}.")

    return tuple(named(definition.sections, ""))


def test_row_counts_are_read_back_from_the_field_names(doc: str) -> None:
    """A filled form's rows are found from its field names (tables in cards, and their own
    lists, included); odd names are no row number and never an error."""
    definition = load_definition(doc)
    rows = lay.row_counts(definition, canonical_example(doc))
    names = [f.name for f in lay.names_layout(definition, rows, 4).fields]
    assert lay.rows_from_names(definition, names, 4) == rows == _rows_one_name_at_a_time(definition, names)
    more = [*names, *(re.sub(r"\.1(\.|$)", rf".{n}\1", name) for name in names for n in (4, 11))]
    assert lay.rows_from_names(definition, more, 4) == _rows_one_name_at_a_time(definition, more) != rows
    odd = [*names, "x.²", f"{names[-1]}.12\nx", "a..3", f"{names[0]}.0", "7.8", "..", f"{names[-1]}.٣"]
    assert lay.rows_from_names(definition, odd, 4) == _rows_one_name_at_a_time(definition, odd)
    lined = [*more, "one\nname.4"]  # a name with a line break: the names are read one by one
    assert lay.rows_from_names(definition, lined, 4) == _rows_one_name_at_a_time(definition, lined)


def test_a_value_too_long_for_a_page_is_refused_by_its_label() -> None:
    definition = load_definition("sla")
    data = canonical_example("sla")
    data["terms"]["emergency_review_clause"] = _long(20000, 1)
    with pytest.raises(RenderError, match=r"^Emergency review: too long to print in one box"):
        render_pdf(definition, data)


# --------------------------------------------------------------------------- blank forms


def _widgets(pdf: bytes) -> list[tuple[str, str, float, float, int]]:
    """(name, field type, width, height, flags) of every widget in the file."""
    out = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            for a in page.obj.get("/Annots", []):
                if a.get("/Subtype") != "/Widget":
                    continue
                field = a if "/FT" in a else a.Parent
                names = []
                node: Any = field
                while node is not None:
                    if "/T" in node:
                        names.append(str(node.T))
                    node = node.get("/Parent")
                x0, y0, x1, y1 = (float(v) for v in a.Rect)
                out.append(
                    (".".join(reversed(names)), str(field.FT), x1 - x0, y1 - y0, int(field.get("/Ff", 0)))
                )
    return out


@pytest.mark.parametrize("doc", ["referral", "commissioning", "sla", "qa", "improvement-plan"])
def test_blank_forms_have_handwriting_sized_boxes(doc: str, tmp_path: Path) -> None:
    pdf = api.blank_bytes(doc, "pdf")
    widgets = _widgets(pdf)
    assert widgets
    for name, ft, _, h, _ff in widgets:
        if ft == "/Btn":
            assert h >= 4 * MM - 0.01, name
        elif name.endswith(".signature"):
            assert h >= 15 * MM - 0.01, name
        elif ft in ("/Tx", "/Ch"):
            assert h >= 8 * MM - 0.01, name
    definition = load_definition(doc)
    dates = [f for f in definition.leaves() if f.type == d.DATE]
    text = poppler_text(pdf, tmp_path)
    assert text.count("DD/MM/YYYY") >= min(len(dates), 1)


def test_blank_dropdowns_print_their_options(tmp_path: Path) -> None:
    text = squash(poppler_text(api.blank_bytes("referral", "pdf"), tmp_path))
    definition = load_definition("referral")
    for path in ("pupil.ethnicity", "timetable.ap_register_code"):
        f = definition.field_at(path)
        missing = [o.value for o in f.options if squash(present.option_text(f, o)) not in text]
        assert not missing, (path, missing)


def test_blank_rows_option_adds_rows(tmp_path: Path) -> None:
    out = tmp_path / "sla.pdf"
    result = CliRunner().invoke(
        main,
        [
            "blank",
            "sla",
            "-o",
            str(out),
            "--rows",
            "provision.costings=12",
            "--rows",
            "terms.school_obligations=9",
        ],
    )
    assert result.exit_code == 0, result.output
    names = {w[0] for w in _widgets(out.read_bytes())}
    assert "provision.costings.12.item" in names and "provision.costings.13.item" not in names
    assert "terms.school_obligations.9" in names and "terms.school_obligations.10" not in names
    bad = CliRunner().invoke(main, ["blank", "sla", "-o", str(tmp_path / "x.pdf"), "--rows", "provision=3"])
    assert bad.exit_code == 2
    assert "sla has no table or list 'provision'; its tables and lists: provision.costings" in bad.output
    assert not (tmp_path / "x.pdf").exists()


def test_long_prefilled_fields_stay_editable() -> None:
    """A pre-filled long answer is a multi-line field that scrolls, so it can still be edited."""
    definition = load_definition("sla")
    data = stress_record("sla")
    for name, ft, _, _, ff in _widgets(render_pdf(definition, data)):
        if name == "terms.emergency_review_clause":
            assert ft == "/Tx" and ff & (1 << 12) and not ff & (1 << 23)
            break
    else:
        raise AssertionError("no emergency review field")


def test_many_rows_keep_the_footer_line_whole_or_say_it_is_cut(tmp_path: Path) -> None:
    """Row counts repeat in runs (``3*80``), so a table of 80 reviews still fits the footer
    line; a line that still runs off the page is known to be cut, and said, never misread."""
    definition = load_definition("commissioning")
    data = canonical_example("commissioning")
    first = data["reviews"]["reviews"][0]
    data["reviews"]["reviews"] = [copy.deepcopy(first) for _ in range(80)]
    record = records.validate(definition, data).data
    printed = cairo_reprint(render_pdf(definition, record, flatten=True), tmp_path)
    result = ingest_pdf(printed, "printed.pdf")
    assert result.record["data"] == record, result.warnings
    varied = copy.deepcopy(data)  # every review with its own number of target rows: no runs
    for i, review in enumerate(varied["reviews"]["reviews"][:70]):
        review["target_review"] = [copy.deepcopy(review["target_review"][0]) for _ in range(1 + i % 9)]
    record = records.validate(definition, varied).data
    printed = cairo_reprint(render_pdf(definition, record, flatten=True), tmp_path)
    result = ingest_pdf(printed, "printed.pdf")
    if result.record["data"] != record:
        assert any("row counts are unknown" in w for w in result.warnings), result.warnings

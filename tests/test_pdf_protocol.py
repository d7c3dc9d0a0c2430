"""What an apforms PDF says about itself: footer line, metadata and layout version.

The geometry of every layout version is pinned by ``tests/fixtures/forms/layout-<n>/geometry.json``:
moving a box without a new layout version (and new fixtures) fails here, because forms already
sent out would then be read back by boxes they were not laid out with.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main
from apforms.errors import IngestError
from apforms.formats.pdf import fonts, names, protocol
from apforms.formats.pdf.layout import layout_for
from apforms.formats.pdf.open import identify_metadata
from apforms.formats.pdf.read import LAYOUTS, ingest_pdf
from apforms.model import records
from apforms.model.definitions import load_definition

from .layout_support import FIXTURES, Stem, geometry, layouts, snapshot, stem_for, stems
from .pdf_support import cairo_reprint, example_pdf, save

NEWER = protocol.LAYOUT_VERSION + 6
REFUSAL = (
    f"sla form laid out with layout {NEWER}, newer than this apforms knows "
    f"({protocol.LAYOUT_VERSION}); upgrade apforms"
)

# --------------------------------------------------------------------------- geometry snapshots


def _example(doc: str) -> dict[str, Any]:
    return records.canonical(load_definition(doc), api.example(doc)["data"])


def test_the_current_layout_version_has_fixtures() -> None:
    folder = FIXTURES / f"layout-{protocol.LAYOUT_VERSION}"
    assert folder.is_dir(), (
        f"no fixtures for layout {protocol.LAYOUT_VERSION}: run scripts/layout_fixtures.py"
    )
    assert (folder / "geometry.json").is_file()
    assert max(protocol.KNOWN_LAYOUTS) == protocol.LAYOUT_VERSION


def test_every_known_layout_has_geometry_and_fixtures() -> None:
    assert set(LAYOUTS) == set(protocol.KNOWN_LAYOUTS) == set(layouts())
    assert protocol.UNMARKED_LAYOUT in protocol.KNOWN_LAYOUTS
    for version in protocol.KNOWN_LAYOUTS:
        assert (FIXTURES / f"layout-{version}" / "geometry.json").is_file(), version


def test_snapshot_covers_every_fixture() -> None:
    for version in protocol.KNOWN_LAYOUTS:
        expected = {f"{s.name}/{kind}" for s in stems(version) for kind in ("blank", "example")}
        assert set(snapshot(version)) == expected, version


def test_the_writer_lays_out_the_current_layout_version(doc: str) -> None:
    """What is written today stamped with LAYOUT_VERSION is that version's geometry."""
    definition = load_definition(doc)
    stem = stem_for(protocol.LAYOUT_VERSION, doc, definition.version)
    assert stem is not None, (
        f"{doc} {definition.version} has no layout-{protocol.LAYOUT_VERSION} fixtures: a changed "
        "definition lays out differently; keep the old one in schemas/history and run "
        "scripts/layout_fixtures.py (docs/architecture.md, Versions)"
    )
    snap = snapshot(protocol.LAYOUT_VERSION)
    assert geometry(layout_for(definition, {})) == snap[f"{stem.name}/blank"]
    assert geometry(layout_for(definition, _example(doc))) == snap[f"{stem.name}/example"]


@pytest.mark.parametrize("stem", stems(), ids=[f"layout-{s.layout}-{s.name}" for s in stems()])
def test_the_reader_rebuilds_each_layout_version(stem: Stem) -> None:
    """A flattened form is read by the geometry of the version it names, box for box, with
    the definition version it was made from."""
    definition = load_definition(stem.document, stem.version)
    snap = snapshot(stem.layout)
    for kind in ("blank", "example"):
        expected = snap[f"{stem.name}/{kind}"]
        grow = tuple(expected["grow"]) if "grow" in expected else None
        rebuilt = LAYOUTS[stem.layout].layout(definition, tuple(expected["rows"]), grow)
        assert geometry(rebuilt) == expected, (stem, kind)
    assert geometry(LAYOUTS[stem.layout].layout(definition, None, None)) == snap[f"{stem.name}/blank"]


# --------------------------------------------------------------------------- footer line


def test_footer_names_the_layout_version() -> None:
    sla = load_definition("sla")
    line = protocol.footer_text(sla, 1, 3, (3, 4), layout=2)
    assert line == "apforms:sla:1.0 layout 2 page 1 of 3 rows 3.4 end"
    assert protocol.identify_text(f"Page text\n{line}\n") == protocol.FormId(
        "sla", "1.0", (3, 4), 2, "footer", ()
    )
    assert protocol.footer_page(line) == 1
    current = protocol.footer_text(sla, 2, 3, ())
    assert current == f"apforms:sla:1.0 layout {protocol.LAYOUT_VERSION} page 2 of 3 end"
    assert protocol.identify_text(current) == protocol.FormId(
        "sla", "1.0", (), protocol.LAYOUT_VERSION, "footer", ()
    )


def test_footer_carries_the_growing_boxes_of_its_page() -> None:
    sla = load_definition("sla")
    grow = (0, 0, 0, 4, 0, 12, 0, 0)
    line = protocol.footer_text(sla, 2, 3, (3, 3, 5), layout=2, grow=grow)
    assert line == "apforms:sla:1.0 layout 2 page 2 of 3 rows 3*2.5 grow 0*3.4.0.12.0*2 end"
    found = protocol.identify_text(f"text above\n{line}")
    assert found is not None and found.grow == grow and found.rows == (3, 3, 5)
    cut = protocol.identify_text(line[:-12])  # a line that ran past the page: rows and boxes unknown
    assert cut is not None and (cut.rows, cut.grow, cut.layout) == (None, None, 2)
    assert protocol.parse_grow(protocol.grow_text((0,))) == (0,)
    assert protocol.parse_grow("0*") is None and protocol.parse_grow("3..4") is None


def test_a_footer_without_a_layout_is_layout_1() -> None:
    """Every form sent out before layouts were recorded."""
    found = protocol.identify_text("apforms:sla:1.0 page 2 of 3 rows 3.2.4")
    assert found == protocol.FormId("sla", "1.0", (3, 2, 4), 1, "footer")
    assert protocol.footer_page("apforms:sla:1.0 page 2 of 3 rows 3.2.4") == 2


@pytest.mark.parametrize(
    "text",
    [
        "apforms:sla:1.0 layout page 1 of 3",
        "apforms:sla:1.0 layout x page 1 of 3",
        "apforms:sla:1.0 layout 1",
    ],
)
def test_a_malformed_layout_token_is_no_footer(text: str) -> None:
    assert protocol.identify_text(text) is None


# --------------------------------------------------------------------------- metadata


def test_metadata_carries_the_layout_version() -> None:
    with pikepdf.open(io.BytesIO(example_pdf("sla"))) as pdf:
        assert pdf.docinfo[f"/{protocol.INFO_LAYOUT}"] == str(protocol.LAYOUT_VERSION)
        found = identify_metadata(pdf)
    lay = layout_for(load_definition("sla"), _example("sla"))
    assert any(lay.grow), "the example has boxes that grew"
    # rows: the costings' 3, the 2 general sentences (prose: no blank row), 4 and 8 obligations
    assert found == protocol.FormId("sla", "1.0", (3, 2, 4, 8), protocol.LAYOUT_VERSION, "metadata", lay.grow)


def test_metadata_without_a_layout_is_layout_1() -> None:
    with pikepdf.open(FIXTURES / "layout-1" / "sla-filled.pdf") as pdf:
        assert f"/{protocol.INFO_LAYOUT}" not in pdf.docinfo
        found = identify_metadata(pdf)
    assert found is not None and found.layout == 1


def test_metadata_found_in_the_raw_bytes_with_and_without_a_layout() -> None:
    new = protocol.identify_bytes(example_pdf("sla"))
    assert new is not None and new.layout == protocol.LAYOUT_VERSION and new.rows == (3, 2, 4, 8)
    old = protocol.identify_bytes((FIXTURES / "layout-1" / "sla-flat.pdf").read_bytes())
    assert old is not None and (old.document, old.layout) == ("sla", 1)


def test_old_forms_are_read_as_layout_1() -> None:
    for kind, found_in in (("filled", "metadata"), ("flat", "metadata"), ("printed", "footer")):
        prov = ingest_pdf((FIXTURES / "layout-1" / f"sla-{kind}.pdf").read_bytes(), "x.pdf").record[
            "provenance"
        ]
        assert (prov["form_layout"], prov["identified_by"]) == (1, found_in), kind


# --------------------------------------------------------------------------- a newer layout is refused


def _with_layout_metadata(data: bytes, layout: str) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.docinfo[f"/{protocol.INFO_LAYOUT}"] = layout
        return save(pdf)


def _with_footer_only(data: bytes, layout: int) -> bytes:
    """The form as if laid out with ``layout``, known only by its footer (no apforms metadata)."""
    definition = load_definition("sla")
    lay = layout_for(definition, _example("sla"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        keys = (protocol.INFO_DOCUMENT, protocol.INFO_VERSION, protocol.INFO_ROWS, protocol.INFO_LAYOUT)
        for key in (*keys, protocol.INFO_GROW):
            del pdf.docinfo[f"/{key}"]
        for i, page in enumerate(pdf.pages):
            contents = page.obj.Contents
            stream = contents[0] if isinstance(contents, pikepdf.Array) else contents
            footer = lay.footer(i)
            old = fonts.encode(footer).encode()
            new = fonts.encode(
                footer.replace(f" layout {protocol.LAYOUT_VERSION} ", f" layout {layout} ")
            ).encode()
            content = stream.read_bytes()
            assert content.count(old) == 1
            stream.write(content.replace(old, new))
        return save(pdf)


def test_a_filled_form_of_a_newer_layout_is_refused() -> None:
    with pytest.raises(IngestError) as caught:
        ingest_pdf(_with_layout_metadata(example_pdf("sla"), str(NEWER)), "new.pdf")
    assert str(caught.value) == REFUSAL


def test_a_flattened_form_of_a_newer_layout_is_refused_by_its_footer(tmp_path: Path) -> None:
    flat = _with_footer_only(example_pdf("sla", flatten=True), NEWER)
    with pikepdf.open(io.BytesIO(flat)) as pdf:
        assert identify_metadata(pdf) is None
    with pytest.raises(IngestError) as caught:
        ingest_pdf(flat, "new.pdf")
    assert str(caught.value) == REFUSAL
    with pytest.raises(IngestError, match="newer than this apforms knows"):  # printed to PDF too
        ingest_pdf(cairo_reprint(flat, tmp_path), "printed.pdf")


def test_the_footer_alone_still_reads_the_current_layout() -> None:
    """The same edit with the current version: the footer is enough to read the form."""
    flat = _with_footer_only(example_pdf("sla", flatten=True), protocol.LAYOUT_VERSION)
    result = ingest_pdf(flat, "flat.pdf")
    assert result.ok and result.record["provenance"]["identified_by"] == "footer"
    assert result.record["data"] == _example("sla")


def test_a_malformed_layout_in_the_metadata_falls_back_to_the_footer() -> None:
    result = ingest_pdf(_with_layout_metadata(example_pdf("sla", flatten=True), "seven"), "odd.pdf")
    assert result.ok and result.record["provenance"]["identified_by"] == "footer"


def test_cli_refuses_a_newer_layout_with_one_line_and_writes_nothing(tmp_path: Path) -> None:
    src, out = tmp_path / "new.pdf", tmp_path / "new.json"
    for data in (
        _with_layout_metadata(example_pdf("sla"), str(NEWER)),
        _with_footer_only(example_pdf("sla", flatten=True), NEWER),
    ):
        src.write_bytes(data)
        result = CliRunner().invoke(main, ["ingest", str(src), "-o", str(out)])
        assert result.exit_code == 2
        assert result.output.strip() == f"apforms: {REFUSAL}"
        assert not out.exists()


# --------------------------------------------------------------------------- names


def test_pdf_names_are_the_spec_values() -> None:
    """ISO 32000-1 numbers flag bits from 1: multiline is bit 13, radio 16, combo 18."""
    assert names.FieldFlag.MULTILINE == 1 << 12 and names.FieldFlag.RADIO == 1 << 15
    assert names.FieldFlag.COMBO == 1 << 17 and names.AnnotationFlag.PRINT == 4
    assert f"/{names.FieldType.TEXT}" == "/Tx" and (names.OFF, names.YES) == ("Off", "Yes")

"""Forms already sent out keep reading: fixture PDFs of each layout version, read back exactly.

``tests/fixtures/forms/layout-<n>/`` holds, for every document, the example record and its form
as apforms laid it out at that layout version: fillable and filled, flattened by apforms, and
printed to PDF by ``pdftocairo`` (which redraws every page and drops the fields). The files were
made once by the code of that version and are never regenerated; ``geometry.json`` beside them
is every field's name, kind and widget rectangles for the blank form and for the example record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apforms.formats.pdf.read import ingest_pdf
from apforms.model.definitions import document_ids, load_definition

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
VERSIONS = sorted(p.name for p in FIXTURES.glob("layout-*"))
CASES = [(v, doc, kind) for v in VERSIONS for doc in document_ids() for kind in ("filled", "flat", "printed")]


def test_every_document_has_fixtures() -> None:
    assert VERSIONS, "no layout fixtures"
    for v in VERSIONS:
        for doc in document_ids():
            for kind in ("filled", "flat", "printed"):
                assert (FIXTURES / v / f"{doc}-{kind}.pdf").is_file(), (v, doc, kind)


@pytest.mark.parametrize(("version", "doc", "kind"), CASES)
def test_fixture_reads_back_exactly(version: str, doc: str, kind: str) -> None:
    folder = FIXTURES / version
    expected = json.loads((folder / f"{doc}.json").read_text(encoding="utf-8"))
    result = ingest_pdf((folder / f"{doc}-{kind}.pdf").read_bytes(), f"{doc}-{kind}.pdf")
    assert result.ok, [str(p) for p in result.validation.problems]
    assert result.record["document"] == doc
    assert result.record["data"] == expected["data"]
    assert result.method == ("fields" if kind == "filled" else "flattened")
    assert load_definition(doc).version == expected["version"]

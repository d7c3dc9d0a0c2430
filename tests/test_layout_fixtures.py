"""Forms already sent out keep reading: fixture PDFs of each layout version, read back exactly.

``tests/fixtures/forms/layout-<n>/`` holds, for every document (and every definition version
made under that layout), the example record and its form as apforms laid it out then: fillable
and filled, flattened by apforms, and printed to PDF by ``pdftocairo`` (which redraws every page
and drops the fields). The files were made once by the code of that version
(``scripts/layout_fixtures.py``) and are never regenerated; see ``tests/layout_support.py``.
"""

from __future__ import annotations

import pytest

from apforms.formats.pdf.read import ingest_pdf
from apforms.model.definitions import document_ids

from .layout_support import KINDS, Stem, layouts, stems

CASES = [(s, kind) for s in stems() for kind in KINDS]


def test_every_layout_has_fixtures_of_every_document() -> None:
    assert layouts(), "no layout fixtures"
    for n in layouts():
        assert {s.document for s in stems(n)} == set(document_ids()), n
        for s in stems(n):
            for kind in KINDS:
                assert s.pdf(kind).is_file(), (s, kind)


@pytest.mark.parametrize(("stem", "kind"), CASES, ids=[f"layout-{s.layout}-{s.name}-{k}" for s, k in CASES])
def test_fixture_reads_back_exactly(stem: Stem, kind: str) -> None:
    expected = stem.record()
    result = ingest_pdf(stem.pdf(kind).read_bytes(), stem.pdf(kind).name)
    assert result.ok, [str(p) for p in result.validation.problems]
    assert result.record["document"] == stem.document
    assert result.record["version"] == stem.version  # read with the definition it was made from
    assert result.record["data"] == expected["data"]
    assert result.method == ("fields" if kind == "filled" else "flattened")

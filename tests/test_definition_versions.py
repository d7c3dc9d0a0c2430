"""A changed definition does not change forms already sent out: earlier versions are kept in
``schemas/history/<id>/<version>.yaml``, and forms and records made with one keep reading
with it. Tested on a copy of ``schemas/`` where the SLA gained a field (version 1.1)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apforms.errors import DefinitionError
from apforms.formats.pdf.read import ingest_pdf
from apforms.formats.pdf.writer import render_pdf
from apforms.model import definitions, records
from apforms.resources import schemas_dir

from .layout_support import KINDS, stem_for

NEW_FIELD = "      - {key: name, label: Name of provider, type: text, required: true}\n"


@pytest.fixture
def bumped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "schemas"
    shutil.copytree(schemas_dir(), root)
    old = (root / "sla.yaml").read_text(encoding="utf-8")
    assert NEW_FIELD in old and 'version: "1.0"' in old
    (root / "history" / "sla").mkdir(parents=True)
    (root / "history" / "sla" / "1.0.yaml").write_text(old, encoding="utf-8")
    new = old.replace('version: "1.0"', 'version: "1.1"').replace(
        NEW_FIELD, NEW_FIELD + "      - {key: trading_name, label: Trading name, type: text}\n"
    )
    (root / "sla.yaml").write_text(new, encoding="utf-8")
    monkeypatch.setattr(definitions, "schemas_dir", lambda: root)
    definitions.load_definition.cache_clear()
    yield root
    definitions.load_definition.cache_clear()


def test_the_current_and_the_kept_version(bumped: Path) -> None:
    assert definitions.load_definition("sla").version == "1.1"
    assert definitions.kept_versions("sla") == ["1.0"]
    old = definitions.load_definition("sla", "1.0")
    assert old.version == "1.0" and "provider.trading_name" not in {f.path for f in old.walk()}
    with pytest.raises(
        DefinitionError, match=r"sla version 0\.9 is not kept \(earlier versions kept: 1\.0\)"
    ):
        definitions.load_definition("sla", "0.9")


def test_forms_sent_out_before_the_change_read_with_their_own_version(bumped: Path) -> None:
    stem = stem_for(1, "sla", "1.0")
    assert stem is not None
    for kind in KINDS:
        result = ingest_pdf(stem.pdf(kind).read_bytes(), f"sla-{kind}.pdf")
        assert result.ok, result.validation.problems
        assert result.record["version"] == "1.0"
        assert result.record["data"] == stem.record()["data"]
        assert any("read with its own version" in w for w in result.warnings)


def test_a_record_keeps_its_own_version(bumped: Path) -> None:
    stem = stem_for(1, "sla", "1.0")
    assert stem is not None
    record = records.record_from_obj(stem.record())
    assert record.definition.version == "1.0"
    assert records.validate(record.definition, record.data).ok


def test_the_new_version_has_the_new_field(bumped: Path) -> None:
    sla = definitions.load_definition("sla")
    data = records.canonical(
        sla, {**_sla_data(), "provider": {**_sla_data()["provider"], "trading_name": "RFL"}}
    )
    result = ingest_pdf(render_pdf(sla, data, flatten=True), "new.pdf")
    assert result.record["version"] == "1.1" and result.record["data"] == data
    assert result.record["data"]["provider"]["trading_name"] == "RFL"


def _sla_data() -> dict[str, Any]:
    stem = stem_for(1, "sla", "1.0")
    assert stem is not None
    data: dict[str, Any] = stem.record()["data"]
    return data

"""The benchmarks' own checks (benchmarks/*.py): each stops the run, exit 2 and a ``CHECK FAILED``
line, when a route did less work than it reports. One section per benchmark; where a check reads
real outputs, the test shows it passing on them first, then failing once they are cut short."""

from __future__ import annotations

import copy
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _measure  # noqa: E402
import archive as archive_bench  # noqa: E402
import bulk as bulk_bench  # noqa: E402
import pdf as pdf_bench  # noqa: E402


def check_failed(capsys: pytest.CaptureFixture[str], fn: Callable[..., Any], *args: Any) -> str:
    """``fn(*args)`` must stop the benchmark: exit 2, one CHECK FAILED line; that line."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as stopped:
        fn(*args)
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("CHECK FAILED: "), lines
    return lines[0].removeprefix("CHECK FAILED: ")


# --------------------------------------------------------------------------- _measure


def test_require_stops_the_run_with_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    _measure.require(True, "not shown")
    assert capsys.readouterr().err == ""
    assert check_failed(capsys, _measure.require, False, "3 of 4 files written") == "3 of 4 files written"


# --------------------------------------------------------------------------- bulk.py


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """Two school–provider pairs made by apforms' bulk route (one worker): the outputs, the plan."""
    from apforms.bulk import bulk_sla
    from apforms.model.config import load_config

    folder = tmp_path_factory.mktemp("bulk")
    inputs = bulk_bench.make_inputs(folder, 2)
    plan = bulk_bench._plan(inputs)
    assert len(plan.pairs) == 2
    out = folder / "out"
    args = inputs["placements"], inputs["providers"], inputs["schools"], out, load_config().registration
    assert bulk_sla(*args, ("docx", "pdf"), 1).ok
    return out, plan


def test_bulk_check_refuses_a_missing_pdf(
    bulk_run: tuple[Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, plan = bulk_run
    assert set(bulk_bench.check_outputs("apforms", out, plan)) == {p.stem for p in plan.pairs}
    short = shutil.copytree(out, tmp_path / "out")
    (short / f"{plan.pairs[1].stem}.pdf").unlink()
    assert (
        check_failed(capsys, bulk_bench.check_outputs, "apforms", short, plan)
        == "apforms: 1 of 2 .pdf files written"
    )


def test_bulk_check_refuses_a_docx_without_its_names(
    bulk_run: tuple[Path, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second pair's Word file in the first's place: the provider's name is not there."""
    out, plan = bulk_run
    first, second = (p.stem for p in plan.pairs)
    short = shutil.copytree(out, tmp_path / "out")
    (short / f"{first}.docx").write_bytes((out / f"{second}.docx").read_bytes())
    message = check_failed(capsys, bulk_bench.check_outputs, "apforms", short, plan)
    assert message.startswith(f"apforms: {first}.docx does not show ['Bench Provider 00', 'SLA-"), message


# --------------------------------------------------------------------------- archive.py


def test_archive_checks_refuse_short_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What a step reports against what it was asked (no archive needed to refuse these)."""
    check = archive_bench.check_step
    # a copy already stored is not an add
    got = {"outcomes": {"added": 1, "already": 1}, "status": {"fully_signed": 2}}
    message = check_failed(capsys, check, "cold", got, tmp_path, 4, 10)
    assert message == "add (cold): outcomes: {'added': 1, 'already': 1}, not {'added': 2}"
    assert check_failed(capsys, check, "fill", {"added": 5}, tmp_path, 4, 10) == "fill: stored: 5, not 6"
    report = {"ok": True, "checked": 9}
    message = check_failed(capsys, check, "verify", {"report": report}, tmp_path, 4, 10)
    assert message == "verify: files re-hashed: 9, not 10"
    got = {"problems": [], "rows": 9}
    message = check_failed(capsys, check, "catalogue", got, tmp_path, 4, 10)
    assert message == "catalogue: entries checked: 9, not 10"


def test_archive_check_counts_the_catalogue_not_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two signed copies, only the first added: a report of two adds is refused by the catalogue."""
    archive_bench.step("sign", tmp_path, 2, 2)
    archive_bench.check_step("sign", {}, tmp_path, 2, 2)
    got = archive_bench.step("cold", tmp_path, 2, 2)
    archive_bench.check_step("cold", got, tmp_path, 2, 2)  # the first half: one add, as asked
    claimed = {"outcomes": {"added": 1}, "status": {"fully_signed": 1}}  # the second, never run
    message = check_failed(capsys, archive_bench.check_step, "warm", claimed, tmp_path, 2, 2)
    assert message == "add (warm): files in the catalogue: 1, not 2"


def test_archive_scale_checks_refuse_a_wrong_search_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--scale on SQLite, 120 entries: 2 a school; a search one entry short, or by UPN finding none."""
    n = 120
    got = archive_bench.scale(n, tmp_path, None)
    assert got["found"]["school"] == [2] * archive_bench.QUERIES  # the inputs: 120 entries, 60 schools
    archive_bench.check_scale(n, got, tmp_path, None, "sqlite")
    short = {**got, "found": {**got["found"], "school": [1] + got["found"]["school"][1:]}}
    message = check_failed(capsys, archive_bench.check_scale, n, short, tmp_path, None, "sqlite")
    school = archive_bench.scale_queries(n)[1][0]
    assert message == f"sqlite: entries found by school {school!r}: 1, not 2"
    none = {**got, "found": {**got["found"], "upn": [[]] + got["found"]["upn"][1:]}}
    message = check_failed(capsys, archive_bench.check_scale, n, none, tmp_path, None, "sqlite")
    upn = archive_bench.scale_queries(n)[0][0]
    assert message == f"sqlite: search by UPN {upn}: [], not [{upn!r}]"
    message = check_failed(capsys, archive_bench.check_scale, n + 1, got, tmp_path, None, "sqlite")
    assert message == "sqlite: entries stored: 120, not 121"


# --------------------------------------------------------------------------- benchmarks/pdf_bench.py


def test_pdf_read_check_passes_only_the_whole_record() -> None:
    data = pdf_bench.records(1)
    assert pdf_bench.compare_read("read", "apforms", {0: copy.deepcopy(data[0])}, data) == (
        "1/1 records identical",
        [],
    )
    changed = copy.deepcopy(data[0])
    changed["pupil"]["legal_name"] += "x"
    note, short = pdf_bench.compare_read("read", "apforms", {0: changed}, data)
    assert note == "0/1 records identical" and short == ["apforms misread read record 0"]


def test_pdf_read_check_fails_a_peer_that_reads_a_value_short() -> None:
    data = pdf_bench.records(1)
    want = pdf_bench.text_values(data[0])
    note, short = pdf_bench.compare_read("read", "pypdf", {0: dict(want)}, data)
    assert (note, short) == (f"{len(want)}/{len(want)} text values read", [])
    lost = dict(want)
    del lost["pupil.legal_name"]
    note, short = pdf_bench.compare_read("read", "pypdf", {0: lost}, data)
    assert note == f"{len(want) - 1}/{len(want)} text values read"
    assert short == [f"pypdf read 'pupil.legal_name' of record 0 as None, not {want['pupil.legal_name']!r}"]


def test_pdf_read_check_excuses_only_the_known_shortfall() -> None:
    data = pdf_bench.records(1)
    want = pdf_bench.text_values(data[0])
    combos = pdf_bench.combo_names(data[0]) & set(want)
    assert combos  # the referral has dropdowns holding values
    got = {k: v for k, v in want.items() if k not in combos}  # PyPDFForm's reading: no dropdowns
    note, short = pdf_bench.compare_read("read", "PyPDFForm", {0: got}, data)
    assert short == [] and f"; {len(combos)} dropdowns not read" in note
    # the same values missing from a peer with no such known shortfall fail
    assert pdf_bench.compare_read("read", "pypdf", {0: got}, data)[1]
    # and PyPDFForm losing anything else fails too
    del got["pupil.legal_name"]
    assert pdf_bench.compare_read("read", "PyPDFForm", {0: got}, data)[1][0].startswith(
        "PyPDFForm read 'pupil.legal_name'"
    )


def test_pdf_pdftk_dump_keeps_values_of_several_lines() -> None:
    dump = (
        "---\nFieldType: Text\nFieldName: parents.address\nFieldNameAlt: Address\n"
        "FieldValue: 14 Example Road\nLittleover: east\nDerby DE23 6XX\n"
        "FieldJustification: Left\n---\nFieldType: Text\nFieldName: parents.email\n"
        "FieldValue: nadia@example.org\n---\nFieldType: Text\nFieldName: empty\nFieldValue: \n"
    )
    assert pdf_bench.pdftk_values(dump) == {
        "parents.address": "14 Example Road\nLittleover: east\nDerby DE23 6XX",
        "parents.email": "nadia@example.org",
        "empty": "",
    }


def test_pdf_names_check_reads_the_glyphs_drawn_not_what_a_span_claims(tmp_path: Path) -> None:
    data = pdf_bench.records(8)
    arabic, latin = data[7], data[0]  # "محمد العربي AH", "Łukasz Wójcik AA"
    (tmp_path / "blank.pdf").write_bytes(_measure.blank_like("referral", arabic))
    ours = pdf_bench.fill_apforms(tmp_path, arabic)
    assert pdf_bench.names_shown(ours, arabic["pupil"]["legal_name"])
    assert not pdf_bench.names_shown(ours, latin["pupil"]["legal_name"])
    # pypdf draws "???? ?????? AH" in Helvetica, in a span whose /ActualText says it is the name
    peer = pdf_bench.fill_pypdf(tmp_path, arabic)
    assert b"????" in peer and b"/ActualText" in peer
    assert not pdf_bench.names_shown(peer, arabic["pupil"]["legal_name"])
    assert pdf_bench.names_shown(
        pdf_bench.fill_pypdf(tmp_path, latin), latin["pupil"]["legal_name"]
    )  # cp1250 shows it

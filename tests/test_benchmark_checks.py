"""The benchmarks' own checks (benchmarks/*.py): each stops the run, exit 2 and a ``CHECK FAILED``
line, when a route did less work than it reports. One section per benchmark; where a check reads
real outputs, the test shows it passing on them first, then failing once they are cut short."""

from __future__ import annotations

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

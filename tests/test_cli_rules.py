"""``apforms check``, ``rules``, ``qa outcome`` and ``improvement-plan from-qa``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from apforms._demo import demo
from apforms.cli import main
from apforms.rules import all_rules

from .conftest import example_data, record_text

DOCS = ("referral", "commissioning", "sla", "qa", "improvement-plan")


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input)


def write(tmp_path: Path, name: str, doc: str, data: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(record_text(doc, data), encoding="utf-8")
    return str(path)


def examples(tmp_path: Path) -> list[str]:
    return [write(tmp_path, f"{doc}.json", doc, example_data(doc)) for doc in DOCS]


def test_check_examples_exit_0_grouped_by_file(tmp_path: Path) -> None:
    result = run("check", "--today", "2026-10-15", *examples(tmp_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # the examples are of different pupils and providers: checked together, the referral's
    # placement (begun 01/10/2026) has neither a commissioning agreement nor a QA record among them
    assert lines[0].endswith("referral.json (referral): 3 finding(s)")
    assert [line.split()[:2] for line in lines[1:4]] == [
        ["warning", "REF-011"],
        ["warning", "QA-007"],
        ["info", "ATT-007"],
    ]
    # on 15/10/2026 the example agreement's last review and planned visit are long past
    assert lines[4].endswith("commissioning.json (commissioning): 2 finding(s)")
    # the QA example was approved subject to a plan with its 1f Limited: advice, exit 0
    assert any(line.startswith("  warning QA-001  ") for line in lines)
    assert lines[-1] == "0 errors, 5 warnings, 1 info in 5 file(s)"


def test_check_errors_first_and_exit_1(tmp_path: Path) -> None:
    ref = example_data("referral")
    ref["other_info"]["pupil_views"] = ""  # REF-005 warning
    del ref["status"]["fsm"]  # REF-008 error
    path = write(tmp_path, "zofia.json", "referral", ref)
    result = run("check", "--today", "2026-10-15", path)
    assert result.exit_code == 1
    found = [line.split()[:2] for line in result.output.splitlines() if line.startswith("  ")]
    assert found == [["error", "REF-008"], ["warning", "REF-005"], ["info", "ATT-007"]]
    assert "Entitled to Free School Meals" in result.output


def test_check_json(tmp_path: Path) -> None:
    sla = example_data("sla")
    sla["provision"]["hours_per_week"] = 5
    ref = example_data("referral")
    ref["placement"]["provider"] = sla["provider"]["name"]
    ref["pupil"]["current_school"] = sla["school"]["name"]
    paths = [write(tmp_path, "sla.json", "sla", sla), write(tmp_path, "ref.json", "referral", ref)]
    result = run("check", "--json", "--today", "2026-10-15", *paths)
    assert result.exit_code == 0  # warnings only
    out = json.loads(result.output)
    assert out["ok"] is True and out["counts"]["warning"] >= 1
    assert [f["file"] for f in out["files"]] == paths
    (sla_hours,) = [f for f in out["files"][0]["findings"] if f["rule"] == "SLA-006"]
    assert sla_hours["fields"] == [{"label": "Number of hours per week", "path": "provision.hours_per_week"}]
    assert sla_hours["source"].startswith("Derby AP guidance s17")


def test_check_config_option(tmp_path: Path) -> None:
    sla = example_data("sla")
    sla["terms"]["provider_obligations"][1] = "Report absence to the school within 45 minutes."
    path = write(tmp_path, "sla.json", "sla", sla)
    assert "SLA-001" in run("check", path).output
    cfg = tmp_path / "council.yaml"
    cfg.write_text("provider_expectations: {absence_report_minutes: 60}\n", encoding="utf-8")
    assert "SLA-001" not in run("check", "--config", str(cfg), path).output


def test_check_cannot_run_exits_2(tmp_path: Path) -> None:
    good = examples(tmp_path)[0]
    missing = run("check", good, str(tmp_path / "missing.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.output and "Traceback" not in missing.output
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"document": "passport", "data": {}}', encoding="utf-8")
    unknown = run("check", str(foreign))
    assert unknown.exit_code == 2 and "unknown document" in unknown.output
    assert run("check").exit_code == 2


def test_rules_lists_every_rule_with_severity_and_source() -> None:
    result = run("rules")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [r.id for r in all_rules()]
    assert lines[0].startswith("VAL-000  error   ") and lines[0].endswith("]")
    listed = json.loads(run("rules", "--json").output)
    assert {r["id"] for r in listed} == {r.id for r in all_rules()}
    assert all(r["source"] and r["severity"] in ("error", "warning", "info") for r in listed)


def test_qa_outcome(tmp_path: Path) -> None:
    path = examples(tmp_path)[3]
    result = run("qa", "outcome", path)
    assert result.exit_code == 0
    assert "(not_met_reapply)" in result.output.splitlines()[0]
    assert "Safeguarding standard(s) below Fully: 1f (Limited evidence)" in result.output
    assert "Recorded outcome: approved_subject_to_plan (DIFFERS)" in result.output
    data = example_data("qa")
    data["safeguarding"]["s1f"]["rating"] = "fully"
    data["outcome"]["outcome"] = "approved"
    out = json.loads(run("qa", "outcome", "--json", "-", input=record_text("qa", data)).output)
    assert out["supported"] == "approved_subject_to_plan" and out["agrees"] is False
    wrong = run("qa", "outcome", examples(tmp_path)[2])
    assert wrong.exit_code == 2 and "a qa record is needed, not sla" in wrong.output


def test_improvement_plan_from_qa(tmp_path: Path) -> None:
    out = tmp_path / "plans" / "riverside.json"
    result = run("improvement-plan", "from-qa", examples(tmp_path)[3], "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "6 row(s)" in result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["document"] == "improvement-plan"
    assert run("validate", "--partial", str(out)).exit_code == 0
    checked = run("check", "--today", "2026-10-15", str(out))
    assert checked.exit_code == 0 and checked.output.count("QA-004") == 6


def test_demo_shows_checks_and_writes_the_drafted_plan(tmp_path: Path) -> None:
    result = demo(tmp_path)
    summary = (tmp_path / "checks.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert summary.startswith("check: 0 error(s)")
    plan = json.loads((tmp_path / "examples" / "improvement-plan-from-qa.json").read_text(encoding="utf-8"))
    assert len(plan["data"]["improvement_plan"]["plan"]) == 6
    assert any(note.startswith("check: ") for note in result.notes)


def test_check_as_of_a_date_is_reproducible(tmp_path: Path) -> None:
    """--as-of (the documented name; --today still works) fixes every dated finding."""
    paths = examples(tmp_path)
    early = run("check", "--as-of", "2026-10-15", *paths)
    assert early.output == run("check", "--today", "2026-10-15", *paths).output
    late = run("check", "--as-of", "2026-12-01", *paths)
    assert "ATT-003" not in early.output and "ATT-003" in late.output  # the review date passed


def test_qa_outcome_takes_the_councils_safeguarding_gate(tmp_path: Path) -> None:
    """With 1f out of a council's gate, the example QA's ratings suggest what was recorded."""
    from apforms.model.config import default_config_path

    council = tmp_path / "council.yaml"
    council.write_text(
        Path(default_config_path())
        .read_text(encoding="utf-8")
        .replace("safeguarding_gate: [1a, 1b, 1d, 1f]", "safeguarding_gate: [1a, 1b, 1d]"),
        encoding="utf-8",
    )
    qa = examples(tmp_path)[3]
    assert "(not_met_reapply)" in run("qa", "outcome", qa).output.splitlines()[0]
    strict_off = run("qa", "outcome", "--config", str(council), qa)
    assert "(approved_subject_to_plan)" in strict_off.output.splitlines()[0], strict_off.output

"""The five realistic cases (``docs/cases/``) and the five examples give, checked as of
1 December 2026, exactly the findings the README lists for them ("Five realistic cases").

The README is the source of the expected findings: each folder is a heading ``### `folder` ``
and each finding a line ``- `file.json` severity RULE-000 — what it means``, in the order
``apforms check --as-of 2026-12-01 <folder>/*.json`` prints them (files by name, errors first
in each file); a folder with none says "No findings.". The day is fixed, never the clock.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from apforms import api
from apforms.model.config import load_config
from apforms.model.definitions import load_definition
from apforms.rules import run_checks

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 12, 1)
SECTION = "## Five realistic cases"
COMMAND = "apforms check --as-of 2026-12-01 docs/cases/<slug>/*.json"
FOLDER = re.compile(r"^### `(?P<folder>[^`]+)`$")
FINDING = re.compile(
    r"^- `(?P<file>[\w.-]+\.json)` (?P<severity>error|warning|info) (?P<rule>[A-Z]{2,4}-\d{3}) — \S"
)
NO_FINDINGS = "No findings."

Listed = list[tuple[str, str, str]]  # (file name, rule id, severity)


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(f"\n{SECTION}\n") == 1, f"README.md has no single {SECTION!r} section"
    return text.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]


def listed_findings() -> dict[str, Listed]:
    """Each folder's findings as the README lists them."""
    out: dict[str, Listed] = {}
    said_none: set[str] = set()
    folder = None
    for line in readme_section().splitlines():
        if heading := FOLDER.match(line):
            folder = heading["folder"]
            assert folder not in out, f"{folder} is listed twice"
            out[folder] = []
        elif folder and line.startswith("- "):
            match = FINDING.match(line)
            assert match, f"not a finding line: {line!r}"
            out[folder].append((match["file"], match["rule"], match["severity"]))
        elif folder and line.strip() == NO_FINDINGS:
            said_none.add(folder)
    for name, findings in out.items():
        assert bool(findings) != (name in said_none), f"{name}: list its findings, or say {NO_FINDINGS!r}"
    return out


LISTED = listed_findings()
CASES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "cases").iterdir() if p.is_dir())
CASE_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "cases").glob("*/*.json"))


def found(folder: str) -> Listed:
    """What ``apforms check --as-of 2026-12-01 <folder>/*.json`` finds, as (file, rule, severity)."""
    given = [(p.name, api.read_record(p)) for p in sorted((ROOT / folder).glob("*.json"))]
    return [(f.file, f.rule, f.severity) for f in run_checks(given, load_config(), AS_OF)]


def test_readme_lists_the_five_cases_the_examples_and_the_command() -> None:
    assert len(CASES) == 5
    assert sorted(LISTED) == sorted([*CASES, "schemas/examples"])
    assert COMMAND in readme_section()


@pytest.mark.parametrize("folder", sorted(LISTED))
def test_findings_as_of_1_december_2026_are_those_the_readme_lists(folder: str) -> None:
    assert found(folder) == LISTED[folder]


@pytest.mark.parametrize("path", CASE_FILES)
def test_case_records_are_complete_valid_and_current(path: str) -> None:
    record = api.read_record(ROOT / path)
    assert record.definition.version == load_definition(record.definition.id).version
    result = api.validate(record)
    assert not result.problems and not result.missing, (result.problems, result.missing)


EMAIL = re.compile(r"[\w.+-]+@(?P<domain>[\w-]+(?:\.[\w-]+)+)")
PHONE = re.compile(r"\b0\d{2,4} ?\d{3} ?\d{3,4}\b")
#: Fictional contact details only: Ofcom's drama ranges (07700 900xxx, 0115 496 0xxx) and
#: Derby numbers as the examples use them; example.org and example.sch.uk addresses.
PHONE_PREFIXES = ("07700 900", "0115 496 0", "01332 ")


@pytest.mark.parametrize("path", CASE_FILES)
def test_case_contact_details_are_fictional(path: str) -> None:
    text = (ROOT / path).read_text(encoding="utf-8")
    domains = {m["domain"] for m in EMAIL.finditer(text)}
    assert all(d == "example.org" or d.endswith((".example.org", "example.sch.uk")) for d in domains), domains
    phones = set(PHONE.findall(text))
    assert all(p.startswith(PHONE_PREFIXES) for p in phones), phones

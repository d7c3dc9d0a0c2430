"""Text made safe for outputs (apforms.safe): CSV cells, terminals, messages."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from apforms import safe


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x.example","x")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1+1"],
)
def test_cells_a_spreadsheet_would_run_are_text(cell: str) -> None:
    assert safe.csv_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Riverside Farm", "", "1+1", " =x", "£45.50", "'quoted", "Ştefan"])
def test_other_cells_are_left_as_they_are(cell: str) -> None:
    assert safe.csv_cell(cell) == cell


def test_numbers_are_left_as_numbers() -> None:
    assert safe.csv_row({"pupils": 3, "cost": -2.5, "name": "-x"}) == {
        "pupils": 3,
        "cost": -2.5,
        "name": "'-x",
    }
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_ALL).writerow(safe.csv_row({"a": "=1"}).values())
    assert buf.getvalue() == '"\'=1"\r\n'


def test_control_characters_are_made_visible() -> None:
    text = "Peak\x1b[2J\x1b]0;title\x07 Boxing\u202eymedacA\r\nnext\tline\x9b\x00\u2028\udc80"
    shown = safe.visible(text)
    assert shown == (
        "Peak\\x1b[2J\\x1b]0;title\\x07 Boxing\\u202eymedacA\\r\\nnext\\tline\\x9b\\x00\\u2028\\udc80"
    )
    assert shown.isprintable()


def test_scripts_and_their_joiners_are_left_as_they_are() -> None:
    names = ["Łukasz Wójcik", "Ştefan Ionescu", "ਗੁਰਪ੍ਰੀਤ ਕੌਰ", "زینب\u200cعلی", "Олена Шевченко", "Ján Čonka"]
    for name in names:
        assert safe.visible(name) == name


def test_a_value_is_quoted_as_a_short_prefix() -> None:
    assert safe.quote("DE1 1AA") == "'DE1 1AA'"
    assert safe.quote("x" * 50_000_000) == f"{'x' * 40!r}… (50,000,000 characters)"
    assert len(safe.quote(list(range(1_000_000)))) < 60
    assert safe.quote({"a": "b" * 10_000}).startswith("{'a': 'bbb")
    assert len(safe.quote({"a": "b" * 10_000})) < 60


@pytest.mark.parametrize(
    "text",
    [
        "'V831200024001' is not a valid UPN",
        '"\'V831200024001" is not a valid UPN',  # Excel's apostrophe: repr's double quotes
        "unknown school 'xV831200024001y'",
        "v831200024001",  # in lower case
        "A 831 200 031 003",  # spaced
        "A-831-200-031-003",
        "placements-V831200024001.csv",
        "T83120003100A (a temporary UPN)",
    ],
)
def test_upns_are_redacted_wherever_they_are(text: str) -> None:
    redacted = safe.redact_upns(text)
    assert "[UPN]" in redacted
    assert not any(
        run in redacted for run in ("831200024001", "831 200 031 003", "831-200-031-003", "83120003100")
    )


@pytest.mark.parametrize("text", ["row 1234567", "DE21 7XX", "01332 496012", "2026-09-07", "SLA-20260907-x"])
def test_what_is_not_a_upn_is_kept(text: str) -> None:
    assert safe.redact_upns(text) == text


def test_quoted_values_are_taken_out() -> None:
    assert safe.without_values("'2014-03-09' is not a date") == "the value is not a date"
    assert safe.without_values("\"it's\" and 'x\\'y' here") == "the value and the value here"
    long = f"{safe.quote('x' * 100)} is too long"
    assert safe.without_values(long) == "the value is too long"


#: What a terminal obeys or a text view reorders, as a value may hold it: C0 (JSON escapes
#: these itself), DEL, C1 (NEL, CSI), the bidi embeddings, overrides, isolates and marks, the
#: Arabic letter mark, line and paragraph separators, and a lone surrogate.
UNSAFE = (
    "\x00\x1b\x7f\x85\x9b\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\udc80"
)


def test_json_escapes_what_a_terminal_obeys_and_parses_back_the_same() -> None:
    """json.dumps(ensure_ascii=False) wrote C1 and bidi controls raw: a pupil's name with
    U+202E printed by --json reordered the terminal's line."""
    record = {
        "document": "referral",
        "data": {
            "pupil": {"name": "Zofia Wiśniewska\u202e", "language": "ਪੰਜਾਬੀ, اردو, کوردی, українська"},
            f"key{UNSAFE}": [UNSAFE, "می\u200cخواهم", "Ján Čonka\x85"],
        },
    }
    text = safe.json_text(record)
    assert json.loads(text) == record
    assert not set(UNSAFE) & set(text)
    assert "\\u202e" in text and "\\u0085" in text and "\\udc80" in text
    assert "Wiśniewska" in text and "ਪੰਜਾਬੀ" in text and "\u200c" in text  # letters and joiners as they are
    assert text == json.dumps(record, indent=2, ensure_ascii=False).translate(
        {ord(c): f"\\u{ord(c):04x}" for c in UNSAFE[2:]}
    )
    assert json.loads(safe.json_text(record, indent=None, sort_keys=True)) == record


def test_every_json_apforms_writes_or_prints_goes_through_json_text() -> None:
    """The one place: json.dumps elsewhere in src/ only where the text is not an output
    (the audit chains' hashed forms — the archive's and the web app's — the catalogues'
    columns, the ASCII checkpoint, the disk cache's entries)."""
    src = Path(safe.__file__).parent
    allowed = {"safe.py", "archive/chain.py", "archive/rows.py", "web/audit.py", "cache.py"}
    found = sorted(
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if "json.dump" in path.read_text(encoding="utf-8") and str(path.relative_to(src)) not in allowed
    )
    assert found == []

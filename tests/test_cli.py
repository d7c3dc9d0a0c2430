from __future__ import annotations

import json
import re
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from apforms import api
from apforms.cli import main

from .conftest import ALL_DOCS, example_data, record_text
from .pdf_support import canonical_example, pdfium_text, squash


def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=input)


def test_documents_lists_all_five() -> None:
    result = run("documents")
    assert result.exit_code == 0
    ids = [line.split()[0] for line in result.output.splitlines()]
    assert ids == sorted(ALL_DOCS)


def test_example_pipes_into_validate(doc: str) -> None:
    example = run("example", doc)
    assert example.exit_code == 0
    assert json.loads(example.output)["document"] == doc
    result = run("validate", "-", input=example.output)
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_lists_problems_by_label_and_exits_1() -> None:
    data = example_data("sla")
    del data["provider"]["name"]
    data["provision"]["pupils"] = "several"
    result = run("validate", "-", input=record_text("sla", data))
    assert result.exit_code == 1
    assert "Name of provider (provider.name): Missing data" in result.output
    assert "Number of pupils (provision.pupils): Not a number: 'several'" in result.output


def test_validate_json_output() -> None:
    data = example_data("sla")
    data["school"]["postcode"] = "nowhere"
    result = run("validate", "--json", "-", input=record_text("sla", data))
    assert result.exit_code == 1
    out = json.loads(result.output)
    assert out["valid"] is False
    assert out["problems"] == [
        {
            "path": "school.postcode",
            "label": "Postcode",
            "message": "'nowhere' is not a UK postcode",
        }
    ]


def test_validate_partial() -> None:
    text = record_text("sla", {"provider": {"name": "Peak Boxing Academy"}})
    assert run("validate", "-", input=text).exit_code == 1
    result = run("validate", "--partial", "-", input=text)
    assert result.exit_code == 0
    assert "3 required fields still empty" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("validate", "-"), "{not json", "not JSON"),
        (
            ("validate", "-"),
            '{"document": "passport", "version": "1", "data": {}}',
            "unknown document",
        ),
        (("validate", "/no/such/file.json"), None, "cannot read /no/such/file.json"),
        (("example", "passport"), None, "Invalid value"),
    ],
)
def test_cannot_run_exits_2_with_one_line(args: tuple[str, ...], stdin: str | None, message: str) -> None:
    result = run(*args, input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_schema_prints_definition_and_json_schema() -> None:
    assert "Number of hours per week" in run("schema", "sla").output
    js = json.loads(run("schema", "sla", "--json-schema").output)
    assert js["$schema"].endswith("2020-12/schema")


def test_upn_check_letter_through_the_command() -> None:
    data = example_data("referral")
    data["pupil"]["upn"] = "P207000016049"
    assert run("validate", "-", input=record_text("referral", data)).exit_code == 0
    data["pupil"]["upn"] = "Q207000016049"
    result = run("validate", "-", input=record_text("referral", data))
    assert result.exit_code == 1
    assert "UPN (pupil.upn)" in result.output


def test_demo_writes_every_example(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run("demo", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    for doc in ALL_DOCS:
        written = json.loads((tmp_path / "examples" / f"{doc}.json").read_text(encoding="utf-8"))
        assert written == api.example(doc)
    # the Word referral read back, as a provider returns it: the example exactly
    returned = json.loads((tmp_path / "docx" / "referral-returned.json").read_text(encoding="utf-8"))
    assert returned["provenance"]["read_from"] == "word"
    assert returned["data"] == canonical_example("referral")
    # and the web app, with the same examples loaded and its demo accounts printed
    assert f"apforms serve --data {tmp_path.resolve() / 'web'}" in result.output
    assert re.search(r"ap\.lead@derwent-meadows\.example\.sch\.uk  password \S{20,}", result.output)
    officer = r"ap\.officer@example\.gov\.uk  password \S{20,}\n      two-factor secret [A-Z2-7]{32} "
    assert re.search(officer, result.output)  # LA staff sign in with a code from an authenticator
    import sqlite3

    with sqlite3.connect(tmp_path / "web" / "web.sqlite3") as db:
        stored = dict(
            db.execute("select document, count(*) from apforms_web_record group by document").fetchall()
        )
    assert stored == {doc: 2 if doc == "referral" else 1 for doc in ALL_DOCS}
    again = run("demo", "-o", str(tmp_path))  # a second demo replaces its own web data
    assert again.exit_code == 0, again.output


# --------------------------------------------------------------------------- format from -o


def _title(doc: str) -> str:
    return next(d.title for d in api.documents() if d.id == doc)


def _pdf_has_title(path: Path, doc: str) -> bool:
    data = path.read_bytes()
    return data.startswith(b"%PDF") and squash(_title(doc)) in squash(pdfium_text(data))


def _docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    cells = (c.text for t in document.tables for row in t.rows for c in row.cells)
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


@pytest.fixture
def sla_record(tmp_path: Path) -> Path:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(api.example("sla"), ensure_ascii=False), encoding="utf-8")
    return path


def test_render_writes_a_pdf_when_the_output_ends_in_pdf(sla_record: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    result = run("render", str(sla_record), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert _pdf_has_title(out, "sla")


@pytest.mark.parametrize("name", ["out.docx", "out"])  # Word when neither -f nor the extension says
def test_render_writes_word_for_docx_or_no_extension(sla_record: Path, tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    result = run("render", str(sla_record), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"PK")  # a zip, as every .docx is
    assert _title("sla") in _docx_text(out)


def test_blank_writes_a_pdf_when_the_output_ends_in_pdf(tmp_path: Path) -> None:
    out = tmp_path / "qa.pdf"
    result = run("blank", "qa", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert _pdf_has_title(out, "qa")


@pytest.mark.parametrize(
    "args",
    [
        ("render", "{record}", "-f", "docx", "-o", "{out}"),
        ("blank", "sla", "-f", "docx", "-o", "{out}"),
    ],
)
def test_format_contradicting_the_extension_is_refused(
    sla_record: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    out = tmp_path / "out.pdf"
    result = run(*(a.format(record=sla_record, out=out) for a in args))
    assert result.exit_code == 2
    assert result.output == "apforms: -f docx contradicts the output file's extension (out.pdf)\n"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [sla_record]


def test_output_names_that_say_no_format_are_refused(tmp_path: Path) -> None:
    record = tmp_path / "sla.json"
    record.write_text(json.dumps(api.example("sla")), encoding="utf-8")
    for out, message in ((tmp_path / "sla.txt", "should end .docx or .pdf"), ("-", "not -")):
        result = CliRunner().invoke(main, ["render", str(record), "-o", str(out)])
        assert result.exit_code == 2 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "sla.txt").exists() and not Path("-").exists()


def test_ingest_of_something_that_is_not_a_pdf_says_so(tmp_path: Path) -> None:
    record = tmp_path / "ref.json"
    record.write_text(json.dumps(api.example("referral")), encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(record)])
    assert result.exit_code == 2 and "not a PDF" in result.output, result.output


@pytest.mark.parametrize("flatten", [False, True], ids=["filled", "flattened"])
def test_validate_and_check_read_a_returned_pdf_and_say_so(tmp_path: Path, flatten: bool) -> None:
    record = tmp_path / "sla.json"
    record.write_text(json.dumps(api.example("sla")), encoding="utf-8")
    returned = tmp_path / "returned.pdf"
    args = ["render", str(record), "-o", str(returned)] + (["--flatten"] if flatten else [])
    assert CliRunner().invoke(main, args).exit_code == 0
    how = "flattened page" if flatten else "form fields"
    validated = CliRunner().invoke(main, ["validate", str(returned)])
    assert validated.exit_code == 0, validated.output
    assert f"note: {returned}: read from the returned PDF ({how})" in validated.output
    assert f"{returned}: valid sla record" in validated.output
    from_pdf = CliRunner().invoke(main, ["check", "--json", str(returned)])
    from_json = CliRunner().invoke(main, ["check", "--json", str(record)])
    assert from_pdf.exit_code == from_json.exit_code == 0
    findings = json.loads(from_pdf.stdout)["files"][0]["findings"]
    # the same record, the same checks
    assert findings == json.loads(from_json.stdout)["files"][0]["findings"]


# --------------------------------------------------------------------------- safe outputs


def test_a_key_given_twice_in_a_record_is_refused_by_name() -> None:
    text = record_text("referral", example_data("referral"))
    twice = text.replace('"upn": ', '"upn": "A831200031003", "upn": ', 1)
    result = run("validate", "-", input=twice)
    assert result.exit_code == 2
    assert result.output == "apforms: <stdin>: the key 'upn' is given twice in one object; keep one of them\n"


def test_a_long_value_is_quoted_as_a_short_prefix() -> None:
    data = example_data("sla")
    data["school"]["postcode"] = "DE1-" * 50_000
    result = run("validate", "-", input=record_text("sla", data))
    assert result.exit_code == 1
    # longer than any field takes: refused by the length limit, quoting its start
    assert f"Too long: 200,000 characters (at most 500): beginning {('DE1-' * 10)!r}"[:-1] in result.output
    assert max(len(line) for line in result.output.splitlines()) < 200


def test_control_characters_in_what_is_printed_are_made_visible(tmp_path: Path) -> None:
    record = tmp_path / "sla\x1b]0;owned\x07\u202e.json"
    record.write_text(json.dumps(api.example("sla")), encoding="utf-8")
    result = run("validate", str(record))
    assert result.exit_code == 0, result.output
    assert "sla\\x1b]0;owned\\x07\\u202e.json: valid sla record" in result.output
    assert not any(c in result.output for c in "\x1b\x07\u202e")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("council: [Derby]", "council: ['Derby'] is not text"),
        (
            "registration: {single_pupil_triggers: 0}",
            "registration.single_pupil_triggers: 0 is not a list of names",
        ),
        ("registration: {pupils_at_least: [5]}", "registration.pupils_at_least: [5] is not a number"),
        (
            "placement_length: {full_time_weeks_at_most: {a: 1}}",
            "full_time_weeks_at_most: {'a': 1} is not a number",
        ),
        ("qa: {current_for_months: twelve}", "qa.current_for_months: 'twelve' is not a number"),
        ("qa: {current_for_months: 1.5}", "qa.current_for_months: 1.5 is not a whole number"),
        ("qa: {safeguarding_gate: 1a}", "qa.safeguarding_gate: '1a' is not a list of names"),
        ("sla: {signed_days_before_start: [14]}", "sla.signed_days_before_start: [14] is not a number"),
        ("reviews: {max_weeks_between_reviews: }", "reviews.max_weeks_between_reviews: no value"),
        (
            "reviews: {visits_per_term_at_least: -1}",
            "visits_per_term_at_least: -1 is not a whole number of 0 or more",
        ),
        ("reviews: {term_starts: [09-01]}", "reviews.term_starts: ['09-01'] is not a mapping"),
        ("reviews: {term_starts: {autumn: 13-01}}", "reviews.term_starts: '13-01' is not a month and day"),
        (
            "provider_expectations: {absence_report_minutes: .nan}",
            "absence_report_minutes: nan is not a whole",
        ),
        (
            "full_time: {school_week_hours_by_school: [a]}",
            "school_week_hours_by_school: ['a'] is not a mapping",
        ),
        (
            "files: {mode: 0600}",
            'files.mode: 384 is not a file mode in quotes ("0600"): YAML reads 0600 as 384',
        ),
        ("files: {mode: '0644x'}", "files.mode: '0644x' is not an octal file mode"),
    ],
)
def test_configuration_mistakes_are_named_not_internal_errors(
    tmp_path: Path, setting: str, message: str
) -> None:
    from apforms.bulk import example_inputs

    config = tmp_path / "bad.yaml"
    config.write_text(setting + "\n", encoding="utf-8")
    record = tmp_path / "sla.json"
    record.write_text(json.dumps(api.example("sla")), encoding="utf-8")
    inputs = example_inputs()
    for args in (
        ("check", "--config", str(config), "--as-of", "2026-10-15", str(record)),
        ("bulk", "sla", "--config", str(config), "--placements", str(inputs["placements"]),
         "--providers", str(inputs["providers"]), "--schools", str(inputs["schools"]),
         "-o", str(tmp_path / "out"), "-f", "docx", "--jobs", "1"),
    ):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"apforms: {config}: "), result.output
        assert message in result.output
        assert "internal error" not in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- private files, real files


def test_rendered_and_ingested_files_are_private_unless_asked(sla_record: Path, tmp_path: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        pdf = tmp_path / "sla.pdf"
        assert run("render", str(sla_record), "-o", str(pdf)).exit_code == 0
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o600
        read = run("ingest", str(pdf), "-o", str(tmp_path / "read.json"))
        assert read.exit_code == 0, read.output
        assert stat.S_IMODE((tmp_path / "read.json").stat().st_mode) == 0o600
        shared = tmp_path / "shared.docx"
        assert run("render", str(sla_record), "-o", str(shared), "--mode", "0640").exit_code == 0
        assert stat.S_IMODE(shared.stat().st_mode) == 0o640
        council = tmp_path / "council.yaml"
        council.write_text('files: {mode: "0660"}\n', encoding="utf-8")
        configured = tmp_path / "configured.docx"
        assert run("render", str(sla_record), "-o", str(configured), "--config", str(council)).exit_code == 0
        assert stat.S_IMODE(configured.stat().st_mode) == 0o660
        blank = tmp_path / "blank.docx"  # no record in it: the umask's mode
        assert run("blank", "sla", "-o", str(blank)).exit_code == 0
        assert stat.S_IMODE(blank.stat().st_mode) == 0o644
        refused = run("render", str(sla_record), "-o", str(tmp_path / "x.docx"), "--mode", "644x")
        assert refused.exit_code == 2
        assert "'644x' is not an octal file mode" in refused.output
        assert not (tmp_path / "x.docx").exists()
    finally:
        os.umask(old)


def test_render_and_ingest_refuse_an_output_that_is_not_a_regular_file(
    sla_record: Path, tmp_path: Path
) -> None:
    import os

    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.docx"
    folder.mkdir()
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    result = run("render", str(sla_record), "-o", str(fifo))
    assert result.exit_code == 2
    assert "pipe.pdf is a named pipe (FIFO); apforms replaces only regular files" in result.output
    assert run("render", str(sla_record), "-o", str(folder)).exit_code == 2  # click's "is a directory"
    pdf = tmp_path / "sla.pdf"
    assert run("render", str(sla_record), "-o", str(pdf)).exit_code == 0
    result = run("ingest", str(pdf), "-o", str(link))
    assert result.exit_code == 2
    assert "link.json is a symbolic link" in result.output
    assert not (tmp_path / "elsewhere.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder.docx",
        "link.json",
        "pipe.pdf",
        "r.json",
        "sla.pdf",
    ]

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from apforms.cli import main

from .archive_support import (
    Signer,
    encrypted_pdf,
    foreign_pdf,
    form_pdf,
    make_signer,
    unsigned_sla,
)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pdfs")
    made = {
        "sla": form_pdf("sla"),
        "blank": form_pdf("sla", unsigned_sla()),
        "referral": form_pdf("referral"),
        "scan": foreign_pdf("Signed SLA, scanned"),
        "encrypted": encrypted_pdf(),
        "empty": b"",
        "word": b"PK\x03\x04not a pdf",
    }
    out = {}
    for name, data in made.items():
        out[name] = folder / f"{name}.pdf"
        out[name].write_bytes(data)
    return out


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return make_signer(tmp_path_factory.mktemp("keys"), "Ján Čonka")


class Cli:
    def __init__(self, store: Path) -> None:
        self.store = store

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(main, ["archive", "--store", str(self.store), *args], env=env)


@pytest.fixture(params=["sqlite", "postgresql"])
def cli(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The archive commands on a SQLite catalogue, and with ``APFORMS_DATABASE_URL`` set, on a
    PostgreSQL one (the files in the folder either way)."""
    if request.param == "postgresql":
        monkeypatch.setenv("APFORMS_DATABASE_URL", request.getfixturevalue("pg_database"))
    else:
        monkeypatch.delenv("APFORMS_DATABASE_URL", raising=False)
    return Cli(tmp_path / "store")


def added_id(result: Result) -> str:
    return result.stdout.split()[1]


def test_add_list_show_get(cli: Cli, pdfs: dict[str, Path], tmp_path: Path) -> None:
    r = cli("add", str(pdfs["sla"]))
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("added ") and "sla 1.0  fully signed" in r.stdout
    assert "its record was read from the returned PDF (form fields)" in r.stdout
    short = added_id(r)
    again = cli("add", str(pdfs["sla"]))
    assert again.exit_code == 0 and again.stdout.startswith(f"already in the archive: {short}")

    listed = cli("list")
    assert listed.exit_code == 0
    header, row = listed.stdout.splitlines()
    assert header.split()[:3] == ["ID", "ADDED", "DOCUMENT"]
    assert short in row and "Riverside Farm Learning CIC" in row and "2032-12-18" in row
    as_json = json.loads(cli("list", "--json", "--provider", "RIVERSIDE").stdout)
    assert [e["sha256"][:12] for e in as_json] == [short]
    assert cli("list", "--doc", "qa").stdout == "no entries\n"

    shown = cli("show", short)
    assert shown.exit_code == 0
    assert "keep until:  2032-12-18" in shown.stdout
    assert (
        "signed by hand (typed “Ş. Ionescu”, dated 2026-08-28), not cryptographically verifiable"
        in shown.stdout
    )
    record = json.loads(cli("show", short, "--json").stdout)["record"]
    assert record["data"]["school"]["name"] == "Sinfin Moor Academy"

    got = cli("get", short, "-o", str(tmp_path / "copy.pdf"))
    assert got.exit_code == 0
    assert (tmp_path / "copy.pdf").read_bytes() == pdfs["sla"].read_bytes()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("word", "perhaps a Word document): the archive keeps signed PDF copies"),
        ("empty", "empty file"),
        ("encrypted", "password-protected"),
        ("scan", "not an apforms form: say which document it is with --doc"),
    ],
)
def test_bad_input_is_refused_with_one_line_and_exit_2(
    cli: Cli, pdfs: dict[str, Path], name: str, reason: str
) -> None:
    r = cli("add", str(pdfs[name]))
    assert r.exit_code == 2
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"apforms: refused {pdfs[name]}: ") and reason in line
    assert cli("list").stdout == "no entries\n"


def test_size_limit(cli: Cli, pdfs: dict[str, Path]) -> None:
    r = cli("add", "--max-size", "0.001", str(pdfs["sla"]))
    assert r.exit_code == 2 and "too large" in r.stderr


def test_add_several_reports_each_and_fails_if_one_is_refused(cli: Cli, pdfs: dict[str, Path]) -> None:
    r = cli("add", str(pdfs["sla"]), str(pdfs["word"]), str(pdfs["referral"]))
    assert r.exit_code == 2
    assert r.stdout.count("added ") == 2 and "refused" in r.stderr


def test_add_foreign_pdf_with_doc_and_refs(cli: Cli, pdfs: dict[str, Path]) -> None:
    r = cli(
        "add", str(pdfs["scan"]), "--doc", "sla", "--ref", "end=2026-07-17", "--ref", "provider=Łąka Skills"
    )
    assert r.exit_code == 0 and "sla 1.0  unknown" in r.stdout
    assert "Łąka Skills" in cli("list").stdout
    assert cli("add", str(pdfs["scan"]), "--doc", "sla", "--ref", "nonsense").exit_code == 2


def test_export(cli: Cli, pdfs: dict[str, Path], tmp_path: Path) -> None:
    cli("add", str(pdfs["sla"]), str(pdfs["referral"]))
    why = "Ofsted inspection of Riverside, 2027"
    r = cli("export", "--provider", "Riverside", "-o", str(tmp_path / "bundle.zip"), "--reason", why)
    assert r.exit_code == 0 and "1 file(s)" in r.stdout
    with zipfile.ZipFile(tmp_path / "bundle.zip") as zf:
        assert len([n for n in zf.namelist() if n.startswith("files/")]) == 1
    exported = json.loads(cli("log", "--json").stdout)[-1]
    assert (exported["action"], exported["detail"]["reason"]) == ("export", why)
    nothing = cli("export", "--provider", "nobody", "-o", str(tmp_path / "none.zip"), "--reason", why)
    assert nothing.exit_code == 2 and "nothing to export" in nothing.stderr


@pytest.mark.parametrize("given", [(), ("--reason", "  ")], ids=["missing", "blank"])
def test_an_export_needs_a_reason(
    cli: Cli, pdfs: dict[str, Path], tmp_path: Path, given: tuple[str, ...]
) -> None:
    cli("add", str(pdfs["sla"]))
    r = cli("export", "-o", str(tmp_path / "bundle.zip"), *given)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (
        "apforms: archive export needs --reason: say why the copies are exported "
        "(it is kept in the audit log)\n"
    )
    assert not (tmp_path / "bundle.zip").exists()
    assert [e["action"] for e in json.loads(cli("log", "--json").stdout)] == ["add"]


def test_every_look_is_in_the_audit_log_with_the_login_name(cli: Cli, pdfs: dict[str, Path]) -> None:
    """list, show and due show entries: each is an event, naming what was shown and who looked."""
    sla = added_id(cli("add", str(pdfs["sla"])))
    referral = added_id(cli("add", str(pdfs["referral"])))
    ids = {e["sha256"][:12]: e["sha256"] for e in json.loads(cli("list", "--json").stdout)}
    me = {"LOGNAME": "a.qureshi", "USER": "a.qureshi"}
    assert cli("list", "--provider", "riverside", env=me).exit_code == 0
    assert cli("show", referral, "--json", env=me).exit_code == 0
    assert cli("due", "--today", "2033-01-01", env=me).exit_code == 0
    events = json.loads(cli("log", "--json").stdout)
    assert [e["action"] for e in events] == ["add", "add", "list", "list", "show", "due"]
    listed, shown, due = events[3:]
    assert all(e["user"] == "a.qureshi" for e in (listed, shown, due))
    assert listed["detail"] == {"count": 1, "entries": [ids[sla]], "selection": {"provider": "riverside"}}
    assert (shown["entry_id"], shown["detail"]) == (ids[referral], {})
    assert due["detail"]["entries"] == [ids[sla]] and due["detail"]["count"] == 1
    # the log itself is read, not an entry: reading it is not an event
    assert len(json.loads(cli("log", "--json").stdout)) == len(events)
    # a look refused is not one
    assert cli("show", "abcdef").exit_code == 2
    assert len(json.loads(cli("log", "--json").stdout)) == len(events)
    assert cli("verify").exit_code == 0


def test_verify_exit_codes(cli: Cli, pdfs: dict[str, Path]) -> None:
    cli("add", str(pdfs["sla"]))
    ok = cli("verify")
    assert ok.exit_code == 0 and ok.stdout.startswith(
        "verified 1 file(s) and the catalogue (audit log of 1 event(s)"
    )
    assert ok.stdout.rstrip().endswith("): all intact")
    (stored,) = (cli.store / "files").glob("*/*.pdf")
    stored.unlink()
    bad = cli("verify", "--json")
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["missing"] == [stored.stem]
    assert "MISSING" in cli("verify").stdout


def test_due_and_dispose_with_a_fixed_today(cli: Cli, pdfs: dict[str, Path]) -> None:
    short = added_id(cli("add", str(pdfs["sla"])))
    assert "nothing has passed" in cli("due", "--today", "2030-01-01").stdout
    r = cli("dispose", short, "--reason", "test", env={"APFORMS_TODAY": "2030-01-01"})
    assert r.exit_code == 2 and "kept until 2032-12-18" in r.stderr
    due = cli("due", env={"APFORMS_TODAY": "2033-01-01"})
    assert short in due.stdout and "dispose" in due.stdout
    r = cli("dispose", short, "--reason", "Retention passed", "--today", "2033-01-01")
    assert r.exit_code == 0 and "tombstone kept" in r.stdout
    assert "DISPOSED" in cli("show", short).stdout
    assert cli("list").stdout == "no entries\n"
    assert "disposed" in cli("list", "--all").stdout


def test_log_lists_every_action(cli: Cli, pdfs: dict[str, Path], tmp_path: Path) -> None:
    short = added_id(cli("add", str(pdfs["sla"])))
    cli("get", short, "-o", str(tmp_path / "x.pdf"))
    cli("verify")
    actions = [e["action"] for e in json.loads(cli("log", "--json").stdout)]
    assert actions == ["add", "get", "verify"]
    assert "verify" in cli("log").stdout


def test_unknown_id_and_bad_dates(cli: Cli) -> None:
    assert cli("show", "abcdef").exit_code == 2
    assert cli("list", "--since", "yesterday").exit_code == 2
    assert cli("due", "--today", "someday").exit_code == 2


def test_sign_then_archive(pdfs: dict[str, Path], signer: Signer, tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "signed.pdf"
    args = ["sign", str(pdfs["blank"]), "--key", str(signer.key), "--cert", str(signer.cert)]
    r = CliRunner().invoke(main, [*args, "--field", "signatures.provider", "-o", str(out)])
    assert r.exit_code == 0, r.output
    again = CliRunner().invoke(main, [*args[:1], str(out), *args[2:], "--field", "signatures.provider"])
    assert again.exit_code == 2 and "already signed" in again.stderr
    added = cli("add", str(out), "--trust", str(signer.cert))
    assert "partly signed" in added.stdout
    shown = cli("show", added_id(added))
    assert "digitally signed by Ján Čonka" in shown.stdout and "trusted" in shown.stdout
    assert cli("verify", "--signatures", "--trust", str(signer.cert)).exit_code == 0


def test_sign_default_output_name(pdfs: dict[str, Path], signer: Signer, tmp_path: Path) -> None:
    src = tmp_path / "agreement.pdf"
    src.write_bytes(pdfs["blank"].read_bytes())
    r = CliRunner().invoke(
        main,
        [
            "sign",
            str(src),
            "--key",
            str(signer.key),
            "--cert",
            str(signer.cert),
            "--field",
            "signatures.school",
        ],
    )
    assert r.exit_code == 0
    from apforms.archive.signatures import signature_fields

    signed = dict(signature_fields((tmp_path / "agreement-signed.pdf").read_bytes()))
    assert signed["signatures.school.digital"] is True
    assert signed["signatures.provider.digital"] is False


def _claims_unknown_document() -> bytes:
    """A PDF whose metadata says it is an apforms form of a document apforms does not know."""
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(foreign_pdf("Not really a form")))
    pdf.docinfo["/ApformsDocument"] = "timesheet"
    pdf.docinfo["/ApformsVersion"] = "1.0"
    pdf.docinfo["/ApformsRows"] = ""
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_add_several_refuses_a_bad_file_by_name_and_goes_on(
    cli: Cli, pdfs: dict[str, Path], tmp_path: Path
) -> None:
    odd = tmp_path / "odd.pdf"
    odd.write_bytes(_claims_unknown_document())
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(pdfs["sla"].read_bytes()[:4000])
    r = cli("add", str(pdfs["sla"]), str(odd), str(broken), str(pdfs["referral"]))
    assert r.exit_code == 2
    assert r.stdout.count("added ") == 2 and "referral 1.1" in r.stdout  # the file after them too
    refused = r.stderr.splitlines()
    assert refused[0] == f"apforms: refused {odd}: unknown document 'timesheet'; known: " + (
        "commissioning, improvement-plan, qa, referral, sla"
    )
    assert refused[1].startswith(f"apforms: refused {broken}: damaged PDF")
    events = json.loads(cli("log", "--json").stdout)
    assert [(e["action"], e["detail"]["file"]) for e in events] == [
        ("add", str(pdfs["sla"])),
        ("add-refused", str(odd)),
        ("add-refused", str(broken)),
        ("add", str(pdfs["referral"])),
    ]
    assert "unknown document 'timesheet'" in events[1]["detail"]["reason"]
    as_json = json.loads(cli("add", "--json", str(odd), str(pdfs["scan"]), "--doc", "sla").stdout)
    assert [(a["outcome"], a["file"]) for a in as_json] == [
        ("refused", str(odd)),
        ("added", str(pdfs["scan"])),
    ]


def test_get_and_export_are_owner_only_unless_asked(cli: Cli, pdfs: dict[str, Path], tmp_path: Path) -> None:
    import os
    import stat

    short = added_id(cli("add", str(pdfs["sla"])))
    old = os.umask(0o022)
    try:
        existing = tmp_path / "was-readable.pdf"
        existing.write_bytes(b"old")
        os.chmod(existing, 0o644)
        for out in (tmp_path / "copy.pdf", existing):
            assert cli("get", short, "-o", str(out)).exit_code == 0
            assert stat.S_IMODE(out.stat().st_mode) == 0o600
        assert cli("export", "-o", str(tmp_path / "b.zip"), "--reason", "test").exit_code == 0
        assert stat.S_IMODE((tmp_path / "b.zip").stat().st_mode) == 0o600
        assert cli("get", short, "-o", str(tmp_path / "shared.pdf"), "--mode", "640").exit_code == 0
        assert stat.S_IMODE((tmp_path / "shared.pdf").stat().st_mode) == 0o640
        bad_mode = cli("export", "-o", str(tmp_path / "c.zip"), "--mode", "u+rw", "--reason", "test")
        assert bad_mode.exit_code == 2 and "is not a file mode" in bad_mode.stderr
    finally:
        os.umask(old)


def test_control_characters_read_from_files_are_shown_not_sent(
    cli: Cli, pdfs: dict[str, Path], tmp_path: Path
) -> None:
    """A file name, a ref and a signer's certificate name with escape sequences and a
    right-to-left override: printed as visible escapes, never as the characters."""
    evil = tmp_path / "umowa\x1b[2J\x1b]0;owned\x07.pdf"
    evil.write_bytes(pdfs["scan"].read_bytes())
    r = cli("add", str(evil), "--doc", "sla", "--ref", "provider=Łąka \u202eSkills\x1b[31m CIC")
    assert r.exit_code == 0 and "\x1b" not in r.output and "umowa\\x1b[2J\\x1b]0;owned\\x07.pdf" in r.stdout
    listed = cli("list").stdout
    assert "\x1b" not in listed and "\u202e" not in listed
    assert "Łąka \\u202eSkills\\x1b[31m CIC" in listed
    shown = cli("show", added_id(r)).stdout
    assert "\x1b" not in shown and "\x07" not in shown
    assert "file:        umowa\\x1b[2J\\x1b]0;owned\\x07.pdf" in shown
    assert "provider:    Łąka \\u202eSkills\\x1b[31m CIC" in shown
    assert "\x1b" not in cli("log").stdout


def test_a_signers_name_with_escape_sequences_is_shown_escaped(
    cli: Cli, pdfs: dict[str, Path], tmp_path: Path
) -> None:
    from .archive_support import sign

    signer = make_signer(tmp_path / "keys", "Ján\x1b[8m Čonka")
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(sign(pdfs["blank"].read_bytes(), signer, "signatures.provider"))
    short = added_id(cli("add", str(signed)))
    shown = cli("show", short).stdout
    assert "\x1b" not in shown and "digitally signed by Ján\\x1b[8m Čonka" in shown


def test_safe_text() -> None:
    from apforms.cli import safe_text

    assert safe_text("Zofia Wiśniewska, کوردی‌ (ZWNJ kept)") == "Zofia Wiśniewska, کوردی‌ (ZWNJ kept)"
    assert safe_text("a\x1b[31mb\x9bc\x00\x7f\n\u2028\u202e\u2066") == (
        "a\\x1b[31mb\\x9bc\\x00\\x7f\\n\\u2028\\u202e\\u2066"  # one helper for every command
    )


def test_json_output_escapes_control_characters_and_parses_back_the_same(
    cli: Cli, pdfs: dict[str, Path], tmp_path: Path
) -> None:
    """--json printed what it keeps as found (a file's name, a --ref) with its C1 and bidi
    controls raw: U+202E reordered the terminal's line, NEL (U+0085) broke it."""
    name = "Łąka Skills\u202efdp.ngis\x85 \u2066Ş. Ionescu\u2069.pdf"
    src = tmp_path / name
    src.write_bytes(pdfs["sla"].read_bytes())
    added = cli("add", str(src), "--ref", "provider=Łąka\u202eSkills")
    assert added.exit_code == 0, added.output
    for args in (["show", added_id(added), "--json"], ["list", "--json"], ["log", "--json"]):
        out = cli(*args).stdout
        assert not {"\u202e", "\x85", "\u2066", "\u2069"} & set(out), args
        assert "\\u202e" in out and "Łąka" in out
    shown = json.loads(cli("show", added_id(added), "--json").stdout)
    assert shown["original_name"] == name and shown["refs"] == {"provider": "Łąka\u202eSkills"}
    assert json.loads(cli("log", "--json").stdout)[0]["detail"]["file"] == str(src)

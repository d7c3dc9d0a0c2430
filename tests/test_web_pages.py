"""The web app's bulk SLA and archive pages, through Django's test client, in process.

Django is set up once per process: this module reuses a data folder another test module set
up (``apforms.web._configured``) or sets up its own, and makes its own schools and users
(names unique to this run), so that it shares nothing else with other web tests.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from apforms import api
from apforms.bulk import example_inputs

from .archive_support import encrypted_pdf, example, foreign_pdf, form_pdf, make_signer, sign, unsigned_sla
from .bounds_support import MB, deflated
from .test_bulk import example_rows, write_csv

pytest.importorskip("django")

EX = example_inputs()
RUN = uuid.uuid4().hex[:8]


@dataclass
class Site:
    data: Path
    la: Any  # django.test.Client, signed in as an LA officer
    la2: Any  # … as another LA officer
    school_a: Any  # … as a user of school A
    school_b: Any  # … as a user of school B
    a: Any  # School A
    b: Any  # School B


def _client(email: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from tests.web_support import signed_in

    return signed_in(Client(SERVER_NAME="localhost"), get_user_model().objects.get(username=email))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    from tests.web_support import django_ready

    data = django_ready()
    from apforms.web import accounts
    from apforms.web.models import Profile, School

    a = School.objects.create(name=f"Sinfin Moor Academy {RUN}")
    b = School.objects.create(name=f"Normanton Park School {RUN}")
    people = {
        "la": (f"ap.officer.{RUN}@derby.example.gov.uk", accounts.LA_OFFICER, None),
        "la2": (f"ayesha.qureshi.{RUN}@derby.example.gov.uk", accounts.LA_ADMIN, None),
        "a": (f"olena.shevchenko.{RUN}@sinfin-moor.example.sch.uk", accounts.SCHOOL, a),
        "b": (f"jan.conka.{RUN}@normanton-park.example.sch.uk", accounts.SCHOOL, b),
    }
    for email, role, school in people.values():
        accounts.create_user(email, role, school, f"correct horse battery {RUN}")
    Profile.objects.filter(user__username__in=[p[0] for p in people.values()]).update(
        must_change_password=False
    )
    clients = {k: _client(p[0]) for k, p in people.items()}
    return Site(data, clients["la"], clients["la2"], clients["a"], clients["b"], a, b)


def text(response: Any) -> str:
    """A page's text without its tags (entities as the browser shows them)."""
    import html

    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def table(response: Any, table_id: str) -> list[list[str]]:
    """The body rows of the table ``table_id``, as the text of their cells."""
    import html

    body = response.content.decode().split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = body.split("<tbody", 1)[1]
    rows = re.findall(r"<tr\b.*?</tr>", body, re.S)
    cells = [re.findall(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", r, re.S) for r in rows]
    return [[" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in row] for row in cells]


def refusal(response: Any) -> str:
    """The one error message on a page (the test fails unless there is exactly one)."""
    found = re.findall(r'<p class="govuk-error-message"[^>]*>(.*?)</p>', response.content.decode(), re.S)
    assert len(found) == 1, found
    import html

    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found[0])).replace("Error:", "").split())


# --------------------------------------------------------------------------- bulk SLAs


def upload(path: Path, name: str | None = None) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name or path.name, path.read_bytes())


def spreadsheets(**given: Path) -> dict[str, Any]:
    return {kind: upload(given.get(kind, EX[kind])) for kind in ("placements", "providers", "schools")}


def start_bulk(client: Any, formats: tuple[str, ...] = ("docx", "pdf"), **given: Path) -> Any:
    return client.post("/bulk", {**spreadsheets(**given), "formats": list(formats)})


def finished(client: Any, url: str, timeout: float = 120) -> Any:
    """The run page at ``url`` once the run has ended (it refreshes itself until then)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(url)
        assert page.status_code == 200
        if 'http-equiv="refresh"' not in page.content.decode():
            return page
        assert time.monotonic() < deadline, text(page)
        time.sleep(0.2)


def test_a_bulk_run_lists_every_pair_and_bad_row_and_zips_what_it_wrote(site: Site, tmp_path: Path) -> None:
    rows = example_rows("placements")
    bad = ["X00000000000", *rows[1][1:]]  # not a UPN
    placements = write_csv(tmp_path / "Placements autumn.csv", [*rows, bad])
    started = start_bulk(site.la, placements=placements)
    assert started.status_code == 302, text(started)
    url = started["Location"]
    assert re.fullmatch(r"/bulk/[0-9a-f-]{36}", url)
    page = finished(site.la, url)
    shown = text(page)
    assert "3 written" in shown and "2 withheld" in shown and "1 row skipped" in shown
    assert table(page, "withheld") == [
        [
            f"{school}",
            "Peak Boxing Academy",
            "Peak Boxing Academy: 1 pupil looked after (more than 18 hours a week)",
        ]
        for school in ("Normanton Park School", "Sinfin Moor Academy")
    ]
    assert [r[:2] for r in table(page, "written")] == [
        ["Normanton Park School", "Derwent Vocational Centre"],
        ["Normanton Park School", "Riverside Farm Learning CIC"],
        ["Sinfin Moor Academy", "Riverside Farm Learning CIC"],
    ]
    assert table(page, "bad-rows") == [
        [
            "Placements autumn.csv",
            "8",
            "UPN",
            "the value is not a valid UPN (a UPN has 13 characters, not 12)",
        ]
    ]
    assert "X00000000000" not in page.content.decode()  # the manifest and page never repeat a UPN

    assert site.la.get(f"{url}/slas.zip").status_code == 405  # asked for on the page, with a reason
    refused = site.la.post(f"{url}/slas.zip", {"reason": " "})
    assert (refused.status_code, refusal(refused)) == (
        400,
        "Say why you are downloading the SLAs: the reason is kept in the audit log",
    )
    assert 'href="#reason"' in refused.content.decode().split("govuk-error-summary__list")[1]
    zipped = site.la.post(f"{url}/slas.zip", {"reason": "To send to the schools and providers"})
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    from apforms.web.models import AuditEvent

    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None and (last.action, last.kind, last.target, last.reason) == (
        "exported", "bulk run", url.split("/")[2], "To send to the schools and providers",
    )  # fmt: skip
    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        listed = {p[fmt] for p in manifest["pairs"] for fmt in ("docx", "pdf") if p[fmt]}
        assert names == listed | {"manifest.json", "manifest.csv"}
        for p in manifest["pairs"]:
            for fmt in ("docx", "pdf"):
                if p[fmt]:
                    import hashlib

                    assert hashlib.sha256(zf.read(p[fmt])).hexdigest() == p[f"{fmt}_sha256"]
        status = {(p["school"], p["provider"]): p["status"] for p in manifest["pairs"]}
        assert list(status.values()).count("produced") == 3 and list(status.values()).count("withheld") == 2
        assert [r["row"] for r in manifest["skipped_rows"]] == [8]
        pdf = zf.read("sinfin-moor-academy__riverside-farm-learning-cic.pdf")
    from pypdf import PdfReader

    fields = {name: f.get("/V") for name, f in (PdfReader(io.BytesIO(pdf)).get_fields() or {}).items()}
    assert fields["provider.name"] == "Riverside Farm Learning CIC"
    assert fields["provider.contact_name"] == "Ştefan Ionescu"
    assert fields["school.name"] == "Sinfin Moor Academy"


@pytest.fixture(scope="module")
def example_run(site: Site) -> str:
    """The URL of a finished bulk run of the example spreadsheets, by ``site.la``."""
    started = start_bulk(site.la, formats=("pdf",))
    assert started.status_code == 302, text(started)
    finished(site.la, started["Location"])
    return str(started["Location"])


def form_values(page: Any) -> dict[str, str]:
    """What a browser would post from a page's form: each select's chosen option, each text
    input's value (not the buttons)."""
    body = page.content.decode()
    values = {}
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', options)
        values[name] = chosen[0] if chosen else ""
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', body):
        if name != "csrfmiddlewaretoken":
            values[name] = value
    return values


def chosen_text(page: Any, name: str) -> str:
    body = page.content.decode()
    options = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', body, re.S)
    assert options, name
    chosen = re.findall(r'<option value="[^"]*" selected>(.*?)</option>', options.group(1))
    return chosen[0] if chosen else ""


RENAMED_PROVIDERS = ["Provider", "Addr", "Post code", "Contact", "Main contact", "Phone", "E-mail", "UKPRN",
                     "Registered?"]  # fmt: skip


def renamed_providers(path: Path) -> Path:
    """The example providers with the council's own headers, and a 'Contact' column that is
    the switchboard, not the person (the closest header, but the wrong one)."""
    rows = example_rows("providers")
    return write_csv(path, [RENAMED_PROVIDERS] + [[*r[:3], "Reception", *r[3:]] for r in rows[1:]])


def test_renamed_headers_are_mapped_and_a_saved_mapping_applies_later(site: Site, tmp_path: Path) -> None:
    from apforms.web.models import HeaderMapping

    providers = renamed_providers(tmp_path / "providers export.csv")
    started = start_bulk(site.la, formats=("pdf",), providers=providers)
    assert started.status_code == 302 and started["Location"].endswith("/map"), text(started)
    page = site.la.get(started["Location"])
    assert page.status_code == 200
    assert "Providers: providers export.csv" in text(page)
    assert 'name="placements.' not in page.content.decode()  # the placements and schools match
    assert chosen_text(page, "providers.name") == "A: Provider"
    assert chosen_text(page, "providers.postcode") == "C: Post code"
    assert chosen_text(page, "providers.contact_name") == "D: Contact"  # the closest, but wrong
    assert chosen_text(page, "providers.registered_school") == "I: Registered?"
    assert "Suggested (the closest header): check it" in text(page)

    values = form_values(page)
    values["providers.contact_name"] = "4"  # E: Main contact
    values["providers.save_as"] = f"Council providers export {RUN}"
    ran = site.la.post(started["Location"], {**values, "action": "run"})
    assert ran.status_code == 302, text(ran)
    result = finished(site.la, ran["Location"])
    assert "3 written" in text(result) and "2 withheld" in text(result)
    assert "providers export.csv: columns left out, as chosen: Contact" in text(result)
    saved = HeaderMapping.objects.get(name=f"Council providers export {RUN}")
    assert (saved.kind, saved.mapping["contact_name"], saved.mapping["urn"]) == (
        "providers",
        "Main contact",
        "UKPRN",
    )
    assert contact_in_zip(site, ran["Location"]) == "Ştefan Ionescu"

    # the next export, laid out the same way: the saved mapping, applied, chooses 'Main contact'
    again = start_bulk(
        site.la, formats=("pdf",), providers=renamed_providers(tmp_path / "providers spring.csv")
    )
    page = site.la.get(again["Location"])
    assert chosen_text(page, "providers.contact_name") == "D: Contact"
    applied = site.la.post(
        again["Location"],
        {**form_values(page), "providers.saved": str(saved.id), "action": "apply:providers"},
    )
    assert applied.status_code == 200
    assert chosen_text(applied, "providers.contact_name") == "E: Main contact"
    assert chosen_text(applied, "providers.urn") == "H: UKPRN"
    assert f"The saved mapping Council providers export {RUN} was applied" in text(applied)
    ran = site.la.post(again["Location"], {**form_values(applied), "action": "run"})
    assert ran.status_code == 302
    finished(site.la, ran["Location"])
    assert contact_in_zip(site, ran["Location"]) == "Ştefan Ionescu"


def contact_in_zip(site: Site, url: str) -> str:
    from pypdf import PdfReader

    zipped = site.la.post(f"{url}/slas.zip", {"reason": "To check the contact printed"})
    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as zf:
        pdf = zf.read("sinfin-moor-academy__riverside-farm-learning-cic.pdf")
    fields = PdfReader(io.BytesIO(pdf)).get_fields() or {}
    return str(fields["provider.contact_name"].get("/V"))


def test_a_mapping_must_choose_every_required_column_once(site: Site, tmp_path: Path) -> None:
    started = start_bulk(site.la, formats=("pdf",), providers=renamed_providers(tmp_path / "p.csv"))
    values = form_values(site.la.get(started["Location"]))
    values["providers.name"] = ""
    values["providers.phone"] = values["providers.email"]
    page = site.la.post(started["Location"], {**values, "action": "run"})
    assert page.status_code == 400
    assert "Providers: choose the column that holds Name of provider" in text(page)
    assert "Providers: 'E-mail' is already chosen for" in text(page)
    assert not (site.data / "bulk" / started["Location"].split("/")[2] / "result.json").exists()


def test_values_from_a_spreadsheet_are_shown_as_text(site: Site, tmp_path: Path) -> None:
    rows = example_rows("placements")
    hostile = [rows[1][0], "<script>alert(1)</script>", *rows[1][2:]]
    placements = write_csv(tmp_path / "placements.csv", [rows[0], hostile])
    posted = {**spreadsheets(), "placements": upload(placements, "<b>placements<b>.csv"), "formats": ["pdf"]}
    started = site.la.post("/bulk", posted)
    page = finished(site.la, started["Location"])
    body = page.content.decode()
    assert "<script>alert" not in body and "<b>placements" not in body
    assert (
        "unknown school &#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27; (not in the schools file)" in body
    )
    assert table(page, "bad-rows")[0][:3] == ["<b>placements<b>.csv", "2", "School"]


def test_a_run_shows_how_far_it_is_and_what_became_of_it(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    release = threading.Event()
    real = api.bulk_sla

    def slow(*args: Any, progress: Any, on_total: Any, **kwargs: Any) -> Any:
        on_total(5)
        progress(1)
        progress(1)
        release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, "bulk_sla", slow)
    url = start_bulk(site.la, formats=("pdf",))["Location"]
    try:
        deadline = time.monotonic() + 30
        while "2 of 5 written" not in text(page := site.la.get(url)):
            assert time.monotonic() < deadline, text(page)
            time.sleep(0.05)
        assert '<meta http-equiv="refresh" content="2">' in page.content.decode()
        assert site.la.get(f"{url}/slas.zip").status_code == 404  # nothing to download yet
        assert site.la.post(f"{url}/delete").status_code == 302  # refused: still writing
        assert (site.data / "bulk" / url.split("/")[2]).is_dir()
    finally:
        release.set()
    assert "3 written" in text(finished(site.la, url))
    (site.data / "bulk" / url.split("/")[2] / "result.json").unlink()  # as if the server had stopped
    assert "The run was interrupted" in text(site.la.get(url))
    assert url in site.la.get("/bulk").content.decode()  # listed among the user's runs
    deleted = site.la.post(f"{url}/delete")
    assert deleted.status_code == 302 and site.la.get(url).status_code == 404


def test_a_run_that_fails_says_so_in_one_line_and_logs_no_value(
    site: Site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from apforms.errors import BulkInputError

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise BulkInputError("placements.csv: more than 100,000 rows below the header")

    monkeypatch.setattr(api, "bulk_sla", refuse)
    page = finished(site.la, start_bulk(site.la)["Location"])
    assert "The SLAs were not written" in text(page)
    assert "placements.csv: more than 100,000 rows below the header" in text(page)

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("V831200024001 Riverside Farm")

    monkeypatch.setattr(api, "bulk_sla", fail)
    page = finished(site.la, start_bulk(site.la)["Location"])
    assert "The run stopped with an internal error. Try again." in text(page)
    assert "V831200024001" not in page.content.decode() and "Traceback" not in page.content.decode()
    assert "RuntimeError" in caplog.text and "V831200024001" not in caplog.text


def test_the_expected_spreadsheets_download(site: Site, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    got = site.la.get("/bulk/template/providers.xlsx")
    assert got.status_code == 200
    (tmp_path / "providers.xlsx").write_bytes(got.content)
    sheet = load_workbook(tmp_path / "providers.xlsx").worksheets[0]
    assert [c.value for c in sheet[1]] == [c.label for c in api.bulk_columns("providers")]
    assert site.la.get("/bulk/template/placements.csv").content.decode().startswith("UPN,School,Provider")
    assert site.la.get("/bulk/template/pupils.csv").status_code == 404
    assert not list((site.data / "uploads").glob("tmp*"))  # nothing left behind


def test_a_school_user_finds_no_bulk_page(site: Site, example_run: str) -> None:
    urls = [
        "/bulk",
        "/bulk/template/placements.csv",
        example_run,
        f"{example_run}/map",
        f"{example_run}/slas.zip",
    ]
    for client in (site.school_a, site.school_b):
        for url in urls:
            assert client.get(url).status_code == 404, url
        assert client.post("/bulk", spreadsheets()).status_code == 404
        assert client.post(f"{example_run}/delete").status_code == 404
        assert client.post(f"{example_run}/slas.zip", {"reason": "curious"}).status_code == 404
    assert "Bulk SLAs" not in text(site.school_a.get("/archive"))  # nor a link to it


def test_a_run_is_its_starters_alone(site: Site, example_run: str) -> None:
    for url in (example_run, f"{example_run}/map", f"{example_run}/slas.zip"):
        assert site.la2.get(url).status_code == 404, url
    assert site.la2.post(f"{example_run}/delete").status_code == 404
    assert site.la2.post(f"{example_run}/slas.zip", {"reason": "curious"}).status_code == 404
    assert site.la.get(example_run).status_code == 200
    assert site.la2.get(f"/bulk/{uuid.uuid4()}").status_code == 404


def test_bulk_refusals_are_one_line(site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from apforms.web.views import bulk

    def post(**files: Any) -> Any:
        return site.la.post("/bulk", {**spreadsheets(), **files, "formats": ["pdf"]})

    page = post(placements=upload(EX["placements"], "placements.txt"))
    assert (page.status_code, refusal(page)) == (400, "The placements spreadsheet must be a CSV or XLSX file")
    page = site.la.post("/bulk", {**spreadsheets()})
    assert (page.status_code, refusal(page)) == (400, "Choose Word documents, PDFs or both")
    missing = spreadsheets()
    del missing["schools"]
    page = site.la.post("/bulk", {**missing, "formats": ["pdf"]})
    assert (page.status_code, refusal(page)) == (400, "Choose the schools spreadsheet")

    kept = set((site.data / "bulk").iterdir())
    bomb = tmp_path / "placements.xlsx"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh,
    ):
        for _ in range(300):
            fh.write(b"\0" * MB)
    assert bomb.stat().st_size < 2 * MB
    page = post(placements=upload(bomb, "Placements 2026.xlsx"))
    assert page.status_code == 400
    assert refusal(page) == (
        "Placements 2026.xlsx was not read: Placements 2026.xlsx: 300 MB once unpacked; an XLSX input "
        "may hold at most 256 MB (and 100,000 rows): split it"
    )
    page = post(providers=upload(write_csv(tmp_path / "empty.csv", [[]])))
    assert (page.status_code, refusal(page)) == (
        400,
        "empty.csv was not read: empty.csv: the file is empty (a header row is needed)",
    )
    assert set((site.data / "bulk").iterdir()) == kept  # nothing kept of a refused upload

    monkeypatch.setattr(bulk, "MAX_UPLOAD_BYTES", MB)
    rows = example_rows("placements")
    large = write_csv(tmp_path / "placements.csv", [rows[0], *rows[1:] * 2000])
    assert large.stat().st_size > MB
    page = post(placements=upload(large))
    assert (page.status_code, refusal(page)) == (
        400,
        "The placements spreadsheet is too large (at most 1 MB)",
    )


# --------------------------------------------------------------------------- the archive


def audit_events() -> Any:
    from apforms.web.models import AuditEvent

    return AuditEvent.objects.all()


def last_event() -> Any:
    return audit_events().order_by("-id")[0]


def archive_pdf(client: Any, data: bytes, name: str = "signed.pdf", **fields: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    kept = ("school", "document", "ehcp", "child_protection")  # the rest are a scan's details
    posted = {(k if k in kept else f"ref-{k}"): v for k, v in fields.items()}
    return client.post("/archive/add", {"file": SimpleUploadedFile(name, data), **posted})


def entry_id(response: Any) -> str:
    assert response.status_code == 302, text(response)
    found = re.fullmatch(r"/archive/([0-9a-f]{64})", response["Location"])
    assert found, response["Location"]
    return found.group(1)


@dataclass
class Copies:
    sla: str  # school A's SLA, signed digitally by the provider
    referral: str  # school A's referral (typed signatures)
    scan: str  # school B's scanned SLA, archived by LA staff


@pytest.fixture(scope="module")
def copies(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Copies:
    """Copies archived once for the module, unique to this run (other modules may use the
    same archive)."""
    signer = make_signer(tmp_path_factory.mktemp("keys"), "Ştefan Ionescu")
    sla = unsigned_sla()
    sla["agreement"]["reference"] = f"SLA-{RUN}"
    signed = sign(form_pdf("sla", sla), signer, "signatures.provider")
    referral = example("referral")
    referral["pupil"]["legal_name"] = f"Zofia Wójcik-Kowalczyk {RUN}"
    return Copies(
        entry_id(archive_pdf(site.school_a, signed, "SLA signed by Riverside.pdf")),
        entry_id(archive_pdf(site.school_a, form_pdf("referral", referral), "referral.pdf")),
        entry_id(
            archive_pdf(
                site.la, foreign_pdf(f"Scanned SLA {RUN}"), "scan.pdf", school=str(site.b.pk), document="sla",
                provider="Peak Boxing Academy", end="2027-07-16",
            )
        ),
    )  # fmt: skip


def test_a_signed_copy_archived_is_found_and_shows_its_signatures(site: Site, copies: Copies) -> None:
    page = site.school_a.get(f"/archive/{copies.sla}")
    assert page.status_code == 200
    shown = text(page)
    assert f"Alternative provision service level agreement: SLA-{RUN} · Riverside Farm Learning CIC" in shown
    status = page.content.decode().split('id="signature-status"')[1].split("</dd>")[0]
    assert '<strong class="govuk-tag govuk-tag--yellow">Partly signed</strong>' in status
    assert "Signed on behalf of alternative provider: digitally signed by Ştefan Ionescu" in shown
    assert "intact, trust not checked; unchanged since signing" in shown
    assert "Signed on behalf of the school: unsigned" in shown
    assert "Kept until 2032-12-18 Contracts and SLAs: end 2026-12-18 + 6 years" in shown
    assert f"SLA signed by Riverside.pdf has been archived for {site.a.name}" in shown
    archived = audit_events().filter(action="archived", target=copies.sla).get()
    assert (archived.who, archived.school) == (
        f"olena.shevchenko.{RUN}@sinfin-moor.example.sch.uk",
        site.a.name,
    )
    assert f"Archived {dt.date.today().isoformat()}" in shown and f"by olena.shevchenko.{RUN}@" in shown

    found = site.school_a.get("/archive", {"provider": "riverside"})
    assert copies.sla in found.content.decode() and copies.referral not in found.content.decode()
    pupil = site.school_a.get("/archive", {"pupil": f"wójcik-kowalczyk {RUN}"})
    assert copies.referral in pupil.content.decode() and copies.sla not in pupil.content.decode()
    listed = last_event()  # the list is a look: the ids it showed, never the name searched for
    assert (listed.action, listed.kind, listed.target, listed.ids) == (
        "listed", "archive", "1 shown of 1", copies.referral,
    )  # fmt: skip
    assert listed.school == site.a.name
    assert not any("wójcik" in str(v).casefold() for e in audit_events() for v in e.__dict__.values())
    by_upn = site.school_a.get("/archive", {"upn": "w831400516007", "document": "referral"})
    assert copies.referral in by_upn.content.decode()
    assert copies.referral not in site.school_a.get("/archive", {"document": "sla"}).content.decode()
    today = dt.date.today()
    since = site.school_a.get("/archive", {"since": today.isoformat(), "signed": "partly_signed"})
    assert copies.sla in since.content.decode() and copies.referral not in since.content.decode()
    until = site.school_a.get("/archive", {"until": (today - dt.timedelta(days=1)).isoformat()})
    assert copies.sla not in until.content.decode()
    bad = site.school_a.get("/archive", {"since": "27/11/2026"})
    assert bad.status_code == 400 and "Added from: give a date, like 2026-11-27" in text(bad)

    la = site.la.get("/archive", {"school": str(site.b.pk)})
    assert copies.scan in la.content.decode() and copies.sla not in la.content.decode()
    scan = text(site.la.get(f"/archive/{copies.scan}"))
    assert "Peak Boxing Academy" in scan and "2033-07-16" in scan and "as given when archived" in scan

    pdf = site.school_a.get(f"/archive/{copies.sla}/file")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    got = last_event()
    assert (got.action, got.kind, got.target, got.school) == (
        "downloaded", "archive entry", copies.sla, site.a.name,
    )  # fmt: skip
    import hashlib

    assert hashlib.sha256(pdf.content).hexdigest() == copies.sla
    with api.open_archive(site.data / "archive") as arch:
        last = [e for e in arch.audit_log() if e.entry_id == copies.sla][-1]
    assert (last.action, last.user) == ("get", f"olena.shevchenko.{RUN}@sinfin-moor.example.sch.uk")


def test_a_school_user_cannot_see_download_or_guess_another_schools_entry(site: Site, copies: Copies) -> None:
    for url in (f"/archive/{copies.sla}", f"/archive/{copies.sla}/file", f"/archive/{copies.sla}/dispose"):
        assert site.school_b.get(url).status_code == 404, url
    assert site.school_a.get(f"/archive/{copies.scan}").status_code == 404
    guessed = "0123456789abcdef" * 4
    for client in (site.school_a, site.la):
        assert client.get(f"/archive/{guessed}").status_code == 404
        assert client.get(f"/archive/{guessed}/file").status_code == 404
    assert site.school_a.get(f"/archive/{copies.sla[:12]}").status_code == 404  # no short ids in URLs
    listed = site.school_b.get("/archive", {"provider": "Riverside"}).content.decode()
    assert copies.sla not in listed and copies.referral not in listed
    assert copies.scan in site.school_b.get("/archive").content.decode()

    # nor export it, chosen by id
    refused = site.school_b.post(
        "/archive/export", {"which": "chosen", "id": [copies.sla, copies.referral], "reason": "audit"}
    )
    assert refused.status_code == 302 and refused["Location"].startswith("/archive")
    zipped = site.school_b.post("/archive/export", {"which": "all", "reason": "Our own records"})
    assert zipped.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert [e["sha256"] for e in manifest["entries"]] == [copies.scan]

    # nor take it over by archiving the same bytes
    with api.open_archive(site.data / "archive") as arch:
        same = arch.read(arch.find(copies.sla))
    again = archive_pdf(site.school_b, same, "copy.pdf")
    assert again.status_code == 400
    assert (
        refusal(again)
        == "copy.pdf is already in the archive, kept for another school: ask the local authority"
    )
    assert site.school_b.get(f"/archive/{copies.sla}").status_code == 404


def test_an_export_for_an_inspection_holds_the_chosen_copies(site: Site, copies: Copies) -> None:
    from apforms.web.models import AuditEvent

    chosen = {"which": "chosen", "id": [copies.sla, copies.scan], "provider": "a"}
    asked = site.la.post("/archive/export", chosen)  # no reason: the list again, with the error
    assert (asked.status_code, refusal(asked)) == (
        400,
        "Say why you are exporting this: the reason is kept in the audit log",
    )
    form = asked.content.decode().split('action="/archive/export"')[1]
    assert f'value="{copies.sla}" checked' in form and f'value="{copies.scan}" checked' in form
    assert 'name="provider" value="a"' in form  # the search, kept
    before = AuditEvent.objects.filter(action="exported").count()
    why = "Ofsted inspection of Peak Boxing Academy, March 2027"
    zipped = site.la.post("/archive/export", {**chosen, "provider": "", "reason": f"  {why}\n"})
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"
    # why, in both logs: the web app's (with the ids) and the archive's
    assert AuditEvent.objects.filter(action="exported").count() == before + 1
    event = AuditEvent.objects.filter(action="exported").order_by("-id")[0]
    assert (event.kind, event.target, event.reason) == ("archive", "2 copies", why)
    assert set((event.ids or "").split()) == {copies.sla, copies.scan} and event.school == ""
    with api.open_archive(site.data / "archive") as arch:
        exported = arch.audit_log()[-1]
    assert (exported.action, exported.detail["reason"]) == ("export", why)
    import hashlib

    with zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        rows = {e["sha256"]: e for e in manifest["entries"]}
        assert set(rows) == {copies.sla, copies.scan}
        for sha, row in rows.items():
            assert hashlib.sha256(zf.read(row["file"])).hexdigest() == sha
        assert set(zf.namelist()) == {r["file"] for r in rows.values()} | {"manifest.json", "manifest.csv"}
    assert rows[copies.sla]["signature_status"] == "partly_signed"
    assert manifest["created_by"] == f"ap.officer.{RUN}@derby.example.gov.uk"
    assert not list((site.data / "uploads").glob("export-*"))  # nothing left behind


def test_verify_reports_to_each_what_is_theirs(site: Site, copies: Copies) -> None:
    page = site.la.post("/archive/verify")
    assert page.status_code == 200 and "All intact" in text(page)
    mine = site.school_a.post("/archive/verify", {"signatures": "yes"})
    assert "All intact" in text(mine)
    stored = next(p for p in (site.data / "archive" / "files").glob("*/*") if p.name.startswith(copies.scan))
    original = stored.read_bytes()
    stored.chmod(0o600)
    try:
        stored.write_bytes(original[:-10] + b"tampered!\n")
        la = site.la.post("/archive/verify")
        assert "Problems found" in text(la) and f"Altered: {copies.scan[:12]}" in text(la)
        school_a = site.school_a.post("/archive/verify")
        assert "Problems found" in text(school_a) and copies.scan[:12] not in school_a.content.decode()
        assert "Not in your school's copies" in text(school_a)
        assert f"Altered: {copies.scan[:12]}" in text(site.school_b.post("/archive/verify"))
    finally:
        stored.write_bytes(original)
    assert "All intact" in text(site.la.post("/archive/verify"))


def test_dispose_is_la_only_and_leaves_a_tombstone(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from apforms.web.views import archive_common

    data = example("sla")
    data["agreement"]["reference"] = f"SLA-{RUN}-replaced"
    sla = entry_id(archive_pdf(site.school_a, form_pdf("sla", data), "replaced.pdf"))
    url = f"/archive/{sla}/dispose"
    for client in (site.school_a, site.school_b):
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "past retention", "early": "yes"}).status_code == 404
        assert client.get("/archive/due").status_code == 404
    assert "Dispose of this copy" not in text(site.school_a.get(f"/archive/{sla}"))

    assert sla not in site.la.get("/archive/due").content.decode()
    monkeypatch.setattr(archive_common, "today", lambda: dt.date(2033, 1, 3))
    due = site.la.get("/archive/due")
    assert sla in due.content.decode()
    assert (last_event().action, last_event().kind) == ("listed", "archive due")
    assert sla in (last_event().ids or "").split()
    monkeypatch.undo()

    page = site.la.get(url)
    assert page.status_code == 200 and "Dispose of it before its date" in text(page)
    empty = site.la.post(url, {"reason": "  "})
    assert (empty.status_code, refusal(empty)) == (
        400,
        "Say why the copy is disposed of: the reason is kept in its tombstone",
    )
    early = site.la.post(url, {"reason": "Agreement replaced"})
    assert early.status_code == 400
    assert refusal(early) == "It is kept until 2032-12-18: tick 'Dispose of it before its date' to go on"
    gone = site.la.post(url, {"reason": "Agreement replaced by SLA-2027-SPR-002", "early": "yes"})
    assert gone.status_code == 302 and gone["Location"] == f"/archive/{sla}"
    disposed = last_event()  # why, in the web app's log too
    assert (disposed.action, disposed.target, disposed.reason, disposed.school) == (
        "disposed of", sla, "Agreement replaced by SLA-2027-SPR-002", site.a.name,
    )  # fmt: skip

    for client in (site.la, site.school_a):  # the school still sees what became of its copy
        page = client.get(f"/archive/{sla}")
        tombstone = text(page).split("Disposed of on ", 1)[1]
        assert (
            f"by ap.officer.{RUN}@derby.example.gov.uk: Agreement replaced by SLA-2027-SPR-002" in tombstone
        )
        assert "Download the signed copy" not in text(page)
        assert client.get(f"/archive/{sla}/file").status_code == 410
    assert sla not in site.school_a.get("/archive").content.decode()
    assert sla in site.school_a.get("/archive", {"disposed": "yes"}).content.decode()
    assert site.la.get(url).status_code == 302  # nothing left to dispose of
    with api.open_archive(site.data / "archive") as arch:
        entry = arch.find(sla)
        assert (entry.state, entry.disposal_reason) == ("disposed", "Agreement replaced by SLA-2027-SPR-002")
        assert arch.verify().ok


def test_every_signature_status_has_its_words() -> None:
    from apforms.web.views import archive_common

    assert set(archive_common.STATUSES) == set(api.SIGNATURE_STATUSES)


def test_hostile_and_foreign_uploads_are_refused_in_one_line(site: Site, tmp_path: Path) -> None:
    bomb_zip = io.BytesIO()
    with (
        zipfile.ZipFile(bomb_zip, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("word/document.xml", "w", force_zip64=True) as fh,
    ):
        for _ in range(200):
            fh.write(b"\0" * MB)
    damaged = form_pdf("sla")
    refused = "was not archived:"
    word = (
        "not a PDF (a ZIP file, perhaps a Word document): the archive keeps signed PDF copies; read a "
        "Word return with 'apforms ingest', and archive the signed PDF"
    )
    cases = [
        (bomb_zip.getvalue(), "bomb.pdf", {}, f"bomb.pdf {refused} {word}"),
        (deflated(50 * MB), "stream.pdf", {}, f"stream.pdf {refused} not a PDF"),
        (encrypted_pdf(), "locked.pdf", {},
         f"locked.pdf {refused} password-protected (encrypted) PDF: archive an unprotected copy"),
        (damaged[: len(damaged) // 2], "cut.pdf", {}, f"cut.pdf {refused} damaged PDF"),
        (foreign_pdf(f"A scan {RUN}"), "scan.pdf", {},
         f"scan.pdf {refused} not an apforms form: choose which document it is under Document"),
        (foreign_pdf(f"A scan {RUN}"), "scan.pdf", {"document": "referral", "date_of_birth": "soon"},
         f"scan.pdf {refused} date_of_birth: soon: not a date (use YYYY-MM-DD)"),
        (b"PK\x03\x04", "return.docx", {}, "The signed copy must be a PDF"),
        (b"", "empty.pdf", {}, f"empty.pdf {refused} empty file"),
    ]  # fmt: skip
    for data, name, fields, message in cases:
        page = archive_pdf(site.school_a, data, name, **fields)
        assert page.status_code == 400, name
        assert refusal(page).startswith(message), (name, refusal(page))
        assert "Traceback" not in page.content.decode()
    page = archive_pdf(site.school_a, foreign_pdf(), "<img src=x onerror=alert(1)>.pdf")
    assert "<img src=x" not in page.content.decode()
    assert refusal(page).startswith("<img src=x onerror=alert(1)>.pdf was not archived: not an apforms form")
    la = archive_pdf(site.la, form_pdf("qa"), "qa.pdf")
    assert (la.status_code, refusal(la)) == (400, "Choose the school the copy is kept for")

"""The web app's journeys in a real browser: Debian's Chromium driven by Playwright, against
the real server (``apforms serve``, waitress) in a child process, with the demo loaded."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from apforms import api
from tests.bounds_support import deflated
from tests.web_support import (
    Server,
    axe,
    demo_server,
    launch,
    on_postgresql,
    query,
    running_server,
    sign_in,
    totp_code,
)

playwright_api = pytest.importorskip("playwright.sync_api")

OFFICER, LEAD, ADMIN = (
    "ap.officer@example.gov.uk",
    "ap.lead@derwent-meadows.example.sch.uk",
    "admin@example.gov.uk",
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with demo_server() as s:
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True, bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def stored(server: Server, record_id: str) -> dict[str, Any]:
    """A record's data as the server stored it (read from its database)."""
    key = record_id if on_postgresql() else record_id.replace("-", "")  # a uuid; SQLite: its hex
    rows = query(server.data, "select data from apforms_web_record where id = %s", (key,))
    assert rows, record_id
    data: dict[str, Any] = rows[0][0] if isinstance(rows[0][0], dict) else json.loads(rows[0][0])
    return data


def record_id(page: Any) -> str:
    m = re.search(r"/records/([0-9a-f-]{36})", page.url)
    assert m, page.url
    return m.group(1)


def open_record(page: Any, server: Server, name: str, doc: str = "referral") -> None:
    page.goto(f"{server.url}/?document={doc}")
    page.click(f"a:has-text('{name}')")
    page.wait_for_url(re.compile(r"/records/[0-9a-f-]{36}$"))


def press(page: Any, name: str) -> None:
    """Press the button named ``name`` as a person would (the hidden default button is not one)."""
    page.get_by_role("button", name=name).click()


def download(page: Any, link: str) -> bytes:
    with page.expect_download() as info:
        page.click(f"a:has-text('{link}')")
    return Path(info.value.path()).read_bytes()


def export(page: Any, button: str, reason: str) -> bytes:
    """Press an export's button with nothing in its reason box (refused, the page accessible
    with its error), then with ``reason``: what it downloads."""
    page.fill("#reason", "")
    press(page, button)
    assert "Say why you are" in page.inner_text(".govuk-error-summary")
    assert axe(page) == []
    page.click(".govuk-error-summary a[href='#reason']")
    page.keyboard.type(reason)  # the error summary's link put the cursor in the box
    with page.expect_download() as info:
        press(page, button)
    return Path(info.value.path()).read_bytes()


# --------------------------------------------------------------------------- journeys


def test_the_first_administrator_from_one_command() -> None:
    """``apforms serve --create-admin`` prints a one-time password, which must be changed."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(Path(tmp) / "web", ("--create-admin", "first.admin@example.gov.uk")) as proc,
    ):
        line = proc.stdout.readline().decode()  # type: ignore[union-attr]
        once = re.search(r"one-time password (\S+)", line)
        assert once, line
        with playwright_api.sync_playwright() as p:
            b = launch(p)
            pg = b.new_context(bypass_csp=True).new_page()  # axe's script added to the page
            pg.goto(f"http://127.0.0.1:{proc.port}/")  # type: ignore[attr-defined]
            assert pg.title() == "Sign in – apforms"
            pg.fill("#email", "first.admin@example.gov.uk")
            pg.fill("#password", "wrong password")
            press(pg, "Sign in")
            assert "The email address or password is not right" in pg.inner_text(".govuk-error-summary")
            pg.fill("#password", once.group(1))
            press(pg, "Sign in")
            assert pg.inner_text("h1") == "Choose your own password"
            pg.goto(f"http://127.0.0.1:{proc.port}/records/new?document=referral")
            assert pg.inner_text("h1") == "Choose your own password"  # nothing else first
            pg.fill("#old", once.group(1))
            pg.fill("#new", "a pass phrase for the council")
            pg.fill("#again", "a pass phrase for the council")
            press(pg, "Save the password")
            assert pg.inner_text("h1") == "Set up two-factor sign-in"  # LA staff: before anything
            assert axe(pg) == []
            pg.goto(f"http://127.0.0.1:{proc.port}/records/new?document=referral")  # type: ignore[attr-defined]
            assert pg.inner_text("h1") == "Set up two-factor sign-in"
            assert pg.locator(".apforms-qr svg").count() == 1
            secret = pg.inner_text("#secret").replace(" ", "")
            pg.fill("#code", totp_code(secret)[0])
            press(pg, "Confirm the code")
            assert pg.inner_text("h1") == "Records"
            b.close()


def test_a_school_user_prefills_a_referral_and_downloads_its_pdf(server: Server, page: Any) -> None:
    sign_in(page, server, LEAD)
    page.click("a:has-text('Alternative Provision – referral form')")
    press(page, "Start")  # a school user's records are their school's
    assert page.inner_text("h1") == "Pupil’s details"
    page.fill("[name='pupil.legal_name']", "Amara Okonkwo-Lindqvist")
    page.fill("[name='pupil.date_of_birth-day']", "31")
    page.fill("[name='pupil.date_of_birth-month']", "2")
    page.fill("[name='pupil.date_of_birth-year']", "2012")
    page.select_option("[name='pupil.year_group']", "9")
    page.fill("[name='pupil.upn']", "A12345678901")  # a wrong check letter
    press(page, "Save and continue")
    # Saved as a draft, with every problem named by the form's own label, linked to its box.
    summary = page.inner_text(".govuk-error-summary")
    assert "Date of birth:" in summary and "UPN" in summary
    assert page.input_value("[name='pupil.legal_name']") == "Amara Okonkwo-Lindqvist"
    page.click(".govuk-error-summary a:has-text('Date of birth')")
    page.fill("[name='pupil.date_of_birth-day']", "28")
    page.fill("[name='pupil.upn']", "")
    press(page, "Save and continue")
    assert page.inner_text("h1") == "Reason for referral"
    rid = record_id(page)
    page.click("nav[aria-label='Sections'] a:has-text('Placement')")
    page.fill("[name='placement.provider']", "Hollybrook Equine Skills CIC")
    page.fill("[name='placement.start_date-day']", "4")
    page.fill("[name='placement.start_date-month']", "1")
    page.fill("[name='placement.start_date-year']", "2027")
    press(page, "Save as draft")
    assert "Saved as a draft." in page.inner_text(".govuk-notification-banner")
    page.click("a:has-text('Back to the record')")
    assert "Amara Okonkwo-Lindqvist · Hollybrook Equine Skills CIC" in page.inner_text("h1")
    pdf = download(page, "Fillable PDF")
    read = api.ingest_bytes(pdf, "downloaded.pdf")
    assert read.method == "fields"
    expected = api.validate(api.new_record("referral", stored(server, rid)), partial=True).data
    assert read.record["data"] == expected
    assert expected["pupil"] == {
        "legal_name": "Amara Okonkwo-Lindqvist",
        "date_of_birth": "2012-02-28",
        "year_group": "9",
    }
    assert expected["placement"]["provider"] == "Hollybrook Equine Skills CIC"
    assert expected["placement"]["start_date"] == "2027-01-04"
    flat = download(page, "Flattened PDF")
    assert "Amara Okonkwo-Lindqvist" in _pdf_text(flat)
    docx = download(page, "Word document")
    assert docx.startswith(b"PK")
    assert api.ingest_bytes(docx, "downloaded.docx").record["data"] == expected


def _pdf_text(data: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", f.name, "-"], capture_output=True, check=True, text=True).stdout


def test_table_rows_are_added_and_removed_without_javascript(server: Server, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, server, OFFICER)
        page.goto(server.url + "/records/new?document=commissioning")
        page.select_option("#school", label="Derwent Meadows Academy")
        press(page, "Start")
        rid = record_id(page)
        page.click("nav[aria-label='Sections'] a:has-text('Target setting')")
        name = "target_setting.targets"
        page.fill(f"[name='{name}.0.target']", "Attend every session at the provider")
        press(page, "Add a row")
        page.fill(f"[name='{name}.1.target']", "Complete the level 1 animal care unit")
        press(page, "Add a row")
        page.fill(f"[name='{name}.2.target']", "Travel to the farm independently")
        press(page, "Save as draft")
        targets = [t["target"] for t in stored(server, rid)["target_setting"]["targets"]]
        assert targets == [
            "Attend every session at the provider",
            "Complete the level 1 animal care unit",
            "Travel to the farm independently",
        ]
        press(page, "Remove row 2")
        targets = [t["target"] for t in stored(server, rid)["target_setting"]["targets"]]
        assert targets == ["Attend every session at the provider", "Travel to the farm independently"]
        assert page.input_value(f"[name='{name}.1.target']") == "Travel to the farm independently"
    finally:
        context.close()


def test_a_commissioning_agreement_started_from_a_referral(server: Server, page: Any) -> None:
    sign_in(page, server, OFFICER)
    open_record(page, server, "Zofia Wójcik-Kowalczyk")
    press(page, "commissioning agreement from this referral")
    assert page.input_value("[name='pupil.name']") == "Zofia Wójcik-Kowalczyk"
    assert page.input_value("[name='pupil.provider']") == "Peak Pathways Training CIC"
    assert page.input_value("[name='pupil.placement_start-day']") == "1"


def test_a_returned_form_is_reviewed_and_accepted(server: Server, page: Any) -> None:
    sign_in(page, server, OFFICER)
    open_record(page, server, "Zofia Wójcik-Kowalczyk")
    rid = record_id(page)
    sent = stored(server, rid)
    back = json.loads(json.dumps(sent))
    back["pupil"]["legal_name"] = "Zofia Wójcik"
    back["reason"]["statement"] = "Returned with the provider's changes: two days a week, not three."
    returned = api.render_record(api.new_record("referral", back), "pdf").content
    assert returned is not None
    page.click("a:has-text('Read a returned form into this record')")
    page.set_input_files(
        "#file", files=[{"name": "returned.pdf", "mimeType": "application/pdf", "buffer": returned}]
    )
    press(page, "Read the form")
    assert "Read from the form's own fields" in page.inner_text("main")
    changed = page.locator("tr.apforms-changed")
    labels = [changed.nth(i).locator("th").inner_text() for i in range(changed.count())]
    assert (
        labels == ["Pupil’s legal name in full", "Please state the reason for referral below:"]
        or len(labels) == 2
    ), labels
    row = page.locator("tr[data-name='pupil.legal_name']")
    assert "Zofia Wójcik-Kowalczyk" in row.locator("td").nth(0).inner_text()
    assert "Zofia Wójcik" in row.locator("td").nth(1).inner_text()
    press(page, "Accept into the record")
    assert "accepted into the record" in page.inner_text(".govuk-notification-banner")
    assert stored(server, rid) == api.validate(api.new_record("referral", back), partial=True).data


def test_a_hostile_upload_is_refused_in_one_line(server: Server, page: Any) -> None:
    pdf = pikepdf.open(
        io.BytesIO(
            api.render_record(api.new_record("referral", api.example("referral")["data"]), "pdf").content
            or b""
        )
    )
    field = next(f for f in pdf.acroform.fields if f.fully_qualified_name == "reason.statement")
    stream = pikepdf.Stream(pdf, deflated(50 << 20))
    stream.Filter = pikepdf.Name("/FlateDecode")
    field.obj.V = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out)
    sign_in(page, server, LEAD)
    page.goto(server.url + "/returns/upload")
    shown = {}
    for name, data in (("bomb.pdf", out.getvalue()), ("notes.pdf", b"this is not a PDF at all")):
        page.set_input_files("#file", files=[{"name": name, "mimeType": "application/pdf", "buffer": data}])
        press(page, "Read the form")
        message = page.inner_text(".govuk-error-summary li")
        assert message.startswith(f"{name} was not read: "), message
        assert "\n" not in message and "Traceback" not in page.content()
        shown[name] = message
    assert "a form field's value unpacks to more than 1 MB" in shown["bomb.pdf"]
    assert shown["notes.pdf"] == "notes.pdf was not read: not a PDF"


def test_a_school_user_is_refused_another_schools_record(server: Server, page: Any) -> None:
    sign_in(page, server, OFFICER)
    open_record(page, server, "Tomasz Ebbrell-Nowak")
    other = page.url
    press(page, "Sign out")
    sign_in(page, server, LEAD)
    assert "Tomasz" not in page.inner_text("main")
    response = page.goto(other)
    assert response.status == 404
    assert page.inner_text("h1") == "Page not found"
    assert page.goto(other + "/download/pdf").status == 404


def test_a_name_with_markup_shows_as_text(server: Server, page: Any) -> None:
    sign_in(page, server, LEAD)
    page.goto(server.url + "/records/new?document=referral")
    press(page, "Start")
    page.fill("[name='pupil.legal_name']", "<img src=x onerror=alert(1)><script>alert(2)</script>")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    press(page, "Save as draft")
    page.click("a:has-text('Back to the record')")
    assert "<script>alert(2)</script>" in page.inner_text("h1")
    assert dialogs == []


def test_bulk_slas_from_the_example_spreadsheets(server: Server, page: Any, tmp_path: Path) -> None:
    """The page lists what ``apforms bulk`` makes of the same spreadsheets, pair by pair, and
    the ZIP holds every SLA written, each reading back as an SLA of its pair."""
    import zipfile

    from apforms.bulk import example_inputs

    inputs = example_inputs()
    expected = api.bulk_sla(
        inputs["placements"], inputs["providers"], inputs["schools"], tmp_path / "cli", ("pdf",)
    )
    by_status: dict[str, set[tuple[str, str]]] = {}
    for r in expected.results:
        by_status.setdefault(r.status, set()).add((r.pair.school["name"], r.pair.provider["name"]))

    sign_in(page, server, OFFICER)
    page.click("nav a:has-text('Bulk SLAs')")
    for kind, path in inputs.items():
        page.set_input_files(f"#{kind}", str(path))
    page.uncheck("#formats-docx")
    press(page, "Upload and continue")
    # the run's page refreshes itself every 2 s until the run is done
    page.get_by_role("heading", name="The SLAs", exact=True).wait_for(timeout=120_000)

    def pairs(table: str) -> set[tuple[str, str]]:
        rows = page.locator(f"#{table} tbody tr")
        return {
            (
                rows.nth(i).locator("td").nth(0).inner_text(),
                rows.nth(i).locator("td").nth(1).inner_text().splitlines()[0],
            )
            for i in range(rows.count())
        }

    assert pairs("written") == by_status["written"]
    assert pairs("withheld") == by_status["withheld"]
    for r in expected.results:
        if r.status == "withheld":
            assert r.pair.provider["name"] in page.inner_text("#withheld")
    zipped = export(page, "Download everything (ZIP)", "To send to the schools and providers")
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        pdfs = [n for n in z.namelist() if n.endswith(".pdf")]
        assert len(pdfs) == len(by_status["written"])
        assert any(n.endswith("manifest.csv") for n in z.namelist())
        read = {
            (d["school"]["name"], d["provider"]["name"])
            for d in (api.ingest_bytes(z.read(n), n).record["data"] for n in pdfs)
        }
    assert read == by_status["written"]


def test_a_signed_sla_archived_and_found(server: Server, page: Any, tmp_path: Path) -> None:
    from tests.archive_support import form_pdf, make_signer, sign

    sla = api.example("sla")["data"]
    sla["agreement"]["reference"] = "SLA-BROWSER-0042"
    from concurrent.futures import ThreadPoolExecutor

    # pyHanko signs with asyncio.run, which Playwright's own event loop in this thread forbids
    with ThreadPoolExecutor(1) as pool:
        signer = make_signer(tmp_path, "Ştefan Ionescu")
        signed = pool.submit(sign, form_pdf("sla", sla), signer, "signatures.provider").result()
    sign_in(page, server, LEAD)
    page.click("nav a:has-text('Archive')")
    page.click("a:has-text('Archive a signed copy')")
    page.set_input_files(
        "#file", files=[{"name": "signed-sla.pdf", "mimeType": "application/pdf", "buffer": signed}]
    )
    press(page, "Archive the copy")
    assert "has been archived" in page.inner_text(".govuk-notification-banner")
    assert "Fully signed" in page.inner_text("#signature-status")  # the example: the school signed by hand
    assert "digitally signed by Ştefan Ionescu" in page.inner_text("#signature-status")
    page.click("nav a:has-text('Archive')")
    page.fill("#provider", "Riverside")
    press(page, "Search")
    found = page.locator("#entries tbody tr")
    assert found.count() == 1
    found.locator("input[type=checkbox]").check()
    zipped = export(page, "Export the chosen copies (ZIP)", "For the provider's Ofsted inspection")
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert len([n for n in zf.namelist() if n.endswith(".pdf")]) == 1
    found.filter(has_text="SLA-BROWSER-0042").locator("a").first.click()
    entry = page.url
    stored = download(page, "Download")
    assert stored == signed
    page.click("button:has-text('Sign out')")
    sign_in(page, server, OFFICER)
    assert page.goto(entry).status == 200  # LA staff see every school's copies
    # LA staff archive for a school they choose (the scan details below the choice are other boxes)
    page.goto(server.url + "/archive/add")
    page.select_option("#school", label="Riverside Community School")
    qa = form_pdf("qa")
    page.set_input_files(
        "#file", files=[{"name": "qa-visit.pdf", "mimeType": "application/pdf", "buffer": qa}]
    )
    press(page, "Archive the copy")
    assert "qa-visit.pdf has been archived for Riverside Community School" in page.inner_text(
        ".govuk-notification-banner"
    )


# --------------------------------------------------------------------------- accessibility


def _pages(server: Server, page: Any) -> Iterator[str]:
    """Every kind of page, as an LA officer sees it; yields each page's name once it is shown."""
    page.goto(server.url + "/sign-in")
    yield "sign in"
    page.fill("#email", OFFICER)
    page.fill("#password", server.passwords[OFFICER]["password"] or "")
    press(page, "Sign in")
    yield "two-factor code"
    sign_in(page, server, OFFICER)
    yield "records"
    ids: dict[str, str] = {}
    for doc in api.document_ids():
        page.goto(server.url + f"/?document={doc}")
        page.locator("table a").first.click()
        ids[doc] = record_id(page)
        yield f"{doc} record"
        for index, _ in enumerate(api.form_sections(doc)):
            page.goto(server.url + f"/records/{ids[doc]}/page/{index}")
            yield f"{doc} page {index + 1}"
    page.goto(server.url + f"/records/{ids['referral']}/page/0")
    page.fill("[name='pupil.date_of_birth-day']", "45")
    press(page, "Save as draft")
    yield "a page with errors"
    page.goto(server.url + "/records/new?document=sla")
    yield "new record"
    page.goto(server.url + "/returns/upload")
    yield "read a return"
    press(page, "Read the form")
    yield "read a return, with an error"
    page.goto(server.url + "/blank")
    yield "blank forms"
    page.goto(server.url + "/password")
    yield "password"
    page.goto(server.url + "/account")
    yield "your account"
    for path in ("/bulk", "/archive", "/archive/add", "/archive/verify", "/archive/due"):
        page.goto(server.url + path)
        yield path
    page.goto(server.url + "/records/00000000-0000-0000-0000-000000000000")
    yield "not found"


def test_no_serious_or_critical_accessibility_violations_on_any_page(server: Server, page: Any) -> None:
    found: dict[str, list[dict[str, Any]]] = {}
    seen = 0
    for name in _pages(server, page):
        seen += 1
        violations = axe(page)
        if violations:
            found[name] = violations
    assert seen > 40
    assert found == {}, json.dumps(found, indent=1)[:4000]


def test_the_administrators_pages_are_accessible_and_log_what_others_did(server: Server, page: Any) -> None:
    sign_in(page, server, LEAD)
    page.goto(server.url + "/?document=referral")
    page.locator("table.govuk-table a").first.click()
    page.wait_for_url(re.compile(r"/records/[0-9a-f-]{36}$"))
    seen = record_id(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, ADMIN)
    found: dict[str, Any] = {}
    for path in ("/users", "/audit", f"/audit?q={seen}&verify=1"):
        page.goto(server.url + path)
        found[path] = axe(page)
    assert all(v == [] for v in found.values()), found
    assert "The web app's log is intact" in page.inner_text("main")
    assert "The archive's log is intact" in page.inner_text("main")
    row = page.locator("#events tbody tr").first.inner_text()
    assert LEAD in row and "viewed" in row
    page.goto(server.url + "/audit")
    exported = export(page, "Export the web app's log (CSV)", "Subject access request 2027/14")
    assert exported.decode().startswith('"at","who","role","action"')
    # the school's lead sees what was done with their school's records
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, server, LEAD)
    page.click("nav a:has-text('Your school')")
    assert page.inner_text("h1") == "Your school's activity"
    assert axe(page) == []
    assert seen in page.inner_text("#events")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))

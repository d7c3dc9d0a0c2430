"""Screenshots of the web app's main pages, for docs/web/ and the README.

Starts the real server with the demo loaded, signs in as the demo's LA officer and school user
in Debian's Chromium, and writes PNGs. Run: ``python scripts/web_screenshots.py [out_dir]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402
from tests.web_support import demo_server, launch, sign_in  # noqa: E402

from apforms import api  # noqa: E402

OFFICER, LEAD, ADMIN = (
    "ap.officer@example.gov.uk",
    "ap.lead@derwent-meadows.example.sch.uk",
    "admin@example.gov.uk",
)


def signed_sla(folder: Path) -> bytes:
    """The example SLA signed by the provider (before Playwright's event loop starts: pyHanko
    signs with asyncio.run)."""
    from tests.archive_support import form_pdf, make_signer, sign

    return sign(form_pdf("sla"), make_signer(folder, "Ştefan Ionescu"), "signatures.provider")


def main(out: Path) -> None:
    import tempfile

    from apforms.bulk import example_inputs

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as keys:
        signed = signed_sla(Path(keys))
    with demo_server() as server, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1100, "height": 900})

        def shot(name: str, full: bool = False) -> None:
            page.screenshot(path=str(out / f"{name}.png"), full_page=full)
            print(out / f"{name}.png")

        page.goto(server.url + "/")
        shot("sign-in")
        sign_in(page, server, OFFICER)
        shot("records")
        page.goto(server.url + "/?document=referral")
        page.click("a:has-text('Zofia')")
        shot("record")
        page.click("a:has-text('Change pupil')")
        shot("edit-page")
        page.fill("[name='pupil.date_of_birth-day']", "31")
        page.fill("[name='pupil.date_of_birth-month']", "2")
        page.get_by_role("button", name="Save as draft").click()
        shot("errors")
        page.goto(server.url + "/?document=commissioning")
        page.locator("table.govuk-table a").first.click()
        page.wait_for_url("**/records/*")
        page.click("a:has-text('Change target setting')")
        shot("table-rows")
        page.goto(server.url + "/?document=referral")
        page.click("a:has-text('Zofia')")
        back = api.example("referral")["data"]
        back["pupil"]["legal_name"] = "Zofia Wójcik"
        pdf = api.render_record(api.new_record("referral", back), "pdf").content
        page.click("a:has-text('Read a returned form into this record')")
        returned = {"name": "returned.pdf", "mimeType": "application/pdf", "buffer": pdf}
        page.set_input_files("#file", files=[returned])
        page.get_by_role("button", name="Read the form").click()
        shot("return-review")
        page.goto(f"{server.url}/bulk")
        shot("bulk")
        for kind, path in example_inputs().items():
            page.set_input_files(f"#{kind}", str(path))
        page.get_by_role("button", name="Upload and continue").click()
        page.get_by_role("heading", name="The SLAs", exact=True).wait_for(timeout=120_000)
        shot("bulk-result", full=True)
        page.goto(f"{server.url}/archive/add")
        page.select_option("#school", label="Derwent Meadows Academy")
        copy = {"name": "SLA signed.pdf", "mimeType": "application/pdf", "buffer": signed}
        page.set_input_files("#file", files=[copy])
        page.get_by_role("button", name="Archive the copy").click()
        shot("archive-entry")
        page.goto(f"{server.url}/archive")
        shot("archive")
        page.locator("#entries input[type=checkbox]").first.check()
        page.get_by_role("button", name="Export the chosen copies (ZIP)").click()
        page.locator("#reason").scroll_into_view_if_needed()
        shot("archive-export-reason", full=True)
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, server, ADMIN)
        page.goto(f"{server.url}/audit?verify=1")
        shot("audit", full=True)
        page.get_by_role("button", name="Sign out").click()
        sign_in(page, server, LEAD)
        page.goto(f"{server.url}/school-activity")
        shot("school-activity", full=True)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "web")

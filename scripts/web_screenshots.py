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

OFFICER, LEAD = "ap.officer@example.gov.uk", "ap.lead@derwent-meadows.example.sch.uk"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
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
        for extra in ("bulk", "archive"):
            page.goto(f"{server.url}/{extra}")
            shot(extra)
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "web")

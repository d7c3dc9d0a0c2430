"""Form pages generated from the definitions, read back: every document's example, page by
page, posted back as the browser would send the page it was shown, is stored unchanged."""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from typing import Any

import pytest

from apforms import api
from tests.conftest import ALL_DOCS
from tests.web_support import django_ready, user


class FormValues(HTMLParser):
    """What a browser would send for the page's form (its successful controls)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((a["name"], a.get("value", "on")))
            else:
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self.values.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)


def posted(html: str) -> dict[str, list[str]]:
    parser = FormValues()
    parser.feed(html[html.index('<form method="post" novalidate>') :])
    out: dict[str, list[str]] = {}
    for name, value in parser.values:
        out.setdefault(name, []).append(value)
    return out


@pytest.fixture(scope="module")
def lead() -> Any:
    django_ready()
    from django.test import Client

    from apforms.web.models import SCHOOL, School

    school = School.objects.create(name=f"Hawthorn Lane Academy {uuid.uuid4().hex[:6]}")
    c = Client()
    c.force_login(user(f"lead-{uuid.uuid4().hex[:6]}@hawthorn.example.sch.uk", SCHOOL, school))
    return c, school


@pytest.mark.parametrize("doc", ALL_DOCS)
def test_every_page_posted_back_unchanged_keeps_the_whole_record(lead: Any, doc: str) -> None:
    from apforms.web.models import Record

    client, school = lead
    canonical = api.validate(api.new_record(doc, api.example(doc)["data"]), partial=True).data
    row = Record.objects.create(document=doc, school=school, data=canonical, title="round trip")
    for index, _ in enumerate(api.form_sections(doc)):
        page = client.get(f"/records/{row.id}/page/{index}")
        assert page.status_code == 200
        form = posted(page.content.decode())
        form["csrfmiddlewaretoken"] = ["x"]
        form["go"] = ["draft"]
        response = client.post(f"/records/{row.id}/page/{index}", form)
        assert response.status_code == 200
        row.refresh_from_db()
        assert row.data == canonical, (doc, index)


def test_a_new_record_starts_with_the_forms_defaults(lead: Any) -> None:
    from apforms.web.models import Record

    client, _ = lead
    response = client.post("/records/new", {"document": "sla"})
    row = Record.objects.get(pk=response["Location"].split("/")[2])
    defaults = api.validate(api.new_record("sla"), partial=True).data
    assert row.data == defaults
    assert row.data["terms"]["provider_obligations"]  # the council's wording, to edit per agreement


def test_a_value_that_does_not_parse_is_kept_as_typed(lead: Any) -> None:
    from apforms.web.models import Record

    client, school = lead
    row = Record.objects.create(document="referral", school=school, data={}, title="typed")
    form = {
        "pupil.legal_name": ["Ilse Brandt-Mensah"],
        "pupil.date_of_birth-day": ["30"],
        "pupil.date_of_birth-month": ["2"],
        "pupil.date_of_birth-year": ["2013"],
        "pupil.upn": ["not a upn"],
        "go": ["next"],
    }
    html = client.post(f"/records/{row.id}/page/0", form).content.decode()
    row.refresh_from_db()
    assert row.data["pupil"]["upn"] == "not a upn"
    assert row.data["pupil"]["date_of_birth"] == "2013-02-30"
    assert "There is a problem" in html and "Date of birth" in html and "UPN" in html
    assert 'value="not a upn"' in html

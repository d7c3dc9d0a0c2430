"""Who sees what in the web app, URL by URL (Django's test client, in this process).

A school user can never read, list, download or guess another school's record: every URL
that names an object answers 404 to them, exactly as for an id that does not exist."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apforms import api
from tests.web_support import django_ready, signed_in, user

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    django_ready()
    from apforms.web.models import LA_ADMIN, LA_OFFICER, SCHOOL, Record, Return, School

    tag = uuid.uuid4().hex[:8]
    a = School.objects.create(name=f"Oakfield Primary {tag}")
    b = School.objects.create(name=f"Brookside Academy {tag}")
    people = {
        "admin": user(f"admin-{tag}@example.gov.uk", LA_ADMIN),
        "officer": user(f"officer-{tag}@example.gov.uk", LA_OFFICER),
        "a": user(f"lead-{tag}@oakfield.example.sch.uk", SCHOOL, a),
        "b": user(f"lead-{tag}@brookside.example.sch.uk", SCHOOL, b),
        "a_lead": user(f"head-{tag}@oakfield.example.sch.uk", SCHOOL, a),
    }
    people["a_lead"].profile.lead = True
    people["a_lead"].profile.save()
    records = {
        doc: Record.objects.create(
            document=doc, school=a, data=api.example(doc)["data"], title=f"{doc} {tag}"
        )
        for doc in api.document_ids()
    }
    ret = Return.objects.create(
        record=records["referral"], school=a, document="referral", filename="back.pdf",
        read=api.example("referral"), method="fields",
    )  # fmt: skip
    return {"a": a, "b": b, "people": people, "records": records, "return": ret, "tag": tag}


def client_for(u: Any) -> Any:
    from django.test import Client

    return signed_in(Client(), u)


def object_urls(world: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Every URL that names one of school A's objects, by URL name: (method, path)."""
    r = world["records"]
    ref = r["referral"].id
    urls: dict[str, list[tuple[str, str]]] = {
        "record": [("get", f"/records/{x.id}") for x in r.values()],
        "edit": [("get", f"/records/{x.id}/page/0") for x in r.values()]
        + [("post", f"/records/{ref}/page/0")],
        "download": [("get", f"/records/{ref}/download/{k}") for k in ("docx", "pdf", "flat-pdf")],
        "start": [("post", f"/records/{ref}/start/sla")],
        "return": [("get", f"/returns/{world['return'].id}")],
        "return-accept": [("post", f"/returns/{world['return'].id}/accept")],
        "return-upload": [("get", f"/returns/upload?record={ref}")],
    }
    return urls


def test_every_url_naming_an_object_is_covered(world: dict[str, Any]) -> None:
    """A new URL that takes an id must be added to ``object_urls`` (and so be tested)."""
    from django.urls import get_resolver

    named = {
        p.name
        for p in get_resolver().url_patterns
        if getattr(p, "name", None)
        and "<" in str(p.pattern)
        and p.name.split("-")[0] not in ("blank", "bulk", "archive")
    }
    assert named <= set(object_urls(world)), named - set(object_urls(world))


#: Every page whose URL names no object, and who is refused it ("not found"); everyone else
#: signed in gets it. "a": a school user, "a_lead": their school's lead.
PAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "home": ("/", ()),
    "new": ("/records/new?document=referral", ()),
    "blanks": ("/blank", ()),
    "return-upload": ("/returns/upload", ()),
    "password": ("/password", ()),
    "account": ("/account", ()),
    "archive": ("/archive", ()),
    "archive-add": ("/archive/add", ()),
    "archive-verify": ("/archive/verify", ()),
    "archive-due": ("/archive/due", ("a", "a_lead")),
    "bulk": ("/bulk", ("a", "a_lead")),
    "users": ("/users", ("a", "a_lead", "officer")),
    "audit": ("/audit", ("a", "a_lead", "officer")),
    "school-activity": ("/school-activity", ("a", "officer", "admin")),
}
#: Pages with no object that are not in PAGES: signing in and out (their own tests), and the
#: archive's export (a post of the list's choices: test_web_pages).
NOT_PAGES = {"sign-in", "sign-out", "two-factor", "two-factor-setup", "archive-export"}


def test_every_page_is_in_the_table_of_who_sees_it(world: dict[str, Any]) -> None:
    """A new URL must be added to ``PAGES`` or ``object_urls`` (and so be tested)."""
    from django.urls import get_resolver

    named = {
        p.name for p in get_resolver().url_patterns if getattr(p, "name", None) and "<" not in str(p.pattern)
    }
    assert named - NOT_PAGES == set(PAGES), (named - NOT_PAGES) ^ set(PAGES)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_who_sees_each_page(world: dict[str, Any], name: str) -> None:
    url, refused = PAGES[name]
    for who in ("a", "a_lead", "officer", "admin"):
        status = client_for(world["people"][who]).get(url).status_code
        assert status == (404 if who in refused else 200), (who, url, status)


def test_another_schools_user_gets_not_found_everywhere(world: dict[str, Any]) -> None:
    b = client_for(world["people"]["b"])
    for name, calls in object_urls(world).items():
        for method, path in calls:
            response = getattr(b, method)(path)
            assert response.status_code == 404, (name, path, response.status_code)
    # and nothing of school A appears in their list or search
    for query in ({"q": world["tag"]}, {}):
        home = b.get("/", query).content.decode()
        assert not any(str(rec.id) in home for rec in world["records"].values())
    assert "No records match" in b.get("/", {"q": world["tag"]}).content.decode()


def test_own_school_and_la_staff_see_the_record(world: dict[str, Any]) -> None:
    for who in ("a", "officer", "admin"):
        c = client_for(world["people"][who])
        for rec in world["records"].values():
            response = c.get(f"/records/{rec.id}")
            assert response.status_code == 200, (who, rec.document)
            assert rec.title in response.content.decode()


def test_guessed_ids_are_not_found(world: dict[str, Any]) -> None:
    a = client_for(world["people"]["a"])
    for path in (
        f"/records/{uuid.uuid4()}",
        f"/records/{uuid.uuid4()}/download/pdf",
        f"/returns/{uuid.uuid4()}",
    ):
        assert a.get(path).status_code == 404
    assert a.get("/records/1").status_code == 404  # not a sequence: no record 1


def test_school_users_cannot_reach_la_pages(world: dict[str, Any]) -> None:
    a = client_for(world["people"]["a"])
    assert a.get("/users").status_code == 404
    assert client_for(world["people"]["officer"]).get("/users").status_code == 404
    assert client_for(world["people"]["admin"]).get("/users").status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(world: dict[str, Any]) -> None:
    from django.test import Client

    c = Client()
    rec = world["records"]["referral"]
    for path in ("/", f"/records/{rec.id}", f"/records/{rec.id}/download/pdf", "/users", "/blank"):
        response = c.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/sign-in"), path


def test_a_school_user_starts_records_only_for_their_school(world: dict[str, Any]) -> None:
    from apforms.web.models import Record

    a = client_for(world["people"]["a"])
    response = a.post("/records/new", {"document": "referral", "school": str(world["b"].id)})
    made = Record.objects.get(pk=response["Location"].split("/")[2])
    assert made.school == world["a"]


def test_values_are_escaped(world: dict[str, Any]) -> None:
    from apforms.web.models import Record

    data = api.example("referral")["data"]
    data["pupil"]["legal_name"] = '<script>alert("x")</script>'
    rec = Record.objects.create(
        document="referral", school=world["a"], data=data, title=data["pupil"]["legal_name"]
    )
    a = client_for(world["people"]["a"])
    for path in (f"/records/{rec.id}", f"/records/{rec.id}/page/0", "/"):
        html = a.get(path).content.decode()
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html, path


def test_pages_are_not_cached_or_framed(world: dict[str, Any]) -> None:
    a = client_for(world["people"]["a"])
    response = a.get(f"/records/{world['records']['referral'].id}")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]  # default-src 'self' covers scripts


def test_csrf_is_enforced(world: dict[str, Any]) -> None:
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    c.force_login(world["people"]["a"])
    rec = world["records"]["referral"]
    refused = c.post(f"/records/{rec.id}/page/0", {"go": "draft"})
    assert refused.status_code == 403
    assert "The form has expired or was not sent from this service" in refused.content.decode()


def test_sign_in_is_throttled(world: dict[str, Any]) -> None:
    from django.test import Client

    email = f"throttle-{world['tag']}@example.gov.uk"
    from apforms.web.models import LA_OFFICER

    user(email, LA_OFFICER, password="the right password 123")
    c = Client()
    for _ in range(5):
        assert c.post("/sign-in", {"email": email, "password": "wrong"}).status_code == 400
    refused = c.post("/sign-in", {"email": email, "password": "the right password 123"})
    assert refused.status_code == 400
    assert "Too many attempts" in refused.content.decode()


def test_a_one_time_password_must_be_changed_first(world: dict[str, Any]) -> None:
    from django.test import Client

    from apforms.web import accounts
    from apforms.web.models import SCHOOL

    email = f"new-{world['tag']}@oakfield.example.sch.uk"
    once = accounts.create_user(email, SCHOOL, world["a"])
    c = Client()
    assert c.post("/sign-in", {"email": email, "password": once}).status_code == 302
    assert c.get("/")["Location"] == "/password"
    weak = c.post("/password", {"old": once, "new": "password", "again": "password"})
    assert "too common" in weak.content.decode() or "too short" in weak.content.decode()
    good = "a long pass phrase of mine"
    assert c.post("/password", {"old": once, "new": good, "again": good}).status_code == 302
    assert c.get("/").status_code == 200


def test_serving_other_computers_needs_https() -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "apforms", "serve", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("apforms: --host 0.0.0.0: other computers would send passwords")
    assert len(done.stderr.splitlines()) == 1


def test_cookies_and_sessions(tmp_path: Any) -> None:
    from apforms.web.settings import settings_for

    plain, https = settings_for(tmp_path), settings_for(tmp_path, behind_https=True)
    for s in (plain, https):
        assert s["SESSION_COOKIE_HTTPONLY"] and s["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert s["SESSION_COOKIE_AGE"] == 30 * 60 and s["SESSION_SAVE_EVERY_REQUEST"]
        assert s["SESSION_EXPIRE_AT_BROWSER_CLOSE"] and not s["DEBUG"]
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"] and https["SECURE_HSTS_SECONDS"] > 0
    assert plain["SECRET_KEY"] == https["SECRET_KEY"]  # made once for the data folder
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_values_to_check_are_marked_on_the_review_page(world: dict[str, Any]) -> None:
    """A return read by OCR (or a value a warning names) is marked "check", never passed off as exact."""
    from apforms.web.models import Return

    data = api.example("referral")["data"]
    read = {**api.example("referral"), "data": {**data, "pupil": {**data["pupil"], "legal_name": "Z0fia"}}}
    ret = Return.objects.create(
        record=world["records"]["referral"], school=world["a"], document="referral", filename="scan.png",
        read=read, method="scanned", review=["pupil.legal_name"], warnings=["pupil.legal_name: read by OCR"],
    )  # fmt: skip
    html = client_for(world["people"]["a"]).get(f"/returns/{ret.id}").content.decode()
    assert "Not every value could be read for certain (read as: scanned)" in html
    row = html[html.index('data-name="pupil.legal_name"') :].split("</tr>")[0]
    assert "Z0fia" in row and ">changed<" in row and ">check<" in row
    other = html[html.index('data-name="pupil.upn"') :].split("</tr>")[0]
    assert ">check<" not in other and ">changed<" not in other


# --------------------------------------------------------------------------- two-factor sign-in


def _code(device: Any) -> str:
    """The code an authenticator with ``device``'s secret shows now, one step past the last
    the server took (a code is taken once)."""
    import base64

    from tests.web_support import totp_code

    device.refresh_from_db()
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return totp_code(secret.rstrip("="), device.last_t, device.drift)[0]


def _password_only(email: str, password: str = "correct horse battery staple") -> Any:
    from django.test import Client

    c = Client()
    assert c.post("/sign-in", {"email": email, "password": password})["Location"] == "/"
    return c


def test_an_la_user_without_an_authenticator_sets_one_up_before_anything(world: dict[str, Any]) -> None:
    import re

    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apforms.web import accounts
    from apforms.web.models import LA_OFFICER

    email = f"new-officer-{world['tag']}@example.gov.uk"
    once = accounts.create_user(email, LA_OFFICER, None)
    c = _password_only(email, once)
    assert c.get("/")["Location"] == "/password"  # the one-time password first
    good = "a long pass phrase of mine"
    assert c.post("/password", {"old": once, "new": good, "again": good}).status_code == 302
    rec = world["records"]["referral"]
    for path in ("/", f"/records/{rec.id}", f"/records/{rec.id}/download/pdf", "/users", "/account", "/bulk"):
        assert c.get(path)["Location"] == "/two-factor/setup", path
    assert c.post(f"/records/{rec.id}/page/0", {"go": "draft"})["Location"] == "/two-factor/setup"
    page = c.get("/two-factor/setup").content.decode()
    assert "Set up two-factor sign-in" in page and "<svg" in page
    secret = re.search(r'id="secret" class="apforms-secret">([A-Z2-7 ]+)<', page)
    assert secret
    device = TOTPDevice.objects.get(user__username=email)
    assert not device.confirmed
    assert secret.group(1).replace(" ", "") == base64_of(device)
    wrong = c.post("/two-factor/setup", {"code": "000000" if _code(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.content.decode()
    assert c.get(f"/records/{rec.id}")["Location"] == "/two-factor/setup"
    assert c.post("/two-factor/setup", {"code": _code(device)})["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert c.get(f"/records/{rec.id}").status_code == 200
    # and at the next sign-in, the code is asked for
    again = _password_only(email, good)
    assert again.get(f"/records/{rec.id}")["Location"] == f"/two-factor?next=/records/{rec.id}"
    assert get_user_model().objects.get(username=email).is_active


def base64_of(device: Any) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode("ascii").rstrip("=")


def test_a_wrong_code_is_refused_and_counted_and_the_right_one_lets_in(world: dict[str, Any]) -> None:
    from apforms.web import accounts
    from apforms.web.models import LA_ADMIN, FailedSignIn

    email = f"coded-{world['tag']}@example.gov.uk"
    u = user(email, LA_ADMIN)
    device = accounts.two_factor_device(u)
    c = _password_only(email)
    assert c.get("/users")["Location"] == "/two-factor?next=/users"
    assert "Enter the code from your authenticator app" in c.get("/two-factor").content.decode()
    right = _code(device)
    wrong = c.post("/two-factor", {"code": f"{(int(right) + 1) % 1_000_000:06d}", "next": "/users"})
    assert wrong.status_code == 400 and "The code is not right" in wrong.content.decode()
    assert FailedSignIn.objects.filter(account=email).count() == 1
    assert c.get("/users")["Location"] == "/two-factor?next=/users"
    assert c.post("/two-factor", {"code": right, "next": "/users"})["Location"] == "/users"
    assert c.get("/users").status_code == 200
    assert FailedSignIn.objects.filter(account=email).count() == 0  # both factors right: cleared
    # the same code is not taken twice
    other = _password_only(email)
    assert other.post("/two-factor", {"code": right}).status_code == 400


def test_wrong_codes_are_throttled_with_wrong_passwords(world: dict[str, Any]) -> None:
    from apforms.web import accounts
    from apforms.web.models import LA_OFFICER

    email = f"guessing-{world['tag']}@example.gov.uk"
    device = accounts.two_factor_device(user(email, LA_OFFICER))
    c = _password_only(email)
    for _ in range(5):
        assert c.post("/two-factor", {"code": "12345x"}).status_code == 400
    refused = c.post("/two-factor", {"code": _code(device)})
    assert refused.status_code == 400 and "Too many attempts" in refused.content.decode()
    # and signing in again with the password does not wipe the count
    assert (
        "Too many attempts"
        in c.post("/sign-in", {"email": email, "password": "correct horse battery staple"}).content.decode()
    )
    assert c.get("/")["Location"].startswith("/two-factor")


def test_a_school_user_without_an_authenticator_is_not_asked_and_may_set_one_up(
    world: dict[str, Any],
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apforms.web.models import SCHOOL

    email = f"optional-{world['tag']}@oakfield.example.sch.uk"
    user(email, SCHOOL, world["a"])
    c = _password_only(email)
    rec = world["records"]["referral"]
    assert c.get(f"/records/{rec.id}").status_code == 200
    account = c.get("/account").content.decode()
    assert "Your account" in account and "Not set up" in account and 'href="/two-factor/setup"' in account
    assert "<svg" in c.get("/two-factor/setup").content.decode()
    device = TOTPDevice.objects.get(user__username=email)
    assert c.post("/two-factor/setup", {"code": _code(device)})["Location"] == "/"
    assert "Set up: you enter a code" in c.get("/account").content.decode()
    # once they have one, they enter it too
    again = _password_only(email)
    assert again.get(f"/records/{rec.id}")["Location"] == f"/two-factor?next=/records/{rec.id}"
    assert again.post("/two-factor", {"code": _code(device)})["Location"] == "/"
    assert again.get(f"/records/{rec.id}").status_code == 200


def test_a_deactivated_user_cannot_sign_in_and_their_session_ends(world: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    from apforms.web.models import SCHOOL

    email = f"leaver-{world['tag']}@oakfield.example.sch.uk"
    u = user(email, SCHOOL, world["a"])
    open_session = _password_only(email)
    assert open_session.get("/").status_code == 200
    admin = client_for(world["people"]["admin"])
    done = admin.post("/users", {"what": "active", "user": u.pk, "active": "no"}, follow=True)
    assert f"{email} deactivated" in done.content.decode()
    assert not get_user_model().objects.get(pk=u.pk).is_active
    assert open_session.get("/")["Location"].startswith("/sign-in")
    from django.test import Client

    refused = Client().post("/sign-in", {"email": email, "password": "correct horse battery staple"})
    assert refused.status_code == 400 and "not right" in refused.content.decode()
    admin.post("/users", {"what": "active", "user": u.pk, "active": "yes"})
    assert get_user_model().objects.get(pk=u.pk).is_active
    assert _password_only(email).get("/").status_code == 200
    # an administrator cannot lock themselves out
    me = world["people"]["admin"]
    admin.post("/users", {"what": "active", "user": me.pk, "active": "no"})
    assert get_user_model().objects.get(pk=me.pk).is_active


def test_a_password_change_ends_the_users_other_sessions(world: dict[str, Any]) -> None:
    from apforms.web.models import SCHOOL

    email = f"changer-{world['tag']}@oakfield.example.sch.uk"
    user(email, SCHOOL, world["a"])
    here, elsewhere = _password_only(email), _password_only(email)
    assert here.get("/").status_code == 200 and elsewhere.get("/").status_code == 200
    new = "another long pass phrase"
    changed = here.post("/password", {"old": "correct horse battery staple", "new": new, "again": new})
    assert changed["Location"] == "/"
    assert here.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/")["Location"].startswith("/sign-in")  # the other is ended


def test_an_administrator_resets_a_users_authenticator(world: dict[str, Any]) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apforms.web.models import LA_OFFICER

    email = f"lost-phone-{world['tag']}@example.gov.uk"
    u = user(email, LA_OFFICER)
    signed = client_for(u)
    assert signed.get("/").status_code == 200
    admin = client_for(world["people"]["admin"])
    listing = admin.get("/users").content.decode()
    assert f'Reset two-factor<span class="govuk-visually-hidden"> for {email}' in listing
    done = admin.post("/users", {"what": "reset-two-factor", "user": u.pk}, follow=True)
    assert "will set up two-factor sign-in again" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=u).exists()
    assert signed.get("/")["Location"] == "/two-factor/setup"  # the open session too
    assert _password_only(email).get("/")["Location"] == "/two-factor/setup"
    # not for anyone but an administrator
    officer = client_for(world["people"]["officer"])
    assert officer.post("/users", {"what": "reset-two-factor", "user": u.pk}).status_code == 404

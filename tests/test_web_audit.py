"""The web app's audit log: every look and change recorded, append-only, and any edit found."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apforms import api
from tests.web_support import django_ready, signed_in, user


@contextmanager
def trigger_off() -> Iterator[Any]:
    """The append-only trigger off, as someone with the database owner's rights can do, and on
    again after: a cursor to change the log with meanwhile."""
    from django.db import connection

    off, on = {
        "sqlite": (
            "DROP TRIGGER apforms_audit_no_update",
            "CREATE TRIGGER apforms_audit_no_update BEFORE UPDATE ON apforms_web_auditevent "
            "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        ),
        "postgresql": (
            "ALTER TABLE apforms_web_auditevent DISABLE TRIGGER apforms_audit_append_only",
            "ALTER TABLE apforms_web_auditevent ENABLE TRIGGER apforms_audit_append_only",
        ),
    }[connection.vendor]
    with connection.cursor() as cur:
        cur.execute(off)
        try:
            yield cur
        finally:
            cur.execute(on)


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    data = django_ready()
    from apforms.web.models import LA_ADMIN, SCHOOL, Record, School

    tag = uuid.uuid4().hex[:8]
    school = School.objects.create(name=f"Chaddesden Park Academy {tag}")
    lead = user(f"lead-{tag}@chaddesden.example.sch.uk", SCHOOL, school)
    admin = user(f"admin-{tag}@example.gov.uk", LA_ADMIN)
    rec = Record.objects.create(
        document="referral", school=school, data=api.example("referral")["data"], title=tag
    )
    return {"data": data, "school": school, "lead": lead, "admin": admin, "record": rec, "tag": tag}


def client_for(u: Any) -> Any:
    from django.test import Client

    return signed_in(Client(REMOTE_ADDR="192.0.2.14"), u)


def events_for(target: Any) -> list[tuple[str, str, str, str]]:
    from apforms.web.models import AuditEvent

    return [
        (e.who, e.role, e.action, e.address)
        for e in AuditEvent.objects.filter(target=str(target)).order_by("id")
    ]


def test_every_look_and_change_is_recorded(world: dict[str, Any]) -> None:
    c = client_for(world["lead"])
    rec = world["record"]
    c.get(f"/records/{rec.id}")
    c.get(f"/records/{rec.id}/page/0")
    c.post(f"/records/{rec.id}/page/0", {"pupil.legal_name": "Renée Achterberg", "go": "draft"})
    c.get(f"/records/{rec.id}/download/pdf")
    who = world["lead"].username
    assert events_for(rec.id) == [
        (who, "school", "viewed", "192.0.2.14"),
        (who, "school", "viewed page 1", "192.0.2.14"),
        (who, "school", "changed page 1", "192.0.2.14"),
        (who, "school", "downloaded pdf", "192.0.2.14"),
    ]
    from apforms.web.models import AuditEvent

    # no record content in the log: the name typed is nowhere in it
    assert not any("Renée" in str(v) for e in AuditEvent.objects.all() for v in e.__dict__.values())


def test_a_look_refused_is_not_a_look(world: dict[str, Any]) -> None:
    from apforms.web.models import SCHOOL, School

    other = School.objects.create(name=f"Allestree Vale School {world['tag']}")
    stranger = user(f"other-{world['tag']}@allestree.example.sch.uk", SCHOOL, other)
    before = len(events_for(world["record"].id))
    assert client_for(stranger).get(f"/records/{world['record'].id}").status_code == 404
    assert len(events_for(world["record"].id)) == before


def test_the_log_is_append_only_and_an_edit_round_the_triggers_is_found(world: dict[str, Any]) -> None:
    from django.db import DatabaseError, transaction

    from apforms.web import audit
    from apforms.web.models import AuditEvent

    client_for(world["lead"]).get(f"/records/{world['record'].id}")
    assert audit.verify() == []
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None
    for attempt in (lambda: AuditEvent.objects.filter(pk=last.pk).update(who="someone else"),
                    lambda: AuditEvent.objects.filter(pk=last.pk).delete()):  # fmt: skip
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    # Someone with the database's owner rights goes round the trigger:
    with trigger_off() as cur:
        cur.execute("UPDATE apforms_web_auditevent SET who = 'someone else' WHERE id = %s", [last.pk])
        found = audit.verify()
        assert any("was changed after it was written" in p for p in found), found
        cur.execute("UPDATE apforms_web_auditevent SET who = %s WHERE id = %s", [last.who, last.pk])
    assert audit.verify() == []


def test_administrators_read_check_and_export_it_and_nobody_else(world: dict[str, Any]) -> None:
    assert client_for(world["lead"]).get("/audit").status_code == 404
    assert client_for(world["lead"]).post("/audit", {"reason": "curious"}).status_code == 404
    admin = client_for(world["admin"])
    page = admin.get("/audit", {"q": world["lead"].username, "verify": "1"}).content.decode()
    assert 'id="audit-intact"' in page and "viewed" in page
    assert admin.get("/audit", {"format": "csv"})["Content-Type"].startswith("text/html")  # asked why first
    refused = admin.post("/audit", {"log": "web", "reason": "  "})
    assert refused.status_code == 400
    assert "Say why you are exporting this: the reason is kept in the audit log" in refused.content.decode()
    assert '<a href="#reason">' in refused.content.decode()
    exported = admin.post("/audit", {"log": "web", "reason": "Subject access request 2027/14"})
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert (
        text.splitlines()[0]
        == '"at","who","role","action","kind","target","school","address","reason","ids","hash"'
    )
    assert world["lead"].username in text
    from apforms.web.models import AuditEvent

    last = AuditEvent.objects.order_by("-id")[0]  # the export itself is recorded, with why
    assert (last.action, last.kind, last.target, last.reason) == (
        "exported", "audit log", "all", "Subject access request 2027/14",
    )  # fmt: skip


def test_a_changed_archive_log_is_named_on_the_page(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "event 3 (get) was changed after it was written"
    monkeypatch.setattr(api.Archive, "check_audit_log", lambda self: [broken])
    page = client_for(world["admin"]).get("/audit", {"verify": "1"}).content.decode()
    summary = page.split('class="govuk-error-summary"')[1].split("</ul>")[0]
    assert "The archive's log has been changed" in summary and f"The archive's log: {broken}" in summary
    assert 'id="audit-intact"' in page and 'id="archive-log-intact"' not in page


def test_the_archive_log_is_read_checked_and_exported_beside_it(world: dict[str, Any]) -> None:
    """The archive's own chained log (the command line's looks too) is on the same page."""
    import csv
    import io

    with api.open_archive(world["data"] / "archive", user="j.conka.cli") as arch:
        listed = arch.entries()  # whatever other tests of this process archived too
        arch.listed("list", listed)
    admin = client_for(world["admin"])
    page = admin.get("/audit", {"verify": "1"}).content.decode()
    assert 'id="archive-log-intact"' in page
    rows = page.split('id="archive-events"')[1].split("</table>")[0]
    assert "j.conka.cli" in rows and f"count={len(listed)}; entries: " in rows
    assert (
        "j.conka.cli"
        in admin.get("/audit", {"q": "conka.cli"}).content.decode().split('id="archive-events"')[1]
    )
    assert (
        "j.conka.cli"
        not in admin.get("/audit", {"q": "nobody"}).content.decode().split('id="archive-events"')[1]
    )
    exported = admin.post("/audit", {"log": "archive", "reason": "DPO's quarterly check"})
    assert exported["Content-Type"].startswith("text/csv")
    assert exported["Content-Disposition"] == 'attachment; filename="apforms-archive-audit.csv"'
    table = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert list(table[0]) == ["seq", "at", "user", "action", "entry_id", "detail", "prev", "hash"]
    assert table[-1]["user"] == "j.conka.cli" and json.loads(table[-1]["detail"])["count"] == len(listed)
    with api.open_archive(world["data"] / "archive") as arch:
        assert table[-1]["hash"] == arch.audit_log()[-1].hash
    from apforms.web.models import AuditEvent

    last = AuditEvent.objects.order_by("-id")[0]
    assert (last.kind, last.reason) == ("archive log", "DPO's quarterly check")


def test_the_records_list_is_a_look_naming_the_records_it_showed(world: dict[str, Any]) -> None:
    from apforms.web.models import AuditEvent, Record

    other = Record.objects.create(
        document="sla", school=world["school"], data=api.example("sla")["data"], title="Łucja Nowak"
    )
    before = AuditEvent.objects.count()
    page = client_for(world["lead"]).get("/", {"q": "Łucja Nowak"})
    assert page.status_code == 200 and str(other.id) in page.content.decode()
    (event,) = AuditEvent.objects.filter(id__gt=AuditEvent.objects.order_by("id")[before - 1].id)
    assert (event.action, event.kind, event.target) == ("listed", "records", "1 shown of 1")
    assert (event.ids, event.school, event.who) == (
        str(other.id),
        world["school"].name,
        world["lead"].username,
    )
    everything = client_for(world["lead"]).get("/")
    shown = AuditEvent.objects.order_by("-id")[0]
    ids = (shown.ids or "").split()
    assert str(other.id) in ids and str(world["record"].id) in ids
    assert all(i in everything.content.decode() for i in ids)
    # what was typed to search is not written: only the ids
    assert not any("Łucja" in str(v) for e in AuditEvent.objects.all() for v in e.__dict__.values())
    from apforms.web import audit

    assert audit.verify() == []


def test_an_edit_to_the_ids_of_a_list_is_found(world: dict[str, Any]) -> None:
    from apforms.web import audit
    from apforms.web.models import AuditEvent

    client_for(world["lead"]).get("/")
    last = AuditEvent.objects.order_by("-id")[0]
    assert last.ids
    with trigger_off() as cur:
        cur.execute("UPDATE apforms_web_auditevent SET ids = NULL WHERE id = %s", [last.pk])
        found = audit.verify()
        assert any(f"(#{last.pk}, listed records) was changed" in p for p in found), found
        cur.execute("UPDATE apforms_web_auditevent SET ids = %s WHERE id = %s", [last.ids, last.pk])
    assert audit.verify() == []


def test_an_event_written_before_ids_were_kept_still_verifies() -> None:
    """Events hashed before the ids column existed (its digest had no ids) are bound as written."""
    import datetime as dt
    import hashlib

    from apforms.web import audit
    from apforms.web.models import AuditEvent

    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    values = dict(
        zip(audit.FIELDS, (at.isoformat(), "a@x", "school", "viewed", "sla", "1", "", "", ""), strict=True)
    )
    body = json.dumps(values, sort_keys=True, ensure_ascii=True)
    old = hashlib.sha256(f"{audit.GENESIS}\n{body}".encode()).hexdigest()
    event = AuditEvent(**{**values, "at": at}, previous=audit.GENESIS, hash=old, ids=None)
    assert audit._digest(audit.GENESIS, audit._values(event)) == old


# --------------------------------------------------------------------------- a school's lead


@pytest.fixture(scope="module")
def schools(world: dict[str, Any]) -> dict[str, Any]:
    """Two schools, one's name inside the other's, each with a lead and a user who is not."""
    from apforms.web.models import LA_OFFICER, SCHOOL, Record, School

    tag = world["tag"]
    a = School.objects.create(name=f"Oakwood Junior {tag}")
    b = School.objects.create(name=f"Oakwood Junior {tag} Annexe")
    people = {
        "lead_a": user(f"lead-a-{tag}@oakwood.example.sch.uk", SCHOOL, a),
        "user_a": user(f"senco-a-{tag}@oakwood.example.sch.uk", SCHOOL, a),
        "lead_b": user(f"lead-b-{tag}@annexe.example.sch.uk", SCHOOL, b),
        "officer": user(f"officer-{tag}@example.gov.uk", LA_OFFICER),
    }
    admin = client_for(world["admin"])
    for who in ("lead_a", "lead_b"):
        made = admin.post("/users", {"what": "lead", "user": people[who].pk, "lead": "yes"}, follow=True)
        assert f"is now {people[who].profile.school.name}&#x27;s lead" in made.content.decode()
    recs = {
        k: Record.objects.create(document="referral", school=s, data=api.example("referral")["data"])
        for k, s in (("a", a), ("b", b))
    }
    return {"a": a, "b": b, "people": people, "records": recs}


def test_a_schools_lead_sees_their_schools_activity_and_only_theirs(schools: dict[str, Any]) -> None:
    p, recs = schools["people"], schools["records"]
    client_for(p["user_a"]).get(f"/records/{recs['a'].id}")  # their school's user
    client_for(p["officer"]).get(f"/records/{recs['a'].id}/download/pdf")  # LA staff, on their record
    client_for(p["lead_b"]).get(f"/records/{recs['b'].id}")  # the other school
    client_for(p["officer"]).get(f"/records/{recs['b'].id}")
    page = client_for(p["lead_a"]).get("/school-activity")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Your school's activity" in html and 'href="/school-activity"' in html
    rows = html.split('id="events"')[1]
    assert p["user_a"].username in rows and str(recs["a"].id) in rows
    assert p["officer"].username in rows and "downloaded pdf" in rows
    assert str(recs["b"].id) not in rows and p["lead_b"].username not in rows
    # the school's own users' addresses, not LA staff's
    officer_row = rows.split(p["officer"].username)[1].split("</tr>")[0]
    assert "127.0.0.1" not in officer_row and "192.0.2.14" not in officer_row
    assert "192.0.2.14" in rows.split(p["user_a"].username)[1].split("</tr>")[0]
    # searched as the administrators' page is, within the school
    found = client_for(p["lead_a"]).get("/school-activity", {"q": p["officer"].username}).content.decode()
    assert p["officer"].username in found and p["user_a"].username not in found.split('id="events"')[1]
    by_id = client_for(p["lead_a"]).get("/school-activity", {"q": str(recs["b"].id)})
    assert "No events match." in by_id.content.decode()
    # and the other school's lead never sees this school's
    other = client_for(p["lead_b"]).get("/school-activity").content.decode().split('id="events"')[1]
    assert str(recs["a"].id) not in other and p["user_a"].username not in other
    assert str(recs["b"].id) in other


def test_nobody_but_a_schools_lead_finds_the_page(world: dict[str, Any], schools: dict[str, Any]) -> None:
    p = schools["people"]
    for u in (p["user_a"], p["officer"], world["admin"]):
        c = client_for(u)
        assert c.get("/school-activity").status_code == 404, u.username
        assert 'href="/school-activity"' not in c.get("/blank").content.decode()
    # and a lead no longer: 404 from then on
    admin = client_for(world["admin"])
    admin.post("/users", {"what": "lead", "user": p["lead_b"].pk, "lead": "no"})
    assert client_for(p["lead_b"]).get("/school-activity").status_code == 404
    from apforms.web.models import AuditEvent

    changed = AuditEvent.objects.filter(kind="user", target=p["lead_b"].username).order_by("id")
    assert [e.action for e in changed] == ["made school lead", "no longer school lead"]
    # only a school user can be a lead
    refused = admin.post("/users", {"what": "lead", "user": p["officer"].pk, "lead": "yes"}, follow=True)
    assert "Only a school user can be their school&#x27;s lead" in refused.content.decode()
    p["officer"].profile.refresh_from_db()
    assert not p["officer"].profile.lead
    admin.post("/users", {"what": "lead", "user": p["lead_b"].pk, "lead": "yes"})

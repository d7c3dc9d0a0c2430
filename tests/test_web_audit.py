"""The web app's audit log: every look and change recorded, append-only, and any edit found."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apforms import api
from tests.web_support import django_ready, signed_in, user


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
    from django.db import DatabaseError, connection, transaction

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
    drop, restore = {
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
        cur.execute(drop)
        try:
            cur.execute("UPDATE apforms_web_auditevent SET who = 'someone else' WHERE id = %s", [last.pk])
            found = audit.verify()
            assert any("was changed after it was written" in p for p in found), found
        finally:
            cur.execute("UPDATE apforms_web_auditevent SET who = %s WHERE id = %s", [last.who, last.pk])
            cur.execute(restore)
    assert audit.verify() == []


def test_administrators_read_check_and_export_it_and_nobody_else(world: dict[str, Any]) -> None:
    assert client_for(world["lead"]).get("/audit").status_code == 404
    admin = client_for(world["admin"])
    page = admin.get("/audit", {"q": world["lead"].username, "verify": "1"}).content.decode()
    assert 'id="audit-intact"' in page and "viewed" in page
    exported = admin.get("/audit", {"format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    text = exported.content.decode()
    assert (
        text.splitlines()[0]
        == '"at","who","role","action","kind","target","school","address","reason","hash"'
    )
    assert world["lead"].username in text
    assert events_for("all")[-1][2] == "exported"  # the export itself is recorded

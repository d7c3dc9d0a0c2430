"""The web app's audit log: every look at or change to a child's record, a return or a bulk
run, by whom, in what role, when, from where (and why, where a reason is given).

Append-only twice over: the database refuses updates and deletes (triggers, migration 0002),
and every event's hash chains the one before it (SHA-256 of the previous hash and the event's
canonical JSON), so ``verify`` finds an event edited, deleted or inserted by someone who went
round the triggers. Appends take turns (SQLite's IMMEDIATE transaction; on PostgreSQL an
advisory lock held to the commit), so the chain never forks. The archive keeps its own
chained log for its entries; this one covers the web app's objects. No record content is
written here: only ids (a list's event names the ids it showed), names of schools and what was
done — never a name or a search typed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from apforms.safe import csv_row, json_text
from apforms.web.models import AuditEvent, School

#: The first event's "previous" hash.
GENESIS = "0" * 64
FIELDS = ("at", "who", "role", "action", "kind", "target", "school", "address", "reason")
#: Fields added after events were first written: hashed only when an event has a value, so
#: the events written before them verify as they were written.
LATER = ("ids",)


def _digest(previous: str, event: dict[str, str]) -> str:
    chained = {k: event[k] for k in FIELDS} | {k: event[k] for k in LATER if event.get(k)}
    body = json.dumps(chained, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _values(e: AuditEvent) -> dict[str, str]:
    values = {k: (e.at.isoformat() if k == "at" else str(getattr(e, k))) for k in FIELDS}
    return values | {k: getattr(e, k) or "" for k in LATER}


def record(
    request: HttpRequest,
    action: str,
    kind: str,
    target: Any,
    school: Any = None,
    reason: str = "",
    ids: Sequence[Any] = (),
) -> None:
    """Append one event: ``action`` (viewed, downloaded, changed…) on the ``kind`` object
    ``target``; ``ids``: the objects a list showed or an export held."""
    user = request.user
    prof = getattr(user, "profile", None)
    now = timezone.now()  # UTC: read back from the database as the same instant and text
    event = {
        "at": now.isoformat(),
        "who": str(getattr(user, "username", "") or "anonymous")[:254],
        "role": str(getattr(prof, "role", ""))[:20],
        "action": action[:40],
        "kind": kind[:20],
        "target": str(target)[:100],
        "school": str(getattr(school, "name", school or ""))[:200],
        "address": str(request.META.get("REMOTE_ADDR", ""))[:64],
        "reason": " ".join(reason.split())[:500],
        "ids": " ".join(str(i) for i in ids),
    }
    with transaction.atomic():
        _serialise()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        AuditEvent.objects.create(
            **{**event, "at": now, "ids": event["ids"] or None}, previous=last, hash=_digest(last, event)
        )


def listed(request: HttpRequest, kind: str, ids: Sequence[Any], count: int, schools: Iterable[Any]) -> None:
    """One event for a list shown (pupils' names in it): the ids on the page, how many matched,
    and the school of the objects shown, if one (``one_school``)."""
    record(request, "listed", kind, f"{len(ids)} shown of {count}", one_school(schools), ids=ids)


def one_school(schools: Iterable[Any]) -> str:
    """The school's name when every object of a list or an export is one school's (a school
    user's always are), else ''."""
    names = {str(getattr(s, "name", s)) for s in schools if s}
    return names.pop() if len(names) == 1 else ""


def search(events: QuerySet[AuditEvent], q: str) -> QuerySet[AuditEvent]:
    """The events a search by person, object or school finds."""
    if not q:
        return events
    return events.filter(Q(who__icontains=q) | Q(target__icontains=q) | Q(school__icontains=q))


def of_school(school: School) -> QuerySet[AuditEvent]:
    """A school's activity: what its users did, and what anyone did to its objects."""
    users = get_user_model().objects.filter(profile__school=school).values_list("username", flat=True)
    return AuditEvent.objects.filter(Q(school=school.name) | Q(who__in=users))


#: The PostgreSQL advisory lock that appends to the chain take in turn (any constant of our own).
APPEND_LOCK = 0x61706677  # "apfw"


def _serialise() -> None:
    """Inside the append's transaction: wait for any other append to commit, so that two never
    chain to the same previous event. SQLite's IMMEDIATE transactions already take turns; on
    PostgreSQL, a transaction-scoped advisory lock, released at commit or rollback."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])


def verify() -> list[str]:
    """Every break in the chain, in words (an empty list: the log is as it was written)."""
    problems: list[str] = []
    previous = GENESIS
    for n, e in enumerate(AuditEvent.objects.order_by("id").iterator(), start=1):
        if e.previous != previous:
            problems.append(
                f"event {n} (#{e.pk}) does not follow the one before it: one was deleted or inserted"
            )
        if e.hash != _digest(e.previous, _values(e)):
            problems.append(f"event {n} (#{e.pk}, {e.action} {e.kind}) was changed after it was written")
        previous = e.hash
    return problems


def as_csv(events: Iterable[AuditEvent]) -> str:
    """Events as a CSV file (cells a spreadsheet shows as text, never runs)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, *LATER, "hash"], quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for e in events:
        writer.writerow(csv_row({**_values(e), "hash": e.hash}))
    return out.getvalue()


ARCHIVE_FIELDS = ("seq", "at", "user", "action", "entry_id", "detail", "prev", "hash")


def archive_csv(events: Iterable[Any]) -> str:
    """The archive's audit log (``Archive.audit_log()``) as a CSV file, each event's detail
    as one line of JSON."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ARCHIVE_FIELDS, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for e in events:
        row = {k: getattr(e, k) or "" for k in ARCHIVE_FIELDS}
        writer.writerow(csv_row({**row, "detail": json_text(e.detail, indent=None, sort_keys=True)}))
    return out.getvalue()

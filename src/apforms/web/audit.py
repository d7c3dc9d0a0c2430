"""The web app's audit log: every look at or change to a child's record, a return or a bulk
run, by whom, in what role, when, from where (and why, where a reason is given).

Append-only twice over: the database refuses updates and deletes (triggers, migration 0002),
and every event's hash chains the one before it (SHA-256 of the previous hash and the event's
canonical JSON), so ``verify`` finds an event edited, deleted or inserted by someone who went
round the triggers. Appends take turns (SQLite's IMMEDIATE transaction; on PostgreSQL an
advisory lock held to the commit), so the chain never forks. The archive keeps its own
chained log for its entries; this one covers the web app's objects.
No record content is written here: only ids, names of schools and what was done.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from apforms.safe import csv_row
from apforms.web.models import AuditEvent

#: The first event's "previous" hash.
GENESIS = "0" * 64
FIELDS = ("at", "who", "role", "action", "kind", "target", "school", "address", "reason")


def _digest(previous: str, event: dict[str, str]) -> str:
    body = json.dumps({k: event[k] for k in FIELDS}, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(f"{previous}\n{body}".encode()).hexdigest()


def _values(e: AuditEvent) -> dict[str, str]:
    return {k: (e.at.isoformat() if k == "at" else str(getattr(e, k))) for k in FIELDS}


def record(
    request: HttpRequest, action: str, kind: str, target: Any, school: Any = None, reason: str = ""
) -> None:
    """Append one event: ``action`` (viewed, downloaded, changed…) on the ``kind`` object ``target``."""
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
    }
    with transaction.atomic():
        _serialise()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS
        AuditEvent.objects.create(**{**event, "at": now}, previous=last, hash=_digest(last, event))


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
    writer = csv.DictWriter(out, fieldnames=[*FIELDS, "hash"], quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for e in events:
        writer.writerow(csv_row({**_values(e), "hash": e.hash}))
    return out.getvalue()

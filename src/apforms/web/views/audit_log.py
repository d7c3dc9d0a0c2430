"""The audit logs for LA administrators: the web app's and the archive's, read, searched,
checked and exported with a reason (never edited); and a school's activity for its lead."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_http_methods

from apforms.errors import ApformsError
from apforms.web import access, audit
from apforms.web.models import AuditEvent
from apforms.web.views import archive_common
from apforms.web.views.common import export_reason, safe_message

#: The most events of each log a page shows (the latest; a search narrows it).
SHOWN = 200
#: Which log an export is of: its name in the event, its file's name.
LOGS = {"web": ("audit log", "apforms-audit.csv"), "archive": ("archive log", "apforms-archive-audit.csv")}


@access.admin_only
@require_http_methods(["GET", "POST"])
def log(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    q = params.get("q", "").strip()[:100]
    events = audit.search(AuditEvent.objects.order_by("-id"), q)
    reason, error = "", ""
    if request.method == "POST":
        which = params["log"] if params.get("log") in LOGS else "web"
        reason, error = export_reason(request.POST)
        if not error:
            return _export(request, which, q, events, reason)
    checking = bool(request.GET.get("verify"))
    problems = audit.verify() if checking else None
    archive = _archive_log(request, q, checking)
    return render(
        request,
        "apforms_web/audit.html",
        {
            "events": events[:SHOWN],
            "count": events.count(),
            "q": q,
            "problems": problems,
            "web_intact": problems == [],
            "archive_intact": archive.get("problems") == [],
            "shown": SHOWN,
            "archive": archive,
            "reason": reason,
            "reason_error": error,
            "error_summary": [{"href": "#reason", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


def _export(request: HttpRequest, which: str, q: str, events: Any, reason: str) -> HttpResponse:
    kind, filename = LOGS[which]
    if which == "web":
        content = audit.as_csv(events.order_by("id"))
    else:
        with archive_common.opened(request) as arch:
            content = audit.archive_csv(_archive_search(arch.audit_log(), q))
    audit.record(request, "exported", kind, q or "all", reason=reason)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _archive_search(events: list[Any], q: str) -> list[Any]:
    """The archive's events a search by person, entry id or action finds."""
    wanted = q.casefold()
    return [
        e
        for e in events
        if not wanted or any(wanted in str(v or "").casefold() for v in (e.user, e.entry_id, e.action))
    ]


def _archive_log(request: HttpRequest, q: str, checking: bool) -> dict[str, Any]:
    """The archive's chained log as the page shows it (the latest first), and its check; if
    the archive cannot be opened, why (the web app's log is still shown)."""
    try:
        with archive_common.opened(request) as arch:
            events = arch.audit_log()
            problems = arch.check_audit_log() if checking else None
    except ApformsError as exc:
        return {"error": archive_common.for_page(safe_message(exc))}
    found = _archive_search(events, q)
    latest = [
        {"e": e, "at": _when(e.at), "entry": (e.entry_id or "")[:12], "detail": _detail(e.detail)}
        for e in reversed(found[-SHOWN:])
    ]
    return {"events": latest, "count": len(found), "total": len(events), "problems": problems}


def _when(at: str) -> dt.datetime | str:
    """An archive event's time (ISO, UTC) as a time, shown as the web log's are."""
    try:
        return dt.datetime.fromisoformat(at)
    except ValueError:
        return at


def _detail(detail: dict[str, Any]) -> str:
    """An archive event's detail in a line: values as they are, a list by its length."""
    parts = []
    for key, value in detail.items():
        if key == "reason":
            continue  # shown on a line of its own
        if isinstance(value, list):
            parts.append(f"{key}: {len(value)}")
        elif isinstance(value, dict):
            parts.append(f"{key}: " + ", ".join(f"{k}={v}" for k, v in value.items()))
        else:
            parts.append(f"{key}={value}")
    return "; ".join(parts)


@access.school_lead_only
def school_activity(request: HttpRequest) -> HttpResponse:
    """A school's lead: what was done to their school's records, returns and archive copies,
    and by their school's users (LA staff's addresses not shown); searched, never exported."""
    school = access.profile(request).school
    assert school is not None  # school_lead_only
    q = request.GET.get("q", "").strip()[:100]
    events = audit.search(audit.of_school(school).order_by("-id"), q)
    return render(
        request,
        "apforms_web/school_activity.html",
        {"school": school, "events": events[:SHOWN], "count": events.count(), "q": q, "shown": SHOWN},
    )


urlpatterns = [
    path("audit", log, name="audit"),
    path("school-activity", school_activity, name="school-activity"),
]

"""The audit log for LA administrators: read, search, check and export (never edit)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from apforms.web import access, audit
from apforms.web.models import AuditEvent

SHOWN = 200


@access.admin_only
def log(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    events = AuditEvent.objects.order_by("-id")
    if q:
        events = events.filter(Q(who__icontains=q) | Q(target__icontains=q) | Q(school__icontains=q))
    if request.GET.get("format") == "csv":
        audit.record(request, "exported", "audit log", q or "all", reason="audit log export")
        response = HttpResponse(audit.as_csv(events.order_by("id")), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="apforms-audit.csv"'
        return response
    problems = audit.verify() if request.GET.get("verify") else None
    return render(
        request,
        "apforms_web/audit.html",
        {"events": events[:SHOWN], "count": events.count(), "q": q, "problems": problems, "shown": SHOWN},
    )


urlpatterns = [path("audit", log, name="audit")]

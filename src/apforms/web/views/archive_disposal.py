"""The archive's disposal (LA staff): what has passed its retention date, and a copy disposed
of with a reason after a confirm page (before its date only when that is ticked). The
archive keeps a tombstone: the hash, what was known of the copy, the reason, who and when."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apforms.errors import ArchiveError
from apforms.web import access, audit
from apforms.web.models import ArchiveCopy
from apforms.web.views import archive_common as common
from apforms.web.views.common import safe_message


@access.la_only
@common.archive_errors
def due(request: HttpRequest) -> HttpResponse:
    copies = {c.entry: c for c in ArchiveCopy.objects.select_related("school")}
    titles = common.titles()
    with common.opened(request) as arch:
        report = arch.due(common.today())

        def row(item: Any) -> dict[str, Any]:
            return {
                **common.row(arch, item.entry, copies.get(item.entry.id), titles),
                "kept": common.for_page(item.retention.describe()),
                "review": item.retention.action == "review",
            }

        rows, unknown = [row(i) for i in report.due], [row(i) for i in report.unknown]
    shown = report.due + report.unknown
    schools = (copies[i.entry.id].school for i in shown if i.entry.id in copies)
    audit.listed(request, "archive due", [i.entry.id for i in shown], len(shown), schools)
    return render(
        request, "apforms_web/archive_due.html", {"rows": rows, "unknown": unknown, "today": report.today}
    )


@access.la_only
@require_http_methods(["GET", "POST"])
@common.archive_errors
def dispose(request: HttpRequest, entry_id: str) -> HttpResponse:
    copy = access.archive_copy_for(request, entry_id)
    error, reason, early = "", "", False
    with common.opened(request) as arch:
        e = common.find(arch, entry_id)
        if e.state != "stored":
            messages.info(request, f"This copy was disposed of on {e.disposed_at}.")
            return HttpResponseRedirect(reverse("archive-entry", args=[e.id]))
        kept = arch.retention(e)
        is_due = kept.is_due(common.today())
        if request.method == "POST":
            reason, early = request.POST.get("reason", "").strip(), request.POST.get("early") == "yes"
            if not reason:
                error = "Say why the copy is disposed of: the reason is kept in its tombstone"
            elif len(reason) > 1000:
                error = "The reason is at most 1,000 characters"
            elif not is_due and not early:
                until = common.for_page(kept.describe())
                error = f"It is kept until {until}: tick 'Dispose of it before its date' to go on"
            else:
                try:
                    gone = arch.dispose(e.id, reason, common.today(), early=early)
                except ArchiveError as exc:
                    error = common.for_page(safe_message(exc))
                else:
                    school = copy.school if copy is not None else ""
                    audit.record(request, "disposed of", "archive entry", e.id, school, reason=reason)
                    messages.success(
                        request,
                        f"The copy has been disposed of. Its tombstone is kept: {gone.disposed_at}, "
                        f"by {gone.disposed_by}.",
                    )
                    return HttpResponseRedirect(reverse("archive-entry", args=[e.id]))
    return render(
        request,
        "apforms_web/archive_dispose.html",
        {
            "e": e,
            "copy": copy,
            "title": common.title(e),
            "document": common.titles().get(e.document or "", e.document or "a document"),
            "kept": common.for_page(kept.describe()),
            "is_due": is_due,
            "reason": reason,
            "early": early,
            "error": error,
            "error_summary": [{"href": "#reason", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )

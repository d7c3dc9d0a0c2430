"""The archive of signed copies: upload, list and search, an entry and its file, verify,
export for an inspection, and (LA staff) disposal past retention, leaving a tombstone.

A school user sees their school's entries only (``ArchiveCopy``): any other id is "not
found", as one that does not exist. The audit log names the web user. A refused file is
one line on the page, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Collection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, re_path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ArchiveError
from apforms.web import access, audit
from apforms.web.models import ArchiveCopy, School
from apforms.web.settings import MAX_UPLOAD_BYTES
from apforms.web.views import archive_common as common
from apforms.web.views import archive_disposal as disposal
from apforms.web.views.common import documents, export_reason, safe_message
from apforms.web.views.records import _school

#: What a PDF that is not an apforms form (a scan) cannot tell the archive: given on upload.
REFS = (
    ("upn", "Pupil's UPN"),
    ("provider", "Provider"),
    ("school", "School, as named on the document"),
    ("date_of_birth", "Pupil's date of birth"),
    ("end", "End of the agreement (an SLA)"),
    ("last_visit", "Date of the last QA visit"),
)
_DATE_REFS = ("date_of_birth", "end", "last_visit")
#: The most entries a list shows (a search narrows it; an export takes every match).
SHOWN = 500


# --------------------------------------------------------------------------- upload


@require_http_methods(["GET", "POST"])
@common.archive_errors
def add(request: HttpRequest) -> HttpResponse:
    schools = access.schools(request)
    error, where = "", "file"
    if request.method == "POST":
        f = request.FILES.get("file")
        school = _school(request, schools)
        doc = request.POST.get("document", "")
        # A scan's details are "ref-…" (the school it is kept for is "school"; the school named
        # on the document is "ref-school": one name for both lost the choice of school).
        given = {name: request.POST.get(f"ref-{name}", "").strip() for name, _ in REFS}
        refs = {name: value for name, value in given.items() if value}
        for flag in ("ehcp", "child_protection"):
            if request.POST.get(flag) in ("yes", "no"):
                refs[flag] = request.POST[flag]
        if f is None:
            error = "Choose the signed copy to archive"
        elif school is None:
            error, where = "Choose the school the copy is kept for", "school"
        elif doc and doc not in api.document_ids():
            error, where = "Choose a document from the list", "document"
        elif not f.name.lower().endswith(".pdf"):
            error = "The signed copy must be a PDF"
        elif f.size > MAX_UPLOAD_BYTES:
            error = f"The file is too large (at most {MAX_UPLOAD_BYTES // 2**20} MB)"
        else:
            name = api.one_line(Path(f.name).name, 200)
            with common.opened(request) as archive:
                result = archive.add_bytes(f.read(MAX_UPLOAD_BYTES + 1), name, doc or None, refs)
            error, entry = _outcome(request, result, school, name)
            if entry is not None:
                return HttpResponseRedirect(reverse("archive-entry", args=[entry]))
    return render(
        request,
        "apforms_web/archive_add.html",
        {
            "schools": schools,
            "documents": documents(),
            "refs": [(n, label, n in _DATE_REFS) for n, label in REFS],
            "error": error,
            "where": where,
            "error_summary": [{"href": f"#{where}", "text": error}] if error else [],
            "max_mb": MAX_UPLOAD_BYTES // 2**20,
        },
        status=400 if error else 200,
    )


def _outcome(
    request: HttpRequest, result: api.AddResult, school: School, name: str
) -> tuple[str, str | None]:
    """(a refusal, or the id of the entry to show) after an add."""
    if result.entry is None:
        return f"{name} was not archived: {common.for_page(api.one_line(result.reason or 'refused'))}", None
    entry_id = result.entry.id
    if result.outcome == "added":
        try:
            ArchiveCopy.objects.create(entry=entry_id, school=school, added_by=request.user)
        except IntegrityError:  # the same file, added at the same moment by someone else
            pass
        else:
            audit.record(request, "archived", "archive entry", entry_id, school)
            messages.success(request, f"{name} has been archived for {school.name}.")
            return "", entry_id
    copy = ArchiveCopy.objects.filter(entry=entry_id).select_related("school").first()
    if copy is None:  # archived outside the web app: kept for this school from now on
        copy = ArchiveCopy.objects.create(entry=entry_id, school=school, added_by=request.user)
    if copy.school_id != school.pk and not access.profile(request).is_la:
        return f"{name} is already in the archive, kept for another school: ask the local authority", None
    where = "" if copy.school_id == school.pk else f", kept for {copy.school.name}"
    messages.info(request, f"{name} was already in the archive{where}.")
    return "", entry_id


# --------------------------------------------------------------------------- list and search


def _query(params: QueryDict) -> dict[str, str]:
    keys = ("pupil", "upn", "school", "provider", "document", "since", "until", "signed", "disposed")
    return {k: " ".join(params.get(k, "").split())[:100] for k in keys}


def _filters(q: dict[str, str]) -> tuple[Any, list[dict[str, str]]]:
    errors = []
    for key, label in (("since", "Added from"), ("until", "Added until")):
        if q[key]:
            try:
                dt.date.fromisoformat(q[key])
            except ValueError:
                errors.append({"href": f"#{key}", "text": f"{label}: give a date, like 2026-11-27"})
                q[key] = ""
    filters = api.archive_filters(
        document=q["document"] if q["document"] in api.document_ids() else None,
        provider=q["provider"] or None,
        upn=q["upn"] or None,
        since=q["since"] or None,
        until=q["until"] or None,
        signature_status=q["signed"] if q["signed"] in common.STATUSES else None,
        include_disposed=q["disposed"] == "yes",
    )
    return filters, errors


def _visible(request: HttpRequest, archive: api.Archive, filters: Any, q: dict[str, str]) -> list[Any]:
    """(entry, its school link) for every entry the filters select that the user may see."""
    copies = {c.entry: c for c in access.archive_copies(request)}
    la = access.profile(request).is_la
    out = []
    wanted = q["pupil"].casefold()
    for entry in archive.entries(filters):
        copy = copies.get(entry.id)
        if copy is None and not la:
            continue
        if q["school"] and (copy is None or str(copy.school_id) != q["school"]):
            continue
        if wanted and wanted not in common.title(entry).casefold():
            continue
        out.append((entry, copy))
    return out


@common.archive_errors
def archive(request: HttpRequest) -> HttpResponse:
    return _list_page(request, _query(request.GET))


def _list_page(
    request: HttpRequest,
    q: dict[str, str],
    chosen: Collection[str] = (),
    reason: str = "",
    reason_error: str = "",
) -> HttpResponse:
    """The list and search (recorded: the ids shown); after an export refused for want of a
    reason, with its choices kept and the reason's error."""
    filters, errors = _filters(q)
    titles = common.titles()
    with common.opened(request) as arch:
        found = _visible(request, arch, filters, q)
        rows = [common.row(arch, e, copy, titles) for e, copy in found[:SHOWN]]
    audit.listed(
        request, "archive", [r["id"] for r in rows], len(found), (c.school for _, c in found[:SHOWN] if c)
    )
    if reason_error:
        errors = [*errors, {"href": "#reason", "text": reason_error}]
    return render(
        request,
        "apforms_web/archive.html",
        {
            "rows": rows,
            "count": len(found),
            "more": len(found) > SHOWN,
            "q": q,
            "searched": any(q.values()),
            "documents": documents(),
            "statuses": [(k, v[0]) for k, v in common.STATUSES.items()],
            "schools": access.schools(request),
            "chosen": set(chosen),
            "reason": reason,
            "reason_error": reason_error,
            "error_summary": errors,
        },
        status=400 if errors else 200,
    )


@require_POST
@common.archive_errors
def export(request: HttpRequest) -> HttpResponse:
    """The chosen entries, or every one the search finds, as a ZIP with a manifest; why, asked
    on the list, is kept in both audit logs."""
    q = _query(request.POST)
    q["disposed"] = ""  # a tombstone has no file to export
    filters, _ = _filters(q)
    chosen = request.POST.getlist("id")
    reason, error = export_reason(request.POST)
    with common.opened(request) as arch:
        visible = _visible(request, arch, filters, q)
        if request.POST.get("which") == "chosen":
            wanted = set(chosen)
            visible = [(e, c) for e, c in visible if e.id in wanted]
        ids = [e.id for e, _ in visible]
        if ids and not error:
            out = Path(settings.APFORMS_DATA) / "uploads" / f"export-{secrets.token_hex(8)}.zip"
            try:
                arch.export(filters, out, only=ids, reason=reason)
                handle = out.open("rb")
            finally:
                out.unlink(missing_ok=True)  # the open handle still reads it; nothing stays behind
    if not ids:
        messages.error(request, "Choose the copies to export: none of those chosen can be exported.")
        return HttpResponseRedirect(f"{reverse('archive')}?{urlencode(q)}")
    if error:
        return _list_page(request, q, chosen, reason, error)
    school = audit.one_school(c.school for _, c in visible if c is not None)
    audit.record(request, "exported", "archive", f"{len(ids)} copies", school, reason=reason, ids=ids)
    name = f"archive-export-{common.today().isoformat()}.zip"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")


# --------------------------------------------------------------------------- one entry


@common.archive_errors
def entry(request: HttpRequest, entry_id: str) -> HttpResponse:
    copy = access.archive_copy_for(request, entry_id)
    audit.record(request, "viewed", "archive entry", entry_id, copy.school if copy is not None else "")
    with common.opened(request) as arch:
        e = common.find(arch, entry_id)
        info = arch.describe(e)
        kept = arch.retention(e)
    return render(
        request,
        "apforms_web/archive_entry.html",
        {
            "e": e,
            "info": info,
            "copy": copy,
            "title": common.title(e),
            "document": common.titles().get(e.document or "", e.document or "a document"),
            "status": common.status(e.signature_status),
            "kept": common.for_page(kept.describe()),
            "basis": kept.basis,
            "review": kept.action == "review",
            "due": kept.is_due(common.today()),
            "disposed": e.state == "disposed",
        },
    )


@common.archive_errors
def download(request: HttpRequest, entry_id: str) -> HttpResponse:
    copy = access.archive_copy_for(request, entry_id)
    with common.opened(request) as arch:
        e = common.find(arch, entry_id)
        try:
            e, data = arch.get_bytes(e.id, to="a download from the web app")
        except ArchiveError as exc:
            return render(
                request,
                "apforms_web/error.html",
                {"heading": "The copy cannot be downloaded", "text": common.for_page(safe_message(exc))},
                status=410 if e.state == "disposed" else 409,
            )
    audit.record(request, "downloaded", "archive entry", e.id, copy.school if copy is not None else "")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{e.document or "document"}-{e.short_id}.pdf"'
    return response


# --------------------------------------------------------------------------- verify


@require_http_methods(["GET", "POST"])
@common.archive_errors
def verify(request: HttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        with common.opened(request) as arch:
            report = arch.verify(check_signatures=request.POST.get("signatures") == "yes")
    return render(request, "apforms_web/archive_verify.html", _verify_context(request, report))


def _verify_context(request: HttpRequest, report: Any) -> dict[str, Any]:
    if report is None:
        return {"report": None}
    la = access.profile(request).is_la
    mine = None if la else {c.entry for c in access.archive_copies(request)}

    def of_mine(ids: list[str]) -> list[str]:
        return [i for i in ids if mine is None or i in mine]

    def pairs(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(i, common.for_page(p)) for i, p in items if mine is None or i in mine]

    catalogue = [common.for_page(p.message) for p in report.catalogue_problems] + list(report.audit_problems)
    return {
        "report": report,
        "ok": report.ok,
        "la": la,
        "checked": report.checked,
        "missing": of_mine(report.missing),
        "altered": of_mine(report.altered),
        "unreadable": of_mine(report.unreadable),
        "signature_problems": pairs(report.signature_problems),
        "known_broken": pairs(report.known_broken),
        "catalogue": catalogue if la else [],
        "catalogue_count": len(catalogue),
        "notes": report.notes if la else [],
        "head": report.head,
        "not_logged": report.not_logged if la else None,
    }


urlpatterns = [
    path("archive", archive, name="archive"),
    path("archive/add", add, name="archive-add"),
    path("archive/verify", verify, name="archive-verify"),
    path("archive/due", disposal.due, name="archive-due"),
    path("archive/export", export, name="archive-export"),
    re_path(rf"^archive/{common.ENTRY}$", entry, name="archive-entry"),
    re_path(rf"^archive/{common.ENTRY}/file$", download, name="archive-file"),
    re_path(rf"^archive/{common.ENTRY}/dispose$", disposal.dispose, name="archive-dispose"),
]

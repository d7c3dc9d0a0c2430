"""The archive of signed copies: upload, list and search, an entry and its file, verify,
export for an inspection, and (LA staff) disposal past retention, leaving a tombstone.

A school user sees their school's entries only (``ArchiveCopy``): any other id is "not
found", as one that does not exist. The audit log names the web user. A refused file is
one line on the page, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, re_path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ApformsError, ArchiveError
from apforms.web import access
from apforms.web.models import ArchiveCopy, School
from apforms.web.settings import MAX_UPLOAD_BYTES
from apforms.web.views.common import documents, safe_message
from apforms.web.views.records import _school

F = TypeVar("F", bound=Callable[..., HttpResponse])

_ENTRY = r"(?P<entry_id>[0-9a-f]{64})"
#: How a signature status reads on a page, and its tag's colour.
STATUSES = {
    "fully_signed": ("Fully signed", "green"),
    "partly_signed": ("Partly signed", "yellow"),
    "unsigned": ("Not signed", "grey"),
    "signed": ("Signed", "green"),
    "unknown": ("Not known", "grey"),
    "no_signature_blocks": ("No signature blocks", "grey"),
    "invalid": ("Signature broken", "red"),
}
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


def today() -> dt.date:
    return dt.date.today()


def _location() -> Path:
    return Path(settings.APFORMS_DATA) / "archive"


@contextmanager
def _opened(request: HttpRequest) -> Iterator[api.Archive]:
    archive = api.open_archive(_location(), user=request.user.get_username())
    try:
        yield archive
    finally:
        archive.close()


def _archive_errors(view: F) -> F:
    """The archive itself failing (its catalogue unreadable, say): one line, never a traceback."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApformsError as exc:
            return render(
                request,
                "apforms_web/error.html",
                {"heading": "The archive cannot be used", "text": _web(safe_message(exc))},
                status=503,
            )

    return wrapped  # type: ignore[return-value]


#: The archive's messages name command-line options; a page names its own fields.
_WEB_WORDS = (
    (
        re.compile(r"say which document it is with --doc \([^)]*\)"),
        "choose which document it is under Document",
    ),
    (re.compile(r"; see --max-size"), ""),
    (re.compile(r"; give it with --ref NAME=VALUE"), ""),
    (re.compile(r"; see apforms archive show \w+"), ""),
    (re.compile(r"say so with --early"), "tick 'Dispose of it before its date'"),
    (re.compile(r"--ref (\w+)="), r"\1: "),
    (re.compile(r"; run apforms archive verify"), "; verify the archive"),
)


def _web(text: str) -> str:
    for pattern, words in _WEB_WORDS:
        text = pattern.sub(words, text)
    return text


def _find(archive: api.Archive, entry_id: str) -> api.Entry:
    try:
        return archive.find(entry_id)
    except ArchiveError:
        raise Http404 from None


def _status(status: str) -> dict[str, str]:
    label, colour = STATUSES.get(status, (status.replace("_", " "), "grey"))
    return {"label": label, "colour": colour}


def _titles() -> dict[str, str]:
    return {d["id"]: d["title"] for d in documents()}


def _title(entry: api.Entry) -> str:
    """The record's name (the pupil's, for a pupil's document), '' for a scan."""
    data = entry.record.get("data") if entry.record else None
    if not entry.document or not isinstance(data, Mapping):
        return ""
    try:
        return api.record_title(api.new_record(entry.document, data))
    except ApformsError:
        return ""


# --------------------------------------------------------------------------- upload


@require_http_methods(["GET", "POST"])
@_archive_errors
def add(request: HttpRequest) -> HttpResponse:
    schools = access.schools(request)
    error, where = "", "file"
    if request.method == "POST":
        f = request.FILES.get("file")
        school = _school(request, schools)
        doc = request.POST.get("document", "")
        refs = {
            name: request.POST.get(name, "").strip() for name, _ in REFS if request.POST.get(name, "").strip()
        }
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
            with _opened(request) as archive:
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
        return f"{name} was not archived: {_web(api.one_line(result.reason or 'refused'))}", None
    entry_id = result.entry.id
    if result.outcome == "added":
        try:
            ArchiveCopy.objects.create(entry=entry_id, school=school, added_by=request.user)
        except IntegrityError:  # the same file, added at the same moment by someone else
            pass
        else:
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
        signature_status=q["signed"] if q["signed"] in STATUSES else None,
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
        if wanted and wanted not in _title(entry).casefold():
            continue
        out.append((entry, copy))
    return out


@_archive_errors
def archive(request: HttpRequest) -> HttpResponse:
    q = _query(request.GET)
    filters, errors = _filters(q)
    titles = _titles()
    with _opened(request) as arch:
        found = _visible(request, arch, filters, q)
        rows = [_row(arch, e, copy, titles) for e, copy in found[:SHOWN]]
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
            "statuses": [(k, v[0]) for k, v in STATUSES.items()],
            "schools": access.schools(request),
            "error_summary": errors,
        },
        status=400 if errors else 200,
    )


def _row(arch: api.Archive, e: api.Entry, copy: ArchiveCopy | None, titles: dict[str, str]) -> dict[str, Any]:
    kept = arch.retention(e)
    return {
        "id": e.id,
        "short_id": e.short_id,
        "added": e.added_at[:10],
        "document": titles.get(e.document or "", e.document or ""),
        "title": _title(e),
        "provider": e.parties.get("provider", ""),
        "school": copy.school.name if copy else e.parties.get("school", ""),
        "upn": e.parties.get("upn", ""),
        "status": _status(e.signature_status),
        "disposed": e.state == "disposed",
        "until": kept.until.isoformat() if kept.until else "not known",
    }


@require_POST
@_archive_errors
def export(request: HttpRequest) -> HttpResponse:
    """The chosen entries, or every one the search finds, as a ZIP with a manifest."""
    q = _query(request.POST)
    q["disposed"] = ""  # a tombstone has no file to export
    filters, _ = _filters(q)
    with _opened(request) as arch:
        allowed = [e.id for e, _ in _visible(request, arch, filters, q)]
        if request.POST.get("which") == "chosen":
            chosen = set(request.POST.getlist("id"))
            ids = [i for i in allowed if i in chosen]
        else:
            ids = allowed
        if not ids:
            messages.error(request, "Choose the copies to export: none of those chosen can be exported.")
            return HttpResponseRedirect(f"{reverse('archive')}?{urlencode(q)}")
        out = Path(settings.APFORMS_DATA) / "uploads" / f"export-{secrets.token_hex(8)}.zip"
        try:
            arch.export(filters, out, only=ids)
            handle = out.open("rb")
        finally:
            out.unlink(missing_ok=True)  # the open handle still reads it; nothing stays behind
    name = f"archive-export-{today().isoformat()}.zip"
    return FileResponse(handle, as_attachment=True, filename=name, content_type="application/zip")


# --------------------------------------------------------------------------- one entry


@_archive_errors
def entry(request: HttpRequest, entry_id: str) -> HttpResponse:
    copy = access.archive_copy_for(request, entry_id)
    with _opened(request) as arch:
        e = _find(arch, entry_id)
        info = arch.describe(e)
        kept = arch.retention(e)
    return render(
        request,
        "apforms_web/archive_entry.html",
        {
            "e": e,
            "info": info,
            "copy": copy,
            "title": _title(e),
            "document": _titles().get(e.document or "", e.document or "a document"),
            "status": _status(e.signature_status),
            "kept": _web(kept.describe()),
            "basis": kept.basis,
            "review": kept.action == "review",
            "due": kept.is_due(today()),
            "disposed": e.state == "disposed",
        },
    )


@_archive_errors
def download(request: HttpRequest, entry_id: str) -> HttpResponse:
    access.archive_copy_for(request, entry_id)
    with _opened(request) as arch:
        e = _find(arch, entry_id)
        try:
            e, data = arch.get_bytes(e.id, to="a download from the web app")
        except ArchiveError as exc:
            return render(
                request,
                "apforms_web/error.html",
                {"heading": "The copy cannot be downloaded", "text": _web(safe_message(exc))},
                status=410 if e.state == "disposed" else 409,
            )
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{e.document or "document"}-{e.short_id}.pdf"'
    return response


# --------------------------------------------------------------------------- verify


@require_http_methods(["GET", "POST"])
@_archive_errors
def verify(request: HttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        with _opened(request) as arch:
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
        return [(i, _web(p)) for i, p in items if mine is None or i in mine]

    catalogue = [_web(p.message) for p in report.catalogue_problems] + list(report.audit_problems)
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


# --------------------------------------------------------------------------- retention


@access.la_only
@_archive_errors
def due(request: HttpRequest) -> HttpResponse:
    copies = {c.entry: c for c in ArchiveCopy.objects.select_related("school")}
    titles = _titles()
    with _opened(request) as arch:
        report = arch.due(today())

        def row(item: Any) -> dict[str, Any]:
            return {
                **_row(arch, item.entry, copies.get(item.entry.id), titles),
                "kept": _web(item.retention.describe()),
                "review": item.retention.action == "review",
            }

        rows, unknown = [row(i) for i in report.due], [row(i) for i in report.unknown]
    return render(
        request, "apforms_web/archive_due.html", {"rows": rows, "unknown": unknown, "today": report.today}
    )


@access.la_only
@require_http_methods(["GET", "POST"])
@_archive_errors
def dispose(request: HttpRequest, entry_id: str) -> HttpResponse:
    copy = access.archive_copy_for(request, entry_id)
    error, reason, early = "", "", False
    with _opened(request) as arch:
        e = _find(arch, entry_id)
        if e.state != "stored":
            messages.info(request, f"This copy was disposed of on {e.disposed_at}.")
            return HttpResponseRedirect(reverse("archive-entry", args=[e.id]))
        kept = arch.retention(e)
        is_due = kept.is_due(today())
        if request.method == "POST":
            reason, early = request.POST.get("reason", "").strip(), request.POST.get("early") == "yes"
            if not reason:
                error = "Say why the copy is disposed of: the reason is kept in its tombstone"
            elif len(reason) > 1000:
                error = "The reason is at most 1,000 characters"
            elif not is_due and not early:
                error = (
                    f"It is kept until {_web(kept.describe())}: tick 'Dispose of it before its date' to go on"
                )
            else:
                try:
                    gone = arch.dispose(e.id, reason, today(), early=early)
                except ArchiveError as exc:
                    error = _web(safe_message(exc))
                else:
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
            "title": _title(e),
            "document": _titles().get(e.document or "", e.document or "a document"),
            "kept": _web(kept.describe()),
            "is_due": is_due,
            "reason": reason,
            "early": early,
            "error": error,
            "error_summary": [{"href": "#reason", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


urlpatterns = [
    path("archive", archive, name="archive"),
    path("archive/add", add, name="archive-add"),
    path("archive/verify", verify, name="archive-verify"),
    path("archive/due", due, name="archive-due"),
    path("archive/export", export, name="archive-export"),
    re_path(rf"^archive/{_ENTRY}$", entry, name="archive-entry"),
    re_path(rf"^archive/{_ENTRY}/file$", download, name="archive-file"),
    re_path(rf"^archive/{_ENTRY}/dispose$", dispose, name="archive-dispose"),
]

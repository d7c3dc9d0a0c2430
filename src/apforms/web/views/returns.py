"""Returns: a returned PDF, Word form or scan read back, reviewed beside what was sent, accepted."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ApformsError
from apforms.web import access, audit
from apforms.web.models import Record, Return
from apforms.web.settings import MAX_UPLOAD_BYTES
from apforms.web.views.common import as_record, safe_message, title_of
from apforms.web.views.records import _school

_KINDS = (".pdf", ".docx", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    record_id = request.GET.get("record") or request.POST.get("record") or ""
    row = access.record_for(request, record_id) if record_id else None
    schools = access.schools(request)
    error = ""
    if request.method == "POST":
        f = request.FILES.get("file")
        school = row.school if row is not None else _school(request, schools)
        if f is None:
            error = "Choose the returned form to read"
        elif school is None:
            error = "Choose the school the return is for"
        elif not f.name.lower().endswith(_KINDS):
            error = "The return must be a PDF, a Word document (.docx) or a scan (PNG, JPEG or TIFF)"
        elif f.size > MAX_UPLOAD_BYTES:
            error = f"The file is too large (at most {MAX_UPLOAD_BYTES // 2**20} MB)"
        else:
            password = request.POST.get("password") or None
            try:
                read = api.ingest_bytes(f.read(MAX_UPLOAD_BYTES + 1), api.one_line(f.name, 200), password)
            except ApformsError as exc:
                error = f"{api.one_line(f.name, 80)} was not read: {safe_message(exc)}"
            else:
                if row is not None and read.definition.id != row.document:
                    error = (
                        f"That return is a {read.definition.title}, not a {as_record(row).definition.title}"
                    )
                else:
                    ret = Return.objects.create(
                        record=row,
                        school=school,
                        document=read.definition.id,
                        filename=f.name[:255],
                        read=read.record,
                        method=read.method,
                        warnings=[api.one_line(w) for w in read.warnings],
                        review=list(read.review) + (["*"] if read.needs_review and not read.review else []),
                        created_by=request.user,
                    )
                    audit.record(request, "uploaded", "return", ret.id, school)
                    return HttpResponseRedirect(reverse("return", args=[ret.id]))
    return render(
        request,
        "apforms_web/return_upload.html",
        {
            "row": row,
            "schools": schools,
            "error": error,
            "error_summary": [{"href": "#file", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


def review(request: HttpRequest, return_id: str) -> HttpResponse:
    ret = access.return_for(request, return_id)
    audit.record(request, "viewed", "return", ret.id, ret.school)
    read = api.new_record(ret.document, ret.read.get("data", {}))
    sent = as_record(ret.record) if ret.record is not None else api.new_record(ret.document, {})
    flagged = set(ret.review)
    rows: list[dict[str, Any]] = []
    for index, (_key, label) in enumerate(api.form_sections(ret.document)):
        mine = _flat(api.form_page(read, index).children)
        theirs = _flat(api.form_page(sent, index).children)
        names = list(dict.fromkeys([*theirs, *mine]))
        items = []
        for name in names:
            was, now = theirs.get(name, ("", "")), mine.get(name, ("", ""))
            if not was[1] and not now[1]:
                continue
            check = name in flagged or "*" in flagged or any(name.startswith(p + ".") for p in flagged)
            items.append(
                {
                    "label": now[0] or was[0],
                    "sent": was[1],
                    "read": now[1],
                    "changed": was[1] != now[1],
                    "check": check,
                    "name": name,
                }
            )
        if items:
            rows.append({"label": label, "items": items})
    result = api.validate(read, partial=True)
    return render(
        request,
        "apforms_web/return_review.html",
        {
            "ret": ret,
            "sections": rows,
            "problems": result.problems,
            "exact": not ret.review and ret.method == "fields",
        },
    )


def _flat(children: list[Any], prefix: str = "") -> dict[str, tuple[str, str]]:
    from apforms.web.views.records import _answers

    return {a["name"]: (a["label"], str(a["value"])) for a in _answers(children, prefix)}


@require_POST
def accept(request: HttpRequest, return_id: str) -> HttpResponse:
    ret = access.return_for(request, return_id)
    if ret.accepted is not None:
        messages.info(request, "This return was accepted already.")
        return HttpResponseRedirect(reverse("record", args=[ret.record_id]))
    data = ret.read.get("data", {})
    read = api.new_record(ret.document, data)
    if ret.record is None:
        row = Record.objects.create(
            document=ret.document, school=ret.school, data=data, title=title_of(read), created_by=request.user
        )
        ret.record = row
    else:
        row = ret.record
        row.data = data
        row.title = title_of(read)
        row.save()
    ret.accepted = timezone.now()
    ret.save()
    audit.record(request, f"accepted return {ret.id}", ret.document, row.id, ret.school)
    if request.POST.get("then") == "correct":
        messages.info(request, "Accepted into the record. Correct anything that was read wrongly.")
        return HttpResponseRedirect(reverse("edit", args=[row.id, 0]))
    messages.success(request, "The return has been accepted into the record.")
    return HttpResponseRedirect(reverse("record", args=[row.id]))

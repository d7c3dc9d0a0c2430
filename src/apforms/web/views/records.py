"""Records: the list, a new record, its pages, its page of findings, its downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ApformsError
from apforms.web import access, audit
from apforms.web.models import Record, School
from apforms.web.views.common import as_record, documents, problems_summary, safe_message, summary, title_of

#: What a download is called in a link, and how it is made.
DOWNLOADS = {
    "docx": ("Word document", "docx", False),
    "pdf": ("Fillable PDF", "pdf", False),
    "flat-pdf": ("Flattened PDF (for printing)", "pdf", True),
}
_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


#: The most records the list shows (the most recently changed; a search narrows it).
SHOWN = 200


def today() -> dt.date:
    return dt.date.today()


def home(request: HttpRequest) -> HttpResponse:
    rows = access.records(request)
    q = request.GET.get("q", "").strip()[:100]
    doc = request.GET.get("document", "")
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(school__name__icontains=q))
    if doc in api.document_ids():
        rows = rows.filter(document=doc)
    names = {d["id"]: d["title"] for d in documents()}
    page = list(rows[:SHOWN])
    count = len(page) if len(page) < SHOWN else rows.count()
    audit.listed(request, "records", [r.id for r in page], count, (r.school for r in page))
    shown = [{"row": r, "document": names.get(r.document, r.document)} for r in page]
    return render(
        request,
        "apforms_web/home.html",
        {"records": shown, "documents": documents(), "q": q, "document": doc, "more": count > SHOWN},
    )


@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    doc = request.GET.get("document") or request.POST.get("document", "")
    if doc not in api.document_ids():
        raise Http404
    schools = access.schools(request)
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        school = _school(request, schools)
        if school is None:
            errors.append(("school", "Choose the school this record is for"))
        else:
            # A new record starts with the form's defaults (the council's SLA wording, unticked boxes).
            start = api.validate(api.new_record(doc), partial=True).data
            row = Record.objects.create(document=doc, school=school, data=start, created_by=request.user)
            audit.record(request, "created", doc, row.id, school)
            return HttpResponseRedirect(reverse("edit", args=[row.id, 0]))
    title = next(d["title"] for d in documents() if d["id"] == doc)
    return render(
        request,
        "apforms_web/new.html",
        {"document": doc, "title": title, "schools": schools, "error_summary": summary(errors)},
    )


def _school(request: HttpRequest, schools: Any) -> School | None:
    if schools.count() == 1 and not access.profile(request).is_la:
        return schools.first()
    try:
        return schools.get(pk=request.POST.get("school", ""))
    except (School.DoesNotExist, ValueError, ValidationError):
        return None


def show(request: HttpRequest, record_id: str) -> HttpResponse:
    row = access.record_for(request, record_id)
    audit.record(request, "viewed", row.document, row.id, row.school)
    record = as_record(row)
    result = api.validate(record, partial=True)
    findings: list[Any] = []
    if result.ok:
        checked = api.check(
            [(title_of(record) or row.document, api.new_record(row.document, result.data))], today()
        )
        findings = checked.findings
    cited = {rule: s for s in api.sources() for rule in s.rules}
    sections = []
    for index, (_key, label) in enumerate(api.form_sections(row.document)):
        page = api.form_page(record, index)
        sections.append({"index": index, "label": label, "answers": _answers(page.children)})
    starts = [d for d in ("commissioning", "sla") if api.starts_from(d, record)]
    return render(
        request,
        "apforms_web/record.html",
        {
            "row": row,
            "title": row.title or "Untitled",
            "document": record.definition.title,
            "sections": sections,
            "problems": problems_summary(result.problems),
            "missing": len(result.missing),
            "findings": [{"f": f, "source": cited.get(f.rule)} for f in findings],
            "downloads": [(k, v[0]) for k, v in DOWNLOADS.items()],
            "starts": [(d, next(x["title"] for x in documents() if x["id"] == d)) for d in starts],
            "returns": row.returns.filter(accepted__isnull=True),
        },
    )


def _answers(children: list[Any], prefix: str = "") -> list[dict[str, Any]]:
    """A page's answers as rows of a summary list (label, answer as typed)."""
    out: list[dict[str, Any]] = []
    for node in children:
        if node.node == "question":
            value = node.value
            if node.kind == "date":
                value = "/".join(
                    v for v in (value.get("day"), value.get("month"), value.get("year")) if v
                ) or value.get("raw", "")
            elif node.kind == "checkbox":
                value = "Yes" if value else ""
            elif node.kind in ("radios", "select"):
                value = dict(node.options).get(value, value)
            elif node.kind == "checkboxes":
                value = "; ".join(dict(node.options).get(v, v) for v in value)
            out.append({"label": f"{prefix}{node.label}", "value": value, "id": node.id, "name": node.name})
        elif node.node == "block":
            out += _answers(node.children, f"{prefix}{node.label} – ")
        else:
            for i, row in enumerate(node.rows):
                out += _answers(row, f"{prefix}{node.label} {i + 1} – ")
    return [a for a in out if a["value"] not in ("", None)]


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, record_id: str, page: int) -> HttpResponse:
    row = access.record_for(request, record_id)
    pages = api.form_sections(row.document)
    if not 0 <= page < len(pages):
        raise Http404
    record = as_record(row)
    extra: dict[str, int] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        # Read, changed and written in one transaction (the row locked where the database can,
        # SQLite's IMMEDIATE transactions otherwise): another user's save of another page is
        # never overwritten by this page's.
        with transaction.atomic():
            row = access.records(request).select_for_update().get(pk=row.pk)
            # A row removed is left out as the page is read (before empty rows close up).
            remove = request.POST.get("remove") or None
            record = api.with_form_page(as_record(row), page, request.POST, remove=remove)
            result = api.validate(record, partial=True)
            if result.ok:  # stored canonical (numbers as numbers, dates ISO); else as typed, to put right
                record = api.new_record(row.document, result.data)
            row.data = record.data
            row.title = title_of(record)
            row.save()
            audit.record(request, f"changed page {page + 1}", row.document, row.id, row.school)
        if request.POST.get("add"):
            extra[request.POST["add"]] = 1  # shown empty; kept once something is typed in it
        prefix = pages[page][0]
        mine = [p for p in result.problems if p.path == prefix or p.path.startswith(prefix + ".")]
        if request.POST.get("add") or request.POST.get("remove"):
            pass  # the page again, with its rows changed
        elif mine:
            errors = api.form_errors(mine)
            messages.info(
                request, "Saved as a draft, with the problems below to put right before it is complete."
            )
        elif request.POST.get("go") == "next" and page + 1 < len(pages):
            return HttpResponseRedirect(reverse("edit", args=[row.id, page + 1]))
        elif request.POST.get("go") in ("next", "done"):
            messages.success(request, "Saved.")
            return HttpResponseRedirect(reverse("record", args=[row.id]))
        else:
            messages.success(request, "Saved as a draft.")
        error_summary = problems_summary(mine) if errors else []
    else:
        audit.record(request, f"viewed page {page + 1}", row.document, row.id, row.school)
        error_summary = []
    form = api.form_page(record, page, errors, extra)
    return render(
        request,
        "apforms_web/edit.html",
        {
            "row": row,
            "title": row.title or "Untitled",
            "document": record.definition.title,
            "page": form,
            "pages": [{"index": i, "label": label} for i, (_, label) in enumerate(pages)],
            "last": page + 1 == len(pages),
            "error_summary": error_summary,
        },
    )


def download(request: HttpRequest, record_id: str, kind: str) -> HttpResponse:
    row = access.record_for(request, record_id)
    if kind not in DOWNLOADS:
        raise Http404
    _, fmt, flatten = DOWNLOADS[kind]
    result = api.render_record(as_record(row), fmt, flatten=flatten)
    if result.content is None:
        messages.error(request, "This record has values to put right before it can be downloaded.")
        return HttpResponseRedirect(reverse("record", args=[row.id]))
    audit.record(request, f"downloaded {kind}", row.document, row.id, row.school)
    name = f"{row.document}-{str(row.id)[:8]}{'-flattened' if flatten else ''}.{fmt}"
    response = HttpResponse(result.content, content_type=_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def blanks(request: HttpRequest) -> HttpResponse:
    return render(request, "apforms_web/blanks.html", {"documents": documents()})


def blank(request: HttpRequest, doc: str, fmt: str) -> HttpResponse:
    if doc not in api.document_ids() or fmt not in _TYPES:
        raise Http404
    content = api.blank_bytes(doc, fmt)
    response = HttpResponse(content, content_type=_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{doc}-blank.{fmt}"'
    return response


@require_POST
def start(request: HttpRequest, record_id: str, doc: str) -> HttpResponse:
    row = access.record_for(request, record_id)
    source = as_record(row)
    if doc not in api.document_ids() or not api.starts_from(doc, source):
        raise Http404
    try:
        new_record = api.start_from(doc, source)
    except ApformsError as exc:
        messages.error(request, safe_message(exc))
        return HttpResponseRedirect(reverse("record", args=[row.id]))
    made = Record.objects.create(
        document=doc,
        school=row.school,
        data=new_record.data,
        title=title_of(new_record),
        created_by=request.user,
    )
    audit.record(request, f"created from {row.document} {row.id}", doc, made.id, row.school)
    messages.success(request, "Started from the referral, with what they share filled in.")
    return HttpResponseRedirect(reverse("edit", args=[made.id, 0]))

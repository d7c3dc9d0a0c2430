"""Bulk SLAs (LA staff): the placements, providers and schools spreadsheets in, their headers
mapped to the expected columns when they differ, every SLA written in the background, the
result listed and downloaded as one ZIP. A run is its starter's alone (anyone else: 404)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ApformsError
from apforms.web import access, audit, jobs
from apforms.web.settings import MAX_UPLOAD_BYTES
from apforms.web.views import bulk_map
from apforms.web.views.common import export_reason, safe_message

_EXTENSIONS = (".csv", ".xlsx")
FORMATS = (("docx", "Word documents"), ("pdf", "PDFs"))


def _shown(name: str) -> str:
    return api.one_line(Path(name).name, 120)


# --------------------------------------------------------------------------- upload


@access.la_only
@require_http_methods(["GET", "POST"])
def bulk(request: HttpRequest) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    chosen: dict[str, Any] = {"formats": ["docx", "pdf"], "allow_unregistered": False}
    if request.method == "POST":
        chosen = {
            "formats": [f for f, _ in FORMATS if f in request.POST.getlist("formats")],
            "allow_unregistered": request.POST.get("allow_unregistered") == "yes",
        }
        uploads = {kind: request.FILES.get(kind) for kind, _, _ in jobs.KINDS}
        for kind, label, _ in jobs.KINDS:
            refusal = _refusal(uploads[kind], label)
            if refusal:
                errors.append((kind, refusal))
        if not chosen["formats"]:
            errors.append(("formats-docx", "Choose Word documents, PDFs or both"))
        if not errors:
            job, read_errors = _received(request, uploads, chosen)
            if job is not None:
                if any(i["map"] for i in job.meta["inputs"].values()):
                    return HttpResponseRedirect(reverse("bulk-map", args=[job.id]))
                job.begin()
                return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
            errors += read_errors
    runs = [_listed(j) for j in jobs.runs_of(jobs.data(), request.user.pk)]
    return render(
        request,
        "apforms_web/bulk.html",
        {
            "fields": [
                {"kind": k, "label": label, "hint": hint, "error": dict(errors).get(k, "")}
                for k, label, hint in jobs.KINDS
            ],
            "formats_error": dict(errors).get("formats-docx", ""),
            "error_summary": [{"href": f"#{k}", "text": t} for k, t in errors],
            "formats": FORMATS,
            "chosen": chosen,
            "runs": runs,
            "keep_hours": jobs.KEEP_HOURS,
            "max_mb": MAX_UPLOAD_BYTES // 2**20,
        },
        status=400 if errors else 200,
    )


def _refusal(f: Any, label: str) -> str:
    if f is None:
        return f"Choose the {label.lower()} spreadsheet"
    if not f.name.lower().endswith(_EXTENSIONS):
        return f"The {label.lower()} spreadsheet must be a CSV or XLSX file"
    if f.size > MAX_UPLOAD_BYTES:
        return f"The {label.lower()} spreadsheet is too large (at most {MAX_UPLOAD_BYTES // 2**20} MB)"
    return ""


def _received(
    request: HttpRequest, uploads: dict[str, Any], options: dict[str, Any]
) -> tuple[jobs.Job | None, list[tuple[str, str]]]:
    """The uploads kept in a new run's folder, and their headers read; a file that cannot be
    read is refused in one line (and the run's folder deleted)."""
    job = jobs.Job.create(jobs.data(), request.user.pk, options)
    errors = []
    for kind, _, _ in jobs.KINDS:
        f = uploads[kind]
        stored = job.folder / "inputs" / f"{kind}{Path(f.name.lower()).suffix}"
        jobs.write_upload(stored, f.chunks())
        try:
            headers = api.bulk_headers(stored)
        except ApformsError as exc:
            shown = _shown(f.name)
            message = safe_message(exc).replace(str(stored), shown).replace(stored.name, shown)
            errors.append((kind, f"{shown} was not read: {message}"))
            continue
        job.meta["inputs"][kind] = {
            "name": _shown(f.name),
            "file": stored.name,
            "headers": headers,
            "map": api.bulk_needs_mapping(kind, headers),
        }
    if errors:
        job.delete()
        return None, errors
    job.save()
    return job, []


def _listed(job: jobs.Job) -> dict[str, Any]:
    outcome = job.outcome()
    state = outcome["state"] if outcome else ("mapping" if not job.meta.get("started") else jobs.RUNNING)
    names = [i["name"] for i in job.meta.get("inputs", {}).values()]
    return {"id": job.id, "state": _STATES.get(state, state), "names": ", ".join(names)}


#: A run's state as its list says it.
_STATES = {
    "mapping": "columns to match",
    jobs.WAITING: "waiting",
    jobs.RUNNING: "writing",
    jobs.DONE: "done",
    jobs.FAILED: "not written",
    jobs.INTERRUPTED: "interrupted",
}


# --------------------------------------------------------------------------- the run


@access.la_only
def run(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = access.job_for(request, job_id)
    if not job.meta.get("started"):
        return HttpResponseRedirect(reverse("bulk-map", args=[job.id]))
    progress = job.progress()
    outcome = job.outcome() if progress is None else None
    if outcome is None:
        progress = progress or jobs.Progress()
        return render(request, "apforms_web/bulk_run.html", {"job": job, "progress": progress})
    return _result(request, job, outcome)


def _result(
    request: HttpRequest, job: jobs.Job, outcome: dict[str, Any], reason: str = "", error: str = ""
) -> HttpResponse:
    """A run's result page (with the reason's error, after a download asked without one)."""
    result = outcome.get("summary") or {}
    pairs = result.get("pairs", [])
    unused = [(info["name"], info["unused"]) for info in job.meta["inputs"].values() if info.get("unused")]
    return render(
        request,
        "apforms_web/bulk_result.html",
        {
            "job": job,
            "outcome": outcome,
            "result": result,
            "written": [p for p in pairs if p["status"] in (api.BULK_WRITTEN, api.BULK_UNCHANGED)],
            "withheld": [p for p in pairs if p["status"] == api.BULK_WITHHELD],
            "failed": [p for p in pairs if p["status"] == api.BULK_FAILED],
            "unused": unused,
            "keep_hours": jobs.KEEP_HOURS,
            "reason": reason,
            "reason_error": error,
            "error_summary": [{"href": "#reason", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


@access.la_only
def download(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """Every SLA of a run and its manifest as a ZIP, with the reason asked on the result page
    (posted; anyone but the run's starter: 404, whatever the method)."""
    job = access.job_for(request, job_id)
    outcome = job.outcome()
    if outcome is None or outcome.get("state") != jobs.DONE:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reason, error = export_reason(request.POST, "downloading the SLAs")
    if error:
        return _result(request, job, outcome, reason, error)
    audit.record(request, "exported", "bulk run", job.id, reason=reason)
    return FileResponse(job.zip_path().open("rb"), as_attachment=True, filename=f"slas-{job.id[:8]}.zip")


@access.la_only
@require_POST
def delete(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = access.job_for(request, job_id)
    if job.progress() is not None:
        messages.error(request, "The run is still writing; delete it once it has ended.")
        return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
    job.delete()
    messages.success(request, "The run's spreadsheets and SLAs have been deleted.")
    return HttpResponseRedirect(reverse("bulk"))


@access.la_only
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """An empty spreadsheet of ``kind`` with the expected headers and a fictional row."""
    if kind not in jobs.LABELS or fmt not in ("csv", "xlsx"):
        raise Http404
    with tempfile.TemporaryDirectory(dir=jobs.data() / "uploads") as tmp:
        content = api.bulk_template(kind, Path(tmp) / f"{kind}.{fmt}", fmt).read_bytes()
    kinds = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    response = HttpResponse(content, content_type=kinds[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    return response


urlpatterns = [
    path("bulk", bulk, name="bulk"),
    path("bulk/template/<str:kind>.<str:fmt>", template, name="bulk-template"),
    path("bulk/<uuid:job_id>/map", bulk_map.mapping, name="bulk-map"),
    path("bulk/<uuid:job_id>", run, name="bulk-run"),
    path("bulk/<uuid:job_id>/slas.zip", download, name="bulk-download"),
    path("bulk/<uuid:job_id>/delete", delete, name="bulk-delete"),
]

"""Bulk SLAs (LA staff): the placements, providers and schools spreadsheets in, their headers
mapped to the expected columns when they differ, every SLA written in the background, the
result listed and downloaded as one ZIP. A run is its starter's alone (anyone else: 404)."""

from __future__ import annotations

import re
import string
import tempfile
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from apforms import api
from apforms.errors import ApformsError
from apforms.web import access, jobs
from apforms.web.models import HeaderMapping
from apforms.web.settings import MAX_UPLOAD_BYTES
from apforms.web.views.common import safe_message

#: The three spreadsheets: kind, what the page calls it, what it holds.
KINDS = (
    ("placements", "Placements", "One row per pupil at a provider"),
    ("providers", "Providers", "One row per provider"),
    ("schools", "Schools", "One row per school"),
)
_LABELS = {kind: label for kind, label, _ in KINDS}
_EXTENSIONS = (".csv", ".xlsx")
FORMATS = (("docx", "Word documents"), ("pdf", "PDFs"))


def _data() -> Path:
    return Path(settings.APFORMS_DATA)


def _job_for(request: HttpRequest, job_id: UUID) -> jobs.Job:
    """The run ``job_id`` if this user started it; anyone else, as a run that does not exist: 404."""
    job = jobs.Job.load(_data(), str(job_id))
    if job is None or job.owner is None or job.owner != request.user.pk:
        raise Http404
    return job


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
        uploads = {kind: request.FILES.get(kind) for kind, _, _ in KINDS}
        for kind, label, _ in KINDS:
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
                _start(job)
                return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
            errors += read_errors
    runs = [_listed(j) for j in jobs.runs_of(_data(), request.user.pk)]
    return render(
        request,
        "apforms_web/bulk.html",
        {
            "fields": [
                {"kind": k, "label": label, "hint": hint, "error": dict(errors).get(k, "")}
                for k, label, hint in KINDS
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
    job = jobs.Job.create(_data(), request.user.pk, options)
    errors = []
    for kind, _, _ in KINDS:
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


def _start(job: jobs.Job) -> None:
    """Start the run on the uploads, or on their rewrites where the headers were mapped."""
    inputs, names = {}, {}
    for kind, info in job.meta["inputs"].items():
        if info.get("mapped"):
            path = job.folder / "mapped" / f"{kind}.csv"
        else:
            path = job.folder / "inputs" / info["file"]
        inputs[kind] = path
        names[str(path)] = names[path.name] = info["name"]
    job.start(inputs, names)


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


# --------------------------------------------------------------------------- mapping headers


@access.la_only
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.meta.get("started"):
        return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
    kinds = [k for k, _, _ in KINDS if job.meta["inputs"][k]["map"]]
    choices = {k: _suggested(job, k) for k in kinds}
    errors: dict[str, str] = {}
    notes: list[str] = []
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        choices = {k: _posted(request, job, k) for k in kinds}
        if action.startswith("apply:") and action[6:] in kinds:
            kind = action[6:]
            wanted = _uuid(request.POST.get(f"{kind}.saved"))
            saved = HeaderMapping.objects.filter(kind=kind, pk=wanted).first()
            if saved is None:
                errors[f"{kind}.saved"] = "Choose a saved mapping to apply"
            else:
                choices[kind], notes = _applied(job, kind, saved)
                messages.info(request, f"The saved mapping {saved.name} was applied. Check it, then go on.")
        elif action == "run":
            errors = _mapping_errors(request, job, kinds, choices)
            if not errors:
                try:
                    _save_mappings(request, job, kinds, choices)
                    for kind in kinds:
                        _remap(job, kind, choices[kind])
                except ApformsError as exc:
                    errors["map"] = safe_message(exc)
                else:
                    job.save()
                    _start(job)
                    return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
    sections = [_section(job, k, choices[k], errors) for k in kinds]
    return render(
        request,
        "apforms_web/bulk_map.html",
        {
            "job": job,
            "sections": sections,
            "notes": notes,
            "error": errors.get("map", ""),
            "error_summary": [{"href": f"#{k.replace('.', '-')}", "text": t} for k, t in errors.items()],
        },
        status=400 if errors else 200,
    )


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value or "")
    except ValueError:
        return None


def _suggested(job: jobs.Job, kind: str) -> dict[str, int | None]:
    headers = job.meta["inputs"][kind]["headers"]
    return {key: s.index for key, s in api.bulk_suggest(kind, headers).items()}


def _posted(request: HttpRequest, job: jobs.Job, kind: str) -> dict[str, int | None]:
    headers = job.meta["inputs"][kind]["headers"]
    out: dict[str, int | None] = {}
    for col in api.bulk_columns(kind):
        value = request.POST.get(f"{kind}.{col.key}", "")
        out[col.key] = int(value) if value.isdigit() and int(value) < len(headers) else None
    return out


def _applied(job: jobs.Job, kind: str, saved: HeaderMapping) -> tuple[dict[str, int | None], list[str]]:
    """A saved mapping (column → header text) on this spreadsheet's headers: the same header,
    else one that differs only in case, spacing and punctuation; what is not found is named."""
    headers = job.meta["inputs"][kind]["headers"]
    mapping = saved.mapping if isinstance(saved.mapping, dict) else {}
    out: dict[str, int | None] = {}
    notes = []
    for col in api.bulk_columns(kind):
        wanted = mapping.get(col.key)
        out[col.key] = None
        if not isinstance(wanted, str) or not wanted:
            continue
        index = next((i for i, h in enumerate(headers) if h == wanted), None)
        if index is None:
            index = next((i for i, h in enumerate(headers) if _norm(h) == _norm(wanted) and _norm(h)), None)
        if index is None:
            notes.append(f"{_LABELS[kind]}: the saved column {wanted!r} for {col.label} is not in this file")
        out[col.key] = index
    return out, notes


def _norm(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def _mapping_errors(
    request: HttpRequest, job: jobs.Job, kinds: list[str], choices: dict[str, dict[str, int | None]]
) -> dict[str, str]:
    errors = {}
    for kind in kinds:
        headers = job.meta["inputs"][kind]["headers"]
        used: dict[int, str] = {}
        for col in api.bulk_columns(kind):
            index = choices[kind][col.key]
            if index is None:
                if col.required:
                    errors[f"{kind}.{col.key}"] = f"{_LABELS[kind]}: choose the column that holds {col.label}"
            elif index in used:
                errors[f"{kind}.{col.key}"] = (
                    f"{_LABELS[kind]}: {headers[index]!r} is already chosen for {used[index]}"
                )
            else:
                used[index] = col.label
        if len(" ".join(request.POST.get(f"{kind}.save_as", "").split())) > 100:
            errors[f"{kind}.save_as"] = f"{_LABELS[kind]}: a mapping's name is at most 100 characters"
    return errors


def _save_mappings(
    request: HttpRequest, job: jobs.Job, kinds: list[str], choices: dict[str, dict[str, int | None]]
) -> None:
    for kind in kinds:
        name = " ".join(request.POST.get(f"{kind}.save_as", "").split())
        if not name:
            continue
        headers = job.meta["inputs"][kind]["headers"]
        saved = {key: headers[i] for key, i in choices[kind].items() if i is not None}
        HeaderMapping.objects.update_or_create(name=name, kind=kind, defaults={"mapping": saved})
        messages.success(request, f"The mapping {name} was saved for {_LABELS[kind].lower()} spreadsheets.")


def _remap(job: jobs.Job, kind: str, chosen: dict[str, int | None]) -> None:
    info = job.meta["inputs"][kind]
    mapping = {key: i for key, i in chosen.items() if i is not None}
    api.bulk_remap(kind, job.folder / "inputs" / info["file"], mapping, job.folder / "mapped" / f"{kind}.csv")
    info["mapped"] = mapping
    info["unused"] = [h for i, h in enumerate(info["headers"]) if h and i not in mapping.values()]


def _section(
    job: jobs.Job, kind: str, chosen: dict[str, int | None], errors: dict[str, str]
) -> dict[str, Any]:
    info = job.meta["inputs"][kind]
    headers = info["headers"]
    suggested = api.bulk_suggest(kind, headers)
    rows = []
    for col in api.bulk_columns(kind):
        index, s = chosen[col.key], suggested[col.key]
        hint = ""
        if index is not None and index == s.index:
            hint = "Matches the header" if s.exact else "Suggested (the closest header): check it"
        rows.append(
            {
                "col": col,
                "name": f"{kind}.{col.key}",
                "id": f"{kind}-{col.key}",
                "chosen": index,
                "hint": hint,
                "error": errors.get(f"{kind}.{col.key}", ""),
            }
        )
    used = {i for i in chosen.values() if i is not None}
    return {
        "kind": kind,
        "label": _LABELS[kind],
        "name": info["name"],
        "rows": rows,
        "options": [(i, f"{_letter(i)}: {h or '(no header)'}") for i, h in enumerate(headers)],
        "unused": [h for i, h in enumerate(headers) if h and i not in used],
        "saved": HeaderMapping.objects.filter(kind=kind).order_by("name"),
        "saved_error": errors.get(f"{kind}.saved", ""),
    }


def _letter(index: int) -> str:
    """A spreadsheet's column letter: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = string.ascii_uppercase[rest] + letters
    return letters


# --------------------------------------------------------------------------- the run


@access.la_only
def run(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    if not job.meta.get("started"):
        return HttpResponseRedirect(reverse("bulk-map", args=[job.id]))
    progress = job.progress()
    outcome = job.outcome() if progress is None else None
    if outcome is None:
        progress = progress or jobs.Progress()
        return render(request, "apforms_web/bulk_run.html", {"job": job, "progress": progress})
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
        },
    )


@access.la_only
def download(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    outcome = job.outcome()
    if outcome is None or outcome.get("state") != jobs.DONE:
        raise Http404
    return FileResponse(job.zip_path().open("rb"), as_attachment=True, filename=f"slas-{job.id[:8]}.zip")


@access.la_only
@require_POST
def delete(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = _job_for(request, job_id)
    if job.progress() is not None:
        messages.error(request, "The run is still writing; delete it once it has ended.")
        return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
    job.delete()
    messages.success(request, "The run's spreadsheets and SLAs have been deleted.")
    return HttpResponseRedirect(reverse("bulk"))


@access.la_only
def template(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    """An empty spreadsheet of ``kind`` with the expected headers and a fictional row."""
    if kind not in _LABELS or fmt not in ("csv", "xlsx"):
        raise Http404
    with tempfile.TemporaryDirectory(dir=_data() / "uploads") as tmp:
        content = api.bulk_template(kind, Path(tmp) / f"{kind}.{fmt}", fmt).read_bytes()
    kinds = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    response = HttpResponse(content, content_type=kinds[fmt])
    response["Content-Disposition"] = f'attachment; filename="{kind}.{fmt}"'
    return response


urlpatterns = [
    path("bulk", bulk, name="bulk"),
    path("bulk/template/<str:kind>.<str:fmt>", template, name="bulk-template"),
    path("bulk/<uuid:job_id>/map", mapping, name="bulk-map"),
    path("bulk/<uuid:job_id>", run, name="bulk-run"),
    path("bulk/<uuid:job_id>/slas.zip", download, name="bulk-download"),
    path("bulk/<uuid:job_id>/delete", delete, name="bulk-delete"),
]

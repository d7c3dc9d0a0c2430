"""Bulk SLAs: the page that maps a council's spreadsheet headers to the expected columns
(a suggestion preselected for each; every required column chosen once), saves a mapping
under a name and applies a saved one, then starts the run on the spreadsheets rewritten."""

from __future__ import annotations

import re
import string
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apforms import api
from apforms.errors import ApformsError
from apforms.web import access, jobs
from apforms.web.jobs import LABELS
from apforms.web.models import HeaderMapping
from apforms.web.views.common import safe_message


@access.la_only
@require_http_methods(["GET", "POST"])
def mapping(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = access.job_for(request, job_id)
    if job.meta.get("started"):
        return HttpResponseRedirect(reverse("bulk-run", args=[job.id]))
    kinds = [k for k, _, _ in jobs.KINDS if job.meta["inputs"][k]["map"]]
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
                    job.begin()
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
            notes.append(f"{LABELS[kind]}: the saved column {wanted!r} for {col.label} is not in this file")
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
                    errors[f"{kind}.{col.key}"] = f"{LABELS[kind]}: choose the column that holds {col.label}"
            elif index in used:
                errors[f"{kind}.{col.key}"] = (
                    f"{LABELS[kind]}: {headers[index]!r} is already chosen for {used[index]}"
                )
            else:
                used[index] = col.label
        if len(" ".join(request.POST.get(f"{kind}.save_as", "").split())) > 100:
            errors[f"{kind}.save_as"] = f"{LABELS[kind]}: a mapping's name is at most 100 characters"
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
        messages.success(request, f"The mapping {name} was saved for {LABELS[kind].lower()} spreadsheets.")


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
        "label": LABELS[kind],
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

"""Users and schools (LA administrators only)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from apforms.errors import ApformsError
from apforms.web import access, accounts, audit
from apforms.web.models import ROLES, SCHOOL, School


@access.admin_only
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    made = None
    if request.method == "POST" and request.POST.get("what") == "school":
        name = " ".join(request.POST.get("name", "").split())[:200]
        if not name:
            errors.append(("name", "Enter the school's name"))
        else:
            try:
                School.objects.create(name=name, urn=request.POST.get("urn", "").strip()[:20])
            except IntegrityError:
                errors.append(("name", "There is a school of that name already"))
            else:
                messages.success(request, f"{name} added.")
                return HttpResponseRedirect(reverse("users"))
    elif request.method == "POST" and request.POST.get("what") in ("active", "reset-two-factor", "lead"):
        return _change(request)
    elif request.method == "POST":
        role = request.POST.get("role", "")
        school = None
        if role == SCHOOL:
            try:
                school = School.objects.get(pk=request.POST.get("school", ""))
            except (School.DoesNotExist, ValueError, ValidationError):
                errors.append(("school", "Choose the user's school"))
        if not errors:
            try:
                password = accounts.create_user(request.POST.get("email", ""), role, school)
            except ApformsError as exc:
                errors.append(("email", str(exc)))
            else:
                made = (request.POST.get("email", "").strip().lower(), password)
    people = get_user_model().objects.select_related("profile__school").order_by("username")
    with_devices = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    return render(
        request,
        "apforms_web/users.html",
        {
            "people": [(p, p.pk in with_devices) for p in people if hasattr(p, "profile")],
            "schools": School.objects.all(),
            "roles": ROLES,
            "made": made,
            "error_summary": [{"href": f"#{n}", "text": t} for n, t in errors],
        },
    )


def _change(request: HttpRequest) -> HttpResponse:
    """Deactivate or reactivate an account (a deactivated one cannot sign in, and its open
    sessions end at their next request), reset its two-factor sign-in (set up again), or make
    a school user their school's lead, or not (recorded: a lead sees their school's activity)."""
    try:
        person = get_user_model().objects.select_related("profile").get(pk=request.POST.get("user", ""))
    except (get_user_model().DoesNotExist, ValueError, ValidationError):
        messages.error(request, "There is no such user.")
        return HttpResponseRedirect(reverse("users"))
    if request.POST["what"] == "lead":
        _lead(request, person)
    elif request.POST["what"] == "reset-two-factor":
        TOTPDevice.objects.filter(user=person).delete()
        messages.success(
            request, f"{person.email} will set up two-factor sign-in again when they next sign in."
        )
    elif person.pk == request.user.pk:
        messages.error(request, "You cannot deactivate your own account.")
    else:
        person.is_active = request.POST.get("active") == "yes"
        person.save(update_fields=["is_active"])
        state = "reactivated" if person.is_active else "deactivated: they can no longer sign in"
        messages.success(request, f"{person.email} {state}.")
    return HttpResponseRedirect(reverse("users"))


def _lead(request: HttpRequest, person: Any) -> None:
    prof = person.profile
    if not prof.can_lead:
        messages.error(request, "Only a school user can be their school's lead.")
        return
    prof.lead = request.POST.get("lead") == "yes"
    prof.save(update_fields=["lead"])
    action = "made school lead" if prof.lead else "no longer school lead"
    audit.record(request, action, "user", person.username, prof.school)
    state = "is now" if prof.lead else "is no longer"
    messages.success(request, f"{person.email} {state} {prof.school.name}'s lead.")

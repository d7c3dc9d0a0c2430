"""Signing in (throttled), out, and changing a password (a one-time one first)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from apforms.web import accounts


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    errors: list[tuple[str, str]] = []
    email = ""
    nxt = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = "/"
    if request.method == "POST":
        email = request.POST.get("email", "").strip()[:254]
        password = request.POST.get("password", "")
        if accounts.throttled(email, _address(request)):
            errors.append(("", "Too many attempts to sign in. Wait 15 minutes, then try again."))
        elif not email or not password:
            errors.append(("email" if not email else "password", "Enter your email address and password"))
        else:
            user = authenticate(request, username=email.lower(), password=password)
            if user is None or getattr(user, "profile", None) is None:
                accounts.record_failure(email, _address(request))
                errors.append(("email", "The email address or password is not right"))
            else:
                if accounts.two_factor_device(user) is None:
                    accounts.clear_failures(email)  # else once the code is right too
                login(request, user)
                return HttpResponseRedirect(nxt)  # the code first, if they have two factors
    return render(
        request,
        "apforms_web/sign_in.html",
        {
            "email": email,
            "next": nxt,
            "error_summary": [{"href": f"#{n}" if n else "", "text": t} for n, t in errors],
        },
        status=400 if errors else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("sign-in"))


@require_http_methods(["GET", "POST"])
def password(request: HttpRequest) -> HttpResponse:
    user = request.user
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        old, new, again = (request.POST.get(k, "") for k in ("old", "new", "again"))
        if not user.check_password(old):
            errors.append(("old", "Your current password is not right"))
        elif new != again:
            errors.append(("again", "The two new passwords are not the same"))
        elif new == old:
            errors.append(("new", "Choose a new password, not the one you have"))
        else:
            try:
                validate_password(new, user)
            except ValidationError as exc:
                errors += [("new", m) for m in exc.messages]
        if not errors:
            user.set_password(new)
            user.save()
            user.profile.must_change_password = False
            user.profile.save()
            update_session_auth_hash(request, user)
            messages.success(request, "Your password has been changed.")
            return HttpResponseRedirect(reverse("home"))
    return render(
        request,
        "apforms_web/password.html",
        {
            "error_summary": [{"href": f"#{n}", "text": t} for n, t in errors],
            "errors": dict(errors),
            "first": user.profile.must_change_password,
        },
    )

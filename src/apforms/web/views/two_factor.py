"""Two-factor sign-in: a code from an authenticator app (TOTP, django-otp) after the password.

LA staff must use one (they see every school's children); a school user may set one up from
"Your account", and then must use it too. Wrong codes count with wrong passwords toward the
sign-in throttle (``accounts``)."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from apforms.web import accounts
from apforms.web.views.auth import _address


def _next(request: HttpRequest) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}) or nxt.startswith(
        "/two-factor"
    ):
        nxt = "/"
    return nxt


def _code(request: HttpRequest) -> str:
    return "".join(request.POST.get("code", "").split())[:12]


def _check(request: HttpRequest, devices: list[Any]) -> tuple[Any, str]:
    """The device that accepts the code posted, or an error message (a wrong code is counted)."""
    email, address = request.user.username, _address(request)
    if accounts.throttled(email, address):
        return None, "Too many attempts to sign in. Wait 15 minutes, then try again."
    code = _code(request)
    if not (len(code) == 6 and code.isdigit()):
        accounts.record_failure(email, address)
        return None, "Enter the 6-digit code from your authenticator app"
    for device in devices:
        if device.verify_token(code):
            accounts.clear_failures(email)
            return device, ""
    accounts.record_failure(email, address)
    return None, "The code is not right: enter the code your authenticator app shows now"


def secret_text(device: Any) -> str:
    """The device's secret as an authenticator app takes it typed: base32, in groups of four."""
    b32 = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(b32[i : i + 4] for i in range(0, len(b32), 4))


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter the code from your authenticator app (after the password)."""
    nxt = _next(request)
    if request.user.is_verified():
        return HttpResponseRedirect(nxt)
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return HttpResponseRedirect(reverse("two-factor-setup"))
    error = ""
    if request.method == "POST":
        device, error = _check(request, devices)
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(nxt)
    return render(
        request,
        "apforms_web/two_factor.html",
        {
            "next": nxt,
            "error": error,
            "error_summary": [{"href": "#code", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up two-factor sign-in: a QR code (and the secret to type), then a code to confirm."""
    import segno

    user = request.user
    if accounts.two_factor_device(user) is not None:  # one each; a new one only after a reset
        if request.user.is_verified():
            messages.success(request, "Two-factor sign-in is set up for your account already.")
            return HttpResponseRedirect(reverse("account"))
        return HttpResponseRedirect(reverse("two-factor"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    error = ""
    if request.method == "POST":
        accepted, error = _check(request, [device])
        if accepted is not None:
            device.confirmed = True
            device.save()
            otp_login(request, device)
            messages.success(
                request, "Two-factor sign-in is set up. You will enter a code each time you sign in."
            )
            return HttpResponseRedirect(reverse("home"))
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", border=4, dark="#0b0c0c", light="#ffffff"
    )
    return render(
        request,
        "apforms_web/two_factor_setup.html",
        {
            "qr": mark_safe(qr),  # made here by segno from the device's own URL: no one's input
            "secret": secret_text(device),
            "required": bool(user.profile.is_la),
            "error": error,
            "error_summary": [{"href": "#code", "text": error}] if error else [],
        },
        status=400 if error else 200,
    )


def account(request: HttpRequest) -> HttpResponse:
    """Your account: your password, and two-factor sign-in."""
    return render(
        request,
        "apforms_web/account.html",
        {"device": accounts.two_factor_device(request.user), "required": bool(request.user.profile.is_la)},
    )

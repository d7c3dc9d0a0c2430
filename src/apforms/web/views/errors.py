"""Error pages: one line, in the service's look, never a traceback."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "apforms_web/error.html", {"heading": title, "text": text}, status=status)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 404, "Page not found", "There is nothing here, or it is not yours to see.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        500,
        "Sorry, there is a problem with the service",
        "Nothing you entered has been lost. Try again later.",
    )


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, 400, "The request was not understood", "Go back and try again.")


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(
        request,
        403,
        "You cannot do that",
        "The form has expired or was not sent from this service. Go back, reload the page and try again.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without this service's token (expired, or from another site)."""
    return forbidden(request)

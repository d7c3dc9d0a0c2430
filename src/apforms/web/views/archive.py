"""The archive of signed copies: upload, list and search, show, verify, disposal, export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path


def archive(request: HttpRequest) -> HttpResponse:
    return render(request, "apforms_web/error.html", {"heading": "Archive", "text": "Coming soon."})


urlpatterns = [path("archive", archive, name="archive")]

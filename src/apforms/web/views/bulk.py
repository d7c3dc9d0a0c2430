"""Bulk SLAs: the placements, providers and schools spreadsheets in, every SLA out as a ZIP."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from apforms.web import access


@access.la_only
def bulk(request: HttpRequest) -> HttpResponse:
    return render(request, "apforms_web/error.html", {"heading": "Bulk SLAs", "text": "Coming soon."})


urlpatterns = [path("bulk", bulk, name="bulk")]

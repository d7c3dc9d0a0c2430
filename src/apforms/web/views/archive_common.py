"""What the archive's pages share: the archive opened for the web user, its failures and
messages as one line for a page, an entry's title, status and row in a list."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apforms import api
from apforms.errors import ApformsError, ArchiveError
from apforms.web.models import ArchiveCopy
from apforms.web.views.common import documents, safe_message

F = TypeVar("F", bound=Callable[..., HttpResponse])

ENTRY = r"(?P<entry_id>[0-9a-f]{64})"
#: How a signature status reads on a page, and its tag's colour.
STATUSES = {
    "fully_signed": ("Fully signed", "green"),
    "partly_signed": ("Partly signed", "yellow"),
    "unsigned": ("Not signed", "grey"),
    "signed": ("Signed", "green"),
    "unknown": ("Not known", "grey"),
    "no_signature_blocks": ("No signature blocks", "grey"),
    "invalid": ("Signature broken", "red"),
}


def today() -> dt.date:
    return dt.date.today()


def location() -> Path:
    return Path(settings.APFORMS_DATA) / "archive"


@contextmanager
def opened(request: HttpRequest) -> Iterator[api.Archive]:
    archive = api.open_archive(location(), user=request.user.get_username())
    try:
        yield archive
    finally:
        archive.close()


def archive_errors(view: F) -> F:
    """The archive itself failing (its catalogue unreadable, say): one line, never a traceback."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ApformsError as exc:
            return render(
                request,
                "apforms_web/error.html",
                {"heading": "The archive cannot be used", "text": for_page(safe_message(exc))},
                status=503,
            )

    return wrapped  # type: ignore[return-value]


#: The archive's messages name command-line options; a page names its own fields.
_WEB_WORDS = (
    (
        re.compile(r"say which document it is with --doc \([^)]*\)"),
        "choose which document it is under Document",
    ),
    (re.compile(r"; see --max-size"), ""),
    (re.compile(r"; give it with --ref NAME=VALUE"), ""),
    (re.compile(r"; see apforms archive show \w+"), ""),
    (re.compile(r"say so with --early"), "tick 'Dispose of it before its date'"),
    (re.compile(r"--ref (\w+)="), r"\1: "),
    (re.compile(r"; run apforms archive verify"), "; verify the archive"),
)


def for_page(text: str) -> str:
    for pattern, words in _WEB_WORDS:
        text = pattern.sub(words, text)
    return text


def find(archive: api.Archive, entry_id: str) -> api.Entry:
    try:
        return archive.find(entry_id)
    except ArchiveError:
        raise Http404 from None


def status(value: str) -> dict[str, str]:
    label, colour = STATUSES.get(value, (value.replace("_", " "), "grey"))
    return {"label": label, "colour": colour}


def titles() -> dict[str, str]:
    return {d["id"]: d["title"] for d in documents()}


def title(entry: api.Entry) -> str:
    """The record's name (the pupil's, for a pupil's document), '' for a scan."""
    data = entry.record.get("data") if entry.record else None
    if not entry.document or not isinstance(data, Mapping):
        return ""
    try:
        return api.record_title(api.new_record(entry.document, data))
    except ApformsError:
        return ""


def row(arch: api.Archive, e: api.Entry, copy: ArchiveCopy | None, names: dict[str, str]) -> dict[str, Any]:
    kept = arch.retention(e)
    return {
        "id": e.id,
        "short_id": e.short_id,
        "added": e.added_at[:10],
        "document": names.get(e.document or "", e.document or ""),
        "title": title(e),
        "provider": e.parties.get("provider", ""),
        "school": copy.school.name if copy else e.parties.get("school", ""),
        "upn": e.parties.get("upn", ""),
        "status": status(e.signature_status),
        "disposed": e.state == "disposed",
        "until": kept.until.isoformat() if kept.until else "not known",
    }

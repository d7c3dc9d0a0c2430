"""What the views share: a record's apforms object, its title, error summaries, the reason
asked for an export."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from apforms import api
from apforms.errors import ApformsError
from apforms.web.models import AuditEvent, Record

#: The most of a reason kept (the audit log's reason).
REASON_MAX = int(AuditEvent._meta.get_field("reason").max_length or 0)


def as_record(row: Record) -> api.Record:
    return api.new_record(row.document, row.data)


def title_of(record: api.Record) -> str:
    """A record's name in lists: its first two text answers (the pupil, the provider)."""
    return api.record_title(record)[:300]


def summary(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    """An error summary's items: (HTML name or '', message) → link and text."""
    return [{"href": f"#{api.form_id(name)}" if name else "", "text": text} for name, text in items]


def problems_summary(problems: Iterable[Any]) -> list[dict[str, str]]:
    return summary((api.form_name(p.path), f"{p.label}: {p.message}") for p in problems)


def safe_message(exc: ApformsError) -> str:
    """An apforms refusal, one line, for a page (never a traceback)."""
    return api.one_line(str(exc))


def documents() -> list[Mapping[str, str]]:
    return [{"id": d.id, "title": d.title} for d in api.documents()]


def export_reason(post: Mapping[str, str], doing: str = "exporting this") -> tuple[str, str]:
    """The reason given for an export (its whitespace closed up), and the error to show if
    there is none, or too much of it."""
    reason = " ".join(post.get("reason", "").split())
    if not reason:
        return "", f"Say why you are {doing}: the reason is kept in the audit log"
    if len(reason) > REASON_MAX:
        return reason, f"The reason is at most {REASON_MAX} characters"
    return reason, ""

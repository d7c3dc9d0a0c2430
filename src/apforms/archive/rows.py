"""Entries and events as the columns of a catalogue's tables, and back.

Every catalogue stores the same columns the same way (JSON text for the structured ones), so
that an entry read back gives the same :meth:`~apforms.archive.entries.Entry.bound_values` on
any backend. Not an output: the JSON here is stored, never shown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from apforms.archive.chain import AuditEvent
from apforms.archive.entries import PARTIES, Entry

JSON_COLUMNS = ("signatures", "record", "refs", "warnings")
COLUMNS = (
    *("id", "size", "filename", "document", "version", "detected", "signature_status"),
    *("signatures", "record", "refs", "provider", "school", "upn", "warnings", "added_at"),
    *("added_by", "state", "disposed_at", "disposed_by", "disposal_reason"),
)
#: The columns of an event, in the order :func:`event` takes; :func:`event_values` gives all but
#: ``seq``, which the catalogue assigns (the next after the highest).
EVENT_COLUMNS = ("seq", "at", "user", "action", "entry_id", "detail", "prev", "hash", "fields")


def entry_row(entry: Entry) -> dict[str, Any]:
    """An entry as its columns (``detected`` as 0 or 1)."""
    row = entry.bound_values()  # the parties one by one
    for c in JSON_COLUMNS:
        row[c] = None if row[c] is None else json.dumps(row[c], ensure_ascii=False, sort_keys=True)
    row["detected"] = int(entry.detected)
    return row


def entry(row: Sequence[Any]) -> Entry:
    """The entry of a row of :data:`COLUMNS`."""
    raw = dict(zip(COLUMNS, row, strict=True))
    for c in JSON_COLUMNS:
        raw[c] = None if raw[c] is None else json.loads(raw[c])
    parties = {p: v for p in PARTIES if (v := raw.pop(p))}
    raw["detected"] = bool(raw["detected"])
    raw["warnings"] = tuple(raw["warnings"])
    return Entry(parties=parties, **raw)


def event_values(e: AuditEvent) -> tuple[Any, ...]:
    """An event chained by the store as the values of :data:`EVENT_COLUMNS` after ``seq``."""
    fields = None if e.fields is None else json.dumps(e.fields, sort_keys=True)
    detail = json.dumps(e.detail, ensure_ascii=False)
    return (e.at, e.user, e.action, e.entry_id, detail, e.prev, e.hash, fields)


def event(row: Sequence[Any]) -> AuditEvent:
    """The event of a row of :data:`EVENT_COLUMNS`."""
    seq, at, user, action, entry_id, detail, prev, hash_, bound = row
    return AuditEvent(
        at, user, action, entry_id, json.loads(detail), seq, prev, hash_, json.loads(bound) if bound else None
    )


__all__ = ["COLUMNS", "EVENT_COLUMNS", "JSON_COLUMNS", "entry", "entry_row", "event", "event_values"]

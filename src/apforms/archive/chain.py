"""The catalogue's hash chain: audit events, the entries they write, and the checkpoint.

Pure functions over plain values, with no database, so that every catalogue backend (SQLite
today, PostgreSQL next) computes and checks the same chain:

- An entry is bound by its *fields*: the SHA-256 of each catalogue value (canonical JSON),
  file hash and size, document, refs, parties, record, signature status, disposal and all.
- An event's hash covers the hash of the event before it, the event itself and, for the
  events that write an entry (``add``, ``dispose``, ``migrate``), the digest of the entry's
  fields as written. Events written before the chain bound entries (schema 1) hash as they
  always did, so old logs keep verifying.
- The checkpoint is the chain's length and head, kept outside the catalogue and rewritten
  with every write (:mod:`apforms.archive.checkpoint`): a cut log, a catalogue replaced by
  an older copy or deleted, and events added by hand no longer lead to it.

:func:`check` recomputes all of it and names every difference.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

CHECKPOINT_FORMAT = "apforms archive checkpoint"
CHECKPOINT_VERSION = 1
#: Actions whose event binds the fields of the entry it writes.
ADD, DISPOSE, MIGRATE = "add", "dispose", "migrate"
#: Kinds of problem :func:`check` reports.
CHAIN, CHECKPOINT, ENTRY = "chain", "checkpoint", "entry"
#: Fields short enough to show their value in a problem (never the record or signatures).
_SHOWN = frozenset(
    {"size", "filename", "document", "version", "detected", "signature_status", "provider", "school"}
    | {"upn", "added_at", "added_by", "state", "disposed_at", "disposed_by", "disposal_reason", "refs"}
)


def writes_entry(event: AuditEvent) -> bool:
    """Whether ``event`` wrote its entry: it binds the entry's fields, or it is an add from
    before events did (schema 1) that stored one."""
    if event.entry_id is None:
        return False
    return event.fields is not None or (
        event.action == ADD and "document" in event.detail and "outcome" not in event.detail
    )


def canonical(value: Any) -> bytes:
    """The bytes a value is hashed as: JSON with sorted keys, in its own letters."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def digest(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def field_digests(values: Mapping[str, Any]) -> dict[str, str]:
    """Each catalogue value of an entry by its SHA-256: what an event binds."""
    return {name: digest(value) for name, value in values.items()}


def entry_digest(fields: Mapping[str, str]) -> str:
    return digest(dict(fields))


def changed_fields(values: Mapping[str, Any], bound: Mapping[str, str]) -> list[str]:
    """The names of the fields whose value is not the one ``bound`` (field digests) was made of."""
    now = field_digests(values)
    return sorted(n for n in now.keys() | bound.keys() if now.get(n) != bound.get(n))


def event_hash(
    prev: str,
    at: str,
    user: str,
    action: str,
    entry_id: str | None,
    detail: Mapping[str, Any],
    fields: Mapping[str, str] | None = None,
) -> str:
    """An event's place in the chain; without ``fields`` exactly as schema 1 hashed it."""
    body: list[Any] = [prev, at, user, action, entry_id, detail]
    if fields is not None:
        body.append(entry_digest(fields))
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    """One line of the audit log. ``hash`` chains each event to the one before it.

    ``fields`` (set by the store) are the field digests of the entry the event writes.
    """

    at: str
    user: str
    action: str
    entry_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    seq: int | None = None
    prev: str | None = None
    hash: str | None = None
    fields: Mapping[str, str] | None = None

    def chained(self, prev: str) -> AuditEvent:
        h = event_hash(prev, self.at, self.user, self.action, self.entry_id, self.detail, self.fields)
        return replace(self, prev=prev, hash=h)


@dataclass(frozen=True)
class Head:
    """Where the chain ends: how many events it has and the last one's hash."""

    events: int
    hash: str


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head as last written; ``pending`` while a write is under way.

    A write records ``pending`` (the head it will leave) before it commits and clears it
    after, so a crash at any moment leaves the catalogue at ``head`` or at ``pending``.
    """

    head: Head
    pending: Head | None = None

    def accepts(self, hash_: str) -> Head | None:
        """The head of the catalogue whose last event hash is ``hash_``, if this allows it."""
        for h in (self.head, self.pending):
            if h is not None and h.hash == hash_:
                return h
        return None

    def text(self) -> str:
        body = {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "events": self.head.events,
            "head": self.head.hash,
            "pending": None if self.pending is None else [self.pending.events, self.pending.hash],
        }
        return json.dumps({**body, "sha256": digest(body)}, indent=1) + "\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """The checkpoint in ``text``; ValueError if it is damaged or was edited."""
        try:
            raw = json.loads(text)
            body = {k: raw[k] for k in ("format", "version", "events", "head", "pending")}
            sealed = raw["sha256"]
        except (ValueError, TypeError, KeyError):
            raise ValueError("is not an apforms archive checkpoint") from None
        if body["format"] != CHECKPOINT_FORMAT or body["version"] != CHECKPOINT_VERSION:
            raise ValueError("is not an apforms archive checkpoint of a known version")
        if sealed != digest(body):
            raise ValueError("does not match its own hash: it was damaged, or edited by hand")
        pending = body["pending"]
        return cls(
            Head(int(body["events"]), str(body["head"])),
            None if pending is None else Head(int(pending[0]), str(pending[1])),
        )


@dataclass(frozen=True)
class Problem:
    """One difference :func:`check` found: its kind (CHAIN, CHECKPOINT, ENTRY) and what it is."""

    kind: str
    message: str
    entry_id: str | None = None
    #: The entry's field that changed, if that is the problem.
    field: str | None = None


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    head: Head = field(default_factory=lambda: Head(0, ""))

    def add(self, kind: str, message: str, entry_id: str | None = None, name: str | None = None) -> None:
        self.problems.append(Problem(kind, message, entry_id, name))


def check(
    events: Sequence[AuditEvent],
    entries: Iterable[tuple[str, Mapping[str, Any]]],
    checkpoint: Checkpoint | None,
) -> Findings:
    """Everything the catalogue says against its chain and the checkpoint.

    ``events`` in log order; ``entries`` every catalogue row as (id, bound values), read in
    the same snapshot; ``checkpoint`` None when it is missing.
    """
    found = Findings()
    _check_links(events, found)
    found.head = Head(len(events), (events[-1].hash or "") if events else "")
    _check_head(events, found.head, checkpoint, found)
    _check_entries(events, entries, found)
    return found


def chain_problems(events: Sequence[AuditEvent]) -> list[str]:
    """Breaks in the audit log's hash chain (an event edited, removed or reordered)."""
    found = Findings()
    _check_links(events, found)
    return [p.message for p in found.problems]


def _check_links(events: Sequence[AuditEvent], found: Findings) -> None:
    prev = ""
    for event in events:
        if event.hash != replace(event, prev=None, hash=None).chained(event.prev or "").hash:
            found.add(CHAIN, f"audit log event {event.seq} ({event.action}) does not match the chain")
        elif event.prev != prev:
            found.add(
                CHAIN,
                f"audit log event {event.seq} ({event.action}) does not follow the event before it: "
                "events were removed or reordered",
            )
        prev = event.hash or ""


def _check_head(events: Sequence[AuditEvent], head: Head, cp: Checkpoint | None, found: Findings) -> None:
    if cp is None:
        return  # the caller says why (missing, damaged) as a checkpoint problem
    if head == cp.head:
        if cp.pending is not None:
            found.notes.append("a write was interrupted before it was committed; nothing of it was kept")
        return
    if head == cp.pending:
        found.notes.append("a write was interrupted after it was committed; the next write completes it")
        return
    expected = cp.pending or cp.head
    if head.events < cp.head.events:
        found.add(
            CHECKPOINT,
            f"the audit log has {head.events} event(s) but the checkpoint records {cp.head.events}: "
            "events were removed, or the catalogue was replaced by an older copy",
        )
        return
    at = events[cp.head.events - 1].hash if cp.head.events else ""
    if at != cp.head.hash:
        found.add(
            CHECKPOINT,
            f"the audit log does not lead to the checkpoint's head (event {cp.head.events}): "
            "it was rewritten, or the catalogue replaced",
        )
    elif head.events > expected.events:
        first, last = cp.head.events + 1, head.events
        which = f"event {first} is" if first == last else f"events {first}-{last} are"
        found.add(
            CHECKPOINT,
            f"audit log {which} not in the checkpoint (it records {cp.head.events}): written outside apforms",
        )
    else:
        found.add(CHECKPOINT, "the last audit log event is not the one the checkpoint records")


def _check_entries(
    events: Sequence[AuditEvent], entries: Iterable[tuple[str, Mapping[str, Any]]], found: Findings
) -> None:
    bound: dict[str, AuditEvent] = {}  # entry id → the last event that wrote it
    added: dict[str, AuditEvent] = {}  # entry id → its add event from before entries were bound
    first_add: dict[str, AuditEvent] = {}
    for event in events:
        if event.entry_id is None or not writes_entry(event):
            continue
        if event.action == ADD:
            first = first_add.setdefault(event.entry_id, event)
            if first is not event:
                found.add(
                    ENTRY,
                    f"{event.entry_id[:12]}: added again by event {event.seq} after event {first.seq}: "
                    "its row had been removed from the catalogue in between",
                    event.entry_id,
                )
        if event.fields is not None:
            bound[event.entry_id] = event
        else:
            added.setdefault(event.entry_id, event)
    seen = set()
    for entry_id, values in entries:
        seen.add(entry_id)
        short = entry_id[:12]
        last = bound.get(entry_id)
        if last is None or last.fields is None:
            found.add(
                ENTRY,
                f"{short}: in the catalogue but no event wrote it: its row was added outside apforms, "
                "or its event removed",
                entry_id,
            )
            continue
        if entry_id in added:
            _compare_with_add(entry_id, values, added[entry_id], found)
        for name in changed_fields(values, last.fields):
            value = f" (now {values[name]!r})" if name in _SHOWN and name in values else ""
            found.add(
                ENTRY,
                f"{short}: {name} changed outside apforms{value}; "
                f"as written by event {last.seq} ({last.action}, {last.at})",
                entry_id,
                name,
            )
    for entry_id in sorted((bound.keys() | added.keys()) - seen):
        event = bound.get(entry_id) or added[entry_id]
        found.add(
            ENTRY,
            f"{entry_id[:12]}: written by event {event.seq} ({event.action}, {event.at}) "
            "but missing from the catalogue: its row was deleted",
            entry_id,
        )


def _compare_with_add(entry_id: str, values: Mapping[str, Any], event: AuditEvent, found: Findings) -> None:
    """An entry from before entries were bound: what its add event recorded must still hold."""
    for name in ("document", "signature_status"):
        if name in event.detail and values.get(name) != event.detail[name]:
            found.add(
                ENTRY,
                f"{entry_id[:12]}: {name} is {values.get(name)!r} but was {event.detail[name]!r} "
                f"when it was added (event {event.seq}, {event.at})",
                entry_id,
            )


__all__ = [
    "CHAIN",
    "CHECKPOINT",
    "ENTRY",
    "AuditEvent",
    "Checkpoint",
    "Findings",
    "Head",
    "Problem",
    "canonical",
    "chain_problems",
    "changed_fields",
    "writes_entry",
    "check",
    "entry_digest",
    "event_hash",
    "field_digests",
]

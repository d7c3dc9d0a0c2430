"""What the archive keeps: its entries and audit events, what ``list`` selects, and one
reading of the whole catalogue for ``verify``. Plain values shared by every backend."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from apforms.archive.chain import AuditEvent, Checkpoint

STORED, DISPOSED = "stored", "disposed"
# File check results.
OK, MISSING, ALTERED, UNREADABLE = "ok", "missing", "altered", "unreadable"
PARTIES = ("provider", "school", "upn")
VERIFY_HINT = "run apforms archive verify"


@dataclass(frozen=True)
class Entry:
    """One archived file: its hash and what was read from it when it was added."""

    id: str  # SHA-256 of the bytes, hex
    size: int
    filename: str
    document: str | None
    version: str | None
    detected: bool  # True: read from an apforms form; False: said with --doc
    signature_status: str
    signatures: Mapping[str, Any]
    record: Mapping[str, Any] | None
    refs: Mapping[str, str]
    parties: Mapping[str, str]
    warnings: tuple[str, ...]
    added_at: str
    added_by: str
    state: str = STORED
    disposed_at: str | None = None
    disposed_by: str | None = None
    disposal_reason: str | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["warnings"] = list(self.warnings)
        return out

    def bound_values(self) -> dict[str, Any]:
        """The catalogue values the hash chain binds: every field, the parties one by one."""
        out = self.as_dict()
        parties = out.pop("parties")
        out.update({p: parties.get(p) for p in PARTIES})
        return out


@dataclass
class Catalogue:
    """One consistent reading of the catalogue for ``verify``.

    ``entries`` yields (id, bound values) and is only valid inside ``Store.snapshot``.
    ``checkpoint`` is None when it is missing or cannot be trusted; ``problems`` say why,
    and anything else wrong with the catalogue as a whole (missing, replaced).
    """

    events: list[AuditEvent]
    entries: Iterator[tuple[str, dict[str, Any]]]
    checkpoint: Checkpoint | None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Filters:
    """What ``archive list`` and ``export`` select; every given criterion must hold."""

    document: str | None = None
    provider: str | None = None  # case-insensitive part of the name
    school: str | None = None
    upn: str | None = None
    since: str | None = None  # added on or after this date (YYYY-MM-DD)
    until: str | None = None  # added on or before this date
    signature_status: str | None = None
    include_disposed: bool = False

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` is selected: the rule every catalogue's query follows."""
        wanted = {
            "document": (self.document, entry.document),
            "upn": (self.upn and self.upn.upper(), entry.parties.get("upn")),
            "signature_status": (self.signature_status, entry.signature_status),
        }
        if any(want and want != have for want, have in wanted.values()):
            return False
        for want, have in (
            (self.provider, entry.parties.get("provider")),
            (self.school, entry.parties.get("school")),
        ):
            if want and not contains(have, want):
                return False
        if self.since and entry.added_at < self.since:
            return False
        if self.until and entry.added_at[:10] > self.until:
            return False
        return self.include_disposed or entry.state == STORED


# --------------------------------------------------------------------------- helpers


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def contains(haystack: str | None, needle: str) -> bool:
    """A name filter: ``needle`` is part of ``haystack`` in any case (``casefold``)."""
    return haystack is not None and needle.casefold() in haystack.casefold()


__all__ = [
    "ALTERED",
    "DISPOSED",
    "MISSING",
    "OK",
    "STORED",
    "UNREADABLE",
    "AuditEvent",
    "Catalogue",
    "Entry",
    "Filters",
    "PARTIES",
    "VERIFY_HINT",
    "contains",
    "sha256",
]

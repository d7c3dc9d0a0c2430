"""The archive of signed copies: store, verify, find, retain. A library: never prints or exits.

Each file is kept exactly as added, addressed by its SHA-256, with what was read from it:
document and version, the record (apforms forms), the parties, its signature status, and
who added it when. Retention follows ``schemas/archive/retention.yaml``; disposal keeps a
tombstone; every add, get, export, verify and dispose is in an append-only audit log whose
hash chain binds every entry's metadata, its head kept in a checkpoint beside the catalogue
(:mod:`apforms.archive.chain`): ``verify`` names any change made to either outside apforms.

    archive = open_archive("~/ap-archive")
    result = archive.add("signed-sla.pdf")
    archive.verify().ok

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from apforms import files, safe
from apforms.archive import backends, bundle, chain, retention, signatures
from apforms.archive.examine import DEFAULT_MAX_SIZE, Examined, Refused, check_pdf, check_size, examine
from apforms.archive.retention import Retention
from apforms.archive.signatures import SignatureReport
from apforms.archive.sqlite import SQLiteStore
from apforms.archive.store import (
    ALTERED,
    DISPOSED,
    MISSING,
    OK,
    STORED,
    VERIFY_HINT,
    AuditEvent,
    Catalogue,
    Entry,
    Filters,
    Store,
    sha256,
)
from apforms.errors import ApformsError, ArchiveError

ENV_STORE = "APFORMS_ARCHIVE"
# Outcomes of an add.
ADDED, ALREADY, REFUSED = "added", "already", "refused"
#: Mode of the files ``get`` and ``export`` write: they hold special-category data.
PRIVATE_FILE_MODE = 0o600
#: The catalogue fields an entry's retention is worked out from.
_RETENTION_FIELDS = frozenset({"document", "record", "refs"})
_ID = re.compile(r"^[0-9a-f]{6,64}$")
_REF_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: The most entry ids a list's event in the audit log names (a longer list: its first ones,
#: its count and its selection).
LOOK_IDS = 1000


def default_location() -> Path:
    """``$APFORMS_ARCHIVE``, else ``archive`` in the user's data folder (platformdirs)."""
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("apforms", appauthor=False)) / "archive"


def open_archive(
    location: str | os.PathLike[str] | None = None,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    trust_roots: Sequence[bytes] = (),
    user: str | None = None,
    database_url: str | None = None,
) -> Archive:
    """The archive at ``location`` or the default: its files in that folder, its catalogue in
    SQLite there, or in the PostgreSQL database of ``database_url`` (default:
    ``$APFORMS_DATABASE_URL``; "" for SQLite whatever that says); ``user``: who the audit log
    names (default: the login name)."""
    store = backends.open_store(location or default_location(), database_url)
    return Archive(store, max_size=max_size, trust_roots=trust_roots, user=user)


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): the numeric user id still says who
        return f"uid:{os.getuid()}" if hasattr(os, "getuid") else "unknown"


# --------------------------------------------------------------------------- results


@dataclass
class AddResult:
    """What happened to one file: ADDED, ALREADY (the same bytes were stored) or REFUSED."""

    source: str
    outcome: str
    entry: Entry | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: How the record was read from the file (``fields``, ``flattened``), ``None`` if not read.
    read_from: str | None = None


@dataclass
class VerifyReport:
    """Every stored file re-hashed (and, if asked, every digital signature re-checked)."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    signatures_checked: int = 0
    signature_problems: list[tuple[str, str]] = field(default_factory=list)
    #: Signatures already broken when the file was added (shown, not a new problem).
    known_broken: list[tuple[str, str]] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)
    #: Differences between the catalogue, its hash chain and its checkpoint (entries edited,
    #: inserted or deleted; the log cut; the database replaced or missing), by entry if one.
    catalogue_problems: list[chain.Problem] = field(default_factory=list)
    #: Facts worth knowing that are not problems (an interrupted write, completed).
    notes: list[str] = field(default_factory=list)
    #: The audit log's length and last hash: note them elsewhere to check a later verify by.
    head: chain.Head = field(default_factory=lambda: chain.Head(0, ""))
    leftovers: dict[str, int] = field(default_factory=dict)
    #: Why this verify could not be written to the audit log (a catalogue that takes no writes).
    not_logged: str | None = None

    @property
    def ok(self) -> bool:
        return not (
            self.missing
            or self.altered
            or self.unreadable
            or self.signature_problems
            or self.audit_problems
            or self.catalogue_problems
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "missing": self.missing,
            "altered": self.altered,
            "unreadable": self.unreadable,
            "signatures_checked": self.signatures_checked,
            "signature_problems": [{"id": i, "problem": p} for i, p in self.signature_problems],
            "broken_when_added": [{"id": i, "problem": p} for i, p in self.known_broken],
            "audit_problems": self.audit_problems,
            "catalogue_problems": [
                {"kind": p.kind, "id": p.entry_id, "problem": p.message} for p in self.catalogue_problems
            ],
            "notes": self.notes,
            "audit_log": {"events": self.head.events, "head": self.head.hash},
            "leftovers": self.leftovers,
            "not_logged": self.not_logged,
        }


@dataclass
class DueItem:
    entry: Entry
    retention: Retention


@dataclass
class DueReport:
    """Entries past retention (``due``), and entries whose retention cannot be worked out."""

    today: date
    due: list[DueItem] = field(default_factory=list)
    unknown: list[DueItem] = field(default_factory=list)


# --------------------------------------------------------------------------- the archive


class Archive:
    """The archive verbs over a :class:`Store`."""

    def __init__(
        self,
        store: Store,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        trust_roots: Sequence[bytes] = (),
        user: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.max_size = max_size
        self.trust_roots = list(trust_roots)
        self.user = user or os_user()
        self.clock = clock or (lambda: datetime.now(UTC))
        self._recover()

    def _recover(self) -> None:
        """What an earlier run left to do: bind a catalogue from before the chain bound entries
        (once, logged per entry), and finish disposals interrupted after their tombstone."""
        self.store.upgrade(
            lambda entry_id: self._event(
                "migrate", entry_id, note="entry bound into the catalogue chain as it was found"
            )
        )
        for entry_id in self.store.unfinished_disposals():
            event = self._event(
                "dispose-completed", entry_id, note="file left by an interrupted disposal removed"
            )
            try:
                self.store.finish_disposal(entry_id, event)
            except ArchiveError:  # a tombstone the chain does not bear out: verify names it
                continue

    @property
    def location(self) -> str:
        return self.store.location

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")

    def _event(self, action: str, entry_id: str | None, **detail: Any) -> AuditEvent:
        return AuditEvent(self._now(), self.user, action, entry_id, detail)

    def _log(self, action: str, entry_id: str | None, **detail: Any) -> None:
        self.store.log(self._event(action, entry_id, **detail))

    # ---------------------------------------------------------------- add

    def add(
        self, path: str | os.PathLike[str], doc: str | None = None, refs: Mapping[str, str] | None = None
    ) -> AddResult:
        """Store one file (see :meth:`add_bytes`); a file that cannot be read is refused."""
        source = str(path)
        try:
            check_size(os.stat(path).st_size, self.max_size)
            data = Path(path).read_bytes()
        except Refused as exc:
            return self._refuse(source, str(exc))
        except OSError as exc:
            return self._refuse(source, f"cannot read: {exc.strerror or exc}")
        return self.add_bytes(data, source, doc, refs)

    def add_bytes(
        self, data: bytes, source: str, doc: str | None = None, refs: Mapping[str, str] | None = None
    ) -> AddResult:
        """Store ``data`` immutably under its SHA-256, with what can be read from it.

        The same bytes again are a no-op (ALREADY). Not a PDF, encrypted, empty, too large, or
        an unknown document: REFUSED with a one-line reason, nothing stored.
        """
        refs = dict(refs or {})
        try:
            check_refs(refs)
            check_pdf(data, self.max_size)
            entry_id = sha256(data)
            existing = self.store.get(entry_id)
            if existing is not None:
                return self._already(existing, source)
            examined = examine(data, source, doc)
            entry = self._entry(entry_id, data, source, examined, refs)
        except Refused as exc:
            return self._refuse(source, str(exc))
        except ApformsError as exc:  # e.g. a PDF that says it is a form apforms does not know
            return self._refuse(source, str(exc))
        except Exception as exc:  # a fault in reading one file must not stop the others
            return self._refuse(
                source, f"cannot be read ({type(exc).__name__}: {_line(exc)}); please report it"
            )
        event = AuditEvent(
            entry.added_at, self.user, "add", entry_id,
            {"file": source, "document": entry.document, "signature_status": entry.signature_status},
        )  # fmt: skip
        if not self.store.add(entry, data, event):  # another process added it meanwhile
            return self._already(self.store.get(entry_id) or entry, source)
        stored = self.store.get(entry_id) or entry
        return AddResult(source, ADDED, stored, warnings=list(examined.warnings), read_from=examined.method)

    def _entry(
        self, entry_id: str, data: bytes, source: str, examined: Examined, refs: dict[str, str]
    ) -> Entry:
        """The catalogue entry of an accepted file: what was read from it, and its signatures."""
        doc_id = examined.definition.id
        report = signatures.examine(
            data, examined.definition, examined.data, self.trust_roots, is_form=examined.detected
        )
        return Entry(
            id=entry_id,
            size=len(data),
            filename=Path(source).name,
            document=doc_id,
            version=examined.version,
            detected=examined.detected,
            signature_status=report.status,
            signatures=report.as_dict(),
            record=examined.record,
            refs=refs,
            parties=retention.parties(doc_id, examined.data, refs),
            warnings=tuple(examined.warnings),
            added_at=self._now(),
            added_by=self.user,
        )

    def _already(self, existing: Entry, source: str) -> AddResult:
        if existing.state == DISPOSED:
            return self._refuse(
                source,
                f"this file was disposed of on {existing.disposed_at} ({existing.disposal_reason}); "
                f"see apforms archive show {existing.short_id}",
            )
        self._log("add", existing.id, file=source, outcome="already in the archive")
        return AddResult(source, ALREADY, existing)

    def _refuse(self, source: str, reason: str) -> AddResult:
        self._log("add-refused", None, file=source, reason=reason)
        return AddResult(source, REFUSED, reason=reason)

    # ---------------------------------------------------------------- find and read

    def entries(self, filters: Filters | None = None) -> list[Entry]:
        return self.store.entries(filters or Filters())

    def find(self, entry_id: str) -> Entry:
        """The entry whose id is or starts with ``entry_id`` (at least 6 hex digits)."""
        wanted = entry_id.strip().lower()
        if not _ID.match(wanted):
            raise ArchiveError(f"{entry_id!r} is not an archive id (the SHA-256, or its first 6+ characters)")
        ids = self.store.resolve(wanted)
        if not ids:
            raise ArchiveError(f"no archive entry {entry_id}")
        if len(ids) > 1:
            raise ArchiveError(f"{entry_id} matches several entries; give more of the id")
        entry = self.store.get(ids[0])
        assert entry is not None
        return entry

    def retention(self, entry: Entry) -> Retention:
        data = entry.record.get("data") if entry.record else None
        return retention.retention_for(entry.document or "", data, entry.refs)

    def signature_report(self, entry: Entry) -> SignatureReport:
        return SignatureReport.from_dict(entry.signatures)

    def read(self, entry: Entry) -> bytes:
        """The stored bytes, checked against the id; an ArchiveError if gone or altered."""
        if entry.state != STORED:
            raise ArchiveError(
                f"{entry.short_id} was disposed of on {entry.disposed_at}: {entry.disposal_reason}"
            )
        data = self.store.read_file(entry.id)
        if sha256(data) != entry.id:
            raise ArchiveError(f"{entry.short_id}: the stored file was altered; run apforms archive verify")
        return data

    def get(self, entry_id: str, out: str | os.PathLike[str], mode: int = PRIVATE_FILE_MODE) -> Path:
        """Write exactly the bytes that were added to ``out`` (owner-only unless ``mode`` says)."""
        entry = self.find(entry_id)
        data = self.read(entry)
        try:
            with files.atomic_writer(out) as fh:
                _set_mode(fh.fileno(), mode)
                fh.write(data)
        except OSError as exc:
            raise ArchiveError(f"cannot write {out}: {exc.strerror or exc}") from None
        self._log_or_remove(out, "get", entry.id, to=str(out))
        return Path(out)

    def get_bytes(self, entry_id: str, to: str) -> tuple[Entry, bytes]:
        """The entry and exactly the bytes that were added, for a copy handed out elsewhere
        (``to`` says where, in the audit log: a download, say). Logged before it is handed out."""
        entry = self.find(entry_id)
        data = self.read(entry)
        self._log("get", entry.id, to=to)
        return entry, data

    def _log_or_remove(
        self, out: str | os.PathLike[str], action: str, entry_id: str | None, **detail: Any
    ) -> None:
        """Log a copy written out; if it cannot be logged, the copy does not stay either."""
        try:
            self._log(action, entry_id, **detail)
        except ArchiveError as exc:
            Path(out).unlink(missing_ok=True)
            raise ArchiveError(f"{out} not written: the audit log cannot record it: {exc}") from None

    def export(
        self,
        filters: Filters,
        out: str | os.PathLike[str],
        mode: int = PRIVATE_FILE_MODE,
        only: Collection[str] | None = None,
        reason: str = "",
    ) -> list[Entry]:
        """A zip of the matching files and a manifest (owner-only unless ``mode`` says);
        nothing written if any file is bad. ``only``: of those, just the entries with these
        ids (a chosen set). ``reason``: why, kept in the audit log's event."""
        entries = self.entries(replace(filters, include_disposed=False))
        if only is not None:
            chosen = set(only)
            entries = [e for e in entries if e.id in chosen]
        if not entries:
            raise ArchiveError("nothing to export: no stored entry matches")
        selection = _selection(filters)
        if only is not None:
            selection["chosen"] = len(entries)
        manifest = {
            "created_at": self._now(),
            "created_by": self.user,
            "archive": self.location,
            "selection": selection,
        }
        bundle.write_bundle(out, entries, self.read, manifest, self.describe, mode=mode)
        why = {"reason": " ".join(reason.split())} if reason.strip() else {}
        self._log_or_remove(
            out, "export", None, to=str(out), entries=[e.id for e in entries], selection=selection, **why
        )
        return entries

    def shown(self, entry: Entry) -> str | None:
        """Record that ``entry`` was shown (its details, its record). Why the audit log could
        not record it (a catalogue that takes no writes, still read to find out what
        happened), else None."""
        return self._look("show", entry.id)

    def listed(self, action: str, entries: Sequence[Entry], filters: Filters | None = None) -> str | None:
        """Record that a list of ``entries`` was shown (``action``: list, due): their count, the
        ids (the first ``LOOK_IDS`` of a longer list) and the selection; as :meth:`shown`."""
        detail: dict[str, Any] = {"count": len(entries), "entries": [e.id for e in entries[:LOOK_IDS]]}
        if filters is not None:
            detail["selection"] = _selection(filters)
        return self._look(action, None, **detail)

    def _look(self, action: str, entry_id: str | None, **detail: Any) -> str | None:
        try:
            self._log(action, entry_id, **detail)
        except ArchiveError as exc:
            return str(exc).removesuffix(f"; {VERIFY_HINT}")
        return None

    def describe(self, entry: Entry) -> dict[str, Any]:
        """An entry for people and manifests: metadata, signatures and retention, no record data."""
        report = self.signature_report(entry)
        kept = self.retention(entry)
        return {
            "sha256": entry.id,
            "document": entry.document,
            "version": entry.version,
            "read_from_form": entry.detected,
            "original_name": entry.filename,
            "size": entry.size,
            "parties": dict(entry.parties),
            "refs": dict(entry.refs),
            "signature_status": entry.signature_status,
            "signatures": [b.describe() for b in report.blocks] + [s.describe() for s in report.other],
            "added_at": entry.added_at,
            "added_by": entry.added_by,
            "retain_until": kept.until.isoformat() if kept.until else None,
            "retention": kept.as_dict(),
            "state": entry.state,
            # a warning may quote a value read from the form (a date of birth): never in a manifest
            "warnings": [safe.without_values(w) for w in entry.warnings],
            **(
                {
                    "disposed_at": entry.disposed_at,
                    "disposed_by": entry.disposed_by,
                    "disposal_reason": entry.disposal_reason,
                }
                if entry.state == DISPOSED
                else {}
            ),
        }

    # ---------------------------------------------------------------- verify

    def verify(self, check_signatures: bool = False) -> VerifyReport:
        """Check the catalogue against its hash chain and checkpoint, re-hash every stored file;
        with ``check_signatures`` re-validate digital signatures."""
        report = VerifyReport()
        stored: list[tuple[str, int]] = []

        def rows(catalogue: Catalogue) -> Iterator[tuple[str, dict[str, Any]]]:
            for entry_id, values in catalogue.entries:
                if values.get("state") == STORED:
                    stored.append((entry_id, int(values.get("size") or 0)))
                yield entry_id, values

        with self.store.snapshot() as catalogue:
            found = chain.check(catalogue.events, rows(catalogue), catalogue.checkpoint)
            report.catalogue_problems = [chain.Problem(chain.CHECKPOINT, p) for p in catalogue.problems]
        report.audit_problems = [p.message for p in found.problems if p.kind == chain.CHAIN]
        report.catalogue_problems += self._with_retention(
            [p for p in found.problems if p.kind != chain.CHAIN]
        )
        report.notes, report.head = found.notes, found.head
        for entry_id, size in sorted(stored):
            report.checked += 1
            state = self.store.check_file(entry_id, size)
            if state == OK:
                if check_signatures:
                    self._recheck(entry_id, report)
            elif state == MISSING:
                report.missing.append(entry_id)
            elif state == ALTERED:
                report.altered.append(entry_id)
            else:
                report.unreadable.append(entry_id)
        report.leftovers = self.store.housekeeping()
        try:
            self._log(
                "verify",
                None,
                checked=report.checked,
                signatures=check_signatures,
                ok=report.ok,
                missing=report.missing,
                altered=report.altered,
                unreadable=report.unreadable,
                signature_problems=[i for i, _ in report.signature_problems],
                catalogue_problems=len(report.catalogue_problems) + len(report.audit_problems),
            )
        except ArchiveError as exc:  # a catalogue that takes no writes: the report says why
            report.not_logged = str(exc).removesuffix(f"; {VERIFY_HINT}")
        return report

    def _with_retention(self, problems: list[chain.Problem]) -> list[chain.Problem]:
        """A change to what retention is worked out from also says the date it now gives."""
        out = []
        for p in problems:
            entry = self.store.get(p.entry_id) if p.entry_id and p.field in _RETENTION_FIELDS else None
            try:
                kept = self.retention(entry).describe() if entry is not None else None
            except Exception:  # a changed record need not be one retention can read
                kept = None
            out.append(replace(p, message=f"{p.message}; it is now kept until {kept}") if kept else p)
        return out

    def _recheck(self, entry_id: str, report: VerifyReport) -> None:
        entry = self.store.get(entry_id)
        if entry is None or not self.signature_report(entry).digital:
            return
        now = {
            s.field: s for s in signatures.validate_digital(self.store.read_file(entry_id), self.trust_roots)
        }
        report.signatures_checked += len(now)
        for before in self.signature_report(entry).digital:
            after = now.get(before.field)
            if after is None:
                report.signature_problems.append((entry_id, f"{before.field}: signature no longer found"))
            elif not after.ok and before.ok:
                report.signature_problems.append((entry_id, f"{after.field}: {after.problem}"))
            elif not after.ok:  # recorded as broken when it was added: a fact about the document
                report.known_broken.append((entry_id, f"{after.field}: {after.problem}"))

    def check_audit_log(self) -> list[str]:
        """Breaks in the audit log's hash chain (an edited or removed event)."""
        return chain.chain_problems(self.store.audit_log())

    def audit_log(self) -> list[AuditEvent]:
        return self.store.audit_log()

    # ---------------------------------------------------------------- retention

    def due(self, today: date) -> DueReport:
        """Stored entries whose retention has passed on ``today``, and those it is unknown for."""
        report = DueReport(today)
        for entry in self.entries():
            kept = self.retention(entry)
            if kept.until is None:
                report.unknown.append(DueItem(entry, kept))
            elif kept.is_due(today):
                report.due.append(DueItem(entry, kept))
        report.due.sort(key=lambda i: i.retention.until or today)
        return report

    def dispose(self, entry_id: str, reason: str, today: date, early: bool = False) -> Entry:
        """Remove a file past retention, keeping a tombstone: hash, metadata, reason, date, user.

        Before its date (or when the date is unknown) only with ``early``; never without a reason.
        """
        if not reason.strip():
            raise ArchiveError("a reason is needed to dispose of a file (--reason)")
        entry = self.find(entry_id)
        if entry.state != STORED:
            raise ArchiveError(f"{entry.short_id} was already disposed of on {entry.disposed_at}")
        kept = self.retention(entry)
        if not kept.is_due(today) and not early:
            raise ArchiveError(
                f"{entry.short_id} is kept until {kept.describe()}; "
                "to dispose of it earlier, say so with --early"
            )
        tombstone = replace(
            entry,
            state=DISPOSED,
            disposed_at=self._now(),
            disposed_by=self.user,
            disposal_reason=reason.strip(),
        )
        event = self._event(
            "dispose",
            entry.id,
            reason=reason.strip(),
            retain_until=kept.describe(),
            early=not kept.is_due(today),
        )
        self.store.dispose(tombstone, event)
        return tombstone


def _selection(filters: Filters) -> dict[str, Any]:
    """The criteria ``filters`` gives, for the audit log and a manifest."""
    return {k: v for k, v in vars(filters).items() if v not in (None, False)}


def _set_mode(fd: int, mode: int) -> None:
    if hasattr(os, "fchmod"):  # POSIX; elsewhere the folder's permissions are what protect it
        os.fchmod(fd, mode)


def _line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def check_refs(refs: Mapping[str, str]) -> None:
    """``--ref`` names are lower_snake_case; dates a retention rule uses must be dates."""
    cfg = retention.load_config()
    date_facts = {r.after for r in cfg.rules.values()}
    flag_facts = {r.when for r in cfg.rules.values() if r.when}
    for name, value in refs.items():
        if not _REF_NAME.match(name):
            raise Refused(f"--ref {name}: a name is lower_snake_case, like date_of_birth")
        if name in date_facts and retention.parse_date(value) is None:
            raise Refused(f"--ref {name}={value}: not a date (use YYYY-MM-DD)")
        if name in flag_facts and retention.parse_flag(value) is None:
            raise Refused(f"--ref {name}={value}: say yes or no")


__all__ = [
    "ADDED",
    "ALREADY",
    "PRIVATE_FILE_MODE",
    "REFUSED",
    "AddResult",
    "Archive",
    "DueItem",
    "DueReport",
    "Entry",
    "Filters",
    "SQLiteStore",
    "Store",
    "VerifyReport",
    "default_location",
    "open_archive",
]

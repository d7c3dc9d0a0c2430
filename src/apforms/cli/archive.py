"""``apforms archive …`` and ``apforms sign``: signed copies kept for years, and signing.

A thin click layer over the archive verbs of :mod:`apforms.api`. Exit codes as everywhere:
0 ok; 1 problems found (verify); 2 the command cannot run or a file was refused. Text read
from the files (names, parties, warnings) is printed through :func:`safe_text`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from apforms import api
from apforms.cli import EXIT_CANNOT_RUN, EXIT_PROBLEMS, RETURN_KINDS, dump, safe_text
from apforms.errors import ApformsError

_F = TypeVar("_F", bound=Callable[..., Any])

#: ``api.SIGNATURE_STATUSES``, spelled out so that the ``--signed`` choices do not import the
#: archive when the command line is read (tests/test_architecture.py checks they agree).
SIGNATURE_STATUSES = (
    "fully_signed",
    "partly_signed",
    "unsigned",
    "signed",
    "unknown",
    "no_signature_blocks",
    "invalid",
)


def _open(ctx: click.Context, trust: tuple[str, ...] = (), max_size_mb: float | None = None) -> api.Archive:
    max_size = int(max_size_mb * 1024 * 1024) if max_size_mb else api.ARCHIVE_MAX_SIZE
    archive = api.open_archive(ctx.obj["store"], max_size=max_size, trust_roots=api.load_trust_roots(trust))
    ctx.call_on_close(archive.close)
    return archive


def _today(value: str | None) -> date:
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint="--today") from None


def _filter_options(f: _F) -> _F:
    """The selection options shared by ``list`` and ``export``."""
    options = [
        click.option("--doc", "document", type=click.Choice(api.document_ids()), help="Only this document."),
        click.option("--provider", help="Provider name contains this (any case)."),
        click.option("--school", help="School name contains this (any case)."),
        click.option("--upn", help="This pupil's UPN."),
        click.option("--since", metavar="YYYY-MM-DD", help="Added on or after this date."),
        click.option("--until", metavar="YYYY-MM-DD", help="Added on or before this date."),
        click.option(
            "--signed", "signature_status", type=click.Choice(SIGNATURE_STATUSES), help="Signature status."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _filters(**kw: Any) -> api.Filters:
    for key in ("since", "until"):
        if kw.get(key):
            try:
                date.fromisoformat(kw[key])
            except ValueError:
                raise click.BadParameter(
                    f"{kw[key]!r} is not a date (YYYY-MM-DD)", param_hint=f"--{key}"
                ) from None
    return api.archive_filters(**kw)


trust_option = click.option(
    "--trust",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A certificate (PEM/DER) whose signers are trusted; repeat for several.",
)
today_option = click.option(
    "--today", hidden=True, envvar="APFORMS_TODAY", help="Pretend today is this date."
)


def _mode(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        mode = int(value, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777:
        raise click.BadParameter(f"{value!r} is not a file mode (octal, like 600 or 640)")
    return mode


mode_option = click.option(
    "--mode",
    default="600",
    show_default=True,
    callback=_mode,
    metavar="OCTAL",
    help="Permissions of the file written (it holds special-category data: owner-only by default).",
)


@click.group()
@click.option(
    "--store",
    envvar="APFORMS_ARCHIVE",
    type=click.Path(file_okay=False),
    help="Archive folder (default: $APFORMS_ARCHIVE, or apforms/archive in your data folder).",
)
@click.pass_context
def archive(ctx: click.Context, store: str | None) -> None:
    """Signed copies kept for years: add, list, show, get, export, verify, due, dispose."""
    ctx.obj = {"store": store}


@archive.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--doc", type=click.Choice(api.document_ids()), help="The document, for PDFs that are not apforms forms."
)
@click.option(
    "--ref", "refs", multiple=True, metavar="KEY=VALUE", help="A party or date, e.g. upn=… end=2027-07-16."
)
@click.option("--max-size", type=float, metavar="MB", help="Largest file accepted (default 50 MB).")
@trust_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
@click.pass_context
def add(
    ctx: click.Context,
    files: tuple[str, ...],
    doc: str | None,
    refs: tuple[str, ...],
    max_size: float | None,
    trust: tuple[str, ...],
    as_json: bool,
) -> None:
    """Store each FILE unchanged, with its document, parties and signature status."""
    given = {}
    for ref in refs:
        key, sep, value = ref.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{ref!r} is not KEY=VALUE", param_hint="--ref")
        given[key.strip()] = value.strip()
    arch = _open(ctx, trust, max_size)
    results: list[api.AddResult] = []
    for n, f in enumerate(files):  # one at a time, each reported as soon as it is stored
        try:
            r = arch.add(f, doc=doc, refs=given)
        except ApformsError as exc:  # the archive itself cannot take it: the others would fail too
            untried = f"; not tried: {len(files) - n - 1} file(s) after it" if n + 1 < len(files) else ""
            click.echo(safe_text(f"apforms: stopped at {f}: {exc}{untried}"), err=True)
            if as_json:
                click.echo(dump([_add_json(r) for r in results]))
            sys.exit(EXIT_CANNOT_RUN)
        results.append(r)
        if not as_json:
            _report_add(r)
    if as_json:
        click.echo(dump([_add_json(r) for r in results]))
    if any(r.entry is None for r in results):
        sys.exit(EXIT_CANNOT_RUN)


def _report_add(r: api.AddResult) -> None:
    if r.entry is None:
        click.echo(safe_text(f"apforms: refused {r.source}: {r.reason}"), err=True)
        return
    e = r.entry
    what = "added" if r.outcome == "added" else "already in the archive:"
    click.echo(
        safe_text(f"{what} {e.short_id}  {e.document} {e.version}  {_status(e.signature_status)}  {r.source}")
    )
    if r.read_from:
        click.echo(f"  its record was read from {RETURN_KINDS.get(r.read_from, r.read_from)}")
    for w in r.warnings:
        click.echo(f"  warning: {safe_text(w)}", err=True)


def _add_json(r: api.AddResult) -> dict[str, Any]:
    return {
        "file": r.source,
        "outcome": r.outcome,
        "id": r.entry.id if r.entry else None,
        "reason": r.reason,
        "warnings": r.warnings,
    }


def _status(status: str) -> str:
    return status.replace("_", " ")


@archive.command("list")
@_filter_options
@click.option("--all", "include_disposed", is_flag=True, help="Include disposed entries (tombstones).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
@click.pass_context
def list_(ctx: click.Context, /, as_json: bool, **kw: Any) -> None:
    """List archived files (newest last), optionally filtered."""
    arch = _open(ctx)
    filters = _filters(**kw)
    entries = arch.entries(filters)
    _not_logged(arch.listed("list", entries, filters))
    if as_json:
        click.echo(dump([{"id": e.id, **arch.describe(e)} for e in entries]))
        return
    if not entries:
        click.echo("no entries")
        return
    header = ("ID", "ADDED", "DOCUMENT", "SIGNATURES", "PROVIDER", "SCHOOL", "UPN", "KEEP UNTIL")
    rows = [header] + [tuple(safe_text(c) for c in _row(arch, e)) for e in entries]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _row(arch: api.Archive, e: api.Entry) -> tuple[str, ...]:
    kept = arch.retention(e)
    status = "disposed" if e.state == "disposed" else _status(e.signature_status)
    return (
        e.short_id,
        e.added_at[:10],
        f"{e.document} {e.version}",
        status,
        _cut(e.parties.get("provider", "")),
        _cut(e.parties.get("school", "")),
        e.parties.get("upn", ""),
        kept.until.isoformat() if kept.until else "unknown",
    )


def _not_logged(reason: str | None) -> None:
    """A look the audit log could not record (a catalogue that takes no writes) says so."""
    if reason:
        click.echo(safe_text(f"note: this is not in the audit log: {reason}"), err=True)


def _cut(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@archive.command()
@click.argument("entry_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Everything, including the record read from the form.")
@click.pass_context
def show(ctx: click.Context, entry_id: str, as_json: bool) -> None:
    """Show one entry: document, parties, signatures, retention, and who added it when."""
    arch = _open(ctx)
    e = arch.find(entry_id)
    _not_logged(arch.shown(e))
    info = arch.describe(e)
    if as_json:
        click.echo(dump({**info, "record": e.record}))
        return
    lines = [
        e.id,
        f"  document:    {e.document} {e.version} ({'read from the form' if e.detected else 'as given'})",
        f"  file:        {e.filename}, {e.size:,} bytes",
        *(f"  {p + ':':<12} {e.parties[p]}" for p in ("provider", "school", "upn") if p in e.parties),
        *(f"  ref:         {key}={value}" for key, value in e.refs.items()),
        f"  added:       {e.added_at} by {e.added_by}",
        f"  signatures:  {_status(e.signature_status)}",
        *(f"    - {line}" for line in info["signatures"]),
    ]
    kept = arch.retention(e)
    lines += [f"  keep until:  {kept.describe()}", *(f"    - {line}" for line in kept.basis)]
    if e.state == "disposed":
        lines.append(f"  DISPOSED:    {e.disposed_at} by {e.disposed_by}: {e.disposal_reason}")
    lines += [f"  warning:     {w}" for w in e.warnings]
    for line in lines:
        click.echo(safe_text(line))


@archive.command()
@click.argument("entry_id", metavar="ID")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@mode_option
@click.pass_context
def get(ctx: click.Context, entry_id: str, out: str, mode: int) -> None:
    """Write exactly the bytes that were added (checked against their SHA-256)."""
    click.echo(f"wrote {_open(ctx).get(entry_id, out, mode=mode)}")


@archive.command()
@_filter_options
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="Zip file to write.")
@click.option("--reason", default="", help="Why they are exported (required; kept in the audit log).")
@mode_option
@click.pass_context
def export(ctx: click.Context, /, out: str, reason: str, mode: int, **kw: Any) -> None:
    """A zip of the selected files and a manifest (JSON and CSV), e.g. for an inspection."""
    if not reason.strip():
        click.echo(
            "apforms: archive export needs --reason: say why the copies are exported "
            "(it is kept in the audit log)",
            err=True,
        )
        sys.exit(EXIT_CANNOT_RUN)
    entries = _open(ctx).export(_filters(**kw), out, mode=mode, reason=reason)
    click.echo(f"wrote {out}: {len(entries)} file(s) and a manifest")


@archive.command()
@click.option("--signatures", "check_signatures", is_flag=True, help="Also re-validate digital signatures.")
@trust_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@click.pass_context
def verify(ctx: click.Context, check_signatures: bool, trust: tuple[str, ...], as_json: bool) -> None:
    """Check the catalogue against its hash chain and checkpoint, and re-hash every stored file;
    report every entry changed, added or removed outside apforms, a cut audit log, a replaced
    catalogue, and missing, altered and unreadable files. Exit 1 if any."""
    report = _open(ctx, trust).verify(check_signatures)
    if as_json:
        click.echo(dump(report.as_dict()))
    else:
        _print_verify(report, check_signatures)
    if not report.ok:
        sys.exit(EXIT_PROBLEMS)


def _print_verify(report: Any, check_signatures: bool) -> None:  # an archive VerifyReport
    for label, ids in (
        ("MISSING", report.missing),
        ("ALTERED", report.altered),
        ("UNREADABLE", report.unreadable),
    ):
        for i in ids:
            click.echo(f"{label:<10} {i}")
    for i, problem in report.signature_problems:
        click.echo(safe_text(f"SIGNATURE  {i}  {problem}"))
    for i, problem in report.known_broken:
        click.echo(safe_text(f"note: {i[:12]} {problem} (already so when it was added)"))
    for problem in report.audit_problems:
        click.echo(f"AUDIT LOG  {problem}")
    for p in report.catalogue_problems:
        click.echo(safe_text(f"{p.kind.upper():<10} {p.message}"))
    for note in report.notes:
        click.echo(f"note: {note}")
    sigs = f", {report.signatures_checked} digital signature(s) re-checked" if check_signatures else ""
    verdict = "all intact" if report.ok else "PROBLEMS FOUND"
    head = report.head
    click.echo(
        f"verified {report.checked} file(s) and the catalogue (audit log of {head.events} event(s), "
        f"head {head.hash[:16] or '-'}){sigs}: {verdict}"
    )
    leftovers = report.leftovers
    if leftovers.get("unrecorded_files"):
        click.echo(
            f"note: {leftovers['unrecorded_files']} stored file(s) without an entry "
            "(an add was interrupted, or an entry was removed; adding the file again adopts it)"
        )
    if leftovers.get("disposed_files"):
        click.echo(
            f"note: {leftovers['disposed_files']} file(s) of disposed entries still on disk "
            "(a disposal was interrupted; it is completed when the catalogue is sound)"
        )
    if report.not_logged:
        click.echo(safe_text(f"note: this verify is not in the audit log: {report.not_logged}"))


@archive.command()
@today_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
@click.pass_context
def due(ctx: click.Context, today: str | None, as_json: bool) -> None:
    """List what has passed its retention date (and what cannot be dated)."""
    arch = _open(ctx)
    report = arch.due(_today(today))
    _not_logged(arch.listed("due", [i.entry for i in report.due + report.unknown]))
    if as_json:
        click.echo(
            dump(
                {
                    "today": report.today.isoformat(),
                    "due": [{"id": i.entry.id, **arch.describe(i.entry)} for i in report.due],
                    "unknown": [{"id": i.entry.id, **arch.describe(i.entry)} for i in report.unknown],
                }
            )
        )
        return
    if not report.due:
        click.echo(f"nothing has passed its retention date on {report.today.isoformat()}")
    for item in report.due:
        e, kept = item.entry, item.retention
        action = "REVIEW" if kept.action == "review" else "dispose"
        party = e.parties.get("provider") or e.parties.get("school") or e.parties.get("upn") or ""
        click.echo(
            safe_text(f"{e.short_id}  {e.document:<16} kept until {kept.describe():<24} {action:<8} {party}")
        )
    for item in report.unknown:
        e = item.entry
        click.echo(safe_text(f"{e.short_id}  {e.document:<16} retention {item.retention.describe()}"))


@archive.command()
@click.argument("entry_id", metavar="ID")
@click.option("--reason", required=True, help="Why it is disposed of (kept in the tombstone).")
@click.option("--early", is_flag=True, help="Dispose of it before its retention date.")
@today_option
@click.pass_context
def dispose(ctx: click.Context, entry_id: str, reason: str, early: bool, today: str | None) -> None:
    """Remove a file past retention, keeping a tombstone (hash, metadata, reason, date, user)."""
    e = _open(ctx).dispose(entry_id, reason, _today(today), early=early)
    click.echo(f"disposed of {e.short_id} ({e.document}); tombstone kept: {e.disposed_at} by {e.disposed_by}")


@archive.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable log.")
@click.pass_context
def log(ctx: click.Context, as_json: bool) -> None:
    """Print the audit log: every add, list, show, get, export, verify, due and dispose."""
    events = _open(ctx).audit_log()
    if as_json:
        click.echo(dump([{k: v for k, v in vars(e).items() if k not in ("prev", "fields")} for e in events]))
        return
    for e in events:
        target = e.entry_id[:12] if e.entry_id else "-"
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if not isinstance(v, list | dict))
        click.echo(safe_text(f"{e.seq:>5}  {e.at}  {e.user:<10} {e.action:<12} {target:<12} {detail}"))


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key", required=True, type=click.Path(exists=True, dir_okay=False), help="Private key (PEM/DER)."
)
@click.option(
    "--cert", required=True, type=click.Path(exists=True, dir_okay=False), help="Certificate (PEM/DER)."
)
@click.option("--field", "field_name", required=True, help="Signature field, e.g. signatures.provider.")
@click.option("--passphrase", envvar="APFORMS_KEY_PASSPHRASE", help="The key's passphrase, if it has one.")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="File to write (default FILE-signed.pdf).")
def sign(file: str, key: str, cert: str, field_name: str, passphrase: str | None, out: str | None) -> None:
    """Sign FILE digitally (PAdES) in a signature field, for those who sign digitally."""
    click.echo(f"signed {field_name}: wrote {api.sign_pdf(file, key, cert, field_name, passphrase, out)}")


COMMANDS = (archive, sign)

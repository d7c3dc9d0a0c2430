"""``apforms render``, ``blank``, ``ingest`` and ``demo``: documents written and read back."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from apforms import api
from apforms.cli import (
    EXIT_CANNOT_RUN,
    EXIT_OK,
    EXIT_PROBLEMS,
    MODE_HELP,
    RETURN_KINDS,
    doc_choice,
    read_record,
    safe_text,
)
from apforms.errors import PasswordRequired

_FORMAT_HELP = "docx or pdf [default: from the output file's extension, else docx]."
_CONFIG_HELP = (
    "The council's configuration: name, logo and LA contact on the form "
    "(default: $APFORMS_CONFIG, else Derby's)."
)
_TEMPLATE_HELP = (
    "Word only: a restyled copy of the template (apforms template DOC), checked against the form first."
)


@click.command()
@click.argument("record", metavar="RECORD|-")
@click.option("-f", "--format", "fmt", type=click.Choice(api.FORMATS), default=None, help=_FORMAT_HELP)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--flatten", is_flag=True, help="PDF only: a final copy whose fields cannot be edited.")
@click.option("--template", type=click.Path(dir_okay=False), help=_TEMPLATE_HELP)
@click.option("--config", type=click.Path(dir_okay=False), help=_CONFIG_HELP)
@click.option("--mode", default=None, metavar="OCTAL", help=MODE_HELP)
def render(
    record: str,
    fmt: str | None,
    out: str,
    flatten: bool,
    template: str | None,
    config: str | None,
    mode: str | None,
) -> None:
    """Render a record as the council's form; empty fields are left blank to fill by hand.
    The file is private (0600) unless --mode or the configuration says otherwise."""
    rec = read_record(record)
    result = api.render(
        rec, api.output_format(fmt, out), out, flatten=flatten, template=template, config=config, mode=mode
    )
    if result.problems:
        click.echo(f"{safe_text(record)}: not rendered, {len(result.problems)} problem(s):", err=True)
        for p in result.problems:
            click.echo(f"  {safe_text(p)}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if result.missing:
        click.echo(f"warning: {len(result.missing)} required field(s) left blank:", err=True)
        for p in result.missing:
            click.echo(f"  {safe_text(p.label)} ({safe_text(p.path)})", err=True)
    click.echo(f"wrote {safe_text(result.path)}")


@click.command()
@click.argument("doc", type=doc_choice())
@click.option("-f", "--format", "fmt", type=click.Choice(api.FORMATS), default=None, help=_FORMAT_HELP)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--template", type=click.Path(dir_okay=False), help=_TEMPLATE_HELP)
@click.option(
    "--rows",
    "rows",
    multiple=True,
    metavar="TABLE=N",
    help="Print N blank rows in a table or list (its key path, e.g. provision.costings=12); repeatable.",
)
@click.option("--config", type=click.Path(dir_okay=False), help=_CONFIG_HELP)
def blank(
    doc: str, fmt: str | None, out: str, template: str | None, rows: tuple[str, ...], config: str | None
) -> None:
    """Write the empty DOC form, to fill in by hand."""
    counts: dict[str, int] = {}
    for given in rows:
        table, sep, n = given.partition("=")
        if not sep or not n.strip().isdigit():
            hint = f"{given!r}: write TABLE=N, e.g. provision.costings=12"
            raise click.BadParameter(hint, param_hint="--rows")
        counts[table.strip()] = int(n)
    path = api.blank(doc, api.output_format(fmt, out), out, template, counts, config)
    click.echo(f"wrote {safe_text(path)}")


@click.command("template")
@click.argument("doc", type=doc_choice())
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write (.docx).")
def word_template(doc: str, out: str) -> None:
    """Write a copy of DOC's Word template, to restyle in Word and use with --template."""
    click.echo(f"wrote {safe_text(api.word_template(doc, out))}")


@click.command()
@click.argument("sources", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--out",
    type=click.Path(),
    help="Record file [default: FILE.json]; with several files, a folder or an existing folder "
    "given here, the folder to write the records to [default: beside each file].",
)
@click.option("--password", default=None, help="The password of a protected PDF (asked for when not given).")
@click.option("--mode", default=None, metavar="OCTAL", help=MODE_HELP)
def ingest(sources: tuple[str, ...], out: str | None, password: str | None, mode: str | None) -> None:
    """Read a returned form (PDF, or a Word document rendered by apforms) into a record file.
    Exit 1 if its values have problems or a warning names a field to check (the record is
    still written, private: 0600 unless --mode says otherwise); 2 if the file is refused
    (nothing is written). A password-protected PDF is opened with --password, or the
    password is asked for (not shown). Several files, or a folder (its PDF, Word and scanned
    returns), are read one after another: a file that is refused is named with its reason,
    the others are still read, and the exit code is 2 if any was refused."""
    if len(sources) == 1 and not Path(sources[0]).is_dir() and not (out and Path(out).is_dir()):
        sys.exit(_ingest_one(sources[0], out, password, mode))
    sys.exit(_ingest_many(sources, out, password, mode))


def _ingest_one(pdf: str, out: str | None, password: str | None, mode: str | None) -> int:
    """One return, into ``out`` (not a folder: ``ingest`` sends those to ``_ingest_many``) or
    beside it; a refused file is the usual one-line error."""
    try:
        read = api.ingest(pdf, out, password, mode)
    except PasswordRequired:
        if password is not None or not can_ask():
            raise
        read = api.ingest(pdf, out, click.prompt("Password", hide_input=True, err=True), mode)
    return _report(pdf, read)


def _ingest_many(sources: tuple[str, ...], out: str | None, password: str | None, mode: str | None) -> int:
    """Each return in turn, each reported as it is read; refused files named with their reason."""
    counts = {"read": 0, "review": 0, "refused": 0}
    for outcome in api.ingest_each(sources, out, password, mode):
        if outcome.read is None:
            counts["refused"] += 1
            click.echo(safe_text(f"apforms: refused {outcome.source}: {outcome.reason}"), err=True)
            continue
        counts["read"] += 1
        if _report(str(outcome.source), outcome.read) != EXIT_OK:
            counts["review"] += 1
    total = counts["read"] + counts["refused"]
    if not total:
        kinds = ", ".join(sorted(s.lstrip(".").upper() for s in api.RETURN_SUFFIXES))
        click.echo(f"apforms: no returns to read (files ending {kinds})", err=True)
        return EXIT_CANNOT_RUN
    click.echo(
        f"{total} file(s): {counts['read']} read ({counts['review']} with problems or to review), "
        f"{counts['refused']} refused"
    )
    if counts["refused"]:
        return EXIT_CANNOT_RUN
    return EXIT_PROBLEMS if counts["review"] else EXIT_OK


def _report(pdf: str, read: api.IngestFileResult) -> int:
    """What was read from one return, and its exit code (0, or 1 with problems or doubts)."""
    result = read.result
    for w in result.warnings:
        click.echo(f"warning: {safe_text(w)}", err=True)
    how = RETURN_KINDS.get(result.method, result.method)
    shown = safe_text(pdf)
    what = f"{result.definition.id} {result.form_version}, read from {how}"
    click.echo(f"wrote {safe_text(read.path)} ({what})")
    if not result.ok:
        click.echo(f"{shown}: {len(result.validation.problems)} problem(s):")
        for p in result.validation.problems:
            click.echo(f"  {safe_text(p)}")
    review = result.review
    if review:
        check = f"check {len(review)} field(s) named above against the returned form"
        click.echo(f"{shown}: needs review: {check}")
    elif result.needs_review:
        why = f"read from {how}" if result.method in ("word-pdf", "scanned") else "see the warnings above"
        click.echo(f"{shown}: needs review: {why}; check every value against the returned form")
    return EXIT_OK if result.ok and not result.needs_review else EXIT_PROBLEMS


def can_ask() -> bool:
    """Whether there is a person at a terminal to ask for a password."""
    return sys.stdin.isatty()


@click.command()
@click.option("-o", "--out", "out_dir", default="output", show_default=True, help="Folder to write to.")
def demo(out_dir: str) -> None:
    """Write every example record and output into a folder (default output/)."""
    # The demo program is the one thing here that is not the API: it sits between the CLI
    # and the API (see the layers in pyproject.toml). Imported only when it runs.
    from apforms._demo import demo as run_demo

    result = run_demo(out_dir)
    for path, what in result.written:
        click.echo(f"  {safe_text(path)}  ({what})")
    for note in result.notes:
        click.echo(f"  {note}")
    click.echo(f"apforms demo: {len(result.written)} files written to {result.out_dir}/")
    _web_demo(result.out_dir)


def _web_demo(out_dir: Any) -> None:
    """The same examples in the web app, and how to open it."""
    from pathlib import Path

    from apforms import web

    folder, passwords = web.demo_folder(Path(out_dir) / "web")
    click.echo("")
    click.echo("The web app, with the demo's records loaded (fictional):")
    # the demo is in the folder's own database, never on a shared server the setting names
    unset = "APFORMS_DATABASE_URL= " if os.environ.get("APFORMS_DATABASE_URL") else ""
    click.echo(f"  {unset}apforms serve --data {folder}")
    click.echo("  then open http://127.0.0.1:8000/ and sign in as")
    for email, account in passwords.items():
        click.echo(f"    {email}  password {account['password']}")
        if account["totp_secret"]:
            click.echo(f"      two-factor secret {account['totp_secret']} (add it to an authenticator app)")


COMMANDS = (render, blank, word_template, ingest, demo)

"""The ``apforms`` command: a thin click layer over :mod:`apforms.api`.

This module holds the ``main`` group, the helpers every command shares and the one place
errors become messages; the commands live in a module per topic (``documents``, ``render``,
``checks``, ``bulk``, ``archive``). They import only ``apforms.api``, ``apforms.errors`` and
the facade (the contract in ``pyproject.toml`` checks it), plus ``apforms._demo`` for the
``demo`` command; this module also uses ``apforms.safe``, a base module like ``errors``, for
:func:`safe_text`.

Anything read from a file (a value, a name, a message that quotes one) is printed through
:func:`safe_text`, so that it can neither drive the terminal nor forge a line of output.

Exit codes everywhere: 0 ok; 1 the input has problems (all listed); 2 the command cannot
run (bad usage, unreadable or foreign file), with a one-line message and never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from apforms import api
from apforms.errors import ApformsError
from apforms.safe import clip, json_text, visible

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2


class _Group(click.Group):
    """Turns every ApformsError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApformsError as exc:
            click.echo(f"apforms: {safe_text(clip(str(exc), _LINE_MAX))}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:  # a file or folder the library did not expect to fail
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"apforms: {safe_text(exc.strerror or exc)}{safe_text(where)}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)
        except Exception as exc:  # last resort: one line, never a traceback
            message = f"internal error ({type(exc).__name__}): {safe_text(clip(str(exc), _MESSAGE_MAX))}"
            click.echo(f"apforms: {message}; please report it", err=True)
            ctx.exit(EXIT_CANNOT_RUN)


#: The most of an unexpected exception's message printed (it may quote a whole value), and
#: of apforms' own (which quote at most a short prefix of a value, but may name long paths).
_MESSAGE_MAX, _LINE_MAX = 200, 2000


def safe_text(text: object) -> str:
    """``text`` (a value read from a file, a file name, or a message that quotes one) as it may
    be printed on one line: control characters, line breaks and bidirectional overrides shown
    as escapes (``\\x1b``, ``\\n``, ``\\u202e``; :func:`apforms.safe.visible`)."""
    return visible(str(text))


def doc_choice() -> click.Choice[str]:
    """The document ids, for an argument or option naming a document."""
    return click.Choice(api.document_ids())


def read_record(source: str) -> api.Record:
    """The record in the file ``source``, or on standard input for ``-``; a returned PDF form
    is read as ``ingest`` reads it, and a note on standard error says so."""
    record = api.read_record("<stdin>", sys.stdin.buffer) if source == "-" else api.read_record(source)
    provenance = api.read_from_return(record)
    if provenance is not None:
        how = RETURN_KINDS.get(str(provenance.get("read_from")), "a return")
        click.echo(f"note: {safe_text(source)}: read from {how}", err=True)
        for w in provenance.get("warnings") or ():
            click.echo(f"warning: {safe_text(w)}", err=True)
    return record


#: The help of every --mode option.
MODE_HELP = (
    "The written files' mode, in octal (default: the configuration's files.mode, else 0600: "
    "only you can read them; 0640 lets your group read them too)."
)

#: How each way of reading a return is named in the note that says a record came from one.
RETURN_KINDS = {
    "fields": "the returned PDF (form fields)",
    "flattened": "the returned PDF (flattened page)",
    "word": "the returned Word document",
    "word-pdf": "a Word form printed to PDF (by its labels)",
    "scanned": "a scan of the returned form (by OCR: check every value)",
}


def dump(obj: Any) -> str:
    """JSON for ``--json`` output: indented, and names in their own letters."""
    return json_text(obj)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="apforms")
def main() -> None:
    """Alternative provision forms as data: referral, commissioning, SLA, QA, improvement plan."""


# The commands, by topic; imported here, below the helpers they use.
from apforms.cli import archive, bulk, checks, documents, render, web  # noqa: E402

for _topic in (documents, render, checks, bulk, archive, web):
    for _command in _topic.COMMANDS:
        main.add_command(_command)

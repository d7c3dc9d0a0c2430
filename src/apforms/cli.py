"""The ``apforms`` command: a thin click layer over :mod:`apforms.api`.

Exit codes everywhere: 0 ok; 1 the input has problems (all listed); 2 the command cannot
run (bad usage, unreadable or foreign file), with a one-line message and never a traceback.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from apforms import api
from apforms.definitions import document_ids
from apforms.errors import ApformsError

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2


class _Group(click.Group):
    """Turns every ApformsError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApformsError as exc:
            click.echo(f"apforms: {exc}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)


def _doc_choice() -> click.Choice:
    return click.Choice(document_ids())


def _read_record(source: str) -> api.Record:
    if source == "-":
        return api.read_record("<stdin>", sys.stdin.buffer.read())
    return api.read_record(source)


def _dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="apforms")
def main() -> None:
    """Alternative provision forms as data: referral, commissioning, SLA, QA, improvement plan."""


@main.command()
def documents() -> None:
    """List the documents: id, title and definition version."""
    for d in api.documents():
        click.echo(f"{d.id:<17} {d.version:<6} {d.title}")


@main.command()
@click.argument("doc", type=_doc_choice())
def example(doc: str) -> None:
    """Print a complete fictional example record of DOC."""
    click.echo(_dump(api.example(doc)))


@main.command()
@click.argument("doc", type=_doc_choice())
@click.option("--json-schema", "as_json_schema", is_flag=True, help="Print a JSON Schema (2020-12).")
def schema(doc: str, as_json_schema: bool) -> None:
    """Print the definition of DOC (the YAML file), or a JSON Schema of its records."""
    if as_json_schema:
        click.echo(_dump(api.json_schema(doc)))
    else:
        from apforms.definitions import schemas_dir

        click.echo((schemas_dir() / f"{doc}.yaml").read_text(encoding="utf-8"), nl=False)


@main.command()
@click.argument("record", metavar="FILE|-")
@click.option("--partial", is_flag=True, help="Allow required fields to be empty (pre-filling).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
def validate(record: str, partial: bool, as_json: bool) -> None:
    """Check a record file; list every problem by the form's label. Exit 1 if any."""
    rec = _read_record(record)
    result = api.validate(rec, partial=partial)
    if as_json:
        click.echo(
            _dump(
                {
                    "document": rec.definition.id,
                    "version": rec.definition.version,
                    "valid": result.ok,
                    "problems": [p.as_dict() for p in result.problems],
                    "missing_required": [p.as_dict() for p in result.missing],
                }
            )
        )
    elif result.ok:
        note = f" ({len(result.missing)} required fields still empty)" if result.missing else ""
        click.echo(f"{record}: valid {rec.definition.id} record{note}")
    else:
        click.echo(f"{record}: {len(result.problems)} problem(s) in this {rec.definition.id} record:")
        for p in result.problems:
            click.echo(f"  {p}")
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@main.command()
@click.argument("record", metavar="RECORD|-")
@click.option("-f", "--format", "fmt", type=click.Choice(api.FORMATS), default="docx", show_default=True)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--flatten", is_flag=True, help="PDF only: a final copy whose fields cannot be edited.")
def render(record: str, fmt: str, out: str, flatten: bool) -> None:
    """Render a record as the council's form; empty fields are left blank to fill by hand."""
    rec = _read_record(record)
    result = api.render(rec, fmt, out, flatten=flatten)
    if result.problems:
        click.echo(f"{record}: not rendered, {len(result.problems)} problem(s):", err=True)
        for p in result.problems:
            click.echo(f"  {p}", err=True)
        sys.exit(EXIT_PROBLEMS)
    if result.missing:
        click.echo(f"warning: {len(result.missing)} required field(s) left blank:", err=True)
        for p in result.missing:
            click.echo(f"  {p.label} ({p.path})", err=True)
    click.echo(f"wrote {result.path}")


@main.command()
@click.argument("doc", type=_doc_choice())
@click.option("-f", "--format", "fmt", type=click.Choice(api.FORMATS), default="docx", show_default=True)
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
def blank(doc: str, fmt: str, out: str) -> None:
    """Write the empty DOC form, to fill in by hand."""
    click.echo(f"wrote {api.blank(doc, fmt, out)}")


@main.command()
@click.option("-o", "--out", "out_dir", default="output", show_default=True, help="Folder to write to.")
def demo(out_dir: str) -> None:
    """Write every example record and output into a folder (default output/)."""
    result = api.demo(out_dir)
    for path, what in result.written:
        click.echo(f"  {path}  ({what})")
    click.echo(f"apforms demo: {len(result.written)} files written to {result.out_dir}/")

"""``apforms documents``, ``example``, ``schema`` and ``validate``: the definitions and records."""

from __future__ import annotations

import sys

import click

from apforms import api
from apforms.cli import EXIT_OK, EXIT_PROBLEMS, doc_choice, dump, read_record, safe_text


@click.command()
def documents() -> None:
    """List the documents: id, title and definition version."""
    for d in api.documents():
        click.echo(f"{d.id:<17} {d.version:<6} {d.title}")


@click.command()
@click.argument("doc", type=doc_choice())
def example(doc: str) -> None:
    """Print a complete fictional example record of DOC."""
    click.echo(dump(api.example(doc)))


@click.command()
@click.argument("doc", type=doc_choice())
@click.option("--json-schema", "as_json_schema", is_flag=True, help="Print a JSON Schema (2020-12).")
def schema(doc: str, as_json_schema: bool) -> None:
    """Print the definition of DOC (the YAML file), or a JSON Schema of its records."""
    if as_json_schema:
        click.echo(dump(api.json_schema(doc)))
    else:
        click.echo(api.definition_text(doc), nl=False)


@click.command()
@click.argument("record", metavar="FILE|-")
@click.option("--partial", is_flag=True, help="Allow required fields to be empty (pre-filling).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
def validate(record: str, partial: bool, as_json: bool) -> None:
    """Check a record file; list every problem by the form's label. Exit 1 if any."""
    rec = read_record(record)
    result = api.validate(rec, partial=partial)
    if as_json:
        click.echo(
            dump(
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
        click.echo(f"{safe_text(record)}: valid {rec.definition.id} record{note}")
    else:
        count = len(result.problems)
        click.echo(f"{safe_text(record)}: {count} problem(s) in this {rec.definition.id} record:")
        for p in result.problems:
            click.echo(f"  {safe_text(p)}")
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


COMMANDS = (documents, example, schema, validate)

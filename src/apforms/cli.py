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
    for note in result.notes:
        click.echo(f"  {note}")
    click.echo(f"apforms demo: {len(result.written)} files written to {result.out_dir}/")


# --------------------------------------------------------------------------- bulk


@main.group()
def bulk() -> None:
    """Many documents at once: one SLA per school and provider from a placements sheet."""


@bulk.command("sla")
@click.option("--placements", required=True, help="CSV or XLSX: one row per pupil at a provider.")
@click.option("--providers", required=True, help="CSV or XLSX: one row per provider.")
@click.option("--schools", required=True, help="CSV or XLSX: one row per school.")
@click.option("-o", "--out", "out_dir", required=True, help="Folder for the SLAs and the manifest.")
@click.option("-f", "--format", "fmt", default="docx,pdf", show_default=True, help="docx, pdf or both.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="Processes (default: cores).")
@click.option("--allow-unregistered", is_flag=True, help="Also produce SLAs for flagged providers.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Local thresholds file.")
def bulk_sla_cmd(
    placements: str,
    providers: str,
    schools: str,
    out_dir: str,
    fmt: str,
    jobs: int | None,
    allow_unregistered: bool,
    config_path: str | None,
) -> None:
    """Write a ready-to-sign SLA for every school–provider pair. Exit 1 if anything was skipped."""
    from apforms import bulk as bulk_lib
    from apforms.config import load_config

    formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
    if not formats or set(formats) - set(api.FORMATS):
        raise click.BadParameter(f"use docx, pdf or docx,pdf (not {fmt!r})", param_hint="--format")
    thresholds = load_config(config_path).registration
    bar: dict[str, Any] = {}

    def start_bar(plan: bulk_lib.Plan) -> None:
        if sys.stderr.isatty():
            bar["bar"] = click.progressbar(length=len(plan.pairs), label="SLAs", file=sys.stderr)
            bar["bar"].__enter__()

    def step(n: int) -> None:
        if "bar" in bar:
            bar["bar"].update(n)

    try:
        result = bulk_lib.bulk_sla(
            placements, providers, schools, out_dir, thresholds, formats, jobs,
            allow_unregistered, progress=step, on_plan=start_bar,
        )  # fmt: skip
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    _bulk_summary(result)
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


def _bulk_summary(result: Any) -> None:
    from apforms.bulk.run import FAILED, UNCHANGED, WITHHELD, WRITTEN

    for p in result.problems:
        click.echo(f"skipped: {p}")
    for w in result.warnings:
        click.echo(f"warning: {w}")
    for r in result.results:
        if r.status in (WITHHELD, FAILED):
            click.echo(f"{r.status}: {r.pair.names[0]} – {r.pair.names[1]}: {r.error}")
    flagged = [r for r in result.results if r.pair.flag and r.status != WITHHELD]
    for r in flagged:
        click.echo(f"flagged (produced with --allow-unregistered): {r.pair.flag.summary()}")
    click.echo(
        f"{len(result.results)} pair(s): {result.count(WRITTEN)} written, {result.count(UNCHANGED)} "
        f"unchanged, {result.count(WITHHELD)} withheld, {result.count(FAILED)} failed; "
        f"{len(result.problems)} row problem(s). Manifest: {result.manifest[0]}"
    )


@bulk.command("template")
@click.argument("kind", type=click.Choice(["placements", "providers", "schools"]))
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--out", default=None, help="File to write (default: KIND.csv or KIND.xlsx).")
def bulk_template(kind: str, fmt: str, out: str | None) -> None:
    """Write an empty input file with the expected headers and one example row."""
    from apforms import bulk as bulk_lib

    click.echo(f"wrote {bulk_lib.write_template(kind, out or f'{kind}.{fmt}', fmt)}")

"""The ``apforms`` command: a thin click layer over :mod:`apforms.api`.

Exit codes everywhere: 0 ok; 1 the input has problems (all listed); 2 the command cannot
run (bad usage, unreadable or foreign file), with a one-line message and never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

import click

from apforms import api
from apforms.errors import ApformsError
from apforms.model.definitions import document_ids

EXIT_OK, EXIT_PROBLEMS, EXIT_CANNOT_RUN = 0, 1, 2


class _Group(click.Group):
    """Turns every ApformsError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ApformsError as exc:
            click.echo(f"apforms: {exc}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:  # a file or folder the library did not expect to fail
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(f"apforms: {exc.strerror or exc}{where}", err=True)
            ctx.exit(EXIT_CANNOT_RUN)
        except Exception as exc:  # last resort: one line, never a traceback
            click.echo(f"apforms: internal error ({type(exc).__name__}): {exc}; please report it", err=True)
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
        from apforms.model.definitions import schemas_dir

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
@click.option(
    "-f", "--format", "fmt", type=click.Choice(api.FORMATS), default=None,
    help="docx or pdf [default: from the output file's extension, else docx].",
)  # fmt: skip
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--flatten", is_flag=True, help="PDF only: a final copy whose fields cannot be edited.")
def render(record: str, fmt: str | None, out: str, flatten: bool) -> None:
    """Render a record as the council's form; empty fields are left blank to fill by hand."""
    rec = _read_record(record)
    result = api.render(rec, api.output_format(fmt, out), out, flatten=flatten)
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
@click.option(
    "-f", "--format", "fmt", type=click.Choice(api.FORMATS), default=None,
    help="docx or pdf [default: from the output file's extension, else docx].",
)  # fmt: skip
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
def blank(doc: str, fmt: str | None, out: str) -> None:
    """Write the empty DOC form, to fill in by hand."""
    click.echo(f"wrote {api.blank(doc, api.output_format(fmt, out), out)}")


@main.command()
@click.argument("pdf", metavar="FILE.pdf", type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Record file [default: FILE.json].")
def ingest(pdf: str, out: str | None) -> None:
    """Read a returned PDF form into a record file. Exit 1 if its values have problems
    (the record is still written); 2 if the file is refused (nothing is written)."""
    read = api.ingest(pdf, out)
    result = read.result
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    how = "form fields" if result.method == "fields" else "flattened page"
    click.echo(f"wrote {read.path} ({result.definition.id} {result.form_version}, read from the {how})")
    if not result.ok:
        click.echo(f"{pdf}: {len(result.validation.problems)} problem(s):")
        for p in result.validation.problems:
            click.echo(f"  {p}")
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@main.command()
@click.option("-o", "--out", "out_dir", default="output", show_default=True, help="Folder to write to.")
def demo(out_dir: str) -> None:
    """Write every example record and output into a folder (default output/)."""
    from apforms.demo import demo as run_demo

    result = run_demo(out_dir)
    for path, what in result.written:
        click.echo(f"  {path}  ({what})")
    for note in result.notes:
        click.echo(f"  {note}")
    click.echo(f"apforms demo: {len(result.written)} files written to {result.out_dir}/")


# --------------------------------------------------------------------------- checks and QA


@main.command()
@click.argument("records", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="Local expectations and thresholds (default: $APFORMS_CONFIG, else Derby's).",
)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), hidden=True, help="Check as on this date.")
def check(records: tuple[str, ...], as_json: bool, config: str | None, today: Any) -> None:
    """Check records against the guidance and the law; exit 1 if any error.

    One line per finding, grouped by file, errors first. Checks that need several documents
    (a referral and its SLA, a QA record and its improvement plan) use every file given.
    """
    given = [(source, _read_record(source)) for source in records]
    result = api.check(given, today.date() if today else date.today(), config)
    counts = {s: result.count(s) for s in ("error", "warning", "info")}
    if as_json:
        files = [
            {"file": name, "document": doc, "findings": [f.as_dict() for f in found]}
            for name, doc, found in result.by_file()
        ]
        click.echo(_dump({"ok": result.ok, "counts": counts, "files": files}))
    else:
        for name, doc, found in result.by_file():
            click.echo(f"{name} ({doc}): " + (f"{len(found)} finding(s)" if found else "no findings"))
            for f in found:
                click.echo(f"  {f.line()}")
        words = {"error": "errors", "warning": "warnings", "info": "info"}
        click.echo(
            ", ".join(f"{n} {s if n == 1 else words[s]}" for s, n in counts.items())
            + f" in {len(given)} file(s)"
        )
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@main.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
def rules_cmd(as_json: bool) -> None:
    """List every check: id, severity, what it checks and its source."""
    found = api.rules()
    if as_json:
        click.echo(_dump([r.as_dict() for r in found]))
        return
    for r in found:
        click.echo(f"{r.id:<8} {r.severity:<7} {r.title}  [{r.source}]")


@main.group()
def qa() -> None:
    """The QA framework: the outcome its ratings support."""


@qa.command("outcome")
@click.argument("record", metavar="QA.json|-")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
def qa_outcome(record: str, as_json: bool) -> None:
    """Print the outcome the ratings of a QA record support, and why."""
    result = api.qa_outcome(_read_record(record))
    if as_json:
        click.echo(_dump({**vars(result), "agrees": result.agrees}))
        return
    click.echo(f"The ratings support: {result.supported_label} ({result.supported})")
    for reason in result.reasons:
        click.echo(f"  - {reason}")
    if result.recorded is None:
        click.echo("Recorded outcome: none yet")
    else:
        click.echo(f"Recorded outcome: {result.recorded} ({'agrees' if result.agrees else 'DIFFERS'})")


@main.group("improvement-plan")
def improvement_plan() -> None:
    """Improvement plans after a QA visit."""


@improvement_plan.command("from-qa")
@click.argument("record", metavar="QA.json|-")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
def improvement_plan_from_qa(record: str, out: str) -> None:
    """Draft an improvement plan from a QA record: a row per standard rated below Fully.

    Area and RAG come from the ratings (Not at all and Limited evidence: Red; Partially:
    Amber); actions, by when and who by are left for the provider. Render it with
    ``apforms render``.
    """
    path, plan, problems = api.improvement_plan_from_qa(_read_record(record), out)
    for p in problems:
        click.echo(f"warning: {p}", err=True)
    rows = len(plan["data"]["improvement_plan"].get("plan", []))
    click.echo(f"wrote {path} ({rows} row(s); actions, by when and who by to agree with the provider)")


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
    from apforms.model.config import load_config

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
        if r.removed:
            click.echo(f"removed from an earlier run: {', '.join(r.removed)}")
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


# The archive of signed copies and digital signing (their options and tables: cli_archive.py).
from apforms.cli.archive import archive as _archive_group  # noqa: E402
from apforms.cli.archive import sign as _sign_command  # noqa: E402

main.add_command(_archive_group)
main.add_command(_sign_command)

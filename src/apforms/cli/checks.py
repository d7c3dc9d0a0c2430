"""``apforms check``, ``rules``, ``qa`` and ``improvement-plan``: the guidance and the law."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from apforms import api
from apforms.cli import EXIT_OK, EXIT_PROBLEMS, MODE_HELP, dump, read_record, safe_text


@click.command()
@click.argument("records", nargs=-1, required=True, metavar="FILE...")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable findings.")
@click.option(
    "--config",
    type=click.Path(dir_okay=False),
    help="Local expectations and thresholds (default: $APFORMS_CONFIG, else Derby's).",
)
@click.option(
    "--as-of",
    "--today",
    "today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Check as on this date (YYYY-MM-DD; default today): every dated finding is then reproducible.",
)
def check(records: tuple[str, ...], as_json: bool, config: str | None, today: Any) -> None:
    """Check records against the guidance and the law; exit 1 if any error.

    One line per finding, grouped by file, errors first. Checks that need several documents
    (a referral and its SLA, a QA record and its improvement plan) use every file given.
    """
    given = [(source, read_record(source)) for source in records]
    result = api.check(given, today.date() if today else date.today(), config)
    counts = {s: result.count(s) for s in ("error", "warning", "info")}
    if as_json:
        files = [
            {"file": name, "document": doc, "findings": [f.as_dict() for f in found]}
            for name, doc, found in result.by_file()
        ]
        click.echo(dump({"ok": result.ok, "counts": counts, "files": files}))
    else:
        for name, doc, found in result.by_file():
            summary = f"{len(found)} finding(s)" if found else "no findings"
            click.echo(f"{safe_text(name)} ({doc}): {summary}")
            for f in found:
                click.echo(f"  {safe_text(f.line())}")
        words = {"error": "errors", "warning": "warnings", "info": "info"}
        click.echo(
            ", ".join(f"{n} {s if n == 1 else words[s]}" for s, n in counts.items())
            + f" in {len(given)} file(s)"
        )
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


@click.command("rules")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable list.")
@click.option(
    "--sources", "list_sources", is_flag=True, help="List the documents the sources name (docs/sources.md)."
)
def rules_cmd(as_json: bool, list_sources: bool) -> None:
    """List every check: id, severity, what it checks and its source.

    A source begins with the short name of a public document; ``--sources`` lists those
    documents: title, publisher, date, where to find it, and the checks that cite it.
    """
    if list_sources:
        documents = api.sources()
        if as_json:
            click.echo(dump([s.as_dict() for s in documents]))
            return
        for s in documents:
            click.echo(s.name)
            click.echo(f"  {s.title}")
            click.echo(f"  {s.publisher}; {s.date}")
            click.echo(f"  URL: {s.url or s.url_text}")
            click.echo(f"  Cited by: {', '.join(s.rules) or 'no check (see docs/sources.md)'}")
        return
    found = api.rules()
    if as_json:
        click.echo(dump([r.as_dict() for r in found]))
        return
    for r in found:
        click.echo(f"{r.id:<8} {r.severity:<7} {r.title}  [{r.source}]")


@click.group()
def qa() -> None:
    """The QA framework: the outcome its ratings support."""


@qa.command("outcome")
@click.argument("record", metavar="QA.json|-")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result.")
@click.option(
    "--config", type=click.Path(dir_okay=False), help="Council configuration (the safeguarding gate)."
)
def qa_outcome(record: str, as_json: bool, config: str | None) -> None:
    """Print the outcome the ratings of a QA record suggest, and why (advice: the officer's
    recorded outcome stands; see docs/qa-outcome.md)."""
    result = api.qa_outcome(read_record(record), config)
    if as_json:
        click.echo(dump({**vars(result), "agrees": result.agrees}))
        return
    click.echo(f"The ratings suggest: {result.supported_label} ({result.supported})")
    for reason in result.reasons:
        click.echo(f"  - {safe_text(reason)}")
    if result.recorded is None:
        click.echo("Recorded outcome: none yet")
    else:
        agrees = "agrees" if result.agrees else "DIFFERS"
        click.echo(f"Recorded outcome: {safe_text(result.recorded)} ({agrees})")


@click.group("improvement-plan")
def improvement_plan() -> None:
    """Improvement plans after a QA visit."""


@improvement_plan.command("from-qa")
@click.argument("record", metavar="QA.json|-")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--mode", default=None, metavar="OCTAL", help=MODE_HELP)
def improvement_plan_from_qa(record: str, out: str, mode: str | None) -> None:
    """Draft an improvement plan from a QA record: a row per standard rated below Fully.

    Area and RAG come from the ratings (Not at all and Limited evidence: Red; Partially:
    Amber); actions, by when and who by are left for the provider. Render it with
    ``apforms render``.
    """
    path, plan, problems = api.improvement_plan_from_qa(read_record(record), out, mode)
    for p in problems:
        click.echo(f"warning: {safe_text(p)}", err=True)
    rows = len(plan["data"]["improvement_plan"].get("plan", []))
    left = "actions, by when and who by to agree with the provider"
    click.echo(f"wrote {safe_text(path)} ({rows} row(s); {left})")


@click.group("config")
def config_group() -> None:
    """A council's configuration: thresholds, LA contact, name and logo on the forms."""


@config_group.command("init")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False), help="File to write (.yaml).")
@click.option("--council", required=True, help="The council's name, as printed on its forms.")
def config_init(out: str, council: str) -> None:
    """Write a starting configuration to edit (Derby's values, each with its source), then
    use it with --config FILE or APFORMS_CONFIG=FILE."""
    click.echo(f"wrote {safe_text(api.config_init(out, council))}")
    click.echo("edit la_contact (name, email, phone) and branding (logo) before using it")


COMMANDS = (check, rules_cmd, qa, improvement_plan, config_group)

"""``apforms bulk sla`` and ``bulk template``: one SLA per school and provider, many at once."""

from __future__ import annotations

import sys
from typing import Any

import click

from apforms import api
from apforms.cli import EXIT_OK, EXIT_PROBLEMS, MODE_HELP, safe_text


@click.group()
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
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="The council's configuration: thresholds, and name, logo and LA contact on the SLAs.",
)
@click.option("--mode", default=None, metavar="OCTAL", help=MODE_HELP)
def bulk_sla_cmd(
    placements: str,
    providers: str,
    schools: str,
    out_dir: str,
    fmt: str,
    jobs: int | None,
    allow_unregistered: bool,
    config_path: str | None,
    mode: str | None,
) -> None:
    """Write a ready-to-sign SLA for every school–provider pair. Exit 1 if anything was skipped.
    The SLAs and the manifest are private (0600) unless --mode or the configuration says
    otherwise."""
    formats = tuple(f.strip() for f in fmt.split(",") if f.strip())
    if not formats or set(formats) - set(api.FORMATS):
        raise click.BadParameter(f"use docx, pdf or docx,pdf (not {fmt!r})", param_hint="--format")
    bar: dict[str, Any] = {}

    def start_bar(total: int) -> None:
        if sys.stderr.isatty():
            bar["bar"] = click.progressbar(length=total, label="SLAs", file=sys.stderr)
            bar["bar"].__enter__()

    def step(n: int) -> None:
        if "bar" in bar:
            bar["bar"].update(n)

    try:
        result = api.bulk_sla(
            placements, providers, schools, out_dir, formats, jobs, allow_unregistered,
            config=config_path, progress=step, on_total=start_bar, mode=mode,
        )  # fmt: skip
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)
    _summary(result)
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


def _summary(result: api.BulkResult) -> None:
    """What became of each pair, on standard output: names and messages from the inputs
    through ``safe_text``."""
    for p in result.problems:
        click.echo(f"skipped: {safe_text(p)}")
    for w in result.warnings:
        click.echo(f"warning: {safe_text(w)}")
    for r in result.results:
        if r.status in (api.BULK_WITHHELD, api.BULK_FAILED):
            names = f"{safe_text(r.pair.names[0])} – {safe_text(r.pair.names[1])}"
            click.echo(f"{r.status}: {names}: {safe_text(r.error)}")
        if r.removed:
            click.echo(f"removed from an earlier run: {', '.join(r.removed)}")
    if result.stale_removed:
        click.echo(f"removed from an earlier run (not made now): {', '.join(result.stale_removed)}")
    for name in result.stale_kept:
        click.echo(f"warning: {name}: an earlier run's SLA, not made now, changed since: left in place")
    for r in result.results:
        if r.pair.flag and r.status != api.BULK_WITHHELD:
            click.echo(f"flagged (produced with --allow-unregistered): {safe_text(r.pair.flag.summary())}")
    click.echo(
        f"{len(result.results)} pair(s): {result.count(api.BULK_WRITTEN)} written, "
        f"{result.count(api.BULK_UNCHANGED)} unchanged, {result.count(api.BULK_WITHHELD)} withheld, "
        f"{result.count(api.BULK_FAILED)} failed; {len(result.problems)} row problem(s). "
        f"Manifest: {safe_text(result.manifest[0])}"
    )


@bulk.command("template")
@click.argument("kind", type=click.Choice(["placements", "providers", "schools"]))
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--out", default=None, help="File to write (default: KIND.csv or KIND.xlsx).")
def bulk_template(kind: str, fmt: str, out: str | None) -> None:
    """Write an empty input file with the expected headers and one example row."""
    click.echo(f"wrote {safe_text(api.bulk_template(kind, out or f'{kind}.{fmt}', fmt))}")


COMMANDS = (bulk,)

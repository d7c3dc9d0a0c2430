"""``apforms serve``: the web app, on this computer, with one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from apforms import api
from apforms.cli import EXIT_PROBLEMS, safe_text
from apforms.errors import ConfigError


@click.command()
@click.option("--data", "data_dir", default=None, help="The data folder (default: your user data folder).")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--create-admin", "admin", metavar="EMAIL", default=None, help="Make the first LA administrator."
)
@click.option(
    "--behind-https",
    is_flag=True,
    help="Served to others through an HTTPS proxy: Secure cookies, HSTS (needed for any other --host).",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(
    data_dir: str | None, host: str, port: int, admin: str | None, behind_https: bool, threads: int
) -> None:
    """Start the web app (waitress), with its database and archive in the data folder."""
    from apforms import web

    if host not in web.LOOPBACK and not behind_https:
        raise ConfigError(
            f"--host {host}: other computers would send passwords and children's records in clear; "
            "serve them through an HTTPS proxy and give --behind-https"
        )
    folder = web.configure(data_dir, behind_https, host)
    if admin is not None:
        password = web.create_admin(admin)
        click.echo(
            f"LA administrator {safe_text(admin)}: one-time password {password} (change it at first sign-in)"
        )
    elif not web.has_users():
        if not sys.stdin.isatty():
            raise ConfigError("no accounts yet: give --create-admin EMAIL to make the first LA administrator")
        email = click.prompt("No accounts yet. The first LA administrator's email address")
        password = web.create_admin(email)
        click.echo(f"One-time password for {safe_text(email)}: {password} (change it at first sign-in)")
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"apforms: serving {folder} at http://{shown}:{port}/ (Ctrl+C to stop)", err=True)
    web.serve(host, port, threads)


def _data(data_dir: str | None) -> Path:
    from apforms import web

    return Path(data_dir) if data_dir else web.default_data()


@click.command()
@click.argument("to", type=click.Path(path_type=Path))
@click.option("--data", "data_dir", default=None, help="The data folder (default: your user data folder).")
def backup(to: Path, data_dir: str | None) -> None:
    """Write a consistent backup of the data folder (its database, archive and key) to the new
    folder TO, with a manifest of hashes. The web app may keep running; archive writes wait."""
    report = api.backup(_data(data_dir), to)
    click.echo(
        f"apforms backup: {report.files} files ({report.bytes / 1e6:.1f} MB, {report.database} database) "
        f"in {safe_text(str(report.folder))} in {report.seconds:.1f} s"
    )


@click.command()
@click.argument("source", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option(
    "--data", "data_dir", default=None, help="The new data folder (default: your user data folder)."
)
def restore(source: Path, data_dir: str | None) -> None:
    """Bring the backup SOURCE back into a new data folder (and, with APFORMS_DATABASE_URL, an
    empty PostgreSQL database), after checking every hash; then check the archive and the audit
    log as restored."""
    from apforms import web

    report = api.restore(source, _data(data_dir))
    click.echo(
        f"apforms restore: {report.files} files ({report.database} database) into "
        f"{safe_text(str(report.folder))} in {report.seconds:.1f} s"
    )
    problems = web.check_restored(report.folder)
    for line in problems:
        click.echo(f"  {safe_text(line)}", err=True)
    if problems:
        click.echo(f"apforms restore: {len(problems)} problems in what was restored", err=True)
        sys.exit(EXIT_PROBLEMS)
    click.echo("  the archive and the audit log check clean")


@click.group("database")
def database_group() -> None:
    """The shared PostgreSQL database that APFORMS_DATABASE_URL names."""


@database_group.command("setup")
@click.option("--data", "data_dir", default=None, help="The data folder (default: your user data folder).")
@click.option(
    "--app-role",
    metavar="ROLE",
    default=None,
    help="The role apforms serve connects as: granted what the app needs, never edits to the audit logs.",
)
def database_setup(data_dir: str | None, app_role: str | None) -> None:
    """As the database's owner: make or upgrade the web app's and the archive's tables, and
    grant the app's role its rights (run again after each upgrade of apforms)."""
    from apforms import web

    done = web.setup_database(data_dir, app_role)
    granted = f"{len(done)} statements granted {app_role} its rights" if app_role else "no role given rights"
    click.echo(f"apforms database setup: the tables are up to date; {granted}")


COMMANDS = (serve, backup, restore, database_group)

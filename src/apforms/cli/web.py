"""``apforms serve``: the web app, on this computer, with one command."""

from __future__ import annotations

import sys

import click

from apforms.cli import safe_text
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
    help=(
        "Served to others through an HTTPS proxy: Secure cookies, HSTS "
        "(needed for any --host but this computer)."
    ),
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


COMMANDS = (serve,)

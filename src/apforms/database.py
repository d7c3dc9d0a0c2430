"""The one setting that moves apforms onto a shared database: ``APFORMS_DATABASE_URL``.

Unset, everything stays embedded (SQLite files in the data folder). Set to a PostgreSQL URL
(``postgresql://user:password@host:port/name?sslmode=require``; ``host=/run/postgresql`` in the
query for a socket), the web app's data and the archive's catalogue live in that database.
Only the URL's form is checked here; connecting is left to whoever uses it. The password is
never part of a message: :func:`describe` names the server and database without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from apforms.errors import ConfigError, first_line

ENV = "APFORMS_DATABASE_URL"
_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Target:
    """A PostgreSQL database, as the URL gives it."""

    name: str
    user: str = ""
    password: str = field(default="", repr=False)
    host: str = ""
    port: int | None = None
    options: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """Where it is, for a message (never the password)."""
        where = self.host or self.options.get("host", "") or "the local socket"
        return f"database {self.name} on {where}{f':{self.port}' if self.port else ''}"

    def conninfo(self) -> dict[str, str]:
        """Keyword arguments for ``psycopg.connect``."""
        out = {"dbname": self.name, **self.options}
        for key, value in (("user", self.user), ("password", self.password), ("host", self.host)):
            if value:
                out[key] = value
        if self.port:
            out["port"] = str(self.port)
        return out


def configured() -> Target | None:
    """The shared database ``APFORMS_DATABASE_URL`` names; None when it is not set."""
    url = os.environ.get(ENV, "").strip()
    return parse(url) if url else None


def parse(url: str) -> Target:
    """A PostgreSQL URL read into a :class:`Target`; a :class:`ConfigError` naming the setting
    (and never its password) when it is not one."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"{ENV} is not a database URL ({_without_password(url)}): {exc}") from None
    if parts.scheme not in _SCHEMES:
        raise ConfigError(
            f"{ENV} must be a postgresql:// URL (unset, apforms uses its embedded SQLite), "
            f"not {parts.scheme or 'no scheme'}://…"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name or "/" in name:
        raise ConfigError(f"{ENV} names no database ({_without_password(url)}): add /name at the end")
    options = dict(parse_qsl(parts.query))
    return Target(
        name=name,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        host=unquote(parts.hostname or ""),
        port=port,
        options=options,
    )


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, where = rest.rpartition("@")
        rest = f"{creds.split(':', 1)[0]}:***@{where}" if ":" in creds else f"{creds}@{where}"
    return scheme + sep + rest


def failure(exc: BaseException, target: Target | None) -> str:
    """Why a database could not be used, in one line: libpq's "connection failed: " left off,
    and the password never shown (it is not in libpq's messages, whatever they become)."""
    why = first_line(exc)
    if target is not None:
        why = why.removeprefix("connection failed: ")
        if target.password:
            why = why.replace(target.password, "…")
    return why


__all__ = ["ENV", "Target", "configured", "failure", "parse"]

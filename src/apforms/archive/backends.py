"""Which store an archive is opened on: one setting, ``APFORMS_DATABASE_URL``.

Unset (or empty): the embedded catalogue, SQLite in the archive's folder. A ``postgresql://``
(or ``postgres://``) URL: the catalogue in that PostgreSQL database (tables ``archive_*``,
beside the web app's), the files and the checkpoint still in the archive's folder, which
every machine using the database must share. Anything else is refused in one line that names
the setting and never shows the URL (it may hold a password).
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

from apforms.archive.store import Store
from apforms.errors import ArchiveError

ENV_DATABASE_URL = "APFORMS_DATABASE_URL"
SCHEMES = ("postgresql", "postgres")


def database_url(given: str | None = None) -> str | None:
    """The database URL to use: ``given``, else ``$APFORMS_DATABASE_URL``; None for SQLite."""
    value = os.environ.get(ENV_DATABASE_URL) if given is None else given
    return value.strip() or None if value else None


def check_url(url: str) -> None:
    """An ArchiveError naming the setting unless ``url`` is a PostgreSQL URL."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise ArchiveError(
            f"{ENV_DATABASE_URL} is not a URL: give postgresql://user:password@host:5432/database, "
            "or leave it unset for SQLite"
        )
    if scheme.lower() not in SCHEMES:
        shown = scheme if scheme.isascii() and scheme.replace("+", "").isalnum() else "this"
        raise ArchiveError(
            f"{ENV_DATABASE_URL}: a {shown}:// URL is not supported; the archive's catalogue is "
            "SQLite (leave it unset) or PostgreSQL (postgresql://…)"
        )
    try:
        urlsplit(url).port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ArchiveError(f"{ENV_DATABASE_URL} is not a valid URL: its port is not a number") from None


def without_password(text: str, url: str) -> str:
    """``text`` (a driver's message) with the password of ``url`` taken out, however spelt."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in {password, unquote(password or "")} - {None, ""}:
        assert secret is not None
        text = text.replace(secret, "…")
    return text


def open_store(location: str | os.PathLike[str], url: str | None = None) -> Store:
    """The store of the archive at ``location``: SQLite there, or PostgreSQL if the database
    URL (``url``, else ``$APFORMS_DATABASE_URL``; "" for SQLite) says so."""
    chosen = database_url(url)
    if chosen is None:
        from apforms.archive.sqlite import SQLiteStore

        return SQLiteStore(location)
    check_url(chosen)
    from apforms.archive.postgres import PostgresStore

    return PostgresStore(location, chosen)


__all__ = ["ENV_DATABASE_URL", "check_url", "database_url", "open_store", "without_password"]

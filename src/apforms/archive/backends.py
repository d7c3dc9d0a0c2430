"""Which store an archive is opened on: one setting, ``APFORMS_DATABASE_URL`` (:mod:`apforms.database`).

Unset (or empty): the embedded catalogue, SQLite in the archive's folder. A ``postgresql://``
(or ``postgres://``) URL: the catalogue in that PostgreSQL database (tables ``archive_*``,
beside the web app's), the files and the checkpoint still in the archive's folder, which
every machine using the database must share. Anything else is refused in one line that names
the setting and never shows the password.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from apforms import database
from apforms.archive import checkpoint
from apforms.archive.store import Store


def database_url(given: str | None = None) -> str | None:
    """The database URL to use: ``given``, else ``$APFORMS_DATABASE_URL``; None for SQLite."""
    value = os.environ.get(database.ENV) if given is None else given
    return (value or "").strip() or None


def open_store(location: str | os.PathLike[str], url: str | None = None) -> Store:
    """The store of the archive at ``location``: SQLite there, or PostgreSQL if the database
    URL (``url``, else ``$APFORMS_DATABASE_URL``; "" for SQLite) says so."""
    chosen = database_url(url)
    if chosen is None:
        from apforms.archive.sqlite import SQLiteStore

        return SQLiteStore(location)
    target = database.parse(chosen)  # a ConfigError naming the setting if it is not PostgreSQL's
    from apforms.archive.postgres import PostgresStore

    return PostgresStore(location, target)


@contextlib.contextmanager
def writers_locked(
    location: str | os.PathLike[str], timeout_s: float, url: str | None = None
) -> Iterator[None]:
    """Hold the writers' lock of the archive at ``location`` (SQLite's file lock, or the
    PostgreSQL database's advisory lock): no add, disposal or audit event until it is released,
    for a backup of one moment."""
    chosen = database_url(url)
    if chosen is None:
        with checkpoint.locked(Path(location) / checkpoint.LOCK_NAME, timeout_s):
            yield
        return
    from apforms.archive.postgres import PostgresCatalogue

    catalogue = PostgresCatalogue(database.parse(chosen), location, lock_timeout_s=timeout_s)
    try:
        with catalogue.locked():
            yield
    finally:
        catalogue.close()


__all__ = ["database_url", "open_store", "writers_locked"]

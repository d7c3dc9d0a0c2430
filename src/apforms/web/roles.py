"""A shared PostgreSQL database set up so that the web app cannot edit its own audit logs.

The database's owner runs ``apforms database setup --app-role NAME`` once (and again after an
upgrade): it brings the web app's tables and the archive's catalogue up to date, then grants
the role the server connects as only what the app needs. That role reads and adds to both
audit logs but cannot update, delete or truncate them, and as it owns no table it cannot
disable their triggers either: an edit takes the owner's credentials, and the hash chains
still show it. Archive entries can be disposed of (a tombstone: four columns updated) but never
deleted, nor any other of their columns changed.
"""

from __future__ import annotations

import re

from apforms import database
from apforms.errors import ConfigError

#: Tables whose rows nobody but the owner may change or remove: the two audit logs.
APPEND_ONLY = ("apforms_web_auditevent", "archive_audit")
#: Tables whose rows are never removed, and the only columns the app may change: a disposal's
#: tombstone (the entry's own fields, its file's hash among them, stay as they were added).
NEVER_DELETED = {"archive_entries": ("state", "disposed_at", "disposed_by", "disposal_reason")}
#: Tables the app only reads once the owner has made them.
READ_ONLY = ("django_migrations", "archive_meta")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grant(role: str) -> list[str]:
    """Grant ``role`` what the app needs on every table there is now (run as the owner, after
    the tables are made); the statements run."""
    from django.db import connection

    if not _ROLE.match(role):
        raise ConfigError(f"--app-role {role[:70]!r}: a role name is lower-case letters, digits and _")
    if connection.vendor != "postgresql":
        raise ConfigError(f"database roles are for PostgreSQL: set {database.ENV} to the shared database")
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cur.fetchone() is None:
            raise ConfigError(
                f"--app-role {role}: no such role (CREATE ROLE {role} LOGIN PASSWORD '…' first)"
            )
        cur.execute("SELECT current_user, current_schema()")
        owner, schema = cur.fetchone() or ("", "public")
        if owner == role:
            raise ConfigError(f"--app-role {role}: run this as the database's owner, not as the app's role")
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
        tables = [r[0] for r in cur.fetchall()]
    who, where = _quoted(role), _quoted(str(schema))
    done = [
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"REVOKE CREATE ON SCHEMA {where} FROM {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
    ]
    for table in tables:
        t = _quoted(table)
        done.append(f"REVOKE ALL ON {t} FROM {who}")
        if table in APPEND_ONLY:
            done.append(f"GRANT SELECT, INSERT ON {t} TO {who}")
        elif table in NEVER_DELETED:
            columns = ", ".join(_quoted(c) for c in NEVER_DELETED[table])
            done.append(f"GRANT SELECT, INSERT, UPDATE ({columns}) ON {t} TO {who}")
        elif table in READ_ONLY:
            done.append(f"GRANT SELECT ON {t} TO {who}")
        else:
            done.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {t} TO {who}")
    with connection.cursor() as cur:
        for statement in done:
            cur.execute(statement)
    return done


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


__all__ = ["APPEND_ONLY", "NEVER_DELETED", "READ_ONLY", "grant"]

"""Databases on one PostgreSQL server: create, drop, rename, swap. The one admin API, used for
the platform's own clusters and for configured servers (staging) alike."""

from __future__ import annotations

import time
from dataclasses import dataclass

from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from odoosh.postgres import PostgresError, connect

CLONE_ATTEMPTS = 5


@dataclass(frozen=True)
class DatabaseServer:
    """The databases of the server that `admin_dsn` reaches; its role must be allowed to create,
    rename and drop databases. Names are always SQL identifiers, never formatted into SQL."""

    admin_dsn: str

    def dsn(self, database: str) -> str:
        """The admin DSN pointed at `database`."""
        return make_conninfo(self.admin_dsn, dbname=database)

    def exists(self, name: str) -> bool:
        with connect(self.admin_dsn) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None

    def create(self, name: str, template: str | None = None) -> None:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(query)

    def clone(self, template: str, name: str, attempts: int = CLONE_ATTEMPTS) -> None:
        """`CREATE DATABASE name TEMPLATE template`: a file-level copy, much faster than a dump.

        PostgreSQL copies only a template nobody is connected to, so the sessions on it are
        closed first (an Odoo on it reconnects at its next request); one that reconnects in
        between makes the copy fail, and it is tried again, `attempts` times in all.
        """
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
        with connect(self.admin_dsn, autocommit=True) as conn:
            for attempt in range(1, attempts + 1):
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (template,),
                )
                try:
                    conn.execute(query)
                    return
                except errors.ObjectInUse:
                    if attempt == attempts:
                        raise PostgresError(
                            f"Cannot copy database {template!r} into {name!r}: sessions kept reconnecting to "
                            f"it during {attempts} attempts. Stop what connects to {template!r} and retry."
                        ) from None
                    time.sleep(0.2 * attempt)

    def drop(self, name: str) -> None:
        """Drop `name` if it exists, closing the sessions on it."""
        with connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def recreate(self, name: str) -> None:
        """An empty `name`, dropping what a killed run may have left under it."""
        self.drop(name)
        self.create(name)

    def rename(self, old: str, new: str) -> None:
        with connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))

    def swap(self, candidate: str, live: str, previous: str) -> None:
        """Make `candidate` the database named `live`, keeping the old `live` as `previous`.

        Renames are transactional in PostgreSQL, so either both happen or neither: there is no
        moment without a `live` database. Sessions on both are closed first (a rename needs it).
        """
        self.drop(previous)
        with connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                ([live, candidate],),
            )
            with conn.transaction():
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (live,)).fetchone():
                    conn.execute(
                        sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(previous))
                    )
                conn.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(candidate), sql.Identifier(live))
                )

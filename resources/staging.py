"""The staging server and the secrets of scrubbing."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from resources.postgres import PostgresClusters, connect

SANDBOX_CLUSTER = "staging"
CANDIDATE_SUFFIX = "__odoosh_new"
PREVIOUS_SUFFIX = "__odoosh_previous"


class StagingConfigError(RuntimeError):
    """Staging cannot be built as configured; the message names the setting."""


class StagingServer(dg.ConfigurableResource):
    """The server holding the staging database, which each refresh replaces.

    `dsn` (ODOOSH_STAGING_DSN) names the staging database; its role must be allowed to create,
    rename and drop databases. Unset means a platform-managed sandbox cluster.
    """

    dsn: str | None = None
    clusters: PostgresClusters
    database_name: str = "odoo_staging"

    @property
    def database(self) -> str:
        if self.dsn:
            return conninfo_to_dict(self.dsn).get("dbname") or self.database_name
        return self.database_name

    def dsn_for(self, database: str, start: bool = False) -> str:
        """DSN of `database` on the staging server (starting the sandbox cluster if asked)."""
        if self.dsn:
            return make_conninfo(self.dsn, dbname=database)
        cluster = self.clusters.cluster(SANDBOX_CLUSTER) if start else self.clusters.existing(SANDBOX_CLUSTER)
        return cluster.dsn(database)

    def exists(self, database: str) -> bool:
        with connect(self.dsn_for("postgres")) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is not None

    def recreate(self, database: str) -> None:
        """Drop (if left by a killed run) and create an empty database."""
        with connect(self.dsn_for("postgres", start=True), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))

    def drop(self, database: str) -> None:
        with connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))

    def swap_in(self, candidate: str, log: Callable[[str], None]) -> None:
        """Make `candidate` the staging database in one transaction; keep the old one as previous.

        Renames are transactional in PostgreSQL, so either both happen or neither: there is
        no moment without a staging database. Sessions on the old database are closed first.
        """
        live, previous = self.database, self.database + PREVIOUS_SUFFIX
        with connect(self.dsn_for("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(previous)))
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                ([live, candidate],),
            )
            with conn.transaction():
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (live,)).fetchone():
                    conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(live), sql.Identifier(previous)))
                conn.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(candidate), sql.Identifier(live)))
        log(f"swapped {candidate} in as {live}; the previous staging database is kept as {previous}")


class Scrubbing(dg.ConfigurableResource):
    """Secrets and knobs of the quarantine step.

    `salt` (ODOOSH_SCRUB_SALT) keys the deterministic fakes and the leak fingerprints; the
    sandbox generates one and keeps it in the state directory (mode 600). `admin_password`
    (ODOOSH_STAGING_ADMIN_PASSWORD) becomes the staging admin's password.
    """

    state_dir: str
    salt: str | None = None
    admin_password: str | None = None
    policy_files: list[str] = []

    def resolved_salt(self) -> str:
        if self.salt:
            return self.salt
        path = Path(self.state_dir) / "scrub_salt"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()

    def resolved_admin_password(self, sandbox: bool) -> str:
        if self.admin_password:
            return self.admin_password
        if sandbox:
            return "admin"  # the sandbox's staging is local and holds only fake data
        raise StagingConfigError(
            "ODOOSH_STAGING_ADMIN_PASSWORD is not set: staging resets every password and needs the "
            "one its admin should log in with."
        )

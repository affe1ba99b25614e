"""Where staging lives: a database on a server the platform may administer, which each refresh replaces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from odoosh.postgres.admin import DatabaseServer

DEFAULT_DATABASE = "odoo_staging"
CANDIDATE_SUFFIX = "__odoosh_new"
PREVIOUS_SUFFIX = "__odoosh_previous"


@dataclass(frozen=True)
class StagingTarget:
    """Staging's database `database` on the server that `open_server` reaches.

    `open_server(start)` returns the server's admin API; for a platform-managed cluster, `start`
    says whether to start it (checks must see a stopped server as it is). A configured server's
    role must be allowed to create, rename and drop databases.
    """

    database: str
    open_server: Callable[[bool], DatabaseServer]
    sandbox: bool

    def server(self, start: bool = False) -> DatabaseServer:
        return self.open_server(start)

    def dsn(self) -> str:
        """DSN of the live staging database."""
        return self.server().dsn(self.database)

    @property
    def candidate(self) -> str:
        """The name a new staging database is restored under before the swap."""
        return self.database + CANDIDATE_SUFFIX

    @property
    def previous(self) -> str:
        """The name the replaced staging database is kept under until the next refresh."""
        return self.database + PREVIOUS_SUFFIX


def configured_staging(dsn: str) -> StagingTarget:
    """The staging database `dsn` names (ODOOSH_STAGING_DSN), administered from the server's
    maintenance database."""
    database = conninfo_to_dict(dsn).get("dbname") or DEFAULT_DATABASE
    server = DatabaseServer(make_conninfo(dsn, dbname="postgres"))
    return StagingTarget(database, lambda start: server, sandbox=False)

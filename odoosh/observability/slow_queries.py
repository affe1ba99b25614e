"""Slow queries of an environment's database, from PostgreSQL's `pg_stat_statements`.

The platform's clusters preload the extension (odoosh/postgres/cluster.py); its view is created
here, on first use, in the database the DSN names: the server's maintenance database, not the
environment's, so Odoo's databases (and their dumps, scrubs and restores) stay as Odoo made
them. The view holds every database's statements; a report keeps those of one database.

A statement is *slow* when one of its executions took over 1 s, *flagged* (an alert) over
5 s. Times are PostgreSQL's execution times, since the statistics were last reset; query texts
are normalised by PostgreSQL (constants replaced by `$1`...), and cut to `MAX_QUERY_CHARS`.

With `reset=True` (what the daily `slow_queries` asset does), the database's statistics are
reset once read: each report covers the time since the previous one, so a 6 s query flags one
report, not every report until someone resets by hand, and no statistic is older than a day
(the 7 days of profiling data are kept as the reports' metadata).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from odoosh.postgres import PostgresError, connect

SLOW_S = 1.0
FLAG_S = 5.0
TOP = 10
MAX_QUERY_CHARS = 500


class SlowQueriesError(PostgresError):
    """pg_stat_statements cannot be read on this server."""


@dataclass(frozen=True)
class Thresholds:
    """How many statements each ranking keeps; over how many seconds one is listed, and flagged."""

    top: int = TOP
    slow_s: float = SLOW_S
    flag_s: float = FLAG_S


@dataclass(frozen=True)
class Statement:
    """One normalised statement's execution figures."""

    query: str
    calls: int
    total_seconds: float
    mean_seconds: float
    max_seconds: float
    rows: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SlowQueries:
    """The figures of one database's statements."""

    database: str
    statements: int  # how many distinct statements pg_stat_statements holds for it
    by_total: list[Statement]  # the TOP by total time
    by_mean: list[Statement]  # the TOP by mean time
    slow: list[Statement]  # an execution over SLOW_S, slowest first
    flagged: list[Statement]  # an execution over FLAG_S: the alert
    reset: bool = False  # whether the statistics were reset once read (see `read`)

    def as_dict(self) -> dict:
        return asdict(self)


def summarise(database: str, statements: Iterable[Statement], limits: Thresholds = Thresholds()) -> SlowQueries:
    """Rank and classify `statements` (pure: the thresholds are tested without a 5 s sleep)."""
    rows = list(statements)
    slowest = sorted((s for s in rows if s.max_seconds > limits.slow_s), key=lambda s: s.max_seconds, reverse=True)
    return SlowQueries(
        database=database,
        statements=len(rows),
        by_total=sorted(rows, key=lambda s: s.total_seconds, reverse=True)[: limits.top],
        by_mean=sorted(rows, key=lambda s: s.mean_seconds, reverse=True)[: limits.top],
        slow=slowest,
        flagged=[s for s in slowest if s.max_seconds > limits.flag_s],
    )


def ensure_extension(conn: psycopg.Connection) -> None:
    """Create pg_stat_statements' view in `conn`'s database; a clear error if the server does not
    load the extension (a cluster made before the platform preloaded it, or a configured server)."""
    preloaded = conn.execute("SELECT current_setting('shared_preload_libraries')").fetchone()[0]
    if "pg_stat_statements" not in [lib.strip() for lib in preloaded.split(",")]:
        raise SlowQueriesError(
            "The PostgreSQL server does not load pg_stat_statements, so there are no query statistics. Add "
            "shared_preload_libraries = 'pg_stat_statements' to its postgresql.conf and restart it (the "
            "platform's own clusters have it from their creation)."
        )
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    except psycopg.errors.InsufficientPrivilege:
        raise SlowQueriesError(
            f"The role {conn.info.user} may not create the pg_stat_statements extension in the database "
            f"{conn.info.dbname}: have a superuser run CREATE EXTENSION pg_stat_statements there once, and grant "
            "the role pg_read_all_stats so it sees every role's statements."
        ) from None


def read(dsn: str, database: str, limits: Thresholds = Thresholds(), reset: bool = False) -> SlowQueries:
    """The slow queries of `database`, read through `dsn` (a superuser or pg_read_all_stats role on
    the same server, connected to a database where the view may be created); with `reset`, that
    database's statistics are then reset (a superuser, or a role granted pg_stat_statements_reset)."""
    with connect(dsn, autocommit=True) as conn:
        ensure_extension(conn)
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            raise SlowQueriesError(f"There is no database {database!r} on {conn.info.host}:{conn.info.port}.")
        rows = conn.execute(
            "SELECT left(s.query, %s), s.calls, s.total_exec_time / 1000, s.mean_exec_time / 1000, "
            "s.max_exec_time / 1000, s.rows FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            "WHERE d.datname = %s AND s.toplevel",
            (MAX_QUERY_CHARS, database),
        ).fetchall()
        if reset:
            reset = _reset(conn, database)
    return replace(summarise(database, (Statement(*row) for row in rows), limits), reset=reset)


def _reset(conn: psycopg.Connection, database: str) -> bool:
    """Reset `database`'s statements only (userid 0: any role, queryid 0: any statement). A role
    that may not (GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO it) leaves them as they
    are: the report still comes, and says it did not reset."""
    try:
        conn.execute(
            "SELECT pg_stat_statements_reset(0, d.oid, 0) FROM pg_database d WHERE d.datname = %s", (database,)
        )
    except psycopg.errors.InsufficientPrivilege:
        return False
    return True


def read_database(dsn: str, limits: Thresholds = Thresholds(), reset: bool = False) -> SlowQueries:
    """The slow queries of the database `dsn` names, read from its server's maintenance database."""
    database = conninfo_to_dict(dsn).get("dbname")
    if not database:
        raise SlowQueriesError("The DSN names no database (dbname=...): say which environment database to read.")
    return read(make_conninfo(dsn, dbname="postgres"), database, limits, reset)


def read_each(
    dsns: Mapping[str, str], limits: Thresholds = Thresholds(), reset: bool = False
) -> dict[str, SlowQueries]:
    """`read_database` of each environment's DSN: {environment: SlowQueries}."""
    return {environment: read_database(dsn, limits, reset) for environment, dsn in dsns.items()}

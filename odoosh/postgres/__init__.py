"""PostgreSQL as every domain uses it: the binaries, connections with timeouts, DSNs for messages.

`cluster` runs servers the platform starts itself, `admin` creates, drops, renames and swaps
databases on any server, `dumps` runs pg_dump and pg_restore.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

CONNECT_TIMEOUT_S = 10


class PostgresError(RuntimeError):
    """A problem with a cluster or a database, phrased as what is wrong and how to fix it."""


# --------------------------------------------------------------------------- binaries


def pg_bindir() -> Path:
    """Directory of the PostgreSQL server binaries: $ODOOSH_PG_BINDIR, else the newest Debian one."""
    configured = os.environ.get("ODOOSH_PG_BINDIR")
    candidates = [Path(configured)] if configured else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_major, reverse=True)
    if found := shutil.which("initdb"):
        candidates.append(Path(found).parent)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    where = f"ODOOSH_PG_BINDIR={configured} has" if configured else "no directory on this machine has"
    raise PostgresError(
        f"PostgreSQL server binaries not found: {where} initdb, pg_ctl and postgres. "
        "Install them (Debian/Ubuntu: apt-get install postgresql-15) or point ODOOSH_PG_BINDIR "
        "at their directory."
    )


def _major(bindir: Path) -> int:
    try:
        return int(bindir.parent.name)
    except ValueError:
        return 0


def pg_tool(name: str) -> str:
    """Absolute path of a PostgreSQL client/server tool (pg_dump, pg_restore, psql...)."""
    return str(pg_bindir() / name)


# --------------------------------------------------------------------------- DSNs


def describe_dsn(dsn: str) -> str:
    """The DSN without its password, for messages and metadata."""
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise PostgresError(f"Not a valid PostgreSQL connection string: {exc}") from None
    params.pop("password", None)
    return make_conninfo(**params)


def connect(dsn: str, **kwargs) -> psycopg.Connection:
    """psycopg.connect with an error that names the target and the likely fix."""
    try:
        return psycopg.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S, **kwargs)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split()).rstrip(".") or type(exc).__name__
        end = "" if reason.endswith(("?", "!")) else "."
        raise PostgresError(
            f"Cannot connect to PostgreSQL at {describe_dsn(dsn)}: {reason}{end} Check the host, port, "
            "database name and credentials of the DSN, and that the server is running."
        ) from None

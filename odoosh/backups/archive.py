"""Continuous archiving of a cluster through pgBackRest, the platform's heartbeat, and the newest
archived WAL of each repository with its age.

The heartbeat is a row the platform writes every minute into a table of its own (schema
`odoosh`, never an Odoo table), with the PII tables' row counts in the same transaction: an idle
database still produces WAL, so its RPO is proven, and a restored copy shows how far replay
reached and what production held at that moment.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from odoosh.backups.commands import BackupError, PgBackRest
from odoosh.backups.config import PGBACKREST, BackupConfig
from odoosh.backups.info import StanzaInfo
from odoosh.odoo.database import statistics
from odoosh.postgres import connect

SCHEMA = "odoosh"
TABLE = "heartbeat"
ARCHIVE_TIMEOUT_S = 60


def archive_command(config: BackupConfig) -> str:
    return shlex.join([PGBACKREST, f"--config={config.file}", f"--stanza={config.stanza}", "archive-push"]) + " %p"


def wanted_settings(config: BackupConfig) -> dict[str, str]:
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": archive_command(config),
        "archive_timeout": str(ARCHIVE_TIMEOUT_S),
    }


def current_settings(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute(
        "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
        (["wal_level", "archive_mode", "archive_command", "archive_timeout"],),
    ).fetchall()
    return dict(rows)


def configure(conn: psycopg.Connection, config: BackupConfig) -> list[str]:
    """ALTER SYSTEM the archive settings that differ; returns those needing a restart (wal_level,
    archive_mode). For a cluster the platform runs itself; the caller restarts it."""
    current = current_settings(conn)
    changed = []
    for name, value in wanted_settings(config).items():
        if current.get(name) != value:
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
            changed.append(name)
    conn.execute("SELECT pg_reload_conf()")
    return [name for name in changed if name in ("wal_level", "archive_mode")]


def require_settings(conn: psycopg.Connection, config: BackupConfig) -> None:
    """For a production the platform does not run: say what its DBA must set."""
    current = current_settings(conn)
    wrong = {n: v for n, v in wanted_settings(config).items() if current.get(n) != v}
    if wrong:
        lines = ", ".join(f"{n} = {v!r} (now {current.get(n)!r})" for n, v in wrong.items())
        raise BackupError(
            f"Production does not archive through pgBackRest: set {lines} in its postgresql.conf and "
            "restart it (README, Backups)."
        )


# --------------------------------------------------------------------------- heartbeat


@dataclass(frozen=True)
class Heartbeat:
    id: int
    at: datetime
    pii_rows: dict[str, int]


def beat(dsn: str) -> Heartbeat:
    """Write a heartbeat (creating its table on first use) with the PII tables' row counts."""
    with connect(dsn) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (id bigserial PRIMARY KEY, "
                "at timestamptz NOT NULL DEFAULT clock_timestamp(), pii_rows jsonb NOT NULL)"
            ).format(sql.Identifier(SCHEMA), sql.Identifier(TABLE))
        )
        rows = statistics(conn).pii_rows
        row = conn.execute(
            sql.SQL("INSERT INTO {}.{} (pii_rows) VALUES (%s) RETURNING id, at").format(
                sql.Identifier(SCHEMA), sql.Identifier(TABLE)
            ),
            (json.dumps(rows),),
        ).fetchone()
    return Heartbeat(row[0], row[1], rows)


def newest_heartbeat(dsn: str) -> Heartbeat | None:
    with connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.{TABLE}",)).fetchone()[0]
        if exists is None:
            return None
        row = conn.execute(
            sql.SQL("SELECT id, at, pii_rows FROM {}.{} ORDER BY id DESC LIMIT 1").format(
                sql.Identifier(SCHEMA), sql.Identifier(TABLE)
            )
        ).fetchone()
    return Heartbeat(row[0], row[1], row[2]) if row else None


def switch_wal(dsn: str) -> str:
    """Close the current WAL segment so it is archived now (as archive_timeout would within 60 s)."""
    with connect(dsn, autocommit=True) as conn:
        return conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]


# --------------------------------------------------------------------------- what reached the repositories


@dataclass(frozen=True)
class ArchivedWal:
    repo: int
    reachable: bool
    segment: str | None
    archived_at: datetime | None
    error: str | None = None

    @property
    def age_s(self) -> float | None:
        return (datetime.now(UTC) - self.archived_at).total_seconds() if self.archived_at else None


def newest_archived(pgbackrest: PgBackRest, info: StanzaInfo) -> dict[int, ArchivedWal]:
    """Per repository: its newest WAL segment and when it was stored there (from the repository
    itself, `repo-ls`, so it works for S3 as for a directory)."""
    found = {}
    for repo in pgbackrest.config.repos:
        status = info.repos.get(repo.index)
        if status is None or not status.ok:
            found[repo.index] = ArchivedWal(repo.index, False, None, None, status.message if status else "absent")
            continue
        if not status.wal_max:
            found[repo.index] = ArchivedWal(repo.index, True, None, None)
            continue
        directory = f"archive/{pgbackrest.config.stanza}/{status.archive_id}/{status.wal_max[:16]}"
        try:
            listing = pgbackrest.repo_ls(repo.index, directory, filter=f"^{status.wal_max}-")
        except BackupError as exc:
            found[repo.index] = ArchivedWal(repo.index, False, status.wal_max, None, str(exc))
            continue
        times = [entry["time"] for name, entry in listing.items() if entry.get("type") == "file"]
        at = datetime.fromtimestamp(max(times), UTC) if times else None
        found[repo.index] = ArchivedWal(repo.index, True, status.wal_max, at)
    return found


@dataclass(frozen=True)
class ArchiverStatus:
    """pg_stat_archiver and the backlog in pg_wal (segments ready but not yet archived)."""

    archived_count: int
    last_archived_wal: str | None
    last_archived_time: datetime | None
    failed_count: int
    last_failed_wal: str | None
    last_failed_time: datetime | None
    ready_segments: int
    segment_bytes: int  # wal_segment_size

    @property
    def backlog_bytes(self) -> int:
        """What pg_wal holds because it is not archived yet."""
        return self.ready_segments * self.segment_bytes

    @property
    def failing(self) -> bool:
        return self.last_failed_time is not None and (
            self.last_archived_time is None or self.last_failed_time > self.last_archived_time
        )


def archiver_status(dsn: str) -> ArchiverStatus:
    with connect(dsn) as conn:
        row = conn.execute(
            "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_wal, "
            "last_failed_time FROM pg_stat_archiver"
        ).fetchone()
        ready = conn.execute("SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'").fetchone()[0]
        segment = conn.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'").fetchone()[0]
    return ArchiverStatus(*row, ready, segment)

"""Continuous archiving of a cluster through pgBackRest, the platform's heartbeat, and the newest
archived WAL of each repository with its age.

The heartbeat is a row the platform writes every minute into a table of its own (schema
`odoosh`, never an Odoo table), with the PII tables' row counts in the same transaction: an idle
database still produces WAL, so its RPO is proven, and a restored copy shows how far replay
reached and what production held at that moment. The row also holds that transaction's
snapshot (the counts are read in it, REPEATABLE READ) and its own transaction id: a restored
copy can then tell whether any other transaction committed after the counts were read, i.e.
whether its own counts must equal them (`restore.pii_rows`).
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


def required_lines(stanza: str) -> dict[str, str]:
    """What a production the platform does not run must have in its postgresql.conf (its
    pgbackrest.conf is then the default /etc/pgbackrest/pgbackrest.conf, or add --config=)."""
    return {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": shlex.join(["pgbackrest", f"--stanza={stanza}", "archive-push"]) + " %p",
        "archive_timeout": str(ARCHIVE_TIMEOUT_S),
    }


def archive_problems(current: dict[str, str], stanza: str) -> dict[str, str]:
    """The settings (of `current_settings`) that keep production from archiving through
    pgBackRest within the RPO, each with what is wrong."""
    problems = {}
    if current.get("wal_level") not in ("replica", "logical"):
        problems["wal_level"] = f"is {current.get('wal_level')!r}"
    if current.get("archive_mode") not in ("on", "always"):
        problems["archive_mode"] = f"is {current.get('archive_mode')!r}"
    try:
        words = shlex.split(current.get("archive_command") or "")
    except ValueError:
        words = []
    runs_pgbackrest = bool(words) and words[0].rsplit("/", 1)[-1] == "pgbackrest"
    if not (runs_pgbackrest and "archive-push" in words and "%p" in words and f"--stanza={stanza}" in words):
        problems["archive_command"] = (
            f"is {current.get('archive_command')!r}, not pgBackRest's archive-push of stanza {stanza}"
        )
    timeout = current.get("archive_timeout") or "0"
    if not timeout.isdigit() or not 0 < int(timeout) <= ARCHIVE_TIMEOUT_S:
        problems["archive_timeout"] = f"is {timeout!r} s, not 1 to {ARCHIVE_TIMEOUT_S}"
    return problems


def require_settings(conn: psycopg.Connection, stanza: str, where: str = "production") -> dict[str, str]:
    """For a production the platform does not run (and cannot restart): its archive settings, or
    an error naming the exact postgresql.conf lines its DBA must set."""
    current = current_settings(conn)
    problems = archive_problems(current, stanza)
    if problems:
        wanted = required_lines(stanza)
        lines = "\n".join(f"    {name} = {conf_value(wanted[name])}" for name in problems)
        raise BackupError(
            f"{where} does not archive WAL through pgBackRest: "
            + "; ".join(f"{name} {why}" for name, why in problems.items())
            + f". Its DBA must set, in its postgresql.conf:\n{lines}\nthen restart PostgreSQL (archive_mode and "
            "wal_level take effect only then; add --config=<file> to archive_command if its pgbackrest.conf is "
            "not /etc/pgbackrest/pgbackrest.conf). README, Backups: a production on another host."
        )
    return current


def conf_value(value: str) -> str:
    """A postgresql.conf string literal."""
    return "'" + value.replace("'", "''") + "'"


# --------------------------------------------------------------------------- heartbeat


@dataclass(frozen=True)
class Heartbeat:
    id: int
    at: datetime
    pii_rows: dict[str, int]
    snapshot: str | None = None  # pg_snapshot the counts were read in ("xmin:xmax:xip,..."); None: older rows
    xid: int | None = None  # the heartbeat's own transaction


def beat(dsn: str) -> Heartbeat:
    """Write a heartbeat (creating its table on first use) with the PII tables' row counts, read
    in the snapshot it records."""
    table = sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(TABLE))
    with connect(dsn) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id bigserial PRIMARY KEY, "
                "at timestamptz NOT NULL DEFAULT clock_timestamp(), pii_rows jsonb NOT NULL, "
                "snapshot pg_snapshot, xid xid8)"
            ).format(table)
        )
        if "xid" not in _columns(conn):  # a table of an earlier version: an exclusive lock, once
            conn.execute(sql.SQL("ALTER TABLE {} ADD COLUMN snapshot pg_snapshot, ADD COLUMN xid xid8").format(table))
        conn.commit()
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for every count
        snapshot = conn.execute("SELECT pg_current_snapshot()::text").fetchone()[0]
        rows = statistics(conn).pii_rows
        row = conn.execute(
            sql.SQL(
                "INSERT INTO {} (pii_rows, snapshot, xid) VALUES (%s, %s::pg_snapshot, pg_current_xact_id()) "
                "RETURNING id, at, xid::text::bigint"
            ).format(table),
            (json.dumps(rows), snapshot),
        ).fetchone()
    return Heartbeat(row[0], row[1], rows, snapshot, row[2])


def newest_heartbeat(dsn: str) -> Heartbeat | None:
    with connect(dsn) as conn:
        exists = conn.execute("SELECT to_regclass(%s)", (f"{SCHEMA}.{TABLE}",)).fetchone()[0]
        if exists is None:
            return None
        table = sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(TABLE))
        recorded = sql.SQL("snapshot::text, xid::text::bigint" if "xid" in _columns(conn) else "NULL, NULL")
        row = conn.execute(
            sql.SQL("SELECT id, at, pii_rows, {} FROM {} ORDER BY id DESC LIMIT 1").format(recorded, table)
        ).fetchone()
    return Heartbeat(*row) if row else None


def _columns(conn: psycopg.Connection) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (f"{SCHEMA}.{TABLE}",),
        )
    }


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

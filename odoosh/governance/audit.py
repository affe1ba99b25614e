"""The append-only, hash-chained audit log of exec requests, in the platform's own database.

Each row's hash covers its content and the previous row's hash, so an edited, deleted or
reordered row breaks the chain from that row on. The platform writes with a role that may only
INSERT and SELECT; an advisory lock serialises writers so the chain stays linear (LOCK TABLE in
a stronger mode would need UPDATE/DELETE rights the writer must not have).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from odoosh import settings
from odoosh.postgres import connect
from odoosh.postgres.cluster import Clusters

SCHEMA = "odoosh"
TABLE = sql.Identifier(SCHEMA, "exec_audit")
USED_TOKENS = sql.Identifier(SCHEMA, "exec_used_tokens")
CHAIN_LOCK = 0x0D005E_A0D17  # pg_advisory_xact_lock key of the chain's writers
GENESIS = "0" * 64
OUTCOMES = ("started", "ran", "refused")
CONTENT = (
    "at",
    "session_id",
    "user_name",
    "environment",
    "command",
    "reason",
    "approver",
    "outcome",
    "detail",
    "exit_code",
    "duration_s",
    "output_sha256",
    "output_excerpt",
)


@dataclass(frozen=True)
class AuditEntry:
    """One exec request as recorded. An allowed command gets two rows of one `session_id`:
    `started` (written with the token's use, before the command runs) and `ran`; a `started`
    row alone is a run that was killed. `refused` rows say why in `detail`."""

    user_name: str
    environment: str
    command: list[str]
    reason: str
    outcome: str
    detail: str = ""
    approver: str | None = None
    exit_code: int | None = None
    duration_s: float | None = None
    output_sha256: str | None = None
    output_excerpt: str | None = None
    at: datetime | None = None
    session_id: str = ""


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0  # the newest row and its hash: an anchor for the next verification
    head_hash: str = GENESIS

    @property
    def intact(self) -> bool:
        return self.first_bad_seq is None


def canonical_command(command: list[str]) -> str:
    """The command as canonical JSON: what tokens sign and what the hash covers."""
    return json.dumps(list(command), separators=(",", ":"), ensure_ascii=False)


def row_hash(content: dict, prev_hash: str) -> str:
    fields = {name: content[name] for name in CONTENT}
    fields["at"] = fields["at"].astimezone(UTC).isoformat()
    payload = json.dumps([fields, prev_hash], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


# --------------------------------------------------------------------------- schema and role


def create_schema(admin_dsn: str, writer_role: str, writer_password: str) -> None:
    """Create the tables and the writer role (LOGIN, INSERT and SELECT only). Idempotent; run
    with an owner/superuser DSN, never the writer's."""
    role = sql.Identifier(writer_role)
    with connect(admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(SCHEMA)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (seq bigint PRIMARY KEY, at timestamptz NOT NULL, session_id text NOT NULL, "
                "user_name text NOT NULL, environment text NOT NULL, command text NOT NULL, reason text NOT NULL, "
                "approver text, outcome text NOT NULL CHECK (outcome IN ('started', 'ran', 'refused')), detail text NOT NULL, "
                "exit_code integer, duration_s double precision, output_sha256 text, output_excerpt text, "
                "prev_hash text NOT NULL, hash text NOT NULL)"
            ).format(TABLE)
        )
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (token_id text PRIMARY KEY, used_at timestamptz NOT NULL DEFAULT now())"
            ).format(USED_TOKENS)
        )
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (writer_role,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(role, sql.Literal(writer_password)))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(SCHEMA), role))
        for table in (TABLE, USED_TOKENS):
            conn.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(table, role))
            conn.execute(sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(table, role))


# --------------------------------------------------------------------------- writing and reading


def append(conn: psycopg.Connection, entry: AuditEntry) -> int:
    """Append one row to the chain (in its own transaction, or a savepoint of the caller's);
    returns its sequence number."""
    content = asdict(entry)
    content["command"] = canonical_command(entry.command)
    content["at"] = entry.at or datetime.now(UTC)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHAIN_LOCK,))
        last = conn.execute(sql.SQL("SELECT seq, hash FROM {} ORDER BY seq DESC LIMIT 1").format(TABLE)).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        names = ["seq", *CONTENT, "prev_hash", "hash"]
        values = [seq, *(content[name] for name in CONTENT), prev, row_hash(content, prev)]
        conn.execute(
            sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                TABLE,
                sql.SQL(", ").join(map(sql.Identifier, names)),
                sql.SQL(", ").join(sql.Placeholder() * len(names)),
            ),
            values,
        )
    return seq


def verify_chain(conn: psycopg.Connection, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Recompute the chain; the first row whose sequence, link or hash is wrong is named.

    The chain alone cannot show that its newest rows were deleted; `anchor` (the head a previous
    verification saw, kept outside this database) can: that row must still be there, unchanged.
    """
    rows = conn.cursor(row_factory=dict_row).execute(sql.SQL("SELECT * FROM {} ORDER BY seq").format(TABLE)).fetchall()
    prev, count = GENESIS, len(rows)
    for expected_seq, row in enumerate(rows, start=1):
        seq = row["seq"]
        if seq != expected_seq:
            return ChainReport(count, expected_seq, f"row {expected_seq} is missing (next row is {seq}): deleted")
        if row["prev_hash"] != prev:
            return ChainReport(count, seq, f"row {seq} does not link to row {seq - 1}: deleted or reordered")
        if row_hash(row, prev) != row["hash"]:
            return ChainReport(count, seq, f"row {seq}'s content does not match its hash: edited or reordered")
        prev = row["hash"]
    if anchor and anchor[0] > 0:
        anchor_seq, anchor_hash = anchor
        if anchor_seq > count:
            return ChainReport(
                count, count + 1, f"rows {count + 1}..{anchor_seq} are missing: deleted (a check saw row {anchor_seq})"
            )
        if rows[anchor_seq - 1]["hash"] != anchor_hash:
            return ChainReport(count, anchor_seq, f"row {anchor_seq} differs from what a check saw: rewritten")
    return ChainReport(count, head_seq=count, head_hash=prev)


def query(
    conn: psycopg.Connection,
    *,
    environment: str | None = None,
    user: str | None = None,
    outcome: str | None = None,
    days: float | None = None,
    now: datetime | None = None,
) -> list[dict]:
    """Sessions filtered by environment, user, outcome and age, oldest first (command as a list)."""
    if outcome is not None and outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    where, params = [sql.SQL("true")], []
    for column, value in (("environment", environment), ("user_name", user), ("outcome", outcome)):
        if value is not None:
            where.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if days is not None:
        where.append(sql.SQL("at >= %s"))
        params.append((now or datetime.now(UTC)) - timedelta(days=days))
    statement = sql.SQL("SELECT * FROM {} WHERE {} ORDER BY seq").format(TABLE, sql.SQL(" AND ").join(where))
    rows = conn.cursor(row_factory=dict_row).execute(statement, params).fetchall()
    for row in rows:
        row["command"] = json.loads(row["command"])
    return rows


# --------------------------------------------------------------------------- the sandbox's audit database

SANDBOX_CLUSTER = "platform"
SANDBOX_DATABASE = "odoosh_audit"
WRITER_ROLE = "odoosh_audit_writer"


def sandbox_writer_dsn(state_dir: str | Path) -> str:
    """The sandbox's audit database (cluster `platform` of the state directory), set up as a
    superuser; returns the writer role's DSN (the socket trusts local users, no password)."""
    cluster = Clusters(Path(state_dir)).cluster(SANDBOX_CLUSTER)
    if not cluster.databases.exists(SANDBOX_DATABASE):
        cluster.databases.create(SANDBOX_DATABASE)
    admin = cluster.dsn(SANDBOX_DATABASE)
    create_schema(admin, WRITER_ROLE, secrets.token_urlsafe(24))
    return make_conninfo(admin, user=WRITER_ROLE)


def configured_writer_dsn() -> str:
    """ODOOSH_AUDIT_DSN (a secret, read here at use), else the sandbox's audit database."""
    return os.environ.get("ODOOSH_AUDIT_DSN") or sandbox_writer_dsn(settings.state_dir())


def table(rows: list[dict]) -> str:
    """Rows as a terminal table: one line per session, the command shell-quoted for reading only."""
    header = ("seq", "at (UTC)", "user", "environment", "outcome", "exit", "approver", "command", "reason / detail")
    lines = [
        (
            str(row["seq"]),
            row["at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            row["user_name"],
            row["environment"],
            row["outcome"],
            "" if row["exit_code"] is None else str(row["exit_code"]),
            row["approver"] or "",
            shlex.join(row["command"])[:60],
            "; ".join(part for part in (row["reason"], row["detail"]) if part)[:80],
        )
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=False)]
    out = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, *lines)
    ]
    return "\n".join([*out, f"({len(rows)} sessions)"])

"""Scrub PII from a restored Odoo database, in SQL, while it has no indexes.

Speed decides the design. Each table gets ONE statement covering all its columns, and only
rows where some column needs a change are rewritten. Big tables are cut into ranges of
pages (`chunks`), and `jobs` connections work through them biggest first. What each column
becomes is the SQL of its strategy (`strategies`); derived columns are recomputed
afterwards from the scrubbed sources.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from odoosh.postgres import connect
from odoosh.staging.scrub import catalog, chunks, constraints, leaks, strategies
from odoosh.staging.scrub.policy import Policy
from odoosh.staging.scrub.strategies import RECOMPUTE

Progress = Callable[[str], None]


# --------------------------------------------------------------------------- plan


@dataclass
class Chunk:
    """One statement over one range of a table's pages: `statement` WHERE `rows` AND in `pages`."""

    table: str
    statement: sql.Composable
    rows: sql.Composable
    pages: chunks.Pages
    deletes: bool = False

    def sql(self) -> sql.Composable:
        return sql.SQL("{} WHERE ({}) AND {}").format(self.statement, self.rows, self.pages.condition())


@dataclass
class Plan:
    chunks: list[Chunk] = field(default_factory=list)
    recompute: list[tuple[str, str]] = field(default_factory=list)
    uniques: list[tuple[str, str]] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)


def plan(conn: psycopg.Connection, policy: Policy, admin_id: int | None) -> Plan:
    """Which statements to run: one per table (per chunk of a big table), biggest first."""
    result = Plan()
    for table, cols in catalog.by_table(catalog.columns(conn)).items():
        if policy.deletes(table):
            delete = sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
            result.chunks += [Chunk(table, delete, sql.SQL("true"), pages, True) for pages in chunks.split(conn, table)]
            result.columns[table] = [constraints.ROWS_DELETED]
            continue
        ctx = strategies.Ctx(table, admin_id)
        sets, needs = [], []
        for col in cols:
            rule = policy.rule(table, col.name)
            if rule is None or rule.strategy == "keep":
                continue
            if rule.strategy == "recompute":
                if (table, col.name) not in RECOMPUTE:
                    raise ValueError(
                        f"{rule.source}: odoosh cannot recompute {col.qualified}; "
                        f"recomputable: {sorted('.'.join(k) for k in RECOMPUTE)}"
                    )
                result.recompute.append((table, col.name))
                result.columns.setdefault(table, []).append(col.name)
                continue
            need, new = strategies.needs_change(col, rule.strategy), strategies.new_value(col, rule, ctx)
            # redact returns a text with nothing to replace unchanged: a guard would search it twice.
            if rule.strategy != "redact":
                new = sql.SQL("CASE WHEN {need} THEN {new} ELSE {c} END").format(
                    c=strategies.column(col.name), need=need, new=new
                )
            sets.append(sql.SQL("{c} = {new}").format(c=sql.Identifier(col.name), new=new))
            needs.append(need)
            result.columns.setdefault(table, []).append(col.name)
            if rule.unique:
                result.uniques.append((table, col.name))
        if not sets:
            continue
        statement = sql.SQL("UPDATE {t} AS {row} SET {sets}").format(
            t=sql.Identifier(table), row=sql.Identifier(strategies.ROW), sets=sql.SQL(", ").join(sets)
        )
        result.chunks += [
            Chunk(table, statement, sql.SQL(" OR ").join(needs), pages) for pages in chunks.split(conn, table)
        ]
    result.chunks.sort(key=lambda c: c.pages.blocks, reverse=True)
    order = {t: i for i, t in enumerate(strategies.RECOMPUTE_ORDER)}
    result.recompute.sort(key=lambda tc: order.get(tc[0], len(order)))
    return result


# --------------------------------------------------------------------------- run


def admin_user_id(conn: psycopg.Connection) -> int | None:
    """Odoo's admin: the record of xmlid base.user_admin, else login 'admin', else id 2."""
    if not catalog.has_table(conn, "res_users"):
        return None
    if catalog.has_table(conn, "ir_model_data"):
        row = conn.execute(
            "SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'user_admin' AND model = 'res.users'"
        ).fetchone()
        if row:
            return row[0]
    row = conn.execute(
        "SELECT id FROM res_users WHERE login = 'admin' UNION ALL SELECT id FROM res_users WHERE id = 2 LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def _session(conn: psycopg.Connection) -> None:
    chunks.tune(conn)
    # FKs exist when scrubbing a database restored whole; their triggers must not fire.
    if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
        conn.execute("SET session_replication_role = replica")


def scrub(
    dsn: str, policy: Policy, *, salt: str, admin_password: str, jobs: int = 2, progress: Progress = print
) -> dict:
    """Scrub every column the policy classifies; returns rows touched and seconds per table.

    Rows are counted per table: one UPDATE covers all of a table's columns, and telling
    which column of a row changed would cost another scan. `columns` lists the columns each
    table had written, `constraints.ROWS_DELETED` where rows were deleted.
    """
    started = time.monotonic()
    params = strategies.parameters(salt, admin_password)
    with connect(dsn, autocommit=True) as conn:
        leaks.ensure_fingerprint_table(conn)  # empty unless recorded: then there is nothing to avoid
        work = plan(conn, policy, admin_user_id(conn))
        dependents = _dependents_of_deleted(conn, work)
    stats: dict = {"rows": {}, "seconds": {}, "columns": work.columns}
    progress(f"scrub: {len(work.chunks)} statements over {len({c.table for c in work.chunks})} tables, {jobs} jobs")
    _run_parallel(dsn, work.chunks, params, jobs, stats, progress)
    with connect(dsn, autocommit=True) as conn:
        _session(conn)
        for statement in dependents:
            conn.execute(statement)
        for table, column in work.recompute:
            t0 = time.monotonic()
            rows = conn.execute(RECOMPUTE[(table, column)]).rowcount
            _count(stats, table, rows, time.monotonic() - t0)
        for table, column in work.uniques:
            conn.execute(_make_unique(table, column))
    stats["total_seconds"] = round(time.monotonic() - started, 2)
    progress(f"scrub: {sum(stats['rows'].values())} rows in {stats['total_seconds']}s")
    return stats


def _count(stats: dict, table: str, rows: int, seconds: float) -> None:
    stats["rows"][table] = stats["rows"].get(table, 0) + max(rows, 0)
    stats["seconds"][table] = round(stats["seconds"].get(table, 0.0) + seconds, 3)


def _run_parallel(dsn: str, work: list[Chunk], params: dict, jobs: int, stats: dict, progress: Progress) -> None:
    lock = threading.Lock()

    def run(conn: psycopg.Connection, chunk: Chunk) -> None:
        t0 = time.monotonic()
        rows = conn.execute(chunk.sql(), params).rowcount
        with lock:
            _count(stats, chunk.table, rows, time.monotonic() - t0)
        if chunk.pages.blocks > chunks.CHUNK_BLOCKS // 8:
            progress(f"scrub: {chunk.table} {rows} rows in {time.monotonic() - t0:.1f}s")

    chunks.run(dsn, work, run, jobs=jobs, session=_session)


def _make_unique(table: str, column: str) -> sql.Composable:
    """Fakes of distinct values can collide; a UNIQUE index built after the scrub would fail."""
    return sql.SQL(
        "UPDATE {t} SET {c} = {c} || '-' || id WHERE id IN (SELECT id FROM "
        "(SELECT id, row_number() OVER (PARTITION BY {c} ORDER BY id) AS n FROM {t} WHERE {c} IS NOT NULL) d "
        "WHERE n > 1)"
    ).format(t=sql.Identifier(table), c=sql.Identifier(column))


def _dependents_of_deleted(conn: psycopg.Connection, work: Plan) -> list[sql.Composable]:
    """Statements that clear references to the rows of deleted tables, recorded in `work.columns`.

    Foreign keys are created after the scrub (post-data, in staging), so a reference to a
    deleted row would make staging's restore fail. Odoo's own metadata (ir_model_fields) says
    which columns refer to which model and what happens on delete.
    """
    deleted = sorted({c.table for c in work.chunks if c.deletes})
    if not deleted or not catalog.has_column(conn, "ir_model_fields", "on_delete"):
        return []
    rows = conn.execute(
        """
        SELECT f.relation_table, f.column1, 'cascade' FROM ir_model_fields f
         WHERE f.ttype = 'many2many' AND replace(f.model, '.', '_') = ANY(%(t)s) AND f.relation_table IS NOT NULL
        UNION
        SELECT f.relation_table, f.column2, 'cascade' FROM ir_model_fields f
         WHERE f.ttype = 'many2many' AND replace(f.relation, '.', '_') = ANY(%(t)s) AND f.relation_table IS NOT NULL
        UNION
        SELECT replace(f.model, '.', '_'), f.name, coalesce(f.on_delete, 'set null') FROM ir_model_fields f
         WHERE f.ttype = 'many2one' AND f.store AND replace(f.relation, '.', '_') = ANY(%(t)s)
           AND NOT replace(f.model, '.', '_') = ANY(%(t)s)
        """,
        {"t": deleted},
    ).fetchall()
    statements = []
    for table, column, on_delete in rows:
        if not catalog.has_column(conn, table, column):
            continue
        if on_delete == "cascade":
            statements.append(
                sql.SQL("DELETE FROM {t} WHERE {c} IS NOT NULL").format(
                    t=sql.Identifier(table), c=sql.Identifier(column)
                )
            )
            work.columns.setdefault(table, []).append(constraints.ROWS_DELETED)
        else:
            statements.append(
                sql.SQL("UPDATE {t} SET {c} = NULL WHERE {c} IS NOT NULL").format(
                    t=sql.Identifier(table), c=sql.Identifier(column)
                )
            )
            work.columns.setdefault(table, []).append(column)
    return statements

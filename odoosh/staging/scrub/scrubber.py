"""Scrub PII from a restored Odoo database, in SQL, while it has no indexes.

Speed decides the design. Each table gets ONE statement covering all its columns, and only
rows where some column needs a change are rewritten. Big tables are cut into ranges of
pages (`chunks`), and `jobs` connections work through them biggest first. What each column
becomes is the SQL of its strategy (`strategies`); a column of a big table whose values repeat
(a message's sender, subject, record name) has it computed once per distinct value into a map
that its statement looks up (`ValueMap`). Derived columns are recomputed afterwards from the
scrubbed sources.
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

# The strategies worth a value map: each value costs them regular expressions and lookups of
# production's fingerprints. A filler text or a digest costs about what a lookup would (and
# bodies are rarely repeated, whatever a sample of 3,000 rows estimates).
MAPPED = {"fake_name", "fake_company", "fake_email", "fake_phone", "fake_street", "fake_city", "fake_zip", "redact"}


def _range_blocks() -> int:
    """Pages per statement: an eighth of the gate's ranges (`chunks.CHUNK_BLOCKS`, read when
    called), because a row costs the scrub far more in some tables (a lead's dozen fakes) than
    in others, and ranges sorted by size alone would leave one connection alone with the last
    costly table."""
    return chunks.CHUNK_BLOCKS // 8


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


@dataclass(frozen=True)
class ValueMap:
    """A column's new value for each of its distinct values: `table` (v, new, changes), filled
    by `build` before the statements run, probed by them through `lookup` and `changes`.

    A strategy's value depends on the value alone (keyed hashes, the fingerprints), so a value
    repeated on 25 rows (a sender, a subject) is faked or redacted once, not 25 times. Every
    distinct value is in the map, so the lookup is the new value of every row, unchanged ones too.
    """

    table: sql.Identifier
    build: list[sql.Composable]

    def lookup(self, v: sql.Composable) -> sql.Composable:
        return sql.SQL(
            "CASE WHEN {v} IS NOT NULL THEN (SELECT scrub_map.new FROM {map} AS scrub_map WHERE scrub_map.v = {v}) END"
        ).format(map=self.table, v=v)

    def changes(self, v: sql.Composable) -> sql.Composable:
        return sql.SQL(
            "({v} IS NOT NULL AND coalesce((SELECT scrub_map.changes FROM {map} AS scrub_map WHERE scrub_map.v = {v}), false))"
        ).format(map=self.table, v=v)


@dataclass
class Plan:
    chunks: list[Chunk] = field(default_factory=list)
    maps: list[ValueMap] = field(default_factory=list)
    recompute: list[tuple[str, str]] = field(default_factory=list)
    uniques: list[tuple[str, str]] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)


def plan(conn: psycopg.Connection, policy: Policy, admin_id: int | None) -> Plan:
    """Which statements to run: one per table (per chunk of a big table), biggest first, and
    the value maps they need."""
    result = Plan()
    for table, cols in catalog.by_table(catalog.columns(conn)).items():
        ranges = chunks.split(conn, table, _range_blocks())
        if policy.deletes(table):
            delete = sql.SQL("DELETE FROM {}").format(sql.Identifier(table))
            result.chunks += [Chunk(table, delete, sql.SQL("true"), pages, True) for pages in ranges]
            result.columns[table] = [constraints.ROWS_DELETED]
            continue
        ctx = strategies.Ctx(table, admin_id)
        mapped = _repeated(conn, table, cols, policy, ranges)
        # The needs of mapped columns come last: each is a lookup, and OR stops at the first true.
        sets, needs, mapped_needs = [], [], []
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
            if col.name in mapped:
                value_map = _value_map(table, col, need, new, len(result.maps))
                result.maps.append(value_map)
                new, need = (
                    value_map.lookup(strategies.column(col.name)),
                    value_map.changes(strategies.column(col.name)),
                )
                mapped_needs.append(need)
            else:
                needs.append(need)
            sets.append(sql.SQL("{c} = {new}").format(c=sql.Identifier(col.name), new=new))
            result.columns.setdefault(table, []).append(col.name)
            if rule.unique:
                result.uniques.append((table, col.name))
        if not sets:
            continue
        statement = sql.SQL("UPDATE {t} AS {row} SET {sets}").format(
            t=sql.Identifier(table), row=sql.Identifier(strategies.ROW), sets=sql.SQL(", ").join(sets)
        )
        result.chunks += [
            Chunk(table, statement, sql.SQL(" OR ").join(needs + mapped_needs), pages) for pages in ranges
        ]
    result.chunks.sort(key=lambda c: c.pages.blocks, reverse=True)
    order = {t: i for i, t in enumerate(strategies.RECOMPUTE_ORDER)}
    result.recompute.sort(key=lambda tc: order.get(tc[0], len(order)))
    return result


def _repeated(
    conn: psycopg.Connection, table: str, cols: list[catalog.Column], policy: Policy, ranges: list[chunks.Pages]
) -> set[str]:
    """The columns of a big table to scrub through a value map: text whose new value depends on
    the value alone and costs lookups (`MAPPED`), and whose values repeat."""
    if sum(pages.blocks for pages in ranges) < chunks.CHUNK_BLOCKS // 8:
        return set()
    candidates = []
    for col in cols:
        rule = policy.rule(table, col.name)
        if (
            rule is not None
            and rule.strategy in MAPPED
            and not rule.company_if  # depends on another column of the row
            and (table, col.name) != ("res_users", "login")  # on the row's id
            # Equal values are the same text (not char(n)'s padding, nor JSON, which has no equality).
            and (col.type == "text" or col.type.startswith("character varying"))
        ):
            candidates.append(col)
    return leaks.repeated_columns(conn, table, candidates, among_values=True) if candidates else set()


def _value_map(table: str, col: catalog.Column, need: sql.Composable, new: sql.Composable, n: int) -> ValueMap:
    """The map of `col`: `new` and `need` (expressions of the scrubbed row's column) of each
    distinct value, with a hash index for the statements' lookups."""
    name = sql.Identifier(leaks.SCHEMA, f"scrub_map_{n}")
    c = sql.Identifier(col.name)
    select = sql.SQL(
        "SELECT {v} AS v, {new} AS new, {need} AS changes FROM (SELECT DISTINCT {c} FROM {t} WHERE {c} IS NOT NULL) AS {row}"
    ).format(
        v=strategies.column(col.name),
        new=new,
        need=need,
        c=c,
        t=sql.Identifier(table),
        row=sql.Identifier(strategies.ROW),
    )
    build = [
        sql.SQL("DROP TABLE IF EXISTS {}").format(name),  # left by a killed run
        sql.SQL("CREATE UNLOGGED TABLE {} AS {}").format(name, select),
        sql.SQL("CREATE INDEX ON {} USING hash (v)").format(name),
        sql.SQL("ANALYZE {}").format(name),
    ]
    return ValueMap(name, build)


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
        conn.execute("SET default_statistics_target = 10")  # a sample of 3,000 rows tells repeated values
        work = plan(conn, policy, admin_user_id(conn))
        dependents = _dependents_of_deleted(conn, work)
    stats: dict = {"rows": {}, "seconds": {}, "columns": work.columns}
    progress(
        f"scrub: {len(work.chunks)} statements over {len({c.table for c in work.chunks})} tables, "
        f"{len(work.maps)} value maps, {jobs} jobs"
    )
    try:
        chunks.run(dsn, work.maps, _build_map(params), jobs=jobs, session=_session)
        _run_parallel(dsn, work.chunks, params, jobs, stats, progress)
    finally:
        with connect(dsn, autocommit=True) as conn:
            for value_map in work.maps:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(value_map.table))
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


def _build_map(params: dict) -> Callable[[psycopg.Connection, ValueMap], None]:
    def build(conn: psycopg.Connection, value_map: ValueMap) -> None:
        for statement in value_map.build:
            conn.execute(statement, params)

    return build


def _count(stats: dict, table: str, rows: int, seconds: float) -> None:
    stats["rows"][table] = stats["rows"].get(table, 0) + max(rows, 0)
    stats["seconds"][table] = round(stats["seconds"].get(table, 0.0) + seconds, 3)


def _run_parallel(dsn: str, work: list[Chunk], params: dict, jobs: int, stats: dict, progress: Progress) -> None:
    lock = threading.Lock()
    left = {table: sum(c.table == table for c in work) for table in {c.table for c in work}}

    def run(conn: psycopg.Connection, chunk: Chunk) -> None:
        t0 = time.monotonic()
        rows = conn.execute(chunk.sql(), params).rowcount
        with lock:
            _count(stats, chunk.table, rows, time.monotonic() - t0)
            left[chunk.table] -= 1
            done = not left[chunk.table]
        if done and stats["seconds"][chunk.table] >= 1:  # the big tables, once each
            progress(
                f"scrub: {chunk.table} {stats['rows'][chunk.table]} rows in {stats['seconds'][chunk.table]:.1f}s of statements"
            )

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

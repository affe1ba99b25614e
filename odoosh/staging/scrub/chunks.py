"""Big tables cut into ranges of heap pages, worked through on several connections at once.

A range is read by a TID range scan (PostgreSQL 14+), so each connection reads only its own
pages. Both the scrub and the leak gate use this: one statement per table is then as parallel
as the number of cores, not as the number of tables. Every task runs in a transaction reading
one exported snapshot, so a row version written by one range is invisible to every other and
nothing is processed twice when an UPDATE moves a row into another range's pages.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import psycopg
from psycopg import sql

from odoosh.postgres import connect

CHUNK_BLOCKS = 8192  # 64 MiB of heap per range
TID_RANGE_SCAN = 140000  # server_version_num from which ctid ranges are read without a full scan

T = TypeVar("T")


@dataclass(frozen=True)
class Pages:
    """Heap pages [first, last) of a table; `first` None means the whole table."""

    blocks: int
    first: int | None = None
    last: int | None = None

    def condition(self) -> sql.Composable:
        """A WHERE condition selecting the rows stored in these pages (true for the whole table).
        Bounded on both sides: row versions written past the original end are never revisited."""
        if self.first is None:
            return sql.SQL("true")
        return sql.SQL("ctid >= {lo}::tid AND ctid < {hi}::tid").format(
            lo=sql.Literal(f"({self.first},0)"), hi=sql.Literal(f"({self.last},0)")
        )


def split(conn: psycopg.Connection, table: str, size: int | None = None) -> list[Pages]:
    """The table's pages in ranges of `size` (CHUNK_BLOCKS by default), or one whole range if
    small or if the server cannot scan ctid ranges."""
    size = max(1, size or CHUNK_BLOCKS)
    blocks = conn.execute(
        "SELECT pg_relation_size(%s::regclass) / current_setting('block_size')::int",
        (sql.Identifier(table).as_string(conn),),
    ).fetchone()[0]
    if blocks <= size or int(conn.execute("SHOW server_version_num").fetchone()[0]) < TID_RANGE_SCAN:
        return [Pages(blocks)]
    return [
        Pages(min(first + size, blocks) - first, first, min(first + size, blocks)) for first in range(0, blocks, size)
    ]


def tune(conn: psycopg.Connection) -> None:
    """Session settings for the large per-table statements run here: memory to hash and sort
    in, and no JIT, which would compile each statement again for every range and cost more
    than it saves."""
    conn.execute("SET work_mem = '256MB'")
    conn.execute("SET jit = off")


def run(
    dsn: str,
    tasks: Sequence[T],
    work: Callable[[psycopg.Connection, T], None],
    *,
    jobs: int,
    session: Callable[[psycopg.Connection], None],
) -> None:
    """Call `work(conn, task)` for every task, in order, on `jobs` connections prepared by
    `session`; each call in its own transaction on one shared snapshot. The first error
    stops the workers and is raised here."""
    todo: queue.Queue[T] = queue.Queue()
    for task in tasks:
        todo.put(task)
    errors: list[BaseException] = []
    with connect(dsn) as holder:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        snapshot = holder.execute("SELECT pg_export_snapshot()").fetchone()[0]

        def worker() -> None:
            try:
                with connect(dsn, autocommit=True) as conn:
                    session(conn)
                    while not errors:
                        try:
                            task = todo.get_nowait()
                        except queue.Empty:
                            return
                        with conn.transaction():
                            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
                            work(conn, task)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=worker, name=f"odoosh-chunk-{i}") for i in range(max(1, jobs))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        holder.rollback()
    if errors:
        raise errors[0]

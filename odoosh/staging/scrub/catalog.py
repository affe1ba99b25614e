"""What the database holds: the columns of schema public, read from pg_catalog.

Read from the catalog rather than assumed because Odoo versions and installed modules differ.
Only ordinary and partitioned tables count: views and foreign tables hold no rows of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

SCHEMA = "public"


@dataclass(frozen=True)
class Column:
    table: str
    name: str
    type: str  # format_type(): 'character varying', 'text', 'jsonb', 'date', ...
    category: str  # pg_type.typcategory: S string, U user (json/jsonb), D date/time, N numeric...
    not_null: bool = False

    @property
    def qualified(self) -> str:
        return f"{self.table}.{self.name}"

    @property
    def is_text(self) -> bool:
        """Holds text a person could have typed: strings, JSON documents (translations)."""
        return self.category == "S" or self.type in ("json", "jsonb")


def columns(conn: psycopg.Connection) -> list[Column]:
    rows = conn.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, NULL), t.typcategory, a.attnotnull
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND a.attnum > 0 AND NOT a.attisdropped
         ORDER BY c.relname, a.attnum
        """,
        (SCHEMA,),
    ).fetchall()
    return [Column(*row) for row in rows]


def by_table(cols: list[Column]) -> dict[str, list[Column]]:
    tables: dict[str, list[Column]] = {}
    for col in cols:
        tables.setdefault(col.table, []).append(col)
    return tables


def has_column(conn: psycopg.Connection, table: str, column: str) -> bool:
    return (
        conn.execute(
            """SELECT 1 FROM information_schema.columns
            WHERE table_schema = %s AND table_name = %s AND column_name = %s""",
            (SCHEMA, table, column),
        ).fetchone()
        is not None
    )


def has_table(conn: psycopg.Connection, table: str) -> bool:
    return has_schema_table(conn, SCHEMA, table)


def has_schema_table(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            (schema, table),
        ).fetchone()
        is not None
    )

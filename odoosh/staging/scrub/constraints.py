"""The constraints a scrub could break, proven in the quarantine before anything leaves it.

The quarantine holds production's tables and rows but none of its indexes and constraints
(the post-data section): staging builds those once, from the snapshot's schema. Only a
constraint over something the scrub wrote can fail there: a unique index over a column it
changed, a foreign key from a column it changed or into a table it deleted rows from. Each
of those is built here from the schema's own definition, inside a transaction that is then
rolled back, so a policy that breaks one fails the quarantine instead of staging's restore.

Not checked here, and left to the staging candidate's restore (which fails without touching
staging): the neutralization's fixed writes, constraint-safe by design and tested on real Odoo
schemas, and exclusion constraints, which Odoo does not use.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

ROWS_DELETED = "*"  # in a table's written columns: rows of it were deleted


@dataclass(frozen=True)
class Constraint:
    name: str
    table: str
    statements: tuple[str, ...]  # run in order inside one transaction; the last one is the proof


def at_risk(schema: psycopg.Connection, written: dict[str, list[str]]) -> list[Constraint]:
    """The unique indexes and foreign keys of `schema` that `written` (table -> columns the
    scrub wrote, ROWS_DELETED where it deleted rows) could have broken."""
    found = []
    for name, table, columns, any_column, definition in schema.execute(_UNIQUE_INDEXES):
        changed = set(written.get(table, ())) - {ROWS_DELETED}
        if changed and (any_column or changed & set(columns)):
            found.append(Constraint(name, table, (definition,)))
    for name, table, columns, target, definition, target_index in schema.execute(_FOREIGN_KEYS):
        if set(written.get(table, ())) & set(columns) or ROWS_DELETED in written.get(target, ()):
            add = sql.SQL("ALTER TABLE ONLY {} ADD CONSTRAINT {} ").format(sql.Identifier(table), sql.Identifier(name))
            found.append(Constraint(name, table, (target_index, add.as_string(schema) + definition)))
    return found


def broken(quarantine: psycopg.Connection, constraints: list[Constraint]) -> list[str]:
    """Which of `constraints` the quarantine's rows violate, with PostgreSQL's reason.

    Only the primary message is kept: its detail quotes the offending values.
    """
    failures = []
    for constraint in constraints:
        try:
            with quarantine.transaction(force_rollback=True):
                for statement in constraint.statements:
                    quarantine.execute(statement)
        except (psycopg.errors.IntegrityError, psycopg.errors.ProgramLimitExceeded) as error:
            failures.append(f"{constraint.name} on {constraint.table}: {error.diag.message_primary}")
    return failures


# Unique indexes, those of primary keys and unique constraints included. Expression and
# partial indexes may read any column of their table.
_UNIQUE_INDEXES = """
SELECT i.relname, t.relname,
       ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = ANY(x.indkey)),
       x.indexprs IS NOT NULL OR x.indpred IS NOT NULL,
       pg_get_indexdef(x.indexrelid)
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
 WHERE x.indisunique AND t.relnamespace = 'public'::regnamespace
"""

# Foreign keys with the unique index they need on the referenced side (absent in the quarantine).
_FOREIGN_KEYS = """
SELECT c.conname, t.relname,
       ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = t.oid AND a.attnum = ANY(c.conkey)),
       r.relname, pg_get_constraintdef(c.oid), pg_get_indexdef(c.conindid)
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_class r ON r.oid = c.confrelid
 WHERE c.contype = 'f' AND t.relnamespace = 'public'::regnamespace
"""

"""The pii_coverage gate: every column that may hold personal data must be classified.

A column is suspect when its name says so (email, phone, name, street...), when its type is
free text (`text`: Odoo Text/Html fields) or a JSON document (`jsonb`: translated fields from
Odoo 16 on), when it is a custom field (`x_...`, Studio), or when a sample of its values
contains an email address, a phone number or an IBAN (`contents`). Suspects are discovered in the
catalog, never listed by hand, so a module installed next month is covered the day it is.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from odoosh.staging.scrub import catalog, contents, patterns
from odoosh.staging.scrub.policy import Policy

# Whole words of a column name (split on '_') that suggest personal data or credentials.
_PII_WORDS = (
    "email|emails|phone|mobile|fax|name|names|street|street2|address|zip|city|vat|iban|"
    "acc_number|birthday|birth|ssn|ssnid|sinid|passport|identification|permit|visa|spouse|"
    "emergency|login|password|passwd|pass|pin|token|secret|key|signature|body|comment|comments|"
    "note|notes|description|subject|message|feedback|content|ip"
)
PII_NAME = re.compile(rf"(^|_)({_PII_WORDS})(_|$)")
_BIRTH = re.compile(r"(^|_)birth")
_GEO = re.compile(r"(^|_)(latitude|longitude)(_|$)")
SAMPLE_PAGES = 64  # of 8 kB: a few thousand rows, spread over the whole table
MAY_HOLD = "@|" + "[0-9][^0-9]*" * (patterns.MIN_PHONE_DIGITS - 1) + "[0-9]"  # an email, or enough digits for a phone


def is_suspect_by_schema(col: catalog.Column) -> bool:
    """Suspect from the catalog alone: name, type, or custom (x_) origin."""
    if col.is_text:
        return (
            col.type in ("text", "json", "jsonb")
            or col.name.startswith("x_")
            or col.table.startswith("x_")
            or PII_NAME.search(col.name) is not None
        )
    if col.category == "D":
        return _BIRTH.search(col.name) is not None
    if col.category == "N":
        return _GEO.search(col.name) is not None
    return col.type == "bytea"  # binary attachments and images: content unknown


def suspect_columns(conn: psycopg.Connection) -> list[catalog.Column]:
    """Every PII-suspect column of schema public, by schema and by sampled content."""
    suspects = []
    region = contents.company_region(conn)
    for table, cols in catalog.by_table(catalog.columns(conn)).items():
        suspects += [c for c in cols if is_suspect_by_schema(c)]
        others = [c for c in cols if c.is_text and not is_suspect_by_schema(c)]
        if others:
            suspects += _suspect_by_content(conn, table, others, region)
    return suspects


def _suspect_by_content(
    conn: psycopg.Connection, table: str, cols: list[catalog.Column], region: str | None
) -> list[catalog.Column]:
    """Columns whose sampled values hold an email address, a phone number or an IBAN. The
    sample is pages spread over the whole table (all of a small one), not its first rows."""
    pages = conn.execute(
        "SELECT pg_relation_size(c.oid) / current_setting('block_size')::int FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
        (catalog.SCHEMA, table),
    ).fetchone()[0]
    percent = min(100.0, 100.0 * SAMPLE_PAGES / max(pages, 1))
    values = sql.SQL(", ").join(
        sql.SQL("left({c}::text, {n})").format(c=sql.Identifier(c.name), n=sql.Literal(contents.MAX_CHARS))
        for c in cols
    )
    # Only values that could hold one are read: an '@', or enough digits for a phone number.
    may_hold = sql.SQL(" OR ").join(
        sql.SQL("{c}::text ~ {re}").format(c=sql.Identifier(c.name), re=sql.Literal(MAY_HOLD)) for c in cols
    )
    query = sql.SQL(
        "SELECT {values} FROM {table} TABLESAMPLE SYSTEM ({percent}) REPEATABLE (0) WHERE {may_hold}"
    ).format(values=values, table=sql.Identifier(table), percent=sql.Literal(percent), may_hold=may_hold)
    flagged: set[int] = set()
    for row in conn.execute(query):
        for index, value in enumerate(row):
            if index not in flagged and value and contents.kinds(value, region):
                flagged.add(index)
        if len(flagged) == len(cols):
            break
    return [c for index, c in enumerate(cols) if index in flagged]


def unclassified_columns(conn: psycopg.Connection, policy: Policy) -> list[str]:
    """`table.column` of every suspect column the policy does not classify, sorted."""
    return sorted(c.qualified for c in suspect_columns(conn) if policy.rule(c.table, c.name) is None)

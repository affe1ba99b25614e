"""The pii_coverage gate: every column that may hold personal data must be classified.

A column is suspect when its name says so (email, phone, name, street...), when its type is
free text (`text`: Odoo Text/Html fields) or a JSON document (`jsonb`: translated fields from
Odoo 16 on), when it is a custom field (`x_...`, Studio), or when a sample of its values
contains an email address or an international phone number. Suspects are discovered in the
catalog, never listed by hand, so a module installed next month is covered the day it is.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from odoosh.staging.scrub import catalog, patterns
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
SAMPLE_ROWS = 1000
_INTERNATIONAL_PHONE = r"\+\d[\d .()/-]{7,}\d"


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
    for table, cols in catalog.by_table(catalog.columns(conn)).items():
        suspects += [c for c in cols if is_suspect_by_schema(c)]
        others = [c for c in cols if c.is_text and not is_suspect_by_schema(c)]
        if others:
            suspects += _suspect_by_content(conn, table, others)
    return suspects


def _suspect_by_content(conn: psycopg.Connection, table: str, cols: list[catalog.Column]) -> list[catalog.Column]:
    """Columns whose first rows contain an email address or an international phone number."""
    tests = sql.SQL(", ").join(
        sql.SQL("bool_or({c}::text ~ %(email)s OR {c}::text ~ %(phone)s)").format(c=sql.Identifier(c.name))
        for c in cols
    )
    query = sql.SQL("SELECT {tests} FROM (SELECT * FROM {table} LIMIT {n}) sample").format(
        tests=tests, table=sql.Identifier(table), n=sql.Literal(SAMPLE_ROWS)
    )
    flags = conn.execute(query, {"email": patterns.EMAIL, "phone": _INTERNATIONAL_PHONE}).fetchone()
    return [c for c, flagged in zip(cols, flags, strict=True) if flagged]


def unclassified_columns(conn: psycopg.Connection, policy: Policy) -> list[str]:
    """`table.column` of every suspect column the policy does not classify, sorted."""
    return sorted(c.qualified for c in suspect_columns(conn) if policy.rule(c.table, c.name) is None)

"""Read-only facts about an Odoo database, for asset metadata."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

# The tables where Odoo keeps most personal data (DESIGN.md, "PII in Odoo").
PII_TABLES = (
    "res_partner",
    "res_users",
    "res_users_apikeys",
    "hr_employee",
    "res_partner_bank",
    "mail_message",
    "mail_mail",
    "mail_tracking_value",
    "crm_lead",
    "ir_attachment",
)


@dataclass(frozen=True)
class DatabaseStatistics:
    size_bytes: int
    size_pretty: str  # PostgreSQL's pg_size_pretty
    modules_installed: list[str]
    pii_rows: dict[str, int]  # only the PII tables this database has


def statistics(conn: psycopg.Connection) -> DatabaseStatistics:
    size, pretty = conn.execute(
        "SELECT pg_database_size(current_database()), pg_size_pretty(pg_database_size(current_database()))"
    ).fetchone()
    present = {
        name
        for (name,) in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY(%s)",
            (list(PII_TABLES),),
        )
    }
    rows = {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
        for table in PII_TABLES
        if table in present
    }
    modules = [
        name for (name,) in conn.execute("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name")
    ]
    return DatabaseStatistics(size, pretty, modules, rows)

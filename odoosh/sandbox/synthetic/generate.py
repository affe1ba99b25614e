"""Build the synthetic Odoo 16 production database: schema, seeded value pools, set-based fill.

The build runs in one transaction, in the order pg_restore uses: create the tables, load the
rows (each recipe in ``tables/`` is one or more ``INSERT ... SELECT`` over ``generate_series``
reading the plan and the pools), then add keys, indexes and foreign keys, move the sequences past
the loaded ids and ANALYZE. A failed build leaves the database empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from odoosh.postgres import connect
from odoosh.sandbox.synthetic.plan import Plan
from odoosh.sandbox.synthetic.pools import POOL_SIZE, load_pools

HERE = Path(__file__).parent
POST_DATA_MARKER = "-- odoosh:post-data"

# (recipe in tables/, the tables it fills), in dependency order: a recipe may read tables
# filled before it.
STEPS: list[tuple[str, tuple[str, ...]]] = [
    (
        "reference",
        (
            "res_lang",
            "res_currency",
            "res_country",
            "resource_calendar",
            "crm_team",
            "crm_stage",
            "mail_message_subtype",
            "ir_model",
            "ir_model_fields",
            "ir_module_module",
        ),
    ),
    ("res_partner", ("res_partner",)),
    ("res_company", ("res_company",)),
    ("res_users", ("res_users",)),
    ("user_security", ("res_users_log", "res_users_apikeys", "auth_totp_device", "google_calendar_credentials")),
    ("res_partner_bank", ("res_partner_bank",)),
    ("hr_employee", ("hr_employee", "resource_resource")),
    ("hr_applicant", ("hr_applicant",)),
    ("crm_lead", ("crm_lead",)),
    (
        "settings",
        (
            "ir_config_parameter",
            "ir_mail_server",
            "fetchmail_server",
            "mail_ice_server",
            "mail_template",
            "payment_provider",
            "iap_account",
            "website",
            "auth_oauth_provider",
            "delivery_carrier",
        ),
    ),
    ("automation", ("ir_actions", "ir_act_server", "ir_cron", "ir_model_data")),
    ("mail_message", ("mail_message",)),
    ("mail_mail", ("mail_mail",)),
    ("mail_tracking_value", ("mail_tracking_value",)),
    ("ir_attachment", ("ir_attachment",)),
]

SERIAL_SEQUENCES = """
    SELECT s.oid::regclass::text, t.relname, a.attname
      FROM pg_depend AS d
      JOIN pg_class AS s ON s.oid = d.objid AND s.relkind = 'S'
      JOIN pg_class AS t ON t.oid = d.refobjid
      JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
     WHERE d.deptype = 'a' AND t.relnamespace = 'public'::regnamespace
     ORDER BY 1
"""


def _schema_sections() -> tuple[str, str]:
    """schema.sql split into its tables and its post-data (keys, indexes, foreign keys)."""
    pre_data, post_data = (HERE / "schema.sql").read_text().split(POST_DATA_MARKER)
    return pre_data, post_data


def build(dsn: str, *, scale: float = 1.0, seed: int = 0, progress: Callable[[str], None] = print) -> dict[str, int]:
    """Create the schema in the (empty) database at `dsn` and fill it; return rows per table."""
    plan = Plan.for_scale(scale, seed)
    pre_data, post_data = _schema_sections()
    started = time.monotonic()
    rows: dict[str, int] = {}
    with connect(dsn) as conn:
        _require_empty(conn)
        # JIT compiles these wide expressions for seconds and gains little on them.
        conn.execute("SET LOCAL jit = off")
        conn.execute("SET LOCAL work_mem = '256MB'")
        conn.execute(pre_data)
        conn.execute(_helpers(seed))
        load_pools(conn, seed)
        plan.load(conn)
        progress(f"schema and value pools ready in {time.monotonic() - started:.2f} s")
        for recipe, tables in STEPS:
            step_started = time.monotonic()
            conn.execute((HERE / "tables" / f"{recipe}.sql").read_text())
            counts = {table: _count(conn, table) for table in tables}
            rows |= counts
            filled = ", ".join(f"{table} {n:,}" for table, n in counts.items())
            progress(f"{recipe}: {filled} rows in {time.monotonic() - step_started:.2f} s")
        step_started = time.monotonic()
        conn.execute(post_data)
        _reset_sequences(conn)
        conn.execute("ANALYZE")
        progress(f"keys, indexes, foreign keys and statistics in {time.monotonic() - step_started:.2f} s")
    progress(f"built {sum(rows.values()):,} rows in {time.monotonic() - started:.1f} s")
    return rows


def _require_empty(conn: psycopg.Connection) -> None:
    found = conn.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").fetchone()[0]
    if found:
        raise ValueError(
            f"database {conn.info.dbname!r} is not empty ({found} relations in schema public); "
            "the synthetic build needs a new, empty database"
        )


def _helpers(seed: int) -> sql.Composed:
    return sql.SQL((HERE / "helpers.sql").read_text()).format(seed=sql.Literal(seed), pool_size=sql.Literal(POOL_SIZE))


def _count(conn: psycopg.Connection, table: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]


def _reset_sequences(conn: psycopg.Connection) -> None:
    """Rows were inserted with explicit ids: move every serial sequence past its column's maximum."""
    for sequence, table, column in conn.execute(SERIAL_SEQUENCES).fetchall():
        conn.execute(
            sql.SQL("SELECT setval(%s::regclass, (SELECT coalesce(max({}), 0) + 1 FROM {}), false)").format(
                sql.Identifier(column), sql.Identifier(table)
            ),
            (sequence,),
        )

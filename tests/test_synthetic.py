"""The synthetic Odoo 16 production database, built for real on the session cluster."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from odoosh.sandbox.synthetic import build
from odoosh.sandbox.synthetic.__main__ import main
from odoosh.sandbox.synthetic.generate import STEPS
from tests.synthetic_expectations import EMAIL, FREE_TEXT, PHONE, PII, REQUIRED_TABLES

ODOO16_DUMP = Path(__file__).resolve().parent / "data" / "odoo-schemas" / "odoo16-maaranodoo-mmdb.sql"


@pytest.fixture(scope="module")
def synthetic(pg):
    """The default build (scale 1, seed 0), shared by the read-only tests of this module."""
    name = "synthetic_default"
    pg.databases.drop(name)
    pg.databases.create(name)
    rows = build(pg.dsn(name), progress=lambda message: None)
    yield name, rows
    pg.databases.drop(name)


def dump_columns() -> dict[str, dict[str, str]]:
    """{table: {column: "type[ NOT NULL]"}} from the CREATE TABLE statements of the Odoo 16 dump
    (own columns only: the dump lists inherited ones under the parent table)."""
    tables = {}
    for table, body in re.findall(r"^CREATE TABLE public\.(\w+) \(\n(.*?)\n\)", ODOO16_DUMP.read_text(), re.M | re.S):
        columns = {}
        for line in body.splitlines():
            name, definition = line.strip().rstrip(",").split(" ", 1)
            if name != "CONSTRAINT":
                type_ = definition.split(" DEFAULT ")[0].removesuffix(" NOT NULL")
                columns[name.strip('"')] = type_ + (" NOT NULL" if definition.endswith(" NOT NULL") else "")
        tables[table] = columns
    return tables


def db_columns(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    for table, column, type_ in conn.execute("""
            SELECT c.relname, a.attname,
                   format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
              FROM pg_class AS c JOIN pg_attribute AS a ON a.attrelid = c.oid
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0
               AND NOT a.attisdropped AND a.attislocal"""):
        tables.setdefault(table, {})[column] = type_
    return tables


def table_digests(conn: psycopg.Connection) -> dict[str, str]:
    tables = [
        t
        for (t,) in conn.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
        )
    ]
    return {
        table: conn.execute(
            sql.SQL("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM ONLY {} AS t").format(
                sql.Identifier(table)
            )
        ).fetchone()[0]
        for table in tables
    }


def test_schema_is_a_faithful_subset_of_odoo_16(pg, synthetic):
    name, _ = synthetic
    reference = dump_columns()
    assert {"res_partner", "mail_message", "hr_employee"} <= reference.keys()  # the parser found the dump
    with pg.connect(name) as conn:
        ours = db_columns(conn)
    assert ours.keys() >= REQUIRED_TABLES
    assert {"crm_lead", "crm_stage", "delivery_carrier"} == ours.keys() - reference.keys()
    mismatches = {
        (table, column): (type_, reference[table].get(column))
        for table, columns in ours.items()
        if table in reference
        for column, type_ in columns.items()
        if reference[table].get(column) != type_ and not column.startswith("x_")
    }
    assert mismatches == {}
    with pg.connect(name) as conn:  # custom columns are declared as Odoo declares them
        custom = {(t, c) for t, columns in ours.items() for c in columns if c.startswith("x_")}
        declared = set(
            conn.execute("SELECT replace(model, '.', '_'), name FROM ir_model_fields WHERE state = 'manual'").fetchall()
        )
    assert custom and custom == declared
    for table, columns in PII.items():
        assert columns.keys() <= ours[table].keys(), table
    assert ours["crm_lead"]["lead_properties"] == "jsonb"
    assert ours["ir_module_module"]["shortdesc"] == "jsonb"
    assert ours["mail_template"]["body_html"] == "jsonb"


def test_every_table_is_filled_and_counted(pg, synthetic):
    name, rows = synthetic
    with pg.connect(name) as conn:
        tables = {
            t
            for (t,) in conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
            )
        }
    assert rows.keys() == tables == {t for _, step_tables in STEPS for t in step_tables}
    assert all(count > 0 for count in rows.values()), rows
    assert 1900 <= rows["res_partner"] <= 2100 and rows["mail_message"] == 10_000


def test_pii_columns_are_filled(pg, synthetic):
    name, _ = synthetic
    short = {}
    with pg.connect(name) as conn:
        for table, columns in PII.items():
            for column, least in columns.items():
                filled, total = conn.execute(
                    sql.SQL(
                        "SELECT count(*) FILTER (WHERE nullif({c}::text, '') IS NOT NULL), count(*) FROM {t}"
                    ).format(c=sql.Identifier(column), t=sql.Identifier(table))
                ).fetchone()
                if filled < least * total:
                    short[table, column] = f"{filled}/{total}"
    assert short == {}


def test_free_text_carries_emails_and_phone_numbers(pg, synthetic):
    name, _ = synthetic
    with pg.connect(name) as conn:
        for table, column, least in FREE_TEXT:
            texts = [
                t
                for (t,) in conn.execute(
                    sql.SQL("SELECT {c} FROM {t} WHERE nullif({c}, '') IS NOT NULL").format(
                        c=sql.Identifier(column), t=sql.Identifier(table)
                    )
                )
            ]
            with_both = sum(1 for t in texts if EMAIL.search(t) and PHONE.search(t))
            assert texts and with_both >= least * len(texts), (table, column, with_both, len(texts))
        # message bodies quote their author's real email and phone, as people sign their mail
        unsigned = conn.execute("""
            SELECT count(*) FROM mail_message AS m JOIN res_partner AS a ON a.id = m.author_id
             WHERE m.body <> '' AND (strpos(m.body, a.email) = 0 OR strpos(m.body, coalesce(a.mobile, a.phone)) = 0)
        """).fetchone()[0]
        assert unsigned == 0
        # tracked email changes keep the old and new addresses
        tracked = conn.execute("""
            SELECT old_value_char, new_value_char FROM mail_tracking_value AS v
              JOIN ir_model_fields AS f ON f.id = v.field WHERE f.name = 'email_from'""").fetchall()
        assert tracked and all(EMAIL.fullmatch(old) and EMAIL.fullmatch(new) for old, new in tracked)


def test_mail_dominates_the_size(pg, synthetic):
    name, _ = synthetic
    with pg.connect(name) as conn:
        mail, total = conn.execute("""
            SELECT sum(pg_total_relation_size(oid)) FILTER (WHERE relname IN ('mail_message', 'mail_mail')),
                   sum(pg_total_relation_size(oid))
              FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'""").fetchone()
    assert mail > total / 2


def test_references_resolve(pg, synthetic):
    name, _ = synthetic
    with pg.connect(name) as conn:
        foreign_keys, unvalidated = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT convalidated) FROM pg_constraint WHERE contype = 'f'"
        ).fetchone()
        assert foreign_keys > 150 and unvalidated == 0
        # (model, res_id) pairs are not foreign keys in Odoo: check them here
        dangling = conn.execute("""
            WITH refs AS (SELECT model, res_id FROM mail_message
                          UNION ALL SELECT res_model, res_id FROM ir_attachment
                          UNION ALL SELECT model, res_id FROM ir_model_data)
            SELECT model, count(*) FROM refs
             WHERE NOT CASE model
                   WHEN 'res.partner' THEN EXISTS (SELECT FROM res_partner WHERE id = res_id)
                   WHEN 'res.users' THEN EXISTS (SELECT FROM res_users WHERE id = res_id)
                   WHEN 'res.company' THEN EXISTS (SELECT FROM res_company WHERE id = res_id)
                   WHEN 'crm.lead' THEN EXISTS (SELECT FROM crm_lead WHERE id = res_id)
                   WHEN 'hr.applicant' THEN EXISTS (SELECT FROM hr_applicant WHERE id = res_id)
                   WHEN 'hr.employee' THEN EXISTS (SELECT FROM hr_employee WHERE id = res_id)
                   WHEN 'mail.message' THEN EXISTS (SELECT FROM mail_message WHERE id = res_id)
                   WHEN 'ir.cron' THEN EXISTS (SELECT FROM ir_cron WHERE id = res_id)
                   WHEN 'ir.actions.server' THEN EXISTS (SELECT FROM ir_act_server WHERE id = res_id)
                   WHEN 'ir.module.module' THEN EXISTS (SELECT FROM ir_module_module WHERE id = res_id)
                   ELSE true END
             GROUP BY model""").fetchall()
        assert dangling == []
        # an employee's private address bears the employee's name, and its bank account is theirs
        mismatched = conn.execute("""
            SELECT count(*) FROM hr_employee AS e
              JOIN res_partner AS h ON h.id = e.address_home_id
              JOIN res_partner_bank AS b ON b.id = e.bank_account_id
             WHERE h.name <> e.name OR b.partner_id <> h.id OR h.type <> 'private'""").fetchone()[0]
        assert mismatched == 0
        # sequences continue after the loaded ids
        next_partner = conn.execute("SELECT nextval('res_partner_id_seq')").fetchone()[0]
        assert next_partner == conn.execute("SELECT max(id) + 1 FROM res_partner").fetchone()[0]


def test_technical_rows_look_like_production(pg, synthetic):
    name, _ = synthetic
    with pg.connect(name) as conn:

        def one(query):
            return conn.execute(query).fetchone()

        assert one("SELECT login, active, share FROM res_users WHERE id = 2") == ("admin", True, False)
        assert one("SELECT login, active, share FROM res_users WHERE id = 3") == ("public", False, True)
        assert one("SELECT count(*) FROM res_users WHERE NOT share AND active")[0] >= 20
        assert one("SELECT count(*) FROM res_users WHERE share AND active")[0] >= 20
        assert one("SELECT name = (SELECT name FROM res_partner WHERE id = 1) FROM res_company") == (True,)
        modules = dict(conn.execute("SELECT name, state FROM ir_module_module").fetchall())
        expected = {
            "base",
            "web",
            "mail",
            "contacts",
            "crm",
            "hr",
            "payment",
            "website",
            "iap",
            "auth_totp",
            "calendar",
            "auth_oauth",
            "delivery",
            "google_calendar",
        }
        assert expected <= modules.keys() and set(modules.values()) == {"installed"}
        params = dict(conn.execute("SELECT key, value FROM ir_config_parameter").fetchall())
        assert params["web.base.url"] == "http://localhost:8069"
        assert re.fullmatch(r"[0-9a-f-]{36}", params["database.uuid"])
        assert params["database.secret"] != params["database.uuid"] and params["database.create_date"]
        assert one("""SELECT c.active, a.code FROM ir_cron AS c
                        JOIN ir_act_server AS a ON a.id = c.ir_actions_server_id
                        JOIN ir_model_data AS d ON d.res_id = c.id AND d.model = 'ir.cron'
                       WHERE d.module = 'base' AND d.name = 'autovacuum_job'""") == (
            True,
            "model._run_vacuum_cleaner()",
        )
        assert one("SELECT count(*) = count(*) FILTER (WHERE active) AND count(*) > 3 FROM ir_cron") == (True,)
        assert (
            one(
                "SELECT count(*) FROM ir_mail_server WHERE active AND smtp_host <> '' "
                "AND coalesce(smtp_pass, google_gmail_refresh_token) <> ''"
            )[0]
            == 2
        )
        assert one("SELECT count(*) FROM fetchmail_server WHERE active AND password <> ''")[0] >= 1
        assert (
            one(
                "SELECT count(*) FROM payment_provider WHERE state = 'enabled' "
                "AND coalesce(stripe_secret_key, paypal_pdt_token) <> ''"
            )[0]
            == 2
        )
        assert one("SELECT bool_and(account_token <> '') FROM iap_account") == (True,)
        assert one("SELECT domain LIKE 'https://www.%' FROM website") == (True,)
        assert one("SELECT count(*) FROM auth_oauth_provider WHERE enabled AND client_id <> ''")[0] == 1
        assert one("SELECT bool_and(prod_environment) FROM delivery_carrier") == (True,)
        assert one("SELECT bool_and(mail_server_id IS NOT NULL) FROM mail_template") == (True,)
        assert one("SELECT count(*) FROM mail_ice_server WHERE credential <> ''")[0] == 1
        assert one("SELECT bool_and(password LIKE '$pbkdf2-sha512$%') FROM res_users WHERE password IS NOT NULL") == (
            True,
        )


def test_same_seed_same_database(pg, synthetic, fresh_db):
    name, rows = synthetic
    assert build(pg.dsn(fresh_db), progress=lambda message: None) == rows
    with pg.connect(name) as first, pg.connect(fresh_db) as second:
        assert table_digests(first) == table_digests(second)


def test_scale_and_seed_change_the_data(pg, synthetic, fresh_db):
    name, rows = synthetic
    small = build(pg.dsn(fresh_db), scale=0.2, seed=7, progress=lambda message: None)
    for table in ("res_partner", "mail_message", "crm_lead", "ir_attachment", "hr_employee"):
        assert small[table] < rows[table] / 3, table
    assert small["mail_message"] == 2000
    for table in ("res_company", "ir_cron", "ir_module_module", "payment_provider"):
        assert small[table] == rows[table], table
    with pg.connect(name) as first, pg.connect(fresh_db) as second:
        names = "SELECT name FROM res_partner WHERE id <= 50 ORDER BY id"
        assert first.execute(names).fetchall() != second.execute(names).fetchall()


def test_refuses_a_database_that_is_not_empty(pg, synthetic):
    name, _ = synthetic
    with pytest.raises(ValueError, match="not empty"):
        build(pg.dsn(name), progress=lambda message: None)


def test_command_line_reports_rows_and_size(pg, fresh_db, capsys):
    main(["--dsn", pg.dsn(fresh_db), "--scale", "0.05", "--seed", "3"])
    out = capsys.readouterr().out
    assert re.search(r"^mail_message +500 ", out, re.M)
    assert re.search(r"database size [\d,.]+ MiB", out)
    with pytest.raises(SystemExit) as exited:  # a second build into the same database is refused
        main(["--dsn", pg.dsn(fresh_db)])
    assert exited.value.code == 1 and "not empty" in capsys.readouterr().err

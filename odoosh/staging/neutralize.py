"""Neutralize an Odoo database copy: nothing in it may act on the outside world.

Parity with the `data/neutralize.sql` files of Odoo 16/17 (base, mail, payment, iap, website,
auth_oauth, delivery, google_calendar, microsoft_calendar, sms) plus what a raw SQL copy
misses and Odoo does in Python: a new `database.secret`/`database.uuid`, the base URL, no
enterprise code. Each fact is a pair (apply, verify) that runs only where its table and
columns exist, because versions and installed modules differ. `verify_neutralized` re-reads
every fact from the database, so it fails if anything was switched back on afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg
from psycopg import sql

from odoosh.staging.scrub import catalog
from odoosh.staging.scrub.leaks import SCHEMA as QUARANTINE_SCHEMA

DUMMY_SERVER = "odoosh neutralization: mail catcher"
ROBOTS = "User-agent: *\nDisallow: /"
# Production's secret and uuid, kept in the quarantine-only schema (dropped before the dump)
# to prove they were rotated.
ORIGIN_TABLE = "neutralize_origin"
ORIGIN = sql.Identifier(QUARANTINE_SCHEMA, ORIGIN_TABLE)


@dataclass(frozen=True)
class Fact:
    description: str
    needs: tuple[tuple[str, str], ...]  # (table, column) that must exist for the fact to apply
    apply: tuple[str, ...]  # statements; %(name)s parameters from the settings
    violations: str | sql.Composed  # SELECT count(*) of rows breaking the fact
    absent: tuple[tuple[str, str], ...] = ()  # (table, column) that must NOT exist
    needs_origin: bool = False  # reads the record of production's secret and uuid


def _facts() -> list[Fact]:
    autovacuum = (
        "id NOT IN (SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' "
        "AND name = 'autovacuum_job' UNION ALL "
        # no xmlid (a copy without ir_model_data rows): its name, a jsonb translation from 16 on
        "SELECT id FROM ir_cron WHERE cron_name::text LIKE '%%Base: Auto-vacuum internal data%%')"
    )
    return [
        Fact(
            "scheduled actions inactive except base.autovacuum_job",
            (("ir_cron", "active"), ("ir_model_data", "res_id")),
            (f"UPDATE ir_cron SET active = false WHERE active AND {autovacuum}",),
            f"SELECT count(*) FROM ir_cron WHERE active AND {autovacuum}",
        ),
        Fact(
            "outgoing mail servers inactive except the catcher",
            (("ir_mail_server", "active"),),
            ("UPDATE ir_mail_server SET active = false WHERE active AND name IS DISTINCT FROM %(dummy)s",),
            "SELECT count(*) FROM ir_mail_server WHERE active AND name IS DISTINCT FROM %(dummy)s",
        ),
        *_catcher_facts(),
        Fact(
            "mail templates use the default mail server",
            (("mail_template", "mail_server_id"),),
            ("UPDATE mail_template SET mail_server_id = NULL WHERE mail_server_id IS NOT NULL",),
            "SELECT count(*) FROM mail_template WHERE mail_server_id IS NOT NULL",
        ),
        Fact(
            "incoming mail servers inactive",
            (("fetchmail_server", "active"),),
            ("UPDATE fetchmail_server SET active = false WHERE active",),
            "SELECT count(*) FROM fetchmail_server WHERE active",
        ),
        Fact(
            "web push keys and devices removed",
            (("mail_push_device", "id"),),
            ("DELETE FROM mail_push_device",),
            "SELECT count(*) FROM mail_push_device",
        ),
        Fact(
            "payment providers disabled or in test mode",
            (("payment_provider", "state"),),
            ("UPDATE payment_provider SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')",),
            "SELECT count(*) FROM payment_provider WHERE state NOT IN ('test', 'disabled')",
        ),
        Fact(
            "payment acquirers disabled or in test mode (Odoo <= 15)",
            (("payment_acquirer", "state"),),
            ("UPDATE payment_acquirer SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')",),
            "SELECT count(*) FROM payment_acquirer WHERE state NOT IN ('test', 'disabled')",
        ),
        Fact(
            "IAP account tokens suffixed +disabled",
            (("iap_account", "account_token"),),
            (
                "UPDATE iap_account SET account_token = regexp_replace(account_token, '(\\+.*)?$', '+disabled') "
                "WHERE account_token NOT LIKE '%%+disabled'",
            ),
            "SELECT count(*) FROM iap_account WHERE account_token NOT LIKE '%%+disabled'",
        ),
        Fact(
            "server-action webhooks disabled",
            (("ir_act_server", "webhook_url"),),
            (
                "UPDATE ir_act_server SET webhook_url = 'neutralization - disable webhook' WHERE state = 'webhook' "
                "AND webhook_url IS DISTINCT FROM 'neutralization - disable webhook'",
            ),
            "SELECT count(*) FROM ir_act_server WHERE state = 'webhook' "
            "AND webhook_url IS DISTINCT FROM 'neutralization - disable webhook'",
        ),
        Fact(
            "OAuth providers disabled",
            (("auth_oauth_provider", "enabled"),),
            ("UPDATE auth_oauth_provider SET enabled = false WHERE enabled",),
            "SELECT count(*) FROM auth_oauth_provider WHERE enabled",
        ),
        Fact(
            "website domains cleared",
            (("website", "domain"),),
            ("UPDATE website SET domain = NULL WHERE domain IS NOT NULL",),
            "SELECT count(*) FROM website WHERE domain IS NOT NULL",
        ),
        Fact(
            "website robots.txt disallows all",
            (("website", "robots_txt"),),
            ("UPDATE website SET robots_txt = %(robots)s WHERE robots_txt IS DISTINCT FROM %(robots)s",),
            "SELECT count(*) FROM website WHERE robots_txt IS DISTINCT FROM %(robots)s",
        ),
        Fact(
            "website CDN off",
            (("website", "cdn_activated"),),
            ("UPDATE website SET cdn_activated = false WHERE cdn_activated",),
            "SELECT count(*) FROM website WHERE cdn_activated",
        ),
        Fact(
            "delivery carriers in test environment",
            (("delivery_carrier", "prod_environment"),),
            ("UPDATE delivery_carrier SET prod_environment = false WHERE prod_environment",),
            "SELECT count(*) FROM delivery_carrier WHERE prod_environment",
        ),
        Fact(
            "Google calendar tokens cleared (Odoo 17)",
            (("res_users_settings", "google_calendar_rtoken"),),
            (
                "UPDATE res_users_settings SET google_calendar_rtoken = NULL, google_calendar_token = NULL "
                "WHERE google_calendar_rtoken IS NOT NULL OR google_calendar_token IS NOT NULL",
            ),
            "SELECT count(*) FROM res_users_settings WHERE google_calendar_rtoken IS NOT NULL "
            "OR google_calendar_token IS NOT NULL",
        ),
        Fact(
            "Google calendar tokens cleared (Odoo 16)",
            (("google_calendar_credentials", "calendar_rtoken"),),
            (
                "UPDATE google_calendar_credentials SET calendar_rtoken = NULL, calendar_token = NULL "
                "WHERE calendar_rtoken IS NOT NULL OR calendar_token IS NOT NULL",
            ),
            "SELECT count(*) FROM google_calendar_credentials WHERE calendar_rtoken IS NOT NULL "
            "OR calendar_token IS NOT NULL",
        ),
        Fact(
            "Google calendar tokens cleared (Odoo <= 15)",
            (("res_users", "google_calendar_rtoken"),),
            (
                "UPDATE res_users SET google_calendar_rtoken = NULL, google_calendar_token = NULL "
                "WHERE google_calendar_rtoken IS NOT NULL OR google_calendar_token IS NOT NULL",
            ),
            "SELECT count(*) FROM res_users WHERE google_calendar_rtoken IS NOT NULL OR google_calendar_token IS NOT NULL",
        ),
        Fact(
            "Microsoft calendar tokens cleared",
            (("res_users", "microsoft_calendar_rtoken"),),
            (
                "UPDATE res_users SET microsoft_calendar_rtoken = NULL, microsoft_calendar_token = NULL "
                "WHERE microsoft_calendar_rtoken IS NOT NULL OR microsoft_calendar_token IS NOT NULL",
            ),
            "SELECT count(*) FROM res_users WHERE microsoft_calendar_rtoken IS NOT NULL "
            "OR microsoft_calendar_token IS NOT NULL",
        ),
        Fact(
            "Microsoft calendar sync tokens cleared",
            (("res_users_settings", "microsoft_calendar_sync_token"),),
            (
                "UPDATE res_users_settings SET microsoft_calendar_sync_token = NULL "
                "WHERE microsoft_calendar_sync_token IS NOT NULL",
            ),
            "SELECT count(*) FROM res_users_settings WHERE microsoft_calendar_sync_token IS NOT NULL",
        ),
        *_parameter_facts(),
    ]


def _catcher_facts() -> list[Fact]:
    """One active server pointing at the catcher: Odoo would otherwise fall back to the SMTP
    server of its command line. Odoo 15+ requires smtp_authentication ('login' without a user
    sends unauthenticated)."""
    verify = (
        "SELECT 1 - count(*) FROM ir_mail_server WHERE active AND name = %(dummy)s AND smtp_host = %(smtp_host)s "
        "AND smtp_port = %(smtp_port)s AND smtp_encryption = 'none' AND smtp_user IS NULL"
    )
    facts = []
    auth = ("ir_mail_server", "smtp_authentication")
    for column, value, needs, absent in ((", smtp_authentication", ", 'login'", (auth,), ()), ("", "", (), (auth,))):
        facts.append(
            Fact(
                "one active mail server points at the catcher, without auth or TLS",
                (("ir_mail_server", "smtp_host"), ("ir_mail_server", "smtp_encryption"), *needs),
                (
                    "DELETE FROM ir_mail_server WHERE name = %(dummy)s",
                    f"INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, active, sequence{column}) "
                    f"VALUES (%(dummy)s, %(smtp_host)s, %(smtp_port)s, 'none', true, 0{value})",
                ),
                verify,
                absent,
            )
        )
    return facts


def _parameter_facts() -> list[Fact]:
    needs = (("ir_config_parameter", "key"), ("ir_config_parameter", "value"))

    def setting(key: str, value: str, what: str) -> Fact:
        return Fact(
            what,
            needs,
            (
                "DELETE FROM ir_config_parameter WHERE key = %(key_" + key + ")s",
                "INSERT INTO ir_config_parameter (key, value) VALUES (%(key_" + key + ")s, " + value + ")",
            ),
            "SELECT 1 - count(*) FROM ir_config_parameter WHERE key = %(key_" + key + ")s AND value = " + value,
        )

    def removed(keys: str, what: str) -> Fact:
        return Fact(
            what,
            needs,
            (f"DELETE FROM ir_config_parameter WHERE key IN ({keys})",),
            f"SELECT count(*) FROM ir_config_parameter WHERE key IN ({keys})",
        )

    return [
        setting("neutralized", "'true'", "database.is_neutralized = true"),
        setting("base_url", "%(base_url)s", "web.base.url is the environment's URL"),
        setting("base_url_freeze", "'True'", "web.base.url.freeze = True"),
        setting("sms_endpoint", "'https://iap-services-test.odoo.com'", "SMS through Odoo's test endpoint"),
        Fact(
            "database.secret and database.uuid rotated",
            needs,
            (
                "DELETE FROM ir_config_parameter WHERE key IN ('database.secret', 'database.uuid')",
                "INSERT INTO ir_config_parameter (key, value) VALUES "
                "('database.secret', %(secret)s), ('database.uuid', %(uuid)s)",
            ),
            sql.SQL("SELECT count(*) FROM {} o JOIN ir_config_parameter p USING (key) WHERE p.value = o.value").format(
                ORIGIN
            ),
            needs_origin=True,
        ),
        removed(
            "'database.enterprise_code', 'database.expiration_date', 'database.expiration_reason'",
            "no enterprise subscription code",
        ),
        removed(
            "'mail.web_push_vapid_private_key', 'mail.web_push_vapid_public_key', 'mail.sfu_server_key'",
            "web push and SFU keys removed",
        ),
    ]


def _params(base_url: str, smtp_host: str, smtp_port: int) -> dict:
    return {
        "dummy": DUMMY_SERVER,
        "smtp_host": smtp_host,
        "smtp_port": smtp_port,
        "robots": ROBOTS,
        "base_url": base_url,
        "secret": str(uuid.uuid4()),
        "uuid": str(uuid.uuid1()),
        "key_neutralized": "database.is_neutralized",
        "key_base_url": "web.base.url",
        "key_base_url_freeze": "web.base.url.freeze",
        "key_sms_endpoint": "sms.endpoint",
    }


def _remember_origin(conn: psycopg.Connection) -> None:
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(QUARANTINE_SCHEMA)))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (key text PRIMARY KEY, value text)").format(ORIGIN))
    conn.execute(
        sql.SQL(
            "INSERT INTO {} SELECT key, value FROM ir_config_parameter "
            "WHERE key IN ('database.secret', 'database.uuid') ON CONFLICT DO NOTHING"
        ).format(ORIGIN)
    )


def _applicable(conn: psycopg.Connection, fact: Fact) -> bool:
    """The fact's tables and columns exist (and, for the rotation, the record of the originals)."""
    if fact.needs_origin and not catalog.has_schema_table(conn, QUARANTINE_SCHEMA, ORIGIN_TABLE):
        return False
    return all(catalog.has_column(conn, table, column) for table, column in fact.needs) and not any(
        catalog.has_column(conn, table, column) for table, column in fact.absent
    )


def neutralize(conn: psycopg.Connection, *, base_url: str, smtp_host: str, smtp_port: int) -> list[str]:
    """Apply every applicable fact; returns what was done, one line per fact with rows changed."""
    params = _params(base_url, smtp_host, smtp_port)
    if catalog.has_table(conn, "ir_config_parameter"):
        _remember_origin(conn)
    actions = []
    for fact in _facts():
        if not _applicable(conn, fact):
            continue
        rows = sum(max(conn.execute(statement, params).rowcount, 0) for statement in fact.apply)
        actions.append(f"{fact.description} ({rows} rows)")
    return actions


def verify_neutralized(conn: psycopg.Connection, *, base_url: str, smtp_host: str, smtp_port: int) -> list[str]:
    """The facts that do not hold now (empty: the database is neutral), with how many rows break each."""
    params = _params(base_url, smtp_host, smtp_port)
    failed = []
    for fact in _facts():
        if not _applicable(conn, fact):
            continue
        broken = conn.execute(fact.violations, params).fetchone()[0]
        if broken:
            failed.append(f"{fact.description}: {broken} row(s) violate it")
    return failed

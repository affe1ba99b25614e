"""Neutralisation of a real Odoo 16 schema: every fact holds, and re-enabling one is caught."""

from __future__ import annotations

from odoosh.staging.neutralize import neutralize, verify_neutralized

SETTINGS = {"base_url": "http://staging.test", "smtp_host": "127.0.0.1", "smtp_port": 1025}


def _production_like(conn) -> None:
    conn.execute("DELETE FROM ir_cron; DELETE FROM ir_mail_server; DELETE FROM ir_config_parameter")
    conn.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id) VALUES ('base', 'autovacuum_job', 'ir.cron', 1)"
    )
    conn.execute(
        "INSERT INTO ir_cron (id, cron_name, active, ir_actions_server_id, interval_type, numbercall, "
        "nextcall, priority, user_id) SELECT i, '{\"en_US\": \"job\"}', true, 1, 'days', -1, now(), 5, 1 "
        "FROM generate_series(1, 3) i"
    )
    conn.execute(
        "INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, smtp_authentication, active) "
        "VALUES ('prod', 'smtp.example.org', 587, 'starttls', 'login', true)"
    )
    conn.execute(
        "INSERT INTO ir_config_parameter (key, value) VALUES ('database.secret', 's'), "
        "('database.uuid', 'u'), ('database.enterprise_code', 'M123'), ('web.base.url', 'https://prod')"
    )
    conn.execute("UPDATE fetchmail_server SET active = true")


def test_neutralize_then_verify(pg, copy_of):
    db = copy_of("o16")
    with pg.connect(db) as conn:
        conn.execute("SET session_replication_role = replica")
        _production_like(conn)
        assert verify_neutralized(conn, **SETTINGS)  # production is not neutral
        actions = neutralize(conn, **SETTINGS)
        assert any(a.startswith("scheduled actions inactive") for a in actions)
        assert verify_neutralized(conn, **SETTINGS) == []
        assert conn.execute("SELECT array_agg(id ORDER BY id) FROM ir_cron WHERE active").fetchone()[0] == [1]
        params = dict(conn.execute("SELECT key, value FROM ir_config_parameter").fetchall())
        assert params["web.base.url"] == SETTINGS["base_url"] and params["database.is_neutralized"] == "true"
        assert params["database.secret"] != "s" and "database.enterprise_code" not in params

        neutralize(conn, **SETTINGS)  # idempotent: still one catcher server, still neutral
        assert verify_neutralized(conn, **SETTINGS) == []
        assert conn.execute("SELECT count(*) FROM ir_mail_server WHERE active").fetchone()[0] == 1

        conn.execute("UPDATE ir_mail_server SET active = true WHERE name = 'prod'")
        failed = verify_neutralized(conn, **SETTINGS)
        assert failed == ["outgoing mail servers inactive except the catcher: 1 row(s) violate it"]

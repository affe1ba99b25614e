"""Smoke probes against a real PostgreSQL database and a real Odoo stand-in environment."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from psycopg.conninfo import make_conninfo

from odoosh.odoo.runtime import OdooRuntime
from odoosh.odoo.smoke import http_health, log_clean, modules_installed, run_all, users_exist
from odoosh.process import free_port
from tests import odoo16_tables


@pytest.fixture
def odoo_db(pg, fresh_db):
    """DSN of a database with the Odoo tables the probes read: one company, one user, modules."""
    with pg.connect(fresh_db) as conn:
        conn.execute(odoo16_tables.PROBED_TABLES)
    return pg.dsn(fresh_db)


@pytest.fixture
def environment(tmp_path, odoo_db):
    """A stand-in environment on `odoo_db`, stopped after the test."""
    env = OdooRuntime(tmp_path).environment("smoke")
    env.start(odoo_db)
    yield env
    env.stop()


def test_http_health_passes_then_fails_when_the_server_stops(environment):
    result = http_health(environment.url)
    assert result.passed, result.summary
    assert result.details["status_code"] == 200 and '"pass"' in result.details["body"]
    assert result.details["latency_ms"] > 0

    environment.stop()
    result = http_health(environment.url)
    assert not result.passed
    assert result.summary == f"nothing answers at {environment.url}"


def test_http_health_fails_on_a_server_that_is_not_odoo(environment):
    result = http_health(environment.url + "/nowhere")  # the stand-in answers 404 there
    assert not result.passed and result.details["status_code"] == 404


def test_users_exist_passes_then_fails_on_an_empty_res_users(pg, fresh_db, odoo_db):
    result = users_exist(odoo_db)
    assert result.passed and result.details["users"] == 1
    with pg.connect(fresh_db) as conn:
        conn.execute("DELETE FROM res_users")
    result = users_exist(odoo_db)
    assert not result.passed and result.details["users"] == 0
    assert "res_users is empty" in result.summary


def test_db_errors_are_failed_probes_without_the_password(pg, fresh_db):
    wrong_port = make_conninfo(pg.dsn(fresh_db), port=free_port(), password="hunter2")
    for probe in (users_exist(wrong_port), modules_installed(wrong_port, ["base"])):
        assert not probe.passed
        assert probe.summary.startswith("cannot query PostgreSQL at ")
        assert "hunter2" not in str(probe)
    not_odoo = users_exist(pg.dsn(fresh_db))
    assert not not_odoo.passed and "is not an Odoo database" in not_odoo.summary
    assert "not a valid PostgreSQL connection string" in users_exist("nonsense").summary


def test_modules_installed_names_missing_and_pending_modules(pg, fresh_db, odoo_db):
    assert modules_installed(odoo_db, ["base", "web", "sale"]).passed

    result = modules_installed(odoo_db, ["base", "crm", "helpdesk"])
    assert not result.passed
    assert result.details["missing"] == {"crm": "uninstalled", "helpdesk": "absent"}
    assert "crm (uninstalled), helpdesk (absent)" in result.summary

    with pg.connect(fresh_db) as conn:
        conn.execute("UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'sale'")
    result = modules_installed(odoo_db, ["base"])
    assert not result.passed
    assert result.details["pending"] == {"sale": "to upgrade"}
    assert "sale (to upgrade)" in result.summary


def test_log_clean_judges_entries_since_the_start_only(tmp_path):
    since = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    log = tmp_path / "odoo.log"
    log.write_text(
        "2024-05-01 09:59:59,999 7 ERROR db odoo.http: before the start, ignored \n"
        "Traceback (most recent call last):\n"
        "2024-05-01 10:00:00,001 7 INFO ? odoo: started \n"
        "  a continued line mentioning ERROR and CRITICAL is not an entry\n"
    )
    result = log_clean(log, since)
    assert result.passed, result.summary
    assert result.details["entries"] == 1 and result.details["errors"] == 0

    with log.open("a") as file:
        file.write(
            "2024-05-01 10:00:05,000 7 ERROR db odoo.sql_db: bad query: SELECT 1/0 \n"
            "Traceback (most recent call last):\n"
            "psycopg2.errors.DivisionByZero: division by zero\n"
            "2024-05-01 10:00:06,000 7 CRITICAL db odoo.service.server: Failed to initialize \n"
        )
    result = log_clean(log, since)
    assert not result.passed
    assert result.details["errors"] == 2 and result.details["entries"] == 3
    assert result.details["first_errors"][0].endswith("ERROR db odoo.sql_db: bad query: SELECT 1/0")
    assert "bad query" in result.summary


def test_log_clean_takes_local_naive_times_and_reports_a_missing_log(tmp_path):
    log = tmp_path / "odoo.log"
    now = datetime.now(UTC)
    log.write_text(f"{now:%Y-%m-%d %H:%M:%S},000 7 ERROR db odoo: boom \n")
    assert not log_clean(log, datetime.now() - timedelta(minutes=1)).passed
    assert log_clean(log, datetime.now() + timedelta(minutes=1)).passed
    missing = log_clean(tmp_path / "absent.log", now)
    assert not missing.passed and "cannot read the Odoo log" in missing.summary


def test_log_clean_fails_on_the_stand_ins_database_errors(tmp_path, pg, fresh_db):
    env = OdooRuntime(tmp_path).environment("broken")
    env.start(make_conninfo(pg.dsn(fresh_db), port=free_port()))
    try:
        deadline = time.monotonic() + 5
        while (result := log_clean(env.log_file, env.started_at)).passed and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        env.stop()
    assert not result.passed
    assert "is unreachable" in result.details["first_errors"][0]


def test_run_all_passes_on_a_healthy_environment(environment, odoo_db):
    results = run_all(environment, odoo_db, ["base", "web"])
    assert [r.name for r in results] == ["http_health", "users_exist", "modules_installed", "log_clean"]
    assert all(r.passed for r in results), [r.summary for r in results if not r.passed]

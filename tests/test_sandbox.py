"""The sandbox's production assets and their smoke checks, end to end through Dagster."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from odoosh.postgres import connect
from odoosh_assets.definitions import make_definitions
from odoosh_assets.production import production_database, production_environment
from tests.sandbox_helpers import env_without, sandbox

pytestmark = pytest.mark.servers  # a sandbox

REPO = Path(__file__).resolve().parents[1]
SMOKE = {"smoke_http", "smoke_users", "smoke_modules", "smoke_logs"}
ENV_CHECKS = dg.AssetSelection.checks_for_assets(production_environment)


@pytest.fixture(scope="module")
def prod():
    """One materialised sandbox production for the module; tests that break it repair it."""
    with sandbox() as box:
        result = box.run(dg.AssetSelection.assets(production_database, production_environment))
        box.first_result = result
        yield box


def test_materialises_production_with_passing_smoke_checks(prod):
    result = prod.first_result
    assert result.success
    checks = prod.checks(result)
    assert set(checks) == SMOKE
    assert all(c.passed for c in checks.values()), {n: c.description for n, c in checks.items()}

    db_meta = result.asset_materializations_for_node("production_database")[0].metadata
    assert db_meta["size_bytes"].value > 1_000_000
    assert db_meta["rows_res_partner"].value > 100
    assert db_meta["rows_mail_message"].value > 100
    assert "mail" in db_meta["modules"].value
    assert "password" not in db_meta["target"].value

    env_meta = result.asset_materializations_for_node("production_environment")[0].metadata
    assert env_meta["url"].value.startswith("http://127.0.0.1:")


def test_rematerialising_reuses_the_database(prod):
    dsn = prod.defs.resources["production"].database().current_dsn()
    with connect(dsn) as conn:
        before = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
    assert prod.run(dg.AssetSelection.assets(production_database)).success
    with connect(dsn) as conn:
        after = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()
    assert before == after


def test_stopped_odoo_fails_the_http_check(prod):
    environment = prod.defs.resources["odoo"].runtime().environment("production")
    environment.stop()
    try:
        checks = prod.checks(prod.run(ENV_CHECKS))
        assert not checks["smoke_http"].passed
        assert environment.url in checks["smoke_http"].description
        assert checks["smoke_users"].passed  # the database itself is fine
    finally:
        assert prod.run(dg.AssetSelection.assets(production_environment)).success


def test_empty_res_users_fails_the_users_check(prod):
    dsn = prod.defs.resources["production"].database().current_dsn()
    with connect(dsn, autocommit=True) as conn:  # keep the rows aside; foreign keys follow the table
        conn.execute("ALTER TABLE res_users RENAME TO res_users_aside")
        conn.execute("CREATE TABLE res_users (LIKE res_users_aside INCLUDING ALL)")
    try:
        checks = prod.checks(prod.run(ENV_CHECKS))
        assert not checks["smoke_users"].passed
        assert "res_users is empty" in checks["smoke_users"].description
        assert checks["smoke_users"].metadata["users"].value == 0
    finally:
        with connect(dsn, autocommit=True) as conn:
            conn.execute("DROP TABLE res_users")
            conn.execute("ALTER TABLE res_users_aside RENAME TO res_users")
    assert prod.checks(prod.run(ENV_CHECKS))["smoke_users"].passed


def test_module_to_upgrade_fails_the_modules_check(prod):
    dsn = prod.defs.resources["production"].database().current_dsn()
    with connect(dsn, autocommit=True) as conn:
        conn.execute("UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'crm'")
    try:
        check = prod.checks(prod.run(ENV_CHECKS))["smoke_modules"]
        assert not check.passed
        assert "crm" in check.description
    finally:
        with connect(dsn, autocommit=True) as conn:
            conn.execute("UPDATE ir_module_module SET state = 'installed' WHERE name = 'crm'")


def test_error_in_the_odoo_log_fails_the_logs_check(prod):
    log_file = prod.defs.resources["odoo"].runtime().environment("production").log_file
    original = log_file.read_bytes()
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S,000")
    with log_file.open("a") as log:
        log.write(f"{stamp} 4242 ERROR odoo odoo.sql_db: bad query: SELECT nope\n")
    try:
        check = prod.checks(prod.run(ENV_CHECKS))["smoke_logs"]
        assert not check.passed
        assert "bad query" in str(check.metadata)
    finally:
        log_file.write_bytes(original)


def test_wrong_production_dsn_says_what_is_wrong(prod, monkeypatch):
    monkeypatch.setenv("ODOOSH_PROD_DSN", "host=127.0.0.1 port=1 dbname=odoo user=odoo password=s3cret-value")
    prod.reload()
    try:
        result = prod.run(dg.AssetSelection.assets(production_database))
        assert not result.success
        message = str(result.get_step_failure_events()[0].event_specific_data.error)
        assert "Cannot connect to PostgreSQL" in message and "port=1" in message
        assert "s3cret-value" not in message
    finally:
        monkeypatch.delenv("ODOOSH_PROD_DSN")
        prod.reload()


def test_definitions_validate():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env_without("DAGSTER_HOME"),
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_weekly_staging_refresh_schedule(monkeypatch):
    monkeypatch.setenv("ODOOSH_TIMEZONE", "Europe/Brussels")
    import importlib

    import schedules.staging

    schedule = importlib.reload(schedules.staging).weekly_staging_refresh
    assert schedule.cron_schedule == "0 2 * * 0"  # Sunday 02:00
    assert schedule.execution_timezone == "Europe/Brussels"
    keys = {k.to_user_string() for k in schedule.job.selection.resolve(make_definitions().resolve_asset_graph())}
    assert keys == {"prod_snapshot", "scrubbed_dump", "staging_database"}

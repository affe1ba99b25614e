"""Staging from a scrubbed, neutralized production snapshot, end to end through Dagster."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import dagster as dg
import pytest

from odoosh import scratch
from odoosh.odoo import smoke
from odoosh.odoo.config import read_odoo_config
from odoosh.postgres import connect, pg_tool
from odoosh.staging.secrets import StagingConfigError
from odoosh_assets.production import production_database
from odoosh_assets.staging import prod_snapshot, scrubbed_dump, staging_database
from resources.staging import ScrubbingResource
from tests import odoo_fill
from tests.sandbox_helpers import processes_under, sandbox

pytestmark = pytest.mark.servers  # a sandbox

REPO = Path(__file__).resolve().parents[1]
PIPELINE = dg.AssetSelection.assets(prod_snapshot, scrubbed_dump, staging_database)
ALL_CHECKS = {
    "smoke_http",
    "smoke_users",
    "smoke_modules",
    "smoke_logs",
    "pii_coverage",
    "pii_leak",
    "neutralized",
    "mail_caught",
    "pii_kept_columns",
    "environment_settings_hold",
}


def production_pii(dsn: str) -> set[str]:
    """Values a leak would show: partner names, emails and phones, user logins, employee names."""
    with connect(dsn) as conn:
        rows = conn.execute(
            """SELECT name FROM res_partner UNION SELECT email FROM res_partner
               UNION SELECT phone FROM res_partner UNION SELECT login FROM res_users WHERE login <> 'admin'
               UNION SELECT name FROM hr_employee UNION SELECT work_email FROM hr_employee"""
        ).fetchall()
    return {value for (value,) in rows if value}


def staging_values(dsn: str) -> set[str]:
    with connect(dsn) as conn:
        rows = conn.execute(
            """SELECT name FROM res_partner UNION SELECT email FROM res_partner
               UNION SELECT phone FROM res_partner UNION SELECT login FROM res_users
               UNION SELECT name FROM hr_employee UNION SELECT work_email FROM hr_employee
               UNION SELECT body FROM mail_message"""
        ).fetchall()
    return {value for (value,) in rows if value}


def staging_environment_url(box) -> str:
    return box.defs.resources["odoo"].runtime().environment("staging").url


def database_oid(dsn: str) -> int:
    with connect(dsn) as conn:
        return conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]


@pytest.fixture(scope="module")
def box():
    """The whole sandbox built once, the way `./dev build` builds it."""
    with sandbox() as built:
        built.first_result = built.run(dg.AssetSelection.groups("production", "staging"))
        yield built


def test_staging_is_scrubbed_neutralized_and_smoke_tested(box):
    result = box.first_result
    checks = {
        e.check_name: e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() in ("scrubbed_dump", "staging_database")
    }
    assert result.success
    assert set(checks) == ALL_CHECKS
    assert all(c.passed for c in checks.values()), {n: c.description for n, c in checks.items() if not c.passed}

    prod_dsn = box.defs.resources["production"].database().current_dsn()
    staging = box.defs.resources["staging"].target()
    staging_dsn = staging.dsn()
    # An independent look, not the pii_leak implementation: no production value survives as is.
    pii = production_pii(prod_dsn)
    assert len(pii) > 500
    found = pii & staging_values(staging_dsn)
    assert not found, f"{len(found)} production values in staging"
    # ...and the emails inside message bodies are gone too.
    with connect(prod_dsn) as conn:
        emails = [e for (e,) in conn.execute("SELECT email FROM res_partner WHERE email IS NOT NULL LIMIT 200")]
    with connect(staging_dsn) as conn:
        bodies = " ".join(b for (b,) in conn.execute("SELECT body FROM mail_message WHERE body IS NOT NULL"))
    assert not [e for e in emails if e in bodies]

    def param(dsn: str, key: str) -> str:
        with connect(dsn) as conn:
            return conn.execute("SELECT value FROM ir_config_parameter WHERE key = %s", (key,)).fetchone()[0]

    assert param(staging_dsn, "database.is_neutralized") == "true"
    assert param(staging_dsn, "database.secret") != param(prod_dsn, "database.secret")
    assert param(staging_dsn, "web.base.url") == staging_environment_url(box)
    with connect(staging_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM ir_cron WHERE active").fetchone()[0] <= 1
    # Staging's Odoo itself sends to the catcher and runs no cron worker.
    config = read_odoo_config(box.defs.resources["odoo"].runtime().environment("staging").config_file)
    catcher = box.defs.resources["mail"].catcher().ensure_running()
    assert (config.smtp_server, config.smtp_port) == (catcher.smtp_host, catcher.smtp_port)
    assert config.max_cron_threads == 0

    # Unset ODOOSH_DUMP_COMPRESSION: an uncompressed snapshot, and its metadata says so.
    assert result.asset_materializations_for_node("prod_snapshot")[0].metadata["gzip_level"].value == 0
    meta = result.asset_materializations_for_node("scrubbed_dump")[0].metadata
    assert meta["published"].value is True
    assert meta["constraints_proven"].value > 0  # res_users.login is faked under a unique index
    for phase in ("quarantine_restore", "neutralize", "scrub", "verify", "dump_scrubbed"):
        assert meta[f"seconds_{phase}"].value >= 0
    for archive in ("schema", "data"):  # both archives' sizes, in bytes and for a person
        size = meta[f"{archive}_archive_size_bytes"].value
        assert size > 0 and meta[f"{archive}_archive_size"].value.endswith(("KiB", "MiB", "GiB"))
    staged = result.asset_materializations_for_node("staging_database")[0].metadata
    with connect(staging_dsn) as conn:
        assert staged["size_bytes"].value == conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        assert staged["rows_res_partner"].value == conn.execute("SELECT count(*) FROM res_partner").fetchone()[0] > 0
    assert staged["size"].value.endswith("MiB")


def test_the_ui_explains_every_check_and_runs_the_automation(box):
    """Every check says what it proves; a passing coverage check shows no empty list; the
    sensor the eager condition on staging_database needs is running by default."""
    defs = box.defs
    specs = [spec for checks in defs.asset_checks for spec in checks.check_specs]
    specs += [spec for asset in defs.assets for spec in getattr(asset, "check_specs", [])]
    assert {spec.name for spec in specs} >= ALL_CHECKS
    assert not [spec.name for spec in specs if not spec.description]
    coverage = next(e for e in box.first_result.get_asset_check_evaluations() if e.check_name == "pii_coverage")
    assert coverage.passed and "columns" not in coverage.metadata
    sensor = defs.resolve_sensor_def("default_automation_condition_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_unknown_pii_column_blocks_staging(box, tmp_path):
    prod_dsn = box.defs.resources["production"].database().current_dsn()
    staging = box.defs.resources["staging"].target()
    staging_dsn = staging.dsn()
    before = database_oid(staging_dsn)
    with connect(prod_dsn, autocommit=True) as conn:
        conn.execute("ALTER TABLE res_partner ADD COLUMN x_private_email varchar")
        conn.execute("UPDATE res_partner SET x_private_email = email")
    try:
        result = box.run(PIPELINE)
        checks = box.checks(result)
        assert not checks["pii_coverage"].passed
        assert "res_partner.x_private_email" in checks["pii_coverage"].metadata["columns"].value
        assert not result.asset_materializations_for_node("staging_database")
        # The run's failure, what the UI's run page and the CLI show, says what to add.
        failure = next(e for e in result.get_step_failure_events() if e.step_key == "scrubbed_dump")
        message = failure.step_failure_data.user_failure_data.description
        assert message.startswith("The PII gates refused the scrubbed dump (1 unclassified column(s)")
        assert "res_partner:\n  x_private_email: fake_email" in message
        assert database_oid(staging_dsn) == before

        # Declared kept, the column is redacted in the same run: staging is refreshed, with a WARN
        # that names the column and the policy line to add.
        policy = tmp_path / "policy.yaml"
        policy.write_text("res_partner:\n  x_private_email: keep\n  x_private_json: keep\n")
        os.environ["ODOOSH_SCRUB_POLICY"] = str(policy)
        box.reload()
        result = box.run(PIPELINE)
        checks = box.checks(result)
        assert checks["pii_coverage"].passed and checks["pii_leak"].passed
        warned = checks["pii_kept_columns"]
        assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN
        assert "res_partner:\n  x_private_email: redact" in warned.description
        assert warned.metadata["matches_per_column"].value["res_partner.x_private_email"] > 0
        assert result.asset_materializations_for_node("staging_database")
        assert database_oid(staging_dsn) != before
        with connect(prod_dsn) as conn:
            emails = {e for (e,) in conn.execute("SELECT email FROM res_partner WHERE email IS NOT NULL")}
        with connect(staging_dsn) as conn:
            kept = {
                v for (v,) in conn.execute("SELECT x_private_email FROM res_partner WHERE x_private_email IS NOT NULL")
            }
        assert len(emails) > 50 and kept and not emails & kept  # an independent look: no production email left

        # What redaction cannot replace (a value nested deeper than a translation in a JSON
        # document) still refuses the refresh.
        before = database_oid(staging_dsn)
        with connect(prod_dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE res_partner ADD COLUMN x_private_json jsonb")
            conn.execute(
                "UPDATE res_partner SET x_private_json = jsonb_build_object('contact', jsonb_build_object('mail', email))"
            )
        result = box.run(PIPELINE)
        checks = box.checks(result)
        assert not checks["pii_leak"].passed
        assert checks["pii_leak"].metadata["matches_per_column"].value.get("res_partner.x_private_json", 0) > 0
        assert "res_partner.x_private_email" not in checks["pii_leak"].metadata["matches_per_column"].value
        assert database_oid(staging_dsn) == before
    finally:
        os.environ.pop("ODOOSH_SCRUB_POLICY", None)
        box.reload()
        with connect(prod_dsn, autocommit=True) as conn:
            conn.execute("ALTER TABLE res_partner DROP COLUMN x_private_email")
            conn.execute("ALTER TABLE res_partner DROP COLUMN IF EXISTS x_private_json")


def test_killed_restore_leaves_staging_intact(box):
    staging = box.defs.resources["staging"].target()
    staging_dsn = staging.dsn()
    before = database_oid(staging_dsn)
    with connect(staging.server().admin_dsn, autocommit=True) as conn:

        def restoring() -> bool:
            query = "SELECT 1 FROM pg_stat_activity WHERE application_name = 'pg_restore' AND datname LIKE %s"
            return conn.execute(query, (staging.database + "%odoosh_new",)).fetchone() is not None

        assert _kill_run_when(box, "staging_database", restoring), "the restore never started"
    assert database_oid(staging_dsn) == before
    assert smoke.users_exist(staging_dsn).passed
    assert smoke.modules_installed(staging_dsn, ["base", "mail"]).passed
    # The next run repairs: the half-restored candidate is replaced and swapped in.
    assert box.run(dg.AssetSelection.assets(staging_database)).success
    assert database_oid(staging_dsn) != before


def test_quarantine_of_a_killed_run_is_removed_by_the_next(box, monkeypatch):
    """A run killed while its quarantine cluster exists leaves that cluster's files (and, when
    the server outlives the run, the server) behind; the next staging run removes them."""
    clusters = lambda: [d.parents[1] for d in (box.state_dir / "work").glob("odoosh-scratch-pg-*/data/base")]  # noqa: E731
    assert _kill_run_when(box, "scrubbed_dump", clusters), "the quarantine cluster was never made"
    [quarantine] = clusters()  # left behind: no cleanup ran
    monkeypatch.setattr(scratch, "MIN_AGE_S", 0)
    assert box.run(dg.AssetSelection.assets(prod_snapshot)).success
    assert not quarantine.exists()
    assert not processes_under(quarantine)


def _kill_run_when(box, asset: str, reached: Callable[[], bool], timeout: float = 120) -> bool:
    """Materialise `asset` with the dagster CLI, in a process group of its own, and SIGKILL
    the group as soon as `reached()`; whether that happened before the run ended."""
    dagster_home = box.state_dir / f"dagster-kill-{asset}"
    dagster_home.mkdir()
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "asset",
            "materialize",
            "-m",
            "odoosh_assets.definitions",
            "--select",
            asset,
        ],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(dagster_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (hit := reached()) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        return hit
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.mark.parametrize("key", list(odoo_fill.DUMPS))
def test_staging_from_a_real_odoo_schema(pg, copy_of, key):
    """The "company" fixture: ODOOSH_PROD_DSN and ODOOSH_STAGING_DSN pointing at servers the
    platform did not start; production is a database of a real Odoo schema with personal data
    in every standard column and in free text, in every form people write it (odoo_fill). The
    refresh passes with the default policy alone, and an independent look at everything staging
    holds finds none of it, while references, dates and amounts written beside it survive."""
    prod_db = copy_of(key)
    staging_db = f"staging_{key}"
    with pg.connect(prod_db, autocommit=True) as conn:  # the dumps have no module rows
        conn.execute(
            "INSERT INTO ir_module_module (name, state) VALUES ('base', 'installed'), "
            "('web', 'installed'), ('mail', 'installed')"
        )
        tables = {t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    secrets = {"ODOOSH_STAGING_ADMIN_PASSWORD": "staging-admin-pw", "ODOOSH_SCRUB_SALT": "a-salt-from-the-vault"}
    with sandbox(ODOOSH_PROD_DSN=pg.dsn(prod_db), ODOOSH_STAGING_DSN=pg.dsn(staging_db), **secrets) as box:
        result = box.run(dg.AssetSelection.assets(production_database, prod_snapshot, scrubbed_dump, staging_database))
        checks = box.checks(result)
        assert result.success
        assert set(checks) == ALL_CHECKS
        failed = {n: c.description for n, c in checks.items() if not c.passed}
        # Users wrote persons' names into task names and invoice labels: redacted, with a warning.
        kept = sorted(f"{t}.{c}" for t, c in odoo_fill.KEPT_FREE_TEXT if t in tables)
        assert set(failed) == ({"pii_kept_columns"} if kept else set()), failed
        if kept:
            assert checks["pii_kept_columns"].metadata["matches_per_column"].value.keys() == set(kept)
        text = subprocess.run(
            [pg_tool("pg_dump"), "--data-only", pg.dsn(staging_db)], capture_output=True, text=True, check=True
        ).stdout
        assert not (box.state_dir / "clusters" / "staging").exists()  # the configured server was used
    pg.databases.drop(staging_db)
    assert len(text) > 10_000
    planted = [v for p in (*odoo_fill.PERSONS, *odoo_fill.GUESTS) for v in p.planted()]
    found = [v for v in planted if v in text]
    assert not found, f"{len(found)} of {len(planted)} personal values of production are in staging: {found[:5]}"
    for kept_as_written in ("INV/2024/00001", "2024-01-28 10:15", "1.234,56 EUR"):
        assert kept_as_written in text


def test_staging_through_s3_artifact_stores(moto_endpoint, fake_aws):
    """Snapshots and scrubbed dumps in S3-compatible storage (a loopback moto server)."""
    bucket = f"odoosh-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=bucket)
    stores = {
        "ODOOSH_PROD_ARTIFACTS": f"s3://{bucket}/prod",
        "ODOOSH_SCRUBBED_ARTIFACTS": f"s3://{bucket}/scrubbed",
        "ODOOSH_S3_ENDPOINT_URL": moto_endpoint,
    }
    with sandbox(**stores, **fake_aws) as box:
        result = box.run(dg.AssetSelection.groups("production", "staging"))
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
        assert not (box.state_dir / "artifacts").exists()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith("prod/snapshots/") and k.endswith("/.complete") for k in keys)
    assert any(k.startswith("scrubbed/dumps/") and k.endswith("/data/toc.dat") for k in keys)
    assert "scrubbed/current.json" in keys


def test_external_staging_needs_an_admin_password(tmp_path):
    scrubbing = ScrubbingResource(state_dir=str(tmp_path))
    assert scrubbing.resolved_admin_password(sandbox=True) == "admin"
    with pytest.raises(StagingConfigError, match="ODOOSH_STAGING_ADMIN_PASSWORD"):
        scrubbing.resolved_admin_password(sandbox=False)
    salt = scrubbing.resolved_salt()  # the sandbox's generated salt is kept, private
    assert len(salt) == 64 and scrubbing.resolved_salt() == salt
    assert (tmp_path / "scrub_salt").stat().st_mode & 0o777 == 0o600

"""The backups group through Dagster, on a sandbox: assets materialise, checks pass, point-in-time
recovery starts an Odoo on a new cluster; and the definitions carry the interface's keys."""

from __future__ import annotations

import dagster as dg
import pytest

from odoosh.odoo import smoke
from odoosh.postgres.cluster import Clusters
from odoosh.sandbox.production import CLUSTER
from odoosh_assets import backups
from odoosh_assets.definitions import make_definitions
from tests.sandbox_helpers import sandbox

ASSETS = {"wal_archive", "base_backup", "replicated_backups", "restore_test"}
SCHEDULES = {"backup_heartbeat_every_minute", "daily_full_backup", "weekly_restore_test", "monthly_recovery_drill"}
CHECKS = {
    "rpo_within_5_min",
    "repositories_reachable",
    "backup_verify",
    "replica_fresh",
    "restore_test_passed",
    "restore_time_slo",
}


def test_definitions_load_with_the_backups_group():
    defs = make_definitions()
    graph = defs.resolve_asset_graph()
    group = {key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).group_name == "backups"}
    assert group == ASSETS
    checks = {key.name for key in graph.asset_check_keys}
    assert checks >= CHECKS
    jobs = {job.name for job in defs.resolve_all_job_defs()}
    assert {"recover_production_copy", "recovery_drill", "daily_backup", "backup_heartbeat"} <= jobs
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["backup_heartbeat_every_minute"].cron_schedule == "* * * * *"
    assert schedules.keys() >= SCHEDULES
    assert schedules["daily_full_backup"].default_status == dg.DefaultScheduleStatus.RUNNING  # the sandbox's

    built = {key.to_user_string() for key in defs.resolve_job_def("sandbox_build").asset_layer.selected_asset_keys}
    assert built >= ASSETS  # `./dev build` and `./dev demo` materialise the group
    drill = dg.validate_run_config(defs.resolve_job_def("recovery_drill"))
    assert drill["ops"]["restore_test"]["config"] == {"repo": 2, "bound_minutes": 30}  # repo2 alone, 30 min


def test_backup_schedules_start_stopped_for_a_production_the_platform_does_not_run(monkeypatch):
    monkeypatch.setenv("ODOOSH_PROD_DSN", "host=db.example.com dbname=odoo")
    schedules = [s for s in make_definitions().schedules if s.name in SCHEDULES]
    assert len(schedules) == len(SCHEDULES)
    assert {s.default_status for s in schedules} == {dg.DefaultScheduleStatus.STOPPED}


@pytest.mark.servers
def test_the_backups_group_materialises_with_passing_checks_and_recovers_a_copy():
    with sandbox(ODOOSH_SANDBOX_SCALE="0.2") as box:
        result = box.run(dg.AssetSelection.assets("production_database") | dg.AssetSelection.groups("backups"))
        assert result.success
        checks = box.checks(result)
        assert set(checks) >= CHECKS
        assert all(checks[name].passed for name in CHECKS), {n: c.description for n, c in checks.items()}
        restored = result.asset_materializations_for_node("restore_test")[0].metadata
        assert restored["passed"].value is True
        assert restored["projected_100gb_min"].value > 0
        assert restored["measured_rpo_s"].value < 300
        assert "repo_size_bytes" in result.asset_materializations_for_node("base_backup")[0].metadata

        repo1 = box.state_dir / "backups" / "repo1"
        repo1.chmod(0)  # unreachable for the server user: archiving fails over to repo2
        try:
            outage = box.checks(box.run(dg.AssetSelection.checks_for_assets(backups.wal_archive)))
        finally:
            repo1.chmod(0o750)
        assert not outage["repositories_reachable"].passed
        assert outage["repositories_reachable"].severity == dg.AssetCheckSeverity.WARN
        assert "repo1 unreachable" in outage["repositories_reachable"].description
        assert outage["rpo_within_5_min"].passed

        job = box.defs.resolve_job_def("recover_production_copy")
        config = {"ops": {"recover_copy": {"config": {"target": "latest", "repo": 2, "name": "recovered-test"}}}}
        recovered = job.execute_in_process(run_config=config, instance=box.instance)
        assert recovered.success
        url = recovered.output_for_node("recover_copy")
        assert smoke.http_health(url).passed
        copy = box.defs.resources["odoo"].runtime().environment("recovered-test")
        assert copy.url == url and copy.is_running()
        clusters = Clusters(box.state_dir)
        copy_cluster, production = clusters.existing("recovered-test"), clusters.existing(CLUSTER)
        assert copy_cluster.is_running() and production.is_running()  # a new cluster beside production
        assert copy_cluster.port != production.port
        assert smoke.users_exist(copy_cluster.dsn("odoo")).passed
        with copy_cluster.connect() as conn:  # a copy Odoo goes on using stays durable (restore tests' do not)
            assert conn.execute("SHOW fsync").fetchone()[0] == "on"
        with pytest.raises(Exception, match="exists"):  # never over an existing cluster
            job.execute_in_process(
                run_config={"ops": {"recover_copy": {"config": {"name": "recovered-test"}}}}, instance=box.instance
            )

        bad = {"ops": {"recover_copy": {"config": {"target": "yesterday", "name": "recovered-bad"}}}}
        failed = job.execute_in_process(run_config=bad, instance=box.instance, raise_on_error=False)
        assert not failed.success

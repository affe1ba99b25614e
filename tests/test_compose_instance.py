"""The Dagster instance of compose/dagster.yaml, against a real PostgreSQL: where runs and
events are kept, how runs are queued and launched, and which variables it needs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import docker
import docker.errors
import psycopg
import pytest
from dagster._core.errors import DagsterInvalidConfigError
from dagster_docker import DockerRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from odoosh.postgres.cluster import SUPERUSER
from tests.compose_files import DAGSTER_YAML, compose_raw, dagster_config


@pytest.fixture
def dagster_home(pg, fresh_db, tmp_path, monkeypatch) -> Path:
    """DAGSTER_HOME holding compose/dagster.yaml, its variables pointing at the test cluster
    over TCP with the SCRAM password, and DOCKER_HOST at a socket where no engine answers."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_USERNAME": SUPERUSER,
        "DAGSTER_PG_PASSWORD": pg.password,
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(pg.port),
        "DAGSTER_PG_DB": fresh_db,
        "DOCKER_HOST": f"unix://{tmp_path}/no-docker-engine.sock",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return home


@pytest.fixture
def instance(dagster_home):
    instance = dg.DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()


def test_instance_keeps_runs_and_events_in_postgres(instance, pg, fresh_db):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)

    @dg.asset
    def compose_probe() -> int:
        return 1

    result = dg.materialize([compose_probe], instance=instance)
    assert result.success

    # The rows are in the database the variables name, read back over TCP with the password.
    with psycopg.connect(host="127.0.0.1", port=pg.port, user=SUPERUSER, password=pg.password, dbname=fresh_db) as conn:
        status = conn.execute("SELECT status FROM runs WHERE run_id = %s", (result.run_id,)).fetchone()
        event_types = {
            row[0]
            for row in conn.execute("SELECT dagster_event_type FROM event_logs WHERE run_id = %s", (result.run_id,))
        }
        asset_keys = {row[0] for row in conn.execute("SELECT asset_key FROM asset_keys")}
    assert status == ("SUCCESS",)
    assert {"STEP_START", "ASSET_MATERIALIZATION", "STEP_SUCCESS"} <= event_types
    assert json.dumps(["compose_probe"]) in asset_keys

    # Run containers do not read dagster.yaml: they rebuild the instance from the reference the
    # daemon sends them. That one must reach the same database too.
    worker = dg.DagsterInstance.from_ref(instance.get_ref())
    try:
        assert isinstance(worker.run_storage, PostgresRunStorage)
        assert worker.get_run_by_id(result.run_id).is_success
    finally:
        worker.dispose()


def test_instance_queues_runs_and_launches_them_in_docker(instance):
    # Loading the launcher needs no Docker engine (there is none at DOCKER_HOST)...
    with pytest.raises(docker.errors.DockerException):
        docker.from_env().ping()
    launcher = instance.run_launcher
    assert isinstance(launcher, DockerRunLauncher)

    # ...and it joins runs to the stack's network, with the stack's variables and volumes.
    compose = compose_raw()
    assert launcher.networks == [compose["networks"]["odoosh"]["name"]]
    assert set(launcher.env_vars) == set(compose["services"]["dagster-daemon"]["environment"])
    volume_names = {volume["name"] for volume in compose["volumes"].values() if volume and "name" in volume}
    for mount in launcher.container_kwargs["volumes"]:
        assert mount.split(":")[0] in volume_names, f"{mount}: not a volume of docker-compose.yml"

    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4
    assert instance.run_monitoring_enabled
    assert not instance.telemetry_enabled


def env_references(config) -> set[str]:
    """Every `env:` variable of a Dagster config."""
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return set().union(*(env_references(value) for value in config.values()))
    if isinstance(config, list):
        return set().union(*(env_references(value) for value in config))
    return set()


@pytest.mark.parametrize("name", sorted(env_references(dagster_config())))
def test_instance_refuses_to_load_without_a_variable(dagster_home, monkeypatch, name):
    monkeypatch.delenv(name)
    with pytest.raises(DagsterInvalidConfigError, match=f'environment variable "{name}" which is not set'):
        dg.DagsterInstance.get()


def test_instance_config_reads_connection_settings_from_the_environment():
    db = dagster_config()["storage"]["postgres"]["postgres_db"]
    for field in ("username", "password", "hostname", "db_name", "port"):
        assert set(db[field]) == {"env"}, f"postgres_db.{field} must be an env: reference"
    # The connection settings are the ones compose gives every Dagster process.
    assert env_references(db) == set(compose_raw()["x-dagster-pg-env"])

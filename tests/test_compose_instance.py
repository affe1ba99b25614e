"""The Dagster instance of compose/dagster.yaml, against a real PostgreSQL: where runs and
events are kept, how runs are queued and launched, and which variables it needs."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import dagster as dg
import docker
import docker.errors
import psycopg
import pytest
from dagster._core.errors import DagsterInvalidConfigError, DagsterUserCodeUnreachableError
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin
from dagster._core.storage.dagster_run import DagsterRun
from dagster._grpc.client import DagsterGrpcClient
from dagster_docker import DockerRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from docker.models.containers import _create_container_args

from odoosh import process
from odoosh.postgres.cluster import SUPERUSER
from tests.compose_files import (
    DAGSTER_YAML,
    DOCKER_SOCKET,
    FILLED_IN,
    compose_raw,
    compose_rendered,
    dagster_config,
    run_container_context,
)


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
        if mount != f"{DOCKER_SOCKET}:{DOCKER_SOCKET}":  # the one bind mount: the host's engine
            assert mount.split(":")[0] in volume_names, f"{mount}: not a volume of docker-compose.yml"

    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4
    assert instance.run_monitoring_enabled
    assert not instance.telemetry_enabled


PROBE_DEFINITIONS = """
import dagster as dg


@dg.op
def noop() -> None:
    pass


@dg.job
def preview_build() -> None:
    noop()


defs = dg.Definitions(jobs=[preview_build])
"""


def test_run_containers_are_created_with_the_socket_and_its_group(instance, tmp_path):
    """What the daemon asks the engine for. A real `dagster code-server start` with user-code's
    environment of docker-compose.yml (DAGSTER_CONTAINER_CONTEXT, DAGSTER_CURRENT_IMAGE) on a
    probe module reports its container context; a job's origin from it, as runs are created,
    gets dagster.yaml's container_kwargs merged with it by the launcher; docker-py turns them into
    the HostConfig of the create request (the function `containers.create` uses: an unknown
    kwarg fails there)."""
    user_code = compose_rendered()["services"]["user-code"]["environment"]
    (tmp_path / "probe_defs.py").write_text(PROBE_DEFINITIONS)
    port = process.free_port()
    env = {name: os.environ[name] for name in ("PATH", "DAGSTER_HOME")}
    env |= {name: user_code[name] for name in ("DAGSTER_CONTAINER_CONTEXT", "DAGSTER_CURRENT_IMAGE")}
    command = [sys.executable, "-m", "dagster", "code-server", "start", "-h", "127.0.0.1", "-p", str(port)]
    log = tmp_path / "code-server.log"
    pid = process.start([*command, "-f", str(tmp_path / "probe_defs.py")], log, env)
    try:
        client = DagsterGrpcClient(port=port, host="127.0.0.1")
        process.wait_until_ready(
            pid,
            lambda: _answers(client),
            timeout=120,
            what="the code server",
            ready_as="answer",
            log_file=log,
            log_offset=0,
        )
        location = GrpcServerCodeLocationOrigin(host="127.0.0.1", port=port, location_name="odoosh").create_location(
            instance
        )
        try:
            (repository,) = location.get_repositories().values()
            origin = repository.get_full_job("preview_build").get_python_origin()
        finally:
            location.cleanup()
    finally:
        process.stop(pid)
    assert origin.repository_origin.container_context == run_container_context(compose_rendered())
    run = DagsterRun(job_name="preview_build", job_code_origin=origin)
    context = instance.run_launcher.get_container_context(run)

    image = origin.repository_origin.container_image
    assert image == user_code["DAGSTER_CURRENT_IMAGE"]
    host_config = _create_container_args({**context.container_kwargs, "image": image, "version": "1.45"})["host_config"]
    assert f"{DOCKER_SOCKET}:{DOCKER_SOCKET}" in host_config["Binds"]
    assert host_config["GroupAdd"] == [FILLED_IN["DOCKER_GID"]]
    # The merge kept dagster.yaml's other mounts and settings.
    assert sorted(host_config["Binds"]) == sorted(
        dagster_config()["run_launcher"]["config"]["container_kwargs"]["volumes"]
    )
    assert host_config["Init"] is True


def _answers(client: DagsterGrpcClient) -> bool:
    try:
        client.ping("ready?")
    except DagsterUserCodeUnreachableError:
        return False
    return True


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

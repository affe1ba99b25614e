"""A production on another host, emulated on this machine: a cluster of its own with its own
pgbackrest.conf and `pgbackrest server` (TLS, client certificates of the sandbox CA), archiving
to two S3 buckets of the S3 double. The platform reaches it only through ODOOSH_PROD_DSN (TCP,
with a password) and that TLS server, configured by the same settings and resources as the
assets, and runs the backups group through Dagster."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from odoosh import process
from odoosh.backups import archive
from odoosh.backups.commands import BackupError, PgBackRest
from odoosh.backups.config import BackupConfig, TlsServer, render
from odoosh.backups.production import ProductionBackups
from odoosh.backups.remote import host_config
from odoosh.backups.server import PgBackRestServer
from odoosh.postgres import connect
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters, PostgresCluster, ServerUser
from odoosh.sandbox.production import CLUSTER, DATABASE, SyntheticProduction
from odoosh.sandbox.s3 import S3Endpoint
from odoosh.tls import SandboxCA
from odoosh_assets.definitions import make_definitions
from tests.sandbox_helpers import CONFIG_VARS, processes_under

pytestmark = pytest.mark.cluster
BUCKETS = {1: "region-a-remote", 2: "region-b-remote"}
CLIENT_CN = "odoosh-platform"
CHECKS = {"rpo_within_5_min", "repositories_reachable", "backup_verify", "replica_fresh", "restore_test_passed"}


@dataclass
class Remote:
    """Production's host (its cluster, configuration and TLS server) and the platform's view of it."""

    cluster: PostgresCluster
    server: PgBackRestServer
    platform_state: Path
    ca: SandboxCA
    backups: ProductionBackups  # what the platform's resource built from the settings
    refused: BackupError  # ensure_archiving before the DBA set the archive settings
    settings_when_refused: dict[str, str]


def _state_dir(prefix: str) -> Path:
    state = Path(tempfile.mkdtemp(prefix=prefix))  # the system temp dir: the server user reaches it
    state.chmod(0o711)
    return state


def _settings(platform: Path, dsn: str, tls_port: int, ca: SandboxCA, s3: S3Endpoint) -> dict[str, str]:
    """The platform's environment for this production: what an operator writes in compose/.env."""
    client = ca.issue(CLIENT_CN, client=True)
    env = {
        "ODOOSH_STATE_DIR": str(platform),
        "ODOOSH_PROD_DSN": dsn,
        "ODOOSH_BACKUP_PG_HOST": "localhost",  # pgBackRest 2.45 matches DNS names only
        "ODOOSH_BACKUP_PG_HOST_PORT": str(tls_port),
        "ODOOSH_BACKUP_PG_HOST_CERT_FILE": str(client.cert),
        "ODOOSH_BACKUP_PG_HOST_KEY_FILE": str(client.key),
        "ODOOSH_BACKUP_PG_HOST_CA_FILE": str(ca.cert),
        "ODOOSH_REQUIRED_MODULES": "base,web",
    }
    for index, bucket in BUCKETS.items():
        repo = f"ODOOSH_BACKUP_REPO{index}"
        env |= {
            f"{repo}_TYPE": "s3",
            f"{repo}_BUCKET": bucket,
            f"{repo}_ENDPOINT": s3.endpoint,
            f"{repo}_REGION": s3.region,
            f"{repo}_CA_FILE": str(s3.ca_file),
            f"{repo}_KEY": s3.credentials.key,
            f"{repo}_SECRET": s3.credentials.secret,
        }
    return env


def _as_dba(cluster: PostgresCluster, lines: dict[str, str]) -> None:
    """What production's DBA does on its host: set the lines the platform named, restart."""
    with cluster.connect(DATABASE, autocommit=True) as conn:
        for name, value in lines.items():
            conn.execute(sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))
    cluster.stop()
    cluster.start()


@pytest.fixture(scope="module")
def remote(s3_double: S3Endpoint):
    for bucket in BUCKETS.values():
        s3_double.create_bucket(bucket)
    host, platform = _state_dir("odoosh-prod-host-"), _state_dir("odoosh-platform-")
    clusters = Clusters(host)
    user = ServerUser.resolve()
    server = None
    try:
        SyntheticProduction(clusters, scale=0.2).ensure(lambda m: None)
        cluster = clusters.existing(CLUSTER)
        cluster.is_running()  # its port
        dsn = make_conninfo(
            host="127.0.0.1", port=cluster.port, user="odoosh", password=cluster.password, dbname=DATABASE
        )
        ca = SandboxCA(platform / "ca")
        ca.ensure()
        ca.directory.chmod(0o711)
        tls_port = process.free_port()
        env = _settings(platform, dsn, tls_port, ca, s3_double)
        served = ca.issue("localhost")
        for key in (served.key, ca.issue(CLIENT_CN, client=True).key):
            user.chown(key)  # both hosts' pgBackRest run as the server user
        with pytest.MonkeyPatch.context() as mp:
            for name in CONFIG_VARS:
                mp.delenv(name, raising=False)
            for name, value in env.items():
                mp.setenv(name, value)
            backups = make_definitions().resources["backups"].process_config_and_initialize().backups(lambda m: None)
            # Production's host: its own pgbackrest.conf (the repositories, its cluster, its TLS server)
            # and `pgbackrest server`, as its DBA would install them.
            tls = TlsServer(str(served.cert), str(served.key), str(ca.cert), CLIENT_CN, "127.0.0.1", tls_port)
            own = host_config(backups.config, host / "pgbackrest", tls)
            server = PgBackRestServer(own).start()
            with pytest.raises(BackupError) as refused:
                backups.ensure_archiving()
            with connect(dsn) as conn:
                when_refused = archive.current_settings(conn)
            command = archive.required_lines(backups.config.stanza)["archive_command"]
            _as_dba(
                cluster,
                archive.required_lines(backups.config.stanza)
                | {"archive_command": command.replace("pgbackrest ", f"pgbackrest --config={own.file} ", 1)},
            )
            yield Remote(cluster, server, platform, ca, backups, refused.value, when_refused)
    finally:
        try:
            if server:
                server.stop()
            for cluster in clusters.all():
                cluster.destroy()
            remove_abandoned(platform / "work", print)
        finally:
            leftovers = processes_under(host) + processes_under(platform)
            shutil.rmtree(host, ignore_errors=True)
            shutil.rmtree(platform, ignore_errors=True)
        assert not leftovers, leftovers


def test_a_remote_productions_archive_settings_are_named_for_its_dba_not_changed(remote: Remote):
    message = str(remote.refused)
    for line in (
        "archive_mode = 'on'",
        "archive_command = 'pgbackrest --stanza=odoosh archive-push %p'",
        "archive_timeout = '60'",
    ):
        assert line in message, message
    assert "wal_level =" not in message  # already replica: only the wrong lines are named
    assert "restart PostgreSQL" in message
    assert remote.settings_when_refused["archive_mode"] == "off"  # nothing was changed over the DSN
    assert remote.settings_when_refused["archive_command"] in ("", "(disabled)")


def test_the_backups_group_backs_up_and_restores_a_remote_production_through_its_tls_server(
    remote: Remote, s3_double: S3Endpoint
):
    defs = make_definitions()
    assert {s.default_status for s in defs.schedules if s.name == "daily_full_backup"} == {
        dg.DefaultScheduleStatus.RUNNING
    }
    lines = render(remote.backups.config).splitlines()
    assert "pg1-host-type=tls" in lines and f"pg1-host-port={remote.server.config.tls_server.port}" in lines
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=dg.AssetSelection.groups("backups"),
            resources=defs.resources,
            instance=instance,
            raise_on_error=False,
        )
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    assert all(checks[name].passed for name in CHECKS), {n: c.description for n, c in checks.items()}

    restored = result.asset_materializations_for_node("restore_test")[0].metadata
    assert restored["passed"].value is True
    assert restored["measured_rpo_s"].value < 300  # the heartbeat, written over the DSN, was replayed
    assert "pii_rows" in restored["proofs"].value and "pii_rows_compared" in restored
    for index, bucket in BUCKETS.items():
        label = result.asset_materializations_for_node(("base_backup", "replicated_backups")[index - 1])[0]
        label = label.metadata["label"].value
        listed = s3_double.client().list_objects_v2(Bucket=bucket, Prefix=f"pgbackrest/backup/odoosh/{label}/")
        assert listed["KeyCount"] > 10, bucket  # the backup's files are in that bucket
    assert not list((remote.platform_state / "backups").glob("repo*"))  # no repository on the platform's disk


def _check_with(remote: Remote, **changes) -> tuple[BackupError, float]:
    """What `pgbackrest check` raises, and after how long, with the platform's configuration
    changed; under a home of its own, so the platform's own pgbackrest.conf stays as it is."""
    home = _state_dir("odoosh-remote-bad-")
    try:
        config: BackupConfig = replace(remote.backups.config, home=str(home), **changes)
        started = time.monotonic()
        with pytest.raises(BackupError) as refused:
            PgBackRest(config).check()
        return refused.value, time.monotonic() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_a_platform_certificate_the_host_does_not_authorize_is_refused_clearly(remote: Remote):
    stranger = remote.ca.issue("someone-else", client=True)
    ServerUser.resolve().chown(stranger.key)
    error, seconds = _check_with(remote, pg_host_cert_file=str(stranger.cert), pg_host_key_file=str(stranger.key))
    message = str(error)
    assert "access denied" in message  # what the host's server answered
    assert "ODOOSH_BACKUP_PG_HOST_CERT_FILE" in message and "tls-server-auth=" in message, message
    assert seconds < 30, seconds


def test_without_the_hosts_tls_server_the_platform_cannot_reach_production(remote: Remote):
    """The only way in is the TLS server: stopped, nothing reaches production's cluster."""
    remote.server.stop()
    try:
        error, seconds = _check_with(remote)
    finally:
        remote.server.start()
    message = str(error)
    assert f"localhost:{remote.server.config.tls_server.port}" in message and "ODOOSH_BACKUP_PG_HOST" in message, (
        message
    )
    assert seconds < 30, seconds

"""Backups against a real cluster and real pgBackRest: archiving and RPO, full backups in both
repositories, restore tests that prove and destroy, point-in-time recovery, a corrupt file, a
repository outage, a stanza that does not match, and restore tests killed at each moment."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from odoosh import process, scratch
from odoosh.backups import archive, restore, verdicts
from odoosh.backups.commands import BackupError
from odoosh.backups.production import ProductionBackups, sandbox_backups
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters, PostgresCluster
from odoosh.sandbox.production import CLUSTER, SyntheticProduction
from tests.sandbox_helpers import processes_under

pytestmark = pytest.mark.cluster
REPO_ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.2  # a small production: every proof still has rows to find, the tests stay fast


def _state_dir(prefix: str) -> Path:
    state = Path(tempfile.mkdtemp(prefix=prefix))  # the system temp dir: the server user reaches it
    state.chmod(0o711)
    return state


@pytest.fixture(scope="module")
def prod():
    """The sandbox's synthetic production (a small one) archiving to two local repositories, with a
    full backup in each."""
    state = _state_dir("odoosh-backups-")
    clusters = Clusters(state)
    try:
        SyntheticProduction(clusters, scale=SCALE).ensure(lambda m: None)
        backups = sandbox_backups(clusters.existing(CLUSTER), state, log=lambda m: None)
        backups.ensure_archiving()
        backups.heartbeat()
        backups.archive_now()
        backups.backup(1)
        backups.backup(2)
        yield backups
    finally:
        for cluster in clusters.all():
            cluster.destroy()
        remove_abandoned(state / "work", print)
        leftovers = processes_under(state)
        shutil.rmtree(state, ignore_errors=True)
        assert not leftovers, leftovers


def test_archiving_is_on_and_the_newest_wal_is_fresh(prod: ProductionBackups):
    settings = prod.ensure_archiving()  # idempotent: nothing to change, no restart
    assert settings["archive_mode"] == "on"
    assert int(settings["archive_timeout"]) <= 60
    assert "pgbackrest" in settings["archive_command"] and "archive-push" in settings["archive_command"]
    beat = prod.heartbeat()
    segment = prod.archive_now()
    state = prod.archive_state()
    assert state.unreachable() == []
    for repo in (1, 2):
        wal = state.newest[repo]
        assert wal.segment >= segment, (repo, wal)
        assert wal.age_s < 300
    assert state.freshest().age_s < 300
    assert beat.pii_rows["res_partner"] > 100


def test_a_full_backup_is_in_both_repositories_and_verifies(prod: ProductionBackups):
    info = prod.info()
    for repo in (1, 2):
        newest = info.newest(repo, ("full",))
        assert newest is not None and newest.size > 1_000_000 and newest.repo_size > 0
        assert newest.wal_start <= newest.wal_stop
        report = prod.verify(repo)
        assert report.passed, report.summary


def test_a_differential_backup_on_demand_copies_only_what_changed(prod: ProductionBackups):
    full = prod.info().newest(1, ("full",))
    diff = prod.backup(1, "diff")
    assert diff.type == "diff" and diff.label.startswith(full.label)  # pgBackRest names a diff after its full
    assert diff.delta < full.delta / 2 and diff.size == pytest.approx(full.size, rel=0.2)


def _copy_settings(prod: ProductionBackups, seen: dict[str, str]) -> restore.Hook:
    """A hook that reads, once the copy is proving, the settings it runs with."""

    def hook(moment: str) -> None:
        if moment == "proving":
            (root,) = prod.work_dir.glob(scratch.PREFIX + "restore-*")
            with PostgresCluster(root).connect() as conn:
                for name in ("fsync", "restore_command"):
                    seen[name] = conn.execute(f"SHOW {name}").fetchone()[0]

    return hook


def _async_get_log(prod: ProductionBackups) -> Path:
    return Path(prod.config.home) / "log" / f"{prod.config.stanza}-archive-get-async.log"


def test_restore_test_restores_proves_and_destroys(prod: ProductionBackups):
    beat = prod.heartbeat()
    prod.archive_now()
    info = prod.info()
    after = restore.wal_segments_after(info.newest(1), info.repos[1].wal_max)
    assert after is not None and 0 < after <= restore.SYNC_GET_MAX_SEGMENTS  # a few segments to replay
    async_log = process.log_size(_async_get_log(prod))
    seen: dict[str, str] = {}
    report = prod.restore_test(1, hook=_copy_settings(prod, seen))
    assert report.passed, report.failures
    assert seen["fsync"] == "off"  # a throwaway copy: its proofs read, they need no durability
    assert "--no-archive-async" in seen["restore_command"] and "archive-get" in seen["restore_command"]
    assert process.log_size(_async_get_log(prod)) == async_log  # synchronous: no async get ran
    assert {p.name for p in report.proofs} == {"users_exist", "modules_installed", "amcheck", "heartbeat", "pii_rows"}
    assert report.heartbeat_at == beat.at  # replay reached the newest heartbeat
    assert 0 <= report.rpo_s < 300
    assert report.backup.label == prod.info().newest(1).label
    assert report.projected_100gb_s > 0 and report.seconds["restore"] > 0
    assert list(prod.work_dir.glob(scratch.PREFIX + "*")) == []  # destroyed
    assert processes_under(prod.work_dir) == []


def test_point_in_time_recovery_from_repo2_alone_finds_the_first_heartbeat_not_the_second(
    prod: ProductionBackups, monkeypatch
):
    monkeypatch.setattr(restore, "SYNC_GET_MAX_SEGMENTS", -1)  # as with hours of WAL: asynchronous archive-get
    async_log = process.log_size(_async_get_log(prod))
    seen: dict[str, str] = {}
    first = prod.heartbeat()
    time.sleep(0.3)
    between = datetime.now(UTC)
    time.sleep(0.3)
    second = prod.heartbeat()
    prod.archive_now()
    repo1 = Path(prod.config.repo(1).path)
    repo1.chmod(0)  # from repo2 alone, as the monthly drill restores
    try:
        report = prod.restore_test(2, target=between, hook=_copy_settings(prod, seen))
    finally:
        repo1.chmod(0o750)
    assert report.error is None, report.error
    assert "--no-archive-async" not in seen["restore_command"] and "--spool-path=" in seen["restore_command"]
    assert process.log_size(_async_get_log(prod)) > async_log  # the async get fetched the WAL
    assert report.heartbeat_at == first.at
    assert report.heartbeat_at < second.at
    assert report.passed, report.failures


def test_a_corrupt_file_in_repo1_fails_verify_and_restore_naming_it_and_the_next_backup_is_taken(
    prod: ProductionBackups,
):
    newest = prod.info().newest(1)
    backup_dir = Path(prod.config.repo(1).path) / "backup" / prod.config.stanza / newest.label
    victim = max((backup_dir / "pg_data" / "base").rglob("*.zst"), key=lambda p: p.stat().st_size)
    name = str(victim.relative_to(backup_dir))  # pg_data/base/<db>/<relfilenode>.zst
    original = victim.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    victim.write_bytes(bytes(damaged))
    try:
        verify = prod.verify(1)
        assert not verify.passed
        assert any(name in f and "checksum" in f for f in verify.files), verify.files
        assert name in verify.summary
        assert prod.verify(2).passed  # the other region is intact

        report = prod.restore_test(1)
        assert not report.passed
        assert name.removeprefix("pg_data/").removesuffix(".zst") in report.error, report.error

        taken = prod.backup(1)  # the next backup is still taken
        assert taken.label != newest.label and taken.repo == 1
    finally:
        victim.write_bytes(original)


def test_repo1_unreachable_archiving_and_backups_go_on_to_repo2_and_catch_up(prod: ProductionBackups):
    repo1 = Path(prod.config.repo(1).path)
    repo1.chmod(0)  # the server user can no longer reach it
    try:
        prod.heartbeat()
        first = prod.archive_now()
        prod.heartbeat()
        second = prod.archive_now()  # synchronous archive-push would stop after the first
        state = prod.archive_state()
        assert state.unreachable() == [1]
        assert state.newest[2].segment >= second > first
        assert state.newest[2].age_s < 300
        assert state.archiver.ready_segments >= 1  # pg_wal keeps them until repo1 is back
        assert verdicts.rpo(state).passed  # RPO holds on repo2
        failover = verdicts.failover(state, prod.queue_max_bytes)
        assert not failover.passed and failover.description.startswith("repo1 unreachable, WAL goes on to repo2")
        assert "MiB of the 4.0 GiB bound" in failover.description
        assert 0 < failover.metadata["backlog_share_of_bound"] < 0.1
        assert prod.backup(2).repo == 2
        with pytest.raises(BackupError, match="repo1 .region-a.*ODOOSH_BACKUP_REPO1_"):
            prod.backup(1)
    finally:
        repo1.chmod(0o750)
    prod.heartbeat()
    prod.archive_now()  # a new segment wakes the archiver, which retries the backlog
    deadline = time.monotonic() + 60
    while prod.archive_state().archiver.ready_segments and time.monotonic() < deadline:
        time.sleep(0.5)
    state = prod.archive_state()
    assert state.archiver.ready_segments == 0
    assert state.newest[1].segment >= second


KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from odoosh.backups.production import sandbox_backups
from odoosh.postgres.cluster import PostgresCluster
state, moment = Path(sys.argv[1]), sys.argv[2]
backups = sandbox_backups(PostgresCluster(state / "clusters" / "production"), state, log=lambda m: None)
backups.restore_test(1, hook=lambda m: m == moment and os.kill(os.getpid(), signal.SIGKILL))
"""


def test_a_restore_test_killed_at_each_moment_is_removed_by_the_next_run(prod: ProductionBackups):
    state = prod.work_dir.parent
    before = set(prod.work_dir.glob(scratch.PREFIX + "*"))
    runs = {  # one run per moment, side by side: each kills itself when its moment begins
        moment: subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, str(state), moment],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for moment in restore.MOMENTS
    }
    for moment, run in runs.items():
        _, stderr = run.communicate(timeout=300)
        assert run.returncode == -signal.SIGKILL, (moment, stderr)
    left = set(prod.work_dir.glob(scratch.PREFIX + "*")) - before
    assert len(left) == len(restore.MOMENTS)  # each killed run left its directory
    ports = []
    for directory in left:
        pid_file = directory / "data" / "postmaster.pid"
        if pid_file.exists():  # its server outlived the run (recovering, proving, destroying)
            ports.append(int(pid_file.read_text().splitlines()[3]))
            assert process.port_in_use("127.0.0.1", ports[-1])
        old = time.time() - scratch.MIN_AGE_S - 5
        os.utime(directory, (old, old))
    assert len(ports) == 3

    report = prod.restore_test(1)  # the next run
    assert report.passed, report.failures
    for directory in left:
        assert not directory.exists()
        assert processes_under(directory) == []
    assert not any(process.port_in_use("127.0.0.1", port) for port in ports)


def test_a_stanza_that_does_not_match_the_cluster_is_refused_with_the_fix():
    state = _state_dir("odoosh-stanza-")
    cluster = PostgresCluster(state / "clusters" / "production", data_checksums=True)
    try:
        cluster.ensure_running()
        sandbox_backups(cluster, state, dbname="postgres", log=lambda m: None).ensure_archiving()
        cluster.destroy()  # re-initdb: a new system id behind the same stanza
        cluster = PostgresCluster(state / "clusters" / "production", data_checksums=True).ensure_running()
        backups = sandbox_backups(cluster, state, dbname="postgres", log=lambda m: None)
        with pytest.raises(BackupError, match="system id .* ODOOSH_BACKUP_STANZA.*stanza-delete"):
            backups.ensure_archiving()
        with pytest.raises(BackupError, match="error 051.*ODOOSH_BACKUP_STANZA"):
            backups.backup(1)
    finally:
        cluster.destroy()
        shutil.rmtree(state, ignore_errors=True)


def test_amcheck_finds_a_corrupt_page():
    with scratch.owned_dir("amcheck") as root:
        cluster = PostgresCluster(root, durable=False, data_checksums=True)
        try:
            cluster.ensure_running()
            cluster.databases.create("odoo")
            with cluster.connect("odoo", autocommit=True) as conn:
                conn.execute("CREATE TABLE t AS SELECT g AS id, repeat('x', 100) AS v FROM generate_series(1, 20000) g")
                conn.execute("CREATE INDEX t_id ON t (id)")
                relation = conn.execute("SELECT pg_relation_filepath('t')").fetchone()[0]
            assert restore.amcheck(cluster, 2).passed
            cluster.stop()
            heap = cluster.data_dir / relation
            data = bytearray(heap.read_bytes())
            data[3 * 8192 + 4000] ^= 0xFF  # one byte of the fourth page: its checksum no longer matches
            heap.write_bytes(bytes(data))
            cluster.start()
            found = restore.amcheck(cluster, 2)
            assert not found.passed
            assert 'heap table "odoo.public.t"' in found.summary and "invalid page in block 3" in found.summary
        finally:
            cluster.destroy()


# --------------------------------------------------------------------------- PII rows at the heartbeat


def test_pii_rows_are_compared_exactly_only_when_nothing_committed_after_the_heartbeats_counts(pg, fresh_db):
    """Judged on a live database (pg_xact answers there as in a restored copy): idle, the counts
    must match and a wrong one fails; once a write commits after the heartbeat, they are not judged."""
    dsn = pg.dsn(fresh_db)
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE ir_module_module (name text, state text)")
        conn.execute("CREATE TABLE res_partner (id serial PRIMARY KEY, name text)")
        conn.execute("INSERT INTO res_partner (name) SELECT 'p' || n FROM generate_series(1, 5) n")
    beat = archive.beat(dsn)
    assert beat.pii_rows == {"res_partner": 5} and beat.snapshot and beat.xid
    assert archive.newest_heartbeat(dsn) == beat

    idle = restore.pii_rows(dsn, beat)
    assert idle.passed and idle.details["compared"] and idle.details["committed_since"] == 0
    tampered = restore.pii_rows(dsn, replace(beat, pii_rows={"res_partner": 6}))
    assert not tampered.passed and tampered.details["differ"] == {"res_partner": {"heartbeat": 6, "restored": 5}}

    with pg.connect(fresh_db) as conn:
        conn.execute("INSERT INTO res_partner (name) VALUES ('written after the heartbeat')")
    writing = restore.pii_rows(dsn, beat)
    assert writing.passed and not writing.details["compared"] and writing.details["committed_since"] == 1
    assert "not compared" in writing.summary and writing.details["restored"] == {"res_partner": 6}


def test_a_heartbeat_table_of_an_earlier_version_gains_the_snapshot_and_its_old_rows_are_not_judged(pg, fresh_db):
    dsn = pg.dsn(fresh_db)
    with pg.connect(fresh_db) as conn:
        conn.execute("CREATE TABLE ir_module_module (name text, state text)")
        conn.execute("CREATE SCHEMA odoosh")
        conn.execute(
            "CREATE TABLE odoosh.heartbeat (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), pii_rows jsonb NOT NULL)"
        )
        conn.execute("""INSERT INTO odoosh.heartbeat (pii_rows) VALUES ('{}')""")
    old = archive.newest_heartbeat(dsn)
    assert old.snapshot is None and old.xid is None
    assert not restore.pii_rows(dsn, old).details["compared"]
    new = archive.beat(dsn)
    assert new.snapshot and new.xid and archive.newest_heartbeat(dsn) == new

"""Backups in S3: real pgBackRest against the sandbox's S3 double (moto behind nginx's TLS), the
certificate verified against the sandbox CA, through the platform's own backup configuration.

pgBackRest 2.45 talks to S3 only over HTTPS; the configuration the platform writes must trust
the sandbox CA (repoN-storage-ca-file), never turn verification off.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from odoosh import settings
from odoosh.backups.commands import BackupError, PgBackRest
from odoosh.backups.config import Repository, render
from odoosh.backups.production import ProductionBackups, repositories, sandbox_backups
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters
from odoosh.sandbox.production import CLUSTER, SyntheticProduction
from odoosh.sandbox.s3 import S3Endpoint
from odoosh.tls import SandboxCA
from tests.sandbox_helpers import processes_under

pytestmark = pytest.mark.cluster
BUCKET = "odoosh-backups"


def _repositories(home: Path, s3: S3Endpoint, **wrong: str) -> tuple[Repository, ...]:
    """repo1 in the double's bucket, read as the platform reads it: ODOOSH_BACKUP_REPO1_* through
    odoosh.settings, the key and secret given as the EnvVars would; repo2 the sandbox's disk.
    `wrong` replaces a setting (bucket, key, secret) with a wrong one."""
    env = {"TYPE": "s3", "BUCKET": BUCKET, "ENDPOINT": s3.endpoint, "REGION": s3.region, "CA_FILE": str(s3.ca_file)}
    env |= {name.upper(): value for name, value in wrong.items() if name != "key" and name != "secret"}
    with pytest.MonkeyPatch.context() as mp:
        for name in settings.BACKUP_REPO_FIELDS:
            mp.delenv(f"ODOOSH_BACKUP_REPO1_{name.upper()}", raising=False)
            mp.delenv(f"ODOOSH_BACKUP_REPO2_{name.upper()}", raising=False)
        for name, value in env.items():
            mp.setenv(f"ODOOSH_BACKUP_REPO1_{name}", value)
        configured = {1: settings.backup_repository(1), 2: settings.backup_repository(2)}
    secrets = {1: (wrong.get("key", s3.credentials.key), wrong.get("secret", s3.credentials.secret))}
    return repositories(home, settings=configured, secrets=secrets)


@pytest.fixture(scope="module")
def prod(s3_double: S3Endpoint):
    """The sandbox's synthetic production archiving to repo1 in S3 (and repo2 on disk)."""
    s3_double.create_bucket(BUCKET)
    state = Path(tempfile.mkdtemp(prefix="odoosh-backups-s3-"))
    state.chmod(0o711)  # the server user reaches it
    clusters = Clusters(state)
    try:
        SyntheticProduction(clusters).ensure(lambda m: None)
        repos = _repositories(state / "backups", s3_double)
        assert [r.type for r in repos] == ["s3", "posix"]
        backups = sandbox_backups(clusters.existing(CLUSTER), state, repos, log=lambda m: None)
        backups.ensure_archiving()
        yield backups
    finally:
        try:
            for cluster in clusters.all():
                cluster.destroy()
            remove_abandoned(state / "work", print)
        finally:
            leftovers = processes_under(state)
            shutil.rmtree(state, ignore_errors=True)
        assert not leftovers, leftovers


def test_a_backup_in_s3_restores_and_proves_itself_over_verified_tls(prod: ProductionBackups, s3_double: S3Endpoint):
    text = render(prod.config)
    assert f"repo1-storage-ca-file={s3_double.ca_file}" in text and "verify-tls" not in text
    prod.heartbeat()
    prod.archive_now()
    backup = prod.backup(1)
    assert backup.repo == 1 and backup.type == "full" and backup.repo_size > 0

    listed = s3_double.client().list_objects_v2(Bucket=BUCKET, Prefix=f"pgbackrest/backup/odoosh/{backup.label}/")
    assert listed["KeyCount"] > 10  # the backup's files are in the bucket, not on a local disk
    assert not (Path(prod.config.home) / "repo1").exists()

    report = prod.restore_test(1)
    assert report.passed, (report.error, report.proofs)
    assert report.backup.label == backup.label
    assert {p.name for p in report.proofs} >= {"users_exist", "modules_installed", "amcheck", "heartbeat"}


BAD_SETTINGS = pytest.mark.parametrize(
    ("changes", "s3_says", "setting"),
    [
        ({"secret": "not-the-secret-key-at-all-0000"}, "SignatureDoesNotMatch", "ODOOSH_BACKUP_REPO1_SECRET"),
        ({"key": "AKIANOTAKEYOFTHISS3X"}, "InvalidAccessKeyId", "ODOOSH_BACKUP_REPO1_KEY"),
        ({"bucket": "no-such-bucket"}, "unable to load info file", "ODOOSH_BACKUP_REPO1_BUCKET"),
    ],
    ids=["wrong-secret", "wrong-key", "missing-bucket"],
)


def _backup_with(prod: ProductionBackups, s3: S3Endpoint, wrong: dict) -> tuple[Repository, BackupError]:
    """What `backup` to a misconfigured repo1 raises; under a home of its own, so production's
    pgbackrest.conf (which its archive_command reads) stays as it is."""
    home = Path(tempfile.mkdtemp(prefix="odoosh-s3-bad-"))
    home.chmod(0o711)
    try:
        repos = _repositories(home, s3, **wrong)
        with pytest.raises(BackupError) as failed:
            PgBackRest(replace(prod.config, home=str(home), repos=repos)).backup(1)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return repos[0], failed.value


@BAD_SETTINGS
def test_bad_s3_settings_are_an_error_naming_the_repository_without_secrets(prod, s3_double, changes, s3_says, setting):
    bad, error = _backup_with(prod, s3_double, changes)
    message = str(error)
    assert error.repo == 1 and message.startswith(f"pgbackrest backup failed on {bad.name}")
    assert bad.bucket in message and "ODOOSH_BACKUP_REPO1_" in message
    assert s3_double.credentials.secret not in message and bad.secret not in message


@BAD_SETTINGS
def test_bad_s3_settings_name_the_setting_to_fix(prod, s3_double, changes, s3_says, setting):
    message = str(_backup_with(prod, s3_double, changes)[1])
    assert s3_says in message and setting in message


def test_pgbackrest_refuses_the_double_without_the_sandbox_ca(prod, s3_double):
    """Verification is on: trusting only the system's CAs, the double's certificate is refused."""
    home = Path(tempfile.mkdtemp(prefix="odoosh-s3-noca-"))
    home.chmod(0o711)
    try:
        repos = tuple(replace(r, ca_file=None) if r.index == 1 else r for r in _repositories(home, s3_double))
        with pytest.raises(BackupError) as refused:
            PgBackRest(replace(prod.config, home=str(home), repos=repos)).run("repo-ls", "--io-timeout=2", repo=1)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert "unable to verify certificate presented by" in str(refused.value)


def test_an_untrusted_s3_certificate_fails_in_seconds_naming_the_ca_setting(prod: ProductionBackups, s3_double):
    """pgBackRest retries a certificate it cannot verify until its I/O timeout (60 s, twice); the
    platform reads info with a short one first and names the setting, not an "encrypted?" hint."""
    home = Path(tempfile.mkdtemp(prefix="odoosh-s3-wrongca-"))
    home.chmod(0o711)
    try:
        other = SandboxCA(home / "other-ca")
        other.ensure()
        other.directory.chmod(0o711)
        repos = tuple(
            replace(r, ca_file=str(other.cert)) if r.index == 1 else r for r in _repositories(home, s3_double)
        )
        untrusting = replace(prod, base=replace(prod.base, home=str(home), repos=repos))
        started = time.monotonic()
        with pytest.raises(BackupError) as refused:
            untrusting.backup(1)
        seconds = time.monotonic() - started
        report = untrusting.restore_test(1)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    message = str(refused.value)
    assert refused.value.repo == 1 and repos[0].name in message
    assert "ODOOSH_BACKUP_REPO1_CA_FILE" in message and str(other.cert) in message, message
    assert "encrypted" not in message and s3_double.credentials.secret not in message
    assert seconds < 30, seconds
    assert not report.passed and "ODOOSH_BACKUP_REPO1_CA_FILE" in report.error

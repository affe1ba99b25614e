"""pgBackRest's generated configuration, and the readers of what it reports (no cluster needed):
verify's text output as 2.45 prints it, info's JSON, and the checks' verdicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from odoosh.backups import config, info, verdicts, verify
from odoosh.backups.config import BackupConfig, BackupConfigError, Repository
from odoosh.backups.restore import RestoreReport, wal_segments_after
from odoosh.odoo.smoke import ProbeResult

S3 = Repository(
    1,
    type="s3",
    path="/pgbackrest",
    bucket="odoosh-backups",
    endpoint="127.0.0.1:9443",
    region="ams3",
    key="AKIDEXAMPLE",
    secret="s3cr3t-value",
    ca_file="/etc/odoosh/ca.pem",
)
CONFIG = BackupConfig("odoosh", "/srv/pg/data", 5433, "/srv/backups", (S3, Repository(2, path="/srv/backups/repo2")))

# What pgbackrest 2.45 `verify --output=text --log-level-console=info` printed here for one corrupt file (exit 0).
VERIFY_CORRUPT = """\
2026-12-01 11:09:57.403 P00   INFO: verify command begin 2.45: --config=/tmp/b/pgbackrest.conf --repo=1 --stanza=odoosh
2026-12-01 11:09:57.472 P02   INFO: invalid checksum '20261201-110932F/pg_data/base/5/2838.zst'
2026-12-01 11:09:57.582 P00   INFO: stanza: odoosh
                                    status: error
                                      backup: 20261201-110932F, status: invalid, total files checked: 964, total valid files: 963
                                        checksum invalid: 1
stanza: odoosh
status: error
  backup: 20261201-110932F, status: invalid, total files checked: 964, total valid files: 963
    checksum invalid: 1
2026-12-01 11:09:57.582 P00   INFO: verify command end: completed successfully (180ms)
"""
VERIFY_OK = """\
2026-12-01 11:09:57.595 P00   INFO: verify command begin 2.45: --config=/tmp/b/pgbackrest.conf --repo=2 --stanza=odoosh
2026-12-01 11:09:57.873 P00   INFO: verify command end: completed successfully (280ms)
"""


def test_s3_repository_renders_with_its_ca_and_never_disables_tls():
    text = config.render(CONFIG)
    for line in (
        "repo1-type=s3",
        "repo1-s3-bucket=odoosh-backups",
        "repo1-s3-endpoint=127.0.0.1:9443",
        "repo1-s3-region=ams3",
        "repo1-s3-uri-style=path",
        "repo1-storage-ca-file=/etc/odoosh/ca.pem",
        "repo1-retention-full-type=time",
        "repo2-path=/srv/backups/repo2",
        "archive-async=y",
        "compress-type=zst",
        "pg1-port=5433",
    ):
        assert line in text.splitlines(), line
    assert "verify-tls" not in text
    assert "s3cr3t-value" not in repr(CONFIG) and "s3cr3t-value" not in S3.location


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        (replace(S3, secret=None), "ODOOSH_BACKUP_REPO1_SECRET"),
        (replace(S3, endpoint="https://127.0.0.1:9443"), "ODOOSH_BACKUP_REPO1_ENDPOINT"),
        (replace(S3, type="gcs"), "ODOOSH_BACKUP_REPO1_TYPE"),
        (Repository(2, path="relative/dir"), "ODOOSH_BACKUP_REPO2_PATH"),
    ],
)
def test_a_repository_that_cannot_work_names_the_setting(repo, message):
    with pytest.raises(BackupConfigError, match=message):
        config.render(replace(CONFIG, repos=(repo,)))


def test_verify_that_exits_0_on_a_corrupt_file_is_read_as_a_failure_naming_it():
    report = verify.parse(1, VERIFY_CORRUPT)
    assert not report.passed
    assert report.status == "error"
    assert report.files == ["invalid checksum 20261201-110932F/pg_data/base/5/2838.zst"]
    assert report.backups == {"20261201-110932F": "invalid"}
    assert "20261201-110932F/pg_data/base/5/2838.zst" in report.summary
    assert verify.parse(2, VERIFY_OK).passed


def test_info_json_is_read_per_repository_with_an_unreachable_one():
    document = {
        "name": "odoosh",
        "status": {"code": 4, "message": "different across repos"},
        "archive": [
            {"database": {"id": 1, "repo-key": 2}, "id": "15-1", "max": "000000010000000000000006", "min": "0001"}
        ],
        "db": [{"id": 1, "repo-key": 2, "system-id": 7714291133316482287, "version": "15"}],
        "repo": [
            {"key": 1, "status": {"code": 99, "message": "[PathOpenError] unable to list ... Permission denied"}},
            {"key": 2, "status": {"code": 0, "message": "ok"}},
        ],
        "backup": [
            {
                "archive": {"start": "000000010000000000000004", "stop": "000000010000000000000005"},
                "database": {"id": 1, "repo-key": 2},
                "error": False,
                "info": {"delta": 22992794, "repository": {"delta": 2968751, "size": 2968751}, "size": 22992794},
                "label": "20261201-110935F",
                "timestamp": {"start": 1796123375, "stop": 1796123377},
                "type": "full",
            }
        ],
    }
    parsed = info.parse(document)
    assert not parsed.repos[1].ok and parsed.repos[2].ok
    assert parsed.repos[2].wal_max == "000000010000000000000006"
    newest = parsed.newest(2, ("full",))
    assert newest.label == "20261201-110935F" and newest.repo_size == 2968751 and newest.seconds == 2
    assert parsed.newest(1) is None


def _backup_stopping_at(wal_stop: str) -> info.BackupSet:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    return info.BackupSet("20261201-000000F", "full", 1, at, at, 1, 1, 1, wal_stop, wal_stop, False)


@pytest.mark.parametrize(
    ("wal_stop", "newest", "after"),
    [
        ("00000001000000000000007A", "00000001000000000000007A", 0),
        ("00000001000000000000007A", "00000001000000000000007D", 3),
        ("0000000100000000000000FE", "000000010000000100000002", 4),  # across a log file: 256 segments each
        ("00000001000000000000007A", "00000002000000000000007D", None),  # another timeline: unknown
        ("00000001000000000000007A", None, None),
    ],
)
def test_wal_segments_after_a_backup_count_across_log_files(wal_stop, newest, after):
    assert wal_segments_after(_backup_stopping_at(wal_stop), newest) == after
    assert wal_segments_after(None, newest) is None


def _report(size: int, restore_s: float, other_s: float = 2.0) -> RestoreReport:
    now = datetime.now(UTC)
    backup = info.BackupSet("L", "full", 1, now, now, size, size, size // 4, "a", "b", False)
    report = RestoreReport(1, "latest", backup, {"restore": restore_s, "start": other_s, "replay": 0, "smoke": 0})
    report.proofs = [ProbeResult("users_exist", True, "ok")]
    return report


def test_restore_time_projects_100_gb_from_a_large_sample():
    fast = verdicts.restore_time(_report(2 * 10**9, 4.0), slo_s=900)  # 500 MB/s: 200 s + 2 s
    assert fast.passed and fast.metadata["projection_judged"]
    assert fast.metadata["projected_100gb_s"] == pytest.approx(202, abs=1)
    slow = verdicts.restore_time(_report(2 * 10**9, 40.0), slo_s=900)  # 50 MB/s: 33 min
    assert not slow.passed and "33.4 min" in slow.description


def test_restore_time_of_a_small_sample_judges_the_restore_itself():
    quick = verdicts.restore_time(_report(60 * 10**6, 1.0), slo_s=900)
    assert quick.passed and not quick.metadata["projection_judged"] and "not judged" in quick.description
    assert not verdicts.restore_time(_report(60 * 10**6, 1.0, other_s=1000), slo_s=900).passed
    drill = verdicts.restore_time(_report(60 * 10**6, 1.0, other_s=40), slo_s=900, bound_s=30)
    assert not drill.passed and "bound" in drill.description


def test_replica_fresh_fails_on_a_day_old_full_backup():
    old = datetime.now(UTC) - timedelta(hours=25)
    backup = info.BackupSet("20261130-000000F", "full", 2, old, old, 1, 1, 1, "a", "b", False)
    stale = info.StanzaInfo("odoosh", 0, "ok", [backup], {})
    verdict = verdicts.replica_fresh(stale)
    assert not verdict.passed and "25.0 h" in verdict.description
    assert not verdicts.replica_fresh(info.StanzaInfo("odoosh", 0, "ok", [], {})).passed


def test_a_failed_command_names_the_repository_and_its_settings_never_the_secret():
    from odoosh.backups.commands import PgBackRest

    # the shape of pgBackRest's error on a refused S3 request (constructed, with the key echoed back)
    output = (
        "WARN: repo1: [FileOpenError] unable to load info file\n"
        "ERROR: [039]: repo1: HTTP request failed with 403 (Forbidden): key AKIDEXAMPLE s3cr3t-value\n"
        "       HINT: is the key right?\n"
    )
    error = PgBackRest(CONFIG).error("stanza-create", 39, output, None)
    message = str(error)
    assert error.repo == 1 and error.code == "039"
    assert message.startswith("pgbackrest stanza-create failed on repo1 (exit 39, error 039)"), message
    assert "ODOOSH_BACKUP_REPO1_*" in message and "s3://odoosh-backups/pgbackrest" in message
    assert "AKIDEXAMPLE" not in message and "s3cr3t-value" not in message
    assert "HINT: is the key right?" in message


@pytest.mark.parametrize(("text", "size"), [("4GiB", 4 * 1024**3), ("512MB", 512 * 1024**2), ("1048576", 1048576)])
def test_queue_max_is_read_as_pgbackrest_reads_it(text, size):
    assert config.size_bytes(text) == size


def test_a_queue_max_that_is_not_a_size_is_refused_naming_the_setting():
    with pytest.raises(BackupConfigError, match="ODOOSH_BACKUP_ARCHIVE_QUEUE_MAX='four gigs'"):
        config.render(replace(CONFIG, archive_push_queue_max="four gigs"))


# --------------------------------------------------------------------------- a production on another host

S3_2 = replace(S3, index=2, bucket="odoosh-backups-b")
REMOTE = replace(
    CONFIG,
    repos=(S3, S3_2),
    pg_host="db.example.com",
    pg_host_port=8443,
    pg_host_cert_file="/etc/odoosh/platform.crt",
    pg_host_key_file="/etc/odoosh/platform.key",
    pg_host_ca_file="/etc/odoosh/pg-ca.crt",
)


def test_a_remote_production_renders_pgbackrest_tls_client_options():
    lines = config.render(REMOTE).splitlines()
    for line in (
        "pg1-host=db.example.com",
        "pg1-host-type=tls",
        "pg1-host-port=8443",
        "pg1-host-cert-file=/etc/odoosh/platform.crt",
        "pg1-host-key-file=/etc/odoosh/platform.key",
        "pg1-host-ca-file=/etc/odoosh/pg-ca.crt",
        "pg1-path=/srv/pg/data",
    ):
        assert line in lines, line
    assert not any(line.startswith("tls-server") for line in lines)


def test_production_hosts_own_configuration_is_its_tls_server_for_the_platform_only():
    from odoosh.backups.remote import host_config

    server = config.TlsServer(
        "/etc/pgbackrest/server.crt", "/etc/pgbackrest/server.key", "/etc/pgbackrest/ca.crt", "odoosh-platform"
    )
    lines = config.render(host_config(REMOTE, "/etc/pgbackrest", server)).splitlines()
    for line in (
        "tls-server-address=*",
        "tls-server-port=8432",
        "tls-server-cert-file=/etc/pgbackrest/server.crt",
        "tls-server-key-file=/etc/pgbackrest/server.key",
        "tls-server-ca-file=/etc/pgbackrest/ca.crt",
        "tls-server-auth=odoosh-platform=odoosh",  # this stanza only, for the platform's CN only
        "repo1-s3-bucket=odoosh-backups",  # archive-push writes to the repositories from there
        "repo2-s3-bucket=odoosh-backups-b",
        "pg1-path=/srv/pg/data",
    ):
        assert line in lines, line
    assert not any(line.startswith("pg1-host") for line in lines)


def test_a_remote_production_refuses_a_repository_on_the_platforms_disk():
    with pytest.raises(BackupConfigError, match="ODOOSH_BACKUP_REPO2_TYPE=s3") as refused:
        config.render(replace(REMOTE, repos=CONFIG.repos))
    assert "repo2" in str(refused.value) and "ODOOSH_BACKUP_REPO1_TYPE" not in str(refused.value)


@pytest.mark.parametrize(
    ("missing", "setting"),
    [("pg_host_cert_file", "ODOOSH_BACKUP_PG_HOST_CERT_FILE"), ("pg_host_ca_file", "ODOOSH_BACKUP_PG_HOST_CA_FILE")],
)
def test_a_remote_production_without_its_certificates_names_the_setting(missing, setting):
    with pytest.raises(BackupConfigError, match=setting):
        config.render(replace(REMOTE, **{missing: None}))


def test_no_pg_host_settings_for_a_remote_production_names_every_setting_to_add():
    from odoosh.backups.remote import HOST_SETTINGS, remote_backups

    with pytest.raises(BackupConfigError) as refused:
        remote_backups("host=db.example.com dbname=odoo", "/srv/state", (S3, S3_2), {})
    assert all(name in str(refused.value) for name in HOST_SETTINGS.values())


WANTED = {"wal_level": "replica", "archive_mode": "on", "archive_timeout": "60"}


@pytest.mark.parametrize(
    ("current", "wrong"),
    [
        ({**WANTED, "archive_command": "pgbackrest --stanza=odoosh archive-push %p"}, set()),
        (
            {**WANTED, "archive_command": "/usr/bin/pgbackrest --config=/etc/pb.conf --stanza=odoosh archive-push %p"},
            set(),
        ),
        ({**WANTED, "archive_command": "pgbackrest --stanza=other archive-push %p"}, {"archive_command"}),
        ({**WANTED, "archive_command": "cp %p /mnt/wal/%f"}, {"archive_command"}),
        (
            {"wal_level": "minimal", "archive_mode": "off", "archive_timeout": "0", "archive_command": "(disabled)"},
            {"wal_level", "archive_mode", "archive_timeout", "archive_command"},
        ),
        (
            {**WANTED, "archive_timeout": "300", "archive_command": "pgbackrest --stanza=odoosh archive-push %p"},
            {"archive_timeout"},
        ),
    ],
)
def test_remote_archive_settings_are_judged_by_what_they_do(current, wrong):
    from odoosh.backups.archive import archive_problems

    assert set(archive_problems(current, "odoosh")) == wrong


def test_schedules_run_for_a_remote_production_only_with_its_host_settings(monkeypatch):
    import dagster as dg

    from odoosh_assets.definitions import make_definitions

    monkeypatch.setenv("ODOOSH_PROD_DSN", "host=db.example.com dbname=odoo")
    monkeypatch.setenv("ODOOSH_BACKUP_PG_HOST", "db.example.com")
    names = {"backup_heartbeat_every_minute", "daily_full_backup", "weekly_restore_test", "monthly_recovery_drill"}
    schedules = {s.name: s.default_status for s in make_definitions().schedules if s.name in names}
    assert schedules == dict.fromkeys(names, dg.DefaultScheduleStatus.RUNNING)

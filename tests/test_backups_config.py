"""pgBackRest's generated configuration, and the readers of what it reports (no cluster needed):
verify's text output as 2.45 prints it, info's JSON, and the checks' verdicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from odoosh.backups import config, info, verdicts, verify
from odoosh.backups.config import BackupConfig, BackupConfigError, Repository
from odoosh.backups.restore import RestoreReport
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

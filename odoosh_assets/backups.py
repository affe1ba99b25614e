"""Backups that are proven: WAL archiving, full backups in two regions, restore tests, and
point-in-time recovery into a new cluster (pgBackRest, driven through odoosh.backups).

Every failure shows as a failed run or a failed check (ERROR, or WARN for a repository that
fails over) whose description names what failed; the alert sensors post those.
"""

from datetime import UTC, datetime

import dagster as dg
from pydantic import Field

from odoosh.backups import verdicts
from odoosh.backups.info import BackupSet
from odoosh.backups.restore import RestoreReport
from resources.backups import BackupsResource
from resources.odoo import OdooResource

GROUP = "backups"
OWNERS = ["team:platform"]
KINDS = {"pgbackrest", "postgres"}


def _check(verdict: verdicts.Verdict, severity=dg.AssetCheckSeverity.ERROR, **kwargs) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=verdict.passed, severity=severity, description=verdict.description, metadata=verdict.metadata, **kwargs
    )


# --------------------------------------------------------------------------- archiving


@dg.asset(
    deps=["production_database"],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    description="Production's continuous WAL archiving through pgBackRest, and its newest archived WAL.",
)
def wal_archive(context: dg.AssetExecutionContext, backups: BackupsResource) -> dg.MaterializeResult:
    production = backups.backups(context.log.info)
    settings = production.ensure_archiving()
    beat = production.heartbeat()
    production.archive_now()
    state = production.archive_state()
    return dg.MaterializeResult(
        metadata={
            "archive_timeout_s": dg.MetadataValue.int(int(settings["archive_timeout"])),
            "archive_mode": settings["archive_mode"],
            "heartbeat_at": beat.at.isoformat(),
            "ready_segments": dg.MetadataValue.int(state.archiver.ready_segments),
            "archived_count": dg.MetadataValue.int(state.archiver.archived_count),
            "failed_count": dg.MetadataValue.int(state.archiver.failed_count),
            **{f"newest_wal_repo{r}": w.segment or "none" for r, w in state.newest.items()},
            **{
                f"wal_age_s_repo{r}": dg.MetadataValue.float(round(w.age_s, 1))
                for r, w in state.newest.items()
                if w.age_s is not None
            },
        }
    )


@dg.asset_check(asset=wal_archive, description="The newest archived WAL is at most 5 minutes old.")
def rpo_within_5_min(backups: BackupsResource) -> dg.AssetCheckResult:
    return _check(verdicts.rpo(backups.backups().archive_state()))


@dg.asset_check(
    asset=wal_archive,
    description="Every repository is reachable (WARN: one is not and archiving fails over to the other).",
)
def repositories_reachable(backups: BackupsResource) -> dg.AssetCheckResult:
    production = backups.backups()
    verdict = verdicts.failover(production.archive_state(), production.queue_max_bytes)
    return _check(verdict, severity=dg.AssetCheckSeverity.WARN)


# --------------------------------------------------------------------------- backups


class BackupConfig(dg.Config):
    type: str = Field(default="full", description="full (the daily schedule), diff or incr (on demand).")


def _backup_metadata(backup: BackupSet) -> dict:
    return {
        "label": backup.label,
        "type": backup.type,
        "repo": dg.MetadataValue.int(backup.repo),
        "size_bytes": dg.MetadataValue.int(backup.size),
        "repo_size_bytes": dg.MetadataValue.int(backup.repo_size),
        "seconds": dg.MetadataValue.float(backup.seconds),
        "throughput_mb_s": dg.MetadataValue.float(round(backup.size / backup.seconds / 1e6, 1)),
        "wal_start": backup.wal_start,
        "wal_stop": backup.wal_stop,
        "page_checksum_error": backup.error,
    }


@dg.asset(
    deps=[wal_archive],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    description="A backup of production in repo1 (full daily, differential on demand).",
)
def base_backup(
    context: dg.AssetExecutionContext, config: BackupConfig, backups: BackupsResource
) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_backup_metadata(backups.backups(context.log.info).backup(1, config.type)))


@dg.asset_check(asset=base_backup, description="pgbackrest verify finds every file valid in each repository.")
def backup_verify(backups: BackupsResource) -> dg.AssetCheckResult:
    production = backups.backups()
    return _check(verdicts.verified([production.verify(r.index) for r in production.config.repos]))


@dg.asset(
    deps=[wal_archive],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    description="The same backup of production in repo2, the second region.",
)
def replicated_backups(
    context: dg.AssetExecutionContext, config: BackupConfig, backups: BackupsResource
) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_backup_metadata(backups.backups(context.log.info).backup(2, config.type)))


@dg.asset_check(asset=replicated_backups, description="The newest full backup in repo2 is at most a day old.")
def replica_fresh(backups: BackupsResource) -> dg.AssetCheckResult:
    return _check(verdicts.replica_fresh(backups.backups().info()))


# --------------------------------------------------------------------------- restore tests


class RestoreTestConfig(dg.Config):
    repo: int = Field(default=1, description="Repository restored from (2: the monthly drill, repo2 alone).")
    bound_minutes: float | None = Field(default=None, description="Bound on this restore's own time (drill: 30).")


def _restore_metadata(report: RestoreReport) -> dict:
    metadata = {
        "repo": dg.MetadataValue.int(report.repo),
        "target": report.target,
        "passed": report.passed,
        "backup_label": report.backup.label if report.backup else "none",
        "backup_size_bytes": dg.MetadataValue.int(report.backup.size if report.backup else 0),
        "seconds_to_ready": dg.MetadataValue.float(round(report.seconds_to_ready, 2)),
        **{f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in report.seconds.items()},
        "proofs": dg.MetadataValue.md(
            "\n".join(f"- {'✓' if p.passed else '✗'} {p.name}: {p.summary}" for p in report.proofs) or "none"
        ),
    }
    if report.throughput_bytes_per_s:
        metadata["throughput_mb_s"] = dg.MetadataValue.float(round(report.throughput_bytes_per_s / 1e6, 1))
        metadata["projected_100gb_min"] = dg.MetadataValue.float(round(report.projected_100gb_s / 60, 2))
    if report.rpo_s is not None:
        metadata["measured_rpo_s"] = dg.MetadataValue.float(report.rpo_s)
        metadata["heartbeat_at"] = report.heartbeat_at.isoformat()
    if pii := next((p for p in report.proofs if p.name == "pii_rows"), None):
        metadata["pii_rows_compared"] = bool(pii.details.get("compared"))  # False: production was writing
    if report.error:
        metadata["error"] = report.error
    return metadata


@dg.asset(
    deps=[base_backup],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
    description="The newest backup restored with WAL replay into a throwaway cluster, proven, destroyed.",
    check_specs=[
        dg.AssetCheckSpec(
            "restore_test_passed",
            asset="restore_test",
            blocking=True,
            description="Smoke probes, pg_amcheck, newest heartbeat and PII row counts pass on the restored copy.",
        ),
        dg.AssetCheckSpec(
            "restore_time_slo",
            asset="restore_test",
            description="The measured throughput projects a 100 GB restore under the SLO (ODOOSH_RESTORE_SLO_MINUTES).",
        ),
    ],
)
def restore_test(context: dg.AssetExecutionContext, config: RestoreTestConfig, backups: BackupsResource):
    report = backups.backups(context.log.info).restore_test(config.repo)
    yield dg.MaterializeResult(metadata=_restore_metadata(report))
    yield _check(verdicts.restore_passed(report), check_name="restore_test_passed")
    bound_s = config.bound_minutes * 60 if config.bound_minutes else None
    timing = verdicts.restore_time(report, backups.restore_slo_minutes * 60, bound_s)
    yield _check(timing, check_name="restore_time_slo")


backup_checks = [rpo_within_5_min, repositories_reachable, backup_verify, replica_fresh]
backup_assets = [wal_archive, base_backup, replicated_backups, restore_test]

daily_backup = dg.define_asset_job(
    "daily_backup",
    selection=dg.AssetSelection.assets(wal_archive, base_backup, replicated_backups),
    description="A full backup of production in both repositories, verified.",
)

recovery_drill = dg.define_asset_job(
    "recovery_drill",
    selection=dg.AssetSelection.assets(restore_test),
    config={"ops": {"restore_test": {"config": {"repo": 2, "bound_minutes": 30}}}},
    description="Monthly drill: restore from repo2 alone, with every proof, against the 30-minute bound.",
)


# --------------------------------------------------------------------------- heartbeat, point-in-time recovery


@dg.op(description="Write the platform's heartbeat into production (schema odoosh).")
def write_heartbeat(context: dg.OpExecutionContext, backups: BackupsResource) -> None:
    beat = backups.backups(context.log.info).heartbeat()
    context.log.info(f"heartbeat {beat.id} at {beat.at.isoformat()}")


@dg.job(description="The heartbeat that proves the RPO of an idle production (every minute).")
def backup_heartbeat():
    write_heartbeat()


class RecoverConfig(dg.Config):
    target: str = Field(default="latest", description="`latest`, or a time with its zone: 2026-12-01T10:30:00+00:00.")
    repo: int = Field(default=1, description="Repository to restore from (1 or 2).")
    name: str = Field(default="", description="Name of the new cluster and environment; empty: recovered-<time>.")


def _target(text: str) -> datetime | None:
    if text.strip().lower() == "latest":
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise dg.Failure(
            f"target {text!r} is neither `latest` nor an ISO time such as 2026-12-01T10:30:00+00:00."
        ) from None
    if moment.tzinfo is None:
        raise dg.Failure(f"target {text!r} has no time zone: add one, e.g. {text}+00:00.")
    return moment


@dg.op(description="Restore production to a point in time into a new cluster and start Odoo on it.")
def recover_copy(
    context: dg.OpExecutionContext, config: RecoverConfig, backups: BackupsResource, odoo: OdooResource
) -> dg.Output:
    target = _target(config.target)
    name = config.name or f"recovered-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    production = backups.backups(context.log.info)
    cluster, report = production.recover_copy(name, config.repo, target)
    failed = [p for p in report.proofs if not p.passed]
    if failed:
        raise dg.Failure(f"the recovered copy {name} fails its smoke probes: " + "; ".join(p.summary for p in failed))
    environment = odoo.runtime().environment(name).start(cluster.dsn(production.dbname), log=context.log.info)
    context.log.info(f"recovered copy {name} of production at {report.target} answers at {environment.url}")
    return dg.Output(
        environment.url,
        metadata={
            "url": dg.MetadataValue.url(environment.url),
            "cluster": str(cluster.root),
            "target": report.target,
            "backup_label": report.backup.label if report.backup else "none",
            "newest_heartbeat": report.heartbeat_at.isoformat() if report.heartbeat_at else "none",
            "seconds_to_ready": dg.MetadataValue.float(round(report.seconds_to_ready, 2)),
        },
    )


@dg.job(
    description="Point-in-time recovery of production into a new cluster with its own Odoo (never over production)."
)
def recover_production_copy():
    recover_copy()


backup_jobs = [daily_backup, recovery_drill, backup_heartbeat, recover_production_copy]

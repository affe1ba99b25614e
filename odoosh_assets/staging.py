"""Staging from a PII-scrubbed, neutralised production snapshot.

prod_snapshot (production trust zone) -> scrubbed_dump (quarantine; blocking PII and
neutralisation gates) -> staging_database (swapped in atomically, then smoke-tested).
"""

import uuid
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from odoosh import mail_check, pipeline, settings, smoke
from odoosh.scrub.policy import load_policy
from odoosh_assets.production import production_database
from odoosh_assets.smoke import SmokeTarget, smoke_checks
from resources import scratch
from resources.artifacts import ArtifactStore
from resources.mail import MailCatcher
from resources.odoo import OdooRuntime
from resources.postgres import describe_dsn, remove_abandoned
from resources.production import ProductionDatabase
from resources.staging import CANDIDATE_SUFFIX, Scrubbing, StagingServer

GROUP = "staging"
OWNERS = ["team:platform"]
ENVIRONMENT = "staging"
SNAPSHOTS, LATEST = "snapshots", "latest.json"
DUMPS, CURRENT = "dumps", "current.json"
GATES = ("pii_coverage", "pii_leak", "neutralized")


def _new_key(prefix: str, context: dg.AssetExecutionContext) -> str:
    return f"{prefix}/{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}-{context.run.run_id[:8]}"


def _keep_newest(store: ArtifactStore, prefix: str, keep: int) -> list[str]:
    """Delete all but the `keep` newest artifacts under `prefix` (keys sort by time)."""
    old = [f"{prefix}/{name}" for name in store.list(prefix)[:-keep]]
    for key in old:
        store.delete(key)
    return old


def _work_dir(context: dg.AssetExecutionContext) -> Path:
    """The scratch space of runs (created by `scratch.owned_dir`, reachable by the PostgreSQL
    server user), rid first of what killed runs left there: raw snapshots, quarantine
    clusters still running."""
    path = settings.work_dir()
    remove_abandoned(path, context.log.warning)
    return path


@dg.asset(
    deps=[production_database],
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    description="pg_dump of production (directory format, parallel) with a manifest; read only by the quarantine.",
)
def prod_snapshot(
    context: dg.AssetExecutionContext, production: ProductionDatabase, prod_artifacts: ArtifactStore
) -> dg.MaterializeResult:
    dsn = production.ensure(context.log.info)
    key = _new_key(SNAPSHOTS, context)
    with scratch.owned_dir("snapshot", _work_dir(context)) as tmp:
        artifact = tmp / "artifact"
        manifest = pipeline.snapshot(dsn, artifact, jobs=settings.jobs(), log=context.log.info)
        prod_artifacts.publish_dir(key, artifact)
    prod_artifacts.write_json(LATEST, {"key": key})
    removed = _keep_newest(prod_artifacts, SNAPSHOTS, settings.snapshots_kept())
    return dg.MaterializeResult(
        metadata={
            "source": describe_dsn(dsn),
            "store": prod_artifacts.describe(),
            "key": key,
            "size_bytes": dg.MetadataValue.int(manifest["size_bytes"]),
            "seconds": dg.MetadataValue.float(manifest["seconds"]),
            "mb_per_second": dg.MetadataValue.float(round(manifest["size_bytes"] / 1e6 / max(manifest["seconds"], 0.01), 1)),
            "tables": dg.MetadataValue.int(len(manifest["rows"])),
            "rows": dg.MetadataValue.int(sum(manifest["rows"].values())),
            "files": dg.MetadataValue.int(len(manifest["checksums"])),
            "old_snapshots_removed": dg.MetadataValue.int(len(removed)),
        }
    )


@dg.asset(
    deps=[prod_snapshot],
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    description="The snapshot neutralised and PII-scrubbed in a throwaway quarantine cluster; published only if every gate passes.",
    check_specs=[dg.AssetCheckSpec(name, asset="scrubbed_dump", blocking=True) for name in GATES],
)
def scrubbed_dump(
    context: dg.AssetExecutionContext,
    prod_artifacts: ArtifactStore,
    scrubbed_artifacts: ArtifactStore,
    scrubbing: Scrubbing,
    staging: StagingServer,
    mail: MailCatcher,
    odoo: OdooRuntime,
):
    work = _work_dir(context)
    catcher = mail.ensure_running()
    quarantine_settings = pipeline.QuarantineSettings(
        policy=load_policy([Path(p) for p in scrubbing.policy_files]),
        salt=scrubbing.resolved_salt(),
        admin_password=scrubbing.resolved_admin_password(sandbox=staging.dsn is None),
        base_url=settings.staging_url() or odoo.environment(ENVIRONMENT).planned_url(),
        smtp_host=catcher.smtp_host,
        smtp_port=catcher.smtp_port,
        jobs=settings.jobs(),
        work_dir=work,
    )
    phases = pipeline.Phases(context.log.info)
    source_key = prod_artifacts.read_json(LATEST)["key"]
    key = _new_key(DUMPS, context)
    with prod_artifacts.local_copy(source_key) as snapshot_dir, scratch.owned_dir("scrubbed", work) as tmp:
        artifact = tmp / "artifact"
        gates, summary = pipeline.quarantine(snapshot_dir, artifact, quarantine_settings, phases)
        if gates.passed:
            scrubbed_artifacts.publish_dir(key, artifact)
            scrubbed_artifacts.write_json(CURRENT, {"key": key})
            _keep_newest(scrubbed_artifacts, DUMPS, settings.snapshots_kept())
    if not gates.passed:
        context.log.error("a gate failed: nothing was published and staging will not be touched")
    yield dg.MaterializeResult(
        metadata={
            "published": gates.passed,
            "key": key if gates.passed else "(not published)",
            "source_snapshot": source_key,
            "store": scrubbed_artifacts.describe(),
            "rows_scrubbed": dg.MetadataValue.int(sum(summary["scrub"].get("rows", {}).values())),
            "neutralisation_actions": dg.MetadataValue.int(len(summary["neutralisation_actions"])),
            "constraints_proven": dg.MetadataValue.int(summary["constraints_proven"]),
            **{f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in phases.seconds.items()},
        }
    )
    yield dg.AssetCheckResult(
        check_name="pii_coverage",
        passed=not gates.unclassified_columns,
        description=(f"{len(gates.unclassified_columns)} PII-looking columns are not in the policy"
                     if gates.unclassified_columns else "every PII-looking column is classified by the policy"),
        metadata={"unclassified": dg.MetadataValue.int(len(gates.unclassified_columns)),
                  "columns": ", ".join(gates.unclassified_columns[:50])},
    )
    yield dg.AssetCheckResult(
        check_name="pii_leak",
        passed=not gates.leaks,
        description=(f"production values found in {len(gates.leaks)} columns" if gates.leaks
                     else "no production PII value found in the scrubbed database"),
        metadata={"leaking_columns": dg.MetadataValue.int(len(gates.leaks)),
                  "matches": dg.MetadataValue.int(sum(gates.leaks.values())),
                  "matches_per_column": dg.MetadataValue.json(gates.leaks)},
    )
    yield dg.AssetCheckResult(
        check_name="neutralized",
        passed=not gates.neutralisation_failures,
        description=("; ".join(gates.neutralisation_failures) or "every neutralisation fact holds"),
        metadata={"failed_facts": dg.MetadataValue.int(len(gates.neutralisation_failures))},
    )


@dg.asset(
    deps=[scrubbed_dump],
    group_name=GROUP,
    kinds={"postgres", "odoo"},
    owners=OWNERS,
    description="Staging: the scrubbed dump restored under a temporary name, checked, then swapped in atomically.",
    # A new scrubbed dump flows on to staging, but only once its gates have passed.
    automation_condition=dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed(),
)
def staging_database(
    context: dg.AssetExecutionContext,
    scrubbed_artifacts: ArtifactStore,
    staging: StagingServer,
    odoo: OdooRuntime,
    mail: MailCatcher,
) -> dg.MaterializeResult:
    _work_dir(context)  # the scrubbed dump is downloaded there from S3
    phases = pipeline.Phases(context.log.info)
    key = scrubbed_artifacts.read_json(CURRENT)["key"]
    candidate = staging.database + CANDIDATE_SUFFIX
    with scrubbed_artifacts.local_copy(key) as artifact_dir:
        manifest = pipeline.verified(artifact_dir)
        if not manifest.get("gates_passed"):
            raise dg.Failure(f"{key} did not pass the PII gates; refusing to restore it into staging.")
        with phases("staging_restore"):
            staging.recreate(candidate)
            pipeline.restore_scrubbed(artifact_dir, staging.dsn_for(candidate), jobs=settings.jobs(), log=context.log.info)
    probes = [smoke.users_exist(staging.dsn_for(candidate)),
              smoke.modules_installed(staging.dsn_for(candidate), settings.required_modules())]
    if failed := [p for p in probes if not p.passed]:
        staging.drop(candidate)
        raise dg.Failure("The restored candidate failed its checks; staging is unchanged: "
                         + "; ".join(p.summary for p in failed))
    environment = odoo.environment(ENVIRONMENT)
    catcher = mail.ensure_running()
    with phases("swap"):
        environment.stop()
        staging.swap_in(candidate, context.log.info)
        environment.start(staging.dsn_for(staging.database), log=context.log.info,
                          options={"smtp_server": catcher.smtp_host, "smtp_port": catcher.smtp_port, "max_cron_threads": 0})
    return dg.MaterializeResult(
        metadata={
            "dump": key,
            "database": staging.database,
            "server": describe_dsn(staging.dsn_for("postgres")),
            "url": dg.MetadataValue.url(environment.url),
            **{f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in phases.seconds.items()},
        }
    )


def _staging_target(context: dg.AssetCheckExecutionContext) -> SmokeTarget:
    staging: StagingServer = context.resources.staging
    environment = context.resources.odoo.environment(ENVIRONMENT)
    return SmokeTarget(
        url=environment.url,
        dsn=staging.dsn_for(staging.database),
        log_file=environment.log_file,
        started_at=environment.started_at,
        required_modules=settings.required_modules(),
    )


staging_smoke_checks = smoke_checks(staging_database, _staging_target, {"odoo", "staging"})


@dg.asset_check(asset=staging_database, blocking=True,
                description="A mail sent through staging's mail server lands in the catcher; no server points elsewhere.")
def mail_caught(staging: StagingServer, mail: MailCatcher) -> dg.AssetCheckResult:
    result = mail_check.mail_caught(staging.dsn_for(staging.database), mail.ensure_running(),
                                    subject=f"odoosh staging mail check {uuid.uuid4().hex[:12]}")
    return dg.AssetCheckResult(passed=result.passed, description=result.summary,
                               metadata={"summary": result.summary, **result.details})


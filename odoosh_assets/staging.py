"""Staging from a PII-scrubbed, neutralized production snapshot.

prod_snapshot (production trust zone) -> scrubbed_dump (quarantine; blocking PII and
neutralization gates) -> staging_database (swapped in atomically, then smoke-tested).
"""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from odoosh import environments, scratch, settings
from odoosh.mail import mail_caught as prove_mail_caught
from odoosh.odoo import smoke
from odoosh.odoo.database import statistics
from odoosh.odoo.runtime import OdooEnvironment
from odoosh.phases import Phases
from odoosh.postgres import connect, describe_dsn
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.staging import code as staging_code
from odoosh.staging import promote, quarantine, snapshot, verify
from odoosh.units import human_bytes
from odoosh_assets.production import production_database
from odoosh_assets.smoke import SmokeTarget, smoke_checks
from resources.artifacts import ArtifactStoreResource
from resources.environments import EnvironmentsResource
from resources.mail import MailResource
from resources.odoo import OdooResource
from resources.production import ProductionResource
from resources.staging import ScrubbingResource, StagingResource

GROUP = "staging"
OWNERS = ["team:platform"]
ENVIRONMENT = "staging"
SNAPSHOTS, LATEST = "snapshots", "latest.json"
DUMPS, CURRENT = "dumps", "current.json"
GATES = {
    "pii_coverage": "Every column that looks like personal data is classified by the scrub policy.",
    "pii_leak": "No production value of a personal-data column is found anywhere in the scrubbed database.",
    "neutralized": "Nothing in the scrubbed database can act on the outside world (Odoo's neutralization, and more).",
}

KEPT_CHECK = (
    "No column the policy keeps held production values. If one did, it was redacted in the same run "
    "(a WARN, which never blocks): add the suggested policy line."
)


def new_key(prefix: str, context: dg.AssetExecutionContext) -> str:
    return f"{prefix}/{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{context.run.run_id[:8]}"


def _work_dir(context: dg.AssetExecutionContext) -> Path:
    """The scratch space of runs (reachable by the PostgreSQL server user), rid first of what
    killed runs left there: raw snapshots, quarantine clusters still running."""
    path = settings.work_dir()
    remove_abandoned(path, context.log.warning)
    return path


def _size(name: str, size: int) -> dict[str, dg.MetadataValue]:
    return {f"{name}_bytes": dg.MetadataValue.int(size), name: human_bytes(size)}


@dg.asset(
    deps=[production_database],
    group_name=GROUP,
    kinds={"postgres"},
    owners=OWNERS,
    description="pg_dump of production (directory format, parallel) with a manifest; read only by the quarantine.",
)
def prod_snapshot(
    context: dg.AssetExecutionContext, production: ProductionResource, prod_artifacts: ArtifactStoreResource
) -> dg.MaterializeResult:
    dsn = production.database().ensure(context.log.info)
    store = prod_artifacts.store()
    key = new_key(SNAPSHOTS, context)
    level = settings.dump_compression()
    with scratch.owned_dir("snapshot", _work_dir(context)) as tmp:
        artifact = tmp / "artifact"
        manifest = snapshot.snapshot(dsn, artifact, jobs=settings.jobs(), log=context.log.info, compression=level)
        store.publish_dir(key, artifact)
    store.write_json(LATEST, {"key": key})
    removed = store.keep_newest(SNAPSHOTS, settings.snapshots_kept())
    seconds = manifest["seconds"]
    return dg.MaterializeResult(
        metadata={
            "source": describe_dsn(dsn),
            "store": store.describe(),
            "key": key,
            **_size("size", manifest["size_bytes"]),
            "gzip_level": dg.MetadataValue.int(level),
            "seconds": dg.MetadataValue.float(seconds),
            "mb_per_second": dg.MetadataValue.float(round(manifest["size_bytes"] / 1e6 / max(seconds, 0.01), 1)),
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
    description="The snapshot neutralized and PII-scrubbed in a throwaway quarantine cluster; published only if every gate passes.",
    check_specs=[
        *(
            dg.AssetCheckSpec(name, asset="scrubbed_dump", blocking=True, description=description)
            for name, description in GATES.items()
        ),
        dg.AssetCheckSpec("pii_kept_columns", asset="scrubbed_dump", description=KEPT_CHECK),
    ],
)
def scrubbed_dump(
    context: dg.AssetExecutionContext,
    prod_artifacts: ArtifactStoreResource,
    scrubbed_artifacts: ArtifactStoreResource,
    scrubbing: ScrubbingResource,
    staging: StagingResource,
    mail: MailResource,
    odoo: OdooResource,
):
    work = _work_dir(context)
    catcher = mail.catcher().ensure_running()
    quarantine_settings = quarantine.QuarantineSettings(
        policy=scrubbing.policy(),
        salt=scrubbing.resolved_salt(),
        admin_password=scrubbing.resolved_admin_password(sandbox=staging.target().sandbox),
        base_url=settings.staging_url() or odoo.runtime().environment(ENVIRONMENT).planned_url(),
        smtp_host=catcher.smtp_host,
        smtp_port=catcher.smtp_port,
        jobs=settings.jobs(),
        work_dir=work,
        compression=settings.dump_compression(),
    )
    phases = Phases(context.log.info)
    source, published = prod_artifacts.store(), scrubbed_artifacts.store()
    source_key = source.read_json(LATEST)["key"]
    key = new_key(DUMPS, context)
    with source.local_copy(source_key) as snapshot_dir, scratch.owned_dir("scrubbed", work) as tmp:
        artifact = tmp / "artifact"
        gates, summary = quarantine.quarantine(snapshot_dir, artifact, quarantine_settings, phases)
        if gates.passed:
            sizes = {archive: _tree_size(artifact / archive) for archive in ("schema", "data")}
            published.publish_dir(key, artifact)
            published.write_json(CURRENT, {"key": key})
            published.keep_newest(DUMPS, settings.snapshots_kept())
    phase_seconds = {f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in phases.seconds.items()}
    if gates.passed:
        yield dg.MaterializeResult(
            metadata={
                "published": True,
                "key": key,
                "source_snapshot": source_key,
                "store": published.describe(),
                **{k: v for archive, size in sizes.items() for k, v in _size(f"{archive}_archive_size", size).items()},
                "rows_scrubbed": dg.MetadataValue.int(sum(summary["scrub"].get("rows", {}).values())),
                "neutralization_actions": dg.MetadataValue.int(len(summary["neutralization_actions"])),
                "constraints_proven": dg.MetadataValue.int(summary["constraints_proven"]),
                **phase_seconds,
            }
        )
    unclassified = gates.unclassified_columns
    yield dg.AssetCheckResult(
        check_name="pii_coverage",
        passed=not unclassified,
        description=(
            f"{len(unclassified)} PII-looking columns are not in the policy"
            if unclassified
            else "every PII-looking column is classified by the policy"
        ),
        metadata={
            "unclassified": dg.MetadataValue.int(len(unclassified)),
            **({"columns": ", ".join(unclassified[:50])} if unclassified else {}),
        },
    )
    yield dg.AssetCheckResult(
        check_name="pii_leak",
        passed=not gates.leaks,
        description=(
            f"production values found in {len(gates.leaks)} columns"
            if gates.leaks
            else "no production PII value found in the scrubbed database"
        ),
        metadata={
            "leaking_columns": dg.MetadataValue.int(len(gates.leaks)),
            "matches": dg.MetadataValue.int(sum(gates.leaks.values())),
            **({"matches_per_column": dg.MetadataValue.json(gates.leaks)} if gates.leaks else {}),
        },
    )
    yield dg.AssetCheckResult(
        check_name="neutralized",
        passed=not gates.neutralization_failures,
        description=("; ".join(gates.neutralization_failures) or "every neutralization fact holds"),
        metadata={"failed_facts": dg.MetadataValue.int(len(gates.neutralization_failures))},
    )
    yield dg.AssetCheckResult(
        check_name="pii_kept_columns",
        passed=not gates.redacted,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"production values found in {len(gates.redacted)} kept column(s), redacted in this run: "
            f"{', '.join(gates.redacted)}. Add to your policy:\n{verify.redact_lines(list(gates.redacted))}"
            if gates.redacted
            else "no kept column held production values"
        ),
        metadata={
            "redacted_columns": dg.MetadataValue.int(len(gates.redacted)),
            **({"matches_per_column": dg.MetadataValue.json(gates.redacted)} if gates.redacted else {}),
        },
    )
    if not gates.passed:  # the run's failure says what to do, where people look first
        raise dg.Failure(description=verify.explain(gates), metadata={"source_snapshot": source_key, **phase_seconds})


def _tree_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


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
    scrubbed_artifacts: ArtifactStoreResource,
    staging: StagingResource,
    odoo: OdooResource,
    mail: MailResource,
    environments_file: EnvironmentsResource,
) -> dg.MaterializeResult:
    _work_dir(context)  # the scrubbed dump is downloaded there from S3
    phases = Phases(context.log.info)
    store, target = scrubbed_artifacts.store(), staging.target()
    key = store.read_json(CURRENT)["key"]
    environment = odoo.runtime().environment(ENVIRONMENT)
    probes = [smoke.users_exist, lambda dsn: smoke.modules_installed(dsn, settings.required_modules())]
    spec = environments_file.spec()

    def keep_settings(dsn: str) -> None:  # after the scrub's neutralisation, before the probes
        for line in environments.apply_to(dsn, spec, ENVIRONMENT):
            context.log.info(f"environments file: {line}")

    with store.local_copy(key) as artifact_dir:
        try:
            promote.promote_candidate(
                artifact_dir,
                target,
                probes,
                jobs=settings.jobs(),
                phases=phases,
                before_swap=environment.stop,
                prepare=keep_settings,
            )
        except (promote.CandidateRejected, environments.EnvironmentsError) as exc:
            raise dg.Failure(str(exc)) from None
    with phases("start"):
        start_staging(environment, target.dsn(), mail, Path(odoo.state_dir), context.log.info)
    with connect(target.dsn()) as conn:
        stats = statistics(conn)
    return dg.MaterializeResult(
        metadata={
            "dump": key,
            "database": target.database,
            "server": describe_dsn(target.server().admin_dsn),
            "url": dg.MetadataValue.url(environment.url),
            **_size("size", stats.size_bytes),
            **{f"rows_{table}": dg.MetadataValue.int(n) for table, n in stats.pii_rows.items()},
            **{f"seconds_{phase}": dg.MetadataValue.float(s) for phase, s in phases.seconds.items()},
        }
    )


def start_staging(environment: OdooEnvironment, dsn: str, mail: MailResource, state_dir: Path, log) -> None:
    """Staging's Odoo on `dsn`: mail to the catcher, no crons, and the main branch's code once
    the visual gate checked it out (odoosh.staging.code); a changed config restarts it."""
    catcher = mail.catcher().ensure_running()
    options = {"smtp_server": catcher.smtp_host, "smtp_port": catcher.smtp_port, "max_cron_threads": 0}
    if code := staging_code.current(state_dir):
        options["addons_path"] = code[1]
    environment.start(dsn, log=log, options=options)


def _staging_target(context: dg.AssetCheckExecutionContext) -> SmokeTarget:
    environment = context.resources.odoo.runtime().environment(ENVIRONMENT)
    return SmokeTarget(
        url=environment.url,
        dsn=context.resources.staging.target().dsn(),
        log_file=environment.log_file,
        started_at=environment.started_at,
        required_modules=settings.required_modules(),
    )


staging_smoke_checks = smoke_checks(staging_database, _staging_target, {"odoo", "staging"})


@dg.asset_check(
    asset=staging_database,
    blocking=True,
    description="A mail sent through staging's mail server lands in the catcher; no server points elsewhere.",
)
def mail_caught(staging: StagingResource, mail: MailResource) -> dg.AssetCheckResult:
    result = prove_mail_caught(
        staging.target().dsn(),
        mail.catcher().ensure_running(),
        subject=f"odoosh staging mail check {uuid.uuid4().hex[:12]}",
    )
    return dg.AssetCheckResult(
        passed=result.passed, description=result.summary, metadata={"summary": result.summary, **result.details}
    )

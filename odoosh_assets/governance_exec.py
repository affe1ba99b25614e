"""Audited exec: the job `exec_in_environment`, and the audit log as an asset gated by
`audit_log_intact`.

The exec is an action with run config, so an op job; the audit table is data the platform owns,
so it is an asset and its integrity an asset check (Dagster has no job-level checks). The op
reports each row as a materialisation of `exec_audit_log`; materialising the asset verifies
the chain and the blocking check fails on the first bad row.
"""

import dagster as dg

from odoosh.governance.audit import verify_chain
from odoosh.governance.exec import ExecRequest
from odoosh.postgres import connect
from resources.governance_exec import GovernanceExecResource

GROUP = "governance"


class ExecConfig(dg.Config):
    environment: str
    command: list[str]
    reason: str
    user: str
    token: str | None = None


@dg.op(description="Run one command in an environment after the role and approval checks; always audited.")
def run_exec(context: dg.OpExecutionContext, config: ExecConfig, governance_exec: GovernanceExecResource) -> None:
    request = ExecRequest(config.user, config.environment, list(config.command), config.reason, config.token)
    result = governance_exec.executor().execute(request)
    metadata = {
        "audit_row": dg.MetadataValue.int(result.seq),
        "outcome": result.outcome,
        "exit_code": dg.MetadataValue.int(result.exit_code) if result.exit_code is not None else "none",
        "duration_s": dg.MetadataValue.float(result.duration_s or 0.0),
        "output_sha256": result.output_sha256 or "",
    }
    context.log_event(dg.AssetMaterialization("exec_audit_log", metadata=metadata))
    if result.outcome == "refused":
        raise dg.Failure(f"refused: {result.detail}", metadata=metadata)
    context.log.info(f"exit code {result.exit_code}; {result.detail or 'output kept in the audit log'}")


@dg.job(description="Run an approved, audited command in an environment (no shell; production needs a token).")
def exec_in_environment():
    run_exec()


def _anchor(instance: dg.DagsterInstance, key: dg.AssetKey, name: str) -> tuple[int, str] | None:
    """The newest `<name>_seq`/`<name>_hash` recorded on the asset (the exec job's own events have none)."""
    for record in instance.fetch_materializations(key, limit=100).records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        if f"{name}_hash" in metadata:
            return metadata[f"{name}_seq"].value, metadata[f"{name}_hash"].value
    return None


@dg.asset(
    group_name=GROUP,
    kinds={"postgres"},
    description="The append-only, hash-chained audit table of every exec request.",
)
def exec_audit_log(context: dg.AssetExecutionContext, governance_exec: GovernanceExecResource) -> dg.MaterializeResult:
    # The head seen last time is kept here, outside the audited database: deleting the newest
    # rows (which the chain alone cannot show) is caught by the check against it.
    anchor = _anchor(context.instance, context.asset_key, "head")
    with connect(governance_exec.executor().audit_dsn) as conn:
        report = verify_chain(conn, anchor)
    head = (report.head_seq, report.head_hash) if report.intact else (anchor or (0, ""))
    return dg.MaterializeResult(
        metadata={
            "rows": dg.MetadataValue.int(report.rows),
            "intact": dg.MetadataValue.bool(report.intact),
            "anchor_seq": dg.MetadataValue.int(anchor[0] if anchor else 0),
            "anchor_hash": anchor[1] if anchor else "",
            "head_seq": dg.MetadataValue.int(head[0]),
            "head_hash": head[1],
        }
    )


@dg.asset_check(
    asset=exec_audit_log, blocking=True, description="Every audit row links to the previous and matches its hash."
)
def audit_log_intact(
    context: dg.AssetCheckExecutionContext, governance_exec: GovernanceExecResource
) -> dg.AssetCheckResult:
    anchor = _anchor(context.instance, exec_audit_log.key, "anchor")
    with connect(governance_exec.executor().audit_dsn) as conn:
        report = verify_chain(conn, anchor if anchor and anchor[0] else None)
    return dg.AssetCheckResult(
        passed=report.intact,
        description=report.problem or f"{report.rows} rows, chain intact",
        metadata={"rows": report.rows, "first_bad_row": report.first_bad_seq or 0},
    )


exec_assets = [exec_audit_log]
exec_checks = [audit_log_intact]
exec_jobs = [exec_in_environment]

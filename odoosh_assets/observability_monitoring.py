"""Slow queries of production and staging from pg_stat_statements; one over 5 s fails a check,
which the alert sensors post."""

import dagster as dg

from odoosh.observability import slow_queries
from resources.observability_monitoring import SlowQueriesResource
from resources.production import ProductionResource
from resources.staging import StagingResource

GROUP = "observability"
CHECK = "no_query_over_5s"
MAX_LISTED = 5  # statements shown per environment in the check's description


@dg.asset(
    name="slow_queries",
    deps=["production_database", "staging_database"],
    group_name=GROUP,
    kinds={"postgres"},
    owners=["team:platform"],
    description="The slowest statements of production's and staging's databases since the last report.",
    check_specs=[dg.AssetCheckSpec(CHECK, asset="slow_queries", description="No statement ran over 5 s.")],
)
def slow_queries_asset(
    production: ProductionResource, staging: StagingResource, slow_query_limits: SlowQueriesResource
) -> dg.MaterializeResult:
    limits = slow_query_limits.thresholds()
    dsns = {"production": production.database().current_dsn(), "staging": staging.target().dsn()}
    reports = slow_queries.read_each(dsns, limits, reset=True)  # each report: the time since the last one
    metadata: dict = {}
    for environment, report in reports.items():
        metadata[f"{environment}_statements"] = dg.MetadataValue.int(report.statements)
        metadata[f"{environment}_over_{limits.slow_s:g}s"] = dg.MetadataValue.int(len(report.slow))
        metadata[f"{environment}_over_{limits.flag_s:g}s"] = dg.MetadataValue.int(len(report.flagged))
        slowest = (
            report.slow[0].max_seconds if report.slow else max((s.max_seconds for s in report.by_mean), default=0.0)
        )
        metadata[f"{environment}_max_seconds"] = dg.MetadataValue.float(round(slowest, 3))
        metadata[f"{environment}_reset"] = dg.MetadataValue.bool(report.reset)  # False: figures since an older reset
        metadata[f"{environment}_top_by_total"] = dg.MetadataValue.json([s.as_dict() for s in report.by_total])
    flagged = {env: r.flagged for env, r in reports.items() if r.flagged}
    listed = "; ".join(
        f"{env}: " + ", ".join(f"{s.max_seconds:.1f} s `{s.query[:120]}`" for s in statements[:MAX_LISTED])
        for env, statements in flagged.items()
    )
    check = dg.AssetCheckResult(
        check_name=CHECK,
        passed=not flagged,
        severity=dg.AssetCheckSeverity.ERROR,
        description=f"Statements over {limits.flag_s:g} s: {listed}" if flagged else "No statement over the limit.",
        metadata={"flagged": dg.MetadataValue.int(sum(len(s) for s in flagged.values()))},
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


observability_assets = [slow_queries_asset]

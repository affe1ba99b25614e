"""Request metrics of every environment's Odoo log, by hour; a 5xx rate of 1 % fails a check,
which the alert sensors post (ERROR for production, WARN for staging and previews)."""

from datetime import UTC, datetime

import dagster as dg

from odoosh.observability import retention
from odoosh.observability.metrics import markdown_top
from odoosh.observability.report import ERROR_RATE_LIMIT
from resources.artifacts import ArtifactStoreResource
from resources.observability import RequestLogsResource

GROUP = "observability"
CHECK = "error_rate_below_1pct"
PRODUCTION = "production"
HOURLY = dg.HourlyPartitionsDefinition(start_date="2026-01-01-00:00")


@dg.asset(
    name="request_metrics",
    group_name=GROUP,
    kinds={"python"},
    owners=["team:platform"],
    partitions_def=HOURLY,
    description="Per-endpoint request count, 5xx, P50/P95/P99 latency and SQL share of each environment's Odoo log.",
    check_specs=[
        dg.AssetCheckSpec(CHECK, asset="request_metrics", description="Each environment answered under 1 % 5xx.")
    ],
)
def request_metrics(
    context: dg.AssetExecutionContext, request_logs: RequestLogsResource, prod_artifacts: ArtifactStoreResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    hour = request_logs.logs().hour(window.start, window.end)
    key = f"{retention.REQUEST_METRICS_PREFIX}/{context.partition_key}"
    store = prod_artifacts.store()
    hour.store(store, key)
    metadata: dict = {
        "table": dg.MetadataValue.text(f"{store.describe()}/{key}"),
        "top_by_p95": dg.MetadataValue.md(markdown_top(hour.endpoints)),
        "environments": dg.MetadataValue.int(len(hour.reports)),
    }
    for env, report in hour.reports.items():
        overall = report.overall  # the hour's requests; stats count every line of the files read
        metadata[f"{env}_requests"] = dg.MetadataValue.int(overall.requests if overall else 0)
        metadata[f"{env}_skipped_lines"] = dg.MetadataValue.int(report.stats.skipped_total)
        metadata[f"{env}_latency_available"] = dg.MetadataValue.bool(report.latency_available)
        if overall is not None:
            metadata[f"{env}_error_rate"] = dg.MetadataValue.float(round(overall.error_rate, 6))
            for name in ("p50", "p95", "p99"):
                if (value := getattr(overall, name)) is not None:  # None: the log has no perf counters
                    metadata[f"{env}_{name}_ms"] = dg.MetadataValue.float(round(value * 1000, 3))
        metadata[f"{env}_n_plus_one"] = dg.MetadataValue.int(len(report.n_plus_one))
    failing = hour.failing()
    lines = [
        f"{env}: {figures.error_rate:.1%} of {figures.requests} requests; "
        + ", ".join(f"`{f.endpoint}` {f.errors}×5xx" for f in hour.top_failing(env))
        for env, figures in failing.items()
    ]
    check = dg.AssetCheckResult(
        check_name=CHECK,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR if PRODUCTION in failing else dg.AssetCheckSeverity.WARN,
        description=(
            f"5xx rate at or over {ERROR_RATE_LIMIT:.0%} in {context.partition_key}: " + "; ".join(lines)
            if failing
            else f"Every environment under {ERROR_RATE_LIMIT:.0%} 5xx."
        ),
        metadata={"failing_environments": dg.MetadataValue.int(len(failing))},
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


request_metrics_job = dg.define_asset_job(
    "request_metrics_job",
    selection=dg.AssetSelection.assets(request_metrics),
    description="One hour of every environment's request metrics (the hourly schedule runs the previous hour).",
)


@dg.op(description=f"Delete the request_metrics tables of hours over {retention.LOG_TABLES_DAYS} days old.")
def prune_request_metrics(context: dg.OpExecutionContext, prod_artifacts: ArtifactStoreResource) -> None:
    store = prod_artifacts.store()
    pruned = retention.prune_request_metrics(store, datetime.now(UTC))
    context.log.info(
        f"deleted {len(pruned.deleted)} request_metrics tables from {store.describe()}, kept {pruned.kept}"
    )
    if pruned.unknown:
        context.log.warning(f"left alone under request_metrics/ (not an hour's key): {', '.join(pruned.unknown)}")
    context.add_output_metadata(
        {
            "deleted": dg.MetadataValue.int(len(pruned.deleted)),
            "kept": dg.MetadataValue.int(pruned.kept),
            "unknown": dg.MetadataValue.int(len(pruned.unknown)),
            "oldest_deleted": dg.MetadataValue.text(min(pruned.deleted, default="")),
        }
    )


@dg.job(description="Observability retention: request_metrics tables over 30 days old deleted (Prometheus keeps 90).")
def observability_retention():
    prune_request_metrics()


observability_assets = [request_metrics]
observability_jobs = [request_metrics_job, observability_retention]

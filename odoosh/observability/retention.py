"""How long observability data is kept, and the deletion of what is older.

- Log-derived tables (`request_metrics/<hour>` in the prod artifact store): 30 days, deleted here.
- Metrics (Prometheus's TSDB): 90 days, by Prometheus itself (`--storage.tsdb.retention.time`,
  odoosh/sandbox/monitoring.py).
- Profiling data (pg_stat_statements): 7 days at most, since `slow_queries` resets the statistics
  after each daily report; its figures live on only as Dagster metadata, which is run history.

A partition is deleted once its whole hour is older than the limit. Keys that are not an hour
(`2026-12-01-13:00`, the hourly partition key) are left alone and reported: nothing is deleted
on a guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from odoosh.artifacts import ArtifactStore

LOG_TABLES_DAYS = 30
METRICS_DAYS = 90
PROFILING_DAYS = 7
REQUEST_METRICS_PREFIX = "request_metrics"
PARTITION_FORMAT = "%Y-%m-%d-%H:%M"  # dg.HourlyPartitionsDefinition's keys, in UTC


@dataclass
class Pruned:
    deleted: list[str] = field(default_factory=list)  # partition keys whose tables were deleted
    kept: int = 0
    unknown: list[str] = field(default_factory=list)  # names under the prefix that are no hour


def prune_request_metrics(
    store: ArtifactStore, now: datetime, days: int = LOG_TABLES_DAYS, prefix: str = REQUEST_METRICS_PREFIX
) -> Pruned:
    """Delete the request_metrics tables of the hours that ended over `days` days before `now`."""
    if now.tzinfo is None:
        raise ValueError("now must carry its time zone (datetime.now(UTC)): partition keys are UTC hours")
    cutoff = now - timedelta(days=days)
    result = Pruned()
    for name in store.list(prefix):
        try:
            start = datetime.strptime(name, PARTITION_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            result.unknown.append(name)
            continue
        if start + timedelta(hours=1) <= cutoff:
            store.delete(f"{prefix}/{name}")
            result.deleted.append(name)
        else:
            result.kept += 1
    return result

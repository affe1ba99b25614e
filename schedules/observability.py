"""Observability's schedules: request metrics hourly, slow queries and retention daily."""

import dagster as dg

from odoosh import settings
from odoosh_assets.observability import observability_retention, request_metrics_job
from odoosh_assets.observability_monitoring import slow_queries_asset


def observability_schedules() -> list[dg.ScheduleDefinition]:
    running = dg.DefaultScheduleStatus.RUNNING
    return [
        dg.build_schedule_from_partitioned_job(
            request_metrics_job,
            name="hourly_request_metrics",
            minute_of_hour=5,  # the previous hour's partition, once its last lines are written
            default_status=running,
            description="Every hour at :05: the previous hour's request metrics and error-rate check.",
        ),
        dg.ScheduleDefinition(
            name="daily_slow_queries",
            cron_schedule="0 6 * * *",
            execution_timezone=settings.timezone(),
            default_status=running,
            target=dg.AssetSelection.assets(slow_queries_asset),
            description="06:00 (ODOOSH_TIMEZONE): the day's slow queries, then pg_stat_statements reset.",
        ),
        dg.ScheduleDefinition(
            name="daily_observability_retention",
            cron_schedule="30 3 * * *",
            execution_timezone=settings.timezone(),
            default_status=running,
            job=observability_retention,
            description="03:30 (ODOOSH_TIMEZONE): delete request_metrics tables over 30 days old.",
        ),
    ]

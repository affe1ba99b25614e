"""Weekly staging refresh: a fresh snapshot, scrubbed, restored into staging."""

import dagster as dg

from odoosh import settings
from odoosh_assets.staging import prod_snapshot, scrubbed_dump, staging_database

weekly_staging_refresh = dg.ScheduleDefinition(
    name="weekly_staging_refresh",
    target=dg.AssetSelection.assets(prod_snapshot, scrubbed_dump, staging_database),
    cron_schedule="0 2 * * 0",  # Sunday 02:00
    execution_timezone=settings.timezone(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sunday 02:00 (ODOOSH_TIMEZONE): snapshot production, scrub it, swap it into staging.",
)

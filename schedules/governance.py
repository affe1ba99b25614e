"""Weekly OCA lock bump: one pull request moving oca.lock.json to the locked branches' newest commits."""

import dagster as dg

from odoosh import settings
from odoosh_assets.governance import oca_lock_bump


def governance_schedules(*, running: bool) -> list[dg.ScheduleDefinition]:
    """`running`: only when a GitHub repository is configured (there is nowhere to open the PR otherwise)."""
    return [
        dg.ScheduleDefinition(
            name="weekly_oca_lock_bump",
            job=oca_lock_bump,
            cron_schedule="0 6 * * 1",  # Monday 06:00
            execution_timezone=settings.timezone(),
            default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
            description="Monday 06:00 (ODOOSH_TIMEZONE): open or update the PR bumping oca.lock.json.",
        )
    ]

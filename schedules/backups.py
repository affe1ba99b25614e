"""Backups' schedules: heartbeat every minute, full backup daily, restore test weekly, drill monthly."""

import dagster as dg

from odoosh import settings
from odoosh_assets.backups import backup_heartbeat, daily_backup, recovery_drill, restore_test


def backup_schedules(running: bool) -> list[dg.ScheduleDefinition]:
    """The four schedules; `running` is False where the platform cannot drive backups (a
    production on another host without ODOOSH_BACKUP_PG_HOST_*), so they do not fail every minute there."""
    status = dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED

    def schedule(name: str, cron: str, description: str, **target) -> dg.ScheduleDefinition:
        return dg.ScheduleDefinition(
            name=name,
            cron_schedule=cron,
            execution_timezone=settings.timezone(),
            default_status=status,
            description=description,
            **target,
        )

    return [
        schedule(
            "backup_heartbeat_every_minute",
            "* * * * *",
            "A heartbeat row in production, so an idle one proves its RPO.",
            job=backup_heartbeat,
        ),
        schedule(
            "daily_full_backup",
            "30 1 * * *",
            "01:30 (ODOOSH_TIMEZONE): full backup in repo1 and repo2, verified.",
            job=daily_backup,
        ),
        schedule(
            "weekly_restore_test",
            "0 4 * * 0",
            "Sunday 04:00: restore the newest backup into a throwaway cluster and prove it.",
            target=dg.AssetSelection.assets(restore_test),
        ),
        schedule(
            "monthly_recovery_drill",
            "0 5 1 * *",
            "1st of the month 05:00: restore from repo2 alone, every proof.",
            job=recovery_drill,
        ),
    ]

"""The gates a scrubbed quarantine must pass before anything leaves it."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from odoosh.staging import neutralize
from odoosh.staging.scrub import coverage, leaks
from odoosh.staging.scrub.policy import Policy


@dataclass(frozen=True)
class Gates:
    """What the verification found; the dump is published only if `passed`."""

    unclassified_columns: list[str]
    leaks: dict[str, int]
    neutralization_failures: list[str]

    @property
    def passed(self) -> bool:
        return not (self.unclassified_columns or self.leaks or self.neutralization_failures)


def verify(
    conn: psycopg.Connection,
    dsn: str,
    policy: Policy,
    *,
    salt: str,
    jobs: int,
    base_url: str,
    smtp_host: str,
    smtp_port: int,
) -> Gates:
    """Run every gate on the quarantine database (`conn` and `dsn` reach it)."""
    return Gates(
        unclassified_columns=coverage.unclassified_columns(conn, policy),
        leaks=leaks.find_leaks(dsn, salt, jobs=jobs),
        neutralization_failures=neutralize.verify_neutralized(
            conn, base_url=base_url, smtp_host=smtp_host, smtp_port=smtp_port
        ),
    )

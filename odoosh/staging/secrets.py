"""The staging chain's secrets: the scrub salt and the password of staging's admin."""

from __future__ import annotations

import secrets
from pathlib import Path

SALT_FILE = "scrub_salt"
SANDBOX_ADMIN_PASSWORD = "admin"  # the sandbox's staging is local and holds only fake data


class StagingConfigError(RuntimeError):
    """Staging cannot be built as configured; the message names the setting."""


def scrub_salt(configured: str | None, state_dir: Path) -> str:
    """The configured salt (ODOOSH_SCRUB_SALT), else one generated once into the state dir (mode 600).

    It keys the deterministic fakes and the leak fingerprints: keeping it keeps fakes stable
    across refreshes.
    """
    if configured:
        return configured
    path = Path(state_dir) / SALT_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def admin_password(configured: str | None, sandbox: bool) -> str:
    """The password staging's admin logs in with after the scrub reset every password."""
    if configured:
        return configured
    if sandbox:
        return SANDBOX_ADMIN_PASSWORD
    raise StagingConfigError(
        "ODOOSH_STAGING_ADMIN_PASSWORD is not set: staging resets every password and needs the "
        "one its admin should log in with."
    )

"""A sandbox in a fresh state directory, and running parts of its asset graph in a test instance."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from odoosh_assets import cli
from odoosh_assets.definitions import make_definitions

# Variables that would point the sandbox at real systems; tests start from none of them.
CONFIG_VARS = [
    "ODOOSH_PROD_DSN",
    "ODOOSH_STAGING_DSN",
    "ODOOSH_STAGING_URL",
    "ODOOSH_ODOO_COMMAND",
    "ODOOSH_REQUIRED_MODULES",
    "ODOOSH_SCRUB_POLICY",
    "ODOOSH_PROD_ARTIFACTS",
    "ODOOSH_SCRUBBED_ARTIFACTS",
    "ODOOSH_MAIL_SMTP_HOST",
    "ODOOSH_MAIL_SMTP_PORT",
    "ODOOSH_MAIL_API_URL",
    "ODOOSH_SANDBOX_SCALE",
    "ODOOSH_STAGING_ADMIN_PASSWORD",
    "ODOOSH_SCRUB_SALT",
    "ODOOSH_S3_ENDPOINT_URL",
    "ODOOSH_ALERT_WEBHOOK_URL",
    "DAGSTER_HOME",
]


@dataclass
class Sandbox:
    state_dir: Path
    instance: dg.DagsterInstance
    defs: dg.Definitions

    def run(self, selection, raise_on_error: bool = False) -> dg.ExecuteInProcessResult:
        """Materialise (or check) `selection` with the sandbox's resources."""
        defs = self.defs
        return dg.materialize(
            [*defs.assets, *defs.asset_checks],
            selection=selection,
            resources=defs.resources,
            instance=self.instance,
            raise_on_error=raise_on_error,
        )

    @staticmethod
    def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
        return {e.check_name: e for e in result.get_asset_check_evaluations()}

    def reload(self) -> None:
        """Rebuild the definitions after a test changed the environment."""
        self.defs = make_definitions()


@contextlib.contextmanager
def sandbox(**env: str) -> Iterator[Sandbox]:
    """A sandbox in a new state dir (in the system temp dir, reachable by the server user),
    torn down with `odoosh_assets.cli down` afterwards, leaving no process behind."""
    state = Path(tempfile.mkdtemp(prefix="odoosh-sandbox-"))
    state.chmod(0o711)
    with pytest.MonkeyPatch.context() as mp:
        for name in CONFIG_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("ODOOSH_STATE_DIR", str(state))
        for name, value in env.items():
            mp.setenv(name, value)
        try:
            with dg.instance_for_test() as instance:
                yield Sandbox(state, instance, make_definitions())
        finally:
            cli.down()
    leftovers = processes_under(state)
    assert not leftovers, f"processes left behind: {leftovers}"


def processes_under(path: Path) -> list[str]:
    """Command lines of running processes that mention `path` (servers started for it)."""
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if str(path) in line and "ps -eo" not in line]


def env_without(*names: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in names}

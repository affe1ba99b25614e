"""Where the environments' Odoo logs are: the Odoo runtime's state directory."""

from pathlib import Path

import dagster as dg

from odoosh.observability.report import EnvironmentLogs


class RequestLogsResource(dg.ConfigurableResource):
    """`<state_dir>/environments/<name>/odoo.log` of every environment (odoosh.odoo.runtime)."""

    state_dir: str

    def logs(self) -> EnvironmentLogs:
        return EnvironmentLogs(Path(self.state_dir) / "environments")

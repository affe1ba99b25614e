"""The Odoo runtime: the configured Odoo command (ODOOSH_ODOO_COMMAND) or the stand-in."""

from pathlib import Path

import dagster as dg

from odoosh.odoo.runtime import OdooRuntime


class OdooResource(dg.ConfigurableResource):
    """`command` is shlex-split, `-c <config file>` is appended; unset runs the stand-in."""

    state_dir: str
    command: str | None = None

    def runtime(self) -> OdooRuntime:
        return OdooRuntime(Path(self.state_dir), self.command)

"""Audited exec: the roles file, the audit database and where commands run (sandbox or docker)."""

import dagster as dg
from pydantic import Field

from odoosh.governance.exec import Executor, make_executor


class GovernanceExecResource(dg.ConfigurableResource):
    """`audit_dsn` (the INSERT-only writer role's DSN) is a secret: bind it as dg.EnvVar; unset,
    the sandbox's audit database on its `platform` cluster."""

    state_dir: str
    roles_file: str | None = Field(default=None, description="The exec roles YAML (ODOOSH_EXEC_ROLES_FILE).")
    audit_dsn: str | None = Field(default=None, description="Writer DSN of the audit table (ODOOSH_AUDIT_DSN).")
    container_template: str | None = Field(
        default=None, description="Odoo container of an environment for docker exec; unset: local processes."
    )
    timeout_s: float = 300

    def executor(self) -> Executor:
        return make_executor(self.state_dir, self.roles_file, self.audit_dsn, self.container_template, self.timeout_s)

"""Staging's server (ODOOSH_STAGING_DSN or a sandbox cluster) and the secrets of the scrub."""

from pathlib import Path

import dagster as dg

from odoosh.sandbox.staging import sandbox_staging
from odoosh.staging import secrets
from odoosh.staging.scrub.policy import Policy, load_policy
from odoosh.staging.target import StagingTarget, configured_staging


class StagingResource(dg.ConfigurableResource):
    """The staging database, which each refresh replaces."""

    def target(self) -> StagingTarget:
        raise NotImplementedError


class ConfiguredStagingResource(StagingResource):
    """`dsn` names the staging database; its role must be allowed to create, rename and drop databases."""

    dsn: str

    def target(self) -> StagingTarget:
        return configured_staging(self.dsn)


class SandboxStagingResource(StagingResource):
    """A platform-managed cluster in the state directory, started when a refresh needs it."""

    state_dir: str

    def target(self) -> StagingTarget:
        return sandbox_staging(Path(self.state_dir))


class ScrubbingResource(dg.ConfigurableResource):
    """Secrets and policy of the quarantine: `salt` (ODOOSH_SCRUB_SALT; generated once into the
    state dir when unset), `admin_password` (ODOOSH_STAGING_ADMIN_PASSWORD) and extra policy files."""

    state_dir: str
    salt: str | None = None
    admin_password: str | None = None
    policy_files: list[str] = []

    def resolved_salt(self) -> str:
        return secrets.scrub_salt(self.salt, Path(self.state_dir))

    def resolved_admin_password(self, sandbox: bool) -> str:
        return secrets.admin_password(self.admin_password, sandbox)

    def policy(self) -> Policy:
        return load_policy([Path(p) for p in self.policy_files])

"""Staging's server (ODOOSH_STAGING_DSN or a sandbox cluster) and the secrets of the scrub."""

from pathlib import Path

import dagster as dg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from odoosh.postgres.admin import DatabaseServer
from odoosh.postgres.cluster import Clusters
from odoosh.staging import secrets
from odoosh.staging.scrub.policy import Policy, load_policy
from odoosh.staging.target import StagingTarget

DEFAULT_DATABASE = "odoo_staging"
SANDBOX_CLUSTER = "staging"


class StagingResource(dg.ConfigurableResource):
    """The staging database, which each refresh replaces."""

    def target(self) -> StagingTarget:
        raise NotImplementedError


class ConfiguredStagingResource(StagingResource):
    """`dsn` names the staging database; its role must be allowed to create, rename and drop databases."""

    dsn: str

    def target(self) -> StagingTarget:
        database = conninfo_to_dict(self.dsn).get("dbname") or DEFAULT_DATABASE
        server = DatabaseServer(make_conninfo(self.dsn, dbname="postgres"))
        return StagingTarget(database, lambda start: server, sandbox=False)


class SandboxStagingResource(StagingResource):
    """A platform-managed cluster in the state directory, started when a refresh needs it."""

    state_dir: str
    database_name: str = DEFAULT_DATABASE

    def target(self) -> StagingTarget:
        clusters = Clusters(Path(self.state_dir))

        def open_server(start: bool) -> DatabaseServer:
            cluster = clusters.cluster(SANDBOX_CLUSTER) if start else clusters.existing(SANDBOX_CLUSTER)
            return cluster.databases

        return StagingTarget(self.database_name, open_server, sandbox=True)


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

"""Production's backups (pgBackRest): two repositories, local directories of the sandbox unless
ODOOSH_BACKUP_REPO1_* / ODOOSH_BACKUP_REPO2_* point them at S3 buckets; a production on another
host (ODOOSH_PROD_DSN) through its host's pgBackRest TLS server (ODOOSH_BACKUP_PG_HOST_*)."""

from pathlib import Path

import dagster as dg

from odoosh.backups.production import ProductionBackups, repositories, sandbox_backups
from odoosh.backups.remote import remote_backups
from odoosh.postgres.cluster import Clusters
from odoosh.sandbox.production import CLUSTER, DATABASE


class BackupsResource(dg.ConfigurableResource):
    """`repo1`/`repo2` hold the non-secret settings of each repository (type, path, bucket,
    endpoint, region, ca_file, uri_style); their S3 key and secret come as dg.EnvVar. With
    `sandbox` False, production is `prod_dsn` (a dg.EnvVar) on the host `pg_host` names."""

    state_dir: str
    sandbox: bool = True
    stanza: str = "odoosh"
    retention_days: int = 30
    archive_queue_max: str = "4GiB"
    restore_slo_minutes: int = 15
    required_modules: list[str] = ["base", "web", "mail"]
    jobs: int = 2
    repo1: dict[str, str] = {}
    repo2: dict[str, str] = {}
    repo1_key: str | None = None
    repo1_secret: str | None = None
    repo2_key: str | None = None
    repo2_secret: str | None = None
    prod_dsn: str | None = None
    pg_host: dict[str, str] = {}

    def backups(self, log=print) -> ProductionBackups:
        state = Path(self.state_dir)
        repos = repositories(
            state / "backups",
            self.retention_days,
            {1: self.repo1, 2: self.repo2},
            {1: (self.repo1_key, self.repo1_secret), 2: (self.repo2_key, self.repo2_secret)},
        )
        if not self.sandbox:
            return remote_backups(
                self.prod_dsn,
                state,
                repos,
                self.pg_host,
                stanza=self.stanza,
                archive_push_queue_max=self.archive_queue_max,
                log=log,
                required_modules=self.required_modules,
                jobs=self.jobs,
            )
        return sandbox_backups(
            Clusters(state).existing(CLUSTER),
            state,
            repos,
            stanza=self.stanza,
            dbname=DATABASE,
            archive_push_queue_max=self.archive_queue_max,
            log=log,
            required_modules=self.required_modules,
            jobs=self.jobs,
        )

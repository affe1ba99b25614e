"""Production's backups (pgBackRest): two repositories, local directories of the sandbox unless
ODOOSH_BACKUP_REPO1_* / ODOOSH_BACKUP_REPO2_* point them at S3 buckets."""

from pathlib import Path

import dagster as dg

from odoosh.backups.config import BackupConfigError
from odoosh.backups.production import ProductionBackups, repositories, sandbox_backups
from odoosh.postgres.cluster import Clusters
from odoosh.sandbox.production import CLUSTER, DATABASE


class BackupsResource(dg.ConfigurableResource):
    """`repo1`/`repo2` hold the non-secret settings of each repository (type, path, bucket,
    endpoint, region, ca_file, uri_style); their S3 key and secret come as dg.EnvVar."""

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

    def backups(self, log=print) -> ProductionBackups:
        if not self.sandbox:
            raise BackupConfigError(
                "Backups of a production the platform does not run need pgBackRest on its host (pg1-host, "
                "README, Backups); this version drives the sandbox's production only."
            )
        state = Path(self.state_dir)
        repos = repositories(
            state / "backups",
            self.retention_days,
            {1: self.repo1, 2: self.repo2},
            {1: (self.repo1_key, self.repo1_secret), 2: (self.repo2_key, self.repo2_secret)},
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

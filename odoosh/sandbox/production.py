"""The sandbox's production: a platform-managed cluster holding a synthetic Odoo database."""

from __future__ import annotations

from dataclasses import dataclass

from odoosh.postgres.cluster import Clusters
from odoosh.production import Log
from odoosh.sandbox import synthetic

CLUSTER = "production"
DATABASE = "odoo"


@dataclass(frozen=True)
class SyntheticProduction:
    """Built once, reused afterwards; `scale` sets its size (1 is about 36 MB)."""

    clusters: Clusters
    scale: float = 1.0
    seed: int = 0
    sandbox = True

    def ensure(self, log: Log) -> str:
        cluster = self.clusters.cluster(CLUSTER, log=log, data_checksums=True)  # pgBackRest verifies pages
        databases = cluster.databases
        if not databases.exists(DATABASE):
            # Built under a temporary name and renamed when complete, so an interrupted build
            # never leaves a half-filled database under the real name.
            building = f"{DATABASE}_building"
            databases.recreate(building)
            log(f"building the synthetic Odoo database (scale {self.scale}, seed {self.seed})")
            synthetic.build(cluster.dsn(building), scale=self.scale, seed=self.seed, progress=log)
            databases.rename(building, DATABASE)
        return cluster.dsn(DATABASE)

    def current_dsn(self) -> str:
        return self.clusters.existing(CLUSTER).dsn(DATABASE)

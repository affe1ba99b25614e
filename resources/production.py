"""Production's database: the customer's (ODOOSH_PROD_DSN) or, in the sandbox, a synthetic one."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from odoosh import synthetic
from resources.postgres import PostgresClusters, connect

SANDBOX_CLUSTER = "production"
SANDBOX_DB = "odoo"


class ProductionDatabase(dg.ConfigurableResource):
    """Where production's Odoo database is; the platform only ever reads it.

    Unset `dsn` means the sandbox: a platform-managed cluster holding a synthetic Odoo database,
    built once and reused.
    """

    dsn: str | None = None
    clusters: PostgresClusters
    scale: float = 1.0
    seed: int = 0

    @property
    def is_sandbox(self) -> bool:
        return not self.dsn

    def current_dsn(self) -> str:
        """The DSN as configured, without starting or building anything (for checks)."""
        return self.dsn or self.clusters.existing(SANDBOX_CLUSTER).dsn(SANDBOX_DB)

    def ensure(self, log: Callable[[str], None]) -> str:
        """The DSN of a reachable production database, building the sandbox one if missing."""
        if self.dsn:
            connect(self.dsn).close()  # fails with a clear message on a wrong DSN
            return self.dsn
        cluster = self.clusters.cluster(SANDBOX_CLUSTER, log=log)
        if not cluster.database_exists(SANDBOX_DB):
            # Built under a temporary name and renamed when complete, so an interrupted build
            # never leaves a half-filled database under the real name.
            building = f"{SANDBOX_DB}_building"
            cluster.drop_database(building)
            cluster.create_database(building)
            log(f"building the synthetic Odoo database (scale {self.scale}, seed {self.seed})")
            synthetic.build(cluster.dsn(building), scale=self.scale, seed=self.seed, progress=log)
            cluster.rename_database(building, SANDBOX_DB)
        return cluster.dsn(SANDBOX_DB)

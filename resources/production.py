"""Production's database: the customer's (ODOOSH_PROD_DSN) or the sandbox's synthetic one."""

from pathlib import Path

import dagster as dg

from odoosh.postgres.cluster import Clusters
from odoosh.production import ConfiguredProduction, ProductionDatabase
from odoosh.sandbox.production import SyntheticProduction


class ProductionResource(dg.ConfigurableResource):
    """Where production's Odoo database is; the platform only ever reads it."""

    def database(self) -> ProductionDatabase:
        raise NotImplementedError


class ConfiguredProductionResource(ProductionResource):
    dsn: str

    def database(self) -> ProductionDatabase:
        return ConfiguredProduction(self.dsn)


class SandboxProductionResource(ProductionResource):
    state_dir: str
    scale: float = 1.0
    seed: int = 0

    def database(self) -> ProductionDatabase:
        return SyntheticProduction(Clusters(Path(self.state_dir)), scale=self.scale, seed=self.seed)

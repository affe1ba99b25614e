"""The sandbox's staging server: a platform-managed cluster, started when a refresh needs it."""

from __future__ import annotations

from pathlib import Path

from odoosh.postgres.admin import DatabaseServer
from odoosh.postgres.cluster import Clusters
from odoosh.staging.target import DEFAULT_DATABASE, StagingTarget

CLUSTER = "staging"


def sandbox_staging(state_dir: Path, database: str = DEFAULT_DATABASE) -> StagingTarget:
    """Staging on the cluster `staging` of `state_dir`; checks see it as it is, stopped or not."""
    clusters = Clusters(Path(state_dir))

    def open_server(start: bool) -> DatabaseServer:
        cluster = clusters.cluster(CLUSTER) if start else clusters.existing(CLUSTER)
        return cluster.databases

    return StagingTarget(database, open_server, sandbox=True)

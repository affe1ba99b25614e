"""An artifact store of one trust zone: a local directory or S3 (ODOOSH_*_ARTIFACTS)."""

import dagster as dg
from pydantic import Field

from odoosh.artifacts import ArtifactStore


class ArtifactStoreResource(dg.ConfigurableResource):
    url: str = Field(description="A local directory (or file:///dir), or s3://bucket/prefix.")
    endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, Ceph...); unset for AWS."
    )
    region_name: str | None = Field(default=None, description="S3 region; unset: AWS_REGION.")
    work_dir: str | None = Field(
        default=None, description="Where S3 artifacts are downloaded; unset: the system temp dir."
    )

    def store(self) -> ArtifactStore:
        return ArtifactStore(self.url, self.endpoint_url, self.region_name, self.work_dir)

"""The environments file (ODOOSH_ENVIRONMENTS_FILE): what must hold in staging and previews."""

import dagster as dg
from pydantic import Field

from odoosh import environments


class EnvironmentsResource(dg.ConfigurableResource):
    file: str | None = Field(default=None, description="The YAML file; unset: nothing to apply.")

    def spec(self) -> environments.EnvironmentsSpec:
        return environments.load(self.file)

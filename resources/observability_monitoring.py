"""How slow queries are ranked and when one alerts."""

import dagster as dg
from pydantic import Field

from odoosh.observability import slow_queries


class SlowQueriesResource(dg.ConfigurableResource):
    top: int = Field(default=slow_queries.TOP, description="How many statements each ranking keeps.")
    slow_seconds: float = Field(default=slow_queries.SLOW_S, description="An execution over this is listed.")
    flag_seconds: float = Field(default=slow_queries.FLAG_S, description="An execution over this alerts.")

    def thresholds(self) -> slow_queries.Thresholds:
        return slow_queries.Thresholds(self.top, self.slow_seconds, self.flag_seconds)

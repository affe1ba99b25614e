"""One HTTP request as an Odoo log tells it: the unit every figure of this package is made of."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Request:
    """A werkzeug request line of an Odoo log. The three performance fields are those Odoo
    appends (odoo/netsvc.py: query count, query seconds, remaining seconds); None where the
    Odoo version writes none, and latency is then unknown."""

    at: datetime  # the line's timestamp, UTC
    environment: str  # production, staging, pr-<n>
    method: str
    path: str  # as requested, query string removed
    status: int
    query_count: int | None = None
    query_seconds: float | None = None
    other_seconds: float | None = None
    response_bytes: int | None = None  # werkzeug's size field; Odoo's werkzeug writes `-` (None)

    @property
    def seconds(self) -> float | None:
        """The request's latency: its SQL time and the rest."""
        if self.query_seconds is None or self.other_seconds is None:
            return None
        return self.query_seconds + self.other_seconds

    @property
    def failed(self) -> bool:
        return self.status >= 500

"""Production's Odoo database, which the platform only ever reads: the customer's, or the sandbox's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from odoosh.postgres import connect

Log = Callable[[str], None]


class ProductionDatabase(Protocol):
    sandbox: bool

    def ensure(self, log: Log) -> str:
        """The DSN of a reachable production database (built first in the sandbox)."""
        ...

    def current_dsn(self) -> str:
        """The DSN as it is, without starting or building anything (for checks)."""
        ...


@dataclass(frozen=True)
class ConfiguredProduction:
    """The customer's production database (ODOOSH_PROD_DSN); a read-only role suffices."""

    dsn: str
    sandbox = False

    def ensure(self, log: Log) -> str:
        connect(self.dsn).close()  # fails with a clear message on a wrong DSN
        return self.dsn

    def current_dsn(self) -> str:
        return self.dsn

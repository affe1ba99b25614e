"""How many rows of each kind a build makes, and where each kind sits in the id space.

Recipes derive every cross-reference from ids (the partner of user ``u`` is ``u + 1``, the work
contact of an unlinked employee is ``emp_work_partner0 + ...``), so no recipe has to look rows up
to link them. The plan is handed to the SQL recipes as the one-row temporary table ``plan``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import psycopg
from psycopg import sql

# Rows at scale 1.0; the technical tables (company, settings, crons...) do not scale.
BASE_COUNTS = {
    "internal_users": 25,
    "portal_users": 40,
    "employees": 60,
    "contacts": 1800,
    "leads": 1000,
    "applicants": 150,
    "messages": 10_000,
    "attachments": 600,
}
MINIMUM_COUNTS = {
    "internal_users": 3,
    "portal_users": 2,
    "employees": 5,
    "contacts": 20,
    "leads": 10,
    "applicants": 5,
    "messages": 50,
    "attachments": 10,
}


@dataclass(frozen=True)
class Plan:
    """Counts and id ranges. Users: 1 __system__, 2 admin, 3 public, then internal, then portal.
    Partners: 1 company, 2 OdooBot, 3.. the users' partners (user u has partner u + 1), then the
    work contacts of employees without a user, the employees' private addresses, then contacts."""

    seed: int
    internal_users: int
    portal_users: int
    employees: int
    contacts: int
    leads: int
    applicants: int
    messages: int
    attachments: int

    @classmethod
    def for_scale(cls, scale: float, seed: int) -> Plan:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        counts = {kind: max(MINIMUM_COUNTS[kind], round(base * scale)) for kind, base in BASE_COUNTS.items()}
        counts["employees"] = max(counts["employees"], counts["internal_users"] + 2)
        return cls(seed=seed, **counts)

    @property
    def users(self) -> int:
        """Highest user id."""
        return 3 + self.internal_users + self.portal_users

    @property
    def linked_employees(self) -> int:
        """Employees 1 (admin) .. internal_users + 1 have a user; employee e > 1 has user e + 2."""
        return self.internal_users + 1

    @property
    def emp_work_partner0(self) -> int:
        return self.users + 2

    @property
    def emp_home_partner0(self) -> int:
        return self.emp_work_partner0 + self.employees - self.linked_employees

    @property
    def contact_partner0(self) -> int:
        return self.emp_home_partner0 + self.employees

    @property
    def partners(self) -> int:
        """Highest partner id."""
        return self.contact_partner0 + self.contacts - 1

    def values(self) -> dict[str, int]:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        derived = (
            "users",
            "linked_employees",
            "emp_work_partner0",
            "emp_home_partner0",
            "contact_partner0",
            "partners",
        )
        return fields | {name: getattr(self, name) for name in derived}

    def load(self, conn: psycopg.Connection) -> None:
        """Create the temporary one-row table ``plan`` the recipes read their numbers from."""
        columns = sql.SQL(", ").join(
            sql.SQL("{}::integer AS {}").format(sql.Literal(value), sql.Identifier(name))
            for name, value in self.values().items()
        )
        conn.execute(sql.SQL("CREATE TEMP TABLE plan ON COMMIT DROP AS SELECT {}").format(columns))

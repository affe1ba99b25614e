"""Who the visual gate logs in as: staging's admin, whose password the scrub set."""

from odoosh.postgres import connect
from odoosh.staging.scrub.scrubber import admin_user_id


def admin_login(dsn: str) -> str:
    """The login of Odoo's admin user in the database at `dsn` (the one the scrub keeps usable)."""
    with connect(dsn) as conn:
        admin = admin_user_id(conn)
        row = conn.execute("SELECT login FROM res_users WHERE id = %s", (admin,)).fetchone() if admin else None
    if not row:
        raise LookupError("the database has no admin user (base.user_admin, login 'admin' or id 2) to log in as")
    return row[0]

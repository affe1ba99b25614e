"""A preview's database: a copy of staging (scrubbed and neutralised), never of production.

On staging's own server it is `CREATE DATABASE ... TEMPLATE staging` (a file copy: seconds
where a dump takes minutes); on another server, pg_dump/pg_restore. Before the first staging
refresh there is nothing to copy, so the preview gets a fresh demo database from the sandbox's
synthetic builder (fake data only). Either way the copy is then neutralised again with the
preview's own base URL and mail catcher, so its links and mails are the preview's.

The copy is made under `<name>__building` and renamed when complete: a killed build never
leaves a half-copied database under the preview's name. Names come from the PR number only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from odoosh import scratch
from odoosh.postgres import connect, dumps
from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.names import pr_number
from odoosh.sandbox import synthetic
from odoosh.staging import neutralize
from odoosh.staging.scrub.leaks import SCHEMA as QUARANTINE_SCHEMA

BUILDING_SUFFIX = "__building"
DEMO_SCALE = 0.05  # a few MB: enough for a login page and smoke checks, built in seconds
Log = Callable[[str], None]


@dataclass(frozen=True)
class PreviewDatabase:
    name: str
    dsn: str
    source: str  # "template", "dump" or "demo"
    seconds: float


def preview_database_name(n: int) -> str:
    return f"odoosh_pr_{pr_number(n)}"


def build_preview_database(
    n: int,
    target: DatabaseServer,
    *,
    staging: DatabaseServer | None,
    staging_database: str | None,
    base_url: str,
    smtp_host: str = "localhost",
    smtp_port: int = 25,
    work_dir: Path | None = None,
    jobs: int = 1,
    demo_scale: float = DEMO_SCALE,
    log: Log = print,
) -> PreviewDatabase:
    """Make preview `n`'s database on `target`, replacing an earlier one (a push rebuilds it).

    `staging`/`staging_database`: the staging database to copy; None (or a staging database
    that does not exist yet) makes a demo database instead. `work_dir` holds the dump when
    staging is on another server.
    """
    name = preview_database_name(n)
    building = name + BUILDING_SUFFIX
    started = time.monotonic()
    target.drop(building)  # what a killed build left
    if staging is None or staging_database is None or not staging.exists(staging_database):
        source = "demo"
        log(f"no staging database yet: building a demo database for {name} (scale {demo_scale})")
        target.create(building)
        synthetic.build(target.dsn(building), scale=demo_scale, seed=pr_number(n), progress=log)
    elif same_server(staging, target):
        source = "template"
        log(f"copying staging database {staging_database!r} into {name} (CREATE DATABASE ... TEMPLATE)")
        target.clone(staging_database, building)
    else:
        source = "dump"
        log(f"staging is on another server: dumping {staging_database!r} and restoring it as {name}")
        target.create(building)
        with scratch.owned_dir("preview-dump", work_dir) as scratch_dir:
            archive = scratch_dir / "dump"
            dumps.dump(staging.dsn(staging_database), archive, jobs=jobs, log=log)
            dumps.restore(target.dsn(building), archive, jobs=jobs, log=log)
    with connect(target.dsn(building)) as conn:
        actions = neutralize.neutralize(conn, base_url=base_url, smtp_host=smtp_host, smtp_port=smtp_port)
        # neutralize() records the origin's secret for its check; a preview keeps no such record.
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(QUARANTINE_SCHEMA)))
    log(f"neutralised {name}: {len(actions)} facts applied")
    target.drop(name)
    target.rename(building, name)
    return PreviewDatabase(name, target.dsn(name), source, round(time.monotonic() - started, 2))


def drop_preview_database(n: int, target: DatabaseServer) -> None:
    """Drop preview `n`'s database (and a half-built one), closing its sessions."""
    name = preview_database_name(n)
    target.drop(name + BUILDING_SUFFIX)
    target.drop(name)


def same_server(a: DatabaseServer, b: DatabaseServer) -> bool:
    """Whether two admin DSNs reach the same PostgreSQL server (same host or socket, same port)."""
    return _address(a.admin_dsn) == _address(b.admin_dsn)


def _address(dsn: str) -> tuple[str, str]:
    params = conninfo_to_dict(dsn)
    host = params.get("hostaddr") or params.get("host") or "/var/run/postgresql"
    return host.rstrip("/"), str(params.get("port") or 5432)

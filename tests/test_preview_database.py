"""Preview databases on a real PostgreSQL cluster: a template copy of staging on the same server,
dump/restore from another address, a demo database before the first staging; names from the PR
number only."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.database import (
    build_preview_database,
    drop_preview_database,
    preview_database_name,
    same_server,
)
from odoosh.previews.names import PreviewNameError

BASE_URL = "https://pr-3.localhost:8443"
# A staging database whose name is hostile SQL: identifiers are quoted, never formatted in.
STAGING = 'staging"; DROP DATABASE postgres; --'


def quiet(_):
    pass


@pytest.fixture
def staging(pg):
    """A small Odoo-like staging database on the session cluster, with an Odoo connected to it."""
    pg.databases.drop(STAGING)
    pg.databases.create(STAGING)
    with pg.connect(STAGING) as conn:
        conn.execute("CREATE TABLE ir_config_parameter (id serial, key varchar NOT NULL UNIQUE, value text)")
        conn.execute("INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url', 'https://staging.test')")
        conn.execute("CREATE TABLE res_partner (id serial PRIMARY KEY, name varchar)")
        conn.execute("INSERT INTO res_partner (name) SELECT 'partner ' || i FROM generate_series(1, 500) i")
    yield STAGING
    for n in (3, 4):
        drop_preview_database(n, pg.databases)
    pg.databases.drop(STAGING)


def rows(pg, database: str, query: str):
    with pg.connect(database) as conn:
        return conn.execute(query).fetchall()


def test_template_copy_on_the_same_server(pg, staging):
    odoo_session = pg.connect(staging)  # staging's Odoo: PostgreSQL copies no template in use
    odoo_session.execute("SELECT 1")
    built = build_preview_database(
        3, pg.databases, staging=pg.databases, staging_database=staging, base_url=BASE_URL, log=quiet
    )
    assert (built.name, built.source) == ("odoosh_pr_3", "template")
    assert rows(pg, built.name, "SELECT count(*) FROM res_partner") == [(500,)]
    # Neutralised for the preview: its own base URL.
    assert rows(pg, built.name, "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == [(BASE_URL,)]
    assert rows(pg, staging, "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == [
        ("https://staging.test",)
    ]
    assert not pg.databases.exists(built.name + "__building")
    assert rows(pg, built.name, "SELECT count(*) FROM pg_namespace WHERE nspname = 'odoosh_quarantine'") == [(0,)]
    # The Odoo session on staging was closed for the copy; staging itself is intact.
    with pytest.raises(psycopg.OperationalError):
        odoo_session.execute("SELECT 1")
    assert rows(pg, staging, "SELECT count(*) FROM res_partner") == [(500,)]
    assert psycopg.conninfo.conninfo_to_dict(built.dsn)["dbname"] == "odoosh_pr_3"


def test_a_rebuild_replaces_the_previous_copy(pg, staging):
    pg.databases.create("odoosh_pr_3__building")  # left by a build killed mid-copy
    first = build_preview_database(3, pg.databases, staging=pg.databases, staging_database=staging, base_url=BASE_URL)
    with pg.connect(first.name) as conn:
        conn.execute("DELETE FROM res_partner")
    with pg.connect(staging) as conn:
        conn.execute("INSERT INTO res_partner (name) VALUES ('new in staging')")
    again = build_preview_database(
        3, pg.databases, staging=pg.databases, staging_database=staging, base_url=BASE_URL, log=quiet
    )
    assert rows(pg, again.name, "SELECT count(*) FROM res_partner") == [(501,)]
    assert not pg.databases.exists("odoosh_pr_3__building")


def test_dump_and_restore_from_another_server(pg, staging, tmp_path):
    # Staging reached over TCP: another address, so no template copy is possible from here.
    over_tcp = DatabaseServer(
        make_conninfo(host="127.0.0.1", port=pg.port, user="odoosh", password=pg.password, dbname="postgres")
    )
    assert not same_server(over_tcp, pg.databases)
    built = build_preview_database(
        4, pg.databases, staging=over_tcp, staging_database=staging, base_url=BASE_URL, work_dir=tmp_path, log=quiet
    )
    assert (built.name, built.source) == ("odoosh_pr_4", "dump")
    assert rows(pg, built.name, "SELECT count(*) FROM res_partner") == [(500,)]
    assert list(tmp_path.iterdir()) == [], "the dump's scratch directory is removed"


def test_a_demo_database_before_the_first_staging(pg, staging):
    pg.databases.drop(staging)
    built = build_preview_database(
        3, pg.databases, staging=pg.databases, staging_database=staging, base_url=BASE_URL, log=quiet
    )
    assert built.source == "demo"
    assert rows(pg, built.name, "SELECT count(*) > 0 FROM res_users") == [(True,)]
    assert rows(pg, built.name, "SELECT value FROM ir_config_parameter WHERE key = 'web.base.url'") == [(BASE_URL,)]
    running_crons = "SELECT count(*) FROM ir_cron WHERE active AND cron_name::text NOT LIKE '%Auto-vacuum%'"
    assert rows(pg, built.name, running_crons) == [(0,)], "neutralised: no scheduled action runs in a preview"


def test_drop_removes_the_preview_and_a_half_built_one(pg, staging):
    build_preview_database(3, pg.databases, staging=pg.databases, staging_database=staging, base_url=BASE_URL)
    pg.databases.create("odoosh_pr_3__building")  # as a killed build leaves it
    drop_preview_database(3, pg.databases)
    assert not pg.databases.exists("odoosh_pr_3") and not pg.databases.exists("odoosh_pr_3__building")
    drop_preview_database(3, pg.databases)  # nothing left: no error


@pytest.mark.parametrize("bad", ["3; DROP DATABASE postgres", "3", -1, 0, True, 2.5, None])
def test_names_derive_from_the_pr_number_only(bad, pg):
    with pytest.raises(PreviewNameError):
        preview_database_name(bad)
    with pytest.raises(PreviewNameError):
        drop_preview_database(bad, pg.databases)
    assert pg.databases.exists("postgres")


def test_template_clone_quotes_every_identifier(pg, staging):
    pg.databases.clone(staging, 'copy"; DROP DATABASE postgres; --')
    try:
        assert rows(pg, 'copy"; DROP DATABASE postgres; --', "SELECT count(*) FROM res_partner") == [(500,)]
    finally:
        pg.databases.drop('copy"; DROP DATABASE postgres; --')
    assert pg.databases.exists("postgres")
    with pg.connect() as conn:
        assert not conn.execute(
            sql.SQL("SELECT 1 FROM pg_database WHERE datname = {}").format(sql.Literal("copy"))
        ).fetchone()

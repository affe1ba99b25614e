"""Shared fixtures: real PostgreSQL clusters started by the platform's own cluster code; the
fast tier (`--fast`)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from psycopg import sql

from odoosh.postgres import pg_tool
from odoosh.postgres.cluster import throwaway_cluster
from odoosh.sandbox.s3 import MotoServer, SandboxS3
from odoosh.staging.scrub.policy import load_policy
from tests import odoo_fill

# --------------------------------------------------------------------------- the fast tier
#
# `pytest --fast` (`./dev test --fast`) runs only the tests that need no PostgreSQL cluster, no
# S3 double, no sandbox and no servers: it deselects every test marked `cluster` or `servers`.
# `cluster` is given here to every test that uses one of CLUSTER_FIXTURES, directly or through
# another fixture; `servers` is written in the modules whose tests start servers otherwise.

CLUSTER_FIXTURES = frozenset({"pg", "fresh_db", "templates", "copy_of", "moto_endpoint", "s3_double"})


def pytest_addoption(parser):
    parser.addoption(
        "--fast", action="store_true", help="only the tests that need no PostgreSQL cluster, no sandbox and no servers"
    )


def pytest_collection_modifyitems(config, items):
    for item in items:
        if CLUSTER_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.cluster)
    if config.getoption("--fast"):
        slow = [item for item in items if item.get_closest_marker("cluster") or item.get_closest_marker("servers")]
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item not in slow]


@pytest.fixture(scope="session")
def pg():
    """One non-durable scratch cluster for the whole test session; each test makes its own databases."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture
def fresh_db(pg, request):
    """An empty database on the session cluster, dropped after the test."""
    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    pg.databases.drop(name)
    pg.databases.create(name)
    yield name
    pg.databases.drop(name)


@pytest.fixture(scope="session")
def policy():
    return load_policy()


@pytest.fixture(scope="session")
def templates(pg, policy):
    """One database per real Odoo schema dump (tests/data/odoo-schemas), filled with personal
    data, built once per session as a template for the tests' copies."""
    assert odoo_fill.SCHEMAS.is_dir(), f"{odoo_fill.SCHEMAS} is missing: the real Odoo schemas are needed"
    with pg.connect(autocommit=True) as conn:
        for role in ("openpg", "prisma"):  # the dumps' owners
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    names = {}
    for key, dump in odoo_fill.DUMPS.items():
        name = f"tpl_{key}"
        pg.databases.drop(name)
        pg.databases.create(name)
        subprocess.run(
            [pg_tool("psql"), pg.dsn(name), "-q", "-v", "ON_ERROR_STOP=1", "-f", str(odoo_fill.SCHEMAS / dump)],
            check=True,
            capture_output=True,
        )
        with pg.connect(name, autocommit=True) as conn:  # one lock per statement
            odoo_fill.drop_constraints(conn)
        with pg.connect(name) as conn:
            odoo_fill.fill(conn, policy, odoo_fill.PERSONS)
            conn.execute("UPDATE res_users SET login = 'admin' WHERE id = (SELECT min(id) FROM res_users)")
        names[key] = name
    yield names
    for name in names.values():
        pg.databases.drop(name)


@pytest.fixture
def copy_of(pg, templates, request):
    """`copy_of(key)`: a new database copied from the filled template of one schema dump."""
    made = []

    def make(key: str) -> str:
        name = f"t_{key}_{len(made)}_{request.node.name[:20].lower()}".replace("[", "_").replace("]", "")
        pg.databases.drop(name)
        pg.databases.create(name, template=templates[key])
        made.append(name)
        return name

    yield make
    for name in made:
        pg.databases.drop(name)


@pytest.fixture(scope="session")
def fake_aws() -> dict[str, str]:
    """Environment for the loopback S3 double: fake credentials, no AWS config files."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """A real S3 API (moto_server) on a free loopback port, for the test session."""
    moto = MotoServer(tmp_path_factory.mktemp("moto") / "server.log").start()
    try:
        yield moto.url
    finally:
        moto.stop()


@pytest.fixture(scope="session")
def s3_double():
    """The sandbox's S3 for the session (odoosh.sandbox.s3): moto checking credentials, behind
    nginx's TLS with a CA of its own; in the system temp dir, so the server user (pgBackRest's
    archive_command) can read the CA."""
    directory = Path(tempfile.mkdtemp(prefix="odoosh-s3-"))
    directory.chmod(0o711)
    double = SandboxS3(directory)
    try:
        endpoint = double.start()
        endpoint.ca_file.parent.chmod(0o711)
        yield endpoint
    finally:
        double.stop()
        shutil.rmtree(directory, ignore_errors=True)

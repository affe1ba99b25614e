"""Platform-managed PostgreSQL clusters: lifecycle, repair, and clear errors on bad input."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from odoosh import scratch
from odoosh.postgres import PostgresError, connect, describe_dsn
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters, PostgresCluster, throwaway_cluster
from tests.sandbox_helpers import processes_under

pytestmark = pytest.mark.servers  # PostgreSQL clusters

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def base():
    """A directory in the system temp dir that the server user can traverse."""
    path = Path(tempfile.mkdtemp(prefix="odoosh-pgtest-"))
    path.chmod(0o711)
    yield path
    for conf in list(path.rglob("postgresql.conf")):  # one per data directory
        PostgresCluster(conf.parent.parent).destroy()
    shutil.rmtree(path, ignore_errors=True)
    assert not processes_under(path)


def test_cluster_lifecycle_keeps_data_and_leaves_no_process(base):
    cluster = Clusters(base).cluster("prod")
    cluster.databases.create("odoo")
    with cluster.connect("odoo", autocommit=True) as conn:
        conn.execute("CREATE TABLE t AS SELECT 42 AS answer")
        assert conn.execute("SHOW fsync").fetchone()[0] == "on"  # durable by default
    cluster.stop()
    assert not cluster.is_running()
    assert not processes_under(cluster.root)

    again = Clusters(base).cluster("prod")  # a re-run reuses it
    with again.connect("odoo") as conn:
        assert conn.execute("SELECT answer FROM t").fetchone()[0] == 42
    again.destroy()
    assert not cluster.root.exists()
    assert not processes_under(cluster.root)


def test_scratch_clusters_skip_durability():
    with throwaway_cluster() as cluster:
        with cluster.connect() as conn:
            assert conn.execute("SHOW fsync").fetchone()[0] == "off"
            assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
        root = cluster.root
    assert not root.exists()
    assert not processes_under(root)


def test_cluster_of_a_killed_run_is_stopped_and_removed_later(base, monkeypatch):
    """SIGKILL runs no cleanup: the quarantine cluster of a killed run, raw production data,
    would keep running. The next run finds it by its free lock, stops it and removes it."""
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom odoosh.postgres.cluster import throwaway_cluster\n"
            "with throwaway_cluster(base_dir=sys.argv[1]) as c:\n    print(c.root, flush=True)\n    time.sleep(600)",
            str(base),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    root = Path(run.stdout.readline().strip())
    monkeypatch.setattr(scratch, "MIN_AGE_S", 0)
    try:
        assert remove_abandoned(base, print) == [] and root.exists()  # its run is alive
    finally:
        run.kill()
        run.wait()
    cluster = PostgresCluster(root)
    assert cluster.is_running()
    assert remove_abandoned(base, print) == [root]
    assert not root.exists()
    assert not processes_under(root)


def test_server_runs_unprivileged_and_tcp_needs_the_password(base):
    cluster = Clusters(base).cluster("c")
    pid = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
    assert os.stat(f"/proc/{pid}").st_uid != 0
    with pytest.raises(PostgresError, match="password"):
        connect(f"host=127.0.0.1 port={cluster.port} user=odoosh dbname=postgres password=wrong")
    with connect(f"host=127.0.0.1 port={cluster.port} user=odoosh dbname=postgres password={cluster.password}") as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_half_built_cluster_is_rebuilt(base):
    root = base / "clusters" / "half"
    (root / "data").mkdir(parents=True)
    (root / "data" / "PG_VERSION").write_text("15\n")  # initdb killed before cluster.json
    cluster = Clusters(base).cluster("half")
    with cluster.connect() as conn:
        assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_missing_binaries_name_the_fix(base, monkeypatch):
    monkeypatch.setenv("ODOOSH_PG_BINDIR", str(base / "nowhere"))
    monkeypatch.setenv("PATH", str(base))  # and no initdb on PATH either
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter(()))
    with pytest.raises(PostgresError, match="apt-get install postgresql"):
        PostgresCluster(base / "x").ensure_running()


def test_busy_fixed_port_is_reported(base):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PostgresError, match=f"Port {port} .* in use"):
            PostgresCluster(base / "fixed", port=port).ensure_running()
    assert not processes_under(base / "fixed")


def test_directory_the_server_user_cannot_reach(base):
    closed = base / "closed"
    closed.mkdir(mode=0o700)  # like root's home, or pytest's tmp_path
    with pytest.raises(PostgresError, match=f"cannot enter {closed}"):
        PostgresCluster(closed / "cluster").ensure_running()


def test_state_directory_that_cannot_be_created(base):
    (base / "file").write_text("not a directory")
    with pytest.raises(PostgresError, match="Cannot create .*file/cluster: Not a directory"):
        PostgresCluster(base / "file" / "cluster").ensure_running()


def test_describe_dsn_hides_the_password():
    described = describe_dsn("host=db.example port=5432 dbname=odoo user=ro password=top-secret")
    assert "top-secret" not in described and "db.example" in described
    with pytest.raises(PostgresError, match="Not a valid PostgreSQL connection string"):
        describe_dsn("host=db port")

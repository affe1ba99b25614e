"""What a killed run leaves in a scratch directory is removed by the next run, whatever the moment
it died in: initdb before its bootstrap, initdb's single-user bootstrap, server startup, a running
server, a shutdown in progress, a stale postmaster.pid, orphaned tools. Each test brings about its
moment deliberately (a blocked read, a held connection...), never by killing at a lucky time."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from odoosh import scratch
from odoosh.postgres import PostgresError, pg_tool
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import PostgresCluster, ServerUser
from odoosh.process import free_port

pytestmark = pytest.mark.servers  # PostgreSQL servers and tools of killed runs

REPO = Path(__file__).resolve().parents[1]
WAIT_S = 20  # for a state to be reached on a loaded machine
USER = ServerUser.resolve()
AS_SERVER_USER = {"user": USER.uid, "group": USER.gid, "extra_groups": []} if USER.name else {}


def pids_under(path: Path) -> list[int]:
    """Live processes (not zombies, not this one) whose cwd or command line mentions `path`."""
    found = []
    for pid in (int(name) for name in os.listdir("/proc") if name.isdigit()):
        if pid == os.getpid() or not alive(pid):
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if cwd == str(path) or cwd.startswith(f"{path}/") or str(path) in args:
            found.append(pid)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_for(condition, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)
    return value


def pid_file_lines(data_dir: Path) -> list[str]:
    with contextlib.suppress(OSError):
        return (data_dir / "postmaster.pid").read_text().splitlines()
    return []


def cmdline(pid: int) -> list[str]:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")[:-1]
    return []


def shm_ids() -> set[int]:
    return {int(line.split()[1]) for line in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]}


class Lab:
    """Scratch directories in a base dir of the system temp dir, and what a test starts in them."""

    def __init__(self) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="odoosh-abandoned-"))
        self.base.chmod(0o711)  # the server user must reach the clusters in it
        self.procs: list[subprocess.Popen] = []
        self.log: list[str] = []

    def scratch_dir(self, kind: str = "pg") -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"{scratch.PREFIX}{kind}-", dir=self.base))
        path.chmod(0o711)
        return path

    def cluster(self) -> PostgresCluster:
        """An initialised, never started, non-durable cluster in a new scratch directory."""
        cluster = PostgresCluster(self.scratch_dir(), durable=False, progress=lambda _: None)
        cluster.create()
        return cluster

    def spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, **kwargs)
        self.procs.append(proc)
        return proc

    def remove_abandoned(self, *paths: Path) -> list[Path]:
        """`remove_abandoned` once `paths` look abandoned: unlocked, older than MIN_AGE_S."""
        old = time.time() - scratch.MIN_AGE_S - 5
        for path in paths:
            os.utime(path, (old, old))
        return remove_abandoned(self.base, self.log.append)

    def assert_removed(self, path: Path, removed: list[Path]) -> None:
        assert path in removed
        assert not path.exists()
        assert not pids_under(path)
        assert any(str(path) in line and line.startswith("removed") for line in self.log), self.log

    def clean_up(self) -> None:
        """Kill whatever a test left (also when it failed), without the code under test."""
        segments = {
            int(lines[6].split()[1])
            for pid_file in self.base.rglob("postmaster.pid")
            if len(lines := pid_file_lines(pid_file.parent)) > 6
        }
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        for pid in pids_under(self.base):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for proc in self.procs:
            proc.wait()
        with contextlib.suppress(Exception):
            wait_for(lambda: not pids_under(self.base), "the end of the test's processes", 10)
        for shmid in segments & shm_ids():  # of a server killed above: nothing else would free it
            subprocess.run(["ipcrm", "-m", str(shmid)], capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def lab():
    lab = Lab()
    try:
        yield lab
    finally:
        lab.clean_up()


# --------------------------------------------------------------------------- the moments


ORPHANED_INITDB = """
import os, subprocess, sys, time
from odoosh import scratch
from odoosh.postgres import pg_tool
from odoosh.postgres.cluster import ServerUser
user = ServerUser.resolve()
kwargs = {"user": user.uid, "group": user.gid, "extra_groups": []} if user.name else {}
with scratch.owned_dir("pg", sys.argv[1]) as root:
    root.chmod(0o711)
    (root / "data").mkdir(mode=0o700)
    user.chown(root / "data")
    os.mkfifo(root / "initdb.pw", 0o600)  # initdb reads the password before it writes anything
    user.chown(root / "initdb.pw")
    initdb = subprocess.Popen([pg_tool("initdb"), "-D", str(root / "data"), "-U", "odoosh", "--no-sync",
                               f"--pwfile={root / 'initdb.pw'}"], cwd=root, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, **kwargs)
    print(root, initdb.pid, flush=True)
    time.sleep(600)
"""


def test_a_orphaned_initdb_before_its_bootstrap(lab):
    """The run was SIGKILLed while its initdb had not bootstrapped yet: initdb, orphaned, runs
    on (it holds no lock: Python opens the lock with O_CLOEXEC) and is blocked reading the
    password from a FIFO, deterministically before it has written anything."""
    run = lab.spawn([sys.executable, "-c", ORPHANED_INITDB, str(lab.base)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    root_text, pid_text = run.stdout.readline().split()
    root, initdb = Path(root_text), int(pid_text)
    writer = os.open(root / "initdb.pw", os.O_RDWR)  # initdb's open succeeds, its read blocks
    try:
        wait_for(
            lambda: any(
                os.readlink(f"/proc/{initdb}/fd/{fd}") == str(root / "initdb.pw")
                for fd in os.listdir(f"/proc/{initdb}/fd")
            ),
            "initdb reading the password file",
        )
        run.kill()
        run.wait()
        assert initdb in pids_under(root)  # orphaned and still running
        assert not (root / "data" / "PG_VERSION").exists()  # before the bootstrap
        lab.assert_removed(root, lab.remove_abandoned(root))
    finally:
        os.close(writer)


@pytest.mark.parametrize("mode", ["--boot", "--single"])
def test_b_single_user_bootstrap_with_a_negative_pid(lab, mode):
    """initdb's bootstrap (`postgres --boot`) and post-bootstrap (`postgres --single`) servers
    write their pid negated to postmaster.pid and pg_ctl refuses to stop them: the CI failure.
    Each is started here as initdb does, reading its commands from a pipe kept open."""
    cluster = lab.cluster()
    args = [pg_tool("postgres"), mode, "-D", str(cluster.data_dir)]
    if mode == "--boot":  # the data directory as initdb has it when it bootstraps
        (cluster.data_dir / "global" / "pg_control").unlink()
    else:
        args.append("postgres")
    backend = lab.spawn(
        args,
        cwd=cluster.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        **AS_SERVER_USER,
    )
    lines = wait_for(lambda: (lines := pid_file_lines(cluster.data_dir))[6:] and lines, f"{mode} postmaster.pid")
    assert lines[0] == f"-{backend.pid}"
    with pytest.raises(PostgresError, match="single-user server is running"):
        cluster.stop()
    lab.assert_removed(cluster.root, lab.remove_abandoned(cluster.root))
    assert int(lines[6].split()[1]) not in shm_ids()


def test_c_server_still_starting(lab):
    """Archive recovery whose restore_command never returns keeps the server in startup:
    postmaster.pid says `starting` and no connection is accepted."""
    cluster = lab.cluster()
    with (cluster.data_dir / "postgresql.conf").open("a") as conf:
        conf.write("wal_level = replica\nrestore_command = 'sleep 600'\n")
    (cluster.data_dir / "recovery.signal").touch()
    cluster.log_file.touch()
    USER.chown(cluster.log_file)
    started = USER.run(
        [
            pg_tool("pg_ctl"),
            "-D",
            str(cluster.data_dir),
            "-l",
            str(cluster.log_file),
            "-W",
            "-o",
            f"-p {free_port()}",
            "start",
        ],
        cwd=cluster.root,
        timeout=WAIT_S,
    )
    assert started.returncode == 0, started.stderr

    wait_for(
        lambda: any(cmdline(pid) == ["sleep", "600"] for pid in pids_under(cluster.root)),
        "the restore_command of the startup process",
    )
    lines = pid_file_lines(cluster.data_dir)
    assert lines[7].strip() == "starting"
    lab.assert_removed(cluster.root, lab.remove_abandoned(cluster.root))
    assert int(lines[6].split()[1]) not in shm_ids()


def test_d_running_server(lab):
    cluster = lab.cluster()
    cluster.start()
    lines = pid_file_lines(cluster.data_dir)
    assert lines[7].strip() == "ready"
    lab.assert_removed(cluster.root, lab.remove_abandoned(cluster.root))
    assert int(lines[6].split()[1]) not in shm_ids()


def test_e_shutdown_in_progress(lab):
    """A smart shutdown (SIGTERM to the postmaster) waits for the clients: one held open here
    keeps the server shutting down."""
    cluster = lab.cluster()
    cluster.start()
    client = cluster.connect(autocommit=True)
    try:
        os.kill(int(pid_file_lines(cluster.data_dir)[0]), signal.SIGTERM)
        lines = wait_for(
            lambda: (lines := pid_file_lines(cluster.data_dir))[7:] and lines[7].strip() == "stopping" and lines,
            "the smart shutdown",
        )
        lab.assert_removed(cluster.root, lab.remove_abandoned(cluster.root))
    finally:
        client.close()
    assert int(lines[6].split()[1]) not in shm_ids()


def test_f_stale_postmaster_pid_of_a_killed_server(lab):
    """A server SIGKILLed with its run leaves postmaster.pid naming a pid that is gone, and its
    shared memory segment, which nothing would ever remove."""
    cluster = lab.cluster()
    cluster.start()
    lines = pid_file_lines(cluster.data_dir)
    for pid in pids_under(cluster.root):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not pids_under(cluster.root) and not alive(int(lines[0])), "the end of the killed server")
    assert int(lines[6].split()[1]) in shm_ids()
    lab.assert_removed(cluster.root, lab.remove_abandoned(cluster.root))
    assert int(lines[6].split()[1]) not in shm_ids()


def test_f_stale_pid_reused_by_another_process_is_left_alone(lab):
    """postmaster.pid naming a pid that now belongs to an unrelated process: no signal for it."""
    root = lab.scratch_dir()
    (root / "data").mkdir()
    unrelated = lab.spawn(["sleep", "600"], cwd=lab.base)
    (root / "data" / "postmaster.pid").write_text(f"{unrelated.pid}\n{root / 'data'}\n")
    lab.assert_removed(root, lab.remove_abandoned(root))
    assert unrelated.poll() is None


ORPHANED_PG_DUMP = """
import sys
from odoosh import scratch
from odoosh.postgres import dumps

with scratch.owned_dir("snapshot", sys.argv[1]) as tmp:
    print(tmp, flush=True)
    dumps.dump(sys.argv[2], tmp / "dump", jobs=1, log=print)
"""


def test_f_orphaned_pg_dump(lab, pg, fresh_db):
    """The run was SIGKILLed during pg_dump, which writes raw production data into the scratch
    directory on its own; a lock held here keeps it waiting, so it cannot finish first."""
    with pg.connect(fresh_db) as locker:
        locker.execute("CREATE TABLE t AS SELECT 1 AS x")
        locker.commit()
        locker.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")
        run = lab.spawn(
            [sys.executable, "-c", ORPHANED_PG_DUMP, str(lab.base), pg.dsn(fresh_db)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        tmp = Path(run.stdout.readline().strip())
        with pg.connect(autocommit=True) as watcher:
            wait_for(
                lambda: watcher.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND application_name = 'pg_dump' "
                    "AND wait_event_type = 'Lock'",
                    (fresh_db,),
                ).fetchone(),
                "pg_dump waiting for the lock",
            )
        run.kill()
        run.wait()
        assert pids_under(tmp)  # pg_dump, orphaned, still running
        lab.assert_removed(tmp, lab.remove_abandoned(tmp))
        locker.rollback()


# --------------------------------------------------------------------------- failures


def test_an_unremovable_directory_is_reported_and_the_others_are_removed(lab, monkeypatch):
    stuck = lab.scratch_dir("a")  # sorted first: the ones after it must still be removed
    blocker = stuck / "immutable"
    blocker.touch()
    immutable = subprocess.run(["chattr", "+i", str(blocker)], capture_output=True).returncode == 0
    if not immutable:  # no CAP_LINUX_IMMUTABLE (docker's default): fail the removal as EPERM would
        real_rmtree = shutil.rmtree

        def rmtree(path, *args, **kwargs):
            if Path(path) == stuck:
                raise PermissionError(errno.EPERM, "Operation not permitted", str(blocker))
            return real_rmtree(path, *args, **kwargs)

        monkeypatch.setattr(shutil, "rmtree", rmtree)
    try:
        with_orphan = lab.scratch_dir("b")
        lab.spawn(["sleep", "600"], cwd=with_orphan)
        empty = lab.scratch_dir("c")
        started = time.monotonic()
        removed = lab.remove_abandoned(stuck, with_orphan, empty)
        assert time.monotonic() - started < 10
        assert removed == [with_orphan, empty]
        for path in removed:
            lab.assert_removed(path, removed)
        assert stuck.exists()
        assert any(
            line.startswith(f"could not remove {stuck}") and "Operation not permitted" in line for line in lab.log
        ), lab.log
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(blocker)], check=True)
        monkeypatch.undo()
    assert lab.remove_abandoned(stuck) == [stuck]  # once fixed, the next run removes it

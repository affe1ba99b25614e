"""PostgreSQL clusters the platform starts itself (initdb/pg_ctl on loopback).

A cluster lives in one directory: ``data/`` (PGDATA), ``socket/`` (the Unix socket, mode 700),
``server.log`` and ``cluster.json`` (written only after a successful initdb, so a directory
without it is a half-built cluster and gets rebuilt). PostgreSQL refuses to run as root, so
when this process is root the server runs as an unprivileged OS user (``postgres`` by default).
The platform connects through the Unix socket as the ``odoosh`` superuser, which needs no
password because only the server user and root can enter the socket directory; TCP on
127.0.0.1 requires a SCRAM password kept in ``password`` (mode 600).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import pwd
import secrets
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from odoosh import scratch
from odoosh.postgres import PostgresError, connect, pg_bindir, pg_tool
from odoosh.postgres.admin import DatabaseServer
from odoosh.process import free_port, port_in_use

SUPERUSER = "odoosh"
DEFAULT_SERVER_USER = "postgres"
START_TIMEOUT_S = 60
log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- server user


@dataclass(frozen=True)
class ServerUser:
    """The OS account the server processes run as (None fields: the current user)."""

    name: str | None
    uid: int
    gid: int

    @classmethod
    def resolve(cls) -> ServerUser:
        if os.geteuid() != 0:
            return cls(None, os.getuid(), os.getgid())
        name = os.environ.get("ODOOSH_PG_OS_USER", DEFAULT_SERVER_USER)
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            raise PostgresError(
                f"PostgreSQL refuses to run as root and the OS user {name!r} does not exist. "
                f"Create it (useradd --system {name}) or set ODOOSH_PG_OS_USER to an unprivileged user."
            ) from None
        if entry.pw_uid == 0:
            raise PostgresError(f"ODOOSH_PG_OS_USER={name} is root; PostgreSQL refuses to run as root.")
        return cls(name, entry.pw_uid, entry.pw_gid)

    def run(self, args: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
        """Run a server binary as this user; the output is captured for error messages."""
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, **self._as_user())

    def popen(self, args: list[str], cwd: Path) -> subprocess.Popen:
        """Start a server binary as this user without waiting (the caller can act while it runs)."""
        return subprocess.Popen(
            args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **self._as_user()
        )

    def _as_user(self) -> dict:
        kwargs = {"user": self.uid, "group": self.gid, "extra_groups": []} if self.name else {}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        return {"env": env, **kwargs}

    def chown(self, path: Path) -> None:
        if self.name:
            os.chown(path, self.uid, self.gid)

    def check_reachable(self, path: Path) -> None:
        """Fail early, with the blocking directory named, if the server user cannot reach `path`."""
        groups = {self.gid, *os.getgrouplist(pwd.getpwuid(self.uid).pw_name, self.gid)}
        for directory in [*reversed(path.parents), path]:
            if not directory.exists():
                break
            st = directory.stat()
            if st.st_uid == self.uid:
                ok = st.st_mode & stat.S_IXUSR
            elif st.st_gid in groups:
                ok = st.st_mode & stat.S_IXGRP
            else:
                ok = st.st_mode & stat.S_IXOTH
            if not ok:
                raise PostgresError(
                    f"The PostgreSQL server user (uid {self.uid}) cannot enter {directory} "
                    f"(mode {stat.filemode(st.st_mode)}, owner uid {st.st_uid}), so it cannot use "
                    f"{path}. Put the state directory somewhere it can reach (ODOOSH_STATE_DIR, "
                    "e.g. /var/lib/odoosh) or open that directory with chmod o+x."
                )


# --------------------------------------------------------------------------- cluster


@dataclass
class PostgresCluster:
    """One PostgreSQL cluster in `root`. Use `ensure_running()`; it repairs what it can."""

    root: Path
    durable: bool = True
    port: int | None = None  # fixed by configuration; None picks a free port on first start
    data_checksums: bool = False  # initdb --data-checksums: pgBackRest then verifies every page it backs up
    progress: Callable[[str], None] = log.info

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    @property
    def _meta_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def password(self) -> str:
        """SCRAM password of the superuser for TCP connections (never logged)."""
        return (self.root / "password").read_text().strip()

    # ---- lifecycle

    def ensure_running(self) -> PostgresCluster:
        """Create the cluster if missing or half-built, then start it if it is not running."""
        if not self.is_initialised():
            self.create()
        if not self.is_running():
            self.start()
        return self

    def is_initialised(self) -> bool:
        return self._meta_file.is_file() and (self.data_dir / "PG_VERSION").is_file()

    def create(self) -> None:
        user = ServerUser.resolve()
        bindir = pg_bindir()
        self._prepare_root(user)
        if self.data_dir.exists():  # a half-built cluster from an interrupted run
            self.progress(f"removing half-built cluster in {self.data_dir}")
            shutil.rmtree(self.data_dir)
        for directory in (self.data_dir, self.socket_dir):
            directory.mkdir(mode=0o700)
            user.chown(directory)
        password = secrets.token_urlsafe(24)
        pwfile = self.root / "password"
        pwfile.write_text(password + "\n")
        pwfile.chmod(0o600)
        pw_for_initdb = self.root / "initdb.pw"  # readable by the server user during initdb only
        pw_for_initdb.write_text(password + "\n")
        user.chown(pw_for_initdb)
        pw_for_initdb.chmod(0o600)
        self.progress(f"initdb {self.data_dir} (server user uid {user.uid})")
        try:
            args = [
                str(bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pw_for_initdb}",
            ]
            if not self.durable:
                args.append("--no-sync")
            if self.data_checksums:
                args.append("--data-checksums")
            result = user.run(args, cwd=self.root)
        finally:
            pw_for_initdb.unlink(missing_ok=True)
        if result.returncode != 0:
            raise PostgresError(f"initdb failed in {self.data_dir}:\n{result.stderr.strip()}")
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write(self._settings())
        self._meta_file.write_text(json.dumps({"durable": self.durable, "bindir": str(bindir)}))

    def _prepare_root(self, user: ServerUser) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise PostgresError(
                f"Cannot create {self.root}: {exc.strerror}. Choose a state directory you own (ODOOSH_STATE_DIR)."
            ) from None
        if not os.access(self.root, os.W_OK):
            owner = pwd.getpwuid(self.root.stat().st_uid).pw_name
            raise PostgresError(
                f"{self.root} belongs to {owner} and is not writable by this process. Choose "
                "another state directory (ODOOSH_STATE_DIR) or fix its ownership."
            )
        self.root.chmod(0o711)  # the server user must traverse it, nobody needs to list it
        user.check_reachable(self.root)

    def _settings(self) -> str:
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{self.socket_dir}'",
            "max_connections = 100",
            "shared_buffers = '256MB'",
            "maintenance_work_mem = '512MB'",
            "max_wal_size = '4GB'",
            "log_line_prefix = '%m [%p] %q%u@%d '",
            "shared_preload_libraries = 'pg_stat_statements'",  # slow queries (odoosh/observability)
        ]
        if not self.durable:  # scratch clusters trade crash safety for speed
            lines += [
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "wal_level = minimal",
                "max_wal_senders = 0",
                "autovacuum = off",
            ]
        return "\n# odoosh\n" + "\n".join(lines) + "\n"

    def start(self) -> None:
        user = ServerUser.resolve()
        user.check_reachable(self.root)
        port = self._choose_port()
        self.progress(f"starting PostgreSQL on 127.0.0.1:{port}")
        user.chown(self.root)
        self.log_file.touch()
        user.chown(self.log_file)
        result = user.run(
            [
                pg_tool("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-o",
                f"-p {port}",
                "start",
            ],
            cwd=self.root,
            timeout=START_TIMEOUT_S + 10,
        )
        if result.returncode != 0:
            tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
            raise PostgresError(
                f"PostgreSQL did not start in {self.data_dir} on port {port}:\n"
                f"{result.stderr.strip()}\n--- {self.log_file} ---\n{tail}"
            )
        self.port = port
        self._remember(port=port)

    def _choose_port(self) -> int:
        fixed = self.port
        remembered = json.loads(self._meta_file.read_text()).get("port")
        port = fixed or remembered or free_port()
        if port_in_use("127.0.0.1", port):
            if fixed:
                raise PostgresError(
                    f"Port {port} on 127.0.0.1 is already in use by another process. Stop that "
                    "process or configure another port for this cluster."
                )
            port = free_port()
        return port

    def _remember(self, **values) -> None:
        meta = json.loads(self._meta_file.read_text())
        meta.update(values)
        self._meta_file.write_text(json.dumps(meta))

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        result = ServerUser.resolve().run(
            [pg_tool("pg_ctl"), "-D", str(self.data_dir), "status"], cwd=self.root, timeout=30
        )
        if result.returncode == 0 and self.port is None and self._meta_file.is_file():
            self.port = json.loads(self._meta_file.read_text()).get("port")
        return result.returncode == 0

    def stop(self) -> None:
        if not self.is_running():
            return
        self.progress(f"stopping PostgreSQL in {self.data_dir}")
        result = ServerUser.resolve().run(
            [pg_tool("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"],
            cwd=self.root,
            timeout=90,
        )
        if result.returncode != 0:
            raise PostgresError(f"pg_ctl stop failed for {self.data_dir}:\n{result.stderr.strip()}")

    def destroy(self) -> None:
        """Stop the server and delete every file of the cluster."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    # ---- databases

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq connection string over the Unix socket (no password in it)."""
        port = self.port or (self.is_initialised() and json.loads(self._meta_file.read_text()).get("port"))
        if not port:
            raise PostgresError(f"The cluster in {self.root} has never been started; start it first.")
        return make_conninfo(host=str(self.socket_dir), port=port, user=SUPERUSER, dbname=dbname)

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return connect(self.dsn(dbname), **kwargs)

    @property
    def databases(self) -> DatabaseServer:
        """Create, drop, rename and swap this cluster's databases."""
        return DatabaseServer(self.dsn())


@contextlib.contextmanager
def throwaway_cluster(durable: bool = False, base_dir: str | None = None) -> Iterator[PostgresCluster]:
    """A cluster in a new scratch directory of `base_dir`, destroyed on exit; if the process
    is killed instead, `odoosh.postgres.abandoned.remove_abandoned` stops and removes it later.

    By default the system temp dir (not pytest's tmp_path or root's home) because the server
    user must be able to reach it.
    """
    with scratch.owned_dir("pg", base_dir) as root:
        cluster = PostgresCluster(root, durable=durable)
        try:
            yield cluster.ensure_running()
        finally:
            cluster.destroy()


@dataclass(frozen=True)
class Clusters:
    """The platform's named clusters, each in `<state_dir>/clusters/<name>`."""

    state_dir: Path

    def cluster(
        self, name: str, durable: bool = True, log: Callable[[str], None] | None = None, data_checksums: bool = False
    ) -> PostgresCluster:
        """The named cluster, created and started if needed."""
        cluster = self.existing(name)
        cluster.durable = durable
        cluster.data_checksums = data_checksums
        if log:
            cluster.progress = log
        return cluster.ensure_running()

    def existing(self, name: str) -> PostgresCluster:
        """The named cluster as it is, not started: for checks, which must see a stopped server."""
        return PostgresCluster(Path(self.state_dir) / "clusters" / name)

    def all(self) -> list[PostgresCluster]:
        return [PostgresCluster(root) for root in sorted((Path(self.state_dir) / "clusters").glob("*"))]

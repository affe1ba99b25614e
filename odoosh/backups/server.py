"""`pgbackrest server`, the TLS server through which the platform reaches a production on another
host (pg1-host-type=tls), run as the PostgreSQL server user from a configuration of its own.

On a real production host its DBA runs it (a systemd unit); the sandbox and the tests run one
here, on a free loopback port, to stand for that host.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from odoosh import process
from odoosh.backups import config as backup_config
from odoosh.backups.config import PGBACKREST, BackupConfig
from odoosh.postgres.cluster import ServerUser

START_TIMEOUT_S = 30
SETPRIV = "/usr/bin/setpriv"  # util-linux: odoosh.process starts servers detached, as this user


@dataclass
class PgBackRestServer:
    """The TLS server of `config` (its `tls_server` set), writing its log beside the configuration."""

    config: BackupConfig
    user: ServerUser | None = None
    pid: int | None = None

    def __post_init__(self) -> None:
        self.user = self.user or ServerUser.resolve()
        if self.config.tls_server is None:
            raise ValueError("a pgbackrest server needs a configuration with tls_server")

    @property
    def log_file(self) -> Path:
        return Path(self.config.home) / "server.out"

    def start(self) -> PgBackRestServer:
        backup_config.write(self.config, self.user)
        args = [PGBACKREST, f"--config={self.config.file}", "server"]
        if self.user.name:
            args = [SETPRIV, f"--reuid={self.user.uid}", f"--regid={self.user.gid}", "--clear-groups", "--", *args]
        offset = process.log_size(self.log_file)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        self.pid = process.start(args, self.log_file, env=env)
        port = self.config.tls_server.port
        process.wait_until_ready(
            self.pid,
            lambda: process.port_in_use("127.0.0.1", port),
            timeout=START_TIMEOUT_S,
            what=f"pgbackrest server on port {port}",
            ready_as="listen",
            log_file=self.log_file,
            log_offset=offset,
        )
        return self

    def stop(self) -> None:
        if self.pid is not None:
            process.stop(self.pid)
            self.pid = None

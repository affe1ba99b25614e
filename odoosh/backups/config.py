"""pgBackRest's configuration, generated from dataclasses (never edited by hand).

The file holds S3 credentials when a repository is in S3, because `archive_command` runs
pgBackRest from the PostgreSQL server, which passes no environment: it is written mode 600,
owned by the server user, and never logged.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from odoosh.postgres.cluster import ServerUser

PGBACKREST = "/usr/bin/pgbackrest"  # absolute: the server user's PATH may not hold it
DEFAULT_STANZA = "odoosh"
CONFIG_NAME = "pgbackrest.conf"
REPO_TYPES = ("posix", "s3")
DEFAULT_TLS_PORT = 8432  # pgbackrest server's
# pgBackRest retries a failed S3 request until its io-timeout (60 s) ends, even a certificate it
# cannot verify; the metadata commands every operation starts with (info, repo-ls) get a short one,
# so a repository that cannot work is reported in seconds.
PROBE_IO_TIMEOUT_S = 10


class BackupConfigError(RuntimeError):
    """A backup setting that cannot work, naming the setting and the fix."""


SIZE = re.compile(r"(\d+)\s*([kmgtp]i?b?|b)?", re.IGNORECASE)


def size_bytes(text: str, setting: str = "ODOOSH_BACKUP_ARCHIVE_QUEUE_MAX") -> int:
    """A size as pgBackRest reads it (`4GiB`, `512MB`, `1073741824`; its units are powers of 1024)."""
    match = SIZE.fullmatch(text.strip())
    if not match:
        raise BackupConfigError(f"{setting}={text!r} is not a size: write it like 4GiB, 512MiB or 1073741824.")
    unit = (match[2] or "b")[0].lower()
    return int(match[1]) * 1024 ** "bkmgtp".index(unit)


@dataclass(frozen=True)
class Repository:
    """One pgBackRest repository (repoN): a local directory or an S3 bucket."""

    index: int
    type: str = "posix"
    path: str = "/pgbackrest"  # posix: the directory; s3: the prefix inside the bucket
    bucket: str | None = None
    endpoint: str | None = None  # host[:port], HTTPS only
    region: str | None = None
    key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    ca_file: str | None = None  # CA bundle that signs the endpoint's certificate
    uri_style: str = "path"
    retention_full_days: int = 30
    label: str = ""

    @property
    def name(self) -> str:
        """How messages and metadata name it: `repo1 (region-a)`."""
        return f"repo{self.index}" + (f" ({self.label})" if self.label else "")

    @property
    def location(self) -> str:
        """Where it is, without credentials."""
        if self.type == "s3":
            return f"s3://{self.bucket}{self.path} at {self.endpoint} ({self.region})"
        return self.path

    def validate(self) -> None:
        var = f"ODOOSH_BACKUP_REPO{self.index}"
        if self.type not in REPO_TYPES:
            raise BackupConfigError(f"{var}_TYPE={self.type!r} is not a repository type: use posix or s3.")
        if self.type == "s3":
            missing = [
                f"{var}_{name.upper()}"
                for name in ("bucket", "endpoint", "region", "key", "secret")
                if not getattr(self, name)
            ]
            if missing:
                raise BackupConfigError(f"{self.name} is an S3 repository but {', '.join(missing)} is not set.")
            if "://" in self.endpoint:
                raise BackupConfigError(
                    f"{var}_ENDPOINT={self.endpoint!r}: give host[:port] only (pgBackRest always uses HTTPS)."
                )
        elif not os.path.isabs(self.path):
            raise BackupConfigError(f"{var}_PATH={self.path!r} must be an absolute directory.")

    def secrets(self) -> list[str]:
        return [s for s in (self.key, self.secret) if s]


@dataclass(frozen=True)
class TlsServer:
    """`pgbackrest server` on production's host: what the platform (the client whose certificate
    has CN `client_cn`, signed by `ca_file`) reaches through pg1-host-type=tls."""

    cert_file: str
    key_file: str
    ca_file: str  # signs the clients' certificates
    client_cn: str
    address: str = "*"
    port: int = DEFAULT_TLS_PORT


@dataclass(frozen=True)
class BackupConfig:
    """Everything pgbackrest.conf says: the stanza, how to reach the cluster, the repositories."""

    stanza: str
    pg_path: str
    pg_port: int
    home: str  # holds pgbackrest.conf, lock/, log/, spool/; reachable by the server user
    repos: tuple[Repository, ...]
    pg_socket_path: str | None = None
    pg_user: str = "odoosh"
    # Production on another host, reached through its `pgbackrest server` (pg1-host-type=tls):
    # the platform's client certificate and key, and the CA that signs the server's certificate.
    pg_host: str | None = None
    pg_host_port: int = DEFAULT_TLS_PORT
    pg_host_ca_file: str | None = None
    pg_host_cert_file: str | None = None
    pg_host_key_file: str | None = None
    tls_server: TlsServer | None = None  # the configuration of production's host itself
    process_max: int = 2
    compress_level: int = 1
    # Bounds pg_wal while a repository is unreachable: past it, WAL is dropped (PITR gap) rather than
    # filling production's disk. None: unbounded.
    archive_push_queue_max: str | None = "4GiB"

    @property
    def file(self) -> Path:
        return Path(self.home) / CONFIG_NAME

    def repo(self, index: int) -> Repository:
        for repo in self.repos:
            if repo.index == index:
                return repo
        raise BackupConfigError(f"repo{index} is not configured (configured: {[r.index for r in self.repos]}).")

    def secrets(self) -> list[str]:
        return [s for repo in self.repos for s in repo.secrets()]

    def validate(self) -> None:
        for repo in self.repos:
            repo.validate()
        if not self.pg_host:
            return
        missing = [
            f"ODOOSH_BACKUP_PG_HOST_{name.upper()}"
            for name in ("cert_file", "key_file", "ca_file")
            if not getattr(self, f"pg_host_{name}")
        ]
        if missing:
            raise BackupConfigError(
                f"Production's host {self.pg_host} is reached through its pgBackRest TLS server, which needs the "
                f"platform's client certificate, its key and the CA of the server's certificate: set {', '.join(missing)}."
            )
        local = [repo for repo in self.repos if repo.type != "s3"]
        if local:
            names = ", ".join(f"ODOOSH_BACKUP_REPO{r.index}_TYPE=s3" for r in local)
            raise BackupConfigError(
                f"Production runs on another host ({self.pg_host}), and its archive_command pushes WAL to every "
                f"repository from there, so each must be an S3 bucket both hosts reach; "
                f"{', '.join(r.name for r in local)} is a directory of the platform: set {names} with its _BUCKET, "
                "_ENDPOINT, _REGION, _KEY and _SECRET (README, Backups: a production on another host)."
            )


def render(config: BackupConfig) -> str:
    """The text of pgbackrest.conf (contains secrets for S3: never log it)."""
    home = Path(config.home)
    glob = {
        "lock-path": home / "lock",
        "log-path": home / "log",
        "spool-path": home / "spool",
        "log-level-file": "info",
        "log-level-console": "warn",
        "archive-async": "y",  # the only mode in which WAL keeps reaching repo2 while repo1 is down
        "compress-type": "zst",  # a corrupt zstd file is named on restore; gzip's zlib error names none
        "compress-level": config.compress_level,
        "process-max": config.process_max,
        "start-fast": "y",
        "delta": "y",
    }
    if config.archive_push_queue_max:
        size_bytes(config.archive_push_queue_max)  # a clear error before pgBackRest's
        glob["archive-push-queue-max"] = config.archive_push_queue_max
    config.validate()
    if server := config.tls_server:
        glob |= {
            "tls-server-address": server.address,
            "tls-server-port": server.port,
            "tls-server-cert-file": server.cert_file,
            "tls-server-key-file": server.key_file,
            "tls-server-ca-file": server.ca_file,
            "tls-server-auth": f"{server.client_cn}={config.stanza}",
        }
    for repo in config.repos:
        n = f"repo{repo.index}"
        glob[f"{n}-path"] = repo.path
        glob[f"{n}-retention-full-type"] = "time"
        glob[f"{n}-retention-full"] = repo.retention_full_days
        if repo.type == "s3":
            glob |= {
                f"{n}-type": "s3",
                f"{n}-s3-bucket": repo.bucket,
                f"{n}-s3-endpoint": repo.endpoint,
                f"{n}-s3-region": repo.region,
                f"{n}-s3-uri-style": repo.uri_style,
                f"{n}-s3-key": repo.key,
                f"{n}-s3-key-secret": repo.secret,
            }
            if repo.ca_file:
                glob[f"{n}-storage-ca-file"] = repo.ca_file
    stanza = {"pg1-path": config.pg_path, "pg1-port": config.pg_port, "pg1-user": config.pg_user}
    if config.pg_socket_path:
        stanza["pg1-socket-path"] = config.pg_socket_path
    if config.pg_host:
        stanza |= {"pg1-host": config.pg_host, "pg1-host-type": "tls", "pg1-host-port": config.pg_host_port}
        for option, value in (
            ("pg1-host-ca-file", config.pg_host_ca_file),
            ("pg1-host-cert-file", config.pg_host_cert_file),
            ("pg1-host-key-file", config.pg_host_key_file),
        ):
            if value:
                stanza[option] = value
    sections = {"global": glob, config.stanza: stanza}
    lines = ["# generated by odoosh (odoosh/backups/config.py): do not edit, it is rewritten before each command"]
    for section, options in sections.items():
        lines.append(f"\n[{section}]")
        lines += [f"{key}={value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"


def write(config: BackupConfig, user: ServerUser | None = None) -> Path:
    """Write pgbackrest.conf (mode 600, the server user's) and the directories it names."""
    user = user or ServerUser.resolve()
    home = Path(config.home)
    for directory in (home, home / "lock", home / "log", home / "spool"):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        user.chown(directory)
    for repo in config.repos:
        if repo.type == "posix":
            Path(repo.path).mkdir(mode=0o750, parents=True, exist_ok=True)
            user.chown(Path(repo.path))
    user.check_reachable(home)
    text = render(config)
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".pgbackrest.conf.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    user.chown(Path(tmp))
    os.replace(tmp, config.file)
    return config.file

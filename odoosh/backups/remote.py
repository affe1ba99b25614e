"""Backups of a production on another host: the platform is pgBackRest's repository host and
reaches production's cluster through the `pgbackrest server` of that host (pg1-host-type=tls,
client certificate authentication), and production's database through its DSN only.

Production's archive_command runs on its own host and pushes WAL to the repositories from
there, so both repositories must be S3 buckets that both hosts reach (a directory of the
platform would need a pgBackRest server on the platform too, which this version does not run).
The platform cannot restart that PostgreSQL: it checks the archive settings through the DSN and
names the lines its DBA must set (`archive.require_settings`).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from odoosh.backups.config import DEFAULT_TLS_PORT, BackupConfig, BackupConfigError, Repository, TlsServer
from odoosh.backups.production import Log, ProductionBackups
from odoosh.postgres import connect
from odoosh.postgres.cluster import Clusters

# ODOOSH_BACKUP_PG_HOST_* (odoosh.settings.backup_pg_host): what the platform needs to reach it
HOST_SETTINGS = {
    "host": "ODOOSH_BACKUP_PG_HOST",
    "port": "ODOOSH_BACKUP_PG_HOST_PORT",
    "cert_file": "ODOOSH_BACKUP_PG_HOST_CERT_FILE",
    "key_file": "ODOOSH_BACKUP_PG_HOST_KEY_FILE",
    "ca_file": "ODOOSH_BACKUP_PG_HOST_CA_FILE",
}
REQUIRED = ("host", "cert_file", "key_file", "ca_file")


def cluster_facts(dsn: str) -> tuple[str, int, str | None]:
    """Production's data directory, port and first socket directory, as its own server says:
    pgBackRest on that host needs them (pg1-path, pg1-port, pg1-socket-path)."""
    with connect(dsn) as conn:
        rows = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('data_directory', 'port', 'unix_socket_directories')"
            ).fetchall()
        )
    if "data_directory" not in rows:
        raise BackupConfigError(
            "ODOOSH_PROD_DSN's role cannot read production's data_directory: grant it pg_read_all_settings "
            "(pgBackRest needs the cluster's path), or use a superuser for backups."
        )
    sockets = [s.strip() for s in rows.get("unix_socket_directories", "").split(",") if s.strip()]
    return rows["data_directory"], int(rows["port"]), sockets[0] if sockets else None


def remote_backups(
    dsn: str | None,
    state_dir: Path,
    repos: tuple[Repository, ...],
    host: dict[str, str],
    *,
    stanza: str = "odoosh",
    archive_push_queue_max: str | None = "4GiB",
    log: Log = print,
    required_modules: list[str] | None = None,
    jobs: int = 2,
) -> ProductionBackups:
    """Backups of the production at `dsn`, whose host's pgBackRest TLS server `host` names
    (ODOOSH_BACKUP_PG_HOST_*); configured under `<state_dir>/backups`."""
    missing = [HOST_SETTINGS[name] for name in REQUIRED if not host.get(name)]
    if not dsn:
        raise BackupConfigError("Backups of a production on another host need its DSN: set ODOOSH_PROD_DSN.")
    if missing:
        raise BackupConfigError(
            "Production is not run by the platform (ODOOSH_PROD_DSN is set), so pgBackRest reaches it through "
            f"the pgBackRest TLS server of its host: set {', '.join(missing)} (and ODOOSH_BACKUP_PG_HOST_PORT "
            f"unless it listens on {DEFAULT_TLS_PORT}), with both repositories in S3 (README, Backups: a "
            "production on another host)."
        )
    port = host.get("port") or str(DEFAULT_TLS_PORT)
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise BackupConfigError(
            f"ODOOSH_BACKUP_PG_HOST_PORT={port!r} is not a port number (unset: {DEFAULT_TLS_PORT})."
        )
    home = Path(state_dir) / "backups"
    base = BackupConfig(
        stanza=stanza,
        pg_path="",
        pg_port=5432,
        home=str(home),
        repos=repos,
        pg_host=host["host"],
        pg_host_port=int(port),
        pg_host_cert_file=host["cert_file"],
        pg_host_key_file=host["key_file"],
        pg_host_ca_file=host["ca_file"],
        archive_push_queue_max=archive_push_queue_max,
        process_max=max(jobs, 1),
    )
    base.validate()  # S3 repositories, before production is asked anything
    pg_path, pg_port, socket = cluster_facts(dsn)
    return ProductionBackups(
        replace(base, pg_path=pg_path, pg_port=pg_port, pg_socket_path=socket),
        dsn=dsn,
        work_dir=Path(state_dir) / "work",
        log=log,
        required_modules=required_modules or ["base", "web"],
        dbname=conninfo_to_dict(dsn).get("dbname") or "postgres",
        jobs=jobs,
        copies=Clusters(Path(state_dir)),  # point-in-time recovery lands on the platform, as restore tests do
    )


def host_config(platform: BackupConfig, home: Path, server: TlsServer) -> BackupConfig:
    """The pgbackrest.conf of production's host for this platform configuration: the same stanza,
    cluster and repositories (archive-push writes to them from there), and its TLS server, which
    lets in the platform's client certificate for this stanza only. Its DBA installs it (it holds
    the repositories' S3 credentials: mode 600, the postgres user's)."""
    return replace(platform, home=str(home), pg_host=None, tls_server=server)

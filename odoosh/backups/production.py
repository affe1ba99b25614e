"""Production's backups: the operations the assets, the recovery job and the benchmark call.

In the sandbox the platform runs production's cluster itself, so it configures archiving on
it (ALTER SYSTEM, a restart when archive_mode changes) and reads the cluster's current port
before each command; a production on another host (odoosh.backups.remote) is reached through
its host's pgBackRest TLS server (`pg1-host`) and must already archive through pgBackRest (its
DBA sets what `archive.require_settings` names). Restores always happen on the platform.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from odoosh.backups import archive, restore
from odoosh.backups import verify as verify_output
from odoosh.backups.commands import BackupError, PgBackRest, stanza_mismatch
from odoosh.backups.config import BackupConfig, Repository, size_bytes
from odoosh.backups.info import BackupSet, StanzaInfo, parse
from odoosh.odoo.runtime import validate_environment_name
from odoosh.postgres import connect
from odoosh.postgres.cluster import Clusters, PostgresCluster

Log = Callable[[str], None]
SANDBOX_LABELS = {1: "region-a", 2: "region-b"}
STANZA_MISSING = {1, 3}  # info's repo status: missing stanza path / data
UNREADABLE = 99  # info's repo status: it could not read the repository (unreachable, refused, untrusted)
ARCHIVE_WAIT_S = 60


@dataclass(frozen=True)
class ArchiveState:
    info: StanzaInfo
    newest: dict[int, archive.ArchivedWal]
    archiver: archive.ArchiverStatus

    def freshest(self) -> archive.ArchivedWal | None:
        dated = [w for w in self.newest.values() if w.archived_at]
        return max(dated, key=lambda w: w.archived_at, default=None)

    def unreachable(self) -> list[int]:
        return [repo for repo, wal in self.newest.items() if not wal.reachable]


@dataclass
class ProductionBackups:
    base: BackupConfig
    dsn: str  # production's Odoo database: heartbeats and row counts
    work_dir: Path  # restore tests' scratch directories; reachable by the server user
    cluster: PostgresCluster | None = None  # production's cluster when the platform runs it
    log: Log = print
    required_modules: list[str] = field(default_factory=lambda: ["base", "web"])
    dbname: str = "odoo"
    jobs: int = 2
    copies: Clusters | None = None  # where recovered copies (point-in-time recovery) become clusters

    @property
    def config(self) -> BackupConfig:
        if self.cluster is None:
            return self.base
        if self.cluster.port is None:
            self.cluster.is_running()  # reads the port it runs on
        return replace(
            self.base,
            pg_path=str(self.cluster.data_dir),
            pg_socket_path=str(self.cluster.socket_dir),
            pg_port=self.cluster.port or self.base.pg_port,
        )

    @property
    def queue_max_bytes(self) -> int | None:
        """archive-push-queue-max: how much WAL pg_wal may hold while a repository is down."""
        queue_max = self.base.archive_push_queue_max
        return size_bytes(queue_max) if queue_max else None

    @property
    def pgbackrest(self) -> PgBackRest:
        return PgBackRest(self.config)

    @property
    def remote(self) -> bool:
        return bool(self.base.pg_host)

    @property
    def restorer(self) -> PgBackRest:
        """pgBackRest for restores, which run on the platform: for a production on another host, a
        configuration of its own without pg1-host (2.45's restore refuses to run where pg1-host is
        set: error 072), which the restored copy's restore_command (archive-get) reads too."""
        if not self.remote:
            return self.pgbackrest
        return PgBackRest(replace(self.config, pg_host=None, home=str(Path(self.base.home) / "restore")))

    # ---- archiving

    def ensure_archiving(self) -> dict[str, str]:
        """Archiving through pgBackRest on, the stanza in every reachable repository and matching
        the cluster; returns the archive settings in force."""
        config = self.config
        with connect(self.dsn, autocommit=True) as conn:
            if self.cluster is not None:
                restart = archive.configure(conn, config)
            else:
                archive.require_settings(conn, config.stanza, f"Production (host {config.pg_host})")
                restart = []
            system_id = conn.execute("SELECT system_identifier FROM pg_control_system()").fetchone()[0]
        if restart:
            self.log(f"restarting production's cluster: {', '.join(restart)} changed")
            self.cluster.stop()
            self.cluster.start()
        pgbackrest = self.pgbackrest
        info = parse(pgbackrest.info())
        if any(status.code in STANZA_MISSING for status in info.repos.values()):
            pgbackrest.stanza_create()
            info = parse(pgbackrest.info())
        for status in info.repos.values():
            if status.ok and status.system_id is not None and status.system_id != system_id:
                raise BackupError(
                    f"The stanza {config.stanza!r} in {config.repo(status.repo).name} was made for the cluster "
                    f"with system id {status.system_id}, but production's is {system_id}. "
                    + stanza_mismatch(config.stanza),
                    "051",
                    status.repo,
                )
        down = [status.repo for status in info.repos.values() if status.code == UNREADABLE]
        if self.remote and not down:
            pgbackrest.check()  # its archive_command, run on its host, reaches every repository
        elif self.remote:
            self.log(f"pgbackrest check skipped: repo{', repo'.join(map(str, down))} unreachable (see the WARN check)")
        with connect(self.dsn) as conn:
            return archive.current_settings(conn)

    def heartbeat(self) -> archive.Heartbeat:
        return archive.beat(self.dsn)

    def archive_now(self, wait_s: float = ARCHIVE_WAIT_S) -> str:
        """Switch WAL and wait until the segment is in at least one repository; returns it."""
        segment = archive.switch_wal(self.dsn)
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            state = self.archive_state()
            if any(w.segment and w.segment >= segment for w in state.newest.values()):
                return segment
            time.sleep(0.5)
        raise BackupError(
            f"WAL segment {segment} reached no repository within {wait_s:g} s. See the pgBackRest log in "
            f"{Path(self.config.home) / 'log'} and production's server log."
        )

    def archive_state(self) -> ArchiveState:
        pgbackrest = self.pgbackrest
        info = parse(pgbackrest.info())
        return ArchiveState(info, archive.newest_archived(pgbackrest, info), archive.archiver_status(self.dsn))

    # ---- backups

    def usable(self, repo: int, command: str) -> StanzaInfo:
        """`info`, or the error `command` on `repo` would end with if info could not read it: in
        seconds rather than after pgBackRest's retries (an untrusted certificate, a refused key)."""
        info = parse(self.pgbackrest.info())
        status = info.repos.get(repo)
        if status is not None and status.code == UNREADABLE:
            raise self.pgbackrest.status_error(command, repo, status.message)
        return info

    def backup(self, repo: int, type: str = "full") -> BackupSet:
        before = {b.label for b in self.usable(repo, "backup").backups}
        self.log(f"pgbackrest backup --type={type} to {self.config.repo(repo).name}")
        self.pgbackrest.backup(repo, type)
        info = parse(self.pgbackrest.info())
        new = [b for b in info.backups if b.repo == repo and b.label not in before]
        if not new:
            raise BackupError(f"pgbackrest backup to repo{repo} ended but info lists no new backup set.")
        return max(new, key=lambda b: b.stopped)

    def info(self) -> StanzaInfo:
        return parse(self.pgbackrest.info())

    def verify(self, repo: int) -> verify_output.VerifyReport:
        """What verify found in `repo`; a repository it cannot read is a failed report saying why."""
        try:
            return verify_output.parse(repo, self.pgbackrest.verify_output(repo))
        except BackupError as exc:
            return verify_output.VerifyReport(repo, False, "unreachable", [str(exc)])

    # ---- restores

    def restore_test(
        self, repo: int, target: datetime | None = None, hook: restore.Hook = lambda moment: None
    ) -> restore.RestoreReport:
        try:
            self.usable(repo, "restore")
        except BackupError as exc:
            return restore.RestoreReport(repo, restore.target_text(target), error=str(exc))
        report = restore.restore_test(
            self.restorer,
            self.work_dir,
            repo,
            target=target,
            dbname=self.dbname,
            required_modules=self.required_modules,
            jobs=self.jobs,
            log=self.log,
            hook=hook,
        )
        # zstd's "Data corruption detected" names no file, while a checksum mismatch does (which
        # one pgBackRest meets first varies): verify names every damaged file.
        if report.error and "pg_data/" not in report.error and (named := self.verify(report.repo).files):
            report = replace(report, error=f"{report.error} verify names: {'; '.join(named[:5])}")
        return report

    def recover_copy(
        self, name: str, repo: int, target: datetime | None
    ) -> tuple[PostgresCluster, restore.RestoreReport]:
        """Point-in-time recovery into a new named cluster of `copies` (never production's)."""
        if self.copies is None:
            raise BackupError("No directory for recovered copies is configured.")
        validate_environment_name(name)  # it becomes an Odoo environment too
        forbidden = [self.cluster.root] if self.cluster else []
        return restore.recover_copy(
            self.restorer,
            self.copies.existing(name).root,
            repo,
            target,
            forbidden=forbidden,
            dbname=self.dbname,
            required_modules=self.required_modules,
            log=self.log,
        )


def repositories(
    home: Path,
    retention_days: int = 30,
    settings: dict[int, dict[str, str]] | None = None,
    secrets: dict[int, tuple[str | None, str | None]] | None = None,
) -> tuple[Repository, ...]:
    """repo1 and repo2 from their settings (`odoosh.settings.backup_repository`); a repository
    with none is a local directory of the sandbox, standing for a region of its own."""
    settings, secrets = settings or {}, secrets or {}
    found = []
    for index, label in SANDBOX_LABELS.items():
        values = dict(settings.get(index) or {})
        key, secret = secrets.get(index, (None, None))
        if values.get("type", "posix") == "s3":
            values.setdefault("path", "/pgbackrest")
            label = values.get("bucket", label)
        else:
            values.setdefault("path", str(home / f"repo{index}"))
        found.append(
            Repository(index, **values, key=key, secret=secret, retention_full_days=retention_days, label=label)
        )
    return tuple(found)


def sandbox_backups(
    cluster: PostgresCluster,
    state_dir: Path,
    repos: tuple[Repository, ...] | None = None,
    *,
    stanza: str = "odoosh",
    dbname: str = "odoo",
    archive_push_queue_max: str | None = "4GiB",
    log: Log = print,
    required_modules: list[str] | None = None,
    jobs: int = 2,
) -> ProductionBackups:
    """Backups of a cluster the platform runs (the sandbox's production), configured under
    `<state_dir>/backups`."""
    home = Path(state_dir) / "backups"
    base = BackupConfig(
        stanza=stanza,
        pg_path=str(cluster.data_dir),
        pg_port=cluster.port or 5432,
        home=str(home),
        repos=repos or repositories(home),
        pg_socket_path=str(cluster.socket_dir),
        archive_push_queue_max=archive_push_queue_max,
        process_max=max(jobs, 1),
    )
    return ProductionBackups(
        base,
        dsn=cluster.dsn(dbname),
        work_dir=Path(state_dir) / "work",
        cluster=cluster,
        log=log,
        required_modules=required_modules or ["base", "web"],
        dbname=dbname,
        jobs=jobs,
        copies=Clusters(Path(state_dir)),
    )

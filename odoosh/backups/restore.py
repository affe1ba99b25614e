"""Restores, always into a new cluster, and the proofs that a restored copy works.

A restore test lands in a scratch directory (`odoosh.scratch`) of the work directory: a run
killed at any moment (pgBackRest writing files, the server replaying WAL, the proofs running)
leaves a directory whose lock is free, and the next run's `remove_abandoned` stops what still
runs there, frees its port and shared memory and deletes it. A recovered copy (point-in-time
recovery) is a named cluster of its own; production's cluster is never a target.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from psycopg import sql

from odoosh import scratch
from odoosh.backups import archive
from odoosh.backups.commands import BackupError, PgBackRest
from odoosh.backups.info import BackupSet, parse
from odoosh.odoo import smoke
from odoosh.odoo.smoke import ProbeResult
from odoosh.postgres import PostgresError, connect, pg_bindir, pg_tool
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import PostgresCluster, ServerUser

Log = Callable[[str], None]
Hook = Callable[[str], None]
# The moments of a restore test, in order; `hook(moment)` is called as each begins.
MOMENTS = ("restoring", "restored", "recovering", "proving", "destroying")
RECOVERY_TIMEOUT_S = 3600
PROMOTED_POLL_S = 0.05  # a connection and one query per poll: cheap next to replay
# A restore test's copy is destroyed after its proofs, which read data and need no durability. With
# fsync off PostgreSQL does not fsync again every file pgBackRest has just fsynced (its start after
# a backup's restore syncs the whole data directory: seconds per GB here) nor sync the end-of-recovery
# checkpoint. A crash meanwhile only ends the test (the next run removes the copy). Recovered copies,
# which an Odoo goes on using, keep fsync on.
THROWAWAY_SETTINGS = {"fsync": "off"}
# pgBackRest's restore fsyncs every file it writes, so each process waits on the disk about as long
# as it decompresses and checksums: twice as many processes as jobs keep the cores busy (scale 50 on
# 2 cores, page cache dropped: 2.6 to 5.2 s with 2 processes, 2.3 to 2.9 s with 3, 2.2 to 2.5 s with
# 4, no better with 6).
RESTORE_PROCESSES_PER_JOB = 2
# Up to pgBackRest's default archive-get-queue-max (128 MiB: 8 segments of 16 MiB), archive-get is
# synchronous (see _sync_get).
SYNC_GET_MAX_SEGMENTS = 8
AMCHECK_TIMEOUT_S = 6 * 3600
HUNDRED_GB = 100 * 10**9


@dataclass
class RestoreReport:
    repo: int
    target: str  # "latest" or the ISO time
    backup: BackupSet | None = None  # the set restored
    seconds: dict[str, float] = field(default_factory=dict)  # per phase
    proofs: list[ProbeResult] = field(default_factory=list)
    heartbeat_at: datetime | None = None
    rpo_s: float | None = None  # age of the newest heartbeat found, against the restore's start
    error: str | None = None  # the restore itself failed (pgBackRest's message, the file named)

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.proofs) and all(p.passed for p in self.proofs)

    @property
    def seconds_to_ready(self) -> float:
        """Restore, start, replay and smoke probes: a usable, smoke-tested cluster."""
        return sum(self.seconds.get(p, 0.0) for p in ("restore", "start", "replay", "smoke"))

    @property
    def throughput_bytes_per_s(self) -> float | None:
        """Bytes of the database restored per second of pgBackRest's restore (the part that grows
        with the size)."""
        if not self.backup or not self.seconds.get("restore"):
            return None
        return self.backup.size / self.seconds["restore"]

    @property
    def projected_100gb_s(self) -> float | None:
        """100 GB at the measured throughput, plus this restore's start, replay and smoke probes
        (which do not grow with the database's size)."""
        rate = self.throughput_bytes_per_s
        if not rate:
            return None
        return HUNDRED_GB / rate + self.seconds_to_ready - self.seconds["restore"]

    @property
    def failures(self) -> list[str]:
        return ([self.error] if self.error else []) + [f"{p.name}: {p.summary}" for p in self.proofs if not p.passed]


def target_text(target: datetime | None) -> str:
    return "latest" if target is None else target.astimezone(UTC).isoformat()


def _recovery_target(target: datetime) -> str:
    return target.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def restore_cluster(
    pgbackrest: PgBackRest,
    root: Path,
    repo: int,
    target: datetime | None,
    seconds: dict[str, float],
    log: Log,
    hook: Hook = lambda moment: None,
    throwaway: bool = False,
    replay_segments: int | None = None,
) -> PostgresCluster:
    """Restore `repo`'s newest backup (the newest before `target`) into `root` (a new, empty
    directory) with WAL replay to `target` (None: the newest archived WAL), start it and wait
    until it has promoted. The copy never archives: its archive_mode is off. A `throwaway` copy
    (a restore test's) runs with THROWAWAY_SETTINGS; `replay_segments` (the WAL segments archived
    after the backup, if known) picks the archive-get mode."""
    user = pgbackrest.user
    cluster = PostgresCluster(root, progress=log)
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    root.chmod(0o711)  # the server user must traverse it, nobody needs to list it
    user.check_reachable(root)
    for directory in (cluster.data_dir, cluster.socket_dir, root / "spool", root / "lock"):
        directory.mkdir(mode=0o700)
        user.chown(directory)
    # the copy's own spool and locks: its archive-get never meets production's archive-push
    own = [f"--pg1-path={cluster.data_dir}", f"--lock-path={root / 'lock'}"]
    spool = [f"--spool-path={root / 'spool'}"]
    get = own + (["--no-archive-async"] if _sync_get(replay_segments) else spool)
    restore_command = shlex.join(pgbackrest.args("archive-get", *get, repo=repo)) + " %f %p"
    args = [
        *own,
        *spool,
        "--archive-mode=off",
        f"--process-max={RESTORE_PROCESSES_PER_JOB * pgbackrest.config.process_max}",
    ]
    if target is not None:
        args += ["--type=time", f"--target={_recovery_target(target)}", "--target-action=promote"]
    log(f"pgbackrest restore from {pgbackrest.config.repo(repo).name} to {target_text(target)} into {cluster.data_dir}")
    started = time.monotonic()
    proc = pgbackrest.start("restore", *args, repo=repo)
    try:
        hook("restoring")
        pgbackrest.finish("restore", proc, repo=repo)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seconds["restore"] = round(time.monotonic() - started, 2)
    settings = {
        "unix_socket_directories": str(cluster.socket_dir),
        "listen_addresses": "127.0.0.1",
        "archive_mode": "off",
        "restore_command": restore_command,  # over pgBackRest's own line: the archive-get mode chosen here
        **(THROWAWAY_SETTINGS if throwaway else {}),
    }
    with (cluster.data_dir / "postgresql.auto.conf").open("a") as conf:  # later lines win over production's
        conf.write("\n# odoosh: a restored copy, on its own socket, never archiving\n")
        conf.writelines(f"{name} = {archive.conf_value(value)}\n" for name, value in settings.items())
    (root / "cluster.json").write_text(
        json.dumps({"durable": not throwaway, "bindir": str(pg_bindir()), "restored": True})
    )
    hook("restored")
    started = time.monotonic()
    cluster.start()
    seconds["start"] = round(time.monotonic() - started, 2)
    hook("recovering")
    started = time.monotonic()
    _wait_promoted(cluster)
    seconds["replay"] = round(time.monotonic() - started, 2)
    return cluster


def _sync_get(replay_segments: int | None) -> bool:
    """Whether the copy's archive-get should be synchronous: when the WAL to replay is a few
    segments. pgBackRest's asynchronous get forks a process to fill its queue whenever the segment
    asked for is not in its spool yet, and waits for it polling from 0.1 s: 0.2 to 0.45 s here, at
    the first segment and again at the end of recovery, which asks for the last segment twice. The
    prefetch is for more WAL (the weekly test replays hours of it, a segment a minute at least) and
    for an S3 repository's latency; with 97 segments from a local repository both modes took 18 s."""
    return replay_segments is not None and replay_segments <= SYNC_GET_MAX_SEGMENTS


def wal_segments_after(backup: BackupSet | None, newest: str | None) -> int | None:
    """How many WAL segments were archived after `backup`'s last one, up to `newest` (info's
    newest archived segment); None if unknown. Assumes 16 MiB segments (256 per log file): with
    other sizes it is only an estimate, which picks the archive-get mode and nothing else."""
    if backup is None or not newest or newest[:8] != backup.wal_stop[:8]:  # another timeline: unknown
        return None

    def position(segment: str) -> int:
        return int(segment[8:16], 16) * 256 + int(segment[16:24], 16)

    return max(position(newest) - position(backup.wal_stop), 0)


def _wait_promoted(cluster: PostgresCluster, timeout: float = RECOVERY_TIMEOUT_S) -> None:
    """Until WAL replay has ended and the copy accepts writes; a server that stops (a target
    beyond the archived WAL, a missing segment) raises with its log."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with connect(cluster.dsn(), autocommit=True) as conn:
                if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                    return
        except PostgresError:
            if not cluster.is_running():
                tail = "\n".join(cluster.log_file.read_text(errors="replace").splitlines()[-15:])
                raise BackupError(f"The restored copy stopped during WAL replay:\n{tail}") from None
        if time.monotonic() > deadline:
            raise BackupError(f"WAL replay did not end within {timeout:g} s; see {cluster.log_file}.")
        time.sleep(PROMOTED_POLL_S)


# --------------------------------------------------------------------------- proofs


def prove(
    cluster: PostgresCluster, dbname: str, required_modules: Iterable[str], jobs: int, seconds: dict[str, float]
) -> tuple[list[ProbeResult], archive.Heartbeat | None]:
    """The proofs that a restored copy is production: smoke probes, pg_amcheck over every table
    and index, the newest heartbeat, and the PII tables' rows as recorded with that heartbeat."""
    dsn = cluster.dsn(dbname)
    started = time.monotonic()
    proofs = [smoke.users_exist(dsn), smoke.modules_installed(dsn, required_modules)]
    seconds["smoke"] = round(time.monotonic() - started, 2)
    heartbeat = archive.newest_heartbeat(dsn)
    proofs.append(
        ProbeResult(
            "heartbeat", True, f"newest heartbeat {heartbeat.at.isoformat()} (id {heartbeat.id})", {"id": heartbeat.id}
        )
        if heartbeat
        else ProbeResult("heartbeat", False, f"no heartbeat in {archive.SCHEMA}.{archive.TABLE}: replay reached none")
    )
    if heartbeat:
        proofs.append(pii_rows(dsn, heartbeat))  # before amcheck, whose --install-missing commits in the copy
    started = time.monotonic()
    proofs.append(amcheck(cluster, jobs))
    seconds["amcheck"] = round(time.monotonic() - started, 2)
    return proofs, heartbeat


def amcheck(cluster: PostgresCluster, jobs: int) -> ProbeResult:
    """`pg_amcheck --all`: every table's heap and every btree index of every database."""
    args = [
        pg_tool("pg_amcheck"),
        "--host",
        str(cluster.socket_dir),
        "--port",
        str(cluster.port),
        "--username",
        "odoosh",
        "--all",
        "--install-missing",
        f"--jobs={max(jobs, 1)}",
    ]
    result = ServerUser.resolve().run(args, cwd=cluster.root, timeout=AMCHECK_TIMEOUT_S)
    output = (result.stdout + result.stderr).splitlines()
    lines = [line for line in output if line.strip() and not line.startswith("NOTICE:")]  # --install-missing's
    if result.returncode == 0:
        return ProbeResult("amcheck", True, "pg_amcheck found no corruption in any table or index", {})
    return ProbeResult(
        "amcheck",
        False,
        f"pg_amcheck exit {result.returncode}: " + " | ".join(lines[:5]),
        {"lines": lines[:50]},
    )


def pii_rows(dsn: str, heartbeat: archive.Heartbeat) -> ProbeResult:
    """The PII tables hold the rows production held when the newest heartbeat counted them.

    Exact, so sound only if no other transaction committed after the counts' snapshot: then the
    copy holds exactly what that snapshot saw. Otherwise (production was writing) the counts are
    reported but not judged; the transactions that committed since are named by number."""
    with connect(dsn) as conn:
        restored = {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in heartbeat.pii_rows
        }
        since = _committed_since(conn, heartbeat)
    differ = {t: {"heartbeat": n, "restored": restored[t]} for t, n in heartbeat.pii_rows.items() if restored[t] != n}
    details = {"restored": restored, "differ": differ, "committed_since": since}
    if since is None or since > 0:
        why = "the heartbeat recorded no snapshot" if since is None else f"{since} transactions committed after them"
        return ProbeResult(
            "pii_rows",
            True,
            f"PII row counts not compared: {why} (production was writing); "
            f"{len(restored)} PII tables hold {sum(restored.values())} rows",
            {**details, "compared": False},
        )
    summary = (
        f"rows differ from those recorded at the heartbeat: {differ}"
        if differ
        else f"{len(restored)} PII tables hold the rows recorded at the heartbeat ({sum(restored.values())} rows)"
    )
    return ProbeResult("pii_rows", not differ, summary, {**details, "compared": True})


def _committed_since(conn, heartbeat: archive.Heartbeat) -> int | None:
    """How many transactions other than the heartbeat's committed without being visible to its
    snapshot (those in progress when it was taken, and those after it), up to now: pg_xact
    holds their fate in the copy as in production. None if the heartbeat has no snapshot."""
    if heartbeat.snapshot is None or heartbeat.xid is None:
        return None
    return conn.execute(
        """
        WITH s AS (SELECT %s::pg_snapshot AS taken, pg_snapshot_xmax(pg_current_snapshot()) AS now),
        candidates AS (
            SELECT pg_snapshot_xip(taken) AS xid FROM s
            UNION
            SELECT (n::text)::xid8 FROM s, generate_series(
                pg_snapshot_xmax(taken)::text::bigint, now::text::bigint - 1) AS n
        )
        SELECT count(*) FROM candidates WHERE xid <> %s::text::xid8 AND pg_xact_status(xid) = 'committed'
        """,
        (heartbeat.snapshot, heartbeat.xid),
    ).fetchone()[0]


# --------------------------------------------------------------------------- restore test, recovered copy


def restore_test(
    pgbackrest: PgBackRest,
    work_dir: Path,
    repo: int,
    *,
    target: datetime | None = None,
    dbname: str = "odoo",
    required_modules: Iterable[str] = ("base", "web"),
    jobs: int = 2,
    log: Log = print,
    hook: Hook = lambda moment: None,
) -> RestoreReport:
    """Restore into a throwaway cluster, prove it, destroy it. A failed restore is a report with
    its `error`, not an exception: the check says what failed."""
    remove_abandoned(work_dir, log)  # the restore tests of killed runs
    requested = datetime.now(UTC)
    report = RestoreReport(repo, target_text(target))
    report.backup, replay_segments = _backup_restored(pgbackrest, repo, target)
    cluster = None
    with scratch.owned_dir("restore", work_dir) as root:
        try:
            cluster = restore_cluster(
                pgbackrest,
                root,
                repo,
                target,
                report.seconds,
                log,
                hook,
                throwaway=True,
                replay_segments=replay_segments,
            )
            hook("proving")
            report.proofs, heartbeat = prove(cluster, dbname, required_modules, jobs, report.seconds)
            if heartbeat:
                report.heartbeat_at = heartbeat.at
                report.rpo_s = round(((target or requested) - heartbeat.at).total_seconds(), 1)
        except (BackupError, PostgresError, subprocess.SubprocessError) as exc:
            report.error = str(exc)
        finally:
            hook("destroying")
            (cluster or PostgresCluster(root)).destroy()  # also a server a failed replay left running
    return report


def _backup_restored(pgbackrest: PgBackRest, repo: int, target: datetime | None) -> tuple[BackupSet | None, int | None]:
    """The set pgBackRest picks: the newest one of `repo` (that ended before `target`), and how
    many WAL segments `repo` holds after it (an upper bound of what replay reads to `target`)."""
    try:
        info = parse(pgbackrest.info())
    except BackupError:
        return None, None
    sets = [b for b in info.backups if b.repo == repo and (target is None or b.stopped <= target)]
    backup = max(sets, key=lambda b: b.stopped, default=None)
    status = info.repos.get(repo)
    return backup, wal_segments_after(backup, status.wal_max if status else None)


def recover_copy(
    pgbackrest: PgBackRest,
    root: Path,
    repo: int,
    target: datetime | None,
    *,
    forbidden: Iterable[Path] = (),
    dbname: str = "odoo",
    required_modules: Iterable[str] = ("base", "web"),
    log: Log = print,
) -> tuple[PostgresCluster, RestoreReport]:
    """Point-in-time recovery into the new cluster directory `root`, which must not exist and
    must not be one of `forbidden` (production's): it is kept running for an Odoo to use."""
    root = Path(root)
    if any(root.resolve() == Path(p).resolve() for p in forbidden) or root.exists():
        raise BackupError(f"Refusing to restore into {root}: it exists (or is production's cluster). Pick a new name.")
    report = RestoreReport(repo, target_text(target))
    report.backup, replay_segments = _backup_restored(pgbackrest, repo, target)
    try:
        cluster = restore_cluster(pgbackrest, root, repo, target, report.seconds, log, replay_segments=replay_segments)
    except Exception:
        PostgresCluster(root).destroy()  # a half-restored copy is worth nothing: stopped and removed
        raise
    dsn = cluster.dsn(dbname)
    report.proofs = [smoke.users_exist(dsn), smoke.modules_installed(dsn, required_modules)]
    heartbeat = archive.newest_heartbeat(dsn)
    report.heartbeat_at = heartbeat.at if heartbeat else None
    return cluster, report

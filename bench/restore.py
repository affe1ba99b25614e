"""Benchmark: a pgBackRest restore to a started, smoke-tested cluster against a plain copy.

Builds a synthetic Odoo production database (scale 50 is about 1.1 GB) in a cluster with data
checksums that archives through pgBackRest, takes a full backup into a local repository, stops
production (so the copy is consistent), then `--repeat` times, alternating which side goes first,
times
  restore: what the restore_test asset does (odoosh.backups.production.ProductionBackups.restore_test):
           pgbackrest restore, start, WAL replay, smoke probes (then pg_amcheck and the other proofs,
           timed apart)
  plain:   `tar` of the same PGDATA without pg_wal to the same disk, then fsync of the archive:
           each side ends when what it wrote is durable (pgBackRest fsyncs every file it restores)
and prints each run, the medians, their ratio and the projected time for 100 GB. As root (unless
--keep-cache), the page cache is dropped before each side, so both read their input from the disk:
the repository (compressed) for the restore, the whole PGDATA for tar. Everything lives in one
scratch directory removed at the end.

    .venv/bin/python bench/restore.py --scale 50 [--jobs 2] [--repeat 3] [--keep-cache]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from odoosh import scratch
from odoosh.backups.production import sandbox_backups
from odoosh.backups.restore import RestoreReport
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import PostgresCluster
from odoosh.sandbox import synthetic

DROP_CACHES = Path("/proc/sys/vm/drop_caches")
PHASES = ("restore", "start", "replay", "smoke", "amcheck")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (medians are reported)")
    parser.add_argument("--keep-cache", action="store_true", help="do not drop the page cache between sides")
    args = parser.parse_args()
    log = lambda message: print(f"  {message}", flush=True)  # noqa: E731
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    cold = os.geteuid() == 0 and not args.keep_cache
    if not cold:
        print("page cache kept (--keep-cache or not root): both sides may read from memory")

    remove_abandoned(tempfile.gettempdir(), log)  # the scratch of a benchmark that was killed
    with scratch.owned_dir("bench") as work:
        work.chmod(0o711)
        prod = PostgresCluster(work / "prod", data_checksums=True, progress=log)
        try:
            prod.ensure_running()
            size = _build(prod, args)
            backups = sandbox_backups(prod, work, jobs=args.jobs, log=log)
            backups.ensure_archiving()
            backups.heartbeat()
            backups.archive_now()
            backup = backups.backup(1)
            prod.stop()  # a consistent PGDATA for tar; the repository holds every WAL the restore needs
            pgdata = _tree_size(prod.data_dir, exclude="pg_wal")
            reports: list[RestoreReport] = []
            tars: list[float] = []
            for run in range(args.repeat):
                sides = [("tar", lambda: tars.append(_tar(prod.data_dir, work / "pgdata.tar")))]
                sides.append(("restore", lambda: reports.append(backups.restore_test(1))))
                for name, side in sides if run % 2 == 0 else reversed(sides):
                    if cold:
                        _drop_caches()
                    side()
                    if name == "restore" and not reports[-1].passed:
                        raise SystemExit(f"the restore test failed: {reports[-1].failures}")
                print(f"run {run + 1}: restore {reports[-1].seconds_to_ready:.2f} s, tar {tars[-1]:.2f} s", flush=True)
        finally:
            prod.destroy()

    print(f"\n{'run':<5}" + "".join(f"{p:>9}" for p in PHASES) + f"{'ready':>9}{'tar':>9}{'ratio':>9}{'100 GB':>9}")
    for run, (report, tar_s) in enumerate(zip(reports, tars, strict=True), 1):
        phases = "".join(f"{report.seconds[p]:>9.2f}" for p in PHASES)
        ready = report.seconds_to_ready
        projected = f"{report.projected_100gb_s / 60:.1f} min"
        print(f"{run:<5}{phases}{ready:>9.2f}{tar_s:>9.2f}{ready / tar_s:>9.2f}{projected:>9}")
    ready = statistics.median(r.seconds_to_ready for r in reports)
    tar_s = statistics.median(tars)
    restore_s = statistics.median(r.seconds["restore"] for r in reports)
    projected = statistics.median(r.projected_100gb_s for r in reports)
    medians = "".join(f"{statistics.median(r.seconds[p] for r in reports):>9.2f}" for p in PHASES)
    print(f"{'med':<5}{medians}{ready:>9.2f}{tar_s:>9.2f}{ready / tar_s:>9.2f}{f'{projected / 60:.1f} min':>9}")
    print(
        f"\ndatabase {size / 1e9:.2f} GB, PGDATA without pg_wal {pgdata / 1e9:.2f} GB, backup set {backup.size / 1e9:.2f} GB"
    )
    print(f"backup (full, zstd {backups.config.compress_level}) {backup.seconds:.1f} s")
    print(f"repository {backup.repo_size / 1e9:.2f} GB, jobs {args.jobs}, page cache dropped: {cold}")
    print(
        f"restore to a started, smoke-tested cluster (median of {args.repeat}): {ready:.2f} s (restore {restore_s:.2f} s)"
    )
    print(f"ratio restore / tar (medians): {ready:.2f} / {tar_s:.2f} = {ready / tar_s:.2f}")
    paired = statistics.median(r.seconds_to_ready / t for r, t in zip(reports, tars, strict=True))
    print(f"ratio restore / tar of each run (median): {paired:.2f}")
    print(f"restore throughput {backup.size / restore_s / 1e6:.0f} MB/s")
    print(f"projected 100 GB restore (median): {projected / 60:.1f} min")


def _build(prod: PostgresCluster, args) -> int:
    prod.databases.create("odoo")
    print(f"building synthetic production, scale {args.scale}")
    started = time.monotonic()
    synthetic.build(prod.dsn("odoo"), scale=args.scale, seed=args.seed, progress=lambda m: print(f"  {m}"))
    with prod.connect("odoo") as conn:
        size, pretty = conn.execute(
            "SELECT pg_database_size('odoo'), pg_size_pretty(pg_database_size('odoo'))"
        ).fetchone()
    print(f"production: {pretty} built in {time.monotonic() - started:.0f}s")
    return size


def _drop_caches() -> None:
    """Write back, then drop the page cache: the next side reads its input from the disk."""
    os.sync()
    DROP_CACHES.write_text("3\n")


def _tar(data_dir: Path, out: Path) -> float:
    """tar, then fsync of the archive and its directory: durable, as pgBackRest's restored files are."""
    started = time.monotonic()
    subprocess.run(["tar", "-cf", str(out), "--exclude=./pg_wal", "-C", str(data_dir), "."], check=True)
    for path, flags in ((out, os.O_RDONLY), (out.parent, os.O_RDONLY | os.O_DIRECTORY)):
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    seconds = time.monotonic() - started
    out.unlink()
    return seconds


def _tree_size(path: Path, exclude: str) -> int:
    return sum(
        f.stat().st_size for f in path.rglob("*") if f.is_file() and exclude not in f.relative_to(path).parts[:1]
    )


if __name__ == "__main__":
    main()

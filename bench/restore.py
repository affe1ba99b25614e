"""Benchmark: a pgBackRest restore to a started, smoke-tested cluster against a plain copy.

Builds a synthetic Odoo production database (scale 50 is about 1.1 GB) in a cluster with data
checksums that archives through pgBackRest, takes a full backup into a local repository, then in
one run times
  restore: what the restore_test asset does (odoosh.backups.production.ProductionBackups.restore_test):
           pgbackrest restore, start, WAL replay, smoke probes (then pg_amcheck and the other proofs,
           timed apart)
  plain:   `tar` of the same PGDATA without pg_wal, to the same disk (production stopped, so the
           copy is consistent)
and prints them, their ratio and the projected time for 100 GB. Everything lives in one scratch
directory removed at the end.

    .venv/bin/python bench/restore.py --scale 50 [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from odoosh import scratch
from odoosh.backups.production import sandbox_backups
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import PostgresCluster
from odoosh.sandbox import synthetic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    log = lambda message: print(f"  {message}", flush=True)  # noqa: E731
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

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
            tar_s = _tar(prod.data_dir, work / "pgdata.tar")
            (work / "pgdata.tar").unlink()
            report = backups.restore_test(1)
        finally:
            prod.destroy()
    if not report.passed:
        raise SystemExit(f"the restore test failed: {report.failures}")

    print(f"\n{'phase':<50}{'seconds':>10}")
    print(f"{'backup (full, zstd ' + str(backups.config.compress_level) + ')':<50}{backup.seconds:>10.1f}")
    for phase, seconds in report.seconds.items():
        print(f"{'restore test ' + phase:<50}{seconds:>10.1f}")
    print(f"{'plain tar of PGDATA without pg_wal':<50}{tar_s:>10.1f}")
    print(
        f"\ndatabase {size / 1e9:.2f} GB, PGDATA without pg_wal {pgdata / 1e9:.2f} GB, backup set {backup.size / 1e9:.2f} GB"
    )
    print(f"repository {backup.repo_size / 1e9:.2f} GB, jobs {args.jobs}")
    ready = report.seconds_to_ready
    print(f"restore to a started, smoke-tested cluster: {ready:.1f}s (restore {report.seconds['restore']:.1f}s)")
    print(f"ratio restore / tar: {ready:.1f} / {tar_s:.1f} = {ready / tar_s:.2f}")
    print(f"restore throughput {report.throughput_bytes_per_s / 1e6:.0f} MB/s")
    print(f"projected 100 GB restore: {report.projected_100gb_s / 60:.1f} min")


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


def _tar(data_dir: Path, out: Path) -> float:
    started = time.monotonic()
    subprocess.run(["tar", "-cf", str(out), "--exclude=./pg_wal", "-C", str(data_dir), "."], check=True)
    os.sync()  # the restore's files are durable when it ends (PostgreSQL syncs them): so are tar's
    return time.monotonic() - started


def _tree_size(path: Path, exclude: str) -> int:
    return sum(
        f.stat().st_size for f in path.rglob("*") if f.is_file() and exclude not in f.relative_to(path).parts[:1]
    )


if __name__ == "__main__":
    main()

"""Benchmark: the staging pipeline against plain pg_dump -Fd -j N + pg_restore -j N.

Builds a synthetic Odoo production database (scale 50 is about 1.1 GB), then in one run times
  pipeline: dump, quarantine restore, fingerprint, neutralize, scrub, constraints, verify,
            dump scrubbed, staging restore, swap
  plain:    pg_dump -Fd -j N, pg_restore -j N into a new database, once with pg_dump's default
            compression and once with the pipeline's (ODOOSH_DUMP_COMPRESSION, unset 0), before
            the pipeline and after it
and prints them and the ratios, against the mean of the plain runs before and after. Every
server is a throwaway cluster removed at the end.

    .venv/bin/python bench/staging_pipeline.py --scale 50 [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from odoosh import scratch, settings
from odoosh.odoo import smoke
from odoosh.phases import Phases
from odoosh.postgres import dumps
from odoosh.postgres.abandoned import remove_abandoned
from odoosh.postgres.cluster import Clusters, PostgresCluster, throwaway_cluster
from odoosh.sandbox import synthetic
from odoosh.sandbox.staging import CLUSTER as STAGING_CLUSTER
from odoosh.sandbox.staging import sandbox_staging
from odoosh.staging import promote, quarantine, snapshot
from odoosh.staging.scrub.policy import load_policy

STAGING_DB = "odoo_staging"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    log = lambda message: print(f"  {message}", flush=True)  # noqa: E731
    # A benchmark stopped with SIGTERM (kill, a timeout) still stops and removes its clusters;
    # one killed with SIGKILL leaves them to the next run.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    level = settings.dump_compression()
    remove_abandoned(tempfile.gettempdir(), log)  # the clusters of a benchmark that was killed
    with scratch.owned_dir("bench") as work:
        work.chmod(0o711)
        clusters = Clusters(work)
        try:
            with throwaway_cluster(durable=True, base_dir=str(work)) as prod:
                size = _build(prod, args)
                staging_cluster = clusters.cluster(STAGING_CLUSTER)
                plain = _plain(prod, staging_cluster, work, args.jobs, log, compression=None)
                same_level = _plain(prod, staging_cluster, work, args.jobs, log, compression=level)
                started = time.monotonic()
                phases = _pipeline(prod, clusters, work, args.jobs, log, level)
                total_pipeline = time.monotonic() - started
                phases["other (initdb, checksums, copies)"] = total_pipeline - sum(phases.values())
                # Once more after the pipeline: on a shared machine the ratio is taken against
                # the mean of the plain runs around it, not against one moment's load.
                plain = _mean(plain, _plain(prod, staging_cluster, work, args.jobs, log, compression=None))
                same_level = _mean(same_level, _plain(prod, staging_cluster, work, args.jobs, log, compression=level))
        finally:
            clusters.existing(STAGING_CLUSTER).destroy()

    print(f"\n{'phase':<50}{'seconds':>10}")
    for name, seconds in phases.items():
        print(f"{'pipeline ' + name:<50}{seconds:>10.1f}")
    for label, figures in (("plain", plain), (f"plain -Z {level}", same_level)):
        for name, seconds in figures.items():
            print(f"{label + ' ' + name:<50}{seconds:>10.1f}")
    print(f"\ndatabase size {size / 1e9:.2f} GB, jobs {args.jobs}")
    print(f"pipeline total {total_pipeline:.1f}s (its dumps use -Z {level})")
    for label, figures in (
        ("plain pg_dump + pg_restore (pg_dump's default compression)", plain),
        (f"plain pg_dump -Z {level} + pg_restore (the pipeline's compression)", same_level),
    ):
        print(
            f"ratio pipeline / {label}: {total_pipeline:.1f} / {sum(figures.values()):.1f} "
            f"= {total_pipeline / sum(figures.values()):.2f}"
        )


def _build(prod: PostgresCluster, args) -> int:
    prod.databases.create("odoo")
    print(f"building synthetic production, scale {args.scale}")
    started = time.monotonic()
    synthetic.build(prod.dsn("odoo"), scale=args.scale, seed=args.seed, progress=lambda m: print(f"  {m}"))
    with prod.connect("odoo") as conn:
        size, pretty = conn.execute(
            "SELECT pg_database_size('odoo'), pg_size_pretty(pg_database_size('odoo'))"
        ).fetchone()
    print(f"production: {pretty} built in {time.monotonic() - started:.0f}s; jobs={args.jobs}")
    return size


def _mean(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """The mean of two plain runs, step by step; their spread is printed."""
    for name in before:
        print(f"  plain {name}: {before[name]:.1f}s before the pipeline, {after[name]:.1f}s after")
    return {name: (before[name] + after[name]) / 2 for name in before}


def _plain(
    prod: PostgresCluster, staging_cluster: PostgresCluster, work: Path, jobs: int, log, compression: int | None
) -> dict[str, float]:
    """pg_dump + pg_restore of production into the staging cluster, nothing else."""
    seconds = {}
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        started = time.monotonic()
        dumps.dump(prod.dsn("odoo"), Path(tmp) / "dump", jobs=jobs, log=log, compression=compression)
        seconds["pg_dump"] = time.monotonic() - started
        staging_cluster.databases.create("plain")
        started = time.monotonic()
        dumps.restore(staging_cluster.dsn("plain"), Path(tmp) / "dump", jobs=jobs, log=log)
        seconds["pg_restore"] = time.monotonic() - started
        staging_cluster.databases.drop("plain")
    return seconds


def _pipeline(prod: PostgresCluster, clusters: Clusters, work: Path, jobs: int, log, level: int) -> dict[str, float]:
    """The staging chain as the assets run it: snapshot, quarantine, promote."""
    phases = Phases(log)
    staging = sandbox_staging(clusters.state_dir, STAGING_DB)
    quarantine_settings = quarantine.QuarantineSettings(
        policy=load_policy([settings.SANDBOX_POLICY]),
        salt="bench-salt",
        admin_password="admin",
        base_url="http://staging.invalid",
        smtp_host="127.0.0.1",
        smtp_port=1025,
        jobs=jobs,
        work_dir=work,
        compression=level,
    )
    probes = [smoke.users_exist, lambda dsn: smoke.modules_installed(dsn, ["base", "web", "mail"])]
    with tempfile.TemporaryDirectory(dir=work) as snap, tempfile.TemporaryDirectory(dir=work) as out:
        with phases("dump_snapshot"):
            snapshot.snapshot(prod.dsn("odoo"), Path(snap) / "artifact", jobs=jobs, log=log, compression=level)
        gates, _ = quarantine.quarantine(Path(snap) / "artifact", Path(out) / "artifact", quarantine_settings, phases)
        if not gates.passed:
            raise SystemExit(f"gates failed: {gates}")
        promote.promote_candidate(Path(out) / "artifact", staging, probes, jobs=jobs, phases=phases)
    return phases.seconds


if __name__ == "__main__":
    main()

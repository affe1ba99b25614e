"""The staging pipeline's steps without Dagster: snapshot, quarantine, staging restore.

The assets in `odoosh_assets.staging` call these, and so does the benchmark, so both measure
the same code. Raw production data exists only in the snapshot directory and in the throwaway
quarantine cluster; what leaves `quarantine()` has passed every gate, or nothing leaves.

A scrubbed dump is two archives: `schema`, production's schema without a row, dumped from a
database restored from the snapshot's schema alone; and `data`, the quarantine's rows. The
quarantine thus holds tables and rows only, unlogged and unindexed: nothing it does pays for
WAL or index upkeep, and indexes and constraints are built once, in staging, after the rows.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import psycopg
from psycopg import sql

from odoosh import dumps, neutralize
from odoosh.scrub import constraints, coverage, leaks, scrubber
from odoosh.scrub.policy import Policy
from resources.artifacts import sha256_tree, verify_tree
from resources.postgres import PostgresCluster, PostgresError, connect, throwaway_cluster

Log = Callable[[str], None]
QUARANTINE_DB = "quarantine"
SCHEMA_DB = "schema"  # production's schema without a row, on the quarantine's cluster
MANIFEST = "manifest.json"
LAYOUT = 2  # of an artifact's archives; 2: scrubbed dumps are `schema` + `data`
# Tables with fewer rows stay logged: their WAL costs less than the ALTER TABLE (Odoo has 700+).
UNLOGGED_MIN_ROWS = 10_000


@dataclass
class Phases:
    """Wall time per pipeline phase, logged as each ends."""

    log: Log
    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.log(f"{name}: started")
        started = time.monotonic()
        yield
        self.seconds[name] = round(time.monotonic() - started, 2)
        self.log(f"{name}: {self.seconds[name]:.1f}s")


# --------------------------------------------------------------------------- snapshot


def table_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table of schema public, as this transaction sees them."""
    tables = [name for (name,) in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    return {
        table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
        for table in tables
    }


def snapshot(dsn: str, artifact_dir: Path, *, jobs: int, log: Log) -> dict:
    """Dump production into `artifact_dir/dump` and write `artifact_dir/manifest.json`.

    The row counts and the dump read one exported snapshot, so the counts are exactly what
    the dump holds and the quarantine restore can be verified against them.
    """
    started = time.monotonic()
    artifact_dir.mkdir()
    with connect(dsn) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        exported = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        dumps.dump(dsn, artifact_dir / "dump", jobs=jobs, log=log, snapshot=exported)
        rows = table_rows(conn)
        conn.rollback()
    return _write_manifest(artifact_dir, {"seconds": round(time.monotonic() - started, 2), "rows": rows})


def _write_manifest(artifact_dir: Path, facts: dict) -> dict:
    """Write the manifest of the archives in `artifact_dir`: `facts`, sizes and checksums."""
    checksums = sha256_tree(artifact_dir)
    manifest = {"layout": LAYOUT, "created_at": datetime.now(timezone.utc).isoformat(), **facts,
                "size_bytes": sum((artifact_dir / name).stat().st_size for name in checksums),
                "checksums": checksums}
    (artifact_dir / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return manifest


def verified(artifact_dir: Path) -> dict:
    """The artifact's manifest, after checking every file of its archives against it."""
    manifest = json.loads((artifact_dir / MANIFEST).read_text())
    if manifest.get("layout") != LAYOUT:
        raise PostgresError(f"{artifact_dir} was written by another version of odoosh (layout "
                            f"{manifest.get('layout', 1)}, this one reads {LAYOUT}): materialise prod_snapshot "
                            "and scrubbed_dump again to replace it.")
    if problems := verify_tree(artifact_dir, manifest["checksums"], ignore=(MANIFEST,)):
        raise PostgresError(f"The dump in {artifact_dir} does not match its manifest: {'; '.join(problems[:5])}")
    return manifest


# --------------------------------------------------------------------------- quarantine


@dataclass(frozen=True)
class Gates:
    """What the verification found; the dump is published only if `passed`."""

    unclassified_columns: list[str]
    leaks: dict[str, int]
    neutralisation_failures: list[str]

    @property
    def passed(self) -> bool:
        return not (self.unclassified_columns or self.leaks or self.neutralisation_failures)


@dataclass(frozen=True)
class QuarantineSettings:
    policy: Policy
    salt: str
    admin_password: str
    base_url: str
    smtp_host: str
    smtp_port: int
    jobs: int
    work_dir: Path  # reachable by the PostgreSQL server user


def quarantine(snapshot_dir: Path, out_dir: Path, settings: QuarantineSettings, phases: Phases) -> tuple[Gates, dict]:
    """Restore, neutralise, scrub and verify a snapshot in a throwaway cluster.

    Writes the scrubbed dump (`schema` and `data`) and its manifest into `out_dir` only if
    every gate passes. Returns the gates and a summary of what was done (counts, never values).
    """
    manifest = verified(snapshot_dir)
    archive = snapshot_dir / "dump"
    log = phases.log
    with throwaway_cluster(durable=False, base_dir=str(settings.work_dir)) as cluster:
        dsn, schema_dsn = cluster.dsn(QUARANTINE_DB), cluster.dsn(SCHEMA_DB)
        with phases("quarantine_restore"):
            _restore(cluster, archive, manifest["rows"], jobs=settings.jobs, log=log)
        with phases("fingerprint"):
            leaks.record_fingerprints(dsn, settings.salt, jobs=settings.jobs)
        with phases("neutralise"), connect(dsn) as conn:
            actions = neutralize.neutralize(
                conn, base_url=settings.base_url, smtp_host=settings.smtp_host, smtp_port=settings.smtp_port)
            conn.commit()
        with phases("scrub"):
            # Without indexes: every UPDATE would otherwise maintain them row by row.
            scrub_stats = scrubber.scrub(dsn, settings.policy, salt=settings.salt,
                                         admin_password=settings.admin_password, jobs=settings.jobs, progress=log)
        with phases("constraints"):
            proven = _prove_constraints(schema_dsn, dsn, scrub_stats["columns"])
        with phases("verify"), connect(dsn) as conn:
            gates = Gates(
                unclassified_columns=coverage.unclassified_columns(conn, settings.policy),
                leaks=leaks.find_leaks(dsn, settings.salt, jobs=settings.jobs),
                neutralisation_failures=neutralize.verify_neutralized(
                    conn, base_url=settings.base_url, smtp_host=settings.smtp_host, smtp_port=settings.smtp_port),
            )
            leaks.drop_fingerprints(conn)
            conn.commit()
        summary = {"neutralisation_actions": actions, "scrub": scrub_stats, "rows": manifest["rows"],
                   "constraints_proven": proven}
        if gates.passed:
            out_dir.mkdir()
            with phases("dump_scrubbed"):
                dumps.dump(schema_dsn, out_dir / "schema", jobs=1, log=log)
                dumps.dump(dsn, out_dir / "data", jobs=settings.jobs, log=log, sections=["data"])
                _write_manifest(out_dir, {"gates_passed": True, "source_created_at": manifest["created_at"]})
    return gates, summary


def _restore(cluster: PostgresCluster, archive: Path, rows: dict[str, int], *, jobs: int, log: Log) -> None:
    """The schema database (the snapshot's pre- and post-data, no rows), and the quarantine:
    a clone of its pre-data, loaded with the snapshot's rows and checked against `rows`."""
    schema_dsn, dsn = cluster.dsn(SCHEMA_DB), cluster.dsn(QUARANTINE_DB)
    cluster.create_database(SCHEMA_DB)
    dumps.restore(schema_dsn, archive, jobs=1, log=log, sections=["pre-data"])
    cluster.create_database(QUARANTINE_DB, template=SCHEMA_DB)
    dumps.restore(schema_dsn, archive, jobs=jobs, log=log, sections=["post-data"])
    with connect(dsn, autocommit=True) as conn:
        # Still empty, big tables become unlogged: rows that die with the cluster need no WAL
        # when they are loaded and scrubbed.
        for table in sorted(t for t, n in rows.items() if n >= UNLOGGED_MIN_ROWS):
            conn.execute(sql.SQL("ALTER TABLE {} SET UNLOGGED").format(sql.Identifier(table)))
    dumps.restore(dsn, archive, jobs=jobs, log=log, sections=["data"])
    with connect(dsn) as conn:
        if (restored := table_rows(conn)) != rows:
            differing = sorted(t for t in rows if restored.get(t) != rows[t])
            raise PostgresError(f"The quarantine restore does not match the snapshot: {differing[:10]}")


def _prove_constraints(schema_dsn: str, dsn: str, written: dict[str, list[str]]) -> int:
    """Prove in the quarantine every constraint the scrub's writes put at risk; how many."""
    with connect(schema_dsn) as schema, connect(dsn, autocommit=True) as conn:
        at_risk = constraints.at_risk(schema, written)
        if broken := constraints.broken(conn, at_risk):
            raise PostgresError(
                f"The scrub broke {len(broken)} of production's constraints, so staging could not be restored: "
                f"{'; '.join(broken[:10])}. Mark a scrubbed column of a unique index `unique: true` in the "
                "scrub policy; a table with `delete_rows` must not be referenced by rows that stay.")
    return len(at_risk)


def restore_scrubbed(artifact_dir: Path, dsn: str, *, jobs: int, log: Log) -> None:
    """Restore a scrubbed dump into the empty database at `dsn`: tables, rows, then indexes
    and constraints."""
    dumps.restore(dsn, artifact_dir / "schema", jobs=1, log=log, sections=["pre-data"])
    dumps.restore(dsn, artifact_dir / "data", jobs=jobs, log=log)
    dumps.restore(dsn, artifact_dir / "schema", jobs=jobs, log=log, sections=["post-data"])

"""The quarantine: a snapshot restored, neutralized, scrubbed and verified in a throwaway cluster.

Raw production data exists only in the snapshot directory and in that cluster; what leaves
`quarantine()` has passed every gate, or nothing leaves.

A scrubbed dump is two archives: `schema`, production's schema without a row, dumped from a
database restored from the snapshot's schema alone; and `data`, the quarantine's rows. The
quarantine thus holds tables and rows only, unlogged and unindexed: nothing it does pays for
WAL or index upkeep, and indexes and constraints are built once, in staging, after the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from psycopg import sql

from odoosh.phases import Log, Phases
from odoosh.postgres import PostgresError, connect, dumps
from odoosh.postgres.cluster import PostgresCluster, throwaway_cluster
from odoosh.staging import neutralize
from odoosh.staging.scrub import constraints, fingerprints, leaks, scrubber
from odoosh.staging.scrub.policy import Policy, redacting
from odoosh.staging.snapshot import table_rows, verified, write_manifest
from odoosh.staging.verify import Gates, kept_leaks, verify

QUARANTINE_DB = "quarantine"
SCHEMA_DB = "schema"  # production's schema without a row, on the quarantine's cluster
# Tables with fewer rows stay logged: their WAL costs less than the ALTER TABLE (Odoo has 700+).
UNLOGGED_MIN_ROWS = 10_000


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
    compression: int = dumps.UNCOMPRESSED  # gzip level of the scrubbed dump


def quarantine(snapshot_dir: Path, out_dir: Path, settings: QuarantineSettings, phases: Phases) -> tuple[Gates, dict]:
    """Restore, neutralize, scrub and verify a snapshot in a throwaway cluster.

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
            fingerprints.record(dsn, settings.salt, settings.policy, jobs=settings.jobs)
        with phases("neutralize"), connect(dsn) as conn:
            actions = neutralize.neutralize(
                conn, base_url=settings.base_url, smtp_host=settings.smtp_host, smtp_port=settings.smtp_port
            )
            conn.commit()
        with phases("scrub"):
            # Without indexes: every UPDATE would otherwise maintain them row by row.
            scrub_stats = scrubber.scrub(
                dsn,
                settings.policy,
                salt=settings.salt,
                admin_password=settings.admin_password,
                jobs=settings.jobs,
                progress=log,
            )
        with phases("constraints"):
            proven = _prove_constraints(schema_dsn, dsn, scrub_stats["columns"])
        with phases("verify"), connect(dsn) as conn:
            gates = verify(
                conn,
                dsn,
                settings.policy,
                salt=settings.salt,
                jobs=settings.jobs,
                base_url=settings.base_url,
                smtp_host=settings.smtp_host,
                smtp_port=settings.smtp_port,
            )
        if kept := kept_leaks(settings.policy, gates.leaks):
            with phases("redact_kept"):
                gates = _redact_kept(dsn, schema_dsn, gates, kept, settings, log)
        with connect(dsn) as conn:
            leaks.drop_fingerprints(conn)
            conn.commit()
        summary = {
            "neutralization_actions": actions,
            "scrub": scrub_stats,
            "rows": manifest["rows"],
            "constraints_proven": proven,
        }
        if gates.passed:
            out_dir.mkdir()
            with phases("dump_scrubbed"):
                level = settings.compression
                dumps.dump(schema_dsn, out_dir / "schema", jobs=1, log=log, compression=level)
                dumps.dump(dsn, out_dir / "data", jobs=settings.jobs, log=log, sections=["data"], compression=level)
                write_manifest(out_dir, {"gates_passed": True, "source_created_at": manifest["created_at"]})
    return gates, summary


def _redact_kept(
    dsn: str, schema_dsn: str, gates: Gates, kept: list[str], settings: QuarantineSettings, log: Log
) -> Gates:
    """Redact the kept columns in which production values were found, and look again: only
    what survives the redaction still leaks. Costs one more leak scan, only in such a run."""
    log(f"redacting {len(kept)} kept column(s) in which production values were found: {', '.join(kept)}")
    policy = redacting(kept, "kept column with production values")
    fingerprints.add(dsn, settings.salt, policy, jobs=settings.jobs)
    stats = scrubber.scrub(
        dsn, policy, salt=settings.salt, admin_password=settings.admin_password, jobs=settings.jobs, progress=log
    )
    _prove_constraints(schema_dsn, dsn, stats["columns"])
    remaining = leaks.find_leaks(dsn, settings.salt, jobs=settings.jobs)
    return replace(gates, leaks=remaining, redacted={c: gates.leaks[c] for c in kept if c not in remaining})


def _restore(cluster: PostgresCluster, archive: Path, rows: dict[str, int], *, jobs: int, log: Log) -> None:
    """The schema database (the snapshot's pre- and post-data, no rows), and the quarantine:
    a clone of its pre-data, loaded with the snapshot's rows and checked against `rows`."""
    schema_dsn, dsn = cluster.dsn(SCHEMA_DB), cluster.dsn(QUARANTINE_DB)
    cluster.databases.create(SCHEMA_DB)
    dumps.restore(schema_dsn, archive, jobs=1, log=log, sections=["pre-data"])
    cluster.databases.create(QUARANTINE_DB, template=SCHEMA_DB)
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
                "scrub policy; a table with `delete_rows` must not be referenced by rows that stay."
            )
    return len(at_risk)

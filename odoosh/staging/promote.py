"""Staging's candidate lifecycle: restore a scrubbed dump under a temporary name, probe it, swap it in.

Staging is never without a database and never holds an unproven one: a candidate that fails
to restore or to pass its probes is dropped, and the live staging database is untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from odoosh.odoo.smoke import ProbeResult
from odoosh.phases import Log, Phases
from odoosh.postgres import dumps
from odoosh.staging.snapshot import verified
from odoosh.staging.target import StagingTarget

Probe = Callable[[str], ProbeResult]  # a probe of the candidate's DSN


class CandidateRejected(RuntimeError):
    """The candidate failed; staging is unchanged."""


def restore_scrubbed(artifact_dir: Path, dsn: str, *, jobs: int, log: Log) -> None:
    """Restore a scrubbed dump into the empty database at `dsn`: tables, rows, then indexes
    and constraints."""
    dumps.restore(dsn, artifact_dir / "schema", jobs=1, log=log, sections=["pre-data"])
    dumps.restore(dsn, artifact_dir / "data", jobs=jobs, log=log)
    dumps.restore(dsn, artifact_dir / "schema", jobs=jobs, log=log, sections=["post-data"])


def promote_candidate(
    artifact_dir: Path,
    staging: StagingTarget,
    probes: Iterable[Probe],
    *,
    jobs: int,
    phases: Phases,
    before_swap: Callable[[], None] = lambda: None,
    prepare: Callable[[str], None] = lambda dsn: None,
) -> None:
    """Restore the scrubbed dump in `artifact_dir` as staging's candidate, probe it, and swap it in.

    `prepare(dsn)` runs on the restored candidate before its probes (the environments file's
    staging lines are applied there, so a line that cannot be applied leaves staging as it was).
    `before_swap` runs right before the swap (the sandbox stops staging's Odoo there). Raises
    CandidateRejected, with staging untouched, if the dump did not pass its gates or the
    candidate fails a probe.
    """
    log = phases.log
    if not verified(artifact_dir).get("gates_passed"):
        raise CandidateRejected(f"{artifact_dir} did not pass the PII gates; refusing to restore it into staging.")
    server, candidate = staging.server(start=True), staging.candidate
    with phases("staging_restore"):
        server.recreate(candidate)
        restore_scrubbed(artifact_dir, server.dsn(candidate), jobs=jobs, log=log)
    try:
        prepare(server.dsn(candidate))
    except Exception:
        server.drop(candidate)
        raise
    if failed := [result for result in (probe(server.dsn(candidate)) for probe in probes) if not result.passed]:
        server.drop(candidate)
        raise CandidateRejected(
            "The restored candidate failed its checks; staging is unchanged: "
            + "; ".join(result.summary for result in failed)
        )
    with phases("swap"):
        before_swap()
        server.swap(candidate, staging.database, staging.previous)
        log(
            f"swapped {candidate} in as {staging.database}; the previous staging database is kept as {staging.previous}"
        )

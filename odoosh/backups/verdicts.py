"""The checks' verdicts on what pgBackRest and the restore tests reported (plain values, no Dagster)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from odoosh.backups.info import StanzaInfo
from odoosh.backups.production import ArchiveState
from odoosh.backups.restore import RestoreReport
from odoosh.backups.verify import VerifyReport
from odoosh.units import human_bytes

RPO_S = 300
REPLICA_MAX_AGE_S = 24 * 3600
MIN_SAMPLE_BYTES = 10**9  # below it a restore's throughput says little about 100 GB


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


def rpo(state: ArchiveState, max_age_s: float = RPO_S) -> Verdict:
    """The newest WAL in any repository is at most `max_age_s` old (the heartbeat keeps WAL coming)."""
    freshest = state.freshest()
    ages = {f"age_s_repo{r}": round(w.age_s, 1) for r, w in state.newest.items() if w.age_s is not None}
    if freshest is None:
        return Verdict(False, "no repository holds any archived WAL", ages)
    passed = freshest.age_s <= max_age_s
    verb = "within" if passed else "older than"
    return Verdict(
        passed,
        f"newest archived WAL {freshest.segment} in repo{freshest.repo} is {freshest.age_s:.0f} s old, "
        f"{verb} the {max_age_s:.0f} s RPO",
        {**ages, "newest_segment": freshest.segment, "rpo_bound_s": max_age_s},
    )


def failover(state: ArchiveState, queue_max_bytes: int | None = None) -> Verdict:
    """Every repository is reachable; one that is not means archiving fails over to the others
    while pg_wal keeps every segment, up to `queue_max_bytes` (archive-push-queue-max)."""
    archiver = state.archiver
    backlog = f"{archiver.ready_segments} segments ({human_bytes(archiver.backlog_bytes)}"
    backlog += f" of the {human_bytes(queue_max_bytes)} bound)" if queue_max_bytes else ", unbounded)"
    metadata = {"ready_segments": archiver.ready_segments, "backlog_bytes": archiver.backlog_bytes}
    if queue_max_bytes:
        metadata["backlog_share_of_bound"] = round(archiver.backlog_bytes / queue_max_bytes, 3)
    down = state.unreachable()
    if not down:
        return Verdict(True, f"every repository is reachable and receives WAL; pg_wal holds {backlog}", metadata)
    reasons = "; ".join(f"repo{r}: {state.newest[r].error}" for r in down)
    others = [r for r in state.newest if r not in down]
    return Verdict(
        False,
        f"repo{', repo'.join(map(str, down))} unreachable, WAL goes on to repo{', repo'.join(map(str, others))} "
        f"only; pg_wal keeps {backlog} until it is back ({reasons})",
        {**metadata, "unreachable": ", ".join(f"repo{r}" for r in down), "failed_count": archiver.failed_count},
    )


def verified(reports: list[VerifyReport]) -> Verdict:
    bad = [r for r in reports if not r.passed]
    return Verdict(
        not bad,
        "; ".join(r.summary for r in (bad or reports)),
        {f"repo{r.repo}_status": r.status for r in reports}
        | {f"repo{r.repo}_files": ", ".join(r.files[:20]) for r in bad},
    )


def replica_fresh(info: StanzaInfo, repo: int = 2, max_age_s: float = REPLICA_MAX_AGE_S) -> Verdict:
    newest = info.newest(repo, ("full",))
    if newest is None:
        return Verdict(False, f"repo{repo} holds no full backup", {})
    passed = newest.age_s <= max_age_s
    return Verdict(
        passed,
        f"newest full backup in repo{repo} ({newest.label}) is {newest.age_s / 3600:.1f} h old"
        + ("" if passed else f", older than {max_age_s / 3600:.0f} h"),
        {"label": newest.label, "age_s": round(newest.age_s, 1)},
    )


def restore_passed(report: RestoreReport) -> Verdict:
    if report.passed:
        return Verdict(
            True,
            f"restored from repo{report.repo} to {report.target} and proven: "
            + ", ".join(p.name for p in report.proofs),
        )
    return Verdict(False, f"restore test from repo{report.repo} failed: " + " | ".join(report.failures), {})


def restore_time(report: RestoreReport, slo_s: float, bound_s: float | None = None) -> Verdict:
    """The measured throughput projects a 100 GB restore under `slo_s`; a drill's own time is
    also held against `bound_s`.

    A database under MIN_SAMPLE_BYTES is mostly small catalog files, whose per-file cost says
    nothing about 100 GB: there the restore itself must fit the SLO, and the projection is shown
    but not judged (bench/restore.py measures it on 1 GB and more)."""
    projected = report.projected_100gb_s
    if projected is None:
        return Verdict(False, "no restore throughput was measured (the restore failed)", {})
    size_mb, rate_mb = report.backup.size / 1e6, report.throughput_bytes_per_s / 1e6
    small = report.backup.size < MIN_SAMPLE_BYTES
    within_bound = bound_s is None or report.seconds_to_ready <= bound_s
    projection = f"projected 100 GB restore {projected / 60:.1f} min at {rate_mb:.0f} MB/s (SLO {slo_s / 60:.0f} min)"
    if small:
        passed = report.seconds_to_ready <= slo_s and within_bound
        text = (
            f"this {size_mb:.0f} MB restore took {report.seconds_to_ready:.1f} s to a smoke-tested cluster "
            f"({'within' if report.seconds_to_ready <= slo_s else 'over'} the SLO); {projection} not judged: "
            f"under {MIN_SAMPLE_BYTES / 1e9:.0f} GB per-file costs dominate"
        )
    else:
        passed = projected <= slo_s and within_bound
        text = f"{projection}, measured on {size_mb:.0f} MB"
    if bound_s is not None:
        text += f"; this restore took {report.seconds_to_ready:.0f} s (bound {bound_s / 60:.0f} min)"
    return Verdict(
        passed,
        text,
        {
            "projected_100gb_s": round(projected, 1),
            "slo_s": slo_s,
            "sample_bytes": report.backup.size,
            "projection_judged": not small,
        },
    )

"""One pass over an environment's Odoo logs: the figures the asset stores and the command prints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from odoosh import scratch
from odoosh.artifacts import ArtifactStore
from odoosh.observability.logs import LogStats, read_requests
from odoosh.observability.metrics import EndpointFigures, RequestMetrics, to_csv
from odoosh.observability.nplusone import NPlusOne, NPlusOneDetector


@dataclass
class LogReport:
    environment: str
    files: list[str]
    stats: LogStats
    endpoints: list[EndpointFigures]
    overall: EndpointFigures | None  # the environment as a whole; None without a request
    n_plus_one: list[NPlusOne]

    @property
    def latency_available(self) -> bool:
        return self.overall is not None and self.overall.timed > 0

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "files": self.files,
            "lines": self.stats.lines,
            "requests": self.stats.requests,
            "coloured_lines": self.stats.coloured,
            "skipped": dict(sorted(self.stats.skipped.items())),
            "latency_available": self.latency_available,
            "requests_without_latency": self.stats.without_latency,
            "overall": _figures(self.overall) if self.overall else None,
            "endpoints": [_figures(f) for f in self.endpoints],
            "n_plus_one": [f.summary() for f in self.n_plus_one],
        }


def analyse(
    paths: Iterable[str | Path],
    environment: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogReport:
    """Figures of the requests in the files (in order) whose time is in [since, until), UTC."""
    paths = [str(p) for p in paths]
    stats, metrics, detector = LogStats(), RequestMetrics(), NPlusOneDetector()
    for r in read_requests(paths, environment, stats):
        if (since is not None and r.at < since) or (until is not None and r.at >= until):
            continue
        metrics.add(r)
        detector.add(r)
    overall = metrics.environments()
    return LogReport(environment, paths, stats, metrics.endpoints(), overall[0] if overall else None, detector.found())


def _figures(f: EndpointFigures) -> dict:
    return asdict(f) | {"error_rate": f.error_rate}


# --------------------------------------------------------------------------- environments, by hour

ERROR_RATE_LIMIT = 0.01
TABLE = "request_metrics.csv"
REPORT = "report.json"


@dataclass(frozen=True)
class EnvironmentLogs:
    """The Odoo logs of the environments the platform runs: `<state_dir>/environments/<name>/odoo.log`
    (odoosh.odoo.runtime), with the files rotation left beside it (`odoo.log.1`, `odoo.log.2.gz`,
    Odoo's own `odoo.log.2026-11-30`)."""

    directory: Path  # <state_dir>/environments

    def files(self, since: datetime | None = None) -> dict[str, list[Path]]:
        """Each environment's log files, oldest first; those last written before `since` are left
        out (they cannot hold a line of the hour)."""
        found: dict[str, list[Path]] = {}
        for env_dir in sorted(p for p in self.directory.glob("*") if p.is_dir()):
            logs = sorted(
                (p.stat().st_mtime, p.name == "odoo.log", p) for p in env_dir.glob("odoo.log*") if p.is_file()
            )  # by last write; on a tie the live log is the newest
            files = [p for mtime, _, p in logs if since is None or mtime >= since.timestamp()]
            if files:
                found[env_dir.name] = files
        return found

    def hour(self, start: datetime, end: datetime) -> HourReport:
        """The figures of every environment's requests in [start, end)."""
        reports = {env: analyse(files, env, start, end) for env, files in self.files(start).items()}
        return HourReport(start, end, reports)


@dataclass
class HourReport:
    start: datetime
    end: datetime
    reports: dict[str, LogReport]

    @property
    def endpoints(self) -> list[EndpointFigures]:
        return [f for report in self.reports.values() for f in report.endpoints]

    def failing(self, limit: float = ERROR_RATE_LIMIT) -> dict[str, EndpointFigures]:
        """The environments whose 5xx rate reached `limit`, with their figures as a whole."""
        return {
            env: r.overall for env, r in self.reports.items() if r.overall is not None and r.overall.error_rate >= limit
        }

    def top_failing(self, environment: str, n: int = 5) -> list[EndpointFigures]:
        failing = [f for f in self.reports[environment].endpoints if f.errors]
        return sorted(failing, key=lambda f: (-f.errors, f.endpoint))[:n]

    def store(self, store: ArtifactStore, key: str) -> None:
        """The table (CSV) and the whole report (JSON) under `key`, replacing a previous run's."""
        with scratch.owned_dir("request-metrics") as work:
            table = work / "table"
            table.mkdir()
            (table / TABLE).write_text(to_csv(self.endpoints))
            report = {"start": self.start.isoformat(), "end": self.end.isoformat()}
            report["environments"] = {env: r.as_dict() for env, r in self.reports.items()}
            (table / REPORT).write_text(json.dumps(report, indent=2) + "\n")
            store.delete(key)
            store.publish_dir(key, table)

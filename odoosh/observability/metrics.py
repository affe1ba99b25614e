"""Per-endpoint figures of a stream of requests: counts, 5xx, latency percentiles, SQL share.

Percentiles are linear interpolation between closest ranks (Hyndman and Fan's type 7, numpy's
and Excel's PERCENTILE.INC default): for sorted latencies x[0..n-1], P(p) = x[h] interpolated
at h = (n - 1) * p / 100. Only requests whose line carries Odoo's perf counters have a latency;
an endpoint without any (Odoo 11 and older) has counts and status codes, and None latencies.
"""

from __future__ import annotations

import csv
import io
import math
from array import array
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

from odoosh.observability.endpoints import endpoint
from odoosh.observability.requests import Request

PERCENTILES = (50, 95, 99)


def percentile(sorted_values: array | list[float], p: float) -> float | None:
    """The p-th percentile (0-100) of values sorted ascending, linearly interpolated; None if empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    h = (n - 1) * p / 100
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (h - lo) * (sorted_values[hi] - sorted_values[lo])


@dataclass(frozen=True)
class EndpointFigures:
    """One endpoint of one environment; seconds, None where no request of it had a latency."""

    environment: str
    endpoint: str
    requests: int
    errors: int  # 5xx responses
    timed: int  # requests with a latency (perf counters in their line)
    p50: float | None
    p95: float | None
    p99: float | None
    sql_share: float | None  # SQL seconds / total seconds of the timed requests
    mean_queries: float | None
    max_queries: int | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


COLUMNS = tuple(f.name for f in fields(EndpointFigures))


class _Accumulator:
    __slots__ = ("requests", "errors", "latencies", "sql_seconds", "queries", "max_queries")

    def __init__(self) -> None:
        self.requests = self.errors = self.queries = 0
        self.max_queries: int | None = None
        self.latencies = array("d")  # 8 bytes a timed request: 60 million (a 10 GB log) is 480 MB
        self.sql_seconds = 0.0

    def merge(self, other: _Accumulator) -> None:
        self.requests += other.requests
        self.errors += other.errors
        self.queries += other.queries
        self.sql_seconds += other.sql_seconds
        self.latencies.extend(other.latencies)
        if other.max_queries is not None and (self.max_queries is None or other.max_queries > self.max_queries):
            self.max_queries = other.max_queries

    def add(self, r: Request) -> None:
        self.requests += 1
        if r.status >= 500:
            self.errors += 1
        if r.query_count is not None and r.query_seconds is not None and r.other_seconds is not None:
            self.latencies.append(r.query_seconds + r.other_seconds)
            self.sql_seconds += r.query_seconds
            self.queries += r.query_count
            if self.max_queries is None or r.query_count > self.max_queries:
                self.max_queries = r.query_count


class RequestMetrics:
    """Figures accumulated request by request; per endpoint and per environment as a whole."""

    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, str], _Accumulator] = {}

    def add(self, request: Request) -> None:
        key = (request.environment, endpoint(request.path))
        acc = self._endpoints.get(key)
        if acc is None:
            acc = self._endpoints[key] = _Accumulator()
        acc.add(request)

    def add_all(self, requests: Iterable[Request]) -> RequestMetrics:
        for request in requests:
            self.add(request)
        return self

    def endpoints(self) -> list[EndpointFigures]:
        """Every endpoint seen, by environment then endpoint."""
        return [_figures(env, name, acc) for (env, name), acc in sorted(self._endpoints.items())]

    def environments(self) -> list[EndpointFigures]:
        """Each environment as a whole (endpoint `*`): its overall percentiles and error rate."""
        merged: dict[str, _Accumulator] = {}
        for (env, _), acc in sorted(self._endpoints.items()):
            merged.setdefault(env, _Accumulator()).merge(acc)
        return [_figures(env, "*", acc) for env, acc in merged.items()]


def _figures(environment: str, name: str, acc: _Accumulator) -> EndpointFigures:
    latencies = sorted(acc.latencies)  # exact percentiles: every latency, sorted once
    timed = len(latencies)
    total = math.fsum(latencies)
    p50, p95, p99 = (percentile(latencies, p) for p in PERCENTILES)
    return EndpointFigures(
        environment=environment,
        endpoint=name,
        requests=acc.requests,
        errors=acc.errors,
        timed=timed,
        p50=p50,
        p95=p95,
        p99=p99,
        sql_share=(acc.sql_seconds / total if total > 0 else None) if timed else None,
        mean_queries=acc.queries / timed if timed else None,
        max_queries=acc.max_queries,
    )


def to_csv(figures: Iterable[EndpointFigures]) -> str:
    """The figures as CSV, one row an endpoint, empty cells where a figure is unknown."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for f in figures:
        writer.writerow({k: ("" if v is None else v) for k, v in asdict(f).items()})
    return out.getvalue()


def top_by_p95(figures: Iterable[EndpointFigures], n: int = 10) -> list[EndpointFigures]:
    """The n slowest endpoints by P95 (those with a latency), slowest first."""
    timed = [f for f in figures if f.p95 is not None]
    return sorted(timed, key=lambda f: (-f.p95, f.environment, f.endpoint))[:n]


def markdown_top(figures: Iterable[EndpointFigures], n: int = 10) -> str:
    """A markdown table of the top n endpoints by P95, milliseconds."""
    rows = [
        "| environment | endpoint | requests | 5xx | P50 ms | P95 ms | P99 ms | SQL share | mean queries | max queries |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in top_by_p95(figures, n):
        rows.append(
            f"| {f.environment} | `{f.endpoint.replace('|', '%7C')}` | {f.requests} | {f.errors} | {_ms(f.p50)} | "
            f"{_ms(f.p95)} | {_ms(f.p99)} | {_pct(f.sql_share)} | {_num(f.mean_queries)} | {_num(f.max_queries)} |"
        )
    if len(rows) == 2:
        return "No request with a latency (the log's werkzeug lines carry no perf counters: Odoo 11 or older)."
    return "\n".join(rows)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1000:.1f}"


def _pct(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)

"""N+1 detection: endpoints whose SQL query count per request is high and grows with the result.

What a log can tell: each werkzeug line has the request's query count, and its response size
where the server writes one (werkzeug's size field; Odoo's own server writes `-`, the stand-in's
test endpoints and most reverse proxies write bytes). An endpoint is flagged when

- its requests reach HIGH_QUERIES queries, and
- the query count grows with the response size: over at least MIN_SAMPLES requests of at least
  three distinct sizes, the least-squares slope is positive and the Pearson correlation at
  least MIN_CORRELATION (basis `response_size`).

Where no size is logged (real Odoo), the result's size is unknown; an endpoint whose query count
is high and varies widely between requests (coefficient of variation at least MIN_SPREAD) is
flagged as a suspect on basis `query_count_spread`: the count depends on the data, which is what
N+1 does, but a loop over a varying result is only the likeliest cause, not a proof.

Requests are grouped by path with only ids collapsed (`ids_collapsed`), finer than the metrics'
endpoints: `call_kw` of res.partner/read and of sale.order/write run different code, and one
endpoint holding both would vary in query count without any N+1.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from odoosh.observability.endpoints import ids_collapsed
from odoosh.observability.requests import Request

HIGH_QUERIES = 20
MIN_SAMPLES = 5
MIN_CORRELATION = 0.8
MIN_SPREAD = 0.5
EXAMPLES = 3
MAX_SAMPLES = 10_000  # per endpoint: enough for a fit, bounded memory on a 10 GB log


@dataclass(frozen=True)
class NPlusOne:
    environment: str
    endpoint: str
    basis: str  # response_size or query_count_spread
    requests: int  # requests of the endpoint with a query count
    max_queries: int
    queries_per_kb: float | None  # the slope, where the basis is response_size
    correlation: float | None
    examples: tuple[Request, ...]  # the requests with the most queries

    def summary(self) -> dict:
        return {
            "environment": self.environment,
            "endpoint": self.endpoint,
            "basis": self.basis,
            "requests": self.requests,
            "max_queries": self.max_queries,
            "queries_per_kb": self.queries_per_kb,
            "correlation": self.correlation,
            "examples": [
                {"at": r.at.isoformat(), "path": r.path, "queries": r.query_count, "bytes": r.response_bytes}
                for r in self.examples
            ],
        }


class NPlusOneDetector:
    """Requests fed one at a time (alongside the metrics, in the same pass over the log)."""

    def __init__(self) -> None:
        self._samples: dict[tuple[str, str], list[Request]] = {}

    def add(self, r: Request) -> None:
        if r.query_count is None:
            return
        key = (r.environment, ids_collapsed(r.path))
        bucket = self._samples.get(key)
        if bucket is None:
            bucket = self._samples[key] = []
        if len(bucket) < MAX_SAMPLES:
            bucket.append(r)

    def found(self) -> list[NPlusOne]:
        """The endpoints flagged as N+1, most queries first."""
        found = [f for (env, name), rs in self._samples.items() if (f := _judge(env, name, rs)) is not None]
        return sorted(found, key=lambda f: (-f.max_queries, f.environment, f.endpoint))


def find_n_plus_one(requests: Iterable[Request]) -> list[NPlusOne]:
    """The endpoints flagged as N+1, most queries first."""
    detector = NPlusOneDetector()
    for r in requests:
        detector.add(r)
    return detector.found()


def _judge(environment: str, name: str, rs: list[Request]) -> NPlusOne | None:
    counts = [r.query_count for r in rs]
    if len(rs) < MIN_SAMPLES or max(counts) < HIGH_QUERIES:
        return None
    examples = tuple(sorted(rs, key=lambda r: -r.query_count)[:EXAMPLES])
    sized = [r for r in rs if r.response_bytes is not None]
    if len(sized) >= MIN_SAMPLES and len({r.response_bytes for r in sized}) >= 3:
        x = [r.response_bytes / 1024 for r in sized]
        y = [float(r.query_count) for r in sized]
        if len(set(y)) == 1:  # the same count whatever the size: flat
            return None
        slope = statistics.linear_regression(x, y).slope
        r = statistics.correlation(x, y)
        if slope > 0 and r >= MIN_CORRELATION:
            return NPlusOne(environment, name, "response_size", len(rs), max(counts), slope, r, examples)
        return None
    mean = statistics.fmean(counts)
    if mean > 0 and statistics.pstdev(counts) / mean >= MIN_SPREAD:
        return NPlusOne(environment, name, "query_count_spread", len(rs), max(counts), None, None, examples)
    return None

"""The platform's metrics endpoint: request records turned into Prometheus series.

Fed `Request` records (`observe`), served in the Prometheus text exposition format by
prometheus_client's own HTTP server, in a thread of the process that feeds it. The metrics live
in a registry of their own, so two exporters (or a test's) never share series.

Series: `odoosh_http_requests_total{environment,endpoint,code}` where `code` is the status
class (`2xx` ... `5xx`: bounded, and what the error-rate rule needs), and
`odoosh_http_request_duration_seconds{environment,endpoint}`, a latency histogram of the
requests whose log line carries the performance fields (older Odoo versions write none: those
requests are counted, not timed). `endpoint` is `endpoint(path)`; give it a function that
collapses ids into a template, or every distinct path becomes a series.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server

from odoosh.observability.requests import Request

REQUESTS = "odoosh_http_requests"  # prometheus_client appends `_total` to counters
DURATION = "odoosh_http_request_duration_seconds"
# Odoo's requests range from a few ms (assets) to many seconds (reports): finer below 1 s.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def as_is(path: str) -> str:
    """The default endpoint label: the path itself."""
    return path


def status_class(status: int) -> str:
    """`5xx` for 503: the label the error-rate rule matches."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


class RequestExporter:
    """Counters and a latency histogram of the requests observed, in a registry of their own."""

    def __init__(self, endpoint: Callable[[str], str] = as_is, buckets: Iterable[float] = BUCKETS) -> None:
        self.endpoint = endpoint
        self.registry = CollectorRegistry()
        self._requests = Counter(
            REQUESTS,
            "HTTP requests served by Odoo, by status class",
            ["environment", "endpoint", "code"],
            registry=self.registry,
        )
        self._duration = Histogram(
            DURATION,
            "Latency of Odoo's HTTP requests (SQL time plus the rest), where the log gives it",
            ["environment", "endpoint"],
            buckets=tuple(buckets),
            registry=self.registry,
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def observe(self, requests: Iterable[Request]) -> int:
        """Count and time `requests`; returns how many were observed."""
        n = 0
        for request in requests:
            endpoint = self.endpoint(request.path)
            self._requests.labels(request.environment, endpoint, status_class(request.status)).inc()
            if request.seconds is not None:
                self._duration.labels(request.environment, endpoint).observe(request.seconds)
            n += 1
        return n

    def exposition(self) -> bytes:
        """What a scrape reads."""
        return generate_latest(self.registry)

    def serve(self, port: int, host: str = "127.0.0.1") -> RequestExporter:
        """Serve `/metrics` on host:port, in a daemon thread, until `stop`."""
        if self._server is not None:
            raise RuntimeError(f"The exporter already serves on port {self.port}; stop it first.")
        self._server, self._thread = start_http_server(port, addr=host, registry=self.registry)
        self.port = self._server.server_address[1]
        return self

    @property
    def target(self) -> str:
        """host:port for a Prometheus scrape config."""
        if self._server is None:
            raise RuntimeError("The exporter is not serving: call serve(port) first.")
        return f"{self._server.server_address[0]}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> RequestExporter:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

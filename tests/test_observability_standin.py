"""Figures of logs the stand-in writes under a generated load with known latencies and errors,
and the alert that load's 5xx fire through Prometheus and Alertmanager."""

import json
import random
import time

import httpx
import numpy
import pytest

from odoosh.observability.logs import read_requests
from odoosh.observability.report import analyse
from odoosh.odoo.runtime import OdooRuntime
from odoosh.sandbox.monitoring import FAST
from odoosh.sandbox.observability import SandboxMonitoring
from odoosh.sandbox.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.servers  # the Odoo stand-in

WAITS_MS = [random.Random(10).choice((0, 2, 5, 10, 20, 40)) for _ in range(100)]
FAILING = {17, 63}  # 2 % of the load answers 500
RECORDS = (1, 5, 10, 25, 50)


@pytest.fixture
def staging(tmp_path, pg, fresh_db):
    environment = OdooRuntime(tmp_path).environment("staging")
    environment.start(pg.dsn(fresh_db))
    try:
        yield environment
    finally:
        environment.stop()


def test_load_with_known_latencies_errors_and_an_n_plus_one(staging):
    with httpx.Client(base_url=staging.url, timeout=30, trust_env=False) as client:
        for i, ms in enumerate(WAITS_MS):
            status = 500 if i in FAILING else 200
            assert client.get("/odoosh/test/load", params={"ms": ms, "status": status}).status_code == status
        for n in RECORDS:
            for name in ("n_plus_one", "flat"):
                response = client.get(f"/odoosh/test/{name}", params={"records": n})
                assert response.status_code == 200 and len(response.json()) == n
        assert client.get("/odoosh/test/load", params={"ms": "soon"}).status_code == 400
        assert client.get("/odoosh/test/flat", params={"records": 10**6}).status_code == 400

    report = analyse([staging.log_file], "staging")
    figures = {f.endpoint: f for f in report.endpoints}
    load = figures["/odoosh/test/load"]
    assert (load.requests, load.errors, load.timed) == (101, 2, 101)  # and the 400
    assert load.error_rate == pytest.approx(2 / 101)

    # Latencies as the log gives them: at least the wait asked for, not much more.
    logged = [r.seconds for r in _requests(staging, "/odoosh/test/load")][:100]
    for ms, seconds in zip(WAITS_MS, logged, strict=True):
        assert ms / 1000 <= seconds < ms / 1000 + 0.5
    all_load = sorted(r.seconds for r in _requests(staging, "/odoosh/test/load"))
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        assert getattr(load, name) == pytest.approx(float(numpy.percentile(all_load, p)), rel=1e-12)
    assert load.p95 >= 0.02 and load.max_queries == 0

    n_plus_one, flat = figures["/odoosh/test/n_plus_one"], figures["/odoosh/test/flat"]
    assert (n_plus_one.max_queries, flat.max_queries) == (51, 1)
    assert n_plus_one.mean_queries == pytest.approx(sum(n + 1 for n in RECORDS) / len(RECORDS))
    (flagged,) = report.n_plus_one
    assert (flagged.endpoint, flagged.basis) == ("/odoosh/test/n_plus_one", "response_size")
    assert flagged.correlation > 0.99 and flagged.examples[0].query_count == 51
    assert report.stats.skipped_total == report.stats.lines - report.stats.requests > 0  # the startup lines


def _requests(environment, path):
    return [r for r in read_requests([environment.log_file], environment.name) if r.path == path]


def test_2_percent_of_the_stand_ins_answers_failing_fires_the_alert_to_the_webhook(tmp_path, staging):
    """The whole sandbox chain on the stand-in's own log: the exporter follows it, Prometheus
    scrapes and evaluates the shipped rule, Alertmanager posts to the Mattermost double."""
    monitoring = SandboxMonitoring(tmp_path)  # the staging fixture's state directory: it watches its log
    load = 'odoosh_http_requests_total{environment="staging", endpoint="/odoosh/test/load"}'
    with (
        WebhookReceiver(tmp_path / "hook") as receiver,
        httpx.Client(base_url=staging.url, timeout=30, trust_env=False) as client,
    ):
        try:
            started = monitoring.start(webhook_url=receiver.url, timing=FAST, interval=0.2)
            served = 0
            for _ in range(4):  # a rate needs counters that grow between scrapes
                for i in range(50):
                    status = 500 if i == 0 else 200  # 2 % of the load
                    assert client.get("/odoosh/test/load", params={"ms": 0, "status": status}).status_code == status
                served += 50
                _wait(lambda served=served: _value(started.prometheus_url, f"sum({load})") == served, 30)
            post = receiver.wait_for(lambda p: "staging" in json.dumps(p["payload"]), timeout=30)
        finally:
            monitoring.stop()
    text = json.dumps(post["payload"])
    assert "ErrorRateAbove1Percent" in text and "(warning)" in text, "staging alerts as a warning, as its check"
    assert "of requests failed (5xx)" in post["payload"]["attachments"][0]["text"]


def _value(prometheus: str, expr: str) -> float | None:
    result = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()["data"]["result"]
    return float(result[0]["value"][1]) if result else None


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout:g} s"
        time.sleep(0.2)

"""Monitoring: the metrics endpoint, and Debian's Prometheus and Alertmanager started by the
platform, firing the error-rate rule to the loopback Mattermost webhook (or not)."""

import json
import subprocess
import time
from datetime import UTC, datetime

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from odoosh import process
from odoosh.alerts import WEBHOOK_ENV, AlertError
from odoosh.observability.exporter import RequestExporter, status_class
from odoosh.observability.requests import Request
from odoosh.process import free_port
from odoosh.sandbox.monitoring import FAST, PROMTOOL, RECORD_FILE, RULES, WEBHOOK_FILE, Monitoring
from odoosh.sandbox.webhook_receiver import WebhookReceiver

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AMTOOL = "/usr/bin/amtool"


def batch(environment: str, size: int, failures: int) -> list[Request]:
    """`size` requests over three endpoints, `failures` of them 500 and a tenth 404 (not errors)."""
    out = []
    for i in range(size):
        status = 500 if i < failures else 404 if i % 10 == 9 else 200
        path = ("/web/dataset/call_kw/res.partner/read", "/my/orders/7", "/web/login")[i % 3]
        out.append(Request(AT, environment, "POST", path, status, 12, 0.02, 0.03))
    return out


def samples(exporter: RequestExporter) -> dict[tuple, float]:
    text = exporter.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


# --------------------------------------------------------------------------- the exporter


def test_the_exporter_counts_by_environment_endpoint_and_status_class():
    exporter = RequestExporter(endpoint=lambda path: "/my/orders/{id}" if path.startswith("/my/orders/") else path)
    requests = [
        Request(AT, "production", "GET", "/my/orders/7", 200, 3, 0.010, 0.020),
        Request(AT, "production", "GET", "/my/orders/8", 503, 3, 0.5, 1.5),
        Request(AT, "staging", "GET", "/web/login", 200),  # an Odoo whose log has no timings
    ]
    assert exporter.observe(requests) == 3
    got = samples(exporter)
    orders = (("endpoint", "/my/orders/{id}"), ("environment", "production"))
    assert got[("odoosh_http_requests_total", (("code", "2xx"), *orders))] == 1
    assert got[("odoosh_http_requests_total", (("code", "5xx"), *orders))] == 1
    login = (("code", "2xx"), ("endpoint", "/web/login"), ("environment", "staging"))
    assert got[("odoosh_http_requests_total", login)] == 1
    assert got[("odoosh_http_request_duration_seconds_count", orders)] == 2
    assert got[("odoosh_http_request_duration_seconds_sum", orders)] == pytest.approx(2.03)
    assert got[("odoosh_http_request_duration_seconds_bucket", (*orders, ("le", "0.05")))] == 1
    # counted but not timed: no latency histogram for staging's login
    assert not any(k[0].startswith("odoosh_http_request_duration") and ("environment", "staging") in k[1] for k in got)


def test_status_classes():
    assert [status_class(s) for s in (200, 302, 404, 500, 599, 42)] == ["2xx", "3xx", "4xx", "5xx", "5xx", "other"]


def test_two_exporters_share_no_series():
    a, b = RequestExporter(), RequestExporter()
    a.observe(batch("production", 3, 1))
    assert not any(name.startswith("odoosh_http_requests_total") for name, _ in samples(b))


@pytest.mark.servers
def test_the_exporter_serves_the_exposition_format_until_stopped():
    exporter = RequestExporter()
    exporter.observe(batch("production", 10, 1))
    with exporter.serve(0):
        response = httpx.get(f"http://{exporter.target}/metrics", timeout=5)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        assert 'odoosh_http_requests_total{code="5xx",endpoint="/web/dataset/call_kw/res.partner/read"' in response.text
        port = exporter.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


# --------------------------------------------------------------------------- configuration


@pytest.mark.servers  # Debian's promtool and amtool: installed with the real parts, not by --fast
def test_the_shipped_rule_file_passes_promtool():
    result = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rules found" in result.stdout


@pytest.mark.servers  # Debian's promtool and amtool: installed with the real parts, not by --fast
def test_the_generated_configuration_is_valid_and_keeps_the_webhook_secret(tmp_path):
    url = "http://127.0.0.1:1/hooks/s3cr3th00k1d"
    monitoring = Monitoring(tmp_path, ["127.0.0.1:9"], webhook_url=url, timing=FAST)
    monitoring.write_config()
    for args in (
        [PROMTOOL, "check", "config", str(tmp_path / "prometheus.yml")],  # checks the rule file it names too
        [AMTOOL, "check-config", str(tmp_path / "alertmanager.yml")],
    ):
        result = subprocess.run(args, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    assert "s3cr3th00k1d" not in (tmp_path / "alertmanager.yml").read_text()
    secret = tmp_path / WEBHOOK_FILE
    assert secret.read_text() == url and secret.stat().st_mode & 0o777 == 0o600
    (rule,) = yaml.safe_load(monitoring.rules_file.read_text())["groups"][0]["rules"]
    assert rule["for"] == "0s" and yaml.safe_load(RULES.read_text())["groups"][0]["rules"][0]["for"] == "5m"


def test_without_a_webhook_alerts_stay_in_alertmanager(tmp_path, monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    Monitoring(tmp_path, ["127.0.0.1:9"], webhook_url="http://127.0.0.1:1/hooks/old").write_config()
    monitoring = Monitoring(tmp_path, ["127.0.0.1:9"])
    monitoring.write_config()
    assert not monitoring.notifies and not (tmp_path / WEBHOOK_FILE).exists()
    config = yaml.safe_load((tmp_path / "alertmanager.yml").read_text())
    assert config["receivers"] == [{"name": "none"}]
    assert "Alertmanager only" in monitoring.where
    monkeypatch.setenv(WEBHOOK_ENV, "http://127.0.0.1:1/hooks/abc")
    assert Monitoring(tmp_path, []).notifies and Monitoring(tmp_path, []).where.startswith(
        "the webhook at http://127.0.0.1:1/"
    )
    with pytest.raises(AlertError, match=f"{WEBHOOK_ENV} is not an http") as bad:
        Monitoring(tmp_path, [], webhook_url="chat.example.com/hooks/s3cretkey")
    assert "s3cretkey" not in str(bad.value)


# --------------------------------------------------------------------------- end to end


def _get(url: str, **params) -> dict:
    response = httpx.get(url, params=params, timeout=5)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    return body["data"]


def _query(monitoring: Monitoring, expr: str) -> tuple[float, dict[str, float]]:
    """The evaluation time and the value per environment of an instant query."""
    data = _get(f"{monitoring.prometheus_url}/api/v1/query", query=expr)
    values = {r["metric"].get("environment", ""): float(r["value"][1]) for r in data["result"]}
    return (float(data["result"][0]["value"][0]) if data["result"] else 0.0), values


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s")
        time.sleep(0.1)
    return found


def _rule(monitoring: Monitoring) -> dict:
    (group,) = _get(f"{monitoring.prometheus_url}/api/v1/rules")["groups"]
    (rule,) = group["rules"]
    return rule


@pytest.mark.servers
def test_2_percent_of_5xx_fires_through_alertmanager_and_half_a_percent_does_not(tmp_path):
    exporter = RequestExporter()
    with (
        WebhookReceiver(tmp_path / "hook") as receiver,
        exporter.serve(free_port()),
        Monitoring(tmp_path / "monitoring", [exporter.target], webhook_url=receiver.url, timing=FAST) as monitoring,
    ):
        # 1000 requests each, fed in batches between scrapes: a rate needs a counter's increase.
        # production: 10 x 100, 2 failing in each; staging: 5 x 200, 1 failing in each.
        total = {"production": 0, "staging": 0}
        for i in range(10):
            exporter.observe(batch("production", 100, 2))
            total["production"] += 100
            if i % 2 == 0:
                exporter.observe(batch("staging", 200, 1))
                total["staging"] += 200
            _wait(
                lambda: _query(monitoring, "sum by (environment) (odoosh_http_requests_total)")[1] == total,
                15,
                f"Prometheus did not scrape {total}",
            )
        assert total == {"production": 1000, "staging": 1000}
        seen_at, _ = _query(monitoring, "vector(1)")

        # three evaluations of the rule after Prometheus held all the data
        evaluations: list[str] = []

        def evaluated_thrice() -> bool:
            last = _rule(monitoring)["lastEvaluation"]
            if datetime.fromisoformat(last).timestamp() > seen_at and last not in evaluations:
                evaluations.append(last)
            return len(evaluations) >= 3

        _wait(evaluated_thrice, 15, "the rule was not evaluated three times")
        rule = _rule(monitoring)
        assert rule["health"] == "ok" and rule["state"] == "firing", rule
        firing = {a["labels"]["environment"]: a["state"] for a in rule["alerts"]}
        assert firing == {"production": "firing"}  # staging's 0.5 % is below the threshold: inactive
        _, ratio = _query(monitoring, rule["query"].rsplit(">", 1)[0])
        # exact unless a scrape fell inside an observe() call: then a sample holds part of a batch
        assert ratio["production"] == pytest.approx(0.02, abs=0.003)
        assert ratio["staging"] == pytest.approx(0.005, abs=0.002)
        alerts = _get(f"{monitoring.prometheus_url}/api/v1/alerts")["alerts"]
        assert [(a["labels"]["environment"], a["state"]) for a in alerts] == [("production", "firing")]

        # Alertmanager posts it to the Mattermost webhook as a Slack payload
        post = receiver.wait_for(lambda p: "production" in json.dumps(p["payload"]), timeout=20)
        (attachment,) = post["payload"]["attachments"]
        assert attachment["title"].startswith("[FIRING:1] ErrorRateAbove1Percent")
        assert attachment["title_link"].startswith(monitoring.alertmanager_url)
        assert "production: 2% of requests failed (5xx)" in attachment["text"]
        assert post["channel"] == "alerts" and post["username"] == "odoosh"
        am_alerts = httpx.get(f"{monitoring.alertmanager_url}/api/v2/alerts", timeout=5).json()
        assert [a["labels"]["environment"] for a in am_alerts] == ["production"]
        assert not any("staging" in json.dumps(p["payload"]) for p in receiver.posts())


@pytest.mark.servers
def test_a_start_replaces_what_a_killed_run_left_and_any_process_can_stop_it(tmp_path, monkeypatch):
    monkeypatch.delenv(WEBHOOK_ENV, raising=False)
    try:
        left = Monitoring(tmp_path, ["127.0.0.1:9"], timing=FAST).start()  # its run is "killed": never stopped
        old = json.loads((tmp_path / RECORD_FILE).read_text())
        assert left.running() == ["prometheus", "alertmanager"]
        again = Monitoring(tmp_path, ["127.0.0.1:9"], timing=FAST).start()
        assert all(process.exited(old[name]["pid"]) for name in ("prometheus", "alertmanager"))
        assert (again.prometheus_port, again.alertmanager_port) == (left.prometheus_port, left.alertmanager_port)
        assert httpx.get(f"{again.prometheus_url}/-/ready", timeout=5).status_code == 200
        new = json.loads((tmp_path / RECORD_FILE).read_text())
    finally:
        Monitoring(tmp_path, []).stop()  # another process's object, from the record
    assert Monitoring(tmp_path, []).running() == []
    assert all(process.exited(new[name]["pid"]) for name in ("prometheus", "alertmanager"))

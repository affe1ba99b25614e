"""Endpoints, per-endpoint figures against a reference computation, N+1 detection, the command."""

import csv
import io
import json
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import numpy
import pytest

from odoosh.observability.endpoints import endpoint
from odoosh.observability.metrics import RequestMetrics, markdown_top, percentile, to_csv, top_by_p95
from odoosh.observability.nplusone import HIGH_QUERIES, find_n_plus_one
from odoosh.observability.report import analyse
from odoosh.observability.requests import Request

T0 = datetime(2026, 12, 1, 14, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/web/dataset/call_kw/res.partner/read", "/web/dataset/call_kw/{model}/{method}"),
        ("/web/dataset/call_button/sale.order/action_confirm", "/web/dataset/call_button/{model}/{method}"),
        ("/my/orders/42", "/my/orders/{id}"),
        ("/my/orders/page/3", "/my/orders/page/{page}"),
        ("/shop/product-name-12", "/shop/{slug}"),
        ("/web/image/res.partner/369/image_128", "/web/image/{model}/{id}/{field}"),
        ("/web/image/res.partner/369/image_128/64x64", "/web/image/{model}/{id}/{field}/{width}x{height}"),
        ("/web/image/123-abcdef12/logo.png", "/web/image/{id}-{unique}/{filename}"),
        ("/web/content/55", "/web/content/{id}"),
        ("/web/webclient/load_menus/4e48dff767427f61276e66d33de96de9", "/web/webclient/load_menus/{unique}"),
        ("/web/assets/1/abc12345/web.assets_web.min.js", "/web/assets/{id}/{unique}/{filename}"),
        ("/web/static/src/img/logo.png", "/{module}/static/{path}"),
        ("/report/pdf/sale.report_saleorder/1,2,3", "/report/{converter}/{reportname}/{docids}"),
        ("/odoo/sales/12", "/odoo/sales/{id}"),
        ("/invite/3fa85f64-5717-4562-b3fc-2c963f66afa6", "/invite/{token}"),
        ("/mail/view/0123456789abcdef0123", "/mail/view/{token}"),
        ("/web/login", "/web/login"),
        ("/coffee/cafe", "/coffee/cafe"),  # a short hex-looking word is a word
        ("/odoosh/test/n_plus_one", "/odoosh/test/n_plus_one"),
    ],
)
def test_endpoint_templates(path, template):
    assert endpoint(path) == template


@pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 997])
def test_percentiles_equal_numpy_linear(n):
    values = sorted(random.Random(n).lognormvariate(-3, 1) for _ in range(n))
    for p in (0, 50, 95, 99, 100):
        assert percentile(values, p) == pytest.approx(float(numpy.percentile(values, p)), rel=1e-12)
    assert percentile([], 50) is None


def _request(path, seconds, status=200, queries=3, sql=None, env="production", size=None, minute=0):
    sql = seconds / 4 if sql is None else sql
    return Request(T0 + timedelta(minutes=minute), env, "GET", path, status, queries, sql, seconds - sql, size)


def test_figures_per_endpoint_and_environment():
    rng = random.Random(7)
    orders = [rng.uniform(0.01, 0.5) for _ in range(200)]
    reqs = [
        _request(f"/my/orders/{i}", s, status=500 if i % 50 == 0 else 200, queries=i % 9) for i, s in enumerate(orders)
    ]
    reqs += [_request("/web/login", 0.002, queries=1), _request("/web/login", 0.004, queries=2, env="staging")]
    reqs.append(Request(T0, "production", "GET", "/web/login", 502))  # no perf counters: counted, not timed
    metrics = RequestMetrics().add_all(reqs)
    figures = {(f.environment, f.endpoint): f for f in metrics.endpoints()}
    assert set(figures) == {("production", "/my/orders/{id}"), ("production", "/web/login"), ("staging", "/web/login")}
    o = figures["production", "/my/orders/{id}"]
    assert (o.requests, o.errors, o.timed, o.max_queries) == (200, 4, 200, 8)
    assert o.error_rate == 0.02
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        assert getattr(o, name) == pytest.approx(numpy.percentile(orders, p), rel=1e-9)
    assert o.sql_share == pytest.approx(0.25)
    assert o.mean_queries == pytest.approx(numpy.mean([i % 9 for i in range(200)]))
    login = figures["production", "/web/login"]
    assert (login.requests, login.errors, login.timed, login.p50) == (2, 1, 1, pytest.approx(0.002))
    (prod, staging) = metrics.environments()
    assert (prod.endpoint, prod.requests, prod.errors) == ("*", 202, 5)
    assert prod.p95 == pytest.approx(numpy.percentile([*orders, 0.002], 95), rel=1e-9)
    assert (staging.environment, staging.requests) == ("staging", 1)


def test_requests_without_latency_give_counts_and_no_percentiles():
    metrics = RequestMetrics().add_all([Request(T0, "production", "GET", "/web/login", s) for s in (200, 500)])
    (f,) = metrics.endpoints()
    assert (f.requests, f.errors, f.timed, f.p50, f.p95, f.p99, f.sql_share, f.mean_queries) == (
        2,
        1,
        0,
        None,
        None,
        None,
        None,
        None,
    )
    assert "no perf counters" in markdown_top([f])


def test_csv_and_markdown_top_ten_by_p95():
    reqs = [_request(f"/page{i}", (i + 1) / 100) for i in range(12)]
    figures = RequestMetrics().add_all(reqs).endpoints()
    rows = list(csv.DictReader(io.StringIO(to_csv(figures))))
    assert len(rows) == 12 and float(rows[0]["p95"]) == pytest.approx(0.01)
    assert [f.endpoint for f in top_by_p95(figures)] == [f"/page{i}" for i in range(11, 1, -1)]
    table = markdown_top(figures).splitlines()
    assert len(table) == 12 and table[2].startswith("| production | `/page11` | 1 | 0 | 120.0 | 120.0 | 120.0 | 25% |")


def test_n_plus_one_by_response_size_flags_the_growing_endpoint_only():
    reqs = []
    for n in (1, 5, 10, 20, 40, 80):
        size = 30 * n + 2
        reqs.append(_request("/odoosh/test/n_plus_one", 0.01 * n, queries=n + 1, size=size))
        reqs.append(_request("/odoosh/test/flat", 0.01, queries=1, size=size))
        reqs.append(_request("/big/but/constant", 0.01, queries=HIGH_QUERIES * 2, size=size))
    (flagged,) = find_n_plus_one(reqs)
    assert (flagged.endpoint, flagged.basis, flagged.max_queries, flagged.requests) == (
        "/odoosh/test/n_plus_one",
        "response_size",
        81,
        6,
    )
    assert flagged.correlation == pytest.approx(1.0) and flagged.queries_per_kb == pytest.approx(1024 / 30)
    assert [r.query_count for r in flagged.examples] == [81, 41, 21]
    assert flagged.summary()["examples"][0] == {
        "at": T0.isoformat(),
        "path": "/odoosh/test/n_plus_one",
        "queries": 81,
        "bytes": 2402,
    }


def test_n_plus_one_without_sizes_is_a_suspect_by_spread():
    reqs = [_request("/my/orders/1", 0.1, queries=q) for q in (3, 30, 90, 150, 12, 60)]
    reqs += [_request("/web/login", 0.1, queries=q) for q in (40, 41, 40, 42, 40, 41)]  # high but steady
    reqs += [_request("/few", 0.1, queries=q) for q in (1, 100, 1, 100)]  # too few to judge
    (flagged,) = find_n_plus_one(reqs)
    assert (flagged.endpoint, flagged.basis, flagged.max_queries) == ("/my/orders/{id}", "query_count_spread", 150)


LINE = (
    "2026-12-01 14:{m:02d}:00,000 41 INFO prod werkzeug: 127.0.0.1 - - [01/Dec/2026 14:{m:02d}:00] "
    '"GET {path} HTTP/1.1" {status} - 3 {sql:.3f} {other:.3f}\n'
)


def test_report_command_prints_the_figures_as_json(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text(
        "".join(
            LINE.format(m=i, path=f"/my/orders/{i}", status=500 if i == 3 else 200, sql=0.01, other=i / 100)
            for i in range(10)
        )
        + "Traceback (most recent call last):\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "odoosh.observability", "report", str(log), "--environment", "staging"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    assert (report["lines"], report["requests"], report["skipped"], report["latency_available"]) == (
        11,
        10,
        {"continuation": 1},
        True,
    )
    (orders,) = report["endpoints"]
    seconds = [0.01 + i / 100 for i in range(10)]
    assert (orders["endpoint"], orders["environment"], orders["requests"], orders["errors"]) == (
        "/my/orders/{id}",
        "staging",
        10,
        1,
    )
    assert orders["error_rate"] == 0.1 and orders["p95"] == pytest.approx(numpy.percentile(seconds, 95))
    assert report["overall"]["p99"] == pytest.approx(numpy.percentile(seconds, 99))


def test_report_command_names_a_missing_file(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "odoosh.observability", "report", str(tmp_path / "gone.log")],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert "cannot read the Odoo log" in out.stderr and "gone.log: No such file or directory" in out.stderr


def test_a_log_without_perf_counters_says_latency_is_unavailable(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text(
        "".join(
            LINE.format(m=i, path="/web/login", status=200, sql=0, other=0).rsplit(" - ", 1)[0] + " -\n"
            for i in range(3)
        )
    )
    report = analyse([log], "production").as_dict()
    assert (report["requests"], report["latency_available"], report["requests_without_latency"]) == (3, False, 3)
    assert (report["overall"]["requests"], report["overall"]["p95"]) == (3, None)


def test_n_plus_one_keeps_call_kw_models_apart():
    """call_kw of a cheap and a costly method is one metrics endpoint, but no N+1 suspect."""
    reqs = [_request("/web/dataset/call_kw/res.partner/read", 0.1, queries=q) for q in (2, 2, 3, 2, 2)]
    reqs += [_request("/web/dataset/call_kw/sale.order/action_confirm", 0.1, queries=q) for q in (90, 95, 90, 92, 91)]
    assert find_n_plus_one(reqs) == []
    (figures,) = RequestMetrics().add_all(reqs).endpoints()
    assert (figures.endpoint, figures.max_queries) == ("/web/dataset/call_kw/{model}/{method}", 95)

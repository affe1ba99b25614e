"""The request_metrics asset: one hour of every environment's Odoo log, its table and its check."""

import csv
import gzip
import io
import json
import os
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from odoosh.artifacts import ArtifactStore
from odoosh.observability.report import EnvironmentLogs, analyse
from odoosh_assets.observability import CHECK, request_metrics
from resources.artifacts import ArtifactStoreResource
from resources.observability import RequestLogsResource

HOUR = "2026-11-02-14:00"
START = datetime(2026, 11, 2, 14, tzinfo=UTC)
LINE = (
    "2026-11-02 {hh}:{mm:02d}:00,000 41 INFO db werkzeug: 127.0.0.1 - - [02/Nov/2026 {hh}:{mm:02d}:00] "
    '"GET {path} HTTP/1.1" {status} - 2 0.010 {other:.3f}\n'
)


def lines(n: int, errors: int, hh: str = "14", path: str = "/my/orders/{i}") -> str:
    return "".join(
        LINE.format(hh=hh, mm=i % 60, path=path.format(i=i), status=500 if i < errors else 200, other=i / 1000)
        for i in range(n)
    )


def at(hh: int, mm: int = 0) -> float:
    return datetime(2026, 11, 2, hh, mm, tzinfo=UTC).timestamp()


@pytest.fixture
def state_dir(tmp_path):
    envs = tmp_path / "environments"
    production, staging, preview = envs / "production", envs / "staging", envs / "pr-7"
    for d in (production, staging, preview):
        d.mkdir(parents=True)
    # production rotated at 14:10: the hour is in both files; an older rotation is not even opened.
    with gzip.open(production / "odoo.log.1.gz", "wt") as f:
        f.write(lines(30, 0, hh="13") + lines(100, 1))
    os.utime(production / "odoo.log.1.gz", (at(14, 10), at(14, 10)))
    (production / "odoo.log.2.gz").write_bytes(b"\x1f\x8b cut short")
    os.utime(production / "odoo.log.2.gz", (at(12), at(12)))
    (production / "odoo.log").write_text(lines(100, 1) + lines(10, 10, hh="15"))
    os.utime(production / "odoo.log", (at(15, 30), at(15, 30)))
    (staging / "odoo.log").write_text(lines(200, 1, path="/web/login"))  # 0.5 %
    (preview / "odoo.log").write_text(lines(50, 0))
    for d in (staging, preview):
        os.utime(d / "odoo.log", (at(14, 59), at(14, 59)))
    return tmp_path


def materialize(state_dir, tmp_path):
    return dg.materialize(
        [request_metrics],
        partition_key=HOUR,
        resources={
            "request_logs": RequestLogsResource(state_dir=str(state_dir)),
            "prod_artifacts": ArtifactStoreResource(url=str(tmp_path / "artifacts")),
        },
    )


def test_one_hour_of_each_environment_stored_and_shown(state_dir, tmp_path):
    result = materialize(state_dir, tmp_path)
    metadata = result.asset_materializations_for_node("request_metrics")[0].metadata
    assert metadata["production_requests"].value == 200  # 14:00-15:00 of both files only
    assert metadata["production_error_rate"].value == pytest.approx(0.01)
    assert metadata["staging_error_rate"].value == pytest.approx(0.005)
    assert metadata["pr-7_requests"].value == 50 and metadata["production_latency_available"].value is True
    # P95 of production's 200 latencies: 0.010 + i/1000 for i in 0..99, twice (linear interpolation)
    assert metadata["production_p95_ms"].value == pytest.approx(10 + 94.05, abs=1e-6)
    assert "`/my/orders/{id}`" in metadata["top_by_p95"].value
    (check,) = result.get_asset_check_evaluations()
    assert (check.check_name, check.passed, check.severity) == (CHECK, False, dg.AssetCheckSeverity.ERROR)
    assert "production: 1.0% of 200 requests; `/my/orders/{id}` 2×5xx" in check.description
    assert "staging" not in check.description

    store = ArtifactStore(str(tmp_path / "artifacts"))
    with store.local_copy(f"request_metrics/{HOUR}") as table:
        rows = list(csv.DictReader(io.StringIO((table / "request_metrics.csv").read_text())))
        stored = json.loads((table / "report.json").read_text())
    # the numbers of `python -m odoosh.observability report` on the same files and hour
    files = EnvironmentLogs(state_dir / "environments").files(START)["production"]
    assert [f.name for f in files] == ["odoo.log.1.gz", "odoo.log"]
    assert stored["environments"]["production"] == json.loads(
        json.dumps(analyse(files, "production", START, START + timedelta(hours=1)).as_dict())
    )
    assert {(r["environment"], r["endpoint"], r["requests"], r["errors"]) for r in rows} == {
        ("production", "/my/orders/{id}", "200", "2"),
        ("staging", "/web/login", "200", "1"),
        ("pr-7", "/my/orders/{id}", "50", "0"),
    }
    assert materialize(state_dir, tmp_path).success, "a partition materialised again replaces its table"


def test_only_staging_or_previews_failing_is_a_warning(state_dir, tmp_path):
    (state_dir / "environments" / "production" / "odoo.log.1.gz").unlink()
    (state_dir / "environments" / "production" / "odoo.log").write_text(lines(100, 0))
    (state_dir / "environments" / "pr-7" / "odoo.log").write_text(lines(50, 5))
    for env in ("production", "pr-7"):
        os.utime(state_dir / "environments" / env / "odoo.log", (at(14, 30), at(14, 30)))
    (check,) = materialize(state_dir, tmp_path).get_asset_check_evaluations()
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert check.description.endswith("pr-7: 10.0% of 50 requests; `/my/orders/{id}` 5×5xx")

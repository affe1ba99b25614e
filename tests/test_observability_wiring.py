"""Observability wired into the platform: the exporter fed by a tail of the environments' logs
(growth, rotation, truncation, restarts), the sandbox's monitoring started and stopped as
`./dev build` and `./dev down` do, the schedules, retention, and slow queries' reset."""

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from psycopg.conninfo import make_conninfo

from odoosh import process
from odoosh.artifacts import ArtifactStore
from odoosh.observability import retention
from odoosh.observability.serve import LogTail, exporter_for
from odoosh.observability.slow_queries import read
from odoosh.sandbox import teardown
from odoosh.sandbox.monitoring import FAST, METRICS_RETENTION, RECORD_FILE
from odoosh.sandbox.observability import EXPORTER_RECORD, SandboxMonitoring
from odoosh.sandbox.webhook_receiver import WebhookReceiver
from odoosh_assets.cli import url_lines
from odoosh_assets.definitions import make_definitions
from odoosh_assets.observability import observability_retention
from resources.artifacts import ArtifactStoreResource
from tests.sandbox_helpers import CONFIG_VARS

LINE = (
    "2026-12-01 14:{mm:02d}:00,000 41 INFO db werkzeug: 127.0.0.1 - - [01/Dec/2026 14:{mm:02d}:00] "
    '"GET /my/orders/{i} HTTP/1.1" {status} - 2 0.010 0.020\n'
)


def lines(n: int, errors: int = 0, first: int = 0) -> str:
    return "".join(LINE.format(mm=i % 60, i=first + i, status=500 if i < errors else 200) for i in range(n))


def ids(requests) -> list[str]:
    return [r.path.rsplit("/", 1)[1] for r in requests]


@pytest.fixture
def env_dir(tmp_path) -> Path:
    d = tmp_path / "environments" / "production"
    d.mkdir(parents=True)
    return d


def tail(tmp_path) -> LogTail:
    return LogTail(tmp_path / "environments", tmp_path / "offsets.json")


# --------------------------------------------------------------------------- the tail


def test_only_complete_lines_are_read_and_a_cut_one_waits_for_its_end(tmp_path, env_dir):
    log = env_dir / "odoo.log"
    log.write_text(lines(3) + LINE.format(mm=0, i=3, status=200)[:40])  # the 4th is still being written
    t = tail(tmp_path)
    assert ids(t.poll()) == ["0", "1", "2"]
    assert list(t.poll()) == []
    with log.open("a") as f:
        f.write(LINE.format(mm=0, i=3, status=200)[40:])
    assert ids(t.poll()) == ["3"]
    assert t.stats.skipped_total == 0  # the cut line was never parsed as a truncated one


def test_a_rename_rotation_reads_the_rest_of_the_old_file_then_the_new_one(tmp_path, env_dir):
    log = env_dir / "odoo.log"
    log.write_text(lines(2))
    t = tail(tmp_path)
    assert ids(t.poll()) == ["0", "1"]
    with log.open("a") as f:
        f.write(lines(2, first=2))  # written after the poll, before the rotation
    log.rename(env_dir / "odoo.log.1")
    log.write_text(lines(1, first=4))
    assert ids(t.poll()) == ["2", "3", "4"]


def test_a_truncated_log_is_read_from_its_start(tmp_path, env_dir):
    log = env_dir / "odoo.log"
    log.write_text(lines(5))
    t = tail(tmp_path)
    assert len(list(t.poll())) == 5
    log.write_text(lines(1, first=9))  # copytruncate: same inode, shorter
    assert ids(t.poll()) == ["9"]


def test_a_restarted_tail_resumes_from_the_saved_offsets(tmp_path, env_dir):
    log = env_dir / "odoo.log"
    log.write_text(lines(3))
    assert len(list(tail(tmp_path).poll())) == 3
    with log.open("a") as f:
        f.write(lines(2, first=3))
    assert ids(tail(tmp_path).poll()) == ["3", "4"]  # a new process: only what it had not read
    (tmp_path / "offsets.json").write_text("{not json")
    assert len(list(tail(tmp_path).poll())) == 5  # unreadable offsets: from the start, never a crash


def test_an_unreadable_log_skips_its_environment_and_a_removed_one_is_forgotten(tmp_path, env_dir, capsys):
    (env_dir / "odoo.log").write_text(lines(2))
    broken = tmp_path / "environments" / "pr-3" / "odoo.log"
    broken.mkdir(parents=True)  # cannot be read as a file
    t = tail(tmp_path)
    assert ids(t.poll()) == ["0", "1"]
    assert f"cannot read {broken}" in capsys.readouterr().err
    broken.rmdir()
    broken.write_text(lines(1, first=7))
    assert ids(t.poll()) == ["7"]
    broken.unlink()
    broken.parent.rmdir()  # the preview was removed
    list(t.poll())
    assert list(json.loads((tmp_path / "offsets.json").read_text())) == ["production"]


def test_the_exporter_counts_the_logs_per_endpoint_template(tmp_path, env_dir):
    (env_dir / "odoo.log").write_text(lines(50, errors=1))
    exporter, t = exporter_for(tmp_path)
    assert exporter.observe(t.poll()) == 50
    samples = {
        (s.name, s.labels.get("endpoint"), s.labels.get("code")): s.value
        for family in text_string_to_metric_families(exporter.exposition().decode())
        for s in family.samples
        if s.name == "odoosh_http_requests_total"
    }
    assert samples == {
        ("odoosh_http_requests_total", "/my/orders/{id}", "2xx"): 49,
        ("odoosh_http_requests_total", "/my/orders/{id}", "5xx"): 1,
    }  # one series per template, not one per order


# --------------------------------------------------------------------------- the sandbox's monitoring


def _query(prometheus: str, expr: str) -> dict[str, float]:
    data = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()["data"]["result"]
    return {r["metric"].get("environment", ""): float(r["value"][1]) for r in data}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.1)
    return found


@pytest.mark.servers
def test_the_sandbox_monitors_its_logs_alerts_on_2_percent_and_down_stops_it_all(tmp_path):
    state = tmp_path / "state"
    log = state / "environments" / "production" / "odoo.log"
    log.parent.mkdir(parents=True)
    log.write_text(lines(100, errors=2))
    monitoring = SandboxMonitoring(state)
    with WebhookReceiver(tmp_path / "hook") as receiver:
        try:
            started = monitoring.start(webhook_url=receiver.url, timing=FAST, interval=0.2)
            assert f"--storage.tsdb.retention.time={METRICS_RETENTION}" in _cmdline(state, "prometheus")
            total = "sum by (environment) (odoosh_http_requests_total)"
            _wait(lambda: _query(started.prometheus_url, total) == {"production": 100}, 20, "no first scrape")
            for batch in range(3):  # the log grows between scrapes: 2 % of its new requests fail
                with log.open("a") as f:
                    f.write(lines(100, errors=2, first=100 * (batch + 1)))
                want = {"production": 100 * (batch + 2)}
                _wait(lambda want=want: _query(started.prometheus_url, total) == want, 20, f"not scraped {want}")
            post = receiver.wait_for(lambda p: "production" in json.dumps(p["payload"]), timeout=30)
            assert "production: 2% of requests failed (5xx)" in post["payload"]["attachments"][0]["text"]
            rows = {name: (url, note) for name, url, note in monitoring.url_rows()}
            assert list(rows) == ["metrics exporter", "Prometheus", "Alertmanager"]
            assert all(note == "" for _, note in rows.values())
            assert rows["Prometheus"][0] == started.prometheus_url
            assert httpx.get(rows["metrics exporter"][0], timeout=5).status_code == 200
            assert any(line.startswith("Alertmanager: ") for line in url_lines(state))  # what `./dev urls` prints
            pids = _pids(state)
        finally:
            said = teardown.down(state)  # what `./dev down` runs
    assert "prometheus and alertmanager stopped" in said and "metrics exporter (pid" in said
    assert not state.exists()
    assert all(process.exited(pid) for pid in pids)


@pytest.mark.servers
def test_a_restarted_exporter_resumes_and_reuses_its_port(tmp_path):
    state = tmp_path / "state"
    log = state / "environments" / "staging" / "odoo.log"
    log.parent.mkdir(parents=True)
    log.write_text(lines(10))
    monitoring = SandboxMonitoring(state)
    try:
        monitoring.start(webhook_url="", timing=FAST, interval=0.2)
        first = json.loads((state / "monitoring" / EXPORTER_RECORD).read_text())
        assert _served_total(monitoring) == 10
        with log.open("a") as f:
            f.write(lines(5, first=10))
        _wait(lambda: _served_total(monitoring) == 15, 10, "the exporter did not follow the log")
        monitoring.start(webhook_url="", timing=FAST, interval=0.2)  # a second build: replaces, resumes
        second = json.loads((state / "monitoring" / EXPORTER_RECORD).read_text())
        assert process.exited(first["pid"]) and second["port"] == first["port"]
        assert _served_total(monitoring) == 0  # a counter reset for Prometheus; nothing counted twice
        with log.open("a") as f:
            f.write(lines(2, first=15))
        _wait(lambda: _served_total(monitoring) == 2, 10, "the restarted exporter did not resume")
    finally:
        monitoring.stop()
    assert not any(process.start_time(p) for p in (first["pid"], second["pid"]))
    assert [note for _, _, note in monitoring.url_rows()] == ["  (not running)"] * 3


def _served_total(monitoring: SandboxMonitoring) -> float:
    text = httpx.get(monitoring.exporter_url(), timeout=5).text
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "odoosh_http_requests_total"
    )


def _pids(state: Path) -> list[int]:
    servers = json.loads((state / "monitoring" / RECORD_FILE).read_text())
    exporter = json.loads((state / "monitoring" / EXPORTER_RECORD).read_text())
    return [servers["prometheus"]["pid"], servers["alertmanager"]["pid"], exporter["pid"]]


def _cmdline(state: Path, server: str) -> list[str]:
    pid = json.loads((state / "monitoring" / RECORD_FILE).read_text())[server]["pid"]
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


# --------------------------------------------------------------------------- retention


def _stored(store: ArtifactStore, tmp_path: Path, *keys: str) -> None:
    for key in keys:
        table = tmp_path / "work" / key.replace(":", "_")
        table.mkdir(parents=True)
        (table / "request_metrics.csv").write_text("endpoint\n")
        store.publish_dir(f"request_metrics/{key}", table)


def test_request_metrics_tables_over_30_days_old_are_deleted(tmp_path):
    store = ArtifactStore(url=str(tmp_path / "artifacts"))
    now = datetime(2026, 12, 31, 12, 0, 30, tzinfo=UTC)
    # 2026-12-01-11:00 ends at 12:00, 30 days and 30 s before now; 12:00 ends 59.5 min after the cutoff
    _stored(store, tmp_path, "2026-10-01-00:00", "2026-12-01-11:00", "2026-12-01-12:00", "2026-12-31-11:00")
    (tmp_path / "artifacts" / "request_metrics" / "notes").mkdir()  # not an hour: never deleted on a guess
    pruned = retention.prune_request_metrics(store, now)
    assert pruned.deleted == ["2026-10-01-00:00", "2026-12-01-11:00"]
    assert pruned.kept == 2 and pruned.unknown == ["notes"]
    assert store.list("request_metrics") == ["2026-12-01-12:00", "2026-12-31-11:00", "notes"]
    assert retention.prune_request_metrics(store, now + timedelta(minutes=59)).deleted == []
    assert retention.prune_request_metrics(store, now + timedelta(minutes=59, seconds=30)).deleted == [
        "2026-12-01-12:00"
    ]
    with pytest.raises(ValueError, match="time zone"):
        retention.prune_request_metrics(store, datetime(2026, 12, 31))


def test_the_retention_job_deletes_old_tables_and_says_how_many(tmp_path):
    store = ArtifactStore(url=str(tmp_path / "artifacts"))
    this_hour = datetime.now(UTC).strftime(retention.PARTITION_FORMAT[:-2] + "00")
    _stored(store, tmp_path, "2026-01-01-00:00", this_hour)
    result = observability_retention.execute_in_process(
        resources={"prod_artifacts": ArtifactStoreResource(url=str(tmp_path / "artifacts"))}
    )
    assert result.success
    assert store.list("request_metrics") == [this_hour]
    (output,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_OUTPUT]
    metadata = output.event_specific_data.metadata
    assert metadata["deleted"].value == 1 and metadata["kept"].value == 1
    assert metadata["oldest_deleted"].value == "2026-01-01-00:00"


# --------------------------------------------------------------------------- schedules


@pytest.fixture
def defs(monkeypatch, tmp_path):
    for name in CONFIG_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ODOOSH_STATE_DIR", str(tmp_path))
    return make_definitions()


def _schedule(defs: dg.Definitions, name: str) -> dg.ScheduleDefinition:
    return defs.resolve_schedule_def(name)


def test_the_hourly_schedule_runs_the_previous_hour(defs):
    schedule = _schedule(defs, "hourly_request_metrics")
    assert schedule.cron_schedule == "5 * * * *" and schedule.job_name == "request_metrics_job"
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 12, 1, 15, 5, tzinfo=UTC)
        )
        (run,) = schedule.evaluate_tick(context).run_requests
    assert run.partition_key == "2026-12-01-14:00"


def test_daily_schedules_run_slow_queries_and_retention(defs):
    slow = _schedule(defs, "daily_slow_queries")
    pruning = _schedule(defs, "daily_observability_retention")
    assert slow.cron_schedule == "0 6 * * *" and pruning.cron_schedule == "30 3 * * *"
    assert pruning.job_name == "observability_retention"
    job = defs.resolve_job_def(slow.job_name)  # what a tick materialises
    assert job.asset_layer.selected_asset_keys == {dg.AssetKey("slow_queries")}
    for schedule in (slow, pruning, _schedule(defs, "hourly_request_metrics")):
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


# --------------------------------------------------------------------------- slow queries' reset


def test_a_report_with_reset_starts_the_next_one_afresh_and_only_for_its_database(pg, fresh_db):
    with pg.connect(fresh_db) as conn:
        conn.execute("SELECT pg_sleep(1.1)")
    with pg.connect("postgres") as conn:
        conn.execute("SELECT pg_sleep(1.05)")  # another database's slow statement
    first = read(pg.dsn("postgres"), fresh_db, reset=True)
    assert len(first.slow) == 1 and first.reset is True
    assert read(pg.dsn("postgres"), fresh_db).slow == []  # flagged once, not until a manual reset
    assert any("pg_sleep" in s.query for s in read(pg.dsn("postgres"), "postgres").slow)
    with pg.connect(fresh_db) as conn:
        conn.execute("SELECT pg_sleep(1.1)")
    assert len(read(pg.dsn("postgres"), fresh_db).slow) == 1  # new executions are counted again


def test_a_role_that_may_not_reset_still_gets_its_report_and_it_says_so(pg, fresh_db):
    role = f"{fresh_db}_reader"[:60]
    with pg.connect("postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN IN ROLE pg_read_all_stats, pg_read_all_settings").format(sql.Identifier(role))
        )
    try:
        with pg.connect(fresh_db) as conn:
            conn.execute("SELECT pg_sleep(1.1)")
        read(pg.dsn("postgres"), "postgres")  # the view exists: the reader need not create it
        reader = make_conninfo(pg.dsn("postgres"), user=role)
        report = read(reader, fresh_db, reset=True)
        assert len(report.slow) == 1 and report.reset is False
        assert len(read(pg.dsn("postgres"), fresh_db, reset=True).slow) == 1  # still there: nothing was reset
    finally:
        with pg.connect("postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))

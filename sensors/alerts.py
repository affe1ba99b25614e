"""Alerts from Dagster's own records: failed runs, and failed asset check evaluations.

A run-failure sensor posts the job, each failed step and its error. A second sensor reads the
instance's asset check executions and posts every failed evaluation (ERROR or WARN severity),
at most once each: its cursor is the newest execution it has finished with, plus the few newer
ones already handled while an older one was still running. Evaluations older than LOOKBACK_S
are not posted (a sensor started on an old instance, or after a long stop, does not replay
history), and a check that raised instead of failing is the run-failure sensor's to report.
"""

import json
import time
from collections.abc import Iterable, Sequence

import dagster as dg

# Not exported by `dagster`; the records are what event_log_storage returns for asset checks.
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionRecord,
    AssetCheckExecutionRecordStatus,
)

from odoosh.alerts import Alert, AlertError, Severity, check_failed, run_failed
from resources.alerts import AlertsResource

LOOKBACK_S = 3600
PAGE = 50  # executions of one check read per query
CHECK_SENSOR_INTERVAL_S = 30


def alert_sensors(running: bool) -> list[dg.SensorDefinition]:
    """Both sensors; `running` (a webhook is configured) makes them start with the daemon."""
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED

    # Every code location's runs, and runs with none: `dagster asset materialize` and `./dev build`
    # execute in process, and a sensor watching only its own location's runs never sees them.
    @dg.run_failure_sensor(
        name="alert_on_run_failure",
        monitor_all_code_locations=True,
        default_status=status,
        description="Posts each failed run (job, failed steps, errors) to ODOOSH_ALERT_WEBHOOK_URL.",
    )
    def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: AlertsResource) -> None:
        steps = [
            (event.step_key or "?", _error_text(event.step_failure_data.error))
            for event in context.get_step_failure_events()
        ]
        alert = run_failed(
            context.dagster_run.job_name, context.dagster_run.run_id, steps, context.failure_event.message or ""
        )
        alerts.sender().send(alert, context.log)  # an AlertError fails this tick, shown on the sensor's page

    @dg.sensor(
        name="alert_on_failed_checks",
        minimum_interval_seconds=CHECK_SENSOR_INTERVAL_S,
        default_status=status,
        description="Posts each failed asset check evaluation (ERROR or WARN) to ODOOSH_ALERT_WEBHOOK_URL, once.",
    )
    def alert_on_failed_checks(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SensorResult:
        return post_failed_checks(context, alerts)

    return [alert_on_run_failure, alert_on_failed_checks]


# --------------------------------------------------------------------------- failed checks


def post_failed_checks(context: dg.SensorEvaluationContext, alerts: AlertsResource) -> dg.SensorResult:
    """One tick: post the failed evaluations finished since the cursor, oldest first."""
    instance, asset_graph = context.instance, context.repository_def.asset_graph
    cursor = _Cursor.parse(context.cursor)
    ceiling, records = _new_executions(instance, asset_graph.asset_check_keys, cursor)
    sender = alerts.sender()
    oldest = time.time() - LOOKBACK_S
    running, posted = [], 0
    for record in records:
        if _still_running(instance, record):
            running.append(record.id)  # looked at again next tick
            continue
        failed = record.status is AssetCheckExecutionRecordStatus.FAILED
        if failed and record.event is not None and record.event.timestamp >= oldest:
            try:
                sender.send(_check_alert(record, asset_graph), context.log)
            except AlertError as exc:
                context.log.error(str(exc))
                cursor.settle(ceiling, [*running, record.id])
                return dg.SensorResult(skip_reason=f"{exc} Retried next tick.", cursor=cursor.dump())
            posted += 1
        cursor.done.add(record.id)
    cursor.settle(ceiling, running)
    skip = None if posted else f"No new failed check evaluations ({len(running)} still running)."
    return dg.SensorResult(skip_reason=skip, cursor=cursor.dump())


def _still_running(instance: dg.DagsterInstance, record: AssetCheckExecutionRecord) -> bool:
    """Planned and its run goes on. A planned check whose run ended never evaluated: the run
    failed, which the run-failure sensor reports."""
    if record.status is not AssetCheckExecutionRecordStatus.PLANNED:
        return False
    run = instance.get_run_by_id(record.run_id)
    return run is not None and not run.is_finished


class _Cursor:
    """Every execution up to `after` is handled, and so are those in `done` (newer ones that
    finished while an older one still ran). `fresh`: the sensor's first tick."""

    def __init__(self, after: int, done: set[int], fresh: bool):
        self.after, self.done, self.fresh = after, done, fresh

    @classmethod
    def parse(cls, raw: str | None) -> "_Cursor":
        if not raw:
            return cls(0, set(), True)
        value = json.loads(raw)
        return cls(int(value["after"]), {int(i) for i in value.get("done", ())}, False)

    def settle(self, ceiling: int, unhandled: Sequence[int]) -> None:
        """Move `after` up to the newest id this tick saw, or to just below the oldest it left."""
        self.after = max(self.after, min(unhandled) - 1 if unhandled else ceiling)
        self.done = {i for i in self.done if i > self.after}

    def dump(self) -> str:
        return json.dumps({"after": self.after, "done": sorted(self.done)})


def _new_executions(
    instance: dg.DagsterInstance, keys: Iterable[dg.AssetCheckKey], cursor: _Cursor
) -> tuple[int, list[AssetCheckExecutionRecord]]:
    """(ceiling, executions newer than the cursor and not yet handled, oldest first).

    One query for the latest execution of every check, then the history of just the checks
    that ran since; `ceiling`, the newest id of the first query, bounds the rest, so an
    execution created meanwhile waits for the next tick instead of being jumped over.
    """
    storage = instance.event_log_storage
    keys = list(keys)
    latest = storage.get_latest_asset_check_execution_by_key(keys) if keys else {}
    ceiling = max((r.id for r in latest.values()), default=cursor.after)
    oldest = time.time() - LOOKBACK_S
    found: list[AssetCheckExecutionRecord] = []
    for key, newest in latest.items():
        before = None
        while newest.id > cursor.after:
            page = storage.get_asset_check_execution_history(key, limit=PAGE, cursor=before)
            wanted = [r for r in page if r.id > cursor.after and (not cursor.fresh or r.create_timestamp >= oldest)]
            found += [r for r in wanted if r.id <= ceiling and r.id not in cursor.done]
            if len(page) < PAGE or len(wanted) < len(page):
                break
            before = page[-1].id
    return ceiling, sorted(found, key=lambda r: r.id)


def _check_alert(record: AssetCheckExecutionRecord, asset_graph) -> Alert:
    evaluation = record.event.dagster_event.asset_check_evaluation_data
    spec_description = asset_graph.get_check_spec(record.key).description
    severity = Severity.ERROR if evaluation.severity is dg.AssetCheckSeverity.ERROR else Severity.WARNING
    return check_failed(
        check=evaluation.check_name,
        asset=evaluation.asset_key.to_user_string(),
        severity=severity,
        description=evaluation.description or spec_description,
        metadata={name: _metadata_text(value) for name, value in evaluation.metadata.items()},
        run_id=record.run_id,
    )


def _metadata_text(value: dg.MetadataValue) -> str:
    raw = value.value
    if isinstance(raw, (dict, list)):
        return json.dumps(raw, separators=(",", ":"), default=str)
    return " ".join(str(raw).split())


# --------------------------------------------------------------------------- failed runs


def _error_text(error) -> str:
    """The user's exception, not Dagster's wrapper around it: "ValueError: ..."."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error.message.strip()

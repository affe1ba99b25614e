"""Alerts: the client against the loopback Mattermost double, the double's fidelity, and the
two sensors reading a real Dagster instance's failed runs and check evaluations."""

import json
import logging
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import httpx
import pytest

from odoosh import process
from odoosh.alerts import WEBHOOK_ENV, Alert, AlertError, AlertSender, Severity
from odoosh.process import free_port
from odoosh.sandbox.webhook_receiver import MAX_POST_CHARS, URL_FILE, WebhookReceiver, read_posts
from odoosh_assets.definitions import make_definitions
from resources.alerts import AlertsResource
from sensors.alerts import alert_sensors
from tests.sandbox_helpers import CONFIG_VARS

PARSE, NO_TEXT = "web.incoming_webhook.parse.app_error", "web.incoming_webhook.text.app_error"
ALERT = Alert(Severity.ERROR, "Backup of `repo1` failed", "pgBackRest said **no**.", {"repository": "repo1"})


@pytest.fixture
def receiver(tmp_path):
    with WebhookReceiver(tmp_path / "hook") as receiver:
        yield receiver


# --------------------------------------------------------------------------- the client


def test_an_alert_reaches_the_webhook_as_mattermost_markdown(receiver, tmp_path):
    delivery = AlertSender(receiver.url, channel="alerts").send(ALERT)
    assert delivery.posted and receiver.hook_id not in delivery.where
    (post,) = receiver.posts()
    assert post["channel"] == "alerts" and post["username"] == "odoosh"
    assert post["text"].startswith(":red_circle: **ERROR** Backup of `repo1` failed")
    assert "pgBackRest said **no**." in post["text"] and "- **repository**: repo1" in post["text"]
    assert read_posts(tmp_path / "hook") == [post]  # recorded for other processes too


def test_unset_means_the_log_only(caplog):
    sender = AlertSender(None)
    with caplog.at_level(logging.WARNING, logger="odoosh.alerts"):
        delivery = sender.send(ALERT)
    assert not delivery.posted and f"{WEBHOOK_ENV} is unset" in delivery.where
    assert "Backup of `repo1` failed" in caplog.text


def test_the_webhook_url_never_appears_in_logs_or_errors(receiver, caplog):
    secret = receiver.hook_id
    with caplog.at_level(logging.DEBUG):
        AlertSender(receiver.url).send(ALERT)
        with pytest.raises(AlertError) as refused:
            AlertSender(receiver.url.replace(secret, "x" + secret[1:])).send(ALERT)
    assert "HTTP Request: POST" in caplog.text  # httpx logged the request, with the URL hidden
    assert secret not in caplog.text and secret[1:] not in caplog.text
    message = str(refused.value)
    assert "Invalid webhook." in message and WEBHOOK_ENV in message and secret[1:] not in message
    assert f"http://127.0.0.1:{receiver.port}/…" in message


def test_a_malformed_url_is_refused_without_echoing_it():
    with pytest.raises(AlertError, match=f"{WEBHOOK_ENV} is not an http") as bad:
        AlertSender("chat.example.com/hooks/s3cretkey")
    assert "s3cretkey" not in str(bad.value)


def test_an_unreachable_webhook_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/hooks/s3cretkey"
    with pytest.raises(AlertError, match="could not be sent") as failed:
        AlertSender(url).send(ALERT)
    assert "s3cretkey" not in str(failed.value) and "reachable" in str(failed.value)


def test_a_webhook_that_never_answers_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, answers nothing
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hooks/s3cretkey"
        with pytest.raises(AlertError, match="timed out after 0.5 s") as failed:
            AlertSender(url, timeout=0.5).send(ALERT)
    assert "s3cretkey" not in str(failed.value)


def test_a_long_alert_stays_one_post(receiver):
    AlertSender(receiver.url).send(Alert(Severity.WARNING, "long", "x" * 40_000))
    (post,) = receiver.posts()
    assert len(post["text"]) <= MAX_POST_CHARS and post["text"].endswith("the whole text is in Dagster)")


@pytest.mark.servers
def test_the_receiver_runs_as_a_process_of_the_sandbox(tmp_path):
    """`python -m odoosh.sandbox.webhook_receiver`: its URL in receiver.json (mode 600), posts in
    posts.jsonl, and the same URL after a restart."""
    directory = tmp_path / "alerts"
    url_file, log_file = directory / URL_FILE, tmp_path / "receiver.log"

    def start() -> int:
        pid = process.start(
            [sys.executable, "-m", "odoosh.sandbox.webhook_receiver", "--dir", str(directory)], log_file
        )

        def written() -> bool:  # by this start, not the previous one
            return url_file.exists() and json.loads(url_file.read_text())["pid"] == pid

        process.wait_until_ready(
            pid, written, timeout=20, what="the receiver", ready_as="listen", log_file=log_file, log_offset=0
        )
        return pid

    pid = start()
    try:
        assert url_file.stat().st_mode & 0o777 == 0o600
        url = json.loads(url_file.read_text())["url"]
        AlertSender(url).send(ALERT)
        assert [p["text"].splitlines()[0] for p in read_posts(directory)] == [ALERT.markdown().splitlines()[0]]
        process.stop(pid)
        pid = start()
        assert json.loads(url_file.read_text())["url"] == url  # the URL people configured still works
        AlertSender(url).send(ALERT)
        assert len(read_posts(directory)) == 2
    finally:
        process.stop(pid)
    assert process.exited(pid)


# --------------------------------------------------------------------------- the double refuses what Mattermost does


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error_id"),
    [
        ('{"username": "odoosh"}', "application/json", 400, NO_TEXT),
        ('{"text": ""}', "application/json", 400, NO_TEXT),
        ('{"text": 5}', "application/json", 400, PARSE),
        ('{"text": "a", "attachments": {"text": "b"}}', "application/json", 400, PARSE),
        ('{"text": "a", "props": []}', "application/json", 400, PARSE),
        ('["text"]', "application/json", 400, PARSE),
        ("{text: a}", "application/json", 400, PARSE),
        ("null", None, 400, PARSE),
        ('{"text": "a", "channel": "nowhere"}', "application/json", 404, "web.incoming_webhook.channel.app_error"),
        ('{"text": "a", "channel": "@jim"}', "application/json", 400, "web.incoming_webhook.user.app_error"),
    ],
)
def test_the_double_refuses_what_mattermost_refuses(receiver, body, content_type, status, error_id):
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(receiver.url, content=body, headers=headers)
    assert response.status_code == status
    assert response.json()["id"] == error_id and response.json()["status_code"] == status
    assert receiver.posts() == []


def test_the_double_takes_what_mattermost_takes(receiver):
    ok = [
        httpx.post(receiver.url, json={"text": "plain", "unknown_field": [1, 2]}),  # Go ignores unknown fields
        httpx.post(receiver.url, data={"payload": json.dumps({"text": "slack style", "channel": "#alerts"})}),
        httpx.post(receiver.url, content='{"text": "no content type"}'),
        httpx.post(receiver.url, json={"attachments": [{"fallback": "f", "color": "#ff0000", "fields": []}]}),
        httpx.post(receiver.url, json={"text": "y" * (MAX_POST_CHARS + 10)}),  # split in two, as Mattermost does
    ]
    assert [(r.status_code, r.text, r.headers["content-type"]) for r in ok] == [(200, "ok", "text/plain")] * 5
    texts = [p["text"] for p in receiver.posts()]
    assert texts[:4] == ["plain", "slack style", "no content type", ""]
    assert [len(t) for t in texts[4:]] == [MAX_POST_CHARS, 10]
    assert httpx.get(receiver.url).status_code == 405
    assert httpx.post(receiver.url.rsplit("/", 1)[0] + "/not-an-id!", json={"text": "a"}).status_code == 404


# --------------------------------------------------------------------------- the sensors


@dg.asset
def backed_up() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"size_bytes": 10})


@dg.asset_check(asset=backed_up, description="pgBackRest verify passes on each repository.")
def backup_verify() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, metadata={"repo1": "checksum invalid: 1", "files": 2})


@dg.asset_check(asset=backed_up, description="Newest full backup in repo2 at most a day old.")
def replica_fresh() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"age_h": 30.5})


@dg.asset_check(asset=backed_up)
def passes() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset(deps=[backed_up])
def restore_test() -> None:
    raise RuntimeError("pg_amcheck found 1 corrupt index: res_partner_pkey")


SLOW_CHECK_STARTED, SLOW_CHECK_MAY_END = threading.Event(), threading.Event()


@dg.asset
def archived() -> None:
    pass


@dg.asset_check(asset=archived)
def rpo_within_5_min() -> dg.AssetCheckResult:
    """Fails, but only once the test lets it end: an evaluation still running meanwhile."""
    SLOW_CHECK_STARTED.set()
    assert SLOW_CHECK_MAY_END.wait(60)
    return dg.AssetCheckResult(passed=False, metadata={"age_s": 400})


def _defs(url: str | None) -> dg.Definitions:
    return dg.Definitions(
        assets=[backed_up, restore_test, archived],
        asset_checks=[backup_verify, replica_fresh, passes, rpo_within_5_min],
        sensors=alert_sensors(running=True),
        resources={"alerts": AlertsResource(webhook_url=url)},
    )


def _tick(defs: dg.Definitions, name: str, instance: dg.DagsterInstance, cursor: str | None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources=defs.resources)
    return defs.resolve_sensor_def(name).evaluate_tick(context)


def test_failed_checks_are_posted_once_each_with_their_severity_and_metadata(receiver):
    defs = _defs(receiver.url)
    with dg.instance_for_test() as instance:
        checks = [backup_verify, replica_fresh, passes]
        assert dg.materialize([backed_up, *checks], instance=instance).success
        first = _tick(defs, "alert_on_failed_checks", instance, None)
        posts = receiver.posts()
        assert len(posts) == 2, posts
        error, warning = sorted(posts, key=lambda p: "replica_fresh" in p["text"])
        assert error["text"].startswith(":red_circle: **ERROR** Check `backup_verify` of `backed_up` failed")
        assert "pgBackRest verify passes on each repository." in error["text"]
        assert "- **repo1**: checksum invalid: 1" in error["text"] and "- **files**: 2" in error["text"]
        assert warning["text"].startswith(":warning: **WARNING** Check `replica_fresh`")
        assert "- **age_h**: 30.5" in warning["text"]

        again = _tick(defs, "alert_on_failed_checks", instance, first.cursor)
        assert len(receiver.posts()) == 2 and again.skip_message.startswith("No new failed check")

        assert dg.materialize([backed_up, *checks], instance=instance).success
        _tick(defs, "alert_on_failed_checks", instance, again.cursor)
        assert len(receiver.posts()) == 4  # a new evaluation is a new alert


def test_a_check_still_running_is_posted_when_it_ends_and_the_newer_ones_only_once(receiver):
    """The slow check was planned first (a lower id) and fails after a newer one was posted."""
    defs = _defs(receiver.url)
    with dg.instance_for_test() as instance, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(dg.materialize, [archived, rpo_within_5_min], instance=instance)
        assert SLOW_CHECK_STARTED.wait(60)
        assert dg.materialize([backed_up, backup_verify], instance=instance).success
        first = _tick(defs, "alert_on_failed_checks", instance, None)
        assert ["backup_verify" in p["text"] for p in receiver.posts()] == [True]
        held = json.loads(first.cursor)
        assert len(held["done"]) == 1 and held["after"] < held["done"][0]  # held below the running check
        SLOW_CHECK_MAY_END.set()
        assert slow.result(60).success
        second = _tick(defs, "alert_on_failed_checks", instance, first.cursor)
        assert ["rpo_within_5_min" in p["text"] for p in receiver.posts()] == [False, True]
        _tick(defs, "alert_on_failed_checks", instance, second.cursor)
        assert len(receiver.posts()) == 2
        assert json.loads(second.cursor)["done"] == []  # nothing left pending: the cursor is back to one id


def test_an_undelivered_check_alert_is_retried_next_tick(receiver):
    with dg.instance_for_test() as instance:
        assert dg.materialize([backed_up, backup_verify], instance=instance).success
        down = _defs(f"http://127.0.0.1:{free_port()}/hooks/s3cretkey")
        failed = _tick(down, "alert_on_failed_checks", instance, None)
        assert "could not be sent" in failed.skip_message and "s3cretkey" not in failed.skip_message
        assert receiver.posts() == []
        _tick(_defs(receiver.url), "alert_on_failed_checks", instance, failed.cursor)
        assert ["backup_verify" in p["text"] for p in receiver.posts()] == [True]


def test_a_failed_run_is_posted_with_its_job_step_and_error(receiver):
    defs = _defs(receiver.url)
    with dg.instance_for_test() as instance:
        first = _tick(defs, "alert_on_run_failure", instance, None)  # starts from now, as Dagster's do
        result = dg.materialize([backed_up, restore_test], instance=instance, raise_on_error=False)
        assert not result.success
        _tick(defs, "alert_on_run_failure", instance, first.cursor)
        (post,) = receiver.posts()
        assert post["text"].startswith(":red_circle: **ERROR** Run of `__ephemeral_asset_job__` failed")
        assert "- step `restore_test`: RuntimeError: pg_amcheck found 1 corrupt index: res_partner_pkey" in post["text"]
        assert f"- **run**: {result.run_id}" in post["text"]


def test_an_undelivered_run_alert_fails_the_tick_naming_only_the_host():
    defs = _defs(f"http://127.0.0.1:{free_port()}/hooks/s3cretkey")
    with dg.instance_for_test() as instance:
        first = _tick(defs, "alert_on_run_failure", instance, None)
        assert not dg.materialize([backed_up, restore_test], instance=instance, raise_on_error=False).success
        (reaction,) = _tick(defs, "alert_on_run_failure", instance, first.cursor).dagster_run_reactions
    error = reaction.error.to_string()
    assert "could not be sent" in error and "s3cretkey" not in error


def test_the_sensors_run_by_default_only_with_a_webhook(monkeypatch, tmp_path):
    for name in [*CONFIG_VARS, WEBHOOK_ENV]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ODOOSH_STATE_DIR", str(tmp_path))
    names = {"alert_on_run_failure", "alert_on_failed_checks"}

    def statuses() -> set:
        defs = make_definitions()
        return {defs.resolve_sensor_def(n).default_status for n in names}

    assert statuses() == {dg.DefaultSensorStatus.STOPPED}
    assert make_definitions().resources["alerts"].webhook_url is None
    monkeypatch.setenv(WEBHOOK_ENV, "https://chat.example.com/hooks/s3cretkey")
    assert statuses() == {dg.DefaultSensorStatus.RUNNING}
    assert "s3cretkey" not in repr(make_definitions().resources["alerts"])  # an EnvVar, read at run time

"""Prometheus and Alertmanager, Debian's binaries, started by the platform for its sandbox.

Prometheus scrapes the platform's metrics endpoints (odoosh/observability/exporter.py),
evaluates the error-rate rule (odoosh/observability/error_rate.rules.yml) and sends what
fires to Alertmanager, which posts it to the Mattermost webhook (`ODOOSH_ALERT_WEBHOOK_URL`)
through its Slack notifier: Mattermost's incoming webhooks take Slack's payload. The webhook
URL is a secret: it is written to a file of mode 600 that the configuration names
(`api_url_file`), never into the configuration itself. Without a webhook, alerts stay in
Alertmanager (its UI and API), and `Monitoring.notifies` says so.

Everything lives in one directory: the generated configurations, both servers' data and logs,
and `monitoring.json`, the servers' pids (with their start times) and ports. Both listen on free
loopback ports, the same again across restarts while they stay free; Alertmanager's cluster (HA
gossip) is off. The servers run detached: a start in a directory first stops the servers a
killed run left there (Prometheus's storage lock would refuse a second one), and `stop` works
from any process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from odoosh import process
from odoosh.alerts import WEBHOOK_ENV, AlertSender

PROMETHEUS = "/usr/bin/prometheus"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PROMTOOL = "/usr/bin/promtool"
RULES = Path(__file__).parents[1] / "observability" / "error_rate.rules.yml"
START_TIMEOUT_S = 60
WEBHOOK_FILE = "webhook_url"
RECORD_FILE = "monitoring.json"
METRICS_RETENTION = "90d"  # the 90 days of metrics: Prometheus deletes older blocks itself
SERVERS = ("prometheus", "alertmanager")  # stopped in this order: Prometheus sends to Alertmanager


class MonitoringError(RuntimeError):
    """Prometheus or Alertmanager could not be configured or started."""


@dataclass(frozen=True)
class Timing:
    """How often Prometheus scrapes and evaluates, how long the rule waits before firing (None:
    the rule file's own `for`), and how Alertmanager groups and repeats notifications. Prometheus
    durations ("15s", "5m")."""

    scrape: str = "15s"
    evaluation: str = "15s"
    alert_for: str | None = None
    group_wait: str = "30s"
    group_interval: str = "5m"
    repeat: str = "4h"


FAST = Timing(scrape="1s", evaluation="1s", alert_for="0s", group_wait="1s", group_interval="1s")


class Monitoring:
    """Prometheus scraping `targets` (host:port of metrics endpoints) and Alertmanager, in `directory`."""

    def __init__(
        self,
        directory: Path,
        targets: Sequence[str],
        webhook_url: str | None = None,
        timing: Timing = Timing(),
        channel: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.targets = list(targets)
        self.webhook_url = webhook_url if webhook_url is not None else os.environ.get(WEBHOOK_ENV) or None
        self._sender = AlertSender(self.webhook_url)  # the alerts' own check of the URL: a clear AlertError
        self.timing = timing
        self.channel = channel
        self.prometheus_port: int | None = None
        self.alertmanager_port: int | None = None

    @property
    def notifies(self) -> bool:
        """Whether firing alerts are posted to a webhook (else they stay in Alertmanager)."""
        return bool(self.webhook_url)

    @property
    def where(self) -> str:
        """Where firing alerts go, safe to show (the webhook's scheme and host only)."""
        return (
            self._sender.where
            if self.notifies
            else f"Alertmanager only, at {self.alertmanager_url} ({WEBHOOK_ENV} is unset)"
        )

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"

    @property
    def rules_file(self) -> Path:
        return self.directory / "error_rate.rules.yml"

    # ------------------------------------------------------------------ configuration

    def write_config(self) -> None:
        """The rule file, both configurations and the webhook's secret file, in `directory`."""
        self.directory.mkdir(parents=True, exist_ok=True)
        before = self._record()
        for name in SERVERS:
            if getattr(self, f"{name}_port") is None:
                port = process.reusable_port("127.0.0.1", before.get(name, {}).get("port")) or process.free_port()
                setattr(self, f"{name}_port", port)
        rules = yaml.safe_load(RULES.read_text())
        if self.timing.alert_for is not None:
            for group in rules["groups"]:
                for rule in group["rules"]:
                    rule["for"] = self.timing.alert_for
        self.rules_file.write_text(yaml.safe_dump(rules, sort_keys=False))
        prometheus = {
            "global": {"scrape_interval": self.timing.scrape, "evaluation_interval": self.timing.evaluation},
            "rule_files": [str(self.rules_file)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{self.alertmanager_port}"]}]}]},
            "scrape_configs": [{"job_name": "odoosh", "static_configs": [{"targets": self.targets}]}],
        }
        (self.directory / "prometheus.yml").write_text(yaml.safe_dump(prometheus, sort_keys=False))
        (self.directory / "alertmanager.yml").write_text(yaml.safe_dump(self._alertmanager_config(), sort_keys=False))

    def _alertmanager_config(self) -> dict:
        route = {
            "receiver": "mattermost" if self.notifies else "none",
            "group_by": ["alertname", "environment"],
            "group_wait": self.timing.group_wait,
            "group_interval": self.timing.group_interval,
            "repeat_interval": self.timing.repeat,
        }
        secret = self.directory / WEBHOOK_FILE
        if not self.notifies:
            secret.unlink(missing_ok=True)  # a webhook of an earlier start is no longer in use
            return {"route": route, "receivers": [{"name": "none"}]}
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.webhook_url)
        os.chmod(secret, 0o600)  # an older file keeps its mode through O_CREAT
        slack = {
            "api_url_file": str(secret),
            "send_resolved": True,
            "username": "odoosh",
            "title": '{{ template "slack.default.title" . }}',
            "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}",
        }
        if self.channel:
            slack["channel"] = self.channel
        return {"route": route, "receivers": [{"name": "mattermost", "slack_configs": [slack]}]}

    # ------------------------------------------------------------------ servers

    def start(self) -> Monitoring:
        """Stop what a previous run left here, write the configuration, then start Alertmanager and
        Prometheus; each is ready (its `/-/ready` answers 200) when this returns."""
        self.stop()
        self.write_config()
        try:
            self._start(
                "alertmanager",
                [
                    ALERTMANAGER,
                    f"--config.file={self.directory / 'alertmanager.yml'}",
                    f"--storage.path={self.directory / 'alertmanager-data'}",
                    f"--web.listen-address=127.0.0.1:{self.alertmanager_port}",
                    f"--web.external-url={self.alertmanager_url}",  # the links in its posts
                    "--cluster.listen-address=",  # no HA gossip port
                ],
                self.alertmanager_url,
            )
            self._start(
                "prometheus",
                [
                    PROMETHEUS,
                    f"--config.file={self.directory / 'prometheus.yml'}",
                    f"--storage.tsdb.path={self.directory / 'prometheus-data'}",
                    f"--storage.tsdb.retention.time={METRICS_RETENTION}",
                    f"--web.listen-address=127.0.0.1:{self.prometheus_port}",
                    f"--web.external-url={self.prometheus_url}",
                ],
                self.prometheus_url,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, name: str, args: list[str], url: str) -> None:
        if not os.access(args[0], os.X_OK):
            raise MonitoringError(f"{args[0]} is missing: install Debian's {name} package (./dev installs it).")
        log_file = self.directory / f"{name}.log"
        offset = process.log_size(log_file)
        pid = process.start(args, log_file)
        record = self._record()
        record[name] = {"pid": pid, "process_start": process.start_time(pid), "port": int(url.rsplit(":", 1)[1])}
        self._write_record(record)
        process.wait_until_ready(
            pid,
            lambda: answers(f"{url}/-/ready"),
            timeout=START_TIMEOUT_S,
            what=f"{name} on {url}",
            ready_as="become ready",
            log_file=log_file,
            log_offset=offset,
        )

    def stop(self) -> None:
        """Stop the servers recorded in the directory (this run's or another's); their ports stay
        recorded, to be reused."""
        record = self._record()
        for name in SERVERS:
            entry = record.get(name) or {}
            if entry.get("pid") and process.start_time(entry["pid"]) == entry.get("process_start"):
                process.stop(entry["pid"])
            entry.pop("pid", None)
        if record:
            self._write_record(record)

    def running(self) -> list[str]:
        """The servers of the directory that are running now."""
        record = self._record()
        return [
            name
            for name in SERVERS
            if (entry := record.get(name))
            and entry.get("pid")
            and process.start_time(entry["pid"]) == entry.get("process_start")
        ]

    def _record(self) -> dict:
        try:
            return json.loads((self.directory / RECORD_FILE).read_text())
        except (OSError, ValueError):
            return {}

    def _write_record(self, record: dict) -> None:
        tmp = self.directory / (RECORD_FILE + ".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(self.directory / RECORD_FILE)

    def __enter__(self) -> Monitoring:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def answers(url: str) -> bool:
    """Whether `url` answers 200: how each of these servers says it is ready."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

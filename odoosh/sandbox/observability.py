"""The sandbox's monitoring: the metrics exporter of the environments' logs, Prometheus scraping it
and Alertmanager, all in `<state_dir>/monitoring`.

The exporter (`python -m odoosh.observability serve`) runs detached like every server of the
platform, recorded in `exporter.json` (pid, start time, port: the port is reused across
restarts while free); Prometheus and Alertmanager are `Monitoring`'s (odoosh/sandbox/monitoring.py).
`./dev build` starts them, `./dev urls` lists them, `./dev down` stops them.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from odoosh import process
from odoosh.sandbox.monitoring import RECORD_FILE, Monitoring, Timing, answers

DIRECTORY = "monitoring"
EXPORTER_RECORD = "exporter.json"
EXPORTER_LOG = "exporter.log"
START_TIMEOUT_S = 30


class SandboxMonitoring:
    def __init__(self, state: Path) -> None:
        self.state = Path(state)
        self.directory = self.state / DIRECTORY

    # ------------------------------------------------------------------ start, stop

    def start(self, webhook_url: str | None = None, timing: Timing | None = None, interval: float = 2.0) -> Monitoring:
        """(Re)start the exporter, then Prometheus scraping it and Alertmanager (posting to
        `webhook_url`, else ODOOSH_ALERT_WEBHOOK_URL when set); each answers when this returns."""
        self.stop_exporter()
        self.directory.mkdir(parents=True, exist_ok=True)
        port = process.reusable_port("127.0.0.1", self._record().get("port")) or process.free_port()
        log_file = self.directory / EXPORTER_LOG
        offset = process.log_size(log_file)
        args = [sys.executable, "-m", "odoosh.observability", "serve", "--state-dir", str(self.state)]
        pid = process.start([*args, "--port", str(port), "--interval", str(interval)], log_file, env=_env())
        self._write_record({"pid": pid, "process_start": process.start_time(pid), "port": port})
        url = f"http://127.0.0.1:{port}/metrics"
        try:
            process.wait_until_ready(
                pid,
                lambda: answers(url),
                timeout=START_TIMEOUT_S,
                what=f"the metrics exporter on {url}",
                ready_as="serve /metrics",
                log_file=log_file,
                log_offset=offset,
            )
            return Monitoring(self.directory, [f"127.0.0.1:{port}"], webhook_url, timing or Timing()).start()
        except BaseException:
            self.stop()
            raise

    def stop(self, log: Callable[[str], None] = lambda _: None) -> None:
        """Stop Prometheus, Alertmanager and the exporter of this sandbox, if they run."""
        monitoring = Monitoring(self.directory, [], webhook_url="")  # no webhook needed to stop
        if running := monitoring.running():
            monitoring.stop()
            log(f"{' and '.join(running)} stopped")
        if (pid := self.stop_exporter()) is not None:
            log(f"metrics exporter (pid {pid}) stopped")

    def stop_exporter(self) -> int | None:
        record = self._record()
        if not self._exporter_running(record):
            return None
        process.stop(record["pid"])
        self._write_record({"port": record["port"]})  # the port stays, to be reused
        return record["pid"]

    # ------------------------------------------------------------------ what runs where

    def exporter_url(self) -> str | None:
        port = self._record().get("port")
        return f"http://127.0.0.1:{port}/metrics" if port else None

    def url_rows(self) -> list[tuple[str, str, str]]:
        """(name, URL, note) of the exporter, Prometheus and Alertmanager that were started here."""
        rows = []
        if url := self.exporter_url():
            rows.append(("metrics exporter", url, "" if self._exporter_running(self._record()) else "  (not running)"))
        try:
            servers = json.loads((self.directory / RECORD_FILE).read_text())
        except (OSError, ValueError):
            servers = {}
        running = Monitoring(self.directory, [], webhook_url="").running() if servers else []
        for name, title in (("prometheus", "Prometheus"), ("alertmanager", "Alertmanager")):
            if port := (servers.get(name) or {}).get("port"):
                rows.append((title, f"http://127.0.0.1:{port}", "" if name in running else "  (not running)"))
        return rows

    def _exporter_running(self, record: dict) -> bool:
        return bool(record.get("pid")) and process.start_time(record["pid"]) == record.get("process_start")

    def _record(self) -> dict:
        try:
            return json.loads((self.directory / EXPORTER_RECORD).read_text())
        except (OSError, ValueError):
            return {}

    def _write_record(self, record: dict) -> None:
        tmp = self.directory / f".{EXPORTER_RECORD}.tmp"
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.directory / EXPORTER_RECORD)


def _env() -> dict[str, str]:
    """This environment, with the project importable from the exporter whatever its working directory."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root}

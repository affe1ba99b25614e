"""The sandbox catcher as a detached process: started when needed, reused while it answers.

Its state is in `<state_dir>/mail`: one start or stop at a time per state dir (a file lock,
since runs start in parallel), a stale pid file repaired, the ports of the last start reused
while they are free, so addresses written into staging stay right across restarts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import odoosh
from odoosh import process
from odoosh.mail import MailEndpoint, MailError
from odoosh.process import ProcessError, port_in_use
from odoosh.sandbox.mail_catcher.server import PID_FILE, PORTS_FILE

START_TIMEOUT_S = 15
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SandboxCatcher:
    """The sandbox's catcher, with its state in `<state_dir>/mail`.

    `ensure_running()` reuses a running one, repairs a stale pid file and otherwise starts one
    on `smtp_port` if set, else on the port it had before, else on a free port.
    """

    state_dir: Path
    smtp_host: str = "127.0.0.1"
    smtp_port: int | None = None

    def ensure_running(self) -> MailEndpoint:
        """Where to send mail and read it back, starting the catcher if it is not running."""
        with self._locked():
            running = self._running()
            if running is None:
                return self._start()
            if running.smtp_host == self.smtp_host and self.smtp_port in (None, running.smtp_port):
                return running
            log.info("mail catcher: its configured address changed, restarting it")
            self._stop()
            return self._start()

    def stop(self) -> None:
        """End the catcher; its messages stay for the next start."""
        with self._locked():
            self._stop()

    def _dir(self) -> Path:
        return Path(self.state_dir).resolve() / "mail"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._dir().mkdir(parents=True, exist_ok=True)
        with open(self._dir() / "catcher.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _stop(self) -> None:
        if (pid := self._pid()) is not None and _is_catcher(pid, self._dir()):
            try:
                process.stop(pid)
            except ProcessError as exc:
                raise MailError(f"The mail catcher: {exc}") from None
        (self._dir() / PID_FILE).unlink(missing_ok=True)

    def _pid(self) -> int | None:
        try:
            pid = int((self._dir() / PID_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None
        return pid if pid > 0 else None

    def _ports(self) -> dict:
        try:
            return json.loads((self._dir() / PORTS_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def _endpoint(self) -> MailEndpoint:
        ports = self._ports()
        host = ports["smtp_host"]
        url_host = f"[{host}]" if ":" in host else host
        return MailEndpoint(host, ports["smtp_port"], f"http://{url_host}:{ports['http_port']}")

    def _running(self) -> MailEndpoint | None:
        """The endpoint of this state dir's live catcher; cleans up after a dead or hung one."""
        pid = self._pid()
        if pid is None:
            return None
        if not _is_catcher(pid, self._dir()):
            log.info("mail catcher: pid %d in %s is gone, removing its pid file", pid, self._dir())
            (self._dir() / PID_FILE).unlink()
            return None
        endpoint = self._endpoint()
        if endpoint.client().live():
            return endpoint
        log.warning("mail catcher: pid %d does not answer on %s, restarting it", pid, endpoint.api_url)
        process.stop(pid)
        return None

    def _start(self) -> MailEndpoint:
        directory = self._dir()
        before = self._ports()
        if before.get("smtp_host") != self.smtp_host:
            before = {}
        if self.smtp_port:
            if port_in_use(self.smtp_host, self.smtp_port):
                raise MailError(
                    f"SMTP port {self.smtp_port} on {self.smtp_host} is already in use by another "
                    "process, so the mail catcher cannot listen there. Stop that process, or set "
                    "ODOOSH_MAIL_SMTP_PORT to a free port (or leave it unset)."
                )
            smtp_port = self.smtp_port
        else:
            # 0: the catcher binds a free port itself, so none can be taken between choice and bind
            smtp_port = process.reusable_port(self.smtp_host, before.get("smtp_port")) or 0
        http_port = process.reusable_port(self.smtp_host, before.get("http_port")) or 0
        args = [
            sys.executable,
            "-m",
            "odoosh.sandbox.mail_catcher",
            "--state-dir",
            str(directory),
            "--host",
            self.smtp_host,
            "--smtp-port",
            str(smtp_port),
            "--http-port",
            str(http_port),
        ]
        project_root = str(Path(odoosh.__file__).resolve().parents[1])
        python_path = os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")]))
        log_file = directory / "catcher.log"
        log_start = process.log_size(log_file)
        pid = process.start(args, log_file, env={**os.environ, "PYTHONPATH": python_path})

        def ready() -> bool:  # the catcher writes its pid file once both servers listen
            return self._pid() == pid and self._endpoint().client().live()

        try:
            process.wait_until_ready(
                pid,
                ready,
                timeout=START_TIMEOUT_S,
                what="The mail catcher",
                ready_as="listen",
                log_file=log_file,
                log_offset=log_start,
            )
        except ProcessError as exc:
            raise MailError(str(exc)) from None
        endpoint = self._endpoint()
        log.info(
            "mail catcher: pid %d, SMTP %s:%d, web %s", pid, endpoint.smtp_host, endpoint.smtp_port, endpoint.api_url
        )
        return endpoint


def _is_catcher(pid: int, state_dir: Path) -> bool:
    """Whether `pid` is a live catcher of `state_dir`, not an ended or reused pid."""
    if process.exited(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"odoosh.sandbox.mail_catcher" in argv and os.fsencode(state_dir) in argv

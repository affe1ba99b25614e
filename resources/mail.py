"""Mail of dev, staging and preview environments: where they send it, how the platform reads it.

Those environments must not deliver mail, so they send to a catcher. In the sandbox that is
`odoosh.mail_catcher`, run here as a detached process; in production it is a real Mailpit run
by compose (`api_url` set), and nothing is started. Both answer the same subset of Mailpit's
HTTP API, which `MailpitClient` reads.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import ProxyHandler, Request, build_opener

import dagster as dg

import odoosh
from odoosh.mail_catcher import PID_FILE, PORTS_FILE
from odoosh.ports import port_in_use

MAILPIT_SMTP_PORT = 1025  # Mailpit's default, for api_url without smtp_port
START_TIMEOUT_S = 15
STOP_TIMEOUT_S = 10
log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """A problem with the catcher or Mailpit, phrased as what is wrong and how to fix it."""


# --------------------------------------------------------------------------- client


class MailpitClient:
    """The subset of Mailpit's API v1 the platform uses, served by Mailpit and by the sandbox
    catcher alike. `base_url` is the web root (``http://host:8025``, plus any --webroot)."""

    # No proxy: the catcher is local or internal, and a proxy would see the caught mail.
    _opener = build_opener(ProxyHandler({}))

    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def live(self) -> bool:
        """Whether the server answers its liveness probe (``/livez`` in both)."""
        try:
            self._request("GET", "/livez")
        except MailError:
            return False
        return True

    def messages(self, start: int = 0, limit: int = 50) -> list[dict]:
        """Mailpit `MessageSummary` objects, newest first: ID, From {Name, Address}, To, Cc,
        Bcc, Subject, Created, Size, Snippet..."""
        return self._json("GET", f"/api/v1/messages?start={start}&limit={limit}")["messages"] or []

    def count(self) -> int:
        """How many messages the catcher holds."""
        return self._json("GET", "/api/v1/messages?limit=1")["total"]

    def message(self, message_id: str) -> dict:
        """Mailpit `Message`: the summary fields plus Date, ReturnPath, Text, HTML, Attachments."""
        return self._json("GET", f"/api/v1/message/{quote(message_id, safe='')}")

    def headers(self, message_id: str) -> dict[str, list[str]]:
        """All headers of a message, keys in Go's canonical case (``Message-Id``)."""
        return self._json("GET", f"/api/v1/message/{quote(message_id, safe='')}/headers")

    def delete_all(self) -> None:
        """Delete every message (Mailpit deletes all when the request names no IDs)."""
        self._request("DELETE", "/api/v1/messages")

    def wait_for(self, predicate: Callable[[dict], bool], timeout: float = 10.0,
                 interval: float = 0.2, limit: int = 50) -> dict:
        """The newest of the latest `limit` summaries matching `predicate`, polling until
        `timeout`; mail arrives asynchronously, so a check must wait for it rather than look once."""
        deadline = time.monotonic() + timeout
        while True:
            seen = self.messages(limit=limit)
            if match := next((m for m in seen if predicate(m)), None):
                return match
            if time.monotonic() >= deadline:
                subjects = [m.get("Subject") for m in seen[:5]]
                raise TimeoutError(
                    f"No matching message at {self.base_url} within {timeout:g} s; "
                    f"{len(seen)} messages checked, newest subjects: {subjects}"
                )
            time.sleep(interval)

    def _json(self, method: str, path: str):
        return json.loads(self._request(method, path))

    def _request(self, method: str, path: str) -> bytes:
        url = self.base_url + path
        try:
            with self._opener.open(Request(url, method=method), timeout=self.timeout) as response:
                return response.read()
        except HTTPError as exc:
            body = exc.read()[:200].decode(errors="replace").strip()
            raise MailError(f"{method} {url} answered HTTP {exc.code}: {body}") from None
        except (URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MailError(
                f"Cannot reach the mail catcher at {self.base_url}: {reason}. Check that it runs "
                "and that the API URL (host, port, webroot) is right."
            ) from None


# --------------------------------------------------------------------------- resource


@dataclass(frozen=True)
class MailEndpoint:
    """Where environments send mail (SMTP) and where the platform reads it back (API)."""

    smtp_host: str
    smtp_port: int
    api_url: str

    def client(self) -> MailpitClient:
        return MailpitClient(self.api_url)


class MailCatcher(dg.ConfigurableResource):
    """The mail catcher of dev, staging and preview environments.

    With `api_url` (production) it names a Mailpit that compose runs and starts nothing;
    `smtp_port` then defaults to Mailpit's 1025. Without it the sandbox catcher runs detached
    with its state in ``<state_dir>/mail``: `ensure_running()` reuses a running one, repairs a
    stale pid file and otherwise starts one on `smtp_port` if set, else on the port it had
    before, else on a free port. The resolved address is in the returned `MailEndpoint`
    (config fields cannot change after the resource is built).
    """

    state_dir: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int | None = None
    api_url: str | None = None

    def ensure_running(self) -> MailEndpoint:
        """Where to send mail and read it back, starting the sandbox catcher if it is not running."""
        if self.api_url:
            return MailEndpoint(self.smtp_host, self.smtp_port or MAILPIT_SMTP_PORT, self.api_url)
        with self._locked():
            running = self._running()
            if running is None:
                return self._start()
            if running.smtp_host == self.smtp_host and self.smtp_port in (None, running.smtp_port):
                return running
            log.info("mail catcher: its configured address changed, restarting it")
            self._stop()
            return self._start()

    def client(self) -> MailpitClient:
        return self.ensure_running().client()

    def stop(self) -> None:
        """End the sandbox catcher; its messages stay for the next start."""
        if self.api_url:
            return
        with self._locked():
            self._stop()

    # ---- sandbox process

    def _dir(self) -> Path:
        return Path(self.state_dir).resolve() / "mail"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One start or stop at a time per state dir, across processes (runs start in parallel)."""
        self._dir().mkdir(parents=True, exist_ok=True)
        with open(self._dir() / "catcher.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _stop(self) -> None:
        if (pid := self._pid()) is not None and _is_catcher(pid, self._dir()):
            self._terminate(pid)
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
        self._terminate(pid)
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
                    "smtp_port of the MailCatcher resource to a free port (or leave it unset)."
                )
            smtp_port = self.smtp_port
        else:
            smtp_port = _reusable(self.smtp_host, before.get("smtp_port"))
        http_port = _reusable(self.smtp_host, before.get("http_port"))
        args = [sys.executable, "-m", "odoosh.mail_catcher", "--state-dir", str(directory),
                "--host", self.smtp_host, "--smtp-port", str(smtp_port), "--http-port", str(http_port)]
        project_root = str(Path(odoosh.__file__).resolve().parents[1])
        python_path = os.pathsep.join(filter(None, [project_root, os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": python_path}
        log_file = directory / "catcher.log"
        log_start = log_file.stat().st_size if log_file.exists() else 0
        # posix_spawn in a new session rather than Popen: the catcher outlives this object and
        # the run, so there is no Popen to keep (_exited() reaps it). Stop signals reset to
        # default: an inherited SIG_IGN would discard SIGTERM before the catcher's sigwait().
        pid = os.posix_spawn(sys.executable, args, env, setsid=True,
                             setsigdef=(signal.SIGTERM, signal.SIGINT), file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ])
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._pid() == pid and (endpoint := self._endpoint()).client().live():
                log.info("mail catcher: pid %d, SMTP %s:%d, web %s", pid, endpoint.smtp_host,
                         endpoint.smtp_port, endpoint.api_url)
                return endpoint
            # Our own child, so waitpid: its /proc cmdline can still be empty this early.
            exited, status = os.waitpid(pid, os.WNOHANG)
            if exited:
                raise MailError(
                    f"The mail catcher exited while starting (exit code "
                    f"{os.waitstatus_to_exitcode(status)}):\n{_read_from(log_file, log_start)}"
                )
            time.sleep(0.05)
        self._terminate(pid)
        raise MailError(
            f"The mail catcher did not start within {START_TIMEOUT_S} s:\n{_read_from(log_file, log_start)}"
        )

    def _terminate(self, pid: int) -> None:
        """SIGTERM (the catcher shuts down cleanly), SIGKILL if it does not within the timeout."""
        for sig, timeout in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if _exited(pid):
                    return
                time.sleep(0.05)
        raise MailError(f"The mail catcher (pid {pid}) survived SIGKILL; check the process with ps.")


def _exited(pid: int) -> bool:
    """Whether `pid` has ended (gone or a zombie); reaps it if it is a child of this process."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0]:
            return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _is_catcher(pid: int, state_dir: Path) -> bool:
    """Whether `pid` is a live catcher of `state_dir`, not an ended or reused pid."""
    if _exited(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"odoosh.mail_catcher" in argv and os.fsencode(state_dir) in argv


def _reusable(host: str, port: int | None) -> int:
    """The port a previous catcher had, if still free (stable addresses across restarts), else 0."""
    return port if port and not port_in_use(host, port) else 0


def _read_from(path: Path, offset: int) -> str:
    """What the catcher logged during this start (it appends to the log across restarts)."""
    with path.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace").strip() or "(nothing logged)"

"""Odoo environments: one Odoo server per environment, started from a rendered Odoo config.

An environment is a directory, `<state_dir>/environments/<name>/`, holding `odoo.conf` (mode
600), `odoo.log`, `odoo.pid`, `data/` (Odoo's data_dir) and `environment.json` (pid, start time,
URL, command). The runtime launches the configured Odoo command with `-c odoo.conf` appended
(the odoosh Odoo stand-in unless configured otherwise) in a session of its own, so the server
outlives the run that started it, and reports success only once `/web/health` answers. A
server that does not answer in time is killed: no half-started environment pretends to work.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dagster as dg

from odoosh.odoo_config import (OdooConfig, OdooConfigError, read_odoo_config, render_odoo_config,
                                write_odoo_config)
from odoosh.smoke import http_health
from odoosh.ports import free_port, port_in_use

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Options the runtime derives from the DSN and the environment itself, not from start()'s caller.
MANAGED_OPTIONS = frozenset({"db_name", "db_host", "db_port", "db_user", "db_password", "db_sslmode",
                             "http_interface", "http_port", "logfile", "data_dir"})
KILL_WAIT_S = 5
LOG_TAIL_LINES = 20
logger = logging.getLogger(__name__)


class OdooRuntimeError(RuntimeError):
    """An environment that cannot be started or stopped, phrased as what is wrong and the fix."""


def validate_environment_name(name: str) -> str:
    """Environment names become directories, database names and DNS labels."""
    if not NAME_PATTERN.fullmatch(name):
        raise OdooRuntimeError(
            f"Invalid environment name {name!r}: use 1 to 63 lowercase letters, digits and hyphens, "
            "starting with a letter or digit (for example 'staging' or 'pr-42')."
        )
    return name


@dataclass
class OdooEnvironment:
    """One Odoo server and its state directory. `start()` and `stop()` are idempotent."""

    name: str
    directory: Path
    command: list[str]
    http_port: int | None = None  # None: a free port, kept across restarts while it stays free
    http_interface: str = "127.0.0.1"
    start_timeout: float = 60
    stop_timeout: float = 10

    def __post_init__(self) -> None:
        validate_environment_name(self.name)
        self.directory = Path(self.directory)

    @property
    def config_file(self) -> Path:
        return self.directory / "odoo.conf"

    @property
    def log_file(self) -> Path:
        return self.directory / "odoo.log"

    @property
    def pid_file(self) -> Path:
        return self.directory / "odoo.pid"

    @property
    def state_file(self) -> Path:
        return self.directory / "environment.json"

    @property
    def url(self) -> str | None:
        """Base URL of the server, once it has been started."""
        return self._state().get("url")

    @property
    def started_at(self) -> datetime | None:
        """When the server was last launched (UTC); its log is judged from then on."""
        value = self._state().get("started_at")
        return datetime.fromisoformat(value) if value else None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._state().get("pid") if self.is_running() else None

    def planned_url(self) -> str:
        """The URL the server has, or will have at its next start: its port is reserved now,
        so that e.g. staging's web.base.url can be written before staging first starts."""
        port = self._port(self.is_running())
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._save_state(http_port=port)
        return f"http://{_connect_host(self.http_interface)}:{port}"

    def is_running(self) -> bool:
        state = self._state()
        pid = state.get("pid")
        return pid is not None and _process_start(pid) == state.get("process_start")

    def start(self, dsn: str, *, options: Mapping[str, Any] | None = None,
              log: Callable[[str], None] = logger.info) -> OdooEnvironment:
        """Run Odoo on the database of `dsn`; `options` are further `OdooConfig` fields.

        A server already running with the same config is left alone; with another config it is
        restarted. Returns once `/web/health` answers.
        """
        options = dict(options or {})
        if managed := sorted(MANAGED_OPTIONS & options.keys()):
            raise OdooRuntimeError(
                f"{', '.join(managed)} cannot be passed to start(): the runtime sets them from the "
                "DSN and the environment."
            )
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        running = self.is_running()
        if "admin_passwd" not in options and (kept := self._kept_admin_passwd()):
            options["admin_passwd"] = kept
        config = OdooConfig.from_dsn(
            dsn, http_interface=self.http_interface, http_port=self._port(running),
            logfile=str(self.log_file), data_dir=str(self.directory / "data"), **options,
        )
        if running:
            if self.config_file.is_file() and self.config_file.read_text() == render_odoo_config(config):
                log(f"Odoo of environment {self.name!r} already runs with this config at {self.url}")
                return self
            log(f"the config of environment {self.name!r} changed: restarting its Odoo")
            self.stop(log)
        log(f"starting Odoo of environment {self.name!r} on port {config.http_port}: "
            f"{shlex.join(self.command)} -c {self.config_file}")
        self._launch(config)
        log(f"Odoo of environment {self.name!r} answers at {self.url} (pid {self.pid})")
        return self

    def stop(self, log: Callable[[str], None] = logger.info) -> None:
        """SIGTERM the server's process group, SIGKILL it after `stop_timeout`."""
        if self.is_running():
            pid = self._state()["pid"]
            log(f"stopping Odoo of environment {self.name!r} (pid {pid})")
            _signal_group(pid, signal.SIGTERM)
            if not _wait_exited(pid, self.stop_timeout):
                _signal_group(pid, signal.SIGKILL)
                if not _wait_exited(pid, KILL_WAIT_S):
                    raise OdooRuntimeError(f"Odoo of environment {self.name!r} (pid {pid}) survived SIGKILL.")
        self._forget_process()

    # ---- internals

    def _launch(self, config: OdooConfig) -> None:
        if port_in_use(config.http_interface, config.http_port):
            raise OdooRuntimeError(
                f"Port {config.http_port} on {config.http_interface or 'all interfaces'} is already in "
                f"use by another process, so environment {self.name!r} cannot listen there. Stop that "
                "process, or give the environment another http_port (or none, to pick a free one)."
            )
        write_odoo_config(config, self.config_file)
        args = [*self.command, "-c", str(self.config_file)]
        log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        started_at = datetime.now(timezone.utc)
        try:
            with self.log_file.open("ab") as log:
                process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, cwd=self.directory,
                                           start_new_session=True)
        except OSError as exc:
            raise OdooRuntimeError(
                f"Cannot run the Odoo command {args[0]!r} of environment {self.name!r}: {exc.strerror}. "
                "Check OdooRuntime.command."
            ) from None
        url = f"http://{_connect_host(config.http_interface)}:{config.http_port}"
        self._save_state(pid=process.pid, process_start=_process_start(process.pid), url=url,
                         http_port=config.http_port, started_at=started_at.isoformat(), command=args)
        self.pid_file.write_text(f"{process.pid}\n")
        self._wait_until_healthy(process, url, log_start)

    def _wait_until_healthy(self, process: subprocess.Popen, url: str, log_start: int) -> None:
        deadline = time.monotonic() + self.start_timeout
        while not http_health(url, timeout=2).passed:
            if process.poll() is not None:
                self._forget_process()
                raise OdooRuntimeError(
                    f"Odoo of environment {self.name!r} exited with code {process.returncode} before "
                    f"answering at {url}.\n{self._log_tail(log_start)}"
                )
            if time.monotonic() > deadline:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(KILL_WAIT_S)
                self._forget_process()
                raise OdooRuntimeError(
                    f"Odoo of environment {self.name!r} did not answer at {url}/web/health within "
                    f"{self.start_timeout:g} s, so it was killed.\n{self._log_tail(log_start)}"
                )
            time.sleep(0.1)

    def _port(self, running: bool) -> int:
        if self.http_port:
            return self.http_port
        kept = self._state().get("http_port")
        if kept and (running or not port_in_use(self.http_interface, kept)):
            return kept
        return free_port()

    def _kept_admin_passwd(self) -> str | None:
        """The master password of the last config: kept, so a restart does not change the config."""
        try:
            return read_odoo_config(self.config_file).admin_passwd
        except OdooConfigError:
            return None

    def _log_tail(self, offset: int) -> str:
        with self.log_file.open(errors="replace") as log:
            log.seek(offset)
            lines = log.read().splitlines()[-LOG_TAIL_LINES:]
        return f"--- last lines of {self.log_file} ---\n" + ("\n".join(lines) or "(nothing logged)")

    def _forget_process(self) -> None:
        self.pid_file.unlink(missing_ok=True)
        if self.state_file.exists():
            self._save_state(pid=None, process_start=None)

    def _state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save_state(self, **values) -> None:
        tmp = self.state_file.with_name(f".{self.state_file.name}.tmp")
        tmp.write_text(json.dumps(self._state() | values, indent=2) + "\n")
        os.replace(tmp, self.state_file)


class OdooRuntime(dg.ConfigurableResource):
    """Runs Odoo environments, each in `<state_dir>/environments/<name>`.

    `command` is the Odoo command line (shlex-split, `-c <config file>` is appended), e.g.
    `/opt/odoo/odoo-bin --addons-path=/opt/odoo/addons`; unset, the odoosh Odoo stand-in.
    """

    state_dir: str
    command: str | None = None

    def environment(self, name: str) -> OdooEnvironment:
        command = shlex.split(self.command) if self.command else [sys.executable, "-m", "odoosh.standin"]
        return OdooEnvironment(name, self._root / name, command)

    def stop_all(self) -> None:
        """Stop the server of every environment in the state directory (for `odoosh down`)."""
        for directory in sorted(self._root.glob("*")):
            if directory.is_dir() and NAME_PATTERN.fullmatch(directory.name):
                self.environment(directory.name).stop()

    @property
    def _root(self) -> Path:
        return Path(self.state_dir) / "environments"


def _process_start(pid: int) -> int | None:
    """Start time (clock ticks since boot) of a live process; None if it is gone or a zombie.

    Recorded with the pid, it tells our server from an unrelated process that reused the pid.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # the process name may contain spaces
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _wait_exited(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(ChildProcessError):  # reap it when this process started it
            os.waitpid(pid, os.WNOHANG)
        if _process_start(pid) is None:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _signal_group(pid: int, signum: signal.Signals) -> None:
    """Signal the server and its children (workers): it leads its own session and group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signum)


def _connect_host(interface: str) -> str:
    return "127.0.0.1" if interface in ("", "0.0.0.0") else interface

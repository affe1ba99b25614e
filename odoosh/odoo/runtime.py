"""Odoo environments: one Odoo server per environment, started from a rendered Odoo config.

An environment is a directory, `<state_dir>/environments/<name>/`, holding `odoo.conf` (mode
600), `odoo.log`, `odoo.pid`, `data/` (Odoo's data_dir) and `environment.json` (pid, start time,
URL, command). The runtime launches the configured Odoo command with `-c odoo.conf` appended
(the odoosh Odoo stand-in unless configured otherwise) in a session of its own, so the server
outlives the run that started it, and reports success only once `/web/health` answers. A
server that does not answer in time is killed: no half-started environment pretends to work.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from odoosh import process
from odoosh.odoo.config import OdooConfig, OdooConfigError, read_odoo_config, render_odoo_config, write_odoo_config
from odoosh.odoo.smoke import http_health
from odoosh.process import ProcessError, free_port, port_in_use

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
# Options the runtime derives from the DSN and the environment itself, not from start()'s caller.
MANAGED_OPTIONS = frozenset(
    {
        "db_name",
        "db_host",
        "db_port",
        "db_user",
        "db_password",
        "db_sslmode",
        "http_interface",
        "http_port",
        "logfile",
        "data_dir",
    }
)
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
        return pid is not None and process.start_time(pid) == state.get("process_start")

    def start(
        self, dsn: str, *, options: Mapping[str, Any] | None = None, log: Callable[[str], None] = logger.info
    ) -> OdooEnvironment:
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
            dsn,
            http_interface=self.http_interface,
            http_port=self._port(running),
            logfile=str(self.log_file),
            data_dir=str(self.directory / "data"),
            **options,
        )
        if running:
            if self.config_file.is_file() and self.config_file.read_text() == render_odoo_config(config):
                log(f"Odoo of environment {self.name!r} already runs with this config at {self.url}")
                return self
            log(f"the config of environment {self.name!r} changed: restarting its Odoo")
            self.stop(log)
        log(
            f"starting Odoo of environment {self.name!r} on port {config.http_port}: "
            f"{shlex.join(self.command)} -c {self.config_file}"
        )
        self._launch(config)
        log(f"Odoo of environment {self.name!r} answers at {self.url} (pid {self.pid})")
        return self

    def stop(self, log: Callable[[str], None] = logger.info) -> None:
        """SIGTERM the server's process group, SIGKILL it after `stop_timeout`."""
        if self.is_running():
            pid = self._state()["pid"]
            log(f"stopping Odoo of environment {self.name!r} (pid {pid})")
            try:
                process.stop(pid, self.stop_timeout)
            except ProcessError as exc:
                raise OdooRuntimeError(f"Odoo of environment {self.name!r}: {exc}") from None
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
        log_start = process.log_size(self.log_file)
        started_at = datetime.now(UTC)
        what = f"Odoo of environment {self.name!r}"
        try:
            pid = process.start(args, self.log_file)
        except OSError as exc:
            raise OdooRuntimeError(
                f"Cannot run the Odoo command {args[0]!r} of environment {self.name!r}: {exc.strerror}. "
                "Check ODOOSH_ODOO_COMMAND."
            ) from None
        url = f"http://{_connect_host(config.http_interface)}:{config.http_port}"
        self._save_state(
            pid=pid,
            process_start=process.start_time(pid),
            url=url,
            http_port=config.http_port,
            started_at=started_at.isoformat(),
            command=args,
        )
        self.pid_file.write_text(f"{pid}\n")
        try:
            process.wait_until_ready(
                pid,
                lambda: http_health(url, timeout=2).passed,
                timeout=self.start_timeout,
                what=what,
                ready_as=f"answer at {url}/web/health",
                log_file=self.log_file,
                log_offset=log_start,
            )
        except ProcessError as exc:
            self._forget_process()
            raise OdooRuntimeError(str(exc)) from None

    def _port(self, running: bool) -> int:
        if self.http_port:
            return self.http_port
        kept = self._state().get("http_port")
        if running and kept:
            return kept
        return process.reusable_port(self.http_interface, kept) or free_port(_connect_host(self.http_interface))

    def _kept_admin_passwd(self) -> str | None:
        """The master password of the last config: kept, so a restart does not change the config."""
        try:
            return read_odoo_config(self.config_file).admin_passwd
        except OdooConfigError:
            return None

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


@dataclass(frozen=True)
class OdooRuntime:
    """Runs Odoo environments, each in `<state_dir>/environments/<name>`.

    `command` is the Odoo command line (shlex-split, `-c <config file>` is appended), e.g.
    `/opt/odoo/odoo-bin --addons-path=/opt/odoo/addons`; None runs the odoosh Odoo stand-in.
    """

    state_dir: Path
    command: str | None = None

    def environment(self, name: str) -> OdooEnvironment:
        command = shlex.split(self.command) if self.command else [sys.executable, "-m", "odoosh.sandbox.standin"]
        return OdooEnvironment(name, self._root / name, command)

    def stop_all(self) -> None:
        """Stop the server of every environment in the state directory (for `./dev down`)."""
        for directory in sorted(self._root.glob("*")):
            if directory.is_dir() and NAME_PATTERN.fullmatch(directory.name):
                self.environment(directory.name).stop()

    @property
    def _root(self) -> Path:
        return Path(self.state_dir) / "environments"


def _connect_host(interface: str) -> str:
    return "127.0.0.1" if interface in ("", "0.0.0.0") else interface

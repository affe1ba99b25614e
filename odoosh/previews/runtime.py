"""Where a preview's Odoo runs, behind one interface that the build and the teardown use.

Two runtimes (ODOOSH_PREVIEW_RUNTIME): `sandbox`, the configured Odoo command as a local process
behind the previews' Caddy (`SandboxRuntime`, here), and `compose`, a docker compose project
`odoo-pr-<n>` behind Traefik (`odoosh.previews.compose_runtime.ComposeRuntime`). The build asks a runtime
for the URL the preview will have, starts it, probes it through the runtime's HTTP client and
log, and stops it when the smoke gate fails; the teardown stops it and removes its files.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from odoosh.odoo.runtime import OdooRuntime
from odoosh.previews.code import PreviewCode
from odoosh.previews.names import preview_hosts, preview_name
from odoosh.previews.proxy import PreviewProxy

Log = Callable[[str], None]
SANDBOX, COMPOSE = "sandbox", "compose"
RUNTIMES = (SANDBOX, COMPOSE)


class PreviewRuntimeError(RuntimeError):
    """A runtime that cannot start or stop a preview; the message says what to install or fix."""


@dataclass(frozen=True)
class PreviewEnvironment:
    n: int
    name: str
    url: str  # what goes on the PR: the proxy's verified HTTPS, or Traefik's public one
    local_url: str | None  # Odoo itself, plain HTTP on loopback (None: only inside Docker)
    hosts: tuple[str, ...]
    sha: str
    addons_path: str


class PreviewRuntime(Protocol):
    """What the build and the teardown need of a runtime. Every method is idempotent."""

    def url(self, n: int) -> str:
        """The URL preview `n` has once started (known before: it goes into web.base.url)."""
        ...

    def start(
        self, n: int, dsn: str, code: PreviewCode, *, options: Mapping[str, Any] | None = None, log: Log = print
    ) -> PreviewEnvironment:
        """Run preview `n`'s Odoo on `dsn` with `code`'s addons, reachable at `url(n)`."""
        ...

    def client(self) -> httpx.Client:
        """The HTTP client the smoke probe reaches `url(n)` with, verifying its certificate."""
        ...

    def odoo_log(self, n: int) -> tuple[Path, datetime | None]:
        """The Odoo log of preview `n` as a file, and since when it is this start's."""
        ...

    def stop(self, n: int, log: Log = print) -> None:
        """Stop preview `n` and take it off the proxy; it no longer answers anywhere."""
        ...

    def files(self, n: int) -> list[Path]:
        """Directories of preview `n` outside `<state>/previews/pr-<n>`, removed on teardown."""
        ...


@dataclass(frozen=True)
class SandboxRuntime:
    """The environment `pr-<n>` of the OdooRuntime (the stand-in by default), routed by the
    previews' Caddy on `pr-<n>.localhost` (and `pr-<n>.<domain>`)."""

    odoo: OdooRuntime
    proxy: PreviewProxy
    domain: str | None = None
    # Real Odoo: its own addons directories (e.g. /opt/odoo/addons), put before the PR's, since
    # addons_path in the config replaces Odoo's default (and an --addons-path in the Odoo
    # command would override the config, hiding the PR's code). The stand-in needs none.
    base_addons: tuple[str, ...] = ()

    def url(self, n: int) -> str:
        return self.proxy.url(preview_hosts(n, self.domain)[-1])

    def start(
        self, n: int, dsn: str, code: PreviewCode, *, options: Mapping[str, Any] | None = None, log: Log = print
    ) -> PreviewEnvironment:
        """A new commit changes the addons path, hence the config, so the runtime restarts Odoo."""
        name = preview_name(n)
        environment = self.odoo.environment(name)
        addons_path = ",".join([*self.base_addons, code.addons_path])
        environment.start(dsn, options={**(options or {}), "addons_path": addons_path, "proxy_mode": True}, log=log)
        hosts = preview_hosts(n, self.domain)
        self.proxy.add_route(name, urlsplit(environment.url).port, hosts, log=log)
        return PreviewEnvironment(
            n=n,
            name=name,
            url=self.proxy.url(hosts[-1]),
            local_url=environment.url,
            hosts=tuple(hosts),
            sha=code.sha,
            addons_path=addons_path,
        )

    def client(self) -> httpx.Client:
        return self.proxy.client()

    def odoo_log(self, n: int) -> tuple[Path, datetime | None]:
        environment = self.odoo.environment(preview_name(n))
        return environment.log_file, environment.started_at

    def stop(self, n: int, log: Log = print) -> None:
        """Odoo stopped and its route removed, both tried even if the other fails (its log stays)."""
        name = preview_name(n)
        failed = []
        for what, step in (
            ("stop Odoo", lambda: self.odoo.environment(name).stop(log)),
            ("remove the proxy route", lambda: self.proxy.remove_route(name, log=log)),
        ):
            try:
                step()
            except Exception as exc:  # reported below, with the other
                failed.append(f"{what}: {exc}")
        if failed:
            raise PreviewRuntimeError("; ".join(failed))

    def files(self, n: int) -> list[Path]:
        return [self.odoo.environment(preview_name(n)).directory]


def remove(directories: list[Path]) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)

"""A preview's Odoo in the sandbox: the configured Odoo command (the stand-in by default) as the
environment `pr-<n>` of the existing OdooRuntime, on the PR's addons and the preview database,
behind the previews' HTTPS proxy. Teardown undoes everything a build made.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.code import PreviewCode, prune_code
from odoosh.previews.database import drop_preview_database
from odoosh.previews.dns import PreviewDns
from odoosh.previews.names import preview_dir, preview_hosts, preview_name
from odoosh.previews.proxy import PreviewProxy

Log = Callable[[str], None]


class TeardownError(RuntimeError):
    """Some teardown steps failed; the others were done. Running the teardown again retries them."""


@dataclass(frozen=True)
class PreviewEnvironment:
    n: int
    name: str
    url: str  # through the proxy, verified HTTPS: what goes on the PR
    local_url: str  # Odoo itself, plain HTTP on loopback
    hosts: tuple[str, ...]
    sha: str
    addons_path: str


@dataclass(frozen=True)
class Previews:
    """The previews of one sandbox: Odoo environments `pr-<n>`, their proxy routes, their
    databases on `server` and (optionally) their DNS records."""

    state_dir: Path
    runtime: OdooRuntime
    proxy: PreviewProxy
    server: DatabaseServer
    dns: PreviewDns | None = None
    domain: str | None = None
    # Real Odoo: its own addons directories (e.g. /opt/odoo/addons), put before the PR's, since
    # addons_path in the config replaces Odoo's default (and an --addons-path in the Odoo
    # command would override the config, hiding the PR's code). The stand-in needs none.
    base_addons: tuple[str, ...] = ()

    def start(
        self, n: int, dsn: str, code: PreviewCode, *, options: Mapping[str, Any] | None = None, log: Log = print
    ) -> PreviewEnvironment:
        """Run preview `n`'s Odoo on `dsn` with `code`'s addons, and route its hosts to it.

        A new commit changes the addons path, hence the config, so the runtime restarts Odoo;
        the checkouts of earlier commits are removed once it answers.
        """
        name = preview_name(n)
        environment = self.runtime.environment(name)
        addons_path = ",".join([*self.base_addons, code.addons_path])
        environment.start(dsn, options={**(options or {}), "addons_path": addons_path, "proxy_mode": True}, log=log)
        hosts = preview_hosts(n, self.domain)
        self.proxy.add_route(name, urlsplit(environment.url).port, hosts, log=log)
        prune_code(self.state_dir, n, keep=code.sha)
        return PreviewEnvironment(
            n=n,
            name=name,
            url=self.proxy.url(hosts[-1]),
            local_url=environment.url,
            hosts=tuple(hosts),
            sha=code.sha,
            addons_path=addons_path,
        )

    def teardown(self, n: int, log: Log = print) -> None:
        """Stop Odoo, drop the database, delete the DNS record, remove the proxy route, then the
        preview's files. Every step runs even if an earlier one fails (each is idempotent), so
        one failure leaves as little as possible behind; TeardownError lists what failed."""
        name = preview_name(n)
        environment = self.runtime.environment(name)
        steps: list[tuple[str, Callable[[], object]]] = [
            ("stop Odoo", lambda: environment.stop(log)),
            ("drop the database", lambda: drop_preview_database(n, self.server)),
            ("delete the DNS record", lambda: self.dns.delete_record(n) if self.dns else 0),
            ("remove the proxy route", lambda: self.proxy.remove_route(name, log=log)),
            ("delete the code", lambda: prune_code(self.state_dir, n)),
            ("delete the files", lambda: _remove(environment.directory, preview_dir(self.state_dir, n))),
        ]
        failed = []
        for what, step in steps:
            if what == "delete the files" and environment.is_running():
                failed.append(f"{what}: kept, since Odoo still runs and they hold its pid")
                continue
            try:
                step()
            except Exception as exc:  # reported below, with the others
                failed.append(f"{what}: {exc}")
        if failed:
            raise TeardownError(f"Teardown of preview {name} left work undone:\n" + "\n".join(failed))
        log(f"preview {name} torn down")


def _remove(*directories: Path) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)

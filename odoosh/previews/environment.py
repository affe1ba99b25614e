"""The previews of one platform: their runtime (the sandbox's local processes behind Caddy, or
docker compose projects behind Traefik: odoosh.previews.runtime), their databases and DNS
records. `start` runs a preview on the PR's code; `teardown` undoes everything a build made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.code import PreviewCode, prune_code
from odoosh.previews.database import drop_preview_database
from odoosh.previews.dns import PreviewDns
from odoosh.previews.names import preview_dir, preview_name
from odoosh.previews.runtime import PreviewEnvironment, PreviewRuntime, remove

__all__ = ["PreviewEnvironment", "Previews", "TeardownError"]
Log = Callable[[str], None]


class TeardownError(RuntimeError):
    """Some teardown steps failed; the others were done. Running the teardown again retries them."""


@dataclass(frozen=True)
class Previews:
    """The previews of one platform: Odoo environments `pr-<n>` in `runtime`, their databases
    on `server` and (optionally) their DNS records."""

    state_dir: Path
    runtime: PreviewRuntime
    server: DatabaseServer
    dns: PreviewDns | None = None

    def url(self, n: int) -> str:
        return self.runtime.url(n)

    def start(
        self, n: int, dsn: str, code: PreviewCode, *, options: Mapping[str, Any] | None = None, log: Log = print
    ) -> PreviewEnvironment:
        """Run preview `n`'s Odoo on `dsn` with `code`'s addons; the checkouts of earlier
        commits are removed once it answers."""
        environment = self.runtime.start(n, dsn, code, options=options, log=log)
        prune_code(self.state_dir, n, keep=code.sha)
        return environment

    def teardown(self, n: int, log: Log = print) -> None:
        """Stop Odoo and remove its route, drop the database, delete the DNS record, then the
        preview's files. Every step runs even if an earlier one fails (each is idempotent), so
        one failure leaves as little as possible behind; TeardownError lists what failed."""
        name = preview_name(n)
        failed = []
        steps: list[tuple[str, Callable[[], object]]] = [
            ("stop Odoo and remove its route", lambda: self.runtime.stop(n, log=log)),
            ("drop the database", lambda: drop_preview_database(n, self.server)),
            ("delete the DNS record", lambda: self.dns.delete_record(n) if self.dns else 0),
            ("delete the code", lambda: prune_code(self.state_dir, n)),
            ("delete the files", lambda: remove([*self.runtime.files(n), preview_dir(self.state_dir, n)])),
        ]
        for what, step in steps:
            if what == "delete the files" and failed and failed[0].startswith("stop Odoo"):
                failed.append(f"{what}: kept, since Odoo may still run and they are what stops it")
                continue
            try:
                step()
            except Exception as exc:  # reported below, with the others
                failed.append(f"{what}: {exc}")
        if failed:
            raise TeardownError(f"Teardown of preview {name} left work undone:\n" + "\n".join(failed))
        log(f"preview {name} torn down")

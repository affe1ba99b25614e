"""One preview build, step by step, as the preview assets run it (and bench/preview.py times it).

database (clone of staging, neutralised, the environments file applied) -> DNS record -> code
fetch and start behind the proxy -> smoke gate -> publish. GitHub hears of every outcome
through `PreviewPublisher`: `building` first, `published` only once every smoke probe passed,
otherwise `failed` with the step that failed and no URL. A step that fails raises BuildFailed
after the PR says so; the assets turn it into the run's failure.

A preview that started but failed its smoke gate (or whose probes crashed) is stopped and taken
off the proxy before the PR hears of it: nothing unpublished keeps running. Its database is
kept (dropped by the next build or the teardown): it is the scrubbed copy the failing Odoo ran
on, which is what a developer debugging the failure looks at, next to Odoo's log.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from odoosh import environments
from odoosh.odoo import smoke
from odoosh.odoo.smoke import ProbeResult
from odoosh.phases import Phases
from odoosh.postgres import connect
from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.code import fetch_code
from odoosh.previews.comment import SmokeLine
from odoosh.previews.database import PreviewDatabase, build_preview_database, preview_database_name
from odoosh.previews.dns import DnsRecord
from odoosh.previews.environment import PreviewEnvironment, Previews
from odoosh.previews.github import GitHubError
from odoosh.previews.names import preview_name
from odoosh.previews.publish import PreviewPublisher

Log = Callable[[str], None]
ENVIRONMENT = "previews"  # the section of the environments file previews follow
EPOCH = datetime.fromtimestamp(0, UTC)


class BuildFailed(RuntimeError):
    """A build step failed; the PR's comment already says so (unless GitHub itself failed)."""

    def __init__(self, step: str, message: str):
        super().__init__(f"{step} failed: {message}")
        self.step = step


@dataclass(frozen=True)
class BuildRequest:
    """What to build: everything derives from the number; `secrets` is False for a fork."""

    number: int
    sha: str
    clone_url: str
    secrets: bool = True


@dataclass
class PreviewBuild:
    previews: Previews
    publisher: PreviewPublisher
    request: BuildRequest
    log: Log = print
    phases: Phases = field(init=False)

    def __post_init__(self) -> None:
        self.phases = Phases(self.log)

    @property
    def name(self) -> str:
        return preview_name(self.request.number)

    @property
    def url(self) -> str:
        """The URL the preview will have (the runtime's: the proxy's, or Traefik's)."""
        return self.previews.url(self.request.number)

    # ---- steps

    def database(
        self,
        *,
        staging: DatabaseServer | None,
        staging_database: str | None,
        smtp_host: str,
        smtp_port: int,
        spec: environments.EnvironmentsSpec = environments.EMPTY,
        jobs: int = 1,
        work_dir: Path | None = None,
    ) -> tuple[PreviewDatabase, list[str]]:
        """The PR hears the build started; then its database: a clone of staging (or a demo
        database), neutralised for the preview, with the environments file's `previews` lines."""
        n = self.request.number
        with self._step("announce", "announce the build"):
            self.publisher.building(n, self.request.sha)
        with self._step("database_clone", "database"):
            built = build_preview_database(
                n,
                self.previews.server,
                staging=staging,
                staging_database=staging_database,
                base_url=self.url.rstrip("/"),
                smtp_host=smtp_host,
                smtp_port=smtp_port,
                work_dir=work_dir,
                jobs=jobs,
                log=self.log,
            )
        with self._step("environments", "environments file"), connect(built.dsn) as conn:
            done = environments.apply(conn, spec, ENVIRONMENT, secrets=self.request.secrets)
        for line in done:
            self.log(f"environments file: {line}")
        return built, done

    def dns_record(self) -> DnsRecord | None:
        """The preview's A record (None without DNS settings, in wildcard mode, or for a fork,
        whose build gets no DNS token)."""
        if self.previews.dns is None or not self.request.secrets:
            return None
        with self._step("dns", "DNS record"):
            return self.previews.dns.ensure_record(self.request.number)

    def start(self, dsn: str, *, smtp_host: str, smtp_port: int, token: str | None) -> PreviewEnvironment:
        """Fetch the PR's head commit and run Odoo on it behind the proxy. `token`: for the
        clone of a private repository, never given for a fork."""
        n, sha = self.request.number, self.request.sha
        with self._step("code_fetch", "code fetch"):
            code = fetch_code(
                self.previews.state_dir,
                n,
                self.request.clone_url,
                sha,
                token=token if self.request.secrets else None,
                log=self.log,
            )
        with self._step("start", "start", stop=True):
            options = {"smtp_server": smtp_host, "smtp_port": smtp_port, "max_cron_threads": 0}
            return self.previews.start(n, dsn, code, options=options, log=self.log)

    def smoke(self, environment: PreviewEnvironment, dsn: str, required_modules: list[str]) -> list[ProbeResult]:
        """The foundation's four probes; HTTP goes to the preview's HTTPS URL through the
        runtime's client, verifying the certificate, as a user's browser reaches it. Odoo's log
        is read last, so it covers the probes' requests."""
        runtime = self.previews.runtime
        with self._step("smoke", "smoke", stop=True), runtime.client() as client:
            results = [
                smoke.http_health(environment.url, get=_getter(client)),
                smoke.users_exist(dsn),
                smoke.modules_installed(dsn, required_modules),
            ]
            log_file, since = runtime.odoo_log(self.request.number)
            return [*results, smoke.log_clean(log_file, since or EPOCH)]

    def publish(self, environment: PreviewEnvironment, results: list[ProbeResult], seconds: float) -> bool:
        """The URL on the PR if every probe passed (True); otherwise the failure and no URL."""
        lines = smoke_lines(results)
        n, sha = self.request.number, self.request.sha
        failed = [r for r in results if not r.passed]
        note = self.stop_unpublished() if failed else None
        with self._step("publish", "publish"):
            if failed:
                error = "; ".join(f"{r.name}: {r.summary}" for r in failed)
                self.publisher.failed(n, sha, "smoke", error, lines, seconds, note=note, superseded=True)
                return False
            self.publisher.published(n, sha, environment.url, lines, seconds)
            return True

    def stop_unpublished(self) -> str:
        """Stop the preview that failed its gate (Odoo and its route); what the PR is told of it."""
        n = self.request.number
        database = preview_database_name(n)
        try:
            self.previews.runtime.stop(n, log=self.log)
        except Exception as exc:  # the teardown tries again; the PR and the run log say so
            message = " ".join(str(exc).split())
            self.log(f"the failed preview {self.name} could not be stopped: {message}")
            return f"The preview could not be stopped ({message}); the PR's teardown will retry."
        return f"The preview was stopped; its database {database} is kept until the next push or the PR's close."

    def fail(self, step: str, message: str, seconds: float | None = None, note: str | None = None) -> None:
        """Tell the PR that `step` failed (no URL); a GitHub failure here is only logged."""
        try:
            self.publisher.failed(self.request.number, self.request.sha, step, message, seconds=seconds, note=note)
        except GitHubError as exc:
            self.log(f"could not tell the PR that {step} failed: {exc.reason}")

    @contextlib.contextmanager
    def _step(self, phase: str, step: str, *, stop: bool = False) -> Iterator[None]:
        """Time `phase`; any failure in it is told to the PR and raised as BuildFailed (`stop`:
        after stopping the preview, which has started)."""
        started = time.monotonic()
        try:
            with self.phases(phase):
                yield
        except BuildFailed:
            raise
        except GitHubError as exc:  # GitHub cannot hear of its own failure
            if stop:
                self.stop_unpublished()
            raise BuildFailed(step, exc.reason) from None
        except Exception as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            note = self.stop_unpublished() if stop else None
            self.fail(step, message, seconds=time.monotonic() - started, note=note)
            raise BuildFailed(step, message) from exc


def teardown(previews: Previews, publisher: PreviewPublisher, number: int, sha: str, reason: str, log: Log) -> int:
    """Everything of preview `number` removed (Odoo, database, DNS record, proxy route, files),
    then every deployment of it marked inactive; returns how many. Raises if anything is left."""
    previews.teardown(number, log=log)
    return publisher.removed(number, sha, reason)


def smoke_lines(results: list[ProbeResult]) -> list[SmokeLine]:
    return [SmokeLine(r.name, r.passed, r.summary) for r in results]


def _getter(client: httpx.Client) -> smoke.Get:
    def get(url: str, timeout: float) -> tuple[int, bytes]:
        try:
            response = client.get(url, timeout=timeout)
        except httpx.TransportError as exc:
            raise OSError(" ".join(str(exc).split()) or type(exc).__name__) from exc
        return response.status_code, response.content[:1000]

    return get

"""The production runtime of previews (ODOOSH_PREVIEW_RUNTIME=compose): each preview is the docker
compose project `odoo-pr-<n>` rendered from the reviewed template (odoosh.previews.compose),
started with `docker compose ... up --detach --wait` and removed with `... down --volumes
--remove-orphans`, behind Traefik at `https://pr-<n>.<ODOOSH_PREVIEW_DOMAIN>/`.

The docker CLI runs with argument lists and a timeout; the database password (from the preview
database's DSN) is only in its environment. Every failure is a PreviewRuntimeError whose last
line says what to install or fix (the PR's comment shows it last too). Odoo's own settings (mail to Mailpit, the addons path)
come from the template, so the sandbox's `options` do not apply here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from psycopg.conninfo import conninfo_to_dict

from odoosh.previews.code import PreviewCode
from odoosh.previews.compose import (
    PASSWORD_VARIABLE,
    PreviewComposeSettings,
    PreviewProject,
    command_env,
    preview_url,
    preview_values,
    project_of,
    render_preview_project,
)
from odoosh.previews.names import preview_dir, preview_name
from odoosh.previews.runtime import PreviewEnvironment, PreviewRuntimeError

UP_TIMEOUT_S = 600  # the first preview pulls the Odoo image; --wait then waits for its healthcheck
DOWN_TIMEOUT_S = 120
LOGS_TIMEOUT_S = 60
DEFAULT_IMAGE = "odoo:17.0"
INSTALL = (
    "Install the Docker CLI and its compose plugin where the preview runs run (Debian and Ubuntu: the "
    "docker-ce-cli and docker-compose-plugin packages from Docker's apt repository), "
    "or set ODOOSH_PREVIEW_RUNTIME=sandbox."
)
# `down` interpolates the whole file, and the template requires the password: any value does,
# since removing containers never connects to the database.
_DOWN_PASSWORD = "unused-by-docker-compose-down"
Log = Callable[[str], None]


@dataclass(frozen=True)
class ComposeRuntime:
    state_dir: Path
    domain: str  # ODOOSH_PREVIEW_DOMAIN: previews are https://pr-<n>.<domain>/
    image: str = DEFAULT_IMAGE
    traefik_network: str = "traefik"
    cert_resolver: str = "digitalocean"
    docker: str = "docker"
    up_timeout: float = UP_TIMEOUT_S
    down_timeout: float = DOWN_TIMEOUT_S

    def project(self, n: int) -> PreviewProject:
        return project_of(n, preview_dir(self.state_dir, n) / "compose", self.domain)

    def url(self, n: int) -> str:
        return preview_url(n, self.domain)

    def start(
        self, n: int, dsn: str, code: PreviewCode, *, options: Mapping[str, Any] | None = None, log: Log = print
    ) -> PreviewEnvironment:
        params = conninfo_to_dict(dsn)
        password = params.get("password") or os.environ.get("PGPASSWORD")
        settings = PreviewComposeSettings(
            domain=self.domain,
            db_host=_container_host(params.get("host")),
            db_user=params.get("user") or "",
            db_port=int(params.get("port") or 5432),
            image=self.image,
            traefik_network=self.traefik_network,
            cert_resolver=self.cert_resolver,
        )
        if not password:
            raise PreviewRuntimeError(
                "The preview database's DSN has no password, and Odoo in a container needs one. "
                "Put the password in ODOOSH_STAGING_DSN (its server holds the previews' databases)."
            )
        addons = [str(path.relative_to(code.directory)) if path != code.directory else "" for path in code.addons_paths]
        database = params.get("dbname") or ""
        project = render_preview_project(n, code.sha, database, settings, self.project(n).directory, addons)
        started_at = datetime.now(UTC)
        log(f"starting the compose project {project.name}: {' '.join(project.up_command(self.docker))}")
        try:
            self._run(project, "up", project.up_command(self.docker), password, self.up_timeout)
        except PreviewRuntimeError:
            try:  # an unhealthy Odoo is not left running unpublished
                self._run(project, "down", project.down_command(self.docker), _DOWN_PASSWORD, self.down_timeout)
            except PreviewRuntimeError as exc:
                log(f"could not remove the failed project {project.name}: {exc}")
            raise
        _started_file(project).write_text(json.dumps({"started_at": started_at.isoformat(), "sha": code.sha}) + "\n")
        log(f"{project.name} is healthy; Traefik serves it at {project.url}")
        return PreviewEnvironment(
            n=n,
            name=preview_name(n),
            url=project.url,
            local_url=None,
            hosts=(urlsplit(project.url).hostname,),
            sha=code.sha,
            addons_path=preview_values(n, code.sha, database, settings, addons)["PREVIEW_ADDONS_PATH"],
        )

    def client(self) -> httpx.Client:
        """The public URL, verified against the system's CAs (Traefik's Let's Encrypt certificate),
        straight, never through a proxy from the environment (as every smoke probe)."""
        return httpx.Client(trust_env=False)

    def odoo_log(self, n: int) -> tuple[Path, datetime | None]:
        """`docker compose logs` of Odoo, saved to `odoo.log` in the project (it also outlives
        `down`, for whoever debugs a failed smoke gate)."""
        project = self.project(n)
        output = self._run(project, "logs", project.logs_command(self.docker), _DOWN_PASSWORD, LOGS_TIMEOUT_S)
        log_file = project.directory / "odoo.log"
        log_file.write_text(output)
        try:
            started = json.loads(_started_file(project).read_text())["started_at"]
        except (OSError, ValueError, KeyError):
            return log_file, None
        return log_file, datetime.fromisoformat(started)

    def stop(self, n: int, log: Log = print) -> None:
        """`down --volumes --remove-orphans`; without the rendered project (a lost state
        directory) by its name alone, which is all compose needs to find its containers."""
        project = self.project(n)
        if project.compose_file.is_file() and project.env_file.is_file():
            command = project.down_command(self.docker)
        else:
            command = [self.docker, "compose", "--project-name", project.name, "down", "--volumes", "--remove-orphans"]
        log(f"removing the compose project {project.name}: {' '.join(command)}")
        self._run(project, "down", command, _DOWN_PASSWORD, self.down_timeout)
        _started_file(project).unlink(missing_ok=True)

    def files(self, n: int) -> list[Path]:
        return []  # the project lives in <state>/previews/pr-<n>/compose, removed with the preview

    def _run(self, project: PreviewProject, what: str, command: Sequence[str], password: str, timeout: float) -> str:
        """Run a docker command; its stdout, or PreviewRuntimeError ending with the fix."""
        executable = shutil.which(command[0])
        if executable is None:
            raise PreviewRuntimeError(f"`{command[0]}` is not on PATH ({os.environ.get('PATH', '')}).\n{INSTALL}")
        try:
            result = subprocess.run(
                [executable, *command[1:]],
                env=command_env(password),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PreviewRuntimeError(
                f"docker compose {what} of {project.name} did not finish within {timeout:g} s.\nLook at "
                f"`docker compose --project-name {project.name} ps` and `logs` on the Docker host "
                "(an image pull that hangs, a healthcheck that never passes), fix that, then build again."
            ) from None
        except OSError as exc:
            raise PreviewRuntimeError(f"Cannot run {executable}: {exc.strerror}.\n{INSTALL}") from None
        if result.returncode == 0:
            return result.stdout
        said = " ".join((result.stderr or result.stdout).split()[-80:]) or "nothing"
        raise PreviewRuntimeError(
            f"docker compose {what} of {project.name} failed (exit {result.returncode}): {said}\n{_fix(said, what)}"
        )


def _fix(said: str, what: str) -> str:
    """What to do about what docker said, as the message's last sentence."""
    if "is not a docker command" in said or ("unknown command" in said and "compose" in said):
        return "The docker CLI has no compose plugin: install docker-compose-plugin (Docker's apt repository)."
    if "Cannot connect to the Docker daemon" in said or ("permission denied" in said and "docker.sock" in said):
        return (
            "The Docker engine cannot be reached: give the process that runs preview builds the Docker socket "
            "(mount /var/run/docker.sock into the run containers, with its group) or set DOCKER_HOST."
        )
    if PASSWORD_VARIABLE in said:
        return f"{PASSWORD_VARIABLE} must reach docker compose: put the password in ODOOSH_STAGING_DSN."
    if "network" in said and "not found" in said:
        return "Start Traefik first (docker compose -f compose/previews/traefik.yml up -d) and the platform's stack."
    if what == "up":
        return "Fix what docker compose says (the image, the networks, Odoo's healthcheck), then build again."
    return "Fix what docker compose says, then run the preview's teardown again."


def _container_host(host: str | None) -> str:
    """The database host as Odoo in a container reaches it: not a socket, not its own loopback."""
    if not host or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1"):
        raise PreviewRuntimeError(
            f"The previews' database server is reached at {host or 'the local socket'!r}, which a container "
            "cannot reach. Set ODOOSH_STAGING_DSN to a host name or address of the staging server that the "
            "Docker host's containers can connect to."
        )
    return host


def _started_file(project: PreviewProject) -> Path:
    return project.directory / "started.json"

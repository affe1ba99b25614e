"""Previews' outside world: GitHub (ODOOSH_GITHUB_*), DigitalOcean DNS (ODOOSH_DO_*, ODOOSH_DNS_*)
and the runtime (ODOOSH_PREVIEW_RUNTIME): Odoo processes behind the previews' HTTPS proxy, or
docker compose projects behind Traefik."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from odoosh.odoo.runtime import OdooRuntime
from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.compose_runtime import DEFAULT_IMAGE, ComposeRuntime
from odoosh.previews.dns import DEFAULT_API_URL as DO_API_URL
from odoosh.previews.dns import DnsSettings, PreviewDns
from odoosh.previews.environment import Previews
from odoosh.previews.github import DEFAULT_API_URL as GITHUB_API_URL
from odoosh.previews.github import GitHubClient, GitHubError, GitHubSettings
from odoosh.previews.proxy import PreviewProxy
from odoosh.previews.runtime import COMPOSE, RUNTIMES, SANDBOX, PreviewRuntimeError, SandboxRuntime


class GitHubResource(dg.ConfigurableResource):
    """`token` is a secret: bind it as dg.EnvVar("ODOOSH_GITHUB_TOKEN"). It is the platform's
    own (comments, deployments, statuses); a fork's code never gets it."""

    repository: str | None = Field(default=None, description="owner/name; unset: no previews.")
    api_url: str = GITHUB_API_URL
    token: str | None = None
    clone_url: str | None = Field(
        default=None, description="The repository's git URL; unset: derived from api_url (github.com, GHES)."
    )

    def client(self) -> GitHubClient:
        if not self.repository:
            raise GitHubError("ODOOSH_GITHUB_REPOSITORY is unset: set it to owner/name to build previews.")
        return GitHubClient(GitHubSettings(self.repository, self.api_url, self.token, self.clone_url))


class DnsResource(dg.ConfigurableResource):
    """`token` is a secret (dg.EnvVar("ODOOSH_DO_TOKEN")). Without token, zone and target, previews get no record."""

    zone: str | None = None
    target: str | None = None
    token: str | None = None
    api_url: str = DO_API_URL
    wildcard: bool = False
    domain: str | None = None
    ca_file: str | None = Field(
        default=None, description="CA of the API's TLS (the sandbox double's); unset: the public CAs."
    )

    def dns(self) -> PreviewDns | None:
        if not (self.zone and self.target and self.token):
            return None
        settings = DnsSettings(
            zone=self.zone.strip(".").lower(),
            target=self.target,
            token=self.token,
            api_url=self.api_url,
            wildcard=self.wildcard,
            ca_file=Path(self.ca_file) if self.ca_file else None,
            domain=self.domain,
        )
        return PreviewDns(settings)


class PreviewsResource(dg.ConfigurableResource):
    """Where previews run. `sandbox`: each preview's Odoo (ODOOSH_ODOO_COMMAND, the stand-in by
    default) as a local process in the state directory, routed by the previews' Caddy on
    pr-<n>.localhost. `compose`: the docker compose project odoo-pr-<n> behind Traefik at
    pr-<n>.<domain> (compose/previews/)."""

    state_dir: str
    runtime: str = Field(default=SANDBOX, description="ODOOSH_PREVIEW_RUNTIME: sandbox or compose.")
    odoo_command: str | None = None
    domain: str | None = Field(
        default=None, description="ODOOSH_PREVIEW_DOMAIN: previews also answer at pr-<n>.<domain>."
    )
    base_addons: list[str] = Field(default=[], description="A real Odoo's own addons directories, before the PR's.")
    odoo_image: str = Field(default=DEFAULT_IMAGE, description="compose: ODOOSH_PREVIEW_ODOO_IMAGE.")
    traefik_network: str = Field(default="traefik", description="compose: ODOOSH_TRAEFIK_NETWORK.")
    cert_resolver: str = Field(default="digitalocean", description="compose: ODOOSH_TRAEFIK_CERTRESOLVER.")

    def previews(self, server: DatabaseServer, dns: PreviewDns | None) -> Previews:
        state = Path(self.state_dir)
        return Previews(state_dir=state, runtime=self._runtime(state), server=server, dns=dns)

    def _runtime(self, state: Path) -> SandboxRuntime | ComposeRuntime:
        if self.runtime == COMPOSE:
            if not self.domain:
                raise PreviewRuntimeError(
                    "ODOOSH_PREVIEW_RUNTIME=compose serves previews at https://pr-<n>.<domain>/ through Traefik: "
                    "set ODOOSH_PREVIEW_DOMAIN to that domain."
                )
            return ComposeRuntime(
                state,
                self.domain,
                image=self.odoo_image,
                traefik_network=self.traefik_network,
                cert_resolver=self.cert_resolver,
            )
        if self.runtime != SANDBOX:
            raise PreviewRuntimeError(
                f"ODOOSH_PREVIEW_RUNTIME={self.runtime!r} is not a runtime: set it to one of {', '.join(RUNTIMES)}."
            )
        return SandboxRuntime(
            OdooRuntime(state, self.odoo_command), PreviewProxy(state), self.domain, tuple(self.base_addons)
        )

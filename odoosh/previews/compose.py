"""Production previews: the compose template `compose/previews/odoo-preview.yml` rendered into a
docker compose project `odoo-pr-<n>`, and the docker CLI commands that start and remove it.

The project directory holds the template, unchanged, as `compose.yaml`, and a `.env` with the
preview's values, which `docker compose` interpolates: the file that runs is the reviewed
template, and the only per-preview input is a list of checked values derived from the PR
number and the platform's settings. The database password is not among them; it is passed in
the environment of the docker command (`command_env`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import idna

from odoosh.git import is_commit_id
from odoosh.previews.names import pr_number, preview_name

TEMPLATE = Path(__file__).resolve().parents[2] / "compose" / "previews" / "odoo-preview.yml"
PASSWORD_VARIABLE = "PREVIEW_DB_PASSWORD"
ADDONS_MOUNT = "/mnt/extra-addons"  # where the template mounts the checkout
_UNSAFE_IN_ENV = set(" \t\r\n\"'`$#\\")


class ComposeError(ValueError):
    """A setting that cannot go into a preview's compose project."""


@dataclass(frozen=True)
class PreviewComposeSettings:
    """What every preview shares: its domain, the Odoo image, where the database server is."""

    domain: str
    db_host: str
    db_user: str
    db_port: int = 5432
    image: str = "odoo:17.0"
    traefik_network: str = "traefik"
    cert_resolver: str = "digitalocean"


@dataclass(frozen=True)
class PreviewProject:
    name: str
    directory: Path
    url: str

    @property
    def compose_file(self) -> Path:
        return self.directory / "compose.yaml"

    @property
    def env_file(self) -> Path:
        return self.directory / ".env"

    def command(self, *args: str, docker: str = "docker") -> list[str]:
        """`docker compose` on this project: its name, directory, file and .env named
        explicitly, so the command means the same whatever the working directory."""
        return [
            docker,
            "compose",
            "--project-name",
            self.name,
            "--project-directory",
            str(self.directory),
            "--file",
            str(self.compose_file),
            "--env-file",
            str(self.env_file),
            *args,
        ]

    def up_command(self, docker: str = "docker") -> list[str]:
        """Start (or update) the preview and wait until Odoo is healthy."""
        return self.command("up", "--detach", "--wait", "--remove-orphans", docker=docker)

    def down_command(self, docker: str = "docker") -> list[str]:
        """Remove its containers, network and anonymous volumes (Odoo's filestore); the
        external `odoosh-state` volume holding the checkouts is never removed by compose."""
        return self.command("down", "--volumes", "--remove-orphans", docker=docker)

    def logs_command(self, docker: str = "docker") -> list[str]:
        """Odoo's log lines as Odoo wrote them (no colour, no `odoo-1 |` prefix)."""
        return self.command("logs", "--no-color", "--no-log-prefix", "odoo", docker=docker)


def preview_values(
    n: int, sha: str, database: str, settings: PreviewComposeSettings, addons: Sequence[str] = ("",)
) -> dict[str, str]:
    """The `.env` of preview `n` at commit `sha`: every value checked, none of them secret.
    `addons`: the checkout's addons directories, relative to it ("" is its top level), as
    `odoosh.previews.code` finds them."""
    domain = _domain(settings.domain)
    addons_path = ",".join(str(PurePosixPath(ADDONS_MOUNT, _relative(d))) for d in addons)
    values = {
        "PR_NUMBER": str(pr_number(n)),
        "PREVIEW_DOMAIN": domain,
        "PREVIEW_ODOO_IMAGE": settings.image,
        "PREVIEW_DB_NAME": database,
        "PREVIEW_DB_HOST": settings.db_host,
        "PREVIEW_DB_PORT": str(int(settings.db_port)),
        "PREVIEW_DB_USER": settings.db_user,
        # The checkout inside the platform's state volume (odoosh.previews.code's layout).
        "PREVIEW_CODE_SUBPATH": f"previews/{preview_name(n)}/code/{_sha(sha)}",
        "PREVIEW_ADDONS_PATH": addons_path,
        "TRAEFIK_NETWORK": settings.traefik_network,
        "TRAEFIK_CERTRESOLVER": settings.cert_resolver,
    }
    for key, value in values.items():
        if not value or _UNSAFE_IN_ENV & set(value):
            raise ComposeError(f"{key}={value!r} cannot go into a compose .env file: empty, or a space, quote, $ or #.")
    return values


def render_preview_project(
    n: int, sha: str, database: str, settings: PreviewComposeSettings, directory: Path, addons: Sequence[str] = ("",)
) -> PreviewProject:
    """Write preview `n`'s project into `directory` (replacing an earlier render)."""
    values = preview_values(n, sha, database, settings, addons)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATE, directory / "compose.yaml")
    env_text = "# written by odoosh (odoosh/previews/compose.py) for one preview; edits are lost\n"
    env_text += "".join(f"{key}={value}\n" for key, value in values.items())
    tmp = directory / ".env.tmp"
    tmp.write_text(env_text)
    os.replace(tmp, directory / ".env")
    return project_of(n, directory, values["PREVIEW_DOMAIN"])


def project_of(n: int, directory: Path, domain: str) -> PreviewProject:
    """Preview `n`'s project in `directory` (rendered or not)."""
    return PreviewProject(project_name(n), directory, preview_url(n, domain))


def project_name(n: int) -> str:
    return f"odoo-{preview_name(n)}"


def preview_url(n: int, domain: str) -> str:
    """`https://pr-<n>.<domain>/`: where Traefik serves preview `n`."""
    return f"https://{preview_name(n)}.{_domain(domain)}/"


def command_env(password: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the docker command: the caller's plus the database password."""
    return {**(os.environ if base is None else base), PASSWORD_VARIABLE: password}


def _domain(domain: str) -> str:
    try:
        return idna.encode(domain.strip(".").lower(), uts46=True).decode()
    except (idna.IDNAError, UnicodeError) as exc:
        raise ComposeError(f"PREVIEW_DOMAIN={domain!r} is not a valid domain name: {exc}.") from None


def _relative(directory: str) -> str:
    path = PurePosixPath(directory)
    if path.is_absolute() or ".." in path.parts:
        raise ComposeError(f"{directory!r} is not a directory inside the checkout.")
    return str(path)


def _sha(sha: str) -> str:
    if not is_commit_id(sha):
        raise ComposeError(f"{sha!r} is not a full commit id.")
    return sha.lower()

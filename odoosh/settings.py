"""Configuration read from the environment (README "Configuration" lists every variable).

Only non-secret settings are read here, once, where definitions are built. Secrets (DSNs with
passwords, salts, admin passwords) reach resources as `dg.EnvVar` so they never show up in the
UI or in run config.
"""

from __future__ import annotations

import os
from pathlib import Path

SANDBOX_POLICY = Path(__file__).parent / "sandbox" / "synthetic" / "site_policy.yaml"


class SettingsError(RuntimeError):
    """A setting that cannot work, phrased as what is wrong and how to fix it (one line)."""


class StateDirError(SettingsError):
    """The state directory is a file, or cannot be created."""


def state_dir() -> Path:
    """Where the sandbox keeps clusters, environments and artifacts (not created here: see
    `ensure_state_dir`). Raises StateDirError if the path is a file or lies under one.

    Root's home is closed to the PostgreSQL server user, so root defaults to /var/lib/odoosh.
    """
    path = _state_dir_path()
    if path.exists() and not path.is_dir():
        raise StateDirError(
            f"{_state_dir_origin(path)} is a file, not a directory. Point ODOOSH_STATE_DIR at a "
            "directory (it is created if missing), or move the file away."
        )
    blocking = next((parent for parent in path.parents if parent.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise StateDirError(
            f"{_state_dir_origin(path)} cannot be created: {blocking} is a file. Point "
            "ODOOSH_STATE_DIR at a directory that exists or can be created."
        )
    return path


def ensure_state_dir() -> Path:
    """The state directory, created if missing; StateDirError if it cannot be created or written."""
    path = state_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateDirError(
            f"{_state_dir_origin(path)} cannot be created: {exc.strerror}. Point ODOOSH_STATE_DIR "
            "at a directory this user can create and write."
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise StateDirError(
            f"{_state_dir_origin(path)} is not writable by this user. Point ODOOSH_STATE_DIR at "
            "a directory this user can write, or fix its permissions."
        )
    return path


def _state_dir_path() -> Path:
    if configured := os.environ.get("ODOOSH_STATE_DIR"):
        return Path(configured).absolute()
    if os.geteuid() == 0:
        return Path("/var/lib/odoosh")
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "odoosh"


def _state_dir_origin(path: Path) -> str:
    if os.environ.get("ODOOSH_STATE_DIR"):
        return f"The state directory ODOOSH_STATE_DIR={path}"
    return f"The default state directory {path} (ODOOSH_STATE_DIR is unset)"


def ui_port() -> int:
    """Port of the Dagster UI that `./dev demo` starts."""
    raw = os.environ.get("ODOOSH_UI_PORT") or "3000"
    port = int(raw) if raw.isdigit() else 0
    if not 1 <= port <= 65535:
        raise SettingsError(
            f"ODOOSH_UI_PORT={raw!r} is not a port number: set it to a free TCP port "
            "(1-65535; unset, the UI uses 3000)."
        )
    return port


def work_dir() -> Path:
    """Scratch space of runs: snapshots being written, quarantine clusters, downloads."""
    return state_dir() / "work"


def addons_dir() -> Path:
    """The addons checkouts the module lock pins: a directory of git clones, or a repository
    whose submodules they are (README "Module lock"); unset, `<state dir>/addons`."""
    configured = os.environ.get("ODOOSH_ADDONS_DIR")
    return Path(configured).absolute() if configured else state_dir() / "addons"


def oca_lock_file() -> Path:
    """Where `oca.lock.json` is read and written, unless ODOOSH_OCA_LOCK names a file: in the
    project's repository, where it is reviewed and committed, i.e. in the addons directory when
    that is the repository (it has a .gitmodules), else next to the directory of clones."""
    if configured := os.environ.get("ODOOSH_OCA_LOCK"):
        return Path(configured).absolute()
    addons = addons_dir()
    return (addons if (addons / ".gitmodules").is_file() else addons.parent) / "oca.lock.json"


def required_modules() -> list[str]:
    """Odoo modules every environment must have installed (smoke gate)."""
    raw = os.environ.get("ODOOSH_REQUIRED_MODULES", "base,web,mail")
    return [name.strip() for name in raw.split(",") if name.strip()]


def sandbox_scale() -> float:
    """Size of the synthetic production database; 1 builds in seconds, 500 reaches GBs."""
    return float(os.environ.get("ODOOSH_SANDBOX_SCALE", "1"))


def odoo_command() -> str | None:
    """The command that runs Odoo (given `-c <config>`); unset runs the stand-in."""
    return os.environ.get("ODOOSH_ODOO_COMMAND") or None


def jobs() -> int:
    """Parallel pg_dump/pg_restore/scrub workers; defaults to the number of cores."""
    return int(os.environ.get("ODOOSH_JOBS") or os.cpu_count() or 2)


def dump_compression() -> int:
    """gzip level of the production snapshots and scrubbed dumps: 0 (none) is the fastest, for
    2.6 times the disk of level 1 (README "Configuration" and "Benchmarks")."""
    raw = os.environ.get("ODOOSH_DUMP_COMPRESSION") or "0"
    if not (raw.isdigit() and 0 <= int(raw) <= 9):
        raise SettingsError(
            f"ODOOSH_DUMP_COMPRESSION={raw!r} is not a gzip level: set it to 0 (no compression, the "
            "fastest; unset is 0) up to 9 (the smallest dumps, the slowest)."
        )
    return int(raw)


def snapshots_kept() -> int:
    """How many production snapshots and scrubbed dumps each store keeps."""
    return int(os.environ.get("ODOOSH_SNAPSHOTS_KEPT", "2"))


def staging_url() -> str | None:
    """The public URL of staging (web.base.url); unset uses the sandbox environment's URL."""
    return os.environ.get("ODOOSH_STAGING_URL") or None


def timezone() -> str:
    """Timezone of the schedules (weekly staging refresh on Sunday 02:00)."""
    return os.environ.get("ODOOSH_TIMEZONE", "UTC")


def artifacts_url(zone: str) -> str:
    """Artifact store of a trust zone (`prod` or `scrubbed`): a local path or s3://bucket/prefix."""
    return os.environ.get(f"ODOOSH_{zone.upper()}_ARTIFACTS") or str(state_dir() / "artifacts" / zone)


def policy_files() -> list[str]:
    """Extra scrub policy files (os.pathsep-separated), applied over the shipped default.

    The sandbox's synthetic production has custom fields of its own; their policy comes first.
    """
    configured = [p for p in os.environ.get("ODOOSH_SCRUB_POLICY", "").split(os.pathsep) if p]
    sandbox = [] if os.environ.get("ODOOSH_PROD_DSN") else [str(SANDBOX_POLICY)]
    return sandbox + configured


# --------------------------------------------------------------------------- previews (README, "Previews")

PREVIEW_RUNTIMES = ("sandbox", "compose")


def preview_runtime() -> str:
    """Where previews run: `sandbox` (local processes behind Caddy) or `compose` (docker compose
    projects odoo-pr-<n> behind Traefik)."""
    raw = (os.environ.get("ODOOSH_PREVIEW_RUNTIME") or PREVIEW_RUNTIMES[0]).strip().lower()
    if raw not in PREVIEW_RUNTIMES:
        raise SettingsError(
            f"ODOOSH_PREVIEW_RUNTIME={raw!r} is not a preview runtime: set it to sandbox or compose (unset: sandbox)."
        )
    return raw


def preview_odoo_image() -> str:
    """The Odoo image of compose previews (the version of production's Odoo)."""
    return os.environ.get("ODOOSH_PREVIEW_ODOO_IMAGE") or "odoo:17.0"


def traefik_network() -> str:
    """The Docker network Traefik and the preview projects meet on (compose/previews/traefik.yml)."""
    return os.environ.get("ODOOSH_TRAEFIK_NETWORK") or "traefik"


def traefik_cert_resolver() -> str:
    return os.environ.get("ODOOSH_TRAEFIK_CERTRESOLVER") or "digitalocean"


# --------------------------------------------------------------------------- backups (README, "Backups")

BACKUP_REPO_FIELDS = ("type", "path", "bucket", "endpoint", "region", "ca_file", "uri_style")


def backup_repository(index: int) -> dict[str, str]:
    """The non-secret settings of backup repository `index` (ODOOSH_BACKUP_REPO<index>_*) that are
    set; unset, the repository is a local directory of the sandbox. Its key and secret are
    ODOOSH_BACKUP_REPO<index>_KEY / _SECRET, passed as dg.EnvVar."""
    values = {name: os.environ.get(f"ODOOSH_BACKUP_REPO{index}_{name.upper()}") for name in BACKUP_REPO_FIELDS}
    return {name: value for name, value in values.items() if value}


BACKUP_PG_HOST_FIELDS = {
    "host": "ODOOSH_BACKUP_PG_HOST",
    "port": "ODOOSH_BACKUP_PG_HOST_PORT",
    "cert_file": "ODOOSH_BACKUP_PG_HOST_CERT_FILE",
    "key_file": "ODOOSH_BACKUP_PG_HOST_KEY_FILE",
    "ca_file": "ODOOSH_BACKUP_PG_HOST_CA_FILE",
}


def backup_pg_host() -> dict[str, str]:
    """How pgBackRest reaches a production on another host, those of ODOOSH_BACKUP_PG_HOST_* that
    are set: its host's pgBackRest TLS server, the platform's client certificate and key (file
    paths), and the CA of the server's certificate. Unset: the sandbox's production."""
    values = {name: os.environ.get(var) for name, var in BACKUP_PG_HOST_FIELDS.items()}
    return {name: value for name, value in values.items() if value}


def backup_stanza() -> str:
    return os.environ.get("ODOOSH_BACKUP_STANZA") or "odoosh"


def backup_retention_days() -> int:
    """Days of full backups each repository keeps (pgBackRest time-based retention)."""
    return _positive_int("ODOOSH_BACKUP_RETENTION_DAYS", 30)


def restore_slo_minutes() -> int:
    """The bound a restore of 100 GB must stay under, projected from each restore test."""
    return _positive_int("ODOOSH_RESTORE_SLO_MINUTES", 15)


def backup_archive_queue_max() -> str:
    """How much WAL pg_wal may hold while a repository is unreachable before pgBackRest drops it."""
    return os.environ.get("ODOOSH_BACKUP_ARCHIVE_QUEUE_MAX") or "4GiB"


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name) or str(default)
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r} is not a positive whole number (unset: {default}).")
    return int(raw)

"""The production stack's files (compose/, Dockerfile, .dockerignore) as the tests read them:
loaded, interpolated as compose does, parsed as BuildKit does."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE_DIR = REPO / "compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
DAGSTER_YAML = COMPOSE_DIR / "dagster.yaml"
WORKSPACE_YAML = COMPOSE_DIR / "workspace.yaml"
ENV_EXAMPLE = COMPOSE_DIR / ".env.example"
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"

DAGSTER_SERVICES = ("user-code", "dagster-webserver", "dagster-daemon")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|DSN|SALT|KEY")
DOCKER_SOCKET = "/var/run/docker.sock"
DOCKER_APT_REPOSITORY = "https://download.docker.com/linux/debian"


# --------------------------------------------------------------------------- helpers


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def dagster_config() -> dict:
    return load_yaml(DAGSTER_YAML)


def compose_raw() -> dict:
    """The compose file as YAML (anchors and merge keys resolved), before interpolation."""
    return load_yaml(COMPOSE_FILE)


# Compose interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt}.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


class MissingVariable(Exception):
    pass


def references(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator, argument) of every variable reference in `text`."""
    return [
        (m["name"] or m["bare"], m["op"], m["arg"] or "") for m in _INTERPOLATION.finditer(text) if not m["escaped"]
    ]


def interpolate(value, env: dict[str, str]):
    """`value` with every string interpolated the way `docker compose` does it."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        name, op, arg = m["name"] or m["bare"], m["op"], m["arg"] or ""
        is_set = name in env
        has_value = bool(env.get(name))
        if op in (":-", "-"):
            return env[name] if (has_value if op == ":-" else is_set) else arg
        if op in (":?", "?"):
            if not (has_value if op == ":?" else is_set):
                raise MissingVariable(f"{name}: {arg}")
            return env[name]
        if op in (":+", "+"):
            return arg if (has_value if op == ":+" else is_set) else ""
        return env.get(name, "")

    return _INTERPOLATION.sub(substitute, value)


def env_example() -> dict[str, tuple[str, bool]]:
    """Variables of .env.example: name -> (value, commented out)."""
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if m := re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip()):
            found[m[2]] = (m[3], bool(m[1]))
    return found


# Stand-ins for the required values, as a user would fill them in.
FILLED_IN = {
    "DAGSTER_PG_PASSWORD": "example-password",
    "ODOOSH_PROD_DSN": "postgresql://odoosh_ro:pw@db.internal:5432/odoo",
    "ODOOSH_STAGING_DSN": "postgresql://odoosh_staging:pw@staging.internal:5432/odoo_staging",
    "ODOOSH_STAGING_ADMIN_PASSWORD": "example-admin-password",
    "ODOOSH_SCRUB_SALT": "example-salt",
    "DOCKER_GID": "999",
}


def example_env() -> dict[str, str]:
    """The environment of a user who copied .env.example and filled in the required values."""
    env = {name: value for name, (value, commented) in env_example().items() if not commented}
    env.update(FILLED_IN)
    return env


def compose_rendered() -> dict:
    return interpolate(compose_raw(), example_env())


def volume_mounts(service: dict) -> dict[str, str]:
    """target -> source of a service's short-syntax volume mounts."""
    return {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}


def dockerfile_commands():
    import dockerfile  # BuildKit's parser; dev dependency `dockerfile`

    return dockerfile.parse_file(str(DOCKERFILE))


def dockerfile_args() -> dict[str, str]:
    """ARG name -> default."""
    return dict(c.value[0].split("=", 1) for c in dockerfile_commands() if c.cmd == "ARG" and "=" in c.value[0])


def shell_commands(script: str) -> list[list[str]]:
    """The simple commands of a RUN's shell script (split at ; && || |), each as its argv, as the
    shell would word-split and unquote it (no expansion)."""
    lexer = shlex.shlex(script, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in (";", "&&", "||", "|"):
            commands.append([])
        else:
            commands[-1].append(token)
    return [command for command in commands if command]


def run_container_context(compose: dict) -> dict:
    """The container context the code server reports (user-code's DAGSTER_CONTAINER_CONTEXT):
    the launcher merges it into every run container of the location."""
    return json.loads(compose["services"]["user-code"]["environment"]["DAGSTER_CONTAINER_CONTEXT"])


def dockerfile_env() -> dict[str, str]:
    env = {}
    for command in dockerfile_commands():
        if command.cmd == "ENV":
            values = command.value
            env.update(zip(values[0::2], values[1::2], strict=True))
    return env


# --------------------------------------------------------------------------- the compose file


def check_compose_schema(document: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with the official compose-spec JSON schema it ships (vendored)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(document)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --------------------------------------------------------------------------- the monitoring file

MONITORING_FILE = COMPOSE_DIR / "monitoring.yml"
MONITORING_DIR = COMPOSE_DIR / "monitoring"
MONITORING_SERVICES = ("odoosh-metrics", "prometheus", "alertmanager", "loki", "alloy", "grafana")

# Stand-ins for the values monitoring.yml requires, as a user would fill them in.
MONITORING_FILLED_IN = {
    "GRAFANA_ADMIN_PASSWORD": "example-grafana-password",
    "ODOOSH_ALERT_WEBHOOK_FILE": "/etc/odoosh/mattermost-webhook-url",
    "GRAFANA_PG_HOST": "db.internal:5432",
    "GRAFANA_PG_PASSWORD": "example-grafana-pg-password",
}


def monitoring_raw() -> dict:
    return load_yaml(MONITORING_FILE)


def monitoring_env() -> dict[str, str]:
    return {**example_env(), **MONITORING_FILLED_IN}


def merge_compose(base: dict, override: dict) -> dict:
    """`docker compose -f base -f override` for an override that only adds: top-level mappings are
    united, and a service, network, volume or secret defined in both is refused rather than merged
    field by field (compose's rules for that are not needed here)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            overlap = set(value) & set(merged[key])
            if overlap:
                raise ValueError(f"{key} {sorted(overlap)} defined in both files: merge_compose only adds")
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def compose_with_monitoring() -> dict:
    """The project of docker-compose.yml and monitoring.yml, interpolated from .env.example."""
    env = monitoring_env()
    return merge_compose(interpolate(compose_raw(), env), interpolate(monitoring_raw(), env))


def mounts(service: dict) -> dict[str, tuple[str, bool]]:
    """target -> (source, read-only) of a service's mounts, short or long syntax."""
    found = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, dict):
            found[volume["target"]] = (volume["source"], bool(volume.get("read_only")))
        else:
            source, target, *mode = volume.split(":")
            found[target] = (source, "ro" in mode[0].split(",") if mode else False)
    return found

"""The production stack in compose/: its Dagster instance config against a real PostgreSQL, and
the compose file, Dockerfile and .dockerignore checked against each other and against real
validators (the official compose-spec JSON schema as shipped by check-jsonschema; BuildKit's
Dockerfile parser through the `dockerfile` package; docker-py's .dockerignore matcher).

There is no Docker engine here, so nothing is built or started: the containers' configuration
is what is tested.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import dagster as dg
import docker
import docker.errors
import psycopg
import pytest
import yaml
from dagster._core.errors import DagsterInvalidConfigError
from dagster_docker import DockerRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from docker.utils.build import exclude_paths

from odoosh.postgres.cluster import SUPERUSER

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
        (m["name"] or m["bare"], m["op"], m["arg"] or "")
        for m in _INTERPOLATION.finditer(text)
        if not m["escaped"]
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


def dockerfile_env() -> dict[str, str]:
    env = {}
    for command in dockerfile_commands():
        if command.cmd == "ENV":
            values = command.value
            env.update(zip(values[0::2], values[1::2]))
    return env


# --------------------------------------------------------------------------- the instance


@pytest.fixture
def dagster_home(pg, fresh_db, tmp_path, monkeypatch) -> Path:
    """DAGSTER_HOME holding compose/dagster.yaml, its variables pointing at the test cluster
    over TCP with the SCRAM password, and DOCKER_HOST at a socket where no engine answers."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DAGSTER_YAML, home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "DAGSTER_PG_USERNAME": SUPERUSER,
        "DAGSTER_PG_PASSWORD": pg.password,
        "DAGSTER_PG_HOST": "127.0.0.1",
        "DAGSTER_PG_PORT": str(pg.port),
        "DAGSTER_PG_DB": fresh_db,
        "DOCKER_HOST": f"unix://{tmp_path}/no-docker-engine.sock",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return home


@pytest.fixture
def instance(dagster_home):
    instance = dg.DagsterInstance.get()
    try:
        yield instance
    finally:
        instance.dispose()


def test_instance_keeps_runs_and_events_in_postgres(instance, pg, fresh_db):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)

    @dg.asset
    def compose_probe() -> int:
        return 1

    result = dg.materialize([compose_probe], instance=instance)
    assert result.success

    # The rows are in the database the variables name, read back over TCP with the password.
    with psycopg.connect(
        host="127.0.0.1", port=pg.port, user=SUPERUSER, password=pg.password, dbname=fresh_db
    ) as conn:
        status = conn.execute("SELECT status FROM runs WHERE run_id = %s", (result.run_id,)).fetchone()
        event_types = {
            row[0]
            for row in conn.execute(
                "SELECT dagster_event_type FROM event_logs WHERE run_id = %s", (result.run_id,)
            )
        }
        asset_keys = {row[0] for row in conn.execute("SELECT asset_key FROM asset_keys")}
    assert status == ("SUCCESS",)
    assert {"STEP_START", "ASSET_MATERIALIZATION", "STEP_SUCCESS"} <= event_types
    assert json.dumps(["compose_probe"]) in asset_keys

    # Run containers do not read dagster.yaml: they rebuild the instance from the reference the
    # daemon sends them. That one must reach the same database too.
    worker = dg.DagsterInstance.from_ref(instance.get_ref())
    try:
        assert isinstance(worker.run_storage, PostgresRunStorage)
        assert worker.get_run_by_id(result.run_id).is_success
    finally:
        worker.dispose()


def test_instance_queues_runs_and_launches_them_in_docker(instance):
    # Loading the launcher needs no Docker engine (there is none at DOCKER_HOST)...
    with pytest.raises(docker.errors.DockerException):
        docker.from_env().ping()
    launcher = instance.run_launcher
    assert isinstance(launcher, DockerRunLauncher)

    # ...and it joins runs to the stack's network, with the stack's variables and volumes.
    compose = compose_raw()
    assert launcher.networks == [compose["networks"]["odoosh"]["name"]]
    assert set(launcher.env_vars) == set(compose["services"]["dagster-daemon"]["environment"])
    volume_names = {volume["name"] for volume in compose["volumes"].values() if volume and "name" in volume}
    for mount in launcher.container_kwargs["volumes"]:
        assert mount.split(":")[0] in volume_names, f"{mount}: not a volume of docker-compose.yml"

    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 4
    assert instance.run_monitoring_enabled
    assert not instance.telemetry_enabled


def env_references(config) -> set[str]:
    """Every `env:` variable of a Dagster config."""
    if isinstance(config, dict):
        if set(config) == {"env"}:
            return {config["env"]}
        return set().union(*(env_references(value) for value in config.values()))
    if isinstance(config, list):
        return set().union(*(env_references(value) for value in config))
    return set()


@pytest.mark.parametrize("name", sorted(env_references(dagster_config())))
def test_instance_refuses_to_load_without_a_variable(dagster_home, monkeypatch, name):
    monkeypatch.delenv(name)
    with pytest.raises(DagsterInvalidConfigError, match=f'environment variable "{name}" which is not set'):
        dg.DagsterInstance.get()


def test_instance_config_reads_connection_settings_from_the_environment():
    db = dagster_config()["storage"]["postgres"]["postgres_db"]
    for field in ("username", "password", "hostname", "db_name", "port"):
        assert set(db[field]) == {"env"}, f"postgres_db.{field} must be an env: reference"
    # The connection settings are the ones compose gives every Dagster process.
    assert env_references(db) == set(compose_raw()["x-dagster-pg-env"])


# --------------------------------------------------------------------------- the compose file


def check_compose_schema(document: Path) -> subprocess.CompletedProcess:
    """check-jsonschema with the official compose-spec JSON schema it ships (vendored)."""
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(document)],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_compose_file_is_valid_against_the_compose_spec(tmp_path):
    # As written (anchors, ${...}) and as compose sees it after interpolating .env.example.
    rendered = tmp_path / "docker-compose.rendered.json"
    rendered.write_text(json.dumps(compose_rendered()))
    for document in (COMPOSE_FILE, rendered):
        result = check_compose_schema(document)
        assert result.returncode == 0, f"{document.name}:\n{result.stdout}{result.stderr}"


def test_compose_schema_check_catches_a_broken_file(tmp_path):
    """The validator above really validates: a misspelt key is rejected."""
    broken = compose_rendered()
    broken["services"]["postgres"]["healthchek"] = broken["services"]["postgres"].pop("healthcheck")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = check_compose_schema(path)
    assert result.returncode == 1
    assert "healthchek" in result.stdout + result.stderr


def test_compose_references_resolve():
    """What the schema cannot see and `docker compose config` would reject."""
    compose = compose_rendered()
    services = compose["services"]
    assert set(services) == {"postgres", *DAGSTER_SERVICES, "mailpit"}
    for name, service in services.items():
        assert service.get("image") or service.get("build"), f"{name}: neither image nor build"
        for network in service.get("networks", []):
            assert network in compose["networks"], f"{name}: undeclared network {network}"
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name}: depends on unknown service {dependency}"
        for source in volume_mounts(service).values():
            if not source.startswith(("/", ".")):
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
    # All Dagster processes and the run containers from one image, built from the repository.
    images = {services[name]["image"] for name in DAGSTER_SERVICES}
    assert images == {services["user-code"]["environment"]["DAGSTER_CURRENT_IMAGE"]}
    for name in DAGSTER_SERVICES:
        build = services[name]["build"]
        assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE


def test_compose_variables_are_documented_and_secrets_required():
    text = COMPOSE_FILE.read_text()
    refs = references(text)
    documented = env_example()
    missing = {name for name, _, _ in refs} - set(documented)
    assert not missing, f"not documented in compose/.env.example: {sorted(missing)}"

    for name, op, arg in refs:
        value, commented = documented[name]
        if SECRET_NAME.search(name):
            assert op == ":?" or (op == ":-" and arg == ""), f"secret {name} has a default: {arg!r}"
        if op in (":?", "?"):
            assert not commented and value == "", f"{name}: required, so listed empty in .env.example"
        if op in (":-", "-"):
            assert commented and value == arg, f"{name}: .env.example should show '# {name}={arg}'"

    # Nothing required can be left out: rendering without one fails, naming it.
    for name in FILLED_IN:
        env = example_env()
        del env[name]
        with pytest.raises(MissingVariable, match=name):
            interpolate(compose_raw(), env)


def test_compose_has_no_literal_secrets():
    compose = compose_raw()
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:\?[^}]*|:-)\}", str(value)), (
                    f"{name}.environment.{key} must come from a variable without default, not {value!r}"
                )
    for path in (COMPOSE_FILE, DAGSTER_YAML, ENV_EXAMPLE):
        # a URI carrying a password other than the documented placeholder
        for m in re.finditer(r"://[^/\s:@]+:([^@\s]+)@", path.read_text()):
            assert m[1] == "PASSWORD", f"{path.name}: literal credentials in {m[0]!r}"
    for name, (value, _) in env_example().items():
        if SECRET_NAME.search(name):
            assert value == "", f".env.example ships a value for {name}"


def test_compose_publishes_ports_on_loopback_only():
    published = [
        (name, port)
        for name, service in compose_rendered()["services"].items()
        for port in service.get("ports", [])
    ]
    assert {name for name, _ in published} == {"dagster-webserver", "mailpit"}
    for name, port in published:
        assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name}: {port}"
    assert "ports" not in compose_raw()["services"]["postgres"]


def test_compose_wires_dagster_services():
    compose = compose_rendered()
    services = compose["services"]

    # Postgres: the storage of dagster.yaml, healthy before any Dagster process starts.
    postgres = services["postgres"]
    assert postgres["image"] == "postgres:15"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert volume_mounts(postgres)["/var/lib/postgresql/data"] in compose["volumes"]
    for name in DAGSTER_SERVICES:
        env = services[name]["environment"]
        assert env["DAGSTER_PG_HOST"] == "postgres"
        assert env["DAGSTER_PG_USERNAME"] == postgres["environment"]["POSTGRES_USER"]
        assert env["DAGSTER_PG_PASSWORD"] == postgres["environment"]["POSTGRES_PASSWORD"]
        assert env["DAGSTER_PG_DB"] == postgres["environment"]["POSTGRES_DB"]
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"

    # The code server serves the one definitions module on the port workspace.yaml names.
    workspace = load_yaml(WORKSPACE_YAML)["load_from"]
    assert len(workspace) == 1
    grpc = workspace[0]["grpc_server"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["dagster"]
    assert grpc["location_name"] == project["code_location_name"] == "odoosh"
    assert grpc["host"] in services
    command = services[grpc["host"]]["command"]
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("-m") + 1] == project["module_name"] == "odoosh_assets.definitions"
    assert command[command.index("-p") + 1] == str(grpc["port"])
    assert command[command.index("-h") + 1] == "0.0.0.0"

    # Webserver and daemon load compose/workspace.yaml, which the image bakes into DAGSTER_HOME.
    workspace_in_image = f"{dockerfile_env()['DAGSTER_HOME']}/workspace.yaml"
    for name in ("dagster-webserver", "dagster-daemon"):
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == workspace_in_image

    # The daemon launches run containers through the host's engine (and the webserver stops
    # them): the socket, and its group for the image's unprivileged user.
    for name in ("dagster-daemon", "dagster-webserver"):
        assert volume_mounts(services[name]).get(DOCKER_SOCKET) == DOCKER_SOCKET
        assert services[name]["group_add"] == [FILLED_IN["DOCKER_GID"]]
    assert DOCKER_SOCKET not in volume_mounts(services["user-code"])
    # The image's unprivileged user is not overridden.
    for name in DAGSTER_SERVICES:
        assert "user" not in services[name], name

    # What the code server sees, the run containers see: same variables, same volumes.
    launcher = dagster_config()["run_launcher"]
    assert launcher["module"] == "dagster_docker" and launcher["class"] == "DockerRunLauncher"
    env_vars = launcher["config"]["env_vars"]
    assert len(env_vars) == len(set(env_vars)) and set(env_vars) == set(compose["x-odoosh-env"])
    assert set(services["dagster-daemon"]["environment"]) == set(env_vars)
    assert set(services["user-code"]["environment"]) == {*env_vars, "DAGSTER_CURRENT_IMAGE"}
    assert launcher["config"]["network"] == compose["networks"]["odoosh"]["name"]
    run_mounts = {m.split(":")[1]: m.split(":")[0] for m in launcher["config"]["container_kwargs"]["volumes"]}
    assert run_mounts == docker_mounts(compose, "user-code")
    # Compute logs are written to $DAGSTER_HOME/storage in the run container and read from there
    # by the webserver, which shows them.
    storage_dir = f"{dockerfile_env()['DAGSTER_HOME']}/storage"
    assert docker_mounts(compose, "dagster-webserver")[storage_dir] == run_mounts[storage_dir]
    assert dockerfile_env()["ODOOSH_STATE_DIR"] in run_mounts


def docker_mounts(compose: dict, service: str) -> dict[str, str]:
    """target -> Docker-level source of a service's mounts (named volumes by their `name:`)."""
    names = {key: volume["name"] for key, volume in compose["volumes"].items() if volume and "name" in volume}
    return {target: names.get(source, source) for target, source in volume_mounts(compose["services"][service]).items()}


# Read by the code but deliberately not passed to the production containers.
NOT_FOR_PRODUCTION = {
    "ODOOSH_PG_BINDIR",  # the image's PostgreSQL 15 is found without it
    "ODOOSH_PG_OS_USER",  # containers run unprivileged, so clusters run as that user
    "ODOOSH_SANDBOX_SCALE",  # size of the synthetic production database of the sandbox
}


def test_compose_passes_every_setting_the_code_reads():
    """A new ODOOSH_* setting must reach the code server and run containers (x-odoosh-env,
    dagster.yaml env_vars, .env.example), or be listed above with the reason it need not."""
    read = set()
    for package in ("odoosh", "odoosh_assets", "resources", "sensors", "schedules"):
        for source in (REPO / package).rglob("*.py"):
            read |= set(re.findall(r"\bODOOSH_[A-Z0-9_]*[A-Z0-9]\b", source.read_text()))
    assert "ODOOSH_PROD_DSN" in read  # the scan sees the code
    passed = set(compose_raw()["x-odoosh-env"])
    assert not (read - passed - NOT_FOR_PRODUCTION), "not passed to the containers"
    assert not (NOT_FOR_PRODUCTION & passed)


def test_compose_runs_mailpit_as_the_mail_catcher():
    compose = compose_rendered()
    mailpit = compose["services"]["mailpit"]
    assert mailpit["image"].startswith("axllent/mailpit:")
    assert "odoosh" in mailpit["networks"]
    targets = {port.rsplit(":", 1)[1] for port in mailpit["ports"]}
    assert targets == {"8025", "1025"}
    # The code (staging's Odoo config, the mail_caught check) is pointed at it.
    env = compose["x-odoosh-env"]
    assert (env["ODOOSH_MAIL_SMTP_HOST"], env["ODOOSH_MAIL_SMTP_PORT"]) == ("mailpit", "1025")
    assert env["ODOOSH_MAIL_API_URL"] == "http://mailpit:8025"


# --------------------------------------------------------------------------- the image


def test_dockerfile_builds_the_locked_environment_as_non_root():
    commands = dockerfile_commands()  # BuildKit's parser: a syntax error fails here

    froms = [c for c in commands if c.cmd == "FROM"]
    assert len(froms) == 1 and froms[0].value[0].startswith("python:3.11-slim")
    # bookworm: where postgresql-client-15 and pgbackrest 2.45 come from
    assert froms[0].value[0].endswith("-bookworm")

    runs = [(i, " ".join(c.value)) for i, c in enumerate(commands) if c.cmd == "RUN"]
    syncs = [(i, text) for i, text in runs if "uv sync" in text]
    assert syncs, "no `uv sync`"
    for _, text in syncs:
        assert "--frozen" in text and "--no-dev" in text, text
    # The lock is copied, and the dependencies installed, before the source: code edits keep
    # the dependency layer cached.
    lock_copy = next(i for i, c in enumerate(commands) if c.cmd == "COPY" and "uv.lock" in c.value)
    assert "pyproject.toml" in commands[lock_copy].value
    source_copy = next(i for i, c in enumerate(commands) if c.cmd == "COPY" and c.value[0] == ".")
    assert lock_copy < syncs[0][0] < source_copy < syncs[-1][0]
    assert "--no-install-project" in syncs[0][1]

    installs = " ".join(text for _, text in runs if "apt-get install" in text)
    for package in ("postgresql-client-15", "pgbackrest"):
        assert re.search(rf"\b{re.escape(package)}\b", installs), package

    users = [c.value[0] for c in commands if c.cmd == "USER"]
    assert users and users[-1] not in ("root", "0") and not users[-1].startswith("0:")
    assert any("useradd" in text and users[-1] in text for _, text in runs)

    env = dockerfile_env()
    assert env["DAGSTER_HOME"].startswith("/")
    assert any("compose/dagster.yaml" in text and "$DAGSTER_HOME" in text for _, text in runs)

    # Run standalone, the image is the code server compose runs.
    cmd = next(c for c in reversed(commands) if c.cmd == "CMD")
    assert cmd.json and list(cmd.value) == compose_rendered()["services"]["user-code"]["command"]

    # The same uv as ./dev, so the image resolves the lock as development does.
    uv_arg = next(c.value[0] for c in commands if c.cmd == "ARG" and c.value[0].startswith("UV_VERSION="))
    dev_uv = re.search(r"^UV_VERSION=(\S+)", (REPO / "dev").read_text(), re.MULTILINE)
    assert dev_uv and uv_arg == f"UV_VERSION={dev_uv[1]}"


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context(tmp_path):
    """docker-py's implementation of .dockerignore, on a tree shaped like a working copy."""
    files = [
        "Dockerfile", "README.md", "pyproject.toml", "uv.lock", "dev",
        "compose/dagster.yaml", "compose/workspace.yaml", "compose/.env.example",
        "odoosh_assets/definitions.py", "odoosh/postgres/cluster.py", "tests/test_compose.py",
        # must stay out
        ".git/config", ".venv/bin/python", ".tools/bin/uv", ".state/clusters/x/PG_VERSION",
        "tmp/scratch.sql", ".pytest_cache/v/cache", "odoosh/__pycache__/cli.cpython-311.pyc",
        "odoosh.egg-info/PKG-INFO", "compose/.env", ".env", "compose/.env.local",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = [
        line.strip() for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    context = {path for path in exclude_paths(str(tmp_path), patterns) if (tmp_path / path).is_file()}
    assert context == set(files[: files.index(".git/config")])

"""The production stack in compose/: the compose file checked against .env.example,
dagster.yaml, the Dockerfile and the code, and against the official compose-spec JSON schema
as shipped by check-jsonschema.

The readers of compose/ and the Dockerfile (tests/compose_files.py) are shared with test_compose_instance.py
(the Dagster instance of dagster.yaml against a real PostgreSQL) and test_compose_image.py
(the Dockerfile and .dockerignore). There is no Docker engine here, so nothing is built or
started: the containers' configuration is what is tested.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest

from tests.compose_files import (
    COMPOSE_DIR,
    COMPOSE_FILE,
    DAGSTER_SERVICES,
    DAGSTER_YAML,
    DOCKER_SOCKET,
    DOCKERFILE,
    ENV_EXAMPLE,
    FILLED_IN,
    REPO,
    SECRET_NAME,
    WORKSPACE_YAML,
    MissingVariable,
    check_compose_schema,
    compose_raw,
    compose_rendered,
    dagster_config,
    dockerfile_env,
    env_example,
    example_env,
    interpolate,
    load_yaml,
    references,
    run_container_context,
    volume_mounts,
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
        (name, port) for name, service in compose_rendered()["services"].items() for port in service.get("ports", [])
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
    assert set(services["user-code"]["environment"]) == {
        *env_vars,
        "DAGSTER_CURRENT_IMAGE",
        "DAGSTER_CONTAINER_CONTEXT",
    }
    assert launcher["config"]["network"] == compose["networks"]["odoosh"]["name"]
    run_mounts = {m.split(":")[1]: m.split(":")[0] for m in launcher["config"]["container_kwargs"]["volumes"]}
    # ...plus the Docker socket (test_compose_gives_run_containers_the_docker_socket_and_its_group)
    assert {target: source for target, source in run_mounts.items() if target != DOCKER_SOCKET} == docker_mounts(
        compose, "user-code"
    )
    # Compute logs are written to $DAGSTER_HOME/storage in the run container and read from there
    # by the webserver, which shows them.
    storage_dir = f"{dockerfile_env()['DAGSTER_HOME']}/storage"
    assert docker_mounts(compose, "dagster-webserver")[storage_dir] == run_mounts[storage_dir]
    assert dockerfile_env()["ODOOSH_STATE_DIR"] in run_mounts


def test_compose_gives_run_containers_the_docker_socket_and_its_group():
    """Preview runs drive `docker compose` (ODOOSH_PREVIEW_RUNTIME=compose): every run container
    mounts the host's socket (dagster.yaml) and gets its group, which only compose knows (the code
    server's container context), exactly as the daemon does."""
    compose = compose_rendered()
    daemon = compose["services"]["dagster-daemon"]
    assert compose["x-odoosh-env"]["ODOOSH_PREVIEW_RUNTIME"] == "compose"  # the default needs it

    kwargs = dagster_config()["run_launcher"]["config"]["container_kwargs"]
    run_mounts = {m.split(":")[1]: m.split(":")[0] for m in kwargs["volumes"]}
    assert run_mounts[DOCKER_SOCKET] == volume_mounts(daemon)[DOCKER_SOCKET] == DOCKER_SOCKET
    # dagster.yaml is baked into the image and holds no host's group id...
    assert "group_add" not in kwargs
    # ...the code server's container context does, from DOCKER_GID like the daemon's and the
    # webserver's, and nothing else: the launcher's merge of container_kwargs is shallow, so a
    # `volumes` here would replace dagster.yaml's.
    context = run_container_context(compose)
    assert set(context) == {"docker"} and set(context["docker"]) == {"container_kwargs"}
    assert context["docker"]["container_kwargs"] == {"group_add": daemon["group_add"]}
    assert daemon["group_add"] == [FILLED_IN["DOCKER_GID"]]
    raw = compose_raw()["services"]["user-code"]["environment"]["DAGSTER_CONTAINER_CONTEXT"]
    assert [(name, op) for name, op, _ in references(raw)] == [("DOCKER_GID", ":?")]
    env = example_env()
    del env["DOCKER_GID"]
    with pytest.raises(MissingVariable, match="DOCKER_GID"):
        interpolate(raw, env)


def docker_mounts(compose: dict, service: str) -> dict[str, str]:
    """target -> Docker-level source of a service's mounts (named volumes by their `name:`)."""
    names = {key: volume["name"] for key, volume in compose["volumes"].items() if volume and "name" in volume}
    return {target: names.get(source, source) for target, source in volume_mounts(compose["services"][service]).items()}


# Read by the code but deliberately not passed to the production containers.
NOT_FOR_PRODUCTION = {
    "ODOOSH_PG_BINDIR",  # the image's PostgreSQL 15 is found without it
    "ODOOSH_PG_OS_USER",  # containers run unprivileged, so clusters run as that user
    "ODOOSH_SANDBOX_SCALE",  # size of the synthetic production database of the sandbox
    "ODOOSH_UI_PORT",  # port of the UI that ./dev demo starts; compose runs its own webserver
}


def test_compose_passes_every_setting_the_code_reads():
    """A new ODOOSH_* setting must reach the code server and run containers (x-odoosh-env,
    dagster.yaml env_vars, .env.example), or be listed above with the reason it need not."""
    read = set()
    for package in ("odoosh", "odoosh_assets", "resources", "sensors", "schedules"):
        for source in (REPO / package).rglob("*.py"):
            # Not a prefix such as ODOOSH_BACKUP_REPO<n>_ (f"...{index}", "...<index>").
            read |= set(re.findall(r"\bODOOSH_[A-Z0-9_]*[A-Z0-9]\b(?![{<])", source.read_text()))
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

"""Production previews: the compose template rendered into a project `odoo-pr-<n>`, checked the way
tests/test_compose.py checks the platform's stack: as written and as compose interpolates it,
against the official compose-spec schema (no Docker engine here)."""

from __future__ import annotations

import json

import pytest

from odoosh.previews.compose import (
    PASSWORD_VARIABLE,
    TEMPLATE,
    ComposeError,
    PreviewComposeSettings,
    command_env,
    render_preview_project,
)
from odoosh.previews.names import PreviewNameError
from tests.compose_files import (
    COMPOSE_DIR,
    SECRET_NAME,
    MissingVariable,
    check_compose_schema,
    compose_raw,
    env_example,
    interpolate,
    load_yaml,
    references,
)

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
SETTINGS = PreviewComposeSettings(
    domain="previews.example.com", db_host="staging-db.internal", db_user="odoosh_staging"
)
TRAEFIK = COMPOSE_DIR / "previews" / "traefik.yml"


def read_env(path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


@pytest.fixture
def project(tmp_path):
    return render_preview_project(7, SHA, "odoosh_pr_7", SETTINGS, tmp_path / "odoo-pr-7", addons=("", "vendor"))


def rendered(project, password="example-password") -> dict:
    """The project as `docker compose` sees it: its .env plus the password from the environment."""
    env = read_env(project.env_file) | {PASSWORD_VARIABLE: password}
    return interpolate(load_yaml(project.compose_file), env)


def test_template_and_rendered_project_are_valid_compose(project, tmp_path):
    document = tmp_path / "rendered.json"
    document.write_text(json.dumps(rendered(project)))
    traefik = tmp_path / "traefik.json"
    traefik.write_text(
        json.dumps(interpolate(load_yaml(TRAEFIK), {"ODOOSH_ACME_EMAIL": "a@b.c", "ODOOSH_DO_TOKEN": "t"}))
    )
    for path in (TEMPLATE, project.compose_file, document, TRAEFIK, traefik):
        result = check_compose_schema(path)
        assert result.returncode == 0, f"{path.name}:\n{result.stdout}{result.stderr}"
    assert project.compose_file.read_text() == TEMPLATE.read_text(), "the reviewed template runs, unchanged"


def test_project_routes_pr_host_to_odoo_through_traefik(project):
    compose = rendered(project)
    assert compose["name"] == project.name == "odoo-pr-7"
    assert project.url == "https://pr-7.previews.example.com/"
    odoo = compose["services"]["odoo"]
    labels = dict(label.split("=", 1) for label in odoo["labels"])
    router = "traefik.http.routers.odoo-pr-7"
    assert labels["traefik.enable"] == "true"
    assert labels[f"{router}.rule"] == "Host(`pr-7.previews.example.com`)"
    assert labels[f"{router}.entrypoints"] == "websecure"
    assert labels[f"{router}.tls"] == "true"
    assert labels[f"{router}.service"] == "odoo-pr-7"
    assert labels["traefik.http.services.odoo-pr-7.loadbalancer.server.port"] == "8069"
    # The wildcard certificate, from the resolver Traefik runs with the DigitalOcean DNS challenge.
    resolver = labels[f"{router}.tls.certresolver"]
    assert (labels[f"{router}.tls.domains[0].main"], labels[f"{router}.tls.domains[0].sans"]) == (
        "previews.example.com",
        "*.previews.example.com",
    )
    traefik = interpolate(load_yaml(TRAEFIK), {"ODOOSH_ACME_EMAIL": "ops@example.com", "ODOOSH_DO_TOKEN": "t"})
    command = traefik["services"]["traefik"]["command"]
    assert f"--certificatesresolvers.{resolver}.acme.dnschallenge.provider=digitalocean" in command
    assert "--entrypoints.websecure.address=:443" in command
    assert traefik["services"]["traefik"]["environment"]["DO_AUTH_TOKEN"] == "t"
    # Both sides meet on one network, the one Traefik routes on.
    network = labels["traefik.docker.network"]
    assert compose["networks"]["traefik"]["name"] == traefik["networks"]["traefik"]["name"] == network
    assert f"--providers.docker.network={network}" in command
    assert "traefik" in odoo["networks"]


def test_project_runs_the_pr_code_on_the_preview_database_and_mails_the_catcher(project):
    compose = rendered(project)
    odoo = compose["services"]["odoo"]
    assert "--database=odoosh_pr_7" in odoo["command"] and "--db-filter=^odoosh_pr_7$" in odoo["command"]
    assert {"--smtp=mailpit", "--smtp-port=1025"} <= set(odoo["command"])
    assert "--addons-path=/mnt/extra-addons,/mnt/extra-addons/vendor" in odoo["command"]
    # The PR's code meets Mailpit on a network of its own: no other service of the platform
    # (webserver, code server, Dagster's database) is on it.
    platform = compose_raw()
    assert set(odoo["networks"]) == {"previews", "traefik"}
    assert compose["networks"]["previews"] == {"name": platform["networks"]["previews"]["name"], "external": True}
    on_previews = {name for name, service in platform["services"].items() if "previews" in service.get("networks", [])}
    assert on_previews == {"mailpit"}
    assert odoo["environment"] == {
        "HOST": "staging-db.internal",
        "PORT": "5432",
        "USER": "odoosh_staging",
        "PASSWORD": "example-password",
    }
    (mount,) = odoo["volumes"]
    assert mount["source"] == "odoosh-state" and mount["read_only"] is True
    assert mount["volume"]["subpath"] == f"previews/pr-7/code/{SHA}"
    assert compose["volumes"]["odoosh-state"]["name"] == platform["volumes"]["odoosh-state"]["name"]


def test_traefik_variables_are_documented():
    documented = env_example()
    missing = {name for name, _, _ in references(TRAEFIK.read_text())} - set(documented)
    assert not missing, f"not documented in compose/.env.example: {sorted(missing)}"


def test_the_password_is_required_and_never_written(project):
    assert "example-password" not in project.env_file.read_text() + project.compose_file.read_text()
    with pytest.raises(MissingVariable, match=PASSWORD_VARIABLE):
        interpolate(load_yaml(project.compose_file), read_env(project.env_file))
    for name, op, _ in references(TEMPLATE.read_text()) + references(TRAEFIK.read_text()):
        if SECRET_NAME.search(name):
            assert op == ":?", f"secret {name} must be required, without a default"
    assert command_env("s3cret", {"PATH": "/usr/bin"}) == {"PATH": "/usr/bin", PASSWORD_VARIABLE: "s3cret"}
    assert project.up_command() == [
        "docker",
        "compose",
        "--project-name",
        "odoo-pr-7",
        "--project-directory",
        str(project.directory),
        "--file",
        str(project.compose_file),
        "--env-file",
        str(project.env_file),
        "up",
        "--detach",
        "--wait",
        "--remove-orphans",
    ]
    assert project.down_command()[-3:] == ["down", "--volumes", "--remove-orphans"]


@pytest.mark.parametrize(
    "change",
    [
        {"domain": "previews.example.com`) || Host(`evil.example"},
        {"domain": "x.example.com\nPREVIEW_DB_HOST=evil"},
        {"db_host": "db.internal $(touch /tmp/pwned)"},
        {"image": "odoo:17.0 #"},
    ],
)
def test_hostile_settings_are_refused(tmp_path, change):
    import dataclasses

    with pytest.raises(ComposeError):
        render_preview_project(7, SHA, "odoosh_pr_7", dataclasses.replace(SETTINGS, **change), tmp_path / "p")
    assert not (tmp_path / "p" / ".env").exists()


def test_names_come_from_the_pr_number(tmp_path):
    with pytest.raises(PreviewNameError):
        render_preview_project("7; rm -rf /", SHA, "odoosh_pr_7", SETTINGS, tmp_path / "p")
    with pytest.raises(ComposeError, match="not a full commit id"):
        render_preview_project(7, "main; rm -rf /", "odoosh_pr_7", SETTINGS, tmp_path / "p")
    with pytest.raises(ComposeError, match="not a directory inside the checkout"):
        render_preview_project(7, SHA, "odoosh_pr_7", SETTINGS, tmp_path / "p", addons=("../../secrets",))

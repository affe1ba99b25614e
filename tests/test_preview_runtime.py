"""The compose runtime of previews (ODOOSH_PREVIEW_RUNTIME=compose) without a Docker engine: the
docker command lines it issues, checked by a `docker` double that accepts only what docker
compose v2 accepts and loads the rendered project as compose does (tests/docker_double.py), its
error messages, and a build on it that fails before any URL is posted. Nothing here runs a
container: that the project starts on a real engine is not proven by these tests.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from odoosh import settings
from odoosh.postgres.admin import DatabaseServer
from odoosh.previews.build import BuildFailed, BuildRequest, PreviewBuild
from odoosh.previews.code import PreviewCode, fetch_code
from odoosh.previews.comment import MARKER, escape
from odoosh.previews.compose_runtime import ComposeRuntime
from odoosh.previews.environment import Previews
from odoosh.previews.publish import PreviewPublisher
from odoosh.previews.runtime import PreviewRuntimeError, SandboxRuntime
from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from resources.previews import PreviewsResource
from tests import docker_double
from tests.github_helpers import REPOSITORY, TOKEN, client

SHA = "3f786850e387550fdab836ed7e6dc881de23001b"
DOMAIN = "previews.example.com"
DSN = "host=staging-db.internal port=5433 user=odoosh_staging password=s3cret-pw dbname=odoosh_pr_7"


@pytest.fixture
def docker(tmp_path, monkeypatch):
    """The double first on PATH; returns a reader of the calls it recorded."""
    docker_double.install(tmp_path / "bin")
    calls = tmp_path / "docker-calls.jsonl"
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_DOUBLE_CALLS", str(calls))
    monkeypatch.delenv("DOCKER_DOUBLE_FAIL", raising=False)

    def recorded() -> list[dict]:
        return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []

    return recorded


@pytest.fixture
def runtime(tmp_path):
    return ComposeRuntime(tmp_path / "state", DOMAIN, image="odoo:16.0")


@pytest.fixture
def code(runtime):
    """A checkout where odoosh.previews.code puts one (its top level and `vendor` hold modules)."""
    directory = runtime.state_dir / "previews" / "pr-7" / "code" / SHA
    (directory / "vendor").mkdir(parents=True)
    return PreviewCode(directory, SHA, (directory, directory / "vendor"))


def compose_args(project_dir: Path, *args: str) -> list[str]:
    return [
        "compose",
        "--project-name",
        "odoo-pr-7",
        "--project-directory",
        str(project_dir),
        "--file",
        str(project_dir / "compose.yaml"),
        "--env-file",
        str(project_dir / ".env"),
        *args,
    ]


def test_start_renders_the_project_and_runs_up_then_down_removes_it(docker, runtime, code):
    environment = runtime.start(7, DSN, code, log=lambda _: None)
    assert environment.url == runtime.url(7) == "https://pr-7.previews.example.com/"
    assert environment.local_url is None and environment.hosts == ("pr-7.previews.example.com",)
    assert environment.addons_path == "/mnt/extra-addons,/mnt/extra-addons/vendor"
    directory = runtime.state_dir / "previews" / "pr-7" / "compose"
    [up] = docker()
    assert up["argv"] == compose_args(directory, "up", "--detach", "--wait", "--remove-orphans")
    assert up["password"] == "s3cret-pw", "the DSN's password reaches compose in its environment"
    assert "s3cret-pw" not in (directory / ".env").read_text() + (directory / "compose.yaml").read_text()
    odoo = up["project"]["services"]["odoo"]  # as compose loaded it, valid against the compose spec
    assert up["project"]["name"] == "odoo-pr-7" and odoo["image"] == "odoo:16.0"
    assert odoo["environment"] == {
        "HOST": "staging-db.internal",
        "PORT": "5433",
        "USER": "odoosh_staging",
        "PASSWORD": "s3cret-pw",
    }
    assert "--addons-path=/mnt/extra-addons,/mnt/extra-addons/vendor" in odoo["command"]
    assert "traefik.http.routers.odoo-pr-7.rule=Host(`pr-7.previews.example.com`)" in odoo["labels"]
    assert odoo["volumes"][0]["volume"]["subpath"] == f"previews/pr-7/code/{SHA}"
    # `down --volumes` removes the project's own volumes, never the platform's state volume.
    assert up["project"]["volumes"]["odoosh-state"]["external"] is True

    log_file, since = runtime.odoo_log(7)
    assert docker()[-1]["argv"] == compose_args(directory, "logs", "--no-color", "--no-log-prefix", "odoo")
    assert "Odoo version 17.0" in log_file.read_text() and since is not None

    runtime.stop(7, log=lambda _: None)
    assert docker()[-1]["argv"] == compose_args(directory, "down", "--volumes", "--remove-orphans")
    assert docker()[-1]["password"], "down interpolates the file too, so it gets a (placeholder) password"

    # The state directory lost: compose finds the project's containers by its name alone.
    (directory / "compose.yaml").unlink()
    runtime.stop(7, log=lambda _: None)
    assert docker()[-1]["argv"] == ["compose", "--project-name", "odoo-pr-7", "down", "--volumes", "--remove-orphans"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda args: [*args[:-1], "--bogus"], "unknown flag: --bogus"),
        (lambda args: ["compose", "--bogus-global", *args[1:]], "unknown flag: --bogus-global"),
        (lambda args: ["compose", *args[1:-4], "start"], 'unknown docker command: "compose start"'),
        (lambda args: [a.replace("compose.yaml", "missing.yaml") for a in args], "no such file or directory"),
        (
            lambda args: [a.replace("odoo-pr-7", "Odoo PR 7") if a == "odoo-pr-7" else a for a in args],
            "invalid project",
        ),
        (lambda args: [*args[:-1], "--detach", "odoo", "extra"], None),  # services are fine for up
    ],
)
def test_the_double_refuses_what_docker_compose_refuses(docker, runtime, code, change, expected):
    runtime.start(7, DSN, code, log=lambda _: None)
    args = change(docker()[0]["argv"])
    env = {**os.environ, "PREVIEW_DB_PASSWORD": "pw"}
    result = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=60, check=False)
    if expected is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0 and expected in result.stderr


def test_the_double_loads_the_project_as_compose_does(docker, runtime, code):
    """A required variable left unset, or a file the compose spec refuses, fails as in compose."""
    runtime.start(7, DSN, code, log=lambda _: None)
    args = docker()[0]["argv"]
    env = {k: v for k, v in os.environ.items() if k != "PREVIEW_DB_PASSWORD"}
    unset = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert unset.returncode == 1 and "required variable PREVIEW_DB_PASSWORD is missing a value" in unset.stderr
    compose_file = runtime.project(7).compose_file
    compose_file.write_text(compose_file.read_text().replace("healthcheck:", "healthchek:"))
    env["PREVIEW_DB_PASSWORD"] = "pw"
    broken = subprocess.run(["docker", *args], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert broken.returncode == 1 and "healthchek" in broken.stderr


def last_line(message: str) -> str:
    return message.splitlines()[-1]


def test_no_docker_binary_says_what_to_install(tmp_path, runtime, code, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(PreviewRuntimeError) as raised:
        runtime.start(7, DSN, code, log=lambda _: None)
    message = str(raised.value)
    assert "`docker` is not on PATH" in message.splitlines()[0]
    fix = last_line(message)
    assert "docker-ce-cli and docker-compose-plugin" in fix and "ODOOSH_PREVIEW_RUNTIME=sandbox" in fix
    with pytest.raises(PreviewRuntimeError, match="docker-compose-plugin"):
        runtime.stop(7, log=lambda _: None)


@pytest.mark.parametrize(
    ("failure", "said", "fix"),
    [
        ("no-compose", "'compose' is not a docker command", "install docker-compose-plugin"),
        ("daemon", "Cannot connect to the Docker daemon", "mount /var/run/docker.sock into the run containers"),
        ("up", "container odoo-pr-7-odoo-1 is unhealthy", "Odoo's healthcheck), then build again"),
    ],
)
def test_a_failing_docker_compose_names_the_fix_last_and_leaves_nothing_up(
    docker, runtime, code, monkeypatch, failure, said, fix
):
    monkeypatch.setenv("DOCKER_DOUBLE_FAIL", failure)
    with pytest.raises(PreviewRuntimeError) as raised:
        runtime.start(7, DSN, code, log=lambda _: None)
    message = str(raised.value)
    assert said in message and fix in last_line(message) and "s3cret-pw" not in message
    # The double records each command it accepted (a CLI without compose accepts none): a failed
    # up is taken down again, so no unhealthy Odoo is left running.
    assert [c["argv"][9] for c in docker()] == ([] if failure == "no-compose" else ["up", "down"])


def test_a_database_a_container_cannot_reach_is_refused_before_docker_runs(docker, runtime, code):
    for dsn in ("host=/var/run/postgresql user=u password=p dbname=d", "host=localhost user=u password=p dbname=d"):
        with pytest.raises(PreviewRuntimeError, match="ODOOSH_STAGING_DSN to a host name"):
            runtime.start(7, dsn, code, log=lambda _: None)
    with pytest.raises(PreviewRuntimeError, match="has no password"):
        runtime.start(7, "host=db.internal user=u dbname=d", code, log=lambda _: None)
    assert docker() == []


@pytest.mark.parametrize(
    ("binary", "failure", "said", "fix", "calls"),
    [
        ("docker", "up", "container odoo-pr-1-odoo-1 is unhealthy", "then build again", ["up", "down", "down"]),
        ("docker-not-installed", None, "`docker-not-installed` is not on PATH", "docker-compose-plugin", []),
    ],
)
def test_a_build_on_compose_that_cannot_start_posts_no_url(
    docker, tmp_path, monkeypatch, binary, failure, said, fix, calls
):
    """The build's failure path on the compose runtime: the PR hears what failed and how to fix
    it, the deployment is `failure`, and no URL is posted anywhere."""
    origin = AddonsRepository(tmp_path / "origin")
    head = origin.commit({"shop_base": "17.0.1.0.0"})
    runtime = ComposeRuntime(tmp_path / "state", DOMAIN, docker=binary)
    previews = Previews(tmp_path / "state", runtime, DatabaseServer(DSN))
    with GitHubDouble(TOKEN, repository=REPOSITORY, clone_url=origin.clone_url) as github, client(github) as api:
        number = github.open_pull(head)
        build = PreviewBuild(
            previews, PreviewPublisher(api), BuildRequest(number, head, origin.clone_url), log=lambda _: None
        )
        build.publisher.building(number, head)
        if failure:
            monkeypatch.setenv("DOCKER_DOUBLE_FAIL", failure)
        with pytest.raises(BuildFailed, match="start failed: ") as raised:
            build.start(DatabaseServer(DSN).dsn("odoosh_pr_1"), smtp_host="mailpit", smtp_port=1025, token=None)
        assert str(raised.value).endswith(".") and fix in str(raised.value).rsplit(":", 1)[-1]
        body = next(c["body"] for c in github.comments(number) if MARKER in c["body"])
        assert "no preview" in body and "https://" not in body
        assert comment_text(said) in body and comment_text(fix) in body, "what failed and the fix reach the PR"
        [deployment] = github.deployments("pr-1")
        assert deployment["statuses"][-1]["state"] == "failure" and not deployment["statuses"][-1]["environment_url"]
        assert [c["argv"][9] for c in docker()] == calls, "down after a failed up, and again on the stop"
        assert github.spec_failures == []


def comment_text(text: str) -> str:
    """`text` as the PR comment shows it (markdown-escaped)."""
    return escape(text)


def test_the_runtime_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.delenv("ODOOSH_PREVIEW_RUNTIME", raising=False)
    assert settings.preview_runtime() == "sandbox"
    monkeypatch.setenv("ODOOSH_PREVIEW_RUNTIME", "Compose")
    assert settings.preview_runtime() == "compose"
    monkeypatch.setenv("ODOOSH_PREVIEW_RUNTIME", "kubernetes")
    with pytest.raises(settings.SettingsError, match="set it to sandbox or compose"):
        settings.preview_runtime()

    server = DatabaseServer(DSN)
    compose = PreviewsResource(state_dir=str(tmp_path), runtime="compose", domain=DOMAIN, odoo_image="odoo:16.0")
    made = compose.previews(server, None).runtime
    assert isinstance(made, ComposeRuntime) and made.image == "odoo:16.0" and made.url(3) == f"https://pr-3.{DOMAIN}/"
    assert isinstance(PreviewsResource(state_dir=str(tmp_path)).previews(server, None).runtime, SandboxRuntime)
    with pytest.raises(PreviewRuntimeError, match="set ODOOSH_PREVIEW_DOMAIN"):
        PreviewsResource(state_dir=str(tmp_path), runtime="compose").previews(server, None)


def test_a_real_checkout_gives_the_container_its_addons_directories(docker, tmp_path, runtime):
    origin = AddonsRepository(tmp_path / "origin")
    head = origin.commit({"shop_base": "17.0.1.0.0"})
    checkout = fetch_code(runtime.state_dir, 7, origin.clone_url, head, log=lambda _: None)
    environment = runtime.start(7, DSN, checkout, log=lambda _: None)
    [up] = docker()
    assert up["project"]["services"]["odoo"]["volumes"][0]["volume"]["subpath"] == f"previews/pr-7/code/{head}"
    assert environment.sha == head


def test_a_compose_preview_whose_smoke_fails_is_taken_down_and_posts_no_url(docker, tmp_path):
    """The smoke gate probes the published URL; here nothing answers there (no engine, no DNS),
    so the gate fails: the project is taken down, the PR told, the replaced deployment inactive."""
    origin = AddonsRepository(tmp_path / "origin")
    first, second = origin.commit({"shop": "17.0.1.0.0"}), origin.commit({"shop": "17.0.2.0.0"})
    dsn = "host=staging-db.invalid user=odoosh_staging password=pw dbname=odoosh_pr_1"
    runtime = ComposeRuntime(tmp_path / "state", "previews.invalid")
    previews = Previews(tmp_path / "state", runtime, DatabaseServer(dsn))
    with GitHubDouble(TOKEN, repository=REPOSITORY, clone_url=origin.clone_url) as github, client(github) as api:
        number = github.open_pull(first)
        publisher = PreviewPublisher(api)
        publisher.building(number, first)
        publisher.published(number, first, runtime.url(number), [], 1.0)  # the preview of the first push
        github.push(number, second)
        build = PreviewBuild(previews, publisher, BuildRequest(number, second, origin.clone_url), log=lambda _: None)
        publisher.building(number, second)
        assert build.url == "https://pr-1.previews.invalid/"
        environment = build.start(dsn, smtp_host="mailpit", smtp_port=1025, token=None)
        results = build.smoke(environment, dsn, ["base"])
        assert results[0].name == "http_health" and not results[0].passed
        assert "pr-1.previews.invalid" in results[0].summary, "the probe went to the published URL"
        assert build.publish(environment, results, 3.0) is False
        assert [c["argv"][9] for c in docker()] == ["up", "logs", "down"]
        body = next(c["body"] for c in github.comments(number) if MARKER in c["body"])
        assert "no preview" in body and "https://" not in body and "The preview was stopped" in body
        replaced, failed = github.deployments("pr-1")
        assert [s["state"] for s in replaced["statuses"]] == ["in_progress", "success", "inactive"]
        assert failed["statuses"][-1]["state"] == "failure"
        assert github.spec_failures == []

"""The image: the Dockerfile, read with BuildKit's parser (the `dockerfile` package), and
.dockerignore, applied with docker-py's matcher. Nothing is built: there is no Docker engine here."""

from __future__ import annotations

import re
from email.parser import HeaderParser
from string import Template

from docker.utils.build import exclude_paths

from tests.compose_files import (
    DOCKER_APT_REPOSITORY,
    DOCKERIGNORE,
    REPO,
    compose_rendered,
    dockerfile_args,
    dockerfile_commands,
    dockerfile_env,
    shell_commands,
)


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
    # the visual gate's browser and font, which Playwright cannot download in the image either
    for package in ("postgresql-client-15", "pgbackrest", "chromium", "fonts-dejavu-core"):
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


def apt_installs() -> list[tuple[int, list[str], list[list[str]]]]:
    """(index, `apt-get install` argv, the whole RUN's commands) of every apt-get install."""
    found = []
    for i, command in enumerate(dockerfile_commands()):
        if command.cmd == "RUN":
            commands = shell_commands(" ".join(command.value))
            found += [(i, argv, commands) for argv in commands if argv[:2] == ["apt-get", "install"]]
    return found


def test_dockerfile_keeps_apt_layers_small():
    installs = apt_installs()
    assert len(installs) >= 3
    for _, argv, commands in installs:
        assert "--no-install-recommends" in argv, argv
        # the package lists go in the same layer, after the last install
        last_install = max(n for n, c in enumerate(commands) if c[:2] == ["apt-get", "install"])
        assert ["rm", "-rf", "/var/lib/apt/lists/*"] in commands[last_install + 1 :], commands


def test_dockerfile_installs_the_docker_cli_and_compose_plugin_from_dockers_repository():
    """Preview runs drive `docker compose up --wait` (odoosh.previews.compose_runtime): the CLI
    and its Compose v2 plugin from Docker's apt repository, as Docker's install guide for Debian
    sets it up, trusted with its signing key only, pinned; no engine."""
    commands = dockerfile_commands()
    codename = commands[0].value[0].rsplit("-", 1)[1]
    assert codename == "bookworm"

    # The signing key, downloaded only if its checksum matches, readable by apt's _apt user.
    (key_index, key), *others = [(i, c) for i, c in enumerate(commands) if c.cmd == "ADD"]
    assert not others
    assert key.value[0] == f"{DOCKER_APT_REPOSITORY}/gpg"
    flags = dict(flag.split("=", 1) for flag in key.flags)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", flags["--checksum"]), key.flags
    assert int(flags["--chmod"], 8) & 0o444 == 0o444
    keyring = key.value[1]
    assert keyring.startswith("/etc/apt/keyrings/")

    # The source (deb822), which only that key may sign.
    (source_index, source), *others = [
        (i, c) for i, c in enumerate(commands) if c.cmd == "COPY" and c.value[-1].startswith("/etc/apt/sources.list.d/")
    ]
    assert not others and source.value[-1].endswith(".sources")
    (heredoc,) = source.heredocs
    stanza = HeaderParser().parsestr(heredoc.content)
    assert dict(stanza) == {
        "Types": "deb",
        "URIs": DOCKER_APT_REPOSITORY,
        "Suites": codename,
        "Components": "stable",
        "Signed-By": keyring,
    }

    # The packages, after both, pinned to bookworm builds; never the engine, containerd, buildx
    # (previews build no images) or Debian's compose v1.
    args = dockerfile_args()
    ((install_index, argv, commands_of_run),) = [
        found for found in apt_installs() if any("docker" in word for word in found[1])
    ]
    assert key_index < source_index < install_index
    packages = dict(word.partition("=")[::2] for word in argv[2:] if not word.startswith("-"))
    for name in ("docker-ce-cli", "docker-compose-plugin"):
        version = Template(packages[name]).substitute(args)
        assert version.endswith(f"~debian.12~{codename}"), f"{name}={version}: not pinned to a bookworm build"
    assert Template(packages["docker-ce-cli"]).substitute(args).startswith("5:")  # Docker CE's epoch
    for package in ("docker-ce", "docker.io", "containerd.io", "docker-buildx-plugin", "docker-compose"):
        assert package not in packages, package
    # git: the preview build fetches the PR's code with it (odoosh.previews.code).
    assert "git" in packages
    # The build fails here, not in a preview run, if the plugin is missing.
    assert ["docker", "compose", "version"] in commands_of_run

    # Installed as root, before the image drops to its unprivileged user.
    user_index = max(i for i, c in enumerate(commands) if c.cmd == "USER")
    assert install_index < user_index


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context(tmp_path):
    """docker-py's implementation of .dockerignore, on a tree shaped like a working copy."""
    files = [
        "Dockerfile",
        "README.md",
        "pyproject.toml",
        "uv.lock",
        "dev",
        "compose/dagster.yaml",
        "compose/workspace.yaml",
        "compose/.env.example",
        "odoosh_assets/definitions.py",
        "odoosh/postgres/cluster.py",
        "tests/test_compose.py",
        # must stay out
        ".git/config",
        ".venv/bin/python",
        ".tools/bin/uv",
        ".state/clusters/x/PG_VERSION",
        "tmp/scratch.sql",
        ".pytest_cache/v/cache",
        "odoosh/__pycache__/cli.cpython-311.pyc",
        "odoosh.egg-info/PKG-INFO",
        "compose/.env",
        ".env",
        "compose/.env.local",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    context = {path for path in exclude_paths(str(tmp_path), patterns) if (tmp_path / path).is_file()}
    assert context == set(files[: files.index(".git/config")])

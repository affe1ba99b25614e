"""The image: the Dockerfile, read with BuildKit's parser (the `dockerfile` package), and
.dockerignore, applied with docker-py's matcher. Nothing is built: there is no Docker engine here."""

from __future__ import annotations

import re

from docker.utils.build import exclude_paths

from tests.compose_files import DOCKERIGNORE, REPO, compose_rendered, dockerfile_commands, dockerfile_env


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

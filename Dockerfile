# syntax=docker/dockerfile:1
# The odoosh image. The gRPC code server, the Dagster webserver and daemon, and every run
# container run from it (compose/docker-compose.yml), so Dagster and its libraries always come
# from the same uv.lock.

# bookworm explicitly: python:3.11-slim follows Debian's newest release, and PostgreSQL 15 and
# pgBackRest 2.45 are bookworm's versions.
FROM python:3.11-slim-bookworm

# Same uv as ./dev uses to sync the lock.
ARG UV_VERSION=0.13.8

# PostgreSQL 15: client tools (pg_dump, pg_restore, psql) and the server binaries, which the
# platform uses for its own throwaway clusters (quarantine, restore tests) and which
# odoosh.postgres.pg_bindir() looks for. pgBackRest for backups. Debian's packaging would
# create a "main" cluster on install; the platform creates its own clusters, so that is off.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends postgresql-common; \
    sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
        /etc/postgresql-common/createcluster.conf; \
    apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 pgbackrest; \
    rm -rf /var/lib/apt/lists/*

# Previews in production (ODOOSH_PREVIEW_RUNTIME=compose, compose/README.md "Previews"): run
# containers fetch the PR's code with git and drive its compose project `odoo-pr-<n>` with
# `docker compose up --wait` / `down` through the host's Docker socket. Debian has only compose v1
# (no --wait) and docker.io (which brings the engine), so the CLI and its Compose plugin come from
# Docker's apt repository, set up as Docker's install guide for Debian does: its signing key in
# /etc/apt/keyrings (pinned by checksum; readable by apt's unprivileged _apt user), the only key
# that repository is trusted with (Signed-By). No engine, containerd or buildx: the host's engine
# does the work, and previews build no images. Pinned versions; to move them, list the candidates
# on bookworm (`apt-cache madison docker-ce-cli docker-compose-plugin`) and pass --build-arg.
# The host's engine must be 26 or newer (API 1.45: the previews mount a volume subpath).
ARG DOCKER_CLI_VERSION=5:29.4.1-1~debian.12~bookworm
ARG DOCKER_COMPOSE_VERSION=5.1.3-1~debian.12~bookworm
ADD --checksum=sha256:1500c1f56fa9e26b9b8f42452a553675796ade0807cdce11975eb98170b3a570 --chmod=644 \
    https://download.docker.com/linux/debian/gpg /etc/apt/keyrings/docker.asc
COPY <<EOF /etc/apt/sources.list.d/docker.sources
Types: deb
URIs: https://download.docker.com/linux/debian
Suites: bookworm
Components: stable
Signed-By: /etc/apt/keyrings/docker.asc
EOF
# Chromium and a fixed font: the visual gate photographs previews with Playwright, which
# cannot download its own browser here.
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends git chromium fonts-dejavu-core \
        "docker-ce-cli=${DOCKER_CLI_VERSION}" "docker-compose-plugin=${DOCKER_COMPOSE_VERSION}"; \
    rm -rf /var/lib/apt/lists/*; \
    docker --version; \
    docker compose version

RUN pip install --no-cache-dir "uv==${UV_VERSION}"

ENV UV_PROJECT_ENVIRONMENT=/opt/odoosh/.venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH=/opt/odoosh/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    ODOOSH_STATE_DIR=/var/lib/odoosh

WORKDIR /opt/odoosh

# Dependencies from the lock alone first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself (installed editable, as in development, so files it finds relative
# to the repository are there too).
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# Unprivileged user. The instance config is baked in; the storage and state directories exist
# (owned by that user) so that fresh named volumes mounted over them inherit the ownership.
RUN set -eux; \
    useradd --system --uid 10001 --user-group --home-dir /var/lib/odoosh --no-create-home \
        --shell /usr/sbin/nologin odoosh; \
    mkdir -p "$DAGSTER_HOME/storage" "$ODOOSH_STATE_DIR"; \
    cp compose/dagster.yaml compose/workspace.yaml "$DAGSTER_HOME/"; \
    chown -R odoosh:odoosh "$DAGSTER_HOME" "$ODOOSH_STATE_DIR"
USER odoosh

EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "odoosh_assets.definitions"]

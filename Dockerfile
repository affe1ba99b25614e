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

"""Shared fixtures: real PostgreSQL clusters started by the platform's own cluster code."""

import pytest

from resources.postgres import throwaway_cluster


@pytest.fixture(scope="session")
def pg():
    """One non-durable scratch cluster for the whole test session; each test makes its own databases."""
    with throwaway_cluster() as cluster:
        yield cluster


@pytest.fixture
def fresh_db(pg, request):
    """An empty database on the session cluster, dropped after the test."""
    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "").replace("-", "_")[:50]
    pg.drop_database(name)
    pg.create_database(name)
    yield name
    pg.drop_database(name)

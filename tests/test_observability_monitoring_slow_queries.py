"""Slow queries from a real PostgreSQL's pg_stat_statements, and the thresholds on fake rows."""

import dagster as dg
import pytest

from odoosh.observability.slow_queries import SlowQueriesError, Statement, Thresholds, read, read_database, summarise
from odoosh_assets.observability_monitoring import CHECK, slow_queries_asset
from resources.observability_monitoring import SlowQueriesResource
from resources.production import ConfiguredProductionResource
from resources.staging import ConfiguredStagingResource


def statement(query: str, max_seconds: float, calls: int = 1, mean_seconds: float | None = None) -> Statement:
    mean = max_seconds if mean_seconds is None else mean_seconds
    return Statement(query, calls, mean * calls, mean, max_seconds, calls)


def test_over_1_s_is_listed_and_over_5_s_flagged():
    rows = [
        statement("SELECT a", 0.2, calls=1000, mean_seconds=0.1),  # the most total time, never slow
        statement("SELECT b", 1.0),  # not over 1 s
        statement("SELECT c", 1.01),
        statement("SELECT d", 5.0),  # not over 5 s
        statement("SELECT e", 5.2),
    ]
    report = summarise("db", rows, Thresholds(top=2))
    assert [s.query for s in report.slow] == ["SELECT e", "SELECT d", "SELECT c"]
    assert [s.query for s in report.flagged] == ["SELECT e"]
    assert [s.query for s in report.by_total] == ["SELECT a", "SELECT e"]
    assert [s.query for s in report.by_mean] == ["SELECT e", "SELECT d"]
    assert report.statements == 5


def test_a_query_over_1_s_is_listed_from_pg_stat_statements(pg, fresh_db):
    with pg.connect(fresh_db) as conn:
        conn.execute("SELECT pg_sleep(1.2)")
        for _ in range(3):
            conn.execute("SELECT count(*) FROM generate_series(1, 1000)")
    with pg.connect("postgres") as conn:
        conn.execute("SELECT 1 AS in_another_database")
    report = read(pg.dsn("postgres"), fresh_db)
    (slow,) = report.slow
    assert "pg_sleep" in slow.query and slow.calls == 1 and 1.2 <= slow.max_seconds < 2
    assert report.flagged == []  # nothing over 5 s
    assert report.by_total[0] == slow
    series = next(s for s in report.by_total if "generate_series" in s.query)
    assert series.calls == 3 and "$1" in series.query  # normalised: no constants
    assert not any("in_another_database" in s.query for s in report.by_total)  # only this database's
    assert read_database(pg.dsn(fresh_db)).slow == [slow]  # an environment's DSN, read from "postgres"


def test_an_unknown_database_is_named(pg):
    with pytest.raises(SlowQueriesError, match="no database 'nope'"):
        read(pg.dsn("postgres"), "nope")


# --------------------------------------------------------------------------- the Dagster asset


@pytest.mark.parametrize("flag_seconds, passed", [(5.0, True), (1.0, False)])
def test_the_asset_fails_its_check_on_a_statement_over_the_limit(pg, fresh_db, flag_seconds, passed):
    with pg.connect(fresh_db) as conn:
        conn.execute("SELECT pg_sleep(1.2)")
    # Staging: a database of its own, where nothing ran (the shared cluster's `postgres` database
    # sees every test's slow administration statements, CREATE DATABASE on a loaded machine).
    staging = f"{fresh_db}_staging"
    pg.databases.drop(staging)
    pg.databases.create(staging)
    try:
        result = dg.materialize(
            [slow_queries_asset],
            resources={
                "production": ConfiguredProductionResource(dsn=pg.dsn(fresh_db)),
                "staging": ConfiguredStagingResource(dsn=pg.dsn(staging)),
                "slow_query_limits": SlowQueriesResource(flag_seconds=flag_seconds),
            },
            raise_on_error=True,
        )
    finally:
        pg.databases.drop(staging)
    (materialization,) = result.asset_materializations_for_node("slow_queries")
    metadata = materialization.metadata
    assert metadata["production_over_1s"].value == 1 and metadata["staging_over_1s"].value == 0
    assert metadata["production_max_seconds"].value >= 1.2
    (check,) = result.get_asset_check_evaluations()
    assert check.check_name == CHECK and check.passed is passed
    if not passed:
        assert "production: 1.2 s `SELECT pg_sleep($1)`" in check.description and "staging" not in check.description

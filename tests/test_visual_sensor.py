"""The main branch's sensor against the GitHub double: one baselines run per new head commit."""

from __future__ import annotations

import dagster as dg
import pytest

from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from odoosh_assets.visual import visual_baselines
from sensors.visual import main_branch_sensor
from tests.github_helpers import REPOSITORY, TOKEN


@pytest.fixture
def origin(tmp_path):
    return AddonsRepository(tmp_path / "origin")


@pytest.fixture
def double(origin, monkeypatch):
    origin.commit({"shop_base": "16.0.1.0.0"})
    with GitHubDouble(TOKEN, repository=REPOSITORY, clone_url=origin.clone_url) as github:
        monkeypatch.setenv("ODOOSH_GITHUB_REPOSITORY", REPOSITORY)
        monkeypatch.setenv("ODOOSH_GITHUB_API_URL", github.url)
        monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", TOKEN)
        monkeypatch.delenv("ODOOSH_VISUAL_BRANCH", raising=False)
        yield github
    assert github.spec_failures == []


def tick(sensor, cursor):
    context = dg.build_sensor_context(cursor=cursor)  # the sensor reads nothing of the instance
    return sensor(context), context.cursor


def test_a_new_head_of_main_asks_for_baselines_once(double, origin):
    sensor = main_branch_sensor(visual_baselines)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    first, cursor = tick(sensor, None)
    assert isinstance(first, dg.RunRequest) and first.run_key.startswith("baselines-")
    assert first.tags["odoosh/commit"] == cursor and len(cursor) == 40
    again, same = tick(sensor, cursor)
    assert isinstance(again, dg.SkipReason) and "still at" in again.skip_message and same == cursor
    head = origin.commit({"shop_base": "16.0.2.0.0"}, "a merge")
    moved, cursor = tick(sensor, cursor)
    assert isinstance(moved, dg.RunRequest) and moved.run_key == f"baselines-{head}" and cursor == head


def test_github_refusing_skips_the_tick_and_keeps_the_cursor(double, monkeypatch):
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", "wrong-token")
    result, cursor = tick(main_branch_sensor(visual_baselines), "a" * 40)
    assert isinstance(result, dg.SkipReason) and "next tick" in result.skip_message and cursor == "a" * 40
    monkeypatch.setenv("ODOOSH_VISUAL_BRANCH", "no-such-branch")
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", TOKEN)
    result, _ = tick(main_branch_sensor(visual_baselines), None)
    assert isinstance(result, dg.SkipReason)


def test_without_a_repository_the_sensor_is_stopped_and_skips(monkeypatch):
    monkeypatch.delenv("ODOOSH_GITHUB_REPOSITORY", raising=False)
    sensor = main_branch_sensor(visual_baselines)
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    result, _ = tick(sensor, None)
    assert isinstance(result, dg.SkipReason) and "unset" in result.skip_message

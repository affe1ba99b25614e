"""What the preview sensor decides from the open pull requests: plain logic, no GitHub."""

import json

import pytest

from odoosh.previews.names import PreviewNameError
from odoosh.previews.pulls import (
    MAX_TEARDOWN_ATTEMPTS,
    Closed,
    PolicyError,
    PreviewPolicy,
    Pull,
    decide,
    empty_state,
    load_state,
    number_of,
    partition_key,
    vanished,
)
from tests.github_helpers import REPOSITORY, sha

HOUR = 3600.0
T0 = 1_800_000_000.0
POLICY = PreviewPolicy(ttl_hours=2, max_previews=2, fork_label="safe to preview")


def pull(number, head=1, *, fork=False, labels=(), created=None):
    return Pull(
        number=number,
        sha=sha(head),
        head_repo="mallory/addons" if fork else REPOSITORY,
        clone_url="file:///fork" if fork else "file:///origin",
        fork=fork,
        labels=tuple(labels),
        created_at=created or f"2026-01-01T00:00:{number:02d}Z",
    )


class Sensor:
    """Ticks `decide` the way the sensor does, keeping the state as JSON text between ticks."""

    def __init__(self, policy=POLICY):
        self.cursor = json.dumps(empty_state())
        self.policy = policy
        self.open: list[Pull] = []
        self.partitions: set[str] = set()

    def tick(self, now=T0, *, changed=True, closed=None, finished=None, busy=()):
        state = load_state(self.cursor)
        listing = list(self.open) if changed else None
        if changed and closed is None:
            assert vanished(state, listing) == []
        decision = decide(
            state,
            listing,
            closed=closed or {},
            finished_teardowns=finished or {},
            busy=set(busy),
            now=now,
            policy=self.policy,
        )
        self.cursor = json.dumps(decision.state)  # what the cursor keeps: JSON, nothing else
        assert not set(decision.add_partitions) & self.partitions
        assert set(decision.delete_partitions) <= self.partitions
        self.partitions |= set(decision.add_partitions)
        self.partitions -= set(decision.delete_partitions)
        return decision

    def state(self):
        return load_state(self.cursor)


def test_a_new_pr_is_built_and_an_unchanged_list_does_nothing():
    sensor = Sensor()
    sensor.open = [pull(7)]
    first = sensor.tick()
    assert first.add_partitions == ["pr-7"]
    assert [(b.number, b.sha, b.partition_key) for b in first.builds] == [(7, sha(1), "pr-7")]
    assert first.builds[0].run_key.startswith(f"pr-7:{sha(1)}:")
    for changed in (False, True):
        again = sensor.tick(changed=changed)
        assert (again.builds, again.teardowns, again.add_partitions) == ([], [], [])


def test_a_push_rebuilds_under_a_new_run_key_in_the_same_partition():
    sensor = Sensor()
    sensor.open = [pull(7, head=1)]
    first = sensor.tick().builds[0]
    sensor.open = [pull(7, head=2)]
    second = sensor.tick()
    assert second.add_partitions == [] and [b.sha for b in second.builds] == [sha(2)]
    assert second.builds[0].run_key != first.run_key and sha(2) in second.builds[0].run_key


def test_a_closed_pr_is_torn_down_at_once_and_its_partition_deleted_after_the_teardown():
    sensor = Sensor()
    sensor.open = [pull(7)]
    sensor.tick()
    sensor.open = []
    assert vanished(sensor.state(), []) == [7]
    closing = sensor.tick(closed={7: Closed(merged_at=None, closed_at=T0)})
    assert [(t.number, t.reason) for t in closing.teardowns] == [(7, "closed")]
    assert closing.delete_partitions == []  # not before the teardown ran
    pending = sensor.tick(changed=False)
    assert (pending.teardowns, pending.delete_partitions) == ([], [])
    done = sensor.tick(changed=False, finished={7: True})
    assert done.delete_partitions == ["pr-7"] and sensor.partitions == set()
    assert sensor.state()["pulls"] == {}  # nothing is kept of it


def test_a_merged_pr_is_torn_down_after_the_ttl():
    sensor = Sensor()
    sensor.open = [pull(7)]
    sensor.tick()
    sensor.open = []
    merged = sensor.tick(T0 + 10, closed={7: Closed(merged_at=T0 + 10, closed_at=T0 + 10)})
    assert merged.teardowns == []
    assert sensor.tick(T0 + 10 + 2 * HOUR - 1, changed=False).teardowns == []
    due = sensor.tick(T0 + 10 + 2 * HOUR, changed=False)
    assert [(t.number, t.reason) for t in due.teardowns] == [(7, "merged")]


def test_a_reopened_pr_builds_again_even_at_the_same_commit():
    sensor = Sensor()
    sensor.open = [pull(7)]
    first = sensor.tick().builds[0]
    sensor.open = []
    sensor.tick(closed={7: Closed(None, T0)})
    sensor.tick(changed=False, finished={7: True})
    sensor.open = [pull(7)]
    reopened = sensor.tick()
    assert reopened.add_partitions == ["pr-7"] and len(reopened.builds) == 1
    assert reopened.builds[0].sha == first.sha and reopened.builds[0].run_key != first.run_key


def test_a_pr_reopened_before_its_teardown_ended_is_built_after_it():
    sensor = Sensor()
    sensor.open = [pull(7)]
    sensor.tick()
    sensor.open = []
    sensor.tick(closed={7: Closed(None, T0)})
    sensor.open = [pull(7)]
    waiting = sensor.tick()
    assert (waiting.builds, waiting.add_partitions) == ([], [])
    done = sensor.tick(changed=False, finished={7: True})
    assert done.delete_partitions == ["pr-7"] and done.add_partitions == []
    rebuilt = sensor.tick(changed=False)
    assert rebuilt.add_partitions == ["pr-7"] and len(rebuilt.builds) == 1


def test_a_failed_teardown_is_requested_again_then_left_for_a_person():
    sensor = Sensor()
    sensor.open = [pull(7)]
    sensor.tick()
    sensor.open = []
    keys = [sensor.tick(closed={7: Closed(None, T0)}).teardowns[0].run_key]
    for _ in range(MAX_TEARDOWN_ATTEMPTS - 1):
        keys.append(sensor.tick(changed=False, finished={7: False}).teardowns[0].run_key)
    assert len(set(keys)) == MAX_TEARDOWN_ATTEMPTS
    given_up = sensor.tick(changed=False, finished={7: False})
    assert given_up.teardowns == [] and given_up.delete_partitions == [] and "pr-7" in sensor.partitions
    assert any("failed 3 times" in line for line in given_up.log)


def test_nothing_new_is_requested_while_a_run_of_the_pr_is_unfinished():
    sensor = Sensor()
    sensor.open = [pull(7, head=1)]
    sensor.tick()
    sensor.open = [pull(7, head=2)]
    assert sensor.tick(busy={7}).builds == []
    assert [b.sha for b in sensor.tick(changed=False).builds] == [sha(2)]
    sensor.open = []
    assert sensor.tick(closed={7: Closed(None, T0)}, busy={7}).teardowns == []
    assert len(sensor.tick(changed=False).teardowns) == 1


def test_a_fork_is_built_only_with_the_maintainers_label_and_without_secrets():
    sensor = Sensor()
    sensor.open = [pull(7, fork=True)]
    waiting = sensor.tick()
    assert waiting.builds == [] and waiting.add_partitions == []
    assert [(n.number, n.kind, n.detail) for n in waiting.notices] == [(7, "needs_label", {"label": "safe to preview"})]
    assert sensor.tick().notices == []  # said once
    sensor.open = [pull(7, fork=True, labels=["safe to preview"])]
    built = sensor.tick()
    assert [(b.number, b.fork, b.clone_url) for b in built.builds] == [(7, True, "file:///fork")]


def test_at_most_n_previews_and_the_next_ones_wait_oldest_first():
    sensor = Sensor()  # at most 2
    sensor.open = [pull(9, created="2026-01-03T00:00:00Z"), pull(8, created="2026-01-02T00:00:00Z")]
    sensor.open += [pull(10, created="2026-01-04T00:00:00Z"), pull(7, created="2026-01-01T00:00:00Z")]
    first = sensor.tick()
    assert sorted(b.number for b in first.builds) == [7, 8]
    assert [(n.number, n.kind, n.detail["position"]) for n in first.notices] == [(9, "queued", 1), (10, "queued", 2)]
    sensor.open = [p for p in sensor.open if p.number != 7]
    sensor.tick(closed={7: Closed(None, T0)})
    assert sensor.tick(changed=False).builds == []  # the slot is free only once the teardown ran
    freed = sensor.tick(changed=False, finished={7: True})
    assert [b.number for b in freed.builds] == [9] and freed.add_partitions == ["pr-9"]
    assert freed.delete_partitions == ["pr-7"]
    assert len(sensor.partitions) == 2


def test_a_malicious_pr_changes_nothing_the_platform_names():
    evil = "$(rm -rf /); DROP TABLE x;--<script>alert(1)</script>**@admin** [x](javascript:alert(1))"
    item = {
        "number": 12,
        "title": evil,
        "body": evil,
        "created_at": "2026-01-01T00:00:00Z",
        "labels": [{"name": evil}],
        "head": {"ref": evil, "sha": sha(3), "repo": {"full_name": REPOSITORY, "clone_url": "file:///origin"}},
    }
    sensor = Sensor()
    sensor.open = [Pull.from_github(item, REPOSITORY)]
    decision = sensor.tick()
    build = decision.builds[0]
    assert (build.partition_key, decision.add_partitions) == ("pr-12", ["pr-12"])
    assert build.run_key == f"pr-12:{sha(3)}:{int(T0)}"
    assert "rm -rf" not in sensor.cursor.replace(json.dumps(evil)[1:-1], "")  # only the label, as data
    assert "ref" not in sensor.state()["pulls"]["12"] and "title" not in sensor.state()["pulls"]["12"]


@pytest.mark.parametrize(
    "item",
    [
        {"number": "12", "head": {"sha": sha(1)}},
        {"number": 12, "head": {"sha": "HEAD; rm -rf /"}},
        {"number": 0, "head": {"sha": sha(1)}},
        {"number": 12, "head": None},
    ],
)
def test_an_unusable_pull_request_is_refused(item):
    with pytest.raises(ValueError):
        Pull.from_github(item, REPOSITORY)


def test_a_fork_is_a_pr_from_another_or_a_deleted_repository():
    item = {"number": 3, "head": {"sha": sha(1), "repo": None}, "labels": []}
    assert Pull.from_github(item, REPOSITORY).fork is True
    item["head"]["repo"] = {"full_name": "mallory/addons", "fork": True}
    assert Pull.from_github(item, REPOSITORY).fork is True
    item["head"]["repo"] = {"full_name": REPOSITORY.upper(), "fork": True}  # the repository is a fork itself
    assert Pull.from_github(item, REPOSITORY).fork is False


def test_names_derive_from_the_number_only():
    assert partition_key(12) == "pr-12" and number_of("pr-12") == 12
    for bad in ("12", True, 0, -3):
        with pytest.raises(PreviewNameError):
            partition_key(bad)
    with pytest.raises(ValueError):
        number_of("pr-12; DROP")


def test_closed_is_read_from_githubs_pull():
    merged = Closed.from_github({"state": "closed", "merged_at": "2026-01-01T00:00:00Z", "closed_at": None}, T0)
    assert merged.merged_at == 1767225600.0 and merged.closed_at == T0
    assert Closed.from_github(None, T0) == Closed(None, T0)  # gone: closed, not merged
    assert Closed.from_github({"state": "open"}, T0) is None  # the listing was older


def test_policy_from_the_environment(monkeypatch):
    for name in ("ODOOSH_PREVIEW_TTL_HOURS", "ODOOSH_PREVIEW_MAX", "ODOOSH_PREVIEW_FORK_LABEL"):
        monkeypatch.delenv(name, raising=False)
    assert PreviewPolicy.from_env() == PreviewPolicy(72.0, 5, "preview")
    monkeypatch.setenv("ODOOSH_PREVIEW_TTL_HOURS", "0.5")
    monkeypatch.setenv("ODOOSH_PREVIEW_MAX", "3")
    monkeypatch.setenv("ODOOSH_PREVIEW_FORK_LABEL", "ok to test")
    assert PreviewPolicy.from_env() == PreviewPolicy(0.5, 3, "ok to test")
    monkeypatch.setenv("ODOOSH_PREVIEW_MAX", "three")
    with pytest.raises(PolicyError, match="ODOOSH_PREVIEW_MAX='three'"):
        PreviewPolicy.from_env()
    monkeypatch.setenv("ODOOSH_PREVIEW_MAX", "0")
    with pytest.raises(PolicyError, match="1 or more"):
        PreviewPolicy.from_env()


def test_a_cursor_of_another_version_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="reset the sensor's cursor"):
        load_state(json.dumps({"version": 0}))


def test_partitions_the_state_lost_are_adopted_rebuilt_or_torn_down():
    """After a cursor reset: nothing is left behind, an open PR's preview is rebuilt."""
    decision = decide(
        empty_state(),
        [pull(5, head=2)],
        closed={},
        finished_teardowns={},
        busy=set(),
        now=T0,
        policy=POLICY,
        partitions={"pr-4", "pr-5"},
    )
    assert decision.add_partitions == []  # both exist already
    assert [(b.number, b.sha) for b in decision.builds] == [(5, sha(2))]
    assert [(t.number, t.reason) for t in decision.teardowns] == [(4, "closed")]
    assert decision.teardowns[0].run_key.startswith("pr-4:unknown:")
    unchanged = decide(
        decision.state, None, closed={}, finished_teardowns={}, busy=set(), now=T0, policy=POLICY, partitions={"pr-9"}
    )
    assert unchanged.teardowns == [] and "9" not in unchanged.state["pulls"]  # adopted only from a full listing

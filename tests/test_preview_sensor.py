"""The GitHub sensor against the loopback double, in a test Dagster instance.

A tick does not apply its partition requests and launches no run, so `Harness` applies the
requests to the instance as the daemon would, and runs a requested job (a stand-in job under
the real job's name, see sensors/previews.py) in the instance when a test needs its outcome.
"""

import json
import subprocess

import dagster as dg
import pytest

from odoosh.previews.comment import MARKER
from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from sensors import previews
from sensors.previews import BUILD_JOB, PREVIEWS, TEARDOWN_JOB, github_pull_requests_sensor
from tests.github_helpers import REPOSITORY, TOKEN, sha

pytestmark = pytest.mark.servers  # the loopback GitHub double
T0 = 1_800_000_000.0
HOUR = 3600.0
EVIL = "x$(touch /tmp/pwned)`id`;DROP TABLE res_users;--<script>alert(1)</script>**@admin**[a](javascript:x)"


@dg.op
def stand_in(context: dg.OpExecutionContext) -> None:
    if context.run.tags.get("test/fail"):
        raise RuntimeError("teardown failed (on purpose)")


@dg.job(name=BUILD_JOB, partitions_def=PREVIEWS)
def build_job():
    stand_in()


@dg.job(name=TEARDOWN_JOB, partitions_def=PREVIEWS)
def teardown_job():
    stand_in()


JOBS = {BUILD_JOB: build_job, TEARDOWN_JOB: teardown_job}


class Harness:
    """Ticks the sensor as the daemon does (`evaluate_tick` resolves each run request against
    its job and the partitions that exist after the tick's requests), then applies the
    partition requests to the instance."""

    def __init__(self, double: GitHubDouble, clock: list[float], instance: dg.DagsterInstance):
        self.double, self.clock, self.instance = double, clock, instance
        self.sensor = github_pull_requests_sensor(build_job, teardown_job, clock=lambda: self.clock[0])
        self.definitions = dg.Definitions(jobs=[build_job, teardown_job], sensors=[self.sensor])
        self.cursor: str | None = None
        self.requests = 0

    def tick(self):
        context = dg.build_sensor_context(
            instance_ref=self.instance.get_ref(), cursor=self.cursor, definitions=self.definitions
        )
        before = self.double.request_count()
        result = self.sensor.evaluate_tick(context)
        self.requests = self.double.request_count() - before
        if result.cursor is not None:
            self.cursor = result.cursor
        for request in result.dynamic_partitions_requests or []:
            assert request.partitions_def_name == "previews"
            if isinstance(request, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions("previews", list(request.partition_keys))
            else:
                for key in request.partition_keys:
                    self.instance.delete_dynamic_partition("previews", key)
        return result

    def run(self, request: dg.RunRequest, *, fail: bool = False) -> None:
        tags = {k: v for k, v in request.tags.items() if not k.startswith("dagster/")}
        tags |= {"test/fail": "yes"} if fail else {}
        JOBS[request.job_name].execute_in_process(
            instance=self.instance, partition_key=request.partition_key, tags=tags, raise_on_error=False
        )

    def partitions(self) -> list[str]:
        return self.instance.get_dynamic_partitions("previews")

    def state(self) -> dict:
        return json.loads(self.cursor)


@pytest.fixture
def clock():
    return [T0]


@pytest.fixture
def double(clock):
    with GitHubDouble(TOKEN, repository=REPOSITORY, clone_url="file:///srv/origin", clock=lambda: clock[0]) as d:
        yield d
        assert d.spec_failures == []


@pytest.fixture
def harness(double, clock, monkeypatch):
    monkeypatch.setenv("ODOOSH_GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("ODOOSH_GITHUB_API_URL", double.url)
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("ODOOSH_PREVIEW_TTL_HOURS", "1")
    monkeypatch.setenv("ODOOSH_PREVIEW_MAX", "2")
    monkeypatch.setenv("ODOOSH_PREVIEW_FORK_LABEL", "safe to preview")
    with dg.instance_for_test() as instance:
        yield Harness(double, clock, instance)


def reason(result) -> str:
    return result.skip_message or ""


def builds(result) -> list[dg.RunRequest]:
    return [r for r in result.run_requests if r.job_name == BUILD_JOB]


def teardowns(result) -> list[dg.RunRequest]:
    return [r for r in result.run_requests if r.job_name == TEARDOWN_JOB]


def test_a_new_pr_is_built_and_an_idle_tick_costs_one_304(harness, double):
    double.open_pull(sha(1))
    result = harness.tick()
    [build] = builds(result)
    assert (build.partition_key, build.run_key) == ("pr-1", f"pr-1:{sha(1)}:{int(T0)}")
    assert build.tags[previews.TAG_CLONE_URL] == "file:///srv/origin"
    assert build.tags[previews.TAG_SHA] == sha(1) and build.tags[previews.TAG_SECRETS] == "default"
    assert harness.partitions() == ["pr-1"]
    for _ in range(3):
        idle = harness.tick()
        assert idle.run_requests == [] and "No change" in reason(idle)
        assert harness.requests == 1 and double.requests[-1][2] == 304


def test_a_push_rebuilds_with_a_new_run_key(harness, double):
    double.open_pull(sha(1))
    [first] = builds(harness.tick())
    harness.run(first)
    double.push(1, sha(2))
    [second] = builds(harness.tick())
    assert second.partition_key == "pr-1" and second.run_key == f"pr-1:{sha(2)}:{int(T0)}" != first.run_key


def test_a_push_during_a_build_is_built_when_the_build_ends(harness, double):
    double.open_pull(sha(1))
    [first] = builds(harness.tick())
    unfinished = harness.instance.create_run_for_job(build_job, tags=first.tags)  # queued, not started
    double.push(1, sha(2))
    assert builds(harness.tick()) == []
    harness.instance.report_run_canceled(unfinished)
    assert [b.tags[previews.TAG_SHA] for b in builds(harness.tick())] == [sha(2)]


def test_a_closed_pr_is_torn_down_before_its_partition_is_deleted(harness, double):
    double.open_pull(sha(1))
    harness.run(builds(harness.tick())[0])
    double.close(1)
    closing = harness.tick()
    [teardown] = teardowns(closing)
    assert teardown.partition_key == "pr-1" and teardown.tags[previews.TAG_REASON] == "closed"
    assert sha(1) in teardown.run_key and not closing.dynamic_partitions_requests
    assert harness.partitions() == ["pr-1"]
    harness.run(teardown, fail=True)
    [retry] = teardowns(harness.tick())
    assert retry.run_key != teardown.run_key and harness.partitions() == ["pr-1"]
    harness.run(retry)
    done = harness.tick()
    assert done.run_requests == [] and harness.partitions() == []
    assert harness.state()["pulls"] == {}


def test_a_merged_pr_is_torn_down_after_the_ttl(harness, double, clock):
    double.open_pull(sha(1))
    harness.tick()
    clock[0] += 60
    double.merge(1)
    assert harness.tick().run_requests == []
    clock[0] += HOUR - 1
    assert harness.tick().run_requests == []
    clock[0] += 1
    [teardown] = teardowns(harness.tick())
    assert teardown.tags[previews.TAG_REASON] == "merged" and harness.requests == 1  # the 304


def test_a_reopened_pr_is_built_again(harness, double):
    double.open_pull(sha(1))
    [first] = builds(harness.tick())
    double.close(1)
    harness.run(teardowns(harness.tick())[0])
    harness.tick()
    assert harness.partitions() == []
    double.reopen(1)
    [again] = builds(harness.tick())
    assert again.tags[previews.TAG_SHA] == sha(1) and again.run_key != first.run_key
    assert harness.partitions() == ["pr-1"]


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        ({"status": 403}, "rate limited"),
        ({"status": 502, "rate_limited": False, "retry_after": 30}, "GitHub failed"),
    ],
)
def test_a_github_failure_skips_the_tick_keeps_the_state_and_resumes(harness, double, clock, failure, expected):
    double.open_pull(sha(1))
    harness.tick()
    kept = harness.state()["pulls"]
    double.fail_next(1, **failure)
    double.push(1, sha(2))
    skipped = harness.tick()
    assert (
        skipped.run_requests == []
        and expected in reason(skipped)
        and "state of 1 pull request is kept" in reason(skipped)
    )
    assert harness.state()["pulls"] == kept and harness.state()["retry_at"] > clock[0]
    waiting = harness.tick()  # before the time GitHub gave: not even a request
    assert "Waiting until" in reason(waiting) and harness.requests == 0
    clock[0] = harness.state()["retry_at"]
    [build] = builds(harness.tick())
    assert build.tags[previews.TAG_SHA] == sha(2) and harness.partitions() == ["pr-1"]


def test_a_bad_token_skips_with_the_fix_and_github_is_not_hammered(harness, double, clock, monkeypatch):
    double.open_pull(sha(1))
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", "wrong")
    skipped = harness.tick()
    assert "ODOOSH_GITHUB_TOKEN" in reason(skipped) and "wrong" not in reason(skipped)
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", TOKEN)
    harness.tick()
    assert harness.requests == 0
    clock[0] += previews.REFUSED_RETRY_S
    assert [b.partition_key for b in builds(harness.tick())] == ["pr-1"]


def test_a_fork_is_built_only_after_the_label_and_without_secrets(harness, double):
    double.add_repository("mallory/addons", "file:///srv/fork")
    double.open_pull(sha(1), head_repo="mallory/addons")
    waiting = harness.tick()
    assert waiting.run_requests == [] and harness.partitions() == []
    [note] = double.comments(1)
    assert note["body"].startswith(MARKER) and "safe to preview" in note["body"]
    double.add_label(1, "safe to preview")
    [build] = builds(harness.tick())
    assert build.tags[previews.TAG_FORK] == "true" and build.tags[previews.TAG_SECRETS] == "none"
    assert build.tags[previews.TAG_CLONE_URL] == "file:///srv/fork"


def test_at_most_n_previews_the_next_waits_with_a_note(harness, double):
    for n in range(3):
        double.open_pull(sha(n + 1))
    first = harness.tick()
    assert sorted(b.partition_key for b in builds(first)) == ["pr-1", "pr-2"]
    assert double.comments(1) == [] and "number 1 in the queue" in double.comments(3)[0]["body"]
    double.close(1)
    harness.run(teardowns(harness.tick())[0])
    [freed] = builds(harness.tick())
    assert freed.partition_key == "pr-3" and sorted(harness.partitions()) == ["pr-2", "pr-3"]


def test_a_malicious_branch_and_title_change_nothing(harness, double):
    double.open_pull(sha(1), head_ref=EVIL, title=EVIL, body=EVIL, user="mallory")
    [build] = builds(harness.tick())
    assert (build.partition_key, build.run_key) == ("pr-1", f"pr-1:{sha(1)}:{int(T0)}")
    assert not [value for value in build.tags.values() if "DROP" in value or "script" in value or "$(" in value]
    assert "DROP" not in harness.cursor and harness.partitions() == ["pr-1"]


def test_a_lost_cursor_leaves_nothing_behind_and_rebuilds_what_is_open(harness, double, clock):
    double.open_pull(sha(1))
    double.open_pull(sha(2))
    [first, _] = builds(harness.tick())
    harness.run(first)
    double.close(1)
    harness.cursor = None  # reset in the UI, or lost
    clock[0] += 1
    result = harness.tick()
    assert [t.partition_key for t in teardowns(result)] == ["pr-1"]
    [rebuild] = builds(result)
    assert rebuild.partition_key == "pr-2" and rebuild.run_key == f"pr-2:{sha(2)}:{int(T0) + 2}"


def test_no_repository_no_previews_and_running_by_default_once_configured(harness, monkeypatch):
    assert github_pull_requests_sensor(build_job, teardown_job).default_status == dg.DefaultSensorStatus.RUNNING
    monkeypatch.delenv("ODOOSH_GITHUB_REPOSITORY")
    assert github_pull_requests_sensor(build_job, teardown_job).default_status == dg.DefaultSensorStatus.STOPPED
    skipped = harness.tick()
    assert "ODOOSH_GITHUB_REPOSITORY is unset" in reason(skipped)
    with pytest.raises(ValueError, match="must be named"):
        github_pull_requests_sensor(teardown_job, build_job)


def test_a_build_request_names_a_commit_git_can_fetch(harness, double, tmp_path):
    """The tags are all the build needs to fetch the PR's code from its head repository."""
    origin = AddonsRepository(tmp_path / "origin")
    head = origin.commit({"preview_addon": "16.0.2.0.0"})
    double.add_repository("alice/addons", origin.clone_url)
    double.open_pull(head, head_repo="alice/addons", labels=["safe to preview"])
    [build] = builds(harness.tick())
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "--quiet", str(clone)], check=True)
    fetch = ["git", "-C", str(clone), "fetch", "--quiet", "--", build.tags[previews.TAG_CLONE_URL]]
    subprocess.run([*fetch, build.tags[previews.TAG_SHA]], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", build.tags[previews.TAG_SHA]], check=True)
    assert "16.0.2.0.0" in (clone / "preview_addon" / "__manifest__.py").read_text()


def report_environment(harness, key: str, commit: str, published: bool) -> None:
    """The materialisation a `preview_build` run records (odoosh_assets/previews.py)."""
    harness.instance.report_runless_asset_event(
        dg.AssetMaterialization(
            previews.ENVIRONMENT_ASSET, partition=key, metadata={"commit": commit, "published": published}
        )
    )


def test_a_preview_built_before_the_cursor_was_saved_is_not_rebuilt(harness, double):
    """`./dev build` builds the demo's preview in process and saves no cursor: the daemon's first
    tick finds the partition and its published commit, and builds nothing until a push."""
    double.open_pull(sha(1))
    double.open_pull(sha(2))
    first = harness.tick()
    assert sorted(b.partition_key for b in builds(first)) == ["pr-1", "pr-2"]
    report_environment(harness, "pr-1", sha(1), published=True)
    report_environment(harness, "pr-2", sha(2), published=False)  # its smoke gate failed
    harness.cursor = None  # the cursor of that tick was never saved
    daemon = harness.tick()
    assert [b.partition_key for b in builds(daemon)] == ["pr-2"], "only the one that was not published"
    assert harness.state()["pulls"]["1"]["preview"]["sha"] == sha(1)
    assert sorted(harness.partitions()) == ["pr-1", "pr-2"]
    assert builds(harness.tick()) == []
    double.push(1, sha(3))
    [rebuild] = builds(harness.tick())
    assert (rebuild.partition_key, rebuild.tags[previews.TAG_SHA]) == ("pr-1", sha(3))


def test_an_adopted_preview_at_an_older_commit_is_rebuilt(harness, double):
    double.open_pull(sha(1))
    harness.tick()
    report_environment(harness, "pr-1", sha(1), published=True)
    double.push(1, sha(2))  # pushed while the cursor was lost
    harness.cursor = None
    [build] = builds(harness.tick())
    assert build.tags[previews.TAG_SHA] == sha(2)

"""The GitHub sensor of previews: one preview environment per open pull request.

Each tick asks GitHub for the open pull requests with the last ETag (idle: one 304, free of
rate limit), lets `odoosh.previews.pulls.decide` choose, and returns run requests for the
build and teardown jobs, the `previews` partitions to add and delete, and its state as the
cursor. A partition is deleted only on a tick after its teardown run succeeded. When GitHub
fails or rate-limits, the tick is skipped with the reason, the state is kept, and no request is
made before the time GitHub gave (Retry-After / X-RateLimit-Reset).

A partition missing from the state (a reset cursor, or the first tick of the daemon after
`./dev build` built the demo's preview in process) is adopted; if its newest `preview_environment`
materialisation published the PR's current head commit, it is not built again.

Runs carry what the jobs need as tags (`TAG_*`): the PR number, head SHA and head repository's
clone URL; a fork's runs are tagged `odoosh/secrets=none` and must get no secrets.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable

import dagster as dg

from odoosh.previews.comment import MARKER, notice_body
from odoosh.previews.github import GitHubClient, GitHubError, GitHubSettings
from odoosh.previews.pulls import (
    Build,
    Closed,
    Decision,
    PreviewPolicy,
    Pull,
    Teardown,
    decide,
    is_sha,
    load_state,
    number_of,
    partition_key,
    vanished,
)

SENSOR_NAME = "github_pull_requests"
PREVIEWS = dg.DynamicPartitionsDefinition(name="previews")
# Targets, defined with the per-PR assets in odoosh_assets/previews.py.
BUILD_JOB = "preview_build"  # materialises BUILD_ASSETS for one `pr-<n>` partition
# the preview, then its visual gate (odoosh_assets/visual.py)
BUILD_ASSETS = ("preview_database", "preview_environment", "preview_dns_record", "preview_screenshots", "visual_diff")
ENVIRONMENT_ASSET = "preview_environment"  # its materialisation says which commit a build published
TEARDOWN_JOB = "preview_teardown"  # removes everything of one `pr-<n>`, marks the deployment inactive
MINIMUM_INTERVAL_S = 15  # an idle tick is one free 304, so polling often costs nothing
REFUSED_RETRY_S = 300  # a refused token or repository needs a fix: do not hammer GitHub meanwhile

TAG_PREVIEW = "odoosh/preview"  # pr-<n>
TAG_PR = "odoosh/pr"  # <n>
TAG_SHA = "odoosh/head-sha"
TAG_ACTION = "odoosh/preview-action"  # build | teardown
TAG_RUN = "odoosh/preview-run"  # the run key, to find the run again
TAG_FORK = "odoosh/fork"  # true | false
TAG_SECRETS = "odoosh/secrets"  # none for forks
TAG_HEAD_REPO = "odoosh/head-repo"  # owner/name
TAG_CLONE_URL = "odoosh/clone-url"
TAG_REASON = "odoosh/teardown-reason"  # closed | merged

_FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
_UNFINISHED = [s for s in dg.DagsterRunStatus if s not in _FINISHED]


def github_pull_requests_sensor(
    build_job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition,
    teardown_job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition,
    *,
    clock: Callable[[], float] = time.time,
    minimum_interval_seconds: int = MINIMUM_INTERVAL_S,
) -> dg.SensorDefinition:
    """The sensor, targeting the two jobs (named BUILD_JOB and TEARDOWN_JOB). Running by default
    when ODOOSH_GITHUB_REPOSITORY is set. Settings and the token are read at each tick."""
    if (build_job.name, teardown_job.name) != (BUILD_JOB, TEARDOWN_JOB):
        raise ValueError(f"the preview jobs must be named {BUILD_JOB!r} and {TEARDOWN_JOB!r}")
    configured = bool(os.environ.get("ODOOSH_GITHUB_REPOSITORY"))

    @dg.sensor(
        name=SENSOR_NAME,
        jobs=[build_job, teardown_job],
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING if configured else dg.DefaultSensorStatus.STOPPED,
        description="Polls the repository's open pull requests and builds or tears down one preview per PR.",
    )
    def github_pull_requests(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        return evaluate(context, clock())

    return github_pull_requests


def evaluate(context: dg.SensorEvaluationContext, now: float) -> dg.SensorResult | dg.SkipReason:
    """One tick at `now`: the sensor's body."""
    try:
        state = load_state(context.cursor)
        settings = GitHubSettings.from_env()
        policy = PreviewPolicy.from_env()
    except (ValueError, GitHubError) as exc:
        return dg.SkipReason(str(exc))
    if settings is None:
        return dg.SkipReason("ODOOSH_GITHUB_REPOSITORY is unset: no previews.")
    if state["retry_at"] and now < state["retry_at"]:
        return dg.SkipReason(
            f"Waiting until {_utc(state['retry_at'])}, as GitHub asked, before polling again; {_kept(state)}."
        )
    with GitHubClient(settings, clock=lambda: now) as github:
        try:
            listing = github.open_pulls(state["etags"])
            pulls, closed = None, {}
            if listing.changed:
                pulls = _pulls(context, listing.pulls, settings.repository)
                for number in vanished(state, pulls):
                    if (info := Closed.from_github(github.pull(number), now)) is not None:
                        closed[number] = info
        except GitHubError as exc:
            state["retry_at"] = exc.retry_at or now + REFUSED_RETRY_S
            return dg.SensorResult(
                skip_reason=f"{exc.reason} Skipped this tick, next try after {_utc(state['retry_at'])}; {_kept(state)}.",
                cursor=json.dumps(state),
            )
        state["etags"], state["retry_at"] = listing.etags, None
        finished, busy = _runs(context.instance, state)
        partitions = set(context.instance.get_dynamic_partitions(PREVIEWS.name))
        decision = decide(
            state,
            pulls,
            closed=closed,
            finished_teardowns=finished,
            busy=busy,
            now=now,
            policy=policy,
            partitions=partitions,
            published=_published(context.instance, partitions, state) if listing.changed else {},
        )
        _post_notices(context, github, decision)
        requests_made = github.requests_made
    for line in decision.log:
        context.log.info(line)
    context.log.debug(f"{requests_made} GitHub request(s) this tick")
    run_requests = [_build_request(b) for b in decision.builds] + [_teardown_request(t) for t in decision.teardowns]
    partition_requests = []
    if decision.add_partitions:
        partition_requests.append(PREVIEWS.build_add_request(decision.add_partitions))
    if decision.delete_partitions:
        partition_requests.append(PREVIEWS.build_delete_request(decision.delete_partitions))
    idle = not (run_requests or partition_requests)
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=partition_requests,
        cursor=json.dumps(decision.state),
        skip_reason=f"No change ({requests_made} GitHub request(s))." if idle else None,
    )


def _pulls(context: dg.SensorEvaluationContext, items: list[dict], repository: str) -> list[Pull]:
    pulls = []
    for item in items:
        try:
            pulls.append(Pull.from_github(item, repository))
        except ValueError as exc:
            context.log.warning(f"Ignored: {exc}")
    return pulls


def _runs(instance: dg.DagsterInstance, state: dict) -> tuple[dict[int, bool], set[int]]:
    """The outcome of each requested teardown that finished, and the PRs with an unfinished run."""
    previews = {int(n): pr["preview"] for n, pr in state["pulls"].items() if pr["preview"]}
    if not previews:
        return {}, set()
    keys = {
        p["teardown"]["run_key"]: n for n, p in previews.items() if p.get("teardown") and p["teardown"].get("run_key")
    }
    finished: dict[int, bool] = {}
    if keys:
        for run in instance.get_runs(filters=dg.RunsFilter(tags={TAG_RUN: list(keys)}, statuses=list(_FINISHED))):
            finished[keys[run.tags[TAG_RUN]]] = run.status == dg.DagsterRunStatus.SUCCESS
    unfinished = instance.get_runs(
        filters=dg.RunsFilter(tags={TAG_PREVIEW: [partition_key(n) for n in previews]}, statuses=_UNFINISHED)
    )
    return finished, {int(run.tags[TAG_PR]) for run in unfinished}


def _published(instance: dg.DagsterInstance, partitions: set[str], state: dict) -> dict[int, str]:
    """For each preview partition the state does not know: the commit its newest
    `preview_environment` materialisation published (none if that build failed its gate)."""
    found = {}
    for key in sorted(partitions):
        if str(number_of(key)) in state["pulls"]:
            continue
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(ENVIRONMENT_ASSET), asset_partitions=[key]), limit=1
        ).records
        materialization = records[0].asset_materialization if records else None
        metadata = materialization.metadata if materialization else {}
        published, commit = metadata.get("published"), metadata.get("commit")
        if published is not None and published.value is True and commit is not None and is_sha(commit.value):
            found[number_of(key)] = str(commit.value).lower()
    return found


def _post_notices(context: dg.SensorEvaluationContext, github: GitHubClient, decision: Decision) -> None:
    """The note on a queued or waiting PR; one that cannot be posted is tried again next tick."""
    for notice in decision.notices:
        try:
            github.upsert_comment(notice.number, MARKER, notice_body(notice))
        except GitHubError as exc:
            context.log.warning(f"Could not post the {notice.kind} note on #{notice.number}: {exc.reason}")
            decision.state["pulls"][str(notice.number)]["notice"] = None


def _tags(number: int, sha: str, action: str, run_key: str) -> dict[str, str]:
    return {
        TAG_PREVIEW: partition_key(number),
        TAG_PR: str(number),
        TAG_SHA: sha,
        TAG_ACTION: action,
        TAG_RUN: run_key,
    }


def _build_request(build: Build) -> dg.RunRequest:
    tags = _tags(build.number, build.sha, "build", build.run_key)
    tags[TAG_FORK] = "true" if build.fork else "false"
    tags[TAG_SECRETS] = "none" if build.fork else "default"
    if build.head_repo:
        tags[TAG_HEAD_REPO] = build.head_repo
    if build.clone_url:
        tags[TAG_CLONE_URL] = build.clone_url
    return dg.RunRequest(run_key=build.run_key, job_name=BUILD_JOB, partition_key=build.partition_key, tags=tags)


def _teardown_request(teardown: Teardown) -> dg.RunRequest:
    tags = _tags(teardown.number, teardown.sha, "teardown", teardown.run_key)
    tags[TAG_REASON] = teardown.reason
    return dg.RunRequest(
        run_key=teardown.run_key, job_name=TEARDOWN_JOB, partition_key=teardown.partition_key, tags=tags
    )


def _kept(state: dict) -> str:
    count = len(state["pulls"])
    return f"the state of {count} pull request{'' if count == 1 else 's'} is kept"


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))

"""The main branch's sensor: new visual baselines whenever its head commit moves (a merge).

Each tick asks GitHub for the branch's head (one request) and requests `visual_baselines` with
the commit as run key, so a commit is photographed once however often the sensor ticks; a run
that failed is not retried for the same commit (run it by hand once the cause is fixed).
"""

from __future__ import annotations

import os

import dagster as dg

from odoosh.previews.github import GitHubClient, GitHubError, GitHubSettings

SENSOR_NAME = "main_branch_baselines"
JOB = "visual_baselines"
INTERVAL_S = 300


def main_branch_sensor(job: dg.JobDefinition | dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    """Running by default when ODOOSH_GITHUB_REPOSITORY is set; settings are read at each tick."""
    if job.name != JOB:
        raise ValueError(f"the baselines job must be named {JOB!r}")

    @dg.sensor(
        name=SENSOR_NAME,
        job=job,
        minimum_interval_seconds=INTERVAL_S,
        default_status=dg.DefaultSensorStatus.RUNNING
        if os.environ.get("ODOOSH_GITHUB_REPOSITORY")
        else dg.DefaultSensorStatus.STOPPED,
        description="Takes new screenshot baselines when the main branch's head commit moves.",
    )
    def main_branch_baselines(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        return evaluate(context)

    return main_branch_baselines


def evaluate(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    branch = os.environ.get("ODOOSH_VISUAL_BRANCH") or "main"
    try:
        settings = GitHubSettings.from_env()
        if settings is None:
            return dg.SkipReason("ODOOSH_GITHUB_REPOSITORY is unset: no repository, no baselines.")
        with GitHubClient(settings) as github:
            sha = github.commit_sha(branch)
    except GitHubError as exc:
        return dg.SkipReason(f"{exc.reason} Trying again at the next tick.")
    if sha == context.cursor:
        return dg.SkipReason(f"{branch} is still at {sha[:12]}: its baselines are taken.")
    context.update_cursor(sha)
    return dg.RunRequest(run_key=f"baselines-{sha}", tags={"odoosh/commit": sha})

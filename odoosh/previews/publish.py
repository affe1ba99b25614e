"""What a preview build tells GitHub: the deployment, its status, the commit status, the comment.

The preview assets call these at the start of a build, once the smoke gate passed or failed,
and on teardown; each call finds what the previous one made (the deployment of `pr-<n>` at the
commit, the comment by its marker), so nothing needs to be carried between runs. A result for
a commit that is no longer the PR's head (a newer push is building) only sets that commit's
status: the deployment and the comment belong to the newer build.

GitHub's `auto_inactive` leaves transient environments alone, so once a build of `pr-<n>` is
`success` (or failed after replacing what ran), the platform itself marks the environment's
earlier deployments `inactive`: only the deployment that is served shows as active.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from odoosh.previews.comment import (
    MARKER,
    SmokeLine,
    building_body,
    failure_body,
    success_body,
    torn_down_body,
    with_visual,
)
from odoosh.previews.github import GitHubClient
from odoosh.previews.names import preview_name

STATUS_CONTEXT = "odoosh/preview"
VISUAL_CONTEXT = "odoosh/visual"


@dataclass
class PreviewPublisher:
    github: GitHubClient

    def building(self, number: int, sha: str) -> int:
        """A new deployment of `sha` to `pr-<n>`, in progress; returns its id."""
        deployment_id = self._new_deployment(number, sha)
        self.github.set_commit_status(sha, "pending", context=STATUS_CONTEXT, description="building the preview")
        head, branch = self._head(number)
        if head == sha:
            self.github.upsert_comment(number, MARKER, building_body(number, sha, branch=branch))
        return deployment_id

    def published(self, number: int, sha: str, url: str, smoke: Iterable[SmokeLine], seconds: float) -> None:
        """The smoke gate passed: the URL goes on the deployment, the commit and the comment."""
        smoke = list(smoke)
        self.github.set_commit_status(
            sha, "success", context=STATUS_CONTEXT, description="preview ready", target_url=url
        )
        head, branch = self._head(number)
        if head != sha:
            return  # a newer push is building: its deployment and the comment are its own
        deployment_id = self._deployment(number, sha)
        self.github.set_deployment_status(deployment_id, "success", environment_url=url, description="smoke passed")
        self._supersede(number, sha, deployment_id)
        self.github.upsert_comment(number, MARKER, success_body(number, sha, url, smoke, seconds, branch=branch))

    def failed(
        self,
        number: int,
        sha: str,
        step: str,
        error: str,
        smoke: Iterable[SmokeLine] = (),
        seconds: float | None = None,
        *,
        note: str | None = None,
        superseded: bool = False,
    ) -> None:
        """The build or the smoke gate failed: what failed, and no URL anywhere. `superseded`:
        this build had replaced what ran before, so the earlier deployments are inactive too."""
        smoke = list(smoke)
        self.github.set_commit_status(sha, "failure", context=STATUS_CONTEXT, description=f"preview: {step} failed")
        head, branch = self._head(number)
        if head != sha:
            return
        deployment_id = self._deployment(number, sha)
        self.github.set_deployment_status(deployment_id, "failure", description=f"{step} failed")
        if superseded:
            self._supersede(number, sha, deployment_id)
        self.github.upsert_comment(
            number, MARKER, failure_body(number, sha, step, error, smoke, seconds, branch=branch, note=note)
        )

    def visual(self, number: int, sha: str, section: str, *, passed: bool, summary: str, report_url: str) -> None:
        """The visual gate's verdict: a commit status of its own (a branch rule can require it)
        and its section in the PR's comment, while `sha` is still the PR's head."""
        self.github.set_commit_status(
            sha,
            "success" if passed else "failure",
            context=VISUAL_CONTEXT,
            description=summary[:140],  # GitHub's limit for a status description
            target_url=report_url if report_url.startswith("https://") else None,
        )
        head, _ = self._head(number)
        if head != sha:
            return
        current = next((c["body"] for c in self.github.comments(number) if MARKER in (c.get("body") or "")), MARKER)
        self.github.upsert_comment(number, MARKER, with_visual(current, section))

    def removed(self, number: int, sha: str, reason: str) -> int:
        """Teardown: every deployment of `pr-<n>` inactive, and the comment says so; returns how
        many deployments were marked."""
        marked = self.github.deactivate_environment(preview_name(number))
        self.github.upsert_comment(number, MARKER, torn_down_body(number, sha, reason))
        return marked

    def _supersede(self, number: int, sha: str, current: int) -> int:
        """Every other deployment of `pr-<n>` inactive; how many were marked."""
        return self.github.deactivate_environment(
            preview_name(number), description=f"superseded by {sha[:12]}", keep=current
        )

    def _deployment(self, number: int, sha: str) -> int:
        """The newest deployment of `sha` to `pr-<n>`, made now if `building` was not called."""
        found = [d for d in self.github.deployments(preview_name(number)) if d.get("sha") == sha]
        return found[0]["id"] if found else self._new_deployment(number, sha)

    def _new_deployment(self, number: int, sha: str) -> int:
        deployment = self.github.create_deployment(sha, preview_name(number), f"preview of #{int(number)}")
        self.github.set_deployment_status(deployment["id"], "in_progress", description="building")
        return deployment["id"]

    def _head(self, number: int) -> tuple[str | None, str | None]:
        """The PR's head commit and branch name (None, None if the PR is gone)."""
        head = (self.github.pull(number) or {}).get("head") or {}
        return head.get("sha"), head.get("ref")

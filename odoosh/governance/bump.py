"""The weekly lock bump: one pull request that moves `oca.lock.json` to each branch's newest commit.

`plan_bump` asks each locked repository for its branch's head (`git ls-remote`) and, for those
that moved, fetches the new commits into the checkout (objects only: HEAD and the work tree stay
at the locked commit, so the drift gate is unaffected) to list the commits and the addons they
touch. `publish_bump` puts the new lock on one branch, `odoosh/oca-lock-bump`, and opens its pull
request, or, when that pull request is already open, commits the newer lock to its branch and
updates its one bump comment: never a second pull request.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from odoosh.git import git_env, is_commit_id, last_lines
from odoosh.governance.lock import Lock, LockError, git, read_lock
from odoosh.previews.code import MANIFEST
from odoosh.previews.github import GitHubClient, GitHubError

BUMP_BRANCH = "odoosh/oca-lock-bump"
MARKER = "<!-- odoosh:oca-lock-bump -->"
COMMITS_LISTED = 50  # per repository; the rest is counted


@dataclass(frozen=True)
class RepositoryChange:
    name: str
    old: str
    new: str
    commits: tuple[str, ...]  # "<sha12> <subject>", newest first
    changed_addons: tuple[str, ...]  # addons with a changed, added or removed file


@dataclass(frozen=True)
class Bump:
    lock: Lock  # the bumped lock
    changes: tuple[RepositoryChange, ...]

    def body(self) -> str:
        lines = [MARKER, "Bumps `oca.lock.json` to the newest commit of each locked branch.", ""]
        for change in self.changes:
            lines.append(f"### {change.name}: `{change.old[:12]}` → `{change.new[:12]}`")
            lines.append(f"Changed addons: {', '.join(change.changed_addons) or 'none'}")
            lines.append("")
            lines.extend(f"- {c}" for c in change.commits[:COMMITS_LISTED])
            if len(change.commits) > COMMITS_LISTED:
                lines.append(f"- … and {len(change.commits) - COMMITS_LISTED} more")
            lines.append("")
        return "\n".join(lines)


@dataclass(frozen=True)
class BumpResult:
    number: int
    created: bool  # False: the open bump PR was updated
    repositories: int


def remote_head(url: str, branch: str) -> str:
    """The commit `branch` points at in the repository at `url`."""
    result = subprocess.run(
        ["git", "ls-remote", "--quiet", "--", url, f"refs/heads/{branch}"],
        env=git_env(None),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    sha = result.stdout.split("\t", 1)[0].strip()
    if result.returncode != 0 or not is_commit_id(sha):
        reason = last_lines(result.stderr) or f"it has no branch {branch}"
        raise LockError(f"Cannot read branch {branch} of {url}: {reason}. Fix the url or branch in oca.lock.json.")
    return sha


def plan_bump(lock: Lock, addons_dir: Path) -> Bump:
    """The bumped lock and what changed; no changes when no branch moved."""
    repositories, changes = [], []
    for repo in lock.repositories:
        new = remote_head(repo.url, repo.branch)
        if new == repo.commit:
            repositories.append(repo)
            continue
        checkout = addons_dir / repo.name
        git(checkout, "fetch", "--quiet", "--no-tags", "--", repo.url, f"refs/heads/{repo.branch}")
        new = git(checkout, "rev-parse", "--verify", "FETCH_HEAD^{commit}").strip()  # the branch may have moved on
        commits = git(checkout, "log", "--format=%h %s", "--abbrev=12", f"{repo.commit}..{new}").splitlines()
        changed = {p.split("/", 1)[0] for p in git(checkout, "diff", "--name-only", repo.commit, new).splitlines()}
        addons_now = _addons_at(checkout, new)
        changed_addons = sorted(changed & (set(addons_now) | set(repo.addons)))
        repositories.append(replace(repo, commit=new, addons=tuple(addons_now)))
        changes.append(RepositoryChange(repo.name, repo.commit, new, tuple(commits), tuple(changed_addons)))
    return Bump(Lock(tuple(repositories)), tuple(changes))


def publish_bump(client: GitHubClient, bump: Bump, *, base: str, lock_path: str) -> BumpResult:
    """Open the bump pull request, or update the open one (its branch and its bump comment)."""
    open_pr = next((p for p in client.open_pulls().pulls if p["head"]["ref"] == BUMP_BRANCH), None)
    if open_pr is None:
        base_sha = client.commit_sha(base)
        try:
            client.create_branch(BUMP_BRANCH, base_sha)
        except GitHubError as exc:
            if exc.status != 422:  # 422: the branch exists, left by a closed bump PR: start it again from base
                raise
            client.move_branch(BUMP_BRANCH, base_sha, force=True)
    content = bump.lock.dumps().encode()
    current = client.file(lock_path, BUMP_BRANCH)
    if current is None or current[1] != content:
        names = ", ".join(c.name for c in bump.changes)
        client.put_file(
            lock_path,
            content,
            message=f"Bump oca.lock.json: {names}",
            branch=BUMP_BRANCH,
            sha=current[0] if current else None,
        )
    if open_pr is None:
        pull = client.create_pull(title="Bump the OCA module lock", head=BUMP_BRANCH, base=base, body=bump.body())
        return BumpResult(int(pull["number"]), True, len(bump.changes))
    client.upsert_comment(int(open_pr["number"]), MARKER, bump.body())
    return BumpResult(int(open_pr["number"]), False, len(bump.changes))


def weekly_bump(
    client: GitHubClient, lock_file: Path, addons_dir: Path, *, base: str, lock_path: str
) -> BumpResult | None:
    """Plan from the lock file and publish; None (and no request to GitHub) when nothing moved."""
    bump = plan_bump(read_lock(lock_file), addons_dir)
    if not bump.changes:
        return None
    return publish_bump(client, bump, base=base, lock_path=lock_path)


def _addons_at(checkout: Path, commit: str) -> list[str]:
    """The top-level directories with a manifest in `commit`."""
    paths = git(checkout, "ls-tree", "--name-only", "-r", commit).splitlines()
    return sorted({p.split("/")[0] for p in paths if p.count("/") == 1 and p.endswith("/" + MANIFEST)})

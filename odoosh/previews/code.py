"""The PR's code: its head commit, fetched with git from the PR's head repository.

Each commit is checked out into its own directory, `<state>/previews/pr-<n>/code/<sha>`, so a
push gives Odoo a new addons path (and so a new config, which restarts it) while the previous
commit keeps serving until then; `prune_code` removes the commits no longer used. A checkout is
made in a temporary directory and renamed when complete: a killed fetch never passes for code.

The repository URL and the commit come from the PR, i.e. from its author, so git gets them as
arguments after `--`, only the http(s), ssh, git and file transports are allowed (no `ext::`
commands), no hooks or templates run, no prompt waits for a password, and symbolic links are
checked out as plain files, so a link cannot make Odoo read files outside the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from odoosh.git import git_env, is_commit_id, last_lines, safe_url
from odoosh.previews.names import preview_dir

FETCH_TIMEOUT_S = 300
MANIFEST = "__manifest__.py"
Log = Callable[[str], None]


class CodeFetchError(RuntimeError):
    """The PR's code cannot be fetched; names the repository and the commit."""


@dataclass(frozen=True)
class PreviewCode:
    directory: Path
    sha: str
    addons_paths: tuple[Path, ...]

    @property
    def addons_path(self) -> str:
        """Odoo's `addons_path` option: the directories, comma-separated."""
        return ",".join(str(p) for p in self.addons_paths)


def code_root(state_dir: Path, n: int) -> Path:
    return preview_dir(state_dir, n) / "code"


def fetch_code(
    state_dir: Path, n: int, repo_url: str, sha: str, *, token: str | None = None, log: Log = print
) -> PreviewCode:
    """Check out commit `sha` of `repo_url` for preview `n` (see `checkout`)."""
    return checkout(code_root(state_dir, n), repo_url, sha, token=token, log=log)


def checkout(root: Path, repo_url: str, sha: str, *, token: str | None = None, log: Log = print) -> PreviewCode:
    """Check out commit `sha` of `repo_url` into `root/<sha>` (reused if already checked out).

    `token`: for a private repository on GitHub; handed to git in its environment, never on the
    command line. Raises CodeFetchError if the repository cannot be fetched, the commit is not
    in it, or it holds no Odoo module.
    """
    sha = _checked_sha(sha, repo_url)
    target = root / sha
    if not (target / ".git").is_dir():
        root.mkdir(parents=True, exist_ok=True)
        building = root / f".{sha}.tmp"
        shutil.rmtree(building, ignore_errors=True)  # left by a killed fetch
        log(f"fetching {sha[:12]} from {safe_url(repo_url)}")
        env = git_env(token)
        _git(["init", "--quiet", "--template=", str(building)], env, repo_url, sha)
        try:
            _git(["fetch", "--quiet", "--depth", "1", "--no-tags", "--", repo_url, sha], env, repo_url, sha, building)
        except CodeFetchError:
            shutil.rmtree(building, ignore_errors=True)
            raise _why_not_fetched(repo_url, sha, env) from None
        _git(["checkout", "--quiet", "--detach", sha], env, repo_url, sha, building)
        os.replace(building, target)
    paths = addons_paths(target)
    if not paths:
        raise CodeFetchError(
            f"Commit {sha} of {safe_url(repo_url)} holds no Odoo module (a directory with a "
            f"{MANIFEST}) at its top level or one level down; it needs at least one."
        )
    return PreviewCode(target, sha, tuple(paths))


def addons_paths(checkout: Path) -> list[Path]:
    """The directories of `checkout` (itself, and its subdirectories) that hold modules, as
    Odoo's addons_path wants them. A name with a comma is skipped: the path list is
    comma-separated, so it would name other directories."""
    subdirs = (p for p in checkout.iterdir() if p.is_dir() and not p.name.startswith(".") and "," not in p.name)
    candidates = [checkout, *sorted(subdirs)]
    return [c for c in candidates if any((m / MANIFEST).is_file() for m in c.iterdir() if m.is_dir())]


def prune_code(state_dir: Path, n: int, keep: str | None = None) -> list[str]:
    """Delete preview `n`'s checkouts except commit `keep` (all of them when None); returns the
    commits removed."""
    return prune(code_root(state_dir, n), keep)


def prune(root: Path, keep: str | None = None) -> list[str]:
    """Delete the checkouts in `root` except commit `keep` (and `root` itself when None)."""
    if not root.is_dir():
        return []
    removed = []
    for entry in sorted(root.iterdir()):
        if entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name.strip(".").removesuffix(".tmp"))
    if keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return removed


# ---- internals


def _checked_sha(sha: str, repo_url: str) -> str:
    if not is_commit_id(sha):
        raise CodeFetchError(f"{sha!r} is not a full commit id (40 or 64 hex digits) of {safe_url(repo_url)}.")
    return sha.lower()


def _git(args: list[str], env: dict[str, str], repo_url: str, sha: str, cwd: Path | None = None) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise CodeFetchError(
            f"git {args[0]} of commit {sha} from {safe_url(repo_url)} took over {FETCH_TIMEOUT_S} s."
        ) from None
    if result.returncode != 0:
        raise CodeFetchError(
            f"git {args[0]} of commit {sha} from {safe_url(repo_url)} failed: {last_lines(result.stderr)}"
        )
    return result.stdout


def _why_not_fetched(repo_url: str, sha: str, env: dict[str, str]) -> CodeFetchError:
    """A failed fetch: the repository unreachable, or reachable without the commit?"""
    probe = subprocess.run(
        ["git", "ls-remote", "--quiet", "--", repo_url, "HEAD"],
        env=env,
        capture_output=True,
        text=True,
        timeout=FETCH_TIMEOUT_S,
        check=False,
    )
    if probe.returncode == 0:
        return CodeFetchError(
            f"Commit {sha} is not in the repository {safe_url(repo_url)} (a force-push may have "
            "removed it); push it again or update the pull request."
        )
    return CodeFetchError(
        f"The repository {safe_url(repo_url)} cannot be fetched (commit {sha}): {last_lines(probe.stderr)} "
        "Check that it exists and that the platform may read it."
    )

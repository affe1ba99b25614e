"""`oca.lock.json`: the addons repositories the project runs, each pinned to one commit.

The lock is read from the addons checkouts (a directory of git clones, or the git submodules of
a repository: README, "Module lock") and written as sorted JSON without timestamps, so the same
checkouts always give the same bytes and a diff of the lock is a diff of what changed. `drift`
compares checkouts to a lock: any commit other than the locked one, or any uncommitted change,
is drift, because then what runs is not what was reviewed.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from odoosh.git import git_env, is_commit_id, last_lines, safe_url
from odoosh.previews.code import MANIFEST

LOCK_FORMAT = 1
LOCK_FILE = "oca.lock.json"
GIT_TIMEOUT_S = 120
FIX_HINT = (
    "To fix: update the lock with `python -m odoosh.governance lock` (and commit oca.lock.json), "
    "or check out the locked SHA in each checkout named above."
)


class LockError(RuntimeError):
    """The checkouts or the lock file cannot be read; says which and how to fix it."""


@dataclass(frozen=True)
class LockedRepository:
    name: str  # the checkout's path under the addons directory
    url: str
    branch: str
    commit: str
    addons: tuple[str, ...]

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "url": self.url,
            "branch": self.branch,
            "commit": self.commit,
            "addons": list(self.addons),
        }


@dataclass(frozen=True)
class Lock:
    repositories: tuple[LockedRepository, ...]

    def dumps(self) -> str:
        """The file's bytes: keys and repositories sorted, two-space indent, final newline."""
        body = {"format": LOCK_FORMAT, "repositories": [r.as_json() for r in self.repositories]}
        return json.dumps(body, indent=2, sort_keys=True) + "\n"

    def write(self, path: Path) -> Path:
        """Write atomically: a killed write leaves the previous lock, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_text(self.dumps())
        partial.replace(path)
        return path

    @property
    def addon_count(self) -> int:
        return sum(len(r.addons) for r in self.repositories)


@dataclass(frozen=True)
class Drift:
    """What differs between a lock and the checkouts; empty `problems` means none."""

    problems: tuple[str, ...]
    checked: int

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        if self.ok:
            return f"All {self.checked} addons checkouts are at their locked commit and clean."
        return "\n".join(["Addons checkouts drifted from oca.lock.json:", *(f"- {p}" for p in self.problems), FIX_HINT])


def read_lock(path: Path) -> Lock:
    """The lock in `path`; LockError names the file and what is wrong with it."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise LockError(f"{path} does not exist: create it with `python -m odoosh.governance lock`.") from None
    except ValueError as exc:
        raise LockError(f"{path} is not JSON ({exc}): regenerate it with `python -m odoosh.governance lock`.") from None
    if (
        not isinstance(data, dict)
        or data.get("format") != LOCK_FORMAT
        or not isinstance(data.get("repositories"), list)
    ):
        raise LockError(f"{path} is not an oca.lock.json of format {LOCK_FORMAT}: regenerate it with the lock command.")
    repositories = []
    for i, entry in enumerate(data["repositories"]):
        try:
            repo = LockedRepository(
                str(entry["name"]),
                str(entry["url"]),
                str(entry["branch"]),
                str(entry["commit"]),
                tuple(entry["addons"]),
            )
        except (KeyError, TypeError):
            raise LockError(
                f"{path}: repository #{i + 1} lacks name, url, branch, commit or addons: regenerate the lock."
            ) from None
        if not is_commit_id(repo.commit):
            raise LockError(f"{path}: {repo.name} has commit {repo.commit!r}, not a full SHA: regenerate the lock.")
        repositories.append(repo)
    return Lock(tuple(repositories))


def checkouts(addons_dir: Path) -> list[Path]:
    """The addons checkouts: the submodules listed in `addons_dir/.gitmodules` if it has one,
    else every direct subdirectory that is a git clone. Sorted by path."""
    if not addons_dir.is_dir():
        raise LockError(
            f"The addons directory {addons_dir} does not exist: set ODOOSH_ADDONS_DIR to the directory of "
            "addons clones (or the repository whose submodules they are)."
        )
    if (addons_dir / ".gitmodules").is_file():
        out = git(
            addons_dir, "config", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$", allow_codes=(1,)
        )
        paths = [addons_dir / line.split(" ", 1)[1] for line in out.splitlines() if " " in line]
        missing = [p for p in paths if not (p / ".git").exists()]
        if missing:
            raise LockError(
                f"Submodule(s) {', '.join(str(p) for p in missing)} are not checked out: run "
                f"`git submodule update --init` in {addons_dir}."
            )
    else:
        paths = [p for p in addons_dir.iterdir() if p.is_dir() and (p / ".git").exists()]
    if not paths:
        raise LockError(
            f"{addons_dir} holds no addons checkout (no git clone in it, no submodule): clone the addons "
            "repositories there, or point ODOOSH_ADDONS_DIR at the right directory."
        )
    return sorted(paths)


def make_lock(addons_dir: Path) -> Lock:
    """The lock of the checkouts in `addons_dir` as they are now (commit of HEAD)."""
    addons_dir = addons_dir.absolute()
    submodules = (addons_dir / ".gitmodules").is_file()
    entries = []
    for checkout in checkouts(addons_dir):
        name = checkout.relative_to(addons_dir).as_posix()
        url = git(checkout, "remote", "get-url", "origin", allow_codes=(2,)).strip()
        if not url:
            raise LockError(
                f"{checkout} has no `origin` remote: add it (git remote add origin URL) so the lock can name it."
            )
        entries.append(
            LockedRepository(
                name=name,
                url=safe_url(url),
                branch=_branch(checkout, addons_dir if submodules else None, name),
                commit=head(checkout),
                addons=tuple(addons(checkout)),
            )
        )
    return Lock(tuple(entries))


def drift(lock: Lock, addons_dir: Path) -> Drift:
    """Every locked repository checked out at exactly its commit with no change; checkouts not
    in the lock are drift too (their modules would run unpinned)."""
    addons_dir = addons_dir.absolute()
    problems = []
    locked = {r.name for r in lock.repositories}
    for repo in lock.repositories:
        checkout = addons_dir / repo.name
        if not (checkout / ".git").exists():
            problems.append(f"{repo.name}: not checked out in {addons_dir} (expected {repo.commit} of {repo.url})")
            continue
        actual = head(checkout)
        if actual != repo.commit:
            problems.append(f"{repo.name}: expected {repo.commit}, actual {actual}")
        dirty = git(checkout, "status", "--porcelain", "--untracked-files=all").splitlines()
        if dirty:
            shown = ", ".join(line[3:] for line in dirty[:10]) + (
                f" and {len(dirty) - 10} more" if len(dirty) > 10 else ""
            )
            problems.append(f"{repo.name}: at {actual} but dirty: {shown}")
    if addons_dir.is_dir():
        for checkout in checkouts(addons_dir):
            name = checkout.relative_to(addons_dir).as_posix()
            if name not in locked:
                problems.append(f"{name}: checked out at {head(checkout)} but not in the lock")
    return Drift(tuple(problems), len(lock.repositories))


def addons(checkout: Path) -> list[str]:
    """The modules of a checkout: its top-level directories with a manifest, sorted."""
    return sorted(p.name for p in checkout.iterdir() if p.is_dir() and (p / MANIFEST).is_file())


def head(checkout: Path) -> str:
    return git(checkout, "rev-parse", "--verify", "HEAD^{commit}").strip()


def git(cwd: Path, *args: str, allow_codes: tuple[int, ...] = ()) -> str:
    """Run git in `cwd` (argument list, no shell, no hooks, no prompts); LockError on failure.
    `allow_codes`: exit codes that mean "nothing" (empty output) rather than an error."""
    try:
        result = subprocess.run(
            ["git", "-C", str(cwd), *args],
            env=git_env(None),
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise LockError(f"git {args[0]} in {cwd} took over {GIT_TIMEOUT_S} s.") from None
    if result.returncode in allow_codes:
        return ""
    if result.returncode != 0:
        raise LockError(f"git {args[0]} in {cwd} failed: {last_lines(result.stderr)}")
    return result.stdout


def _branch(checkout: Path, superproject: Path | None, name: str) -> str:
    """The checked-out branch; a submodule (detached by design) uses its `.gitmodules` branch."""
    if branch := git(checkout, "symbolic-ref", "--quiet", "--short", "HEAD", allow_codes=(1,)).strip():
        return branch
    if superproject is not None:
        key = _submodule_key(superproject, name)
        if key and (branch := git(superproject, "config", "--file", ".gitmodules", key, allow_codes=(1,)).strip()):
            return branch
    raise LockError(
        f"{checkout} is on a detached HEAD, so the lock cannot say which branch to follow: check out the "
        "branch (git switch BRANCH), or for a submodule set its branch (git submodule set-branch -b BRANCH PATH)."
    )


def _submodule_key(superproject: Path, path: str) -> str | None:
    out = git(
        superproject, "config", "--file", ".gitmodules", "--get-regexp", r"^submodule\..*\.path$", allow_codes=(1,)
    )
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        if value == path:
            return key.removesuffix(".path") + ".branch"
    return None


@dataclass(frozen=True)
class ModuleLock:
    """The addons checkouts and their lock file, as configured (what Dagster's resource gives)."""

    addons_dir: Path
    lock_file: Path
    base_branch: str = "main"  # of the project's GitHub repository, which bump PRs target
    repo_path: str = LOCK_FILE  # the lock's path in that repository

    def write(self) -> Lock:
        """Lock the checkouts as they are and write the lock file."""
        lock = make_lock(self.addons_dir)
        lock.write(self.lock_file)
        return lock

    def drift(self) -> Drift:
        return drift(read_lock(self.lock_file), self.addons_dir)

"""The module lock: deterministic, and a drifted or dirty checkout fails the gate and the CI command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from odoosh.governance.__main__ import main
from odoosh.governance.lock import LockError, drift, make_lock, read_lock

IDENTITY = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@localhost",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@localhost",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(cwd), *args], env={**os.environ, **IDENTITY}, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def commit(work: Path, addons: dict[str, str], message: str = "change") -> str:
    for name, version in addons.items():
        (work / name).mkdir(exist_ok=True)
        (work / name / "__manifest__.py").write_text(repr({"name": name, "version": version}) + "\n")
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", message)
    git(work, "push", "--quiet", "origin", "HEAD:17.0")
    return git(work, "rev-parse", "HEAD")


@pytest.fixture
def upstreams(tmp_path: Path) -> dict[str, Path]:
    """Two bare "OCA" repositories on branch 17.0, with a working clone each to push from."""
    made = {}
    for name, addons in {"server-tools": ["base_a", "base_b"], "web": ["web_x"]}.items():
        bare = tmp_path / "remotes" / f"{name}.git"
        subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=17.0", str(bare)], check=True)
        work = tmp_path / "upstream-work" / name
        subprocess.run(["git", "clone", "--quiet", str(bare), str(work)], check=True, capture_output=True)
        git(work, "checkout", "--quiet", "-b", "17.0")
        (work / "README.md").write_text(name)  # not an addon: no manifest
        commit(work, {a: "17.0.1.0.0" for a in addons}, "initial")
        made[name] = work
    return made


@pytest.fixture
def addons_dir(tmp_path: Path, upstreams: dict[str, Path]) -> Path:
    """The project's directory of clones of the upstreams."""
    directory = tmp_path / "project" / "addons"
    directory.mkdir(parents=True)
    for name in upstreams:
        subprocess.run(
            [
                "git",
                "clone",
                "--quiet",
                "--branch",
                "17.0",
                str(upstreams[name].parent.parent / "remotes" / f"{name}.git"),
                str(directory / name),
            ],
            check=True,
            capture_output=True,
        )
    return directory


def test_lock_names_each_repository_and_is_deterministic(addons_dir: Path, upstreams: dict[str, Path], tmp_path: Path):
    lock = make_lock(addons_dir)
    data = json.loads(lock.dumps())
    assert data["format"] == 1
    assert [r["name"] for r in data["repositories"]] == ["server-tools", "web"]
    tools = data["repositories"][0]
    assert tools["url"] == str(tmp_path / "remotes" / "server-tools.git")
    assert tools["branch"] == "17.0"
    assert tools["commit"] == git(upstreams["server-tools"], "rev-parse", "HEAD")
    assert tools["addons"] == ["base_a", "base_b"]
    # The same checkouts give the same bytes.
    assert make_lock(addons_dir).dumps() == lock.dumps()
    written = lock.write(tmp_path / "oca.lock.json")
    assert read_lock(written) == lock
    assert written.read_text() == lock.dumps()


def test_clean_checkouts_pass_the_gate_and_the_command(addons_dir: Path, tmp_path: Path, capsys):
    lock_file = tmp_path / "oca.lock.json"
    assert main(["lock", "--addons", str(addons_dir), "--lock", str(lock_file)]) == 0
    assert drift(read_lock(lock_file), addons_dir).ok
    assert main(["drift", "--addons", str(addons_dir), "--lock", str(lock_file)]) == 0
    assert "2 addons checkouts are at their locked commit" in capsys.readouterr().out


def test_a_drifted_checkout_fails_naming_repository_expected_and_actual(
    addons_dir: Path, upstreams: dict[str, Path], tmp_path: Path
):
    lock_file = make_lock(addons_dir).write(tmp_path / "oca.lock.json")
    locked = read_lock(lock_file).repositories[1].commit
    moved = commit(upstreams["web"], {"web_y": "17.0.1.0.0"}, "upstream moved")
    git(addons_dir / "web", "pull", "--quiet", "--ff-only")
    result = drift(read_lock(lock_file), addons_dir)
    assert not result.ok
    assert result.problems == (f"web: expected {locked}, actual {moved}",)
    # The CI command: non-zero, the same message, and how to fix it on its last line.
    command = subprocess.run(
        [sys.executable, "-m", "odoosh.governance", "drift", "--lock", str(lock_file), "--addons", str(addons_dir)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    assert command.returncode == 1
    assert command.stderr.strip() == result.message()
    assert f"web: expected {locked}, actual {moved}" in command.stderr
    assert "python -m odoosh.governance lock" in command.stderr.strip().splitlines()[-1]


def test_a_dirty_checkout_fails_naming_the_files(addons_dir: Path, tmp_path: Path, capsys):
    lock_file = make_lock(addons_dir).write(tmp_path / "oca.lock.json")
    (addons_dir / "server-tools" / "base_a" / "__manifest__.py").write_text("{'name': 'patched'}\n")
    (addons_dir / "server-tools" / "stray.py").write_text("")
    result = drift(read_lock(lock_file), addons_dir)
    assert len(result.problems) == 1
    assert result.problems[0].startswith("server-tools: at ")
    assert "dirty: base_a/__manifest__.py, stray.py" in result.problems[0]
    assert main(["drift", "--addons", str(addons_dir), "--lock", str(lock_file)]) == 1
    assert "dirty: base_a/__manifest__.py" in capsys.readouterr().err


def test_missing_and_unlocked_checkouts_are_drift(addons_dir: Path, tmp_path: Path):
    lock = make_lock(addons_dir)
    (addons_dir / "web").rename(addons_dir / "web-renamed")
    problems = drift(lock, addons_dir).problems
    assert any(p.startswith("web: not checked out") for p in problems)
    assert any(p.startswith("web-renamed: checked out at ") and p.endswith("not in the lock") for p in problems)


def test_submodules_are_read_from_the_superproject(upstreams: dict[str, Path], tmp_path: Path):
    project = tmp_path / "superproject"
    subprocess.run(["git", "init", "--quiet", str(project)], check=True)
    bare = tmp_path / "remotes" / "web.git"
    env_allow = ["-c", "protocol.file.allow=always"]
    git(project, *env_allow, "submodule", "add", "--quiet", "-b", "17.0", str(bare), "web")
    lock = make_lock(project)
    (repo,) = lock.repositories
    assert (repo.name, repo.branch, repo.addons) == ("web", "17.0", ("web_x",))
    git(
        project / "web", "checkout", "--quiet", "--detach"
    )  # submodules are detached: the branch comes from .gitmodules
    assert make_lock(project) == lock


def test_bad_input_is_named(tmp_path: Path, addons_dir: Path, capsys):
    with pytest.raises(LockError, match="does not exist: set ODOOSH_ADDONS_DIR"):
        make_lock(tmp_path / "nowhere")
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["drift", "--addons", str(addons_dir), "--lock", str(tmp_path / "broken.json")]) == 2
    assert "is not JSON" in capsys.readouterr().err
    git(addons_dir / "web", "checkout", "--quiet", "--detach")
    with pytest.raises(LockError, match="detached HEAD"):
        make_lock(addons_dir)


def test_the_asset_writes_the_lock_and_its_blocking_check_fails_on_a_dirty_checkout(addons_dir: Path, tmp_path: Path):
    import dagster as dg

    from odoosh_assets.governance import oca_drift, oca_lock
    from resources.governance import ModuleLockResource

    lock_file = tmp_path / "project" / "oca.lock.json"
    resources = {"module_lock": ModuleLockResource(addons_dir=str(addons_dir), lock_file=str(lock_file))}
    result = dg.materialize([oca_lock, oca_drift], resources=resources)
    assert result.success
    assert lock_file.read_text() == make_lock(addons_dir).dumps()
    (check,) = result.get_asset_check_evaluations()
    assert check.passed
    assert check.metadata["repositories"].value == 2

    (addons_dir / "web" / "web_x" / "hack.py").write_text("")
    result = dg.materialize([oca_lock, oca_drift], resources=resources, raise_on_error=False)
    (check,) = result.get_asset_check_evaluations()
    assert not check.passed
    assert "web: at " in check.description and "dirty: web_x/hack.py" in check.description
    assert check.metadata["problems"].value == 1


@pytest.fixture
def github(tmp_path: Path, addons_dir: Path):
    """The project's repository on the GitHub double, with the lock committed on main."""
    from odoosh.previews.github import GitHubClient, GitHubSettings
    from odoosh.sandbox.github_double import GitHubDouble

    project = tmp_path / "project-repo"
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(project)], check=True)
    make_lock(addons_dir).write(project / "oca.lock.json")
    git(project, "add", "oca.lock.json")
    git(project, "commit", "--quiet", "-m", "lock")
    double = GitHubDouble("t0ken", repository="acme/project", clone_url=str(project))
    with double, GitHubClient(GitHubSettings("acme/project", double.url, "t0ken")) as client:
        yield double, client, project


def test_weekly_bump_opens_one_pr_then_updates_it(addons_dir: Path, upstreams: dict[str, Path], github):
    from odoosh.governance.bump import BUMP_BRANCH, weekly_bump

    double, client, project = github
    lock_file = project / "oca.lock.json"
    locked = read_lock(lock_file)

    # Nothing moved upstream: no request to GitHub at all.
    assert weekly_bump(client, lock_file, addons_dir, base="main", lock_path="oca.lock.json") is None
    assert double.requests == []

    (upstreams["web"] / "web_x" / "models.py").write_text("# fix\n")
    first = commit(upstreams["web"], {"web_y": "17.0.1.0.0"}, "add web_y, fix web_x")
    result = weekly_bump(client, lock_file, addons_dir, base="main", lock_path="oca.lock.json")
    assert result is not None and result.created and result.repositories == 1
    (pull,) = client.open_pulls().pulls
    assert pull["number"] == result.number and pull["head"]["ref"] == BUMP_BRANCH and pull["base"]["ref"] == "main"
    assert f"web: `{locked.repositories[1].commit[:12]}` → `{first[:12]}`" in pull["body"]
    assert "Changed addons: web_x, web_y" in pull["body"] and f"- {first[:12]} add web_y, fix web_x" in pull["body"]
    bumped = json.loads(git(project, "show", f"{BUMP_BRANCH}:oca.lock.json"))
    web = bumped["repositories"][1]
    assert (web["commit"], web["addons"]) == (first, ["web_x", "web_y"])
    assert bumped["repositories"][0] == json.loads(lock_file.read_text())["repositories"][0]  # unmoved: unchanged
    assert git(project, "show", "main:oca.lock.json") == lock_file.read_text().strip()  # main untouched
    # The checkout is still at the locked commit: fetching for the log did not drift it.
    assert drift(locked, addons_dir).ok

    second = commit(upstreams["web"], {"web_x": "17.0.1.0.1"}, "web_x 1.0.1")
    again = weekly_bump(client, lock_file, addons_dir, base="main", lock_path="oca.lock.json")
    assert again is not None and not again.created and again.number == result.number
    (pull,) = client.open_pulls().pulls  # still one PR, now at the newer lock
    assert pull["head"]["sha"] == git(project, "rev-parse", BUMP_BRANCH)
    assert json.loads(git(project, "show", f"{BUMP_BRANCH}:oca.lock.json"))["repositories"][1]["commit"] == second
    (comment,) = double.comments(result.number)
    assert f"- {second[:12]} web_x 1.0.1" in comment["body"] and f"- {first[:12]} add web_y" in comment["body"]
    assert double.spec_failures == []

    # A third run with nothing new changes nothing: same PR, same comment, no new commit.
    head = git(project, "rev-parse", BUMP_BRANCH)
    assert weekly_bump(client, lock_file, addons_dir, base="main", lock_path="oca.lock.json").number == result.number
    assert git(project, "rev-parse", BUMP_BRANCH) == head and len(double.comments(result.number)) == 1


def test_the_double_refuses_what_github_refuses_on_branches_files_and_pulls(github):
    from odoosh.previews.github import GitHubError

    double, client, project = github
    main_sha = client.commit_sha("main")
    assert main_sha == git(project, "rev-parse", "main")
    client.create_branch("topic", main_sha)
    with pytest.raises(GitHubError) as exists:
        client.create_branch("topic", main_sha)
    assert exists.value.status == 422 and "Reference already exists" in str(exists.value)
    blob, content = client.file("oca.lock.json", "topic")
    assert content.decode() == (project / "oca.lock.json").read_text()
    with pytest.raises(GitHubError) as blind:  # replacing a file needs its current blob SHA
        client.put_file("oca.lock.json", b"{}\n", message="x", branch="topic")
    assert blind.value.status == 422 and "sha" in str(blind.value)
    moved = client.put_file("oca.lock.json", b"{}\n", message="x", branch="topic", sha=blob)
    assert git(project, "show", "topic:oca.lock.json") == "{}" and git(project, "rev-parse", "topic") == moved
    with pytest.raises(GitHubError) as backwards:  # not a fast-forward without force
        client.move_branch("topic", main_sha)
    assert backwards.value.status == 422
    client.move_branch("topic", main_sha, force=True)
    assert git(project, "rev-parse", "topic") == main_sha
    client.create_pull(title="t", head="topic", base="main", body="")
    with pytest.raises(GitHubError) as duplicate:
        client.create_pull(title="t", head="topic", base="main", body="")
    assert duplicate.value.status == 422
    assert client.file("missing.json", "main") is None
    client.put_file("deploy/oca.lock.json", b"[]\n", message="nested", branch="topic")  # a new file, in a directory
    assert client.file("deploy/oca.lock.json", "topic")[1] == b"[]\n"
    assert double.spec_failures == []


def test_the_weekly_job_opens_the_pr_and_a_branch_left_by_a_closed_pr_is_reused(
    addons_dir: Path, upstreams: dict[str, Path], github
):
    from odoosh.governance.bump import BUMP_BRANCH
    from odoosh_assets.governance import oca_lock_bump
    from resources.governance import ModuleLockResource
    from resources.previews import GitHubResource
    from schedules.governance import governance_schedules

    double, client, project = github
    resources = {
        "module_lock": ModuleLockResource(addons_dir=str(addons_dir), lock_file=str(project / "oca.lock.json")),
        "github": GitHubResource(repository="acme/project", api_url=double.url, token="t0ken"),
    }
    stale = client.commit_sha("main")
    client.create_branch(BUMP_BRANCH, stale)  # as a closed, unmerged bump PR leaves it
    client.put_file(
        "oca.lock.json", b"{}\n", message="old bump", branch=BUMP_BRANCH, sha=client.file("oca.lock.json", "main")[0]
    )
    moved = commit(upstreams["server-tools"], {"base_c": "17.0.1.0.0"}, "add base_c")
    assert oca_lock_bump.execute_in_process(resources=resources).success
    (pull,) = client.open_pulls().pulls
    assert "Changed addons: base_c" in pull["body"]
    # The branch restarted from main: its one commit on top of main is the new lock.
    assert git(project, "rev-parse", f"{BUMP_BRANCH}~1") == stale
    assert json.loads(git(project, "show", f"{BUMP_BRANCH}:oca.lock.json"))["repositories"][0]["commit"] == moved
    (schedule,) = governance_schedules(running=True)
    assert schedule.cron_schedule == "0 6 * * 1" and schedule.job_name == "oca_lock_bump"


def test_the_lock_file_defaults_to_the_project_repository(tmp_path: Path, monkeypatch):
    from odoosh import settings

    monkeypatch.delenv("ODOOSH_OCA_LOCK", raising=False)
    monkeypatch.setenv("ODOOSH_ADDONS_DIR", str(tmp_path / "repo" / "addons"))
    assert settings.oca_lock_file() == tmp_path / "repo" / "oca.lock.json"  # next to the clones
    (tmp_path / "repo" / "addons").mkdir(parents=True)
    (tmp_path / "repo" / "addons" / ".gitmodules").write_text("")
    assert settings.oca_lock_file() == tmp_path / "repo" / "addons" / "oca.lock.json"  # in the superproject
    monkeypatch.setenv("ODOOSH_OCA_LOCK", str(tmp_path / "elsewhere.json"))
    assert settings.oca_lock_file() == tmp_path / "elsewhere.json"

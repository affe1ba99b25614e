"""The PR's code: fetched with git at its head commit from a real (local) repository, put on the
Odoo command's addons path, and served: a push changes what the preview's login page lists."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from odoosh.odoo.runtime import OdooRuntime
from odoosh.previews.code import CodeFetchError, code_root, fetch_code, prune_code
from odoosh.previews.database import build_preview_database
from odoosh.previews.environment import Previews
from odoosh.previews.proxy import PreviewProxy
from odoosh.previews.runtime import SandboxRuntime
from tests import odoo16_tables

pytestmark = pytest.mark.servers

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "PR author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "PR author",
    "GIT_COMMITTER_EMAIL": "author@example.test",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def quiet(_):
    pass


class Repo:
    """A real git repository standing for the PR's head repository."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.git("init", "--quiet", "--initial-branch=main")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=GIT_ENV, check=True, capture_output=True, text=True
        ).stdout.strip()

    def commit(self, files: dict[str, str], message: str = "change") -> str:
        for name, text in files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_text(text)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path):
    return Repo(tmp_path / "head-repo")


def manifest(version: str) -> str:
    return f"{{'name': 'Preview demo', 'version': '{version}', 'depends': ['base']}}\n"


def test_fetch_a_commit_that_is_not_the_tip(tmp_path, repo):
    first = repo.commit(
        {
            "preview_demo/__manifest__.py": manifest("16.0.1.0.0"),
            "vendor/oca_tool/__manifest__.py": "{}",
            "x,y/oca_tool/__manifest__.py": "{}",  # "x,y" would be two entries of the comma-separated path
        }
    )
    repo.commit({"preview_demo/__manifest__.py": manifest("16.0.2.0.0")})
    code = fetch_code(tmp_path / "state", 7, str(repo.path), first, log=quiet)
    assert code.directory == code_root(tmp_path / "state", 7) / first
    assert code.addons_paths == (code.directory, code.directory / "vendor")
    assert "16.0.1.0.0" in (code.directory / "preview_demo" / "__manifest__.py").read_text()
    assert code.addons_path == f"{code.directory},{code.directory / 'vendor'}"
    # Fetched again: the checkout is reused, not fetched twice.
    marker = code.directory / "marker"
    marker.write_text("kept")
    assert fetch_code(tmp_path / "state", 7, str(repo.path), first, log=quiet) == code and marker.exists()


def test_a_fetch_killed_midway_is_redone(tmp_path, repo):
    sha = repo.commit({"preview_demo/__manifest__.py": manifest("16.0.1.0.0")})
    # What a fetch killed between `git init` and the final rename leaves: a temporary directory.
    half = code_root(tmp_path / "state", 7) / f".{sha}.tmp"
    (half / ".git").mkdir(parents=True)
    (half / "preview_demo").mkdir()
    code = fetch_code(tmp_path / "state", 7, str(repo.path), sha, log=quiet)
    assert not half.exists()
    assert (code.directory / "preview_demo" / "__manifest__.py").is_file()


def test_unreachable_repository_and_missing_commit(tmp_path, repo):
    repo.commit({"preview_demo/__manifest__.py": manifest("1")})
    missing = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(CodeFetchError) as caught:
        fetch_code(tmp_path / "state", 7, str(repo.path), missing, log=quiet)
    assert f"Commit {missing} is not in the repository {repo.path}" in str(caught.value)
    gone = tmp_path / "no-such-repo"
    with pytest.raises(CodeFetchError) as caught:
        fetch_code(tmp_path / "state", 7, str(gone), missing, log=quiet)
    assert f"The repository {gone} cannot be fetched (commit {missing})" in str(caught.value)
    with pytest.raises(CodeFetchError, match="https://github.com/owner/private.git cannot be fetched") as caught:
        fetch_code(tmp_path / "state", 7, "https://user:s3cret@github.com/owner/private.git", missing, log=quiet)
    assert "s3cret" not in str(caught.value)
    # Nothing half-fetched stays behind.
    assert [p.name for p in code_root(tmp_path / "state", 7).iterdir()] == []


def test_a_commit_without_modules_is_refused(tmp_path, repo):
    sha = repo.commit({"README.md": "no addons here\n"})
    with pytest.raises(CodeFetchError, match=f"Commit {sha} of .* holds no Odoo module"):
        fetch_code(tmp_path / "state", 7, str(repo.path), sha, log=quiet)


@pytest.mark.parametrize(
    "url, sha",
    [
        ("--upload-pack=touch {pwned}", "0" * 40),
        ("ext::sh -c touch% {pwned}", "0" * 40),
        ("{repo}", "HEAD; touch {pwned}"),
        ("{repo}", "--output={pwned}"),
    ],
)
def test_hostile_urls_and_commits_run_nothing(tmp_path, repo, url, sha):
    repo.commit({"preview_demo/__manifest__.py": manifest("1")})
    pwned = tmp_path / "pwned"
    with pytest.raises(CodeFetchError):
        fetch_code(tmp_path / "state", 7, url.format(pwned=pwned, repo=repo.path), sha.format(pwned=pwned), log=quiet)
    assert not pwned.exists()


def test_symbolic_links_are_checked_out_as_plain_files(tmp_path, repo):
    repo.commit({"preview_demo/__manifest__.py": manifest("1")})
    os.symlink("/etc/passwd", repo.path / "preview_demo" / "data.xml")
    sha = repo.commit({})
    code = fetch_code(tmp_path / "state", 7, str(repo.path), sha, log=quiet)
    linked = code.directory / "preview_demo" / "data.xml"
    assert not linked.is_symlink() and linked.read_text() == "/etc/passwd"


@pytest.fixture
def staging_db(pg):
    name = "t_preview_code_staging"
    pg.databases.drop(name)
    pg.databases.create(name)
    with pg.connect(name) as conn:
        conn.execute(odoo16_tables.RES_COMPANY)
        conn.execute(
            "INSERT INTO res_company (id, name, partner_id, currency_id, layout_background) "
            "VALUES (1, 'Preview Co', 1, 1, 'Blank')"
        )
    yield name
    pg.databases.drop(name)


def listed_modules(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="o_module_name">(.*?)</span> <span class="o_module_version">(.*?)</span>', page)


def test_a_push_changes_what_the_preview_serves(tmp_path, repo, pg, staging_db):
    state = tmp_path / "state"
    proxy = PreviewProxy(state)
    previews = Previews(state, SandboxRuntime(OdooRuntime(state), proxy), pg.databases)
    try:
        first = repo.commit({"preview_demo/__manifest__.py": manifest("16.0.1.0.0")})
        database = build_preview_database(
            5, pg.databases, staging=pg.databases, staging_database=staging_db, base_url="https://pr-5.localhost"
        )
        built = previews.start(5, database.dsn, fetch_code(state, 5, str(repo.path), first, log=quiet), log=quiet)
        assert built.url == proxy.url("pr-5.localhost")
        with proxy.client() as client:
            page = client.get(built.url, follow_redirects=True)
            assert page.status_code == 200 and "Preview Co" in page.text
            assert listed_modules(page.text) == [("preview_demo", "16.0.1.0.0")]

            second = repo.commit(
                {
                    "preview_demo/__manifest__.py": manifest("16.0.2.0.0"),
                    "preview_extra/__manifest__.py": manifest("1.1"),
                }
            )
            rebuilt = previews.start(
                5, database.dsn, fetch_code(state, 5, str(repo.path), second, log=quiet), log=quiet
            )
            assert rebuilt.url == built.url and rebuilt.sha == second
            page = client.get(rebuilt.url + "web/login")
            assert listed_modules(page.text) == [("preview_demo", "16.0.2.0.0"), ("preview_extra", "1.1")]
        assert [p.name for p in code_root(state, 5).iterdir()] == [second], "the old commit's checkout is gone"

        previews.teardown(5, log=quiet)
        assert not OdooRuntime(state).environment("pr-5").is_running()
        assert not pg.databases.exists(database.name)
        assert proxy.routes() == {}
        assert not (state / "previews" / "pr-5").exists() and not (state / "environments" / "pr-5").exists()
        previews.teardown(5, log=quiet)  # again: nothing left to do, no error
    finally:
        OdooRuntime(state).environment("pr-5").stop(quiet)
        proxy.stop(log=quiet)
        pg.databases.drop("odoosh_pr_5")
    assert prune_code(state, 5) == []

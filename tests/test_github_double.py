"""The loopback GitHub holds requests and answers to GitHub's own OpenAPI description."""

import os
import subprocess
import sys

import httpx
import pytest

from odoosh import process
from odoosh.previews.github import GitHubClient, GitHubSettings
from odoosh.sandbox import github_double
from odoosh.sandbox.github_double import AddonsRepository, GitHubDouble
from tests.github_helpers import REPOSITORY, TOKEN, auth, client, sha

pytestmark = pytest.mark.servers  # the loopback GitHub double


@pytest.fixture
def double():
    with GitHubDouble(TOKEN, repository=REPOSITORY, clone_url="file:///nowhere") as d:
        yield d
        assert d.spec_failures == []


COMMENTS = f"/repos/{REPOSITORY}/issues/1/comments"


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"body": 5}, "5 is not of type 'string'"),  # wrong type
        ({}, "'body' is a required property"),  # missing field
        ({"body": "hi", "bodyy": "typo"}, "'bodyy' was unexpected"),  # unknown field
    ],
)
def test_a_malformed_body_gets_githubs_422_and_changes_nothing(double, body, detail):
    double.open_pull(sha(1))
    response = httpx.post(double.url + COMMENTS, json=body, headers=auth())
    assert response.status_code == 422
    assert response.json()["message"].startswith("Invalid request.")
    assert detail in response.json()["message"]
    assert response.json()["documentation_url"].startswith("https://docs.github.com")
    assert double.comments(1) == []


def test_unparsable_json_unknown_parameters_paths_and_tokens_are_refused(double):
    double.open_pull(sha(1))
    bad_json = httpx.post(
        double.url + COMMENTS, content=b'{"body": ', headers={**auth(), "Content-Type": "application/json"}
    )
    assert (bad_json.status_code, bad_json.json()["message"]) == (400, "Problems parsing JSON")
    bad_enum = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", params={"state": "opened"}, headers=auth())
    assert bad_enum.status_code == 422 and "'opened' is not one of" in bad_enum.json()["message"]
    unknown = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", params={"stat": "open"}, headers=auth())
    assert unknown.status_code == 422 and "stat" in unknown.json()["message"]
    wrong_type = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", params={"per_page": "many"}, headers=auth())
    assert wrong_type.status_code == 422
    assert httpx.get(double.url + f"/repos/{REPOSITORY}/wikis", headers=auth()).status_code == 404
    assert httpx.delete(double.url + f"/repos/{REPOSITORY}/pulls", headers=auth()).status_code == 404
    assert httpx.get(double.url + "/repos/someone/else/pulls", headers=auth()).status_code == 404
    for headers in ({}, auth("wrong-token")):
        refused = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", headers=headers)
        assert (refused.status_code, refused.json()["message"]) == (401, "Bad credentials")
    assert double.comments(1) == []


def test_the_clients_requests_are_accepted_and_every_answer_matches_the_spec(double):
    number = double.open_pull(sha(1), labels=["preview"])
    with client(double) as github:
        assert [p["number"] for p in github.open_pulls().pulls] == [number]
        assert github.pull(number)["merged"] is False
        assert github.labels(number) == ["preview"]
        comment = github.upsert_comment(number, "<!-- m -->", "one <!-- m -->")
        github.upsert_comment(number, "<!-- m -->", "two <!-- m -->")
        github.delete_comment(comment["id"])
        assert github.comments(number) == []
        deployment = github.create_deployment(sha(1), "pr-1", "preview")
        github.set_deployment_status(deployment["id"], "success", environment_url="https://pr-1.localhost/")
        assert [d["environment"] for d in github.deployments("pr-1")] == ["pr-1"]
        assert github.deactivate_environment("pr-1") == 1
        github.set_commit_status(sha(1), "success", context="odoosh/preview", description="ok")
    statuses = [code for _, _, code in double.requests]
    assert all(code < 300 for code in statuses), double.requests
    assert double.spec_failures == []


def test_a_response_that_drifts_from_the_spec_fails_loudly(double, monkeypatch):
    """The double checks its own answers: a field of the wrong type is a 500, recorded."""
    double.open_pull(sha(1))
    original = GitHubDouble._pull_json

    def number_as_text(self, pull):
        return {**original(self, pull), "number": str(pull.number)}

    monkeypatch.setattr(GitHubDouble, "_pull_json", number_as_text)
    response = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", headers=auth())
    assert response.status_code == 500 and "does not match the spec" in response.json()["message"]
    assert double.spec_failures and "'number'" in double.spec_failures[0]
    double.spec_failures.clear()


def test_etag_gives_a_304_that_does_not_count_against_the_rate_limit(double):
    double.open_pull(sha(1))
    url = double.url + f"/repos/{REPOSITORY}/pulls"
    first = httpx.get(url, headers=auth())
    remaining = int(first.headers["X-RateLimit-Remaining"])
    assert first.headers["ETag"].startswith('W/"')
    again = httpx.get(url, headers={**auth(), "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    assert int(again.headers["X-RateLimit-Remaining"]) == remaining
    double.push(1, sha(2))
    changed = httpx.get(url, headers={**auth(), "If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json()[0]["head"]["sha"] == sha(2)
    assert int(changed.headers["X-RateLimit-Remaining"]) == remaining - 1


def test_lists_are_paginated_with_link_headers(double):
    for n in range(5):
        double.open_pull(sha(n + 1))
    url = double.url + f"/repos/{REPOSITORY}/pulls"
    page = httpx.get(url, params={"per_page": 2}, headers=auth())
    assert [p["number"] for p in page.json()] == [5, 4]  # GitHub's default: newest first
    assert page.links["next"]["url"].endswith("page=2") and page.links["last"]["url"].endswith("page=3")
    last = httpx.get(page.links["last"]["url"], headers=auth())
    assert [p["number"] for p in last.json()] == [1] and "next" not in last.links
    oldest_first = httpx.get(url, params={"per_page": 2, "direction": "asc"}, headers=auth())
    assert [p["number"] for p in oldest_first.json()] == [1, 2]


def test_injected_failures_carry_githubs_headers(double):
    double.fail_next(1, status=403)
    limited = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", headers=auth())
    assert limited.status_code == 403 and "rate limit" in limited.json()["message"]
    assert limited.headers["X-RateLimit-Remaining"] == "0" and int(limited.headers["X-RateLimit-Reset"]) > 0
    double.fail_next(2, status=503, rate_limited=False, retry_after=7)
    for _ in range(2):
        failed = httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", headers=auth())
        assert failed.status_code == 503 and failed.headers["Retry-After"] == "7"
    assert httpx.get(double.url + f"/repos/{REPOSITORY}/pulls", headers=auth()).status_code == 200


def test_the_quota_runs_out_and_comes_back_with_the_window():
    now = [1_000_000.0]
    with GitHubDouble(TOKEN, repository=REPOSITORY, rate_limit=2, clock=lambda: now[0]) as double:
        url = double.url + f"/repos/{REPOSITORY}/pulls"
        assert [httpx.get(url, headers=auth()).status_code for _ in range(3)] == [200, 200, 403]
        now[0] += github_double.RATE_WINDOW_S
        assert httpx.get(url, headers=auth()).status_code == 200


def test_hooks_change_what_github_answers(double):
    double.add_repository("mallory/addons", "file:///fork")
    number = double.open_pull(sha(1), head_repo="mallory/addons", head_ref="fix")
    with client(double) as github:
        pull = github.pull(number)
        assert (pull["head"]["repo"]["fork"], pull["head"]["repo"]["clone_url"]) == (True, "file:///fork")
        double.push(number, sha(2))
        assert github.pull(number)["head"]["sha"] == sha(2)
        double.add_label(number, "preview")
        assert github.labels(number) == ["preview"]
        double.close(number)
        assert (github.pull(number)["state"], github.pull(number)["merged"]) == ("closed", False)
        assert github.open_pulls().pulls == []
        double.reopen(number)
        double.merge(number)
        merged = github.pull(number)
        assert merged["merged"] is True and merged["merged_at"] is not None
    with pytest.raises(ValueError, match="merged"):
        double.reopen(number)


def test_a_repositorys_code_is_a_local_git_repository_that_clones(tmp_path):
    repo = AddonsRepository(tmp_path / "origin")
    first = repo.commit({"preview_addon": "16.0.1.0.0"})
    second = repo.commit({"preview_addon": "16.0.1.1.0"})
    assert first != second and len(second) == 40
    subprocess.run(["git", "clone", "--quiet", repo.clone_url, str(tmp_path / "clone")], check=True)
    manifest = (tmp_path / "clone" / "preview_addon" / "__manifest__.py").read_text()
    assert "16.0.1.1.0" in manifest


def test_the_double_runs_as_a_process_of_its_own_for_the_demo(tmp_path):
    url_file, log = tmp_path / "url", tmp_path / "double.log"
    args = [sys.executable, "-m", "odoosh.sandbox.github_double", "--repository", REPOSITORY]
    args += ["--clone-url", "file:///srv/origin", "--url-file", str(url_file), "--open-pull", sha(1)]
    pid = process.start(args, log, env={**os.environ, "ODOOSH_GITHUB_TOKEN": TOKEN})
    try:
        process.wait_until_ready(
            pid, url_file.exists, timeout=60, what="the GitHub double", ready_as="listen", log_file=log, log_offset=0
        )
        double_url = url_file.read_text().strip()
        settings = GitHubSettings(REPOSITORY, double_url, TOKEN)
        with GitHubClient(settings) as github:
            [pull] = github.open_pulls().pulls
        assert (pull["number"], pull["head"]["sha"], pull["head"]["repo"]["clone_url"]) == (
            1,
            sha(1),
            "file:///srv/origin",
        )
    finally:
        process.stop(pid)
    assert process.exited(pid)


def test_the_double_refuses_to_start_without_a_token(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("ODOOSH_GITHUB_TOKEN", raising=False)
    assert github_double.main(["--clone-url", "x", "--url-file", str(tmp_path / "url")]) == 2
    assert "ODOOSH_GITHUB_TOKEN" in capsys.readouterr().err and not (tmp_path / "url").exists()

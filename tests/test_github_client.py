"""The GitHub client, against the loopback double: the same code that talks to api.github.com."""

import pytest

from odoosh.previews import github as github_module
from odoosh.previews.github import GitHubClient, GitHubError, GitHubSettings
from odoosh.process import free_port
from odoosh.sandbox import github_double
from odoosh.sandbox.github_double import GitHubDouble
from tests.github_helpers import REPOSITORY, TOKEN, client, sha

pytestmark = pytest.mark.servers  # the loopback GitHub double
NOW = 1_800_000_000.0


@pytest.fixture
def double():
    with GitHubDouble(TOKEN, repository=REPOSITORY, clock=lambda: NOW) as d:
        yield d
        assert d.spec_failures == []


def test_an_unchanged_list_costs_one_304(double):
    double.open_pull(sha(1))
    with client(double, clock=lambda: NOW) as github:
        first = github.open_pulls()
        assert first.changed and [p["number"] for p in first.pulls] == [1] and len(first.etags) == 1
        before = double.request_count()
        again = github.open_pulls(first.etags)
        assert (again.changed, again.pulls) == (False, [])
        assert double.request_count() - before == 1 and double.requests[-1][2] == 304
        double.push(1, sha(2))
        changed = github.open_pulls(first.etags)
        assert changed.changed and changed.pulls[0]["head"]["sha"] == sha(2) and changed.etags != first.etags


def test_every_page_is_followed_through_link_and_asked_for_conditionally(double):
    for n in range(5):
        double.open_pull(sha(n + 1))
    with client(double, per_page=2) as github:
        listing = github.open_pulls()
        assert [p["number"] for p in listing.pulls] == [1, 2, 3, 4, 5]  # oldest first, as asked
        assert len(listing.etags) == 3
        before = double.request_count()
        assert github.open_pulls(listing.etags).changed is False
        assert double.request_count() - before == 3  # one 304 per page
        double.push(5, sha(9))  # only the last page changes
        changed = github.open_pulls(listing.etags)
        assert changed.changed and changed.pulls[-1]["head"]["sha"] == sha(9) and len(changed.pulls) == 5


def test_the_comment_is_found_by_its_marker_and_updated_in_place(double):
    number = double.open_pull(sha(1))
    with client(double, per_page=2) as github:
        for text in ("someone else", "another one", "a third"):  # the marker's comment is on page 2
            github._send("POST", f"/repos/{REPOSITORY}/issues/{number}/comments", json={"body": text})
        created = github.upsert_comment(number, "<!-- m -->", "building <!-- m -->")
        updated = github.upsert_comment(number, "<!-- m -->", "ready <!-- m -->")
        assert updated["id"] == created["id"]
        before = double.request_count()
        github.upsert_comment(number, "<!-- m -->", "ready <!-- m -->")  # same text: no write
        assert all(method == "GET" for method, _, _ in double.requests[before:])
        with pytest.raises(ValueError, match="marker"):
            github.upsert_comment(number, "<!-- m -->", "no marker")
    bodies = [c["body"] for c in double.comments(number)]
    assert bodies.count("ready <!-- m -->") == 1 and len(bodies) == 4


def test_deployments_and_their_statuses(double):
    double.open_pull(sha(1))
    with client(double, clock=lambda: NOW) as github:
        first = github.create_deployment(sha(1), "pr-1", "preview of #1")
        assert (first["environment"], first["transient_environment"], first["sha"]) == ("pr-1", True, sha(1))
        github.set_deployment_status(first["id"], "in_progress")
        github.set_deployment_status(first["id"], "success", environment_url="https://pr-1.localhost:8443/")
        double.push(1, sha(2))
        second = github.create_deployment(sha(2), "pr-1", "preview of #1")
        github.set_deployment_status(second["id"], "success", environment_url="https://pr-1.localhost:8443/")
        # A transient environment: GitHub's auto_inactive leaves the first deployment as it was.
        assert github.deployment_statuses(first["id"])[0]["state"] == "success"
        github.set_deployment_status(second["id"], "inactive")
        assert [d["id"] for d in github.deployments("pr-1")] == [second["id"], first["id"]]
        github.set_commit_status(sha(2), "success", context="odoosh/preview", description="smoke passed")
        with pytest.raises(GitHubError, match="422"):
            github.create_deployment("f" * 40, "pr-1", "an unknown commit")
        third = github.create_deployment(sha(2), "pr-1", "preview of #1")
        github.set_deployment_status(third["id"], "failure", description="smoke failed")
        assert github.deactivate_environment("pr-1", keep=third["id"]) == 1  # the first; the second is inactive
        assert [s["state"] for s in github.deployment_statuses(first["id"])] == ["inactive", "success", "in_progress"]
        assert github.deactivate_environment("pr-1") == 1  # the third; the others are inactive already
        assert github.deactivate_environment("pr-1") == 0
    states = {d["id"]: [s["state"] for s in d["statuses"]] for d in double.deployments("pr-1")}
    assert states[third["id"]] == ["failure", "inactive"]
    assert states[first["id"]] == ["in_progress", "success", "inactive"]
    assert states[second["id"]] == ["success", "inactive"]
    assert double.deployments("pr-1")[0]["statuses"][1]["environment_url"] == "https://pr-1.localhost:8443/"
    assert double.commit_statuses()[0]["context"] == "odoosh/preview"


def test_a_rate_limit_says_when_to_come_back(double):
    with client(double, clock=lambda: NOW) as github:
        double.fail_next(1, status=403)
        with pytest.raises(GitHubError) as limited:
            github.open_pulls()
        reset = NOW + github_double.RATE_WINDOW_S  # X-RateLimit-Reset: the double's window ends then
        assert limited.value.status == 403 and limited.value.retry_at == reset
        assert "rate limited" in limited.value.reason
        double.fail_next(1, status=429, retry_after=42)
        with pytest.raises(GitHubError) as secondary:
            github.open_pulls()
        assert secondary.value.retry_at == NOW + 42


def test_server_errors_and_refusals_are_clear_and_never_show_the_token(double):
    with client(double, clock=lambda: NOW) as github:
        double.fail_next(1, status=502, rate_limited=False)
        with pytest.raises(GitHubError) as failed:
            github.open_pulls()
        assert failed.value.status == 502 and failed.value.retry_at == NOW + github_module.DEFAULT_RETRY_S
        double.fail_next(1, status=503, rate_limited=False, retry_after=5)
        with pytest.raises(GitHubError) as unavailable:
            github.open_pulls()
        assert unavailable.value.retry_at == NOW + 5
    with client(double, token="secret-wrong-token") as github, pytest.raises(GitHubError) as refused:
        github.open_pulls()
    assert refused.value.status == 401 and "ODOOSH_GITHUB_TOKEN" in refused.value.reason
    assert "secret-wrong-token" not in str(refused.value) and refused.value.retry_at is None
    missing = GitHubClient(GitHubSettings("acme/missing", double.url, TOKEN))
    with missing, pytest.raises(GitHubError) as not_found:
        missing.open_pulls()
    assert not_found.value.status == 404 and "ODOOSH_GITHUB_REPOSITORY='acme/missing'" in not_found.value.reason
    with client(double, clock=lambda: NOW) as github:
        assert github.pull(99) is None  # a PR that does not exist is not an error


def test_an_unreachable_api_is_a_github_error():
    settings = GitHubSettings(REPOSITORY, f"http://127.0.0.1:{free_port()}", TOKEN)
    with GitHubClient(settings, timeout=2, clock=lambda: NOW) as github, pytest.raises(GitHubError) as unreachable:
        github.open_pulls()
    assert "Cannot reach" in unreachable.value.reason and unreachable.value.retry_at == NOW + 60


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.delenv("ODOOSH_GITHUB_REPOSITORY", raising=False)
    assert GitHubSettings.from_env() is None
    monkeypatch.setenv("ODOOSH_GITHUB_REPOSITORY", "acme/addons")
    monkeypatch.setenv("ODOOSH_GITHUB_TOKEN", "t0k3n")
    monkeypatch.delenv("ODOOSH_GITHUB_API_URL", raising=False)
    settings = GitHubSettings.from_env()
    assert (settings.repository, settings.api_url, settings.token) == ("acme/addons", "https://api.github.com", "t0k3n")
    assert "t0k3n" not in repr(settings)
    monkeypatch.setenv("ODOOSH_GITHUB_REPOSITORY", "not-a-repository")
    with pytest.raises(GitHubError, match="owner/name"):
        GitHubSettings.from_env()

"""What a preview build tells GitHub, against the double: deployment, statuses, one comment."""

import pytest

from odoosh.previews.comment import MARKER, SmokeLine
from odoosh.previews.publish import STATUS_CONTEXT, PreviewPublisher
from odoosh.sandbox.github_double import GitHubDouble
from tests.github_helpers import REPOSITORY, TOKEN, client, sha

pytestmark = pytest.mark.servers  # the loopback GitHub double
URL = "https://pr-1.localhost:8443/"
SMOKE = [SmokeLine("smoke_http", True, "200"), SmokeLine("smoke_users", True, "admin can log in")]


@pytest.fixture
def double():
    with GitHubDouble(TOKEN, repository=REPOSITORY) as d:
        yield d
        assert d.spec_failures == []


def states(double):
    return [[s["state"] for s in d["statuses"]] for d in double.deployments("pr-1")]


def test_build_push_failure_and_teardown_as_github_shows_them(double):
    double.open_pull(sha(1), head_ref="feature/<img src=x onerror=alert(1)>")
    with client(double) as github:
        publisher = PreviewPublisher(github)
        publisher.building(1, sha(1))
        assert "building" in double.comments(1)[0]["body"]
        publisher.published(1, sha(1), URL, SMOKE, 30.2)
        [comment] = double.comments(1)
        assert comment["body"].startswith(MARKER) and URL in comment["body"] and "<img" not in comment["body"]
        assert states(double) == [["in_progress", "success"]]
        assert double.deployments("pr-1")[0]["statuses"][-1]["environment_url"] == URL

        double.push(1, sha(2))
        publisher.failed(1, sha(2), "smoke", "smoke_http: 502 Bad Gateway", [SmokeLine("smoke_http", False, "502")])
        [comment] = double.comments(1)  # the same comment, updated in place
        assert "502" in comment["body"] and URL not in comment["body"]
        assert states(double) == [["in_progress", "success"], ["in_progress", "failure"]]
        statuses = [(s["sha"], s["state"]) for s in double.commit_statuses() if s["context"] == STATUS_CONTEXT]
        assert statuses == [(sha(1), "pending"), (sha(1), "success"), (sha(2), "failure")]  # no `building` for sha 2

        publisher.published(1, sha(1), URL, SMOKE, 1.0)  # a late result of an older commit
        assert URL not in double.comments(1)[0]["body"]  # does not overwrite the newer one
        assert states(double) == [["in_progress", "success"], ["in_progress", "failure"]]

        assert publisher.removed(1, sha(2), "closed") == 2
        assert [s[-1] for s in states(double)] == ["inactive", "inactive"]
        assert "removed (closed)" in double.comments(1)[0]["body"] and len(double.comments(1)) == 1

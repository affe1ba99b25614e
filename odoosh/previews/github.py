"""The GitHub REST client of previews: open pull requests, the PR comment, deployments.

The same code talks to api.github.com and to the sandbox's loopback double
(`odoosh.sandbox.github_double`); only `base_url` differs. Listing pull requests is a
conditional request (`If-None-Match` with the last ETag), so an idle poll costs one 304, which
GitHub does not count against the rate limit. Every failure is a `GitHubError` that says what
went wrong, how to fix it, and when to try again; the token never appears in one.
"""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
PER_PAGE = 100  # GitHub's maximum: an idle poll of up to 100 open PRs is one request
DEFAULT_RETRY_S = 60  # when GitHub fails without saying when to come back


class GitHubError(RuntimeError):
    """GitHub refused or failed a request. `retry_at` (epoch seconds) is when trying again makes
    sense (from Retry-After or X-RateLimit-Reset), None when only a fix on our side helps."""

    def __init__(self, reason: str, *, status: int | None = None, retry_at: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_at = retry_at


@dataclass(frozen=True)
class GitHubSettings:
    """Where the repository is and how to reach it (README, "Configuration")."""

    repository: str  # owner/name
    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    clone_url: str | None = None  # None: derived from api_url

    def git_url(self) -> str:
        """Where git fetches the repository's own branches: ODOOSH_GITHUB_CLONE_URL, or GitHub's
        (https://github.com/owner/name.git; GitHub Enterprise: its host, without /api/v3)."""
        if self.clone_url:
            return self.clone_url
        parts = urlsplit(self.api_url)
        if parts.hostname == "api.github.com":
            return f"https://github.com/{self.repository}.git"
        if parts.path.rstrip("/") == "/api/v3":
            return f"{parts.scheme}://{parts.netloc}/{self.repository}.git"
        raise GitHubError(
            f"set ODOOSH_GITHUB_CLONE_URL: the git URL of {self.repository} at {self.api_url} is not known"
        )

    @classmethod
    def from_env(cls) -> GitHubSettings | None:
        """The configured repository, or None when ODOOSH_GITHUB_REPOSITORY is unset (no previews)."""
        repository = (os.environ.get("ODOOSH_GITHUB_REPOSITORY") or "").strip()
        if not repository:
            return None
        owner, _, name = repository.partition("/")
        if not owner or not name or "/" in name:
            raise GitHubError(
                f"ODOOSH_GITHUB_REPOSITORY={repository!r} is not owner/name: set it like 'acme/odoo-addons'."
            )
        return cls(
            repository=repository,
            api_url=os.environ.get("ODOOSH_GITHUB_API_URL") or DEFAULT_API_URL,
            token=os.environ.get("ODOOSH_GITHUB_TOKEN") or None,
            clone_url=os.environ.get("ODOOSH_GITHUB_CLONE_URL") or None,
        )


@dataclass(frozen=True)
class OpenPulls:
    """The open pull requests, or `changed=False` (then `pulls` is empty) when GitHub answered
    304 to every page: nothing changed since `etags` were taken."""

    changed: bool
    pulls: list[dict]
    etags: list[str]


class GitHubClient:
    """A repository's pull requests, issue comments, deployments and commit statuses."""

    def __init__(
        self,
        settings: GitHubSettings,
        *,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        per_page: int = PER_PAGE,
    ):
        self.settings = settings
        self.per_page = per_page
        self.requests_made = 0  # what a benchmark reports per sensor tick
        self._clock = clock
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "odoosh-previews",
        }
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        self._http = httpx.Client(
            base_url=settings.api_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )
        self._repo = f"/repos/{settings.repository}"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------- pull requests

    def open_pulls(self, etags: list[str] | None = None) -> OpenPulls:
        """All open pull requests, oldest first. With the ETags of the last listing, each page is
        asked for conditionally; if every page is unchanged (304), nothing else is fetched."""
        path = f"{self._repo}/pulls"
        first = self._send("GET", path, params=self._list_params(1), etag=etags[0] if etags else None)
        if first.status_code == 304:
            later = (
                self._send("GET", path, params=self._list_params(page), etag=etag)
                for page, etag in enumerate(etags[1:], 2)
            )
            if all(response.status_code == 304 for response in later):
                return OpenPulls(changed=False, pulls=[], etags=list(etags))
            first = self._send("GET", path, params=self._list_params(1))  # a later page changed: list it all again
        pulls: list[dict] = []
        new_etags: list[str] = []
        for response in self._following(first):
            pulls.extend(response.json())
            new_etags.append(response.headers.get("ETag", ""))
        return OpenPulls(changed=True, pulls=pulls, etags=new_etags if all(new_etags) else [])

    def _list_params(self, page: int) -> dict[str, Any]:
        return {"state": "open", "sort": "created", "direction": "asc", "per_page": self.per_page, "page": page}

    def pull(self, number: int) -> dict | None:
        """One pull request (state, merged_at, closed_at...); None if it no longer exists."""
        try:
            return self._send("GET", f"{self._repo}/pulls/{int(number)}").json()
        except GitHubError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def labels(self, number: int) -> list[str]:
        """Names of the labels on a pull request."""
        return [
            label["name"] for page in self._pages(f"{self._repo}/issues/{int(number)}/labels") for label in page.json()
        ]

    # ----------------------------------------------------------------------- the PR comment

    def comments(self, number: int) -> list[dict]:
        """Every comment on a pull request's conversation, oldest first."""
        return [c for page in self._pages(f"{self._repo}/issues/{int(number)}/comments") for c in page.json()]

    def upsert_comment(self, number: int, marker: str, body: str) -> dict:
        """Update the comment that carries `marker` in place, or create it: one comment per PR."""
        if marker not in body:
            raise ValueError("the comment body must carry its marker, or the next update creates another comment")
        existing = next((c for c in self.comments(number) if marker in (c.get("body") or "")), None)
        if existing is None:
            return self._send("POST", f"{self._repo}/issues/{int(number)}/comments", json={"body": body}).json()
        if existing.get("body") == body:
            return existing
        return self._send("PATCH", f"{self._repo}/issues/comments/{int(existing['id'])}", json={"body": body}).json()

    # ----------------------------------------------------------------------- deployments

    def create_deployment(self, sha: str, environment: str, description: str) -> dict:
        """A transient deployment of `sha` to `environment` (`pr-<n>`). No required contexts and
        no auto-merge: a preview deploys the PR's head as it is."""
        body = {
            "ref": sha,
            "environment": environment,
            "description": description,
            "transient_environment": True,
            "production_environment": False,
            "auto_merge": False,
            "required_contexts": [],
        }
        response = self._send("POST", f"{self._repo}/deployments", json=body)
        if response.status_code != 201:  # 202: GitHub merged the default branch in first; not for a SHA
            raise GitHubError(f"GitHub did not create the deployment of {sha[:12]}: {_message(response)}")
        return response.json()

    def deployments(self, environment: str) -> list[dict]:
        """Deployments to one environment, newest first."""
        params = {"environment": environment, "per_page": self.per_page}
        return [d for page in self._pages(f"{self._repo}/deployments", params) for d in page.json()]

    def set_deployment_status(
        self,
        deployment_id: int,
        state: str,
        *,
        environment_url: str | None = None,
        description: str | None = None,
        log_url: str | None = None,
    ) -> dict:
        """Post a deployment status: `in_progress`, `success`, `failure` or `inactive`. GitHub's
        auto_inactive does not apply to transient environments such as previews: the earlier
        deployments stay `success` until `deactivate_environment` marks them."""
        body: dict[str, Any] = {"state": state}
        if environment_url is not None:
            body["environment_url"] = environment_url
        if description is not None:
            body["description"] = description[:140]  # GitHub's limit
        if log_url is not None:
            body["log_url"] = log_url
        return self._send("POST", f"{self._repo}/deployments/{int(deployment_id)}/statuses", json=body).json()

    def deployment_statuses(self, deployment_id: int) -> list[dict]:
        """A deployment's statuses, newest first."""
        path = f"{self._repo}/deployments/{int(deployment_id)}/statuses"
        return [s for page in self._pages(path) for s in page.json()]

    def deactivate_environment(
        self, environment: str, description: str = "preview removed", *, keep: int | None = None
    ) -> int:
        """Mark every deployment of `environment` that is not inactive yet inactive (teardown;
        with `keep`, every one but that deployment: a newer one is served); returns how many
        were marked."""
        marked = 0
        for deployment in self.deployments(environment):
            if deployment["id"] == keep:
                continue
            statuses = self.deployment_statuses(deployment["id"])
            if statuses and statuses[0]["state"] == "inactive":
                continue
            self.set_deployment_status(deployment["id"], "inactive", description=description)
            marked += 1
        return marked

    def delete_comment(self, comment_id: int) -> None:
        self._send("DELETE", f"{self._repo}/issues/comments/{int(comment_id)}")

    def set_commit_status(
        self, sha: str, state: str, *, context: str, description: str, target_url: str | None = None
    ) -> dict:
        """A commit status (`pending`, `success`, `failure`, `error`) on the PR's head commit."""
        body: dict[str, Any] = {"state": state, "context": context, "description": description[:140]}
        if target_url is not None:
            body["target_url"] = target_url
        return self._send("POST", f"{self._repo}/statuses/{sha}", json=body).json()

    # ----------------------------------------------------------------------- branches, files, new PRs

    def commit_sha(self, ref: str) -> str:
        """The commit a branch (or tag, or SHA) points at."""
        return self._send("GET", f"{self._repo}/commits/{quote(ref, safe='')}").json()["sha"]

    def create_branch(self, branch: str, sha: str) -> None:
        self._send("POST", f"{self._repo}/git/refs", json={"ref": f"refs/heads/{branch}", "sha": sha})

    def move_branch(self, branch: str, sha: str, *, force: bool = False) -> None:
        self._send("PATCH", f"{self._repo}/git/refs/heads/{quote(branch)}", json={"sha": sha, "force": force})

    def file(self, path: str, ref: str) -> tuple[str, bytes] | None:
        """(blob SHA, content) of a file on `ref`, None if there is none."""
        try:
            data = self._send("GET", f"{self._repo}/contents/{quote(path)}", params={"ref": ref}).json()
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        return data["sha"], base64.b64decode(data["content"])

    def put_file(self, path: str, content: bytes, *, message: str, branch: str, sha: str | None = None) -> str:
        """Commit `content` as `path` on `branch` (`sha`: the blob replaced, when it exists); returns the commit."""
        body: dict[str, Any] = {"message": message, "content": base64.b64encode(content).decode(), "branch": branch}
        if sha is not None:
            body["sha"] = sha
        return self._send("PUT", f"{self._repo}/contents/{quote(path)}", json=body).json()["commit"]["sha"]

    def create_pull(self, *, title: str, head: str, base: str, body: str) -> dict:
        return self._send(
            "POST", f"{self._repo}/pulls", json={"title": title, "head": head, "base": base, "body": body}
        ).json()

    # ----------------------------------------------------------------------- HTTP

    def _pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[httpx.Response]:
        """The response of each page, following the `Link: <...>; rel="next"` header."""
        return self._following(self._send("GET", path, params=params or {"per_page": self.per_page}))

    def _following(self, response: httpx.Response) -> Iterator[httpx.Response]:
        yield response
        while next_url := response.links.get("next", {}).get("url"):
            response = self._send("GET", next_url)
            yield response

    def _send(
        self, method: str, path: str, *, params: dict | None = None, json: Any = None, etag: str | None = None
    ) -> httpx.Response:
        headers = {"If-None-Match": etag} if etag else {}
        self.requests_made += 1
        try:
            response = self._http.request(method, path, params=params, json=json, headers=headers)
        except httpx.HTTPError as exc:
            raise GitHubError(
                f"Cannot reach the GitHub API at {self.settings.api_url}: {type(exc).__name__}: {exc}. "
                "Check ODOOSH_GITHUB_API_URL and the network.",
                retry_at=self._clock() + DEFAULT_RETRY_S,
            ) from None
        if response.status_code < 400:
            return response
        raise self._error(method, response)

    def _error(self, method: str, response: httpx.Response) -> GitHubError:
        status = response.status_code
        what = f"GitHub answered {status} to {method} {response.request.url.path}"
        message = _message(response)
        retry_at = self._retry_at(response)
        if status in (403, 429) and (retry_at is not None or "rate limit" in message.lower()):
            retry_at = retry_at or self._clock() + DEFAULT_RETRY_S
            return GitHubError(
                f"{what}: rate limited ({message}). Waiting until {_utc(retry_at)} before asking again.",
                status=status,
                retry_at=retry_at,
            )
        if status == 401:
            reason = "the token was refused. Set ODOOSH_GITHUB_TOKEN to a valid token"
        elif status == 403:
            reason = "the token may not do this. Give it read/write access to pull requests, issues and deployments"
        elif status == 404:
            reason = (
                f"not found. Check ODOOSH_GITHUB_REPOSITORY={self.settings.repository!r} and that the token can see it"
            )
        elif status == 422:
            reason = f"GitHub refused the request as invalid: {message} (a bug in odoosh's client: please report it)"
        elif status >= 500:
            retry_at = retry_at or self._clock() + DEFAULT_RETRY_S
            reason = f"GitHub failed ({message}); trying again after {_utc(retry_at)}"
        else:
            reason = "unexpected answer"
        if status < 500 and status != 422:
            reason = f"{reason} ({message})"
        return GitHubError(f"{what}: {reason}.", status=status, retry_at=retry_at)

    def _retry_at(self, response: httpx.Response) -> float | None:
        """When GitHub says to come back: Retry-After (seconds or a date), else X-RateLimit-Reset
        once the remaining quota is 0."""
        if retry_after := response.headers.get("Retry-After"):
            if retry_after.strip().isdigit():
                return self._clock() + int(retry_after)
            try:
                return parsedate_to_datetime(retry_after).timestamp()
            except (TypeError, ValueError):
                pass
        reset = response.headers.get("X-RateLimit-Reset", "")
        if response.headers.get("X-RateLimit-Remaining") == "0" and reset.strip().isdigit():
            return float(reset)
        return None


def _message(response: httpx.Response) -> str:
    """GitHub's own `message` of an error body, or the start of whatever it sent."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200] or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"].strip()
    return str(body)[:200]


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))

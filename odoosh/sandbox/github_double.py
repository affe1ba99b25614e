"""A loopback GitHub for the sandbox and the tests: the REST operations previews use, over HTTP.

It follows GitHub's own OpenAPI description (`api_specs/github-rest-subset.json`, see its
provenance note; read by `github_spec`): every request is validated with openapi-core before
it is served (a wrong type, a missing or unknown field gets GitHub's 422, unparsable JSON its
400, a path or method it lacks 404), and every response is validated against the operation's response schema before
it is sent, so a drift between what the double answers and what GitHub documents fails
loudly (a 500 naming the mismatch, kept in `spec_failures`). A token is required (401
otherwise), each answer carries GitHub's rate-limit headers, lists are paginated with `Link`,
and a GET with a matching `If-None-Match` gets a 304 that does not count against the limit.

Response bodies are built from the spec: the double fills in what it knows (numbers, states,
SHAs, refs, labels, users, URLs), and every other required field of the schema gets a
placeholder of its type (null where the schema allows it), so the shapes come from GitHub's
description, never from a hand-copied sample.

Test hooks change its state the way GitHub events would: `open_pull`, `push`, `close`,
`reopen`, `merge`, `add_label`, `remove_label`; `fail_next` makes the next requests fail (a
403 rate limit or a 5xx); `requests` counts what it served.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    ParameterValidationError,
)
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from odoosh.sandbox.github_spec import error_validator, fill, openapi, operations, response_schema, routes

DOCS = "https://docs.github.com/rest"
RATE_LIMIT = 5000
RATE_WINDOW_S = 3600
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100


# --------------------------------------------------------------------------- state


@dataclass
class Repository:
    owner: str
    name: str
    clone_url: str  # a local git repository (path or file:// URL) that previews clone
    id: int
    default_branch: str = "main"

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class PullRequest:
    number: int
    id: int
    title: str
    body: str
    user: str
    head_repo: str  # full name of the repository the head branch lives in
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    created_at: float
    updated_at: float
    state: str = "open"
    closed_at: float | None = None
    merged_at: float | None = None
    draft: bool = False
    labels: list[str] = field(default_factory=list)


@dataclass
class Failure:
    status: int
    rate_limited: bool
    retry_after: int | None


class _OpenAPIRequest(WerkzeugOpenAPIRequest):
    """openapi-core matches a path parameter within one segment, but a git ref
    (`git/refs/heads/a-branch`) and a file (`contents/a/b.json`) span several: their slashes are
    encoded for the match, and the handlers decode them."""

    @property
    def path(self) -> str:
        for segment in ("/git/refs/", "/contents/"):
            head, sep, rest = self.request.path.partition(segment)
            if sep and rest:
                return self.get_path(head + sep + rest.replace("/", "%2F"))
        return self.get_path(self.request.path)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # the double's log is `requests`
        pass


class GitHubDouble:
    """The loopback GitHub: `start()` (or `with`), then point a client at `url`."""

    def __init__(
        self,
        token: str = "double-token",
        *,
        repository: str = "odoosh/addons",
        clone_url: str = "",
        rate_limit: int = RATE_LIMIT,
        clock: Callable[[], float] = time.time,
    ):
        self.token = token
        self.clock = clock
        self.rate_limit = rate_limit
        self.requests: list[tuple[str, str, int]] = []  # (method, path?query, status) of each request served
        self.spec_failures: list[str] = []  # responses that did not match GitHub's description
        self._lock = threading.RLock()
        self._ids = iter(range(1000, 10**9))
        self._repos: dict[str, Repository] = {}
        self._labels: dict[str, tuple[int, str]] = {}  # name -> (id, color)
        self._users: dict[str, int] = {}
        self._pulls: dict[tuple[str, int], PullRequest] = {}
        self._comments: dict[int, dict] = {}  # id -> {repo, issue, body, user, created_at, updated_at}
        self._deployments: dict[int, dict] = {}
        self._deployment_statuses: dict[int, list[dict]] = {}
        self._commit_statuses: list[dict] = []
        self._failures: list[Failure] = []
        self._used = 0
        self._window_start = clock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.base = self.add_repository(repository, clone_url)

    # ----------------------------------------------------------------------- lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> GitHubDouble:
        """Listen on `port` (0: a free one, see `url`) and serve in a thread of this process."""
        self._server = make_server(host, port, self._app, threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="github-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)
            self._server = None

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    # ----------------------------------------------------------------------- test hooks

    def add_repository(self, full_name: str, clone_url: str) -> Repository:
        """A repository (the base one, or a fork a PR comes from) with its local clone URL."""
        owner, _, name = full_name.partition("/")
        with self._lock:
            repo = self._repos[full_name] = Repository(owner, name, clone_url, next(self._ids))
            self._user_id(owner)
            return repo

    def open_pull(
        self,
        head_sha: str,
        *,
        head_ref: str = "feature",
        title: str = "A change",
        body: str = "",
        user: str = "alice",
        head_repo: str | None = None,
        base_ref: str = "main",
        base_sha: str = "0" * 40,
        labels: Iterable[str] = (),
    ) -> int:
        """Open a pull request in the base repository; returns its number."""
        with self._lock:
            number = 1 + max((n for (_, n) in self._pulls), default=0)
            now = self.clock()
            self._user_id(user)
            self._pulls[(self.base.full_name, number)] = PullRequest(
                number=number,
                id=next(self._ids),
                title=title,
                body=body,
                user=user,
                head_repo=head_repo or self.base.full_name,
                head_ref=head_ref,
                head_sha=head_sha,
                base_ref=base_ref,
                base_sha=base_sha,
                created_at=now,
                updated_at=now,
            )
            for label in labels:
                self.add_label(number, label)
            return number

    def pull(self, number: int) -> PullRequest:
        return self._pulls[(self.base.full_name, number)]

    def push(self, number: int, sha: str) -> None:
        self._change(number, head_sha=sha)

    def close(self, number: int) -> None:
        self._change(number, state="closed", closed_at=self.clock())

    def reopen(self, number: int) -> None:
        if self.pull(number).merged_at is not None:
            raise ValueError(f"pull request {number} is merged: GitHub cannot reopen it")
        self._change(number, state="open", closed_at=None)

    def merge(self, number: int) -> None:
        now = self.clock()
        self._change(number, state="closed", closed_at=now, merged_at=now)

    def add_label(self, number: int, name: str) -> None:
        with self._lock:
            if name not in self._labels:
                self._labels[name] = (next(self._ids), "ededed")
            if name not in self.pull(number).labels:
                self._change(number, labels=[*self.pull(number).labels, name])

    def remove_label(self, number: int, name: str) -> None:
        self._change(number, labels=[label for label in self.pull(number).labels if label != name])

    def fail_next(
        self, count: int = 1, *, status: int = 403, rate_limited: bool = True, retry_after: int | None = None
    ) -> None:
        """The next `count` requests fail: a 403 (or 429) rate limit, or a 5xx."""
        with self._lock:
            self._failures += [Failure(status, rate_limited and status in (403, 429), retry_after)] * count

    def comments(self, number: int) -> list[dict]:
        with self._lock:
            return [dict(c) for c in self._comments.values() if c["issue"] == number]

    def deployments(self, environment: str | None = None) -> list[dict]:
        """Deployments (with their statuses under `statuses`, oldest first)."""
        with self._lock:
            return [
                {"id": i, **d, "statuses": list(self._deployment_statuses[i])}
                for i, d in self._deployments.items()
                if environment is None or d["environment"] == environment
            ]

    def commit_statuses(self) -> list[dict]:
        with self._lock:
            return list(self._commit_statuses)

    def request_count(self) -> int:
        return len(self.requests)

    def _change(self, number: int, **changes: Any) -> None:
        with self._lock:
            pull = self.pull(number)
            for name, value in changes.items():
                setattr(pull, name, value)
            pull.updated_at = self.clock()

    def _user_id(self, login: str) -> int:
        if login not in self._users:
            self._users[login] = next(self._ids)
        return self._users[login]

    # ----------------------------------------------------------------------- HTTP

    def _app(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        with self._lock:
            response = self._serve(request)
            if response.status_code != 304:
                self._check_response(request, response)
            self.requests.append((request.method, request.full_path.rstrip("?"), response.status_code))
        return response(environ, start_response)

    def _serve(self, request: Request) -> Response:
        self._roll_window()
        if self._failures:
            failure = self._failures.pop(0)
            if failure.rate_limited:
                return self._rate_limited(failure.status, failure.retry_after)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            return self._error(failure.status, HTTPStatus(failure.status).phrase, headers)
        if request.headers.get("Authorization") not in (f"Bearer {self.token}", f"token {self.token}"):
            return self._error(401, "Bad credentials")
        if self._used >= self.rate_limit:
            return self._rate_limited(403, None)
        try:
            operation_id, _ = routes().bind("double").match(request.path, method=request.method)
        except HTTPException:  # NotFound or MethodNotAllowed: GitHub answers 404 to both
            return self._error(404, "Not Found")
        openapi_request = _OpenAPIRequest(request)
        checked = openapi().unmarshal_request(openapi_request)
        if refused := self._refusal(request, operation_id, checked.errors):
            return refused
        handler = getattr(self, "_op_" + operation_id.replace("/", "_").replace("-", "_"), None)
        if handler is None:
            return self._error(501, f"{operation_id} is described by GitHub but not served by the double")
        status, body, headers = handler(checked.parameters.path, checked.parameters.query, checked.body or {})
        response = self._json(status, body, headers)
        if request.method == "GET" and status == 200:
            response.set_etag(hashlib.sha256(response.get_data()).hexdigest(), weak=True)
            if request.if_none_match.contains_weak(response.get_etag()[0]):
                not_modified = Response(status=304, headers={"ETag": response.headers["ETag"]})
                if "Link" in response.headers:
                    not_modified.headers["Link"] = response.headers["Link"]
                self._rate_headers(not_modified)  # a 304 is free: GitHub does not count it
                return not_modified
        self._used += 1
        self._rate_headers(response)
        return response

    def _refusal(self, request: Request, operation_id: str, errors: list) -> Response | None:
        """GitHub's answer to a request its description refuses, or None."""
        _, _, operation = operations()[operation_id]
        declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        if unknown := sorted(set(request.args) - declared):
            return self._invalid(f"Unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}.")
        for error in errors:
            cause = error.__cause__
            if isinstance(error, MissingRequestBodyError):
                return self._invalid("Request body is missing.")
            if isinstance(cause, MediaTypeDeserializeError):
                return self._error(400, "Problems parsing JSON")
            if isinstance(cause, MediaTypeNotFound):
                return self._error(415, "Unsupported 'Content-Type' header")
            details = [
                f"For '{'/'.join(map(str, ['properties', *e.path])) if e.path else 'body'}', {e.message}."
                for e in getattr(cause, "schema_errors", ()) or ()
            ]
            if isinstance(error, ParameterValidationError):
                details = details or [f"Invalid value for parameter '{error.name}'."]
            if isinstance(error, PathError):
                return self._error(404, "Not Found")
            return self._invalid("\n".join(details) or str(error))
        return None

    def _invalid(self, detail: str) -> Response:
        return self._json(
            422, {"message": f"Invalid request.\n\n{detail}", "documentation_url": DOCS, "status": "422"}, {}
        )

    def _error(self, status: int, message: str, headers: dict | None = None) -> Response:
        response = self._json(
            status, {"message": message, "documentation_url": DOCS, "status": str(status)}, headers or {}
        )
        self._rate_headers(response)
        return response

    def _rate_limited(self, status: int, retry_after: int | None) -> Response:
        """GitHub's primary rate limit (remaining 0, reset time) or, with Retry-After, its secondary one."""
        response = self._error(status, f"API rate limit exceeded for user ID {self._user_id('odoosh-bot')}.")
        self._rate_headers(response, remaining=0)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    def _rate_headers(self, response: Response, remaining: int | None = None) -> None:
        left = max(self.rate_limit - self._used, 0) if remaining is None else remaining
        response.headers.update(
            {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(left),
                "X-RateLimit-Used": str(self.rate_limit - left),
                "X-RateLimit-Reset": str(int(self._window_start + RATE_WINDOW_S)),
                "X-RateLimit-Resource": "core",
            }
        )

    def _roll_window(self) -> None:
        if self.clock() >= self._window_start + RATE_WINDOW_S:
            self._window_start, self._used = self.clock(), 0

    @staticmethod
    def _json(status: int, body: Any, headers: dict) -> Response:
        data = b"" if body is None else json.dumps(body).encode()
        content_type = "application/json; charset=utf-8" if body is not None else None
        return Response(data, status=status, headers=headers, content_type=content_type)

    def _check_response(self, request: Request, response: Response) -> None:
        """Hold every answer to GitHub's description: the operation's response schema, or GitHub's
        Basic Error for an error status the operation does not declare. A mismatch becomes a loud
        500, kept in `spec_failures`."""
        try:
            operation_id, _ = routes().bind("double").match(request.path, method=request.method)
        except HTTPException:
            operation_id = None
        problems: list[str] = []
        if operation_id and (response_schema(operation_id, response.status_code) or response.status_code < 400):
            result = openapi().unmarshal_response(_OpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            for error in result.errors:
                schema_errors = getattr(error.__cause__, "schema_errors", None)
                problems += [f"{list(e.path)}: {e.message}" for e in schema_errors] if schema_errors else [str(error)]
        else:
            problems += [e.message for e in error_validator().iter_errors(json.loads(response.get_data()))]
        if problems:
            failure = f"{operation_id or request.path} {response.status_code}: " + "; ".join(problems[:5])
            self.spec_failures.append(failure)
            response.status_code = 500
            response.set_data(json.dumps({"message": f"double's response does not match the spec: {failure}"}))

    # ----------------------------------------------------------------------- bodies, from the spec

    def _body(self, operation_id: str, status: int, given: Any) -> Any:
        return fill(response_schema(operation_id, status), given, self._placeholder)

    def _placeholder(self, schema: dict) -> Any:
        if schema.get("format") == "date-time":
            return _iso(self.clock())
        if schema.get("format") == "uri":
            return f"{self.url}/placeholder"
        return None

    def _user(self, login: str) -> dict:
        return {
            "login": login,
            "id": self._user_id(login),
            "node_id": f"U_{self._user_id(login)}",
            "type": "Bot" if login.endswith("[bot]") else "User",
            "site_admin": False,
            "url": f"{self.url}/users/{login}",
            "html_url": f"{self.url}/{login}",
        }

    def _repo(self, full_name: str) -> dict | None:
        repo = self._repos.get(full_name)
        if repo is None:
            return None  # a deleted fork: GitHub sends head.repo null
        return {
            "id": repo.id,
            "node_id": f"R_{repo.id}",
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self._user(repo.owner),
            "private": False,
            "fork": repo.full_name != self.base.full_name,
            "clone_url": repo.clone_url,
            "default_branch": repo.default_branch,
            "url": f"{self.url}/repos/{repo.full_name}",
            "html_url": f"{self.url}/{repo.full_name}",
        }

    def _pull_json(self, pull: PullRequest) -> dict:
        api = f"{self.url}/repos/{self.base.full_name}"
        head_repo = self._repo(pull.head_repo)
        head_owner = pull.head_repo.partition("/")[0]
        return {
            "id": pull.id,
            "node_id": f"PR_{pull.id}",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "body": pull.body or None,
            "draft": pull.draft,
            "user": self._user(pull.user),
            "labels": [self._label_json(name) for name in pull.labels],
            "created_at": _iso(pull.created_at),
            "updated_at": _iso(pull.updated_at),
            "closed_at": _iso(pull.closed_at),
            "merged_at": _iso(pull.merged_at),
            "merge_commit_sha": None,
            "head": {
                "label": f"{head_owner}:{pull.head_ref}",
                "ref": pull.head_ref,
                "sha": pull.head_sha,
                "repo": head_repo,
                "user": self._user(head_owner),
            },
            "base": {
                "label": f"{self.base.owner}:{pull.base_ref}",
                "ref": pull.base_ref,
                "sha": pull.base_sha,
                "repo": self._repo(self.base.full_name),
                "user": self._user(self.base.owner),
            },
            "url": f"{api}/pulls/{pull.number}",
            "html_url": f"{self.url}/{self.base.full_name}/pull/{pull.number}",
            "issue_url": f"{api}/issues/{pull.number}",
            "author_association": "CONTRIBUTOR",
        }

    def _label_json(self, name: str) -> dict:
        label_id, color = self._labels[name]
        return {
            "id": label_id,
            "node_id": f"LA_{label_id}",
            "url": f"{self.url}/repos/{self.base.full_name}/labels/{name}",
            "name": name,
            "description": "",
            "color": color,
            "default": False,
        }

    def _page(self, operation_id: str, items: list, query: dict, path: str) -> tuple[int, list, dict]:
        """One page of `items` and GitHub's Link header to the others."""
        per_page = min(max(int(query.get("per_page") or DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
        page = max(int(query.get("page") or 1), 1)
        last = max((len(items) + per_page - 1) // per_page, 1)
        links = []
        for rel, target in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
            if 1 <= target <= last and target != page:
                args = {**{k: v for k, v in query.items() if v is not None}, "per_page": per_page, "page": target}
                links.append(f'<{self.url}{path}?{urlencode(args)}>; rel="{rel}"')
        headers = {"Link": ", ".join(links)} if links else {}
        chunk = items[(page - 1) * per_page : page * per_page]
        return 200, self._body(operation_id, 200, chunk), headers

    def _known_repo(self, path: dict) -> Repository | None:
        return self._repos.get(f"{path['owner']}/{path['repo']}")

    # ----------------------------------------------------------------------- operations

    def _not_found(self) -> tuple[int, dict, dict]:
        return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}

    def _op_pulls_list(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        if repo is None:
            return self._not_found()
        state = query.get("state", "open")
        pulls = [p for (r, _), p in self._pulls.items() if r == repo.full_name and state in ("all", p.state)]
        sort = query.get("sort") or "created"
        key = {"created": "created_at", "updated": "updated_at"}.get(sort, "created_at")
        direction = query.get("direction") or ("desc" if sort == "created" else "asc")  # GitHub's defaults
        pulls.sort(key=lambda p: (getattr(p, key), p.number), reverse=direction == "desc")
        return self._page("pulls/list", [self._pull_json(p) for p in pulls], query, f"/repos/{repo.full_name}/pulls")

    def _op_pulls_get(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        pull = self._pulls.get((repo.full_name, path["pull_number"])) if repo else None
        if pull is None:
            return self._not_found()
        data = self._pull_json(pull)
        data.update({"merged": pull.merged_at is not None, "mergeable": None, "comments": 0, "commits": 1})
        return 200, self._body("pulls/get", 200, data), {}

    def _issue(self, path: dict) -> PullRequest | None:
        repo = self._known_repo(path)
        return self._pulls.get((repo.full_name, path["issue_number"])) if repo else None

    def _comment_json(self, comment_id: int) -> dict:
        c = self._comments[comment_id]
        return {
            "id": comment_id,
            "node_id": f"IC_{comment_id}",
            "url": f"{self.url}/repos/{self.base.full_name}/issues/comments/{comment_id}",
            "html_url": f"{self.url}/{self.base.full_name}/pull/{c['issue']}#issuecomment-{comment_id}",
            "issue_url": f"{self.url}/repos/{self.base.full_name}/issues/{c['issue']}",
            "body": c["body"],
            "user": self._user(c["user"]),
            "created_at": _iso(c["created_at"]),
            "updated_at": _iso(c["updated_at"]),
            "author_association": "NONE",
        }

    def _op_issues_list_comments(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._issue(path) is None:
            return self._not_found()
        items = [self._comment_json(i) for i, c in sorted(self._comments.items()) if c["issue"] == path["issue_number"]]
        return self._page(
            "issues/list-comments",
            items,
            query,
            f"/repos/{path['owner']}/{path['repo']}/issues/{path['issue_number']}/comments",
        )

    def _op_issues_create_comment(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._issue(path) is None:
            return self._not_found()
        comment_id, now = next(self._ids), self.clock()
        self._comments[comment_id] = {
            "issue": path["issue_number"],
            "body": body["body"],
            "user": "odoosh-bot",
            "created_at": now,
            "updated_at": now,
        }
        data = self._comment_json(comment_id)
        return 201, self._body("issues/create-comment", 201, data), {"Location": data["url"]}

    def _op_issues_update_comment(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        comment = self._comments.get(path["comment_id"])
        if comment is None or self._known_repo(path) is None:
            return self._not_found()
        comment.update(body=body["body"], updated_at=self.clock())
        return 200, self._body("issues/update-comment", 200, self._comment_json(path["comment_id"])), {}

    def _op_issues_delete_comment(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._comments.pop(path["comment_id"], None) is None:
            return self._not_found()
        return 204, None, {}

    def _op_issues_list_labels_on_issue(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        pull = self._issue(path)
        if pull is None:
            return self._not_found()
        items = [self._label_json(name) for name in pull.labels]
        return self._page(
            "issues/list-labels-on-issue",
            items,
            query,
            f"/repos/{path['owner']}/{path['repo']}/issues/{pull.number}/labels",
        )

    def _deployment_json(self, deployment_id: int) -> dict:
        d = self._deployments[deployment_id]
        return {
            "id": deployment_id,
            "node_id": f"DE_{deployment_id}",
            "url": f"{self.url}/repos/{self.base.full_name}/deployments/{deployment_id}",
            "statuses_url": f"{self.url}/repos/{self.base.full_name}/deployments/{deployment_id}/statuses",
            "repository_url": f"{self.url}/repos/{self.base.full_name}",
            "sha": d["sha"],
            "ref": d["ref"],
            "task": d["task"],
            "payload": d["payload"],
            "environment": d["environment"],
            "original_environment": d["environment"],
            "description": d["description"],
            "transient_environment": d["transient_environment"],
            "production_environment": d["production_environment"],
            "creator": self._user("odoosh-bot"),
            "created_at": _iso(d["created_at"]),
            "updated_at": _iso(d["updated_at"]),
        }

    def _op_repos_create_deployment(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._known_repo(path) is None:
            return self._not_found()
        ref = body["ref"]
        known = {p.head_sha for p in self._pulls.values()} | {p.head_ref for p in self._pulls.values()}
        if ref not in known:
            return 422, {"message": f"No ref found for: {ref}", "documentation_url": DOCS}, {}
        deployment_id, now = next(self._ids), self.clock()
        sha = next((p.head_sha for p in self._pulls.values() if ref in (p.head_sha, p.head_ref)), ref)
        self._deployments[deployment_id] = {
            "sha": sha,
            "ref": ref,
            "task": body.get("task", "deploy"),
            "payload": body.get("payload", {}),
            "environment": body.get("environment", "production"),
            "description": body.get("description"),
            "transient_environment": body.get("transient_environment", False),
            "production_environment": body.get("production_environment", body.get("environment") == "production"),
            "created_at": now,
            "updated_at": now,
        }
        self._deployment_statuses[deployment_id] = []
        return 201, self._body("repos/create-deployment", 201, self._deployment_json(deployment_id)), {}

    def _op_repos_list_deployments(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._known_repo(path) is None:
            return self._not_found()
        items = [
            self._deployment_json(i)
            for i, d in sorted(self._deployments.items(), reverse=True)
            if all(query.get(k) in (None, "none", d[k]) for k in ("sha", "ref", "task", "environment"))
        ]
        return self._page("repos/list-deployments", items, query, f"/repos/{path['owner']}/{path['repo']}/deployments")

    def _status_json(self, deployment_id: int, status: dict) -> dict:
        base = f"{self.url}/repos/{self.base.full_name}/deployments/{deployment_id}"
        return {
            "id": status["id"],
            "node_id": f"DES_{status['id']}",
            "url": f"{base}/statuses/{status['id']}",
            "state": status["state"],
            "creator": self._user("odoosh-bot"),
            "description": status.get("description", ""),
            "environment": status["environment"],
            "environment_url": status.get("environment_url", ""),
            "log_url": status.get("log_url", ""),
            "target_url": status.get("log_url", ""),
            "deployment_url": base,
            "repository_url": f"{self.url}/repos/{self.base.full_name}",
            "created_at": _iso(status["created_at"]),
            "updated_at": _iso(status["created_at"]),
        }

    def _op_repos_create_deployment_status(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        deployment = self._deployments.get(path["deployment_id"])
        if deployment is None or self._known_repo(path) is None:
            return self._not_found()
        status = {
            **{k: v for k, v in body.items() if k in ("state", "description", "environment_url", "log_url")},
            "id": next(self._ids),
            "environment": body.get("environment", deployment["environment"]),
            "created_at": self.clock(),
        }
        if body["state"] == "success" and body.get("auto_inactive", True):
            # GitHub's auto_inactive, as its description says: an inactive status for the prior
            # deployments to the same environment that are neither transient nor production,
            # and only those whose state is success. A transient environment's stay as they are.
            for other_id, other in self._deployments.items():
                if (
                    other_id < path["deployment_id"]
                    and other["environment"] == deployment["environment"]
                    and not other["transient_environment"]
                    and not other["production_environment"]
                ):
                    statuses = self._deployment_statuses[other_id]
                    if statuses and statuses[-1]["state"] == "success":
                        statuses.append(
                            {**statuses[-1], "id": next(self._ids), "state": "inactive", "created_at": self.clock()}
                        )
        self._deployment_statuses[path["deployment_id"]].append(status)
        deployment["updated_at"] = self.clock()
        data = self._status_json(path["deployment_id"], status)
        return 201, self._body("repos/create-deployment-status", 201, data), {}

    def _op_repos_list_deployment_statuses(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        statuses = self._deployment_statuses.get(path["deployment_id"])
        if statuses is None or self._known_repo(path) is None:
            return self._not_found()
        items = [self._status_json(path["deployment_id"], s) for s in reversed(statuses)]
        where = f"/repos/{path['owner']}/{path['repo']}/deployments/{path['deployment_id']}/statuses"
        return self._page("repos/list-deployment-statuses", items, query, where)

    def _op_repos_create_commit_status(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        if self._known_repo(path) is None:
            return self._not_found()
        status_id, now = next(self._ids), self.clock()
        status = {"id": status_id, "sha": path["sha"], "context": body.get("context", "default"), **body}
        self._commit_statuses.append(status)
        data = {
            "id": status_id,
            "node_id": f"SC_{status_id}",
            "url": f"{self.url}/repos/{self.base.full_name}/statuses/{path['sha']}",
            "state": body["state"],
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": status["context"],
            "creator": self._user("odoosh-bot"),
            "created_at": _iso(now),
            "updated_at": _iso(now),
        }
        return 201, self._body("repos/create-commit-status", 201, data), {}

    # ----------------------------------------------------------------------- git data: refs, contents, commits
    # Served from the repository's local git repository (its clone_url), so what a client writes
    # through the API is what a clone then sees.

    def _git_dir(self, repo: Repository) -> str:
        return urlsplit(repo.clone_url).path if repo.clone_url.startswith("file:") else repo.clone_url

    def _repo_git(
        self, repo: Repository, *args: str, stdin: bytes | None = None, env: dict | None = None
    ) -> str | None:
        """git's stdout in the repository, or None when git fails (an unknown ref or path)."""
        result = subprocess.run(
            ["git", "-C", self._git_dir(repo), *args],
            input=stdin,
            capture_output=True,
            env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, **(env or {})},
            timeout=60,
        )
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def _resolve(self, repo: Repository, ref: str) -> str | None:
        return self._repo_git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")

    def _branch_moved(self, repo: Repository, branch: str, sha: str) -> None:
        """GitHub moves an open PR's head with its branch."""
        for pull in self._pulls.values():
            if pull.head_repo == repo.full_name and pull.head_ref == branch and pull.state == "open":
                pull.head_sha, pull.updated_at = sha, self.clock()

    def _ref_json(self, repo: Repository, ref: str, sha: str) -> dict:
        api = f"{self.url}/repos/{repo.full_name}"
        return {
            "ref": ref,
            "node_id": f"REF_{hashlib.sha1(ref.encode()).hexdigest()[:12]}",
            "url": f"{api}/git/{ref}",
            "object": {"type": "commit", "sha": sha, "url": f"{api}/git/commits/{sha}"},
        }

    def _op_repos_get_commit(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        sha = self._resolve(repo, path["ref"]) if repo else None
        if sha is None:
            return (
                (422, {"message": f"No commit found for SHA: {path['ref']}", "documentation_url": DOCS}, {})
                if repo
                else self._not_found()
            )
        api = f"{self.url}/repos/{repo.full_name}"
        data = {
            "sha": sha,
            "node_id": f"C_{sha}",
            "url": f"{api}/commits/{sha}",
            "html_url": f"{self.url}/{repo.full_name}/commit/{sha}",
        }
        return 200, self._body("repos/get-commit", 200, data), {}

    def _op_git_create_ref(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        if repo is None:
            return self._not_found()
        ref = body["ref"]
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return 422, {"message": f"{ref} is not a valid ref name.", "documentation_url": DOCS}, {}
        if self._repo_git(repo, "rev-parse", "--verify", "--quiet", ref) is not None:
            return 422, {"message": "Reference already exists", "documentation_url": DOCS}, {}
        sha = self._resolve(repo, body["sha"]) if len(body["sha"]) == 40 else None
        if sha is None or self._repo_git(repo, "update-ref", ref, sha, "0" * 40) is None:
            return 422, {"message": "Object does not exist", "documentation_url": DOCS}, {}
        data = self._ref_json(repo, ref, sha)
        return 201, self._body("git/create-ref", 201, data), {"Location": data["url"]}

    def _op_git_update_ref(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        if repo is None:
            return self._not_found()
        ref = "refs/" + unquote(path["ref"])
        old = self._repo_git(repo, "rev-parse", "--verify", "--quiet", ref)
        if old is None:
            return 422, {"message": "Reference does not exist", "documentation_url": DOCS}, {}
        sha = self._resolve(repo, body["sha"]) if len(body["sha"]) == 40 else None
        if sha is None:
            return 422, {"message": "Object does not exist", "documentation_url": DOCS}, {}
        fast_forward = self._repo_git(repo, "merge-base", "--is-ancestor", old, sha) is not None
        if not fast_forward and not body.get("force", False):
            return 422, {"message": "Update is not a fast forward", "documentation_url": DOCS}, {}
        self._repo_git(repo, "update-ref", ref, sha, old)
        if ref.startswith("refs/heads/"):
            self._branch_moved(repo, ref.removeprefix("refs/heads/"), sha)
        return 200, self._body("git/update-ref", 200, self._ref_json(repo, ref, sha)), {}

    def _content_json(self, repo: Repository, file_path: str, blob: str, size: int, ref: str) -> dict:
        api = f"{self.url}/repos/{repo.full_name}"
        html = f"{self.url}/{repo.full_name}/blob/{ref}/{file_path}"
        git_url = f"{api}/git/blobs/{blob}"
        return {
            "type": "file",
            "name": file_path.rsplit("/", 1)[-1],
            "path": file_path,
            "sha": blob,
            "size": size,
            "url": f"{api}/contents/{file_path}?ref={ref}",
            "git_url": git_url,
            "html_url": html,
            "download_url": f"{self.url}/raw/{repo.full_name}/{ref}/{file_path}",
            "_links": {"self": f"{api}/contents/{file_path}?ref={ref}", "git": git_url, "html": html},
        }

    def _op_repos_get_content(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        path = {**path, "path": unquote(path["path"])}
        if repo is None:
            return self._not_found()
        ref = query.get("ref") or repo.default_branch
        commit = self._resolve(repo, ref)
        blob = self._repo_git(repo, "rev-parse", "--verify", "--quiet", f"{commit}:{path['path']}") if commit else None
        kind = self._repo_git(repo, "cat-file", "-t", blob) if blob else None
        if kind != "blob":  # a missing file (directories are not served by the double)
            return self._not_found()
        content = subprocess.run(
            ["git", "-C", self._git_dir(repo), "cat-file", "blob", blob], capture_output=True, check=True
        ).stdout
        data = self._content_json(repo, path["path"], blob, len(content), ref)
        data |= {"encoding": "base64", "content": base64.encodebytes(content).decode()}
        return 200, self._body("repos/get-content", 200, data), {}

    def _op_repos_create_or_update_file_contents(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        path = {**path, "path": unquote(path["path"])}
        if repo is None:
            return self._not_found()
        branch = body.get("branch") or repo.default_branch
        parent = self._repo_git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        if parent is None:
            return 404, {"message": f"Branch {branch} not found", "documentation_url": DOCS, "status": "404"}, {}
        file_path = path["path"]
        existing = self._repo_git(repo, "rev-parse", "--verify", "--quiet", f"{parent}:{file_path}")
        if existing is not None and "sha" not in body:
            return 422, {"message": 'Invalid request.\n\n"sha" wasn\'t supplied.', "documentation_url": DOCS}, {}
        if existing is not None and body["sha"] != existing:
            return 409, {"message": f"{file_path} does not match {body['sha']}", "documentation_url": DOCS}, {}
        try:
            content = base64.b64decode(body["content"], validate=True)
        except ValueError:
            return 422, {"message": "content is not valid Base64", "documentation_url": DOCS}, {}
        blob = self._repo_git(repo, "hash-object", "-w", "--stdin", stdin=content)
        identity = {"GIT_AUTHOR_NAME": "odoosh-bot", "GIT_AUTHOR_EMAIL": "odoosh-bot@localhost"}
        identity |= {"GIT_COMMITTER_NAME": "odoosh-bot", "GIT_COMMITTER_EMAIL": "odoosh-bot@localhost"}
        index = (
            Path(tempfile.gettempdir()) / f"github-double-index-{os.getpid()}-{next(self._ids)}"
        )  # not in the work tree
        env = {"GIT_INDEX_FILE": str(index), **identity}
        try:
            self._repo_git(repo, "read-tree", parent, env=env)
            self._repo_git(repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{file_path}", env=env)
            tree = self._repo_git(repo, "write-tree", env=env)
        finally:
            index.unlink(missing_ok=True)
        commit = self._repo_git(repo, "commit-tree", tree, "-p", parent, "-m", body["message"], env=env)
        self._repo_git(repo, "update-ref", f"refs/heads/{branch}", commit, parent)
        self._branch_moved(repo, branch, commit)
        api = f"{self.url}/repos/{repo.full_name}"
        data = {
            "content": self._content_json(repo, file_path, blob, len(content), branch),
            "commit": {
                "sha": commit,
                "node_id": f"C_{commit}",
                "url": f"{api}/git/commits/{commit}",
                "message": body["message"],
            },
        }
        status = 200 if existing is not None else 201
        return status, self._body("repos/create-or-update-file-contents", status, data), {}

    def _op_pulls_create(self, path: dict, query: dict, body: dict) -> tuple[int, Any, dict]:
        repo = self._known_repo(path)
        if repo is None:
            return self._not_found()
        head_owner, _, head_ref = body["head"].rpartition(":")
        head_repo = self._repos.get(f"{head_owner}/{repo.name}") if head_owner else repo
        head_sha = self._resolve(head_repo, f"refs/heads/{head_ref}") if head_repo else None
        base_sha = self._resolve(repo, f"refs/heads/{body['base']}")
        if head_sha is None or base_sha is None or not body.get("title"):
            return (
                422,
                {
                    "message": "Validation Failed",
                    "documentation_url": DOCS,
                    "errors": [{"resource": "PullRequest", "code": "invalid"}],
                },
                {},
            )
        for pull in self._pulls.values():
            if (pull.head_repo, pull.head_ref, pull.base_ref, pull.state) == (
                head_repo.full_name,
                head_ref,
                body["base"],
                "open",
            ):
                message = f"A pull request already exists for {head_repo.owner}:{head_ref}."
                return (
                    422,
                    {
                        "message": "Validation Failed",
                        "documentation_url": DOCS,
                        "errors": [{"resource": "PullRequest", "code": "custom", "message": message}],
                    },
                    {},
                )
        number = self.open_pull(
            head_sha,
            head_ref=head_ref,
            title=body["title"],
            body=body.get("body") or "",
            user="odoosh-bot",
            head_repo=head_repo.full_name,
            base_ref=body["base"],
            base_sha=base_sha,
        )
        data = self._pull_json(self.pull(number))
        data.update({"merged": False, "mergeable": None, "comments": 0, "commits": 1})
        return 201, self._body("pulls/create", 201, data), {"Location": data["url"]}


class AddonsRepository:
    """A local git repository of Odoo addons: the code behind a repository of the double,
    cloned by previews through its `clone_url` (file://) as they would clone GitHub's."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._git("init", "--quiet", "--initial-branch=main")

    @property
    def clone_url(self) -> str:
        return self.path.absolute().as_uri()

    def commit(self, addons: dict[str, str], message: str = "addons") -> str:
        """Write one addon per name (a manifest with that version) and commit; returns the SHA."""
        for name, version in addons.items():
            addon = self.path / name
            addon.mkdir(exist_ok=True)
            (addon / "__init__.py").write_text("")
            manifest = {"name": name, "version": version, "depends": ["base"], "license": "LGPL-3"}
            (addon / "__manifest__.py").write_text(repr(manifest) + "\n")
        self._git("add", "--all")
        self._git("commit", "--quiet", "--allow-empty", "-m", message)
        return self._git("rev-parse", "HEAD").strip()

    def _git(self, *args: str) -> str:
        identity = {"GIT_AUTHOR_NAME": "odoosh", "GIT_AUTHOR_EMAIL": "odoosh@localhost"}
        identity |= {"GIT_COMMITTER_NAME": "odoosh", "GIT_COMMITTER_EMAIL": "odoosh@localhost"}
        result = subprocess.run(
            ["git", "-C", str(self.path), *args],
            env={**os.environ, **identity},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise RuntimeError(f"git {args[0]} failed in {self.path}: {result.stderr.strip()}")
        return result.stdout


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def main(argv: list[str] | None = None) -> int:
    """Serve the double as a process of its own (the demo's GitHub), until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m odoosh.sandbox.github_double", description=main.__doc__)
    parser.add_argument("--repository", default="odoosh/addons", help="owner/name of the repository it holds")
    parser.add_argument("--clone-url", required=True, help="the local git repository behind it (path or file://)")
    parser.add_argument("--token-env", default="ODOOSH_GITHUB_TOKEN", help="environment variable holding the token")
    parser.add_argument("--port", type=int, default=0, help="0 (default) picks a free port")
    parser.add_argument("--url-file", type=Path, required=True, help="written with the URL once it listens")
    parser.add_argument("--open-pull", action="append", default=[], metavar="SHA", help="open a PR at this commit")
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env)
    if not token:
        print(f"github double: set {args.token_env} to the token clients must send", file=sys.stderr)
        return 2
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)  # before the server thread starts
    double = GitHubDouble(token, repository=args.repository, clone_url=args.clone_url)
    for n, sha in enumerate(args.open_pull, start=1):
        double.open_pull(sha, head_ref=f"preview-{n}", title=f"Preview {n}")
    double.start(port=args.port)
    partial = args.url_file.with_name(args.url_file.name + ".part")
    partial.write_text(double.url + "\n")
    partial.replace(args.url_file)  # whole or absent: a reader never sees half a URL
    print(f"github double: {args.repository} at {double.url}", file=sys.stderr, flush=True)
    signal.sigwait(stop_signals)
    double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

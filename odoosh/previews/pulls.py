"""What the preview sensor decides, from GitHub's open pull requests and the state it keeps.

Plain data in, plain data out, no I/O: the sensor (`sensors/previews.py`) fetches, calls
`decide`, and turns the `Decision` into run and partition requests. The state is a JSON-able
dict the sensor keeps in its cursor.

The rules:

- Every name derives from the PR number: partition `pr-<n>`; a build's run key is
  `pr-<n>:<head sha>:<preview id>` (a push is a new key, so it rebuilds; the preview id grows
  each time a preview is created, and with time, so a PR torn down and reopened builds again
  even at the same commit, even after a cursor reset). Branch names, titles and bodies are not
  even kept.
- A PR from a fork is built only while it carries the maintainer's label
  (`ODOOSH_PREVIEW_FORK_LABEL`), and its runs are tagged to get no secrets.
- At most `max_previews` previews exist at once. The N+1th PR waits in a queue, oldest PR
  first, with a note on the PR; it is built as soon as a teardown frees a slot.
- A PR closed without merging is torn down at once; a merged one `ttl_hours` after its merge.
  Teardown runs first; the partition is deleted only on a later tick, once that run
  succeeded (a failed teardown is requested again, up to `MAX_TEARDOWN_ATTEMPTS` times).
- While a run of a PR is unfinished, nothing new is requested for it: a push during a build is
  built when the build ends, a close during a build tears down after it.
"""

from __future__ import annotations

import copy
import json
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from odoosh.previews.names import preview_name

STATE_VERSION = 1
MAX_TEARDOWN_ATTEMPTS = 3
DEFAULT_TTL_HOURS = 72.0
DEFAULT_MAX_PREVIEWS = 5
DEFAULT_FORK_LABEL = "preview"
ORPHAN = "unknown"  # the commit of a preview the state lost (its partition is adopted)


class PolicyError(ValueError):
    """A preview setting that cannot work, with how to fix it."""


@dataclass(frozen=True)
class PreviewPolicy:
    ttl_hours: float = DEFAULT_TTL_HOURS  # how long a merged PR's preview stays up
    max_previews: int = DEFAULT_MAX_PREVIEWS
    fork_label: str = DEFAULT_FORK_LABEL

    @classmethod
    def from_env(cls) -> PreviewPolicy:
        """ODOOSH_PREVIEW_TTL_HOURS, ODOOSH_PREVIEW_MAX, ODOOSH_PREVIEW_FORK_LABEL."""
        ttl = _number("ODOOSH_PREVIEW_TTL_HOURS", DEFAULT_TTL_HOURS, float)
        most = _number("ODOOSH_PREVIEW_MAX", DEFAULT_MAX_PREVIEWS, int)
        if ttl < 0 or most < 1:
            raise PolicyError(
                "ODOOSH_PREVIEW_TTL_HOURS must be 0 or more and ODOOSH_PREVIEW_MAX 1 or more "
                f"(got {ttl:g} and {most}); unset, they are {DEFAULT_TTL_HOURS:g} and {DEFAULT_MAX_PREVIEWS}."
            )
        label = (os.environ.get("ODOOSH_PREVIEW_FORK_LABEL") or DEFAULT_FORK_LABEL).strip()
        return cls(ttl_hours=ttl, max_previews=most, fork_label=label)


def _number(name: str, default: float, kind: type) -> Any:
    raw = os.environ.get(name)
    if not raw:
        return kind(default)
    try:
        return kind(raw)
    except ValueError:
        raise PolicyError(f"{name}={raw!r} is not a number: set it like {kind(default)!r}, or unset it.") from None


def partition_key(number: int) -> str:
    """The preview's partition key: its name `pr-<n>`, from the number alone."""
    return preview_name(number)


def number_of(key: str) -> int:
    """The PR number of a partition key `pr-<n>`."""
    prefix, _, digits = key.partition("-")
    if prefix != "pr" or not digits.isdigit():
        raise ValueError(f"{key!r} is not a preview partition key (pr-<number>)")
    return int(digits)


def is_sha(value: object) -> bool:
    return isinstance(value, str) and len(value) == 40 and all(c in string.hexdigits for c in value)


@dataclass(frozen=True)
class Pull:
    """What the sensor keeps of an open pull request: only what its decisions need."""

    number: int
    sha: str
    head_repo: str | None  # owner/name; None when the fork was deleted
    clone_url: str | None
    fork: bool
    labels: tuple[str, ...]
    created_at: str

    @classmethod
    def from_github(cls, data: dict, repository: str) -> Pull:
        """From one item of GitHub's pull request list; ValueError if the item is unusable."""
        number, sha = data.get("number"), (data.get("head") or {}).get("sha")
        if not isinstance(number, int) or number < 1 or not is_sha(sha):
            raise ValueError(f"pull request {number!r} has no usable number or head SHA ({sha!r})")
        head_repo = (data.get("head") or {}).get("repo") or {}
        full_name = head_repo.get("full_name")
        return cls(
            number=number,
            sha=sha.lower(),
            head_repo=full_name,
            clone_url=head_repo.get("clone_url"),
            # From another repository (or a deleted one). Not head.repo.fork: that is true of every
            # branch when the configured repository is itself a fork of another.
            fork=full_name is None or full_name.lower() != repository.lower(),
            labels=tuple(sorted({label["name"] for label in data.get("labels") or [] if "name" in label})),
            created_at=data.get("created_at") or "",
        )


@dataclass(frozen=True)
class Closed:
    """What GitHub says of a PR that left the open list (None: it no longer exists)."""

    merged_at: float | None
    closed_at: float | None

    @classmethod
    def from_github(cls, data: dict | None, now: float) -> Closed | None:
        """None if GitHub says the PR is open after all (the listing was older)."""
        if data is None:
            return cls(merged_at=None, closed_at=now)
        if data.get("state") == "open":
            return None
        return cls(merged_at=_epoch(data.get("merged_at")), closed_at=_epoch(data.get("closed_at")) or now)


@dataclass(frozen=True)
class Build:
    number: int
    sha: str
    run_key: str
    partition_key: str
    head_repo: str | None
    clone_url: str | None
    fork: bool  # a fork's build gets no secrets


@dataclass(frozen=True)
class Teardown:
    number: int
    sha: str
    run_key: str
    partition_key: str
    reason: str  # closed | merged | ...


@dataclass(frozen=True)
class Notice:
    number: int
    kind: str  # queued | needs_label
    detail: dict


@dataclass
class Decision:
    builds: list[Build] = field(default_factory=list)
    teardowns: list[Teardown] = field(default_factory=list)
    add_partitions: list[str] = field(default_factory=list)
    delete_partitions: list[str] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    state: dict = field(default_factory=dict)


def empty_state() -> dict:
    return {"version": STATE_VERSION, "etags": [], "retry_at": None, "serial": 0, "pulls": {}}


def load_state(cursor: str | None) -> dict:
    """The state kept in the sensor's cursor (a fresh one if there is none)."""
    if not cursor:
        return empty_state()
    state = json.loads(cursor)
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise ValueError(
            f"the preview sensor's cursor is not version {STATE_VERSION} state; reset the sensor's cursor in the UI"
        )
    return state


def vanished(state: dict, listing: list[Pull]) -> list[int]:
    """Open PRs of the state that the listing no longer shows: closed or merged, ask GitHub."""
    listed = {p.number for p in listing}
    return sorted(int(n) for n, pr in state["pulls"].items() if pr["open"] and int(n) not in listed)


def decide(
    state: dict,
    listing: list[Pull] | None,
    *,
    closed: dict[int, Closed],
    finished_teardowns: dict[int, bool],
    busy: set[int],
    now: float,
    policy: PreviewPolicy,
    partitions: set[str] = frozenset(),
    published: Mapping[int, str] | None = None,
) -> Decision:
    """One tick. `listing`: the open PRs, None when GitHub answered 304 (unchanged);
    `closed`: for each number `vanished` returned, what GitHub says of it;
    `finished_teardowns`: PR number -> whether its requested teardown run succeeded (only
    finished runs); `busy`: PRs with an unfinished run; `partitions`: the preview partitions
    that exist (one the state does not know, after a cursor reset, is adopted: rebuilt if its
    PR is open, torn down otherwise); `published`: for such partitions, the head commit their
    newest build published (an open PR still at that commit is adopted as built, not rebuilt:
    the demo's first build ran outside the daemon, and its cursor was never saved)."""
    state = copy.deepcopy(state)
    pulls: dict[str, dict] = state["pulls"]
    out = Decision(state=state)
    deleted: set[int] = set()  # partitions deleted this tick are not added again in the same one

    if listing is not None:
        listed = {p.number for p in listing}
        for key in sorted(partitions):
            number = number_of(key)
            if str(number) not in pulls:
                sha = (published or {}).get(number, ORPHAN)
                pulls[str(number)] = {
                    "number": number,
                    "open": number in listed,
                    "merged_at": None,
                    "closed_at": None if number in listed else now,
                    "preview": {"id": _preview_id(state, now), "sha": sha, "teardown": None},
                    "notice": None,
                }
                built = f" as built at {sha[:12]}" if sha != ORPHAN else ""
                out.log.append(f"#{number}: partition {key} was not in the sensor's state; adopted{built}")
        for pull in listing:
            pr = pulls.setdefault(str(pull.number), {"number": pull.number, "preview": None, "notice": None})
            if not pr.get("open", True):
                out.log.append(f"#{pull.number} reopened")
            pr.update(
                open=True,
                sha=pull.sha,
                head_repo=pull.head_repo,
                clone_url=pull.clone_url,
                fork=pull.fork,
                labels=list(pull.labels),
                created_at=pull.created_at,
                merged_at=None,
                closed_at=None,
            )
        for number, info in closed.items():
            pr = pulls.get(str(number))
            if pr is not None and pr["open"]:
                pr.update(open=False, merged_at=info.merged_at, closed_at=info.closed_at)
                out.log.append(f"#{number} {'merged' if info.merged_at is not None else 'closed'}")

    for number_text, pr in list(pulls.items()):
        number = int(number_text)
        preview = pr["preview"]
        teardown = preview.get("teardown") if preview else None
        if teardown is not None and number in finished_teardowns:
            if finished_teardowns[number]:
                out.delete_partitions.append(partition_key(number))
                deleted.add(number)
                out.log.append(f"#{number} torn down")
                pr["preview"] = preview = None
            elif teardown["attempt"] < MAX_TEARDOWN_ATTEMPTS:
                if number not in busy:
                    teardown["attempt"] += 1
                    out.teardowns.append(_teardown(number, preview, teardown))
                    out.log.append(f"#{number} teardown failed; attempt {teardown['attempt']}")
            elif not teardown.get("gave_up"):
                teardown["gave_up"] = True  # the partition stays, so what is left can be found and removed
                out.log.append(f"#{number} teardown failed {teardown['attempt']} times; look at its runs")
        if not pr["open"]:
            if preview is None:
                del pulls[number_text]  # nothing left of it; a reopened PR starts afresh
                continue
            if preview.get("teardown") is None:
                reason, due = (
                    ("merged", pr["merged_at"] + policy.ttl_hours * 3600) if pr["merged_at"] else ("closed", now)
                )
                if now >= due and number not in busy:
                    preview["teardown"] = {"attempt": 1, "reason": reason}
                    out.teardowns.append(_teardown(number, preview, preview["teardown"]))
                    out.log.append(f"#{number} tearing down ({reason})")

    active = sum(1 for pr in pulls.values() if pr["preview"])
    waiting = []
    for pr in sorted(pulls.values(), key=lambda p: (p.get("created_at") or "", p["number"])):
        number = pr["number"]
        if not pr["open"] or number in busy or number in deleted:
            continue
        preview = pr["preview"]
        if preview and preview.get("teardown"):
            continue  # closed and reopened before its teardown ended: built again after it
        if pr["fork"] and policy.fork_label not in pr["labels"]:
            if preview is None and pr["notice"] != "needs_label":
                pr["notice"] = "needs_label"
                out.notices.append(Notice(number, "needs_label", {"label": policy.fork_label}))
            continue
        if preview is None:
            if active >= policy.max_previews:
                waiting.append(pr)
                continue
            pr["preview"] = preview = {"id": _preview_id(state, now), "sha": None, "teardown": None}
            out.add_partitions.append(partition_key(number))
            active += 1
        if preview["sha"] != pr["sha"]:
            preview["sha"] = pr["sha"]
            pr["notice"] = None
            out.builds.append(
                Build(
                    number=number,
                    sha=pr["sha"],
                    run_key=f"{partition_key(number)}:{pr['sha']}:{preview['id']}",
                    partition_key=partition_key(number),
                    head_repo=pr["head_repo"],
                    clone_url=pr["clone_url"],
                    fork=pr["fork"],
                )
            )
    for position, pr in enumerate(waiting, start=1):
        if pr["notice"] != "queued":
            pr["notice"] = "queued"
            out.notices.append(Notice(pr["number"], "queued", {"position": position, "max": policy.max_previews}))
            out.log.append(f"#{pr['number']} queued: {policy.max_previews} previews exist, it is number {position}")
    return out


def _preview_id(state: dict, now: float) -> int:
    """A new preview's id: it grows with each preview and with time, so a run key is never
    reused, even after the cursor was reset (Dagster skips a run key it has seen, forever)."""
    state["serial"] = max(state["serial"] + 1, int(now))
    return state["serial"]


def _teardown(number: int, preview: dict, teardown: dict) -> Teardown:
    key = partition_key(number)
    run_key = f"{key}:{preview['sha']}:{preview['id']}:teardown:{teardown['attempt']}"
    teardown["run_key"] = run_key
    return Teardown(number, preview["sha"], run_key, key, teardown["reason"])


def _epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC).timestamp()

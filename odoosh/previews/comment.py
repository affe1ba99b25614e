"""The one comment per pull request that says where its preview is, or why there is none.

The comment is found again by `MARKER` (an HTML comment GitHub does not show) and updated in
place. Every text that comes from the PR (a branch name, a title) or from a failure message is
passed through `escape`, so it is shown as the characters it is: no HTML, no markdown, no
@mention, no #reference, no link.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass

from odoosh.previews.pulls import Notice

MARKER = "<!-- odoosh-preview -->"
TEXT_LIMIT = 300
# Invisible, and it breaks what GitHub turns into a mention (@x), a reference (#1), a link (x:// or www.x).
_BREAK = "\u200b"
_BREAK_AFTER = "@#:."
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def escape(text: object, limit: int = TEXT_LIMIT) -> str:
    """`text` as inert markdown: control characters and newlines become spaces, HTML's
    characters entities, every other ASCII punctuation is backslash-escaped, and a zero-width
    space follows @, #, : and . so GitHub links nothing."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    out = []
    for c in flat:
        if c in _ENTITIES:
            out.append(_ENTITIES[c])
        elif c in string.punctuation:
            out.append("\\" + c + (_BREAK if c in _BREAK_AFTER else ""))
        else:
            out.append(c)
    return "".join(out)


def _code(sha: str) -> str:
    """A commit SHA in a code span; only hex digits pass."""
    if not (len(sha) >= 7 and all(c in string.hexdigits for c in sha)):
        raise ValueError(f"not a commit SHA: {sha!r}")
    return f"`{sha[:12]}`"


def _url(url: str, schemes: tuple[str, ...] = ("https://", "http://")) -> str:
    """A URL the platform built, in angle brackets (an autolink, or a link's destination);
    anything odd in it is a bug."""
    if not url.startswith(schemes) or any(c.isspace() or c in "<>\"'`" for c in url):
        raise ValueError(f"not a URL to publish: {url!r}")
    return f"<{url}>"


@dataclass(frozen=True)
class SmokeLine:
    """One smoke check's result as the comment shows it."""

    name: str
    passed: bool
    detail: str = ""


def _smoke_table(smoke: Iterable[SmokeLine]) -> list[str]:
    lines = ["| check | result | detail |", "|---|---|---|"]
    lines += [
        f"| {escape(s.name, 80)} | {'✅ passed' if s.passed else '❌ failed'} | {escape(s.detail, 200)} |"
        for s in smoke
    ]
    return lines if len(lines) > 2 else []


def _header(number: int, sha: str, branch: str | None) -> str:
    source = f" from branch {escape(branch, 120)}" if branch else ""
    return f"Preview of #{int(number)} at commit {_code(sha)}{source}"


def building_body(number: int, sha: str, *, branch: str | None = None) -> str:
    """The comment while a build runs (a rebuild after a push replaces the previous URL)."""
    return f"{MARKER}\n### ⏳ {_header(number, sha, branch)}: building\n"


def success_body(
    number: int, sha: str, url: str, smoke: Iterable[SmokeLine], seconds: float, *, branch: str | None = None
) -> str:
    """The comment once the preview passed its smoke checks: the URL, commit, checks, build time."""
    lines = [
        MARKER,
        f"### ✅ {_header(number, sha, branch)}",
        "",
        f"**URL:** {_url(url)}",
        "",
        *_smoke_table(smoke),
        "",
        f"Built in {seconds:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def failure_body(
    number: int,
    sha: str,
    step: str,
    error: str,
    smoke: Iterable[SmokeLine] = (),
    seconds: float | None = None,
    *,
    branch: str | None = None,
    note: str | None = None,
) -> str:
    """The comment of a failed build: what failed and why, and no URL (`note`: the platform's
    own words on what became of the preview)."""
    lines = [
        MARKER,
        f"### ❌ {_header(number, sha, branch)}: no preview",
        "",
        f"**Failed:** {escape(step, 80)}: {escape(error, 600)}",
        "",
        *_smoke_table(smoke),
    ]
    if note:
        lines += ["", escape(note, 300)]
    if seconds is not None:
        lines += ["", f"Gave up after {seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def torn_down_body(number: int, sha: str, reason: str) -> str:
    """The comment once a preview is gone (closed, merged and past its time)."""
    return f"{MARKER}\n### Preview of #{int(number)} at commit {_code(sha)} removed ({escape(reason, 80)}).\n"


def notice_body(notice: Notice) -> str:
    """Why a PR has no preview yet: queued behind the limit, or a fork waiting for its label."""
    if notice.kind == "queued":
        text = (
            f"⏳ No preview yet: {int(notice.detail['max'])} previews are running, the most at once. "
            f"This PR is number {int(notice.detail['position'])} in the queue (oldest PR first) and is built "
            "as soon as one of them is removed."
        )
    elif notice.kind == "needs_label":
        text = (
            "🔒 No preview yet: this PR comes from a fork. A maintainer builds it by adding the label "
            f"{escape(notice.detail['label'], 50)}; fork previews get no secrets."
        )
    else:
        raise ValueError(f"unknown notice {notice.kind!r}")
    return f"{MARKER}\n{text}\n"


# ----------------------------------------------------------------------- the visual section

VISUAL_START = "<!-- odoosh-visual -->"
VISUAL_END = "<!-- /odoosh-visual -->"
VISUAL_ROWS = 10
REPORT_SCHEMES = ("https://", "http://", "file://")


@dataclass(frozen=True)
class VisualLine:
    """One route and viewport of the visual gate, as the comment shows it."""

    route: str
    viewport: str
    status: str  # passed | failed | new | error
    score: float | None
    region_score: float | None
    reason: str


def visual_section(
    lines: Iterable[VisualLine],
    *,
    passed: bool,
    override: str | None,
    report_url: str,
    thumbnail_url: str | None,
) -> str:
    """The gate's part of the comment: the verdict, the worst rows first, the report, a thumbnail."""
    lines = sorted(lines, key=lambda v: (v.status in ("passed", "new"), v.region_score or 0.0))
    failing = sum(v.status in ("failed", "error") for v in lines)
    if override:
        head = f"✅ Visual parity: passed by override (label {escape(override, 50)}), {failing} route(s) changed"
    elif passed:
        head = "✅ Visual parity: passed"
    else:
        head = f"❌ Visual parity: {failing} route(s) failed"
    out = [VISUAL_START, f"#### {head}", "", "| route | viewport | result | SSIM | worst region | why |"]
    out.append("|---|---|---|---|---|---|")
    for v in lines[:VISUAL_ROWS]:
        score = "" if v.score is None else f"{v.score:.4f}"
        region = "" if v.region_score is None else f"{v.region_score:.4f}"
        out.append(
            f"| {escape(v.route, 80)} | {escape(v.viewport, 20)} | {escape(v.status, 10)} | {score} | {region} "
            f"| {escape(v.reason, 160)} |"
        )
    if len(lines) > VISUAL_ROWS:
        out.append(f"| … {len(lines) - VISUAL_ROWS} more in the report | | | | | |")
    # file:// only in the sandbox, whose artifact store is a local directory
    out += ["", f"[Visual report]({_url(report_url, REPORT_SCHEMES)})"]
    if thumbnail_url:
        out += ["", f"![worst diff]({_url(thumbnail_url, REPORT_SCHEMES)})"]
    return "\n".join([*out, VISUAL_END])


def with_visual(body: str, section: str) -> str:
    """`body` with its visual section replaced by `section` (or added at the end)."""
    start, end = body.find(VISUAL_START), body.find(VISUAL_END)
    if start != -1 and end > start:
        body = body[:start].rstrip("\n") + "\n" + body[end + len(VISUAL_END) :].lstrip("\n")
    return body.rstrip("\n") + "\n\n" + section + "\n"

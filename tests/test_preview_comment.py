"""The PR comment: what it shows, and that nothing from the PR can inject into it."""

import html

import pytest
from markdown_it import MarkdownIt

from odoosh.previews.comment import (
    MARKER,
    SmokeLine,
    building_body,
    escape,
    failure_body,
    notice_body,
    success_body,
    torn_down_body,
)
from odoosh.previews.pulls import Notice
from odoosh.sandbox.github_double import GitHubDouble
from tests.github_helpers import REPOSITORY, TOKEN, client, sha

ZWSP = "\u200b"
EVIL = [
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "**bold** _em_ `code` ~~gone~~ # heading\n\n- list\n> quote",
    "[click](javascript:alert(1)) ![x](http://evil.example/x.png) <http://evil.example>",
    "@admin @org/team please look, fixes #1 and GH-2",
    "http://evil.example www.evil.example evil.example/path",
    "$(rm -rf /); `id`; '; DROP TABLE res_users; --",
    "| a | b |\n|---|---|\n| c | d |",
    "&lt;script&gt; &amp; \\*not\\* escaped",
    "line\r\nbreak\tand\x00nul\x1b[31m",
]
# CommonMark with raw HTML allowed (GitHub keeps some) and tables, as GitHub renders comments.
MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")


def rendered(text: str) -> str:
    return MARKDOWN.render(text)


@pytest.mark.parametrize("text", EVIL)
def test_text_from_a_pr_renders_as_its_own_characters_and_nothing_else(text):
    out = rendered(escape(text, limit=1000))
    assert out.startswith("<p>") and out.endswith("</p>\n") and out.count("<p>") == 1
    inner = out[3:-5]
    assert "<" not in inner.replace("&lt;", "")  # no tag: not a link, an emphasis, an image, a script
    shown = html.unescape(inner).replace(ZWSP, "")
    assert shown == " ".join("".join(c if c.isprintable() else " " for c in text).split())
    visible = html.unescape(inner)
    for trigger in ("@admin", "@org", "#1", "http://", "www.evil", "evil.example"):
        assert trigger not in visible  # GitHub links none of these: a zero-width space breaks each


def test_long_text_is_cut():
    assert len(escape("a" * 1000, limit=50)) == 50 and escape("a" * 1000, limit=50).endswith("…")


SMOKE = [SmokeLine("smoke_http", True, "200 in 0.05 s"), SmokeLine("smoke_modules", True, "base, web, mail")]


def test_the_success_comment_shows_url_commit_checks_and_build_time():
    body = success_body(12, sha(5), "https://pr-12.localhost:8443/", SMOKE, 41.6, branch="feature/<b>x</b>")
    assert body.startswith(MARKER)
    out = rendered(body)
    assert '<a href="https://pr-12.localhost:8443/">https://pr-12.localhost:8443/</a>' in out
    assert f"<code>{sha(5)[:12]}</code>" in out
    assert out.count("✅ passed") == 2 and "smoke_modules" in out.replace("\\", "")
    assert "Built in 42 s" in out
    assert "<b>" not in out and "&lt;b&gt;" in out


def test_the_failure_comment_says_what_failed_and_has_no_url():
    smoke = [SmokeLine("smoke_http", False, "connection refused <http://127.0.0.1:1>")]
    body = failure_body(12, sha(5), "smoke", "smoke_http failed: @someone's server <down>", smoke, 12.0)
    out = rendered(body)
    assert body.startswith(MARKER) and "no preview" in out and "❌ failed" in out
    assert "<a " not in out and "href" not in out
    assert "Failed:" in out and "smoke" in out and "@someone" not in out


def test_the_notes_and_the_removal():
    queued = notice_body(Notice(9, "queued", {"position": 2, "max": 5}))
    assert queued.startswith(MARKER) and "number 2 in the queue" in queued and "5 previews" in queued
    fork = notice_body(Notice(9, "needs_label", {"label": "ok <to> test"}))
    assert "&lt;to&gt;" in fork and "no secrets" in fork
    assert "removed (closed)" in torn_down_body(9, sha(1), "closed")
    building = rendered(building_body(9, sha(1), branch="@x <y>"))
    assert "building" in building and "<y>" not in building and "@x" not in building
    with pytest.raises(ValueError):
        notice_body(Notice(9, "bogus", {}))


def test_what_the_platform_builds_itself_is_checked_too():
    with pytest.raises(ValueError):
        success_body(1, "not-a-sha; rm", "https://pr-1.localhost/", [], 1.0)
    with pytest.raises(ValueError):
        success_body(1, sha(1), "javascript:alert(1)", [], 1.0)
    with pytest.raises(ValueError):
        success_body(1, sha(1), "https://pr-1.localhost/> <img src=x>", [], 1.0)


@pytest.mark.servers  # the loopback GitHub double
def test_the_comment_on_github_is_one_updated_in_place():
    with GitHubDouble(TOKEN, repository=REPOSITORY) as double, client(double) as github:
        double.open_pull(sha(1), head_ref="<script>", title="@admin")
        github.upsert_comment(1, MARKER, notice_body(Notice(1, "queued", {"position": 1, "max": 1})))
        github.upsert_comment(
            1, MARKER, success_body(1, sha(1), "https://pr-1.localhost/", SMOKE, 3, branch="<script>")
        )
        github.upsert_comment(1, MARKER, failure_body(1, sha(2), "code fetch", "commit not found"))
        [comment] = double.comments(1)
        assert "code fetch" in comment["body"] and "https://pr-1.localhost/" not in comment["body"]
        assert double.spec_failures == []


def test_the_visual_section_is_inert_and_replaced_in_place():
    from odoosh.previews.comment import VISUAL_END, VISUAL_START, VisualLine, visual_section, with_visual

    evil = VisualLine("/x?a=<script>@admin", "desktop", "failed", 0.991, 0.31, "region at x=0 [a](javascript:x)")
    fine = VisualLine("/web/login", "mobile", "passed", 1.0, 1.0, "unchanged")
    section = visual_section(
        [fine, evil], passed=False, override=None, report_url="https://r/x.html", thumbnail_url=None
    )
    assert "<script>" not in section and "[a](javascript" not in section
    assert section.index("failed") < section.index("passed"), "the worst rows first"
    assert "[Visual report](<https://r/x.html>)" in section and "![" not in section
    with pytest.raises(ValueError):
        visual_section([fine], passed=True, override=None, report_url="javascript:alert(1)", thumbnail_url=None)
    body = with_visual("<!-- odoosh-preview -->\n### ✅ Preview\n", section)
    again = with_visual(
        body, visual_section([fine], passed=True, override=None, report_url="https://r/y", thumbnail_url=None)
    )
    assert again.count(VISUAL_START) == 1 and again.count(VISUAL_END) == 1
    assert "Visual parity: passed" in again and "failed" not in again and again.startswith("<!-- odoosh-preview -->")

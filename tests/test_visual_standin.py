"""The visual gate in real Chromium against the sandbox's Odoo stand-in.

Each variant is the stand-in on the same database with a different addon: the base look, one
changed word (the module's version on the login page), a changed colour and a moved block (the
module's CSS, which the stand-in bundles like Odoo's assets). The contacts list, behind the
login, holds a clock: the dynamic region the gate masks.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from odoosh.visual.capture import VIEWPORTS, CaptureError, Login, capture
from odoosh.visual.score import VIEWPORT_THRESHOLDS, compare, load_png
from tests.test_standin import PASSWORD, contacts, launch  # noqa: F401 (fixtures)

pytestmark = pytest.mark.servers  # the stand-in, Chromium
BASE_CSS = ".o_company_name { color: #222; }\n"
VARIANTS = {
    "base": ("16.0.1.0.0", BASE_CSS),
    "word": ("16.0.1.0.1", BASE_CSS),
    "colour": ("16.0.1.0.0", BASE_CSS + ".oe_login_form button { background: #017e84; }\n"),
    "moved": ("16.0.1.0.0", BASE_CSS + ".o_company_name { margin-left: 4rem; }\n"),
    # not a change anyone sees: every glyph anti-aliased a third of a pixel further right
    "subpixel": ("16.0.1.0.0", BASE_CSS + "main { transform: translateX(0.3px); }\n"),
}
VIEWPORT_LIST = [VIEWPORTS["desktop"], VIEWPORTS["mobile"]]


def addon(root: Path, version: str, css: str) -> str:
    module = root / "shop_theme"
    (module / "static" / "src" / "css").mkdir(parents=True)
    (module / "__manifest__.py").write_text(repr({"name": "Shop theme", "version": version}))
    (module / "static" / "src" / "css" / "theme.css").write_text(css)
    return str(root)


def login_pages(launch, pg, contacts, tmp_path) -> dict:  # noqa: F811
    shots = {}
    for name, (version, css) in VARIANTS.items():
        standin = launch(pg.dsn(contacts), addons_path=addon(tmp_path / name, version, css))
        taken = capture(standin.url, ["/web/login"], VIEWPORT_LIST, login=None, log=lambda _: None)
        shots.update({(name, s.viewport): s for s in taken})
    return shots


def test_a_changed_word_colour_or_block_fails_and_sub_pixel_noise_passes(launch, pg, contacts, tmp_path):  # noqa: F811
    shots = login_pages(launch, pg, contacts, tmp_path)
    for viewport in ("desktop", "mobile"):
        thresholds = VIEWPORT_THRESHOLDS[viewport]
        base = load_png(shots[("base", viewport)].png)
        assert shots[("base", viewport)].stable and base.shape[1] == VIEWPORTS[viewport].width
        for change in ("word", "colour", "moved"):
            comparison = compare(base, load_png(shots[(change, viewport)].png), thresholds)
            score = comparison.score
            assert not score.passed, (change, viewport, score)
            assert score.changed_regions, "the diff image frames where"
            changed_rows = comparison.changed_pixels.any(axis=1).nonzero()[0]
            region = score.worst_region
            assert changed_rows.min() <= region.y + region.height and region.y <= changed_rows.max()
        noise = compare(base, load_png(shots[("subpixel", viewport)].png), thresholds)
        assert noise.changed_pixels.sum() > 1000, "the text did move"
        assert noise.score.passed, (viewport, noise.score)


def test_an_unchanged_page_scores_at_least_099_on_repeated_captures(launch, pg, contacts, tmp_path):  # noqa: F811
    standin = launch(pg.dsn(contacts), addons_path=addon(tmp_path / "a", *VARIANTS["base"]))
    first = capture(standin.url, ["/web/login"], VIEWPORT_LIST, login=None, log=lambda _: None)
    again = capture(standin.url, ["/web/login"], VIEWPORT_LIST, login=None, log=lambda _: None)
    for a, b in zip(first, again, strict=True):
        score = compare(load_png(a.png), load_png(b.png), VIEWPORT_THRESHOLDS[a.viewport]).score
        assert score.score >= 0.99 and score.passed, (a.viewport, score)


def test_the_clock_behind_the_login_is_seen_unmasked_and_passes_masked(launch, pg, contacts, tmp_path):  # noqa: F811
    standin = launch(pg.dsn(contacts), addons_path=addon(tmp_path / "a", *VARIANTS["base"]))
    admin = Login("admin", PASSWORD)
    desktop = [VIEWPORTS["desktop"]]
    takes = {}
    for masks in ((), (".o_standin_clock",)):
        for attempt in range(2):
            [shot] = capture(standin.url, ["/odoo/contacts"], desktop, login=admin, masks=masks, log=lambda _: None)
            assert shot.error is None and shot.stable, shot
            takes[(masks, attempt)] = load_png(shot.png)
            time.sleep(1.1)  # the clock shows seconds: the next capture shows another time
    unmasked = compare(takes[((), 0)], takes[((), 1)], VIEWPORT_THRESHOLDS["desktop"]).score
    # One changed seconds digit of the clock's small text scores 0.77 to 0.86 in its worst tile,
    # around the region threshold (0.85) depending on the digits: what is asserted is that the
    # change is seen, in the control panel, where the mask then hides it.
    assert unmasked.worst_region_score < 0.95 and unmasked.worst_region.y < 100, unmasked
    masked = compare(
        takes[((".o_standin_clock",), 0)], takes[((".o_standin_clock",), 1)], VIEWPORT_THRESHOLDS["desktop"]
    )
    assert masked.score.passed and masked.score.score == 1.0


def test_a_wrong_password_is_refused_and_a_failing_route_fails_alone(launch, pg, contacts, tmp_path):  # noqa: F811
    standin = launch(pg.dsn(contacts))
    with pytest.raises(CaptureError, match="the login form came back"):
        capture(standin.url, ["/odoo/contacts"], [VIEWPORTS["desktop"]], login=Login("admin", "wrong"))
    taken = capture(
        standin.url,
        ["/odoosh/test/load?status=503", "/odoosh/test/load?ms=3000", "/odoo/contacts"],
        [VIEWPORTS["desktop"]],
        login=Login("admin", PASSWORD),
        timeout_s=1,
        log=lambda _: None,
    )
    by_route = {s.route: s for s in taken}
    assert by_route["/odoosh/test/load?status=503"].error == "HTTP 503"
    assert by_route["/odoosh/test/load?ms=3000"].error == "timed out after 1 s"
    assert by_route["/odoo/contacts"].png and by_route["/odoo/contacts"].error is None

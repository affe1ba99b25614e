"""The visual gate's parts: scoring, the command, and capture in real Chromium (marked
`servers`: `./dev test --fast` leaves those out, as it installs no system packages).

Capture runs Debian's Chromium through Playwright against a loopback page server whose pages
differ the way PRs change an Odoo: one word, a colour, a moved block, and a clock (dynamic).
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
from PIL import Image
from skimage.metrics import structural_similarity

from odoosh.visual import __main__ as cli
from odoosh.visual import gate, images, shots
from odoosh.visual.capture import VIEWPORTS, CaptureError, Shot, capture
from odoosh.visual.score import VIEWPORT_THRESHOLDS, Region, VisualInputError, compare, load_png

DESKTOP = VIEWPORT_THRESHOLDS["desktop"]
BUTTON = "background:#714b67;color:#fff;padding:1rem;width:20rem"
TEXT = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 30
PAGES = {
    "/base": f"<h1>Quarterly sales report</h1><p style='{BUTTON}'>Confirm order</p><p>{TEXT}</p>",
    "/word": f"<h1>Quarterly sales summary</h1><p style='{BUTTON}'>Confirm order</p><p>{TEXT}</p>",
    "/colour": f"<h1>Quarterly sales report</h1><p style='{BUTTON.replace('#714b67', '#017e84')}'>Confirm order</p><p>{TEXT}</p>",
    "/moved": f"<h1>Quarterly sales report</h1><p style='{BUTTON};margin-left:3rem'>Confirm order</p><p>{TEXT}</p>",
}


class PageServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/slow":
            time.sleep(3)
        if path not in PAGES:
            self.send_error(404)
            return
        clock = f"<span class='clock'>{time.strftime('%H:%M:%S')}.{time.time_ns() % 10**9:09d}</span>"
        body = (
            "<!DOCTYPE html><html><head><style>body{font-family:'DejaVu Sans',sans-serif}</style></head>"
            f"<body>{PAGES[path]}{clock}</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site():
    server = PageServer(("127.0.0.1", 0), PageHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def taken(site):
    """Every page at both viewports, the clock masked; and the base page unmasked."""
    routes = ["/base", "/word", "/colour", "/moved"]
    viewports = [VIEWPORTS["desktop"], VIEWPORTS["mobile"]]
    masked = capture(site, [*routes, "/base?again"], viewports, login=None, masks=[".clock"], log=lambda _: None)
    unmasked = capture(site, ["/base", "/base?again"], viewports[:1], login=None, attempts=2, log=lambda _: None)
    return {(s.route, s.viewport): s for s in masked}, unmasked


def _png(array: np.ndarray, path: Path) -> Path:
    Image.fromarray(array).save(path)
    return path


def _page(seed: int = 0) -> np.ndarray:
    """A page-like image: white, dark text-like blocks."""
    rng = np.random.default_rng(seed)
    image = np.full((800, 1280, 3), 255, dtype=np.uint8)
    for y in range(40, 760, 24):
        for x in range(40, 1200, 90):
            if rng.random() < 0.7:
                image[y : y + 12, x : x + 70] = 40
    return image


# ---------------------------------------------------------------- scoring


def test_the_score_is_skimages_and_identical_images_pass_without_computing():
    a = _page()
    b = a.copy()
    b[200:230, 300:420] = (200, 30, 30)
    score = compare(a, b, DESKTOP).score
    plain = structural_similarity(a, b, channel_axis=2, data_range=255)
    assert score.score == pytest.approx(plain, abs=1e-6)
    assert not score.passed and score.worst_region_score < DESKTOP.region_min
    same = compare(a, a.copy(), DESKTOP).score
    assert same.passed and same.score == 1.0 and same.worst_region is None and same.reason == "unchanged"


def test_a_small_change_passes_globally_but_fails_its_region():
    a = _page()
    b = a.copy()
    b[400:412, 500:570] = 255  # one "word" gone
    score = compare(a, b, DESKTOP).score
    assert score.score > DESKTOP.global_min, "global SSIM alone would let it through"
    assert not score.passed
    region = score.worst_region
    assert region.x < 570 and region.x + region.width > 500, "the worst tile overlaps the change"
    assert region.y < 412 and region.y + region.height > 400
    assert score.changed_regions and "region at" in score.reason


def test_a_mask_hides_a_dynamic_region():
    a, b = _page(), _page()
    b[40:52, 40:110] = 255 - b[40:52, 40:110]
    assert not compare(a, b, DESKTOP).score.passed
    assert compare(a, b, DESKTOP, [Region(30, 30, 100, 40)]).score.passed


def test_images_of_different_sizes_fail_with_the_size_change_named():
    a = _page()
    score = compare(a, a[:700], DESKTOP).score
    assert not score.passed and "size changed from 1280x800 to 1280x700" in score.reason
    assert score.size == (1280, 800)


def test_the_diff_image_marks_the_changed_region():
    a = _page()
    b = a.copy()
    b[200:230, 300:420] = (0, 160, 0)
    comparison = compare(a, b, DESKTOP)
    diff = np.asarray(images.diff_image(comparison))
    assert (diff[215, 350] == images.CHANGED).all()
    assert not (diff[600, 1000] == images.CHANGED).all()
    region = comparison.score.changed_regions[0]
    assert tuple(diff[region.y, region.x + 5]) == images.FRAME
    side = images.side_by_side(comparison, images.diff_image(comparison))
    assert side.size == (3 * 1280 + 2 * images.GAP, 800 + 24)


# ---------------------------------------------------------------- the command


def test_the_command_prints_json_and_exits_by_verdict(tmp_path, capsys):
    a = _page()
    b = a.copy()
    b[400:412, 500:570] = 255
    base, same, changed = _png(a, tmp_path / "a.png"), _png(a, tmp_path / "s.png"), _png(b, tmp_path / "b.png")
    assert cli.main(["compare", str(base), str(same), "--viewport", "desktop"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True
    assert (
        cli.main(["compare", str(base), str(changed), "--viewport", "mobile", "--diff", str(tmp_path / "d.png")]) == 1
    )
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["passed"] is False and verdict["worst_region"]["width"] == 16 and verdict["score"] > 0.99
    assert load_png(tmp_path / "d.png").shape == (800, 1280, 3)
    masked = ["--mask", "490,390,100,40"]
    assert cli.main(["compare", str(base), str(changed), "--viewport", "desktop", *masked]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a not a png", "is not a PNG image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "is a corrupt PNG"),
        (None, "cannot read it"),
    ],
)
def test_the_command_refuses_bad_input_with_exit_2(tmp_path, capsys, content, message):
    good = _png(_page(), tmp_path / "good.png")
    bad = tmp_path / "bad.png"
    if content is not None:
        bad.write_bytes(content)
    assert cli.main(["compare", str(good), str(bad), "--viewport", "desktop"]) == 2
    assert message in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_command_refuses_a_bad_mask_or_threshold(tmp_path, capsys):
    good = str(_png(_page(), tmp_path / "good.png"))
    assert cli.main(["compare", good, good, "--viewport", "desktop", "--mask", "1,2,3"]) == 2
    assert "four integers" in capsys.readouterr().err
    assert cli.main(["compare", good, good, "--viewport", "desktop", "--min-score", "1.5"]) == 2
    assert "--min-score" in capsys.readouterr().err
    with pytest.raises(VisualInputError):
        Region.parse("0,0,0,5")


# ---------------------------------------------------------------- capture in real Chromium


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_an_unchanged_page_captures_identically_and_scores_at_least_099(taken):
    masked, _ = taken
    for viewport in ("desktop", "mobile"):
        first, again = masked[("/base", viewport)], masked[("/base?again", viewport)]
        assert first.stable and again.stable and first.error is None
        score = compare(load_png(first.png), load_png(again.png), VIEWPORT_THRESHOLDS[viewport]).score
        assert score.score >= 0.99 and score.passed
        assert load_png(first.png).shape[1] == VIEWPORTS[viewport].width


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
@pytest.mark.parametrize("route", ["/word", "/colour", "/moved"])
def test_a_changed_word_colour_or_block_fails_the_gate_and_is_marked(taken, route):
    masked, _ = taken
    for viewport in ("desktop", "mobile"):
        base, changed = masked[("/base", viewport)], masked[(route, viewport)]
        comparison = compare(load_png(base.png), load_png(changed.png), VIEWPORT_THRESHOLDS[viewport])
        assert not comparison.score.passed, (route, viewport, comparison.score)
        assert comparison.score.changed_regions, "the diff marks where"
        top = comparison.score.changed_regions[0].y
        assert top < 200, "the change is at the top of the page, where the heading and button are"


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_an_unmasked_clock_fails_and_the_masked_one_does_not(taken):
    masked, unmasked = taken
    a, b = load_png(unmasked[0].png), load_png(unmasked[1].png)
    assert not compare(a, b, DESKTOP).score.passed, "the clock moved between the two captures"
    m0, m1 = masked[("/base", "desktop")], masked[("/base?again", "desktop")]
    assert compare(load_png(m0.png), load_png(m1.png), DESKTOP).score.score == 1.0


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_a_route_that_errors_or_times_out_fails_only_itself(site):
    result = capture(
        site, ["/missing", "/slow", "/base"], [VIEWPORTS["desktop"]], login=None, timeout_s=1, log=lambda _: None
    )
    by_route = {s.route: s for s in result}
    assert by_route["/missing"].error == "HTTP 404" and by_route["/missing"].png is None
    assert by_route["/slow"].error == "timed out after 1 s"
    assert by_route["/base"].png and by_route["/base"].error is None


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_a_missing_browser_or_a_bad_route_is_refused_with_the_fix(site):
    with pytest.raises(CaptureError, match="apt-get install chromium"):
        capture(site, ["/base"], [VIEWPORTS["desktop"]], login=None, chromium="/nonexistent/chromium")
    with pytest.raises(ValueError, match="starting with one '/'"):
        capture(site, ["//evil.example/x"], [VIEWPORTS["desktop"]], login=None)


# ---------------------------------------------------------------- the gate over sets


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_the_gate_reports_new_failed_and_error_routes_and_honours_the_override(taken, tmp_path):
    masked, _ = taken
    base_shots = [masked[("/base", "desktop")]]
    baseline = tmp_path / "baseline"
    shots.write(baseline, base_shots, commit="a" * 40, url="http://staging")
    preview_shots = [
        Shot("/base", "desktop", masked[("/word", "desktop")].png, 200),
        Shot("/flaky", "desktop", masked[("/base", "desktop")].png, 200, "not stable after 5 captures", 5),
        Shot("/new", "desktop", masked[("/colour", "desktop")].png, 200),
        Shot("/broken", "desktop", None, 500, "HTTP 500"),
    ]
    preview = tmp_path / "preview"
    shots.write(preview, preview_shots, commit="b" * 40, url="https://pr-1")
    thresholds = dict(VIEWPORT_THRESHOLDS)
    verdict = gate.judge(baseline, preview, tmp_path / "report", thresholds)
    assert [(r.route, r.status) for r in verdict.results] == [
        ("/base", "failed"),
        ("/flaky", "error"),
        ("/new", "new"),
        ("/broken", "error"),
    ]
    assert not verdict.passed and len(verdict.failing) == 3 and "not stable" in verdict.results[1].reason
    report = (tmp_path / "report" / gate.REPORT).read_text()
    assert "failed" in report and "HTTP 500" in report and f"{verdict.results[0].score:.4f}" in report
    for name in verdict.results[0].files.values():
        assert (tmp_path / "report" / name).is_file()
    overridden = gate.judge(baseline, preview, tmp_path / "report2", thresholds, override="visual-change-approved")
    assert overridden.passed and overridden.override == "visual-change-approved"
    assert verdict.summary() == "3 of 4 route(s) failed" and "SSIM" in verdict.results[0].describe()
    assert overridden.summary() == "passed by override (label visual-change-approved); 3 route(s) changed"
    assert json.loads((tmp_path / "report2" / gate.VERDICT).read_text())["override"] == "visual-change-approved"


@pytest.mark.servers  # Chromium (Debian's package; ./dev test --fast installs none)
def test_a_shot_replaced_after_capture_is_refused(taken, tmp_path):
    masked, _ = taken
    shots.write(tmp_path / "set", [masked[("/base", "desktop")]], commit="a" * 40, url="http://x")
    stored = shots.read(tmp_path / "set")
    (tmp_path / "set" / stored.shots[0].file).write_bytes(masked[("/word", "desktop")].png)
    with pytest.raises(ValueError, match="does not match the SHA-256"):
        shots.image(tmp_path / "set", stored.shots[0])


# ---------------------------------------------------------------- settings


def test_settings_are_read_from_the_environment_and_bad_ones_refused(monkeypatch):
    import dagster as dg

    from odoosh_assets.definitions import visual_resource

    monkeypatch.setenv("ODOOSH_VISUAL_ROUTES", "/web/login; /odoo/sales ;")
    monkeypatch.setenv("ODOOSH_VISUAL_MASKS", ".o_clock, .o_date;.avatar")
    monkeypatch.setenv("ODOOSH_VISUAL_MIN_REGION_SSIM", "0.8")
    visual = visual_resource()
    assert visual.checked_routes() == ["/web/login", "/odoo/sales"]
    assert visual.masks == [".o_clock, .o_date", ".avatar"], "a selector list keeps its commas"
    assert visual.thresholds()["mobile"].region_min == 0.8 and visual.thresholds()["desktop"].global_min == 0.98
    monkeypatch.setenv("ODOOSH_VISUAL_ROUTES", "https://evil.example/")
    with pytest.raises(dg.Failure, match="ODOOSH_VISUAL_ROUTES"):
        visual_resource().checked_routes()
    monkeypatch.setenv("ODOOSH_VISUAL_MIN_SSIM_MOBILE", "1.5")
    with pytest.raises(dg.Failure, match="ODOOSH_VISUAL_MIN_SSIM_MOBILE"):
        visual_resource().thresholds()
    monkeypatch.setenv("ODOOSH_VISUAL_MIN_SSIM_MOBILE", "high")
    with pytest.raises(ValueError, match="is not a number"):
        visual_resource()

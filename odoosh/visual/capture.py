"""Screenshots of an Odoo's routes in real Chromium (Playwright driving Debian's `chromium`).

Stable by construction: a fixed viewport and device scale factor 1, reduced motion, animations
and transitions finished, caret hidden, web fonts loaded and the network idle before the shot,
dynamic regions (CSS selectors) painted over, and each shot retaken until two consecutive
captures are byte-identical (at most `attempts`; an unstable route is reported as such). Each
viewport gets its own browser context; given a login, every route but the login page is taken
after logging in through Odoo's login form (the login page before). A route that errors or times out gives
a shot with the HTTP status or the timeout and no image: one bad route never fails the others.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
LOGIN_PATH = "/web/login"
# Without these, Chromium keeps calling Google's services, which a closed network refuses.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--font-render-hinting=none",
]
MASK_COLOUR = "#808080"
Log = Callable[[str], None]


class CaptureError(RuntimeError):
    """Nothing can be captured: no browser, or the login fails. Says how to fix it."""


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int


VIEWPORTS = {"desktop": Viewport("desktop", 1280, 800), "mobile": Viewport("mobile", 390, 844)}


@dataclass(frozen=True)
class Login:
    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Shot:
    """One route in one viewport: the PNG, or why there is none."""

    route: str
    viewport: str
    png: bytes | None = field(default=None, repr=False)
    status: int | None = None
    error: str | None = None
    attempts: int = 0
    stable: bool = False


def check_route(route: str) -> str:
    """A route is a local path: it is joined to the Odoo's URL and must not leave it."""
    parts = urlsplit(route)
    if not route.startswith("/") or route.startswith("//") or parts.scheme or parts.netloc:
        raise ValueError(f"route {route!r}: give a path on the Odoo, starting with one '/' (e.g. /web/login)")
    return route


def needs_login(route: str) -> bool:
    return urlsplit(route).path != LOGIN_PATH


def capture(
    base_url: str,
    routes: list[str],
    viewports: list[Viewport],
    *,
    login: Login | None,
    masks: list[str] = (),
    timeout_s: float = 30.0,
    attempts: int = 5,
    ignore_https_errors: bool = False,
    chromium: str = CHROMIUM,
    log: Log = print,
) -> list[Shot]:
    """Every route in every viewport, in that order."""
    if not shutil.which(chromium):
        raise CaptureError(
            f"Chromium is not at {chromium}: install Debian's package (apt-get install chromium) "
            "or set ODOOSH_CHROMIUM to its path."
        )
    routes = [check_route(r) for r in routes]
    shots = []
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            raise CaptureError(f"Chromium at {chromium} does not start: {_first_line(exc)}") from None
        try:
            for viewport in viewports:
                context = browser.new_context(
                    viewport={"width": viewport.width, "height": viewport.height},
                    device_scale_factor=1,
                    reduced_motion="reduce",
                    color_scheme="light",
                    locale="en-US",
                    timezone_id="UTC",
                    ignore_https_errors=ignore_https_errors,
                )
                context.set_default_timeout(timeout_s * 1000)
                page = context.new_page()
                public = [r for r in routes if login is None or not needs_login(r)]
                private = [r for r in routes if r not in public]
                for route in public:
                    shots.append(_shot(page, base_url, route, viewport, masks, timeout_s, attempts))
                if private:
                    _login(page, base_url, login, timeout_s)
                    for route in private:
                        shots.append(_shot(page, base_url, route, viewport, masks, timeout_s, attempts))
                context.close()
                log(f"captured {len(routes)} route(s) at {viewport.name} {viewport.width}x{viewport.height}")
        finally:
            browser.close()
    # per viewport the public routes come first: back to the order asked for
    order = {(r, v.name): i for i, (v, r) in enumerate(itertools.product(viewports, routes))}
    return sorted(shots, key=lambda s: order[(s.route, s.viewport)])


def _login(page, base_url: str, login: Login, timeout_s: float) -> None:
    """Odoo's login form, as a person fills it; the page after it must not be the form again."""
    try:
        page.goto(urljoin(base_url, LOGIN_PATH), wait_until="networkidle")
        page.fill("input[name=login]", login.login)
        page.fill("input[name=password]", login.password)
        with page.expect_navigation(wait_until="networkidle"):
            page.click("form button[type=submit]")
    except PlaywrightTimeout:
        raise CaptureError(f"logging in at {base_url}{LOGIN_PATH} timed out after {timeout_s:.0f} s") from None
    except PlaywrightError as exc:
        raise CaptureError(f"logging in at {base_url}{LOGIN_PATH} failed: {_first_line(exc)}") from None
    if urlsplit(page.url).path == LOGIN_PATH:
        raise CaptureError(
            f"logging in as {login.login!r} at {base_url} failed: the login form came back "
            "(check the staging admin's password, ODOOSH_STAGING_ADMIN_PASSWORD)"
        )


def _shot(page, base_url: str, route: str, viewport: Viewport, masks, timeout_s: float, attempts: int) -> Shot:
    try:
        response = page.goto(urljoin(base_url, route), wait_until="networkidle")
        status = response.status if response else None
        if status is not None and status >= 400:
            return Shot(route, viewport.name, status=status, error=f"HTTP {status}")
        if needs_login(route) and urlsplit(page.url).path == LOGIN_PATH:
            return Shot(route, viewport.name, status=status, error="redirected to the login page")
        page.evaluate("document.fonts.ready.then(() => true)")
        previous, png = None, None
        for attempt in range(1, attempts + 1):
            png = page.screenshot(
                full_page=True,
                animations="disabled",
                caret="hide",
                mask=[page.locator(selector) for selector in masks],
                mask_color=MASK_COLOUR,
            )
            if png == previous:
                return Shot(route, viewport.name, png, status, attempts=attempt, stable=True)
            previous = png
            time.sleep(0.1)
        return Shot(route, viewport.name, png, status, error=f"not stable after {attempts} captures", attempts=attempts)
    except PlaywrightTimeout:
        return Shot(route, viewport.name, error=f"timed out after {timeout_s:.0f} s")
    except PlaywrightError as exc:
        return Shot(route, viewport.name, error=_first_line(exc))


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

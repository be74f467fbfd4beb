"""Browser tests: the app served by a real HTTP server on 127.0.0.1, Debian's Chromium
driven by Playwright, every request the page makes recorded (any to another origin
fails the test), a screenshot of each key page kept under test-artifacts/browser/,
and the screenshots the guides show written to docs/img/ (committed; each run
replaces them, so they follow the pages).

Without Chromium the tests skip and say how to install it; with CI=true they fail.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import IN_CI, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DOCS_IMAGES = ROOT / "docs" / "img"
# The window the guides' screenshots are taken in: a laptop's, as organisers and staff use.
DOCS_WINDOW = {"width": 1280, "height": 800}
# Flags that keep Chromium quiet and local: no sandbox (root in a container), no
# GPU, no calls home for updates, sync, QUIC or background services.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 740}
# What the security headers will demand of every page; applied here when the app
# does not send a policy of its own, so a page that needs inline code fails now.
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'"
)


def require_chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"Chromium not found at {CHROMIUM}: install Debian's package with "
        "`apt-get install chromium` to run the browser tests"
    )
    if IN_CI:
        pytest.fail(message + " (CI=true requires it)", pytrace=False)
    pytest.skip(message)


# -- the app, served for real -------------------------------------------------


@dataclass
class LiveServer:
    app: object
    url: str
    outbox: Path

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(make_app):
    """The app behind werkzeug's threaded HTTP server on a free loopback port.
    PUBLIC_URL points at it, so links in emails open in the browser."""
    from werkzeug.serving import make_server

    require_chromium()
    app = make_app(PUBLIC_URL="http://127.0.0.1", PUBLIC_COUNTS_CACHE_SECONDS=0)

    @app.after_request
    def strict_policy(response):
        response.headers.setdefault("Content-Security-Policy", STRICT_CSP)
        return response

    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url, outbox=Path(app.config["OUTBOX_DIR"]))
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def app_context(live_server):
    """The test's own app context, for seeding, reading and draining queues."""
    with live_server.app.app_context():
        yield live_server.app


@pytest.fixture
def worker(app_context):
    """A real RQ worker over the project's queues, run until they are empty."""
    from ..delivery_support import drain_jobs

    return drain_jobs


# -- the browser --------------------------------------------------------------


@dataclass
class Browser:
    """One Chromium profile; ``requests`` holds every URL any of its pages asked for."""

    context: object
    origin: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        return page

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def foreign_requests(self) -> list[str]:
        allowed = (self.origin + "/", "data:", "about:", "blob:")
        return [url for url in self.requests if not (url == self.origin or url.startswith(allowed))]


def _launch(playwright, profile: Path, locale: str, javascript: bool):
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(require_chromium()),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=PHONE,
        screen=PHONE,
        device_scale_factor=1,
        is_mobile=False,
        has_touch=True,
        locale=locale,
        java_script_enabled=javascript,
        service_workers="block",
    )


@pytest.fixture
def browser_factory(live_server, tmp_path):
    """Open a fresh Chromium profile: ``browser_factory(locale="be-BY")``. At the end,
    the test fails if any page asked another origin for anything, logged an error
    to the console (a Content-Security-Policy violation, a script error) or threw."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    manager = sync_playwright().start()
    opened: list[Browser] = []

    def factory(locale: str = "en-GB", javascript: bool = True) -> Browser:
        profile = tmp_path / f"chromium-profile-{len(opened)}"
        context = _launch(manager, profile, locale, javascript)
        context.set_default_timeout(15_000)
        browser = Browser(context=context, origin=live_server.url)
        context.on("request", lambda request: browser.requests.append(request.url))
        # Nothing leaves this machine even if a page tried: refuse, and record.
        context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
        opened.append(browser)
        return browser

    try:
        yield factory
    finally:
        for browser in opened:
            browser.context.close()
        manager.stop()
    foreign = [url for browser in opened for url in browser.foreign_requests()]
    assert not foreign, f"pages asked another origin for: {foreign}"
    problems = [p for browser in opened for p in browser.problems]
    assert not problems, "\n".join(problems)


@pytest.fixture
def screenshot(request):
    """screenshot(page, "landing") keeps test-artifacts/browser/<test>-landing.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    def take(page, name: str) -> Path:
        page.wait_for_load_state("load")
        path = ARTIFACTS / f"{prefix}-{name}.png"
        # caret="initial": hiding the caret would leave style="" on inputs.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return take


@pytest.fixture
def docs_screenshot():
    """docs_screenshot(page, "staff-home") writes docs/img/staff-home.png, the picture the
    guides show: the visible part of the page in the guides' window (the whole page with
    full_page=True), without animations."""
    DOCS_IMAGES.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = False) -> Path:
        page.wait_for_load_state("load")
        if page.viewport_size != DOCS_WINDOW:
            page.set_viewport_size(DOCS_WINDOW)
        path = DOCS_IMAGES / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, caret="initial", animations="disabled")
        return path

    return take

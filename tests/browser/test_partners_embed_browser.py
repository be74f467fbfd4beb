"""A partner's page, served from another loopback origin (127.0.0.2), frames the
campaign's form in a real Chromium: the frame takes its content's height through
the documented postMessage, a letter is written inside it without any cookie (the
browser has this site's cookies, and sends none into the frame), the confirmation
runs first-party from the mail; a page of an origin the partner did not register
cannot frame the form at all."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import request
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import PartnerConsent
from campaign.partners import embedding
from campaign.seed import seed_demo

from .. import flow
from .. import partner_pages_support as ps
from .checks import audit
from .conftest import CHROMIUM_ARGS, require_chromium

pytestmark = pytest.mark.browser
PARTNER_HOST = "127.0.0.2"
DESKTOP = {"width": 1280, "height": 800}


class PartnerSite:
    """A partner's own web server: one page (``html``, set once its origin is known:
    the partner registers that origin, and the page holds the snippet)."""

    def __init__(self):
        self.html = ""
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                body = _page_with(site.html).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((PARTNER_HOST, 0), Handler)
        self.origin = f"http://{PARTNER_HOST}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _page_with(snippet: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Viasna Friends"
        "</title></head><body><h1>Write with us</h1>" + snippet + "<p id='after'>Thanks!</p>"
        "</body></html>"
    )


@pytest.fixture
def sites():
    started: list[PartnerSite] = []

    def start() -> PartnerSite:
        site = PartnerSite()
        started.append(site)
        return site

    yield start
    for site in started:
        site.stop()


@pytest.fixture
def chromium(live_server, tmp_path):
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    context = manager.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=str(require_chromium()),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=DESKTOP,
        locale="en-GB",
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    refused: list[str] = []

    def local_only(route):
        url = route.request.url
        if url.startswith((live_server.url, f"http://{PARTNER_HOST}:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    context.route("**/*", local_only)
    try:
        yield context
    finally:
        context.close()
        manager.stop()
    assert not refused, f"pages asked another origin for: {refused}"


def _frame_height(page) -> float:
    return page.eval_on_selector("iframe", "frame => frame.getBoundingClientRect().height")


def _content_height(frame) -> float:
    return frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")


def _fits(page, frame) -> None:
    """The frame's height follows its content (the height message did it). Both are
    read afresh each time: the content may still settle after it was first measured."""
    deadline = time.monotonic() + 20
    while True:
        content, shown = _content_height(frame), _frame_height(page)
        if abs(shown - content) < 2:
            return
        assert time.monotonic() < deadline, f"frame {shown} px high for {content} px of content"
        page.wait_for_timeout(100)


def test_a_partner_page_frames_the_form_and_a_letter_goes_without_a_cookie(
    live_server, app_context, worker, chromium, sites, screenshot
):
    app = app_context
    seed_demo()
    seen: list[tuple[str, str, bool, str | None, str | None]] = []

    def what_the_frame_sends():
        seen.append(
            (
                request.method,
                request.path,
                bool(request.cookies),
                request.headers.get("Origin"),
                request.headers.get("Sec-Fetch-Site"),
            )
        )

    # Before every other check (the cross-site refusal among them): what arrives.
    app.before_request_funcs.setdefault(None, []).insert(0, what_the_frame_sends)

    partner_site = sites()
    partner = ps.make_partner(
        frame_origins=[partner_site.origin],
        logo=(ps.LOGOS / "logo.png").read_bytes(),
        logo_type="image/png",
    )
    partner_site.html = embedding.snippet(partner, ps.campaign(), "Write to your representatives")

    # This site's own cookies exist in this browser: the language chosen first-party.
    first_party = chromium.new_page()
    first_party.goto(live_server.url + "/?lang=de")
    assert any(c["name"] == "lang" for c in chromium.cookies(live_server.url))

    page = chromium.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(partner_site.origin + "/")
    inside = page.frame_locator("iframe")
    expect(inside.locator(".partner-line")).to_have_text(re.compile("with Viasna Friends"))
    expect(inside.locator("html")).to_have_attribute("lang", "en")  # no lang cookie in here
    frame = next(f for f in page.frames if "/embed" in f.url)
    expect(inside.locator(".partner-logo")).to_be_visible()
    _fits(page, frame)
    assert _frame_height(page) != 800  # the snippet's first height, now the content's
    screenshot(page, "1-partner-page")

    inside.locator("#country").select_option("LT")
    inside.locator("button[type=submit]").click()
    expect(inside.locator("h1")).to_contain_text("Lithuania")
    first = inside.locator(".choice input").first
    first.check()
    inside.locator("#representatives button[type=submit]").click()
    expect(inside.locator("article.letter")).to_have_count(1)
    frame = next(f for f in page.frames if "/embed" in f.url)
    _fits(page, frame)
    assert _frame_height(page) > 1000  # the letters page is long: the frame grew
    audit(frame, width=None)
    box = inside.locator("#partner_consent")
    expect(box).not_to_be_checked()
    expect(inside.locator("label[for=partner_consent]")).to_have_text(
        "Viasna Friends may email me about this campaign and its work."
    )
    inside.locator("#name").fill("Alesia Kovalchyk")
    inside.locator("#email").fill("framed@example.org")
    box.check()
    inside.locator("#consent").check()
    screenshot(page, "2-letters-in-the-frame")
    inside.locator("button[name=send]").click()
    expect(inside.locator("h1")).to_have_text("Check your email")
    expect(inside.locator("main")).to_contain_text("framed@example.org")
    expect(inside.locator("main")).to_contain_text("window of its own")
    frame = next(f for f in page.frames if "/embed" in f.url)
    _fits(page, frame)
    screenshot(page, "3-sent-in-the-frame")
    assert not problems, problems

    # The frame sent no cookie, ever; its post came from the frame's own origin.
    framed = [s for s in seen if "/embed" in s[1]]
    assert framed and not any(had_cookie for _m, _p, had_cookie, _o, _s in framed)
    posts = [s for s in framed if s[0] == "POST"]
    assert posts and all(o == live_server.url and s == "same-origin" for *_r, o, s in posts)
    (submission,) = ps.submissions()
    assert submission.partner_id == partner.id
    db.session.expire_all()
    (given,) = db.session.execute(db.select(PartnerConsent)).scalars().all()
    assert given.wording == "Viasna Friends may email me about this campaign and its work."

    # The confirmation: the mail's link, first-party, in a window of its own.
    worker()
    link = flow.confirmation_link(flow.outbox_messages(live_server.outbox)[0])
    assert link.startswith(live_server.url + "/confirm/")
    window = chromium.new_page()
    window.goto(link)
    window.click("main form button[type=submit]")
    expect(window).to_have_url(re.compile(r"/status/[^/]+$"))
    worker()
    (letter,) = ps.submissions()[0].letters
    assert letter.state == "sent"
    sent = [m for m in flow.outbox_messages(live_server.outbox) if m["Subject"] == letter.subject]
    assert sent[0]["To"].addresses[0].addr_spec == letter.representative.email


def test_a_page_of_an_unregistered_origin_cannot_frame_the_form(
    live_server, app_context, chromium, sites, screenshot
):
    seed_demo()
    registered, stranger = sites(), sites()
    partner = ps.make_partner(frame_origins=[registered.origin])
    stranger.html = embedding.snippet(partner, ps.campaign(), "Write to your representatives")
    assert stranger.origin != registered.origin
    page = chromium.new_page()
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if m.type == "error" else None)
    page.goto(stranger.origin + "/")
    page.wait_for_function("() => document.querySelector('iframe') !== null", timeout=5_000)
    page.wait_for_timeout(1500)
    embedded = [f for f in page.frames if f != page.main_frame]
    assert embedded, "no frame at all"
    # Chromium shows its own error page in place of the form, and says why.
    assert all("/via/" not in f.url for f in embedded), [f.url for f in embedded]
    expect(page.frame_locator("iframe").locator(".partner-line")).to_have_count(0)
    assert any("frame-ancestors" in text for text in refusals), refusals
    assert _frame_height(page) == 800  # nothing told it otherwise
    screenshot(page, "refused")

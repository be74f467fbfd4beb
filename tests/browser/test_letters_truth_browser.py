"""The whole path in a real Chromium, on a 360 px phone and a 1280 px screen, in
English, Belarusian and Russian: every page names the campaign's organiser, the
form's first field comes early, and the letters stored for a "select everyone"
submission claim no constituency and no residence the supporter did not give."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import Letter
from campaign.seed import DEMO_ORGANISER, seed_demo

from .. import flow
from .checks import audit

pytestmark = pytest.mark.browser

ORGANISER = DEMO_ORGANISER["organiser_name"]
# Whatever a German, English or other default letter says when it claims residence.
CLAIMS = ("Wahlkreis", "ich wohne", "ich lebe", "Ich lebe", "constituency", "I live in")


def _names_the_organiser(page) -> None:
    footer = page.locator("footer.site")
    expect(footer).to_contain_text(ORGANISER)
    expect(footer.locator('a[href="/privacy"]')).to_have_count(1)


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize("locale,language", [("en-GB", "en"), ("be-BY", "be"), ("ru-RU", "ru")])
def test_select_everyone_claims_nothing_unstated_and_every_page_names_the_organiser(
    live_server, app_context, worker, browser_factory, screenshot, width, locale, language
):
    seed_demo()
    browser = browser_factory(locale=locale)
    page = browser.new_page()
    if width != 360:
        page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    _names_the_organiser(page)

    page.goto(live_server.url + "/write/DE")
    _names_the_organiser(page)
    page.click("[data-select-all]")
    page.click("#representatives button[type=submit]")
    expect(page.locator("article.letter")).to_have_count(5)
    _names_the_organiser(page)
    page.fill("#name", "Alesia Kovalchyk")
    page.fill("#email", "alesia@example.org")
    page.check("#consent")
    screenshot(page, f"letters-{language}-{width}")
    audit(page, width)
    page.click("button[name=send]")

    expect(page).to_have_url(re.compile(r"/check-your-email$"))
    expect(page.locator("main")).to_contain_text("alesia@example.org")
    _names_the_organiser(page)
    worker()
    link = flow.confirmation_link(flow.outbox_messages(live_server.outbox)[0])
    page.goto(link)
    _names_the_organiser(page)
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/status/[^/]+$"))
    expect(page.locator("section.thanks")).to_be_visible()
    _names_the_organiser(page)
    page.goto(live_server.url + "/privacy")
    _names_the_organiser(page)
    audit(page, width)

    letters = db.session.execute(db.select(Letter).order_by(Letter.id)).scalars().all()
    assert len(letters) == 5
    for letter in letters:
        for claim in CLAIMS:
            assert claim not in letter.body, f"{letter.representative.name}: {claim!r}"
        assert ORGANISER in letter.body.rsplit("\n-- \n", 1)[1]


def test_with_two_letters_the_first_field_is_within_two_phone_screens(
    live_server, app_context, browser_factory, screenshot
):
    seed_demo()
    reps = [r for r in flow.representatives_of("DE") if r.body.kind == "parliament"][:2]
    browser = browser_factory(locale="be-BY")
    page = browser.new_page()
    page.goto(live_server.url + "/write/DE/letters?" + "&".join(f"rep={r.id}" for r in reps))
    expect(page.locator("article.letter")).to_have_count(2)
    screen = page.viewport_size["height"]
    top = page.locator("#name").bounding_box()["y"]
    assert top < 2 * screen, f"the first field starts {top:.0f} px down"
    screenshot(page, "two-letters-phone")


def _in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return (
        box is not None
        and 0 <= box["y"]
        and box["y"] + box["height"] <= page.viewport_size["height"]
    )


def test_update_the_preview_keeps_the_supporters_place_with_javascript(
    live_server, app_context, browser_factory, screenshot
):
    seed_demo()
    reps = [r for r in flow.representatives_of("DE") if r.body.kind == "parliament"][:2]
    browser = browser_factory(locale="be-BY")
    page = browser.new_page()
    url = live_server.url + "/write/DE/letters?" + "&".join(f"rep={r.id}" for r in reps)
    page.goto(url)
    page.fill("#name", "Алеся Ковальчык")
    page.fill("#email", "alesia@example.org")
    page.locator("button[name=preview]").scroll_into_view_if_needed()
    page.evaluate("window.stillThisPage = true")
    page.click("button[name=preview]")
    letters = page.locator("article.letter")
    expect(letters.first).to_contain_text("Алеся Ковальчык")
    expect(letters).to_have_count(2)
    # Replaced in place: no reload, the same address, what was typed still there.
    assert page.evaluate("window.stillThisPage === true")
    assert page.url == url
    expect(page.locator("#email")).to_have_value("alesia@example.org")
    # The question about a Latin name came with the preview, and the button is where it was.
    expect(page.locator("#name-latin-prompt")).to_be_visible()
    assert page.evaluate("window.scrollY") > 0 and _in_view(page, "button[name=preview]")
    screenshot(page, "preview-in-place")
    audit(page, 360)


def test_update_the_preview_without_javascript_comes_back_to_the_letters(
    live_server, app_context, browser_factory
):
    seed_demo()
    reps = [r for r in flow.representatives_of("DE") if r.body.kind == "parliament"][:2]
    browser = browser_factory(locale="be-BY", javascript=False)
    page = browser.new_page()
    page.goto(live_server.url + "/write/DE/letters?" + "&".join(f"rep={r.id}" for r in reps))
    page.fill("#name", "Алеся")
    page.click("button[name=preview]")
    expect(page).to_have_url(re.compile(r"#letters$"))
    expect(page.locator("article.letter").first).to_contain_text("Алеся")
    assert page.evaluate("window.scrollY") > 0

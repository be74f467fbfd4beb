"""The whole path in a real Chromium, on a 360 px phone and a 1280 px screen, in
English, Belarusian and Russian: every page names the campaign's organiser, the
form's first field comes early, and the letters stored for a "select everyone"
submission claim no constituency and no residence the supporter did not give."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.models import Letter
from campaign.services.seed import DEMO_ORGANISER, seed_demo

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
    # "Update the preview" brings the supporter back to the letters, not the top.
    page.fill("#name", "Алеся")
    page.click("button[name=preview]")
    expect(page).to_have_url(re.compile(r"#letters$"))
    assert page.evaluate("window.scrollY") > 0
    screenshot(page, "two-letters-phone")

"""An organiser who reads Belarusian, in a real Chromium: the language switch on the
management pages is remembered on the account, in another browser too, and the
letter editor's buttons insert markers that read in Belarusian."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import LetterTemplate, User
from campaign.seed import seed_demo

from .checks import audit
from .test_management_browser import log_in, make_user

pytestmark = pytest.mark.browser


def test_an_organiser_switches_to_belarusian_and_keeps_it(
    live_server, app_context, browser_factory, screenshot
):
    seed_demo()
    make_user("organiser@example.org", "organiser")
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(language="de", body_kind="parliament")
    ).scalar_one()

    page = browser_factory(locale="en-GB").new_page()
    log_in(page, live_server.url, "organiser@example.org")
    page.goto(live_server.url + "/organise/campaigns")
    expect(page.locator("h1")).to_have_text("Campaigns")
    page.click('nav.languages a[lang="be"]')
    expect(page.locator("html")).to_have_attribute("lang", "be")
    expect(page.locator("h1")).to_have_text("Кампаніі")
    user = db.session.execute(db.select(User).filter_by(email="organiser@example.org")).scalar_one()
    db.session.refresh(user)
    assert user.language == "be"

    # Another browser, in English: the account's language follows the person.
    other = browser_factory(locale="en-GB").new_page()
    log_in(other, live_server.url, "organiser@example.org")
    other.goto(live_server.url + f"/organise/letters/{template.id}")
    expect(other.locator("html")).to_have_attribute("lang", "be")
    body = other.locator("textarea#body")
    expect(body).to_contain_text("⟦Зварот да прадстаўніка⟧")
    body.press("Control+End")
    other.get_by_role("button", name="Горад прыхільніка", exact=True).click()
    expect(body).to_have_value(re.compile(r"⟦Горад прыхільніка⟧\s*$"))
    screenshot(other, "letter-editor-belarusian")
    audit(other)

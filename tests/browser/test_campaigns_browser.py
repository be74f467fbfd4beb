"""Two campaigns side by side, in a real Chromium: an organiser creates a second
campaign, writes its letter with the insert buttons, publishes it after reading the
comparison; a supporter then writes through the second campaign's own address while
the first campaign still takes letters at the site's first addresses."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import Campaign, Letter
from campaign.seed import DEFAULT_SLUG, seed_demo

from .. import flow
from .checks import audit
from .test_management_browser import log_in, make_user, require_endpoints

pytestmark = pytest.mark.browser

SLUG = "before-the-talks"
TITLE = "Prisoners first, before any talks"
LETTER = (
    "Dear ⟦Representative's name⟧,\n\n"
    "Before any talks with Minsk, please ask for the release of every political prisoner.\n\n"
    "⟦Supporter's paragraph⟧\n\n"
    "⟦Supporter's name⟧\n"
)


def _type_at_end(page, text: str) -> None:
    body = page.locator("textarea#body")
    body.focus()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(text)


def _insert(page, label: str) -> None:
    page.locator("#insert-fields").get_by_role("button", name=label, exact=True).click()


def _organiser_creates_and_publishes(page, base_url: str) -> None:
    page.goto(base_url + "/organise/campaigns/new")
    page.fill("#title", TITLE)
    page.fill("#slug", SLUG)
    page.fill("#default_language", "en")
    page.uncheck("#default_letters")  # its own letter, written below
    page.get_by_role("button", name="Create the campaign").click()
    expect(page.get_by_text("The campaign was created.")).to_be_visible()
    page.get_by_role("link", name="Edit the letters of this campaign").click()
    page.select_option("#body_kind", "parliament")
    page.fill("#language", "en")
    page.get_by_role("button", name="Add the letter").click()
    expect(page.locator("textarea#body")).to_be_visible()

    page.fill("#subject", "Before any talks: the prisoners first")
    page.locator("textarea#body").fill("")
    _type_at_end(page, "Dear ")
    _insert(page, "Representative's name")
    _type_at_end(
        page,
        ",\n\nBefore any talks with Minsk, please ask for the release of every "
        "political prisoner.\n\n",
    )
    _insert(page, "Supporter's paragraph")
    _type_at_end(page, "\n\n")
    _insert(page, "Supporter's name")
    _type_at_end(page, "\n")
    expect(page.locator("textarea#body")).to_have_value(LETTER)
    expect(page.locator("#preview-text")).to_contain_text("Before any talks", timeout=15_000)

    page.get_by_role("button", name="Publish…").click()
    expect(page.get_by_text("Nothing is published yet.")).to_be_visible()
    expect(page.locator("figure.compare-new")).to_contain_text("Before any talks with Minsk")
    audit(page, 1280)
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_text("Version 1 is published")).to_be_visible()


def _supporter_writes(page, start: str, email: str, paragraph: str) -> None:
    """From a campaign's landing page: Germany, one representative, send."""
    page.goto(start)
    page.select_option("#country", "DE")
    page.click("#write button[type=submit]")
    _choose_and_send(page, email, paragraph)


def _choose_and_send(page, email: str, paragraph: str) -> None:
    page.get_by_label(re.compile("Anna Beispiel")).check()
    page.click("#representatives button[type=submit]")
    expect(page.locator("article.letter")).to_have_count(1)
    page.fill("#personal_paragraph", paragraph)
    page.fill("#name", "Alesia Kovalchyk")
    page.fill("#email", email)
    page.fill("#city", "Vilnius")
    if page.locator("#keep_language").count():
        page.click("button[name=preview]")
        if page.locator("#keep_language").is_visible():
            page.check("#keep_language")
    page.check("#consent")
    page.click("button[name=send]")
    expect(page.locator("h1")).to_have_text("Check your email")


def test_a_second_campaign_is_written_published_and_written_to_beside_the_first(
    live_server, app_context, worker, browser_factory, screenshot
):
    app = app_context
    require_endpoints(app, "organisers.make_default_campaign", "organisers.confirm_publish")
    seed_demo()
    make_user("organiser@example.org", "organiser")
    organiser = browser_factory(locale="en-GB").new_page()
    organiser.set_viewport_size({"width": 1280, "height": 900})
    log_in(organiser, live_server.url, "organiser@example.org")
    _organiser_creates_and_publishes(organiser, live_server.url)
    screenshot(organiser, "second-campaign-published")

    # The campaigns' list names each public address and which one is the default.
    organiser.goto(live_server.path("/organise/campaigns"))
    expect(organiser.get_by_role("link", name=f"/c/{SLUG}/")).to_be_visible()
    expect(organiser.locator("#default-campaign")).to_be_visible()

    supporter = browser_factory(locale="en-GB").new_page()
    supporter.goto(live_server.url + "/")
    expect(supporter.locator("h1")).to_have_text("Campaigns open now")
    screenshot(supporter, "open-campaigns")
    audit(supporter)
    supporter.get_by_role("link", name=TITLE).click()
    expect(supporter).to_have_url(live_server.path(f"/c/{SLUG}/"))
    expect(supporter.locator("h1")).to_have_text(TITLE)
    screenshot(supporter, "second-campaign-landing")
    audit(supporter)
    _supporter_writes(
        supporter, live_server.path(f"/c/{SLUG}/"), "second@example.org", "Free them now."
    )
    expect(supporter).to_have_url(live_server.path(f"/c/{SLUG}/check-your-email"))

    # The first campaign still takes letters at the site's first addresses.
    first = browser_factory(locale="en-GB").new_page()
    first.goto(live_server.path("/write/DE"))
    _choose_and_send(first, "first@example.org", "Free them.")
    expect(first).to_have_url(live_server.path("/check-your-email"))

    worker()
    mails = {m["To"].addresses[0].addr_spec: m for m in flow.outbox_messages(live_server.outbox)}
    assert mails["second@example.org"]["From"].addresses[0].display_name == TITLE
    link = flow.confirmation_link(mails["second@example.org"])
    assert link.startswith(live_server.path(f"/c/{SLUG}/confirm/"))
    supporter.goto(link)
    supporter.click("main form button[type=submit]")
    expect(supporter).to_have_url(re.compile(rf"/c/{SLUG}/status/[^/]+$"))
    expect(supporter.locator("#share-link")).to_have_value(live_server.path(f"/c/{SLUG}/"))
    worker()

    letters = db.session.execute(
        db.select(Campaign.slug, Letter.body, Letter.state).join(
            Campaign, Campaign.id == Letter.campaign_id
        )
    ).all()
    by_campaign = {slug: (body, state) for slug, body, state in letters}
    assert set(by_campaign) == {SLUG, DEFAULT_SLUG}
    second_body, second_state = by_campaign[SLUG]
    assert "Before any talks with Minsk" in second_body and "Free them now." in second_body
    assert second_state == "sent"
    assert "Before any talks" not in by_campaign[DEFAULT_SLUG][0]
    assert by_campaign[DEFAULT_SLUG][1] == "awaiting_confirmation"

"""A supporter on a 360 px phone, in a real Chromium: picks representatives, reads
the letter in the recipient's language with a reading copy in their own, sends,
confirms from the mail in the outbox, and watches the letters go."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext, ngettext
from playwright.sync_api import expect

from campaign.seed import seed_demo

from .. import flow
from .checks import audit, check_keyboard_start

pytestmark = pytest.mark.browser


def translate(app, language: str, message: str, **variables) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(message, **variables)


@pytest.mark.parametrize(
    "browser_locale,switch_to,language",
    [
        ("en-GB", None, "en"),
        # A Belarusian abroad whose browser speaks Russian switches to Belarusian.
        ("ru-RU", "be", "be"),
    ],
    ids=["english", "belarusian"],
)
def test_supporter_writes_confirms_and_watches_the_letters_go(
    live_server,
    app_context,
    worker,
    browser_factory,
    screenshot,
    browser_locale,
    switch_to,
    language,
):
    app = app_context
    seed_demo()

    def t(message: str, **variables) -> str:
        return translate(app, language, message, **variables)

    browser = browser_factory(locale=browser_locale)
    page = browser.new_page()

    page.goto(live_server.url + "/")
    if switch_to:
        assert page.locator("html").get_attribute("lang") == browser_locale[:2]
        page.click(f'nav.languages a[hreflang="{switch_to}"]')
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("nav.languages [aria-current]")).to_have_attribute("hreflang", language)
    expect(page.locator("h1")).to_have_text(t("The time for release is now"))
    screenshot(page, "1-landing")
    audit(page)
    check_keyboard_start(page)

    # Choose the country, then the representatives: filter as you type, select those shown.
    page.select_option("#country", "DE")
    page.click("#write button[type=submit]")
    expect(page).to_have_url(re.compile(r"/write/DE$"))
    expect(html).to_have_attribute("lang", language)  # remembered, not in the URL
    page.fill("#q", "beispiel")
    expect(page.locator(".choice", has_text="Jonas Muster")).to_be_hidden()
    expect(page.locator(".choice", has_text="Anna Beispiel")).to_be_visible()
    expect(page.locator("[data-filter-status]")).to_contain_text("2")
    page.click("[data-select-all]")
    expect(page.get_by_label(re.compile("Anna Beispiel"))).to_be_checked()
    expect(page.get_by_label(re.compile("Marie Beispielfrau"))).to_be_checked()
    expect(page.get_by_label(re.compile("Jonas Muster"))).not_to_be_checked()
    expect(page.locator("[data-select-all]")).to_have_text(t("Clear the selection"))
    screenshot(page, "2-representatives")
    audit(page)
    page.click("#representatives button[type=submit]")

    # The letters: sent in German; a reading copy in the supporter's language.
    letters = page.locator("article.letter")
    expect(letters).to_have_count(2)
    expect(page.locator("h1")).to_have_text(t("Your letters"))
    first = letters.first
    expect(first.locator("pre.letter-text").first).to_have_attribute("lang", "de")
    reading_copy = first.locator("details.reading-copy")
    expect(reading_copy.locator("summary")).to_contain_text(t("In your language"))
    reading_copy.locator("summary").click()  # closed at first: the page stays short
    expect(reading_copy.locator("pre.letter-text")).to_have_attribute("lang", language)
    page.fill(
        "#personal_paragraph",
        "Мой сябар сядзіць з 2021 года."
        if language == "be"
        else "My friend has been held since 2021.",
    )
    page.fill("#name", "Алеся Ковальчык" if language == "be" else "Alesia Kovalchyk")
    page.fill("#email", "alesia@example.org")
    page.fill("#city", "Вільнюс" if language == "be" else "Vilnius")
    page.click("button[name=preview]")
    expect(first).to_contain_text("2021")
    # The paragraph is not in German: asked once, kept, then introduced in German.
    page.check("#keep_language")
    page.check("#consent")
    screenshot(page, "3-letters")
    audit(page)
    page.click("button[name=send]")

    expect(page.locator("h1")).to_have_text(t("Check your email"))
    screenshot(page, "4-check-email")
    audit(page)

    # The confirmation mail, in the language the supporter used.
    worker()
    mails = flow.outbox_messages(live_server.outbox)
    assert len(mails) == 1
    assert mails[0]["Subject"] == t(
        "Please confirm your letters – %(campaign)s", campaign=t("The time for release is now")
    )
    assert mails[0]["To"].addresses[0].addr_spec == "alesia@example.org"
    link = flow.confirmation_link(mails[0])
    assert link.startswith(live_server.url + "/confirm/")

    page.goto(link)
    expect(page.locator("h1")).to_have_text(t("Send your letters"))
    screenshot(page, "5-confirm")
    audit(page)
    page.click("main form button[type=submit]")

    # The status page follows the letters without a reload.
    expect(page).to_have_url(re.compile(r"/status/[^/]+$"))
    states = page.locator("[data-state]")
    expect(states).to_have_count(2)
    for index in range(2):
        expect(states.nth(index)).to_have_attribute("data-state", "queued")
    expect(page.locator("#status-hint")).to_have_text(
        t("This page follows your letters by itself: each change appears here as it happens.")
    )
    share = page.locator("#share-link")
    expect(share).to_have_value(live_server.url + "/c/time-for-release/")  # its campaign's
    expect(page.locator("[data-copy]")).to_be_visible()
    screenshot(page, "6-status-queued")
    audit(page)
    url_before = page.url

    worker()  # the letters go
    for index in range(2):
        expect(states.nth(index)).to_have_attribute("data-state", "sent", timeout=20_000)
        expect(states.nth(index)).to_have_text(t("sent"))
    expect(page.locator("#status-live")).to_contain_text(t("sent"))
    assert page.url == url_before
    screenshot(page, "7-status-sent")

    # The landing page counts them.
    page.goto(live_server.url + "/")
    counts = page.locator(".counts li")
    with app.test_request_context(), force_locale(language):
        wrote = ngettext(
            "person has written to their representatives",
            "people have written to their representatives",
            1,
        )
        went = ngettext("letter has gone out", "letters have gone out", 2)
    expect(counts.nth(0)).to_have_text(f"1 {wrote}")
    expect(counts.nth(1)).to_have_text(f"2 {went}")
    screenshot(page, "8-landing-counts")


def test_choosing_and_status_work_without_javascript(
    live_server, app_context, worker, browser_factory, screenshot
):
    seed_demo()
    browser = browser_factory(locale="be-BY", javascript=False)
    page = browser.new_page()
    page.goto(live_server.url + "/write/DE?q=beispiel")
    expect(page.locator("html")).to_have_attribute("lang", "be")
    expect(page.locator(".choice")).to_have_count(2)
    page.click("[data-select-all]")  # a link: the server checks every box shown
    expect(page).to_have_url(re.compile(r"all=1"))
    for box in page.locator(".choice input").all():
        expect(box).to_be_checked()
    screenshot(page, "representatives-no-js")
    audit(page)
    page.click("#representatives button[type=submit]")
    expect(page.locator("article.letter")).to_have_count(2)
    expect(page.locator("details.reading-copy").first).not_to_have_attribute("open", "")
    page.fill("#name", "Алеся Ковальчык")
    page.fill("#email", "alesia@example.org")
    page.check("#consent")
    page.click("button[name=send]")
    # German letters: asked once for the name in Latin letters, which may stay empty.
    expect(page.locator("#name-latin-prompt")).to_be_visible()
    page.click("button[name=send]")
    expect(page).to_have_url(re.compile(r"/check-your-email$"))
    worker()
    link = flow.confirmation_link(flow.outbox_messages(live_server.outbox)[0])
    page.goto(link)
    page.click("main form button[type=submit]")
    hint = translate(
        live_server.app,
        "be",
        "Keep this page: it shows how your letters are doing. Reload it to see changes.",
    )
    expect(page.locator("#status-hint")).to_have_text(hint)
    expect(page.locator("[data-copy]")).to_be_hidden()  # copying needs the script
    worker()
    page.reload()
    for cell in page.locator("[data-state]").all():
        expect(cell).to_have_attribute("data-state", "sent")
    screenshot(page, "status-no-js")
    audit(page)

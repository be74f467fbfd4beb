"""Publishing a letter in a real Chromium: the organiser presses Publish, reads the
word-level comparison (side by side at 1280 px, one column at 360 px), answers
the review question and confirms; the editor then names the new version."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import LetterTemplate
from campaign.seed import seed_demo

from .checks import audit
from .conftest import ARTIFACTS, PHONE
from .test_management_browser import log_in, make_user, require_endpoints

pytestmark = pytest.mark.browser


def _boxes(page):
    old = page.locator("figure.compare-old").bounding_box()
    new = page.locator("figure.compare-new").bounding_box()
    return old, new


def _press_publish(page, editor_url: str, words: str) -> None:
    page.goto(editor_url)
    body = page.locator("textarea#body")
    text = body.input_value().replace("the release of", f"the {words} release of", 1)
    body.fill(text)
    page.get_by_role("button", name="Publish…").click()
    expect(page.get_by_text("Nothing is published yet.")).to_be_visible()


@pytest.mark.parametrize("width", [1280, PHONE["width"]])
def test_publish_after_reading_the_comparison(
    live_server, app_context, browser_factory, screenshot, docs_screenshot, width
):
    app = app_context
    require_endpoints(app, "organisers.publish_template", "organisers.confirm_publish")
    seed_demo()
    make_user("organiser@example.org", "organiser")
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(language="en", body_kind="parliament")
    ).scalar_one()
    editor_url = live_server.path(f"/organise/letters/{template.id}")

    page = browser_factory(locale="en-GB").new_page()
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else PHONE["height"]})
    log_in(page, live_server.url, "organiser@example.org")
    _press_publish(page, editor_url, "immediate and unconditional")

    added = page.locator("figure.compare-new ins")
    expect(added.first).to_contain_text("immediate and unconditional")
    old, new = _boxes(page)
    if width > 1000:
        # Side by side: same top, the new text to the right.
        assert abs(old["y"] - new["y"]) < 2 and new["x"] >= old["x"] + old["width"]
    else:
        # One column: the new text below the published one, both the page's width.
        assert new["y"] >= old["y"] + old["height"] and abs(old["x"] - new["x"]) < 2
    reviewed = page.get_by_label("A native speaker has reviewed this very text")
    expect(reviewed).not_to_be_checked()
    screenshot(page, f"comparison-{width}")
    page.screenshot(path=str(ARTIFACTS / f"publish-comparison-top-{width}.png"), caret="initial")
    audit(page, width)
    if width > 1000:
        added.first.scroll_into_view_if_needed()  # the guide shows the words that change
        docs_screenshot(page, "organiser-publish-comparison")

    reviewed.check()
    page.get_by_role("button", name="Publish this version").click()
    expect(page.get_by_text("Version 2 is published")).to_be_visible()
    expect(page.get_by_text("Reviewed by a native speaker.")).to_be_visible()

    # A text that drops the supporter's paragraph asks for the loss to be accepted.
    page.goto(editor_url)
    body = page.locator("textarea#body")
    # The editor shows markers: the paragraph's is removed, its condition stays.
    assert "⟦Supporter's paragraph⟧" in body.input_value()
    body.fill(body.input_value().replace("⟦Supporter's paragraph⟧", ""))
    page.get_by_role("button", name="Publish…").click()
    expect(page.locator("#losses")).to_contain_text("will be thrown away")
    expect(page.get_by_label(re.compile("I understand what supporters lose"))).not_to_be_checked()
    screenshot(page, f"losses-{width}")
    # The questions, as the organiser sees them at the bottom of a long page.
    page.locator("#losses").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"publish-questions-{width}.png"), caret="initial")
    audit(page, width)
    db.session.expire_all()
    assert db.session.get(LetterTemplate, template.id).published_version.number == 2


def test_marker_buttons_insert_at_the_cursor(
    live_server, app_context, browser_factory, screenshot, docs_screenshot
):
    app = app_context
    require_endpoints(app, "organisers.edit_template", "organisers.preview_text")
    seed_demo()
    make_user("organiser@example.org", "organiser")
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(language="en", body_kind="parliament")
    ).scalar_one()
    page = browser_factory(locale="en-GB").new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "organiser@example.org")
    page.goto(live_server.path(f"/organise/letters/{template.id}"))
    body = page.locator("textarea#body")
    body.fill("Dear ⟦Representative's name⟧,\n\nGreetings from  today.\n")
    # The cursor between the two spaces after "from".
    position = len("Dear ⟦Representative's name⟧,\n\nGreetings from ")
    body.evaluate(f"(el) => {{ el.focus(); el.setSelectionRange({position}, {position}); }}")
    page.get_by_role("button", name="Supporter's city", exact=True).click()
    expect(body).to_have_value(
        "Dear ⟦Representative's name⟧,\n\nGreetings from ⟦Supporter's city⟧ today.\n"
    )
    # A condition goes around the selected words.
    start = len("Dear ⟦Representative's name⟧,\n\n")
    end = start + len("Greetings from ⟦Supporter's city⟧ today.")
    body.evaluate(f"(el) => {{ el.focus(); el.setSelectionRange({start}, {end}); }}")
    page.get_by_role("button", name="Only if the supporter gave a city").click()
    expect(body).to_have_value(
        "Dear ⟦Representative's name⟧,\n\n⟦Only if the supporter gave a city⟧Greetings from "
        "⟦Supporter's city⟧ today.⟦End of condition⟧\n"
    )
    # The preview renders the markers' values, through the same sandbox.
    expect(page.locator("#preview-text")).to_contain_text(
        "Greetings from Sampletown today.", timeout=15_000
    )
    screenshot(page, "marker-editor")
    audit(page, None)
    docs_screenshot(page, "organiser-letter-editor", full_page=True)  # markers and preview

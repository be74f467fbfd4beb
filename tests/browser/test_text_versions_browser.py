"""The "Vary the wording" buttons in a real Chromium: their markers go into the field
the organiser was writing in last, the subject as well as the body."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import LetterTemplate
from campaign.seed import seed_demo

from .test_management_browser import log_in, make_user, require_endpoints

pytestmark = pytest.mark.browser

VERSIONS = "⟦Versions: one is chosen for each letter⟧"
OR_VERSION = "⟦Or this version⟧"
END_VERSIONS = "⟦End of versions⟧"


def test_version_buttons_insert_into_the_field_with_the_cursor(
    live_server, app_context, browser_factory
):
    require_endpoints(app_context, "organisers.edit_template")
    seed_demo()
    make_user("organiser@example.org", "organiser")
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(language="en", body_kind="parliament")
    ).scalar_one()
    page = browser_factory(locale="en-GB").new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "organiser@example.org")
    page.goto(live_server.path(f"/organise/letters/{template.id}"))
    subject = page.locator("input#subject")
    body = page.locator("textarea#body")
    body_before = body.input_value()

    # The organiser clicks into the subject, at its start, and presses the buttons.
    subject.fill("Free them now")
    subject.click()
    subject.press("Home")
    page.get_by_role("button", name="Versions: one is chosen for each letter").click()
    subject.press("End")
    page.get_by_role("button", name="Or this version", exact=True).click()
    subject.type("Release them")
    page.get_by_role("button", name="End of versions", exact=True).click()
    expect(subject).to_have_value(f"{VERSIONS}Free them now{OR_VERSION}Release them{END_VERSIONS}")
    expect(body).to_have_value(body_before)

    # Back in the body, the buttons write there again, at the cursor.
    body.evaluate("(el) => { el.focus(); el.setSelectionRange(0, 0); }")
    page.get_by_role("button", name="Versions: one is chosen for each letter").click()
    expect(body).to_have_value(VERSIONS + body_before)
    expect(subject).to_have_value(f"{VERSIONS}Free them now{OR_VERSION}Release them{END_VERSIONS}")

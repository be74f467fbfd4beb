"""A supporter on a 360 px phone sees who cannot be written to now, and why: an
address being checked after a bounce, an office that asked for its web form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import AddressFlag
from campaign.people import office_requests
from campaign.seed import seed_demo
from campaign.tracking.letter_progress import flag_address

from .. import tracking_helpers as th
from ..test_auth import make_user
from .checks import audit
from .test_management_browser import log_in

pytestmark = pytest.mark.browser


def test_supporter_sees_who_cannot_be_written_to(
    live_server, app_context, browser_factory, screenshot
):
    seed_demo()
    bounced, web_form, other = th.reps_of("DE")[:3]
    flag_address(bounced.id, bounced.email, "bounce event: 550 5.1.1 user unknown", "event")
    staff = make_user("staff@example.org", "staff")
    office_requests.record(
        web_form, "web_form", url="https://office.example.org/contact", user=staff
    )
    assert db.session.execute(db.select(AddressFlag)).scalar_one()

    for locale, checking in (("en-GB", "address being checked"), ("de-DE", "wird überprüft")):
        page = browser_factory(locale=locale).new_page()
        page.goto(live_server.url + "/write/DE")
        row = page.locator(f"#rep-{bounced.id}-unavailable")
        expect(row).to_contain_text(bounced.name)
        expect(row).to_contain_text(checking)
        expect(page.locator(f"#rep-{bounced.id}")).to_have_count(0)
        link = page.locator(f"#rep-{web_form.id}-unavailable a")
        expect(link).to_have_attribute("href", "https://office.example.org/contact")
        expect(page.get_by_label(re.compile(other.name))).to_be_visible()
        screenshot(page, f"choose-{locale}")
        audit(page)
        # "Select everyone listed" selects those who can be written to, and no error.
        page.click("[data-select-all]")
        expect(page.get_by_label(re.compile(other.name))).to_be_checked()


def test_staff_see_held_letters_and_record_an_office_request(
    live_server, app_context, browser_factory, screenshot, docs_screenshot
):
    from ..address_holds_support import queue_letters

    seed_demo()
    bounced, office = th.reps_of("DE")[:2]
    flag_address(bounced.id, bounced.email, "bounce event: 550 5.1.1 user unknown", "event")
    db.session.commit()
    queue_letters([bounced])
    flag_address(bounced.id, bounced.email, "bounce event: 550 5.1.1 user unknown", "event")
    db.session.commit()
    make_user("staff@example.org", "staff")

    page = browser_factory().new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "staff@example.org")
    page.goto(live_server.url + "/staff/addresses")
    row = page.locator("tr", has_text=bounced.email)
    expect(row.locator("td").nth(4)).to_have_text("1")
    screenshot(page, "addresses")
    audit(page, width=1280)
    docs_screenshot(page, "staff-addresses")

    page.goto(live_server.url + f"/staff/representatives/{office.id}/office-requests")
    page.check("#kind-redirect")
    page.fill("#email", "cabinet@example.org")
    page.click("main form.stacked button[type=submit]")
    expect(page.locator("table.status")).to_contain_text("cabinet@example.org")
    screenshot(page, "office-requests")
    audit(page, width=1280)
    docs_screenshot(page, "staff-office-requests")

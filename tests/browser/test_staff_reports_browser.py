"""Staff read the home page and a report in a real Chromium on a desktop (1280 px)
and on a phone (360 px): the page never scrolls sideways, nothing sticks out of
the window, the summary tables fit a desktop without their own scroll bar, and
every chart is labelled in full."""

from __future__ import annotations

import pytest

from campaign.seed import seed_demo

from .. import flow
from .checks import audit
from .test_management_browser import log_in, make_user

pytestmark = pytest.mark.browser

# Elements whose right edge passes the window's, outside a box that scrolls on
# purpose (the full table behind its "Every column" fold).
_STICKING_OUT = """
(width) => [...document.querySelectorAll('main *')]
  .filter((el) => !el.closest('.table-scroll') || el.classList.contains('table-scroll'))
  .filter((el) => {
    const box = el.getBoundingClientRect();
    return box.width && box.right > width + 0.5;
  })
  .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className)
"""
# Summary tables (outside the fold) that need a scroll bar of their own.
_SCROLLING_SUMMARIES = """
() => [...document.querySelectorAll('main .table-scroll')]
  .filter((box) => !box.closest('details') && box.scrollWidth > box.clientWidth + 1)
  .map((box) => box.querySelector('th')?.textContent)
"""


def _letters_sent_and_answered(app, live_server, worker) -> None:
    from datetime import timedelta

    from campaign.core.extensions import db
    from campaign.models import Letter
    from campaign.tracking import replies

    client = app.test_client()
    reps = flow.representatives_of("DE")
    flow.write_confirm_and_send(client, live_server, worker, "DE", [r.id for r in reps[:3]])
    letter = db.session.execute(db.select(Letter).where(Letter.sent_at.is_not(None))).scalar()
    assert letter is not None, "the worker sent nothing"
    replies.log_response(
        letter, "phone", "supportive", "", letter.sent_at + timedelta(hours=5), None
    )


@pytest.mark.parametrize("width", [1280, 360])
def test_staff_home_and_report_fit_desktop_and_phone(
    live_server, app_context, worker, browser_factory, screenshot, docs_screenshot, width
):
    app = app_context
    seed_demo()
    make_user("staff@example.org", "staff")
    _letters_sent_and_answered(app, live_server, worker)

    browser = browser_factory(locale="en-GB")
    page = browser.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, "staff@example.org")
    for path, name in (("/staff/", "staff-home"), ("/staff/reports", "staff-report")):
        page.goto(live_server.url + path)
        assert page.evaluate(_STICKING_OUT, width) == [], f"{path} at {width} px"
        if width >= 1280:
            assert page.evaluate(_SCROLLING_SUMMARIES) == [], f"{path} at {width} px"
        screenshot(page, f"{name}-{width}")
        audit(page, width=width)
        if width >= 1280:
            docs_screenshot(page, name)  # the staff guide's picture of the page

    # The report: the summary says what happened, the time as a person says it.
    page.goto(live_server.url + "/staff/reports")
    assert page.locator("#total-sent").inner_text() == "3"
    assert page.locator("#total-replied").inner_text() == "1"
    assert page.locator("#total-median").inner_text() == "5 hours"
    bars = page.locator("#party-chart .bar-label")
    assert bars.count() >= 1
    for label in bars.all():
        assert label.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "a cut label"
    assert "(1 of" in page.locator("#party-chart").inner_text()
    # The staff home: today's figures are the letters just sent.
    page.goto(live_server.url + "/staff/")
    assert page.locator("#today-sent").inner_text() == "3"
    assert page.locator("#today-answered").inner_text() == "1"


def test_public_responsiveness_page_on_a_phone(
    live_server, app_context, worker, browser_factory, screenshot
):
    from campaign.core.extensions import db
    from campaign.models import Campaign

    app = app_context
    seed_demo()
    _letters_sent_and_answered(app, live_server, worker)
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    campaign.public_responsiveness = True
    db.session.commit()
    from campaign.tracking import rollups

    rollups.refresh()  # what the clock does every minute; the public page only reads
    browser = browser_factory(locale="be-BY")
    page = browser.new_page()
    for path, name in (
        (f"/responsiveness/{campaign.slug}", "page"),
        ("/responsiveness/method", "method"),
    ):
        page.goto(live_server.url + path + "?lang=be")
        assert page.evaluate(_STICKING_OUT, 360) == []
        screenshot(page, f"responsiveness-{name}-360")
        audit(page, width=360)
    page.goto(live_server.url + f"/responsiveness/{campaign.slug}?lang=be")
    # Three letters to three representatives: each is "too few letters to say".
    assert "Занадта мала лістоў, каб меркаваць" in page.locator("#too-few").inner_text()

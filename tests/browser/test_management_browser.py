"""The people who run the campaign, in a real Chromium: an organiser edits a letter
and watches the preview follow, staff read a report and its charts.

Each test runs once its pages exist (the endpoint is in the app's url_map); until
then it skips and names the missing endpoint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.extensions import db
from campaign.models import LetterTemplate, User
from campaign.services.seed import seed_demo

from .. import flow
from .checks import audit

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
EDITOR_ENDPOINTS = ("organisers.edit_template", "organisers.preview_text")


def require_endpoints(app, *endpoints: str) -> None:
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = [e for e in endpoints if e not in known]
    if missing:
        pytest.skip(f"page not built yet: no endpoint {', '.join(missing)} in the app")


def report_endpoints(app) -> list[str]:
    """Staff report pages: GET routes of the staff blueprint with "report" in their
    name and nothing to fill in the URL."""
    return sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.")
        and "report" in rule.endpoint
        and "GET" in rule.methods
        and not rule.arguments
    )


def make_user(email: str, role: str) -> None:
    user = User(email=email, role=role)
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()


def log_in(page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def test_organiser_edits_a_letter_with_live_preview(
    live_server, app_context, browser_factory, screenshot
):
    app = app_context
    require_endpoints(app, *EDITOR_ENDPOINTS)
    seed_demo()
    make_user("organiser@example.org", "organiser")
    template = db.session.execute(
        db.select(LetterTemplate).filter_by(language="de", body_kind="parliament")
    ).scalar_one()
    with app.test_request_context():
        from flask import url_for

        editor_path = url_for("organisers.edit_template", template_id=template.id)

    browser = browser_factory(locale="en-GB")
    page = browser.new_page()
    log_in(page, live_server.url, "organiser@example.org")
    page.goto(live_server.url + editor_path)
    body = page.locator("textarea").first
    expect(body).to_be_visible()
    body.press("End")
    body.press("Control+End")
    body.type("\nBrowser-Probe für {{ representative.name }}")
    # The preview follows the text without pressing anything.
    expect(page.locator("[aria-live]").first).to_contain_text("Browser-Probe für", timeout=15_000)
    screenshot(page, "letter-editor")
    audit(page)


def test_staff_report_shows_its_charts(
    live_server, app_context, worker, browser_factory, screenshot
):
    app = app_context
    endpoints = report_endpoints(app)
    if not endpoints:
        pytest.skip("page not built yet: no staff report endpoint (staff.*report*) in the app")
    seed_demo()
    make_user("staff@example.org", "staff")
    client = app.test_client()
    reps = flow.representatives_of("DE")
    flow.write_confirm_and_send(client, live_server, worker, "DE", [r.id for r in reps[:3]])
    with app.test_request_context():
        from flask import url_for

        report_path = url_for(endpoints[0])

    browser = browser_factory(locale="en-GB")
    page = browser.new_page()
    page.set_viewport_size({"width": 1024, "height": 900})
    log_in(page, live_server.url, "staff@example.org")
    page.goto(live_server.url + report_path)
    charts = page.locator("svg, canvas")
    expect(charts.first).to_be_visible()
    # Every chart says what it shows to someone who cannot see it.
    for chart in charts.all():
        named = chart.evaluate(
            "el => !!(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')"
            " || el.querySelector('title') || el.closest('figure')?.querySelector('figcaption')"
            " || el.getAttribute('aria-hidden') === 'true')"
        )
        assert named, "a chart without a text alternative"
    screenshot(page, "staff-report")
    # Staff read wide tables on a desktop: no phone-width check here.
    audit(page, width=None)

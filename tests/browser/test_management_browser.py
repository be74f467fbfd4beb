"""The people who run the campaign, in a real Chromium: an organiser edits a letter
and watches the preview follow, staff read a report and its charts.

Each test runs once its pages exist (the endpoint is in the app's url_map); until
then it skips and names the missing endpoint."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from campaign.core.extensions import db
from campaign.models import LetterTemplate, User
from campaign.seed import seed_demo

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


# -- the guides' pages ----------------------------------------------------------
# The organiser's and staff guides (docs/) show these pages; each is checked like any
# other and photographed into docs/img/ in the guides' window.

SAMPLE_IMPORT = (
    "external_id,country,body,body_kind,title,name,email,party,constituency,language,active\n"
    "de-demo-900,DE,Deutscher Bundestag,parliament,MdB,Erika Beispiel,"
    "erika.beispiel@example.org,Demo,Berlin-Mitte,de,true\n"
)


def _heading(page, text: str) -> None:
    expect(page.locator("main h1").first).to_contain_text(text)


def test_organiser_pages_the_guide_shows(
    live_server, app_context, browser_factory, docs_screenshot, tmp_path
):
    from campaign.models import Campaign

    seed_demo()
    make_user("organiser@example.org", "organiser")
    make_user("admin@example.org", "admin")
    campaign = db.session.execute(db.select(Campaign)).scalars().first()

    page = browser_factory(locale="en-GB").new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + "/login")
    expect(page.locator("#email")).to_be_visible()
    docs_screenshot(page, "login")
    audit(page, width=1280)
    log_in(page, live_server.url, "organiser@example.org")
    pages = (
        ("/organise/", "organiser-home", "Organise"),
        ("/organise/campaigns", "organiser-campaigns", "Campaigns"),
        (f"/organise/campaigns/{campaign.id}", "organiser-campaign-form", campaign.title),
        (f"/organise/campaigns/{campaign.id}/letters", "organiser-letters", "Letters"),
        (f"/organise/campaigns/{campaign.id}/translations", "organiser-translations", "language"),
        ("/organise/representatives", "organiser-representatives", "Representatives"),
    )
    for path, name, heading in pages:
        page.goto(live_server.url + path)
        _heading(page, heading)
        docs_screenshot(page, name)
        audit(page, width=None)

    # An import: the form, then its dry run, which writes nothing.
    sample = tmp_path / "representatives.csv"
    sample.write_text(SAMPLE_IMPORT, encoding="utf-8")
    page.goto(live_server.url + "/organise/imports/new")
    page.set_input_files("input[type=file]", str(sample))
    page.select_option("select#format", "csv")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("Erika Beispiel")
    expect(page.get_by_role("button", name="Write exactly this")).to_be_visible()
    docs_screenshot(page, "organiser-imports")
    audit(page, width=None)

    # The admin's pages: the accounts and the audit log (the import above wrote nothing).
    admin = browser_factory(locale="en-GB").new_page()
    admin.set_viewport_size({"width": 1280, "height": 800})
    log_in(admin, live_server.url, "admin@example.org")
    admin.goto(live_server.url + "/admin/users")
    expect(admin.locator("main")).to_contain_text("organiser@example.org")
    docs_screenshot(admin, "admin-accounts")
    audit(admin, width=None)
    admin.goto(live_server.url + "/admin/audit")
    _heading(admin, "Audit log")
    docs_screenshot(admin, "admin-audit")
    audit(admin, width=None)


def test_staff_pages_the_guide_shows(live_server, app_context, browser_factory, docs_screenshot):
    from datetime import timedelta

    from campaign.models import LetterState, Reply
    from campaign.tracking import replies

    from .. import tracking_helpers as th

    seed_demo()
    make_user("staff@example.org", "staff")
    reps = th.reps_of("DE")
    sent = th.send_letters(reps[:3], sent_ago=timedelta(days=2))
    replies.log_response(
        sent[0], "phone", "supportive", "", sent[0].sent_at + timedelta(hours=5), None
    )
    db.session.add(
        Reply(
            letter_id=sent[1].id,
            kind="human",
            from_addr=reps[1].email,
            from_name=reps[1].name,
            subject="Re: The time for release is now",
            text="Thank you for your letter. I have raised the matter with the ministry.",
            own_text="Thank you for your letter. I have raised the matter with the ministry.",
            raw=b"",
            dedupe_key="guide-reply",
        )
    )
    held = th.new_letters(reps[3:5], None, "Hanna Prykladna", LetterState.HELD)
    held[0].submission.hold_reason = "one client address sent for 6 email addresses within 24 hours"
    db.session.commit()

    page = browser_factory(locale="en-GB").new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "staff@example.org")
    pages = (
        ("/staff/held", "staff-held", "6 email addresses"),
        ("/staff/replies", "staff-replies", "Re: The time for release is now"),
        (f"/staff/letters/{sent[0].id}", "staff-letter", re.compile("supportive", re.I)),
        ("/staff/queues", "staff-queues", "Sending queues"),
    )
    for path, name, shown in pages:
        page.goto(live_server.url + path)
        expect(page.locator("main")).to_contain_text(shown)
        docs_screenshot(page, name)
        audit(page, width=None)

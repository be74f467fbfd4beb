"""Several public campaigns: each at /c/<slug>/ with its own letters, counters, mails
and status pages; the site's root lists the open ones; the first addresses serve the
default campaign, which organisers choose; dates open and close a campaign."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import g

from campaign.core.extensions import db
from campaign.core.queues import redis_connection
from campaign.models import AuditEntry, Campaign, Letter, LetterTemplate, Submission
from campaign.people import directory
from campaign.seed import SECOND_CAMPAIGN, SECOND_SLUG, seed_demo

from . import flow
from .conftest import csrf_token
from .organisers_support import log_in_as

FIRST_SLUG = "time-for-release"
SECOND_TITLE = SECOND_CAMPAIGN["title"]


@pytest.fixture
def two(app):
    seed_demo(second_campaign=True)
    return app


def campaign(slug: str) -> Campaign:
    return db.session.execute(db.select(Campaign).filter_by(slug=slug)).scalar_one()


def write(client, prefix: str, email: str) -> int:
    """Write to two German representatives through ``prefix``; the submission's id."""
    g.pop("csrf_token", None)  # the test's app context outlives requests and clients
    reps = [r.id for r in flow.representatives_of("DE")[:2]]
    query = "&".join(f"rep={i}" for i in reps)
    page = client.get(f"{prefix}/write/DE/letters?{query}")
    assert page.status_code == 200
    form = flow.Details(email=email).form(csrf_token(page.get_data(as_text=True)), reps)
    response = client.post(f"{prefix}/write/DE/letters", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert response.headers["Location"] == f"{prefix}/check-your-email"
    return db.session.execute(
        db.select(Submission.id).order_by(Submission.id.desc()).limit(1)
    ).scalar_one()


def mail_to(app, email: str):
    return next(
        m
        for m in flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))
        if m["To"].addresses[0].addr_spec == email
    )


def clear_counts():
    for key in redis_connection().scan_iter("campaign:*:public-counts"):
        redis_connection().delete(key)


def test_the_root_lists_the_open_campaigns_each_at_its_own_address(two, client):
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Campaigns open now" in html
    assert f'href="/c/{FIRST_SLUG}/"' in html and f'href="/c/{SECOND_SLUG}/"' in html
    second = client.get(f"/c/{SECOND_SLUG}/").get_data(as_text=True)
    assert f"<h1>{SECOND_TITLE}</h1>" in second
    # Its country form, and the links after it, stay at its address.
    assert f'action="/c/{SECOND_SLUG}/write"' in second
    response = client.get(f"/c/{SECOND_SLUG}/write?country=de")
    assert response.headers["Location"] == f"/c/{SECOND_SLUG}/write/DE"
    page = client.get(f"/c/{SECOND_SLUG}/write/DE").get_data(as_text=True)
    assert f'action="/c/{SECOND_SLUG}/write/DE/letters"' in page
    assert "Custody Watch (demo organiser)" in page  # its organiser in the footer
    assert client.get("/c/no-such-campaign/").status_code == 404
    assert client.get("/c/no-such-campaign/write/DE").status_code == 404


def test_the_root_shows_the_only_open_campaign(two, client):
    second = campaign(SECOND_SLUG)
    second.closes_at = directory.today() - timedelta(days=1)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Campaigns open now" not in html and 'action="/write"' in html  # the default's
    first, second = campaign(FIRST_SLUG), campaign(SECOND_SLUG)
    first.closes_at, second.closes_at = second.closes_at, None
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == f"/c/{SECOND_SLUG}/"


def test_a_campaign_without_a_published_letter_has_no_public_address(two, client):
    for template in db.session.execute(db.select(LetterTemplate)).scalars():
        if template.campaign.slug == SECOND_SLUG:
            template.published_version_id = None
    db.session.commit()
    assert client.get(f"/c/{SECOND_SLUG}/").status_code == 404
    assert "Campaigns open now" not in client.get("/").get_data(as_text=True)


def test_letters_mails_counters_and_status_belong_to_their_campaign(two, client, app, drain):
    first_id = write(client, "", "first@example.org")
    second_id = write(client, f"/c/{SECOND_SLUG}", "second@example.org")
    by_campaign = dict(
        db.session.execute(
            db.select(Letter.submission_id, Campaign.slug).join(
                Campaign, Campaign.id == Letter.campaign_id
            )
        ).all()
    )
    assert by_campaign == {first_id: FIRST_SLUG, second_id: SECOND_SLUG}
    drain()
    second_mail = mail_to(app, "second@example.org")
    assert second_mail["From"].addresses[0].display_name == SECOND_TITLE
    assert second_mail["Subject"] == f"Please confirm your letters – {SECOND_TITLE}"
    link = flow.confirmation_link(second_mail)
    assert f"campaign.example.org/c/{SECOND_SLUG}/confirm/" in link
    assert f"/c/{SECOND_SLUG}/status/" in second_mail.get_content()
    assert f"/c/{SECOND_SLUG}/privacy" in second_mail.get_content()
    assert "custody@example.org" in second_mail.get_content()
    first_link = flow.confirmation_link(mail_to(app, "first@example.org"))
    assert "campaign.example.org/confirm/" in first_link  # the default: first addresses

    # Under another campaign's address, the link leads to its own campaign's.
    token = link.rsplit("/", 1)[1]
    elsewhere = client.get(f"/c/{FIRST_SLUG}/confirm/{token}")
    assert elsewhere.status_code == 308
    assert elsewhere.headers["Location"] == f"/c/{SECOND_SLUG}/confirm/{token}"
    confirmed = flow.confirm(client, link)
    status_path = f"/c/{SECOND_SLUG}/status/"
    assert confirmed.headers["Location"].startswith(status_path)
    status = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert f'value="http://campaign.example.org/c/{SECOND_SLUG}/"' in status  # share link
    assert f'data-status-url="{status_path}' in status
    drain()

    clear_counts()
    english = {"Accept-Language": "en"}
    second_page = client.get(f"/c/{SECOND_SLUG}/", headers=english).get_data(as_text=True)
    assert "<strong>1</strong> person has written to their representatives" in second_page
    assert "<strong>2</strong> letters have gone out" in second_page
    first_page = client.get(f"/c/{FIRST_SLUG}/", headers=english).get_data(as_text=True)
    assert 'class="counts"' not in first_page  # its supporter never confirmed


def _close(slug: str, **dates) -> Campaign:
    found = campaign(slug)
    for name, value in dates.items():
        setattr(found, name, value)
    db.session.commit()
    return found


@pytest.mark.parametrize("when", ["not_yet", "closed"])
def test_a_campaign_outside_its_dates_says_so_and_takes_no_letters(two, client, when):
    today = directory.today()
    reps = [r.id for r in flow.representatives_of("DE")[:1]]
    prefix = f"/c/{SECOND_SLUG}"
    token = csrf_token(client.get(f"{prefix}/write/DE/letters?rep={reps[0]}").get_data(True))
    if when == "not_yet":
        _close(SECOND_SLUG, opens_at=today + timedelta(days=3), closes_at=today + timedelta(9))
        said = ("This campaign opens on", "Until then it takes no letters.")
    else:
        _close(SECOND_SLUG, opens_at=today - timedelta(days=9), closes_at=today - timedelta(1))
        said = ("This campaign closed on", "Letters already confirmed are still sent.")
    english = {"Accept-Language": "en"}
    for path in ("/", "/write/DE", f"/write/DE/letters?rep={reps[0]}"):
        page = client.get(prefix + path, headers=english)
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and all(s in html for s in said), path
        assert str((today + timedelta(3 if when == "not_yet" else -1)).year) in html
        assert 'name="email"' not in html
    posted = client.post(
        f"{prefix}/write/DE/letters", data=flow.Details().form(token, reps), headers=english
    )
    assert posted.status_code == 403 and said[0] in posted.get_data(as_text=True)
    assert db.session.execute(db.select(db.func.count(Letter.id))).scalar() == 0
    # The other campaign still takes letters.
    assert write(client, "", "first@example.org")


def test_closing_keeps_confirmed_letters_going_and_confirms_no_more(two, client, app, drain):
    confirmed_id = write(client, f"/c/{SECOND_SLUG}", "early@example.org")
    pending_id = write(client, f"/c/{SECOND_SLUG}", "late@example.org")
    drain()
    flow.confirm(client, flow.confirmation_link(mail_to(app, "early@example.org")))
    late = flow.confirmation_link(mail_to(app, "late@example.org"))
    path = late.split("campaign.example.org", 1)[1]
    token = csrf_token(client.get(path).get_data(as_text=True))
    _close(SECOND_SLUG, closes_at=directory.today() - timedelta(days=1))
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "This campaign closed on" in page.get_data(as_text=True)
    refused = client.post(path, data={"csrf_token": token})
    assert refused.status_code == 403
    drain()
    states = dict(
        db.session.execute(db.select(Letter.submission_id, Letter.state).distinct()).all()
    )
    assert states == {confirmed_id: "sent", pending_id: "awaiting_confirmation"}


def test_the_first_addresses_serve_the_default_campaign_organisers_choose(two, client):
    first, second = campaign(FIRST_SLUG), campaign(SECOND_SLUG)
    assert directory.default_campaign().id == first.id
    organiser = two.test_client()
    g.pop("csrf_token", None)
    log_in_as(organiser)
    listing = organiser.get("/organise/campaigns").get_data(as_text=True)
    assert f'href="/c/{SECOND_SLUG}/"' in listing
    response = organiser.post(
        f"/organise/campaigns/{second.id}/default", data={"csrf_token": csrf_token(listing)}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [c.slug for c in db.session.execute(db.select(Campaign)).scalars() if c.is_default] == [
        SECOND_SLUG
    ]
    audited = db.session.execute(
        db.select(AuditEntry.object_id, AuditEntry.summary).filter_by(object_type="campaign")
    ).all()
    assert (first.id, f"the campaign {FIRST_SLUG} is no longer the default; {SECOND_SLUG} is") in (
        audited
    )
    assert any(oid == second.id and "is_default" in summary for oid, summary in audited)
    # GET and POST at the first addresses now write for the second campaign.
    assert "Custody Watch (demo organiser)" in client.get("/write/DE").get_data(as_text=True)
    submission_id = write(client, "", "default@example.org")
    assert db.session.get(Submission, submission_id).campaign_id == second.id


def test_the_default_is_chosen_on_the_campaign_form_too(two):
    organiser = two.test_client()
    g.pop("csrf_token", None)
    log_in_as(organiser)
    second = campaign(SECOND_SLUG)
    url = f"/organise/campaigns/{second.id}"
    page = organiser.get(url).get_data(as_text=True)
    assert 'name="is_default"' in page and f"/c/{SECOND_SLUG}/" in page
    from .test_organisers_campaigns import VALID

    data = {**VALID, "slug": SECOND_SLUG, "is_default": "y", "csrf_token": csrf_token(page)}
    assert organiser.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert directory.default_campaign().slug == SECOND_SLUG
    assert campaign(FIRST_SLUG).is_default is False

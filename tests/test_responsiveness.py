"""The public responsiveness page: off until an organiser switches it on; per
representative with enough data the share answered with its Wilson interval and
the median time to reply; below the minimum sample "too few letters to say";
never a supporter or a letter's text; in every interface language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from campaign.core.extensions import db
from campaign.models import AuditEntry, Campaign
from campaign.tracking import replies as reply_service
from campaign.tracking import rollups
from campaign.tracking.responsiveness import wilson_interval

from . import tracking_helpers as th
from .htmlforms import forms_in
from .organisers_support import log_in_as


def test_the_wilson_interval_of_three_in_ten():
    low, high = wilson_interval(3, 10)
    assert (round(low * 100, 1), round(high * 100, 1)) == (10.8, 60.3)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def _letters(rep, count: int, prefix: str) -> list:
    return [
        th.send_letters([rep], email=f"{prefix}{i}@example.org", sent_ago=timedelta(days=10))[0]
        for i in range(count)
    ]


def _switch_on(client, campaign_id: int) -> None:
    url = f"/organise/campaigns/{campaign_id}"
    (form,) = [f for f in forms_in(client.get(url).get_data(as_text=True)) if f.method == "post"][
        :1
    ]
    data = form.defaults()
    data["public_responsiveness"] = ["y"]
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_the_public_page_off_by_default_then_true_and_private(seeded):
    client = seeded.test_client()
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    answering, quiet, surveyed = th.reps_of("DE")[:3]
    # Ten letters, three answered by a person (a call logged by staff), dated.
    letters = _letters(answering, 10, "a")
    for letter in letters[:3]:
        reply_service.log_response(
            letter, "phone", None, "", letter.sent_at + timedelta(days=2), None
        )
    _letters(quiet, 4, "q")
    # Ten letters, three "yes" in the survey and nothing else: three survey answers
    # are too few when the survey is the only source.
    for letter in _letters(surveyed, 10, "s")[:3]:
        th.survey_yes(letter)
    rollups.refresh()

    url = f"/responsiveness/{campaign.slug}"
    refused = client.get(url)
    assert refused.status_code == 404
    assert "does not publish" in refused.get_data(as_text=True)

    organiser = seeded.test_client()
    log_in_as(organiser)
    _switch_on(organiser, campaign.id)
    db.session.expire_all()
    assert campaign.public_responsiveness is True
    entry = db.session.execute(db.select(AuditEntry).filter_by(object_type="campaign")).scalar_one()
    assert entry.changes["public_responsiveness"] == [False, True]

    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = html[html.index('id="responsive"') : html.index('id="too-few"')]
    assert answering.name in shown
    assert "3 of 10 letters (30%)" in shown
    assert "10.8% to 60.3%" in shown
    assert "2 days" in shown
    too_few = html[html.index('id="too-few"') :]
    assert quiet.name in too_few and surveyed.name in too_few
    assert quiet.name not in shown and surveyed.name not in shown
    assert "Too few letters to say" in html
    # Nothing about supporters, nothing of the letters.
    # (The organiser's own contact address is in the footer: that one is public.)
    for private in ("a0@example.org", "q0@example.org", "s0@example.org", "Maryja", "please act"):
        assert private not in html, private
    method = client.get("/responsiveness/method").get_data(as_text=True)
    assert "Wilson" in method and "10.8%" in method and "60.3%" in method


@pytest.mark.parametrize("language", ["be", "ru", "uk", "pl", "lt", "lv", "de", "fr"])
def test_the_public_pages_speak_every_interface_language(seeded, language):
    client = seeded.test_client()
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    campaign.public_responsiveness = True
    db.session.commit()
    english = client.get(f"/responsiveness/{campaign.slug}?lang=en").get_data(as_text=True)
    page = client.get(f"/responsiveness/{campaign.slug}?lang={language}").get_data(as_text=True)
    method = client.get(f"/responsiveness/method?lang={language}").get_data(as_text=True)
    assert "How representatives respond" in english
    assert "How representatives respond" not in page
    assert "No representative has enough letters yet." not in page
    assert "How we count responses" not in method and "Automatic replies" not in method


def test_an_office_that_disputes_its_figures_is_listed_without_them(seeded):
    from campaign.models import User
    from campaign.people import office_requests

    client = seeded.test_client()
    campaign = db.session.execute(db.select(Campaign)).scalar_one()
    campaign.public_responsiveness = True
    db.session.commit()
    disputing, other = th.reps_of("DE")[:2]
    for rep in (disputing, other):
        for letter in _letters(rep, 10, f"d{rep.id}-")[:4]:
            reply_service.log_response(
                letter, "phone", None, "", letter.sent_at + timedelta(days=1), None
            )
    rollups.refresh()
    staff = User(email="staff@example.org", role="staff")
    staff.set_password("a long enough password")
    db.session.add(staff)
    db.session.commit()
    office_requests.record(disputing, "dispute", note="our count differs", user=staff)

    html = client.get(f"/responsiveness/{campaign.slug}").get_data(as_text=True)
    shown = html[html.index('id="responsive"') : html.index('id="disputed"')]
    disputed = html[html.index('id="disputed"') :]
    assert other.name in shown and "4 of 10 letters (40%)" in shown
    assert disputing.name not in shown
    assert disputing.name in disputed and "4 of 10" not in disputed

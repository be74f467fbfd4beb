"""The follow-up survey: one email per supporter 14 days after sending, one
reminder 7 days later, answers recorded only by the page's form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from campaign.core.extensions import db
from campaign.models import SurveyAnswer, SurveyInvitation
from campaign.models.base import utcnow
from campaign.tracking import reports, surveys

from . import tracking_helpers as th
from .conftest import csrf_token
from .htmlforms import inline_problems


@pytest.fixture
def tracked(make_app):
    app = make_app(INBOUND_DOMAIN=th.INBOUND_DOMAIN, INBOUND_SECRET=th.INBOUND_SECRET)
    with app.app_context():
        from campaign.seed import seed_demo

        seed_demo()
        yield app


def _survey_path(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"https?://campaign\.example\.org(/survey/\S+)", text)
    assert match, text
    return match.group(1)


def _answers() -> dict[int, SurveyAnswer]:
    db.session.expire_all()
    return {a.letter_id: a for a in db.session.execute(db.select(SurveyAnswer)).scalars()}


def test_one_survey_per_supporter_after_fourteen_days(tracked):
    client = tracked.test_client()
    de = th.reps_of("DE")
    replied, quiet, silent = th.send_letters(
        de[:3], email="maryja@example.org", sent_ago=timedelta(days=15)
    )
    th.send_letters(de[3:5], email="recent@example.org", sent_ago=timedelta(days=3))
    # One representative answered by email: they are not asked about.
    th.post_inbound(client, th.raw_mode(th.mail("talon_gmail.eml"), [th.address_of(replied)]))
    names = {letter.id: letter.representative.name for letter in (replied, quiet, silent)}
    ids = (replied.id, quiet.id, silent.id)
    th.drain()  # the forward of that reply

    assert surveys.send_surveys_job() == 1
    assert surveys.send_surveys_job() == 0  # asked once
    (invitation,) = db.session.execute(db.select(SurveyInvitation)).scalars().all()
    assert sorted(_answers()) == sorted(ids[1:])
    th.drain()
    (message,) = [
        m
        for m in th.outbox(tracked)
        if str(m["Subject"]).strip() == "Did your representatives reply?"
    ]
    assert [a.addr_spec for a in message["To"].addresses] == ["maryja@example.org"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert names[ids[1]] in body and names[ids[2]] in body and names[ids[0]] not in body
    path = _survey_path(message)
    assert "maryja" not in path and "@" not in path  # a signed id, nothing else

    # Opening the link changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert names[ids[1]] in html and names[ids[2]] in html
    assert names[ids[0]] not in html  # their reply was captured: not asked about
    assert inline_problems(html) == []
    assert all(a.answer is None for a in _answers().values())
    # Without the page's token, nothing is recorded either.
    answers = _answers()
    first, second = answers[ids[1]], answers[ids[2]]
    form = {f"answer-{first.id}": "yes", f"note-{first.id}": "They phoned me: they will raise it."}
    assert client.post(path, data=form).status_code == 400
    assert _answers()[ids[1]].answer is None

    form.update({"csrf_token": csrf_token(html), f"answer-{second.id}": "automatic"})
    saved = client.post(path, data=form)
    assert saved.status_code == 302 and "saved=1" in saved.headers["Location"]
    answers = _answers()
    assert answers[ids[1]].answer == "yes" and answers[ids[1]].note.startswith("They phoned me")
    assert answers[ids[2]].answer == "automatic" and answers[ids[2]].note == ""
    assert th.state_of(ids[1]) == "replied"  # the supporter says so
    assert th.state_of(ids[2]) == "sent"
    assert th.state_of(ids[0]) == "replied"  # captured

    rows = reports.responses("representative")
    assert sum(r.counts["replied_surveyed"] for r in rows) == 1
    assert sum(r.counts["replied_captured"] for r in rows) == 1
    assert sum(r.counts["replied"] for r in rows) == 2
    db.session.expire_all()
    assert db.session.get(SurveyInvitation, invitation.id).answered_at is not None


def test_one_reminder_a_week_later_only_while_something_is_unanswered(tracked):
    client = tracked.test_client()
    fr = th.reps_of("FR")
    asked, captured_later = th.send_letters(
        fr[:2], email="camille@example.org", sent_ago=timedelta(days=15)
    )
    (done,) = th.send_letters(fr[2:3], email="done@example.org", sent_ago=timedelta(days=15))
    ids = {"asked": asked.id, "captured_later": captured_later.id, "done": done.id}
    assert surveys.send_surveys_job() == 2
    th.drain()
    before = len(th.outbox(tracked))

    # "done" answers everything; the other supporter answers nothing.
    done_invitation = db.session.execute(
        db.select(SurveyInvitation).join(SurveyAnswer).filter(SurveyAnswer.letter_id == ids["done"])
    ).scalar_one()
    (answer,) = done_invitation.answers
    surveys.record_answers(done_invitation, {answer.id: ("no", "ignored note")})
    assert _answers()[ids["done"]].note == ""

    assert surveys.send_survey_reminders_job() == 0  # too early
    for invitation in db.session.execute(db.select(SurveyInvitation)).scalars():
        invitation.sent_at = utcnow() - timedelta(days=8)
    db.session.commit()
    # A reply captured meanwhile takes that representative off the reminder.
    reply_post = th.raw_mode(
        th.mail("talon_thunderbird.eml"),
        [th.address_of(db.session.get(type(asked), ids["captured_later"]))],
    )
    th.post_inbound(client, reply_post)

    assert surveys.send_survey_reminders_job() == 1
    assert surveys.send_survey_reminders_job() == 0  # one reminder, ever
    th.drain()
    messages = th.outbox(tracked)[before:]
    reminders = [m for m in messages if str(m["Subject"]).startswith("Reminder")]
    (reminder,) = reminders
    assert [a.addr_spec for a in reminder["To"].addresses] == ["camille@example.org"]
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    asked_rep = db.session.get(type(asked), ids["asked"]).representative.name
    captured_rep = db.session.get(type(asked), ids["captured_later"]).representative.name
    assert asked_rep in text and captured_rep not in text
    page = client.get(_survey_path(reminder)).get_data(as_text=True)
    assert asked_rep in page and "Replies we received" in page


def test_letters_too_recent_bounced_or_replied_are_not_surveyed(tracked):
    th.send_letters(th.reps_of("PL")[:1], sent_ago=timedelta(days=13))
    (bounced,) = th.send_letters(th.reps_of("PL")[1:2], sent_ago=timedelta(days=20))
    bounced.state = "bounced"
    db.session.commit()
    assert surveys.send_surveys_job() == 0


def test_bad_and_expired_links(tracked, make_app):
    client = tracked.test_client()
    assert client.get("/survey/not-a-token").status_code == 404
    (letter,) = th.send_letters(th.reps_of("IE")[:1], sent_ago=timedelta(days=15))
    surveys.send_surveys_job()
    invitation = db.session.execute(db.select(SurveyInvitation)).scalar_one()
    token = surveys.survey_token(invitation.id)
    assert client.get(f"/survey/{token}").status_code == 200
    strict = make_app(SURVEY_LINK_MAX_AGE_DAYS=-1, SECRET_KEY=tracked.config["SECRET_KEY"])
    with strict.app_context():
        assert strict.test_client().get(f"/survey/{token}").status_code == 410
    assert letter.id


def test_the_survey_comes_from_the_campaign_in_the_supporters_language(tracked):
    from flask_babel import force_locale, gettext

    (letter,) = th.send_letters(
        th.reps_of("DE")[:1], email="alesia@example.org", sent_ago=timedelta(days=15)
    )
    letter.supporter.locale = "be"
    db.session.commit()
    assert surveys.send_surveys_job() == 1
    th.drain()
    (message,) = [m for m in th.outbox(tracked) if m["To"].addresses[0].username == "alesia"]
    with force_locale("be"):
        expected = gettext(letter.campaign.title)
    assert expected != letter.campaign.title  # the appeal's title is translated
    assert message["From"].addresses[0].display_name == expected

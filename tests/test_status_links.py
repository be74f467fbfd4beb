"""H2: every link that carries a supporter's token expires, the status page never
carries a data link, and a deleted supporter's links show nothing of them.

Each test replays the review's request: a status link signed long ago, the
status page's own data link, links opened after the supporter deleted their data."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import itsdangerous.timed
import pytest

from campaign.core import tokens
from campaign.core.extensions import db
from campaign.models import Letter, LetterEvent, LetterState, SurveyInvitation
from campaign.models.base import utcnow
from campaign.supporters import privacy, submissions
from campaign.tracking import surveys

from .conftest import csrf_token
from .test_privacy import outbox, write

TWO_YEARS = 2 * 365 * 86400


def _signed_at(monkeypatch, seconds_ago: float, purpose: str, ident: int) -> str:
    """A token as the app would have signed it ``seconds_ago``."""
    then = time.time() - seconds_ago
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed.time, "time", lambda: then)
        return tokens.make_token(purpose, ident)


def _finish(submission, ago: timedelta) -> None:
    """Every letter of ``submission`` delivered, ``ago``."""
    submissions.confirm(submission)
    for letter in db.session.execute(
        db.select(Letter).filter_by(submission_id=submission.id)
    ).scalars():
        letter.state = LetterState.DELIVERED.value
        db.session.add(
            LetterEvent(letter=letter, from_state="queued", to_state="delivered", cause="test")
        )
    db.session.flush()
    db.session.execute(
        db.update(LetterEvent)
        .where(
            LetterEvent.letter_id.in_(db.select(Letter.id).filter_by(submission_id=submission.id))
        )
        .values(created_at=utcnow() - ago)
    )
    db.session.commit()


def test_a_status_link_signed_two_years_ago_has_expired(seeded, client, monkeypatch):
    submission = write(client)
    _finish(submission, timedelta(days=700))
    token = _signed_at(monkeypatch, TWO_YEARS, tokens.STATUS, submission.id)
    page = client.get(f"/status/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 410
    assert "/your-data/" not in html and "Maryja" not in html
    assert 'href="/status"' in html  # a way to ask for a fresh one
    polled = client.get(f"/status/{token}.json")
    assert polled.status_code == 410 and "letters" not in polled.get_json()


def test_the_link_works_while_letters_travel_and_for_the_period_after(
    seeded, client, monkeypatch, app
):
    submission = write(client)
    # Confirmed long ago, still queued: the link still shows the letters.
    submissions.confirm(submission)
    token = _signed_at(monkeypatch, 40 * 86400, tokens.STATUS, submission.id)
    assert client.get(f"/status/{token}").status_code == 200
    # Finished 29 days ago: still within STATUS_LINK_MAX_AGE_DAYS (30) ...
    _finish(submission, timedelta(days=29))
    assert client.get(f"/status/{token}").status_code == 200
    assert client.get(f"/status/{token}.json").status_code == 200
    # ... 31 days ago: gone.
    _finish(submission, timedelta(days=31))
    assert client.get(f"/status/{token}").status_code == 410
    # A link issued today works for the whole period again.
    fresh = tokens.make_token(tokens.STATUS, submission.id)
    assert client.get(f"/status/{fresh}").status_code == 200
    app.config["STATUS_LINK_MAX_AGE_DAYS"] = 0
    assert client.get(f"/status/{fresh}").status_code == 410


def test_the_status_page_offers_to_mail_a_data_link_and_never_carries_one(
    seeded, client, drain, app
):
    submission = write(client)
    submissions.confirm(submission)
    drain()
    before = len(outbox(app))
    path = f"/status/{tokens.make_token(tokens.STATUS, submission.id)}"
    html = client.get(path).get_data(as_text=True)
    assert "/your-data/" not in html
    assert client.post(path + "/data-link").status_code == 400  # no CSRF token
    sent = client.post(path + "/data-link", data={"csrf_token": csrf_token(html)})
    assert sent.status_code == 200 and "/your-data/" not in sent.get_data(as_text=True)
    drain()
    (mail,) = outbox(app)[before:]
    assert mail["To"].addresses[0].addr_spec == "maryja@example.org"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+(/your-data/\S+)", text).group(1)
    assert "Maryja Kowalska" in client.get(link).get_data(as_text=True)


def test_a_fresh_status_link_by_email(seeded, client, drain, app, monkeypatch):
    submission = write(client)
    _finish(submission, timedelta(days=100))
    write(client, email="never-confirmed@example.org")
    drain()
    before = len(outbox(app))

    def ask(email):
        token = csrf_token(client.get("/status").get_data(as_text=True))
        response = client.post("/status", data={"csrf_token": token, "email": email})
        assert response.status_code == 302
        return client.get(response.headers["Location"]).get_data(as_text=True)

    assert ask(" MARYJA@example.org") == ask("nobody@example.org")
    assert "30 days" in ask("never-confirmed@example.org")
    token = csrf_token(client.get("/status").get_data(as_text=True))
    refused = client.post("/status", data={"csrf_token": token, "email": "not an address"})
    assert refused.status_code == 200 and "does not look like an email address" in (
        refused.get_data(as_text=True)
    )
    drain()
    (mail,) = outbox(app)[before:]  # nothing for unknown or unconfirmed letters
    assert mail["To"].addresses[0].addr_spec == "maryja@example.org"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+(/status/\S+)", text)
    page = client.get(link)
    assert page.status_code == 200 and "Your letters" in page.get_data(as_text=True)


@pytest.fixture
def deleted(seeded, client):
    submission = write(client)
    confirm_token = tokens.make_token(tokens.CONFIRM, submission.id)
    status_token = tokens.make_token(tokens.STATUS, submission.id)
    invitation = SurveyInvitation(supporter_id=submission.supporter_id)
    db.session.add(invitation)
    db.session.commit()
    survey_token = surveys.survey_token(invitation.id)
    names = [letter.representative.name for letter in submission.letters]
    for path in (f"/status/{status_token}", f"/confirm/{confirm_token}", f"/survey/{survey_token}"):
        assert client.get(path).status_code == 200
    privacy.erase_supporter(submission.supporter)
    return (
        [f"/status/{status_token}", f"/confirm/{confirm_token}", f"/survey/{survey_token}"],
        names,
        status_token,
    )


def test_after_deletion_the_links_show_nothing_of_the_supporter(client, deleted):
    paths, names, status_token = deleted
    for path in paths:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 404, path
        assert not any(name in html for name in names), path
    polled = client.get(f"/status/{status_token}.json")
    assert polled.status_code == 404 and "letters" not in polled.get_json()

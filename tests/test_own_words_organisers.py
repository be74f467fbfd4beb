"""Organisers set a campaign's questions and the similarity rule: saved and
audited when right, refused at the field (422, nothing saved) when not."""

from __future__ import annotations

import html

import pytest

from campaign.core.extensions import db
from campaign.models import AuditEntry, OwnWordsSettings

from . import own_words_support as ow
from .organisers_support import field_error, log_in_as, token_of


def _url() -> str:
    return f"/organise/campaigns/{ow.campaign().id}/own-words"


def _post(client, **fields):
    data = {
        "csrf_token": token_of(client, _url()),
        "question_1": "",
        "question_2": "",
        "question_3": "",
        "similarity_threshold": "0.5",
        "similarity_min_matches": "3",
        **fields,
    }
    return client.post(_url(), data=data)


def _saved() -> OwnWordsSettings | None:
    db.session.expire_all()
    return db.session.get(OwnWordsSettings, ow.campaign().id)


def test_only_organisers_reach_the_page(seeded, client):
    assert client.get(_url()).status_code in (302, 401, 403)
    log_in_as(client, "staff")
    assert client.get(_url()).status_code == 403


def test_questions_and_settings_are_saved_and_audited(seeded, client):
    log_in_as(client, "organiser")
    page = client.get(_url()).get_data(as_text=True)
    assert 'value="0.5"' in page and 'value="3"' in page  # the defaults
    response = _post(
        client,
        question_1="en: Why does this matter to you?\r\nde:   Warum ist Ihnen das wichtig?",
        question_3="en: Do you know someone affected?",
        answers_required="y",
        similarity_threshold="0.6",
        similarity_min_matches="5",
    )
    assert response.status_code == 302
    saved = _saved()
    assert saved.questions == [
        {"en": "Why does this matter to you?", "de": "Warum ist Ihnen das wichtig?"},
        {"en": "Do you know someone affected?"},
    ]
    assert (saved.answers_required, saved.similarity_threshold, saved.similarity_min_matches) == (
        True,
        0.6,
        5,
    )
    entry = db.session.execute(db.select(AuditEntry).order_by(AuditEntry.id.desc())).scalars()
    assert "own-words settings" in next(entry).summary
    again = client.get(_url()).get_data(as_text=True)
    assert "de: Warum ist Ihnen das wichtig?" in html.unescape(again)
    # The letters exist in languages the question is not yet given in: said at the field.
    assert "Not yet in:" in again


@pytest.mark.parametrize(
    "fields, field, message",
    [
        (
            {"question_1": "de: Warum ist Ihnen das wichtig?"},
            "question_1",
            "Give the question in the campaign's default language (en) too",
        ),
        ({"question_2": "xx: What?"}, "question_2", "line 1: write a language code"),
        ({"question_2": "en What?"}, "question_2", "line 1: write a language code"),
        ({"question_1": "en: " + "why " * 60}, "question_1", "at most 200 characters"),
        ({"question_1": "en: Why\x07?"}, "question_1", "line 1: write a language code"),
        ({"similarity_threshold": "1.5"}, "similarity_threshold", "A number from 0.1 to 1."),
        ({"similarity_threshold": "nan"}, "similarity_threshold", ""),
        ({"similarity_min_matches": "0"}, "similarity_min_matches", "A whole number from 1"),
        ({"similarity_min_matches": "9" * 30}, "similarity_min_matches", ""),
    ],
)
def test_mistakes_are_refused_at_their_field(seeded, client, fields, field, message):
    log_in_as(client, "organiser")
    response = _post(client, **fields)
    assert response.status_code == 422
    error = html.unescape(field_error(response.get_data(as_text=True), field))
    assert error and message in error
    assert _saved() is None


def test_a_nul_is_refused_at_its_field_with_a_reason(seeded, client):
    log_in_as(client, "organiser")
    response = _post(client, question_1="en: Why\x00?")
    assert response.status_code == 422
    error = html.unescape(field_error(response.get_data(as_text=True), "question_1"))
    assert "U+0000" in error
    assert _saved() is None


def test_the_campaign_page_leads_to_the_questions(seeded, client):
    log_in_as(client, "organiser")
    page = client.get(f"/organise/campaigns/{ow.campaign().id}").get_data(as_text=True)
    assert _url() in page

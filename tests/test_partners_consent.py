"""Consent to hear from a partner: offered only where the partner asks for it, never
ticked in advance, recorded with the sentence exactly as shown, its version and
language; the partners' side hears of it once the supporter confirms, and of its
withdrawal (the data page, or deleting one's data) after the commit; it is in the
data download and goes with the supporter's data."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape

import pytest
from flask import g
from flask_babel import force_locale
from sqlalchemy import text

from campaign.core import tokens
from campaign.core.extensions import db
from campaign.models import PartnerConsent, Submission, Supporter
from campaign.models.base import utcnow
from campaign.partners import consent, events
from campaign.seed import seed_demo
from campaign.supporters import privacy, submissions

from . import flow
from . import partner_pages_support as ps
from .conftest import csrf_token

VIA = f"/c/{ps.CAMPAIGN}/via/viasna"
EMBED = VIA + "/embed"
SENTENCE = "Viasna Friends may email me about this campaign and its work."


@pytest.fixture
def demo(app):
    seed_demo(second_campaign=True)
    return app


@pytest.fixture
def told(monkeypatch):
    """What the partners' side (campaign.partners.events) is told, each call with
    whether the transaction it joins already holds the confirmation or withdrawal
    (they are told inside it, so that both commit together or not at all)."""
    heard: list[tuple] = []

    def consents_in_transaction(ids):
        db.session.flush()  # as the ORM query of the real function does
        rows = db.session.execute(
            text("SELECT id, withdrawn_at FROM partner_consent WHERE id IN :ids").bindparams(
                db.bindparam("ids", expanding=True)
            ),
            {"ids": list(ids)},
        ).all()
        confirmed = db.session.execute(
            text(
                "SELECT count(*) FROM submission JOIN partner_consent "
                "ON partner_consent.submission_id = submission.id "
                "WHERE submission.confirmed_at IS NOT NULL AND partner_consent.id IN :ids"
            ).bindparams(db.bindparam("ids", expanding=True)),
            {"ids": list(ids)},
        ).scalar()
        return rows, confirmed

    real_confirmed, real_withdrawn = events.consents_confirmed, events.consent_withdrawn

    def confirmed(ids):
        rows, confirmed_count = consents_in_transaction(ids)
        heard.append(("confirmed", list(ids), confirmed_count == len(ids)))
        real_confirmed(ids)

    def withdrawn(consent_id):
        rows, _confirmed = consents_in_transaction([consent_id])
        heard.append(("withdrawn", consent_id, bool(rows) and rows[0][1] is not None))
        real_withdrawn(consent_id)

    monkeypatch.setattr(events, "consents_confirmed", confirmed)
    monkeypatch.setattr(events, "consent_withdrawn", withdrawn)
    return heard


def consents() -> list[PartnerConsent]:
    db.session.expire_all()
    return list(db.session.execute(db.select(PartnerConsent).order_by(PartnerConsent.id)).scalars())


def _box(html: str) -> str:
    match = re.search(r'<input[^>]*name="partner_consent"[^>]*>', html)
    assert match, "no consent box"
    return match.group(0)


def test_the_box_is_offered_unticked_with_the_partners_privacy_notice(demo, client):
    ps.make_partner()
    html = client.get(ps.letters_path(VIA, "LT", ps.rep_ids())).get_data(as_text=True)
    assert "checked" not in _box(html)
    label = re.search(r'<label for="partner_consent">([^<]*)</label>', html).group(1)
    assert unescape(label) == SENTENCE
    assert 'href="https://www.viasna.example/privacy"' in html
    # After a preview without the tick, still unticked.
    g.pop("csrf_token", None)
    token = csrf_token(html)
    preview = client.post(
        f"{VIA}/write/LT/letters", data=flow.Details().form(token, ps.rep_ids(), "preview")
    )
    assert "checked" not in _box(preview.get_data(as_text=True))


def test_no_box_where_the_partner_does_not_ask_nor_on_the_campaigns_own_pages(demo, client):
    ps.make_partner(offers_consent=False)
    for path in (VIA, f"/c/{ps.CAMPAIGN}"):
        html = client.get(ps.letters_path(path, "LT", ps.rep_ids())).get_data(as_text=True)
        assert 'name="partner_consent"' not in html and "may email me" not in html
    # A tick posted anyway records nothing.
    ps.write_via(client, VIA, flow.Details(), extra={"partner_consent": "y"})
    assert ps.submissions()[0].partner is not None and consents() == []


def test_a_ticked_box_records_the_words_as_shown_in_the_pages_language(demo, client, told):
    partner = ps.make_partner(consent_version=3)
    client.get(f"{VIA}?lang=de")  # the switch: German from now on
    html = client.get(ps.letters_path(VIA, "LT", ps.rep_ids())).get_data(as_text=True)
    shown = unescape(re.search(r'<label for="partner_consent">([^<]*)</label>', html).group(1))
    with force_locale("de"):
        assert shown == consent.wording(partner) != SENTENCE
    ps.write_via(client, VIA, flow.Details(email="yes@example.org"), extra={"partner_consent": "y"})
    ps.write_via(
        demo.test_client(), VIA, flow.Details(email="no@example.org")
    )  # not ticked: nothing
    (given,) = consents()
    assert given.wording == shown and given.language == "de" and given.wording_version == 3
    assert given.partner_id == partner.id and given.withdrawn_at is None
    assert given.supporter.email == "yes@example.org"
    assert given.given_at is not None and given.submission.partner_id == partner.id
    # The partners' side hears of it only once the address is confirmed, after that commit.
    assert told == []
    submissions.confirm(given.submission)
    assert told == [("confirmed", [given.id], True)]
    submissions.confirm(given.submission)  # confirming again tells nothing new
    assert len(told) == 1


def test_the_embedded_form_records_consent_too(demo, told):
    ps.make_partner()
    frame = demo.test_client(use_cookies=False)
    token, reps = ps.embedded_form(frame, EMBED)
    assert "checked" not in _box(frame.get(ps.letters_path(EMBED, "LT", reps)).get_data(True))
    sent = ps.post_embedded(
        frame, EMBED, token, reps, flow.Details(), extra={"partner_consent": "y"}
    )
    assert sent.status_code == 200
    (given,) = consents()
    assert given.wording == SENTENCE and given.language == "en"


def _data_path(supporter_id: int) -> str:
    return f"/your-data/{tokens.make_token(tokens.SUPPORTER_DATA, supporter_id)}"


def _consenting_supporter(client, email: str = "maryja@example.org") -> Supporter:
    ps.write_via(client, VIA, flow.Details(email=email), extra={"partner_consent": "y"})
    submission = ps.submissions()[-1]
    submissions.confirm(submission)
    return submission.supporter


def test_withdrawal_on_the_data_page(demo, client, told):
    ps.make_partner()
    supporter = _consenting_supporter(client)
    path = _data_path(supporter.id)
    page = client.get(path).get_data(as_text=True)
    assert SENTENCE in page and "Withdraw: Viasna Friends may no longer email me" in page
    (given,) = consents()
    g.pop("csrf_token", None)
    token = csrf_token(client.get(path).get_data(as_text=True))
    withdraw = f"{path}/consents/{given.id}/withdraw"
    assert client.get(withdraw).status_code == 405  # opening a link changes nothing
    response = client.post(withdraw, data={"csrf_token": token})
    assert response.status_code == 200
    assert "may no longer email you" in response.get_data(as_text=True)
    assert consents()[0].withdrawn_at is not None
    assert told[-1] == ("withdrawn", given.id, True)
    # Withdrawing again changes nothing and tells nothing.
    assert client.post(withdraw, data={"csrf_token": token}).status_code == 200
    assert [t[0] for t in told] == ["confirmed", "withdrawn"]
    # Another supporter's consent cannot be withdrawn through this link.
    other = _consenting_supporter(demo.test_client(), "other@example.org")
    theirs = next(c for c in consents() if c.supporter_id == other.id)
    g.pop("csrf_token", None)
    mine = csrf_token(client.get(path).get_data(as_text=True))
    refused = client.post(f"{path}/consents/{theirs.id}/withdraw", data={"csrf_token": mine})
    assert refused.status_code == 404 and consents()[1].withdrawn_at is None
    # Ticking again later (letters to others) gives it anew, with the words of that time.
    again = ps.write_via(client, VIA, flow.Details(), "PL", extra={"partner_consent": "y"})
    assert again.status_code == 302
    again = next(c for c in consents() if c.supporter_id == supporter.id)
    assert again.id == given.id and again.withdrawn_at is None
    assert again.submission_id == ps.submissions()[-1].id


def test_the_data_download_holds_the_consents(demo, client):
    ps.make_partner()
    supporter = _consenting_supporter(client)
    path = _data_path(supporter.id)
    token = csrf_token(client.get(path).get_data(as_text=True))
    data = json.loads(client.post(f"{path}/download", data={"csrf_token": token}).data)
    (item,) = data["partner_consents"]
    assert item["partner"] == "Viasna Friends" and item["wording"] == SENTENCE
    assert item["wording_version"] == 1 and item["language"] == "en"
    assert item["given_at"] and item["withdrawn_at"] is None
    assert item["campaign"] == ps.campaign().title


def test_deleting_ones_data_withdraws_then_deletes_the_consents(demo, client, told):
    ps.make_partner()
    supporter = _consenting_supporter(client)
    keep = _consenting_supporter(demo.test_client(), "keep@example.org")
    (given_id,) = [c.id for c in consents() if c.supporter_id == supporter.id]
    path = _data_path(supporter.id)
    g.pop("csrf_token", None)
    token = csrf_token(client.get(path).get_data(as_text=True))
    deleted = client.post(f"{path}/delete", data={"csrf_token": token, "sure": "y"})
    assert deleted.status_code == 200
    # Told while the consent still existed, in the transaction that withdrew it.
    assert ("withdrawn", given_id, True) in told
    assert [c.supporter_id for c in consents()] == [keep.id]
    assert db.session.get(Supporter, supporter.id).anonymised_at is not None


def test_retention_deletes_the_consents_of_supporters_it_anonymises(demo, client):
    ps.make_partner()
    supporter = _consenting_supporter(client)
    for letter in ps.submissions()[0].letters:
        letter.state = "sent"
        letter.sent_at = utcnow()
    db.session.get(Supporter, supporter.id).last_activity_at = utcnow() - timedelta(weeks=105)
    db.session.commit()
    assert privacy.anonymise_inactive_supporters() == 1
    assert consents() == []
    assert db.session.execute(db.select(db.func.count(Submission.id))).scalar() == 1

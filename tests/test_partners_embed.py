"""The embedded form (/c/<slug>/via/<partner>/embed/…) sends letters with no cookie:
its form token, signed, single-use and bound to the partner and the campaign,
stands in for the session's CSRF token, and the request's Origin must be the frame's
own or one of the partner's. The confirmation runs by the mail link, first-party."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask import g
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from campaign.core.queues import redis_connection
from campaign.partners import form_tokens
from campaign.seed import seed_demo

from . import flow
from . import partner_pages_support as ps

EMBED = f"/c/{ps.CAMPAIGN}/via/viasna/embed"


@pytest.fixture
def demo(app):
    seed_demo(second_campaign=True)
    return app


@pytest.fixture
def frame(demo):
    """A browser inside the partner's frame: it never sends or keeps a cookie."""
    return demo.test_client(use_cookies=False)


def test_a_letter_is_written_in_the_frame_without_any_cookie(demo, frame, drain):
    partner = ps.make_partner()
    landing = frame.get(EMBED)
    assert landing.status_code == 200 and "with Viasna Friends" in landing.get_data(as_text=True)
    token, reps = ps.embedded_form(frame, EMBED)
    page = frame.get(ps.letters_path(EMBED, "LT", reps)).get_data(as_text=True)
    assert 'name="csrf_token"' not in page
    sent = ps.post_embedded(frame, EMBED, token, reps, flow.Details(email="framed@example.org"))
    html = sent.get_data(as_text=True)
    assert sent.status_code == 200, html[-2000:]
    assert "framed@example.org" in html and "window of its own" in html
    for response in (landing, sent):
        assert "Set-Cookie" not in response.headers
    (submission,) = ps.submissions()
    assert submission.partner_id == partner.id
    # The mail's link is the campaign's own address: it opens first-party, outside the frame.
    drain()
    (mail,) = flow.outbox_messages(Path(demo.config["OUTBOX_DIR"]))
    link = flow.confirmation_link(mail)
    assert "/confirm/" in link and "/via/" not in link  # the default campaign: /confirm/…
    g.pop("csrf_token", None)
    confirmed = flow.confirm(demo.test_client(), link)
    assert confirmed.status_code == 302
    assert {letter.state for letter in ps.submissions()[0].letters} == {"queued"}


def _count() -> int:
    return len(ps.submissions())


def test_a_tampered_token_is_refused(demo, frame):
    ps.make_partner()
    token, reps = ps.embedded_form(frame, EMBED)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (flipped, "", "x" * 400, token + "x"):
        response = ps.post_embedded(frame, EMBED, bad, reps, flow.Details())
        assert response.status_code == 403, bad
        assert "not valid here" in response.get_data(as_text=True)
    assert _count() == 0


def test_a_token_is_used_once(demo, frame):
    ps.make_partner()
    token, reps = ps.embedded_form(frame, EMBED)
    # Updating the preview does not use it up.
    preview = ps.post_embedded(frame, EMBED, token, reps, flow.Details(), action="preview")
    assert preview.status_code == 200 and _count() == 0
    assert ps.form_token(preview.get_data(as_text=True)) != token  # each page, a new one
    first = ps.post_embedded(frame, EMBED, token, reps, flow.Details(email="once@example.org"))
    assert first.status_code == 200
    again = ps.post_embedded(frame, EMBED, token, reps, flow.Details(email="twice@example.org"))
    assert again.status_code == 409
    assert "sent already" in again.get_data(as_text=True)
    assert [s.supporter.email for s in ps.submissions()] == ["once@example.org"]
    # What marks it used, in Redis, lasts as long as the token could.
    keys = list(redis_connection().scan_iter("campaign:embedded-form:used:*"))
    assert len(keys) == 1
    assert 180 * 60 < redis_connection().ttl(keys[0]) <= 181 * 60


@pytest.mark.parametrize(
    "origin,taken",
    [
        (ps.OWN_ORIGIN, True),  # the frame itself: what browsers send
        (ps.PARTNER_ORIGIN, True),  # a registered origin of this partner
        ("https://evil.example", False),
        ("https://www.viasna.example.evil.example", False),
        ("http://localhost:8080", False),
        ("null", False),
        (None, False),
    ],
)
def test_the_origin_must_be_the_frames_own_or_the_partners(demo, frame, origin, taken):
    ps.make_partner()
    token, reps = ps.embedded_form(frame, EMBED)
    response = ps.post_embedded(frame, EMBED, token, reps, flow.Details(), origin=origin)
    if taken:
        assert response.status_code == 200
        assert _count() == 1
    else:
        assert response.status_code == 403
        assert "may not use it" in response.get_data(as_text=True)
        assert _count() == 0


def _old_token(app, partner, campaign, minutes: int) -> str:
    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - minutes * 60

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=form_tokens._SALT, signer=Earlier
    )
    return serializer.dumps([partner.id, campaign.id, "f" * 32])


def test_an_expired_form_sends_nothing_and_comes_back_with_a_fresh_token(demo, frame):
    partner = ps.make_partner()
    campaign = ps.campaign()
    _token, reps = ps.embedded_form(frame, EMBED)
    still = _old_token(demo, partner, campaign, 179)
    old = _old_token(demo, partner, campaign, 181)
    expired = ps.post_embedded(frame, EMBED, old, reps, flow.Details(email="late@example.org"))
    html = expired.get_data(as_text=True)
    assert expired.status_code == 400
    assert "open too long" in html and "late@example.org" in html  # nothing typed is lost
    fresh = ps.form_token(html)
    assert fresh != old and _count() == 0
    assert ps.post_embedded(frame, EMBED, fresh, reps, flow.Details()).status_code == 200
    assert ps.post_embedded(
        frame, EMBED, still, reps, flow.Details(email="b@example.org")
    ).status_code == (200)
    assert _count() == 2


def test_another_partners_or_campaigns_token_is_refused(demo, frame):
    ps.make_partner()
    ps.make_partner(slug="belarus-solidarity", name="Belarus Solidarity")
    ps.make_partner(slug="custody", name="Custody Watch", campaign_slug="no-one-dies-in-custody")
    other, reps = ps.embedded_form(frame, f"/c/{ps.CAMPAIGN}/via/belarus-solidarity/embed")
    refused = ps.post_embedded(frame, EMBED, other, reps, flow.Details())
    assert refused.status_code == 403
    campaign_token, _reps = ps.embedded_form(frame, "/c/no-one-dies-in-custody/via/custody/embed")
    assert ps.post_embedded(frame, EMBED, campaign_token, reps, flow.Details()).status_code == 403
    # A first-party page's CSRF token is no form token either.
    assert ps.post_embedded(frame, EMBED, "IjEyMyI.abc", reps, flow.Details()).status_code == 403
    assert _count() == 0
    # Each still works where it belongs.
    own = ps.post_embedded(
        frame, f"/c/{ps.CAMPAIGN}/via/belarus-solidarity/embed", other, reps, flow.Details()
    )
    assert own.status_code == 200 and _count() == 1


def test_first_party_pages_still_need_their_csrf_token(demo, frame):
    ps.make_partner()
    token, reps = ps.embedded_form(frame, EMBED)
    via = f"/c/{ps.CAMPAIGN}/via/viasna"
    # The form token does not open the partner's first-party page, nor the campaign's.
    for prefix in (via, f"/c/{ps.CAMPAIGN}"):
        response = ps.post_embedded(frame, prefix, token, reps, flow.Details())
        assert response.status_code == 400, prefix
    assert _count() == 0

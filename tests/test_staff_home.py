"""The staff home says what needs attention today, with counts and links, and the
day's and the week's figures, each equal to a count over the raw records."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import re
from datetime import timedelta

from campaign.core.extensions import db
from campaign.devtools.backlog import make_backlog
from campaign.models import AddressFlag, Campaign, Letter, Reply, Representative
from campaign.models.base import utcnow

from .delivery_support import dispatch_all, sendgrid, sendgrid_settings, sg_app  # noqa: F401
from .htmlforms import inline_problems
from .test_auth import login, make_user


def cell(page: str, ident: str) -> str:
    match = re.search(rf'id="{ident}"[^>]*>(.*?)</(?:td|li)>', page, re.S)
    assert match, f"no {ident} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).split()[0]


def test_the_staff_home_lists_what_needs_attention_and_the_figures(sg_app, sendgrid):
    sent = make_backlog(5, 5, campaign_slug="sent")
    dispatch_all()
    waiting = make_backlog(6, 3, campaign_slug="waiting", tag="w")
    paused = make_backlog(2, 2, campaign_slug="paused", tag="p", sending_status="paused")
    ids = waiting.letter_ids
    db.session.execute(db.update(Letter).where(Letter.id == ids[0]).values(state="failed"))
    db.session.execute(db.update(Letter).where(Letter.id.in_(ids[1:3])).values(state="held"))
    # Three letters due ten minutes ago and nobody sent them.
    db.session.execute(
        db.update(Letter)
        .where(Letter.id.in_(ids[3:6]))
        .values(next_attempt_at=utcnow() - timedelta(minutes=10))
    )
    rep = db.session.get(Representative, sent.representative_ids[0])
    db.session.add(AddressFlag(representative_id=rep.id, email=rep.email.lower(), source="event"))
    db.session.add(Reply(letter_id=None, kind="human", raw=b"", dedupe_key="unmatched-1"))
    db.session.add(
        Reply(letter_id=sent.letter_ids[1], kind="human", raw=b"", dedupe_key="no-stance")
    )
    db.session.add(Reply(letter_id=None, kind=None, raw=b"", dedupe_key="unreadable"))
    db.session.commit()
    # A call logged today: the letter arrived and was answered, counted once each.
    from campaign.tracking import replies

    replies.log_response(
        db.session.get(Letter, sent.letter_ids[2]), "phone", None, "", utcnow(), None
    )

    client = sg_app.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    response = client.get("/staff/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert inline_problems(page) == []
    expected = {
        "todo-held": "2",  # the backlog gives each letter a submission of its own
        "todo-bounced": "1",
        "todo-failed": "1",
        "todo-unmatched": "2",
        "todo-unread": "1",
        "todo-unreviewed": "1",
        "todo-paused": "1",
        "todo-workers": "3",
    }
    assert {ident: cell(page, ident) for ident in expected} == expected
    for link in (
        "/staff/held",
        "/staff/addresses",
        "/staff/replies?matched=unmatched",
        "/staff/replies?kind=unread",
        "/staff/queues/paused",
    ):
        assert f'href="{link}' in page.replace("&amp;", "&"), link
    campaign = db.session.execute(db.select(Campaign).filter_by(slug="paused")).scalar_one()
    assert campaign.title in page

    total = db.session.execute(db.select(db.func.count()).select_from(Letter)).scalar_one()
    sent_count = db.session.execute(
        db.select(db.func.count()).where(Letter.sent_at.is_not(None))
    ).scalar_one()
    for period in ("today", "week"):
        assert cell(page, f"{period}-written") == str(total) == "13"
        assert cell(page, f"{period}-sent") == str(sent_count) == "5"
        assert cell(page, f"{period}-delivered") == "1"
        assert cell(page, f"{period}-answered") == "1"
    assert len(paused.letter_ids) == 2


def test_a_quiet_day_says_nothing_needs_attention(sg_app):
    client = sg_app.test_client()
    make_user("staff@example.org", "staff")
    login(client, "staff@example.org")
    page = client.get("/staff/").get_data(as_text=True)
    assert "todo-open" not in page
    assert cell(page, "today-sent") == "0"

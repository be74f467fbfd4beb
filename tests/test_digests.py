"""Daily digests (letters.digests): the letters of a day to one representative go
as one mail, carried by its lead letter through the queue, the throttle and the
loopback SendGrid server; every letter is recorded as sent in it; a reply to it
is recorded for each letter and forwarded to each supporter without the quoted
digest; a supporter who deletes their data leaves the digest before it goes."""

from __future__ import annotations

from collections import Counter

import pytest

from campaign.core.extensions import db
from campaign.letters import digests
from campaign.models import Campaign, Digest, Letter, LetterState, Reply
from campaign.models.base import utcnow
from campaign.seed import seed_demo
from campaign.supporters import privacy, submissions
from campaign.supporters.display import letter_label
from campaign.tracking import responsiveness

from . import delivery_support, flow
from . import tracking_helpers as th
from .delivery_support import dispatch_all, drain_jobs, sendgrid_settings

S = LetterState
WORDS = (
    "My neighbour's son has been in a penal colony since 2021 for a comment online.",
    "I teach in Vilnius; two of my former students are prisoners of conscience.",
    "Please raise the case of the journalists held in Minsk at your next debate.",
)


@pytest.fixture
def sendgrid():
    """The loopback SendGrid server (as delivery_support's, under its name here)."""
    yield from delivery_support.sendgrid.__wrapped__()


@pytest.fixture
def digest_app(make_app, sendgrid):
    app = make_app(
        **sendgrid_settings(sendgrid),
        INBOUND_DOMAIN=th.INBOUND_DOMAIN,
        INBOUND_SECRET=th.INBOUND_SECRET,
        DIGEST_TIME="00:00",
    )
    with app.app_context():
        seed_demo()
        yield app


def _campaign(every: int = 0) -> Campaign:
    campaign = db.session.execute(db.select(Campaign)).scalars().first()
    campaign.digest_kinds = {"parliament": every}
    db.session.commit()
    return campaign


def _parliament(country: str = "IE"):
    return [r for r in flow.representatives_of(country) if r.body.kind == "parliament"]


def _write_and_confirm(campaign, reps, number: int, words: str = "") -> list[Letter]:
    details = submissions.SupporterDetails(
        name=f"Writer Number{number}",
        email=f"writer{number}@example.org",
        city=f"Town{number}",
        personal_paragraph=words,
    )
    submission = submissions.submit(campaign, reps, details, None)
    db.session.commit()
    submissions.confirm(submission)
    return list(submission.letters)


def _letters(**where) -> list[Letter]:
    db.session.expire_all()
    return list(
        db.session.execute(db.select(Letter).filter_by(**where).order_by(Letter.id)).scalars()
    )


def test_a_days_letters_go_as_one_digest_and_each_is_recorded_as_sent_in_it(digest_app, sendgrid):
    campaign = _campaign()
    reps = _parliament()[:2]
    for number, words in enumerate(WORDS):
        _write_and_confirm(campaign, reps, number, words)
    drain_jobs()  # the confirmation mails
    waiting = _letters()
    assert {letter.state for letter in waiting} == {S.AWAITING_DIGEST}
    assert all(letter.digest_entry for letter in waiting)
    assert dispatch_all()["taken"] == 0  # nothing goes before the digest is made

    assert digests.gather() == 2
    assert digests.gather() == 0  # one daily digest per representative per day
    before = len(sendgrid.messages)
    dispatch_all()
    sent = sendgrid.messages[before:]
    assert len(sent) == 2, "one mail per representative"
    assert set(delivery_support.copies_by_letter(sendgrid).values()) == {1}
    for message, rep in zip(
        sorted(sent, key=lambda m: m.to[0]), sorted(reps, key=lambda r: r.email), strict=True
    ):
        assert message.to[0] == rep.email
        text = message.text
        assert "(letters: 3)" in message.subject
        for number, words in enumerate(WORDS):
            assert f"Writer Number{number}, Town{number}" in text
            assert words in text
        # The shared text once: the appeal's opening sentence, not three times.
        assert text.count("political prisoners of Belarus") == 1
        assert "writer0@example.org" not in text and "custom" not in message.custom_args
        assert set(message.custom_args) == {"letter_id"}
    letters = _letters()
    assert {letter.state for letter in letters} == {S.SENT}
    by_rep = Counter(letter.provider_message_id for letter in letters)
    assert sorted(by_rep.values()) == [3, 3]
    assert letter_label(letters[0]) == "sent in today's digest"
    assert db.session.execute(db.select(db.func.count()).select_from(Digest)).scalar() == 2
    # The staff report, per digest: each carried three letters, all sent.
    from campaign.tracking import reports

    rows = reports.responses("digest", campaign.id)
    assert [row.counts["sent"] for row in rows] == [3, 3]
    assert {row.extra["representative_id"] for row in rows} == {rep.id for rep in reps}


def test_the_preview_shows_the_entry_exactly_as_the_digest_prints_it(digest_app, sendgrid):
    _campaign()
    rep = _parliament()[0]
    client = digest_app.test_client()
    details = flow.Details(name="Alesia Example", email="alesia@example.org", city="Cork")
    page = flow.letters_page(client, "IE", [rep.id])
    token = flow.csrf_token(page.get_data(as_text=True))
    preview = client.post("/write/IE/letters", data=details.form(token, [rep.id], "preview"))
    html = preview.get_data(as_text=True)
    assert "one digest" in html
    flow.submit(client, "IE", [rep.id], details)
    (letter,) = _letters()
    import html as html_module

    assert html_module.escape(letter.digest_entry, quote=False) in html
    submissions.confirm(letter.submission)
    digests.gather()
    before = len(sendgrid.messages)
    dispatch_all()
    (message,) = sendgrid.messages[before:]
    assert letter.digest_entry in message.text


def test_a_count_digest_goes_as_soon_as_n_letters_wait(digest_app, sendgrid):
    campaign = _campaign(every=2)
    rep = _parliament()[0]
    _write_and_confirm(campaign, [rep], 1, WORDS[0])
    digest_app.config["DIGEST_TIME"] = "23:59"
    later = utcnow().replace(hour=12, minute=0)
    assert digests.gather(now=later) == 0  # before the day's time, one letter: nothing
    _write_and_confirm(campaign, [rep], 2, WORDS[1])
    assert digests.gather(now=later) == 1
    (digest,) = db.session.execute(db.select(Digest)).scalars()
    assert digest.reason == "count" and digest.letters_count == 2
    # Five more wait: two digests of two; the fifth waits for the next, or the day's.
    for number in range(3, 8):
        _write_and_confirm(campaign, [rep], number, WORDS[number % 3] + f" ({number})")
    assert digests.gather(now=later) == 2
    sizes = db.session.execute(db.select(Digest.letters_count).order_by(Digest.id)).scalars()
    assert list(sizes) == [2, 2, 2]
    assert [letter.state for letter in _letters()].count(S.AWAITING_DIGEST) == 1
    digest_app.config["DIGEST_TIME"] = "00:00"
    assert digests.gather(now=later) == 1
    assert not [letter for letter in _letters() if letter.state == S.AWAITING_DIGEST]


def test_a_reply_to_a_digest_is_recorded_for_every_letter_and_forwarded_without_the_quote(
    digest_app, sendgrid
):
    campaign = _campaign()
    rep = _parliament()[0]
    for number, words in enumerate(WORDS):
        _write_and_confirm(campaign, [rep], number, words)
    drain_jobs()
    digests.gather()
    dispatch_all()
    letters = _letters()
    lead = next(letter for letter in letters if digests.digest_members.is_lead(letter))
    digest = db.session.get(Digest, lead.digest_id)
    quoted = "\n".join("> " + line for line in digest.body.splitlines())
    raw = (
        f"From: Office <{rep.email}>\r\nTo: {th.address_of(lead)}\r\n"
        f"Subject: Re: {digest.subject}\r\nMessage-ID: <r1@example.org>\r\n"
        f"In-Reply-To: <{lead.provider_message_id}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Thank you for writing. The member will raise it in the committee.\r\n\r\n"
        f"On Monday the campaign wrote:\r\n{quoted}\r\n"
    ).encode()
    client = digest_app.test_client()
    reply_to, office = th.address_of(lead), rep.email
    response = th.post_inbound(client, th.raw_mode(raw, [reply_to], office))
    assert response.status_code == 200
    replies = list(db.session.execute(db.select(Reply)).scalars())
    assert sorted(r.letter_id for r in replies) == sorted(letter.id for letter in letters)
    assert {letter.state for letter in _letters()} == {S.REPLIED}
    before = len(sendgrid.messages)
    drain_jobs()
    forwards = [m for m in sendgrid.messages[before:] if m.to[0].startswith("writer")]
    assert len(forwards) == 3
    for message in forwards:
        assert "raise it in the committee" in message.text
        others = [n for n in range(3) if f"writer{n}@" not in message.to[0]]
        for n in others:
            assert f"Number{n}" not in message.text, "another supporter's name was forwarded"

    # An office that answers inside the quotation, naming supporters: held for staff.
    raw_named = raw.replace(b"Thank you for writing.", b"Dear Writer Number1 and Writer Number2,")
    raw_named = raw_named.replace(b"<r1@example.org>", b"<r2@example.org>")
    th.post_inbound(client, th.raw_mode(raw_named, [reply_to], office))
    drain_jobs()
    held = (
        db.session.execute(db.select(Reply).where(Reply.message_id.contains("r2@"))).scalars().all()
    )
    statuses = {reply.letter.supporter.name: reply.forward_status for reply in held}
    assert statuses["Writer Number0"] == "held"
    # Each is named only to the others: the reply goes to nobody it names others to.
    assert all(status in ("held", "sent") for status in statuses.values())


def test_a_supporter_who_deletes_their_data_leaves_the_digest_before_it_goes(digest_app, sendgrid):
    campaign = _campaign()
    rep = _parliament()[0]
    for number, words in enumerate(WORDS):
        _write_and_confirm(campaign, [rep], number, words)
    digests.gather()
    lead = next(letter for letter in _letters() if digests.digest_members.is_lead(letter))
    privacy.erase_supporter(lead.supporter)
    digest = db.session.get(Digest, lead.digest_id)
    db.session.refresh(digest)
    assert "Number0" not in digest.body and WORDS[0] not in digest.body
    assert "(letters: 2)" in digest.subject
    before = len(sendgrid.messages)
    dispatch_all()
    (message,) = sendgrid.messages[before:]
    assert "Number0" not in message.text and "Writer Number1" in message.text
    states = Counter(letter.state for letter in _letters())
    assert states == {S.SENT: 2, S.CANCELLED: 1}


def test_public_response_rates_count_a_reply_to_a_digest_once_per_digest(digest_app, sendgrid):
    campaign = _campaign()
    campaign.public_responsiveness = True
    db.session.commit()
    rep = _parliament()[0]
    for number in range(12):
        _write_and_confirm(campaign, [rep], number)
    digests.gather()
    dispatch_all()
    (lead,) = [letter for letter in _letters() if digests.digest_members.is_lead(letter)]
    raw = (
        f"From: Office <{rep.email}>\r\nTo: {th.address_of(lead)}\r\nSubject: Re: letters\r\n"
        "Message-ID: <r9@example.org>\r\nContent-Type: text/plain\r\n\r\nNoted, thank you.\r\n"
    ).encode()
    th.post_inbound(digest_app.test_client(), th.raw_mode(raw, [th.address_of(lead)], rep.email))
    assert {letter.state for letter in _letters()} == {S.REPLIED}
    from campaign.tracking import rollups

    rollups.rebuild()
    enough, too_few, _ = responsiveness.entries(campaign)
    entry = next(e for e in enough + too_few if e.name == rep.name)
    assert (entry.sent, entry.answered) == (1, 1)


def test_a_digest_held_for_its_address_is_dissolved_and_its_letters_go_singly_once(
    digest_app, sendgrid
):
    from campaign.delivery import address_holds, address_releases

    campaign = _campaign()
    rep = _parliament()[0]
    for number, words in enumerate(WORDS):
        _write_and_confirm(campaign, [rep], number, words)
    digests.gather()
    address_holds.hold_representative(rep.id, "held: the address bounced (test)")
    db.session.commit()
    assert {letter.state for letter in _letters()} == {S.HELD_ADDRESS}
    address_releases.release(rep.id, "the address was fixed")
    db.session.commit()
    before = len(sendgrid.messages)
    dispatch_all()
    sent = sendgrid.messages[before:]
    assert len(sent) == 3 and all("(letters:" not in m.subject for m in sent)
    assert set(delivery_support.copies_by_letter(sendgrid).values()) == {1}
    in_order = sorted(sent, key=lambda m: int(m.custom_args["letter_id"]))
    for number, message in enumerate(in_order):
        assert WORDS[number] in message.text
        # Signed by its own writer alone (the signature and the closing line).
        assert message.text.count(f"Writer Number{number}") == 2
        assert message.text.count("Writer Number") == 2
    # Single letters again, for the supporter, the throttle and the reports.
    letters = _letters()
    assert {letter.digest_id for letter in letters} == {None}
    assert {letter_label(letter) for letter in letters} == {"sent"}


def test_digest_time_must_read_as_a_time_of_day(make_app):
    from campaign.core.config import ConfigError

    for wrong in ("7", "25:00", "07:60", "noon", ""):
        with pytest.raises(ConfigError, match="DIGEST_TIME must be a time of day"):
            make_app(DIGEST_TIME=wrong)


def test_without_reply_capture_a_digest_promises_nothing_about_replies(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid), DIGEST_TIME="00:00")
    with app.app_context():
        seed_demo()
        campaign = _campaign()
        rep = _parliament()[0]
        _write_and_confirm(campaign, [rep], 1, WORDS[0])
        digests.gather()
        dispatch_all()
        (message,) = [m for m in sendgrid.messages if m.to == [rep.email]]
        assert "reply to this message" not in message.text
        assert "Writer Number1, Town1" in message.text
        # Replies reach the organisers, who are named in the digest.
        assert message.reply_to == campaign.organiser_email
        assert campaign.organiser_email in message.text


def test_after_a_redis_loss_a_digest_counts_once_towards_the_representatives_cap(
    make_app, sendgrid, redis_url
):
    from campaign.core.queues import redis_connection
    from campaign.delivery import throttle

    app = make_app(**sendgrid_settings(sendgrid), DIGEST_TIME="00:00")
    with app.app_context():
        seed_demo()
        campaign = _campaign()
        rep = _parliament()[0]
        for number in range(5):
            _write_and_confirm(campaign, [rep], number)
        digests.gather()
        dispatch_all()
        assert {letter.state for letter in _letters()} == {S.SENT}
        redis = redis_connection()
        redis.flushdb()
        assert throttle.rebuild_counts(redis) == 1
        assert redis.zcard(throttle.rep_key(rep.id)) == 1


def test_a_reply_that_overtakes_the_record_of_sending_reaches_every_letter(digest_app, sendgrid):
    from campaign.tracking import catch_up

    campaign = _campaign()
    rep = _parliament()[0]
    for number in range(3):
        _write_and_confirm(campaign, [rep], number)
    digests.gather()
    (lead,) = [letter for letter in _letters() if digests.digest_members.is_lead(letter)]
    # The office answers before the worker has written that the digest was sent
    # (the lead still queued, its members in the digest): nothing is lost.
    reply_to, office = th.address_of(lead), rep.email
    raw = (
        f"From: Office <{office}>\r\nTo: {reply_to}\r\nSubject: Re: letters\r\n"
        "Message-ID: <quick@example.org>\r\nContent-Type: text/plain\r\n\r\nReceived.\r\n"
    ).encode()
    th.post_inbound(digest_app.test_client(), th.raw_mode(raw, [reply_to], office))
    replies = db.session.execute(db.select(Reply)).scalars().all()
    assert len(replies) == 3
    dispatch_all()
    assert {letter.state for letter in _letters()} == {S.SENT}
    catch_up.reconcile_states()
    assert {letter.state for letter in _letters()} == {S.REPLIED}

"""Delivery through SendGrid: every kind of answer, the HTTP client's timeout and kept
connection, exactly-once taking and recording, fairness between representatives,
and the sending window. Against the loopback SendGrid server over real HTTP."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

import time
from datetime import timedelta

from campaign.core.extensions import db
from campaign.core.mail import get_backend
from campaign.delivery import delivery, dispatch, outcomes
from campaign.devtools.backlog import make_backlog
from campaign.devtools.sendgrid_server import SendGridLoopback
from campaign.models import Letter
from campaign.models.base import utcnow

from .delivery_support import (  # noqa: F401 - fixtures
    API_KEY,
    dispatch_all,
    drain_jobs,
    letter,
    make_due,
    moves,
    sendgrid,
    sendgrid_settings,
    sg_app,
    states,
)


def one_letter(**campaign):
    backlog = make_backlog(1, 1, **campaign)
    return backlog.letter_ids[0]


# -- SendGrid's answers ---------------------------------------------------------------


def test_accepted_letter_is_sent_with_the_message_id_and_no_tracking(sg_app, sendgrid):
    letter_id = one_letter()
    counts = dispatch_all()
    assert counts["sent"] == 1
    (mail,) = sendgrid.messages
    sent = letter(letter_id)
    assert sent.state == "sent" and sent.provider_message_id == mail.message_id
    assert sent.sent_at is not None and sent.lease_until is None and sent.attempts == 1
    assert moves(letter_id)[-2:] == [("queued", "sending"), ("sending", "sent")]
    assert mail.custom_args == {"letter_id": str(letter_id)}
    tracking = mail.tracking_settings
    assert tracking["click_tracking"] == {"enable": False, "enable_text": False}
    assert tracking["open_tracking"] == {"enable": False}
    assert tracking["subscription_tracking"] == {"enable": False}
    assert mail.headers["Authorization"] == "Bearer SG.test-key"


def test_429_waits_until_the_rate_limit_resets(make_app, sendgrid):
    from campaign.devtools.sendgrid_server import Faults

    sendgrid.faults = Faults(retry_after=30)
    sendgrid.script(["429"])
    app = make_app(**sendgrid_settings(sendgrid, THROTTLE_ENABLED=True))
    with app.app_context():
        letter_id = one_letter(throttle_per_second=100)
        before = utcnow()
        dispatch_all()
        waiting = letter(letter_id)
        assert waiting.state == "queued"
        assert "SendGrid 429" in waiting.last_error
        # X-RateLimit-Reset is 30 s ahead (whole seconds); up to one second of jitter.
        wait = (waiting.next_attempt_at - before).total_seconds()
        assert 28.5 <= wait <= 32
        assert waiting.attempts == 0  # a 429 is not one of the attempts that may fail it
        # Every worker holds off: the global schedule is pushed past the reset.
        assert dispatch.get_throttle().reserve([_request(app, letter_id)]).global_wait > 25
        dispatch.get_throttle().redis.delete("campaign:throttle:global", "campaign:throttle:plan")
        make_due(letter_id)
        dispatch_all()
        assert letter(letter_id).state == "sent"
        assert len(sendgrid.messages) == 1


def _request(app, letter_id):
    from campaign.delivery.throttle import Limits, Request

    found = letter(letter_id)
    return Request(
        str(letter_id + 1000),
        found.representative_id,
        "example.org",
        Limits.of(found.campaign, app.config),
    )


def test_5xx_is_retried_with_backoff_then_fails_with_the_reason(make_app, sendgrid):
    sendgrid.script(["500", "503", "500"])
    app = make_app(**sendgrid_settings(sendgrid, MAX_SEND_ATTEMPTS=3, SEND_RETRY_BASE_SECONDS=20))
    with app.app_context():
        letter_id = one_letter()
        delays = []
        for expected_attempt in (1, 2):
            before = utcnow()
            dispatch_all()
            waiting = letter(letter_id)
            assert waiting.state == "queued" and waiting.attempts == expected_attempt
            delays.append((waiting.next_attempt_at - before).total_seconds())
            make_due(letter_id)
        # Full jitter under an exponential ceiling: 20 s, then 40 s.
        assert 0 <= delays[0] <= 21 and 0 <= delays[1] <= 41
        dispatch_all()
        failed = letter(letter_id)
        assert failed.state == "failed"
        assert (
            failed.last_error
            == "gave up after 3 attempts: SendGrid 500: An internal server error occurred."
        )
        assert [m for m in moves(letter_id) if m[1] in ("queued", "failed")][-3:] == [
            ("sending", "queued"),
            ("sending", "queued"),
            ("sending", "failed"),
        ]
        assert sendgrid.messages == []


def test_timeouts_and_reset_connections_are_retried(sg_app, sendgrid):
    letter_id = one_letter()
    sendgrid.script(["hang", "reset"])
    started = time.monotonic()
    dispatch_all()
    assert time.monotonic() - started < 2.5  # the client gave up after SENDGRID_TIMEOUT
    assert "did not answer within 0.5s" in letter(letter_id).last_error
    make_due(letter_id)
    dispatch_all()
    assert "connection to SendGrid failed" in letter(letter_id).last_error
    make_due(letter_id)
    dispatch_all()
    assert letter(letter_id).state == "sent"
    assert len(sendgrid.messages) == 1


def test_other_4xx_fail_at_once_with_sendgrids_text(sg_app, sendgrid):
    backlog = make_backlog(2, 2)
    refused = letter(backlog.letter_ids[0]).representative.email
    from campaign.devtools.sendgrid_server import Faults

    sendgrid.faults = Faults(refuse=frozenset({refused}))
    dispatch_all()
    failed = letter(backlog.letter_ids[0])
    assert failed.state == "failed" and failed.attempts == 1
    # SendGrid's words, with the address it quoted left out (mail.base.MailError).
    assert failed.last_error == (
        "SendGrid 400: The recipient address [address] is permanently refused."
    )
    assert refused not in failed.last_error
    assert letter(backlog.letter_ids[1]).state == "sent"
    make_due()
    assert dispatch_all()["taken"] == 0  # never retried
    assert sendgrid.stats["refused"] == 1


def test_a_wrong_api_key_is_a_permanent_failure(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, SENDGRID_API_KEY="SG.wrong"))
    with app.app_context():
        letter_id = one_letter()
        dispatch_all()
        failed = letter(letter_id)
        assert failed.state == "failed"
        assert (
            "SendGrid 401" in failed.last_error
            and "authorization grant is invalid" in failed.last_error
        )


def test_the_connection_to_sendgrid_is_kept_open(make_app, sendgrid):
    # One request at a time: one sending thread, so exactly one connection.
    app = make_app(**sendgrid_settings(sendgrid, SENDGRID_CONCURRENCY=1))
    with app.app_context():
        make_backlog(6, 6)
        assert dispatch_all()["sent"] == 6
        assert get_backend().pool.opened == 1
        sendgrid.script(["reset"])
        make_backlog(2, 2, campaign_slug="second", tag="b")
        dispatch_all()
        make_due()
        dispatch_all()
        assert states()["sent"] == 8
        assert get_backend().pool.opened == 2  # a new one after the reset, then kept


def test_a_worker_keeps_up_to_sendgrid_concurrency_requests_in_flight(make_app):
    server = SendGridLoopback(api_key=API_KEY, latency=0.2).start()
    try:
        app = make_app(**sendgrid_settings(server, SENDGRID_CONCURRENCY=4, SENDGRID_TIMEOUT=2))
        with app.app_context():
            backlog = make_backlog(12, 12)
            started = time.monotonic()
            assert dispatch_all()["sent"] == 12
            elapsed = time.monotonic() - started
            # Four at a time: three round trips of 0.2 s, not twelve.
            assert server.stats["max_open"] == 4
            assert elapsed < 12 * 0.2 / 2
            # One kept connection per sending thread, used again by the next batch.
            assert get_backend().pool.opened == 4
            make_backlog(4, 4, campaign_slug="second", tag="b")
            assert dispatch_all()["sent"] == 4
            assert get_backend().pool.opened == 4
            # Every letter once, each recorded with the message id SendGrid gave it.
            received = sorted(int(m.custom_args["letter_id"]) for m in server.messages)
            assert received[:12] == sorted(backlog.letter_ids) and len(received) == 16
            for letter_id in backlog.letter_ids:
                assert letter(letter_id).provider_message_id
    finally:
        server.stop()


# -- exactly once ---------------------------------------------------------------------


def test_taking_is_a_compare_and_set(sg_app):
    backlog = make_backlog(3, 3)
    first = delivery.take_letters(backlog.letter_ids)
    db.session.commit()
    second = delivery.take_letters(backlog.letter_ids)
    db.session.commit()
    assert set(first) == set(backlog.letter_ids) and all(v == 1 for v in first.values())
    assert second == {}


def test_duplicate_jobs_and_retries_after_success_send_nothing(sg_app, sendgrid):
    from campaign.core.queues import LETTERS, get_queue
    from campaign.delivery.queueing import send_letter

    backlog = make_backlog(2, 2)
    for letter_id in backlog.letter_ids * 3:
        get_queue(LETTERS).enqueue(send_letter, letter_id)
    dispatch.kick(10)
    dispatch.kick(10)
    drain_jobs()
    assert states()["sent"] == 2 and len(sendgrid.messages) == 2
    for letter_id in backlog.letter_ids:
        get_queue(LETTERS).enqueue(send_letter, letter_id)
    dispatch.kick()
    drain_jobs()
    assert len(sendgrid.messages) == 2
    assert [m[1] for m in moves(backlog.letter_ids[0])].count("sending") == 1


def test_a_late_acceptance_is_recorded_and_a_second_one_reported_as_a_duplicate(sg_app, caplog):
    backlog = make_backlog(2, 2)
    a, b = backlog.letter_ids
    taken = delivery.take_letters([a, b])
    db.session.commit()
    # b went back to the queue (lease expired) and was taken again by attempt 2.
    db.session.execute(
        db.update(Letter).where(Letter.id == b).values(state="queued", lease_until=None)
    )
    db.session.commit()
    assert delivery.take_letters([b]) == {b: 2}
    db.session.commit()
    written = outcomes.record(
        [
            outcomes.Outcome(a, taken[a], "sent", message_id="m-a"),
            outcomes.Outcome(b, 1, "sent", message_id="m-b-late"),
        ]
    )
    # b was accepted under attempt 1: it is sent, whatever attempt 2 does.
    assert written == {"sent": 2}
    assert letter(a).state == "sent" and letter(a).provider_message_id == "m-a"
    assert letter(b).state == "sent" and letter(b).provider_message_id == "m-b-late"
    # Attempt 2 was accepted too: a warning with both ids, an entry in b's history.
    assert outcomes.record([outcomes.Outcome(b, 2, "sent", message_id="m-b-2")]) == {}
    assert letter(b).provider_message_id == "m-b-late"
    (event,) = [e for e in letter(b).events if e.cause.startswith("sent twice")]
    assert "m-b-2" in event.cause and "m-b-late" in event.cause
    assert "letter 2: sent twice" in caplog.text and "m-b-2" in caplog.text
    # A retry of attempt 2 changes nothing.
    assert outcomes.record([outcomes.Outcome(b, 2, "retry", "timeout", delay=1)]) == {}
    assert letter(b).state == "sent"


def test_a_late_success_is_recorded_if_no_one_took_the_letter_again(sg_app):
    letter_id = one_letter()
    attempt = delivery.take_letters([letter_id])[letter_id]
    db.session.commit()
    db.session.execute(
        db.update(Letter).where(Letter.id == letter_id).values(state="queued", lease_until=None)
    )
    db.session.commit()
    outcomes.record([outcomes.Outcome(letter_id, attempt, "sent", message_id="late")])
    sent = letter(letter_id)
    assert sent.state == "sent" and sent.provider_message_id == "late"
    assert moves(letter_id)[-2:] == [("queued", "sending"), ("sending", "sent")]


# -- fairness -------------------------------------------------------------------------


def test_a_backlog_for_a_then_b_drains_interleaved(make_app, sendgrid):
    # One request at a time, so that the server sees the order the letters left in.
    app = make_app(**sendgrid_settings(sendgrid, SENDGRID_CONCURRENCY=1))
    with app.app_context():
        backlog = make_backlog(20, 2, domains=2, order="by_representative")
        a, b = backlog.representative_ids
        dispatch_all(batch=7)
    received = [m.to[0] for m in sendgrid.messages]
    first, second = received[0], received[1]
    assert {first, second} == {"rep0@office0.example.org", "rep1@office1.example.org"}
    assert received == [first, second] * 10
    assert a != b


def test_requests_in_flight_together_stay_within_one_round_of_fairness(sg_app, sendgrid):
    # Eight requests at once may arrive in any order among themselves, but no
    # representative runs ahead of the other by more than the letters in flight.
    make_backlog(40, 2, domains=2, order="by_representative")
    dispatch_all(batch=10)
    received = [m.to[0] for m in sendgrid.messages]
    assert len(received) == 40
    lead = 0
    for prefix in range(1, 41):
        firsts = received[:prefix].count("rep0@office0.example.org")
        lead = max(lead, abs(2 * firsts - prefix))
    assert lead <= 8


def test_a_representative_joining_a_backlog_goes_in_the_current_round(make_app, sendgrid):
    app = make_app(**sendgrid_settings(sendgrid, SENDGRID_CONCURRENCY=1))
    with app.app_context():
        backlog = make_backlog(30, 3, order="by_representative")
        dispatch.dispatch_pass(6)  # two rounds sent
        late = make_backlog(1, 1, campaign_slug="late", tag="late")
        rank = letter(late.letter_ids[0]).fair_rank
        ranks = sorted(
            letter(i).fair_rank for i in backlog.letter_ids if letter(i).state == "queued"
        )
        assert rank == ranks[0] == 3
        dispatch.dispatch_pass(4)
        assert "rep0late@office0.example.org" in [m.to[0] for m in sendgrid.messages[6:10]]


# -- the sending window ---------------------------------------------------------------


def test_a_letter_outside_the_sending_window_waits_for_it(sg_app, sendgrid):
    from campaign.delivery.send_window import country_zone

    local = utcnow().astimezone(country_zone("IE"))
    start = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    if end < start:  # near midnight: keep the test simple
        start, end = start.replace(hour=2), end.replace(hour=3)
    letter_id = one_letter(send_window_start=start, send_window_end=end)
    counts = dispatch_all()
    assert counts["deferred"] == 1 and sendgrid.messages == []
    waiting = letter(letter_id)
    opens = waiting.next_attempt_at.astimezone(country_zone("IE"))
    assert opens.time().replace(second=0, microsecond=0) == start
    assert opens > local

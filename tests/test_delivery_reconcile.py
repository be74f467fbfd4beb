"""Nothing lost, nothing sent twice: the reconciler after a killed worker or an
emptied Redis, the send journal, and pausing, resuming and cancelling a campaign."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

from datetime import timedelta

from campaign.core.extensions import db
from campaign.core.mail import get_backend
from campaign.core.queues import redis_connection
from campaign.delivery import delivery, dispatch, dispatch_send, outcomes, sending
from campaign.delivery.reconcile import reconcile
from campaign.devtools.backlog import make_backlog
from campaign.models import Campaign, Letter
from campaign.models.base import utcnow
from campaign.periodic import PERIODIC

from .delivery_support import (  # noqa: F401 - fixtures
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


def expire_leases():
    db.session.execute(
        db.update(Letter)
        .where(Letter.state == "sending")
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def killed_while_sending(letter_ids, send_first: bool):
    """What a worker killed in the middle of a batch leaves: the letters taken, the
    first one accepted by SendGrid (and journaled) when ``send_first``, nothing
    recorded."""
    taken = delivery.take_letters(letter_ids)
    db.session.commit()
    if send_first:
        first = db.session.get(Letter, letter_ids[0])
        message_id = get_backend().send(delivery.letter_message(first))
        delivery.journal_sent(first.id, taken[first.id], message_id)
        return message_id
    return None


def test_the_reconciler_runs_every_minute():
    func, interval = PERIODIC["reconcile_letters"]
    assert interval == 60


def test_expired_leases_go_back_to_the_queue_and_are_sent_once(sg_app, sendgrid):
    backlog = make_backlog(3, 3)
    killed_while_sending(backlog.letter_ids, send_first=False)
    assert reconcile() == 0  # leases still running: nothing to do
    expire_leases()
    assert reconcile() == 3
    back = letter(backlog.letter_ids[0])
    assert back.state == "queued" and back.lease_until is None and back.attempts == 1
    assert moves(back.id)[-1] == ("sending", "queued")
    dispatch_all()
    assert states() == {"sent": 3}
    assert len(sendgrid.messages) == 3
    assert letter(backlog.letter_ids[0]).attempts == 2


def test_a_letter_accepted_before_the_worker_died_is_recorded_not_resent(sg_app, sendgrid):
    backlog = make_backlog(2, 2)
    message_id = killed_while_sending(backlog.letter_ids, send_first=True)
    expire_leases()
    reconcile()
    recorded = letter(backlog.letter_ids[0])
    assert recorded.state == "sent" and recorded.provider_message_id == message_id
    assert "send journal" in recorded.events[-1].cause
    dispatch_all()
    assert states() == {"sent": 2}
    assert len(sendgrid.messages) == 2  # not three: the first was not sent again


def test_after_redis_lost_everything_sending_resumes_by_itself(sg_app, sendgrid):
    make_backlog(4, 4)
    dispatch.kick(4)
    redis_connection().flushdb()  # the dispatch jobs and their slots are gone
    drain_jobs()
    assert states() == {"queued": 4}
    reconcile()
    drain_jobs()
    assert states() == {"sent": 4}


def test_the_reconciler_schedules_and_ranks_letters_queued_elsewhere(sg_app, sendgrid):
    backlog = make_backlog(2, 1)
    db.session.execute(db.update(Letter).values(next_attempt_at=None, fair_rank=0))
    db.session.commit()
    reconcile()
    assert sorted(letter(i).fair_rank for i in backlog.letter_ids) == [1, 2]
    assert all(letter(i).next_attempt_at is not None for i in backlog.letter_ids)
    assert dispatch_all()["sent"] == 2


def test_the_reconciler_runs_in_one_process_at_a_time(sg_app):
    backlog = make_backlog(1, 1)
    killed_while_sending(backlog.letter_ids, send_first=False)
    expire_leases()
    lock = redis_connection().lock("campaign:lock:reconcile", timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert reconcile() == 0
    finally:
        lock.release()
    assert reconcile() == 1


def test_an_older_send_letter_job_wakes_the_dispatcher(sg_app, sendgrid):
    from campaign.core.queues import LETTERS, get_queue
    from campaign.delivery.queueing import send_letter

    backlog = make_backlog(1, 1)
    db.session.execute(db.update(Letter).values(next_attempt_at=None, fair_rank=0))
    db.session.commit()
    get_queue(LETTERS).enqueue(send_letter, backlog.letter_ids[0])
    drain_jobs()
    assert letter(backlog.letter_ids[0]).state == "sent"


# -- pause, resume, cancel ------------------------------------------------------------


def campaign_of(backlog) -> Campaign:
    return db.session.get(Campaign, backlog.campaign_id)


def test_pause_keeps_letters_queued_and_resume_sends_them(sg_app, sendgrid):
    backlog = make_backlog(3, 3)
    assert sending.pause(campaign_of(backlog)) == 3
    assert dispatch_all()["taken"] == 0
    drain_jobs()
    assert states() == {"queued": 3} and sendgrid.messages == []
    assert sending.resume(campaign_of(backlog)) == 3
    drain_jobs()  # resume woke the dispatcher
    assert states() == {"sent": 3}


def test_cancel_cancels_queued_letters_and_those_that_come_back(sg_app, sendgrid):
    backlog = make_backlog(4, 4)
    in_flight = backlog.letter_ids[:2]
    taken = delivery.take_letters(in_flight)
    db.session.commit()
    assert sending.cancel(campaign_of(backlog)) == 2
    assert states() == {"cancelled": 2, "sending": 2}
    assert moves(backlog.letter_ids[3])[-1] == ("queued", "cancelled")
    # One comes back for a retry, the other after its lease expired: both cancelled.
    outcomes.record(
        [outcomes.Outcome(in_flight[0], taken[in_flight[0]], "retry", "SendGrid 503", delay=5)]
    )
    expire_leases()
    reconcile()
    assert states() == {"cancelled": 4}
    dispatch_all()
    assert sendgrid.messages == []


def test_a_pause_during_a_batch_hands_back_what_was_not_sent(make_app, sendgrid, monkeypatch):
    # One request in flight, so that the pause lands between two letters' checks.
    app = make_app(**sendgrid_settings(sendgrid, SENDGRID_CONCURRENCY=1))
    with app.app_context():
        backlog = make_backlog(4, 4)
        monkeypatch.setattr(dispatch_send, "STATUS_CHECK_SECONDS", 0)
        backend = get_backend()
        real_send = backend.send

        def send_then_pause(message):
            message_id = real_send(message)
            db.session.execute(db.update(Campaign).values(sending_status="paused"))
            db.session.commit()
            return message_id

        monkeypatch.setattr(backend, "send", send_then_pause)
        counts = dispatch_all()
        assert counts["sent"] == 1 and counts["released"] == 3
        assert states() == {"sent": 1, "queued": 3}
        assert all(letter(i).attempts == 0 for i in backlog.letter_ids[1:])


def test_cancelled_campaigns_are_not_resumed_letter_by_letter(sg_app, sendgrid):
    backlog = make_backlog(2, 2)
    sending.cancel(campaign_of(backlog))
    assert sending.resume(campaign_of(backlog)) == 0
    assert campaign_of(backlog).sending_status == "active"
    dispatch_all()
    assert states() == {"cancelled": 2} and sendgrid.messages == []

"""One reminder after 24 hours; unconfirmed letters expire after 7 days."""

from datetime import timedelta
from pathlib import Path

from campaign.core.extensions import db
from campaign.models import Letter, Submission
from campaign.models.base import utcnow
from campaign.supporters import reminders

from . import flow


def _age_submission(hours: float) -> Submission:
    submission = db.session.execute(db.select(Submission)).scalar_one()
    submission.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()
    return submission


def _subjects(app) -> list[str]:
    return [m["Subject"] for m in flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))]


def test_one_reminder_after_a_day(seeded, client, drain, app):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    assert reminders.send_reminders() == 0  # too early
    _age_submission(25)
    assert reminders.send_reminders() == 1
    assert reminders.send_reminders() == 0  # only one reminder, ever
    drain()
    subjects = _subjects(app)
    title = "The time for release is now"
    assert subjects == [
        f"Please confirm your letters – {title}",
        f"Reminder: your letters are waiting for you – {title}",
    ]
    # the reminder's link works
    reminder = flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[1]
    flow.confirm(client, flow.confirmation_link(reminder))
    assert db.session.execute(db.select(Letter.state)).scalar_one() == "queued"


def test_no_reminder_once_confirmed(seeded, client, drain, app):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    drain()
    flow.confirm(
        client, flow.confirmation_link(flow.outbox_messages(Path(app.config["OUTBOX_DIR"]))[0])
    )
    _age_submission(30)
    assert reminders.send_reminders() == 0


def test_unconfirmed_letters_expire_after_seven_days(seeded, client, app):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    _age_submission(24 * 6)
    assert reminders.expire_unconfirmed() == 0
    _age_submission(24 * 7 + 1)
    assert reminders.expire_unconfirmed() == 1
    letter = db.session.execute(db.select(Letter)).scalar_one()
    assert letter.state == "expired"
    assert letter.events[-1].cause == "not confirmed in time"
    assert reminders.send_reminders() == 0


def test_periodic_work_runs_once_when_two_processes_race(seeded, client, app):
    rep = flow.representatives_of("IE")[0]
    flow.submit(client, "IE", [rep.id], flow.Details())
    _age_submission(25)
    from campaign.core.queues import redis_connection

    lock = redis_connection().lock("campaign:lock:reminders", timeout=30)
    assert lock.acquire(blocking=False)  # another instance holds it
    try:
        assert reminders.send_reminders() == 0
    finally:
        lock.release()
    assert reminders.send_reminders() == 1

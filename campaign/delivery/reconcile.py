"""The reconciler: nothing is lost when a worker is killed or Redis forgets.

Run every minute by the clock (periodic), under a Redis lock; safe to run at
any time by any number of processes.

1. Letters left in `sending` after their lease (their worker was killed, or lost its
   database) are looked up in the send journal: one the provider accepted is recorded
   as `sent`, never sent again; the others go back to `queued` (or to `cancelled` when
   their campaign's sending was cancelled meanwhile).
2. Queued letters that no code path scheduled or ranked are scheduled and ranked.
3. The dispatcher is woken if letters are due, and a wake-up is scheduled for the
   earliest deferred letter. (Every worker's watchdog does the same every second,
   and hands back expired leases every few seconds: delivery.watchdog.)

``after_restore`` is the restore mode: run once after PostgreSQL was restored from a
backup, before the workers start (docs/operators/backups.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update

from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.delivery import delivery, dispatch
from campaign.models import Campaign, DeliveryEvent, Letter, LetterState
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
BATCH = 1000


def reconcile() -> int:
    """One round of the reconciler; returns how many letters it changed."""
    with exclusive("reconcile", ttl_seconds=120) as mine:
        if not mine:
            return 0
        changed = return_expired_leases()
        changed += schedule_unscheduled()
        due = dispatch.due_letters(limit=10_000)
        if due:
            dispatch.kick(due)
        dispatch.schedule_next_wake()
        return changed


def return_expired_leases() -> int:
    """Letters in `sending` whose lease has expired: recorded as sent from the send
    journal, or handed back to `queued` (`cancelled` for a cancelled campaign)."""
    now = utcnow()
    letters = (
        db.session.execute(
            select(Letter)
            .where(Letter.state == S.SENDING.value, Letter.lease_until < now)
            .order_by(Letter.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    if not letters:
        db.session.rollback()
        return 0
    journal = delivery.journal_entries([letter.id for letter in letters])
    cancelled = set(
        db.session.execute(
            select(Campaign.id).where(
                Campaign.id.in_({letter.campaign_id for letter in letters}),
                Campaign.sending_status == "cancelled",
            )
        ).scalars()
    )
    for letter in letters:
        entry = journal.get(letter.id)
        letter.lease_until = None
        if entry is not None and entry[0] == letter.attempts:
            letter.provider_message_id = entry[1] or None
            letter.sent_at = now
            letter.last_error = None
            letter.transition(
                S.SENT, "accepted by the mail provider (recorded from the send journal)"
            )
            log.warning("letter %s: recorded as sent from the send journal", letter.id)
        elif letter.campaign_id in cancelled:
            letter.transition(S.CANCELLED, "the campaign's sending was cancelled")
        else:
            letter.next_attempt_at = now
            letter.transition(
                S.QUEUED, "the lease expired: its worker stopped before recording an outcome"
            )
    db.session.commit()
    log.warning("reconciler: %d letters came back from expired leases", len(letters))
    return len(letters)


def schedule_unscheduled() -> int:
    """Queued letters without a time or a rank (queued by a path that did not go
    through delivery.delivery) get both."""
    now = utcnow()
    db.session.execute(
        update(Letter)
        .where(Letter.state == S.QUEUED.value, Letter.next_attempt_at.is_(None))
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    ids = (
        db.session.execute(
            select(Letter.id)
            .where(Letter.state == S.QUEUED.value, Letter.fair_rank == 0)
            .order_by(Letter.id)
            .limit(BATCH)
        )
        .scalars()
        .all()
    )
    ranked = delivery.rank_letters(ids)
    db.session.commit()
    return ranked


# -- after a restore --------------------------------------------------------------------

# Events by which SendGrid shows that it had accepted a letter.
_ACCEPTED_EVENTS = ("processed", "delivered", "deferred", "bounce", "dropped", "open", "click")


@dataclass
class RestoreReport:
    checked: int = 0  # letters queued or sending
    from_journal: int = 0
    from_events: int = 0


def after_restore() -> RestoreReport:
    """Run after PostgreSQL was restored from a backup and before any worker starts.

    Letters the backup shows `queued` or `sending` may have been sent after the backup
    was taken. Each one the provider recorded — a send journal entry in Redis (any
    attempt), or a SendGrid delivery event received for its ``letter_id`` — is
    recorded as `sent` with that message id, instead of going again. Commits; returns
    the counts. Letters neither source knows of stay queued and will be sent."""
    report = RestoreReport()
    last_id = 0
    while True:
        letters = (
            db.session.execute(
                select(Letter)
                .where(Letter.state.in_([S.QUEUED.value, S.SENDING.value]), Letter.id > last_id)
                .order_by(Letter.id)
                .limit(BATCH)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        if not letters:
            db.session.rollback()
            return report
        last_id = letters[-1].id
        ids = [letter.id for letter in letters]
        report.checked += len(ids)
        journal = delivery.journal_entries(ids)
        events = dict(
            db.session.execute(
                select(DeliveryEvent.letter_id, func.max(DeliveryEvent.sg_message_id))
                .where(
                    DeliveryEvent.letter_id.in_(ids),
                    DeliveryEvent.event.in_(_ACCEPTED_EVENTS),
                )
                .group_by(DeliveryEvent.letter_id)
            ).all()
        )
        now = utcnow()
        for letter in letters:
            if letter.id in journal:
                message_id, source = journal[letter.id][1], "the send journal"
                report.from_journal += 1
            elif letter.id in events:
                message_id = (events[letter.id] or "").split(".")[0]
                source = "SendGrid's delivery events"
                report.from_events += 1
            else:
                continue
            if letter.state == S.QUEUED:
                letter.transition(S.SENDING, "restored from a backup taken before it was sent")
            letter.lease_until = None
            letter.provider_message_id = message_id or None
            letter.sent_at = letter.sent_at or now
            letter.last_error = None
            letter.transition(S.SENT, f"accepted by the mail provider (recorded from {source})")
        db.session.commit()

"""Every letter counts in the reports once its state changes, whichever path
changed it: the database itself queues the refresh (triggers), so the ORM, Core
bulk updates and inserts, executemany, raw SQL, the reconciler and the send
journal's recovery are all seen, and a refresh makes the report equal a count
over the raw tables."""

# ruff: noqa: F811 - fixtures imported from delivery_support are used as arguments

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, inspect, select, text

from campaign.core.extensions import db
from campaign.core.mail import get_backend
from campaign.delivery import delivery
from campaign.delivery.reconcile import reconcile
from campaign.devtools.backlog import make_backlog
from campaign.models import (
    Letter,
    LetterEvent,
    LetterState,
    LoggedResponse,
    RollupPending,
    SurveyAnswer,
)
from campaign.models.base import utcnow
from campaign.tracking import catch_up, letter_progress, reports, rollups

from .delivery_support import (  # noqa: F401 - fixtures
    dispatch_all,
    sendgrid,
    sendgrid_settings,
    sg_app,
)

S = LetterState


def queued_letters() -> set[int]:
    """The letters waiting in rollup_pending, then refreshed (for the next step)."""
    ids = set(db.session.execute(select(RollupPending.letter_id)).scalars())
    rollups.refresh()
    return ids


def raw_counts() -> dict[str, int]:
    """What the report must say, counted over the raw letters."""
    rows = db.session.execute(
        text(
            "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), "
            "count(*) FILTER (WHERE state IN ('delivered', 'replied')), "
            "count(*) FILTER (WHERE state = 'bounced'), "
            "count(*) FILTER (WHERE state = 'replied') FROM letter"
        )
        if db.engine.dialect.name == "postgresql"
        else text(
            "SELECT sum(sent_at IS NOT NULL), sum(state IN ('delivered', 'replied')), "
            "sum(state = 'bounced'), sum(state = 'replied') FROM letter"
        )
    ).one()
    return dict(zip(("sent", "delivered", "bounced", "replied"), map(int, rows), strict=True))


def reported() -> dict[str, int]:
    rollups.refresh()
    total = reports.totals(reports.responses("campaign", refresh=False)).counts
    return {name: total[name] for name in ("sent", "delivered", "bounced", "replied")}


def test_every_write_path_queues_a_refresh(sg_app, sendgrid):
    backlog = make_backlog(12, 4)
    ids = backlog.letter_ids
    assert queued_letters() == set()  # queued letters are in no report yet

    # The worker: a Core UPDATE ... RETURNING to take them, then executemany
    # updates and a bulk insert of their events to record them sent.
    dispatch_all()
    assert queued_letters() == set(ids)
    assert reported() == raw_counts() == {"sent": 12, "delivered": 0, "bounced": 0, "replied": 0}

    # The ORM: a delivery event's compare-and-set and its LetterEvent.
    letter_progress.advance_letter(ids[0], S.DELIVERED, "delivered")
    db.session.commit()
    assert queued_letters() == {ids[0]}

    # A Core executemany outside the delivery service.
    table = Letter.__table__
    db.session.execute(
        table.update()
        .where(table.c.id == db.bindparam("b_id"))
        .values(state=db.bindparam("b_state")),
        [{"b_id": ids[1], "b_state": "bounced"}, {"b_id": ids[2], "b_state": "delivered"}],
    )
    db.session.commit()
    assert queued_letters() == {ids[1], ids[2]}

    # A connection of its own, outside any session, in raw SQL.
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE letter SET state = 'delivered' WHERE id = :id"), {"id": ids[3]})
    assert queued_letters() == {ids[3]}

    # Evidence: a logged response (ORM insert), a survey answer set by a Core
    # update, a reply inserted through Core.
    db.session.add(LoggedResponse(letter_id=ids[4], channel="phone", occurred_at=utcnow(), note=""))
    db.session.commit()
    assert queued_letters() == {ids[4]}
    from campaign.models import SurveyInvitation

    letter5 = db.session.get(Letter, ids[5])
    invitation = SurveyInvitation(supporter_id=letter5.supporter_id)
    db.session.add(invitation)
    db.session.flush()
    db.session.add(SurveyAnswer(invitation_id=invitation.id, letter_id=ids[5]))
    db.session.commit()
    queued_letters()
    db.session.execute(
        db.update(SurveyAnswer).where(SurveyAnswer.letter_id == ids[5]).values(answer="yes")
    )
    db.session.commit()
    assert queued_letters() == {ids[5]}
    from campaign.models import Reply

    db.session.execute(
        insert(Reply),
        [
            {
                "letter_id": ids[6],
                "kind": "human",
                "raw": b"",
                "dedupe_key": "freshness-6",
                "received_at": utcnow(),
            }
        ],
    )
    db.session.commit()
    assert queued_letters() == {ids[6]}
    # A staff correction of a reply's kind (through the ORM), then putting it back.
    reply = db.session.execute(db.select(Reply).filter_by(letter_id=ids[6])).scalar_one()
    reply.kind = "automatic"
    db.session.commit()
    assert queued_letters() == {ids[6]}
    reply.kind = "human"
    db.session.commit()
    assert queued_letters() == {ids[6]}

    # The tracking reconciler moves letters whose evidence came first.
    assert catch_up.reconcile_states() >= 3
    assert queued_letters() >= {ids[4], ids[5], ids[6]}
    assert reported() == raw_counts()


def test_the_reconciler_and_the_send_journal_queue_a_refresh(sg_app, sendgrid):
    backlog = make_backlog(3, 3)
    first, *others = backlog.letter_ids
    taken = delivery.take_letters(backlog.letter_ids)
    db.session.commit()
    # The worker was killed after SendGrid accepted the first letter, before the
    # database heard of it: the reconciler records it from the journal.
    message_id = get_backend().send(delivery.letter_message(db.session.get(Letter, first)))
    delivery.journal_sent(first, taken[first], message_id)
    db.session.execute(
        db.update(Letter)
        .where(Letter.state == "sending")
        .values(lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert queued_letters() == set()  # nothing sent yet
    reconcile()
    assert queued_letters() == {first}
    assert reported() == raw_counts() == {"sent": 1, "delivered": 0, "bounced": 0, "replied": 0}
    dispatch_all()
    assert queued_letters() == set(others)
    assert reported()["sent"] == raw_counts()["sent"] == 3


def test_a_letter_moved_or_deleted_leaves_its_old_group(sg_app, sendgrid):
    backlog = make_backlog(4, 2)
    dispatch_all()
    assert reported()["sent"] == 4
    moved, deleted = backlog.letter_ids[0], backlog.letter_ids[-1]
    # Sent a week earlier (a correction): its old day and its new day both change.
    db.session.execute(
        db.update(Letter).where(Letter.id == moved).values(sent_at=utcnow() - timedelta(days=7))
    )
    db.session.execute(db.delete(LetterEvent).where(LetterEvent.letter_id == deleted))
    db.session.execute(db.delete(Letter).where(Letter.id == deleted))
    db.session.commit()
    assert reported() == raw_counts() == {"sent": 3, "delivered": 0, "bounced": 0, "replied": 0}
    days = db.session.execute(
        select(func.count())
        .select_from(rollups.ResponseRollup)
        .where(rollups.ResponseRollup.sent > 0)
    ).scalar_one()
    assert days >= 2  # the moved letter has a day of its own


def test_the_triggers_exist_after_every_migration(sg_app):
    """A later migration that rebuilds the letter table (SQLite's batch mode does)
    must put them back: without them reports lag by a day again."""
    names = (
        set(db.session.execute(text("SELECT tgname FROM pg_trigger")).scalars())
        if db.engine.dialect.name == "postgresql"
        else set(
            db.session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        )
    )
    for table in ("letter", "reply", "survey_answer", "logged_response"):
        assert any(name.startswith(f"rollup_queue_{table}") for name in names), table
    assert "representative_id" in {
        c["name"] for c in inspect(db.engine).get_columns("rollup_pending")
    }


def test_the_triggers_survive_every_migration_on_sqlite(tmp_path, redis_url):
    """SQLite's batch mode rebuilds a table to alter it, dropping its triggers: a
    later migration that alters letter, reply, survey_answer or logged_response
    must create them again (PostgreSQL keeps them; this checks the other one)."""
    from flask_migrate import upgrade

    from campaign import create_app

    url = "sqlite:///" + str(tmp_path / "triggers.sqlite3")
    app = create_app(
        {"ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url}
        | {"SECRET_KEY": "k" * 32}
    )
    with app.app_context():
        upgrade()
        names = set(
            db.session.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        )
        db.session.remove()
        db.engine.dispose()
    for table in ("letter", "reply", "survey_answer", "logged_response"):
        for event in ("insert", "update", "delete"):
            assert f"rollup_queue_{table}_{event}" in names

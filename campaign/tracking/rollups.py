"""The rollups response reports read, kept equal to the raw records.

``response_rollup`` holds, per campaign, representative, template version and
day a letter was sent, how many letters were sent, delivered, bounced and
answered (and how); ``response_summary`` adds those up over the days (a few
rows per representative: what the reports read); ``response_delay`` holds, per
answered letter, how long the first dated human response took (for medians).
They are only ever *recomputed* from the raw tables (letters, replies, survey
answers, logged responses), never incremented, so a refresh is idempotent and
cannot drift.

The database queues every letter whose standing changes in ``rollup_pending``, in
the writer's own transaction, through triggers (migration 0009): no
writer has to remember to, and none can write around it (an ORM flush, a Core
bulk update, executemany, raw SQL, a cascade). :func:`refresh` recomputes the
rollup rows of those letters' representatives and days, then deletes exactly the
queue rows it read: a row committed meanwhile stays queued for the next refresh.
:func:`rebuild` recomputes everything.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    Date,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.sql.elements import ColumnElement

from campaign.core.extensions import db
from campaign.models import (
    Letter,
    LoggedResponse,
    Reply,
    ResponseDelay,
    ResponseRollup,
    ResponseSummary,
    RollupPending,
    SurveyAnswer,
)
from campaign.models.tracking import STANCES

log = logging.getLogger(__name__)

# Letters counted as delivered: they reached the representative (a reply proves it).
DELIVERED_STATES = ("delivered", "replied")
COUNTERS = (
    "sent",
    "delivered",
    "bounced",
    "replied",
    "replied_captured",
    "replied_surveyed",
    "replied_logged",
    "automatic",
    *STANCES,
)
_CHUNK = 500


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def day_of(column) -> ColumnElement:
    """The UTC calendar day of a timestamp column."""
    if _dialect() == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column, type_=Date)


def seconds_between(start, end) -> ColumnElement:
    if _dialect() == "postgresql":
        return extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _any(model, *conditions):
    """Whether a row of ``model`` matches, as a correlated lookup (by index)
    rather than a hashed scan of the whole table: refreshes read few letters."""
    return select(literal(1)).select_from(model).where(*conditions).limit(1).scalar_subquery()


def _letter_facts(where) -> select:
    """One row per sent letter matching ``where``: its keys, state and evidence."""
    letter = Letter.__table__
    captured = (
        select(func.min(Reply.received_at))
        .where(Reply.letter_id == letter.c.id, Reply.kind == "human")
        .scalar_subquery()
    )
    logged = (
        select(func.min(LoggedResponse.occurred_at))
        .where(LoggedResponse.letter_id == letter.c.id)
        .scalar_subquery()
    )
    surveyed = _any(
        SurveyAnswer, SurveyAnswer.letter_id == letter.c.id, SurveyAnswer.answer == "yes"
    )
    automatic = _any(Reply, Reply.letter_id == letter.c.id, Reply.kind == "automatic")
    columns = [
        letter.c.id.label("letter_id"),
        letter.c.campaign_id,
        letter.c.representative_id,
        letter.c.template_version_id,
        letter.c.sent_at,
        letter.c.state,
        day_of(letter.c.sent_at).label("day"),
        captured.label("captured_at"),
        logged.label("logged_at"),
        case((surveyed.is_not(None), 1), else_=0).label("surveyed"),
        case((automatic.is_not(None), 1), else_=0).label("automatic"),
    ]
    for stance in STANCES:
        by_reply = _any(
            Reply, Reply.letter_id == letter.c.id, Reply.kind == "human", Reply.stance == stance
        )
        by_staff = _any(
            LoggedResponse,
            LoggedResponse.letter_id == letter.c.id,
            LoggedResponse.stance == stance,
        )
        said = or_(by_reply.is_not(None), by_staff.is_not(None))
        columns.append(case((said, 1), else_=0).label(stance))
    return select(*columns).where(letter.c.sent_at.is_not(None), where).subquery("facts")


def letter_facts(where) -> select:
    """One row per sent letter matching ``where`` (see _letter_facts), for a report
    cut the rollups do not keep (reports: by subject line version)."""
    return _letter_facts(where)


def counts_select(facts, *keys) -> select:
    """COUNTERS of the letters in ``facts`` grouped by ``keys``, as the rollups count them."""
    answered = or_(
        facts.c.captured_at.is_not(None), facts.c.logged_at.is_not(None), facts.c.surveyed == 1
    )

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    return select(
        *keys,
        func.count().label("sent"),
        count(facts.c.state.in_(DELIVERED_STATES)).label("delivered"),
        count(facts.c.state == "bounced").label("bounced"),
        count(answered).label("replied"),
        count(facts.c.captured_at.is_not(None)).label("replied_captured"),
        count(facts.c.surveyed == 1).label("replied_surveyed"),
        count(facts.c.logged_at.is_not(None)).label("replied_logged"),
        func.sum(facts.c.automatic).label("automatic"),
        *[func.sum(facts.c[stance]).label(stance) for stance in STANCES],
    ).group_by(*keys)


def _rollup_select(facts) -> select:
    return counts_select(
        facts,
        facts.c.campaign_id,
        facts.c.representative_id,
        facts.c.template_version_id,
        facts.c.day,
    )


def _delay_select(facts) -> select:
    captured, logged = facts.c.captured_at, facts.c.logged_at
    first = case(
        (captured.is_(None), logged),
        (logged.is_(None), captured),
        (captured <= logged, captured),
        else_=logged,
    )
    return select(
        facts.c.letter_id,
        facts.c.campaign_id,
        facts.c.representative_id,
        facts.c.template_version_id,
        facts.c.day,
        first.label("first_response_at"),
        seconds_between(facts.c.sent_at, first).label("delay_seconds"),
    ).where(or_(captured.is_not(None), logged.is_not(None)))


def _recompute(letter_where, rollup_where, delay_where) -> None:
    """Replace the rollup and delay rows selected by the *_where clauses with
    rows recomputed from the letters ``letter_where`` selects (a superset of
    complete groups)."""
    db.session.execute(delete(ResponseRollup).where(rollup_where))
    db.session.execute(delete(ResponseDelay).where(delay_where))
    facts = _letter_facts(letter_where)
    db.session.execute(
        insert(ResponseRollup).from_select(
            ["campaign_id", "representative_id", "template_version_id", "day", *COUNTERS],
            _rollup_select(facts),
        )
    )
    facts = _letter_facts(letter_where)
    db.session.execute(
        insert(ResponseDelay).from_select(
            [
                "letter_id",
                "campaign_id",
                "representative_id",
                "template_version_id",
                "day",
                "first_response_at",
                "delay_seconds",
            ],
            _delay_select(facts),
        )
    )


def _summarise(rollup_where, summary_where) -> None:
    """Replace the summary rows ``summary_where`` selects with the sums of the
    rollup rows ``rollup_where`` selects (the same representatives)."""
    db.session.execute(delete(ResponseSummary).where(summary_where))
    keys = (
        ResponseRollup.campaign_id,
        ResponseRollup.representative_id,
        ResponseRollup.template_version_id,
    )
    sums = [func.sum(getattr(ResponseRollup, name)) for name in COUNTERS]
    db.session.execute(
        insert(ResponseSummary).from_select(
            ["campaign_id", "representative_id", "template_version_id", *COUNTERS],
            select(*keys, *sums).where(rollup_where).group_by(*keys),
        )
    )


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _no_jit() -> None:
    # PostgreSQL's JIT compiles these many-subquery statements for seconds
    # before running them in milliseconds.
    if _dialect() == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def refresh(limit: int = 20000) -> int:
    """Recompute the rollup rows of queued letters. Commits; returns how many
    queue rows it consumed. Run it in one process at a time (see refresh_job)."""
    queued = db.session.execute(
        select(
            RollupPending.id,
            RollupPending.letter_id,
            RollupPending.representative_id,
            RollupPending.sent_at,
        )
        .order_by(RollupPending.id)
        .limit(limit)
    ).all()
    if not queued:
        db.session.rollback()
        return 0
    _no_jit()
    # A letter's own change names its group; evidence (a reply...) names the letter.
    touched = {
        (row.representative_id, row.sent_at.astimezone(UTC).date())
        for row in queued
        if row.sent_at is not None and row.representative_id is not None
    }
    letter_ids = sorted({row.letter_id for row in queued if row.sent_at is None})
    for start in range(0, len(letter_ids), _CHUNK):
        chunk = letter_ids[start : start + _CHUNK]
        rows = db.session.execute(
            select(Letter.representative_id, day_of(Letter.sent_at).label("day"))
            .where(Letter.id.in_(chunk), Letter.sent_at.is_not(None))
            .distinct()
        ).all()
        touched.update((rep_id, as_date(day)) for rep_id, day in rows)
    _recompute_pairs(touched)
    queue_ids = [row.id for row in queued]
    for start in range(0, len(queue_ids), _CHUNK):
        db.session.execute(
            delete(RollupPending).where(RollupPending.id.in_(queue_ids[start : start + _CHUNK]))
        )
    db.session.commit()
    return len(queued)


def as_date(value) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _recompute_pairs(touched: set[tuple[int, date]]) -> None:
    """Recompute exactly the (representative, day) groups touched (each found
    through the index on representative and sending time), then the summaries
    of the representatives concerned."""
    letters = Letter.__table__.c
    pairs = sorted(touched)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        _recompute(
            or_(
                *(
                    and_(
                        letters.representative_id == rep_id,
                        letters.sent_at >= day_start(day),
                        letters.sent_at < day_start(day + timedelta(days=1)),
                    )
                    for rep_id, day in chunk
                )
            ),
            tuple_(ResponseRollup.representative_id, ResponseRollup.day).in_(chunk),
            tuple_(ResponseDelay.representative_id, ResponseDelay.day).in_(chunk),
        )
    rep_ids = sorted({rep_id for rep_id, _ in pairs})
    for start in range(0, len(rep_ids), _CHUNK):
        chunk = rep_ids[start : start + _CHUNK]
        _summarise(
            ResponseRollup.representative_id.in_(chunk),
            ResponseSummary.representative_id.in_(chunk),
        )


def rebuild() -> int:
    """Recompute every rollup row from the raw records. Commits; returns the
    number of rollup rows."""
    queued = db.session.execute(select(RollupPending.id)).scalars().all()
    _no_jit()
    everything = true()
    _recompute(everything, everything, everything)
    _summarise(everything, everything)
    for start in range(0, len(queued), _CHUNK):
        db.session.execute(
            delete(RollupPending).where(RollupPending.id.in_(queued[start : start + _CHUNK]))
        )
    db.session.commit()
    return db.session.execute(select(func.count()).select_from(ResponseRollup)).scalar_one()


def refresh_job() -> int:
    """Periodic: refresh the rollups, in one process at a time."""
    from campaign.core.locks import exclusive

    with exclusive("response-rollups") as mine:
        if not mine:
            return 0
        return refresh()


def rebuild_job() -> int:
    """Periodic (daily): rebuild the rollups from scratch, a safety net (the
    triggers queue every change; this also repairs rows edited by hand)."""
    from campaign.core.locks import exclusive

    with exclusive("response-rollups", ttl_seconds=3600) as mine:
        if not mine:
            return 0
        return rebuild()


def refresh_if_free() -> None:
    """Bring the rollups up to date before a report, unless another process is
    refreshing them (the report then shows figures a few seconds old)."""
    from campaign.core.locks import exclusive

    try:
        with exclusive("response-rollups") as mine:
            if mine:
                refresh()
    except Exception:  # noqa: BLE001 - Redis down: report what the rollups hold
        db.session.rollback()
        log.warning("rollup refresh skipped", exc_info=True)

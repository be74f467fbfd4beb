"""Daily digests: for the kinds of body a campaign chooses (Campaign.digest_kinds),
each representative gets one mail a day carrying every letter confirmed for them
since the last, instead of one mail per letter (or one as soon as N letters wait).

A letter's way (the state table is in docs/architecture/delivery.md):

* at submission, a letter to such a representative gets its *entry*: its
  supporter's name, place and own words as the digest will print them, shown in
  the preview exactly so (``entry_for``);
* confirmed, it waits in `awaiting_digest`;
* ``gather`` (the clock, every minute) makes the digests that are due: once a day
  after DIGEST_TIME (UTC) for every representative with letters waiting, and at
  any time for one with N waiting. A digest's text is composed then, in the
  representative's language (letters.digest_text): the text its letters share
  once per version and draw, then each entry. Its first letter becomes its *lead*
  and is queued; the others wait `in_digest`;
* the lead goes through the queue, the throttle (one message towards every cap
  and the global rate), the lease and the provider like any letter, and the
  others follow its outcome (delivery.digest_members): sent with its message id,
  so a reply or a delivery event finds them all.

A letter that leaves a digest before it goes (its supporter deletes their data)
leaves its text too: ``recompose`` writes the digest again without it, and hands
the lead's part to another letter when the lead was the one withdrawn.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, time
from time import monotonic

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from campaign.core.extensions import db
from campaign.core.locks import exclusive
from campaign.delivery import digest_members, queueing
from campaign.letters import compose, digest_text
from campaign.models import Campaign, Digest, Letter, LetterState, Representative
from campaign.models.base import utcnow

log = logging.getLogger(__name__)

S = LetterState
# The most letters one digest carries; more waiting make several digests. (A reply
# names every letter of its digest: tracking.replies.)
DIGEST_MAX_LETTERS = 200
# A run of the clock's gather stops starting representatives after this long (a
# backlog of some hundred thousand letters takes several runs, a minute apart).
GATHER_BUDGET_SECONDS = 60


def entry_for(
    campaign: Campaign, representative: Representative, rendered: compose.RenderedLetter
) -> str | None:
    """The letter's entry in its representative's digests, when the campaign sends
    this kind of body digests; None when its letters go singly."""
    if campaign.digest_every(representative.body.kind) is None or rendered.supporter is None:
        return None
    return digest_text.entry_text(rendered.supporter, rendered.language)


def daily_moment(now: datetime) -> datetime:
    """Today's DIGEST_TIME (UTC), after which the day's digests are made."""
    hours, _, minutes = current_app.config["DIGEST_TIME"].partition(":")
    return datetime.combine(now.date(), time(int(hours), int(minutes)), tzinfo=now.tzinfo)


def gather(now: datetime | None = None) -> int:
    """Make every digest that is due, queue their leads, and put right the digests
    that need it (members of a lead recorded elsewhere; a lead withdrawn). Commits;
    returns how many digests were made. Runs in one process at a time."""
    with exclusive("digests") as mine:
        if not mine:
            return 0
        now = now or utcnow()
        made = 0
        started = monotonic()
        for campaign_id, representative_id, waiting in _waiting():
            if monotonic() - started > GATHER_BUDGET_SECONDS:
                break  # the rest at the next run, well inside the lock's 300 s
            campaign = db.session.get(Campaign, campaign_id)
            representative = db.session.get(Representative, representative_id)
            every = campaign.digest_every(representative.body.kind)
            if every is None:
                _send_singly(campaign_id, representative_id)
                continue
            reason = _due(campaign_id, representative_id, waiting, every, now)
            if reason is not None:
                made += _make(campaign, representative, reason, every, now)
            # One representative at a time: locks held briefly, progress kept.
            db.session.commit()
        _repair(now)
        db.session.commit()
        if made:
            log.info("digests: %d made", made)
        return made


def _waiting() -> list[tuple[int, int, int]]:
    return db.session.execute(
        select(Letter.campaign_id, Letter.representative_id, func.count())
        .where(Letter.state == S.AWAITING_DIGEST.value)
        .group_by(Letter.campaign_id, Letter.representative_id)
        .order_by(Letter.campaign_id, Letter.representative_id)
    ).all()


def _due(campaign_id, representative_id, waiting: int, every: int, now: datetime) -> str | None:
    """ "count" when N letters wait, "daily" when the day's digest is due and not yet
    made, else None."""
    if every > 0 and waiting >= every:
        return "count"
    if now < daily_moment(now):
        return None
    made_today = db.session.execute(
        select(Digest.id).where(
            Digest.campaign_id == campaign_id,
            Digest.representative_id == representative_id,
            Digest.day == now.date(),
            Digest.reason == "daily",
        )
    ).first()
    return None if made_today else "daily"


def _send_singly(campaign_id: int, representative_id: int) -> None:
    """The campaign stopped sending this kind digests: its waiting letters go singly."""
    letters = _waiting_letters(campaign_id, representative_id)
    for letter in letters:
        letter.transition(S.QUEUED, "the campaign sends this kind of body single letters again")
    queueing.queue_letters(letters)


def _waiting_letters(campaign_id: int, representative_id: int) -> list[Letter]:
    return list(
        db.session.execute(
            select(Letter)
            .where(
                Letter.campaign_id == campaign_id,
                Letter.representative_id == representative_id,
                Letter.state == S.AWAITING_DIGEST.value,
            )
            .order_by(Letter.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


def _make(campaign: Campaign, representative: Representative, reason: str, every: int, now) -> int:
    """The representative's digests of the waiting letters: the day's, of all of them
    (DIGEST_MAX_LETTERS at most each); or, when N letters wait, one of each N (those
    left wait for the next)."""
    letters = _waiting_letters(campaign.id, representative.id)
    size = min(every, DIGEST_MAX_LETTERS) if reason == "count" else DIGEST_MAX_LETTERS
    made = 0
    for start in range(0, len(letters), size):
        chunk = letters[start : start + size]
        if reason == "count" and len(chunk) < size:
            break
        digest = Digest(
            campaign_id=campaign.id,
            representative_id=representative.id,
            day=now.date(),
            reason=reason,
            language=chunk[0].language,
            created_at=now,
        )
        db.session.add(digest)
        db.session.flush()
        for letter in chunk:
            letter.digest_id = digest.id
        lead, *others = chunk
        digest.lead_letter_id = lead.id
        cause = f"gathered into digest {digest.id}"
        for letter in others:
            letter.transition(S.IN_DIGEST, cause)
        lead.transition(S.QUEUED, f"{cause}, which it carries")
        if not _compose(digest, campaign, representative, chunk):
            continue
        queueing.queue_letters([lead])
        made += 1
    return made


def _compose(digest: Digest, campaign, representative, letters: list[Letter]) -> bool:
    """Write the digest's subject and text from ``letters`` (the lead first).
    Returns False, sending the letters singly instead, if a shared text cannot be
    rendered (a version that broke a rule added since)."""
    groups: dict[tuple, list[Letter]] = defaultdict(list)
    for letter in letters:
        key = (letter.template_version_id, repr(sorted((letter.text_draw or {}).items())))
        groups[key].append(letter)
    parts = []
    try:
        for members in groups.values():
            first = members[0]
            subject, text = compose.render_shared(
                campaign, representative, first.template_version, first.text_draw
            )
            parts.append(digest_text.Part(subject, text, tuple(m.digest_entry for m in members)))
    except compose.RenderError as exc:
        log.warning("digest %s cannot be composed (%s): its letters go singly", digest.id, exc)
        _undo(digest, letters)
        return False
    language = digest.language
    with force_locale(language):
        title = _(campaign.title)
    digest.subject = digest_text.digest_subject(parts, language)
    replies_passed_on = bool(current_app.config.get("INBOUND_DOMAIN"))
    digest.body = digest_text.digest_body(campaign, title, parts, language, replies_passed_on)
    digest.letters_count = len(letters)
    return True


def _undo(digest: Digest, letters: list[Letter]) -> None:
    for letter in letters:
        if letter.state == S.IN_DIGEST:
            letter.transition(S.QUEUED, "sent singly: its digest could not be composed")
    db.session.flush()
    digest_members.dissolve(digest.id)
    queueing.queue_letters(letters)


def recompose(digest_ids: list[int]) -> None:
    """Write again the digests that letters left before they went (withdrawn by their
    supporters), without those letters; a digest whose lead left gets another lead.
    A digest already under way or sent is left as it is. The caller commits."""
    for digest_id in dict.fromkeys(digest_ids):
        digest = db.session.get(Digest, digest_id, with_for_update=True)
        if digest is None or digest.lead_letter_id is None:
            continue
        lead = db.session.get(Letter, digest.lead_letter_id, with_for_update=True)
        members = list(
            db.session.execute(
                select(Letter)
                .where(Letter.digest_id == digest.id, Letter.state == S.IN_DIGEST.value)
                .order_by(Letter.id)
                .with_for_update()
            ).scalars()
        )
        if lead.state == S.QUEUED:
            letters = [lead, *members]
        elif lead.state == S.CANCELLED and members:
            lead, *rest = members
            digest.lead_letter_id = lead.id
            lead.transition(S.QUEUED, f"carries digest {digest.id}: its first letter was withdrawn")
            queueing.queue_letters([lead])
            letters = [lead, *rest]
        else:
            continue
        _compose(digest, digest.campaign, digest.representative, letters)


def _repair(now: datetime) -> None:
    """Members whose lead was recorded by a path that does not move them (the send
    journal, a late result) follow it; a digest whose lead was withdrawn gets
    another one."""
    member = aliased(Letter)
    leads = db.session.execute(
        select(Digest.id, Digest.lead_letter_id, Letter.state)
        .join(Letter, Letter.id == Digest.lead_letter_id)
        .where(
            Letter.state.not_in([S.QUEUED.value, S.SENDING.value]),
            select(member.id)
            .where(member.digest_id == Digest.id, member.state == S.IN_DIGEST.value)
            .exists(),
        )
    ).all()
    if not leads:
        return
    digest_members.follow_leads([lead_id for _, lead_id, _ in leads], now)
    withdrawn = [digest_id for digest_id, _, state in leads if state == S.CANCELLED.value]
    if withdrawn:
        recompose(withdrawn)


def members_of(digest_id: int) -> list[Letter]:
    """The letters a digest carries, in order."""
    return list(
        db.session.execute(
            select(Letter).where(Letter.digest_id == digest_id).order_by(Letter.id)
        ).scalars()
    )


def remove_texts(condition, now) -> None:
    """Remove the subject and text of the digests ``condition`` selects: a digest
    prints the names and words of every supporter it carried."""
    db.session.execute(
        update(Digest)
        .where(condition, Digest.text_removed_at.is_(None))
        .values(subject="", body="", text_removed_at=now)
        .execution_options(synchronize_session=False)
    )


def under_way(letters: list[Letter]) -> bool:
    """Whether a digest carrying one of ``letters`` is being sent right now."""
    ids = {letter.digest_id for letter in letters if letter.digest_id is not None}
    if not ids:
        return False
    return (
        db.session.execute(
            select(Letter.id)
            .join(Digest, Digest.lead_letter_id == Letter.id)
            .where(Digest.id.in_(ids), Letter.state == S.SENDING.value)
            .limit(1)
        ).first()
        is not None
    )

"""A supporter's submission: letters created awaiting confirmation, then confirmed
(queued for sending), reminded or expired."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from campaign.core.extensions import db
from campaign.core.queues import NOTIFICATIONS, enqueue_after_commit
from campaign.delivery import address_holds
from campaign.letters import compose, digests
from campaign.letters.residence import NOWHERE, Residence
from campaign.models import (
    Campaign,
    Letter,
    LetterEvent,
    LetterState,
    Partner,
    Representative,
    Submission,
    Supporter,
)
from campaign.models.base import utcnow
from campaign.partners import consent
from campaign.supporters import abuse, notifications, own_words


class SubmissionError(ValueError):
    """The submission cannot be accepted; the message is fit to show the supporter
    (translated into the request's language when turned into a string)."""


class CopiedParagraph(SubmissionError):
    """The personal paragraph is nearly identical to earlier ones (own_words): the
    message belongs at the paragraph's field."""


# Shown at the top of the letters page when a letter's text changed since its preview.
TEXT_CHANGED = _l(
    "The letter text was updated since you previewed it; please read it again before sending."
)


class TextChanged(SubmissionError):
    """A letter would not be rendered from the template version the supporter
    previewed (an organiser published since, or the form's record of the preview
    was altered): nothing is written, and the page shows the letters again."""


def previewed_versions(letters) -> str:
    """The letter form's record of a preview: ``rep:version`` pairs, one for each
    (representative, rendered letter) shown, the template version it came from."""
    return ",".join(f"{rep.id}:{letter.version.id}" for rep, letter in letters)


# The longest record a form may carry: far above a submission's representatives.
_PREVIEWED_MAX = 20_000


def parse_previewed(value: str | None) -> dict[int, int] | None:
    """The representatives' template versions a form's preview was rendered from;
    None for a form that carries no record (nothing to compare). A record that is
    not well formed matches no letter (the page shows the letters again)."""
    value = (value or "").strip()
    if not value:
        return None
    found: dict[int, int] = {}
    if len(value) > _PREVIEWED_MAX:
        return found
    for pair in value.split(","):
        rep, sep, version = pair.partition(":")
        if not (sep and rep.isascii() and rep.isdigit() and version.isascii()):
            return {}
        if not version.isdigit() or len(rep) > 12 or len(version) > 12:
            return {}
        found[int(rep)] = int(version)
    return found


@dataclass(frozen=True)
class SupporterDetails:
    name: str
    email: str
    city: str = ""
    personal_paragraph: str = ""
    locale: str = "en"
    # A copy of the letters by email once confirmed: only when asked for.
    wants_copy: bool = False
    # The name in Latin letters, for letters in Latin-script languages (optional).
    name_latin: str = ""
    # The paragraph's language when the supporter kept it unlike a recipient's.
    paragraph_language: str | None = None
    # Where the supporter said they live; letters claim nothing more (letters.residence).
    residence: Residence = NOWHERE
    # The letter form's seed for the versions drawn (letters.text_versions).
    draw_seed: str = ""

    def as_letter_vars(self) -> dict:
        return {
            "name": self.name,
            "city": self.city,
            "personal_paragraph": self.personal_paragraph,
            "residence": self.residence,
            "name_latin": self.name_latin,
            "paragraph_language": self.paragraph_language,
        }


def selectable_representatives(campaign: Campaign, ids: list[int]) -> list[Representative]:
    """The active representatives among ``ids`` that may be written to (see
    delivery.address_holds), in a stable order."""
    if not ids:
        return []
    blocked = address_holds.blocked(ids)
    return [
        rep
        for rep in db.session.execute(
            db.select(Representative)
            .options(joinedload(Representative.body))
            .filter(Representative.id.in_(ids), Representative.active.is_(True))
            .order_by(Representative.body_id, Representative.name)
        ).scalars()
        if rep.id not in blocked
    ]


def submit(
    campaign: Campaign,
    chosen: list[Representative],
    details: SupporterDetails,
    origin: abuse.Origin | None = None,
    partner: Partner | None = None,
    consent_wording: str | None = None,
    previewed: dict[int, int] | None = None,
) -> Submission:
    """Create a submission whose letters await confirmation, and mail the supporter
    a confirmation link once committed. ``chosen``: the representatives as
    selectable_representatives() found them (their bodies loaded with them).
    ``partner``: the partner whose link or form the supporter used (recorded, and
    nothing else about where they came from); ``consent_wording``: the sentence the
    supporter ticked to hear from that partner, exactly as shown (recorded with it).

    A letter already written by this supporter to a representative in this campaign
    is not written again; one still awaiting confirmation is replaced by the new text.
    Raises SubmissionError when nothing is left to send. ``origin`` (hashes of the
    sender's address) feeds the hold rules of supporters.abuse.
    ``previewed`` (parse_previewed): the template version of each letter the
    supporter saw; when any letter would now come from another version, or one
    shown could not be written, or one not shown could, nothing is written and
    TextChanged is raised, so that what is sent is always what was shown.
    """
    limit = current_app.config["MAX_REPRESENTATIVES_PER_SUBMISSION"]
    if len({r.id for r in chosen}) > limit:
        raise SubmissionError(
            _l("Please choose at most %(limit)s representatives at a time.", limit=limit)
        )
    representatives = [r for r in dict.fromkeys(chosen) if r.active]
    if not representatives:
        raise SubmissionError(_l("Please choose at least one representative."))

    email = details.email.strip().lower()
    supporter = db.session.execute(db.select(Supporter).filter_by(email=email)).scalar_one_or_none()
    screening = own_words.screen(
        campaign, details.personal_paragraph, supporter.id if supporter else None
    )
    if screening.refused:
        raise CopiedParagraph(own_words.COPIED_MESSAGE)
    earlier_letters: dict[int, Letter] = {}
    if supporter is None:
        supporter = Supporter(email=email, name=details.name, city=details.city)
        db.session.add(supporter)
    else:
        earlier_letters = _letters_of(campaign, supporter, representatives)
    supporter.name, supporter.city, supporter.locale = details.name, details.city, details.locale
    supporter.last_activity_at = utcnow()
    db.session.flush()

    submission = Submission(
        campaign=campaign, supporter=supporter, wants_copy=details.wants_copy, partner=partner
    )
    if origin is not None:
        submission.hold_reason = abuse.hold_reason(origin, supporter.id)
        submission.ip_hash, submission.network_hash = origin.ip_hash, origin.network_hash
    db.session.add(submission)
    published = compose.PublishedLetters(campaign)
    published.load(representatives)
    seed = details.draw_seed or secrets.token_hex(16)
    written = unwritable = 0
    for representative in representatives:
        existing = earlier_letters.get(representative.id)
        if existing is not None and existing.state != LetterState.AWAITING_CONFIRMATION:
            continue
        try:
            rendered = compose.render_letter(
                campaign,
                representative,
                details.as_letter_vars(),
                published=published,
                seed=seed,
            )
        except (compose.NoTemplate, compose.RenderError):
            # The page offered no letter for them either (organisers see why).
            if previewed is not None and representative.id in previewed:
                db.session.rollback()
                raise TextChanged(TEXT_CHANGED) from None
            unwritable += 1
            continue
        if previewed is not None and previewed.get(representative.id) != rendered.version.id:
            db.session.rollback()
            raise TextChanged(TEXT_CHANGED)
        if existing is None:
            letter = Letter(
                campaign=campaign,
                supporter=supporter,
                representative=representative,
            )
            letter.transition(LetterState.AWAITING_CONFIRMATION, "submitted by the supporter")
            db.session.add(letter)
        else:
            letter = existing
            db.session.add(
                LetterEvent(
                    letter=letter,
                    from_state=letter.state,
                    to_state=letter.state,
                    cause="text replaced by a new submission before confirmation",
                )
            )
        letter.submission = submission
        letter.template_version = rendered.version
        letter.language = rendered.language
        letter.subject = rendered.subject
        letter.body = rendered.body
        letter.text_draw = (
            {field: list(drawn) for field, drawn in rendered.draw.items()}
            if any(rendered.draw.values())
            else None
        )
        letter.digest_entry = digests.entry_for(campaign, representative, rendered)
        written += 1
    if written == 0:
        db.session.rollback()
        if unwritable:
            raise SubmissionError(_l("Please choose at least one representative."))
        raise SubmissionError(_l("You have already written to every representative you chose."))
    db.session.flush()
    own_words.keep(submission, screening)
    if partner is not None and consent_wording:
        consent.record(submission, partner, consent_wording, details.locale)
    enqueue_after_commit(NOTIFICATIONS, notifications.send_confirmation_job, submission.id)
    db.session.commit()
    return submission


def _letters_of(
    campaign: Campaign, supporter: Supporter, representatives: list[Representative]
) -> dict[int, Letter]:
    """The supporter's letters in this campaign to these representatives, by
    representative id (at most one each: a unique constraint)."""
    rows = db.session.execute(
        db.select(Letter).filter(
            Letter.campaign_id == campaign.id,
            Letter.supporter_id == supporter.id,
            Letter.representative_id.in_([r.id for r in representatives]),
        )
    ).scalars()
    return {letter.representative_id: letter for letter in rows}


def confirm(submission: Submission) -> int:
    """Queue every letter of the submission still awaiting confirmation, ranked in the
    fair order, the dispatcher woken after the commit; or hold them for staff review
    when the submission tripped an abuse rule. Returns how many were queued or held
    (0 when already confirmed)."""
    from campaign.delivery import queueing

    waiting = [
        letter for letter in submission.letters if letter.state == LetterState.AWAITING_CONFIRMATION
    ]
    if submission.hold_reason:
        for letter in waiting:
            letter.transition(LetterState.HELD, f"held for review: {submission.hold_reason}"[:500])
    else:
        queueing.queue_confirmed(waiting, "confirmed by the supporter")
    if waiting:
        own_words.confirmed(submission)
    first_time = submission.confirmed_at is None
    if first_time:
        submission.confirmed_at = utcnow()
    submission.supporter.last_activity_at = utcnow()
    if first_time and submission.wants_copy and waiting:
        enqueue_after_commit(NOTIFICATIONS, notifications.send_copy_job, submission.id)
    if first_time:
        # The address is confirmed now: a consent given with these letters counts.
        # Its webhook deliveries are written in this same transaction, so a process
        # that dies after the commit loses none.
        consent.announce_confirmed(submission.id)
    db.session.commit()
    return len(waiting)


# One resend of the confirmation link per submission in this time, however asked.
RESEND_INTERVAL = timedelta(minutes=5)


def resend_confirmation(submission: Submission) -> bool:
    """Mail the confirmation link again for the same letters (never new ones), once
    committed. Returns False, and sends nothing, when no letter awaits confirmation
    or the link was resent less than RESEND_INTERVAL ago."""
    if not any(letter.state == LetterState.AWAITING_CONFIRMATION for letter in submission.letters):
        return False
    now = utcnow()
    if submission.resent_at is not None and now - submission.resent_at < RESEND_INTERVAL:
        return False
    submission.resent_at = now
    enqueue_after_commit(NOTIFICATIONS, notifications.send_confirmation_job, submission.id)
    db.session.commit()
    return True

"""The public responsiveness page: per representative with enough letters, the
share answered with its 95 % confidence interval and the median time to reply.
Read from the same rollups as the staff reports; nothing about supporters or
what their letters said.

The minimum sample (docs/architecture/tracking.md): at least
MIN_LETTERS letters sent; and where the survey is the only source (no reply to
the representative was captured or logged), at least MIN_SURVEY_ANSWERS
supporters' survey answers about their letters. Below it, a representative is
listed as "too few letters to say". WriteToThem's published method calls fewer
"too few"; we follow it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import case, distinct, func, or_, select

from campaign.core.extensions import db
from campaign.models import Campaign, Letter, SurveyAnswer
from campaign.people import office_requests
from campaign.tracking import reports, rollups

MIN_LETTERS = 10
MIN_SURVEY_ANSWERS = 10
# The normal quantile for a two-sided 95 % interval.
Z95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (Wilson 1927): unlike the
    textbook p ± z·√(p(1−p)/n) it stays within 0–1 and is honest for small
    samples and for 0 or n successes. 3 of 10 gives (0.108, 0.603)."""
    if trials <= 0:
        raise ValueError("no trials")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


@dataclass
class Entry:
    name: str
    party: str
    body: str
    country: str
    sent: int
    answered: int
    survey_answers: int
    survey_only: bool
    median_days: float | None

    @property
    def enough(self) -> bool:
        if self.sent < MIN_LETTERS:
            return False
        return not self.survey_only or self.survey_answers >= MIN_SURVEY_ANSWERS

    @property
    def share(self) -> float:
        return self.answered / self.sent

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.answered, self.sent)

    @property
    def median_seconds(self) -> float | None:
        return None if self.median_days is None else self.median_days * 86400


def published(slug: str) -> Campaign | None:
    """The campaign if its organisers switched the page on, else None."""
    return db.session.execute(
        select(Campaign).where(Campaign.slug == slug, Campaign.public_responsiveness.is_(True))
    ).scalar_one_or_none()


def _survey_answers(campaign_id: int) -> dict[int, int]:
    """{representative id: survey answers given about letters to them}."""
    return dict(
        db.session.execute(
            select(Letter.representative_id, func.count())
            .join(SurveyAnswer, SurveyAnswer.letter_id == Letter.id)
            .where(Letter.campaign_id == campaign_id, SurveyAnswer.answer.is_not(None))
            .group_by(Letter.representative_id)
        ).all()
    )


def _digest_corrections(campaign_id: int) -> dict[int, tuple[int, int]]:
    """{representative id: (sent, answered) to take off}: a digest is one message
    to its representative, so its letters count as one sent, and as one answered
    when any of them was; the rollups count every letter."""
    # Only the campaign's letters sent in digests: the facts cost a lookup per letter.
    facts = rollups.letter_facts(
        (Letter.campaign_id == campaign_id) & Letter.digest_id.is_not(None)
    )
    answered = or_(
        facts.c.captured_at.is_not(None), facts.c.logged_at.is_not(None), facts.c.surveyed == 1
    )
    rows = db.session.execute(
        select(
            facts.c.representative_id,
            func.count(),
            func.count(distinct(Letter.digest_id)),
            func.sum(case((answered, 1), else_=0)),
            func.count(distinct(case((answered, Letter.digest_id)))),
        )
        .join(Letter, Letter.id == facts.c.letter_id)
        .group_by(facts.c.representative_id)
    ).all()
    return {
        rep: (letters - digests, (answered_letters or 0) - answered_digests)
        for rep, letters, digests, answered_letters, answered_digests in rows
    }


def entries(campaign: Campaign) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """(representatives with enough data, best share first; those with too few,
    by name; those whose office disputes its figures, by name, shown without them)."""
    surveyed = _survey_answers(campaign.id)
    in_digests = _digest_corrections(campaign.id)
    rows = reports.responses("representative", campaign.id, refresh=False)
    disputed_ids = office_requests.figures_disputed(row.ident for row in rows)
    result, disputed = [], []
    for row in rows:
        counts = row.counts
        fewer_sent, fewer_answered = in_digests.get(row.ident, (0, 0))
        (disputed if row.ident in disputed_ids else result).append(
            Entry(
                name=str(row.key),
                party=row.extra.get("party") or "",
                body=row.extra.get("body") or "",
                country=row.extra.get("country") or "",
                sent=counts["sent"] - fewer_sent,
                answered=counts["replied"] - fewer_answered,
                survey_answers=surveyed.get(row.ident, 0),
                survey_only=counts["replied_captured"] + counts["replied_logged"] == 0,
                median_days=row.median_days_to_reply,
            )
        )
    enough = sorted(
        (e for e in result if e.enough), key=lambda e: (-e.share, -e.sent, e.name.casefold())
    )
    too_few = sorted((e for e in result if not e.enough), key=lambda e: e.name.casefold())
    disputed.sort(key=lambda e: e.name.casefold())
    return enough, too_few, disputed

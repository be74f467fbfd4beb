"""The figures the API gives: a campaign's, and one partner's share of it.

Letters sent, delivered, bounced and answered in a campaign come from the response
reports (tracking.reports, brought up to date first) and its supporters from the
landing page's count (supporters.public_counts), so the API says what the staff
pages say. Letters written and confirmed, which those do not count by country or
body, and every figure of a partner's share (the reports have no partner cut), are
counted here over the letters themselves, with the same definitions."""

from __future__ import annotations

from sqlalchemy import case, func, select

from campaign.api.people import standing_consents
from campaign.core.extensions import db
from campaign.models import (
    Body,
    Campaign,
    Letter,
    LetterState,
    Partner,
    PartnerConsent,
    Representative,
    Submission,
    Supporter,
)
from campaign.partners.person_shape import iso
from campaign.supporters import public_counts
from campaign.tracking import reports, rollups

COUNTS = ("written", "confirmed", "sent", "delivered", "bounced", "answered")
_DELIVERED = (LetterState.DELIVERED.value, LetterState.REPLIED.value)


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def letter_counts(campaign_id: int, by: str | None, partner_id: int | None = None) -> dict:
    """{group: counts} over the campaign's letters (one partner's only, with
    ``partner_id``); ``by`` None, "country" or "body" (a group per body id)."""
    confirmed = Submission.confirmed_at.is_not(None)

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    columns = [
        func.count(Letter.id),
        total(confirmed),
        total(Letter.sent_at.is_not(None)),
        total(Letter.state.in_(_DELIVERED)),
        total(Letter.state == LetterState.BOUNCED.value),
        total(Letter.state == LetterState.REPLIED.value),
    ]
    group = {None: None, "country": Representative.country, "body": Representative.body_id}[by]
    query = (
        select(*([group] if group is not None else []), *columns)
        .select_from(Letter)
        .join(Submission, Submission.id == Letter.submission_id)
        .join(Representative, Representative.id == Letter.representative_id)
        .where(Letter.campaign_id == campaign_id)
    )
    if partner_id is not None:
        query = query.where(Submission.partner_id == partner_id)
    if group is not None:
        query = query.group_by(group)
    result = {}
    for row in db.session.execute(query).all():
        key, values = (row[0], row[1:]) if group is not None else (None, row)
        result[key] = {name: int(v or 0) for name, v in zip(COUNTS, values, strict=True)}
    return result


def _from_reports(counts: dict, rows: list[reports.ReportRow]) -> dict:
    """``counts`` with sent, delivered, bounced and answered replaced by the reports'."""
    for row in rows:
        entry = counts.setdefault(row.ident, _zero())
        entry.update(
            sent=row.counts["sent"],
            delivered=row.counts["delivered"],
            bounced=row.counts["bounced"],
            answered=row.counts["replied"],
        )
    return counts


def _bodies(counts: dict) -> list[dict]:
    names = dict(
        (ident, (name, country))
        for ident, name, country in db.session.execute(
            select(Body.id, Body.name, Body.country).where(Body.id.in_(list(counts)))
        ).all()
    )
    rows = []
    for ident, values in counts.items():
        name, country = names.get(ident, ("", ""))
        rows.append({"body": {"id": ident, "name": name, "country": country}, **values})
    return sorted(rows, key=lambda row: (row["body"]["country"], row["body"]["name"]))


def _countries(counts: dict) -> list[dict]:
    return [{"country": key, **counts[key]} for key in sorted(counts, key=str)]


def campaign_figures(campaign: Campaign, now) -> dict:
    """The campaign's figures: totals, by country, by body."""
    rollups.refresh_if_free()
    by_country = _from_reports(
        letter_counts(campaign.id, "country"),
        reports.responses("country", campaign.id, refresh=False),
    )
    by_body = _from_reports(
        letter_counts(campaign.id, "body"), reports.responses("body", campaign.id, refresh=False)
    )
    totals = letter_counts(campaign.id, None).get(None, _zero())
    summed = reports.totals(reports.responses("campaign", campaign.id, refresh=False))
    totals.update(
        sent=summed.counts["sent"],
        delivered=summed.counts["delivered"],
        bounced=summed.counts["bounced"],
        answered=summed.counts["replied"],
    )
    return {
        "campaign": {"slug": campaign.slug, "title": campaign.title},
        "as_of": iso(now),
        "supporters": public_counts.count(campaign).writers,
        "letters": totals,
        "by_country": _countries(by_country),
        "by_body": _bodies(by_body),
    }


def partner_figures(campaign: Campaign, partner: Partner, now) -> dict:
    """What the supporters who came through ``partner`` did in the campaign."""
    confirmed_supporter = case((Submission.confirmed_at.is_not(None), Submission.supporter_id))
    started, confirmed, supporters = db.session.execute(
        select(
            func.count(Submission.id),
            func.count(Submission.confirmed_at),
            func.count(func.distinct(confirmed_supporter)),
        ).where(Submission.campaign_id == campaign.id, Submission.partner_id == partner.id)
    ).one()
    # The consents its people listing gives, and those withdrawn.
    standing = db.session.execute(
        select(func.count(PartnerConsent.id))
        .join(Supporter, Supporter.id == PartnerConsent.supporter_id)
        .join(Submission, Submission.id == PartnerConsent.submission_id)
        .where(*standing_consents(partner.id, campaign.id))
    ).scalar_one()
    withdrawn = db.session.execute(
        select(func.count(PartnerConsent.withdrawn_at)).where(
            PartnerConsent.campaign_id == campaign.id, PartnerConsent.partner_id == partner.id
        )
    ).scalar_one()
    return {
        "campaign": {"slug": campaign.slug, "title": campaign.title},
        "partner": {"slug": partner.slug, "name": partner.name},
        "as_of": iso(now),
        "supporters": int(supporters),
        "submissions": {"started": int(started), "confirmed": int(confirmed)},
        "consents": {"listed": int(standing), "withdrawn": int(withdrawn)},
        "letters": letter_counts(campaign.id, None, partner.id).get(None, _zero()),
        "by_country": _countries(letter_counts(campaign.id, "country", partner.id)),
        "by_body": _bodies(letter_counts(campaign.id, "body", partner.id)),
    }
